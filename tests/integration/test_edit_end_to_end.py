"""A shopper edits an order through the devshop's app proxy; real Redis; real `rq worker` processes carry it out on
the devshop, which executes order editing, refunds and orderUpdate on Shopify's schema."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from storefront_proxy.cancellations.records import ShopperRequest
from storefront_proxy.policy.model import Policy, RefundMethod, ReviewMode
from storefront_proxy.store import Store
from tests.integration.conftest import ADA, SHOP, proxy_session, wait_until
from tests.integration.helpers import JSON, admin_headers, order_url

pytestmark = pytest.mark.integration

# The devshop's seeded order #1008: T-shirt S ×1 (29.00), Forest Green mug ×2 (16.50 each), tea towel ×1.
ORDER = 5008
SHIRT, MUG, TOWEL = 9009, 9010, 9011
SHIRT_L, SHIRT_M = 21003, 21002


def ask_to_edit(devshop_server, body: dict, order_id: int = ORDER) -> requests.Response:
    session = proxy_session(devshop_server.url, ADA)
    page = session.get(order_url(devshop_server, order_id), headers=JSON, timeout=10)
    assert page.status_code == 200, page.text
    return session.post(
        order_url(devshop_server, order_id, "/edits"),
        json={**body, "csrf_token": page.json()["csrf_token"]},
        headers=JSON,
        timeout=15,
    )


def settled_edit(store: Store, edit_id: str, timeout: float = 30.0) -> ShopperRequest:
    def done() -> ShopperRequest | None:
        found = store.requests.get(edit_id)
        return found if found is not None and found.status.is_final else None

    return wait_until(done, timeout, message=f"edit {edit_id} to finish")  # type: ignore[return-value]


def line(order, line_id: int):
    return next(item for item in order.line_items if item.legacy_id == line_id)


def test_lowering_a_quantity_is_applied_and_exactly_the_difference_refunded_once(
    web, devshop, devshop_server, workers, store
):
    before = Decimal(devshop.get_order(ORDER).total_price)
    response = ask_to_edit(devshop_server, {"line_items": [{"id": MUG, "quantity": 1}]})
    assert response.status_code == 202, response.text
    edit = response.json()["edit"]
    assert edit["refund"] == {"amount": "16.50", "currency_code": "EUR"}
    workers.start()
    done = settled_edit(store, edit["id"])
    assert done.status.value == "applied", workers.logs()

    order = devshop.get_order(ORDER)
    assert line(order, MUG).current_quantity == 1
    assert Decimal(order.total_price) == before - Decimal("16.50")
    assert [(refund.amount, refund.method) for refund in order.refunds] == [("16.50", "original_payment")]
    assert order.refunds[0].idempotency_key == f"edit-refund-{edit['id']}"
    assert len(devshop.calls_for("CommitOrderEdit")) == 1 and len(devshop.calls_for("RefundEditDifference")) == 1
    (commit,) = order.edits
    assert commit.notify_customer is True and "Enamel Camping Mug 2 → 1" in (commit.staff_note or "")
    assert done.edit is not None and done.edit.refunded_amount == Decimal("16.50")

    shopper = proxy_session(devshop_server.url, ADA)
    shown = shopper.get(order_url(devshop_server, ORDER, f"/edits/{edit['id']}"), headers=JSON, timeout=10).json()
    assert shown["edit"]["status"] == "applied" and shown["edit"]["refund"]["amount"] == "16.50"

    # Partly refunded now, the order can still be edited again, and cancelled.
    assert order.display_financial_status == "PARTIALLY_REFUNDED"
    again = shopper.get(order_url(devshop_server, ORDER), headers=JSON, timeout=10).json()
    assert again["editable"] is True and again["eligible"] is True, again["edit_ineligible_reasons"]
    assert next(item for item in again["line_items"] if item["id"] == MUG)["quantity"] == 1


def test_swapping_a_size_is_applied_without_a_refund(web, devshop, devshop_server, workers, store):
    response = ask_to_edit(devshop_server, {"line_items": [{"id": SHIRT, "quantity": 1, "variant_id": SHIRT_L}]})
    assert response.status_code == 202, response.text
    assert response.json()["edit"]["refund"] is None
    workers.start()
    done = settled_edit(store, response.json()["edit"]["id"])
    assert done.status.value == "applied", workers.logs()

    order = devshop.get_order(ORDER)
    assert line(order, SHIRT).current_quantity == 0
    added = [item for item in order.line_items if item.variant_id == SHIRT_L and item.current_quantity > 0]
    assert len(added) == 1 and added[0].current_quantity == 1
    assert order.refunds == [] and devshop.calls_for("RefundEditDifference") == []
    # The shopper's page now lists the new size.
    page = proxy_session(devshop_server.url, ADA).get(order_url(devshop_server, ORDER), headers=JSON, timeout=10)
    assert "L" in [item["variant_title"] for item in page.json()["line_items"]]


def test_a_sold_out_size_is_offered_disabled_and_refused(web, devshop, devshop_server):
    page = proxy_session(devshop_server.url, ADA).get(order_url(devshop_server, ORDER), headers=JSON, timeout=10)
    shirt = next(item for item in page.json()["line_items"] if item["id"] == SHIRT)
    assert {option["variant_id"]: option["available"] for option in shirt["variant_options"]} == {
        SHIRT_M: False,
        SHIRT_L: True,
    }
    refused = ask_to_edit(devshop_server, {"line_items": [{"id": SHIRT, "quantity": 1, "variant_id": SHIRT_M}]})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "variant_unavailable"


def test_changing_the_address_is_applied(web, devshop, devshop_server, workers, store):
    response = ask_to_edit(devshop_server, {"shipping_address": {"address1": "Prinsengracht 263", "zip": "1016 GV"}})
    assert response.status_code == 202, response.text
    workers.start()
    assert settled_edit(store, response.json()["edit"]["id"]).status.value == "applied", workers.logs()
    address = devshop.get_order(ORDER).shipping_address
    assert address.address1 == "Prinsengracht 263" and address.zip == "1016 GV" and address.city == "Amsterdam"
    assert devshop.calls_for("BeginOrderEdit") == []


def test_an_order_fulfilled_meanwhile_is_rejected_with_nothing_sent(web, devshop, devshop_server, workers, store):
    response = ask_to_edit(devshop_server, {"line_items": [{"id": MUG, "quantity": 1}]})
    assert response.status_code == 202
    devshop.fulfill(ORDER)
    workers.start()
    done = settled_edit(store, response.json()["edit"]["id"])
    assert done.status.value == "rejected", workers.logs()
    assert done.message_code == "outcome.edit_shipped"
    assert devshop.calls_for("BeginOrderEdit") == [] and devshop.calls_for("CommitOrderEdit") == []
    assert line(devshop.get_order(ORDER), MUG).current_quantity == 2


@pytest.mark.parametrize("lost", ["CommitOrderEdit", "RefundEditDifference"])
def test_a_worker_killed_after_committing_never_commits_or_refunds_twice(
    web, devshop, devshop_server, workers, store, lost
):
    response = ask_to_edit(devshop_server, {"line_items": [{"id": MUG, "quantity": 0}]})
    assert response.status_code == 202
    # Shopify takes 3 s to answer, and carries the mutation out although the worker that sent it is gone by then.
    devshop.add_fault(lost, "delay", delay=3)
    first = workers.start()
    wait_until(lambda: devshop.calls_for(lost), message=f"the first worker to send {lost}")
    workers.kill_hard(first)

    workers.start()
    done = settled_edit(store, response.json()["edit"]["id"], timeout=60)
    assert done.status.value == "applied", workers.logs()
    order = devshop.get_order(ORDER)
    assert len(order.edits) == 1 and len(devshop.calls_for("CommitOrderEdit")) == 1
    assert [refund.amount for refund in order.refunds] == ["33.00"]
    assert line(order, MUG).current_quantity == 0
    assert done.attempts == 2


def test_store_credit_policy_refunds_the_difference_as_store_credit(web, devshop, devshop_server, workers, store):
    store.policies.save(SHOP, Policy(refund_method=RefundMethod.STORE_CREDIT))
    response = ask_to_edit(devshop_server, {"line_items": [{"id": TOWEL, "quantity": 0}]})
    assert response.status_code == 202
    workers.start()
    assert settled_edit(store, response.json()["edit"]["id"]).status.value == "applied", workers.logs()
    assert [(r.amount, r.method) for r in devshop.get_order(ORDER).refunds] == [("12.50", "store_credit")]


def test_manual_review_then_approval_applies_the_edit(web, devshop, devshop_server, workers, store):
    store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL))
    response = ask_to_edit(devshop_server, {"line_items": [{"id": MUG, "quantity": 1}]})
    edit = response.json()["edit"]
    assert response.status_code == 202 and edit["status"] == "pending_review"
    listed = requests.get(f"{web.url}/admin/api/requests?type=edit", headers=admin_headers(), timeout=10).json()
    assert [item["id"] for item in listed["requests"]] == [edit["id"]]
    assert listed["requests"][0]["changes"][0]["to_quantity"] == 1
    workers.start()
    approved = requests.post(f"{web.url}/admin/api/requests/{edit['id']}/approve", headers=admin_headers(), timeout=10)
    assert approved.status_code == 200, approved.text
    assert settled_edit(store, edit["id"]).status.value == "applied", workers.logs()
    assert [r.amount for r in devshop.get_order(ORDER).refunds] == ["16.50"]


def test_shopifys_refusal_ends_the_edit_failed_with_its_message(web, devshop, devshop_server, workers, store):
    """The size sold out between the shopper's confirmation and the worker: Shopify refuses to add it."""
    response = ask_to_edit(devshop_server, {"line_items": [{"id": SHIRT, "quantity": 1, "variant_id": SHIRT_L}]})
    assert response.status_code == 202
    devshop.set_inventory(SHIRT_L, 0)
    workers.start()
    done = settled_edit(store, response.json()["edit"]["id"])
    assert done.status.value == "failed", workers.logs()
    assert done.message_code == "outcome.edit_refused.reason" and done.message_detail
    assert devshop.calls_for("CommitOrderEdit") == [] and line(devshop.get_order(ORDER), SHIRT).current_quantity == 1
    shopper = proxy_session(devshop_server.url, ADA)
    shown = shopper.get(order_url(devshop_server, ORDER), headers=JSON, timeout=10).json()["edit"]
    assert shown["status"] == "failed" and done.message_detail in shown["message"]
