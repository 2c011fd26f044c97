"""The Admin API client over HTTP (`responses`): throttling, server errors, auth, and what it sends."""

from __future__ import annotations

import json

import pytest
import requests
import responses
from responses.registries import OrderedRegistry

from storefront_proxy.shopify.client import ShopifyClient, admin_endpoint, throttle_wait
from storefront_proxy.shopify.errors import (
    ShopifyAuthError,
    ShopifyQueryError,
    ShopifyThrottledError,
    ShopifyTokenRefusedError,
    ShopifyTransientError,
)
from tests.helpers import ADMIN_URL, TOKEN, admin_order, throttle_status

THROTTLED = {
    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
    "extensions": {
        "cost": {
            "requestedQueryCost": 120,
            "actualQueryCost": None,
            "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 20.0, "restoreRate": 50.0},
        }
    },
}


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(sleeps):
    return ShopifyClient(
        "teashop.myshopify.com", TOKEN, api_version="2026-10", admin_origin="https://admin.test", sleep=sleeps.append
    )


def order_body(order_id=5001):
    return {"data": {"order": admin_order(order_id)}, "extensions": throttle_status()}


def test_endpoint_is_the_shops_own_unless_an_origin_is_configured():
    assert admin_endpoint("a.myshopify.com", "2026-10") == "https://a.myshopify.com/admin/api/2026-10/graphql.json"
    assert admin_endpoint("a.myshopify.com", "2026-10", "http://127.0.0.1:8001/") == (
        "http://127.0.0.1:8001/admin/api/2026-10/graphql.json"
    )


@responses.activate(registry=OrderedRegistry)
def test_throttled_then_ok_waits_what_the_bucket_needs(client, sleeps):
    responses.post(ADMIN_URL, json=THROTTLED)
    responses.post(ADMIN_URL, json=order_body())
    order = client.get_order(5001)
    assert order is not None and order.legacy_resource_id == 5001
    # (120 requested - 20 available) / 50 per second
    assert sleeps == [2.0]
    sent = json.loads(responses.calls[0].request.body)
    assert "query GetOrderForCancellation" in sent["query"]
    assert sent["variables"] == {"id": "gid://shopify/Order/5001"}
    assert responses.calls[0].request.headers["X-Shopify-Access-Token"] == TOKEN


@responses.activate(registry=OrderedRegistry)
def test_server_errors_then_ok_back_off(client, sleeps):
    responses.post(ADMIN_URL, status=502)
    responses.post(ADMIN_URL, status=503, body="Service Unavailable")
    responses.post(ADMIN_URL, json=order_body())
    assert client.get_order(5001) is not None
    assert sleeps == [0.5, 1.0]


@responses.activate(registry=OrderedRegistry)
def test_http_429_counts_as_throttling(client, sleeps):
    responses.post(ADMIN_URL, status=429, body="Too Many Requests")
    responses.post(ADMIN_URL, json=order_body())
    assert client.get_order(5001) is not None
    assert sleeps == [1.0]


@responses.activate
def test_transient_failures_give_up_after_the_attempts(client, sleeps):
    responses.post(ADMIN_URL, body=requests.ConnectionError("connection refused"))
    with pytest.raises(ShopifyTransientError):
        client.get_order(5001)
    assert len(responses.calls) == 3


@responses.activate
def test_throttled_past_all_attempts_raises_throttled(client):
    responses.post(ADMIN_URL, json=THROTTLED)
    with pytest.raises(ShopifyThrottledError) as raised:
        client.get_order(5001)
    assert raised.value.retry_after == 2.0


@responses.activate
def test_invalid_token_is_an_auth_error_and_not_retried(client):
    responses.post(
        ADMIN_URL,
        status=401,
        json={"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
    )
    with pytest.raises(ShopifyAuthError):
        client.get_order(5001)
    assert len(responses.calls) == 1


def renewing_client(renew) -> ShopifyClient:
    return ShopifyClient(
        "teashop.myshopify.com", TOKEN, api_version="2026-10", admin_origin="https://admin.test", renew_token=renew
    )


INVALID_TOKEN = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


@responses.activate(registry=OrderedRegistry)
def test_a_refused_token_is_renewed_once_and_the_call_sent_again_even_a_mutation():
    renewals = []

    def renew(refused):
        renewals.append(refused)
        return "shpat_renewed"

    client = renewing_client(renew)
    responses.post(ADMIN_URL, status=401, json=INVALID_TOKEN)
    cancelled = {"orderCancel": {"job": {"id": "gid://shopify/Job/1", "done": False}, "orderCancelUserErrors": []}}
    responses.post(ADMIN_URL, json={"data": cancelled})
    responses.post(ADMIN_URL, json=order_body())
    result = client.cancel_order(5001, refund_method=None, restock=True, notify_customer=True, staff_note="x")
    assert result.job is not None and renewals == [TOKEN]
    sent = [call.request.headers["X-Shopify-Access-Token"] for call in responses.calls]
    assert sent == [TOKEN, "shpat_renewed"]
    # The client keeps the new token for its next calls.
    assert client.get_order(5001) is not None
    assert responses.calls[-1].request.headers["X-Shopify-Access-Token"] == "shpat_renewed"


@responses.activate
@pytest.mark.parametrize("renewed", [None, TOKEN, "shpat_also_refused"], ids=["none", "same", "refused-again"])
def test_a_refused_token_without_a_working_renewal_is_an_auth_error(renewed):
    renewals = []
    client = renewing_client(lambda refused: renewals.append(refused) or renewed)
    responses.post(ADMIN_URL, status=401, json=INVALID_TOKEN)
    with pytest.raises(ShopifyTokenRefusedError):
        client.get_order(5001)
    # One renewal at most: a token refused again is not renewed in a loop.
    assert renewals == [TOKEN]
    assert len(responses.calls) == (2 if renewed == "shpat_also_refused" else 1)


@responses.activate
@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, {"body": "Forbidden"}),
        (403, {"json": {"errors": "[API] This action requires merchant approval for read_orders scope."}}),
        (402, {"json": {"errors": "Unavailable Shop"}}),
        (423, {"json": {"errors": "Locked"}}),
    ],
    ids=["403-text", "403-scope", "402-frozen", "423-locked"],
)
def test_refusals_that_are_not_about_the_token_ask_for_no_renewal(status, body):
    renewals = []
    client = renewing_client(renewals.append)
    responses.post(ADMIN_URL, status=status, **body)
    with pytest.raises(ShopifyAuthError) as raised:
        client.get_order(5001)
    assert not isinstance(raised.value, ShopifyTokenRefusedError) and renewals == []


@responses.activate
def test_graphql_validation_errors_are_query_errors(client):
    responses.post(
        ADMIN_URL, json={"errors": [{"message": "Field 'x' doesn't exist", "extensions": {"code": "undefinedField"}}]}
    )
    with pytest.raises(ShopifyQueryError):
        client.get_order(5001)


@responses.activate
def test_cancel_is_sent_once_even_when_the_answer_is_lost(client):
    responses.post(ADMIN_URL, status=502)
    with pytest.raises(ShopifyTransientError):
        client.cancel_order(5001, refund_method=None, restock=True, notify_customer=True, staff_note="n")
    assert len(responses.calls) == 1


@responses.activate
def test_cancel_sends_the_policy_and_reads_job_and_user_errors(client):
    responses.post(
        ADMIN_URL,
        json={
            "data": {
                "orderCancel": {
                    "job": {"id": "gid://shopify/Job/1", "done": False},
                    "orderCancelUserErrors": [],
                }
            }
        },
    )
    result = client.cancel_order(
        5001,
        refund_method={"originalPaymentMethodsRefund": True},
        restock=False,
        notify_customer=True,
        staff_note="x" * 300,
    )
    assert result.job is not None and result.job.id == "gid://shopify/Job/1" and not result.user_errors
    variables = json.loads(responses.calls[0].request.body)["variables"]
    assert variables["reason"] == "CUSTOMER" and variables["restock"] is False
    assert variables["refundMethod"] == {"originalPaymentMethodsRefund": True}
    assert len(variables["staffNote"]) == 255


def test_throttle_wait_without_cost_data_is_one_second():
    assert throttle_wait({}) == 1.0
    assert (
        throttle_wait(
            {"cost": {"requestedQueryCost": 10, "throttleStatus": {"currentlyAvailable": 50, "restoreRate": 50}}}
        )
        == 0.5
    )


@responses.activate(registry=OrderedRegistry)
def test_a_throttled_cancel_is_retried_because_shopify_never_ran_it(client, sleeps):
    responses.post(ADMIN_URL, json=THROTTLED)
    responses.post(
        ADMIN_URL,
        json={
            "data": {"orderCancel": {"job": {"id": "gid://shopify/Job/2", "done": True}, "orderCancelUserErrors": []}}
        },
    )
    result = client.cancel_order(5001, refund_method=None, restock=True, notify_customer=True, staff_note="n")
    assert result.job is not None and result.job.done
    assert sleeps == [2.0]


def test_a_caller_that_cannot_wait_hears_about_throttling_at_once(sleeps):
    impatient = ShopifyClient(
        "teashop.myshopify.com",
        TOKEN,
        api_version="2026-10",
        admin_origin="https://admin.test",
        max_throttle_wait=1.0,
        sleep=sleeps.append,
    )
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, ADMIN_URL, json=THROTTLED)
        with pytest.raises(ShopifyThrottledError):
            impatient.get_order(5001)
    assert sleeps == []


def test_web_clients_are_reused_per_thread_and_renewed_with_the_token():
    import threading

    from storefront_proxy.tokens.clients import ThreadClientCache

    cache = ThreadClientCache(per_thread=2)
    made: list[str] = []

    def make(name: str):
        def build():
            made.append(name)
            return ShopifyClient("a.myshopify.com", name, api_version="2026-10")

        return build

    first = cache.get(("a", "t1"), make("t1"))
    assert cache.get(("a", "t1"), make("t1")) is first
    assert cache.get(("a", "t2"), make("t2")) is not first  # a rotated token gets its own client
    other_thread: list[ShopifyClient] = []
    thread = threading.Thread(target=lambda: other_thread.append(cache.get(("a", "t1"), make("t1"))))
    thread.start()
    thread.join()
    assert other_thread[0] is not first
    cache.get(("b", "t3"), make("t3"))  # a third key closes the least recently used
    assert made == ["t1", "t2", "t1", "t3"]


# What Shopify answers with each HTTP error status: a JSON body with a string `errors`, which gql hands back as
# a GraphQL result (https://shopify.dev/docs/api/usage/response-codes).
RATE_LIMITED = {
    "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
}
SHOPIFY_ERROR_ANSWERS = [
    (429, RATE_LIMITED, {"Retry-After": "2.0"}, ShopifyThrottledError),
    (500, {"errors": "Internal Server Error"}, {}, ShopifyTransientError),
    (502, {"errors": "Bad Gateway"}, {}, ShopifyTransientError),
    (503, {"errors": "Service Unavailable"}, {}, ShopifyTransientError),
    (504, {"errors": "Gateway Timeout"}, {}, ShopifyTransientError),
    (401, INVALID_TOKEN, {}, ShopifyTokenRefusedError),
    (402, {"errors": "Unavailable Shop"}, {}, ShopifyAuthError),
    (403, {"errors": "[API] This action requires merchant approval for write_orders scope."}, {}, ShopifyAuthError),
    (423, {"errors": "Shop is locked"}, {}, ShopifyAuthError),
    (404, {"errors": "Not Found"}, {}, ShopifyQueryError),
]
IDS = [str(status) for status, *_ in SHOPIFY_ERROR_ANSWERS]


@responses.activate
@pytest.mark.parametrize(("status", "body", "headers", "error"), SHOPIFY_ERROR_ANSWERS, ids=IDS)
def test_http_errors_with_a_json_body_are_sorted_by_status_for_a_query(client, sleeps, status, body, headers, error):
    responses.post(ADMIN_URL, status=status, json=body, headers=headers)
    with pytest.raises(error) as raised:
        client.get_order(5001)
    assert type(raised.value) is error
    retried = issubclass(error, ShopifyTransientError)
    assert len(responses.calls) == (client.max_attempts if retried else 1)
    if error is ShopifyThrottledError:
        assert raised.value.retry_after == 2.0 and sleeps == [2.0, 2.0]


@responses.activate
@pytest.mark.parametrize(("status", "body", "headers", "error"), SHOPIFY_ERROR_ANSWERS, ids=IDS)
def test_http_errors_with_a_json_body_are_sorted_by_status_for_a_mutation(client, status, body, headers, error):
    responses.post(ADMIN_URL, status=status, json=body, headers=headers)
    with pytest.raises(error) as raised:
        client.cancel_order(5001, refund_method=None, restock=True, notify_customer=True, staff_note="n")
    assert type(raised.value) is error
    # Only a throttled mutation is sent again at once: Shopify refuses those before running anything.
    assert len(responses.calls) == (client.max_attempts if error is ShopifyThrottledError else 1)


@responses.activate(registry=OrderedRegistry)
def test_a_429_with_a_json_body_is_waited_out_and_the_call_succeeds(client, sleeps):
    responses.post(ADMIN_URL, status=429, json=RATE_LIMITED, headers={"Retry-After": "1.5"})
    responses.post(ADMIN_URL, status=500, json={"errors": "Internal Server Error"})
    responses.post(ADMIN_URL, json=order_body())
    assert client.get_order(5001) is not None
    assert sleeps == [1.5, 1.0]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, 1.0), ("2", 2.0), ("0", 0.5), ("nan", 1.0), ("Wed, 21 Oct 2026 07:28:00 GMT", 1.0), ("3600", 20.0)],
)
def test_retry_after_is_read_as_bounded_seconds(header, seconds):
    from storefront_proxy.shopify.client import retry_after_seconds

    assert retry_after_seconds(header) == seconds


@responses.activate
def test_each_document_is_printed_once_and_sent_as_gql_would_print_it(client, monkeypatch):
    import gql.graphql_request
    from graphql import print_ast

    from storefront_proxy.shopify.client import DOCUMENTS

    def no_printing(*args, **kwargs):
        raise AssertionError("a document was printed again for a call")

    monkeypatch.setattr(gql.graphql_request, "print_ast", no_printing)
    responses.post(ADMIN_URL, json=order_body())
    responses.post(ADMIN_URL, json=order_body())
    client.get_order(5001)
    client.get_order(5001)
    sent = [json.loads(call.request.body) for call in responses.calls]
    assert sent[0]["query"] == sent[1]["query"] == print_ast(DOCUMENTS["get_order"].document)
    assert sent[0]["variables"] == {"id": "gid://shopify/Order/5001"}


@responses.activate
def test_the_environment_does_not_reroute_or_authenticate_calls_to_shopify(client, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NETRC", "/nonexistent")
    responses.post(ADMIN_URL, json=order_body())
    assert client.get_order(5001) is not None
    assert client._transport.session.trust_env is False
