"""Tests of the devshop itself: signing, the Admin GraphQL endpoint, jobs, throttling, faults, the app proxy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from flask import Flask
from flask.testing import FlaskClient

from devshop.app import create_devshop
from devshop.schema import load_admin_schema
from devshop.signing import sign_proxy_query
from devshop.state import DevshopState
from tests.devshop.helpers import (
    ADD_TAGS,
    APP_URL,
    CANCEL_ORDER,
    ENDPOINT,
    GET_JOB,
    GET_ORDER,
    GET_ORDER_WITH_PRODUCT_TAGS,
    HEADERS,
    LIST_ORDERS,
    SECRET,
    TOKEN,
    Clock,
    cancel,
    gql,
)


@pytest.fixture(scope="module", autouse=True)
def _schema() -> None:
    """Build the 4-second schema once for the module (it is cached per process)."""
    load_admin_schema()


@pytest.fixture
def app(clock: Clock) -> Flask:
    app = create_devshop(app_url=APP_URL, api_secret=SECRET, clock=clock, cancel_job_seconds=1.0)
    app.config["TESTING"] = True
    return app


# -- signing ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        ("1", "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"),
        ("", "e072b6d7e6622d85912a5214b860d3100dc1e73d9bc29f43796ac8c9ff8093cb"),
    ],
)
def test_sign_proxy_query_matches_shopify_vectors(customer: str, expected: str) -> None:
    query = (
        f"extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id={customer}"
        "&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555"
    )
    assert sign_proxy_query(parse_qsl(query, keep_blank_values=True), "hush") == expected


def test_sign_proxy_query_ignores_an_existing_signature() -> None:
    params = [("shop", "a.myshopify.com"), ("timestamp", "1")]
    assert sign_proxy_query([*params, ("signature", "x")], "k") == sign_proxy_query(params, "k")


# -- auth, parsing, validation ----------------------------------------------------------------------------------


def test_wrong_token_is_401(client: FlaskClient) -> None:
    status, body = gql(client, GET_JOB, {"id": "gid://shopify/Job/1"}, token="shpat_wrong")
    assert status == 401
    assert body == {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


def test_invalid_json_body_is_400(client: FlaskClient) -> None:
    response = client.post(ENDPOINT, data="{nope", headers={"X-Shopify-Access-Token": TOKEN})
    assert response.status_code == 400
    assert response.get_json() == {"errors": {"query": "Required parameter missing or invalid"}}


def test_unknown_field_is_a_graphql_validation_error(client: FlaskClient, state: DevshopState) -> None:
    status, body = gql(client, 'query Bad { order(id: "gid://shopify/Order/5001") { id cancelledOn } }')
    assert status == 200
    assert "data" not in body
    [error] = body["errors"]
    assert "cancelledOn" in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["locations"]
    assert state.calls[-1].operation_name == "Bad"


def test_syntax_error_is_a_graphql_error(client: FlaskClient) -> None:
    status, body = gql(client, "query { order(id: ")
    assert status == 200
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


# -- the app's four operations ----------------------------------------------------------------------------------


def test_get_order_returns_every_fragment_field(client: FlaskClient, clock: Clock) -> None:
    status, body = gql(client, GET_ORDER, {"id": "gid://shopify/Order/5001"})
    assert status == 200
    assert "errors" not in body
    order = body["data"]["order"]
    assert order == {
        "id": "gid://shopify/Order/5001",
        "legacyResourceId": "5001",
        "name": "#1001",
        "email": "ada@example.com",
        "createdAt": "2027-01-15T07:55:00Z",  # START - 5 min
        # Seeded orders are touched when the shop is set up (START).
        "updatedAt": "2027-01-15T08:00:00Z",
        "cancelledAt": None,
        "cancelReason": None,
        "closed": False,
        "test": False,
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "merchantEditable": True,
        "presentmentCurrencyCode": "EUR",
        "customer": {"id": "gid://shopify/Customer/1001"},
        "tags": [],
        "totalPriceSet": {"shopMoney": {"amount": "118.00", "currencyCode": "EUR"}},
        "fulfillments": [],
        "lineItems": {
            "nodes": [
                {
                    "quantity": 1,
                    "id": "gid://shopify/LineItem/9001",
                    "name": "Merino Wool Scarf",
                    "title": "Merino Wool Scarf",
                    "variantTitle": None,
                    "currentQuantity": 1,
                    "unfulfilledQuantity": 1,
                    "discountedUnitPriceAfterAllDiscountsSet": {
                        "shopMoney": {"amount": "49.00", "currencyCode": "EUR"}
                    },
                    # A line item created from a title is its own one-variant product, numbered like it.
                    "variant": {
                        "id": "gid://shopify/ProductVariant/9001",
                        "product": {"id": "gid://shopify/Product/9001"},
                    },
                },
                {
                    "quantity": 2,
                    "id": "gid://shopify/LineItem/9002",
                    "name": "Ceramic Pour-Over Set",
                    "title": "Ceramic Pour-Over Set",
                    "variantTitle": None,
                    "currentQuantity": 2,
                    "unfulfilledQuantity": 2,
                    "discountedUnitPriceAfterAllDiscountsSet": {
                        "shopMoney": {"amount": "34.50", "currencyCode": "EUR"}
                    },
                    "variant": {
                        "id": "gid://shopify/ProductVariant/9002",
                        "product": {"id": "gid://shopify/Product/9002"},
                    },
                },
            ],
            "pageInfo": {"hasNextPage": False},
        },
        "shippingAddress": {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "company": None,
            "address1": "Keizersgracht 123",
            "address2": None,
            "city": "Amsterdam",
            "provinceCode": None,
            "zip": "1015 CJ",
            "countryCodeV2": "NL",
            "phone": "+31 20 123 4567",
        },
    }
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == cost["actualQueryCost"] > 0
    assert cost["throttleStatus"]["currentlyAvailable"] == 1000 - cost["requestedQueryCost"]


def test_get_order_unknown_id_is_null(client: FlaskClient) -> None:
    _, body = gql(client, GET_ORDER, {"id": "gid://shopify/Order/1"})
    assert body["data"] == {"order": None}


def test_seeded_edge_cases(client: FlaskClient) -> None:
    _, fulfilled = gql(client, GET_ORDER, {"id": "gid://shopify/Order/5004"})
    assert fulfilled["data"]["order"]["displayFulfillmentStatus"] == "FULFILLED"
    assert fulfilled["data"]["order"]["fulfillments"][0]["status"] == "SUCCESS"
    _, cancelled = gql(client, GET_ORDER, {"id": "gid://shopify/Order/5005"})
    assert cancelled["data"]["order"]["cancelReason"] == "CUSTOMER"
    assert cancelled["data"]["order"]["displayFinancialStatus"] == "VOIDED"
    _, wholesale = gql(client, GET_ORDER, {"id": "gid://shopify/Order/5006"})
    assert wholesale["data"]["order"]["tags"] == ["wholesale"]


def test_list_customer_orders_filters_and_sorts_newest_first(client: FlaskClient, clock: Clock) -> None:
    status, body = gql(client, LIST_ORDERS, {"first": 10, "query": "customer_id:1001"})
    assert status == 200 and "errors" not in body
    names = [order["name"] for order in body["data"]["orders"]["nodes"]]
    assert names == ["#1001", "#1008", "#1006", "#1009", "#1002", "#1004", "#1005", "#1003"]
    clock.now += 20  # ten orders with their line items' products cost over half the bucket: let it refill
    _, grace = gql(client, LIST_ORDERS, {"first": 10, "query": "customer_id:1002"})
    assert [o["name"] for o in grace["data"]["orders"]["nodes"]] == ["#1007"]
    clock.now += 20
    _, alan = gql(client, LIST_ORDERS, {"first": 10, "query": "customer_id:1003"})
    assert alan["data"]["orders"]["nodes"] == []


def test_orders_edges_and_page_info(client: FlaskClient) -> None:
    query = """query Page($after: String) {
      orders(first: 2, after: $after, query: "customer_id:1001", sortKey: CREATED_AT) {
        edges { cursor node { name } } pageInfo { hasNextPage endCursor }
      }
    }"""
    _, first = gql(client, query)
    page = first["data"]["orders"]
    assert [edge["node"]["name"] for edge in page["edges"]] == ["#1003", "#1005"]
    assert page["pageInfo"]["hasNextPage"] is True
    _, second = gql(client, query, {"after": page["pageInfo"]["endCursor"]})
    assert [edge["node"]["name"] for edge in second["data"]["orders"]["edges"]] == ["#1004", "#1002"]


def test_unmodelled_non_null_fields_resolve_type_correctly(client: FlaskClient) -> None:
    query = """query Extra { order(id: "gid://shopify/Order/5001") {
      email processedAt closedAt customer { email displayName }
      lineItems(first: 5) { nodes { id title currentQuantity unfulfilledQuantity } }
      riskLevel disputes { id } currentTotalWeight shippingLines(first: 1) { nodes { title } }
    } }"""
    status, body = gql(client, query)
    assert status == 200 and "errors" not in body, body
    order = body["data"]["order"]
    assert order["customer"] == {"email": "ada@example.com", "displayName": "Ada Lovelace"}
    assert order["lineItems"]["nodes"][0] == {
        "id": "gid://shopify/LineItem/9001",
        "title": "Merino Wool Scarf",
        "currentQuantity": 1,
        "unfulfilledQuantity": 1,
    }
    assert order["disputes"] == [] and order["currentTotalWeight"] == "0"


# -- orderCancel and its job ------------------------------------------------------------------------------------


def test_cancel_job_lifecycle(client: FlaskClient, clock: Clock) -> None:
    body = cancel(
        client,
        5001,
        refundMethod={"originalPaymentMethodsRefund": True},
        notifyCustomer=True,
        staffNote="self-service",
    )
    payload = body["data"]["orderCancel"]
    assert payload["orderCancelUserErrors"] == []
    job_id = payload["job"]["id"]
    assert job_id.startswith("gid://shopify/Job/") and payload["job"]["done"] is False

    clock.now += 0.5
    _, job = gql(client, GET_JOB, {"id": job_id})
    assert job["data"]["job"] == {"id": job_id, "done": False}
    _, order = gql(client, GET_ORDER, {"id": "gid://shopify/Order/5001"})
    assert order["data"]["order"]["cancelledAt"] is None

    clock.now += 0.5
    _, job = gql(client, GET_JOB, {"id": job_id})
    assert job["data"]["job"]["done"] is True
    _, order = gql(client, GET_ORDER, {"id": "gid://shopify/Order/5001"})
    assert order["data"]["order"]["cancelledAt"] == "2027-01-15T08:00:01Z"
    assert order["data"]["order"]["cancelReason"] == "CUSTOMER"
    assert order["data"]["order"]["displayFinancialStatus"] == "REFUNDED"

    record = client.get("/devshop/orders/5001").get_json()["cancel"]
    assert record["restock"] is True and record["notify_customer"] is True
    assert record["staff_note"] == "self-service" and record["job_id"] == job_id


def test_cancel_voids_authorized_payment(client: FlaskClient, state: DevshopState, clock: Clock) -> None:
    cancel(client, 5002, refundMethod={"originalPaymentMethodsRefund": True})
    clock.now += 1
    order = state.get_order(5002)
    assert order is not None and order.display_financial_status == "VOIDED"


def test_job_result_and_unknown_job(client: FlaskClient, clock: Clock) -> None:
    query = """mutation C { orderCancel(orderId: "gid://shopify/Order/5001", reason: CUSTOMER, restock: false) {
      jobResult { id done status errors { code } } userErrors { message } } }"""
    _, body = gql(client, query)
    result = body["data"]["orderCancel"]
    assert result["userErrors"] == []
    assert result["jobResult"]["status"] == "STARTED" and result["jobResult"]["done"] is False
    _, unknown = gql(client, GET_JOB, {"id": "gid://shopify/Job/nope"})
    assert unknown["data"] == {"job": None}


@pytest.mark.parametrize(
    ("legacy_id", "extra", "code", "field", "message"),
    [
        (5005, {}, "INVALID", ["orderId"], "Order has already been cancelled"),
        (5004, {}, "INVALID", ["orderId"], "Cannot cancel an order that has fulfillments"),
        (1, {}, "NOT_FOUND", ["orderId"], "Order does not exist"),
        (5001, {"staffNote": "x" * 256}, "INVALID", ["staffNote"], None),
    ],
)
def test_cancel_user_errors(
    client: FlaskClient, legacy_id: int, extra: dict[str, Any], code: str, field: list[str], message: str | None
) -> None:
    payload = cancel(client, legacy_id, **extra)["data"]["orderCancel"]
    assert payload["job"] is None
    [error] = payload["orderCancelUserErrors"]
    assert (error["code"], error["field"]) == (code, field)
    if message:
        assert error["message"] == message


def test_control_api_orders(client: FlaskClient, state: DevshopState) -> None:
    response = client.post("/devshop/orders", json={"customer_id": 1002, "age_minutes": 90, "tags": ["vip"]})
    assert response.status_code == 201
    created = response.get_json()
    legacy_id = created["legacy_id"]
    assert created["customer_id"] == 1002 and created["tags"] == ["vip"] and created["name"] == "#1010"
    assert client.post(f"/devshop/orders/{legacy_id}/fulfill").get_json()["display_fulfillment_status"] == "FULFILLED"
    assert cancel(client, legacy_id)["data"]["orderCancel"]["orderCancelUserErrors"][0]["code"] == "INVALID"
    other = state.create_order()
    assert client.post(f"/devshop/orders/{other}/cancel").get_json()["cancel_reason"] == "STAFF"
    assert client.get("/devshop/orders/999").status_code == 404
    assert client.post("/devshop/orders", json={"customer_id": 4242}).status_code == 400


def test_reset_restores_seed(client: FlaskClient, state: DevshopState) -> None:
    cancel(client, 5001)
    state.add_fault("*", "http_500")
    state.create_order()
    assert client.post("/devshop/reset").status_code == 200
    assert len(state.orders) == 9 and not state.jobs and not state.faults and not state.calls
    assert not state.edit_sessions and not state.refund_keys
    assert state.get_variant(21002).inventory_quantity == 0, "the catalogue's stock is reseeded too"


# -- throttling -------------------------------------------------------------------------------------------------


def test_throttle_and_recovery(client: FlaskClient, clock: Clock) -> None:
    # get_order costs 111 points (its line items' variants and prices): a bucket of 200 holds one.
    client.post("/devshop/throttle", json={"maximum_available": 200, "restore_rate": 10, "currently_available": 5})
    status, body = gql(client, GET_ORDER, {"id": "gid://shopify/Order/5001"})
    assert status == 200
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert body["errors"][0]["message"] == "Throttled"
    cost = body["extensions"]["cost"]
    requested = cost["requestedQueryCost"]
    assert cost["actualQueryCost"] is None
    assert cost["throttleStatus"] == {"maximumAvailable": 200, "currentlyAvailable": 5, "restoreRate": 10}

    clock.now += (requested - 5) / 10 + 0.1
    _, body = gql(client, GET_ORDER, {"id": "gid://shopify/Order/5001"})
    assert body["data"]["order"]["id"] == "gid://shopify/Order/5001"
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 1  # 0.1 s x 10 points/s left over


def test_mutation_costs_ten_plus_selection(client: FlaskClient) -> None:
    cost = cancel(client, 5001)["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 12  # 10 for orderCancel + job + orderCancelUserErrors


# -- faults -----------------------------------------------------------------------------------------------------


def test_http_fault_fires_given_times_then_recovers(client: FlaskClient, state: DevshopState) -> None:
    response = client.post("/devshop/faults", json={"operation": "CancelOrder", "kind": "http_503", "times": 2})
    assert response.status_code == 201
    assert gql(client, GET_JOB, {"id": "gid://shopify/Job/x"})[0] == 200  # other operations are untouched
    for _ in range(2):
        variables = {"orderId": "gid://shopify/Order/5001", "reason": "CUSTOMER", "restock": True}
        status, text = gql(client, CANCEL_ORDER, variables)
        assert status == 503 and isinstance(text, str)
    assert cancel(client, 5001)["data"]["orderCancel"]["job"] is not None
    assert len(state.calls_for("CancelOrder")) == 3
    assert [call.fault for call in state.calls_for("CancelOrder")] == ["http_503", "http_503", None]
    order = state.get_order(5001)
    assert order is not None and order.cancelled_at is None  # the failed attempts changed nothing


@pytest.mark.parametrize(
    ("kind", "status", "errors"),
    [
        ("http_429", 429, "Exceeded 2 calls per second for api client."),
        ("http_500_json", 500, "Internal Server Error"),
        ("http_503_json", 503, "Service Unavailable"),
    ],
)
def test_json_faults_answer_like_shopify(client: FlaskClient, state: DevshopState, kind, status, errors) -> None:
    state.add_fault("GetOrderForCancellation", kind)
    response = client.post(
        ENDPOINT, json={"query": GET_ORDER, "variables": {"id": "gid://shopify/Order/5001"}}, headers=HEADERS
    )
    assert response.status_code == status and response.get_json()["errors"].startswith(errors)
    assert (response.headers.get("Retry-After") == "1.0") is (status == 429)


def test_timeout_and_reset_faults_cut_the_call_off(state: DevshopState, app: Flask) -> None:
    from werkzeug.serving import make_server

    from storefront_proxy.shopify.client import ShopifyClient
    from storefront_proxy.shopify.errors import ShopifyTransientError

    server = make_server("127.0.0.1", 0, app, threaded=True)
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = ShopifyClient(
            "devshop.myshopify.com",
            TOKEN,
            api_version="2026-10",
            admin_origin=f"http://127.0.0.1:{server.server_port}",
            timeout=0.5,
            max_attempts=1,
        )
        state.add_fault("GetOrderForCancellation", "timeout", delay=1.5)
        with pytest.raises(ShopifyTransientError, match="could not be reached"):
            client.get_order(5001)
        state.add_fault("GetOrderForCancellation", "reset")
        with pytest.raises(ShopifyTransientError, match="could not be reached"):
            client.get_order(5001)
        assert client.get_order(5001) is not None
        assert [call.fault for call in state.calls_for("GetOrderForCancellation")] == ["timeout", "reset", None]
    finally:
        server.shutdown()


def test_throttle_fault(client: FlaskClient, state: DevshopState) -> None:
    state.add_fault("GetOrderForCancellation", "throttle")
    _, body = gql(client, GET_ORDER, {"id": "gid://shopify/Order/5001"})
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 0
    assert body["extensions"]["cost"]["requestedQueryCost"] > 0
    _, body = gql(client, GET_ORDER, {"id": "gid://shopify/Order/5001"})
    assert "errors" not in body


def test_user_error_fault_leaves_order_alone(client: FlaskClient, state: DevshopState, clock: Clock) -> None:
    state.add_fault("CancelOrder", "user_error", message="Payment gateway unavailable")
    payload = cancel(client, 5001)["data"]["orderCancel"]
    assert payload["job"] is None
    assert payload["orderCancelUserErrors"] == [
        {"code": "INVALID", "field": ["orderId"], "message": "Payment gateway unavailable"}
    ]
    clock.now += 5
    order = state.get_order(5001)
    assert order is not None and order.cancelled_at is None
    assert cancel(client, 5001)["data"]["orderCancel"]["job"] is not None


def test_hang_job_fault_until_finish_jobs(client: FlaskClient, state: DevshopState, clock: Clock) -> None:
    state.add_fault(kind="hang_job")
    gql(client, GET_ORDER, {"id": "gid://shopify/Order/5001"})  # a query does not consume it
    job_id = cancel(client, 5001)["data"]["orderCancel"]["job"]["id"]
    clock.now += 3600
    assert gql(client, GET_JOB, {"id": job_id})[1]["data"]["job"]["done"] is False
    state.finish_jobs()
    assert gql(client, GET_JOB, {"id": job_id})[1]["data"]["job"]["done"] is True
    order = state.get_order(5001)
    assert order is not None and order.cancelled_at == clock.now


def test_delay_fault_then_normal_handling(client: FlaskClient, state: DevshopState) -> None:
    state.add_fault("GetJob", "delay", delay=0.01)
    status, body = gql(client, GET_JOB, {"id": "gid://shopify/Job/x"})
    assert status == 200 and body["data"] == {"job": None}
    assert not state.faults


def test_unknown_fault_kind_is_rejected(client: FlaskClient) -> None:
    assert client.post("/devshop/faults", json={"kind": "meteor"}).status_code == 400
    assert client.delete("/devshop/faults").status_code == 200


# -- app proxy --------------------------------------------------------------------------------------------------


@pytest.fixture
def upstream() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def _forwarded_params(call: Any) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(call.request.url).query, keep_blank_values=True)


def test_proxy_forwards_signed_request_as_logged_in_customer(
    client: FlaskClient, upstream: responses.RequestsMock, clock: Clock
) -> None:
    upstream.add(
        responses.POST,
        f"{APP_URL}/proxy/orders/5001/cancel",
        body="{% layout none %}<p>ok</p>",
        status=202,
        headers={"Content-Type": "application/liquid", "Set-Cookie": "s=1", "Cache-Control": "no-store"},
    )
    assert client.get("/login/1001").status_code == 302
    response = client.post(
        "/apps/self-service/orders/5001/cancel?x=1&x=2&logged_in_customer_id=1002",
        data="reason=changed",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": "t", "Cookie": "other=1"},
    )
    assert response.status_code == 202
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert response.get_data(as_text=True) == "{% layout none %}<p>ok</p>"

    [call] = upstream.calls
    params = _forwarded_params(call)
    keys = [key for key, _ in params]
    assert keys == ["x", "x", "shop", "logged_in_customer_id", "path_prefix", "timestamp", "signature"]
    values = dict(params)
    assert values["logged_in_customer_id"] == "1001"  # the visitor's own value was dropped
    assert values["shop"] == "devshop.myshopify.com"
    assert values["path_prefix"] == "/apps/self-service"
    assert values["timestamp"] == str(int(clock.now))
    assert values["signature"] == sign_proxy_query(params, SECRET)
    request = call.request
    assert request.body in (b"reason=changed", "reason=changed")
    assert "Cookie" not in request.headers
    assert request.headers["X-CSRF-Token"] == "t"
    assert request.headers["X-Forwarded-Host"] == "localhost"
    assert request.headers["X-Forwarded-For"] == "127.0.0.1"


def test_proxy_anonymous_and_redirects_not_followed(client: FlaskClient, upstream: responses.RequestsMock) -> None:
    upstream.add(responses.GET, f"{APP_URL}/proxy", status=302, headers={"Location": "/apps/self-service/orders"})
    response = client.get("/apps/self-service")
    assert response.status_code == 302
    assert response.headers["Location"] == "/apps/self-service/orders"
    params = _forwarded_params(upstream.calls[0])
    assert ("logged_in_customer_id", "") in params
    assert dict(params)["signature"] == sign_proxy_query(params, SECRET)


def test_proxy_app_down_is_502(client: FlaskClient, upstream: responses.RequestsMock) -> None:
    upstream.add(responses.GET, f"{APP_URL}/proxy/orders", body=requests.ConnectionError("refused"))
    response = client.get("/apps/self-service/orders")
    assert response.status_code == 502
    assert "did not answer" in response.get_data(as_text=True)


# -- home page --------------------------------------------------------------------------------------------------


def test_home_page_shows_logged_in_customer_orders(client: FlaskClient) -> None:
    anonymous = client.get("/").get_data(as_text=True)
    assert "Devshop — a stand-in Shopify store" in anonymous and "Not logged in" in anonymous
    client.get("/login/1001")
    page = client.get("/").get_data(as_text=True)
    assert "Logged in as <strong>Ada Lovelace</strong>" in page
    assert 'href="/apps/self-service/orders/5001"' in page and "#1007" not in page
    assert 'href="/apps/self-service/orders"' in page
    client.get("/logout")
    assert "Not logged in" in client.get("/").get_data(as_text=True)
    assert client.get("/login/999").status_code == 404


def test_proxy_signature_passes_shopifys_own_verifier(upstream: responses.RequestsMock) -> None:
    shopify_app = pytest.importorskip("shopify_app")
    app = create_devshop(app_url=APP_URL, api_secret=SECRET)  # real clock: the verifier allows 90 s of skew
    upstream.add(responses.GET, f"{APP_URL}/proxy/orders/", body="ok")
    client = app.test_client()
    client.get("/login/1002")
    assert client.get("/apps/self-service/orders/?page=2").status_code == 200
    request = upstream.calls[0].request
    result = shopify_app.verify_app_proxy_req(
        {"method": "GET", "headers": dict(request.headers), "url": request.url, "body": ""},
        {"client_id": "devshop", "client_secret": SECRET, "old_client_secret": None},
    )
    assert result.ok, result.log
    assert result.logged_in_customer_id == "1002"


# -- product tags on line items, tagsAdd -------------------------------------------------------------------------


def test_line_items_carry_their_products_tags(client: FlaskClient, state: DevshopState) -> None:
    created = client.post(
        "/devshop/orders",
        json={
            "line_items": [
                {"title": "Gift card", "unit_price": "50.00", "product_tags": ["gift-card"]},
                {"title": "Mug", "quantity": 2, "unit_price": "10.00"},
            ]
        },
    )
    assert created.status_code == 201
    order_gid = created.get_json()["gid"]
    _, body = gql(client, GET_ORDER_WITH_PRODUCT_TAGS, {"id": order_gid})
    line_items = body["data"]["order"]["lineItems"]
    assert [(n["name"], n["product"]["tags"]) for n in line_items["nodes"]] == [
        ("Gift card", ["gift-card"]),
        ("Mug", []),
    ]
    assert body["data"]["order"]["totalPriceSet"]["shopMoney"]["amount"] == "70.00"
    legacy_id = state.create_order(line_items=[("Tea", 1, "5.00", ["Loose leaf", "sale"])])
    assert state.get_order(legacy_id).line_items[0].product_tags == ["Loose leaf", "sale"]
    assert client.post("/devshop/orders", json={"line_items": [{"quantity": 1}]}).status_code == 400


def test_tags_add_adds_each_tag_once(client: FlaskClient, state: DevshopState) -> None:
    status, body = gql(client, ADD_TAGS, {"id": "gid://shopify/Order/5006", "tags": ["self-service", "Wholesale"]})
    assert status == 200 and "errors" not in body
    assert body["data"]["tagsAdd"] == {"node": {"id": "gid://shopify/Order/5006"}, "userErrors": []}
    gql(client, ADD_TAGS, {"id": "gid://shopify/Order/5006", "tags": ["self-service, vip"]})
    assert state.get_order(5006).tags == ["wholesale", "self-service", "vip"]
    assert body["extensions"]["cost"]["requestedQueryCost"] == 12  # 10 for tagsAdd + node + userErrors


def test_tags_add_on_an_unknown_id_is_a_user_error(client: FlaskClient) -> None:
    _, body = gql(client, ADD_TAGS, {"id": "gid://shopify/Order/1", "tags": ["x"]})
    assert body["data"]["tagsAdd"] == {"node": None, "userErrors": [{"field": ["id"], "message": "Resource not found"}]}


def test_place_a_test_order_makes_a_new_order_for_the_logged_in_customer(client: FlaskClient, state) -> None:
    assert client.post("/test-order").headers["Location"] == "/", "nobody is logged in"
    client.get("/login/1001")
    before = {order.legacy_id for order in state.list_orders()}
    placed = client.post("/test-order")
    assert placed.status_code == 303
    (new,) = [order for order in state.list_orders() if order.legacy_id not in before]
    assert placed.headers["Location"] == f"/account/orders/{new.legacy_id}"
    assert new.customer_id == 1001 and new.cancelled_at is None
    assert "Place a test order" in client.get("/").get_data(as_text=True)


def test_the_home_pages_reset_tells_the_app_to_forget_the_shop(clock: Clock) -> None:
    """The seeded orders come back with the same ids: the app must not show them with the old requests."""
    app = create_devshop(app_url=APP_URL, api_secret=SECRET, clock=clock, webhooks=True)
    sender = app.extensions["devshop_webhooks"]
    sent = []
    sender.publish = lambda topic, payload, order_id=None: sent.append((topic, payload))  # type: ignore[method-assign]
    client = app.test_client()
    assert client.post("/devshop/reset").status_code == 200
    assert sent == [], "the control API's reset (the tests') leaves the app alone"
    assert client.post("/devshop/reset?next=/").status_code == 303
    assert sent == [("shop/redact", {"shop_id": 1, "shop_domain": sender.shop_domain})]


def test_deep_links_open_a_section_of_the_embedded_admin(client: FlaskClient) -> None:
    policy = client.get("/admin/apps/self-service/policy").get_data(as_text=True)
    assert "/admin/policy?shop=" in policy and "embedded=1" in policy and "locale=en" in policy
    one = client.get("/admin/apps/self-service/requests/abc-123").get_data(as_text=True)
    assert "/admin/requests/abc-123?shop=" in one
    odd = client.get("/admin/apps/self-service/%22onload=x").get_data(as_text=True)
    assert "/admin/requests?shop=" in odd and "onload" not in odd
    assert 'href="/admin/apps/self-service/insights"' in client.get("/").get_data(as_text=True)


def test_the_admin_passes_the_staff_language_to_the_app_as_shopify_does(client: FlaskClient) -> None:
    assert "locale=nl" in client.get("/admin/apps/self-service/policy?locale=nl").get_data(as_text=True)
    # Only the languages the devshop's admin offers; anything else is English.
    unknown = client.get("/admin/apps/self-service?locale=%22x").get_data(as_text=True)
    assert "locale=en" in unknown and "%22x" not in unknown


def test_the_devshop_serves_its_app_bridge_where_shopify_serves_app_bridge(client: FlaskClient) -> None:
    answer = client.get("/shopifycloud/app-bridge.js")
    assert answer.status_code == 200 and answer.mimetype == "text/javascript"
    script = answer.get_data(as_text=True)
    for part in ("idToken", "toast", "saveBar", "ui-nav-menu", "ui-title-bar", "ui-save-bar", "shopify:navigate"):
        assert part in script


def test_the_reset_button_only_redirects_within_the_devshop_and_only_from_its_pages(client: FlaskClient) -> None:
    assert client.post("/devshop/reset?next=/").headers["Location"] == "/"
    assert client.post("/devshop/reset?next=//evil.example/").status_code == 200, "not a redirect"
    assert client.post("/devshop/reset?next=/", headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/devshop/reset?next=/", headers={"Origin": "http://localhost"}).status_code == 303
