"""The RQ queue the web app hands cancellations to, with deterministic job ids."""

from __future__ import annotations

import redis
from redis.client import Pipeline
from rq import Callback, Queue, Retry

QUEUE_NAME = "cancellations"
# The job runs in workers/jobs.py; referenced by name so the web app never imports worker code.
CANCEL_JOB = "workers.jobs.cancel_order"
CANCEL_FAILURE_CALLBACK = "workers.jobs.on_cancel_failure"
# One job bounds Shopify polling and a few inline retries; well under this.
CANCEL_JOB_TIMEOUT_SECONDS = 300


def make_queue(connection: redis.Redis) -> Queue:
    return Queue(QUEUE_NAME, connection=connection)


def cancel_job_id(request_id: str, dispatch: int = 1) -> str:
    """The RQ job id of a request's ``dispatch``-th hand-over to a worker (a retry by support is another)."""
    return f"cancel-{request_id}" if dispatch <= 1 else f"cancel-{request_id}-{dispatch}"


PROXY_PATH_JOB = "workers.jobs.sync_proxy_path"


def enqueue_proxy_path_sync(queue: Queue, shop: str) -> None:
    """Queue the job that tells the theme extension the shop's proxy path (an app-data metafield)."""
    queue.enqueue_call(
        PROXY_PATH_JOB,
        args=(shop,),
        job_id=f"proxy-path-{shop.replace('.', '_')}",
        description=f"sync the storefront proxy path of {shop}",
        retry=Retry(max=5, interval=[10, 30, 120, 600, 1800]),
        on_failure=Callback("workers.jobs.on_proxy_path_failure"),
        result_ttl=3600,
    )


def enqueue_cancellation(
    queue: Queue, request_id: str, retry_intervals: list[int], pipeline: Pipeline | None = None, dispatch: int = 1
) -> None:
    """Queue the worker job that cancels the request's order in Shopify.

    Transient failures (network, 5xx, THROTTLED) raise in the job and are retried on ``retry_intervals``;
    interval retries need ``rq worker --with-scheduler`` (rq docs, "Retrying failed jobs").
    """
    queue.enqueue_call(
        CANCEL_JOB,
        args=(request_id,),
        job_id=cancel_job_id(request_id, dispatch),
        description=f"cancel order for request {request_id}",
        timeout=CANCEL_JOB_TIMEOUT_SECONDS,
        retry=Retry(max=len(retry_intervals), interval=retry_intervals),
        on_failure=Callback(CANCEL_FAILURE_CALLBACK),
        meta={"request_id": request_id},
        result_ttl=24 * 60 * 60,
        failure_ttl=30 * 24 * 60 * 60,
        pipeline=pipeline,
    )
