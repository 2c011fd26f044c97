"""Carrying out a shopper's cancellation in Shopify: re-check the order, send orderCancel once, confirm later.

Run by the cancel job and the confirmation looks (workers/cancellations.py). Transient Shopify failures raise,
so RQ retries the job on the schedule given at enqueue time; every permanent outcome is recorded on the request
and returned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from redis.client import Pipeline

from storefront_proxy.cancellations.eligibility import FULFILLMENT_STARTED, WINDOW_CLOSED, check_eligibility
from storefront_proxy.cancellations.enqueue import schedule_confirmation
from storefront_proxy.cancellations.records import RequestStatus, ShopperRequest
from storefront_proxy.job_context import JobContext
from storefront_proxy.policy.model import RefundMethod
from storefront_proxy.shopify.client import STAFF_NOTE_MAX, ShopifyClient
from storefront_proxy.shopify.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyQueryError,
    ShopifyThrottledError,
    ShopifyTransientError,
    UnknownShopError,
)
from storefront_proxy.storage import NotFoundError

log = logging.getLogger(__name__)

SHIPPED_MESSAGE = "Your order started shipping before we could cancel it, so it was not cancelled."
GONE_MESSAGE = "We couldn't find this order any more, so it was not cancelled."
UNREACHABLE_MESSAGE = "We couldn't reach the shop to cancel your order. The shop's team will look into it."


class CancelJobNotFinishedError(ShopifyTransientError):
    """An orderCancel sent earlier has no known outcome yet; the next attempt re-checks."""


class CancelAlreadySentError(Exception):
    """Another run of the same request has already sent orderCancel."""


# The first look at Shopify's Job after orderCancel (1 point): a small order's cancellation often finishes within
# a second. rq keeps a scheduled job's due time in whole seconds (rounded down) and its scheduler moves due jobs
# once a second, so this look comes 0-1.5 s after orderCancel; one that finds the Job unfinished looks again.
FIRST_LOOK_SECONDS = 0.5


def carry_out_cancellation(ctx: JobContext, request_id: str) -> dict[str, Any]:
    """Re-check the order and call orderCancel; the outcome is recorded now or by the looks it schedules."""
    request = ctx.store.requests.get(request_id)
    if request is None:
        log.warning("cancellation request vanished", extra={"request_id": request_id})
        return {"request_id": request_id, "status": "missing"}
    if request.status.is_final or request.status is RequestStatus.PENDING_REVIEW:
        return _outcome(request)

    request = _update(ctx, request_id, lambda r: _start_attempt(r, ctx.clock()))
    try:
        with ctx.shopify(request.shop) as client:
            outcome = _cancel_in_shopify(ctx, client, request)
            if outcome["status"] == RequestStatus.CANCELLED.value:
                _tag_cancelled_order(ctx, client, request_id)
            return outcome
    except (ShopifyAuthError, ShopifyQueryError, UnknownShopError) as exc:
        # Retrying cannot fix a refused token or a rejected document: support has to look.
        log.error("cancellation failed permanently: %s", exc, extra={"request_id": request_id, "shop": request.shop})
        return _unreachable(ctx, request_id, str(exc))


def _cancel_in_shopify(ctx: JobContext, client: ShopifyClient, request: ShopperRequest) -> dict[str, Any]:
    policy = ctx.store.policies.get(request.shop)
    order = client.get_order(request.order_id, product_tags=policy.needs_product_tags, line_items=False)
    if order is not None:
        # A fresh read: when it is newer than the cached order, the shopper's next view reads it whole.
        ctx.store.order_facts.put(request.shop, order)
    if order is None:
        return _finish(
            ctx, request.id, RequestStatus.REJECTED, "order_missing", GONE_MESSAGE, code="outcome.order_missing"
        )
    if order.cancelled_at is not None:
        return _finish(ctx, request.id, RequestStatus.CANCELLED, "cancelled", None, detail="order found cancelled")
    settle = ctx.settings.cancel_send_settle_seconds
    if request.cancel_sent_at is not None and not _send_has_lapsed(request, ctx.clock(), settle):
        return _await_earlier_send(ctx, client, request)

    # A request accepted in time is carried out after the deadline too; everything else is judged now,
    # against the shop's current policy.
    reasons = [r for r in check_eligibility(order, policy, ctx.clock()).reasons if r.code != WINDOW_CLOSED]
    if reasons:
        codes = [reason.code for reason in reasons]
        if FULFILLMENT_STARTED in codes:
            message, code = SHIPPED_MESSAGE, "outcome.shipped"
        else:
            message, code = reasons[0].message, f"ineligible.{reasons[0].code}"
        return _finish(ctx, request.id, RequestStatus.REJECTED, "rejected", message, code=code, detail=", ".join(codes))

    try:
        request = _update(ctx, request.id, lambda r: _claim_send(r, ctx.clock(), settle))
    except CancelAlreadySentError:
        raise CancelJobNotFinishedError("another attempt is sending orderCancel") from None
    try:
        result = client.cancel_order(
            request.order_id,
            refund_method=_refund_method(policy.refund_method),
            restock=policy.restock,
            notify_customer=policy.notify_customer,
            staff_note=staff_note(request, policy.reason_label(request.reason or "")),
        )
    except ShopifyThrottledError:
        # Throttled requests are refused before they run: nothing was sent, the next attempt may send.
        _update(ctx, request.id, lambda r: _release_send(r, ctx.clock()))
        raise
    if result.user_errors:
        # Shopify has no "already cancelled" code: re-read the order before calling it a failure.
        confirmed = client.get_order_cancellation(request.order_id)
        if confirmed is not None and confirmed.cancelled_at is not None:
            return _finish(ctx, request.id, RequestStatus.CANCELLED, "cancelled", None, detail="order found cancelled")
        shopify_message = "; ".join(error.message for error in result.user_errors)
        return _finish(
            ctx,
            request.id,
            RequestStatus.FAILED,
            "failed",
            f"The shop could not cancel this order: {shopify_message}",
            code="outcome.shop_refused.reason",
            message_detail=shopify_message,
            error=shopify_message,
        )
    if result.job is None or result.job.done:
        return _confirm(ctx, client, request, job_done=True)
    job_id = result.job.id
    # Shopify's Job takes a moment: look again later (a scheduled job) rather than hold this worker meanwhile.
    request, _ = ctx.store.requests.update(
        request.id,
        lambda r: _note_job(r, job_id, ctx.clock()),
        lambda pipe, _: _schedule_look(ctx, request.model_copy(update={"shopify_job_id": job_id}), 1, pipe),
    )
    return _outcome(request)


def confirm_cancellation(
    ctx: JobContext, request_id: str, look: int, shopify_job_id: str | None = None
) -> dict[str, Any]:
    """The ``look``-th look at the orderCancel whose Job is ``shopify_job_id``: cancelled, failed inside Shopify,
    or look again later.

    The orders/cancelled webhook may have said so first; the order is then only tagged. Looks at an earlier
    orderCancel of the request (before support retried it) stop.
    """
    request = ctx.store.requests.get(request_id)
    if request is None:
        return {"request_id": request_id, "status": "missing"}
    if shopify_job_id is not None and request.shopify_job_id != shopify_job_id:
        return {"request_id": request_id, "status": "superseded"}
    if request.status is RequestStatus.CANCELLED and request.cancel_sent_at is not None and not _tagged(request):
        with ctx.shopify(request.shop) as client:
            _tag_cancelled_order(ctx, client, request_id)
    if request.status is not RequestStatus.PROCESSING:
        return _outcome(request)
    try:
        with ctx.shopify(request.shop) as client:
            # The Job first: one that is done before the order reads uncancelled failed inside Shopify.
            job = client.get_job(request.shopify_job_id) if request.shopify_job_id else None
            confirmed = client.get_order_cancellation(request.order_id)
            if confirmed is not None and confirmed.cancelled_at is not None:
                outcome = _finish(
                    ctx, request_id, RequestStatus.CANCELLED, "cancelled", None, detail="confirmed cancelledAt"
                )
                _tag_cancelled_order(ctx, client, request_id)
                return outcome
            if job is None or job.done:
                return _shop_refused(ctx, request_id)
    except ShopifyTransientError as exc:
        log.info("confirmation deferred: %s", exc, extra={"request_id": request_id, "shop": request.shop})
    except (ShopifyAuthError, ShopifyQueryError, UnknownShopError) as exc:
        return _unreachable(ctx, request_id, str(exc))
    if look >= len(confirmation_delays(ctx)):
        return _unreachable(ctx, request_id, "Shopify never confirmed the cancellation")
    with ctx.store.redis.pipeline() as pipe:
        _schedule_look(ctx, request, look + 1, pipe)
        pipe.execute()
    return _outcome(request)


def confirmation_delays(ctx: JobContext) -> list[float]:
    """Seconds before each look at a sent orderCancel: quick ones while Shopify's Job usually finishes (from
    FIRST_LOOK_SECONDS, growing to CANCEL_JOB_MAX_POLL_INTERVAL, CANCEL_JOB_MAX_POLLS of them), then the retry
    schedule's."""
    quick, pause = [], FIRST_LOOK_SECONDS
    for _ in range(ctx.settings.cancel_job_max_polls):
        quick.append(pause)
        pause = min(pause * 1.6, max(ctx.settings.cancel_job_max_poll_interval, 1.0))
    return quick + [float(seconds) for seconds in ctx.settings.cancel_retry_intervals]


def _schedule_look(ctx: JobContext, request: ShopperRequest, look: int, pipe: Pipeline) -> None:
    delays = confirmation_delays(ctx)
    delay = timedelta(seconds=delays[min(look, len(delays)) - 1])
    schedule_confirmation(ctx.queue, request.shop, request.id, look, delay, request.shopify_job_id, pipeline=pipe)


def _tagged(request: ShopperRequest) -> bool:
    return any(event.type in ("tagged", "tag_failed") for event in request.events)


def record_confirmation_failure(ctx: JobContext, request_id: str, error: str, will_retry: bool) -> None:
    """A look at a sent orderCancel crashed and RQ gives up on it: support has to look (the request is failed)."""
    if will_retry:
        return

    def change(request: ShopperRequest) -> None:
        if request.status is not RequestStatus.PROCESSING:
            return
        request.last_error = error
        _leave_to_support(request, ctx.clock(), error)

    try:
        ctx.store.requests.update(request_id, change)
    except NotFoundError:
        log.warning("confirmation failure callback for a missing request", extra={"request_id": request_id})


def _tag_cancelled_order(ctx: JobContext, client: ShopifyClient, request_id: str) -> None:
    """Add the policy's cancelled_order_tag to an order this app cancelled; a failure is only noted.

    The cancellation has happened whatever tagging does: errors go on the request's timeline for support,
    and the request stays cancelled. An order staff cancelled before we sent orderCancel is not tagged.
    """
    request = ctx.store.requests.get(request_id)
    if request is None or request.cancel_sent_at is None or _tagged(request):
        return
    tag = ctx.store.policies.get(request.shop).cancelled_order_tag
    if not tag:
        return
    try:
        errors = [error.message for error in client.add_order_tags(request.order_id, [tag])]
    except ShopifyError as exc:
        errors = [f"{type(exc).__name__}: {exc}"]
    if errors:
        detail = f"{tag}: {'; '.join(errors)}"
        log.warning("cancelled order not tagged: %s", detail, extra={"request_id": request_id, "shop": request.shop})
        _update(ctx, request_id, lambda r: r.record(ctx.clock(), "tag_failed", detail=detail))
    else:
        _update(ctx, request_id, lambda r: r.record(ctx.clock(), "tagged", detail=tag))


def _await_earlier_send(ctx: JobContext, client: ShopifyClient, request: ShopperRequest) -> dict[str, Any]:
    """An earlier attempt sent orderCancel: never send it twice; look at that one's outcome instead."""
    if request.shopify_job_id is None:
        return _confirm(ctx, client, request, job_done=False)
    job = client.get_job(request.shopify_job_id)
    if job is None or job.done:
        return _confirm(ctx, client, request, job_done=True)
    with ctx.store.redis.pipeline() as pipe:
        _schedule_look(ctx, request, 1, pipe)
        pipe.execute()
    return _outcome(request)


def _confirm(ctx: JobContext, client: ShopifyClient, request: ShopperRequest, *, job_done: bool) -> dict[str, Any]:
    """Read cancelledAt: cancelled, failed inside Shopify, or not known yet (raise, so RQ retries later)."""
    confirmed = client.get_order_cancellation(request.order_id)
    if confirmed is not None and confirmed.cancelled_at is not None:
        return _finish(ctx, request.id, RequestStatus.CANCELLED, "cancelled", None, detail="confirmed cancelledAt")
    if job_done:
        return _shop_refused(ctx, request.id)
    raise CancelJobNotFinishedError("Shopify has not confirmed the cancellation yet")


def _unreachable(ctx: JobContext, request_id: str, error: str) -> dict[str, Any]:
    """Shopify cannot be asked (a refused token, a rejected document) or never answered: support has to look."""
    return _finish(
        ctx, request_id, RequestStatus.FAILED, "failed", UNREACHABLE_MESSAGE, code="outcome.unreachable", error=error
    )


def _shop_refused(ctx: JobContext, request_id: str) -> dict[str, Any]:
    """Shopify finished its Job but the order is not cancelled: the cancellation failed inside Shopify."""
    return _finish(
        ctx,
        request_id,
        RequestStatus.FAILED,
        "failed",
        "The shop could not cancel this order.",
        code="outcome.shop_refused",
        error="orderCancel job finished without cancelledAt",
    )


def _send_has_lapsed(request: ShopperRequest, now: datetime, settle_seconds: float) -> bool:
    """A send with no Job id and no cancellation ``settle_seconds`` after it never reached Shopify: send again."""
    assert request.cancel_sent_at is not None
    return request.shopify_job_id is None and (now - request.cancel_sent_at).total_seconds() >= settle_seconds


def _release_send(request: ShopperRequest, now: datetime) -> None:
    request.cancel_sent_at = None
    request.record(now, "cancel_not_sent", detail="throttled")


def _claim_send(request: ShopperRequest, now: datetime, settle_seconds: float) -> None:
    """Mark orderCancel as sent, atomically, so that two runs of one request never both send it."""
    if request.cancel_sent_at is not None and not _send_has_lapsed(request, now, settle_seconds):
        raise CancelAlreadySentError(request.id)
    request.cancel_sent_at = now
    request.shopify_job_id = None
    request.record(now, "cancel_sent")


def staff_note(request: ShopperRequest, reason_label: str | None) -> str:
    """The note staff see on the cancelled order: the shopper's reason and note, within Shopify's 255 characters."""
    note = f"Cancelled by the customer (self-service). Reason: {reason_label or request.reason}."
    if request.note:
        note += f" Note: {' '.join(request.note.split())}"
    if len(note) > STAFF_NOTE_MAX:
        note = note[: STAFF_NOTE_MAX - 1] + "…"
    return note


def _refund_method(method: RefundMethod) -> dict[str, Any]:
    """OrderCancelRefundMethodInput (a @oneOf input); "none" says so explicitly rather than omitting it.

    Authorized, uncaptured payments are voided whatever this says (orderCancel docs).
    """
    if method is RefundMethod.ORIGINAL_PAYMENT:
        return {"originalPaymentMethodsRefund": True}
    if method is RefundMethod.STORE_CREDIT:
        return {"storeCreditRefund": {}}
    return {"originalPaymentMethodsRefund": False}


def _start_attempt(request: ShopperRequest, now: datetime) -> None:
    request.attempts += 1
    request.record(now, "processing", status=RequestStatus.PROCESSING, detail=f"attempt {request.attempts}")


def _note_job(request: ShopperRequest, job_id: str, now: datetime) -> None:
    request.shopify_job_id = job_id
    request.record(now, "shopify_job_started", detail=job_id)


def _finish(
    ctx: JobContext,
    request_id: str,
    status: RequestStatus,
    event: str,
    message: str | None,
    *,
    code: str | None = None,
    message_detail: str | None = None,
    detail: str | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    def change(request: ShopperRequest) -> None:
        if request.status.is_final:
            # The orders/cancelled webhook (or another run) ended it meanwhile: that outcome stands.
            return
        request.tell(message, code, message_detail)
        if error is not None:
            request.last_error = error
        request.record(ctx.clock(), event, status=status, detail=detail or error)

    request = _update(ctx, request_id, change)
    if status is RequestStatus.CANCELLED:
        # The cached order still says it can be cancelled until its orders/cancelled webhook arrives.
        ctx.store.order_facts.forget(request.shop, request.order_id)
    log.info("cancellation %s", status.value, extra={"request_id": request_id, "shop": request.shop})
    return _outcome(request)


def _update(ctx: JobContext, request_id: str, change: Callable[[ShopperRequest], None]) -> ShopperRequest:
    request, _ = ctx.store.requests.update(request_id, change)
    return request


def _outcome(request: ShopperRequest) -> dict[str, Any]:
    return {"request_id": request.id, "status": request.status.value}


def _leave_to_support(
    request: ShopperRequest,
    now: datetime,
    error: str,
    message: str = UNREACHABLE_MESSAGE,
    code: str = "outcome.unreachable",
) -> None:
    """A job gave up on Shopify: the request ends ``failed``, telling the shopper the shop's team will look."""
    request.tell(message, code)
    request.record(now, "failed", status=RequestStatus.FAILED, detail=error)


def record_job_failure(
    ctx: JobContext,
    request_id: str,
    error: str,
    will_retry: bool,
    *,
    message: str = UNREACHABLE_MESSAGE,
    code: str = "outcome.unreachable",
) -> None:
    """The request's job raised: record the error; when RQ has no retries left, the request ends ``failed``,
    telling the shopper ``message`` (the edit job passes its own wording)."""

    def change(request: ShopperRequest) -> None:
        if request.status.is_final:
            return
        request.last_error = error
        if will_retry:
            request.record(ctx.clock(), "retry_scheduled", status=RequestStatus.QUEUED, detail=error)
        else:
            _leave_to_support(request, ctx.clock(), error, message, code)

    try:
        ctx.store.requests.update(request_id, change)
    except NotFoundError:
        log.warning("failure callback for a missing request", extra={"request_id": request_id})
