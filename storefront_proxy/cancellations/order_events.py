"""What an order webhook means for the order's cancellation request: cancelled in Shopify, shipping started,
or only a new name or e-mail. Safe to repeat and to receive out of order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storefront_proxy.cancellations.execution import SHIPPED_MESSAGE
from storefront_proxy.cancellations.records import RequestStatus, ShopperRequest
from storefront_proxy.shopify.webhook_orders import webhook_version
from storefront_proxy.store import Store

# An order's REST ``fulfillment_status`` once some of it has shipped.
SHIPPING_STATUSES = {"fulfilled", "partial", "restocked"}
# A request a shipping order can still end: one no worker is carrying out.
OPEN_STATUSES = {RequestStatus.PENDING_REVIEW, RequestStatus.QUEUED}


def order_changed(store: Store, now: datetime, topic: str, shop: str, payload: dict[str, Any]) -> str:
    """Apply an ``orders/*`` delivery (the order's REST fields) to the order's request; returns the effect."""
    request = store.requests.for_order(shop, payload["id"])
    if request is None:
        return "no_request"
    cancelled = order_is_cancelled(topic, payload)
    updated_at = webhook_version(payload)
    shipping = (payload.get("fulfillment_status") or "") in SHIPPING_STATUSES or bool(payload.get("fulfillments"))

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
