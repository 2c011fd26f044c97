"""Verified webhook intake at ``POST /webhooks``: check the HMAC, drop duplicates, hand the work to RQ.

Shopify signs the raw body (``X-Shopify-Hmac-Sha256``, base64 HMAC-SHA256 with the app secret); Shopify's
``shopifyapp`` package checks it. Shopify expects an answer within seconds and retries otherwise, and may
deliver a webhook twice or out of order, so the handler only verifies, deduplicates by
``X-Shopify-Webhook-Id`` and enqueues. https://shopify.dev/docs/apps/build/webhooks
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from flask import Blueprint, current_app, request
from shopify_app import verify_webhook_req

from storefront_proxy.errors import ApiError
from storefront_proxy.queue import enqueue_webhook
from storefront_proxy.settings import SHOP_DOMAIN

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

# Deliveries are retried for up to 4 hours; a week of memory covers every retry.
DEDUPE_SECONDS = 7 * 24 * 3600
TOPIC = re.compile(r"[a-z_]+/[a-z_]+")
# An order webhook is the whole REST Order (an orders/updated with 40 line items is ~25 KB; large orders run to
# megabytes), so /webhooks accepts far more than the app-wide limit that keeps /proxy and /admin small.
WEBHOOK_MAX_BYTES = 10 * 1024 * 1024
# What the webhook job reads of an order; nothing else is queued, so job records in Redis never carry the order's
# addresses, notes or line items.
ORDER_FIELDS = ("id", "name", "email", "created_at", "updated_at", "cancelled_at", "fulfillment_status")


@bp.before_request
def _allow_shopify_sized_bodies() -> None:
    request.max_content_length = WEBHOOK_MAX_BYTES


@bp.post("/webhooks")
def receive_webhook() -> Any:
    """Verify, deduplicate and enqueue one webhook delivery; 200 as soon as it is safely queued."""
    settings = current_app.extensions["settings"]
    try:
        body = request.get_data(cache=False).decode("utf-8")
        result = verify_webhook_req(
            {"method": "POST", "headers": dict(request.headers), "url": request.url, "body": body},
            {
                "client_id": settings.shopify_api_key or "",
                "client_secret": settings.api_secret(),
                "old_client_secret": settings.old_api_secret(),
            },
        )
        verified = result.ok
    except (UnicodeDecodeError, TypeError, ValueError):
        verified = False
    except RecursionError:
        # shopifyapp parses the body for its log (redact_http_log) before checking: JSON nested too deep to parse.
        raise ApiError(400, "invalid_json", "The webhook body must be a JSON object.") from None
    if not verified:
        log.info("webhook refused: bad hmac")
        raise ApiError(401, "invalid_hmac", "The webhook's signature does not match.")

    topic = (request.headers.get("X-Shopify-Topic") or "").lower()
    shop = (request.headers.get("X-Shopify-Shop-Domain") or "").lower()
    delivery = request.headers.get("X-Shopify-Webhook-Id") or request.headers.get("X-Shopify-Event-Id") or ""
    if not TOPIC.fullmatch(topic) or not SHOP_DOMAIN.fullmatch(shop) or not delivery or len(delivery) > 200:
        raise ApiError(400, "invalid_webhook", "The webhook lacks its topic, shop or id.")
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_json", "The webhook body must be a JSON object.")

    store = current_app.extensions["store"]
    if not store.first_delivery(delivery, DEDUPE_SECONDS):
        return {"ok": True, "duplicate": True}
    try:
        enqueue_webhook(current_app.extensions["queue"], topic, shop, queued_payload(topic, payload), delivery)
    except Exception:
        # Not queued: forget the delivery so Shopify's retry is processed.
        store.forget_delivery(delivery)
        raise
    return {"ok": True}


def queued_payload(topic: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The part of a delivery the webhook job reads (workers/jobs.py ``handle_webhook``), in the same shape."""
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
