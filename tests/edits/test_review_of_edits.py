"""Support's actions on an edit hand it to the edit job (not the cancel job), and a retry resumes where it got to."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from rq import Queue

from storefront_proxy.cancellations.records import EditDetails, LineChange, RequestKind, RequestStatus, new_request_id
from storefront_proxy.job_queue import shop_queue_name
from storefront_proxy.services import services_of
from tests.factories import cancellation_request
from tests.helpers import SHOP


def stored_edit(store, status: RequestStatus, **details):
    now = datetime.now(UTC)
    edit = cancellation_request(
        id=new_request_id(RequestKind.EDIT),
        kind=RequestKind.EDIT,
        reason=None,
        status=status,
        edit=EditDetails(
            line_items=[
                LineChange(line_item_id=9001, title="Mug", from_quantity=2, to_quantity=1, unit_price=Decimal(5))
            ],
            **details,
        ),
        now=now,
    )
    edit.record(now, "requested", status=status)
    store.requests.create_edit(edit)
    return edit


def jobs(app):
    connection = services_of(app).store.redis
    return Queue(shop_queue_name(SHOP), connection=connection).job_ids


def test_approving_an_edit_queues_the_edit_job(app):
    built = services_of(app)
    edit = stored_edit(built.store, RequestStatus.PENDING_REVIEW)
    approved = built.review.approve(SHOP, edit.id, "staff:42")
    assert approved.status is RequestStatus.QUEUED
    assert jobs(app) == [f"edit-{edit.id}"]


def test_a_retry_keeps_a_commit_that_landed_and_its_refund_key(app):
    built = services_of(app)
    committed = datetime.now(UTC)
    edit = stored_edit(
        built.store, RequestStatus.FAILED, commit_sent_at=committed, committed_at=committed, refund_due=Decimal(5)
    )
    retried = built.review.retry(SHOP, edit.id, "staff:42")
    assert retried.status is RequestStatus.QUEUED and retried.edit is not None
    assert retried.edit.committed_at == committed and retried.edit.refund_due == Decimal(5)
    assert jobs(app) == [f"edit-{edit.id}"]


def test_rejecting_an_edit_tells_the_shopper(app):
    built = services_of(app)
    edit = stored_edit(built.store, RequestStatus.PENDING_REVIEW)
    rejected = built.review.reject(SHOP, edit.id, "staff:42", "That mug is already packed.")
    assert rejected.status is RequestStatus.REJECTED
    assert rejected.public_dict()["message"] == "That mug is already packed."
    assert jobs(app) == []
