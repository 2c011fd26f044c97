"""The devshop's fulfillment orders, holds and webhook deliveries, driven with the app's own documents."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from devshop.app import create_devshop
from devshop.embedded_redis import free_port
from devshop.state import DevshopState
from tests.devshop.helpers import SECRET, Clock, cancel, document, gql

GET_FULFILLMENT_ORDERS = document("get_fulfillment_orders.graphql")
HOLD = document("hold_fulfillment_order.graphql")
RELEASE = document("release_fulfillment_hold.graphql")
HANDLE = "self-service-cancel-window"


@pytest.fixture
def app(clock: Clock) -> Flask:
    app = create_devshop(app_url="https://app.example.test", api_secret=SECRET, clock=clock, cancel_job_seconds=0)
    app.config["TESTING"] = True
    return app


def fulfillment_orders(client: FlaskClient, order_id: int) -> list[dict[str, Any]]:
    status, body = gql(client, GET_FULFILLMENT_ORDERS, {"id": f"gid://shopify/Order/{order_id}"})
    assert status == 200 and "errors" not in body, body
    return body["data"]["order"]["fulfillmentOrders"]["nodes"]


def hold(client: FlaskClient, fulfillment_order_id: str, handle: str = HANDLE) -> dict[str, Any]:
    variables = {"id": fulfillment_order_id, "fulfillmentHold": {"reason": "OTHER", "handle": handle}}
    status, body = gql(client, HOLD, variables)
    assert status == 200 and "errors" not in body, body
    return body["data"]["fulfillmentOrderHold"]


def release(client: FlaskClient, fulfillment_order_id: str, hold_ids: list[str]) -> dict[str, Any]:
    status, body = gql(client, RELEASE, {"id": fulfillment_order_id, "holdIds": hold_ids})
    assert status == 200 and "errors" not in body, body
    return body["data"]["fulfillmentOrderReleaseHold"]


def test_a_new_order_has_one_open_fulfillment_order_without_holds(client, state):
    order_id = state.create_order()
    [fulfillment_order] = fulfillment_orders(client, order_id)
    assert fulfillment_order["status"] == "OPEN"
    assert fulfillment_order["fulfillmentHolds"] == []


def test_an_apps_hold_blocks_fulfillment_until_released_by_its_id(client, state):
    order_id = state.create_order()
    [fo] = fulfillment_orders(client, order_id)
    placed = hold(client, fo["id"])
    assert placed["userErrors"] == [] and placed["fulfillmentOrder"]["status"] == "ON_HOLD"
    [fo] = fulfillment_orders(client, order_id)
    mine = {"id": placed["fulfillmentHold"]["id"], "handle": HANDLE, "heldByRequestingApp": True}
    assert fo["fulfillmentHolds"] == [mine]
    assert state.get_order(order_id).display_fulfillment_status == "ON_HOLD"
    assert client.post(f"/devshop/orders/{order_id}/fulfill").status_code == 409

    released = release(client, fo["id"], [placed["fulfillmentHold"]["id"]])
    assert released["userErrors"] == [] and released["fulfillmentOrder"]["status"] == "OPEN"
    assert state.get_order(order_id).display_fulfillment_status == "UNFULFILLED"
    assert client.post(f"/devshop/orders/{order_id}/fulfill").status_code == 200
    [fo] = fulfillment_orders(client, order_id)
    assert fo["status"] == "CLOSED"


def test_the_same_handle_twice_is_a_duplicate_error_not_a_second_hold(client, state):
    order_id = state.create_order()
    [fo] = fulfillment_orders(client, order_id)
    hold(client, fo["id"])
    again = hold(client, fo["id"])
    assert again["fulfillmentHold"] is None
    assert [e["code"] for e in again["userErrors"]] == ["DUPLICATE_FULFILLMENT_HOLD_HANDLE"]
    assert len(fulfillment_orders(client, order_id)[0]["fulfillmentHolds"]) == 1


def test_releasing_by_id_leaves_the_merchants_hold_and_another_apps_named_hold_is_refused(client, state):
    order_id = state.create_order()
    merchant = client.post(f"/devshop/orders/{order_id}/holds", json={"held_by": "merchant"}).get_json()["hold"]
    other = client.post(f"/devshop/orders/{order_id}/holds", json={"held_by": "other-app", "handle": HANDLE})
    assert other.status_code == 201
    [fo] = fulfillment_orders(client, order_id)
    mine = hold(client, fo["id"])["fulfillmentHold"]["id"]

    refused = release(client, fo["id"], [other.get_json()["hold"]["id"]])
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_ACCESS"]
    release(client, fo["id"], [mine])
    [fo] = fulfillment_orders(client, order_id)
    assert fo["status"] == "ON_HOLD"
    assert {h["id"] for h in fo["fulfillmentHolds"]} == {merchant["id"], other.get_json()["hold"]["id"]}
    assert not any(h["heldByRequestingApp"] for h in fo["fulfillmentHolds"])
    assert client.post(f"/devshop/orders/{order_id}/fulfill").status_code == 409


def test_cancelling_a_held_order_cancels_its_fulfillment_order_and_holds(client, state):
    order_id = state.create_order()
    [fo] = fulfillment_orders(client, order_id)
    hold(client, fo["id"])
    cancel(client, order_id)
    [fo] = fulfillment_orders(client, order_id)
    assert fo["status"] == "CANCELLED" and fo["fulfillmentHolds"] == []
    refused = hold(client, fo["id"])
    assert refused["fulfillmentHold"] is None and refused["userErrors"]


def test_a_partial_fulfillment_ships_some_line_items_and_the_rest_later(client, state):
    order_id = state.create_order(line_items=[("Mug", 2, "10.00"), ("Tea", 1, "5.00")])
    mug, tea = (item.legacy_id for item in state.get_order(order_id).line_items)
    answer = client.post(f"/devshop/orders/{order_id}/fulfill", json={"line_items": [{"id": mug, "quantity": 1}]})
    assert answer.status_code == 200, answer.get_json()
    order = answer.get_json()
    assert order["display_fulfillment_status"] == "PARTIALLY_FULFILLED"
    assert [fo["status"] for fo in order["fulfillment_orders"]] == ["IN_PROGRESS"]
    assert {i["title"]: i["fulfilled_quantity"] for i in order["line_items"]} == {"Mug": 1, "Tea": 0}
    # More than is left, or an item not on the order: 400; nothing changes.
    for wrong in ({"id": mug, "quantity": 2}, {"id": 1, "quantity": 1}, {"id": tea, "quantity": 0}):
        refused = client.post(f"/devshop/orders/{order_id}/fulfill", json={"line_items": [wrong]})
        assert refused.status_code == 400 and refused.get_json()["code"] == "quantity"
    # Without line_items the warehouse ships whatever is left.
    order = client.post(f"/devshop/orders/{order_id}/fulfill").get_json()
    assert order["display_fulfillment_status"] == "FULFILLED"
    assert [fo["status"] for fo in order["fulfillment_orders"]] == ["CLOSED"]
    assert [[i["quantity"] for i in f["line_items"]] for f in order["fulfillments"]] == [[1], [1, 1]]
    assert client.post(f"/devshop/orders/{order_id}/fulfill").status_code == 400


def test_a_cancelled_order_cannot_be_fulfilled(client, state):
    order_id = state.create_order()
    cancel(client, order_id)
    answer = client.post(f"/devshop/orders/{order_id}/fulfill")
    assert answer.status_code == 409 and answer.get_json()["code"] == "cancelled"


def test_staff_change_the_orders_email_and_name(client, state):
    order_id = state.create_order()
    answer = client.patch(f"/devshop/orders/{order_id}", json={"email": "new@example.com", "name": "#X1"})
    assert answer.status_code == 200
    assert (answer.get_json()["email"], answer.get_json()["name"]) == ("new@example.com", "#X1")
    assert client.patch(f"/devshop/orders/{order_id}", json={"email": None}).get_json()["email"] is None
    for wrong in ({"email": "nope"}, {"name": ""}, {"tags": ["x"]}):
        assert client.patch(f"/devshop/orders/{order_id}", json=wrong).status_code == 400
    assert client.patch("/devshop/orders/1", json={"name": "#X2"}).status_code == 404


class Receiver:
    """A stand-in app endpoint recording what the devshop delivers; answers ``status`` (500 first, optionally)."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_first = fail_first
        app = Flask("receiver")

        @app.post("/webhooks")
        def webhooks():  # type: ignore[no-untyped-def]
            body = request.get_data()
            self.received.append({"headers": dict(request.headers), "body": body})
            if self.fail_first > 0:
                self.fail_first -= 1
                return "", 500
            return "", 200

        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


def test_order_changes_are_delivered_signed_like_shopify(receiver):
    shop = create_devshop(app_url=f"http://127.0.0.1:{receiver.port}", api_secret=SECRET, webhooks=True, seed=False)
    state: DevshopState = shop.extensions["devshop"]
    order_id = state.create_order()
    state.fulfill(order_id)
    received = receiver.wait_for(3)
    topics = [r["headers"]["X-Shopify-Topic"] for r in received]
    assert topics == ["orders/create", "orders/fulfilled", "orders/updated"]
    for delivery in received:
        digest = hmac.new(SECRET.encode(), delivery["body"], hashlib.sha256).digest()
        assert delivery["headers"]["X-Shopify-Hmac-Sha256"] == base64.b64encode(digest).decode()
        assert delivery["headers"]["X-Shopify-Shop-Domain"] == "devshop.myshopify.com"
        assert delivery["headers"]["X-Shopify-Webhook-Id"]
    created = json.loads(received[0]["body"])
    assert created["id"] == order_id and created["fulfillment_status"] is None
    fulfilled = json.loads(received[1]["body"])
    assert fulfilled["fulfillment_status"] == "fulfilled" and fulfilled["fulfillments"]


def test_partial_fulfillment_and_order_edits_are_announced(receiver):
    shop = create_devshop(app_url=f"http://127.0.0.1:{receiver.port}", api_secret=SECRET, webhooks=True, seed=False)
    state: DevshopState = shop.extensions["devshop"]
    order_id = state.create_order(customer_id=None, line_items=[("Mug", 2, "10.00")])
    [mug] = state.get_order(order_id).line_items
    state.fulfill(order_id, {mug.legacy_id: 1})
    state.update_order(order_id, {"email": "late@example.com"})
    received = receiver.wait_for(4)
    topics = [r["headers"]["X-Shopify-Topic"] for r in received]
    assert topics == ["orders/create", "orders/partially_fulfilled", "orders/updated", "orders/updated"]
    partial = json.loads(received[1]["body"])
    assert partial["fulfillment_status"] == "partial"
    assert (
        partial["line_items"][0] | {"fulfillable_quantity": 1, "fulfillment_status": "partial"}
        == partial["line_items"][0]
    )
    assert partial["fulfillments"][0]["line_items"] == [{"id": mug.legacy_id, "quantity": 1}]
    edited = json.loads(received[3]["body"])
    assert edited["email"] == "late@example.com" and edited["updated_at"] >= partial["updated_at"]


def test_a_failed_delivery_is_retried_with_the_same_webhook_id():
    receiver = Receiver(fail_first=2)
    try:
        shop = create_devshop(app_url=f"http://127.0.0.1:{receiver.port}", api_secret=SECRET, webhooks=True, seed=False)
        sender = shop.extensions["devshop_webhooks"]
        sender.retry_delays = (0.05, 0.05, 0.05)
        shop.extensions["devshop"].create_order()
        received = receiver.wait_for(3)
        assert len({r["headers"]["X-Shopify-Webhook-Id"] for r in received}) == 1
        deadline = time.monotonic() + 5
        while not sender.idle() and time.monotonic() < deadline:
            time.sleep(0.02)
        [report] = sender.report()
        assert report["status"] == "delivered" and report["answers"] == [500, 500, 200]
    finally:
        receiver.server.shutdown()


def test_seeded_orders_send_no_webhooks_and_deliveries_are_off_by_default(client, state):
    state.create_order()
    assert client.get("/devshop/webhooks").get_json() == {
        "enabled": False,
        "url": "https://app.example.test/webhooks",
        "deliveries": [],
    }
