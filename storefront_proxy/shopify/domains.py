"""Shop domains: the only shape trusted as a shop's name, what operators may type for one, and the admin's links."""

from __future__ import annotations

import re

# A shop's permanent domain; Shopify's libraries accept only this shape before trusting a shop name.
SHOP_DOMAIN = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")


def normalize_shop_domain(value: str) -> str:
    """``Example-Shop`` or ``https://example-shop.myshopify.com/`` → ``example-shop.myshopify.com``."""
    domain = value.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if "." not in domain:
        domain = f"{domain}.myshopify.com"
    return domain


def order_admin_url(shop: str, order_id: int, admin_origin: str | None = None) -> str:
    """The order's page in the Shopify admin, ``https://admin.shopify.com/store/<handle>/orders/<id>`` (the handle
    is the myshopify subdomain); with ``admin_origin`` (SHOPIFY_ADMIN_ORIGIN: the devshop) its own order page."""
    if admin_origin:
        return f"{admin_origin.rstrip('/')}/admin/orders/{order_id}"
    handle = shop.removesuffix(".myshopify.com")
    return f"https://admin.shopify.com/store/{handle}/orders/{order_id}"
