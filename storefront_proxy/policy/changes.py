"""The merchant's changes to the shop's policy, validated and audited. No Flask, no HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rq import Queue

from storefront_proxy.holds.enqueue import enqueue_hold_reschedule
from storefront_proxy.holds.rules import policy_moves_holds
from storefront_proxy.policy.model import Policy
from storefront_proxy.store import Store


def _whole_numbers(value: Any) -> Any:
    """``value`` with every float that is a whole number (JSON's 60.0) made an int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


class PolicyChanges:
    """Reads and changes the shops' policies."""

    def __init__(self, store: Store, queue: Queue, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.queue = queue
        self.clock = clock

    def policy(self, shop: str) -> Policy:
        return self.store.policies.get(shop)

    def change(self, shop: str, actor: str, values: dict[str, Any]) -> Policy:
        """Validate and store a new policy (raises pydantic's ValidationError), auditing before and after."""
        before = self.store.policies.get(shop)
        # Strict, as JSON: `0` is not a boolean nor "60" a number of minutes (openapi.yaml's types), where
        # pydantic's lax mode would take them; but 60.0 is the integer 60 to JSON Schema, so it is to us.
        after = Policy.model_validate_json(json.dumps(_whole_numbers(values)), strict=True)
        self.store.policies.save(shop, after)
        self.store.audit.add(
            shop,
            self.clock(),
            actor,
            "policy.update",
            None,
            before.model_dump(mode="json"),
            after.model_dump(mode="json"),
        )
        if policy_moves_holds(before, after):
            # Holds already placed follow the new window: released now when turned off, moved when it changed.
            enqueue_hold_reschedule(self.queue, shop)
        return after

    def reset(self, shop: str, actor: str) -> Policy:
        """Back to the defaults, audited like any change."""
        return self.change(shop, actor, Policy().model_dump(mode="json"))
