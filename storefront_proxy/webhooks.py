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
from storefront_proxy.queue import WEBHOOK_JOB
from storefront_proxy.settings import SHOP_DOMAIN

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

# Deliveries are retried for up to 4 hours; a week of memory covers every retry.
DEDUPE_SECONDS = 7 * 24 * 3600
TOPIC = re.compile(r"[a-z_]+/[a-z_]+")


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
    except json.JSONDecodeError:
        raise ApiError(400, "invalid_json", "The webhook body is not JSON.") from None

    store = current_app.extensions["store"]
    if not store.first_delivery(delivery, DEDUPE_SECONDS):
        return {"ok": True, "duplicate": True}
    try:
        current_app.extensions["queue"].enqueue_call(
            WEBHOOK_JOB,
            args=(topic, shop, payload),
            job_id=f"webhook-{re.sub(r'[^A-Za-z0-9_-]', '_', delivery)}",
            description=f"{topic} for {shop}",
            result_ttl=24 * 3600,
        )
    except Exception:
        # Not queued: forget the delivery so Shopify's retry is processed.
        store.forget_delivery(delivery)
        raise
    return {"ok": True}
