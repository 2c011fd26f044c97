"""The app's cancel-window fulfillment holds: recording one for a new order, and support's retry of a failed one.

The Shopify side (placing and releasing the hold) runs on workers: workers/fulfillment_holds.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rq import Queue

from storefront_proxy.policy import Policy, WindowMode
from storefront_proxy.queue import enqueue_hold_placement, schedule_hold_release
from storefront_proxy.records import FulfillmentHoldRecord, HoldStatus, HoldStep
from storefront_proxy.store import Store


class HoldNotFailedError(Exception):
    """Only a failed hold can be retried."""

    def __init__(self, status: HoldStatus) -> None:
        super().__init__(f"The hold is {status.value}; only a failed hold can be retried.")
        self.status = status


def hold_wanted(policy: Policy) -> bool:
    """Whether new orders get the cancel-window hold (a window without an end could never release it)."""
    return policy.enabled and policy.hold_fulfillment and policy.window_mode is WindowMode.MINUTES


def policy_moves_holds(before: Policy, after: Policy) -> bool:
    """Whether a policy change moves the release of holds already placed: turned on or off, or a new window."""
    if hold_wanted(before) != hold_wanted(after):
        return True
    return hold_wanted(after) and before.cancel_window_minutes != after.cancel_window_minutes


def start_hold(
    store: Store, queue: Queue, now: datetime, intervals: list[int], shop: str, order_id: int, order_name: str | None
) -> str:
    """Record a hold for a new order and queue its placing, when the shop's policy asks for one."""
    if not hold_wanted(store.get_policy(shop)):
        return "hold_not_wanted"
    record = FulfillmentHoldRecord(
        shop=shop, order_id=order_id, order_name=order_name, status=HoldStatus.PLACING, created_at=now, updated_at=now
    )
    record.record(now, "requested", detail="orders/create")

    def enqueue(pipe: Any) -> None:
        enqueue_hold_placement(queue, shop, order_id, 1, intervals, pipeline=pipe)

    # Once per order: a repeated orders/create (another delivery id) finds the record and does nothing.
    return "hold_queued" if store.create_hold(record, enqueue) else "hold_exists"


def retry_hold(
    store: Store, queue: Queue, now: datetime, intervals: list[int], shop: str, order_id: int, actor: str
) -> FulfillmentHoldRecord:
    """Run a failed hold's failed step again (KeyError when there is no hold, HoldNotFailedError)."""
    job: dict[str, Any] = {}

    def change(record: FulfillmentHoldRecord) -> None:
        if record.status is not HoldStatus.FAILED:
            raise HoldNotFailedError(record.status)
        record.attempts, job["step"] = 0, record.step
        if record.step is HoldStep.PLACE:
            job["number"] = 1 + sum(1 for event in record.events if event.type == "retried")
            status = HoldStatus.PLACING
        else:
            record.releases_scheduled += 1
            job["number"], status = record.releases_scheduled, HoldStatus.HELD
        record.record(now, "retried", status=status, detail=actor)

    def enqueue(pipe: Any) -> None:
        if job["step"] is HoldStep.PLACE:
            enqueue_hold_placement(queue, shop, order_id, job["number"], intervals, pipeline=pipe)
        else:
            schedule_hold_release(queue, shop, order_id, now, job["number"], intervals, pipeline=pipe)

    return store.update_hold(shop, order_id, change, enqueue)


def hold_summary(record: FulfillmentHoldRecord) -> dict[str, Any]:
    """A hold as the admin API shows it."""
    return record.model_dump(mode="json", exclude={"releases_scheduled"})
