"""The /proxy contract over HTTP: real Redis, Shopify's Admin API answered by `responses`."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
import redis
import responses
from rq import Queue

from storefront_proxy.app import create_app
from storefront_proxy.cancellations.enqueue import cancel_job_id
from storefront_proxy.job_queue import QUEUE_NAME
from storefront_proxy.policy.model import Policy, ReviewMode
from storefront_proxy.services import services_of
from tests.factories import cancel_job_ids
from tests.helpers import (
    ADMIN_URL,
    API_SECRET,
    CUSTOMER,
    OTHER_CUSTOMER,
    SHOP,
    signed_query,
)

JSON = {"Accept": "application/json"}


def get(client, path, customer=CUSTOMER, headers=JSON, **kwargs):
    return client.get(f"{path}?{signed_query(customer=customer, **kwargs)}", headers=headers)


def post(client, path, body=None, customer=CUSTOMER, headers=JSON, **kwargs):
    return client.post(
        f"{path}?{signed_query(customer=customer)}", headers=headers, **({"json": body} if body is not None else kwargs)
    )


def csrf(client, order_id=5001):
    return get(client, f"/proxy/orders/{order_id}").get_json()["csrf_token"]


def queued_job_ids(redis_conn):
    """Queued cancellation jobs (the queue also carries the proxy-path sync)."""
    return cancel_job_ids(redis_conn)


# -- reading ------------------------------------------------------------------------------------------


def test_order_shows_eligibility_deadline_reasons_and_token(client, shop):
    response = get(client, "/proxy/orders/5001")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {
        "order_id",
        "name",
        "created_at",
        "total",
        "total_money",
        "eligible",
        "ineligible_reasons",
        "cancel_deadline",
        "reasons",
        "csrf_token",
        "request",
        "refund",
        "goes_to_review",
        "contact_url",
        "editable",
        "edit_ineligible_reasons",
        "edit_deadline",
        "edits_offered",
        "edit_refund_method",
        "line_items",
        "shipping_address",
        "edit",
    }
    assert body["order_id"] == 5001 and body["eligible"] is True and body["request"] is None
    assert body["ineligible_reasons"] == []
    assert body["cancel_deadline"].endswith("Z")
    assert [r["code"] for r in body["reasons"]][:2] == ["changed_mind", "ordered_by_mistake"]
    assert body["csrf_token"]


def test_ineligible_order_lists_stable_codes_and_still_has_a_token(client, shop):
    body = get(client, "/proxy/orders/5002").get_json()
    assert body["eligible"] is False
    assert [r["code"] for r in body["ineligible_reasons"]] == ["fulfillment_started"]
    assert body["csrf_token"]
    late = get(client, "/proxy/orders/5003").get_json()
    assert [r["code"] for r in late["ineligible_reasons"]] == ["window_closed"]


def test_orders_list_has_only_the_customers_orders(client, shop):
    body = get(client, "/proxy/orders").get_json()
    assert sorted(o["order_id"] for o in body["orders"]) == [5001, 5002, 5003]
    assert all("csrf_token" in o and "ineligible_reasons" in o for o in body["orders"])


def test_another_customers_order_answers_like_an_unknown_one(client, shop):
    theirs = get(client, "/proxy/orders/5004")
    unknown = get(client, "/proxy/orders/9999")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.get_json() == unknown.get_json()
    assert theirs.get_json()["error"]["code"] == "order_not_found"


@pytest.mark.parametrize("order_id", ["abc", "0", "-1", "5001.0", "1" * 25, "gid:%2F%2Fshopify%2FOrder%2F5001"])
def test_malformed_order_ids_are_400(client, shop, order_id):
    response = get(client, f"/proxy/orders/{order_id}")
    assert response.status_code in (400, 404)
    assert response.get_json()["error"]["code"] in ("invalid_order_id", "not_found")


def test_page_is_liquid_for_the_shops_theme(client, shop):
    response = get(client, "/proxy/orders/5001", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.mimetype == "application/liquid"
    html = response.get_data(as_text=True)
    assert not html.lstrip().startswith("<!doctype")  # the theme's layout wraps it
    assert 'action="/apps/self-service/orders/5001/cancellation"' in html
    assert 'name="csrf_token"' in html
    assert 'src="/apps/self-service/static/cancel-page.js"' in html


def test_standalone_page_is_a_whole_document(client, shop, app):
    services_of(app).settings = services_of(app).settings.model_copy(update={"storefront_standalone_pages": True})
    response = get(client, "/proxy/orders/5001", headers={"Accept": "text/html"})
    assert response.mimetype == "text/html"
    assert response.get_data(as_text=True).lstrip().lower().startswith("<!doctype html>")


def test_shopper_text_cannot_inject_liquid(client, shop):
    token = csrf(client)
    note = "{{ shop.name }} {% render 'x' %}"
    response = post(
        client,
        "/proxy/orders/5001/cancellation",
        {"reason": "other", "note": note, "csrf_token": token},
        headers={"Accept": "text/html"},
    )
    html = response.get_data(as_text=True)
    assert "{{" not in html and "{%" not in html
    import liquid

    assert "&#123;&#123; shop.name }}" in liquid.Template(html).render()


def test_page_speaks_the_shoppers_language(client, shop):
    nl = get(client, "/proxy/orders/5001", headers={"Accept": "text/html"}, extra=[("locale", "nl")])
    assert '<div class="ssc" lang="nl"' in nl.get_data(as_text=True)
    fi = client.get(
        f"/proxy/orders/5001?{signed_query()}",
        headers={"Accept": "text/html", "Accept-Language": "fi-FI,fi;q=0.9,en;q=0.5"},
    )
    assert '<div class="ssc" lang="fi"' in fi.get_data(as_text=True)
    unknown = get(client, "/proxy/orders/5001", headers={"Accept": "text/html"}, extra=[("locale", "pt-BR")])
    assert '<div class="ssc" lang="en"' in unknown.get_data(as_text=True)


def test_json_messages_follow_the_locale(client, shop):
    from storefront_proxy.i18n import Translator

    body = get(client, "/proxy/orders/5002", extra=[("locale", "fi")]).get_json()
    assert body["ineligible_reasons"][0]["message"] == Translator("fi")("ineligible.fulfillment_started")
    assert body["reasons"][0]["label"] == Translator("fi")("reason.changed_mind")


def test_plain_form_asks_for_confirmation_first(client, shop, redis_conn):
    token = csrf(client)
    html_headers = {"Accept": "text/html"}
    first = client.post(
        f"/proxy/orders/5001/cancellation?{signed_query()}",
        data={"reason": "changed_mind", "note": "Too big", "csrf_token": token, "step": "review"},
        headers=html_headers,
    )
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert 'name="confirm" value="yes"' in page and 'name="note" value="Too big"' in page
    assert queued_job_ids(redis_conn) == []
    second = client.post(
        f"/proxy/orders/5001/cancellation?{signed_query()}",
        data={"reason": "changed_mind", "note": "Too big", "csrf_token": token, "confirm": "yes"},
        headers=html_headers,
    )
    assert second.status_code == 202
    assert 'data-status="queued"' in second.get_data(as_text=True)
    assert len(queued_job_ids(redis_conn)) == 1


def test_links_follow_the_shops_own_proxy_path(client, shop):
    response = get(client, "/proxy/orders", headers={"Accept": "text/html"}, path_prefix="/tools/cancel-my-order")
    assert 'href="/tools/cancel-my-order/orders/5001"' in response.get_data(as_text=True)
    localized = get(client, "/proxy/orders", headers={"Accept": "text/html"}, extra=[("locale", "nl")])
    assert 'href="/apps/self-service/orders/5001?locale=nl"' in localized.get_data(as_text=True)


# -- authentication -------------------------------------------------------------------------------------


def test_anonymous_visitor_is_told_to_log_in(client, shop):
    response = get(client, "/proxy/orders/5001", customer=None)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "login_required"
    assert "log in" in response.get_json()["error"]["message"].lower()


def test_tampered_and_stale_signatures_are_401(client, shop):
    query = signed_query()
    tampered = query.replace(f"logged_in_customer_id={CUSTOMER}", f"logged_in_customer_id={OTHER_CUSTOMER}")
    assert client.get(f"/proxy/orders/5001?{tampered}", headers=JSON).status_code == 401
    stale = get(client, "/proxy/orders/5001", timestamp=int(time.time()) - 91)
    assert stale.status_code == 401
    assert stale.get_json()["error"]["code"] == "invalid_signature"
    future = get(client, "/proxy/orders/5001", timestamp=int(time.time()) + 120)
    assert future.status_code == 401
    unsigned = client.get(f"/proxy/orders/5001?shop={SHOP}&logged_in_customer_id={CUSTOMER}", headers=JSON)
    assert unsigned.status_code == 401
    assert shop.calls == []


def test_wrong_secret_is_401(client, shop):
    response = get(client, "/proxy/orders/5001", secret="another-apps-secret-also-long-enough-000")
    assert response.status_code == 401


# -- asking to cancel -----------------------------------------------------------------------------------


def test_post_queues_one_job_and_repeats_return_the_same_request(client, shop, redis_conn):
    token = csrf(client)
    first = post(
        client,
        "/proxy/orders/5001/cancellation",
        {"reason": "changed_mind", "note": " Wrong size ", "csrf_token": token},
    )
    assert first.status_code == 202
    created = first.get_json()["request"]
    assert created["status"] == "queued" and created["note"] == "Wrong size" and created["reason"] == "changed_mind"
    assert set(created) == {"id", "status", "reason", "note", "message", "created_at", "updated_at"}
    assert queued_job_ids(redis_conn) == [cancel_job_id(created["id"])]

    again = post(client, "/proxy/orders/5001/cancellation", {"reason": "other", "csrf_token": token})
    assert again.status_code == 200
    assert again.get_json()["request"]["id"] == created["id"]
    assert queued_job_ids(redis_conn) == [cancel_job_id(created["id"])]

    status = get(client, "/proxy/orders/5001/cancellation")
    assert status.status_code == 200 and status.get_json()["request"]["id"] == created["id"]
    order = get(client, "/proxy/orders/5001").get_json()
    assert order["request"]["id"] == created["id"] and order["eligible"] is True


def test_form_post_and_header_token_are_accepted(client, shop):
    token = csrf(client)
    response = client.post(
        f"/proxy/orders/5001/cancellation?{signed_query()}",
        data={"reason": "ordered_by_mistake"},
        headers={"Accept": "application/json", "X-CSRF-Token": token},
    )
    assert response.status_code == 202


def test_html_form_post_shows_the_status_page(client, shop):
    token = csrf(client)
    response = client.post(
        f"/proxy/orders/5001/cancellation?{signed_query()}",
        data={"reason": "changed_mind", "csrf_token": token, "confirm": "yes"},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 202
    html = response.get_data(as_text=True)
    assert 'data-status="queued"' in html and 'aria-live="polite"' in html


def test_manual_review_holds_the_request_without_a_job(client, shop, app, redis_conn):
    services_of(app).store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL))
    response = post(client, "/proxy/orders/5001/cancellation", {"reason": "changed_mind", "csrf_token": csrf(client)})
    assert response.status_code == 202
    assert response.get_json()["request"]["status"] == "pending_review"
    assert queued_job_ids(redis_conn) == []


def test_no_request_yet_is_404(client, shop):
    response = get(client, "/proxy/orders/5001/cancellation")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "request_not_found"


def test_ineligible_order_is_409_with_reasons(client, shop, redis_conn):
    response = post(
        client, "/proxy/orders/5002/cancellation", {"reason": "changed_mind", "csrf_token": csrf(client, 5002)}
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "not_eligible"
    assert [r["code"] for r in error["reasons"]] == ["fulfillment_started"]
    assert queued_job_ids(redis_conn) == []


def test_csrf_token_is_bound_to_the_order_and_required(client, shop):
    other_orders_token = csrf(client, 5003)
    for body in (
        {"reason": "changed_mind"},
        {"reason": "changed_mind", "csrf_token": other_orders_token},
        {"reason": "changed_mind", "csrf_token": "123.abc"},
    ):
        response = post(client, "/proxy/orders/5001/cancellation", body)
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "invalid_csrf_token"


def test_csrf_token_is_bound_to_the_customer(client, shop, app):
    from storefront_proxy.proxy.csrf import issue_token

    token = issue_token(services_of(app).settings.api_secret(), SHOP, OTHER_CUSTOMER, 5001, time.time(), 600)
    assert (
        post(client, "/proxy/orders/5001/cancellation", {"reason": "changed_mind", "csrf_token": token}).status_code
        == 403
    )


def test_expired_csrf_token_is_403(client, shop, app):
    from storefront_proxy.proxy.csrf import issue_token

    token = issue_token(services_of(app).settings.api_secret(), SHOP, CUSTOMER, 5001, time.time() - 7200, 60)
    assert (
        post(client, "/proxy/orders/5001/cancellation", {"reason": "changed_mind", "csrf_token": token}).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "missing_reason"),
        ({"reason": ""}, "missing_reason"),
        ({"reason": 5}, "missing_reason"),
        ({"reason": "not_a_reason"}, "invalid_reason"),
        ({"reason": "other", "note": "x" * 501}, "note_too_long"),
        ({"reason": "other", "note": ["list"]}, "invalid_note"),
    ],
)
def test_bad_fields_are_400(client, shop, redis_conn, body, code):
    response = post(client, "/proxy/orders/5001/cancellation", {**body, "csrf_token": csrf(client)})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
    assert queued_job_ids(redis_conn) == []


def test_note_of_exactly_500_characters_is_fine(client, shop):
    response = post(
        client, "/proxy/orders/5001/cancellation", {"reason": "other", "note": "x" * 500, "csrf_token": csrf(client)}
    )
    assert response.status_code == 202


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"null"])
def test_invalid_json_is_400(client, shop, raw):
    response = client.post(
        f"/proxy/orders/5001/cancellation?{signed_query()}",
        data=raw,
        headers={"Accept": "application/json", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_oversized_body_is_413(client, shop):
    response = client.post(
        f"/proxy/orders/5001/cancellation?{signed_query()}",
        data=json.dumps({"reason": "other", "note": "x" * 40000}),
        headers={"Accept": "application/json", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_too_many_requests_is_429(client, shop, app):
    services_of(app).settings = services_of(app).settings.model_copy(update={"proxy_rate_limit_per_minute": 3})
    statuses = [get(client, "/proxy/orders/5001").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = get(client, "/proxy/orders/5001")
    assert limited.get_json()["error"]["code"] == "too_many_requests"
    assert int(limited.headers["Retry-After"]) > 0


def test_wrong_method_and_unknown_path_are_json_errors(client, shop):
    assert client.delete(f"/proxy/orders/5001?{signed_query()}", headers=JSON).status_code == 405
    missing = client.get(f"/proxy/nothing-here?{signed_query()}", headers=JSON)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


# -- dependencies down ----------------------------------------------------------------------------------


def test_shopify_down_is_503_and_nothing_is_recorded(client, redis_conn):
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, ADMIN_URL, status=502)
        mock.add(responses.POST, ADMIN_URL, status=503)
        response = get(client, "/proxy/orders/5001")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "shop_unavailable"
    assert response.headers["Retry-After"]


def test_shopify_unreachable_is_503(client):
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, ADMIN_URL, body=ConnectionError("refused"))
        mock.add(responses.POST, ADMIN_URL, body=ConnectionError("refused"))
        token_response = get(client, "/proxy/orders/5001")
    assert token_response.status_code == 503


def test_redis_down_is_503_and_nothing_half_written(settings, shop, redis_conn):
    from storefront_proxy.settings import Settings

    down = Settings(**{**settings.model_dump(), "redis_url": "redis://127.0.0.1:1/0"})
    app = create_app(down)
    response = app.test_client().get(f"/proxy/orders/5001?{signed_query()}", headers=JSON)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"


def test_redis_failing_during_post_leaves_no_record(client, shop, app, redis_conn, monkeypatch):
    token = csrf(client)
    store = services_of(app).store
    original = store.redis.pipeline

    class FailingPipeline:
        def __init__(self, pipe):
            self.pipe = pipe

        def __getattr__(self, name):
            return getattr(self.pipe, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.pipe.reset()

        def execute(self, *args, **kwargs):
            if self.pipe.explicit_transaction:
                self.pipe.reset()
                raise redis.exceptions.ConnectionError("connection lost")
            return self.pipe.execute(*args, **kwargs)

    monkeypatch.setattr(store.redis, "pipeline", lambda *a, **k: FailingPipeline(original(*a, **k)))
    response = post(client, "/proxy/orders/5001/cancellation", {"reason": "changed_mind", "csrf_token": token})
    assert response.status_code == 503
    leftovers = [k for k in redis_conn.keys("selfservice:*") if b":request" in k or b":order-request:" in k]
    assert leftovers == []
    assert queued_job_ids(redis_conn) == []
    monkeypatch.undo()
    retry = post(client, "/proxy/orders/5001/cancellation", {"reason": "changed_mind", "csrf_token": token})
    assert retry.status_code == 202


# -- hostile input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("signature", ["%C3%A9", "z" * 64, "A" * 64, "", "0" * 63])
def test_malformed_signatures_are_401(client, shop, signature):
    query = (
        f"shop={SHOP}&logged_in_customer_id={CUSTOMER}&path_prefix=%2Fa"
        f"&timestamp={int(time.time())}&signature={signature}"
    )
    response = client.get(f"/proxy/orders/5001?{query}", headers=JSON)
    assert response.status_code == 401


@pytest.mark.parametrize("token", ["².abc", "9999999999.é", "1" * 300, ".", "12.", "x" * 50])
def test_malformed_csrf_tokens_are_403(client, shop, token):
    body_response = post(client, "/proxy/orders/5001/cancellation", {"reason": "other", "csrf_token": token})
    assert body_response.status_code == 403
    if token.isascii():
        header_response = client.post(
            f"/proxy/orders/5001/cancellation?{signed_query()}",
            json={"reason": "other"},
            headers={**JSON, "X-CSRF-Token": token},
        )
        assert header_response.status_code == 403


def test_lone_surrogates_are_400(client, shop):
    token = csrf(client)
    raw = f'{{"reason": "other", "note": "x\\ud800y", "csrf_token": "{token}"}}'
    response = client.post(
        f"/proxy/orders/5001/cancellation?{signed_query()}",
        data=raw,
        headers={**JSON, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_text"


def test_deeply_nested_json_is_400(client, shop):
    response = client.post(
        f"/proxy/orders/5001/cancellation?{signed_query()}",
        data="[" * 15000,
        headers={**JSON, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_order_id_with_a_trailing_newline_is_400(client, shop):
    assert get(client, "/proxy/orders/5001%0A").status_code == 400


def test_throttled_shop_answers_503_at_once_with_retry_after(client):
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 500,
                "actualQueryCost": None,
                "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 0.0, "restoreRate": 50.0},
            }
        },
    }
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, ADMIN_URL, json=throttled)
        started = time.monotonic()
        response = get(client, "/proxy/orders/5001")
    assert time.monotonic() - started < 1
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"


def test_the_shops_proxy_path_is_synced_once_per_change(client, shop, redis_conn):
    def sync_jobs():
        return [j for j in Queue(QUEUE_NAME, connection=redis_conn).job_ids if j.startswith("proxy-path-")]

    get(client, "/proxy/orders/5001")
    get(client, "/proxy/orders/5001")
    assert sync_jobs() == ["proxy-path-teashop_myshopify_com"]
    Queue(QUEUE_NAME, connection=redis_conn).empty()
    get(client, "/proxy/orders/5001", path_prefix="/tools/cancel")
    assert sync_jobs() == ["proxy-path-teashop_myshopify_com"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/returns", "ftp://x", "returns", "https://"])
def test_returns_url_must_be_a_web_address_or_a_shop_path(url):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Policy(returns_url=url)
    assert Policy(returns_url="/pages/returns").returns_url == "/pages/returns"
    assert Policy(returns_url=" https://shop.example/returns ").returns_url == "https://shop.example/returns"


def test_locale_in_links_is_the_supported_language_only(client, shop):
    regional = get(client, "/proxy/orders", headers={"Accept": "text/html"}, extra=[("locale", "nl-BE")])
    html = regional.get_data(as_text=True)
    assert 'href="/apps/self-service/orders/5001?locale=nl"' in html
    crafted = get(client, "/proxy/orders", headers={"Accept": "text/html"}, extra=[("locale", "nl-&x=1#y")])
    assert crafted.status_code == 400 and "x=1" not in crafted.get_data(as_text=True)


def test_a_signature_cannot_be_re_split_to_act_as_another_customer(client, shop):
    """Shopify signs `key=value` pairs joined with no separator: a parameter value holding
    `logged_in_customer_id=...` signs the same message as a different split of the query."""
    from urllib.parse import urlencode

    from devshop.signing import sign_proxy_query

    # What Shopify signs when customer 7001 opens a link carrying a crafted `a` parameter ...
    signed = [
        ("a", f"Zlogged_in_customer_id={OTHER_CUSTOMER}m="),
        ("shop", SHOP),
        ("logged_in_customer_id", str(CUSTOMER)),
        ("path_prefix", "/apps/self-service"),
        ("timestamp", str(int(time.time()))),
    ]
    signature = sign_proxy_query(signed, API_SECRET)
    # ... re-split: the same concatenation, now saying customer 7002, with 7001 swallowed by `m`.
    resplit = [
        ("a", "Z"),
        ("logged_in_customer_id", str(OTHER_CUSTOMER)),
        ("m", f"logged_in_customer_id={CUSTOMER}path_prefix=/apps/self-service"),
        ("shop", SHOP),
        ("timestamp", signed[-1][1]),
        ("signature", signature),
    ]
    assert sign_proxy_query(resplit, API_SECRET) == signature, "the re-split query carries a valid signature"
    for query in (urlencode(signed + [("signature", signature)]), urlencode(resplit)):
        answer = client.get(f"/proxy/orders/5001?{query}", headers=JSON)
        assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid_parameter"


@pytest.mark.parametrize(
    "extra",
    [
        [("utm_source", "mail")],
        [("locale", "en=1")],
        [("locale", "en&x")],
        [("locale", "<script>")],
        [("locale", "")],
        [("locale", "en"), ("locale", "fi")],
        [("shop%3D", "x")],
    ],
    ids=[
        "unknown-name",
        "equals-in-value",
        "ampersand-in-value",
        "not-a-tag",
        "empty-locale",
        "dup-locale",
        "odd-name",
    ],
)
def test_only_known_parameters_with_plain_values_are_accepted(client, shop, extra):
    answer = get(client, "/proxy/orders/5001", extra=extra)
    assert answer.status_code in (400, 401)
    assert answer.get_json()["error"]["code"] in ("invalid_parameter", "invalid_signature")


@pytest.mark.parametrize(
    "prefix", ["//evil.example", "//evil.example/apps", "/apps//x", "apps/x", "/apps/x.y", "/a/b/c"]
)
def test_a_signed_path_prefix_must_be_a_proxy_path_with_one_leading_slash(client, shop, prefix):
    answer = get(client, "/proxy/orders/5001", headers={"Accept": "text/html"}, path_prefix=prefix)
    assert answer.status_code == 400
    assert "evil.example" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("locale", ["en", "pt-BR", "zh-TW", "fi"])
def test_shopify_locales_are_accepted(client, shop, locale):
    assert get(client, "/proxy/orders/5001", extra=[("locale", locale)]).status_code == 200


# -- policy: labels per language, no time limit, review above a total, automatic review ------------------


def test_reason_labels_follow_the_shoppers_language(client, shop, app):
    from storefront_proxy.i18n import Translator
    from storefront_proxy.policy.model import Reason

    reasons = [
        Reason(code="changed_mind", label="I changed my mind", labels={"nl": "Toch maar niet"}),
        Reason(code="ordered_by_mistake", label="I ordered by mistake"),
        Reason(code="too_pricey", label="Too expensive", labels={"de": "Zu teuer"}),
    ]
    services_of(app).store.policies.save(SHOP, Policy(reasons=reasons))

    def labels(locale: str) -> list[str]:
        return [r["label"] for r in get(client, "/proxy/orders/5001", extra=[("locale", locale)]).get_json()["reasons"]]

    # The merchant's label for the language, else the app's translation of a built-in reason, else `label`.
    assert labels("nl") == ["Toch maar niet", Translator("nl")("reason.ordered_by_mistake"), "Too expensive"]
    assert labels("de") == [
        Translator("de")("reason.changed_mind"),
        Translator("de")("reason.ordered_by_mistake"),
        "Zu teuer",
    ]
    assert labels("en") == ["I changed my mind", "I ordered by mistake", "Too expensive"]
    page = get(client, "/proxy/orders/5001", headers={"Accept": "text/html"}, extra=[("locale", "nl")])
    assert "Toch maar niet" in page.get_data(as_text=True)


def test_until_fulfillment_has_a_null_deadline_and_no_countdown(client, shop, app):
    from storefront_proxy.i18n import Translator

    services_of(app).store.policies.save(SHOP, Policy(window_mode="until_fulfillment"))
    body = get(client, "/proxy/orders/5003").get_json()  # three hours old: past any 60-minute window
    assert body["eligible"] is True and body["cancel_deadline"] is None
    assert all(o["cancel_deadline"] is None for o in get(client, "/proxy/orders").get_json()["orders"])
    page = get(client, "/proxy/orders/5003", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "data-time-left" not in page and "data-deadline" not in page
    assert Translator("en")("page.can_cancel_until_shipping") in page
    listing = get(client, "/proxy/orders", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert Translator("en")("page.can_cancel_until_shipping") in listing
    # The default window still shows its deadline and countdown.
    services_of(app).store.policies.save(SHOP, Policy())
    page = get(client, "/proxy/orders/5001", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "data-time-left" in page and "data-deadline" in page


@pytest.mark.parametrize(("threshold", "status"), [("42.49", "pending_review"), ("42.50", "queued")])
def test_review_above_a_total_holds_only_larger_orders(client, shop, app, redis_conn, threshold, status):
    policy = Policy(review_mode=ReviewMode.MANUAL_ABOVE_TOTAL, review_threshold=threshold)  # the order is 42.50
    services_of(app).store.policies.save(SHOP, policy)
    response = post(client, "/proxy/orders/5001/cancellation", {"reason": "changed_mind", "csrf_token": csrf(client)})
    assert response.status_code == 202 and response.get_json()["request"]["status"] == status
    assert len(queued_job_ids(redis_conn)) == (1 if status == "queued" else 0)


def test_pending_request_schedules_its_automatic_review_once(client, shop, app, redis_conn):
    from datetime import UTC, datetime

    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    from storefront_proxy.cancellations.enqueue import auto_review_job_id

    services_of(app).store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL, auto_review_after_hours=6))
    body = {"reason": "changed_mind", "csrf_token": csrf(client)}
    request_id = post(client, "/proxy/orders/5001/cancellation", body).get_json()["request"]["id"]
    assert post(client, "/proxy/orders/5001/cancellation", body).status_code == 200  # a repeat schedules nothing

    registry = ScheduledJobRegistry(QUEUE_NAME, connection=redis_conn)
    assert registry.get_job_ids() == [auto_review_job_id(request_id)]
    job = Job.fetch(auto_review_job_id(request_id), connection=redis_conn)
    assert job.func_name == "workers.review.auto_review" and job.args == (request_id,)
    due = registry.get_scheduled_time(job)
    expected = datetime.now(UTC) + timedelta(hours=6)
    assert abs((due - expected).total_seconds()) < 30
    assert queued_job_ids(redis_conn) == []


def test_no_automatic_review_is_scheduled_without_the_setting_or_for_queued_requests(client, shop, app, redis_conn):
    from rq.registry import ScheduledJobRegistry

    services_of(app).store.policies.save(SHOP, Policy(auto_review_after_hours=6))  # automatic: nothing to review
    post(client, "/proxy/orders/5001/cancellation", {"reason": "changed_mind", "csrf_token": csrf(client)})
    assert ScheduledJobRegistry(QUEUE_NAME, connection=redis_conn).get_job_ids() == []


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/proxy/orders/5001", {"GET", "HEAD", "OPTIONS"}),
        ("PUT", "/proxy/orders/5001/cancellation", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("GET", "/webhooks", {"POST", "OPTIONS"}),
        ("PATCH", "/admin/api/policy", {"GET", "HEAD", "OPTIONS", "PUT"}),
    ],
)
def test_405_answers_say_which_methods_are_allowed(client, method, path, allowed):
    answer = client.open(path, method=method, headers=JSON)
    assert answer.status_code == 405 and answer.get_json()["error"]["code"] == "method_not_allowed"
    assert {m.strip() for m in answer.headers["Allow"].split(",")} == allowed


# -- what the shopper is told of their money and of review ---------------------------------------------


def test_the_order_says_what_happens_to_the_money_in_the_shoppers_language(client, shop):
    body = get(client, "/proxy/orders/5001").get_json()
    total = body["total"]
    assert re.fullmatch(r"\d+\.\d\d [A-Z]{3}", total) and body["created_at"].endswith("Z"), body
    # Apart too, for a client to write in the shopper's format ("€ 42,50" in Dutch).
    assert body["total_money"] == {"amount": total.split()[0], "currency_code": total.split()[1]}
    assert body["refund"] == {
        "method": "original_payment",
        "message": f"The {total} you paid goes back to the way you paid. "
        "Shopify e-mails you once the order is cancelled.",
        "customer_notified": True,
    }
    assert body["goes_to_review"] is False
    dutch = get(client, "/proxy/orders/5001", extra=[("locale", "nl")]).get_json()
    assert dutch["refund"]["message"].startswith(f"Het betaalde bedrag van {total} gaat terug")


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (Policy(refund_method="store_credit", notify_customer=False), "comes back as store credit with the shop."),
        (Policy(refund_method="none"), "Cancelling doesn't refund your payment by itself"),
    ],
)
def test_the_refund_sentence_follows_the_policy(client, shop, app, policy, expected):
    services_of(app).store.policies.save(SHOP, policy)
    refund = get(client, "/proxy/orders/5001").get_json()["refund"]
    assert refund["method"] == policy.refund_method.value and expected in refund["message"]
    assert ("Shopify e-mails you" in refund["message"]) is policy.notify_customer


def test_the_confirm_step_says_a_reviewed_request_goes_to_the_shop(client, shop, app):
    services_of(app).store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL))
    assert get(client, "/proxy/orders/5001").get_json()["goes_to_review"] is True
    page = get(client, "/proxy/orders/5001", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "goes to the shop for review" in page and "will be cancelled" not in page
    assert "data-confirm-refund" in page
    plain = client.post(
        f"/proxy/orders/5001/cancellation?{signed_query()}",
        data={"reason": "changed_mind", "csrf_token": csrf(client), "step": "review"},
        headers={"Accept": "text/html"},
    ).get_data(as_text=True)
    assert "goes to the shop for review" in plain and "goes back to the way you paid" in plain


def test_the_orders_list_shows_each_orders_date_and_total(client, shop):
    page = get(client, "/proxy/orders", headers={"Accept": "text/html"}, extra=[("locale", "nl")])
    text = page.get_data(as_text=True)
    assert "Besteld op " in text


def test_an_order_that_cant_be_cancelled_offers_the_shops_contact_page(client, shop, app):
    body = get(client, "/proxy/orders/5002").get_json()
    assert body["eligible"] is False and body["contact_url"] == "/pages/contact"
    page = get(client, "/proxy/orders/5002", headers={"Accept": "text/html"}, extra=[("locale", "nl")])
    assert '<a href="/pages/contact">Neem contact op met de winkel</a>' in page.get_data(as_text=True)
    services_of(app).store.policies.save(SHOP, Policy(contact_url="https://help.example/contact"))
    page = get(client, "/proxy/orders/5002", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="https://help.example/contact"' in page
    services_of(app).store.policies.save(SHOP, Policy(contact_url=None))
    cleared = get(client, "/proxy/orders/5002", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<p data-contact" not in cleared and 'data-contact-url=""' in cleared
    eligible = get(client, "/proxy/orders/5001", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<p data-contact" not in eligible


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/x", "mailto:shop@example.com", "/a b"])
def test_the_contact_link_must_be_a_web_address_or_a_shop_path(url):
    with pytest.raises(ValueError):
        Policy(contact_url=url)
