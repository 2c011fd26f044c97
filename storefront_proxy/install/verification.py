"""Verifies Shopify's redirect back to ``GET /auth/callback`` before anything trusts it: its HMAC, its timestamp
and the state nonce this browser's signed cookie holds (https://shopify.dev/docs/apps/build/authentication-
authorization/access-tokens/authorization-code-grant#step-3-verify-the-installation-request)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer

from storefront_proxy.http_errors import ApiError
from storefront_proxy.settings import Settings
from storefront_proxy.shopify.domains import SHOP_DOMAIN

STATE_COOKIE = "selfservice_oauth_state"
STATE_SALT = "selfservice-oauth-state"
# The merchant has this long to approve the app on Shopify's page.
STATE_MAX_AGE_SECONDS = 10 * 60
# shopify-app-js allows this much clock difference on a callback's timestamp (shopify_python_api: 24 h).
TIMESTAMP_TOLERANCE_SECONDS = 90
CALLBACK_PARAMS = ("code", "hmac", "shop", "state", "timestamp")
UNSIGNED_PARAMS = ("hmac", "signature")


def oauth_hmac_messages(params: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """The two canonical messages Shopify's libraries sign an OAuth query string as (hmac and signature left out).

    Parameters are sorted by key and joined ``key=value`` with ``&``; ``ids[]=1&ids[]=2`` becomes
    ``ids=["1", "2"]``. shopify_python_api escapes only ``%``, ``=`` (in keys) and ``&``; shopify-app-js and
    shopify-api-ruby percent-encode each value. Both agree unless a value holds a reserved character, and which
    one Shopify's server uses then is not documented, so a callback may match either.
    """
    grouped: dict[str, list[str]] = {}
    for key, value in params:
        if key not in UNSIGNED_PARAMS:
            grouped.setdefault(key, []).append(value)
    python_pairs: list[str] = []
    form_pairs: list[tuple[str, str]] = []
    for key, values in grouped.items():
        if key.endswith("[]"):
            key, value = key.removesuffix("[]"), json.dumps(values)
        elif len(values) > 1:
            raise ValueError(f"parameter {key!r} is repeated")
        else:
            value = values[0]
        escaped_key = key.replace("%", "%25").replace("=", "%3D")
        python_pairs.append(f"{escaped_key}={value.replace('%', '%25')}".replace("&", "%26"))
        form_pairs.append((key, f"{quote(key, safe='')}={quote(value, safe='*-._')}"))
    python_message = "&".join(sorted(python_pairs))
    form_message = "&".join(pair for _, pair in sorted(form_pairs))
    return python_message, form_message


def oauth_hmac(message: str, secret: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_oauth_hmac(params: Sequence[tuple[str, str]], secrets_: Iterable[str]) -> bool:
    """True when the query's single ``hmac`` parameter signs the rest with one of ``secrets_``."""
    given = [value for key, value in params if key == "hmac"]
    if len(given) != 1:
        return False
    try:
        messages = oauth_hmac_messages(params)
    except ValueError:
        return False
    supplied = given[0].strip().lower().encode()
    matched = False
    for secret in secrets_:
        for message in messages:
            # No early exit: every comparison runs, in constant time.
            matched |= hmac.compare_digest(oauth_hmac(message, secret).encode(), supplied)
    return matched


def verify_callback(settings: Settings, params: Sequence[tuple[str, str]], state_cookie: str | None) -> tuple[str, str]:
    """The shop and authorization code of a verified callback; ApiError 400, 401 or 403 otherwise."""
    names = [key for key, _ in params]
    if any(names.count(name) != 1 for name in CALLBACK_PARAMS):
        raise ApiError(400, "invalid_callback", "The install link is incomplete. Please install the app again.")
    secrets_ = [settings.api_secret(), *filter(None, [settings.old_api_secret()])]
    if not verify_oauth_hmac(params, secrets_):
        raise ApiError(401, "invalid_hmac", "The install link is not signed by Shopify.")
    args: Mapping[str, str] = dict(params)
    if not _fresh(args["timestamp"]):
        raise ApiError(401, "stale_callback", "The install link has expired. Please install the app again.")
    shop = args["shop"]
    if not SHOP_DOMAIN.fullmatch(shop):
        raise ApiError(400, "invalid_shop", "The shop must be a shop domain like example.myshopify.com.")
    _check_state(settings, args["state"], shop, state_cookie)
    return shop, args["code"]


def state_serializer(settings: Settings) -> URLSafeTimedSerializer:
    """Signs the state cookie ``GET /auth`` sets."""
    return URLSafeTimedSerializer(settings.api_secret(), salt=STATE_SALT)


def _fresh(timestamp: str) -> bool:
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    return abs(time.time() - sent) <= TIMESTAMP_TOLERANCE_SECONDS


def _check_state(settings: Settings, state: str, shop: str, cookie: str | None) -> None:
    """The callback's ``state`` must be the nonce this browser's cookie holds, for the same shop."""
    refused = ApiError(403, "invalid_state", "This install was not started here. Please install the app again.")
    if not cookie:
        raise refused
    try:
        held: Any = state_serializer(settings).loads(cookie, max_age=STATE_MAX_AGE_SECONDS)
    except BadSignature:
        raise refused from None
    if not isinstance(held, dict) or not isinstance(held.get("nonce"), str):
        raise refused
    same_nonce = hmac.compare_digest(held["nonce"].encode(), state.encode())
    if not same_nonce or held.get("shop") != shop:
        raise refused
