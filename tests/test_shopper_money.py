"""What the shopper is told of their money: the refund sentence for each policy and payment, amounts per currency."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from storefront_proxy.cancellations.eligibility import check_eligibility
from storefront_proxy.cancellations.storefront import OrderView
from storefront_proxy.i18n import Translator, money
from storefront_proxy.policy.model import Policy, RefundMethod
from storefront_proxy.shopify.models import Order
from storefront_proxy.shopper_contract import refund_terms
from tests.helpers import admin_order

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def view(policy: Policy, **fields: object) -> OrderView:
    order = Order.model_validate(admin_order(now=NOW, **fields))
    return OrderView(order, policy, check_eligibility(order, policy, NOW), None)


@pytest.mark.parametrize(
    ("amount", "currency", "written"),
    [("39.9", "EUR", "39.90 EUR"), ("1000", "JPY", "1000 JPY"), ("1.25", "KWD", "1.250 KWD"), ("5", "usd", "5.00 usd")],
)
def test_amounts_keep_their_currencys_decimals(amount, currency, written):
    assert money(Decimal(amount), currency) == written


def test_a_paid_order_is_told_the_amount_that_goes_back():
    terms = refund_terms(view(Policy(), financial="PAID"), Translator("en"))
    assert terms["message"].startswith("The ") and "you paid goes back to the way you paid." in terms["message"]


@pytest.mark.parametrize("status", ["AUTHORIZED", "PENDING"])
@pytest.mark.parametrize("method", list(RefundMethod))
def test_an_order_whose_payment_is_only_authorized_is_told_nothing_was_charged(status, method):
    terms = refund_terms(view(Policy(refund_method=method), financial=status), Translator("en"))
    assert terms["message"].startswith("Nothing has been charged yet: cancelling releases the payment.")
    assert terms["method"] == method.value


def test_a_partly_paid_or_refunded_order_is_told_in_general_words():
    for status in ("PARTIALLY_PAID", "PARTIALLY_REFUNDED"):
        message = refund_terms(view(Policy(notify_customer=False), financial=status), Translator("nl"))
        assert message["message"] == Translator("nl")("refund.original_payment.unspecified")
