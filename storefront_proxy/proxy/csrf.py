"""Tokens that tie a cancel form to one shop, shopper and order, so another site cannot post it.

Shopify's app proxy strips cookies, so the usual cookie-bound csrf token cannot work here; instead the
token is an expiring HMAC over (shop, customer, order) with a key derived from the app secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

PURPOSE = b"storefront-cancel-csrf-v1"
# "<expiry seconds>.<base64url HMAC-SHA256 without padding>"
TOKEN_SHAPE = re.compile(r"([0-9]{1,12})\.([A-Za-z0-9_-]{43})")


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()


def _mac(secret: str, shop: str, customer_id: int, order_id: int, expires: int) -> str:
    message = f"{shop}|{customer_id}|{order_id}|{expires}".encode()
    digest = hmac.new(_key(secret), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_token(secret: str, shop: str, customer_id: int, order_id: int, now: float, ttl_seconds: int) -> str:
    expires = int(now) + ttl_seconds
    return f"{expires}.{_mac(secret, shop, customer_id, order_id, expires)}"


def token_is_valid(secret: str, token: str, shop: str, customer_id: int, order_id: int, now: float) -> bool:
    shape = TOKEN_SHAPE.fullmatch(token)
    if shape is None:
        return False
    expires, mac = int(shape.group(1)), shape.group(2)
    if expires <= now:
        return False
    return hmac.compare_digest(mac, _mac(secret, shop, customer_id, order_id, expires))
