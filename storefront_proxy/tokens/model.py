"""A shop's offline access token, and how it is sealed before it reaches Redis.

Shopify's expiring offline tokens live one hour and come with a refresh token of about 90 days; each refresh
rotates both, so the pair is one record, written in one go
(https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens).
A custom app's token (SHOPIFY_ACCESS_TOKEN) is the same record without an expiry or a refresh token.

Records are sealed with Fernet (AES-128-CBC + HMAC-SHA256) under TOKEN_ENCRYPTION_KEY; during a key rotation
TOKEN_ENCRYPTION_KEY_OLD still opens older records, which are then re-sealed with the new key.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import BaseModel, ConfigDict, SecretStr

from storefront_proxy.settings import Settings
from storefront_proxy.times import parse_time

# Refresh an access token this long before it expires, so a call that starts with it still finishes in time.
REFRESH_MARGIN = timedelta(minutes=5)


class TokenSealError(Exception):
    """A stored token record cannot be opened with the configured keys (wrong key, or the record was altered)."""


class OfflineToken(BaseModel):
    """One shop's offline access token; ``expires_at`` and the refresh token are None for a non-expiring one."""

    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    scope: str = ""
    expires_at: datetime | None = None
    refresh_token: SecretStr | None = None
    refresh_token_expires_at: datetime | None = None

    @classmethod
    def non_expiring(cls, access_token: str, scope: str = "") -> OfflineToken:
        """A custom app's token, or a legacy public-app token that never expires."""
        return cls(access_token=SecretStr(access_token), scope=scope)

    @classmethod
    def from_grant(cls, payload: Mapping[str, Any], now: datetime) -> OfflineToken:
        """The record for Shopify's ``/admin/oauth/access_token`` answer (``expires_in`` etc. in seconds)."""
        expires_in = payload.get("expires_in")
        refresh_token = payload.get("refresh_token")
        refresh_expires_in = payload.get("refresh_token_expires_in")
        return cls(
            access_token=SecretStr(str(payload["access_token"])),
            scope=str(payload.get("scope") or ""),
            expires_at=now + timedelta(seconds=int(expires_in)) if expires_in is not None else None,
            refresh_token=SecretStr(str(refresh_token)) if refresh_token else None,
            refresh_token_expires_at=(
                now + timedelta(seconds=int(refresh_expires_in)) if refresh_token and refresh_expires_in else None
            ),
        )

    @classmethod
    def from_exchange(cls, token: Any) -> OfflineToken:
        """The record for shopifyapp's ``TokenExchangeAccessToken`` (ISO timestamps, ``Z`` for UTC)."""
        return cls(
            access_token=SecretStr(token.token),
            scope=token.scope or "",
            expires_at=parse_time(token.expires) if token.expires else None,
            refresh_token=SecretStr(token.refresh_token) if token.refresh_token else None,
            refresh_token_expires_at=(
                parse_time(token.refresh_token_expires) if token.refresh_token and token.refresh_token_expires else None
            ),
        )

    @property
    def expiring(self) -> bool:
        return self.expires_at is not None

    def expires_within(self, margin: timedelta, now: datetime) -> bool:
        """True when the access token is expired or expires within ``margin``."""
        return self.expires_at is not None and self.expires_at - margin <= now

    def can_refresh(self, now: datetime) -> bool:
        """True when the refresh token exists and has not expired."""
        if self.refresh_token is None:
            return False
        return self.refresh_token_expires_at is None or self.refresh_token_expires_at > now

    def usable(self, now: datetime) -> bool:
        """True when the record can give a valid access token, now or after a refresh."""
        return not self.expires_within(timedelta(0), now) or self.can_refresh(now)

    def plain(self) -> dict[str, Any]:
        """The record with its secrets revealed: only for sealing."""
        return {
            "access_token": self.access_token.get_secret_value(),
            "scope": self.scope,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "refresh_token": self.refresh_token.get_secret_value() if self.refresh_token else None,
            "refresh_token_expires_at": (
                self.refresh_token_expires_at.isoformat() if self.refresh_token_expires_at else None
            ),
        }


class TokenCipher:
    """Seals token records for Redis; the first key seals, every key opens."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        fernets = [Fernet(key.encode()) for key in keys]
        self._current = fernets[0]
        self._any = MultiFernet(fernets)

    def seal(self, token: OfflineToken) -> bytes:
        return self._current.encrypt(json.dumps(token.plain(), separators=(",", ":")).encode())

    def open(self, sealed: bytes) -> tuple[OfflineToken, bool]:
        """The record, and whether it was sealed with an old key (and should be sealed again)."""
        try:
            return self._load(self._current.decrypt(sealed)), False
        except InvalidToken:
            pass
        try:
            return self._load(self._any.decrypt(sealed)), True
        except InvalidToken:
            raise TokenSealError("the stored token cannot be opened with TOKEN_ENCRYPTION_KEY(_OLD)") from None

    @staticmethod
    def _load(raw: bytes) -> OfflineToken:
        return OfflineToken.model_validate(json.loads(raw))


def token_cipher(settings: Settings) -> TokenCipher:
    """The cipher for the settings' TOKEN_ENCRYPTION_KEY (and _OLD)."""
    return _cipher(tuple(settings.token_encryption_keys()))


@functools.lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> TokenCipher:
    return TokenCipher(keys)
