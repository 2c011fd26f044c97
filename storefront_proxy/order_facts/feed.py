"""What feeds the cached order facts: every ``orders/*`` delivery, the moment it is received.

Kept at intake rather than in the webhook job, so a cached read never serves an order older than a delivery the
app has already answered 200 to (the job may wait behind a queue of cancellations).
"""

from __future__ import annotations

from typing import Any

from storefront_proxy.order_facts.repository import OrderFacts
from storefront_proxy.shopify.webhook_orders import order_from_webhook, webhook_version


def order_webhook_received(
    facts: OrderFacts, topic: str, shop: str, payload: dict[str, Any], recent_orders: int
) -> None:
    """Keep the delivery's order at its version; a new order heads its customer's list (``recent_orders`` long)."""
    order_id = payload.get("id")
    if not topic.startswith("orders/") or not isinstance(order_id, int):
        return
    facts.saw(shop, order_id, webhook_version(payload), order_from_webhook(payload))
    customer = payload.get("customer")
    customer_id = customer.get("id") if isinstance(customer, dict) else None
    if topic == "orders/create" and isinstance(customer_id, int):
        facts.customer_ordered(shop, customer_id, order_id, recent_orders)
