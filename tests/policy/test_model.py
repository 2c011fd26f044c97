"""The policy model: defaults for stored policies, and the rules that tie fields together."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from storefront_proxy.policy.model import AutoReviewAction, Policy, Reason, ReviewMode, WindowMode


def error_fields(**values) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        Policy.model_validate(values)
    return {".".join(str(part) for part in error["loc"]): error["msg"] for error in caught.value.errors()}


def test_a_policy_stored_before_the_new_fields_loads_with_their_defaults():
    stored = {
        "enabled": True,
        "cancel_window_minutes": 30,
        "allowed_financial_statuses": ["PAID"],
        "excluded_order_tags": ["wholesale"],
        "reasons": [{"code": "changed_mind", "label": "I changed my mind"}],
        "refund_method": "store_credit",
        "restock": False,
        "notify_customer": True,
        "review_mode": "manual",
        "returns_url": None,
    }
    policy = Policy.model_validate_json(json.dumps(stored))
    assert policy.window_mode is WindowMode.MINUTES
    assert policy.excluded_product_tags == [] and policy.cancelled_order_tag is None
    assert policy.review_threshold is None and policy.auto_review_after_hours is None
    assert policy.auto_review_action is AutoReviewAction.APPROVE and policy.review_target_hours == 24
    assert policy.reasons[0].labels == {}


def test_threshold_review_needs_a_threshold():
    assert "review_threshold" in error_fields(review_mode="manual_above_total")
    assert "review_threshold" in error_fields(review_mode="manual_above_total", review_threshold="-1")
    policy = Policy(review_mode=ReviewMode.MANUAL_ABOVE_TOTAL, review_threshold="150")
    assert policy.model_dump(mode="json")["review_threshold"] == "150"


def test_threshold_review_waits_only_above_the_total():
    policy = Policy(review_mode=ReviewMode.MANUAL_ABOVE_TOTAL, review_threshold=Decimal("100.00"))
    assert policy.needs_review(Decimal("100.01"))
    assert not policy.needs_review(Decimal("100.00"))
    assert not policy.needs_review(Decimal("5"))
    assert policy.needs_review(None)  # a total Shopify did not give is reviewed, not guessed
    assert Policy(review_mode=ReviewMode.MANUAL).needs_review(Decimal("1"))
    assert not Policy(review_threshold="1").needs_review(Decimal("1000"))  # automatic ignores the threshold


def test_automatic_rejection_needs_a_message_for_the_shopper():
    fields = error_fields(auto_review_after_hours=48, auto_review_action="reject")
    assert list(fields) == ["auto_reject_message"]
    policy = Policy(auto_review_after_hours=48, auto_review_action="reject", auto_reject_message="  Too late, sorry. ")
    assert policy.auto_reject_message == "Too late, sorry."
    # Approving needs no message, and a message without automatic review is kept for later.
    assert Policy(auto_review_after_hours=48).auto_review_action is AutoReviewAction.APPROVE


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"auto_review_after_hours": 0}, "auto_review_after_hours"),
        ({"auto_review_after_hours": 1.5}, "auto_review_after_hours"),
        ({"review_target_hours": 0}, "review_target_hours"),
        ({"window_mode": "forever"}, "window_mode"),
        ({"review_mode": "sometimes"}, "review_mode"),
        ({"cancelled_order_tag": "a,b"}, "cancelled_order_tag"),
        ({"cancelled_order_tag": "x" * 41}, "cancelled_order_tag"),
        ({"auto_reject_message": "x" * 501}, "auto_reject_message"),
        ({"reasons": [{"code": "other", "label": "Other", "labels": {"pt": "Outro"}}]}, "reasons.0.labels"),
    ],
)
def test_invalid_values_are_reported_on_their_field(values, field):
    assert field in error_fields(**values)


def test_tags_are_trimmed_and_blank_ones_dropped():
    policy = Policy(excluded_product_tags=[" gift-card ", "", "  "], cancelled_order_tag="  ")
    assert policy.excluded_product_tags == ["gift-card"] and policy.cancelled_order_tag is None
    assert Policy(cancelled_order_tag=" self-service ").cancelled_order_tag == "self-service"


def test_reason_labels_per_language_are_trimmed_and_blank_ones_dropped():
    reason = Reason(code="other", label="Other", labels={"nl": " Iets anders ", "de": " "})
    assert reason.labels == {"nl": "Iets anders"}
