"""Whether a shopper may cancel an order: pure rules over the order, the shop's policy and a clock.

The web app evaluates them when the shopper looks and asks; the worker evaluates them again right before
``orderCancel``. Reason codes are a stable contract with the storefront and the theme block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storefront_proxy.policy.model import Policy, WindowMode
from storefront_proxy.shopify.models import Order

ALREADY_CANCELLED = "already_cancelled"
FULFILLMENT_STARTED = "fulfillment_started"
WINDOW_CLOSED = "window_closed"
ORDER_CLOSED = "order_closed"
PAYMENT_STATUS = "payment_status"
EXCLUDED_TAG = "excluded_tag"
SELF_SERVICE_DISABLED = "self_service_disabled"
# The shopper's edit of the order is still being made (an edit and a cancellation never run together).
EDIT_IN_PROGRESS = "edit_in_progress"

# Fulfillment states in which nothing has shipped: not started, held (the app's own cancel-window hold makes
# orders ON_HOLD) or scheduled for later
# (https://shopify.dev/docs/api/admin-graphql/latest/enums/OrderDisplayFulfillmentStatus). Shopify treats the
# enum as open-ended, so anything unknown counts as started; an order with any fulfillment counts as started too.
CANCELLABLE_FULFILLMENT_STATUSES = frozenset({"UNFULFILLED", "ON_HOLD", "SCHEDULED"})

MESSAGES: dict[str, str] = {
    ALREADY_CANCELLED: "This order has already been cancelled.",
    FULFILLMENT_STARTED: "This order is already being prepared for shipping, so it can no longer be cancelled here.",
    WINDOW_CLOSED: "The time to cancel this order yourself has passed.",
    ORDER_CLOSED: "This order is closed and can no longer be cancelled here.",
    PAYMENT_STATUS: "This order's payment status does not allow cancelling it here.",
    EXCLUDED_TAG: "This order can't be cancelled online. Please contact the shop.",
    SELF_SERVICE_DISABLED: "This shop does not offer online cancellation.",
    EDIT_IN_PROGRESS: "Your changes to this order are still being made. You can cancel it once they are done.",
}


@dataclass(frozen=True)
class IneligibleReason:
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Eligibility:
    """The verdict for one order at one moment."""

    reasons: tuple[IneligibleReason, ...] = field(default_factory=tuple)
    deadline: datetime | None = None

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


def with_open_edit(eligibility: Eligibility, edit_is_open: bool) -> Eligibility:
    """The verdict, with ``edit_in_progress`` while the order's edit has not finished (the POST would be a 409)."""
    if not edit_is_open:
        return eligibility
    reason = IneligibleReason(EDIT_IN_PROGRESS, MESSAGES[EDIT_IN_PROGRESS])
    return Eligibility(reasons=(*eligibility.reasons, reason), deadline=eligibility.deadline)


def cancel_deadline(order: Order, policy: Policy) -> datetime | None:
    """The moment the shopper's window closes: the order's creation plus the policy's minutes.

    None when the window has no time limit ("until_fulfillment"): only fulfillment ends it.
    """
    if policy.window_mode is WindowMode.UNTIL_FULFILLMENT:
        return None
    return order.created_at + timedelta(minutes=policy.cancel_window_minutes)


def has_excluded_tag(order: Order, policy: Policy) -> bool:
    """Whether the order, or the product of one of its line items, carries a tag the policy excludes.

    When the order has more line items than Shopify returned and product tags are excluded, the unseen
    products can't be checked, so the order counts as excluded: the merchant asked for these to go to a person.
    So does an order read without its products' tags (the caller should have asked for them).
    """
    excluded = {tag.casefold() for tag in policy.excluded_order_tags}
    if any(tag.casefold() in excluded for tag in order.tags):
        return True
    excluded_products = {tag.casefold() for tag in policy.excluded_product_tags}
    if not excluded_products:
        return False
    if order.more_line_items or not order.product_tags_read:
        return True
    return any(tag.casefold() in excluded_products for item in order.line_items for tag in item.product_tags)


def check_eligibility(order: Order, policy: Policy, now: datetime) -> Eligibility:
    """Every reason the order cannot be cancelled by its shopper at ``now`` (none means eligible).

    Ownership is not judged here: an order of another customer is never shown at all (404).
    """
    deadline = cancel_deadline(order, policy)
    reasons: list[str] = []
    if not policy.enabled:
        reasons.append(SELF_SERVICE_DISABLED)
    if order.cancelled_at is not None:
        reasons.append(ALREADY_CANCELLED)
    elif order.closed:
        reasons.append(ORDER_CLOSED)
    if order.cancelled_at is None and (
        order.display_fulfillment_status not in CANCELLABLE_FULFILLMENT_STATUSES or order.fulfillments
    ):
        reasons.append(FULFILLMENT_STARTED)
    if order.cancelled_at is None and order.display_financial_status not in policy.allowed_financial_statuses:
        reasons.append(PAYMENT_STATUS)
    if has_excluded_tag(order, policy):
        reasons.append(EXCLUDED_TAG)
    # Exactly at the deadline the window is closed.
    if deadline is not None and now >= deadline:
        reasons.append(WINDOW_CLOSED)
    shown_deadline = deadline if order.cancelled_at is None else None
    return Eligibility(
        reasons=tuple(IneligibleReason(code, MESSAGES[code]) for code in reasons),
        deadline=shown_deadline,
    )
