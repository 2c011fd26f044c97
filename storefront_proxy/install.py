"""Installs outside the Shopify admin: the authorization-code grant, ``GET /auth`` then ``GET /auth/callback``.

Shopify-managed installation plus token exchange (``admin/auth.py``) is the usual way in; this flow serves
installs from a link. The callback is trusted only after its HMAC, its timestamp and the state nonce held in a
signed cookie have been checked (SHOPIFY-PLATFORM.md section 7;
https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, current_app, jsonify, redirect, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from storefront_proxy.errors import ApiError
from storefront_proxy.settings import SHOP_DOMAIN, Settings
from storefront_proxy.shopify import oauth
from storefront_proxy.shopify.errors import ShopifyTransientError

log = logging.getLogger(__name__)

bp = Blueprint("install", __name__)

# Kept equal to shopify.app.toml's [access_scopes] scopes by tests/test_install.py.
SCOPES = (
    "read_orders,write_orders,write_order_edits,read_merchant_managed_fulfillment_orders,"
    "write_merchant_managed_fulfillment_orders,read_third_party_fulfillment_orders,"
    "write_third_party_fulfillment_orders,write_app_proxy"
)
STATE_COOKIE = "selfservice_oauth_state"
STATE_SALT = "selfservice-oauth-state"
# The merchant has this long to approve the app on Shopify's page.
STATE_MAX_AGE_SECONDS = 10 * 60
# shopify-app-js allows this much clock difference on a callback's timestamp (shopify_python_api: 24 h).
TIMESTAMP_TOLERANCE_SECONDS = 90
CALLBACK_PARAMS = ("code", "hmac", "shop", "state", "timestamp")
UNSIGNED_PARAMS = ("hmac", "signature")


# -- the callback's HMAC ----------------------------------------------------------------------------------------


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


# -- views ----------------------------------------------------------------------------------------------------------


@bp.errorhandler(ApiError)
def _error(error: ApiError) -> Response:
    """The contract's JSON error, for browsers too: the storefront's error page is Liquid for a shop's theme."""
    response = jsonify(error.to_dict())
    response.status_code = error.status
    response.headers.update(error.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/auth")
def begin() -> Response:
    """Send the merchant to Shopify's grant screen for ``shop``, remembering a state nonce in a signed cookie."""
    settings = _settings()
    shop = request.args.get("shop", "")
    if not SHOP_DOMAIN.fullmatch(shop):
        raise ApiError(400, "invalid_shop", "The shop must be a shop domain like example.myshopify.com.")
    nonce = secrets.token_urlsafe(32)
    query = urlencode(
        {
            "client_id": settings.shopify_api_key,
            "scope": SCOPES,
            "redirect_uri": _callback_url(settings),
            "state": nonce,
        }
    )
    response = redirect(f"{oauth.shop_origin(settings, shop)}/admin/oauth/authorize?{query}")
    response.set_cookie(
        STATE_COOKIE,
        _state_serializer(settings).dumps({"nonce": nonce, "shop": shop}),
        max_age=STATE_MAX_AGE_SECONDS,
        path="/auth",
        httponly=True,
        secure=not settings.is_development,
        samesite="Lax",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/auth/callback")
def callback() -> Response:
    """Check Shopify's redirect, trade its code for an expiring offline token, store it, open the app."""
    settings = _settings()
    params = list(request.args.items(multi=True))
    names = [key for key, _ in params]
    if any(names.count(name) != 1 for name in CALLBACK_PARAMS):
        raise ApiError(400, "invalid_callback", "The install link is incomplete. Please install the app again.")
    secrets_ = [settings.api_secret(), *filter(None, [settings.old_api_secret()])]
    if not verify_oauth_hmac(params, secrets_):
        raise ApiError(401, "invalid_hmac", "The install link is not signed by Shopify.")
    args = request.args
    if not _fresh(args["timestamp"]):
        raise ApiError(401, "stale_callback", "The install link has expired. Please install the app again.")
    shop = args["shop"]
    if not SHOP_DOMAIN.fullmatch(shop):
        raise ApiError(400, "invalid_shop", "The shop must be a shop domain like example.myshopify.com.")
    _check_state(settings, args["state"], shop)

    try:
        token = oauth.exchange_code(settings, shop, args["code"])
    except oauth.GrantRefusedError as exc:
        log.warning("authorization code refused: %s", exc.code, extra={"shop": shop})
        raise ApiError(
            400, "invalid_code", "Shopify did not accept this install. Please install the app again."
        ) from None
    except ShopifyTransientError as exc:
        log.warning("authorization code exchange failed, retryable: %s", exc, extra={"shop": shop})
        error = ApiError(503, "shop_unavailable", "Shopify can't be reached right now. Please try again in a minute.")
        error.headers["Retry-After"] = "30"
        raise error from None
    current_app.extensions["store"].save_offline_token(shop, token)
    log.info("app installed with the authorization-code grant", extra={"shop": shop})

    response = redirect(f"{oauth.shop_origin(settings, shop)}/admin/apps/{settings.shopify_api_key}")
    response.delete_cookie(STATE_COOKIE, path="/auth", httponly=True, secure=not settings.is_development)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- helpers ----------------------------------------------------------------------------------------------------------


def _settings() -> Settings:
    return current_app.extensions["settings"]


def _state_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.api_secret(), salt=STATE_SALT)


def _callback_url(settings: Settings) -> str:
    """Where Shopify sends the merchant back: under SHOPIFY_APP_URL, never built from the request's Host header
    (a forged Host would make the grant screen redirect elsewhere). Only local development without it uses the
    request's own address."""
    path = url_for("install.callback")
    if settings.shopify_app_url:
        return f"{settings.shopify_app_url}{path}"
    return url_for("install.callback", _external=True)


def _fresh(timestamp: str) -> bool:
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    return abs(time.time() - sent) <= TIMESTAMP_TOLERANCE_SECONDS


def _check_state(settings: Settings, state: str, shop: str) -> None:
    """The callback's ``state`` must be the nonce this browser's cookie holds, for the same shop."""
    refused = ApiError(403, "invalid_state", "This install was not started here. Please install the app again.")
    cookie = request.cookies.get(STATE_COOKIE)
    if not cookie:
        raise refused
    try:
        held: Any = _state_serializer(settings).loads(cookie, max_age=STATE_MAX_AGE_SECONDS)
    except BadSignature:
        raise refused from None
    if not isinstance(held, dict) or not isinstance(held.get("nonce"), str):
        raise refused
    same_nonce = hmac.compare_digest(held["nonce"].encode(), state.encode())
    if not same_nonce or held.get("shop") != shop:
        raise refused
