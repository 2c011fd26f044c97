"""An ``orders/*`` webhook's order (Shopify's REST shape) as the ``Order`` the Admin GraphQL API gives.

Webhook payloads are the REST resource (https://shopify.dev/docs/api/admin-rest/latest/resources/order), so each
field the eligibility rules read is translated here to what ``OrderForCancellation`` would have said.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from storefront_proxy.shopify.models import (
    CUSTOMER_GID_PREFIX,
    ORDER_GID_PREFIX,
    Fulfillment,
    LineItem,
    MailingAddress,
    Order,
)
from storefront_proxy.times import parse_time

FULFILLMENT_GID_PREFIX = "gid://shopify/Fulfillment/"
LINE_ITEM_GID_PREFIX = "gid://shopify/LineItem/"
VARIANT_GID_PREFIX = "gid://shopify/ProductVariant/"
PRODUCT_GID_PREFIX = "gid://shopify/Product/"
ADDRESS_FIELDS = ("first_name", "last_name", "company", "address1", "address2", "city", "province_code", "zip")
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
    except (ValidationError, AttributeError, KeyError, TypeError, ValueError, ArithmeticError):
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
        "line_items": [_line_item(item) for item in line_items[:LINE_ITEMS_READ]],
        "shipping_address": _address(payload.get("shipping_address")),
        "presentment_currency_code": payload.get("presentment_currency")
        if isinstance(payload.get("presentment_currency"), str)
        else None,
        "more_line_items": len(line_items) > LINE_ITEMS_READ,
        "line_items_read": True,
        # Webhooks carry no product tags: a policy that excludes some reads the order from Shopify instead.
        "product_tags_read": False,
    }


def _gid(prefix: str, value: Any) -> str | None:
    return f"{prefix}{int(value)}" if isinstance(value, int | str) and str(value).isdigit() else None


def _line_item(item: dict[str, Any]) -> LineItem:
    """A REST line item as ``LineItemForEditing`` reads it: ``quantity`` is what was ordered, ``current_quantity``
    what is left after edits, ``fulfillable_quantity`` what has not shipped, ``price`` the unit price before
    discounts, less the line's share of every discount per unit (``discount_allocations``, order-level codes
    included), as discountedUnitPriceAfterAllDiscountsSet says."""
    quantity = int(item.get("quantity") or 0)
    current = item.get("current_quantity")
    current_quantity = int(current) if isinstance(current, int) else None
    unit_price = None
    if isinstance(item.get("price"), str | int | float):
        unit_price = Decimal(str(item["price"]))
        discount = _discount(item)
        if quantity > 0 and discount > 0:
            unit_price = (unit_price - discount / quantity).quantize(Decimal("0.01"))
    fulfillable = item.get("fulfillable_quantity")
    variant = _gid(VARIANT_GID_PREFIX, item.get("variant_id"))
    product = _gid(PRODUCT_GID_PREFIX, item.get("product_id"))
    return LineItem.model_validate(
        {
            "name": str(item.get("name") or item.get("title") or ""),
            "quantity": quantity,
            "id": _gid(LINE_ITEM_GID_PREFIX, item.get("id")),
            "title": item.get("title") if isinstance(item.get("title"), str) else None,
            "variant_title": item.get("variant_title") if isinstance(item.get("variant_title"), str) else None,
            "current_quantity": current_quantity,
            "unfulfilled_quantity": int(fulfillable) if isinstance(fulfillable, int) else None,
            "unit_price": unit_price,
            "variant": {"id": variant, "product": {"id": product} if product else None} if variant else None,
        }
    )


def _address(address: Any) -> MailingAddress | None:
    if not isinstance(address, dict):
        return None
    fields = {name: address.get(name) if isinstance(address.get(name), str) else None for name in ADDRESS_FIELDS}
    country = address.get("country_code")
    phone = address.get("phone")
    return MailingAddress(
        **fields,
        country_code=country if isinstance(country, str) else None,
        phone=phone if isinstance(phone, str) else None,
    )


def _discount(item: dict[str, Any]) -> Decimal:
    """The line's discount: its share of every discount (``discount_allocations``), else ``total_discount``."""
    allocations = item.get("discount_allocations")
    if isinstance(allocations, list) and allocations:
        amounts = [a.get("amount") for a in allocations if isinstance(a, dict)]
        return sum((Decimal(str(x)) for x in amounts if isinstance(x, str | int | float)), Decimal(0))
    total = item.get("total_discount")
    return Decimal(str(total)) if isinstance(total, str | int | float) else Decimal(0)
