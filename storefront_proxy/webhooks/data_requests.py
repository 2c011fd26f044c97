"""Customers' data exports (customers/data_request) waiting for the merchant to fetch and pass on.

Kept in Redis at ``selfservice:data-request:<shop>:<data request id>`` (JSON) for ``EXPORT_SECONDS``: Shopify
gives the merchant 30 days to answer. The only module that knows the key.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from storefront_proxy.storage import key

EXPORT_SECONDS = 90 * 24 * 3600


def data_request_key(shop: str, request_id: str) -> str:
    return key("data-request", shop, request_id)


class DataRequestExports:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def save(self, shop: str, request_id: str, export: dict[str, Any]) -> None:
        self.redis.set(data_request_key(shop, request_id), json.dumps(export), ex=EXPORT_SECONDS)

    def get(self, shop: str, request_id: str) -> dict[str, Any] | None:
        raw = self.redis.get(data_request_key(shop, request_id))
        return json.loads(raw) if raw else None

    def erase_customer(self, shop: str, customer_id: int) -> int:
        """Delete the shop's exports of the customer's data (customers/redact); returns how many."""
        keys = list(self.redis.scan_iter(data_request_key(shop, "*"), count=500))
        doomed = [
            found
            for found, raw in zip(keys, self.redis.mget(keys) if keys else [], strict=True)
            if raw is not None and json.loads(raw).get("customer_id") == customer_id
        ]
        if doomed:
            self.redis.delete(*doomed)
        return len(doomed)

    def delete_shop(self, shop: str) -> None:
        keys = list(self.redis.scan_iter(data_request_key(shop, "*"), count=500))
        if keys:
            self.redis.delete(*keys)
