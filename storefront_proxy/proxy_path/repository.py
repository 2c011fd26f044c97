"""Where the shop's storefront proxy path lives in Redis: ``selfservice:proxy-path:<shop>``; the only module that
knows the key."""

from __future__ import annotations

import time

import redis

from storefront_proxy.storage import key, text


def proxy_path_key(shop: str) -> str:
    return key("proxy-path", shop)


# How long a process trusts what it last told Redis of a shop's path: every storefront request reports it, and a
# round trip to Redis each time is a good part of a cached read's cost.
RECENTLY_STORED_SECONDS = 60.0
MAX_RECENT_SHOPS = 10_000


class ProxyPaths:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection
        self._recent: dict[str, tuple[str, float]] = {}

    def remember(self, shop: str, path_prefix: str) -> bool:
        """Store the proxy path Shopify reports for the shop; True when it is new or changed.

        A path this process stored within ``RECENTLY_STORED_SECONDS`` is not stored again (a sync that failed in
        a worker, which forgets the path, is retried by this process that much later).
        """
        now = time.monotonic()
        recent = self._recent.get(shop)
        if recent is not None and recent[0] == path_prefix and now - recent[1] < RECENTLY_STORED_SECONDS:
            return False
        previous = self.redis.set(proxy_path_key(shop), path_prefix, get=True)
        if len(self._recent) >= MAX_RECENT_SHOPS:
            self._recent.clear()
        self._recent[shop] = (path_prefix, now)
        return previous is None or text(previous) != path_prefix

    def get(self, shop: str) -> str | None:
        value = self.redis.get(proxy_path_key(shop))
        return text(value) if value else None

    def forget(self, shop: str) -> None:
        """Drop the remembered path, so the next storefront request syncs it again."""
        self._recent.pop(shop, None)
        self.redis.delete(proxy_path_key(shop))

    delete_shop = forget
