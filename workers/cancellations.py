"""RQ job: carry out a shopper's cancellation in Shopify (``storefront_proxy/cancellations/execution.py``).

Run by ``rq worker -c workers.rq_config --with-scheduler`` (see Procfile). Jobs take primitives and return a
small dict; they never build the Flask app.
"""

from __future__ import annotations

from typing import Any

from rq.job import Job

from storefront_proxy.cancellations import execution
from workers.context import job_error, will_retry, worker_context


def cancel_order(request_id: str) -> dict[str, Any]:
    """Cancel the order of request ``request_id`` in Shopify."""
    return execution.carry_out_cancellation(worker_context(), request_id)


def on_cancel_failure(job: Job, connection: Any, exc_type: type, exc_value: BaseException, traceback: Any) -> None:
    """RQ failure callback: record the error; when RQ has no retries left, the request ends ``failed``."""
    request_id = (job.meta or {}).get("request_id") or (job.args[0] if job.args else None)
    if request_id:
        execution.record_job_failure(worker_context(), request_id, job_error(exc_type, exc_value), will_retry(job))


def confirm_cancellation(request_id: str, look: int, shopify_job_id: str | None = None) -> dict[str, Any]:
    """Look whether Shopify's cancel Job has cancelled the order of request ``request_id`` (scheduled)."""
    return execution.confirm_cancellation(worker_context(), request_id, look, shopify_job_id)


def on_confirm_failure(job: Job, connection: Any, exc_type: type, exc_value: BaseException, traceback: Any) -> None:
    """RQ failure callback of a look: once RQ has no retries left, the request ends ``failed`` for support."""
    request_id = (job.meta or {}).get("request_id") or (job.args[0] if job.args else None)
    if request_id:
        execution.record_confirmation_failure(
            worker_context(), request_id, job_error(exc_type, exc_value), will_retry(job)
        )
