"""The RQ queue the web app hands cancellations to, with deterministic job ids."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from redis.client import Pipeline
from rq import Callback, Queue, Retry
from rq.exceptions import DeserializationError
from rq.job import Job, JobStatus
from rq.registry import (
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

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


AUTO_REVIEW_JOB = "workers.jobs.auto_review"


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
        result_ttl=24 * 60 * 60,
        failure_ttl=30 * 24 * 60 * 60,
        pipeline=pipeline,
    )


WEBHOOK_JOB = "workers.jobs.handle_webhook"
WEBHOOK_JOB_ID_PREFIX = "webhook-"
# A webhook job's record holds (part of) Shopify's payload: kept briefly once done, for operators; a failed one a
# few days, to be looked into. customers/redact erases matching ones sooner (``erase_webhook_jobs``).
WEBHOOK_JOB_RESULT_TTL = 10 * 60
WEBHOOK_JOB_FAILURE_TTL = 3 * 24 * 3600
WEBHOOK_RETRY_INTERVALS = [10, 60, 300, 900, 3600]


def webhook_job_id(delivery: str) -> str:
    """The RQ job id of a webhook delivery (RQ ids allow letters, digits, ``_`` and ``-`` only)."""
    return WEBHOOK_JOB_ID_PREFIX + re.sub(r"[^A-Za-z0-9_-]", "_", delivery)


def enqueue_webhook(queue: Queue, topic: str, shop: str, payload: dict[str, Any], delivery: str) -> None:
    """Queue the job that applies one verified webhook delivery (workers/jobs.py ``handle_webhook``)."""
    queue.enqueue_call(
        WEBHOOK_JOB,
        args=(topic, shop, payload),
        job_id=webhook_job_id(delivery),
        description=f"{topic} for {shop}",
        result_ttl=WEBHOOK_JOB_RESULT_TTL,
        failure_ttl=WEBHOOK_JOB_FAILURE_TTL,
        # Webhook jobs are safe to repeat: one that fails part-way (Redis busy) runs again, so a redact is
        # carried out whole although Shopify has its 200 already.
        retry=Retry(max=len(WEBHOOK_RETRY_INTERVALS), interval=WEBHOOK_RETRY_INTERVALS),
    )


HOLD_PLACE_JOB = "workers.fulfillment_holds.place_fulfillment_hold"
HOLD_RESCHEDULE_JOB = "workers.fulfillment_holds.reschedule_fulfillment_holds"
HOLD_RELEASE_JOB = "workers.fulfillment_holds.release_fulfillment_hold"
HOLD_FAILURE_CALLBACK = "workers.fulfillment_holds.on_hold_failure"


def hold_job_id(step: str, shop: str, order_id: int, number: int) -> str:
    """The RQ job id of the ``number``-th placing or release of an order's hold (RQ ids allow no dots)."""
    return f"hold-{step}-{shop.replace('.', '_')}-{order_id}-{number}"


def _hold_job_options(retry_intervals: list[int]) -> dict[str, object]:
    return {
        "retry": Retry(max=len(retry_intervals), interval=retry_intervals),
        "on_failure": Callback(HOLD_FAILURE_CALLBACK),
        "result_ttl": 24 * 60 * 60,
        "failure_ttl": 30 * 24 * 60 * 60,
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
        result_ttl=24 * 60 * 60,
        failure_ttl=30 * 24 * 60 * 60,
        retry=Retry(max=3, interval=[10, 60, 300]),
    )


@dataclass(frozen=True)
class WebhookErasure:
    """What ``erase_webhook_jobs`` did: jobs deleted, and matching ones left because another worker runs them."""

    erased: int
    running: int


def erase_webhook_jobs(
    queue: Queue, shop: str, customer_id: int | None, order_ids: set[int], keep: str | None = None
) -> WebhookErasure:
    """Delete the shop's webhook jobs (queued, done or failed) that carry the customer's data, or every one of the
    shop's when ``customer_id`` is None (shop/redact).

    A job record holds its delivery's payload (what ``webhooks.queued_payload`` keeps: the order's e-mail, the
    customer id) until its TTL runs out; a redact must not wait for that. A job another worker is running is left
    (rq would write its record back when it finishes) and counted in ``running``, for a later sweep
    (``schedule_webhook_erasure``). ``keep`` is the calling job's own id.
    """
    erased = running = 0
    for job in _webhook_jobs(queue):
        if job.id == keep:
            continue
        try:
            topic, job_shop, payload = job.args
        except (DeserializationError, ValueError, TypeError):
            continue
        if job_shop != shop or not (customer_id is None or _carries_customer(payload, customer_id, order_ids)):
            continue
        if job.get_status(refresh=False) is JobStatus.STARTED:
            running += 1
            continue
        job.delete()
        erased += 1
    return WebhookErasure(erased, running)


WEBHOOK_ERASURE_JOB = "workers.jobs.finish_webhook_erasure"
# How long after a redact the jobs that were running then are looked for again (they are short; rq's default
# job timeout is 3 minutes).
WEBHOOK_ERASURE_DELAY = timedelta(minutes=5)


def schedule_webhook_erasure(
    queue: Queue, shop: str, customer_id: int | None, order_ids: set[int], round_: int = 1
) -> None:
    """Sweep the shop's webhook jobs for the customer again after ``WEBHOOK_ERASURE_DELAY`` (needs the scheduler)."""
    queue.enqueue_in(
        WEBHOOK_ERASURE_DELAY,
        WEBHOOK_ERASURE_JOB,
        shop,
        customer_id,
        sorted(order_ids),
        round_,
        description=f"finish erasing webhook jobs in {shop}",
        retry=Retry(max=3, interval=[10, 60, 300]),
        result_ttl=WEBHOOK_JOB_RESULT_TTL,
        failure_ttl=WEBHOOK_JOB_FAILURE_TTL,
    )


def _carries_customer(payload: Any, customer_id: int, order_ids: set[int]) -> bool:
    if not isinstance(payload, dict):
        return False
    customer = payload.get("customer")
    if isinstance(customer, dict) and customer.get("id") == customer_id:
        return True
    return payload.get("id") in order_ids


def _webhook_jobs(queue: Queue) -> Iterator[Job]:
    """Every webhook job the queue and its registries know of."""
    registries = (
        FinishedJobRegistry,
        FailedJobRegistry,
        StartedJobRegistry,
        ScheduledJobRegistry,
        DeferredJobRegistry,
        CanceledJobRegistry,
    )
    job_ids = set(queue.get_job_ids())
    for registry in registries:
        job_ids.update(registry(queue=queue).get_job_ids())
    webhook_ids = sorted(job_id for job_id in job_ids if job_id.startswith(WEBHOOK_JOB_ID_PREFIX))
    for job in Job.fetch_many(webhook_ids, connection=queue.connection, serializer=queue.serializer):
        if job is not None:
            yield job
