"""The job that carries out a shopper's edit (workers/edits.py), queued from here."""

from __future__ import annotations

from redis.client import Pipeline
from rq import Callback, Queue, Retry

from storefront_proxy.job_queue import FAILURE_TTL_SECONDS, RESULT_TTL_SECONDS, shop_queue

EDIT_JOB = "workers.edits.apply_edit"
EDIT_FAILURE_CALLBACK = "workers.edits.on_edit_failure"
EDIT_JOB_TIMEOUT_SECONDS = 300


def edit_job_id(request_id: str, dispatch: int = 1) -> str:
    """The RQ job id of an edit's ``dispatch``-th hand-over to a worker (a retry by support is another)."""
    return f"edit-{request_id}" if dispatch <= 1 else f"edit-{request_id}-{dispatch}"


def enqueue_edit(
    queue: Queue,
    shop: str,
    request_id: str,
    retry_intervals: list[int],
    pipeline: Pipeline | None = None,
    dispatch: int = 1,
) -> None:
    """Queue the worker job that applies the edit in Shopify, in the shop's queue (``job_queue``), paced with the
    shop's cancellations. Transient failures raise in the job and are retried on ``retry_intervals``."""
    shop_queue(queue, shop).enqueue_call(
        EDIT_JOB,
        args=(request_id,),
        job_id=edit_job_id(request_id, dispatch),
        description=f"edit order for request {request_id}",
        timeout=EDIT_JOB_TIMEOUT_SECONDS,
        retry=Retry(max=len(retry_intervals), interval=retry_intervals),
        on_failure=Callback(EDIT_FAILURE_CALLBACK),
        meta={"request_id": request_id},
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
        pipeline=pipeline,
    )
