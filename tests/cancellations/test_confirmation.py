"""The looks at a sent orderCancel: scheduled jobs, each one read of Shopify's Job and the order, never a sleep."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rq.registry import ScheduledJobRegistry

from storefront_proxy.cancellations import execution
from storefront_proxy.cancellations.enqueue import confirm_job_id
from storefront_proxy.cancellations.records import RequestStatus
from storefront_proxy.job_context import JobContext
from storefront_proxy.job_queue import make_queue, shop_queue
from storefront_proxy.policy.model import Policy
from storefront_proxy.shopify.errors import ShopifyTransientError
from storefront_proxy.shopify.models import CancelJob, OrderCancellation
from storefront_proxy.store import Store
from tests.factories import cancellation_request

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
SHOP = "a.myshopify.com"


class ShopifyStandIn:
    """What a look asks Shopify: the Job and the order's cancelledAt (and the tag once cancelled)."""

    def __init__(self, *, job_done: bool | None, cancelled: bool, error: Exception | None = None) -> None:
        self.job_done, self.cancelled, self.error = job_done, cancelled, error
        self.calls: list[str] = []

    def __enter__(self) -> ShopifyStandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def get_job(self, job_id: str) -> CancelJob | None:
        self.calls.append("get_job")
        if self.error is not None:
            raise self.error
        return None if self.job_done is None else CancelJob(id=job_id, done=self.job_done)

    def get_order_cancellation(self, order_id: int) -> OrderCancellation:
        self.calls.append("get_order_cancellation")
        return OrderCancellation(id=f"gid://shopify/Order/{order_id}", cancelled_at=NOW if self.cancelled else None)

    def add_order_tags(self, order_id: int, tags: list[str]) -> list:
        self.calls.append("add_order_tags")
        return []


@pytest.fixture
def ctx(settings, redis_conn) -> JobContext:
    quick = settings.model_copy(update={"cancel_job_max_polls": 3, "cancel_retry_intervals": [5, 15]})
    return JobContext(quick, Store(redis_conn), lambda: NOW, lambda seconds: pytest.fail("a look never sleeps"))


def sent(ctx: JobContext, status: RequestStatus = RequestStatus.PROCESSING):
    request = cancellation_request(
        now=NOW, shop=SHOP, status=status, cancel_sent_at=NOW, shopify_job_id="gid://shopify/Job/1"
    )
    ctx.store.requests.create(request)
    return request


def with_shopify(ctx: JobContext, monkeypatch, stand_in: ShopifyStandIn) -> ShopifyStandIn:
    monkeypatch.setattr(JobContext, "shopify", lambda self, shop: stand_in)
    return stand_in


def scheduled(ctx: JobContext) -> list[str]:
    return ScheduledJobRegistry(queue=shop_queue(make_queue(ctx.store.redis), SHOP)).get_job_ids()


def test_a_job_still_running_schedules_the_next_look(ctx, monkeypatch):
    request = sent(ctx)
    shopify = with_shopify(ctx, monkeypatch, ShopifyStandIn(job_done=False, cancelled=False))
    assert execution.confirm_cancellation(ctx, request.id, 1)["status"] == "processing"
    assert shopify.calls == ["get_job", "get_order_cancellation"]
    assert scheduled(ctx) == [confirm_job_id(request.id, 2, "gid://shopify/Job/1")]


def test_a_look_that_finds_the_order_cancelled_ends_the_request_and_tags_it(ctx, monkeypatch):
    ctx.store.policies.save(SHOP, Policy(cancelled_order_tag="self-service"))
    request = sent(ctx)
    shopify = with_shopify(ctx, monkeypatch, ShopifyStandIn(job_done=True, cancelled=True))
    assert execution.confirm_cancellation(ctx, request.id, 1)["status"] == "cancelled"
    assert shopify.calls == ["get_job", "get_order_cancellation", "add_order_tags"]
    assert scheduled(ctx) == []


def test_a_job_done_without_cancelling_the_order_fails_as_the_shops_refusal(ctx, monkeypatch):
    request = sent(ctx)
    with_shopify(ctx, monkeypatch, ShopifyStandIn(job_done=True, cancelled=False))
    assert execution.confirm_cancellation(ctx, request.id, 1)["status"] == "failed"
    assert ctx.store.requests.get(request.id).message_code == "outcome.shop_refused"


def test_shopify_unreachable_during_a_look_looks_again_later(ctx, monkeypatch):
    request = sent(ctx)
    with_shopify(ctx, monkeypatch, ShopifyStandIn(job_done=False, cancelled=False, error=ShopifyTransientError("503")))
    assert execution.confirm_cancellation(ctx, request.id, 2)["status"] == "processing"
    assert scheduled(ctx) == [confirm_job_id(request.id, 3, "gid://shopify/Job/1")]


def test_the_last_look_without_an_answer_leaves_the_request_to_support(ctx, monkeypatch):
    request = sent(ctx)
    with_shopify(ctx, monkeypatch, ShopifyStandIn(job_done=False, cancelled=False))
    looks = len(execution.confirmation_delays(ctx))
    assert looks == 3 + 2, "the quick looks, then the retry schedule's"
    assert execution.confirm_cancellation(ctx, request.id, looks)["status"] == "failed"
    assert ctx.store.requests.get(request.id).message_code == "outcome.unreachable"
    assert scheduled(ctx) == []


def test_after_the_orders_cancelled_webhook_a_look_only_tags_the_order_once(ctx, monkeypatch):
    ctx.store.policies.save(SHOP, Policy(cancelled_order_tag="self-service"))
    request = sent(ctx, RequestStatus.CANCELLED)
    shopify = with_shopify(ctx, monkeypatch, ShopifyStandIn(job_done=True, cancelled=True))
    execution.confirm_cancellation(ctx, request.id, 1)
    execution.confirm_cancellation(ctx, request.id, 2)
    assert shopify.calls == ["add_order_tags"]


def test_the_quick_looks_grow_to_the_longest_poll_interval(ctx):
    assert execution.confirmation_delays(ctx) == pytest.approx([0.5, 0.8, 1.28, 5.0, 15.0])


def test_looks_at_an_earlier_ordercancel_stop_once_support_sent_another(ctx, monkeypatch):
    request = sent(ctx)
    shopify = with_shopify(ctx, monkeypatch, ShopifyStandIn(job_done=False, cancelled=False))
    outcome = execution.confirm_cancellation(ctx, request.id, 4, "gid://shopify/Job/0")
    assert outcome["status"] == "superseded" and shopify.calls == [] and scheduled(ctx) == []


def test_a_look_never_overwrites_what_the_webhook_decided_meanwhile(ctx, monkeypatch):
    request = sent(ctx)

    class CancelledMeanwhile(ShopifyStandIn):
        def get_order_cancellation(self, order_id: int) -> OrderCancellation:
            ctx.store.requests.update(
                request.id, lambda r: r.record(NOW, "cancelled_in_shopify", status=RequestStatus.CANCELLED)
            )
            return super().get_order_cancellation(order_id)

    with_shopify(ctx, monkeypatch, CancelledMeanwhile(job_done=True, cancelled=False))
    execution.confirm_cancellation(ctx, request.id, 1)
    assert ctx.store.requests.get(request.id).status is RequestStatus.CANCELLED
