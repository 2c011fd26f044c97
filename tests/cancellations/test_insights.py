"""Insights over cancellation requests: pure functions on fixed dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from storefront_proxy.cancellations.insights import DateRange, compute_insights, rejected_too_late, resolve_range
from storefront_proxy.cancellations.records import RequestStatus, ShopperRequest
from storefront_proxy.validation import InvalidValueError
from tests.factories import cancellation_request

JUNE = DateRange(date(2026, 6, 1), date(2026, 6, 3))


def req(
    created: datetime,
    status: RequestStatus = RequestStatus.QUEUED,
    *,
    reason: str = "changed_mind",
    total: str | None = "10.00",
    currency: str | None = "EUR",
    message_code: str | None = None,
    events: tuple[tuple[str, RequestStatus | None, str | None], ...] = (),
) -> ShopperRequest:
    request = cancellation_request(
        now=created,
        id=f"ccr_{created.timestamp():.0f}_{status.value}_{reason}",
        customer_email=None,
        reason=reason,
        status=status,
        order_total=Decimal(total) if total is not None else None,
        currency_code=currency,
        message_code=message_code,
    )
    for type_, event_status, detail in events:
        request.record(created, type_, status=event_status, detail=detail)
    return request


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


def test_counts_requests_and_cancellations_per_day_including_empty_days():
    insights = compute_insights(
        [
            req(at(1)),
            req(at(1, 13), RequestStatus.CANCELLED),
            req(at(3), RequestStatus.CANCELLED),
            req(at(3, 1), RequestStatus.REJECTED),
        ],
        JUNE,
    )
    assert [(d.day.day, d.requests, d.cancellations) for d in insights.per_day] == [(1, 2, 1), (2, 0, 0), (3, 2, 1)]
    assert insights.total_requests == 4 and insights.total_cancellations == 2


def test_range_edges_are_inclusive_utc_days():
    inside_first = req(datetime(2026, 6, 1, 0, 0, tzinfo=UTC))
    inside_last = req(datetime(2026, 6, 3, 23, 59, 59, tzinfo=UTC))
    before = req(datetime(2026, 5, 31, 23, 59, 59, tzinfo=UTC))
    after = req(datetime(2026, 6, 4, 0, 0, tzinfo=UTC))
    # 01:30 in Helsinki on the 4th is still the 3rd in UTC.
    helsinki = req(datetime.fromisoformat("2026-06-04T01:30:00+03:00"))
    naive = req(datetime(2026, 6, 2, 8, 0))
    insights = compute_insights([inside_first, inside_last, before, after, helsinki, naive], JUNE)
    assert [d.requests for d in insights.per_day] == [1, 1, 2]
    assert insights.total_requests == 4


def test_breakdown_by_reason_and_outcome():
    insights = compute_insights(
        [
            req(at(1), reason="other"),
            req(at(1), RequestStatus.CANCELLED, reason="changed_mind"),
            req(at(2), RequestStatus.CANCELLED, reason="changed_mind"),
            req(at(2), RequestStatus.PENDING_REVIEW, reason="found_better_price"),
            req(at(2), RequestStatus.FAILED, reason="ordered_by_mistake"),
        ],
        JUNE,
    )
    assert insights.by_reason == {"changed_mind": 2, "found_better_price": 1, "ordered_by_mistake": 1, "other": 1}
    assert list(insights.by_reason)[0] == "changed_mind"
    assert insights.by_outcome == {
        "pending_review": 1,
        "queued": 1,
        "processing": 0,
        "cancelled": 2,
        "applied": 0,
        "rejected": 0,
        "failed": 1,
    }


def test_value_of_cancelled_orders_per_currency():
    insights = compute_insights(
        [
            req(at(1), RequestStatus.CANCELLED, total="42.50", currency="EUR"),
            req(at(2), RequestStatus.CANCELLED, total="0.10", currency="EUR"),
            req(at(2), RequestStatus.CANCELLED, total="0.20", currency="EUR"),
            req(at(2), RequestStatus.CANCELLED, total="19.99", currency="USD"),
            req(at(2), RequestStatus.CANCELLED, total="5", currency=None),
            req(at(2), RequestStatus.CANCELLED, total=None),
            # Not cancelled: not counted.
            req(at(2), RequestStatus.REJECTED, total="1000.00", currency="EUR"),
            req(at(2), RequestStatus.QUEUED, total="1000.00", currency="USD"),
        ],
        JUNE,
    )
    assert insights.cancelled_value == {"EUR": Decimal("42.80"), "USD": Decimal("19.99"), "unknown": Decimal("5")}
    assert insights.to_dict()["cancelled_value"] == {"EUR": "42.80", "USD": "19.99", "unknown": "5"}


def test_share_of_requests_rejected_as_too_late():
    by_code = req(at(1), RequestStatus.REJECTED, message_code="ineligible.window_closed")
    by_event = req(at(1), RequestStatus.REJECTED, events=(("rejected", RequestStatus.REJECTED, "window_closed, x"),))
    other_rejection = req(at(2), RequestStatus.REJECTED, message_code="outcome.shipped")
    # A window_closed detail on an event that is not a rejection does not count.
    not_a_rejection = req(at(2), events=(("note", None, "window_closed"),))
    assert rejected_too_late(by_code) and rejected_too_late(by_event)
    assert not rejected_too_late(other_rejection) and not rejected_too_late(not_a_rejection)
    insights = compute_insights([by_code, by_event, other_rejection, not_a_rejection, req(at(3))], JUNE)
    assert insights.rejected_too_late == 2
    assert insights.too_late_share == 0.4
    assert insights.to_dict()["totals"]["rejected_too_late"] == 2


def test_empty_range_has_zeros_and_no_division_by_zero():
    insights = compute_insights([req(at(10))], JUNE)
    assert insights.total_requests == 0
    assert insights.too_late_share == 0.0
    assert insights.by_reason == {} and insights.cancelled_value == {}
    assert set(insights.by_outcome.values()) == {0}


def test_to_dict_is_plain_json():
    data = compute_insights([req(at(2), RequestStatus.CANCELLED)], JUNE).to_dict()
    assert data["from"] == "2026-06-01" and data["to"] == "2026-06-03" and data["days"] == 3
    assert data["per_day"][1] == {"date": "2026-06-02", "requests": 1, "cancellations": 1}
    assert data["totals"] == {"requests": 1, "cancellations": 1, "rejected_too_late": 0, "edits": 0, "edits_applied": 0}
    assert data["cancelled_value"] == {"EUR": "10.00"}


# -- ranges -----------------------------------------------------------------------------------------------


def test_default_range_is_the_last_30_days_up_to_today():
    days = resolve_range(None, None, date(2026, 6, 30))
    assert (days.start, days.end, days.days) == (date(2026, 6, 1), date(2026, 6, 30), 30)
    assert resolve_range(None, "2026-03-31", date(2026, 6, 30)).start == date(2026, 3, 2)
    assert resolve_range("2026-06-29", None, date(2026, 6, 30)).days == 2


def test_ranges_up_to_366_days():
    assert resolve_range("2024-01-01", "2024-12-31", date(2026, 1, 1)).days == 366
    assert resolve_range("2026-06-01", "2026-06-01", date(2026, 1, 1)).days == 1
    with pytest.raises(InvalidValueError):
        resolve_range("2025-01-01", "2026-01-02", date(2026, 1, 1))


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-6-1", "2026-06-02", "from"),
        ("2026-06-01", "20260602", "to"),
        ("2026-02-30", "2026-03-01", "from"),
        ("yesterday", None, "from"),
        ("2026-06-03", "2026-06-02", "from"),
    ],
)
def test_bad_ranges(start, end, field):
    with pytest.raises(InvalidValueError) as caught:
        resolve_range(start, end, date(2026, 6, 30))
    assert caught.value.field == field


def test_a_default_start_before_the_first_day_python_counts_is_that_day():
    assert resolve_range(None, "0001-01-05", date(2026, 6, 30), max_days=None) == DateRange(date.min, date(1, 1, 5))


def edit(created: datetime, status: RequestStatus, refunded: str | None, order_id: int = 5001):
    from decimal import Decimal

    from storefront_proxy.cancellations.records import EditDetails, RequestKind

    request = req(created, status, total="74.50")
    return request.model_copy(
        update={
            "kind": RequestKind.EDIT,
            "reason": None,
            "order_id": order_id,
            "edit": EditDetails(refunded_amount=Decimal(refunded) if refunded else None),
        }
    )


def test_edits_are_counted_and_the_value_kept_counts_each_order_once():
    insights = compute_insights(
        [
            edit(at(1), RequestStatus.APPLIED, "16.50"),
            edit(at(2), RequestStatus.APPLIED, "12.50"),  # the same order edited again
            edit(at(2), RequestStatus.APPLIED, None, order_id=5002),  # an address: nothing refunded
            edit(at(3), RequestStatus.REJECTED, None, order_id=5003),
            req(at(3), RequestStatus.CANCELLED),
        ],
        JUNE,
    )
    totals = insights.to_dict()["totals"]
    assert (totals["edits"], totals["edits_applied"], totals["cancellations"]) == (4, 3, 1)
    assert insights.to_dict()["kept_by_editing"] == {"EUR": "120.00"}  # 74.50 - 29.00 + 74.50
    assert insights.by_reason == {"changed_mind": 1}, "edits have no reason"
