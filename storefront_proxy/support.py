"""Use cases of the merchant's support staff: the review queue and the shop's policy. No Flask, no HTTP.

Every change is audited: who, when, what it was before and after. Requests are always looked up within the
caller's shop, so one shop's staff can never see or touch another shop's requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rq import Queue

from storefront_proxy.holds import policy_moves_holds, retry_hold
from storefront_proxy.policy import AutoReviewAction, Policy
from storefront_proxy.queue import enqueue_cancellation, enqueue_hold_reschedule
from storefront_proxy.records import CancellationRequest, FulfillmentHoldRecord, Note, RequestStatus
from storefront_proxy.store import Store
from storefront_proxy.text import strip_text

PAGE_SIZE = 25
REJECT_MESSAGE_MAX = 500
NOTE_TEXT_MAX = 2000
# Who the audit log and the timeline name when the policy's automatic review acts.
AUTO_REVIEW_ACTOR = "auto-review"


def _whole_numbers(value: Any) -> Any:
    """``value`` with every float that is a whole number (JSON's 60.0) made an int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


class SupportError(Exception):
    """Base of the support use-case errors."""


class RequestNotFoundError(SupportError):
    """No such request in this shop."""


class WrongStatusError(SupportError):
    """The action does not apply to a request in its current status."""

    def __init__(self, action: str, status: RequestStatus) -> None:
        super().__init__(f"cannot {action} a request that is {status.value}")
        self.action = action
        self.status = status


class InvalidActionError(SupportError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RequestPage:
    requests: list[CancellationRequest]
    page: int
    pages: int
    total: int


class Support:
    """The support queue and policy of the shops whose staff call it."""

    def __init__(
        self,
        store: Store,
        queue: Queue,
        clock: Callable[[], datetime],
        retry_intervals: list[int],
        hold_retry_intervals: list[int] | None = None,
    ) -> None:
        self.store = store
        self.queue = queue
        self.clock = clock
        self.retry_intervals = retry_intervals
        self.hold_retry_intervals = hold_retry_intervals or retry_intervals

    # -- fulfillment holds ----------------------------------------------------------------------------

    def holds(self, shop: str, status: str | None = None) -> list[FulfillmentHoldRecord]:
        """The shop's cancel-window holds, newest first; failed ones need support."""
        return [hold for hold in self.store.shop_holds(shop) if status is None or hold.status.value == status]

    def retry_hold(self, shop: str, order_id: int, actor: str) -> FulfillmentHoldRecord:
        """Run a failed hold's failed step again (KeyError when the order has no hold; HoldNotFailedError)."""
        record = retry_hold(self.store, self.queue, self.clock(), self.hold_retry_intervals, shop, order_id, actor)
        self._audit(shop, actor, "hold.retry", str(order_id), {"status": "failed"}, {"status": record.status.value})
        return record

    # -- policy ---------------------------------------------------------------------------------------

    def policy(self, shop: str) -> Policy:
        return self.store.get_policy(shop)

    def change_policy(self, shop: str, actor: str, values: dict[str, Any]) -> Policy:
        """Validate and store a new policy (raises pydantic's ValidationError), auditing before and after."""
        before = self.store.get_policy(shop)
        # Strict, as JSON: `0` is not a boolean nor "60" a number of minutes (openapi.yaml's types), where
        # pydantic's lax mode would take them; but 60.0 is the integer 60 to JSON Schema, so it is to us.
        after = Policy.model_validate_json(json.dumps(_whole_numbers(values)), strict=True)
        self.store.save_policy(shop, after)
        self._audit(shop, actor, "policy.update", None, before.model_dump(mode="json"), after.model_dump(mode="json"))
        if policy_moves_holds(before, after):
            # Holds already placed follow the new window: released now when turned off, moved when it changed.
            enqueue_hold_reschedule(self.queue, shop)
        return after

    # -- the queue ------------------------------------------------------------------------------------

    def list_requests(
        self, shop: str, status: str | None = None, query: str | None = None, page: int = 1
    ) -> RequestPage:
        """The shop's requests, newest first, filtered by status and by order name or customer e-mail."""
        needle = (query or "").strip().casefold()
        matching = []
        for request in self.store.shop_requests(shop):
            if status and request.status.value != status:
                continue
            if (
                needle
                and needle not in request.order_name.casefold()
                and needle not in (request.customer_email or "").casefold()
            ):
                continue
            matching.append(request)
        pages = max(1, -(-len(matching) // PAGE_SIZE))
        page = min(max(page, 1), pages)
        return RequestPage(matching[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, pages, len(matching))

    def get_request(self, shop: str, request_id: str) -> CancellationRequest:
        request = self.store.get_request(request_id)
        # Another shop's request answers exactly like a missing one.
        if request is None or request.shop != shop:
            raise RequestNotFoundError(request_id)
        return request

    def approve(self, shop: str, request_id: str, actor: str) -> CancellationRequest:
        """Hand a request waiting for review to the worker."""
        return self._dispatch(shop, request_id, actor, "approve", {RequestStatus.PENDING_REVIEW})

    def retry(self, shop: str, request_id: str, actor: str) -> CancellationRequest:
        """Hand a failed request to the worker again."""
        return self._dispatch(shop, request_id, actor, "retry", {RequestStatus.FAILED})

    def reject(self, shop: str, request_id: str, actor: str, message: str) -> CancellationRequest:
        """End a request the shop will not carry out; the shopper sees ``message`` on the cancel page."""
        allowed = {RequestStatus.PENDING_REVIEW, RequestStatus.QUEUED, RequestStatus.FAILED}
        return self._reject(shop, request_id, actor, message, allowed)

    def auto_review(
        self, shop: str, request_id: str, action: AutoReviewAction, message: str | None
    ) -> CancellationRequest:
        """The policy's automatic approval or rejection of a request still pending review.

        Raises WrongStatusError when the request is no longer pending (staff got to it first).
        """
        pending = {RequestStatus.PENDING_REVIEW}
        if action is AutoReviewAction.APPROVE:
            return self._dispatch(shop, request_id, AUTO_REVIEW_ACTOR, "approve", pending)
        return self._reject(shop, request_id, AUTO_REVIEW_ACTOR, message or "", pending)

    def _reject(
        self, shop: str, request_id: str, actor: str, message: str, allowed: set[RequestStatus]
    ) -> CancellationRequest:
        # The length as sent (openapi.yaml's maxLength), then without the white space around it.
        if len(message or "") > REJECT_MESSAGE_MAX:
            raise InvalidActionError("message", f"The message can be at most {REJECT_MESSAGE_MAX} characters.")
        message = strip_text(message or "")
        if not message:
            raise InvalidActionError("message", "Tell the shopper why the request is rejected.")
        self.get_request(shop, request_id)
        before: dict[str, Any] = {}

        def change(request: CancellationRequest) -> None:
            if request.status not in allowed:
                raise WrongStatusError("reject", request.status)
            before["status"] = request.status.value
            request.tell(message)
            request.record(self.clock(), _event("rejected", actor), status=RequestStatus.REJECTED, detail=actor)

        updated = self.store.update_request(request_id, change)
        self._audit(shop, actor, "request.reject", request_id, before, {"status": "rejected", "message": message})
        return updated

    def add_note(self, shop: str, request_id: str, actor: str, text: str) -> CancellationRequest:
        if len(text or "") > NOTE_TEXT_MAX or not strip_text(text or ""):
            raise InvalidActionError("text", f"A note is 1 to {NOTE_TEXT_MAX} characters.")
        text = strip_text(text)
        self.get_request(shop, request_id)

        def change(request: CancellationRequest) -> None:
            request.notes.append(Note(at=self.clock(), author=actor, text=text))
            request.updated_at = self.clock()

        updated = self.store.update_request(request_id, change)
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
                    raise InvalidActionError("action", "The action must be approve or reject.")
                outcomes[request_id] = "ok"
            except RequestNotFoundError:
                outcomes[request_id] = "not_found"
            except WrongStatusError as exc:
                outcomes[request_id] = f"wrong_status:{exc.status.value}"
        return outcomes

    def audit_log(self, shop: str, limit: int = 100) -> list[dict[str, Any]]:
        return self.store.audit_entries(shop, limit)

    # -- internals ------------------------------------------------------------------------------------

    def _dispatch(
        self, shop: str, request_id: str, actor: str, action: str, allowed: set[RequestStatus]
    ) -> CancellationRequest:
        self.get_request(shop, request_id)
        before: dict[str, Any] = {}
        dispatch: dict[str, int] = {}

        def change(request: CancellationRequest) -> None:
            if request.status not in allowed:
                raise WrongStatusError(action, request.status)
            before["status"] = request.status.value
            request.dispatches += 1
            dispatch["n"] = request.dispatches
            request.tell(None)
            if action == "retry":
                # Support decided to try again: a failed attempt's orderCancel is settled, send anew.
                request.cancel_sent_at = None
                request.shopify_job_id = None
            request.record(self.clock(), _event(f"{action}d", actor), status=RequestStatus.QUEUED, detail=actor)

        def enqueue(pipe) -> None:  # type: ignore[no-untyped-def]
            enqueue_cancellation(self.queue, request_id, self.retry_intervals, pipeline=pipe, dispatch=dispatch["n"])

        updated = self.store.update_request(request_id, change, enqueue)
        self._audit(shop, actor, f"request.{action}", request_id, before, {"status": "queued"})
        return updated

    def _audit(self, shop: str, actor: str, action: str, subject: str | None, before: Any, after: Any) -> None:
        self.store.add_audit_entry(
            shop,
            {
                "at": self.clock().isoformat(),
                "actor": actor,
                "action": action,
                "subject": subject,
                "before": before,
                "after": after,
            },
        )

    # -- reports --------------------------------------------------------------------------------------

    def all_requests(self, shop: str, status: str | None = None, query: str | None = None) -> list[CancellationRequest]:
        """Every request of the shop matching ``list_requests``' filters, newest first, unpaged (CSV, insights)."""
        needle = (query or "").strip().casefold()
        return [
            request
            for request in self.store.shop_requests(shop)
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
