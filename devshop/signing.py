"""Shopify's app-proxy signature, as documented on shopify.dev ("Authenticate app proxies")."""

from __future__ import annotations

import hashlib
import hmac


def sign_proxy_query(params: list[tuple[str, str]], secret: str) -> str:
    """Return the hex HMAC-SHA256 signature Shopify puts on a proxied request's (decoded) query params."""
    grouped: dict[str, list[str]] = {}
    for key, value in params:
        if key == "signature":
            continue
        grouped.setdefault(key, []).append(value)
    # The docs sample sorts the joined "key=value" strings (not the keys) and concatenates them with no separator;
    # that differs from sorting by key only when one key is a prefix of another
    # (https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies).
    message = "".join(sorted(f"{key}={','.join(values)}" for key, values in grouped.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
