"""Which access token talks to which shop."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from storefront_proxy.settings import Settings
from storefront_proxy.shopify.client import ShopifyClient
from storefront_proxy.shopify.errors import UnknownShopError
from storefront_proxy.store import Store


def register_configured_shop(settings: Settings, store: Store) -> None:
    """Store the custom-app shop named by SHOPIFY_SHOP / SHOPIFY_ACCESS_TOKEN, if any."""
    if settings.shopify_shop and settings.shopify_access_token:
        store.register_shop(settings.shopify_shop, settings.shopify_access_token.get_secret_value())


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


def shop_token(settings: Settings, store: Store, shop: str) -> str:
    """The shop's access token; raises UnknownShopError when it has none."""
    token = store.access_token(shop)
    if token is None and shop == settings.shopify_shop and settings.shopify_access_token:
        token = settings.shopify_access_token.get_secret_value()
    if not token:
        raise UnknownShopError(f"no access token for {shop}")
    return token


def client_for_shop(
    settings: Settings, store: Store, shop: str, *, max_attempts: int, max_throttle_wait: float = 20.0
) -> ShopifyClient:
    """A client with the shop's access token; raises UnknownShopError when the shop has none."""
    return ShopifyClient(
        shop,
        shop_token(settings, store, shop),
        api_version=settings.shopify_api_version,
        admin_origin=settings.shopify_admin_origin,
        timeout=settings.shopify_timeout_seconds,
        max_attempts=max_attempts,
        max_throttle_wait=max_throttle_wait,
    )
