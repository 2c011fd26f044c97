"""The cancel-window fulfillment hold against the devshop: real webhooks, real Redis, real `rq worker`s.

The devshop delivers orders/create when an order is placed; the app holds the order's fulfillment order with
its own handle, the devshop's warehouse (POST /devshop/orders/<id>/fulfill) is refused while any hold is on,
and RQ's scheduler releases exactly the app's hold when the window closes.
"""

from __future__ import annotations

import pytest
import requests

from storefront_proxy.holds.records import HoldStatus
from storefront_proxy.policy.model import Policy, ReviewMode
from tests.integration.conftest import ADA, SHOP, proxy_session, wait_for_status, wait_until
from tests.integration.helpers import admin_headers, ask_to_cancel, hold_status, holds_on

pytestmark = pytest.mark.integration

# Orders are placed this long before the end of a one-minute window, so the window closes during the test.
SECONDS_LEFT = 8


def fulfill(devshop_server, order_id: int) -> requests.Response:
    return requests.post(f"{devshop_server.url}/devshop/orders/{order_id}/fulfill", timeout=5)


def test_orders_stay_unfulfillable_until_the_window_closes_and_only_the_apps_hold_is_released(
    web, devshop, devshop_server, workers, store, webhooks_on
):
    store.policies.save(SHOP, Policy(cancel_window_minutes=1, hold_fulfillment=True))
    workers.start()
    age = (60 - SECONDS_LEFT) / 60
    plain = devshop.create_order(customer_id=ADA, age_minutes=age)
    shared = devshop.create_order(customer_id=ADA, age_minutes=age)
    cancelled = devshop.create_order(customer_id=ADA, age_minutes=age)

    held = {order_id: hold_status(store, order_id, {HoldStatus.HELD}) for order_id in (plain, shared, cancelled)}
    for order_id, record in held.items():
        assert [(h.hold_id, "self-service") for h in record.holds] == holds_on(devshop, order_id)
        assert fulfill(devshop_server, order_id).status_code == 409
    merchant = requests.post(f"{devshop_server.url}/devshop/orders/{shared}/holds", json={}, timeout=5).json()

    # A held order is not "shipping": its shopper can still cancel it, and then nothing is left to release.
    shopper = proxy_session(devshop_server.url, ADA)
    assert ask_to_cancel(shopper, devshop_server, cancelled).status_code == 202
    assert wait_for_status(store, SHOP, cancelled, {"cancelled", "rejected", "failed"}).status.value == "cancelled"
    assert hold_status(store, cancelled, {HoldStatus.CANCELLED}).events[-1].detail == "the order was cancelled"

    released = hold_status(store, plain, {HoldStatus.RELEASED}, timeout=SECONDS_LEFT + 15)
    assert released.release_at is not None
    assert fulfill(devshop_server, plain).status_code == 200

    hold_status(store, shared, {HoldStatus.RELEASED})
    assert holds_on(devshop, shared) == [(merchant["hold"]["id"], "merchant")]
    assert fulfill(devshop_server, shared).status_code == 409

    releases = devshop.calls_for("ReleaseFulfillmentHold")
    assert sorted(call.variables["holdIds"] for call in releases) == sorted(
        [h.hold_id] for order_id in (plain, shared) for h in held[order_id].holds
    )
    assert store.holds.get(SHOP, cancelled).status is HoldStatus.CANCELLED


def test_a_hold_is_kept_while_the_shoppers_request_waits_for_review(
    web, devshop, devshop_server, workers, store, webhooks_on
):
    store.policies.save(SHOP, Policy(cancel_window_minutes=1, hold_fulfillment=True, review_mode=ReviewMode.MANUAL))
    workers.start()
    order_id = devshop.create_order(customer_id=ADA, age_minutes=(60 - 4) / 60)
    hold_status(store, order_id, {HoldStatus.HELD})
    shopper = proxy_session(devshop_server.url, ADA)
    assert ask_to_cancel(shopper, devshop_server, order_id).json()["request"]["status"] == "pending_review"

    extended = wait_until(
        lambda: (r := store.holds.get(SHOP, order_id)) and any(e.type == "extended" for e in r.events) and r,
        timeout=20,
        message="the release to be postponed",
    )
    assert extended.status is HoldStatus.HELD
    assert fulfill(devshop_server, order_id).status_code == 409

    request_id = store.requests.for_order(SHOP, order_id).id
    rejected = requests.post(
        f"http://127.0.0.1:{web.port}/admin/api/requests/{request_id}/reject",
        json={"message": "It is already packed."},
        headers=admin_headers(),
        timeout=10,
    )
    assert rejected.status_code == 200, rejected.text
    hold_status(store, order_id, {HoldStatus.RELEASED}, timeout=20)
    assert fulfill(devshop_server, order_id).status_code == 200


def test_a_hold_shopify_keeps_refusing_fails_visibly_and_support_retries_it(
    web, devshop, devshop_server, workers, store, webhooks_on
):
    store.policies.save(SHOP, Policy(cancel_window_minutes=30, hold_fulfillment=True))
    # SHOPIFY_WORKER_ATTEMPTS=2 inline attempts per run, HOLD_RETRY_INTERVALS=[1, 1]: 3 runs, 6 calls.
    devshop.add_fault("HoldFulfillmentOrder", "http_503", times=6)
    workers.start()
    order_id = devshop.create_order(customer_id=ADA)

    failed = hold_status(store, order_id, {HoldStatus.FAILED}, timeout=30)
    assert failed.step.value == "place" and "503" in (failed.last_error or "")
    assert [e.type for e in failed.events].count("retry_scheduled") == 2
    assert holds_on(devshop, order_id) == []

    base = f"http://127.0.0.1:{web.port}/admin/api/fulfillment-holds"
    listed = requests.get(f"{base}?status=failed", headers=admin_headers(), timeout=10).json()["holds"]
    assert [(h["order_id"], h["status"], h["step"]) for h in listed] == [(order_id, "failed", "place")]

    retried = requests.post(f"{base}/{order_id}/retry", headers=admin_headers(), timeout=10)
    assert retried.status_code == 200 and retried.json()["hold"]["status"] == "placing"
    held = hold_status(store, order_id, {HoldStatus.HELD})
    assert holds_on(devshop, order_id) == [(held.holds[0].hold_id, "self-service")]
    assert fulfill(devshop_server, order_id).status_code == 409
    again = requests.post(f"{base}/{order_id}/retry", headers=admin_headers(), timeout=10)
    assert again.status_code == 409 and again.json()["error"]["code"] == "wrong_status"
    audit = requests.get(f"http://127.0.0.1:{web.port}/admin/api/audit", headers=admin_headers(), timeout=10).json()
    assert any(entry["action"] == "hold.retry" for entry in audit["entries"])


def test_the_merchant_turning_the_hold_off_releases_held_orders_at_once(
    web, devshop, devshop_server, workers, store, webhooks_on
):
    store.policies.save(SHOP, Policy(cancel_window_minutes=60, hold_fulfillment=True))
    workers.start()
    order_id = devshop.create_order(customer_id=ADA, age_minutes=1)
    hold_status(store, order_id, {HoldStatus.HELD})
    assert fulfill(devshop_server, order_id).status_code == 409

    # The Policy page saves the hold off; the worker moves the release (59 minutes away) to now.
    policy = requests.get(f"{web.url}/admin/api/policy", headers=admin_headers(), timeout=10).json()["policy"]
    answer = requests.put(
        f"{web.url}/admin/api/policy", json={**policy, "hold_fulfillment": False}, headers=admin_headers(), timeout=10
    )
    assert answer.status_code == 200, answer.text
    released = hold_status(store, order_id, {HoldStatus.RELEASED}, timeout=20)
    assert [event.type for event in released.events][-2:] == ["rescheduled", "released"]
    assert holds_on(devshop, order_id) == []
    assert fulfill(devshop_server, order_id).status_code == 200
