"""Which webhook deliveries were seen: ``selfservice:webhook:<delivery id>``; the only module that knows the key.

Shopify may deliver one webhook twice; each delivery id is remembered for ``intake.DEDUPE_SECONDS``.
"""

from __future__ import annotations

import redis

from storefront_proxy.storage import key


def delivery_key(delivery_id: str) -> str:
    return key("webhook", delivery_id)


class WebhookDeliveries:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def first(self, delivery_id: str, remember_seconds: int) -> bool:
        """True the first time a delivery id is seen."""
        return bool(self.redis.set(delivery_key(delivery_id), 1, nx=True, ex=remember_seconds))

    def forget(self, delivery_id: str) -> None:
        """Forget a delivery that could not be queued, so Shopify's retry of it is taken."""
        self.redis.delete(delivery_key(delivery_id))
