"""Which access token talks to which shop."""

from __future__ import annotations

from storefront_proxy.settings import Settings
from storefront_proxy.shopify.client import ShopifyClient
from storefront_proxy.shopify.errors import UnknownShopError
from storefront_proxy.store import Store


def register_configured_shop(settings: Settings, store: Store) -> None:
    """Store the custom-app shop named by SHOPIFY_SHOP / SHOPIFY_ACCESS_TOKEN, if any."""
    if settings.shopify_shop and settings.shopify_access_token:
        store.register_shop(settings.shopify_shop, settings.shopify_access_token.get_secret_value())


def client_for_shop(
    settings: Settings, store: Store, shop: str, *, max_attempts: int, max_throttle_wait: float = 20.0
) -> ShopifyClient:
    """A client with the shop's access token; raises UnknownShopError when the shop has none."""
    token = store.access_token(shop)
    if token is None and shop == settings.shopify_shop and settings.shopify_access_token:
        token = settings.shopify_access_token.get_secret_value()
    if not token:
        raise UnknownShopError(f"no access token for {shop}")
    return ShopifyClient(
        shop,
        token,
        api_version=settings.shopify_api_version,
        admin_origin=settings.shopify_admin_origin,
        timeout=settings.shopify_timeout_seconds,
        max_attempts=max_attempts,
        max_throttle_wait=max_throttle_wait,
    )
