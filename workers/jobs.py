"""Job names of earlier versions: jobs queued (or scheduled) before an upgrade name these paths.

RQ stores a job's function as its import path, so a job enqueued as ``workers.jobs.cancel_order`` by the version
before this one must still find a function after the upgrade; new jobs name the concept's module instead.
"""

from __future__ import annotations

from workers.cancellations import cancel_order, on_cancel_failure
from workers.proxy_path import on_proxy_path_failure, sync_proxy_path
from workers.review import auto_review
from workers.webhooks import finish_webhook_erasure, handle_webhook

__all__ = [
    "auto_review",
    "cancel_order",
    "finish_webhook_erasure",
    "handle_webhook",
    "on_cancel_failure",
    "on_proxy_path_failure",
    "sync_proxy_path",
]
