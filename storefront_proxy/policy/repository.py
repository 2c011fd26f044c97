"""Where the shops' policies live in Redis: ``selfservice:policy:<shop>`` (JSON); the only module that knows it."""

from __future__ import annotations

import functools

import redis

from storefront_proxy.policy.model import Policy
from storefront_proxy.storage import Pending, ReadBatch, key


def policy_key(shop: str) -> str:
    return key("policy", shop)


class PolicyRepository:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def get(self, shop: str) -> Policy:
        """The shop's policy, or the defaults when the merchant never changed it."""
        raw = self.redis.get(policy_key(shop))
        return Policy.model_validate_json(raw) if raw else Policy()

    def get_in(self, batch: ReadBatch, shop: str) -> Pending[Policy]:
        """The shop's policy, read with the batch; the same parsed object for the same stored JSON, so callers must
        not change it (storefront reads parse a policy hundreds of times a second)."""
        batch.pipe.get(policy_key(shop))
        return batch.add(1, _shared_policy)

    def save(self, shop: str, policy: Policy) -> None:
        self.redis.set(policy_key(shop), policy.model_dump_json())

    def delete_shop(self, shop: str) -> None:
        self.redis.delete(policy_key(shop))


@functools.lru_cache(maxsize=256)
def _shared_policy(raw: bytes | None) -> Policy:
    return Policy.model_validate_json(raw) if raw else Policy()
