"""What a use case run by a job needs from its worker process: settings, the store, Shopify clients, a clock and a
sleep. ``workers/context.py`` builds one per worker process; tests build their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rq import Queue

from storefront_proxy.job_queue import make_queue
from storefront_proxy.settings import Settings
from storefront_proxy.shopify.client import ShopifyClient
from storefront_proxy.store import Store
from storefront_proxy.tokens.clients import client_for_shop


@dataclass
class JobContext:
    settings: Settings
    store: Store
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]

    def shopify(self, shop: str) -> ShopifyClient:
        """A client for the shop with its (refreshed) token; raises UnknownShopError when it has none."""
        return client_for_shop(self.settings, self.store, shop, max_attempts=self.settings.shopify_worker_attempts)

    @property
    def queue(self) -> Queue:
        return make_queue(self.store.redis)
