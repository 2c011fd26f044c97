"""A refused policy names each field's problem in plain English and as a code (with its bound) to translate."""

from __future__ import annotations

import pytest

from storefront_proxy.policy.field_errors import describe
from tests.helpers import auth


def refused(client, values: dict) -> dict:
    response = client.put("/admin/api/policy", json=values, headers=auth())
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_policy" and set(error["fields"]) == set(error["field_errors"])
    return error


def test_each_field_has_a_code_and_its_limit(client):
    error = refused(
        client,
        {
            "cancel_window_minutes": 0,
            "review_target_hours": 721,
            "auto_reject_message": "x" * 501,
            "review_mode": "sometimes",
            "enabled": "yes",
            "reasons": [{"code": "other", "label": ""}],
            "colour": "blue",
        },
    )
    assert error["field_errors"] == {
        "cancel_window_minutes": {"type": "greater_than_equal", "limit": 1},
        "review_target_hours": {"type": "less_than_equal", "limit": 720},
        "auto_reject_message": {"type": "string_too_long", "limit": 500},
        "review_mode": {"type": "enum", "limit": None},
        "enabled": {"type": "bool_type", "limit": None},
        "reasons.0.label": {"type": "string_too_short", "limit": 1},
        "colour": {"type": "extra_forbidden", "limit": None},
    }
    assert error["fields"] == {
        "cancel_window_minutes": "Enter a number of at least 1.",
        "review_target_hours": "Enter a number of at most 720.",
        "auto_reject_message": "Use at most 500 characters.",
        "review_mode": "Choose one of 'automatic', 'manual' or 'manual_above_total'.",
        "enabled": "Choose yes or no (true or false).",
        "reasons.0.label": "Enter at least 1 character.",
        "colour": "This is not a setting of the policy.",
    }


def test_the_policys_own_rules_are_value_errors_in_sentences(client):
    error = refused(client, {"review_mode": "manual_above_total", "returns_url": "ftp://shop", "reasons": []})
    assert error["field_errors"] == {
        "review_threshold": {"type": "value_error", "limit": None},
        "returns_url": {"type": "value_error", "limit": None},
        "reasons": {"type": "too_short", "limit": 1},
    }
    assert error["fields"]["review_threshold"] == "Set the order total above which requests wait for review."
    assert error["fields"]["returns_url"] == ("Enter an https:// address or a path on the shop such as /pages/returns.")
    assert error["fields"]["reasons"] == "Give at least 1 item."


def test_a_missing_reason_label_and_a_decimal_bound(client):
    error = refused(client, {"reasons": [{"code": "other"}], "review_threshold": -1})
    assert error["field_errors"]["reasons.0.label"] == {"type": "missing", "limit": None}
    assert error["fields"]["reasons.0.label"] == "Enter a value."
    # A decimal field's bound is a JSON number all the same.
    assert error["field_errors"]["review_threshold"] == {"type": "greater_than_equal", "limit": 0}


@pytest.mark.parametrize(
    ("error", "message", "limit"),
    [
        (
            {"type": "greater_than", "ctx": {"gt": 0.5}, "msg": "Input should be greater than 0.5"},
            "Enter a number greater than 0.5.",
            0.5,
        ),
        (
            {"type": "too_long", "ctx": {"max_length": 3}, "msg": "List should have at most 3 items"},
            "Give at most 3 items.",
            3,
        ),
        ({"type": "string_too_short", "ctx": {"min_length": 2}, "msg": "..."}, "Use at least 2 characters.", 2),
        ({"type": "some_new_type", "msg": "input is odd"}, "Input is odd.", None),
        ({"type": "value_error", "msg": "Value error, "}, "This value is not valid.", None),
    ],
)
def test_other_problems_read_as_sentences(error, message, limit):
    problem = describe(error)
    assert (problem.message, problem.limit) == (message, limit)
