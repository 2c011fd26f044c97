"""Where the shop's storefront proxy path lives in Redis: ``selfservice:proxy-path:<shop>``; the only module that
knows the key."""

from __future__ import annotations

import redis

from storefront_proxy.storage import Pending, ReadBatch, key, text


def proxy_path_key(shop: str) -> str:
    return key("proxy-path", shop)


class ProxyPaths:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def remember_in(self, batch: ReadBatch, shop: str, path_prefix: str) -> Pending[bool]:
        """Store the proxy path Shopify reports for the shop, with the storefront request's other reads (every
        request reports it); True when it is new or changed."""
        batch.pipe.set(proxy_path_key(shop), path_prefix, get=True)
        return batch.add(1, lambda previous: previous is None or text(previous) != path_prefix)

    def get(self, shop: str) -> str | None:
        value = self.redis.get(proxy_path_key(shop))
        return text(value) if value else None

    def forget(self, shop: str) -> None:
        """Drop the remembered path, so the next storefront request syncs it again."""
        self.redis.delete(proxy_path_key(shop))

    delete_shop = forget
