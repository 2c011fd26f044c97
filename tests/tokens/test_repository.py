"""Offline tokens at rest: sealed in Redis, readable across a key rotation, never in a repr; and their settings."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from storefront_proxy.services import services_of
from storefront_proxy.settings import DEVELOPMENT_TOKEN_ENCRYPTION_KEY, Settings, SettingsError
from storefront_proxy.store import Store
from storefront_proxy.tokens.model import OfflineToken, TokenCipher, TokenSealError, token_cipher
from storefront_proxy.tokens.repository import TokenCipherMissingError
from tests.helpers import SHOP

ROOT = Path(__file__).resolve().parents[2]
ACCESS = "shpat_secret_access_token_0123456789"
REFRESH = "shprt_secret_refresh_token_9876543210"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def expiring_token() -> OfflineToken:
    return OfflineToken(
        access_token=SecretStr(ACCESS),
        scope="read_orders,write_orders",
        expires_at=NOW + timedelta(hours=1),
        refresh_token=SecretStr(REFRESH),
        refresh_token_expires_at=NOW + timedelta(days=90),
    )


def everything_in_redis(redis_conn) -> bytes:
    """Every key and value in the database, as bytes (hashes flattened)."""
    dump = b""
    for key in redis_conn.keys("*"):
        kind = redis_conn.type(key)
        if kind == b"hash":
            dump += key + b"".join(k + v for k, v in redis_conn.hgetall(key).items())
        elif kind == b"string":
            dump += key + redis_conn.get(key)
    return dump


@pytest.fixture
def store(settings, redis_conn) -> Store:
    return Store(redis_conn, token_cipher(settings.checked()))


def test_the_raw_redis_values_hold_no_token(store, redis_conn):
    store.tokens.save(SHOP, expiring_token())
    raw = everything_in_redis(redis_conn)
    assert raw and ACCESS.encode() not in raw and REFRESH.encode() not in raw
    assert store.tokens.offline_token(SHOP) == expiring_token()


def test_register_shop_seals_the_custom_app_token_too(store, redis_conn):
    store.tokens.register_shop(SHOP, ACCESS)
    assert ACCESS.encode() not in everything_in_redis(redis_conn)
    assert store.tokens.access_token(SHOP) == ACCESS
    assert store.tokens.offline_token(SHOP) == OfflineToken.non_expiring(ACCESS)


def test_the_app_seals_the_configured_shops_token(app, redis_conn, settings):
    assert settings.shopify_access_token.get_secret_value().encode() not in everything_in_redis(redis_conn)
    assert services_of(app).store.tokens.access_token(SHOP) == settings.shopify_access_token.get_secret_value()


def test_a_store_without_a_cipher_refuses_tokens_but_still_forgets_them(store, redis_conn):
    store.tokens.register_shop(SHOP, ACCESS)
    bare = Store(redis_conn)
    with pytest.raises(TokenCipherMissingError):
        bare.tokens.access_token(SHOP)
    bare.tokens.forget_uninstalled(SHOP)
    assert store.tokens.access_token(SHOP) is None


def test_another_key_cannot_open_the_record(store, redis_conn):
    store.tokens.save(SHOP, expiring_token())
    stranger = Store(redis_conn, TokenCipher([Fernet.generate_key().decode()]))
    with pytest.raises(TokenSealError):
        stranger.tokens.offline_token(SHOP)


def test_a_key_rotation_reads_old_records_and_seals_them_with_the_new_key(redis_conn):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    Store(redis_conn, TokenCipher([old])).tokens.save(SHOP, expiring_token())
    rotating = Store(redis_conn, TokenCipher([new, old]))
    assert rotating.tokens.offline_token(SHOP) == expiring_token()
    # Read once during the rotation, the record now opens with the new key alone.
    assert Store(redis_conn, TokenCipher([new])).tokens.offline_token(SHOP) == expiring_token()


def test_a_plaintext_token_from_before_is_sealed_on_first_read(store, redis_conn):
    redis_conn.hset(f"selfservice:shop:{SHOP}", mapping={"access_token": ACCESS})
    assert store.tokens.access_token(SHOP) == ACCESS
    assert ACCESS.encode() not in everything_in_redis(redis_conn)
    assert store.tokens.access_token(SHOP) == ACCESS


def test_a_write_only_lands_on_the_version_it_read(store):
    store.tokens.save(SHOP, expiring_token())
    read = store.tokens.stored(SHOP)
    newer = OfflineToken.non_expiring("shpat_newer")
    store.tokens.save(SHOP, newer)
    assert not store.tokens.replace(SHOP, expiring_token(), read.version)
    assert store.tokens.offline_token(SHOP) == newer


def test_tokens_stay_out_of_reprs():
    text = repr(expiring_token()) + str(expiring_token())
    assert ACCESS not in text and REFRESH not in text


def test_expiry_arithmetic():
    token = expiring_token()
    assert not token.expires_within(timedelta(minutes=5), NOW)
    assert token.expires_within(timedelta(minutes=5), NOW + timedelta(minutes=56))
    assert token.can_refresh(NOW) and not token.can_refresh(NOW + timedelta(days=91))
    assert token.usable(NOW + timedelta(days=30)) and not token.usable(NOW + timedelta(days=91))
    assert OfflineToken.non_expiring(ACCESS).usable(NOW + timedelta(days=3650))


# -- settings ---------------------------------------------------------------------------------------------------


def test_production_refuses_to_start_without_a_token_encryption_key():
    with pytest.raises(SettingsError, match="TOKEN_ENCRYPTION_KEY must be set"):
        Settings(SHOPIFY_API_KEY="k", SHOPIFY_API_SECRET="s", _env_file=None).checked()


def test_production_starts_with_a_key():
    key = Fernet.generate_key().decode()
    settings = Settings(
        SHOPIFY_API_KEY="k",
        SHOPIFY_API_SECRET="s",
        TOKEN_ENCRYPTION_KEY=key,
        SHOPIFY_APP_URL="https://self-service.example.app",
        _env_file=None,
    ).checked()
    assert settings.token_encryption_keys() == [key] and key not in repr(settings)


@pytest.mark.parametrize("variable", ["TOKEN_ENCRYPTION_KEY", "TOKEN_ENCRYPTION_KEY_OLD"])
def test_a_malformed_key_is_refused_without_repeating_it(variable):
    values = {"TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(), variable: "not-a-fernet-key-but-a-secret"}
    with pytest.raises(SettingsError, match=f"^{variable} is not a Fernet key") as refused:
        Settings(SHOPIFY_API_KEY="k", SHOPIFY_API_SECRET="s", **values, _env_file=None).checked()
    assert "not-a-fernet-key-but-a-secret" not in str(refused.value)


def test_development_has_a_fixed_key_so_a_fresh_clone_runs():
    settings = Settings(APP_ENV="development", _env_file=None).checked()
    assert settings.token_encryption_keys() == [DEVELOPMENT_TOKEN_ENCRYPTION_KEY]
    token_cipher(settings).seal(expiring_token())


def test_the_worker_stops_with_one_line_without_a_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "APP_ENV", "REDIS_URL", "TOKEN_"))}
    env.update(PYTHONPATH=str(ROOT), SHOPIFY_API_KEY="k", SHOPIFY_API_SECRET="s")
    command = [str(Path(sys.executable).with_name("rq")), "worker", "--burst", "-c", "workers.rq_config"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith("Cannot start: TOKEN_ENCRYPTION_KEY must be set")
