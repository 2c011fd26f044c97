"""Shopify's token endpoint, ``POST https://{shop}/admin/oauth/access_token``: token exchange, refresh, code grant.

Token exchange and refresh go through Shopify's ``shopifyapp`` package; the authorization-code grant, which it
has no helper for, is one plain POST. Every call uses ``http_client(settings)``: in development and tests
(SHOPIFY_ADMIN_ORIGIN set) its transport sends ``https://{shop}`` requests to that origin, the devshop.
Failures are sorted like the Admin API client's (``errors``): transient ones may be retried, the rest not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from shopify_app import ShopifyApp, TokenExchangeResult

from storefront_proxy.settings import Settings
from storefront_proxy.shopify.errors import (
    ReauthorizationRequiredError,
    ShopifyAuthError,
    ShopifyThrottledError,
    ShopifyTransientError,
)
from storefront_proxy.times import iso
from storefront_proxy.tokens.model import OfflineToken

log = logging.getLogger(__name__)

MYSHOPIFY_SUFFIX = ".myshopify.com"
# shopifyapp's result codes that mean "nothing was decided, try again later".
TRANSIENT_CODES = {"network_error", "server_error", "rate_limit_exceeded"}
# ... and those that mean the refresh token is spent, revoked or expired.
REAUTHORIZE_CODES = {"invalid_grant", "refresh_token_expired"}
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
# Learning a staff member's name is worth little waiting: the admin request that asks waits for it.
STAFF_LOOKUP_TIMEOUT_SECONDS = 5.0


class SessionTokenRefusedError(ShopifyAuthError):
    """Token exchange refused the session token (``invalid_subject_token``): App Bridge should send a fresh one."""


class TokenRequestRefusedError(ShopifyAuthError):
    """Shopify's token endpoint refused a request; ``code`` is Shopify's error (``invalid_grant``, ...)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class MigrationRefusedError(TokenRequestRefusedError):
    """Shopify would not trade the non-expiring token for an expiring one."""


class GrantRefusedError(TokenRequestRefusedError):
    """The authorization code was refused (used, expired or not this app's)."""


def shop_origin(settings: Settings, shop: str) -> str:
    """Where the shop's admin answers: ``https://{shop}``, or SHOPIFY_ADMIN_ORIGIN in development."""
    return settings.shopify_admin_origin.rstrip("/") if settings.shopify_admin_origin else f"https://{shop}"


class AdminOriginTransport(httpx.BaseTransport):
    """Sends requests for ``https://*.myshopify.com`` to one origin instead (the devshop); others go as they are."""

    def __init__(self, origin: str, inner: httpx.BaseTransport | None = None) -> None:
        self._origin = httpx.URL(origin)
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host.endswith(MYSHOPIFY_SUFFIX):
            request.url = request.url.copy_with(
                scheme=self._origin.scheme, host=self._origin.host, port=self._origin.port
            )
            request.headers["Host"] = request.url.netloc.decode("ascii")
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def http_client(settings: Settings, timeout: float | None = None) -> httpx.Client:
    """An httpx client for Shopify's OAuth endpoints (close it after use); ``timeout`` below SHOPIFY_TIMEOUT_SECONDS."""
    transport = AdminOriginTransport(settings.shopify_admin_origin) if settings.shopify_admin_origin else None
    seconds = min(timeout, settings.shopify_timeout_seconds) if timeout else settings.shopify_timeout_seconds
    return httpx.Client(timeout=seconds, transport=transport)


def shopify_app(settings: Settings) -> ShopifyApp:
    return ShopifyApp(settings.shopify_api_key or "", settings.api_secret(), settings.old_api_secret())


def exchange_session_token(settings: Settings, id_token: Any) -> OfflineToken:
    """Trade a verified App Bridge session token for an expiring offline token."""
    with http_client(settings) as http:
        result = shopify_app(settings).exchange_using_token_exchange(
            "offline", id_token=id_token, expiring=True, http_client=http
        )
    if result.ok and result.access_token is not None:
        return OfflineToken.from_exchange(result.access_token)
    if result.log.code == "invalid_subject_token":
        raise SessionTokenRefusedError("Shopify refused the session token in the token exchange")
    raise _failure(result, "token exchange")


def staff_member_name(settings: Settings, id_token: Any) -> str | None:
    """The name of the staff member a verified session token belongs to (its ``sub``), or None when Shopify names
    no one; from an online token exchange, whose token is dropped here: the app acts with its offline token only.

    Shopify answers an online exchange with ``associated_user`` (``first_name``, ``last_name``, ``email``);
    without a first or last name the e-mail names the staff member.
    """
    with http_client(settings, timeout=STAFF_LOOKUP_TIMEOUT_SECONDS) as http:
        result = shopify_app(settings).exchange_using_token_exchange("online", id_token=id_token, http_client=http)
    if not result.ok or result.access_token is None:
        raise _failure(result, "online token exchange")
    user = result.access_token.user
    if user is None:
        return None
    name = " ".join(part.strip() for part in (user.first_name or "", user.last_name or "") if part.strip())
    return name or (user.email or "").strip() or None


def refresh_token(settings: Settings, shop: str, token: OfflineToken) -> OfflineToken:
    """Spend the record's refresh token for a new access and refresh token pair (Shopify rotates both)."""
    if token.refresh_token is None:
        raise ReauthorizationRequiredError(f"the token of {shop} cannot be refreshed")
    expiring = {
        # shopifyapp posts to https://{shop}.myshopify.com itself, so it wants the bare shop name.
        "shop": shop.removesuffix(MYSHOPIFY_SUFFIX),
        "refresh_token": token.refresh_token.get_secret_value(),
        # Left empty on purpose: shopifyapp skips the refresh while more than 60 s are left, but this app
        # refreshes earlier (tokens.REFRESH_MARGIN), and the caller has already decided that it is time.
        "expires": "",
        "refresh_token_expires": iso(token.refresh_token_expires_at) or "",
        "access_mode": "offline",
    }
    with http_client(settings) as http:
        result = shopify_app(settings).refresh_token_exchanged_access_token(expiring, http_client=http)
    if result.ok and result.access_token is not None:
        return OfflineToken.from_exchange(result.access_token)
    if result.log.code in REAUTHORIZE_CODES:
        raise ReauthorizationRequiredError(f"Shopify refused the refresh token of {shop} ({result.log.code})")
    raise _failure(result, "token refresh")


def exchange_code(settings: Settings, shop: str, code: str, now: datetime | None = None) -> OfflineToken:
    """The authorization-code grant's second step: the callback's ``code`` for an expiring offline token."""
    body = {
        "client_id": settings.shopify_api_key,
        "client_secret": settings.api_secret(),
        "code": code,
        "expiring": "1",
    }
    payload = _granted(
        settings,
        shop,
        body,
        lambda error: GrantRefusedError(f"Shopify refused the authorization code ({error})", error),
    )
    return OfflineToken.from_grant(payload, now or datetime.now(UTC))


def migrate_to_expiring(
    settings: Settings, shop: str, token: OfflineToken, now: datetime | None = None
) -> OfflineToken:
    """Trade a non-expiring offline token for an expiring pair (token exchange with the old token as subject).

    Shopify rejects public apps' non-expiring tokens from 2027-01-01
    (https://shopify.dev/docs/apps/build/authentication-authorization/migrate-to-expiring-offline-access-tokens).
    shopifyapp's token exchange takes only session tokens, so this is one plain POST. Raises MigrationRefusedError
    when Shopify refuses the old token, ShopifyTransientError when it could not answer.
    """
    body = {
        "client_id": settings.shopify_api_key,
        "client_secret": settings.api_secret(),
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": token.access_token.get_secret_value(),
        "subject_token_type": OFFLINE_TOKEN_TYPE,
        "requested_token_type": OFFLINE_TOKEN_TYPE,
        "expiring": "1",
    }
    payload = _granted(
        settings,
        shop,
        body,
        lambda error: MigrationRefusedError(f"Shopify refused to migrate the token of {shop} ({error})", error),
    )
    # Whatever else the answer lacks, its access token is the one to keep: the old one may be revoked already.
    try:
        return OfflineToken.from_grant(payload, now or datetime.now(UTC))
    except (TypeError, ValueError):
        token = OfflineToken.non_expiring(str(payload["access_token"]), str(payload.get("scope") or ""))
        log.warning("token migration answer without a readable expiry; keeping its access token", extra={"shop": shop})
        return token


def _granted(
    settings: Settings, shop: str, body: dict[str, Any], refused: Callable[[str], Exception]
) -> dict[str, Any]:
    """POST ``body`` to the shop's token endpoint: the answer with its access token, ``refused(error code)``
    raised when Shopify grants none, or a transient error when it could not answer."""
    with http_client(settings) as http:
        try:
            response = http.post(
                f"https://{shop}/admin/oauth/access_token", json=body, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise ShopifyTransientError(f"Shopify could not be reached: {type(exc).__name__}") from exc
    if response.status_code == 429:
        raise ShopifyThrottledError("Shopify answered 429 Too Many Requests", retry_after=1.0)
    if response.status_code >= 500:
        raise ShopifyTransientError(f"Shopify answered HTTP {response.status_code}")
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise ShopifyTransientError(f"Shopify answered HTTP {response.status_code} without JSON")
    if response.status_code != 200 or not payload.get("access_token"):
        raise refused(str(payload.get("error") or f"http_{response.status_code}"))
    return payload


def _failure(result: TokenExchangeResult, action: str) -> Exception:
    """The project's error for a failed shopifyapp exchange (its ``log.code`` plus the last HTTP status)."""
    statuses = [entry.res.status for entry in result.http_logs if entry.res is not None]
    status = statuses[-1] if statuses else 0
    if result.log.code in TRANSIENT_CODES or status == 429 or status >= 500:
        return ShopifyTransientError(f"Shopify {action} failed: {result.log.code}")
    return ShopifyAuthError(f"Shopify refused the {action}: {result.log.code}")
