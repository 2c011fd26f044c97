"""Use cases of the merchant's support staff: the review queue of cancellation requests. No Flask, no HTTP.

Every change is audited: who, when, what it was before and after. Requests are always looked up within the
caller's shop, so one shop's staff can never see or touch another shop's requests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.client import Pipeline
from rq import Queue

from storefront_proxy.cancellations.enqueue import enqueue_cancellation
from storefront_proxy.cancellations.insights import DateRange, in_range
from storefront_proxy.cancellations.records import Event, Note, RequestKind, RequestStatus, ShopperRequest
from storefront_proxy.cancellations.repository import CANCELLATION_IN_PROGRESS, EDIT_IN_PROGRESS, OrderBusyError
from storefront_proxy.edits.enqueue import enqueue_edit
from storefront_proxy.policy.model import AutoReviewAction, Policy
from storefront_proxy.store import Store
from storefront_proxy.text import strip_text
from storefront_proxy.validation import InvalidValueError

log = logging.getLogger(__name__)

PAGE_SIZE = 25
REJECT_MESSAGE_MAX = 500
NOTE_TEXT_MAX = 2000
# Who the audit log and the timeline name when the policy's automatic review acts.
AUTO_REVIEW_ACTOR = "auto-review"
# How staff are named in the audit log, the timeline's review events and notes: ``staff:<session token sub>``.
STAFF_ACTOR_PREFIX = "staff:"
# Timeline events an order webhook records (order_events.py): Shopify acted, not the app.
SHOPIFY_EVENTS = frozenset({"cancelled_in_shopify", "rejected"})


class ReviewError(Exception):
    """Base of the review use-case errors."""


class RequestNotFoundError(ReviewError):
    """No such request in this shop."""


class WrongStatusError(ReviewError):
    """The action does not apply to a request in its current status."""

    def __init__(self, action: str, status: RequestStatus) -> None:
        super().__init__(f"cannot {action} a request that is {status.value}")
        self.action = action
        self.status = status


@dataclass(frozen=True)
class Actor:
    """Who did something to a request: ``kind`` is staff, policy (the automatic review), shopper, shopify or app;
    ``id`` the staff member's (the session token's ``sub``) or the shopper's customer id."""

    kind: str
    id: str | None = None


def actor_of(actor: str) -> Actor:
    """The actor a review action or note records (``staff:<id>``, or the automatic review)."""
    if actor == AUTO_REVIEW_ACTOR:
        return Actor("policy")
    if actor.startswith(STAFF_ACTOR_PREFIX):
        staff_id = actor.removeprefix(STAFF_ACTOR_PREFIX)
        return Actor("staff", staff_id if staff_id and staff_id != "unknown" else None)
    return Actor("app")


def event_actor(request: ShopperRequest, event: Event) -> Actor:
    """Who made a timeline event: the shopper asked, staff or the policy reviewed (their actor is the event's
    ``detail``, see ``_event``), Shopify reported through a webhook, and the app's worker did the rest."""
    if event.type == "requested":
        return Actor("shopper", str(request.customer_id))
    if event.type.endswith(("_by_staff", "_automatically")) and event.detail:
        return actor_of(event.detail)
    if event.type in SHOPIFY_EVENTS:
        return Actor("shopify")
    return Actor("app")


def is_overdue(request: ShopperRequest, policy: Policy, now: datetime) -> bool:
    """Whether the request has waited for review longer than the policy's ``review_target_hours`` (a request is
    pending review from the moment it is made until someone decides)."""
    waited = now - request.created_at
    return request.status is RequestStatus.PENDING_REVIEW and waited > timedelta(hours=policy.review_target_hours)


@dataclass(frozen=True)
class RequestPage:
    requests: list[ShopperRequest]
    page: int
    pages: int
    total: int


class Review:
    """The review queue of the shops whose staff call it."""

    def __init__(self, store: Store, queue: Queue, clock: Callable[[], datetime], retry_intervals: list[int]) -> None:
        self.store = store
        self.queue = queue
        self.clock = clock
        self.retry_intervals = retry_intervals

    # -- the queue ------------------------------------------------------------------------------------

    def list_requests(
        self,
        shop: str,
        status: str | None = None,
        query: str | None = None,
        page: int = 1,
        days: DateRange | None = None,
        kind: str | None = None,
    ) -> RequestPage:
        """The shop's requests, newest first, filtered by status, by order name or customer e-mail, by the UTC
        days they were made on and by kind (cancellation or edit)."""
        matching = self.all_requests(shop, status, query)
        if kind is not None:
            matching = [item for item in matching if item.kind.value == kind]
        if days is not None:
            matching = in_range(matching, days)
        pages = max(1, -(-len(matching) // PAGE_SIZE))
        page = min(max(page, 1), pages)
        return RequestPage(matching[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, pages, len(matching))

    def get_request(self, shop: str, request_id: str) -> ShopperRequest:
        request = self.store.requests.get(request_id)
        # Another shop's request answers exactly like a missing one.
        if request is None or request.shop != shop:
            raise RequestNotFoundError(request_id)
        return request

    def approve(self, shop: str, request_id: str, actor: str) -> ShopperRequest:
        """Hand a request waiting for review to the worker."""
        return self._dispatch(shop, request_id, actor, "approve", {RequestStatus.PENDING_REVIEW})

    def retry(self, shop: str, request_id: str, actor: str) -> ShopperRequest:
        """Hand a failed request to the worker again."""
        return self._dispatch(shop, request_id, actor, "retry", {RequestStatus.FAILED})

    def reject(self, shop: str, request_id: str, actor: str, message: str) -> ShopperRequest:
        """End a request the shop will not carry out; the shopper sees ``message`` on the cancel page."""
        allowed = {RequestStatus.PENDING_REVIEW, RequestStatus.QUEUED, RequestStatus.FAILED}
        return self._reject(shop, request_id, actor, message, allowed)

    def auto_review(self, shop: str, request_id: str, action: AutoReviewAction, message: str | None) -> ShopperRequest:
        """The policy's automatic approval or rejection of a request still pending review.

        Raises WrongStatusError when the request is no longer pending (staff got to it first).
        """
        pending = {RequestStatus.PENDING_REVIEW}
        if action is AutoReviewAction.APPROVE:
            return self._dispatch(shop, request_id, AUTO_REVIEW_ACTOR, "approve", pending)
        return self._reject(shop, request_id, AUTO_REVIEW_ACTOR, message or "", pending)

    def _reject(
        self, shop: str, request_id: str, actor: str, message: str, allowed: set[RequestStatus]
    ) -> ShopperRequest:
        # The length as sent (openapi.yaml's maxLength), then without the white space around it.
        if len(message or "") > REJECT_MESSAGE_MAX:
            raise InvalidValueError("message", f"The message can be at most {REJECT_MESSAGE_MAX} characters.")
        message = strip_text(message or "")
        if not message:
            raise InvalidValueError("message", "Tell the shopper why the request is rejected.")
        self.get_request(shop, request_id)

        def change(request: ShopperRequest) -> RequestStatus:
            """Reject; returns the status before."""
            if request.status not in allowed:
                raise WrongStatusError("reject", request.status)
            if request.edit is not None and (request.edit.commit_sent_at or request.edit.committed_at):
                # Its changes may be in Shopify already: rejecting would leave them without their refund.
                raise WrongStatusError("reject", request.status)
            before = request.status
            request.tell(message)
            request.record(self.clock(), _event("rejected", actor), status=RequestStatus.REJECTED, detail=actor)
            return before

        updated, before = self.store.requests.update(request_id, change)
        after = {"status": "rejected", "message": message}
        self._audit(shop, actor, "request.reject", request_id, {"status": before.value}, after)
        return updated

    def add_note(self, shop: str, request_id: str, actor: str, text: str) -> ShopperRequest:
        if len(text or "") > NOTE_TEXT_MAX or not strip_text(text or ""):
            raise InvalidValueError("text", f"A note is 1 to {NOTE_TEXT_MAX} characters.")
        text = strip_text(text)
        self.get_request(shop, request_id)

        def change(request: ShopperRequest) -> None:
            request.notes.append(Note(at=self.clock(), author=actor, text=text))
            request.updated_at = self.clock()

        updated, _ = self.store.requests.update(request_id, change)
        self._audit(shop, actor, "request.note", request_id, None, {"text": text})
        return updated

    def bulk(
        self, shop: str, actor: str, action: str, request_ids: list[str], message: str | None = None
    ) -> dict[str, str]:
        """Approve or reject several requests; returns each id's outcome ("ok" or why not)."""
        outcomes: dict[str, str] = {}
        for request_id in request_ids:
            try:
                if action == "approve":
                    self.approve(shop, request_id, actor)
                elif action == "reject":
                    self.reject(shop, request_id, actor, message or "")
                else:
                    raise InvalidValueError("action", "The action must be approve or reject.")
                outcomes[request_id] = "ok"
            except RequestNotFoundError:
                outcomes[request_id] = "not_found"
            except WrongStatusError as exc:
                outcomes[request_id] = f"wrong_status:{exc.status.value}"
        return outcomes

    # -- internals ------------------------------------------------------------------------------------

    def _dispatch(
        self, shop: str, request_id: str, actor: str, action: str, allowed: set[RequestStatus]
    ) -> ShopperRequest:

        def change(request: ShopperRequest) -> tuple[RequestStatus, int]:
            """Queue the request; returns its status before and the number of this hand-over to a worker."""
            if request.status not in allowed:
                raise WrongStatusError(action, request.status)
            before = request.status
            request.dispatches += 1
            request.tell(None)
            if action == "retry" and not request.is_edit:
                # Support decided to try again: a failed attempt's orderCancel is settled, send anew. (An edit keeps
                # what it got to: a commit that landed is never sent again, its refund keeps its key.)
                request.cancel_sent_at = None
                request.shopify_job_id = None
            done = "retried" if action == "retry" else "approved"
            request.record(self.clock(), _event(done, actor), status=RequestStatus.QUEUED, detail=actor)
            return before, request.dispatches

        found = self.get_request(shop, request_id)
        self._refuse_if_order_busy(found)
        hand_over = enqueue_edit if found.kind is RequestKind.EDIT else enqueue_cancellation

        def enqueue(pipe: Pipeline, changed: tuple[RequestStatus, int]) -> None:
            hand_over(self.queue, shop, request_id, self.retry_intervals, pipeline=pipe, dispatch=changed[1])

        updated, (before, _) = self.store.requests.update(request_id, change, enqueue)
        self._audit(shop, actor, f"request.{action}", request_id, {"status": before.value}, {"status": "queued"})
        return updated

    def _refuse_if_order_busy(self, request: ShopperRequest) -> None:
        """An edit and a cancellation of one order never run together: approving or retrying one waits for the
        other to finish (OrderBusyError, 409)."""
        if request.is_edit:
            other = self.store.requests.for_order(request.shop, request.order_id)
            code = CANCELLATION_IN_PROGRESS
        else:
            other = self.store.requests.latest_edit(request.shop, request.order_id)
            code = EDIT_IN_PROGRESS
        if other is not None and other.id != request.id and not other.status.is_final:
            raise OrderBusyError(code, other)

    def _audit(self, shop: str, actor: str, action: str, subject: str | None, before: Any, after: Any) -> None:
        self.store.audit.add(shop, self.clock(), actor, action, subject, before, after)

    # -- reports --------------------------------------------------------------------------------------

    def all_requests(self, shop: str, status: str | None = None, query: str | None = None) -> list[ShopperRequest]:
        """Every request of the shop with the status and whose order name or customer e-mail holds ``query``, newest
        first, unpaged (the list pages it; CSV, insights)."""
        needle = (query or "").strip().casefold()
        return [
            request
            for request in self.store.requests.of_shop(shop)
            if (not status or request.status.value == status)
            and (
                not needle
                or needle in request.order_name.casefold()
                or needle in (request.customer_email or "").casefold()
            )
        ]


def _event(done: str, actor: str) -> str:
    """The timeline event of a review action: ``approved_by_staff``, or ``approved_automatically`` by the policy."""
    return f"{done}_automatically" if actor == AUTO_REVIEW_ACTOR else f"{done}_by_staff"


def run_auto_review(store: Store, review: Review, request_id: str) -> dict[str, Any]:
    """The scheduled automatic review of a request: does nothing unless it is still pending review and the
    policy still reviews automatically."""
    request = store.requests.get(request_id)
    if request is None or request.status is not RequestStatus.PENDING_REVIEW:
        return {"request_id": request_id, "status": request.status.value if request else "missing", "action": None}
    policy = store.policies.get(request.shop)
    if policy.auto_review_after_hours is None:
        # The merchant turned automatic review off after the request was made: a person decides.
        return {"request_id": request_id, "status": request.status.value, "action": None}
    try:
        reviewed = review.auto_review(request.shop, request_id, policy.auto_review_action, policy.auto_reject_message)
    except (ReviewError, InvalidValueError) as exc:  # staff acted in the meantime, or the message cannot be sent
        log.info("automatic review skipped: %s", exc, extra={"request_id": request_id, "shop": request.shop})
        current = store.requests.get(request_id)
        return {"request_id": request_id, "status": current.status.value if current else "missing", "action": None}
    log.info(
        "request reviewed automatically: %s",
        policy.auto_review_action.value,
        extra={"request_id": request_id, "shop": request.shop},
    )
    return {"request_id": request_id, "status": reviewed.status.value, "action": policy.auto_review_action.value}
