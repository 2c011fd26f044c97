"""The shop's storefront proxy path, which merchants can rename, told to the theme blocks.

Every verified storefront request reports the path it came through (``path_prefix``, stored with the request's
other reads: ``proxy/verification.py``); when it is new or changed, a job (workers/proxy_path.py) writes it into
the app-data metafield the theme blocks read.
"""

from __future__ import annotations

import logging
from typing import Any

from rq import Callback, Queue, Retry

from storefront_proxy.job_context import JobContext
from storefront_proxy.shopify.errors import ShopifyAuthError, ShopifyQueryError, UnknownShopError

log = logging.getLogger(__name__)

SYNC_JOB = "workers.proxy_path.sync_proxy_path"
SYNC_FAILURE_CALLBACK = "workers.proxy_path.on_proxy_path_failure"
# The app-data metafield the theme blocks read the path from.
METAFIELD_NAMESPACE = "self_service"
METAFIELD_KEY = "proxy_path"


def enqueue_proxy_path_sync(queue: Queue, shop: str) -> None:
    """Queue the job that tells the theme extension the shop's proxy path (an app-data metafield)."""
    queue.enqueue_call(
        SYNC_JOB,
        args=(shop,),
        job_id=f"proxy-path-{shop.replace('.', '_')}",
        description=f"sync the storefront proxy path of {shop}",
        retry=Retry(max=5, interval=[10, 30, 120, 600, 1800]),
        on_failure=Callback(SYNC_FAILURE_CALLBACK),
        result_ttl=3600,
    )


def sync_proxy_path(ctx: JobContext, shop: str) -> dict[str, Any]:
    """Write the shop's proxy path into the app-data metafield; on a permanent failure forget it, so the next
    storefront request tries again."""
    path = ctx.store.proxy_paths.get(shop)
    if path is None:
        return {"shop": shop, "status": "unknown"}
    try:
        with ctx.shopify(shop) as client:
            errors = [error.message for error in client.set_app_metafield(METAFIELD_NAMESPACE, METAFIELD_KEY, path)]
    except (ShopifyAuthError, ShopifyQueryError, UnknownShopError) as exc:
        errors = [str(exc)]
    if errors:
        log.error("proxy path not synced: %s", "; ".join(errors), extra={"shop": shop})
        ctx.store.proxy_paths.forget(shop)
        return {"shop": shop, "status": "failed"}
    return {"shop": shop, "status": "synced", "path": path}
