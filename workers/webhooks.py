"""RQ jobs of webhook deliveries: apply one (``storefront_proxy/webhooks/topics.py``), and the later sweeps of a
redact's erasure of webhook job records (``webhooks/privacy.py``)."""

from __future__ import annotations

from typing import Any

from rq import get_current_job

from storefront_proxy.webhooks import privacy, topics
from workers.context import worker_context


def handle_webhook(topic: str, shop: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Apply one verified webhook delivery to the app's data."""
    current = get_current_job()
    return topics.handle(worker_context(), topic, shop, payload, job_id=current.id if current else None)


def finish_webhook_erasure(shop: str, customer: int | None, orders: list[int], round_: int) -> dict[str, Any]:
    """Scheduled by a redact: erase the webhook jobs that were still running when it ran."""
    current = get_current_job()
    keep = current.id if current else None
    result = privacy.erase_webhook_data(worker_context(), shop, customer, set(orders), round_, keep=keep)
    return {"shop": shop, "erased": result.erased, "still_running": result.running, "round": round_}
