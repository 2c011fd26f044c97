"""The jobs of cancellation requests, queued from here: carrying one out (workers/cancellations.py) and the
policy's automatic review (workers/review.py)."""

from __future__ import annotations

import re
from datetime import timedelta

from redis.client import Pipeline
from rq import Callback, Queue, Retry

from storefront_proxy.job_queue import FAILURE_TTL_SECONDS, RESULT_TTL_SECONDS, shop_queue

CANCEL_JOB = "workers.cancellations.cancel_order"
CANCEL_FAILURE_CALLBACK = "workers.cancellations.on_cancel_failure"
# One job bounds Shopify polling and a few inline retries; well under this.
CANCEL_JOB_TIMEOUT_SECONDS = 300


def cancel_job_id(request_id: str, dispatch: int = 1) -> str:
    """The RQ job id of a request's ``dispatch``-th hand-over to a worker (a retry by support is another)."""
    return f"cancel-{request_id}" if dispatch <= 1 else f"cancel-{request_id}-{dispatch}"


def enqueue_cancellation(
    queue: Queue,
    shop: str,
    request_id: str,
    retry_intervals: list[int],
    pipeline: Pipeline | None = None,
    dispatch: int = 1,
) -> None:
    """Queue the worker job that cancels the request's order in Shopify, in the shop's queue (``job_queue``).

    Transient failures (network, 5xx, THROTTLED) raise in the job and are retried on ``retry_intervals``;
    interval retries need ``rq worker --with-scheduler`` (rq docs, "Retrying failed jobs").
    """
    shop_queue(queue, shop).enqueue_call(
        CANCEL_JOB,
        args=(request_id,),
        job_id=cancel_job_id(request_id, dispatch),
        description=f"cancel order for request {request_id}",
        timeout=CANCEL_JOB_TIMEOUT_SECONDS,
        retry=Retry(max=len(retry_intervals), interval=retry_intervals),
        on_failure=Callback(CANCEL_FAILURE_CALLBACK),
        meta={"request_id": request_id},
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
        pipeline=pipeline,
    )


CONFIRM_JOB = "workers.cancellations.confirm_cancellation"
CONFIRM_FAILURE_CALLBACK = "workers.cancellations.on_confirm_failure"


def confirm_job_id(request_id: str, look: int, shopify_job_id: str | None = None) -> str:
    """The RQ job id of the ``look``-th look at whether Shopify's cancel Job (``shopify_job_id``) has cancelled the
    order: another orderCancel (a retry by support) starts looks of its own."""
    job = re.sub(r"[^A-Za-z0-9_-]", "_", shopify_job_id.rsplit("/", 1)[-1]) if shopify_job_id else "none"
    return f"confirm-{request_id}-{job}-{look}"


def schedule_confirmation(
    queue: Queue,
    shop: str,
    request_id: str,
    look: int,
    delay: timedelta,
    shopify_job_id: str | None = None,
    pipeline: Pipeline | None = None,
) -> None:
    """Look again, after ``delay``, whether Shopify has cancelled the order (workers/cancellations.py).

    orderCancel runs as a Shopify Job that takes a moment; a worker that slept until it finished could not serve
    any other cancellation meanwhile. Each look is its own scheduled job (``rq worker --with-scheduler`` moves it
    to the queue when due); a worker lost while running one leaves it to RQ's retry.
    """
    shop_queue(queue, shop).enqueue_in(
        delay,
        CONFIRM_JOB,
        request_id,
        look,
        shopify_job_id,
        job_id=confirm_job_id(request_id, look, shopify_job_id),
        # Due looks go before the shop's waiting cancellations: a backlog must not keep shoppers at "processing".
        at_front=True,
        description=f"confirm the cancellation of request {request_id} (look {look})",
        meta={"request_id": request_id},
        job_timeout=CANCEL_JOB_TIMEOUT_SECONDS,
        retry=Retry(max=3, interval=[5, 30, 120]),
        on_failure=Callback(CONFIRM_FAILURE_CALLBACK),
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
        pipeline=pipeline,
    )


AUTO_REVIEW_JOB = "workers.review.auto_review"


def auto_review_job_id(request_id: str) -> str:
    """The RQ job id of a request's automatic review: one per request, so it is scheduled at most once."""
    return f"auto-review-{request_id}"


def schedule_auto_review(queue: Queue, request_id: str, delay: timedelta, pipeline: Pipeline | None = None) -> None:
    """Schedule the job that approves or rejects the request if it is still pending review after ``delay``.

    Scheduled jobs are moved to the queue by ``rq worker --with-scheduler`` (rq docs, "Scheduling jobs").
    """
    queue.enqueue_in(
        delay,
        AUTO_REVIEW_JOB,
        request_id,
        job_id=auto_review_job_id(request_id),
        description=f"automatic review of request {request_id}",
        meta={"request_id": request_id},
        retry=Retry(max=3, interval=[10, 60, 300]),
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
        pipeline=pipeline,
    )
