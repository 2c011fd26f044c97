"""The jobs of the app's fulfillment holds, queued from here and run by workers/holds.py."""

from __future__ import annotations

from datetime import datetime

from redis.client import Pipeline
from rq import Callback, Queue, Retry

from storefront_proxy.job_queue import FAILURE_TTL_SECONDS, RESULT_TTL_SECONDS

HOLD_PLACE_JOB = "workers.holds.place_fulfillment_hold"
HOLD_RESCHEDULE_JOB = "workers.holds.reschedule_fulfillment_holds"
HOLD_RELEASE_JOB = "workers.holds.release_fulfillment_hold"
HOLD_FAILURE_CALLBACK = "workers.holds.on_hold_failure"


def hold_job_id(step: str, shop: str, order_id: int, number: int) -> str:
    """The RQ job id of the ``number``-th placing or release of an order's hold (RQ ids allow no dots)."""
    return f"hold-{step}-{shop.replace('.', '_')}-{order_id}-{number}"


def _hold_job_options(retry_intervals: list[int]) -> dict[str, object]:
    return {
        "retry": Retry(max=len(retry_intervals), interval=retry_intervals),
        "on_failure": Callback(HOLD_FAILURE_CALLBACK),
        "result_ttl": RESULT_TTL_SECONDS,
        "failure_ttl": FAILURE_TTL_SECONDS,
    }


def enqueue_hold_placement(
    queue: Queue, shop: str, order_id: int, number: int, retry_intervals: list[int], pipeline: Pipeline | None = None
) -> None:
    """Queue the job that places the app's cancel-window hold on the order's fulfillment orders."""
    queue.enqueue_call(
        HOLD_PLACE_JOB,
        args=(shop, order_id),
        job_id=hold_job_id("place", shop, order_id, number),
        description=f"hold fulfillment of order {order_id} in {shop}",
        pipeline=pipeline,
        **_hold_job_options(retry_intervals),  # type: ignore[arg-type]
    )


def schedule_hold_release(
    queue: Queue,
    shop: str,
    order_id: int,
    at: datetime,
    number: int,
    retry_intervals: list[int],
    pipeline: Pipeline | None = None,
) -> None:
    """Schedule the release of the order's hold at ``at`` (moved to the queue by ``rq worker --with-scheduler``)."""
    # ``number`` goes along so that a release superseded by a later scheduling (an extension, a policy change)
    # recognises itself and does nothing.
    queue.enqueue_at(
        at,
        HOLD_RELEASE_JOB,
        shop,
        order_id,
        number,
        job_id=hold_job_id("release", shop, order_id, number),
        description=f"release the fulfillment hold of order {order_id} in {shop}",
        pipeline=pipeline,
        **_hold_job_options(retry_intervals),
    )


def enqueue_hold_reschedule(queue: Queue, shop: str) -> None:
    """Queue the job that moves the shop's held orders' releases to what its (changed) policy says."""
    queue.enqueue_call(
        HOLD_RESCHEDULE_JOB,
        args=(shop,),
        description=f"move the fulfillment hold releases of {shop} to its new policy",
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
        retry=Retry(max=3, interval=[10, 60, 300]),
    )
