"""Where the cached order facts live in Redis; the only module that knows their keys.

- ``selfservice:order:<shop>:<order id>``: a hash with the order as the rules read it (``order``, JSON; empty when
  the newest version seen could not be read) and its version (``v``, Shopify's ``updated_at`` in milliseconds).
- ``selfservice:customer-orders:<shop>:<customer id>``: a hash with the customer's recent order ids, newest first
  (``ids``, JSON), the ids of the new orders webhooks told of while no list was cached (``new``, JSON: Shopify's
  order search may not find an order yet the moment it is created) and a generation (``gen``) that each new
  order of the customer bumps.

- ``selfservice:product-variants:<shop>:<product id>``: the product's variants as a shopper may swap to them
  (JSON), for ``VARIANTS_TTL_SECONDS``: no webhook keeps them fresh, and the edit's POST reads them from Shopify
  again before deciding.

Both order keys expire after ``FACTS_TTL_SECONDS``, so an order whose webhooks stopped is read from Shopify again.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import redis
from redis.client import Pipeline

from storefront_proxy.shopify.models import Order, ProductVariants
from storefront_proxy.storage import Pending, ReadBatch, key, text

FACTS_TTL_SECONDS = 3600
VARIANTS_TTL_SECONDS = 600

# Replace the order's facts unless a newer version is stored (an older delivery, or a read that started before a
# webhook arrived, never overwrites a newer one); ARGV: version, facts (may be empty), ttl, and '1' when the
# version must be newer than the stored one (an order known only in part is no reason to drop the same version).
_PUT_IF_NOT_OLDER = """
local stored = tonumber(redis.call('HGET', KEYS[1], 'v') or '-1')
local version = tonumber(ARGV[1])
if version < stored or (ARGV[4] == '1' and version == stored) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'order', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""
# Store the customer's order ids only if no new order of theirs was seen since the read began; ARGV: the
# generation read before, ids, ttl.
_PUT_IDS_IF_GENERATION = """
if (redis.call('HGET', KEYS[1], 'gen') or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'ids', ARGV[2])
redis.call('HDEL', KEYS[1], 'new')
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


# A new order of the customer: first in their cached list (when there is one) or among the new ones; ARGV: the
# order id, how many ids to keep, ttl. Ids are JSON strings: Redis' cjson writes numbers with 14 digits only.
_CUSTOMER_ORDERED = """
local field = redis.call('HEXISTS', KEYS[1], 'ids') == 1 and 'ids' or 'new'
local ids = cjson.decode(redis.call('HGET', KEYS[1], field) or '[]')
local order_id = ARGV[1]
local kept = {order_id}
for _, id in ipairs(ids) do
  if tostring(id) ~= order_id and #kept < tonumber(ARGV[2]) then kept[#kept + 1] = tostring(id) end
end
redis.call('HSET', KEYS[1], field, cjson.encode(kept))
redis.call('HINCRBY', KEYS[1], 'gen', 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


def order_facts_key(shop: str, order_id: int | str) -> str:
    return key("order", shop, order_id)


def customer_orders_key(shop: str, customer_id: int | str) -> str:
    return key("customer-orders", shop, customer_id)


def product_variants_key(shop: str, product_id: str) -> str:
    return key("product-variants", shop, product_id.rsplit("/", 1)[-1])


def version_of(moment: datetime) -> int:
    """An order version as Redis compares it: ``updated_at`` in milliseconds."""
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class CustomerOrderIds:
    """The customer's recent order ids as cached (None when not cached), the new orders webhooks told of while
    none was cached, and the generation they were read at."""

    ids: list[int] | None
    new: list[int]
    generation: str


class OrderFacts:
    """Orders as the eligibility rules need them, versioned by Shopify's ``updated_at``."""

    def __init__(self, connection: redis.Redis, ttl_seconds: int = FACTS_TTL_SECONDS) -> None:
        self.redis = connection
        self.ttl_seconds = ttl_seconds

    # -- reads (queued on a batch: the storefront reads everything in one round trip) ---------------------------

    def get_in(self, batch: ReadBatch, shop: str, order_id: int) -> Pending[Order | None]:
        """The cached order, or None when it is not cached or its newest version seen could not be read."""
        batch.pipe.hget(order_facts_key(shop, order_id), "order")
        return batch.add(1, _order)

    def get_many_in(self, batch: ReadBatch, shop: str, order_ids: list[int]) -> Pending[list[Order | None]]:
        for order_id in order_ids:
            batch.pipe.hget(order_facts_key(shop, order_id), "order")
        return batch.add(len(order_ids), lambda *raws: [_order(raw) for raw in raws])

    def customer_order_ids_in(self, batch: ReadBatch, shop: str, customer_id: int) -> Pending[CustomerOrderIds]:
        batch.pipe.hmget(customer_orders_key(shop, customer_id), ["ids", "new", "gen"])
        return batch.add(1, _customer_order_ids)

    def product_variants_in(
        self, batch: ReadBatch, shop: str, product_ids: list[str]
    ) -> Pending[dict[str, ProductVariants]]:
        """The cached variants of those products (GIDs) that are cached."""
        for product_id in product_ids:
            batch.pipe.get(product_variants_key(shop, product_id))
        return batch.add(
            len(product_ids),
            lambda *raws: {p.id: p for p in (ProductVariants.model_validate_json(raw) for raw in raws if raw)},
        )

    # -- writes ---------------------------------------------------------------------------------------------------

    def put_product_variants(self, shop: str, products: Iterable[ProductVariants]) -> None:
        with self.redis.pipeline(transaction=False) as pipe:
            for product in products:
                pipe.set(product_variants_key(shop, product.id), product.model_dump_json(), ex=VARIANTS_TTL_SECONDS)
            pipe.execute()

    def put(self, shop: str, order: Order) -> None:
        """Keep an order just read from Shopify."""
        batch = ReadBatch(self.redis)
        self.put_in(batch, shop, order)
        batch.run()

    def put_in(self, batch: ReadBatch, shop: str, order: Order) -> None:
        """``put`` queued on ``batch`` (a read without ``updatedAt`` is not kept: it cannot be versioned).

        An order read without its line items (by the list, or to decide) replaces only an older one: the same
        version with its line items is worth more, as the order's page shows them.
        """
        if order.updated_at is None:
            return
        version = version_of(order.updated_at)
        newer_only = not order.line_items_read
        self._put(batch.pipe, shop, order.legacy_resource_id, version, order, newer_only=newer_only)
        batch.add(1, _ignore)

    def saw(self, shop: str, order_id: int, version: datetime | None, order: Order | None) -> None:
        """A webhook told of the order at ``version``: keep ``order`` (None when it could not be read from the
        delivery, so reads go to Shopify until a newer version is kept). Without a version the facts are dropped."""
        if version is None:
            self.redis.delete(order_facts_key(shop, order_id))
            return
        self._put(self.redis, shop, order_id, version_of(version), order)

    def forget(self, shop: str, order_id: int) -> None:
        """Drop the order's facts but keep their version (this app just changed the order; the next view reads
        Shopify, and a late older delivery still cannot bring the old facts back)."""
        facts_key = order_facts_key(shop, order_id)
        with self.redis.pipeline() as pipe:
            pipe.hset(facts_key, "order", "")
            pipe.expire(facts_key, self.ttl_seconds)
            pipe.execute()

    def put_customer_order_ids_in(
        self, batch: ReadBatch, shop: str, customer_id: int, ids: list[int], generation: str
    ) -> None:
        """Keep the customer's recent order ids, unless a new order of theirs was seen since ``generation``."""
        # The new ones it now holds need no keeping apart any more.
        batch.pipe.eval(
            _PUT_IDS_IF_GENERATION,
            1,
            customer_orders_key(shop, customer_id),
            generation,
            json.dumps([str(order_id) for order_id in ids]),
            self.ttl_seconds,
        )
        batch.add(1, _ignore)

    def customer_ordered(self, shop: str, customer_id: int, order_id: int, keep: int) -> None:
        """A new order of the customer was seen: it heads their cached list, or waits among the new ones for the
        list to be read (``keep``: how many ids a list holds)."""
        self.redis.eval(_CUSTOMER_ORDERED, 1, customer_orders_key(shop, customer_id), order_id, keep, self.ttl_seconds)

    def erase_customer(self, shop: str, customer_id: int, order_ids: Iterable[int]) -> None:
        """Delete the customer's list and the facts of ``order_ids`` and of every order on it (customers/redact)."""
        list_key = customer_orders_key(shop, customer_id)
        listed = self.redis.hget(list_key, "ids")
        orders = {*order_ids, *(int(order_id) for order_id in json.loads(listed))} if listed else set(order_ids)
        self.redis.delete(list_key, *(order_facts_key(shop, order_id) for order_id in orders))

    def delete_shop(self, shop: str) -> None:
        """Delete every cached fact of the shop (shop/redact)."""
        for prefix in (order_facts_key(shop, ""), customer_orders_key(shop, ""), key("product-variants", shop, "")):
            batch = [found for found in self.redis.scan_iter(match=f"{prefix}*", count=500)]
            if batch:
                self.redis.delete(*batch)

    def _put(
        self,
        client: redis.Redis | Pipeline,
        shop: str,
        order_id: int,
        version: int,
        order: Order | None,
        *,
        newer_only: bool = False,
    ) -> None:
        facts = order.model_dump_json() if order is not None else ""
        strict = "1" if newer_only else "0"
        client.eval(_PUT_IF_NOT_OLDER, 1, order_facts_key(shop, order_id), version, facts, self.ttl_seconds, strict)


def _ignore(_: object) -> None:
    return None


@functools.lru_cache(maxsize=32)
def _order(raw: bytes | None) -> Order | None:
    # The same stored JSON is the same (frozen) Order: a busy order page is read many times between two webhooks.
    # Few are kept: an order with many line items is tens of kilobytes parsed.
    return Order.model_validate_json(raw) if raw else None


def _customer_order_ids(reply: list[bytes | None]) -> CustomerOrderIds:
    raw_ids, raw_new, generation = reply
    ids = [int(order_id) for order_id in json.loads(raw_ids)] if raw_ids else None
    new = [int(order_id) for order_id in json.loads(raw_new)] if raw_new else []
    return CustomerOrderIds(ids, new, text(generation) if generation is not None else "0")
