"""Factories shared by the tests: records as the app stores them, and the job context's stand-in."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import Any

from storefront_proxy.cancellations.records import RequestStatus, ShopperRequest, new_request_id
from storefront_proxy.store import Store
from tests.helpers import CUSTOMER, SHOP

# The modules whose jobs read ``worker_context()``.
WORKER_MODULES = ("workers.cancellations", "workers.holds", "workers.review", "workers.webhooks", "workers.proxy_path")


def patch_worker_context(monkeypatch: Any, context: Any) -> None:
    """Make every job run with ``context`` instead of the worker process's own."""
    for name in WORKER_MODULES:
        monkeypatch.setattr(importlib.import_module(name), "worker_context", lambda: context)


def cancellation_request(*, now: datetime | None = None, **fields: Any) -> ShopperRequest:
    """A request as the storefront records it, for order 5001 of the test shop's customer, made ``now`` (the
    current time unless given); ``fields`` override any field."""
    now = now or datetime.now(UTC)
    values: dict[str, Any] = {
        "id": new_request_id(),
        "shop": SHOP,
        "order_id": 5001,
        "order_name": "#1001",
        "customer_id": CUSTOMER,
        "customer_email": "ada@example.com",
        "reason": "changed_mind",
        "status": RequestStatus.QUEUED,
        "requested_at": now,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    return ShopperRequest(**values)


def stored_request(
    store: Store, shop: str = SHOP, status: RequestStatus = RequestStatus.PENDING_REVIEW, **fields: Any
) -> ShopperRequest:
    """A request in ``status`` with its "requested" event, stored in ``store`` as the storefront stores one."""
    request = cancellation_request(shop=shop, status=status, **fields)
    request.record(request.created_at, "requested", status=status)
    store.requests.create(request)
    return request


def cancel_job_ids(connection: Any, shop: str = SHOP) -> list[str]:
    """The cancel jobs queued for the shop (in its own queue: ``job_queue.shop_queue_name``)."""
    from rq import Queue

    from storefront_proxy.job_queue import shop_queue_name

    return [
        job_id for job_id in Queue(shop_queue_name(shop), connection=connection).job_ids if job_id.startswith("cancel-")
    ]
