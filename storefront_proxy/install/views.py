"""Installs outside the Shopify admin: the authorization-code grant, ``GET /auth`` then ``GET /auth/callback``.

Shopify-managed installation plus token exchange (``admin/auth.py``) is the usual way in; this flow serves
installs from a link. The callback is trusted only after its HMAC, its timestamp and the state nonce held in a
signed cookie have been checked (``verification.py``;
https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant).
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from flask import Blueprint, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response

from storefront_proxy.http_errors import ApiError
from storefront_proxy.install.verification import STATE_COOKIE, STATE_MAX_AGE_SECONDS, state_serializer, verify_callback
from storefront_proxy.services import services
from storefront_proxy.settings import Settings
from storefront_proxy.shopify import oauth
from storefront_proxy.shopify.domains import SHOP_DOMAIN
from storefront_proxy.shopify.errors import ShopifyTransientError

log = logging.getLogger(__name__)

bp = Blueprint("install", __name__)

# Kept equal to shopify.app.toml's [access_scopes] scopes by tests/install/test_install.py.
SCOPES = (
    "read_orders,write_orders,write_order_edits,read_merchant_managed_fulfillment_orders,"
    "write_merchant_managed_fulfillment_orders,read_third_party_fulfillment_orders,"
    "write_third_party_fulfillment_orders,write_app_proxy"
)


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
    settings = services().settings
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
        state_serializer(settings).dumps({"nonce": nonce, "shop": shop}),
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
    settings = services().settings
    shop, code = verify_callback(settings, list(request.args.items(multi=True)), request.cookies.get(STATE_COOKIE))
    try:
        token = oauth.exchange_code(settings, shop, code)
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
    services().store.tokens.save(shop, token)
    log.info("app installed with the authorization-code grant", extra={"shop": shop})

    response = redirect(f"{oauth.shop_origin(settings, shop)}/admin/apps/{settings.shopify_api_key}")
    response.delete_cookie(STATE_COOKIE, path="/auth", httponly=True, secure=not settings.is_development)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- helpers ----------------------------------------------------------------------------------------------------------


def _callback_url(settings: Settings) -> str:
    """Where Shopify sends the merchant back: under SHOPIFY_APP_URL, never built from the request's Host header
    (a forged Host would make the grant screen redirect elsewhere). Only local development without it uses the
    request's own address."""
    path = url_for("install.callback")
    if settings.shopify_app_url:
        return f"{settings.shopify_app_url}{path}"
    return url_for("install.callback", _external=True)
