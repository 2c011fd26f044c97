"""schemathesis against openapi.yaml: every admin API operation, with valid session tokens, fuzzed.

Fails on any 5xx, on an answer that does not match the schema (status, headers, body), and on input the schema
forbids being accepted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import responses
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from storefront_proxy.app import create_app
from storefront_proxy.cancellations.records import RequestStatus
from storefront_proxy.services import services_of
from storefront_proxy.shopify import oauth
from tests.factories import stored_request
from tests.helpers import ADMIN_URL, FakeAdmin, admin_order, app_settings, auth
from tests.shopify_oauth_fake import FakeShopifyOAuth

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_REQUEST_ID = "ccr_0123456789abcdef0123"
RANGE_OPERATIONS = {"GET /admin/api/insights", "GET /admin/api/requests.csv", "GET /admin/api/requests"}


@pytest.fixture(scope="module")
def admin_app(redis_url):
    """One app for the module, its shop holding requests in several statuses; Shopify's token endpoint (which
    names the staff member) answers in process."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    shopify = FakeAdmin([admin_order(5001 + n) for n in range(5)])
    with pytest.MonkeyPatch.context() as patch, responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        patch.setattr(oauth, "http_client", FakeShopifyOAuth().client)
        mock.add_callback(responses.POST, ADMIN_URL, callback=shopify)
        app = create_app(app_settings(redis_url))
        store = services_of(app).store
        for n, status in enumerate(["pending_review", "queued", "failed", "cancelled", "rejected"]):
            # The first has the id openapi.yaml gives as an example, so its detail (and its order) is checked too.
            fields = {"id": EXAMPLE_REQUEST_ID} if n == 0 else {}
            stored_request(store, order_id=5001 + n, status=RequestStatus(status), **fields)
        yield app
    redis.Redis.from_url(redis_url).flushdb()


def only_headers_negated(case) -> bool:  # type: ignore[no-untyped-def]
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    negated = {location for location, info in meta.components.items() if info.mode.is_negative}
    return negated <= {ParameterLocation.HEADER}


def negation_not_sent(case) -> bool:  # type: ignore[no-untyped-def]
    """Whether the query's only violations are parameters the request never carries: one whose value is an empty
    object or array is sent as nothing, so the API cannot refuse it (schemathesis still counts it as invalid)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative or not isinstance(case.query, dict):
        return False
    documented = {parameter.name for parameter in case.operation.query}
    unsent = {name for name, value in case.query.items() if value in ({}, [])}
    return bool(unsent) and set(case.query) - unsent <= documented


class AppUnderTest:
    """The WSGI app schemathesis calls in process; the module's fixture puts the real one in."""

    target = None

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        assert self.target is not None, "the admin_app fixture sets the app"
        return self.target(environ, start_response)


APP = AppUnderTest()
schema = schemathesis.openapi.from_path(ROOT / "openapi.yaml")
schema.app = APP


@schema.parametrize()
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_admin_api_keeps_its_schema(case, admin_app):
    APP.target = admin_app
    # `from` after `to`, or (for insights) a range over 366 days, is a 400 that no schema can express (two
    # parameters): for these operations a 400 must be that, and only that.
    ranged = case.operation.label in RANGE_OPERATIONS
    excluded = [positive_data_acceptance] if ranged else []
    if only_headers_negated(case) or negation_not_sent(case):
        # An unknown or odd request header is not the API's to refuse (proxies and browsers add their own), nor is
        # a violation that never reaches it.
        excluded.append(negative_data_rejection)
    response = case.call_and_validate(headers=auth(), excluded_checks=excluded)
    if ranged and response.status_code == 400 and case.meta and case.meta.generation.mode.is_positive:
        assert response.json()["error"]["code"] == "invalid_range", response.text
