"""The shopper's pages spend little of Shopify's query budget and wait out a short throttle instead of failing.

Shopify's standard plan restores 100 points a second
(https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits); the devshop's bucket is set to that, and
it computes each query's requested cost as Shopify does.
"""

from __future__ import annotations

import time

import graphql
import pytest

from devshop.admin_api import request_cost
from storefront_proxy.shopify.client import load_operation
from tests.integration.conftest import ADA, proxy_session
from tests.integration.helpers import JSON, order_url

pytestmark = pytest.mark.integration


@pytest.fixture
def standard_plan(devshop):
    devshop.set_throttle(maximum_available=1000, restore_rate=100, currently_available=1000)
    return devshop


def test_the_storefront_reads_cost_what_they_show(admin_schema):
    def cost(name: str, first: int = 10) -> int:
        return request_cost(admin_schema, graphql.parse(load_operation(name)), None, {"first": first})

    assert cost("list_customer_orders") <= 80, "the list reads no line items"
    # The page's read carries what editing needs of each of its 20 line items (id, price, variant, product).
    assert cost("get_order") <= 120
    # Only a policy excluding product tags reads them (a point per line item and order).
    assert cost("get_order_with_product_tags") > cost("get_order")
    assert cost("list_customer_orders_with_product_tags") < 1000, "Shopify refuses a single query over 1000"


def test_a_cancellation_reads_the_whole_order_once_and_confirms_with_the_cheap_read(
    admin_schema, web, devshop, devshop_server, workers, store
):
    from tests.integration.conftest import ADA, SHOP, proxy_session, wait_for_status
    from tests.integration.helpers import ask_to_cancel

    confirm = request_cost(admin_schema, graphql.parse(load_operation("get_order_cancelled_at")), None, {})
    whole = request_cost(admin_schema, graphql.parse(load_operation("get_order")), None, {})
    assert confirm <= 2 < whole
    order_id = devshop.create_order(customer_id=ADA)
    workers.start()
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    wait_for_status(store, SHOP, order_id, {"cancelled"})
    # The whole order once: the shopper's page (no webhooks here, so it reads Shopify and keeps the order). The
    # POST's ownership and eligibility check and the worker's check right before orderCancel never use the cached
    # order and read it without line items; the worker then confirms with the cheap read only.
    assert len(devshop.calls_for("GetOrderCancelledAt")) >= 1
    assert len(devshop.calls_for("GetOrderForCancellation")) == 1
    assert len(devshop.calls_for("GetOrderToDecide")) == 2


def test_two_list_views_a_second_are_all_answered(web, standard_plan, devshop_server):
    shopper = proxy_session(devshop_server.url, ADA)
    url = f"{devshop_server.url}/apps/self-service/orders"
    answers = []
    for _ in range(10):
        answers.append(shopper.get(url, headers=JSON, timeout=10).status_code)
        time.sleep(0.5)
    assert answers == [200] * 10
    assert len(standard_plan.calls_for("ListCustomerOrders")) == 1, "read once, then from the cached order facts"


def test_a_short_throttle_is_waited_out(web, standard_plan, devshop_server):
    order_id = standard_plan.create_order(customer_id=ADA)  # no webhooks here: the page reads Shopify
    standard_plan.set_throttle(currently_available=5)  # the order page needs 111 points: about 1 s at 100/s
    page = proxy_session(devshop_server.url, ADA).get(order_url(devshop_server, order_id), headers=JSON, timeout=10)
    assert page.status_code == 200 and page.json()["eligible"] is True
    assert len(standard_plan.calls_for("GetOrderForCancellation")) == 2, "throttled once, then answered"


def test_product_tags_are_read_only_for_a_policy_that_excludes_them(web, standard_plan, devshop_server, store):
    from storefront_proxy.policy.model import Policy
    from tests.integration.conftest import SHOP

    gift = standard_plan.create_order(customer_id=ADA, line_items=[("Gift card", 1, "50.00", ["gift-card"])])
    shopper = proxy_session(devshop_server.url, ADA)
    url = f"{devshop_server.url}/apps/self-service/orders"
    before = next(o for o in shopper.get(url, headers=JSON, timeout=10).json()["orders"] if o["order_id"] == gift)
    assert before["eligible"] is True and not standard_plan.calls_for("ListCustomerOrdersWithProductTags")
    store.policies.save(SHOP, Policy(excluded_product_tags=["gift-card"]))
    orders = shopper.get(url, headers=JSON, timeout=10).json()["orders"]
    excluded = next(o for o in orders if o["order_id"] == gift)
    assert [r["code"] for r in excluded["ineligible_reasons"]] == ["excluded_tag"]
    page = shopper.get(order_url(devshop_server, gift), headers=JSON, timeout=10).json()
    assert [r["code"] for r in page["ineligible_reasons"]] == ["excluded_tag"]
    # The list kept the orders it read with their products' tags, so the page needs no read of its own.
    assert standard_plan.calls_for("ListCustomerOrdersWithProductTags")
    assert not standard_plan.calls_for("GetOrderForCancellationWithProductTags")


def test_workers_pace_a_shops_cancellations_by_its_bucket_instead_of_being_throttled(
    web, devshop, devshop_server, workers, store
):
    from tests.integration.conftest import SHOP, wait_for_status
    from tests.integration.helpers import ask_to_cancel

    # A small bucket (each order page read, 111 points, fits in it) that the workers' calls must wait for.
    devshop.set_throttle(maximum_available=240, restore_rate=120, currently_available=240)
    orders = [devshop.create_order(customer_id=ADA) for _ in range(6)]
    shopper = proxy_session(devshop_server.url, ADA)
    for order_id in orders:
        assert ask_to_cancel(shopper, devshop_server, order_id).status_code == 202
    workers.start()
    workers.start()
    for order_id in orders:
        assert wait_for_status(store, SHOP, order_id, {"cancelled", "failed"}, timeout=60).status.value == "cancelled"
    # Each call waited for its points in the shop's bucket; at most the very first went out before the app had
    # heard the shop's figures.
    throttled = [call.operation_name for call in devshop.calls if call.throttled]
    assert len(throttled) <= 1, throttled
