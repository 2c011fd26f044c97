"""The devshop's webhook deliveries: what Shopify POSTs to the app when an order changes.

Signed like Shopify (base64 HMAC-SHA256 of the raw body with the app secret in X-Shopify-Hmac-Sha256), with
the X-Shopify-* headers the app reads, sent from a background thread and retried on failure, as Shopify
retries a delivery that gets no 2xx answer (Shopify's real schedule is 8 retries over 4 hours, the devshop's is
seconds; https://shopify.dev/docs/apps/build/webhooks/delivery-structure).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import requests

from devshop.state import MailingAddress, Order, iso_utc

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)


def sign_webhook(body: bytes, secret: str) -> str:
    """The X-Shopify-Hmac-Sha256 value for a raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _money_set(amount: str, currency: str) -> dict[str, Any]:
    """REST's *_set: the amount in the shop's and the presentment currency (the same in the devshop)."""
    money = {"amount": amount, "currency_code": currency}
    return {"shop_money": money, "presentment_money": dict(money)}


def address_payload(address: MailingAddress | None) -> dict[str, Any] | None:
    """A shipping address as REST spells it (snake_case; ``country_code`` is the CountryCode)."""
    if address is None:
        return None
    return {**asdict(address), "name": address.name}


def order_payload(order: Order, shop_domain: str) -> dict[str, Any]:
    """The order in the REST shape order webhooks carry (the fields the app reads, and a few more).

    ``quantity`` is what was ordered and ``current_quantity`` what is left after edits; ``total_price`` and
    ``current_total_price`` follow the edits (REST's current_total_price is also 0 once cancelled).
    """
    # The REST spelling of displayFulfillmentStatus; null while nothing has shipped.
    fulfillment_status = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial", "RESTOCKED": "restocked"}.get(
        order.display_fulfillment_status
    )
    cancelled = order.cancelled_at is not None
    return {
        "id": order.legacy_id,
        "admin_graphql_api_id": order.gid,
        "name": order.name,
        "email": order.email,
        "created_at": iso_utc(order.created_at),
        "updated_at": iso_utc(order.updated_at or order.created_at),
        "processed_at": iso_utc(order.processed_at),
        "cancelled_at": iso_utc(order.cancelled_at),
        "cancel_reason": order.cancel_reason.lower() if order.cancel_reason else None,
        "closed_at": iso_utc(order.closed_at),
        "financial_status": order.display_financial_status.lower(),
        "fulfillment_status": fulfillment_status,
        "currency": order.currency,
        "total_price": order.total_price,
        "total_price_set": _money_set(order.total_price, order.currency),
        "current_total_price": order.current_total_price,
        "current_total_price_set": _money_set(order.current_total_price, order.currency),
        "subtotal_price": order.total_price,
        "total_discounts": "0.00",
        "tags": ", ".join(order.tags),
        "test": order.test,
        "customer": {"id": order.customer_id} if order.customer_id is not None else None,
        "shipping_address": address_payload(order.shipping_address),
        "line_items": [
            {
                "id": item.legacy_id,
                "admin_graphql_api_id": item.gid,
                "variant_id": item.variant_id,
                "product_id": item.product_id,
                "title": item.title,
                "variant_title": item.variant_title,
                "name": item.name,
                "sku": item.sku,
                "vendor": item.vendor,
                "quantity": item.quantity,
                "current_quantity": 0 if cancelled else item.current_quantity,
                "fulfillable_quantity": 0 if cancelled else item.unfulfilled_quantity,
                "fulfillment_status": item.fulfillment_status,
                "price": item.unit_price,
                "price_set": _money_set(item.unit_price, order.currency),
                "total_discount": "0.00",
            }
            for item in order.line_items
        ],
        "fulfillments": [
            {
                "id": f.legacy_id,
                "status": f.status.lower(),
                "created_at": iso_utc(f.created_at),
                "line_items": f.line_items_json(),
            }
            for f in order.fulfillments
        ],
        "refunds": [
            {
                "id": refund.legacy_id,
                "admin_graphql_api_id": refund.gid,
                "created_at": iso_utc(refund.created_at),
                "note": refund.note,
                "transactions": [
                    {
                        "id": t.legacy_id,
                        "kind": t.kind.lower(),
                        "status": t.status.lower(),
                        "gateway": t.gateway,
                        "amount": t.amount,
                        "parent_id": t.parent_id,
                    }
                    for t in order.transactions
                    if t.legacy_id in refund.transaction_ids
                ],
            }
            for refund in order.refunds
        ],
        "order_status_url": f"https://{shop_domain}/account/orders/{order.legacy_id}",
    }


@dataclass
class Delivery:
    topic: str
    webhook_id: str
    body: str
    attempts: int = 0
    status: str = "pending"  # pending, delivered, failed
    answers: list[int | str] = field(default_factory=list)
    # How long the app took to answer each attempt (Shopify allows 5 s; the app aims at well under 1 s).
    seconds: list[float] = field(default_factory=list)
    order_id: int | None = None


class WebhookSender:
    """Delivers webhooks to ``{app_url}/webhooks`` when enabled (tests and ./run turn it on)."""

    def __init__(
        self,
        *,
        app_url: str,
        api_secret: str,
        shop_domain: str,
        api_version: str = "2026-10",
        enabled: bool = False,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self.url = f"{app_url.rstrip('/')}/webhooks"
        self.api_secret = api_secret
        self.shop_domain = shop_domain
        self.api_version = api_version
        self.enabled = enabled
        self.retry_delays = retry_delays
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[Delivery] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._session = requests.Session()

    def order_changed(self, topic: str, order: Order) -> None:
        """DevshopState listener: announce an order change (while the state's lock is held: only queue it)."""
        self.publish(topic, order_payload(order, self.shop_domain), order_id=order.legacy_id)

    def publish(self, topic: str, payload: dict[str, Any], order_id: int | None = None) -> Delivery | None:
        """Queue one delivery of ``topic``; None when deliveries are turned off."""
        if not self.enabled:
            return None
        delivery = Delivery(topic, str(uuid.uuid4()), json.dumps(payload, separators=(",", ":")), order_id=order_id)
        with self._lock:
            self.deliveries.append(delivery)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="devshop-webhooks", daemon=True)
                self._thread.start()
        self._queue.put(delivery)
        return delivery

    def clear(self) -> None:
        with self._lock:
            self.deliveries = [d for d in self.deliveries if d.status == "pending"]

    def report(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{k: v for k, v in asdict(d).items() if k != "body"} for d in self.deliveries]

    def idle(self) -> bool:
        with self._lock:
            return all(d.status != "pending" for d in self.deliveries)

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            self._deliver(delivery)

    def _deliver(self, delivery: Delivery) -> None:
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Hmac-Sha256": sign_webhook(body, self.api_secret),
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-Webhook-Id": delivery.webhook_id,
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Triggered-At": iso_utc(time.time()) or "",
        }
        for delay in (0.0, *self.retry_delays):
            time.sleep(delay)
            delivery.attempts += 1
            started = time.monotonic()
            try:
                # Shopify waits 5 s for an answer before it counts the delivery as failed.
                answer = self._session.post(self.url, data=body, headers=headers, timeout=5)
                delivery.seconds.append(round(time.monotonic() - started, 4))
                delivery.answers.append(answer.status_code)
                if 200 <= answer.status_code < 300:
                    delivery.status = "delivered"
                    return
            except requests.RequestException as exc:
                delivery.answers.append(type(exc).__name__)
        delivery.status = "failed"
        log.warning(
            "webhook %s %s not delivered after %d attempts", delivery.topic, delivery.webhook_id, delivery.attempts
        )
