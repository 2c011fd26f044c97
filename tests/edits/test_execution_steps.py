"""The edit worker's decisions that need no Shopify: what it refunds, when it may claim the commit, and when an
order already shows the edit (the end-to-end runs are in tests/integration/test_edit_end_to_end.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from storefront_proxy.cancellations.records import EditDetails, LineChange, RequestKind, RequestStatus
from storefront_proxy.edits.execution import CommitAlreadySentError, _claim_commit, _refund_due, shows_edit
from storefront_proxy.policy.model import Policy, RefundMethod
from storefront_proxy.shopify.models import OrderPayments
from tests.edits.test_rules import MUG, SHIRT, order
from tests.factories import cancellation_request

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class Paid:
    """The order's payments as get_order_payments answers them."""

    def __init__(self, status: str, net: str) -> None:
        self.payments = OrderPayments.model_validate(
            {
                "id": "gid://shopify/Order/5001",
                "displayFinancialStatus": status,
                "netPaymentSet": {"shopMoney": {"amount": net, "currencyCode": "EUR"}},
                "transactions": [],
            }
        )

    def get(self) -> OrderPayments:
        return self.payments


@pytest.mark.parametrize(
    ("status", "net", "difference", "new_total", "refund"),
    [
        ("PAID", "100.00", "20.00", "80.00", Decimal("20.00")),  # fully paid: the whole difference
        ("PARTIALLY_PAID", "30.00", "20.00", "80.00", None),  # 50 still owed: nothing goes back
        ("PARTIALLY_PAID", "90.00", "20.00", "80.00", Decimal("10.00")),  # paid 10 beyond the new total
        ("PARTIALLY_REFUNDED", "60.00", "20.00", "50.00", Decimal("10.00")),
        ("AUTHORIZED", "0.00", "20.00", "80.00", None),  # the lower total is what gets captured
        ("PAID", "100.00", "0.00", "100.00", None),  # a swap at the same price
    ],
)
def test_the_refund_is_what_was_paid_beyond_the_new_total(status, net, difference, new_total, refund):
    assert _refund_due(Paid(status, net), Policy(), Decimal(difference), Decimal(new_total)) == refund


def test_a_policy_refunding_nothing_refunds_nothing():
    policy = Policy(refund_method=RefundMethod.NONE)
    assert _refund_due(Paid("PAID", "100.00"), policy, Decimal("20.00"), Decimal("80.00")) is None


def edit_request(**details):
    change = LineChange(line_item_id=MUG, title="Mug", from_quantity=2, to_quantity=1, unit_price=Decimal(25))
    return cancellation_request(
        kind=RequestKind.EDIT,
        reason=None,
        status=RequestStatus.PROCESSING,
        edit=EditDetails(line_items=[change], **details),
    )


def test_the_commit_is_claimed_once_and_never_after_it_landed():
    request = edit_request()
    _claim_commit(request, NOW, 60, "gid://shopify/CalculatedOrder/1", Decimal(25))
    assert request.edit.commit_sent_at == NOW and request.edit.refund_due == Decimal(25)
    with pytest.raises(CommitAlreadySentError):
        _claim_commit(request, NOW + timedelta(seconds=30), 60, "gid://shopify/CalculatedOrder/2", Decimal(25))
    # A claim whose send never reached Shopify lapses; a commit that landed never does.
    _claim_commit(request, NOW + timedelta(seconds=61), 60, "gid://shopify/CalculatedOrder/2", Decimal(25))
    landed = edit_request(committed_at=NOW, commit_sent_at=NOW)
    with pytest.raises(CommitAlreadySentError):
        _claim_commit(landed, NOW + timedelta(hours=1), 60, "gid://shopify/CalculatedOrder/3", Decimal(25))


def test_an_order_shows_the_edit_once_its_lines_have_the_new_quantities_and_variant():
    lowered = edit_request()
    assert not shows_edit(order(), lowered.edit)
    after = order(
        lineItems={
            "nodes": [
                {"id": f"gid://shopify/LineItem/{MUG}", "name": "Mug", "quantity": 2, "currentQuantity": 1},
                {"id": f"gid://shopify/LineItem/{SHIRT}", "name": "T-shirt", "quantity": 1, "currentQuantity": 1},
            ],
            "pageInfo": {"hasNextPage": False},
        }
    )
    assert shows_edit(after, lowered.edit)
    swap = EditDetails(
        line_items=[LineChange(line_item_id=SHIRT, title="T-shirt", from_quantity=1, to_quantity=1, variant_id=200)]
    )
    assert not shows_edit(after, swap)
    swapped = order(
        lineItems={
            "nodes": [
                {"id": f"gid://shopify/LineItem/{SHIRT}", "name": "T-shirt", "quantity": 1, "currentQuantity": 0},
                {
                    "id": "gid://shopify/LineItem/9100",
                    "name": "T-shirt - S",
                    "quantity": 1,
                    "currentQuantity": 1,
                    "variant": {"id": "gid://shopify/ProductVariant/200"},
                },
            ],
            "pageInfo": {"hasNextPage": False},
        }
    )
    assert shows_edit(swapped, swap)
