"""Where the staff members' names live in Redis; the only module that knows their keys.

- ``selfservice:staff:<shop>``: a hash, staff id (the session token's ``sub``) → ``{"name", "learned_at"}`` (JSON,
  ``learned_at`` in Unix seconds). Only the name is kept of what Shopify tells about the staff member.
- ``selfservice:staff-lookup:<shop>:<staff id>``: set for ``LOOKUP_PAUSE_SECONDS`` while a name is being looked
  up or after a lookup failed, so one staff member costs Shopify at most one lookup a minute; for
  ``UNNAMED_PAUSE_SECONDS`` when Shopify answered but named no one, or refused the exchange.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import redis

from storefront_proxy.storage import key, text

LOOKUP_PAUSE_SECONDS = 60
# Asking again soon would get the same answer (no name, or an exchange the shop's app can't make).
UNNAMED_PAUSE_SECONDS = 24 * 3600
# Staff members can change their names in Shopify: a name this old is looked up again (and kept meanwhile).
REFRESH_AFTER_SECONDS = 30 * 24 * 3600


def staff_key(shop: str) -> str:
    return key("staff", shop)


def staff_lookup_key(shop: str, staff_id: str) -> str:
    return key("staff-lookup", shop, staff_id)


class StaffNames:
    """The names of the shops' staff members, learned once per staff member and shop."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def names(self, shop: str, staff_ids: Iterable[str]) -> dict[str, str]:
        """The known names of ``staff_ids`` (one HMGET); unknown ones are left out."""
        wanted = sorted(set(staff_ids))
        if not wanted:
            return {}
        found = self.redis.hmget(staff_key(shop), wanted)
        known = {staff_id: _entry(raw) for staff_id, raw in zip(wanted, found, strict=True)}
        return {staff_id: entry[0] for staff_id, entry in known.items() if entry is not None}

    def needs_lookup(self, shop: str, staff_id: str, now: datetime) -> bool:
        """Whether the staff member's name is unknown, or old enough to be looked up again."""
        entry = _entry(self.redis.hget(staff_key(shop), staff_id))
        return entry is None or now.timestamp() - entry[1] >= REFRESH_AFTER_SECONDS

    def claim_lookup(self, shop: str, staff_id: str) -> bool:
        """True for the one caller a minute that may look the staff member's name up."""
        return bool(self.redis.set(staff_lookup_key(shop, staff_id), "1", nx=True, ex=LOOKUP_PAUSE_SECONDS))

    def pause_lookup(self, shop: str, staff_id: str, seconds: int = UNNAMED_PAUSE_SECONDS) -> None:
        """Ask Shopify about the staff member again only after ``seconds``."""
        self.redis.set(staff_lookup_key(shop, staff_id), "1", ex=seconds)

    def remember(self, shop: str, staff_id: str, name: str, now: datetime) -> None:
        entry = json.dumps({"name": name, "learned_at": int(now.timestamp())})
        self.redis.hset(staff_key(shop), staff_id, entry)

    def delete_shop(self, shop: str) -> None:
        """Delete every name and lookup mark of the shop (shop/redact)."""
        marks = list(self.redis.scan_iter(match=f"{staff_lookup_key(shop, '')}*", count=500))
        self.redis.delete(staff_key(shop), *marks)


def _entry(raw: bytes | str | None) -> tuple[str, int] | None:
    """A stored name and when it was learned; None when there is none (or it cannot be read: looked up again)."""
    if raw is None:
        return None
    try:
        entry = json.loads(text(raw))
    except ValueError:
        return None
    if not isinstance(entry, dict):
        return None
    name, learned_at = entry.get("name"), entry.get("learned_at")
    if not isinstance(name, str) or not isinstance(learned_at, int):
        return None
    return name, learned_at
