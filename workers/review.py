"""RQ job (scheduled): the policy's automatic review of a request still pending (``cancellations/review.py``)."""

from __future__ import annotations

from typing import Any

from storefront_proxy.cancellations.review import Review, run_auto_review
from workers.context import worker_context


def auto_review(request_id: str) -> dict[str, Any]:
    """Approve or reject a request still pending review, as the shop's policy says."""
    ctx = worker_context()
    review = Review(ctx.store, ctx.queue, ctx.clock, ctx.settings.cancel_retry_intervals)
    return run_auto_review(ctx.store, review, request_id)
