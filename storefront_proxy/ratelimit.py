"""Fixed-window hit counters for the storefront's rate limits: ``selfservice:rate:<name>:<window>``."""

from __future__ import annotations

import redis

from storefront_proxy.storage import key


def rate_key(name: str, window: int) -> str:
    return key("rate", name, window)


class RateCounter:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def count_hit(self, name: str, window_seconds: int, now: float) -> int:
        """Count one hit in the fixed window containing ``now``; returns the hits so far in that window."""
        counter = rate_key(name, int(now // window_seconds))
        with self.redis.pipeline() as pipe:
            pipe.incr(counter)
            pipe.expire(counter, window_seconds + 1)
            hits, _ = pipe.execute()
        return int(hits)
