"""Pieces of the worker's jobs that need no Shopify: the staff note, the refund method, the automatic review
and the cancelled-order tag (with a stand-in client)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from storefront_proxy.cancellations.execution import _refund_method, _tag_cancelled_order, staff_note
from storefront_proxy.cancellations.records import RequestStatus, ShopperRequest
from storefront_proxy.cancellations.review import AUTO_REVIEW_ACTOR, Review, run_auto_review
from storefront_proxy.job_context import JobContext
from storefront_proxy.job_queue import make_queue
from storefront_proxy.policy.model import Policy, RefundMethod, ReviewMode
from storefront_proxy.shopify.errors import ShopifyTransientError
from storefront_proxy.shopify.models import UserError
from storefront_proxy.store import Store
from tests.factories import cancel_job_ids as shop_cancel_job_ids
from tests.factories import cancellation_request

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def request(note: str | None) -> ShopperRequest:
    return cancellation_request(
        now=NOW, id="ccr_1", shop="a.myshopify.com", order_id=1, order_name="#1", reason="other", note=note
    )


def test_staff_note_records_reason_and_note():
    assert staff_note(request("Wrong\nsize"), "Something else") == (
        "Cancelled by the customer (self-service). Reason: Something else. Note: Wrong size"
    )


def test_staff_note_fits_shopifys_255_characters():
    note = staff_note(request("x" * 500), "Something else")
    assert len(note) == 255 and note.endswith("…")


def test_refund_methods_map_to_the_oneof_input():
    assert _refund_method(RefundMethod.ORIGINAL_PAYMENT) == {"originalPaymentMethodsRefund": True}
    assert _refund_method(RefundMethod.STORE_CREDIT) == {"storeCreditRefund": {}}
    assert _refund_method(RefundMethod.NONE) == {"originalPaymentMethodsRefund": False}


# -- automatic review and the cancelled-order tag (real Redis, no Shopify) --------------------------------

SHOP = "a.myshopify.com"


@pytest.fixture
def ctx(settings, redis_conn) -> JobContext:
    return JobContext(settings, Store(redis_conn), lambda: NOW, lambda seconds: None)


@pytest.fixture
def support(ctx) -> Review:
    return Review(ctx.store, make_queue(ctx.store.redis), ctx.clock, [1])


def stored(ctx: JobContext, status: RequestStatus = RequestStatus.PENDING_REVIEW, **fields) -> ShopperRequest:
    item = request(None).model_copy(update={"id": f"ccr_{time.monotonic_ns()}", "status": status, **fields})
    ctx.store.requests.create(item)
    return item


def cancel_job_ids(ctx: JobContext) -> list[str]:
    return shop_cancel_job_ids(ctx.store.redis, SHOP)


def test_auto_review_approves_a_pending_request_and_audits_it(ctx, support):
    ctx.store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL, auto_review_after_hours=2))
    item = stored(ctx)
    outcome = run_auto_review(ctx.store, support, item.id)
    assert outcome == {"request_id": item.id, "status": "queued", "action": "approve"}
    assert cancel_job_ids(ctx) == [f"cancel-{item.id}"]
    events = ctx.store.requests.get(item.id).events
    assert (events[-1].type, events[-1].detail) == ("approved_automatically", AUTO_REVIEW_ACTOR)
    [entry] = ctx.store.audit.entries(SHOP)
    assert (entry["actor"], entry["action"], entry["subject"]) == ("auto-review", "request.approve", item.id)


def test_auto_review_rejects_with_the_policys_message(ctx, support):
    policy = Policy(auto_review_after_hours=2, auto_review_action="reject", auto_reject_message="Too late to review.")
    ctx.store.policies.save(SHOP, policy)
    item = stored(ctx)
    assert run_auto_review(ctx.store, support, item.id)["status"] == "rejected"
    after = ctx.store.requests.get(item.id)
    assert after.message == "Too late to review." and after.events[-1].type == "rejected_automatically"
    assert ctx.store.audit.entries(SHOP)[0]["actor"] == "auto-review"
    assert cancel_job_ids(ctx) == []


@pytest.mark.parametrize("status", [RequestStatus.QUEUED, RequestStatus.REJECTED, RequestStatus.CANCELLED])
def test_auto_review_does_nothing_once_the_request_is_no_longer_pending(ctx, support, status):
    ctx.store.policies.save(
        SHOP, Policy(auto_review_after_hours=2, auto_review_action="reject", auto_reject_message="x")
    )
    item = stored(ctx, status)
    assert run_auto_review(ctx.store, support, item.id) == {
        "request_id": item.id,
        "status": status.value,
        "action": None,
    }
    assert ctx.store.requests.get(item.id).events == item.events
    assert ctx.store.audit.entries(SHOP) == []


def test_auto_review_does_nothing_when_the_merchant_turned_it_off(ctx, support):
    ctx.store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL))
    item = stored(ctx)
    assert run_auto_review(ctx.store, support, item.id)["action"] is None
    assert ctx.store.requests.get(item.id).status is RequestStatus.PENDING_REVIEW
    assert run_auto_review(ctx.store, support, "ccr_missing")["status"] == "missing"


class TaggingClient:
    """Stands in for ShopifyClient.add_order_tags."""

    def __init__(self, answer: list[UserError] | Exception) -> None:
        self.answer = answer
        self.calls: list[tuple[int, list[str]]] = []

    def add_order_tags(self, order_id: int, tags: list[str]) -> list[UserError]:
        self.calls.append((order_id, tags))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_cancelled_order_gets_the_policys_tag(ctx):
    ctx.store.policies.save(SHOP, Policy(cancelled_order_tag="self-service"))
    item = stored(ctx, RequestStatus.CANCELLED, cancel_sent_at=NOW)
    client = TaggingClient([])
    _tag_cancelled_order(ctx, client, item.id)  # type: ignore[arg-type]
    assert client.calls == [(1, ["self-service"])]
    assert ctx.store.requests.get(item.id).events[-1].type == "tagged"


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        ([UserError(message="Tags are invalid")], "self-service: Tags are invalid"),
        (ShopifyTransientError("Shopify answered HTTP 503"), "self-service: ShopifyTransientError: Shopify answered"),
    ],
)
def test_a_tagging_error_is_noted_on_the_timeline_and_the_request_stays_cancelled(ctx, answer, detail):
    ctx.store.policies.save(SHOP, Policy(cancelled_order_tag="self-service"))
    item = stored(ctx, RequestStatus.CANCELLED, cancel_sent_at=NOW)
    _tag_cancelled_order(ctx, TaggingClient(answer), item.id)  # type: ignore[arg-type]
    after = ctx.store.requests.get(item.id)
    assert after.status is RequestStatus.CANCELLED
    assert after.events[-1].type == "tag_failed" and after.events[-1].detail.startswith(detail)


def test_no_tag_without_the_setting_or_for_an_order_we_did_not_cancel(ctx):
    item = stored(ctx, RequestStatus.CANCELLED, cancel_sent_at=NOW)
    client = TaggingClient([])
    _tag_cancelled_order(ctx, client, item.id)  # type: ignore[arg-type]
    ctx.store.policies.save(SHOP, Policy(cancelled_order_tag="self-service"))
    staff_cancelled = stored(ctx, RequestStatus.CANCELLED)  # found cancelled before orderCancel was sent
    _tag_cancelled_order(ctx, client, staff_cancelled.id)  # type: ignore[arg-type]
    assert client.calls == []
