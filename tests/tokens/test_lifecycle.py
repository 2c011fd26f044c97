"""shop_token: refresh before expiry, one refresher at a time, and what each refresh failure means."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from storefront_proxy.shopify import oauth
from storefront_proxy.shopify.errors import ReauthorizationRequiredError, ShopifyTransientError, UnknownShopError
from storefront_proxy.store import Store
from storefront_proxy.tokens.lifecycle import (
    MIGRATION_PAUSE_AFTER_FAILURE,
    MIGRATION_PAUSE_AFTER_REFUSAL,
    renew_refused_token,
    shop_token,
)
from storefront_proxy.tokens.model import OfflineToken, token_cipher
from tests.helpers import SHOP, TOKEN

SHOP_B = "othershop.myshopify.com"
OLD_ACCESS = "shpat_old_access"
OLD_REFRESH = "shprt_old_refresh"


def expiring(minutes_left: float, *, refresh_days_left: float = 60) -> OfflineToken:
    now = datetime.now(UTC)
    return OfflineToken(
        access_token=SecretStr(OLD_ACCESS),
        expires_at=now + timedelta(minutes=minutes_left),
        refresh_token=SecretStr(OLD_REFRESH),
        refresh_token_expires_at=now + timedelta(days=refresh_days_left),
    )


@pytest.fixture
def settings(settings):
    return settings.checked()


@pytest.fixture
def store(settings, redis_conn) -> Store:
    return Store(redis_conn, token_cipher(settings))


@pytest.fixture
def worker_store(redis_conn) -> Store:
    """A Store as a worker builds it: no cipher of its own (shop_token takes the settings' one)."""
    return Store(redis_conn)


def test_a_token_with_time_left_is_used_as_it_is(settings, store, worker_store, shopify_oauth):
    store.tokens.save(SHOP_B, expiring(30))
    assert shop_token(settings, worker_store, SHOP_B) == OLD_ACCESS
    assert shopify_oauth.requests == []


@pytest.mark.parametrize("minutes_left", [4, -10], ids=["expiring-within-five-minutes", "expired"])
def test_a_token_near_or_past_expiry_is_refreshed_first(settings, store, worker_store, shopify_oauth, minutes_left):
    store.tokens.save(SHOP_B, expiring(minutes_left))
    token = shop_token(settings, worker_store, SHOP_B)

    issued = shopify_oauth.issued[-1]
    assert token == issued["access_token"]
    [(url, body)] = shopify_oauth.requests
    assert url == f"https://{SHOP_B}/admin/oauth/access_token"
    assert body["grant_type"] == "refresh_token" and body["refresh_token"] == OLD_REFRESH
    stored = store.tokens.offline_token(SHOP_B)
    assert stored.access_token.get_secret_value() == issued["access_token"]
    assert stored.refresh_token.get_secret_value() == issued["refresh_token"]
    assert stored.expires_at > datetime.now(UTC) + timedelta(minutes=55)
    # The next call uses the new token without another refresh.
    assert shop_token(settings, worker_store, SHOP_B) == token and len(shopify_oauth.requests) == 1


def test_a_refused_refresh_token_means_the_merchant_must_open_the_app(settings, store, shopify_oauth):
    store.tokens.save(SHOP_B, expiring(-1))
    shopify_oauth.fail_with = (400, "invalid_grant")
    with pytest.raises(ReauthorizationRequiredError) as refused:
        shop_token(settings, store, SHOP_B)
    assert isinstance(refused.value, UnknownShopError)  # callers answer as for an unknown shop
    # The dead record is dropped, so the next admin request exchanges a session token for a new one.
    assert store.tokens.offline_token(SHOP_B) is None


def test_an_expired_refresh_token_is_not_even_sent(settings, store, shopify_oauth):
    store.tokens.save(SHOP_B, expiring(-1, refresh_days_left=-1))
    with pytest.raises(ReauthorizationRequiredError):
        shop_token(settings, store, SHOP_B)
    assert shopify_oauth.requests == []


@pytest.mark.parametrize("failure", ["network", (503, "unavailable"), (429, "throttled")])
def test_network_and_server_failures_are_transient_and_keep_the_pair(settings, store, shopify_oauth, failure):
    store.tokens.save(SHOP_B, expiring(-1))
    shopify_oauth.fail_with = failure
    with pytest.raises(ShopifyTransientError):
        shop_token(settings, store, SHOP_B)
    kept = store.tokens.offline_token(SHOP_B)
    assert kept.access_token.get_secret_value() == OLD_ACCESS and kept.refresh_token.get_secret_value() == OLD_REFRESH


def test_unknown_shops_and_the_configured_shop(settings, store, redis_conn, shopify_oauth):
    with pytest.raises(UnknownShopError):
        shop_token(settings, store, SHOP_B)
    redis_conn.flushdb()
    # The custom-app shop falls back to SHOPIFY_ACCESS_TOKEN, and a non-expiring token is never refreshed.
    assert shop_token(settings, store, SHOP) == TOKEN
    store.tokens.register_shop(SHOP, "shpat_registered")
    assert shop_token(settings, store, SHOP) == "shpat_registered"
    assert shopify_oauth.requests == []


def test_a_caller_waiting_for_the_lock_uses_the_pair_its_holder_stored(settings, store, shopify_oauth):
    store.tokens.save(SHOP_B, expiring(-1))
    lock = store.tokens.lock(SHOP_B, timeout=10)
    assert lock.acquire(blocking=False)
    result: list[str] = []
    waiter = threading.Thread(target=lambda: result.append(shop_token(settings, store, SHOP_B)))
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive() and not result  # waiting for the lock
    fresh = expiring(60).model_copy(update={"access_token": SecretStr("shpat_from_the_holder")})
    store.tokens.save(SHOP_B, fresh)
    lock.release()
    waiter.join(5)
    assert result == ["shpat_from_the_holder"] and shopify_oauth.requests == []


def test_a_newer_token_stored_during_the_refresh_is_kept(settings, store, shopify_oauth, monkeypatch):
    """An install (or a refresher whose lock expired) stores a pair while this refresh is in flight."""
    store.tokens.save(SHOP_B, expiring(-1))
    newer = expiring(60).model_copy(update={"access_token": SecretStr("shpat_installed_meanwhile")})

    def racing(request: httpx.Request) -> httpx.Response:
        store.tokens.save(SHOP_B, newer)
        return shopify_oauth(request)

    monkeypatch.setattr(oauth, "http_client", lambda *_: httpx.Client(transport=httpx.MockTransport(racing)))
    assert shop_token(settings, store, SHOP_B) == "shpat_installed_meanwhile"
    assert store.tokens.offline_token(SHOP_B) == newer


def test_a_token_refused_before_its_expiry_is_refreshed_early(settings, store, worker_store, shopify_oauth):
    store.tokens.save(SHOP_B, expiring(50))
    renewed = renew_refused_token(settings, worker_store, SHOP_B, OLD_ACCESS)
    assert renewed == shopify_oauth.issued[-1]["access_token"] != OLD_ACCESS
    assert store.tokens.offline_token(SHOP_B).access_token.get_secret_value() == renewed
    # Another process refused the same old token a moment later: it gets the new one, no second refresh.
    assert renew_refused_token(settings, worker_store, SHOP_B, OLD_ACCESS) == renewed
    assert len(shopify_oauth.requests) == 1


def test_what_replaces_a_refused_token_that_cannot_be_refreshed(settings, store, shopify_oauth):
    # The custom app's token, configured or stored: no replacement, the 401 stands and the record stays.
    assert renew_refused_token(settings, store, SHOP, TOKEN) is None
    store.tokens.register_shop(SHOP, "shpat_custom")
    assert renew_refused_token(settings, store, SHOP, "shpat_custom") is None
    assert store.tokens.offline_token(SHOP) is not None
    # A public-app shop installed again meanwhile: the stored token is the replacement.
    store.tokens.register_shop(SHOP_B, "shpat_legacy")
    assert renew_refused_token(settings, store, SHOP_B, "shpat_before_reinstall") == "shpat_legacy"
    # Its non-expiring token refused: dropped, so the next admin page load exchanges a session token.
    assert renew_refused_token(settings, store, SHOP_B, "shpat_legacy") is None
    assert store.tokens.offline_token(SHOP_B) is None
    assert shopify_oauth.requests == []


def test_an_early_refresh_happens_at_most_once_a_minute(settings, store, shopify_oauth):
    """A fresh token refused too means something else is wrong (uninstalled, shop closed): don't refresh again."""
    store.tokens.save(SHOP_B, expiring(50))
    renewed = renew_refused_token(settings, store, SHOP_B, OLD_ACCESS)
    assert renewed is not None
    assert renew_refused_token(settings, store, SHOP_B, renewed) is None
    assert len(shopify_oauth.grants("refresh_token")) == 1


def test_a_caller_refused_during_a_migration_gets_its_successor(settings, store, shopify_oauth):
    """Shopify may revoke the old token the moment it is traded; a call made with it waits for the new pair."""
    store.tokens.register_shop(SHOP_B, "shpat_legacy")
    lock = store.tokens.lock(SHOP_B, timeout=10)
    assert lock.acquire(blocking=False)  # the migration is under way elsewhere
    result: list[str | None] = []
    waiter = threading.Thread(
        target=lambda: result.append(renew_refused_token(settings, store, SHOP_B, "shpat_legacy"))
    )
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive()
    store.tokens.save(SHOP_B, expiring(60).model_copy(update={"access_token": SecretStr("shpat_migrated")}))
    lock.release()
    waiter.join(5)
    assert result == ["shpat_migrated"]


def test_a_refused_refresh_after_a_401_means_the_merchant_must_open_the_app(settings, store, shopify_oauth):
    store.tokens.save(SHOP_B, expiring(50))
    shopify_oauth.fail_with = (400, "invalid_grant")
    with pytest.raises(ReauthorizationRequiredError):
        renew_refused_token(settings, store, SHOP_B, OLD_ACCESS)
    assert store.tokens.offline_token(SHOP_B) is None


# -- migration of non-expiring tokens ------------------------------------------------------------------------------

OFFLINE_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"


def test_a_public_app_shops_non_expiring_token_becomes_an_expiring_pair(settings, store, worker_store, shopify_oauth):
    store.tokens.register_shop(SHOP_B, "shpat_legacy")
    token = shop_token(settings, worker_store, SHOP_B)

    [(url, body)] = shopify_oauth.requests
    assert url == f"https://{SHOP_B}/admin/oauth/access_token"
    assert body["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"
    assert (body["subject_token"], body["subject_token_type"]) == ("shpat_legacy", OFFLINE_TYPE)
    assert body["requested_token_type"] == OFFLINE_TYPE and body["expiring"] == "1"
    stored = store.tokens.offline_token(SHOP_B)
    assert stored.expiring and stored.can_refresh(datetime.now(UTC))
    assert token == stored.access_token.get_secret_value() == shopify_oauth.issued[-1]["access_token"]
    # Once migrated it is an ordinary expiring token.
    assert shop_token(settings, worker_store, SHOP_B) == token and len(shopify_oauth.requests) == 1


def test_the_custom_apps_token_is_not_migrated(settings, store, shopify_oauth):
    store.tokens.register_shop(SHOP, "shpat_custom")
    assert shop_token(settings, store, SHOP) == "shpat_custom"
    assert shopify_oauth.requests == []


@pytest.mark.parametrize(
    ("failure", "pause"),
    [((400, "invalid_subject_token"), MIGRATION_PAUSE_AFTER_REFUSAL), ("network", MIGRATION_PAUSE_AFTER_FAILURE)],
    ids=["refused", "unreachable"],
)
def test_a_failed_migration_keeps_the_old_token_and_pauses(settings, store, redis_conn, shopify_oauth, failure, pause):
    store.tokens.register_shop(SHOP_B, "shpat_legacy")
    shopify_oauth.fail_with = failure
    assert shop_token(settings, store, SHOP_B) == "shpat_legacy"
    assert shop_token(settings, store, SHOP_B) == "shpat_legacy"
    assert len(shopify_oauth.requests) == 1  # paused: the second call did not try again
    assert pause - 5 <= redis_conn.ttl(f"selfservice:token-pause:migration:{SHOP_B}") <= pause
    assert not store.tokens.offline_token(SHOP_B).expiring


def test_operators_list_and_migrate_tokens_from_the_command_line(app, settings, store, shopify_oauth):
    store.tokens.register_shop(SHOP_B, "shpat_legacy")
    store.tokens.save("third.myshopify.com", expiring(30))
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["tokens", "list"]).output.splitlines()
    assert f"{SHOP}  non-expiring" in listed and f"{SHOP_B}  non-expiring" in listed
    assert any(line.startswith("third.myshopify.com  expiring  access until ") for line in listed)
    assert "shpat_" not in "".join(listed)

    result = runner.invoke(args=["tokens", "migrate"])
    assert result.exit_code == 0, result.output
    assert sorted(result.output.splitlines()) == [
        f"{SHOP_B}  migrated",
        f"{SHOP}  kept (the custom app's token)",
        "third.myshopify.com  already_expiring",
    ]
    assert store.tokens.offline_token(SHOP_B).expiring

    store.tokens.register_shop("fourth.myshopify.com", "shpat_legacy_4")
    shopify_oauth.fail_with = (400, "invalid_subject_token")
    failed = runner.invoke(args=["tokens", "migrate", "fourth.myshopify.com"])
    assert failed.exit_code == 1 and failed.output == "fourth.myshopify.com  refused\n"


def test_a_migration_answer_without_a_refresh_token_is_still_kept(settings, store, shopify_oauth, monkeypatch):
    """The old token may be revoked already: whatever access token Shopify gave is the one to use."""
    store.tokens.register_shop(SHOP_B, "shpat_legacy")
    answer = {"access_token": "shpat_migrated_plain", "scope": "read_orders"}
    monkeypatch.setattr(
        oauth,
        "http_client",
        lambda *_: httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=answer))),
    )
    assert shop_token(settings, store, SHOP_B) == "shpat_migrated_plain"
    assert store.tokens.access_token(SHOP_B) == "shpat_migrated_plain"
