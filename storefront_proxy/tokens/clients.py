"""Shopify clients for a shop, with its token: per call for workers, reused per web thread for the storefront."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from storefront_proxy.settings import Settings
from storefront_proxy.shopify.client import ShopifyClient
from storefront_proxy.store import Store
from storefront_proxy.tokens.lifecycle import renew_refused_token, shop_token

# Storefront calls answer while the shopper waits: up to two quick retries, each waiting at most this long for
# Shopify's cost bucket (an order page needs ~30 points, the list ~72: at 100 points/s that is under a second),
# then a 503 with Retry-After.
WEB_SHOPIFY_ATTEMPTS = 3
WEB_MAX_THROTTLE_WAIT_SECONDS = 1.5


class ThreadClientCache:
    """Keeps one client per (shop, token) per thread, so storefront requests reuse Shopify connections.

    requests' sessions are not meant to be shared between threads; each web thread keeps its own few,
    the least recently used closed beyond ``per_thread``. A changed token makes a new client.
    """

    def __init__(self, per_thread: int = 32) -> None:
        self.per_thread = per_thread
        self._local = threading.local()

    def get(self, key: tuple[str, str], make: Callable[[], ShopifyClient]) -> ShopifyClient:
        clients: OrderedDict[tuple[str, str], ShopifyClient] = getattr(self._local, "clients", None) or OrderedDict()
        self._local.clients = clients
        client = clients.get(key)
        if client is None:
            client = clients[key] = make()
            while len(clients) > self.per_thread:
                clients.popitem(last=False)[1].close()
        clients.move_to_end(key)
        return client


def client_for_shop(
    settings: Settings,
    store: Store,
    shop: str,
    *,
    max_attempts: int,
    max_throttle_wait: float = 20.0,
    token: str | None = None,
) -> ShopifyClient:
    """A client with the shop's access token (``token``, or ``shop_token``'s); raises UnknownShopError without.

    A token Shopify refuses is renewed once through ``renew_refused_token``.
    """
    return ShopifyClient(
        shop,
        token or shop_token(settings, store, shop),
        api_version=settings.shopify_api_version,
        admin_origin=settings.shopify_admin_origin,
        timeout=settings.shopify_timeout_seconds,
        max_attempts=max_attempts,
        max_throttle_wait=max_throttle_wait,
        renew_token=lambda refused: renew_refused_token(settings, store, shop, refused),
        pacer=store.cost_buckets,
    )


def web_shopify_clients(settings: Settings, store: Store) -> Callable[[str], ShopifyClient]:
    """Storefront clients, reused per web thread (keep-alive to Shopify) and refreshed when a token changes."""
    cache = ThreadClientCache()

    def client(shop: str) -> ShopifyClient:
        token = shop_token(settings, store, shop)
        return cache.get(
            (shop, token),
            lambda: client_for_shop(
                settings,
                store,
                shop,
                max_attempts=WEB_SHOPIFY_ATTEMPTS,
                max_throttle_wait=WEB_MAX_THROTTLE_WAIT_SECONDS,
                token=token,
            ),
        )

    return client
