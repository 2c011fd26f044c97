"""The jobs of webhook deliveries, queued from here and run by workers/webhooks.py, and their erasure: a job
record holds (part of) its delivery's payload, which a redact must not leave behind."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rq import Queue, Retry
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

WEBHOOK_JOB = "workers.webhooks.handle_webhook"
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
    """Queue the job that applies one verified webhook delivery (workers/webhooks.py ``handle_webhook``)."""
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


WEBHOOK_ERASURE_JOB = "workers.webhooks.finish_webhook_erasure"
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
