"""Support releases a held order's fulfillment hold now, from the admin (the job's side: tests/holds/)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue

from storefront_proxy.holds.records import FulfillmentHoldRecord, HoldStatus, HoldStep, PlacedHold
from storefront_proxy.job_queue import QUEUE_NAME
from storefront_proxy.services import services_of
from tests.helpers import OTHER_SHOP, SHOP, auth

ORDER = 5001


@pytest.fixture
def store(app):
    return services_of(app).store


def held(store, shop: str = SHOP, order_id: int = ORDER, status: HoldStatus = HoldStatus.HELD) -> FulfillmentHoldRecord:
    """A hold placed on the order, its release scheduled (number 1) for the end of a 30-minute window."""
    now = datetime.now(UTC)
    record = FulfillmentHoldRecord(
        shop=shop,
        order_id=order_id,
        order_name="#1001",
        status=status,
        step=HoldStep.RELEASE,
        holds=[
            PlacedHold(
                fulfillment_order_id="gid://shopify/FulfillmentOrder/1", hold_id="gid://shopify/FulfillmentHold/1"
            )
        ],
        order_created_at=now,
        release_at=now + timedelta(minutes=30),
        releases_scheduled=1,
        created_at=now,
        updated_at=now,
    )
    assert store.holds.create(record)
    return record


def scheduled_releases(store) -> list[str]:
    registry = Queue(QUEUE_NAME, connection=store.redis).scheduled_job_registry
    return [job_id for job_id in registry.get_job_ids() if job_id.startswith("hold-release-")]


def test_release_answers_202_with_the_hold_as_the_list_shows_it(client, store):
    held(store)
    before = datetime.now(UTC).replace(microsecond=0)
    response = client.post(f"/admin/api/fulfillment-holds/{ORDER}/release", headers=auth())
    assert response.status_code == 202
    hold = response.get_json()["hold"]
    assert hold == client.get("/admin/api/fulfillment-holds", headers=auth()).get_json()["holds"][0]
    assert hold["status"] == "held" and hold["order_id"] == ORDER
    assert datetime.fromisoformat(hold["release_at"]) >= before
    assert {key: hold["events"][-1][key] for key in ("type", "detail")} == {
        "type": "release_requested",
        "detail": "staff:42",
    }
    assert "release_requested_by" not in hold and "releases_scheduled" not in hold
    # Numbered after the release it supersedes.
    assert scheduled_releases(store) == [f"hold-release-{SHOP.replace('.', '_')}-{ORDER}-2"]
    entry = client.get("/admin/api/audit", headers=auth()).get_json()["entries"][0]
    assert (entry["actor"], entry["action"], entry["subject"]) == ("staff:42", "hold.release", str(ORDER))


@pytest.mark.parametrize("status", [HoldStatus.PLACING, HoldStatus.RELEASED, HoldStatus.FAILED, HoldStatus.CANCELLED])
def test_only_a_held_order_can_be_released(client, store, status):
    held(store, status=status)
    response = client.post(f"/admin/api/fulfillment-holds/{ORDER}/release", headers=auth())
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "wrong_status"
    assert status.value in response.get_json()["error"]["message"]
    assert scheduled_releases(store) == []


def test_an_order_without_a_hold_or_another_shops_is_404(client, store):
    held(store, shop=OTHER_SHOP)
    for order_id in (ORDER, 4242):
        response = client.post(f"/admin/api/fulfillment-holds/{order_id}/release", headers=auth())
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "hold_not_found"
    assert store.holds.get(OTHER_SHOP, ORDER).status is HoldStatus.HELD
    assert client.get("/admin/api/audit", headers=auth()).get_json()["entries"] == []


def test_the_release_needs_a_session_token(client, store):
    held(store)
    assert client.post(f"/admin/api/fulfillment-holds/{ORDER}/release").status_code == 401
    assert store.holds.get(SHOP, ORDER).releases_scheduled == 1
