"""The worker process's job context (settings, store, Shopify clients, clock), and what failure callbacks share."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime

from rq.job import Job

from storefront_proxy.job_context import JobContext
from storefront_proxy.settings import get_settings
from storefront_proxy.storage import connect
from storefront_proxy.store import Store
from storefront_proxy.tokens.model import token_cipher


@functools.cache
def worker_context() -> JobContext:
    """One context per worker process (RQ forks a work horse per job; the cache is inherited)."""
    settings = get_settings()
    # A job waits Redis out (a restart mid-job): the request it carries was accepted and must be finished.
    store = Store(connect(settings.redis_url, wait_for_server=True), token_cipher(settings))
    return JobContext(settings, store, lambda: datetime.now(UTC), time.sleep)


def will_retry(job: Job) -> bool:
    """Whether RQ runs a job that just failed again (its retries are not used up)."""
    return bool(job.retries_left and job.retries_left > 0)


def job_error(exc_type: type, exc_value: BaseException | None) -> str:
    """What a failure callback records of the exception: its type and message."""
    return f"{exc_type.__name__}: {exc_value}" if exc_value is not None else exc_type.__name__
