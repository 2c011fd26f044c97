"""An ``orders/*`` webhook's order (Shopify's REST shape) as the ``Order`` the Admin GraphQL API gives.

Webhook payloads are the REST resource (https://shopify.dev/docs/api/admin-rest/latest/resources/order), so each
field the eligibility rules read is translated here to what ``OrderForCancellation`` would have said.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from storefront_proxy.shopify.models import CUSTOMER_GID_PREFIX, ORDER_GID_PREFIX, Fulfillment, LineItem, Order
from storefront_proxy.times import parse_time

FULFILLMENT_GID_PREFIX = "gid://shopify/Fulfillment/"
# The line items the GraphQL fragments read; beyond them, ``more_line_items`` says there are others.
LINE_ITEMS_READ = 20
# REST ``fulfillment_status`` → GraphQL ``displayFulfillmentStatus``. REST says null for an order nothing of which
# has shipped, whether or not a fulfillment order is on hold or in progress, so null becomes UNFULFILLED: a page
# may show such an order as cancellable, and the POST, which reads Shopify fresh, then says it is not.
FULFILLMENT_STATUSES = {
    None: "UNFULFILLED",
    "partial": "PARTIALLY_FULFILLED",
    "fulfilled": "FULFILLED",
    "restocked": "RESTOCKED",
}


def webhook_version(payload: dict[str, Any]) -> datetime | None:
    """The delivery's ``updated_at``: the order's version, or None when it has none that parses."""
    value = payload.get("updated_at")
    if not isinstance(value, str):
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def order_from_webhook(payload: dict[str, Any]) -> Order | None:
    """The order an ``orders/*`` delivery describes, or None when it lacks what the rules need."""
    try:
        return Order.model_validate(_graphql_fields(payload))
    except (ValidationError, AttributeError, KeyError, TypeError, ValueError):
        return None


def _graphql_fields(payload: dict[str, Any]) -> dict[str, Any]:
    customer = payload.get("customer")
    customer_id = customer.get("id") if isinstance(customer, dict) else None
    money = ((payload.get("total_price_set") or {}).get("shop_money")) or {}
    line_items = [item for item in payload.get("line_items") or [] if isinstance(item, dict)]
    fulfillment_status = payload.get("fulfillment_status")
    financial_status = payload.get("financial_status")
    tags = payload.get("tags")
    return {
        "id": f"{ORDER_GID_PREFIX}{int(payload['id'])}",
        "legacy_resource_id": int(payload["id"]),
        "name": payload["name"],
        "email": payload.get("email") or None,
        "created_at": payload["created_at"],
        "updated_at": payload.get("updated_at"),
        "cancelled_at": payload.get("cancelled_at"),
        "cancel_reason": (payload.get("cancel_reason") or "").upper() or None,
        "closed": payload.get("closed_at") is not None,
        "test": bool(payload.get("test")),
        "display_financial_status": financial_status.upper() if isinstance(financial_status, str) else None,
        # An unknown status is kept (upper-cased), so the rules count it as started.
        "display_fulfillment_status": FULFILLMENT_STATUSES.get(fulfillment_status) or str(fulfillment_status).upper(),
        "customer": {"id": f"{CUSTOMER_GID_PREFIX}{int(customer_id)}"} if customer_id is not None else None,
        # REST tags are one comma-separated string.
        "tags": [tag.strip() for tag in tags.split(",") if tag.strip()] if isinstance(tags, str) else [],
        "total_amount": money.get("amount", payload.get("total_price")),
        "currency_code": money.get("currency_code", payload.get("currency")),
        "fulfillments": [
            Fulfillment(id=f"{FULFILLMENT_GID_PREFIX}{f.get('id')}", status=str(f.get("status") or "").upper())
            for f in payload.get("fulfillments") or []
            if isinstance(f, dict)
        ],
        "line_items": [
            LineItem(name=str(item.get("name") or item.get("title") or ""), quantity=int(item.get("quantity") or 0))
            for item in line_items[:LINE_ITEMS_READ]
        ],
        "more_line_items": len(line_items) > LINE_ITEMS_READ,
        "line_items_read": True,
        # Webhooks carry no product tags: a policy that excludes some reads the order from Shopify instead.
        "product_tags_read": False,
    }
