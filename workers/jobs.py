"""RQ jobs: carry out a shopper's cancellation in Shopify.

Run by ``rq worker -c workers.rq_config --with-scheduler`` (see Procfile). Jobs take primitives and return a
small dict; they never build the Flask app. Transient Shopify failures raise, so RQ retries them on the
schedule given at enqueue time; every permanent outcome is recorded on the request and returned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rq import get_current_job
from rq.job import Job

from storefront_proxy.eligibility import FULFILLMENT_STARTED, WINDOW_CLOSED, check_eligibility
from storefront_proxy.holds import start_hold
from storefront_proxy.policy import RefundMethod
from storefront_proxy.queue import WebhookErasure, erase_webhook_jobs, make_queue, schedule_webhook_erasure
from storefront_proxy.records import CancellationRequest, RequestStatus
from storefront_proxy.shopify.client import STAFF_NOTE_MAX, ShopifyClient
from storefront_proxy.shopify.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyQueryError,
    ShopifyThrottledError,
    ShopifyTransientError,
    UnknownShopError,
)
from storefront_proxy.support import Support, SupportError
from workers import fulfillment_holds
from workers.context import WorkerContext, worker_context

log = logging.getLogger(__name__)

SHIPPED_MESSAGE = "Your order started shipping before we could cancel it, so it was not cancelled."
GONE_MESSAGE = "We couldn't find this order any more, so it was not cancelled."
UNREACHABLE_MESSAGE = "We couldn't reach the shop to cancel your order. The shop's team will look into it."


class CancelJobNotFinishedError(ShopifyTransientError):
    """Shopify's cancel Job did not report done within the polling bound; the next attempt re-checks."""


class CancelAlreadySentError(Exception):
    """Another run of the same request has already sent orderCancel."""


def cancel_order(request_id: str) -> dict[str, Any]:
    """RQ entry point: cancel the order of request ``request_id`` in Shopify."""
    return carry_out_cancellation(worker_context(), request_id)


def carry_out_cancellation(ctx: WorkerContext, request_id: str) -> dict[str, Any]:
    """Re-check the order, call orderCancel, wait for Shopify's Job and record the outcome."""
    request = ctx.store.get_request(request_id)
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
        return _finish(
            ctx,
            request_id,
            RequestStatus.FAILED,
            "failed",
            UNREACHABLE_MESSAGE,
            code="outcome.unreachable",
            error=str(exc),
        )


def _cancel_in_shopify(ctx: WorkerContext, client: ShopifyClient, request: CancellationRequest) -> dict[str, Any]:
    policy = ctx.store.get_policy(request.shop)
    order = client.get_order(request.order_id, product_tags=policy.needs_product_tags)
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
            staff_note=staff_note(request, policy.reason_label(request.reason)),
        )
    except ShopifyThrottledError:
        # Throttled requests are refused before they run: nothing was sent, the next attempt may send.
        _update(ctx, request.id, lambda r: _release_send(r, ctx.clock()))
        raise
    if result.user_errors:
        # Shopify has no "already cancelled" code: re-read the order before calling it a failure.
        confirmed = client.get_order(request.order_id)
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
    if result.job is None:
        return _confirm(ctx, client, request, job_done=True)
    job_id = result.job.id
    request = _update(ctx, request.id, lambda r: _note_job(r, job_id, ctx.clock()))
    done = result.job.done or _wait_for_job(ctx, client, job_id)
    return _confirm(ctx, client, request, job_done=done)


def _tag_cancelled_order(ctx: WorkerContext, client: ShopifyClient, request_id: str) -> None:
    """Add the policy's cancelled_order_tag to an order this app cancelled; a failure is only noted.

    The cancellation has happened whatever tagging does: errors go on the request's timeline for support,
    and the request stays cancelled. An order staff cancelled before we sent orderCancel is not tagged.
    """
    request = ctx.store.get_request(request_id)
    if request is None or request.cancel_sent_at is None:
        return
    tag = ctx.store.get_policy(request.shop).cancelled_order_tag
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


def _await_earlier_send(ctx: WorkerContext, client: ShopifyClient, request: CancellationRequest) -> dict[str, Any]:
    """An earlier attempt sent orderCancel: never send it twice, wait for that one's outcome instead."""
    done = _wait_for_job(ctx, client, request.shopify_job_id) if request.shopify_job_id else False
    return _confirm(ctx, client, request, job_done=done)


def _confirm(
    ctx: WorkerContext, client: ShopifyClient, request: CancellationRequest, *, job_done: bool
) -> dict[str, Any]:
    """Read cancelledAt: cancelled, failed inside Shopify, or not known yet (raise, so RQ retries later)."""
    confirmed = client.get_order(request.order_id)
    if confirmed is not None and confirmed.cancelled_at is not None:
        return _finish(ctx, request.id, RequestStatus.CANCELLED, "cancelled", None, detail="confirmed cancelledAt")
    if job_done:
        # Shopify finished its Job but the order is not cancelled: the cancellation failed inside Shopify.
        return _finish(
            ctx,
            request.id,
            RequestStatus.FAILED,
            "failed",
            "The shop could not cancel this order.",
            code="outcome.shop_refused",
            error="orderCancel job finished without cancelledAt",
        )
    raise CancelJobNotFinishedError("Shopify has not confirmed the cancellation yet")


def _wait_for_job(ctx: WorkerContext, client: ShopifyClient, job_id: str) -> bool:
    """Poll Shopify's Job until done, a bounded number of times with growing pauses; returns whether it is done."""
    pause = 0.25
    for _ in range(ctx.settings.cancel_job_max_polls):
        job = client.get_job(job_id)
        if job is None or job.done:
            return True
        ctx.sleep(pause)
        pause = min(pause * 1.6, ctx.settings.cancel_job_max_poll_interval)
    return False


def _send_has_lapsed(request: CancellationRequest, now: datetime, settle_seconds: float) -> bool:
    """A send with no Job id and no cancellation ``settle_seconds`` after it never reached Shopify: send again."""
    assert request.cancel_sent_at is not None
    return request.shopify_job_id is None and (now - request.cancel_sent_at).total_seconds() >= settle_seconds


def _release_send(request: CancellationRequest, now: datetime) -> None:
    request.cancel_sent_at = None
    request.record(now, "cancel_not_sent", detail="throttled")


def _claim_send(request: CancellationRequest, now: datetime, settle_seconds: float) -> None:
    """Mark orderCancel as sent, atomically, so that two runs of one request never both send it."""
    if request.cancel_sent_at is not None and not _send_has_lapsed(request, now, settle_seconds):
        raise CancelAlreadySentError(request.id)
    request.cancel_sent_at = now
    request.shopify_job_id = None
    request.record(now, "cancel_sent")


def staff_note(request: CancellationRequest, reason_label: str | None) -> str:
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


def _start_attempt(request: CancellationRequest, now: datetime) -> None:
    request.attempts += 1
    request.record(now, "processing", status=RequestStatus.PROCESSING, detail=f"attempt {request.attempts}")


def _note_job(request: CancellationRequest, job_id: str, now: datetime) -> None:
    request.shopify_job_id = job_id
    request.record(now, "shopify_job_started", detail=job_id)


def _finish(
    ctx: WorkerContext,
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
    def change(request: CancellationRequest) -> None:
        request.tell(message, code, message_detail)
        if error is not None:
            request.last_error = error
        request.record(ctx.clock(), event, status=status, detail=detail or error)

    request = _update(ctx, request_id, change)
    log.info("cancellation %s", status.value, extra={"request_id": request_id, "shop": request.shop})
    return _outcome(request)


def _update(ctx: WorkerContext, request_id: str, change: Callable[[CancellationRequest], None]) -> CancellationRequest:
    return ctx.store.update_request(request_id, change)


def _outcome(request: CancellationRequest) -> dict[str, Any]:
    return {"request_id": request.id, "status": request.status.value}


def auto_review(request_id: str) -> dict[str, Any]:
    """RQ entry point (scheduled): approve or reject a request still pending review, as the shop's policy says."""
    ctx = worker_context()
    support = Support(ctx.store, make_queue(ctx.store.redis), ctx.clock, ctx.settings.cancel_retry_intervals)
    return run_auto_review(ctx, support, request_id)


def run_auto_review(ctx: WorkerContext, support: Support, request_id: str) -> dict[str, Any]:
    """Does nothing unless the request is still pending review and the policy still reviews automatically."""
    request = ctx.store.get_request(request_id)
    if request is None or request.status is not RequestStatus.PENDING_REVIEW:
        return {"request_id": request_id, "status": request.status.value if request else "missing", "action": None}
    policy = ctx.store.get_policy(request.shop)
    if policy.auto_review_after_hours is None:
        # The merchant turned automatic review off after the request was made: a person decides.
        return {"request_id": request_id, "status": request.status.value, "action": None}
    try:
        reviewed = support.auto_review(request.shop, request_id, policy.auto_review_action, policy.auto_reject_message)
    except SupportError as exc:  # staff acted in the meantime
        log.info("automatic review skipped: %s", exc, extra={"request_id": request_id, "shop": request.shop})
        current = ctx.store.get_request(request_id)
        return {"request_id": request_id, "status": current.status.value if current else "missing", "action": None}
    log.info(
        "request reviewed automatically: %s",
        policy.auto_review_action.value,
        extra={"request_id": request_id, "shop": request.shop},
    )
    return {"request_id": request_id, "status": reviewed.status.value, "action": policy.auto_review_action.value}


PROXY_PATH_NAMESPACE = "self_service"
PROXY_PATH_KEY = "proxy_path"


def sync_proxy_path(shop: str) -> dict[str, Any]:
    """RQ entry point: write the shop's proxy path into the app-data metafield the theme blocks read."""
    ctx = worker_context()
    path = ctx.store.proxy_path(shop)
    if path is None:
        return {"shop": shop, "status": "unknown"}
    try:
        with ctx.shopify(shop) as client:
            errors = client.set_app_metafield(PROXY_PATH_NAMESPACE, PROXY_PATH_KEY, path)
    except (ShopifyAuthError, ShopifyQueryError, UnknownShopError) as exc:
        log.error("proxy path not synced: %s", exc, extra={"shop": shop})
        ctx.store.forget_proxy_path(shop)  # the next storefront request tries again
        return {"shop": shop, "status": "failed"}
    if errors:
        log.error("proxy path not synced: %s", "; ".join(e.message for e in errors), extra={"shop": shop})
        ctx.store.forget_proxy_path(shop)
        return {"shop": shop, "status": "failed"}
    return {"shop": shop, "status": "synced", "path": path}


def now_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


SHIPPING_STATUSES = {"fulfilled", "partial", "restocked"}
OPEN_STATUSES = {RequestStatus.PENDING_REVIEW, RequestStatus.QUEUED}


def handle_webhook(topic: str, shop: str, payload: dict[str, Any]) -> dict[str, Any]:
    """RQ entry point: apply one verified webhook to the app's data (safe to repeat, in any order)."""
    ctx = worker_context()
    if topic == "customers/redact":
        customer = (payload.get("customer") or {}).get("id")
        if not isinstance(customer, int):
            return {"topic": topic, "effect": "ignored"}
        erased = ctx.store.erase_customer(shop, customer)
        orders = {order for order in payload.get("orders_to_redact") or [] if isinstance(order, int)}
        jobs = _erase_webhook_jobs(ctx, shop, customer, orders)
        return {"topic": topic, "effect": "erased", "requests": erased, "webhook_jobs": jobs.erased}
    if topic == "shop/redact":
        ctx.store.delete_shop(shop)
        _erase_webhook_jobs(ctx, shop, None, set())
        return {"topic": topic, "effect": "erased"}
    if topic == "customers/data_request":
        customer = (payload.get("customer") or {}).get("id")
        request_id = str((payload.get("data_request") or {}).get("id") or "")
        if not isinstance(customer, int) or not request_id:
            return {"topic": topic, "effect": "ignored"}
        mine = [r for r in ctx.store.iter_shop_requests(shop) if r.customer_id == customer]
        export = {
            "data_request_id": request_id,
            "customer_id": customer,
            "created_at": now_iso(ctx.clock()),
            "cancellation_requests": [r.model_dump(mode="json", exclude={"last_error"}) for r in mine],
        }
        ctx.store.save_data_request(shop, request_id, export)
        return {"topic": topic, "effect": "exported", "requests": len(mine)}
    if topic == "app/uninstalled":
        # The token stops working at once; keep the shop's requests until shop/redact asks otherwise.
        configured = ctx.settings.shopify_access_token if shop == ctx.settings.shopify_shop else None
        ctx.store.forget_shop(shop, configured.get_secret_value() if configured else None)
        return {"topic": topic, "effect": "token_removed"}
    if not topic.startswith("orders/") or not isinstance(payload.get("id"), int):
        return {"topic": topic, "effect": "ignored"}
    order_id = payload["id"]
    if topic == "orders/create":
        name = payload.get("name") if isinstance(payload.get("name"), str) else None
        queue, intervals = make_queue(ctx.store.redis), ctx.settings.hold_retry_intervals
        effect = start_hold(ctx.store, queue, ctx.clock(), intervals, shop, order_id, name)
        return {"topic": topic, "effect": effect}
    cancelled = topic == "orders/cancelled" or bool(payload.get("cancelled_at"))
    if cancelled:
        fulfillment_holds.order_cancelled(ctx, shop, order_id)
    request = ctx.store.request_for_order(shop, order_id)
    if request is None:
        return {"topic": topic, "effect": "no_request"}
    now = ctx.clock()
    updated_at = _parse_time(payload.get("updated_at"))
    shipping = (payload.get("fulfillment_status") or "") in SHIPPING_STATUSES or bool(payload.get("fulfillments"))

    def apply(r: CancellationRequest) -> None:
        if updated_at is not None:
            _refresh_order_details(r, payload, updated_at)
        if cancelled:
            if r.status.is_final and r.status is not RequestStatus.FAILED:
                return
            r.tell(None)
            detail = "the order was cancelled in Shopify"
            r.record(now, "cancelled_in_shopify", status=RequestStatus.CANCELLED, detail=detail)
        elif shipping:
            # A request being processed is left to the worker, which re-checks the order itself.
            if r.status not in OPEN_STATUSES:
                return
            r.tell(SHIPPED_MESSAGE, "outcome.shipped")
            r.record(now, "rejected", status=RequestStatus.REJECTED, detail=f"{topic}: fulfillment started")

    ctx.store.update_request(request.id, apply)
    return {"topic": topic, "effect": "cancelled" if cancelled else "checked_shipping" if shipping else "none"}


# A job another worker keeps running is looked for again this many times (WEBHOOK_ERASURE_DELAY apart).
WEBHOOK_ERASURE_ROUNDS = 12


def _erase_webhook_jobs(
    ctx: WorkerContext, shop: str, customer: int | None, orders: set[int], round_: int = 0
) -> WebhookErasure:
    """Erase the webhook jobs carrying the customer (or the shop), and sweep again later: once in any case (a job
    that started while this one looked, a delivery that was still on its way), then while some still run."""
    queue = make_queue(ctx.store.redis)
    current = get_current_job()
    result = erase_webhook_jobs(queue, shop, customer, orders, keep=current.id if current else None)
    if round_ == 0 or (result.running and round_ < WEBHOOK_ERASURE_ROUNDS):
        schedule_webhook_erasure(queue, shop, customer, orders, round_ + 1)
    return result


def finish_webhook_erasure(shop: str, customer: int | None, orders: list[int], round_: int) -> dict[str, Any]:
    """RQ entry point (scheduled by a redact): erase the webhook jobs that were running when it ran."""
    result = _erase_webhook_jobs(worker_context(), shop, customer, set(orders), round_)
    return {"shop": shop, "erased": result.erased, "still_running": result.running, "round": round_}


def _refresh_order_details(r: CancellationRequest, payload: dict[str, Any], updated_at: datetime) -> None:
    """Keep the order's name and e-mail on the request current; an older delivery never overwrites a newer one."""
    if r.order_updated_at is not None and updated_at < r.order_updated_at:
        return
    r.order_updated_at = updated_at
    if isinstance(payload.get("name"), str) and payload["name"]:
        r.order_name = payload["name"]
    if "email" in payload and (payload["email"] is None or isinstance(payload["email"], str)):
        r.customer_email = payload["email"] or None


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def on_proxy_path_failure(job: Job, connection: Any, exc_type: type, exc_value: BaseException, traceback: Any) -> None:
    """RQ failure callback: once retries are used up, forget the path so the next storefront visit syncs again."""
    if job.retries_left and job.retries_left > 0:
        return
    shop = job.args[0] if job.args else None
    if shop:
        worker_context().store.forget_proxy_path(shop)


def on_cancel_failure(job: Job, connection: Any, exc_type: type, exc_value: BaseException, traceback: Any) -> None:
    """RQ failure callback: record the error; when RQ has no retries left, the request ends ``failed``."""
    request_id = (job.meta or {}).get("request_id") or (job.args[0] if job.args else None)
    if not request_id:
        return
    ctx = worker_context()
    will_retry = bool(job.retries_left and job.retries_left > 0)
    error = f"{exc_type.__name__}: {exc_value}" if exc_value is not None else exc_type.__name__

    def change(request: CancellationRequest) -> None:
        if request.status.is_final:
            return
        request.last_error = error
        if will_retry:
            request.record(ctx.clock(), "retry_scheduled", status=RequestStatus.QUEUED, detail=error)
        else:
            request.tell(UNREACHABLE_MESSAGE, "outcome.unreachable")
            request.record(ctx.clock(), "failed", status=RequestStatus.FAILED, detail=error)

    try:
        ctx.store.update_request(request_id, change)
    except KeyError:
        log.warning("failure callback for a missing request", extra={"request_id": request_id})
