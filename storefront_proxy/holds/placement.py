"""The app's own fulfillment hold in Shopify, which keeps a new order from shipping while it can be cancelled.

``orders/create`` records a hold (``holds/service.py``) and queues the placing (workers/holds.py), which holds
each open fulfillment order with the app's own ``handle`` and schedules ``release_fulfillment_hold`` for the
end of the cancel window with RQ's scheduler; a policy change moves the releases of holds already placed
(``reschedule_holds``), and support can release one at once (``holds/service.py``). The release names the app's
hold ids in ``holdIds``: without them Shopify releases every hold on the fulfillment order, the merchant's and
other apps' too (https://shopify.dev/docs/api/admin-graphql/latest/mutations/fulfillmentOrderReleaseHold).
Failures raise, so RQ retries them; once retries are used up the record is ``failed`` and support retries it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from redis.client import Pipeline

from storefront_proxy.cancellations.records import RequestStatus
from storefront_proxy.holds.enqueue import schedule_hold_release
from storefront_proxy.holds.records import FulfillmentHoldRecord, HoldStatus, HoldStep, PlacedHold
from storefront_proxy.holds.rules import hold_wanted, policy_moves_holds
from storefront_proxy.job_context import JobContext
from storefront_proxy.policy.model import Policy
from storefront_proxy.shopify.client import ShopifyClient
from storefront_proxy.shopify.errors import ShopifyError, UnknownShopError
from storefront_proxy.shopify.models import OrderFulfillmentOrders, legacy_id
from storefront_proxy.storage import NotFoundError
from storefront_proxy.times import iso

log = logging.getLogger(__name__)

# Unique among this app's holds on one fulfillment order: a second placing is refused, not doubled.
HOLD_HANDLE = "self-service-cancel-window"
# Fulfillment orders Shopify lets an app hold (work on them has not begun).
HOLDABLE_STATUSES = frozenset({"OPEN", "ON_HOLD"})
# A release job without its scheduling number (queued by an older version) is stale when the record's release
# is further ahead than this.
STALE_RELEASE_SLACK = timedelta(seconds=5)
# While the order's cancellation request is still open, its hold outlives the window (RequestStatus values).
OPEN_REQUEST_STATUSES = frozenset({RequestStatus.PENDING_REVIEW, RequestStatus.QUEUED, RequestStatus.PROCESSING})


class HoldNotPlacedError(Exception):
    """Shopify refused a hold for a reason a later attempt may not have (RQ retries the job)."""


class HoldNotReleasedError(Exception):
    """Shopify refused to release the app's hold (RQ retries the job)."""


# -- placing -------------------------------------------------------------------------------------------------


def place_hold(ctx: JobContext, shop: str, order_id: int) -> dict[str, Any]:
    record = ctx.store.holds.get(shop, order_id)
    if record is None or record.status is not HoldStatus.PLACING:
        return _outcome(shop, order_id, record)
    policy = ctx.store.policies.get(shop)
    if not hold_wanted(policy):
        return _finish(ctx, shop, order_id, HoldStatus.NOT_NEEDED, "not_needed", "the shop turned holds off")
    try:
        with ctx.shopify(shop) as client:
            order = client.get_fulfillment_orders(order_id)
            if order is None:
                return _finish(ctx, shop, order_id, HoldStatus.NOT_NEEDED, "not_needed", "the order was not found")
            if order.cancelled_at is not None:
                return _finish(ctx, shop, order_id, HoldStatus.NOT_NEEDED, "not_needed", "the order is cancelled")
            release_at = order.created_at + timedelta(minutes=policy.cancel_window_minutes)
            if release_at <= ctx.clock():
                return _finish(ctx, shop, order_id, HoldStatus.NOT_NEEDED, "not_needed", "the window has closed")
            placed = _hold_open_fulfillment_orders(client, order, release_at)
    except UnknownShopError as exc:
        # The app was uninstalled (or never installed): nothing can be held, and retrying will not change that.
        return _finish(ctx, shop, order_id, HoldStatus.FAILED, "failed", str(exc), error=str(exc))
    if not placed:
        return _finish(ctx, shop, order_id, HoldStatus.NOT_NEEDED, "not_needed", "no fulfillment order could be held")

    def held(r: FulfillmentHoldRecord) -> int:
        """Record the holds; returns the number of the release scheduled for them."""
        # Cancelled meanwhile: the holds stay recorded, and the scheduled release finds nothing to do.
        r.holds, r.release_at, r.step, r.last_error = placed, release_at, HoldStep.RELEASE, None
        r.order_created_at = order.created_at
        r.releases_scheduled += 1
        if r.status is HoldStatus.PLACING:
            r.record(ctx.clock(), "held", status=HoldStatus.HELD, detail=f"until {iso(release_at)}")
        return r.releases_scheduled

    def enqueue(pipe: Pipeline, number: int) -> None:
        intervals = ctx.settings.hold_retry_intervals
        schedule_hold_release(ctx.queue, shop, order_id, release_at, number, intervals, pipe)

    updated, _ = ctx.store.holds.update(shop, order_id, held, enqueue)
    # The policy may have changed while Shopify was called: its reschedule job skipped this record (not held
    # yet), so follow the change here. A change after this read finds the record held and moves it itself.
    now_policy = ctx.store.policies.get(shop)
    if updated.status is HoldStatus.HELD and policy_moves_holds(policy, now_policy):
        updated = _follow_policy(ctx, shop, updated, now_policy) or updated
    return _outcome(shop, order_id, updated)


def _hold_open_fulfillment_orders(
    client: ShopifyClient, order: OrderFulfillmentOrders, release_at: datetime
) -> list[PlacedHold]:
    """Hold every fulfillment order that can be held; already placed holds (a retried job) are reused."""
    placed: list[PlacedHold] = []
    notes = f"Customers can cancel this order until {iso(release_at)}; released automatically then."
    duplicates = False
    for fulfillment_order in order.fulfillment_orders:
        own = fulfillment_order.own_hold(HOLD_HANDLE)
        if own is not None:
            placed.append(PlacedHold(fulfillment_order_id=fulfillment_order.id, hold_id=own.id))
            continue
        if fulfillment_order.status not in HOLDABLE_STATUSES:
            continue
        hold, errors = client.hold_fulfillment_order(fulfillment_order.id, handle=HOLD_HANDLE, notes=notes)
        if hold is not None:
            placed.append(PlacedHold(fulfillment_order_id=fulfillment_order.id, hold_id=hold.id))
        elif any(error.code == "DUPLICATE_FULFILLMENT_HOLD_HANDLE" for error in errors):
            duplicates = True  # an earlier send went through but its answer was lost
        else:
            raise HoldNotPlacedError("; ".join(error.message for error in errors) or "no hold and no error")
    if duplicates:
        again = client.get_fulfillment_orders(legacy_id(order.id))
        placed = [
            PlacedHold(fulfillment_order_id=fo.id, hold_id=own.id)
            for fo in (again.fulfillment_orders if again else [])
            if (own := fo.own_hold(HOLD_HANDLE)) is not None
        ]
    return placed


# -- releasing -----------------------------------------------------------------------------------------------


def release_hold(ctx: JobContext, shop: str, order_id: int, number: int | None = None) -> dict[str, Any]:
    record = ctx.store.holds.get(shop, order_id)
    if record is None or record.status is not HoldStatus.HELD:
        return _outcome(shop, order_id, record)
    if _superseded(ctx, record, number):
        return {**_outcome(shop, order_id, record), "superseded": True}
    request = ctx.store.requests.for_order(shop, order_id)
    holding = hold_wanted(ctx.store.policies.get(shop))
    by_staff = record.release_requested_by is not None
    # A shop that turned holds off wants its orders shipped: no more waiting for open requests. Nor does staff who
    # asked for the release: they decided with the open request in front of them.
    if request is not None and request.status in OPEN_REQUEST_STATUSES and holding and not by_staff:
        return _extend(ctx, shop, order_id, f"request {request.id} is {request.status.value}")
    try:
        with ctx.shopify(shop) as client:
            order = client.get_fulfillment_orders(order_id)
            if order is None or order.cancelled_at is not None:
                detail = "the order is cancelled" if order else "the order was not found"
                return _finish(ctx, shop, order_id, HoldStatus.CANCELLED, "skipped", detail)
            current = {fo.id: {hold.id for hold in fo.fulfillment_holds} for fo in order.fulfillment_orders}
            for placed in record.holds:
                if placed.hold_id not in current.get(placed.fulfillment_order_id, set()):
                    continue  # released already (by an earlier attempt, or by the merchant)
                errors = client.release_fulfillment_hold(placed.fulfillment_order_id, [placed.hold_id])
                if errors:
                    raise HoldNotReleasedError("; ".join(error.message for error in errors))
    except UnknownShopError as exc:
        return _finish(ctx, shop, order_id, HoldStatus.FAILED, "failed", str(exc), error=str(exc))
    why = "released by staff" if by_staff else "the cancel window closed" if holding else "the shop turned the hold off"
    return _finish(ctx, shop, order_id, HoldStatus.RELEASED, "released", why)


def _superseded(ctx: JobContext, record: FulfillmentHoldRecord, number: int | None) -> bool:
    """Whether this release job was replaced by a later scheduling (an extension, a policy change).

    Jobs queued before releases carried their number have none: such a job is stale when the record's release
    time is still well ahead.
    """
    if number is not None:
        return number < record.releases_scheduled
    return record.release_at is not None and record.release_at > ctx.clock() + STALE_RELEASE_SLACK


def _extend(ctx: JobContext, shop: str, order_id: int, why: str) -> dict[str, Any]:
    """Keep holding a little longer: a shopper's request is still waiting for a decision."""
    release_at = ctx.clock() + timedelta(seconds=ctx.settings.hold_extension_seconds)
    return _outcome(shop, order_id, _schedule_release(ctx, shop, order_id, release_at, "extended", why))


def _schedule_release(
    ctx: JobContext, shop: str, order_id: int, release_at: datetime, event: str, why: str
) -> FulfillmentHoldRecord:
    """Schedule a new release of a held order's hold at ``release_at``; earlier scheduled ones are superseded."""

    def change(r: FulfillmentHoldRecord) -> int | None:
        """Move the release; returns the new release's number, None when the order is no longer held or staff asked
        for its release (that release is due now, and stays the one that runs)."""
        if r.status is not HoldStatus.HELD or r.release_requested_by is not None:
            return None
        r.release_at = release_at
        r.releases_scheduled += 1
        r.record(ctx.clock(), event, detail=f"{why}; until {iso(release_at)}")
        return r.releases_scheduled

    def enqueue(pipe: Pipeline, number: int | None) -> None:
        if number is not None:
            intervals = ctx.settings.hold_retry_intervals
            schedule_hold_release(ctx.queue, shop, order_id, release_at, number, intervals, pipe)

    record, _ = ctx.store.holds.update(shop, order_id, change, enqueue)
    return record


# -- policy changes ------------------------------------------------------------------------------------------


def reschedule_holds(ctx: JobContext, shop: str) -> dict[str, Any]:
    """Move each held order's release to its window end under the current policy (now, when holds are off).

    Reads the policy when it runs, so several quick changes end at the last one. A release moved earlier than
    now is due at once; the release job still waits for a request under review while holds are on.
    """
    policy = ctx.store.policies.get(shop)
    moved = 0
    for record in ctx.store.holds.iter_shop(shop):
        if record.status is HoldStatus.HELD and _follow_policy(ctx, shop, record, policy) is not None:
            moved += 1
    return {"shop": shop, "moved": moved}


def _follow_policy(
    ctx: JobContext, shop: str, record: FulfillmentHoldRecord, policy: Policy
) -> FulfillmentHoldRecord | None:
    """Move a held order's release to where ``policy`` puts it; the updated record, or None when unchanged."""
    now = ctx.clock()
    if hold_wanted(policy):
        placed_at = record.order_created_at or record.created_at
        release_at = max(now, placed_at + timedelta(minutes=policy.cancel_window_minutes))
        why = f"the cancel window is now {policy.cancel_window_minutes} minutes"
    else:
        release_at, why = now, "the shop turned the hold off"
    if record.release_at is not None and abs(record.release_at - release_at) < timedelta(seconds=1):
        return None
    updated = _schedule_release(ctx, shop, record.order_id, release_at, "rescheduled", why)
    return updated if updated.releases_scheduled > record.releases_scheduled else None


# -- outcomes ------------------------------------------------------------------------------------------------


def order_cancelled(ctx: JobContext, shop: str, order_id: int) -> None:
    """orders/cancelled: a held (or still placing) hold needs no release; Shopify closed the fulfillment orders."""

    def cancelled(r: FulfillmentHoldRecord) -> None:
        if r.status in (HoldStatus.HELD, HoldStatus.PLACING, HoldStatus.FAILED):
            r.record(ctx.clock(), "skipped", status=HoldStatus.CANCELLED, detail="the order was cancelled")

    try:
        ctx.store.holds.update(shop, order_id, cancelled)
    except NotFoundError:
        pass


def _finish(
    ctx: JobContext,
    shop: str,
    order_id: int,
    status: HoldStatus,
    event: str,
    detail: str,
    error: str | None = None,
) -> dict[str, Any]:
    def change(r: FulfillmentHoldRecord) -> None:
        if error is not None:
            r.last_error = error
        r.record(ctx.clock(), event, status=status, detail=detail)

    record, _ = ctx.store.holds.update(shop, order_id, change)
    return _outcome(shop, order_id, record)


def _outcome(shop: str, order_id: int, record: FulfillmentHoldRecord | None) -> dict[str, Any]:
    return {"shop": shop, "order_id": order_id, "status": record.status.value if record else "missing"}


def record_job_failure(
    ctx: JobContext, shop: str, order_id: int, number: int | None, exc_type: type, error: str, will_retry: bool
) -> None:
    """A hold job raised: note the error; with no retries left the hold is ``failed`` for support to retry."""
    # Shopify's own error text can name the order, never a token; it is kept for support.
    if not issubclass(exc_type, ShopifyError | HoldNotPlacedError | HoldNotReleasedError):
        log.error("hold job crashed: %s", error, extra={"shop": shop, "order_id": order_id})

    def change(r: FulfillmentHoldRecord) -> None:
        if r.status not in (HoldStatus.PLACING, HoldStatus.HELD):
            return
        if number is not None and number < r.releases_scheduled:
            return  # a superseded release failed; the newer one is still to run
        r.attempts += 1
        r.last_error = error
        if will_retry:
            r.record(ctx.clock(), "retry_scheduled", detail=error)
        else:
            r.record(ctx.clock(), "failed", status=HoldStatus.FAILED, detail=f"{r.step.value}: {error}")

    try:
        ctx.store.holds.update(shop, order_id, change)
    except NotFoundError:
        log.warning("failure callback for a missing hold", extra={"shop": shop, "order_id": order_id})
