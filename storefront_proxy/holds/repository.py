"""Where the app's fulfillment holds live in Redis; the only module that knows their keys.

- ``selfservice:hold:<shop>:<order id>``: the order's hold record (JSON; at most one per order).
- ``selfservice:holds:<shop>``: the shop's held order ids, scored by creation time (a sorted set).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import redis
from redis.client import Pipeline

from storefront_proxy.holds.records import FulfillmentHoldRecord
from storefront_proxy.storage import Enqueue, JsonRecords, Result, key, watched


def hold_key(shop: str, order_id: int) -> str:
    return key("hold", shop, order_id)


def shop_holds_key(shop: str) -> str:
    return key("holds", shop)


class HoldRepository:
    """The shops' cancel-window hold records."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection
        self._records = JsonRecords(connection, FulfillmentHoldRecord)

    def create(self, record: FulfillmentHoldRecord, enqueue: Callable[[Pipeline], None] | None = None) -> bool:
        """Store a new hold record (and its job, in the same transaction); False when the order has one already."""
        record_key = hold_key(record.shop, record.order_id)

        def write(pipe: Pipeline) -> bool:
            if pipe.exists(record_key):
                return False
            pipe.multi()
            pipe.set(record_key, record.model_dump_json())
            pipe.zadd(shop_holds_key(record.shop), {str(record.order_id): record.created_at.timestamp()})
            if enqueue is not None:
                enqueue(pipe)
            return True

        return watched(self.redis, record_key, write, what=f"hold of order {record.order_id}")

    def get(self, shop: str, order_id: int) -> FulfillmentHoldRecord | None:
        return self._records.get(hold_key(shop, order_id))

    def update(
        self,
        shop: str,
        order_id: int,
        change: Callable[[FulfillmentHoldRecord], Result],
        enqueue: Enqueue[Result] | None = None,
    ) -> tuple[FulfillmentHoldRecord, Result]:
        """Apply ``change`` to the stored hold record atomically; NotFoundError when there is none."""
        return self._records.update(hold_key(shop, order_id), change, enqueue, what=f"hold of order {order_id}")

    def of_shop(self, shop: str, limit: int = 1000) -> list[FulfillmentHoldRecord]:
        """The shop's newest ``limit`` hold records, newest first."""
        return list(itertools.islice(self.iter_shop(shop, batch=min(limit, 500)), limit))

    def iter_shop(self, shop: str, batch: int = 500) -> Iterator[FulfillmentHoldRecord]:
        """Every hold record of the shop, newest first, read ``batch`` at a time (for jobs, not requests)."""
        return self._records.iter_indexed(shop_holds_key(shop), lambda member: hold_key(shop, int(member)), batch)

    def delete_shop(self, shop: str) -> None:
        with self.redis.pipeline() as pipe:
            for hold in self.iter_shop(shop):
                pipe.delete(hold_key(shop, hold.order_id))
            pipe.delete(shop_holds_key(shop))
            pipe.execute()
