"""Whether and how a shopper may edit an order: pure rules over the order, the shop's policy, the variants its
products come in and a clock.

The web app evaluates them when the shopper looks and asks; the worker re-checks the order right before editing
it in Shopify. Codes are a stable contract with the storefront (README, openapi.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from storefront_proxy.cancellations.eligibility import (
    SELF_SERVICE_DISABLED,
    WINDOW_CLOSED,
    Eligibility,
    IneligibleReason,
    check_eligibility,
)
from storefront_proxy.cancellations.records import Address, LineChange
from storefront_proxy.policy.model import Policy, RefundMethod, WindowMode
from storefront_proxy.shopify.models import LineItem, Order, ProductVariants, VariantOption

EDIT_DISABLED = "edit_disabled"
EDIT_WINDOW_CLOSED = "edit_window_closed"
# Shopify says the order can't be edited by apps (archived, another currency, a channel apps may not edit).
NOT_EDITABLE = "not_editable"

MESSAGES = {
    EDIT_DISABLED: "This shop does not offer changing orders online.",
    EDIT_WINDOW_CLOSED: "The time to change this order yourself has passed.",
    NOT_EDITABLE: "This order can't be changed online. Please contact the shop.",
}

# Payments only authorized: a lower total is captured, nothing is refunded (as for a cancellation).
UNCAPTURED = frozenset({"AUTHORIZED", "PENDING", "EXPIRED"})
# Shopify's CountryCode values are ISO 3166-1 alpha-2 codes (orderUpdate refuses any other).
COUNTRY_CODE = re.compile(r"[A-Z]{2}")


class EditInvalidError(Exception):
    """The edit asked for cannot be made (400): ``code`` says why, ``field`` where."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class RequestedLine:
    """A line item as the shopper wants it: its new quantity (0 removes it), and the variant to swap it to."""

    line_item_id: int
    quantity: int
    variant_id: int | None = None


@dataclass(frozen=True)
class EditPlan:
    """What an edit changes and what the shopper gets back."""

    line_items: tuple[LineChange, ...]
    shipping_address: Address | None
    previous_address: Address | None
    refund: Decimal | None


def edit_deadline(order: Order, policy: Policy) -> datetime | None:
    """When the shopper's edit window closes: the order's creation plus the edit window's minutes (None: until
    fulfillment)."""
    mode, minutes = policy.edit_window
    if mode is WindowMode.UNTIL_FULFILLMENT:
        return None
    return order.created_at + timedelta(minutes=minutes)


def check_edit_eligibility(order: Order, policy: Policy, now: datetime) -> Eligibility:
    """Every reason the order cannot be edited by its shopper at ``now``: the cancellation rules (not cancelled,
    closed, shipped, a payment status or tag the policy excludes), with editing's own switch and window."""
    reasons = [r for r in check_eligibility(order, policy, now).reasons if r.code != WINDOW_CLOSED]
    if policy.enabled and not policy.offers_edits:
        reasons.insert(0, IneligibleReason(EDIT_DISABLED, MESSAGES[EDIT_DISABLED]))
    # An order paid in another currency than the shop's: the app's amounts (and refundCreate's, without a
    # presentment currency) are the shop's, so it is left to the shop.
    other_currency = (
        order.presentment_currency_code is not None
        and order.currency_code is not None
        and order.presentment_currency_code != order.currency_code
    )
    if (order.merchant_editable is False or other_currency) and order.cancelled_at is None and not order.closed:
        reasons.append(IneligibleReason(NOT_EDITABLE, MESSAGES[NOT_EDITABLE]))
    deadline = edit_deadline(order, policy)
    # Exactly at the deadline the window is closed.
    if deadline is not None and now >= deadline:
        reasons.append(IneligibleReason(EDIT_WINDOW_CLOSED, MESSAGES[EDIT_WINDOW_CLOSED]))
    if not policy.enabled:
        reasons = [r for r in reasons if r.code == SELF_SERVICE_DISABLED] or reasons
    return Eligibility(reasons=tuple(reasons), deadline=deadline if order.cancelled_at is None else None)


def editable_quantity(item: LineItem) -> int:
    """The units of the line that can still be edited: those not fulfilled (Shopify edits only those)."""
    current = item.quantity_now
    if item.unfulfilled_quantity is None:
        return current
    return max(0, min(current, item.unfulfilled_quantity))


def variant_options(item: LineItem, products: dict[str, ProductVariants], policy: Policy) -> list[VariantOption]:
    """The variants the line may be swapped to: the same product's others, at exactly the unit price paid.

    A line with a discount has a lower unit price than any variant's list price, so it has none: the added variant
    would not carry the discount and the total would rise.
    """
    if not policy.edit_variants or item.product_id is None or item.unit_price is None:
        return []
    product = products.get(item.product_id)
    if product is None:
        return []
    return [v for v in product.variants if v.id != item.variant_id and v.price == item.unit_price]


def editable_lines(order: Order) -> list[LineItem]:
    """The line items an edit may touch: read with their ids and still on the order."""
    return [item for item in order.line_items if item.id is not None and item.quantity_now > 0]


def plan_edit(
    order: Order,
    policy: Policy,
    products: dict[str, ProductVariants],
    lines: list[RequestedLine],
    address: dict[str, str | None] | None,
) -> EditPlan:
    """The changes the shopper asked for, checked against the order and the policy; EditInvalidError otherwise.

    Quantities only go down (0 removes the line); a variant swap moves the line's quantity to another in-stock
    variant of its product at the same price; an address is merged onto the current one (keys left out keep
    their value). Removing every item is a cancellation, not an edit.
    """
    changes = _line_changes(order, policy, products, lines)
    new_address, previous = _address_change(order, policy, address)
    if not changes and new_address is None:
        raise EditInvalidError("no_changes", "The edit changes nothing on the order.")
    remaining = {item.legacy_id: item.quantity_now for item in editable_lines(order)}
    for change in changes:
        remaining[change.line_item_id] = change.to_quantity
    # Lines read without an id can't be counted on; lines already at 0 are not items the order keeps.
    untouched = [item for item in order.line_items if item.id is None and item.quantity_now > 0]
    if changes and sum(remaining.values()) == 0 and not order.more_line_items and not untouched:
        raise EditInvalidError(
            "removes_every_item", "An edit can't remove every item; cancel the order instead.", "line_items"
        )
    return EditPlan(tuple(changes), new_address, previous, _refund(order, policy, changes))


def _line_changes(
    order: Order, policy: Policy, products: dict[str, ProductVariants], lines: list[RequestedLine]
) -> list[LineChange]:
    changes: list[LineChange] = []
    seen: set[int] = set()
    for line in lines:
        if line.line_item_id in seen:
            raise EditInvalidError("duplicate_line_item", "Each line item can be named once.", "line_items")
        seen.add(line.line_item_id)
        item = order.line_item(line.line_item_id)
        if item is None or item.id is None or item.quantity_now <= 0:
            raise EditInvalidError("unknown_line_item", "The order has no such line item to change.", "line_items")
        current = item.quantity_now
        if line.quantity > current:
            raise EditInvalidError("quantity_increase", "Quantities can only be lowered.", "line_items")
        swap = _swap_to(item, line, products, policy)
        if line.quantity == current and swap is None:
            continue
        if line.quantity < current and not policy.edit_quantities:
            raise EditInvalidError("edit_not_offered", "This shop does not offer lowering quantities.", "line_items")
        # Fulfilled units are not editable: the new quantity can't go below them.
        if current - line.quantity > editable_quantity(item) or (
            swap is not None and editable_quantity(item) < current
        ):
            raise EditInvalidError(
                "unknown_line_item", "Part of this line item has shipped and can't be changed.", "line_items"
            )
        changes.append(
            LineChange(
                line_item_id=line.line_item_id,
                title=item.title or item.name,
                variant_title=item.variant_title,
                from_quantity=current,
                to_quantity=line.quantity,
                unit_price=item.unit_price,
                variant_id=swap.legacy_id if swap is not None else None,
                new_variant_title=swap.title if swap is not None else None,
            )
        )
    return changes


def _swap_to(
    item: LineItem, line: RequestedLine, products: dict[str, ProductVariants], policy: Policy
) -> VariantOption | None:
    """The variant the line is swapped to, or None when it keeps its own."""
    if line.variant_id is None or line.quantity == 0:
        return None
    if item.variant_id is not None and item.variant_id.endswith(f"/{line.variant_id}"):
        return None
    if not policy.edit_variants:
        raise EditInvalidError("edit_not_offered", "This shop does not offer swapping items.", "line_items")
    option = next((v for v in variant_options(item, products, policy) if v.legacy_id == line.variant_id), None)
    if option is None:
        raise EditInvalidError("unknown_variant", "That variant is not offered for this item.", "line_items")
    if not option.available_for_sale:
        raise EditInvalidError("variant_unavailable", "That variant is out of stock.", "line_items")
    return option


def current_address(order: Order) -> Address | None:
    address = order.shipping_address
    if address is None:
        return None
    return Address(**address.model_dump())


def _address_change(
    order: Order, policy: Policy, wanted: dict[str, str | None] | None
) -> tuple[Address | None, Address | None]:
    """The new address (None when it is not changed) and the current one."""
    previous = current_address(order)
    if wanted is None:
        return None, previous
    if not policy.edit_shipping_address:
        raise EditInvalidError("edit_not_offered", "This shop does not offer changing the address.", "shipping_address")
    if previous is None:
        raise EditInvalidError(
            "no_shipping_address", "This order has no shipping address to change.", "shipping_address"
        )
    merged = {**previous.model_dump(), **{k: _clean(v) for k, v in wanted.items()}}
    if merged.get("country_code"):
        merged["country_code"] = str(merged["country_code"]).upper()
    for field in ("address1", "city", "country_code"):
        if not merged.get(field):
            raise EditInvalidError("invalid_address", f"The address needs {field}.", f"shipping_address.{field}")
    if not COUNTRY_CODE.fullmatch(str(merged["country_code"])):
        raise EditInvalidError(
            "invalid_address", "country_code is a two-letter ISO code.", "shipping_address.country_code"
        )
    if merged["country_code"] != (previous.country_code or "").upper() and "province_code" not in wanted:
        # Another country's provinces are not this one's.
        merged["province_code"] = None
    new = Address(**merged)
    if new == previous:
        return None, previous
    if policy.edit_address_same_country and (previous.country_code or "").upper() != new.country_code:
        raise EditInvalidError(
            "address_country_change",
            "The address can only be changed within its country.",
            "shipping_address.country_code",
        )
    return new, previous


def _clean(value: str | None) -> str | None:
    value = " ".join(value.split()) if isinstance(value, str) else None
    return value or None


def _refund(order: Order, policy: Policy, changes: list[LineChange]) -> Decimal | None:
    """What the shopper gets back: the units taken off at the price paid, when a captured payment is refunded
    (None when the payment was only authorized, the policy refunds nothing, or nothing gets cheaper)."""
    if policy.refund_method is RefundMethod.NONE or (order.display_financial_status or "").upper() in UNCAPTURED:
        return None
    taken_off = sum(
        ((change.unit_price or Decimal(0)) * (change.from_quantity - change.to_quantity) for change in changes),
        Decimal(0),
    )
    return taken_off if taken_off > 0 else None
