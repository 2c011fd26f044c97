"""The `flask policy` commands and the policy model."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from storefront_proxy.policy.model import Policy, RefundMethod, ReviewMode
from storefront_proxy.services import services_of
from tests.helpers import SHOP


def test_defaults_match_the_documented_policy():
    policy = Policy()
    assert policy.enabled and policy.cancel_window_minutes == 60
    assert policy.allowed_financial_statuses == [
        "AUTHORIZED",
        "PAID",
        "PARTIALLY_PAID",
        "PARTIALLY_REFUNDED",
        "PENDING",
    ]
    assert [r.code for r in policy.reasons] == [
        "changed_mind",
        "ordered_by_mistake",
        "found_better_price",
        "shipping_too_slow",
        "need_to_change_order",
        "other",
    ]
    assert policy.refund_method is RefundMethod.ORIGINAL_PAYMENT and policy.restock and policy.notify_customer
    assert policy.review_mode is ReviewMode.AUTOMATIC and policy.excluded_order_tags == []


@pytest.mark.parametrize(
    "bad", [{"cancel_window_minutes": 0}, {"review_mode": "sometimes"}, {"refund_method": "cash"}, {"unknown": 1}]
)
def test_invalid_policies_are_refused(bad):
    with pytest.raises(ValidationError):
        Policy.model_validate(bad)


def test_cli_sets_shows_and_resets(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "policy",
            "set",
            SHOP,
            "cancel_window_minutes=30",
            "review_mode=manual",
            'excluded_order_tags=["wholesale"]',
        ]
    )
    assert result.exit_code == 0, result.output
    stored = services_of(app).store.policies.get(SHOP)
    assert stored.cancel_window_minutes == 30 and stored.review_mode is ReviewMode.MANUAL
    assert stored.excluded_order_tags == ["wholesale"]
    shown = json.loads(runner.invoke(args=["policy", "show", SHOP]).output)
    assert shown["cancel_window_minutes"] == 30
    runner.invoke(args=["policy", "reset", SHOP])
    assert services_of(app).store.policies.get(SHOP) == Policy()


def test_cli_refuses_invalid_values_and_keeps_the_policy(app):
    result = app.test_cli_runner().invoke(args=["policy", "set", SHOP, "cancel_window_minutes=-5"])
    assert result.exit_code == 2
    assert "cancel_window_minutes" in result.output
    assert services_of(app).store.policies.get(SHOP) == Policy()


def test_requests_cli_mirrors_the_queue(app, redis_conn):

    from storefront_proxy.cancellations.records import RequestStatus
    from tests.factories import cancel_job_ids, stored_request

    store = services_of(app).store
    pending = stored_request(store)
    other = stored_request(store, order_id=5002, order_name="#1002")
    runner = app.test_cli_runner()

    listed = runner.invoke(args=["requests", "list", SHOP, "--status", "pending_review"])
    assert listed.exit_code == 0 and pending.id in listed.output and "2 requests" in listed.output
    shown = runner.invoke(args=["requests", "show", SHOP, pending.id])
    assert shown.exit_code == 0 and "requested" in shown.output

    assert runner.invoke(args=["requests", "approve", SHOP, pending.id]).exit_code == 0
    assert f"cancel-{pending.id}" in cancel_job_ids(redis_conn)
    again = runner.invoke(args=["requests", "approve", SHOP, pending.id])
    assert again.exit_code == 1 and "cannot approve a request that is queued" in again.output

    assert runner.invoke(args=["requests", "reject", SHOP, other.id, "-m", "Already packed"]).exit_code == 0
    assert store.requests.get(other.id).status is RequestStatus.REJECTED
    assert runner.invoke(args=["requests", "retry", SHOP, other.id]).exit_code == 1
    assert runner.invoke(args=["requests", "show", "othershop", pending.id]).exit_code == 1
    entry = store.audit.entries(SHOP)[0]
    assert entry["actor"].startswith("cli:") and entry["action"] == "request.reject"
