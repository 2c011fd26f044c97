"""Verifies the App Bridge session token on every admin request; the shop comes from the token only.

The token is a JWT signed HS256 with the app secret, ``aud`` = the app's client id, ``dest`` = the shop,
lifetime one minute (https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens).
Shopify's own ``shopifyapp`` package checks the signature, expiry, not-before and audience.

With Shopify-managed installation the app learns about a new shop from its first admin request: a verified
session token is then traded for an expiring offline token (token exchange), which web and workers use from
then on (https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange).

A staff member the app cannot name yet (``sub``) has the same token traded once for an online token, whose
``associated_user`` names them (staff/names.py); only the name is kept, and a failure there never fails the request.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlparse

from flask import g, request
from shopify_app import verify_app_home_req

from storefront_proxy.http_errors import ApiError
from storefront_proxy.services import services
from storefront_proxy.settings import Settings
from storefront_proxy.shopify import oauth
from storefront_proxy.shopify.domains import SHOP_DOMAIN
from storefront_proxy.shopify.errors import ShopifyError, ShopifyTransientError
from storefront_proxy.shopify.session_tokens import lifetime_problem
from storefront_proxy.staff.names import learn_staff_name
from storefront_proxy.tokens.lifecycle import ensure_offline_token

log = logging.getLogger(__name__)

# App Bridge retries a request once with a fresh token when it sees this header on a 401.
RETRY_HEADER = "X-Shopify-Retry-Invalid-Session-Request"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class AdminContext:
    """Who is calling: the shop (from the token's ``dest``) and the staff member (``sub``)."""

    shop: str
    actor: str


def _unauthorized(reason: str) -> ApiError:
    log.info("admin request refused: %s", reason)
    error = ApiError(401, "invalid_session", "Your session has expired. Reload the app from the Shopify admin.")
    error.headers[RETRY_HEADER] = "1"
    return error


def verify_session_token(authorization: str, url: str) -> AdminContext:
    """The caller of a request bearing ``Authorization: Bearer <session token>``, or a 401 ApiError."""
    if not authorization.startswith("Bearer ") or len(authorization) > 8192:
        raise _unauthorized("missing_bearer_token")
    settings = services().settings
    result = verify_app_home_req(
        {"method": request.method, "headers": {"Authorization": authorization}, "url": url, "body": ""},
        settings.app_credentials(),
        app_home_patch_id_token_path="/admin/session-token-bounce",
    )
    if not result.ok or result.id_token is None:
        raise _unauthorized(result.log.code)
    claims = result.id_token.claims
    problem = lifetime_problem(claims)
    if problem:
        raise _unauthorized(problem)
    dest = urlparse(str(claims.get("dest", ""))).hostname or ""
    issuer = urlparse(str(claims.get("iss", ""))).hostname or ""
    # Shopify's libraries also require the issuer's shop to be the destination shop.
    if not SHOP_DOMAIN.fullmatch(dest) or issuer != dest:
        raise _unauthorized("shop_mismatch")
    _ensure_offline_token(settings, dest, result.id_token)
    staff_id = str(claims.get("sub") or "") or None
    if staff_id is not None:
        _learn_staff_name(settings, dest, staff_id, result.id_token)
    return AdminContext(shop=dest, actor=f"staff:{staff_id or 'unknown'}")


def _learn_staff_name(settings: Settings, shop: str, staff_id: str, id_token: Any) -> None:
    """Name the staff member from an online token exchange, when the app does not know their name yet."""
    built = services()
    learn_staff_name(built.store, shop, staff_id, lambda: oauth.staff_member_name(settings, id_token), built.clock())


def _ensure_offline_token(settings: Settings, shop: str, id_token: Any) -> None:
    """Trade the session token for an offline token when the shop has none, or only one that cannot be refreshed."""
    store = services().store
    if shop == settings.shopify_shop and settings.shopify_access_token:
        # The custom-app shop of SHOPIFY_SHOP uses SHOPIFY_ACCESS_TOKEN; once uninstalled it is refused like any
        # other shop until a new token is set (register_configured_shop).
        if store.tokens.is_uninstalled(shop):
            raise ApiError(
                403, "app_not_installed", "The app is not installed in this shop. Install it again to use it."
            )
        return
    try:
        exchanged = ensure_offline_token(
            settings, store, shop, lambda: oauth.exchange_session_token(settings, id_token)
        )
    except oauth.SessionTokenRefusedError:
        raise _unauthorized("invalid_subject_token") from None
    except ShopifyTransientError as exc:
        log.warning("token exchange failed, retryable: %s", exc, extra={"shop": shop})
        error = ApiError(503, "shop_unavailable", "Shopify can't be reached right now. Please try again in a minute.")
        error.headers["Retry-After"] = "5"
        raise error from None
    except ShopifyError as exc:
        log.error("token exchange refused: %s", exc, extra={"shop": shop})
        error = ApiError(503, "token_exchange_failed", "The app could not get access to the shop. Please try again.")
        error.headers["Retry-After"] = "30"
        raise error from None
    if exchanged is not None:
        log.info("offline token stored after token exchange", extra={"shop": shop})


def admin_authenticated(view: F) -> F:
    """Require a valid session token; sets ``g.admin`` (an AdminContext)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g.admin = verify_session_token(request.headers.get("Authorization", ""), request.url)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
