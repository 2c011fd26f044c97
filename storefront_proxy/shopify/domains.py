"""Shop domains: the only shape trusted as a shop's name, and what operators may type for one."""

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
