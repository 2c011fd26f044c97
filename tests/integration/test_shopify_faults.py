"""Every Shopify call the app makes, answered with each way Shopify fails: real workers, the devshop, real Redis.

Faults are Shopify-shaped: 429 with `{"errors": "Exceeded 2 calls per second..."}` and Retry-After, 500 and
503 with a JSON `errors` string, no answer within SHOPIFY_TIMEOUT_SECONDS, and a connection reset mid-call. None
of them may end a request `failed`: the request stays queued, is retried, and ends as Shopify allows.
"""

from __future__ import annotations

import pytest

from tests.integration.conftest import ADA, SHOP, proxy_session, wait_for_status
from tests.integration.test_cancel_end_to_end import JSON, ask_to_cancel, new_order, order_url

pytestmark = pytest.mark.integration

FAULTS = ["http_429", "http_500_json", "http_503_json", "timeout", "reset"]
# The timeout fault holds the answer longer than the integration SHOPIFY_TIMEOUT_SECONDS (2).
TIMEOUT_DELAY = 3.0


def add_fault(devshop, operation: str, kind: str, times: int = 1) -> None:
    devshop.add_fault(operation, kind, times=times, delay=TIMEOUT_DELAY if kind == "timeout" else 0.0)


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("operation", ["GetOrderForCancellation", "CancelOrder", "GetJob"])
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


@pytest.mark.parametrize("kind", FAULTS)
def test_a_fault_that_does_not_go_away_keeps_the_request_queued_until_retries_run_out(
    web, devshop, devshop_server, workers, store, kind
):
    """Shopify keeps failing the order read: every RQ retry runs, and only then does the request end failed."""
    if kind == "timeout":
        pytest.skip("a timeout every call takes minutes; the single timeout above covers it")
    order_id = new_order(devshop)
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    add_fault(devshop, "GetOrderForCancellation", kind, times=1000)
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
