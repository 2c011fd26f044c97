"""The cancel-window hold's jobs and webhook effects, against the devshop's Admin API (in process)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import responses
from rq import Queue

from devshop.app import create_devshop
from devshop.state import REQUESTING_APP, DevshopState
from storefront_proxy.holds import placement
from storefront_proxy.holds.placement import HOLD_HANDLE, place_hold, release_hold
from storefront_proxy.holds.records import FulfillmentHoldRecord, HoldStatus, HoldStep
from storefront_proxy.holds.rules import hold_wanted, policy_moves_holds
from storefront_proxy.holds.service import start_hold
from storefront_proxy.job_context import JobContext
from storefront_proxy.job_queue import QUEUE_NAME
from storefront_proxy.policy.model import Policy, WindowMode
from storefront_proxy.services import services_of
from tests.helpers import API_KEY, API_SECRET, SHOP, TOKEN
from workers import holds, webhooks


@pytest.fixture
def devshop(settings) -> DevshopState:
    """The devshop answering the app's Admin API calls (sent to SHOPIFY_ADMIN_ORIGIN) through `responses`."""
    shop = create_devshop(
        app_url="https://app.test", api_secret=API_SECRET, api_key=API_KEY, shop_domain=SHOP, access_token=TOKEN
    )
    client = shop.test_client()

    def forward(request):
        answer = client.post(urlsplit(request.url).path, data=request.body, headers=dict(request.headers))
        return answer.status_code, {"Content-Type": answer.content_type}, answer.get_data()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, re.compile(re.escape(settings.shopify_admin_origin) + "/.*"), forward)
        yield shop.extensions["devshop"]


@pytest.fixture
def ctx(job_context) -> JobContext:
    job_context.store.policies.save(SHOP, Policy(cancel_window_minutes=30, hold_fulfillment=True))
    return job_context


def queued(ctx: JobContext) -> list[str]:
    queue = Queue(QUEUE_NAME, connection=ctx.store.redis)
    return queue.job_ids + queue.scheduled_job_registry.get_job_ids()


def started(ctx: JobContext, devshop: DevshopState, **order) -> int:
    order_id = devshop.create_order(**order)
    assert webhooks.handle_webhook("orders/create", SHOP, {"id": order_id, "name": "#1001"})["effect"] == "hold_queued"
    return order_id


def test_the_policy_field_needs_a_window_with_an_end():
    assert hold_wanted(Policy(hold_fulfillment=True))
    assert not hold_wanted(Policy(hold_fulfillment=True, enabled=False))
    assert not hold_wanted(Policy())
    with pytest.raises(ValueError, match="window in minutes"):
        Policy(window_mode=WindowMode.UNTIL_FULFILLMENT, hold_fulfillment=True)


def test_orders_create_records_one_hold_and_one_job_however_often_it_arrives(ctx, devshop):
    order_id = started(ctx, devshop)
    again = webhooks.handle_webhook("orders/create", SHOP, {"id": order_id})
    assert again["effect"] == "hold_exists"
    assert queued(ctx) == [f"hold-place-{SHOP.replace('.', '_')}-{order_id}-1"]
    assert ctx.store.holds.get(SHOP, order_id).status is HoldStatus.PLACING


def test_no_hold_when_the_shop_does_not_want_one(ctx, devshop):
    ctx.store.policies.save(SHOP, Policy())
    order_id = devshop.create_order()
    assert webhooks.handle_webhook("orders/create", SHOP, {"id": order_id})["effect"] == "hold_not_wanted"
    assert ctx.store.holds.get(SHOP, order_id) is None and queued(ctx) == []


def test_placing_holds_the_order_and_schedules_the_release_at_the_window_end(ctx, devshop):
    order_id = started(ctx, devshop, age_minutes=10)
    assert place_hold(ctx, SHOP, order_id)["status"] == "held"
    record = ctx.store.holds.get(SHOP, order_id)
    order = devshop.get_order(order_id)
    [hold] = order.fulfillment_orders[0].holds
    assert (hold.held_by, hold.handle, hold.reason) == (REQUESTING_APP, HOLD_HANDLE, "OTHER")
    assert [(h.fulfillment_order_id, h.hold_id) for h in record.holds] == [(order.fulfillment_orders[0].gid, hold.gid)]
    window_end = datetime.fromtimestamp(order.created_at, UTC) + timedelta(minutes=30)
    assert abs(record.release_at - window_end) < timedelta(seconds=1)  # Shopify's times have whole seconds
    assert record.step is HoldStep.RELEASE
    scheduled = Queue(QUEUE_NAME, connection=ctx.store.redis).scheduled_job_registry
    release_id = f"hold-release-{SHOP.replace('.', '_')}-{order_id}-1"
    assert scheduled.get_job_ids() == [release_id]
    due = datetime.fromtimestamp(ctx.store.redis.zscore(scheduled.key, release_id), UTC)
    assert abs(due - record.release_at) < timedelta(seconds=1)


def test_a_hold_placed_by_an_earlier_run_is_reused_not_doubled(ctx, devshop):
    order_id = started(ctx, devshop)
    gid = devshop.get_order(order_id).fulfillment_orders[0].gid
    earlier, _ = devshop.hold_fulfillment_order(gid, reason="OTHER", handle=HOLD_HANDLE)
    place_hold(ctx, SHOP, order_id)
    assert [h.hold_id for h in ctx.store.holds.get(SHOP, order_id).holds] == [earlier.gid]
    assert devshop.calls_for("HoldFulfillmentOrder") == []


@pytest.mark.parametrize(
    ("setup", "detail"),
    [
        (lambda shop, order_id: shop.staff_cancel(order_id), "the order is cancelled"),
        (lambda shop, order_id: shop.orders.pop(order_id), "the order was not found"),
    ],
)
def test_nothing_is_held_for_a_cancelled_or_missing_order(ctx, devshop, setup, detail):
    order_id = started(ctx, devshop)
    setup(devshop, order_id)
    assert place_hold(ctx, SHOP, order_id)["status"] == "not_needed"
    assert ctx.store.holds.get(SHOP, order_id).events[-1].detail == detail


def test_nothing_is_held_once_the_window_has_closed(ctx, devshop):
    order_id = started(ctx, devshop, age_minutes=31)
    assert place_hold(ctx, SHOP, order_id)["status"] == "not_needed"
    assert devshop.calls_for("HoldFulfillmentOrder") == []


def test_release_names_only_the_apps_hold_and_leaves_the_merchants(ctx, devshop):
    order_id = started(ctx, devshop)
    place_hold(ctx, SHOP, order_id)
    gid = devshop.get_order(order_id).fulfillment_orders[0].gid
    merchant, _ = devshop.hold_fulfillment_order(gid, reason="INCORRECT_ADDRESS", held_by="merchant")
    assert release_hold(ctx, SHOP, order_id, 1)["status"] == "released"
    [call] = devshop.calls_for("ReleaseFulfillmentHold")
    assert call.variables["holdIds"] == [ctx.store.holds.get(SHOP, order_id).holds[0].hold_id]
    assert [h.gid for h in devshop.get_order(order_id).fulfillment_orders[0].holds] == [merchant.gid]


def test_a_hold_the_merchant_released_already_counts_as_released(ctx, devshop):
    order_id = started(ctx, devshop)
    place_hold(ctx, SHOP, order_id)
    gid = devshop.get_order(order_id).fulfillment_orders[0].gid
    devshop.release_fulfillment_holds(gid, None, released_by="merchant")
    assert release_hold(ctx, SHOP, order_id, 1)["status"] == "released"
    assert devshop.calls_for("ReleaseFulfillmentHold") == []


def test_orders_cancelled_needs_no_release(ctx, devshop):
    order_id = started(ctx, devshop)
    place_hold(ctx, SHOP, order_id)
    devshop.staff_cancel(order_id)
    webhooks.handle_webhook("orders/cancelled", SHOP, {"id": order_id, "cancelled_at": "2026-11-22T10:00:00Z"})
    assert ctx.store.holds.get(SHOP, order_id).status is HoldStatus.CANCELLED
    assert release_hold(ctx, SHOP, order_id, 1)["status"] == "cancelled"
    assert devshop.calls_for("ReleaseFulfillmentHold") == []


def test_the_failure_callback_counts_retries_then_fails_for_support(ctx, devshop):
    order_id = started(ctx, devshop)

    class FakeJob:
        args = (SHOP, order_id)
        retries_left = 1

    holds.on_hold_failure(FakeJob(), None, RuntimeError, RuntimeError("boom"), None)
    record = ctx.store.holds.get(SHOP, order_id)
    assert (record.status, record.attempts, record.events[-1].type) == (HoldStatus.PLACING, 1, "retry_scheduled")
    FakeJob.retries_left = 0
    holds.on_hold_failure(FakeJob(), None, RuntimeError, RuntimeError("boom"), None)
    record = ctx.store.holds.get(SHOP, order_id)
    assert record.status is HoldStatus.FAILED and record.last_error == "RuntimeError: boom"


def test_start_hold_is_a_no_op_for_a_shop_without_the_policy(ctx):
    ctx.store.policies.save(SHOP, Policy(hold_fulfillment=False))
    queue = Queue(QUEUE_NAME, connection=ctx.store.redis)
    assert start_hold(ctx.store, queue, datetime.now(UTC), [1], SHOP, 1, None) == "hold_not_wanted"


def test_order_webhooks_refresh_the_requests_order_details_newest_first(ctx, app):
    from tests.factories import stored_request

    request = stored_request(services_of(app).store, order_id=4242)
    newer = {"id": 4242, "name": "#R-1", "email": "new@example.com", "updated_at": "2026-11-22T10:00:00Z"}
    older = {"id": 4242, "name": "#OLD", "email": "old@example.com", "updated_at": "2026-11-22T09:00:00Z"}
    webhooks.handle_webhook("orders/updated", SHOP, newer)
    webhooks.handle_webhook("orders/updated", SHOP, older)
    stored = ctx.store.requests.get(request.id)
    assert (stored.order_name, stored.customer_email) == ("#R-1", "new@example.com")


def test_hold_records_round_trip(ctx):
    now = datetime.now(UTC)
    record = FulfillmentHoldRecord(shop=SHOP, order_id=1, status=HoldStatus.HELD, created_at=now, updated_at=now)
    assert ctx.store.holds.create(record) and not ctx.store.holds.create(record)
    assert [h.order_id for h in ctx.store.holds.of_shop(SHOP)] == [1]
    ctx.store.holds.delete_shop(SHOP)
    assert ctx.store.holds.get(SHOP, 1) is None and ctx.store.holds.of_shop(SHOP) == []


# -- a policy change moves holds already placed ------------------------------------------------------------------


def test_which_policy_changes_move_placed_holds():
    on = Policy(cancel_window_minutes=30, hold_fulfillment=True)
    assert policy_moves_holds(on, on.model_copy(update={"cancel_window_minutes": 15}))
    assert policy_moves_holds(on, on.model_copy(update={"hold_fulfillment": False}))
    assert policy_moves_holds(on, on.model_copy(update={"enabled": False}))
    assert policy_moves_holds(Policy(), on)
    assert not policy_moves_holds(on, on.model_copy(update={"restock": not on.restock}))
    assert not policy_moves_holds(Policy(), Policy(cancel_window_minutes=5))


def release_due_at(ctx: JobContext, order_id: int, number: int) -> datetime:
    scheduled = Queue(QUEUE_NAME, connection=ctx.store.redis).scheduled_job_registry
    job_id = f"hold-release-{SHOP.replace('.', '_')}-{order_id}-{number}"
    return datetime.fromtimestamp(ctx.store.redis.zscore(scheduled.key, job_id), UTC)


def test_a_shorter_window_moves_the_release_earlier_and_supersedes_the_old_one(ctx, devshop, app):
    order_id = started(ctx, devshop, age_minutes=10)
    place_hold(ctx, SHOP, order_id)
    created = datetime.fromtimestamp(devshop.get_order(order_id).created_at, UTC)
    services_of(app).policies.change(SHOP, "staff:ada", {"cancel_window_minutes": 15, "hold_fulfillment": True})
    queue = Queue(QUEUE_NAME, connection=ctx.store.redis)
    assert [queue.fetch_job(job_id).func_name for job_id in queue.job_ids] == [
        "workers.holds.place_fulfillment_hold",
        "workers.holds.reschedule_fulfillment_holds",
    ]

    assert placement.reschedule_holds(ctx, SHOP) == {"shop": SHOP, "moved": 1}
    record = ctx.store.holds.get(SHOP, order_id)
    assert abs(record.release_at - (created + timedelta(minutes=15))) < timedelta(seconds=1)
    assert (record.releases_scheduled, record.events[-1].type) == (2, "rescheduled")
    assert abs(release_due_at(ctx, order_id, 2) - record.release_at) < timedelta(seconds=1)
    # Running it again changes nothing; the first scheduled release, when its time comes, does nothing.
    assert placement.reschedule_holds(ctx, SHOP)["moved"] == 0
    assert release_hold(ctx, SHOP, order_id, 1)["superseded"] is True
    assert devshop.calls_for("ReleaseFulfillmentHold") == []
    assert release_hold(ctx, SHOP, order_id, 2)["status"] == "released"


def test_turning_the_hold_off_releases_now_even_with_a_request_under_review(ctx, devshop, app):
    from tests.factories import stored_request

    order_id = started(ctx, devshop, age_minutes=1)
    place_hold(ctx, SHOP, order_id)
    stored_request(ctx.store, order_id=order_id)
    services_of(app).policies.change(SHOP, "staff:ada", {"cancel_window_minutes": 30})
    before = datetime.now(UTC)
    assert placement.reschedule_holds(ctx, SHOP)["moved"] == 1
    record = ctx.store.holds.get(SHOP, order_id)
    assert before - timedelta(seconds=1) <= record.release_at <= datetime.now(UTC)
    assert "turned the hold off" in record.events[-1].detail
    assert release_hold(ctx, SHOP, order_id, 2)["status"] == "released"
    assert ctx.store.holds.get(SHOP, order_id).events[-1].detail == "the shop turned the hold off"
    assert devshop.get_order(order_id).fulfillment_orders[0].holds == []


def test_a_longer_window_keeps_holding_past_the_old_end(ctx, devshop, app):
    order_id = started(ctx, devshop, age_minutes=10)
    place_hold(ctx, SHOP, order_id)
    first = ctx.store.holds.get(SHOP, order_id).release_at
    services_of(app).policies.change(SHOP, "staff:ada", {"cancel_window_minutes": 60, "hold_fulfillment": True})
    placement.reschedule_holds(ctx, SHOP)
    assert abs(ctx.store.holds.get(SHOP, order_id).release_at - (first + timedelta(minutes=30))) < timedelta(seconds=1)
    # The release scheduled for the old end comes and goes: the order stays held.
    assert release_hold(ctx, SHOP, order_id, 1)["status"] == "held"
    assert len(devshop.get_order(order_id).fulfillment_orders[0].holds) == 1


def test_a_policy_change_while_the_hold_is_being_placed_is_followed(ctx, devshop, app, monkeypatch):
    order_id = started(ctx, devshop, age_minutes=10)
    real = placement._hold_open_fulfillment_orders

    def placing_while_the_merchant_changes_the_window(*args, **kwargs):
        placed = real(*args, **kwargs)
        services_of(app).policies.change(SHOP, "staff:ada", {"cancel_window_minutes": 15, "hold_fulfillment": True})
        # Its reschedule job runs now, before the record is held, and finds nothing to move.
        assert placement.reschedule_holds(ctx, SHOP)["moved"] == 0
        return placed

    monkeypatch.setattr(placement, "_hold_open_fulfillment_orders", placing_while_the_merchant_changes_the_window)
    place_hold(ctx, SHOP, order_id)
    record = ctx.store.holds.get(SHOP, order_id)
    created = datetime.fromtimestamp(devshop.get_order(order_id).created_at, UTC)
    assert abs(record.release_at - (created + timedelta(minutes=15))) < timedelta(seconds=1)
    assert record.releases_scheduled == 2 and record.events[-1].type == "rescheduled"


def test_a_release_job_from_before_numbering_is_stale_while_the_release_is_ahead(ctx, devshop):
    order_id = started(ctx, devshop, age_minutes=10)
    place_hold(ctx, SHOP, order_id)
    assert release_hold(ctx, SHOP, order_id)["superseded"] is True  # 20 minutes early
    ctx.store.holds.update(SHOP, order_id, lambda r: setattr(r, "release_at", datetime.now(UTC)))
    assert release_hold(ctx, SHOP, order_id)["status"] == "released"


def test_a_superseded_release_that_fails_does_not_fail_the_hold(ctx, devshop):
    order_id = started(ctx, devshop)
    place_hold(ctx, SHOP, order_id)
    ctx.store.holds.update(SHOP, order_id, lambda r: setattr(r, "releases_scheduled", 2))

    class OldReleaseJob:
        args = (SHOP, order_id, 1)
        retries_left = 0

    holds.on_hold_failure(OldReleaseJob(), None, RuntimeError, RuntimeError("boom"), None)
    record = ctx.store.holds.get(SHOP, order_id)
    assert (record.status, record.attempts) == (HoldStatus.HELD, 0)
    OldReleaseJob.args = (SHOP, order_id, 2)
    holds.on_hold_failure(OldReleaseJob(), None, RuntimeError, RuntimeError("boom"), None)
    assert ctx.store.holds.get(SHOP, order_id).status is HoldStatus.FAILED


def test_every_held_order_is_rescheduled_however_many_there_are(ctx):
    now = datetime.now(UTC)
    for order_id in range(1, 21):
        record = FulfillmentHoldRecord(
            shop=SHOP, order_id=order_id, status=HoldStatus.HELD, created_at=now, updated_at=now, release_at=now
        )
        ctx.store.holds.create(record)
    assert sorted(r.order_id for r in ctx.store.holds.iter_shop(SHOP, batch=7)) == list(range(1, 21))
    ctx.store.policies.save(SHOP, Policy(cancel_window_minutes=30, hold_fulfillment=True))
    assert placement.reschedule_holds(ctx, SHOP)["moved"] == 20
    assert {r.releases_scheduled for r in ctx.store.holds.iter_shop(SHOP)} == {1}


# -- support releases a hold now ---------------------------------------------------------------------------------


def test_staff_release_a_hold_now_even_while_the_orders_request_waits_for_review(ctx, devshop, app):
    from tests.factories import stored_request

    order_id = started(ctx, devshop, age_minutes=1)
    place_hold(ctx, SHOP, order_id)
    window_end = ctx.store.holds.get(SHOP, order_id).release_at
    stored_request(ctx.store, order_id=order_id)
    before = datetime.now(UTC)
    record = services_of(app).holds.release(SHOP, order_id, "staff:42")

    assert record.status is HoldStatus.HELD and record.releases_scheduled == 2
    assert (record.events[-1].type, record.events[-1].detail) == ("release_requested", "staff:42")
    assert before - timedelta(seconds=1) <= record.release_at <= datetime.now(UTC)
    assert abs(release_due_at(ctx, order_id, 2) - record.release_at) < timedelta(seconds=1)
    [entry] = ctx.store.audit.entries(SHOP)
    assert (entry["actor"], entry["action"], entry["subject"]) == ("staff:42", "hold.release", str(order_id))
    assert entry["before"]["release_at"] == window_end.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The release scheduled for the window's end is superseded; the one due now releases, request or not.
    assert release_hold(ctx, SHOP, order_id, 1)["superseded"] is True
    assert release_hold(ctx, SHOP, order_id, 2)["status"] == "released"
    released = ctx.store.holds.get(SHOP, order_id)
    assert (released.events[-1].type, released.events[-1].detail) == ("released", "released by staff")
    assert devshop.get_order(order_id).fulfillment_orders[0].holds == []


def test_the_automatic_release_still_waits_for_a_request_under_review(ctx, devshop):
    from tests.factories import stored_request

    order_id = started(ctx, devshop, age_minutes=1)
    place_hold(ctx, SHOP, order_id)
    stored_request(ctx.store, order_id=order_id)
    assert release_hold(ctx, SHOP, order_id, 1)["status"] == "held"
    assert ctx.store.holds.get(SHOP, order_id).events[-1].type == "extended"
    assert len(devshop.get_order(order_id).fulfillment_orders[0].holds) == 1


def test_a_policy_change_after_staff_asked_for_the_release_does_not_move_it(ctx, devshop, app):
    order_id = started(ctx, devshop, age_minutes=1)
    place_hold(ctx, SHOP, order_id)
    services_of(app).holds.release(SHOP, order_id, "staff:42")
    services_of(app).policies.change(SHOP, "staff:ada", {"cancel_window_minutes": 45, "hold_fulfillment": True})
    assert placement.reschedule_holds(ctx, SHOP)["moved"] == 0
    record = ctx.store.holds.get(SHOP, order_id)
    assert record.releases_scheduled == 2 and record.events[-1].type == "release_requested"
    assert release_hold(ctx, SHOP, order_id, 2)["status"] == "released"


def test_a_failed_staff_release_retried_still_releases_while_a_request_waits(ctx, devshop, app):
    from tests.factories import stored_request

    order_id = started(ctx, devshop, age_minutes=1)
    place_hold(ctx, SHOP, order_id)
    stored_request(ctx.store, order_id=order_id)
    services_of(app).holds.release(SHOP, order_id, "staff:42")

    class ReleaseJob:
        args = (SHOP, order_id, 2)
        retries_left = 0

    holds.on_hold_failure(ReleaseJob(), None, RuntimeError, RuntimeError("boom"), None)
    assert ctx.store.holds.get(SHOP, order_id).status is HoldStatus.FAILED
    retried = services_of(app).holds.retry(SHOP, order_id, "staff:42")
    assert release_hold(ctx, SHOP, order_id, retried.releases_scheduled)["status"] == "released"


def test_only_a_held_order_can_be_released_by_staff(ctx, devshop, app):
    from storefront_proxy.holds.service import HoldNotHeldError
    from storefront_proxy.storage import NotFoundError

    order_id = started(ctx, devshop)
    with pytest.raises(HoldNotHeldError) as caught:
        services_of(app).holds.release(SHOP, order_id, "staff:42")
    assert caught.value.status is HoldStatus.PLACING
    with pytest.raises(NotFoundError):
        services_of(app).holds.release(SHOP, 999, "staff:42")
    assert ctx.store.audit.entries(SHOP) == []
