"""RQ job: carry out a shopper's order edit in Shopify (``storefront_proxy/edits/execution.py``).

Run by ``rq worker -c workers.rq_config --with-scheduler`` (see Procfile), from the shop's queue like its
cancellations.
"""

from __future__ import annotations

from typing import Any

from rq.job import Job

from storefront_proxy.edits import execution
from workers.context import job_error, will_retry, worker_context


def apply_edit(request_id: str) -> dict[str, Any]:
    """Apply the edit of request ``request_id`` to its order in Shopify."""
    return execution.carry_out_edit(worker_context(), request_id)


def on_edit_failure(job: Job, connection: Any, exc_type: type, exc_value: BaseException, traceback: Any) -> None:
    """RQ failure callback: record the error; when RQ has no retries left, the edit ends ``failed``."""
    request_id = (job.meta or {}).get("request_id") or (job.args[0] if job.args else None)
    if request_id:
        execution.record_edit_failure(worker_context(), request_id, job_error(exc_type, exc_value), will_retry(job))
