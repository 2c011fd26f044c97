"""What every job needs from its worker process: settings, the store, Shopify clients, a clock and a sleep."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from storefront_proxy.settings import Settings, get_settings
from storefront_proxy.shopify.client import ShopifyClient
from storefront_proxy.shopify.shops import client_for_shop
from storefront_proxy.shopify.tokens import token_cipher
from storefront_proxy.store import Store, connect


@dataclass
class WorkerContext:
    """What a job needs from its process: settings, the store, Shopify clients, a clock and a sleep."""

    settings: Settings
    store: Store
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]

    def shopify(self, shop: str) -> ShopifyClient:
        return client_for_shop(self.settings, self.store, shop, max_attempts=self.settings.shopify_worker_attempts)


@functools.cache
def worker_context() -> WorkerContext:
    """One context per worker process (RQ forks a work horse per job; the cache is inherited)."""
    settings = get_settings()
    # A job waits Redis out (a restart mid-job): the request it carries was accepted and must be finished.
    store = Store(connect(settings.redis_url, wait_for_server=True), token_cipher(settings))
    return WorkerContext(settings, store, lambda: datetime.now(UTC), time.sleep)
