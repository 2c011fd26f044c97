"""The shops' audit log: who changed what, when, with the value before and after.

Kept in Redis at ``selfservice:audit:<shop>`` (a list, newest first); the only module that knows the key.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import redis
from redis.client import Pipeline

from storefront_proxy.storage import key, watched

# What an erased entry's before and after say.
ERASED = "erased (customers/redact)"


def audit_key(shop: str) -> str:
    return key("audit", shop)


class AuditLog:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def add(
        self, shop: str, at: datetime, actor: str, action: str, subject: str | None, before: Any, after: Any
    ) -> None:
        """Record one change: ``actor`` did ``action`` to ``subject`` (a request id, an order id, or None)."""
        entry = {"at": at.isoformat(), "actor": actor, "action": action, "subject": subject}
        self.redis.lpush(audit_key(shop), json.dumps({**entry, "before": before, "after": after}))

    def entries(self, shop: str, limit: int = 100) -> list[dict[str, Any]]:
        """The newest ``limit`` audit entries of the shop."""
        return [json.loads(raw) for raw in self.redis.lrange(audit_key(shop), 0, limit - 1)]

    def scrub(self, shop: str, subjects: set[str]) -> None:
        """Drop the before/after texts of the entries about ``subjects``; who did what and when stays."""
        if not subjects:
            return
        log_key = audit_key(shop)

        def write(pipe: Pipeline) -> bool:
            entries = [json.loads(raw) for raw in pipe.lrange(log_key, 0, -1)]
            for entry in entries:
                if entry.get("subject") in subjects:
                    entry["before"] = entry["after"] = ERASED
            pipe.multi()
            pipe.delete(log_key)
            if entries:
                pipe.rpush(log_key, *(json.dumps(entry) for entry in entries))
            return True

        watched(self.redis, log_key, write, what=f"the audit log of {shop}")

    def delete_shop(self, shop: str) -> None:
        self.redis.delete(audit_key(shop))
