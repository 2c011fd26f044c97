"""Every Shopify call the app makes, answered with each way Shopify fails: real workers, the devshop, real Redis.

Faults are Shopify-shaped: 429 with `{"errors": "Exceeded 2 calls per second..."}` and Retry-After, 500 and
503 with a JSON `errors` string, no answer within SHOPIFY_TIMEOUT_SECONDS, and a connection reset mid-call. None
of them may end a request `failed`: the request stays queued, is retried, and ends as Shopify allows.
"""

from __future__ import annotations

import pytest
import requests

from storefront_proxy.holds.records import HoldStatus
from storefront_proxy.policy.model import Policy
from tests.integration.conftest import ADA, SHOP, proxy_session, wait_for_status, wait_until
from tests.integration.helpers import JSON, admin_headers, ask_to_cancel, hold_status, holds_on, new_order, order_url

pytestmark = pytest.mark.integration

FAULTS = ["http_429", "http_500_json", "timeout", "reset"]
# The timeout fault holds the answer longer than the integration SHOPIFY_TIMEOUT_SECONDS (2).
TIMEOUT_DELAY = 3.0


def add_fault(devshop, operation: str, kind: str, times: int = 1) -> None:
    devshop.add_fault(operation, kind, times=times, delay=TIMEOUT_DELAY if kind == "timeout" else 0.0)


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("operation", ["GetOrderToDecide", "CancelOrder", "GetJob"])
def test_a_cancellation_survives_each_fault_of_each_call(web, devshop, devshop_server, workers, store, operation, kind):
    order_id = new_order(devshop)
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    web_calls = len(devshop.calls_for(operation))
    add_fault(devshop, operation, kind)
    workers.start()
    request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed", "rejected"}, timeout=40)
    assert request.status.value == "cancelled", (request.events, workers.logs())
    assert devshop.calls_for(operation)[web_calls].fault == kind, "the fault fired on the worker's call"
    order = devshop.get_order(order_id)
    assert order is not None and order.cancelled_at is not None
    cancels = [call for call in devshop.calls_for("CancelOrder") if call.fault is None]
    assert len(cancels) == 1, "orderCancel ran exactly once"
    if operation == "CancelOrder" and kind != "http_429":
        # The answer was lost (or a 5xx): Shopify may have run it, so the job waits and RQ retries it.
        assert "retry_scheduled" in [event.type for event in request.events]


# (A timeout on every call would take minutes here; the single timeouts above cover it.)
@pytest.mark.parametrize("kind", [kind for kind in FAULTS if kind != "timeout"])
def test_a_fault_that_does_not_go_away_keeps_the_request_queued_until_retries_run_out(
    web, devshop, devshop_server, workers, store, kind
):
    """Shopify keeps failing the order read: every RQ retry runs, and only then does the request end failed."""
    order_id = new_order(devshop)
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    add_fault(devshop, "GetOrderToDecide", kind, times=1000)
    workers.start()
    request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed", "rejected"}, timeout=40)
    devshop.clear_faults()
    assert request.status.value == "failed"
    assert request.attempts == 4, "the first run and the three RQ retries of CANCEL_RETRY_INTERVALS"
    assert [e.type for e in request.events].count("retry_scheduled") == 3
    assert request.message_code == "outcome.unreachable"


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize(
    ("operation", "path"), [("GetOrderForCancellation", "/orders/{id}"), ("ListCustomerOrders", "/orders")]
)
def test_the_shoppers_page_rides_out_one_fault(web, devshop, devshop_server, operation, path, kind):
    order_id = new_order(devshop)
    add_fault(devshop, operation, kind)
    url = f"{devshop_server.url}/apps/self-service{path.format(id=order_id)}"
    session = proxy_session(devshop_server.url, ADA)
    answer = session.get(url, headers=JSON, timeout=20)
    assert answer.status_code == 200, answer.text
    assert [call.fault for call in devshop.calls_for(operation)] == [kind, None]


@pytest.mark.parametrize("kind", FAULTS)
def test_the_shoppers_page_says_try_again_when_shopify_keeps_failing(web, devshop, devshop_server, kind):
    order_id = new_order(devshop)
    add_fault(devshop, "GetOrderForCancellation", kind, times=10)
    answer = proxy_session(devshop_server.url, ADA).get(order_url(devshop_server, order_id), headers=JSON, timeout=20)
    devshop.clear_faults()
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "shop_unavailable"
    assert int(answer.headers["Retry-After"]) >= 1


def fired(devshop, operation: str, kind: str) -> bool:
    return any(call.fault == kind for call in devshop.calls_for(operation))


# The worker's other Shopify calls. One worker runs through every fault in turn: each fault is added before the
# event that makes the worker call Shopify, so it fires on that call.


@pytest.mark.parametrize("operation", ["GetFulfillmentOrders", "HoldFulfillmentOrder"])
def test_placing_a_hold_survives_each_fault(web, devshop, devshop_server, workers, store, webhooks_on, operation):
    store.policies.save(SHOP, Policy(cancel_window_minutes=30, hold_fulfillment=True))
    workers.start()
    for kind in FAULTS:
        add_fault(devshop, operation, kind)
        order_id = devshop.create_order(customer_id=ADA)  # orders/create reaches the app: the worker holds it
        record = hold_status(store, order_id, {HoldStatus.HELD, HoldStatus.FAILED}, timeout=40)
        assert record.status is HoldStatus.HELD, (kind, record.events, workers.logs())
        assert fired(devshop, operation, kind)
        assert [(h.hold_id, "self-service") for h in record.holds] == holds_on(devshop, order_id), kind


def test_releasing_a_hold_survives_each_fault(web, devshop, devshop_server, workers, store, webhooks_on):
    policy = {"cancel_window_minutes": 30, "hold_fulfillment": True}
    workers.start()
    for kind in FAULTS:
        requests.put(f"{web.url}/admin/api/policy", json=policy, headers=admin_headers(), timeout=5).raise_for_status()
        order_id = devshop.create_order(customer_id=ADA)
        hold_status(store, order_id, {HoldStatus.HELD}, timeout=40)
        add_fault(devshop, "ReleaseFulfillmentHold", kind)
        # The merchant turns the hold off: every held order is released now.
        off = {**policy, "hold_fulfillment": False}
        requests.put(f"{web.url}/admin/api/policy", json=off, headers=admin_headers(), timeout=5).raise_for_status()
        record = hold_status(store, order_id, {HoldStatus.RELEASED, HoldStatus.FAILED}, timeout=40)
        assert record.status is HoldStatus.RELEASED, (kind, record.events, workers.logs())
        assert fired(devshop, "ReleaseFulfillmentHold", kind) and holds_on(devshop, order_id) == []


def test_tagging_a_cancelled_order_survives_each_fault(web, devshop, devshop_server, workers, store):
    store.policies.save(SHOP, Policy(cancelled_order_tag="self-service-cancelled"))
    workers.start()
    for kind in FAULTS:
        order_id = new_order(devshop)
        add_fault(devshop, "AddTags", kind)
        assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
        request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed"}, timeout=40)
        tagged = wait_until(lambda r=request: store.requests.get(r.id).events[-1].type in ("tagged", "tag_failed"))
        assert tagged and store.requests.get(request.id).events[-1].type == "tagged", kind
        assert fired(devshop, "AddTags", kind)
        assert "self-service-cancelled" in devshop.get_order(order_id).tags


@pytest.mark.parametrize("operation", ["GetAppInstallation", "SetAppMetafields"])
def test_telling_the_theme_the_proxy_path_survives_each_fault(web, devshop, devshop_server, workers, store, operation):
    workers.start()
    shopper = proxy_session(devshop_server.url, ADA)
    for kind in FAULTS:
        store.proxy_paths.forget(SHOP)  # as if the merchant renamed the proxy path: the next visit syncs it
        add_fault(devshop, operation, kind)
        synced_before = len([c for c in devshop.calls_for("SetAppMetafields") if c.fault is None])
        assert shopper.get(f"{devshop_server.url}/apps/self-service/orders", headers=JSON, timeout=20).ok
        wait_until(
            lambda n=synced_before: len([c for c in devshop.calls_for("SetAppMetafields") if c.fault is None]) > n,
            timeout=40,
            message=f"the metafield to be set after {kind}",
        )
        assert fired(devshop, operation, kind)
        assert store.proxy_paths.get(SHOP) == "/apps/self-service", "kept: the sync did not fail"
