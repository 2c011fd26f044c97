"""RQ job: tell the theme blocks the shop's storefront proxy path (``storefront_proxy/proxy_path/sync.py``)."""

from __future__ import annotations

from typing import Any

from rq.job import Job

from storefront_proxy.proxy_path.sync import sync_proxy_path as sync
from workers.context import will_retry, worker_context


def sync_proxy_path(shop: str) -> dict[str, Any]:
    """Write the shop's proxy path into the app-data metafield the theme blocks read."""
    return sync(worker_context(), shop)


def on_proxy_path_failure(job: Job, connection: Any, exc_type: type, exc_value: BaseException, traceback: Any) -> None:
    """RQ failure callback: once retries are used up, forget the path so the next storefront visit syncs again."""
    shop = job.args[0] if job.args else None
    if shop and not will_retry(job):
        worker_context().store.proxy_paths.forget(shop)
