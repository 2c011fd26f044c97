"""The ``orders/*`` topics: a new order may get the cancel-window hold; a changed one may end its request."""

from __future__ import annotations

from typing import Any

from storefront_proxy.cancellations.order_events import order_changed, order_is_cancelled
from storefront_proxy.holds.placement import order_cancelled
from storefront_proxy.holds.service import start_hold
from storefront_proxy.job_context import JobContext


def order_created(ctx: JobContext, shop: str, payload: dict[str, Any]) -> str:
    """orders/create: record the cancel-window hold and queue its placing, when the policy wants one."""
    name = payload.get("name") if isinstance(payload.get("name"), str) else None
    intervals = ctx.settings.hold_retry_intervals
    return start_hold(ctx.store, ctx.queue, ctx.clock(), intervals, shop, payload["id"], name)


def order_updated(ctx: JobContext, topic: str, shop: str, payload: dict[str, Any]) -> str:
    """orders/updated, orders/cancelled, orders/fulfilled...: the hold and the request follow the order."""
    if order_is_cancelled(topic, payload):
        order_cancelled(ctx, shop, payload["id"])
    return order_changed(ctx.store, ctx.clock(), topic, shop, payload)
