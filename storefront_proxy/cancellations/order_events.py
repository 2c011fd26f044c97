"""What an order webhook means for the order's cancellation request and its open edit: cancelled in Shopify,
shipping started, or only a new name or e-mail. Safe to repeat and to receive out of order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storefront_proxy.cancellations.execution import SHIPPED_MESSAGE
from storefront_proxy.cancellations.records import RequestStatus, ShopperRequest
from storefront_proxy.shopify.webhook_orders import webhook_version
from storefront_proxy.store import Store

# An order's REST ``fulfillment_status`` once some of it has shipped.
SHIPPING_STATUSES = {"fulfilled", "partial", "restocked"}
# What an edit that can no longer be made tells the shopper (edits/execution.py words a worker's finding so too).
EDIT_SHIPPED_MESSAGE = "Your order started shipping before we could change it, so nothing was changed."
EDIT_CANCELLED_MESSAGE = "This order has been cancelled."
# A request a shipping order can still end: one no worker is carrying out.
OPEN_STATUSES = {RequestStatus.PENDING_REVIEW, RequestStatus.QUEUED}


def order_changed(store: Store, now: datetime, topic: str, shop: str, payload: dict[str, Any]) -> str:
    """Apply an ``orders/*`` delivery (the order's REST fields) to the order's requests; returns the effect on its
    cancellation request."""
    edit_changed(store, now, topic, shop, payload)
    request = store.requests.for_order(shop, payload["id"])
    if request is None:
        return "no_request"
    cancelled = order_is_cancelled(topic, payload)
    updated_at = webhook_version(payload)
    shipping = _is_shipping(payload)

    def apply(r: ShopperRequest) -> None:
        if updated_at is not None:
            _refresh_order_details(r, payload, updated_at)
        if cancelled:
            if r.status.is_final and r.status is not RequestStatus.FAILED:
                return
            r.tell(None)
            detail = "the order was cancelled in Shopify"
            r.record(now, "cancelled_in_shopify", status=RequestStatus.CANCELLED, detail=detail)
        elif shipping:
            # A request being processed is left to the worker, which re-checks the order itself.
            if r.status not in OPEN_STATUSES:
                return
            r.tell(SHIPPED_MESSAGE, "outcome.shipped")
            r.record(now, "rejected", status=RequestStatus.REJECTED, detail=f"{topic}: fulfillment started")

    store.requests.update(request.id, apply)
    return "cancelled" if cancelled else "checked_shipping" if shipping else "none"


def edit_changed(store: Store, now: datetime, topic: str, shop: str, payload: dict[str, Any]) -> str:
    """An open edit (waiting for review or for a worker) of an order that was cancelled or started shipping ends
    ``rejected``: nothing of it can be made any more. One a worker is carrying out is left to the worker."""
    edit = store.requests.latest_edit(shop, payload["id"])
    if edit is None or edit.status not in OPEN_STATUSES:
        return "no_open_edit"
    cancelled = order_is_cancelled(topic, payload)
    if not cancelled and not _is_shipping(payload):
        return "none"

    def apply(r: ShopperRequest) -> None:
        if r.status not in OPEN_STATUSES:
            return
        if cancelled:
            r.tell(EDIT_CANCELLED_MESSAGE, "edit_ineligible.already_cancelled")
        else:
            r.tell(EDIT_SHIPPED_MESSAGE, "outcome.edit_shipped")
        reason = "the order was cancelled" if cancelled else "fulfillment started"
        r.record(now, "rejected", status=RequestStatus.REJECTED, detail=f"{topic}: {reason}")

    store.requests.update(edit.id, apply)
    return "edit_rejected"


def _is_shipping(payload: dict[str, Any]) -> bool:
    return (payload.get("fulfillment_status") or "") in SHIPPING_STATUSES or bool(payload.get("fulfillments"))


def order_is_cancelled(topic: str, payload: dict[str, Any]) -> bool:
    return topic == "orders/cancelled" or bool(payload.get("cancelled_at"))


def _refresh_order_details(r: ShopperRequest, payload: dict[str, Any], updated_at: datetime) -> None:
    """Keep the order's name and e-mail on the request current; an older delivery never overwrites a newer one."""
    if r.order_updated_at is not None and updated_at < r.order_updated_at:
        return
    r.order_updated_at = updated_at
    if isinstance(payload.get("name"), str) and payload["name"]:
        r.order_name = payload["name"]
    if "email" in payload and (payload["email"] is None or isinstance(payload["email"], str)):
        r.customer_email = payload["email"] or None
