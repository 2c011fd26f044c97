"""Shopify's Admin API for every admin test: a request's detail reads its order (from the cache, else Shopify)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def admin_api(shop):
    """The root conftest's ``shop``: orders 5001 to 5004 of the test shop, answered through ``responses``."""
    return shop
