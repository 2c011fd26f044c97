"""The app's cancel-window fulfillment holds: recording one for a new order, and support's view, retry and release.

The Shopify side (placing and releasing the hold) is ``holds/placement.py``, run by workers/holds.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from redis.client import Pipeline
from rq import Queue

from storefront_proxy.holds.enqueue import enqueue_hold_placement, schedule_hold_release
from storefront_proxy.holds.records import FulfillmentHoldRecord, HoldStatus, HoldStep
from storefront_proxy.holds.rules import hold_wanted
from storefront_proxy.store import Store
from storefront_proxy.times import iso


class HoldStatusError(Exception):
    """Base of the errors for a support action that does not apply to the hold's status."""

    status: HoldStatus


class HoldNotFailedError(HoldStatusError):
    """Only a failed hold can be retried."""

    def __init__(self, status: HoldStatus) -> None:
        super().__init__(f"The hold is {status.value}; only a failed hold can be retried.")
        self.status = status


class HoldNotHeldError(HoldStatusError):
    """Only a hold in place can be released."""

    def __init__(self, status: HoldStatus) -> None:
        super().__init__(f"The hold is {status.value}; only a held order can be released.")
        self.status = status


def start_hold(
    store: Store, queue: Queue, now: datetime, intervals: list[int], shop: str, order_id: int, order_name: str | None
) -> str:
    """Record a hold for a new order and queue its placing, when the shop's policy asks for one."""
    if not hold_wanted(store.policies.get(shop)):
        return "hold_not_wanted"
    record = FulfillmentHoldRecord(
        shop=shop, order_id=order_id, order_name=order_name, status=HoldStatus.PLACING, created_at=now, updated_at=now
    )
    record.record(now, "requested", detail="orders/create")

    def enqueue(pipe: Pipeline) -> None:
        enqueue_hold_placement(queue, shop, order_id, 1, intervals, pipeline=pipe)

    # Once per order: a repeated orders/create (another delivery id) finds the record and does nothing.
    return "hold_queued" if store.holds.create(record, enqueue) else "hold_exists"


def retry_hold(
    store: Store, queue: Queue, now: datetime, intervals: list[int], shop: str, order_id: int, actor: str
) -> FulfillmentHoldRecord:
    """Run a failed hold's failed step again (NotFoundError when there is no hold, HoldNotFailedError)."""

    def change(record: FulfillmentHoldRecord) -> tuple[HoldStep, int]:
        """The step to run again and its job's number."""
        if record.status is not HoldStatus.FAILED:
            raise HoldNotFailedError(record.status)
        record.attempts, step = 0, record.step
        if step is HoldStep.PLACE:
            number = 1 + sum(1 for event in record.events if event.type == "retried")
            status = HoldStatus.PLACING
        else:
            record.releases_scheduled += 1
            number, status = record.releases_scheduled, HoldStatus.HELD
        record.record(now, "retried", status=status, detail=actor)
        return step, number

    def enqueue(pipe: Pipeline, job: tuple[HoldStep, int]) -> None:
        step, number = job
        if step is HoldStep.PLACE:
            enqueue_hold_placement(queue, shop, order_id, number, intervals, pipeline=pipe)
        else:
            schedule_hold_release(queue, shop, order_id, now, number, intervals, pipeline=pipe)

    record, _ = store.holds.update(shop, order_id, change, enqueue)
    return record


def release_hold_now(
    store: Store, queue: Queue, now: datetime, intervals: list[int], shop: str, order_id: int, actor: str
) -> tuple[FulfillmentHoldRecord, datetime | None]:
    """Support releases a held order's hold now, not at the window's end; returns the hold and its release time
    before (NotFoundError when there is no hold, HoldNotHeldError).

    The release job is scheduled for now with the next number, so every release scheduled before is superseded;
    it releases even while the order's cancellation request is open (``placement.release_hold``).
    """

    def change(record: FulfillmentHoldRecord) -> tuple[int, datetime | None]:
        """The release job's number and the release time it replaces."""
        if record.status is not HoldStatus.HELD:
            raise HoldNotHeldError(record.status)
        before = record.release_at
        record.release_at = now
        record.release_requested_by = actor
        record.releases_scheduled += 1
        record.record(now, "release_requested", detail=actor)
        return record.releases_scheduled, before

    def enqueue(pipe: Pipeline, job: tuple[int, datetime | None]) -> None:
        schedule_hold_release(queue, shop, order_id, now, job[0], intervals, pipeline=pipe)

    record, (_, before) = store.holds.update(shop, order_id, change, enqueue)
    return record, before


def hold_summary(record: FulfillmentHoldRecord) -> dict[str, Any]:
    """A hold as the admin API shows it (who asked for a release is on its ``release_requested`` event)."""
    return record.model_dump(mode="json", exclude={"releases_scheduled", "release_requested_by"})


class HoldSupport:
    """Support's view of the shops' holds, its retry of a failed one and its release of a held one (audited)."""

    def __init__(self, store: Store, queue: Queue, clock: Callable[[], datetime], retry_intervals: list[int]) -> None:
        self.store = store
        self.queue = queue
        self.clock = clock
        self.retry_intervals = retry_intervals

    def holds(self, shop: str, status: str | None = None) -> list[FulfillmentHoldRecord]:
        """The shop's cancel-window holds, newest first; failed ones need support."""
        return [hold for hold in self.store.holds.of_shop(shop) if status is None or hold.status.value == status]

    def retry(self, shop: str, order_id: int, actor: str) -> FulfillmentHoldRecord:
        """Run a failed hold's failed step again (NotFoundError when the order has no hold; HoldNotFailedError)."""
        now = self.clock()
        record = retry_hold(self.store, self.queue, now, self.retry_intervals, shop, order_id, actor)
        before, after = {"status": "failed"}, {"status": record.status.value}
        self.store.audit.add(shop, now, actor, "hold.retry", str(order_id), before, after)
        return record

    def release(self, shop: str, order_id: int, actor: str) -> FulfillmentHoldRecord:
        """Release a held order's hold now (NotFoundError when the order has no hold; HoldNotHeldError)."""
        now = self.clock()
        record, release_at = release_hold_now(self.store, self.queue, now, self.retry_intervals, shop, order_id, actor)
        before = {"status": "held", "release_at": iso(release_at)}
        after = {"status": "held", "release_at": iso(now)}
        self.store.audit.add(shop, now, actor, "hold.release", str(order_id), before, after)
        return record
