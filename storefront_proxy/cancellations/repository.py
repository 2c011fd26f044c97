"""Where shoppers' requests (cancellations and edits) live in Redis; the only module that knows their keys.

- ``selfservice:request:<id>``: the request (JSON).
- ``selfservice:order-request:<shop>:<order id>``: the order's cancellation request id (at most one per order).
- ``selfservice:order-edit:<shop>:<order id>``: the id of the order's latest edit (an order may be edited again
  once its edit has finished; at most one is open at a time).
- ``selfservice:requests:<shop>``: the shop's request ids of both kinds, scored by creation time (a sorted set).

A cancellation and an open edit of the same order exclude each other: each is created watching the other's key.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import redis
from redis.client import Pipeline

from storefront_proxy.cancellations.records import ShopperRequest
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


def order_edit_key(shop: str, order_id: int) -> str:
    return key("order-edit", shop, order_id)


def shop_requests_key(shop: str) -> str:
    return key("requests", shop)


class OrderBusyError(Exception):
    """The order has an open request of the other kind (or an open edit), so this one is not created."""

    def __init__(self, code: str, existing: ShopperRequest) -> None:
        super().__init__(code)
        self.code = code
        self.existing = existing


EDIT_IN_PROGRESS = "edit_in_progress"
CANCELLATION_IN_PROGRESS = "cancellation_in_progress"


class RequestRepository:
    """The shops' cancellation requests."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection
        self._records = JsonRecords(connection, ShopperRequest)

    def get(self, request_id: str) -> ShopperRequest | None:
        return self._records.get(request_key(request_id))

    def for_order(self, shop: str, order_id: int) -> ShopperRequest | None:
        """The order's cancellation request."""
        request_id = self.redis.get(order_request_key(shop, order_id))
        return self.get(text(request_id)) if request_id else None

    def latest_edit(self, shop: str, order_id: int) -> ShopperRequest | None:
        """The order's latest edit request."""
        request_id = self.redis.get(order_edit_key(shop, order_id))
        return self.get(text(request_id)) if request_id else None

    def latest_edits_in(
        self, batch: ReadBatch, shop: str, order_ids: list[int]
    ) -> Pending[list[ShopperRequest | None]]:
        """The orders' latest edits (None for an order never edited), read with the batch."""
        index_keys = [order_edit_key(shop, order_id) for order_id in order_ids]
        batch.pipe.eval(_REQUESTS_OF_ORDERS, len(index_keys), *index_keys, request_key(""))

        def read(records: list[bytes | None]) -> list[ShopperRequest | None]:
            return [ShopperRequest.model_validate_json(raw) if raw else None for raw in records]

        return batch.add(1, read)

    def _open_request(self, pipe: Pipeline, index_key: str) -> ShopperRequest | None:
        """The request ``index_key`` points at if it has not finished (the caller watches the key)."""
        request_id = pipe.get(index_key)
        found = self.get(text(request_id)) if request_id else None
        return found if found is not None and not found.status.is_final else None

    def for_orders_in(self, batch: ReadBatch, shop: str, order_ids: list[int]) -> Pending[list[ShopperRequest | None]]:
        """The orders' requests (None for an order without one), read with the batch: the index and the record
        are followed in Redis (a script), so they cost no second round trip."""
        index_keys = [order_request_key(shop, order_id) for order_id in order_ids]
        batch.pipe.eval(_REQUESTS_OF_ORDERS, len(index_keys), *index_keys, request_key(""))

        def read(records: list[bytes | None]) -> list[ShopperRequest | None]:
            return [ShopperRequest.model_validate_json(raw) if raw else None for raw in records]

        return batch.add(1, read)

    def create(
        self, request: ShopperRequest, enqueue: Callable[[Pipeline], None] | None = None
    ) -> tuple[ShopperRequest, bool]:
        """Store ``request`` unless the order already has one; returns (the order's request, created).

        The record, the (shop, order) index and the job ``enqueue`` adds to the pipeline are written in one
        MULTI/EXEC: concurrent duplicates produce exactly one record and one job, and a Redis failure leaves
        nothing half-written.
        """
        index_key = order_request_key(request.shop, request.order_id)
        edit_key = order_edit_key(request.shop, request.order_id)
        with self.redis.pipeline() as pipe:
            for _ in range(MAX_WATCH_RETRIES):
                try:
                    pipe.watch(index_key, edit_key)
                    existing_id = pipe.get(index_key)
                    if existing_id:
                        pipe.unwatch()
                        existing = self.get(text(existing_id))
                        if existing is not None:
                            return existing, False
                        raise RecordChangedError(f"index points at a missing request for order {request.order_id}")
                    open_edit = self._open_request(pipe, edit_key)
                    if open_edit is not None:
                        pipe.unwatch()
                        raise OrderBusyError(EDIT_IN_PROGRESS, open_edit)
                    self._write_new(pipe, request, index_key, enqueue)
                    return request, True
                except redis.WatchError:
                    continue
        raise RecordChangedError(f"could not create a request for order {request.order_id}")

    def create_edit(self, request: ShopperRequest, enqueue: Callable[[Pipeline], None] | None = None) -> ShopperRequest:
        """Store the edit ``request`` as the order's latest, with the job ``enqueue`` adds, in one MULTI/EXEC.

        Raises OrderBusyError when the order has an open edit or an open cancellation request.
        """
        edit_key = order_edit_key(request.shop, request.order_id)
        cancellation_key = order_request_key(request.shop, request.order_id)
        with self.redis.pipeline() as pipe:
            for _ in range(MAX_WATCH_RETRIES):
                try:
                    pipe.watch(edit_key, cancellation_key)
                    for code, index in ((EDIT_IN_PROGRESS, edit_key), (CANCELLATION_IN_PROGRESS, cancellation_key)):
                        busy = self._open_request(pipe, index)
                        if busy is not None:
                            pipe.unwatch()
                            raise OrderBusyError(code, busy)
                    self._write_new(pipe, request, edit_key, enqueue)
                    return request
                except redis.WatchError:
                    continue
        raise RecordChangedError(f"could not create an edit for order {request.order_id}")

    @staticmethod
    def _write_new(
        pipe: Pipeline, request: ShopperRequest, index_key: str, enqueue: Callable[[Pipeline], None] | None
    ) -> None:
        """In the watching pipeline: the record, the order's index pointing at it, the shop's list and the job, in
        one MULTI/EXEC."""
        pipe.multi()
        pipe.set(request_key(request.id), request.model_dump_json())
        pipe.set(index_key, request.id)
        pipe.zadd(shop_requests_key(request.shop), {request.id: request.created_at.timestamp()})
        if enqueue is not None:
            enqueue(pipe)
        pipe.execute()

    def update(
        self,
        request_id: str,
        change: Callable[[ShopperRequest], Result],
        enqueue: Enqueue[Result] | None = None,
    ) -> tuple[ShopperRequest, Result]:
        """Apply ``change`` to the stored request atomically; returns the request and what ``change`` returned.

        Raises NotFoundError when there is no such request (``storage.JsonRecords.update``).
        """
        return self._records.update(request_key(request_id), change, enqueue, what=request_id)

    def iter_shop(self, shop: str, batch: int = 1000) -> Iterator[ShopperRequest]:
        """Every request of the shop, newest first, ``batch`` at a time (for erasure and exports: no limit)."""
        return self._records.iter_indexed(shop_requests_key(shop), request_key, batch)

    def of_shop(self, shop: str, limit: int = 10_000) -> list[ShopperRequest]:
        """The shop's newest ``limit`` requests, newest first (one round trip for the records)."""
        return list(itertools.islice(self.iter_shop(shop, batch=limit), limit))

    def erase_customer(self, shop: str, customer_id: int) -> list[str]:
        """Delete the customer's requests in the shop (customers/redact); returns their ids."""
        doomed = [request for request in self.iter_shop(shop) if request.customer_id == customer_id]
        with self.redis.pipeline() as pipe:
            for request in doomed:
                pipe.delete(request_key(request.id), *self._order_index_keys(request))
                pipe.zrem(shop_requests_key(shop), request.id)
            pipe.execute()
        return [request.id for request in doomed]

    def delete_shop(self, shop: str) -> None:
        """Delete every request of the shop (shop/redact)."""
        with self.redis.pipeline() as pipe:
            for request in self.iter_shop(shop):
                pipe.delete(request_key(request.id), *self._order_index_keys(request))
            pipe.delete(shop_requests_key(shop))
            pipe.execute()

    @staticmethod
    def _order_index_keys(request: ShopperRequest) -> list[str]:
        """The order's index keys that may point at ``request`` (an edit's key may point at a later edit of the same
        customer's order, which goes with it)."""
        if request.is_edit:
            return [order_edit_key(request.shop, request.order_id)]
        return [order_request_key(request.shop, request.order_id)]
