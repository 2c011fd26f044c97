"""Where cancellation requests live in Redis; the only module that knows their keys.

- ``selfservice:request:<id>``: the request (JSON).
- ``selfservice:order-request:<shop>:<order id>``: the order's request id (at most one request per order).
- ``selfservice:requests:<shop>``: the shop's request ids, scored by creation time (a sorted set).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import redis
from redis.client import Pipeline

from storefront_proxy.cancellations.records import CancellationRequest
from storefront_proxy.storage import (
    MAX_WATCH_RETRIES,
    Enqueue,
    JsonRecords,
    Pending,
    ReadBatch,
    RecordChangedError,
    Result,
    key,
    text,
)

# The requests of orders (by their index keys, KEYS), each as JSON or nil; ARGV[1] is request_key("").
_REQUESTS_OF_ORDERS = """
local records = {}
for i, index in ipairs(KEYS) do
  local request_id = redis.call('GET', index)
  records[i] = request_id and redis.call('GET', ARGV[1] .. request_id) or false
end
return records
"""


def request_key(request_id: str) -> str:
    return key("request", request_id)


def order_request_key(shop: str, order_id: int) -> str:
    return key("order-request", shop, order_id)


def shop_requests_key(shop: str) -> str:
    return key("requests", shop)


class RequestRepository:
    """The shops' cancellation requests."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection
        self._records = JsonRecords(connection, CancellationRequest)

    def get(self, request_id: str) -> CancellationRequest | None:
        return self._records.get(request_key(request_id))

    def for_order(self, shop: str, order_id: int) -> CancellationRequest | None:
        request_id = self.redis.get(order_request_key(shop, order_id))
        return self.get(text(request_id)) if request_id else None

    def for_orders_in(
        self, batch: ReadBatch, shop: str, order_ids: list[int]
    ) -> Pending[list[CancellationRequest | None]]:
        """The orders' requests (None for an order without one), read with the batch: the index and the record
        are followed in Redis (a script), so they cost no second round trip."""
        index_keys = [order_request_key(shop, order_id) for order_id in order_ids]
        batch.pipe.eval(_REQUESTS_OF_ORDERS, len(index_keys), *index_keys, request_key(""))

        def read(records: list[bytes | None]) -> list[CancellationRequest | None]:
            return [CancellationRequest.model_validate_json(raw) if raw else None for raw in records]

        return batch.add(1, read)

    def create(
        self, request: CancellationRequest, enqueue: Callable[[Pipeline], None] | None = None
    ) -> tuple[CancellationRequest, bool]:
        """Store ``request`` unless the order already has one; returns (the order's request, created).

        The record, the (shop, order) index and the job ``enqueue`` adds to the pipeline are written in one
        MULTI/EXEC: concurrent duplicates produce exactly one record and one job, and a Redis failure leaves
        nothing half-written.
        """
        index_key = order_request_key(request.shop, request.order_id)
        with self.redis.pipeline() as pipe:
            for _ in range(MAX_WATCH_RETRIES):
                try:
                    pipe.watch(index_key)
                    existing_id = pipe.get(index_key)
                    if existing_id:
                        pipe.unwatch()
                        existing = self.get(text(existing_id))
                        if existing is not None:
                            return existing, False
                        raise RecordChangedError(f"index points at a missing request for order {request.order_id}")
                    pipe.multi()
                    pipe.set(request_key(request.id), request.model_dump_json())
                    pipe.set(index_key, request.id)
                    pipe.zadd(shop_requests_key(request.shop), {request.id: request.created_at.timestamp()})
                    if enqueue is not None:
                        enqueue(pipe)
                    pipe.execute()
                    return request, True
                except redis.WatchError:
                    continue
        raise RecordChangedError(f"could not create a request for order {request.order_id}")

    def update(
        self,
        request_id: str,
        change: Callable[[CancellationRequest], Result],
        enqueue: Enqueue[Result] | None = None,
    ) -> tuple[CancellationRequest, Result]:
        """Apply ``change`` to the stored request atomically; returns the request and what ``change`` returned.

        Raises NotFoundError when there is no such request (``storage.JsonRecords.update``).
        """
        return self._records.update(request_key(request_id), change, enqueue, what=request_id)

    def iter_shop(self, shop: str, batch: int = 1000) -> Iterator[CancellationRequest]:
        """Every request of the shop, newest first, ``batch`` at a time (for erasure and exports: no limit)."""
        return self._records.iter_indexed(shop_requests_key(shop), request_key, batch)

    def of_shop(self, shop: str, limit: int = 10_000) -> list[CancellationRequest]:
        """The shop's newest ``limit`` requests, newest first (one round trip for the records)."""
        return list(itertools.islice(self.iter_shop(shop, batch=limit), limit))

    def erase_customer(self, shop: str, customer_id: int) -> list[str]:
        """Delete the customer's requests in the shop (customers/redact); returns their ids."""
        doomed = [request for request in self.iter_shop(shop) if request.customer_id == customer_id]
        with self.redis.pipeline() as pipe:
            for request in doomed:
                pipe.delete(request_key(request.id), order_request_key(shop, request.order_id))
                pipe.zrem(shop_requests_key(shop), request.id)
            pipe.execute()
        return [request.id for request in doomed]

    def delete_shop(self, shop: str) -> None:
        """Delete every request of the shop (shop/redact)."""
        with self.redis.pipeline() as pipe:
            for request in self.iter_shop(shop):
                pipe.delete(request_key(request.id), order_request_key(shop, request.order_id))
            pipe.delete(shop_requests_key(shop))
            pipe.execute()
