"""Fixed-window hit counters for the storefront's rate limits: ``selfservice:rate:<name>:<window>``."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from storefront_proxy.storage import Pending, ReadBatch, key


def rate_key(name: str, window: int) -> str:
    return key("rate", name, window)


@dataclass(frozen=True)
class Allowance:
    """At most ``limit`` hits of ``name`` in each fixed window of ``window_seconds``."""

    name: str
    limit: int
    window_seconds: int


class AllowanceSpentError(Exception):
    """The allowance of this window is spent; ``retry_after`` seconds until the next window."""

    def __init__(self, name: str, retry_after: int) -> None:
        super().__init__(name)
        self.retry_after = retry_after


class RateCounter:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def spend(self, allowance: Allowance) -> None:
        """Count one hit of ``allowance``; raises AllowanceSpentError once it is spent."""
        batch = ReadBatch(self.redis)
        self.spend_in(batch, allowance)
        batch.run()

    def spend_in(self, batch: ReadBatch, allowance: Allowance) -> Pending[None]:
        """Count one hit of ``allowance`` with ``batch``; running the batch raises AllowanceSpentError once it is
        spent, before anything else the batch read is used."""
        now = time.time()
        window = allowance.window_seconds
        counter = rate_key(allowance.name, int(now // window))
        batch.pipe.incr(counter)
        batch.pipe.expire(counter, window + 1)

        def check(hits: int, _: object) -> None:
            if int(hits) > allowance.limit:
                raise AllowanceSpentError(allowance.name, window - int(now) % window)

        return batch.add(2, check)
