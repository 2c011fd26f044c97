"""Where the shops' access tokens live in Redis; the only module that knows their keys.

- ``selfservice:shop:<shop>``: a hash with the sealed token record (``token``), its version (``token_version``,
  bumped on every write) and, from before encryption at rest, a plaintext token (``access_token``) that is sealed
  on first read.
- ``selfservice:token-lock:<shop>``: the lock held while the shop's token is refreshed, migrated or exchanged.
- ``selfservice:token-pause:<kind>:<shop>``: a pause on a kind of token work (``migration``, ``early-refresh``).
- ``selfservice:uninstalled:<shop>``: the uninstall mark, holding the digest of the token Shopify revoked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import redis
from redis.lock import Lock

from storefront_proxy.storage import key, text
from storefront_proxy.tokens.model import OfflineToken, TokenCipher

SEALED_TOKEN_FIELD = "token"
TOKEN_VERSION_FIELD = "token_version"
PLAINTEXT_TOKEN_FIELD = "access_token"

# Replace (ARGV[2] set) or drop (ARGV[2] empty) the sealed token only if its version is still ARGV[1].
_REPLACE_TOKEN_IF_VERSION = """
if (redis.call('HGET', KEYS[1], ARGV[3]) or '0') ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[4], ARGV[5])
else
  redis.call('HSET', KEYS[1], ARGV[4], ARGV[2])
  redis.call('HDEL', KEYS[1], ARGV[5])
end
redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
return 1
"""


def shop_key(shop: str) -> str:
    return key("shop", shop)


def token_lock_key(shop: str) -> str:
    return key("token-lock", shop)


def token_pause_key(kind: str, shop: str) -> str:
    return key("token-pause", kind, shop)


def uninstalled_key(shop: str) -> str:
    return key("uninstalled", shop)


def token_digest(token: str) -> str:
    """What the app keeps of a token it must recognise later without storing it: a SHA-256 digest."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenCipherMissingError(Exception):
    """The repository was built without a token cipher, so it cannot read or write access tokens."""


@dataclass(frozen=True)
class StoredToken:
    """A shop's token record and the version it was read at (for compare-and-set writes)."""

    token: OfflineToken
    version: str


class TokenRepository:
    """The shops' offline tokens (sealed with ``cipher``), their locks and the uninstall marks."""

    def __init__(self, connection: redis.Redis, cipher: TokenCipher | None = None) -> None:
        self.redis = connection
        self.cipher = cipher
        self._replace_token_script = connection.register_script(_REPLACE_TOKEN_IF_VERSION)

    def register_shop(self, shop: str, access_token: str) -> None:
        """Store a non-expiring token (a custom app's, from SHOPIFY_ACCESS_TOKEN)."""
        self.save(shop, OfflineToken.non_expiring(access_token))

    def shops(self) -> Iterator[str]:
        """Every shop with a stored token (a SCAN: for operators' commands, not for requests)."""
        prefix = shop_key("")
        for found in self.redis.scan_iter(match=f"{prefix}*", count=500):
            yield text(found)[len(prefix) :]

    def pause_work(self, shop: str, kind: str, seconds: int, note: str = "1") -> None:
        """Don't try ``kind`` ("migration", "early-refresh") on the shop's token again for ``seconds``."""
        self.redis.set(token_pause_key(kind, shop), note, ex=seconds)

    def work_paused(self, shop: str, kind: str) -> str | None:
        """The pause's note while ``kind`` is paused for the shop, else None."""
        note = self.redis.get(token_pause_key(kind, shop))
        return text(note) if note is not None else None

    def access_token(self, shop: str) -> str | None:
        """The shop's stored access token as it is (possibly expired: ``lifecycle.shop_token`` refreshes)."""
        stored = self.stored(shop)
        return stored.token.access_token.get_secret_value() if stored else None

    def offline_token(self, shop: str) -> OfflineToken | None:
        stored = self.stored(shop)
        return stored.token if stored else None

    def stored(self, shop: str) -> StoredToken | None:
        """The shop's token record with its version; seals a plaintext or old-key record on the way."""
        cipher = self._cipher()
        sealed, version, plaintext = self.redis.hmget(
            shop_key(shop), [SEALED_TOKEN_FIELD, TOKEN_VERSION_FIELD, PLAINTEXT_TOKEN_FIELD]
        )
        current = text(version) if version else "0"
        if sealed is None:
            if not plaintext:
                return None
            token, stale = OfflineToken.non_expiring(text(plaintext)), True
        else:
            token, stale = cipher.open(sealed.encode() if isinstance(sealed, str) else sealed)
        # Compare-and-set, so a concurrent refresh's newer pair is never overwritten with this older one.
        if stale and self.replace(shop, token, current):
            current = str(int(current) + 1)
        return StoredToken(token, current)

    def save(self, shop: str, token: OfflineToken) -> None:
        """Store the shop's token record (access and refresh token together), sealed."""
        sealed = self._cipher().seal(token)
        with self.redis.pipeline() as pipe:
            pipe.hset(shop_key(shop), SEALED_TOKEN_FIELD, sealed)
            pipe.hdel(shop_key(shop), PLAINTEXT_TOKEN_FIELD)
            pipe.hincrby(shop_key(shop), TOKEN_VERSION_FIELD, 1)
            pipe.delete(uninstalled_key(shop))  # a new token means the app is installed (again)
            pipe.execute()

    def replace(self, shop: str, token: OfflineToken | None, version: str) -> bool:
        """Store ``token`` (or drop the record when None) only if nobody wrote since ``version``; True if done."""
        sealed = self._cipher().seal(token) if token is not None else b""
        args: list[str | bytes] = [version, sealed, TOKEN_VERSION_FIELD, SEALED_TOKEN_FIELD, PLAINTEXT_TOKEN_FIELD]
        return bool(self._replace_token_script(keys=[shop_key(shop)], args=args))

    def lock(self, shop: str, timeout: float) -> Lock:
        """A per-shop lock for refreshing its token, released by itself after ``timeout`` s if its holder dies.

        redis-py's Lock takes the key with SET NX PX and a random token and releases it by compare-and-delete.
        """
        return self.redis.lock(token_lock_key(shop), timeout=timeout, sleep=0.05)

    def forget_uninstalled(self, shop: str, configured_token: str | None = None) -> None:
        """Drop the shop's access token and remember the uninstall (the token no longer works).

        The mark keeps a configured fallback token from being used and tells storefront visitors and staff why
        nothing works; installing again (any new token) clears it. It holds a digest of the token Shopify
        revoked (the stored one, else ``configured_token``, the custom app's), so SHOPIFY_ACCESS_TOKEN registered
        again at a restart does not count as new. A repeated delivery, which finds no token, keeps the digest.
        """
        try:
            revoked = self.access_token(shop) or configured_token
        except TokenCipherMissingError:
            revoked = configured_token
        with self.redis.pipeline() as pipe:
            pipe.delete(shop_key(shop))
            if revoked:
                pipe.set(uninstalled_key(shop), token_digest(revoked))
            else:
                pipe.set(uninstalled_key(shop), "1", nx=True)
            pipe.execute()

    def is_uninstalled(self, shop: str) -> bool:
        return bool(self.redis.exists(uninstalled_key(shop)))

    def revoked_by_uninstall(self, shop: str, access_token: str) -> bool:
        """Whether ``access_token`` is the one the shop's uninstall revoked."""
        mark = self.redis.get(uninstalled_key(shop))
        return mark is not None and text(mark) == token_digest(access_token)

    def delete_shop(self, shop: str) -> None:
        """Drop the shop's token (shop/redact). The uninstall mark stays: it is no shop data (a flag and a
        token's digest), and without it the revoked SHOPIFY_ACCESS_TOKEN of a custom app would count as
        installed again at the next restart."""
        self.redis.delete(shop_key(shop))

    def _cipher(self) -> TokenCipher:
        if self.cipher is None:
            raise TokenCipherMissingError("built without a token cipher (see tokens.model.token_cipher)")
        return self.cipher
