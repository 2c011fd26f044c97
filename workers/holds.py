"""RQ jobs of the app's cancel-window fulfillment holds (``storefront_proxy/holds/placement.py`` does the work)."""

from __future__ import annotations

from typing import Any

from rq.job import Job

from storefront_proxy.holds import placement
from workers.context import job_error, will_retry, worker_context


def place_fulfillment_hold(shop: str, order_id: int) -> dict[str, Any]:
    """Hold the order's open fulfillment orders until its cancel window closes."""
    return placement.place_hold(worker_context(), shop, order_id)


def release_fulfillment_hold(shop: str, order_id: int, number: int | None = None) -> dict[str, Any]:
    """Scheduled at the end of the window: release exactly the holds this app placed.

    ``number`` is the scheduling this job belongs to; jobs queued before it was passed have none.
    """
    return placement.release_hold(worker_context(), shop, order_id, number)


def reschedule_fulfillment_holds(shop: str) -> dict[str, Any]:
    """Queued when a policy change moves holds: each held order's release follows the policy."""
    return placement.reschedule_holds(worker_context(), shop)


def on_hold_failure(job: Job, connection: Any, exc_type: type, exc_value: BaseException, traceback: Any) -> None:
    """RQ failure callback of the three jobs above (args: shop, order id[, release number])."""
    if len(job.args) < 2:
        return
    shop, order_id = job.args[0], int(job.args[1])
    number = int(job.args[2]) if len(job.args) > 2 and job.args[2] is not None else None
    error = job_error(exc_type, exc_value)
    placement.record_job_failure(worker_context(), shop, order_id, number, exc_type, error, will_retry(job))
