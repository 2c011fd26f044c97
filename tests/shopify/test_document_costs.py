"""What each Admin API document costs by Shopify's requested-cost rules (the devshop's calculator, 2026-10 schema).

The costs are held to README.md's table (so it cannot go stale) and to the budgets the issue set: a cancellation
must stay within 60 points, so that a shop's bucket drains cancellations rather than reads.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import graphql
import pytest
from graphql.execution.values import get_variable_values

from devshop.admin_api import request_cost
from storefront_proxy.cancellations.execution import _refund_method
from storefront_proxy.cancellations.storefront import RECENT_ORDERS
from storefront_proxy.policy.model import RefundMethod
from storefront_proxy.shopify.client import DOCUMENTS, OPERATION_FILES

README = Path(__file__).resolve().parents[2] / "README.md"
TABLE_HEADING = "### What each Admin API document costs"
ORDER_ID = "gid://shopify/Order/5001"
FULFILLMENT_ORDER_ID = "gid://shopify/FulfillmentOrder/7001"
CUSTOMER_SEARCH = "customer_id:1001"
CALCULATED_ORDER_ID = "gid://shopify/CalculatedOrder/1"

# Variables as the app sends them (client.py): list costs depend on `first`, so the lists use the storefront's page.
VARIABLES: dict[str, dict[str, Any]] = {
    "get_order": {"id": ORDER_ID},
    "get_order_to_decide": {"id": ORDER_ID},
    "get_order_with_product_tags": {"id": ORDER_ID},
    "list_customer_orders": {"first": RECENT_ORDERS, "query": CUSTOMER_SEARCH},
    "list_customer_orders_with_product_tags": {"first": RECENT_ORDERS, "query": CUSTOMER_SEARCH},
    "cancel_order": {
        "orderId": ORDER_ID,
        "reason": "CUSTOMER",
        "restock": True,
        "refundMethod": _refund_method(RefundMethod.ORIGINAL_PAYMENT),
        "notifyCustomer": True,
        "staffNote": "Cancelled by the customer (self-service). Reason: I changed my mind.",
    },
    "get_job": {"id": "gid://shopify/Job/7c1a8f2e-0d4b-4f5e-9a3c-2b6d8e1f4a90"},
    "get_order_cancelled_at": {"id": ORDER_ID},
    "get_app_installation": {},
    "set_app_metafields": {
        "metafields": [
            {
                "ownerId": "gid://shopify/AppInstallation/3001",
                "namespace": "self_service",
                "key": "proxy_path",
                "type": "single_line_text_field",
                "value": "/apps/self-service",
            }
        ]
    },
    "add_tags": {"id": ORDER_ID, "tags": ["self-service-cancelled"]},
    "get_fulfillment_orders": {"id": ORDER_ID},
    "hold_fulfillment_order": {
        "id": FULFILLMENT_ORDER_ID,
        "fulfillmentHold": {
            "reason": "OTHER",
            "reasonNotes": "Customers can cancel this order until 2026-10-01T12:00:00Z; released automatically then.",
            "handle": "self-service-cancel-window",
            "notifyMerchant": False,
        },
    },
    "release_fulfillment_hold": {"id": FULFILLMENT_ORDER_ID, "holdIds": ["gid://shopify/FulfillmentHold/8001"]},
    # An order of two products, each with its sizes.
    "get_variant_options": {"ids": ["gid://shopify/Product/9001", "gid://shopify/Product/9002"]},
    "get_order_to_edit": {"id": ORDER_ID},
    "get_order_payments": {"id": ORDER_ID},
    "begin_order_edit": {"id": ORDER_ID},
    "set_order_edit_quantity": {
        "id": CALCULATED_ORDER_ID,
        "lineItemId": "gid://shopify/CalculatedLineItem/9001",
        "quantity": 1,
        "restock": True,
    },
    "add_order_edit_variant": {
        "id": CALCULATED_ORDER_ID,
        "variantId": "gid://shopify/ProductVariant/20002",
        "quantity": 1,
    },
    "commit_order_edit": {
        "id": CALCULATED_ORDER_ID,
        "notifyCustomer": True,
        "staffNote": "Changed by the customer (self-service): Mug 2 → 1.",
    },
    "refund_edit_difference": {
        "input": {
            "orderId": ORDER_ID,
            "notify": True,
            "transactions": [
                {
                    "orderId": ORDER_ID,
                    "parentId": "gid://shopify/OrderTransaction/60001",
                    "gateway": "bogus",
                    "kind": "REFUND",
                    "amount": "25.00",
                }
            ],
        },
        "idempotencyKey": "edit-refund-ccr_0123456789abcdef0123",
    },
    "update_shipping_address": {
        "input": {
            "id": ORDER_ID,
            "shippingAddress": {"address1": "Keizersgracht 1", "city": "Amsterdam", "countryCode": "NL"},
        }
    },
}

# The order page's read grew from 30 to 111 points with what editing needs of each of its 20 line items (id,
# price, variant and product): it is read only when the order is not cached (webhooks carry all of it).
BUDGETS = {"get_order": 120, "get_order_cancelled_at": 2, "list_customer_orders": 150}
# The Shopify calls of one cancellation: the POST's read of the order, the worker's read right before orderCancel,
# orderCancel, one look at the Job and cancelledAt, the tag (the shopper's page came from the cache).
CANCELLATION = (
    "get_order_to_decide",
    "get_order_to_decide",
    "cancel_order",
    "get_job",
    "get_order_cancelled_at",
    "add_tags",
)
CANCELLATION_BUDGET = 60


def readme_costs() -> dict[str, int]:
    """README's table under TABLE_HEADING: each document (first column, in backticks) → its cost (last column)."""
    lines = README.read_text().splitlines()
    assert TABLE_HEADING in lines, f"README.md has no {TABLE_HEADING!r} subsection"
    costs: dict[str, int] = {}
    for line in lines[lines.index(TABLE_HEADING) + 1 :]:
        if line.startswith("#"):
            break
        match = re.fullmatch(r"\|\s*`([a-z_]+)`\s*\|.*\|\s*(\d+)\s*\|", line.strip())
        if match:
            assert match[1] not in costs, f"{match[1]} is in README's cost table twice"
            costs[match[1]] = int(match[2])
    return costs


@pytest.fixture(scope="module")
def costs(admin_schema) -> dict[str, int]:
    return {
        name: request_cost(admin_schema, DOCUMENTS[name].document, None, VARIABLES[name]) for name in OPERATION_FILES
    }


def test_every_document_has_variables():
    assert set(VARIABLES) == set(OPERATION_FILES)


@pytest.mark.parametrize("name", OPERATION_FILES)
def test_variables_match_the_schema(admin_schema, name):
    # Costs computed with variables Shopify would refuse would say nothing about the app's calls.
    document = DOCUMENTS[name].document
    operation = next(d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode))
    result = get_variable_values(admin_schema, operation.variable_definitions or (), VARIABLES[name])
    assert not isinstance(result, list), result


def test_readme_table_lists_every_document():
    assert sorted(readme_costs()) == sorted(OPERATION_FILES)


@pytest.mark.parametrize("name", OPERATION_FILES)
def test_cost_matches_readme(costs, name):
    listed = readme_costs().get(name)
    assert costs[name] == listed, f"{name} costs {costs[name]} points; README.md's table says {listed}"


@pytest.mark.parametrize(("name", "budget"), BUDGETS.items())
def test_cost_is_within_budget(costs, name, budget):
    assert costs[name] <= budget


def test_one_cancellation_is_within_budget(costs):
    spent = {name: costs[name] for name in CANCELLATION}
    assert sum(spent.values()) <= CANCELLATION_BUDGET, (
        f"one cancellation costs {sum(spent.values())} points {spent}; the issue's target is ≤ {CANCELLATION_BUDGET}"
    )


def test_the_client_paces_each_call_by_its_cost(costs):
    """What a call takes from the shop's cost bucket before it is sent (cost_bucket/) is what it costs."""
    from storefront_proxy.shopify.client import ESTIMATED_COSTS

    assert ESTIMATED_COSTS == costs
