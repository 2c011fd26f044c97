"""Where the shops' Admin API cost buckets live in Redis: ``selfservice:cost-bucket:<shop>``; the only module that
knows the key.

Shopify meters GraphQL calls with a leaky bucket per app and shop: a call's requested cost is taken up front, the
bucket refills at ``restoreRate`` points a second up to ``maximumAvailable``, and a call that does not fit is
answered THROTTLED (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits). Every process of the app
calls the same shop, so each keeps no bucket of its own: before a call it takes the points here (and waits until
they are there), and after the answer it settles with what Shopify reported (``throttleStatus``). THROTTLED then
stays rare instead of being retried, and workers of one shop queue up for its points in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from storefront_proxy.storage import key

# Until Shopify's first answer says otherwise: the standard plan's restore rate and a bucket of ten seconds of it.
DEFAULT_MAXIMUM = 1000.0
DEFAULT_RESTORE_RATE = 100.0
BUCKET_TTL_SECONDS = 3600

_REFILL = """
local b = redis.call('HMGET', KEYS[1], 'available', 'maximum', 'rate', 'at')
local now = tonumber(ARGV[1])
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local maximum = tonumber(b[2]) or tonumber(ARGV[2])
local rate = tonumber(b[3]) or tonumber(ARGV[3])
local available = tonumber(b[1]) or maximum
local at = tonumber(b[4]) or now
available = math.min(maximum, available + math.max(0, now - at) * rate)
"""
_STORE = """
redis.call('HSET', KEYS[1], 'available', available, 'maximum', maximum, 'rate', rate, 'at', now)
redis.call('EXPIRE', KEYS[1], ARGV[4])
"""
# ARGV: now, default maximum, default rate, ttl, cost, longest wait. Returns {granted, seconds to wait, and the
# bucket after it: available, maximum, rate}: the points are taken (the bucket may go below zero: the wait pays
# for it) unless the wait would be longer than allowed.
_TAKE = (
    _REFILL
    + """
local cost = tonumber(ARGV[5])
local wait = 0
if available < cost then wait = (cost - available) / rate end
if wait > tonumber(ARGV[6]) then
"""
    + _STORE
    + """
  return {0, tostring(wait), tostring(available), tostring(maximum), tostring(rate)}
end
available = available - cost
"""
    + _STORE
    + """
return {1, tostring(wait), tostring(available), tostring(maximum), tostring(rate)}
"""
)
# ARGV: now, default maximum, default rate, ttl, points given back, then Shopify's currentlyAvailable,
# maximumAvailable and restoreRate ('' when the answer had none). Shopify's figure lowers ours, never raises it:
# ours also counts the calls other processes are making right now. A point less than Shopify says, as it rounds.
_SETTLE = (
    _REFILL
    + """
available = math.min(maximum, available + tonumber(ARGV[5]))
if ARGV[6] ~= '' then
  maximum = tonumber(ARGV[7])
  rate = tonumber(ARGV[8])
  available = math.min(available, tonumber(ARGV[6]) - 1)
end
"""
    + _STORE
)


@dataclass(frozen=True)
class Reservation:
    """What taking points for one call found: whether they were taken, the wait, and the bucket after it."""

    granted: bool
    wait: float
    available: float
    maximum: float
    rate: float

    def agrees_with(self, available: float, maximum: float, rate: float) -> bool:
        """Whether Shopify's figures would change nothing: the same plan, and a balance no lower than ours."""
        return maximum == self.maximum and rate == self.rate and available - 1 >= self.available


def cost_bucket_key(shop: str) -> str:
    return key("cost-bucket", shop)


class CostBuckets:
    """The shops' cost buckets: ``ShopifyClient``'s pacer (``shopify.client.CallPacer``)."""

    def __init__(self, connection: redis.Redis, clock: Callable[[], float] | None = None) -> None:
        self.redis = connection
        # Redis' own clock by default: every process sees the same time, whatever its host's clock says.
        self.clock = clock

    def reserve(self, shop: str, cost: float, max_wait: float) -> Reservation:
        """Take ``cost`` points for a call: whether they were taken, the seconds to wait before sending, and the
        bucket as it was left. Nothing is taken when the wait would be longer than ``max_wait``; the caller then
        tells its own caller to come back later."""
        reply = self.redis.eval(_TAKE, 1, cost_bucket_key(shop), *self._defaults(), cost, max_wait)
        granted, wait, available, maximum, rate = reply
        return Reservation(bool(granted), float(wait), float(available), float(maximum), float(rate))

    def settle(
        self, shop: str, refund: float, throttle_status: dict[str, Any] | None, reservation: Reservation | None = None
    ) -> None:
        """After Shopify's answer: give back ``refund`` points (taken but not spent) and learn its figures.

        Nothing is sent when there is nothing to learn: no refund, Shopify's figures as the bucket knew them and
        its balance no lower than the bucket's after the reservation (the common case, one round trip saved).
        """
        status = throttle_status or {}
        try:
            reported = [float(status[name]) for name in ("currentlyAvailable", "maximumAvailable", "restoreRate")]
        except (KeyError, TypeError, ValueError):
            reported = []
        if reported and reported[2] <= 0:
            reported = []
        if reservation is not None and refund == 0 and reported and reservation.agrees_with(*reported):
            return
        shopify: list[float | str] = list(reported) or ["", "", ""]
        self.redis.eval(_SETTLE, 1, cost_bucket_key(shop), *self._defaults(), refund, *shopify)

    def delete_shop(self, shop: str) -> None:
        self.redis.delete(cost_bucket_key(shop))

    def _defaults(self) -> tuple[float | str, float, float, int]:
        return (self.clock() if self.clock else "", DEFAULT_MAXIMUM, DEFAULT_RESTORE_RATE, BUCKET_TTL_SECONDS)
