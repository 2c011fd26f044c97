"""Carrying out a shopper's edit in Shopify: re-check the order, stage the changes in an edit session, commit it
once, refund the difference once, update the address.

Run by the edit job (workers/edits.py). Transient Shopify failures raise, so RQ retries the job; a retry picks up
where the last attempt got to:
- a session that was begun but not committed changes nothing on the order (Shopify's order editing docs), so it
  is begun again;
- the commit is claimed on the record before it is sent, like orderCancel; a claimed commit whose outcome is
  unknown is looked for on the order (its quantities and variants) and never sent twice while it may have landed;
- the refund carries an idempotency key derived from the edit's id, so Shopify answers a repeated refundCreate
  with the first refund (refundCreate's ``@idempotent``, required since 2026-04);
- orderUpdate of the address sets it, so sending it again changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from storefront_proxy.cancellations.eligibility import FULFILLMENT_STARTED
from storefront_proxy.cancellations.execution import record_job_failure
from storefront_proxy.cancellations.records import EditDetails, LineChange, RequestStatus, ShopperRequest
from storefront_proxy.edits.rules import EDIT_WINDOW_CLOSED, check_edit_eligibility, editable_quantity
from storefront_proxy.job_context import JobContext
from storefront_proxy.policy.model import Policy, RefundMethod
from storefront_proxy.shopify.client import STAFF_NOTE_MAX, EditStep, ShopifyClient
from storefront_proxy.shopify.errors import (
    ShopifyAuthError,
    ShopifyQueryError,
    ShopifyThrottledError,
    ShopifyTransientError,
    UnknownShopError,
)
from storefront_proxy.shopify.models import Order, OrderPayments, UserError, order_gid

log = logging.getLogger(__name__)

SHIPPED_MESSAGE = "Your order started shipping before we could change it, so nothing was changed."
CHANGED_MESSAGE = "Your order changed before we could apply your edit, so nothing was changed."
GONE_MESSAGE = "We couldn't find this order any more, so nothing was changed."
UNREACHABLE_MESSAGE = "We couldn't reach the shop to change your order. The shop's team will look into it."
REFUND_FAILED_MESSAGE = (
    "Your order was changed, but the refund could not be made yet. The shop's team will look into it."
)
ADDRESS_REFUSED = "Your items were changed, but the shop could not change the address"
# Payments only authorized: the lower total is what gets captured, nothing is refunded.
CAPTURED_STATUSES = frozenset({"PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED"})


class EditNotFinishedError(ShopifyTransientError):
    """A commit sent earlier has no known outcome yet; the next attempt looks again."""


class CommitAlreadySentError(Exception):
    """Another run of the same edit has claimed the commit."""


def refund_key(request_id: str) -> str:
    """refundCreate's idempotency key for the edit: the same for every attempt, so it refunds at most once.

    UNCONFIRMED (../shared/SHOPIFY-PLATFORM.md §13): how long Shopify keeps a key, and that orderEditCommit never
    refunds a lower total by itself (the app refunds it; were Shopify to, the shopper would be refunded twice).
    """
    return f"edit-refund-{request_id}"


def carry_out_edit(ctx: JobContext, request_id: str) -> dict[str, Any]:
    """Apply the edit of ``request_id`` in Shopify; every permanent outcome is recorded on the request."""
    request = ctx.store.requests.get(request_id)
    if request is None or request.edit is None:
        log.warning("edit request vanished", extra={"request_id": request_id})
        return {"request_id": request_id, "status": "missing"}
    if request.status.is_final or request.status is RequestStatus.PENDING_REVIEW:
        return _outcome(request)
    request = _update(ctx, request_id, lambda r: _start_attempt(r, ctx.clock()))
    try:
        with ctx.shopify(request.shop) as client:
            return _edit_in_shopify(ctx, client, request)
    except (ShopifyAuthError, ShopifyQueryError, UnknownShopError) as exc:
        # Retrying cannot fix a refused token or a rejected document: support has to look.
        log.error("edit failed permanently: %s", exc, extra={"request_id": request_id, "shop": request.shop})
        return _finish(
            ctx, request_id, RequestStatus.FAILED, UNREACHABLE_MESSAGE, "outcome.edit_unreachable", error=str(exc)
        )


def _edit_in_shopify(ctx: JobContext, client: ShopifyClient, request: ShopperRequest) -> dict[str, Any]:
    edit = _details(request)
    policy = ctx.store.policies.get(request.shop)
    payments = Payments(client, request.order_id)
    if edit.line_items and edit.committed_at is None:
        stopped = _commit_line_items(ctx, client, request, policy, payments)
        if stopped is not None:
            return stopped
        request = ctx.store.requests.get(request.id) or request
        edit = _details(request)
    if edit.line_items and edit.refund_id is None and (edit.refund_due or 0) > 0:
        stopped = _refund_difference(ctx, client, request, policy, payments)
        if stopped is not None:
            return stopped
    if edit.shipping_address is not None and edit.address_updated_at is None:
        if not edit.line_items:
            stopped = _recheck(ctx, client, request, policy)
            if stopped is not None:
                return stopped
        errors = client.update_shipping_address(request.order_id, edit.shipping_address.mailing_address_input())
        if errors and edit.line_items:
            # The items are changed (and refunded) already: say that only the address was refused.
            return _refused(ctx, request.id, errors, code="outcome.edit_address_refused.reason")
        if errors:
            return _refused(ctx, request.id, errors)
        _update(ctx, request.id, lambda r: _address_updated(r, ctx.clock()))
    return _finish(ctx, request.id, RequestStatus.APPLIED, None, None)


def _recheck(ctx: JobContext, client: ShopifyClient, request: ShopperRequest, policy: Policy) -> dict[str, Any] | None:
    """Read the order fresh and judge it again: the outcome when it can no longer be edited, None to go on."""
    return _judge(ctx, request, policy, _read_order(ctx, client, request, policy))


def _read_order(ctx: JobContext, client: ShopifyClient, request: ShopperRequest, policy: Policy) -> Order | None:
    """The order read fresh, with what judging it needs: its lines' quantities and variants (get_order_to_edit),
    or the whole order with its products' tags for a policy that excludes some (then kept in the cache too)."""
    if not policy.needs_product_tags:
        return client.get_order_to_edit(request.order_id)
    order = client.get_order(request.order_id, product_tags=True, line_items=True)
    if order is not None:
        ctx.store.order_facts.put(request.shop, order)
    return order


def _judge(ctx: JobContext, request: ShopperRequest, policy: Policy, order: Order | None) -> dict[str, Any] | None:
    if order is None:
        return _finish(ctx, request.id, RequestStatus.REJECTED, GONE_MESSAGE, "outcome.edit_order_missing")
    # An edit accepted in time is carried out after the deadline too; everything else is judged now.
    reasons = [r for r in check_edit_eligibility(order, policy, ctx.clock()).reasons if r.code != EDIT_WINDOW_CLOSED]
    if reasons:
        codes = [reason.code for reason in reasons]
        if FULFILLMENT_STARTED in codes:
            message, code = SHIPPED_MESSAGE, "outcome.edit_shipped"
        else:
            message, code = reasons[0].message, f"ineligible.{reasons[0].code}"
        return _finish(ctx, request.id, RequestStatus.REJECTED, message, code, detail=", ".join(codes))
    for change in _details(request).line_items:
        item = order.line_item(change.line_item_id)
        if (
            item is None
            or item.quantity_now != change.from_quantity
            or editable_quantity(item)
            < (change.from_quantity - change.to_quantity if not change.is_swap else change.from_quantity)
        ):
            return _finish(
                ctx,
                request.id,
                RequestStatus.REJECTED,
                CHANGED_MESSAGE,
                "outcome.edit_order_changed",
                detail=f"line item {change.line_item_id} changed",
            )
    return None


def _commit_line_items(
    ctx: JobContext, client: ShopifyClient, request: ShopperRequest, policy: Policy, payments: Payments
) -> dict[str, Any] | None:
    """Stage the line item changes in a new edit session and commit it once; None when committed."""
    edit = _details(request)
    order = _read_order(ctx, client, request, policy)
    settle = ctx.settings.cancel_send_settle_seconds
    if edit.commit_sent_at is not None:
        if order is not None and shows_edit(order, edit):
            _update(ctx, request.id, lambda r: _committed(r, ctx.clock(), "found on the order"))
            return None
        if (ctx.clock() - edit.commit_sent_at).total_seconds() < settle:
            raise EditNotFinishedError("an earlier attempt's orderEditCommit has no known outcome yet")
        # The claimed commit never reached the order: its session is abandoned and a new one begun.
    stopped = _judge(ctx, request, policy, order)
    if stopped is not None:
        return stopped

    begun = client.begin_order_edit(request.order_id)
    if begun.user_errors or begun.calculated_order is None:
        return _refused(ctx, request.id, begun.user_errors)
    session = begun.calculated_order
    base_total = session.total_amount
    calculated_lines = {line.legacy_id: line.id for line in session.line_items}
    step: EditStep = begun
    for change in edit.line_items:
        # UNCONFIRMED: a calculated line item has its line item's number (Shopify's examples show it so).
        line_id = calculated_lines.get(change.line_item_id)
        if line_id is None:
            return _finish(
                ctx,
                request.id,
                RequestStatus.REJECTED,
                CHANGED_MESSAGE,
                "outcome.edit_order_changed",
                detail=f"line item {change.line_item_id} is not in the edit session",
            )
        if change.is_swap:
            assert change.variant_id is not None
            step = client.add_order_edit_variant(
                session.id, f"gid://shopify/ProductVariant/{change.variant_id}", change.to_quantity
            )
            if step.user_errors:
                return _refused(ctx, request.id, step.user_errors)
            step = client.set_order_edit_quantity(session.id, line_id, 0, restock=policy.restock)
        else:
            step = client.set_order_edit_quantity(session.id, line_id, change.to_quantity, restock=policy.restock)
        if step.user_errors:
            return _refused(ctx, request.id, step.user_errors)
    new_total = step.calculated_order.total_amount if step.calculated_order is not None else base_total
    if new_total > base_total:
        # A variant's price rose, or a swapped line lost its share of a discount, since the shopper asked: the
        # shopper would owe a balance they never agreed to.
        return _finish(
            ctx,
            request.id,
            RequestStatus.REJECTED,
            CHANGED_MESSAGE,
            "outcome.edit_order_changed",
            detail=f"the edit would raise the total from {base_total} to {new_total}",
        )
    refund_due = _refund_due(payments, policy, base_total - new_total, new_total)

    try:
        _update(ctx, request.id, lambda r: _claim_commit(r, ctx.clock(), settle, session.id, refund_due))
    except CommitAlreadySentError:
        raise EditNotFinishedError("another attempt is committing the edit") from None
    try:
        errors = client.commit_order_edit(
            session.id, notify_customer=policy.notify_customer, staff_note=staff_note(request)
        )
    except ShopifyThrottledError:
        # Refused before it ran: nothing was committed, the next attempt begins again.
        _update(ctx, request.id, lambda r: _release_commit(r, ctx.clock()))
        raise
    if errors:
        again = _read_order(ctx, client, request, policy)
        if again is None or not shows_edit(again, edit):
            _update(ctx, request.id, lambda r: _release_commit(r, ctx.clock()))
            return _refused(ctx, request.id, errors)
    _update(ctx, request.id, lambda r: _committed(r, ctx.clock(), session.id))
    return None


class Payments:
    """The order's payments, read from Shopify at most once per attempt (the commit's refund and the refund itself
    both need them; 35 points a read)."""

    def __init__(self, client: ShopifyClient, order_id: int) -> None:
        self._client = client
        self._order_id = order_id
        self._read: list[OrderPayments | None] = []

    def get(self) -> OrderPayments | None:
        if not self._read:
            self._read.append(self._client.get_order_payments(self._order_id))
        return self._read[0]


def _refund_due(payments: Payments, policy: Policy, difference: Decimal, new_total: Decimal) -> Decimal | None:
    """What to refund for a total ``difference`` lower: nothing for an uncaptured payment or a policy that
    refunds nothing, and never more than the shopper has paid net of refunds."""
    if difference <= 0 or policy.refund_method is RefundMethod.NONE:
        return None
    paid = payments.get()
    if paid is None or (paid.display_financial_status or "").upper() not in CAPTURED_STATUSES:
        return None
    # What was paid beyond the new total: a partly paid order keeps its payment for what is still owed.
    overpaid = paid.net_payment - new_total
    return min(difference, overpaid) if overpaid > 0 else None


def _refund_difference(
    ctx: JobContext, client: ShopifyClient, request: ShopperRequest, policy: Policy, payments: Payments
) -> dict[str, Any] | None:
    """refundCreate of the edit's difference under the edit's idempotency key; None when refunded."""
    edit = _details(request)
    amount = edit.refund_due
    assert amount is not None
    refund_input: dict[str, Any] = {
        "orderId": order_gid(request.order_id),
        "notify": policy.notify_customer,
        "note": "The difference of the customer's order edit (self-service).",
    }
    if policy.refund_method is RefundMethod.STORE_CREDIT:
        paid = None if request.currency_code else payments.get()
        currency = request.currency_code or (paid.currency_code if paid is not None else "")
        refund_input["refundMethods"] = [
            {"storeCreditRefund": {"amount": {"amount": str(amount), "currencyCode": currency}}}
        ]
    else:
        paid = payments.get()
        parents = paid.refundable_payments() if paid is not None else []
        transactions, left = [], amount
        for parent in parents:
            part = min(left, parent.amount)
            if part <= 0:
                break
            transactions.append(
                {
                    "orderId": order_gid(request.order_id),
                    "parentId": parent.id,
                    "gateway": parent.gateway or "manual",
                    "kind": "REFUND",
                    "amount": str(part),
                }
            )
            left -= part
        if not transactions:
            return _refund_failed(ctx, request.id, "the order has no captured payment to refund to")
        refund_input["transactions"] = transactions
    refund, errors = client.refund(refund_input, idempotency_key=refund_key(request.id))
    if errors or refund is None:
        return _refund_failed(ctx, request.id, "; ".join(error.message for error in errors) or "no refund returned")
    _update(ctx, request.id, lambda r: _refunded(r, ctx.clock(), refund.id, refund.amount))
    return None


def shows_edit(order: Order, edit: EditDetails) -> bool:
    """Whether the order already carries the edit's line item changes (a commit that landed)."""
    return all(_shows_change(order, change) for change in edit.line_items)


def _shows_change(order: Order, change: LineChange) -> bool:
    item = order.line_item(change.line_item_id)
    if item is None:
        return False
    if not change.is_swap:
        return item.quantity_now == change.to_quantity
    swapped = [
        line
        for line in order.line_items
        if line.variant_id is not None and line.variant_id.endswith(f"/{change.variant_id}") and line.quantity_now > 0
    ]
    return item.quantity_now == 0 and sum(line.quantity_now for line in swapped) >= change.to_quantity


def staff_note(request: ShopperRequest) -> str:
    """The note staff see on the edited order: what the shopper changed, within Shopify's 255 characters."""
    note = f"Changed by the customer (self-service): {_details(request).summary()}."
    if len(note) > STAFF_NOTE_MAX:
        note = note[: STAFF_NOTE_MAX - 1] + "…"
    return note


def _details(request: ShopperRequest) -> EditDetails:
    assert request.edit is not None, "an edit request carries its details"
    return request.edit


def _start_attempt(request: ShopperRequest, now: datetime) -> None:
    request.attempts += 1
    request.record(now, "processing", status=RequestStatus.PROCESSING, detail=f"attempt {request.attempts}")


def _claim_commit(
    request: ShopperRequest, now: datetime, settle_seconds: float, session_id: str, refund_due: Decimal | None
) -> None:
    """Mark orderEditCommit as sent, atomically, so that two runs of one edit never both send it."""
    edit = _details(request)
    if edit.committed_at is not None:
        raise CommitAlreadySentError(request.id)
    if edit.commit_sent_at is not None and (now - edit.commit_sent_at).total_seconds() < settle_seconds:
        raise CommitAlreadySentError(request.id)
    edit.commit_sent_at = now
    edit.session_id = session_id
    edit.refund_due = refund_due
    request.edit = edit
    request.record(now, "commit_sent", detail=session_id)


def _release_commit(request: ShopperRequest, now: datetime) -> None:
    edit = _details(request)
    edit.commit_sent_at = None
    request.edit = edit
    request.record(now, "commit_not_sent")


def _committed(request: ShopperRequest, now: datetime, detail: str) -> None:
    edit = _details(request)
    if edit.committed_at is None:
        edit.committed_at = now
        request.edit = edit
        request.record(now, "committed", detail=detail)


def _refunded(request: ShopperRequest, now: datetime, refund_id: str, amount: Decimal) -> None:
    edit = _details(request)
    edit.refund_id = refund_id
    edit.refunded_amount = amount
    request.edit = edit
    request.record(now, "refunded", detail=f"{amount} {request.currency_code or ''}".strip())


def _address_updated(request: ShopperRequest, now: datetime) -> None:
    edit = _details(request)
    edit.address_updated_at = now
    request.edit = edit
    request.record(now, "address_updated")


def _refused(
    ctx: JobContext, request_id: str, errors: list[UserError], code: str = "outcome.edit_refused.reason"
) -> dict[str, Any]:
    shopify_message = "; ".join(error.message for error in errors) or "Shopify did not start an edit"
    words = ADDRESS_REFUSED if code == "outcome.edit_address_refused.reason" else "The shop could not change this order"
    return _finish(
        ctx,
        request_id,
        RequestStatus.FAILED,
        f"{words}: {shopify_message}",
        code,
        message_detail=shopify_message,
        error=shopify_message,
    )


def _refund_failed(ctx: JobContext, request_id: str, error: str) -> dict[str, Any]:
    log.warning("edit refund failed: %s", error, extra={"request_id": request_id})
    _update(ctx, request_id, lambda r: r.record(ctx.clock(), "refund_failed", detail=error))
    return _finish(
        ctx, request_id, RequestStatus.FAILED, REFUND_FAILED_MESSAGE, "outcome.edit_refund_failed", error=error
    )


def _finish(
    ctx: JobContext,
    request_id: str,
    status: RequestStatus,
    message: str | None,
    code: str | None,
    *,
    message_detail: str | None = None,
    detail: str | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    def change(request: ShopperRequest) -> None:
        if request.status.is_final:
            return
        request.tell(message, code, message_detail)
        if error is not None:
            request.last_error = error
        request.record(ctx.clock(), status.value, status=status, detail=detail or error)

    request = _update(ctx, request_id, change)
    if status is RequestStatus.APPLIED:
        # The cached order shows the old lines until its orders/updated webhook arrives.
        ctx.store.order_facts.forget(request.shop, request.order_id)
    log.info("edit %s", status.value, extra={"request_id": request_id, "shop": request.shop})
    return _outcome(request)


def _update(ctx: JobContext, request_id: str, change: Callable[[ShopperRequest], None]) -> ShopperRequest:
    request, _ = ctx.store.requests.update(request_id, change)
    return request


def _outcome(request: ShopperRequest) -> dict[str, Any]:
    return {"request_id": request.id, "status": request.status.value}


def record_edit_failure(ctx: JobContext, request_id: str, error: str, will_retry: bool) -> None:
    """The edit job raised: record the error; when RQ has no retries left, the edit ends ``failed``."""
    record_job_failure(ctx, request_id, error, will_retry, message=UNREACHABLE_MESSAGE, code="outcome.edit_unreachable")
