"""Which access token talks to which shop, refreshed before it expires.

Expiring offline tokens live an hour and every refresh rotates the refresh token
(https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens).
Web threads and worker processes share one stored pair per shop, so one of them refreshes at a time: the
refresher holds a Redis lock per shop, the others wait for it and read the pair it stored. A new shop's
token exchange (admin/auth.py) takes the same lock. A token Shopify refuses (401) before its recorded expiry is
refreshed the same way, once, and the call sent again. A public-app shop's non-expiring token (installed before
expiring tokens) is migrated to an expiring pair the first time it is needed, also under the lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from redis.exceptions import LockError

from storefront_proxy.settings import Settings
from storefront_proxy.shopify.errors import (
    AppUninstalledError,
    ReauthorizationRequiredError,
    ShopifyTransientError,
    UnknownShopError,
)
from storefront_proxy.store import Store
from storefront_proxy.tokens.model import REFRESH_MARGIN, OfflineToken, TokenSealError, token_cipher
from storefront_proxy.tokens.repository import TokenRepository, token_digest

log = logging.getLogger(__name__)

# The refresh lock frees itself after this long if its holder dies; longer than a refresh can take
# (shopifyapp tries three times, each bounded by SHOPIFY_TIMEOUT_SECONDS).
REFRESH_LOCK_SECONDS = 60.0
# How long a caller waits for another process's refresh before giving up with a transient error.
REFRESH_WAIT_SECONDS = 30.0
# After a failed migration the old token is used (it works until Shopify's deadline) and the migration is not
# tried again for this long: briefly after Shopify could not answer, a day after it refused.
MIGRATION_PAUSE_AFTER_FAILURE = 300
MIGRATION_PAUSE_AFTER_REFUSAL = 24 * 3600
# A token that an early refresh produced is not refreshed early again this soon: when the fresh token is refused
# too, something else is wrong (the app was uninstalled, the shop closed) and refreshing won't help.
EARLY_REFRESH_PAUSE_SECONDS = 60


def register_configured_shop(settings: Settings, store: Store) -> None:
    """Store the custom-app shop named by SHOPIFY_SHOP / SHOPIFY_ACCESS_TOKEN, if any.

    Not when the shop uninstalled the app and this is the token Shopify revoked then: a reinstalled custom app
    has a new token, and setting it is what installs the app again.
    """
    if not (settings.shopify_shop and settings.shopify_access_token):
        return
    token = settings.shopify_access_token.get_secret_value()
    if store.tokens.revoked_by_uninstall(settings.shopify_shop, token):
        log.warning(
            "SHOPIFY_SHOP uninstalled the app and SHOPIFY_ACCESS_TOKEN is the token revoked then; "
            "set the new one after installing the app again",
            extra={"shop": settings.shopify_shop},
        )
        return
    token_repository(settings, store).register_shop(settings.shopify_shop, token)


def token_repository(settings: Settings, store: Store) -> TokenRepository:
    """``store``'s tokens, able to read and write them: with the settings' cipher when it was built without one."""
    if store.tokens.cipher is not None:
        return store.tokens
    return TokenRepository(store.redis, token_cipher(settings))


def shop_token(settings: Settings, store: Store, shop: str) -> str:
    """A valid access token for the shop, refreshed first when it expires within REFRESH_MARGIN.

    Raises UnknownShopError when the shop has no token, ReauthorizationRequiredError (a subclass) when Shopify
    refused its refresh token, and ShopifyTransientError when the refresh could not be done just now.
    """
    tokens = token_repository(settings, store)
    stored = tokens.stored(shop)
    if stored is None:
        # Only read when there is no token, so an installed shop's requests pay no extra round trip.
        if tokens.is_uninstalled(shop):
            raise AppUninstalledError(f"{shop} uninstalled the app")
        if shop == settings.shopify_shop and settings.shopify_access_token:
            return settings.shopify_access_token.get_secret_value()
        raise UnknownShopError(f"no access token for {shop}")
    if not stored.token.expiring and migrates(settings, shop) and not tokens.work_paused(shop, "migration"):
        return migrate_token(settings, store, shop)[0].access_token.get_secret_value()
    if not stored.token.expires_within(REFRESH_MARGIN, datetime.now(UTC)):
        return stored.token.access_token.get_secret_value()
    return _refreshed(settings, tokens, shop).access_token.get_secret_value()


def migrates(settings: Settings, shop: str) -> bool:
    """Whether the shop's non-expiring token should become an expiring one.

    Shopify's rule covers public apps, not custom apps: the configured custom-app shop keeps its token.
    """
    return bool(settings.shopify_api_key) and shop != settings.shopify_shop


def migrate_token(settings: Settings, store: Store, shop: str) -> tuple[OfflineToken, str]:
    """Trade the shop's non-expiring token for an expiring pair, under its lock: (the token to use, outcome).

    Outcomes: "migrated"; "already_expiring" (nothing to do, maybe another process just did it); "failed" or
    "refused", when the old token stays in use and the migration pauses (MIGRATION_PAUSE_*).
    """
    # Shopify's token endpoint brings shopifyapp and httpx (~11 MiB a process): loaded when a token first needs it,
    # so a worker whose tokens need no trade carries neither.
    from storefront_proxy.shopify import oauth

    tokens = token_repository(settings, store)
    with _token_lock(tokens, shop):
        stored = tokens.stored(shop)
        if stored is None:
            raise UnknownShopError(f"no access token for {shop}")
        if stored.token.expiring:
            return stored.token, "already_expiring"
        try:
            fresh = oauth.migrate_to_expiring(settings, shop, stored.token)
        except oauth.MigrationRefusedError as exc:
            log.warning("Shopify refused the token migration (%s)", exc.code, extra={"shop": shop})
            tokens.pause_work(shop, "migration", MIGRATION_PAUSE_AFTER_REFUSAL)
            return stored.token, "refused"
        except ShopifyTransientError as exc:
            log.warning("token migration failed for now: %s", exc, extra={"shop": shop})
            tokens.pause_work(shop, "migration", MIGRATION_PAUSE_AFTER_FAILURE)
            return stored.token, "failed"
        if tokens.replace(shop, fresh, stored.version):
            log.info("non-expiring token migrated to an expiring one", extra={"shop": shop})
            return fresh, "migrated"
        return _newer(tokens, shop), "already_expiring"


def renew_refused_token(settings: Settings, store: Store, shop: str, refused: str) -> str | None:
    """A replacement for an access token Shopify answered 401 to, or None when there is none to be had.

    The stored token may already be a newer one (another process refreshed or migrated it, or the shop installed
    again). Else an expiring token is refreshed early (at most once a minute per shop), and a public-app shop's
    refused non-expiring token is dropped, so the next admin page load exchanges a session token for a new one.
    The custom app's token has no replacement: the 401 stands.
    """
    tokens = token_repository(settings, store)
    stored = tokens.stored(shop)
    if stored is None:
        return None
    if stored.token.access_token.get_secret_value() != refused:
        return stored.token.access_token.get_secret_value()
    if stored.token.expiring:
        if not stored.token.can_refresh(datetime.now(UTC)) or tokens.work_paused(shop, "early-refresh") == (
            _digest(refused)
        ):
            return None
        fresh = _refreshed(settings, tokens, shop, refused=refused).access_token.get_secret_value()
        tokens.pause_work(shop, "early-refresh", EARLY_REFRESH_PAUSE_SECONDS, note=_digest(fresh))
        return fresh
    if not migrates(settings, shop):
        return None
    return _after_refused_legacy_token(tokens, shop, refused)


def _digest(token: str) -> str:
    """What a pause note keeps of a token: never the token itself."""
    return token_digest(token)


def _after_refused_legacy_token(tokens: TokenRepository, shop: str, refused: str) -> str | None:
    """Under the lock: the migrated successor of a refused non-expiring token, or None after dropping it.

    Shopify may revoke the old token as soon as it is traded (UNCONFIRMED), so a call made with it during a
    migration is refused; waiting for the lock lets that migration store its pair first.
    """
    with _token_lock(tokens, shop):
        stored = tokens.stored(shop)
        if stored is None:
            return None
        if stored.token.access_token.get_secret_value() != refused:
            return stored.token.access_token.get_secret_value()
        if tokens.replace(shop, None, stored.version):
            log.warning(
                "Shopify refused the non-expiring token; dropped, the shop must open the app", extra={"shop": shop}
            )
        return None


def ensure_offline_token(
    settings: Settings, store: Store, shop: str, obtain: Callable[[], OfflineToken]
) -> OfflineToken | None:
    """Store ``obtain()``'s token unless the shop has one that is valid or can be refreshed; returns the new one.

    Under the shop's token lock, so the first admin requests of a new shop, often several at once, exchange
    their session token once, and never while a worker refreshes.
    """
    tokens = token_repository(settings, store)
    if _usable(settings, tokens, shop):
        return None
    with _token_lock(tokens, shop):
        if _usable(settings, tokens, shop):
            return None
        token = obtain()
        tokens.save(shop, token)
        return token


def _usable(settings: Settings, tokens: TokenRepository, shop: str) -> bool:
    """A token that is valid or can be refreshed; a public-app shop's non-expiring one is replaced instead."""
    try:
        token = tokens.offline_token(shop)
    except TokenSealError:
        log.error("stored token unreadable with TOKEN_ENCRYPTION_KEY(_OLD); replacing it", extra={"shop": shop})
        return False
    return token is not None and token.usable(datetime.now(UTC)) and (token.expiring or not migrates(settings, shop))


@contextmanager
def _token_lock(tokens: TokenRepository, shop: str) -> Iterator[None]:
    """Hold the shop's token lock; a transient error when another process keeps it too long."""
    lock = tokens.lock(shop, timeout=REFRESH_LOCK_SECONDS)
    if not lock.acquire(blocking=True, blocking_timeout=REFRESH_WAIT_SECONDS):
        raise ShopifyTransientError(f"the token of {shop} is being refreshed elsewhere; try again")
    try:
        yield
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("token lock had expired before its release", extra={"shop": shop})


def _refreshed(settings: Settings, tokens: TokenRepository, shop: str, refused: str | None = None) -> OfflineToken:
    """Refresh the shop's token under its lock, unless another process has just done it.

    With ``refused`` (an access token Shopify answered 401 to) the token is refreshed whatever its expiry says,
    unless the stored one is already another.
    """
    # Loaded when first needed (see migrate_token).
    from storefront_proxy.shopify import oauth

    with _token_lock(tokens, shop):
        # Read again under the lock: the process that held it before has probably stored a new pair.
        stored = tokens.stored(shop)
        if stored is None:
            raise UnknownShopError(f"no access token for {shop}")
        now = datetime.now(UTC)
        if refused is None and not stored.token.expires_within(REFRESH_MARGIN, now):
            return stored.token
        if refused is not None and stored.token.access_token.get_secret_value() != refused:
            return stored.token
        if not stored.token.can_refresh(now):
            raise ReauthorizationRequiredError(f"the token of {shop} expired and cannot be refreshed")
        try:
            fresh = oauth.refresh_token(settings, shop, stored.token)
        except ReauthorizationRequiredError:
            # Only drop the record if it is still the one whose refresh token was refused.
            if tokens.replace(shop, None, stored.version):
                log.warning("refresh token refused; the shop must open the app again", extra={"shop": shop})
                raise
            return _newer(tokens, shop)
        # Compare-and-set: if this lock expired mid-refresh, or an install stored a new token meanwhile, the
        # newer record wins and this pair is dropped (Shopify keeps the spent refresh token usable until the new
        # access token is first used, so nothing is lost).
        if tokens.replace(shop, fresh, stored.version):
            log.info("access token refreshed", extra={"shop": shop})
            return fresh
        return _newer(tokens, shop)


def _newer(tokens: TokenRepository, shop: str) -> OfflineToken:
    stored = tokens.stored(shop)
    if stored is None:
        raise UnknownShopError(f"no access token for {shop}")
    return stored.token
