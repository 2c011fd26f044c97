"""Webhook intake at ``POST /webhooks``: verified (``verification.py``), deduplicated, handed to RQ.

Shopify expects an answer within seconds and retries otherwise, and may deliver a webhook twice or out of order,
so the view only deduplicates by ``X-Shopify-Webhook-Id`` and enqueues; workers/webhooks.py applies it
(``topics.py``). https://shopify.dev/docs/apps/build/webhooks
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from storefront_proxy.cancellations.storefront import RECENT_ORDERS
from storefront_proxy.order_facts.feed import order_webhook_received
from storefront_proxy.services import services
from storefront_proxy.webhooks.enqueue import enqueue_webhook
from storefront_proxy.webhooks.verification import WEBHOOK_MAX_BYTES, WebhookDelivery, webhook_verified

bp = Blueprint("webhooks", __name__)

# Deliveries are retried for up to 4 hours; a week of memory covers every retry.
DEDUPE_SECONDS = 7 * 24 * 3600
# What the webhook job reads of an order; nothing else is queued, so job records in Redis never carry the order's
# addresses, notes or line items.
ORDER_FIELDS = ("id", "name", "email", "created_at", "updated_at", "cancelled_at", "fulfillment_status")


@bp.before_request
def _allow_shopify_sized_bodies() -> None:
    request.max_content_length = WEBHOOK_MAX_BYTES


@bp.post("/webhooks")
@webhook_verified
def receive_webhook(delivery: WebhookDelivery) -> Any:
    """Deduplicate and enqueue one verified webhook delivery; 200 as soon as it is safely queued."""
    deliveries = services().store.deliveries
    if not deliveries.first(delivery.id, DEDUPE_SECONDS):
        return {"ok": True, "duplicate": True}
    try:
        order_webhook_received(
            services().store.order_facts, delivery.topic, delivery.shop, delivery.payload, RECENT_ORDERS
        )
        payload = queued_payload(delivery.topic, delivery.payload)
        enqueue_webhook(services().queue, delivery.topic, delivery.shop, payload, delivery.id)
    except Exception:
        # Not queued: forget the delivery so Shopify's retry is processed.
        deliveries.forget(delivery.id)
        raise
    return {"ok": True}


def queued_payload(topic: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The part of a delivery the webhook job reads (``topics.handle``), in the same shape."""
    if topic.startswith("orders/"):
        kept: dict[str, Any] = {name: payload[name] for name in ORDER_FIELDS if name in payload}
        fulfillments = payload.get("fulfillments")
        if isinstance(fulfillments, list):
            kept["fulfillments"] = [{"id": f.get("id") if isinstance(f, dict) else None} for f in fulfillments]
        customer = payload.get("customer")
        if isinstance(customer, dict) and "id" in customer:
            kept["customer"] = {"id": customer["id"]}
        return kept
    if topic in ("customers/redact", "customers/data_request"):
        customer = payload.get("customer")
        data_request = payload.get("data_request")
        kept = {
            "customer": {"id": customer.get("id")} if isinstance(customer, dict) else None,
            "data_request": {"id": data_request.get("id")} if isinstance(data_request, dict) else None,
        }
        for orders in ("orders_to_redact", "orders_requested"):
            if isinstance(payload.get(orders), list):
                kept[orders] = [order for order in payload[orders] if isinstance(order, int)]
        return kept
    # app/uninstalled and shop/redact need only the shop, which the job gets from the header.
    return {}
