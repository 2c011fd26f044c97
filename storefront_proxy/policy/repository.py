"""Where the shops' policies live in Redis: ``selfservice:policy:<shop>`` (JSON); the only module that knows it."""

from __future__ import annotations

import redis

from storefront_proxy.policy.model import Policy
from storefront_proxy.storage import key


def policy_key(shop: str) -> str:
    return key("policy", shop)


class PolicyRepository:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def get(self, shop: str) -> Policy:
        """The shop's policy, or the defaults when the merchant never changed it."""
        raw = self.redis.get(policy_key(shop))
        return Policy.model_validate_json(raw) if raw else Policy()

    def save(self, shop: str, policy: Policy) -> None:
        self.redis.set(policy_key(shop), policy.model_dump_json())

    def delete_shop(self, shop: str) -> None:
        self.redis.delete(policy_key(shop))
