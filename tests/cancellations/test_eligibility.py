"""Eligibility rules, including the exact deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storefront_proxy.cancellations.eligibility import check_eligibility
from storefront_proxy.policy.model import Policy
from storefront_proxy.shopify.models import Order
from tests.helpers import admin_order

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def order(**kwargs) -> Order:
    return Order.model_validate(admin_order(now=NOW, **kwargs))


def codes(o: Order, policy: Policy | None = None, now: datetime = NOW) -> list[str]:
    return check_eligibility(o, policy or Policy(), now).codes


def test_fresh_unfulfilled_paid_order_is_eligible():
    verdict = check_eligibility(order(), Policy(), NOW)
    assert verdict.eligible
    assert verdict.deadline == NOW - timedelta(minutes=5) + timedelta(minutes=60)


def test_window_is_open_until_just_before_the_deadline_and_closed_exactly_at_it():
    o = order(age=timedelta(0))
    deadline = NOW + timedelta(minutes=60)
    assert codes(o, now=deadline - timedelta(microseconds=1)) == []
    assert codes(o, now=deadline) == ["window_closed"]
    assert codes(o, now=deadline + timedelta(seconds=1)) == ["window_closed"]


def test_window_follows_the_policy():
    o = order(age=timedelta(minutes=20))
    assert codes(o, Policy(cancel_window_minutes=20)) == ["window_closed"]
    assert codes(o, Policy(cancel_window_minutes=21)) == []


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"cancelled_at": "2026-11-21T11:58:00Z"}, ["already_cancelled"]),
        ({"fulfillment": "FULFILLED"}, ["fulfillment_started"]),
        ({"fulfillment": "PARTIALLY_FULFILLED"}, ["fulfillment_started"]),
        ({"fulfillment": "IN_PROGRESS"}, ["fulfillment_started"]),
        ({"fulfillment": "SOME_FUTURE_VALUE"}, ["fulfillment_started"]),
        ({"fulfillments": [{"id": "gid://shopify/Fulfillment/1", "status": "CANCELLED"}]}, ["fulfillment_started"]),
        ({"closed": True}, ["order_closed"]),
        ({"financial": "REFUNDED"}, ["payment_status"]),
        ({"financial": "VOIDED"}, ["payment_status"]),
        ({"tags": ["Wholesale"]}, ["excluded_tag"]),
    ],
)
def test_each_rule_has_its_stable_code(kwargs, expected):
    assert codes(order(**kwargs), Policy(excluded_order_tags=["wholesale"])) == expected


@pytest.mark.parametrize("status", ["AUTHORIZED", "PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "PENDING"])
def test_default_financial_statuses(status):
    assert codes(order(financial=status)) == []


def test_disabled_shop():
    assert codes(order(), Policy(enabled=False)) == ["self_service_disabled"]


def test_several_reasons_are_all_reported():
    assert codes(
        order(fulfillment="FULFILLED", age=timedelta(hours=2), tags=["wholesale"]),
        Policy(excluded_order_tags=["wholesale"]),
    ) == [
        "fulfillment_started",
        "excluded_tag",
        "window_closed",
    ]


def test_cancelled_order_shows_no_deadline():
    assert check_eligibility(order(cancelled_at="2026-11-21T11:58:00Z"), Policy(), NOW).deadline is None


# -- until fulfillment, product tags --------------------------------------------------------------------


def test_until_fulfillment_has_no_deadline_and_no_time_limit():
    policy = Policy(window_mode="until_fulfillment", cancel_window_minutes=1)
    verdict = check_eligibility(order(age=timedelta(days=40)), policy, NOW)
    assert verdict.eligible and verdict.deadline is None
    assert codes(order(age=timedelta(days=40), fulfillment="IN_PROGRESS"), policy) == ["fulfillment_started"]


def with_products(*tag_lists: list[str] | None, more: bool = False, **kwargs) -> Order:
    data = admin_order(now=NOW, **kwargs)
    data["lineItems"] = {
        "nodes": [
            {"name": f"Item {i}", "quantity": 1, "product": None if tags is None else {"tags": tags}}
            for i, tags in enumerate(tag_lists)
        ],
        "pageInfo": {"hasNextPage": more},
    }
    return Order.model_validate({**data, "productTagsRead": True})


def test_a_product_tag_the_policy_excludes_makes_the_order_ineligible():
    policy = Policy(excluded_product_tags=["Gift-Card"])
    assert codes(with_products(["sale"], ["gift-card"]), policy) == ["excluded_tag"]
    assert codes(with_products(["sale"], None), policy) == []  # a deleted product has no tags
    assert codes(with_products(["gift-card"]), Policy()) == []


def test_order_and_product_tags_give_one_excluded_tag_reason():
    policy = Policy(excluded_order_tags=["wholesale"], excluded_product_tags=["gift-card"])
    assert codes(with_products(["gift-card"], tags=["wholesale"]), policy) == ["excluded_tag"]


def test_an_order_read_without_its_products_tags_counts_as_excluded_when_product_tags_are():
    unread = Order.model_validate(admin_order(now=NOW))
    assert codes(unread, Policy(excluded_product_tags=["gift-card"])) == ["excluded_tag"]
    assert codes(unread, Policy()) == []


def test_unread_line_items_count_as_excluded_only_when_product_tags_are():
    assert codes(with_products(["sale"], more=True), Policy(excluded_product_tags=["gift-card"])) == ["excluded_tag"]
    assert codes(with_products(["sale"], more=True), Policy()) == []


@pytest.mark.parametrize("status", ["ON_HOLD", "SCHEDULED"])
def test_held_and_scheduled_orders_have_not_shipped(status):
    # The app's own cancel-window hold makes an order ON_HOLD; its shopper must still be able to cancel.
    assert codes(order(fulfillment=status)) == []


@pytest.mark.parametrize("status", ["IN_PROGRESS", "PARTIALLY_FULFILLED", "FULFILLED", "SOMETHING_NEW"])
def test_anything_else_counts_as_shipping(status):
    assert codes(order(fulfillment=status)) == ["fulfillment_started"]
