"""Verifies every webhook delivery before anything reads it.

Shopify signs the raw body (``X-Shopify-Hmac-Sha256``, base64 HMAC-SHA256 with the app secret); Shopify's
``shopifyapp`` package checks it, with the previous secret during a rotation
(https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import request
from shopify_app import verify_webhook_req

from storefront_proxy.http_errors import ApiError
from storefront_proxy.services import services
from storefront_proxy.shopify.domains import SHOP_DOMAIN

log = logging.getLogger(__name__)

TOPIC = re.compile(r"[a-z_]+/[a-z_]+")
# An order webhook is the whole REST Order (an orders/updated with 40 line items is ~25 KB; large orders run to
# megabytes), so /webhooks accepts far more than the app-wide limit that keeps /proxy and /admin small.
WEBHOOK_MAX_BYTES = 10 * 1024 * 1024
DELIVERY_ID_MAX = 200

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class WebhookDelivery:
    """A verified delivery: its topic, shop, delivery id and body."""

    topic: str
    shop: str
    id: str
    payload: dict[str, Any]


def verify_webhook(body: bytes, headers: dict[str, str], url: str) -> WebhookDelivery:
    """The delivery, once its signature, headers and body are checked; ApiError 401 or 400 otherwise."""
    settings = services().settings
    try:
        text = body.decode("utf-8")
        result = verify_webhook_req(
            {"method": "POST", "headers": headers, "url": url, "body": text},
            settings.app_credentials(),
        )
        verified = result.ok
    except (UnicodeDecodeError, TypeError, ValueError):
        verified = False
    except RecursionError:
        # shopifyapp parses the body for its log (redact_http_log) before checking: JSON nested too deep to parse.
        raise _not_an_object() from None
    if not verified:
        log.info("webhook refused: bad hmac")
        raise ApiError(401, "invalid_hmac", "The webhook's signature does not match.")

    topic = (headers.get("X-Shopify-Topic") or "").lower()
    shop = (headers.get("X-Shopify-Shop-Domain") or "").lower()
    delivery = headers.get("X-Shopify-Webhook-Id") or headers.get("X-Shopify-Event-Id") or ""
    if not TOPIC.fullmatch(topic) or not SHOP_DOMAIN.fullmatch(shop) or not delivery or len(delivery) > DELIVERY_ID_MAX:
        raise ApiError(400, "invalid_webhook", "The webhook lacks its topic, shop or id.")
    try:
        payload = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise _not_an_object()
    return WebhookDelivery(topic, shop, delivery, payload)


def _not_an_object() -> ApiError:
    return ApiError(400, "invalid_json", "The webhook body must be a JSON object.")


def webhook_verified(view: F) -> F:
    """Verify the request as a webhook delivery and pass it to the view (a ``WebhookDelivery``)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        body = request.get_data(cache=False)
        return view(verify_webhook(body, dict(request.headers), request.url), *args, **kwargs)

    return wrapped  # type: ignore[return-value]
