"""What the merchant learns from cancellation requests over a range of days. Pure functions: no Flask, no Redis.

A request belongs to the UTC day it was made (``created_at``), and so does its outcome: a request made on the
1st and cancelled on the 2nd counts as a request and a cancellation of the 1st. That way every number here is
the count of rows of the CSV export with the same range, so the two always agree.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from storefront_proxy.cancellations.records import RequestStatus, ShopperRequest
from storefront_proxy.validation import InvalidValueError

DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 366
# The worker records an order past its window as this catalog key (cancellations/execution.py).
TOO_LATE_MESSAGE_CODE = "ineligible.window_closed"
TOO_LATE_DETAIL = "window_closed"
# Totals recorded without a currency are summed under this key rather than mixed with real ones.
UNKNOWN_CURRENCY = "unknown"

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class DateRange:
    """UTC days from ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]


@dataclass(frozen=True)
class DayCount:
    day: date
    requests: int
    cancellations: int


@dataclass(frozen=True)
class Insights:
    """The numbers behind the Insights page, for one shop and one range of days."""

    range: DateRange
    per_day: list[DayCount]
    by_reason: dict[str, int]
    by_outcome: dict[str, int]
    cancelled_value: dict[str, Decimal]
    rejected_too_late: int
    # Order edits: how many shoppers asked for and had applied, and the value the shop kept by editing rather
    # than cancelling (each applied edit's order total less what it refunded).
    edits_requested: int = 0
    edits_applied: int = 0
    kept_value: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total_requests(self) -> int:
        return sum(day.requests for day in self.per_day)

    @property
    def total_cancellations(self) -> int:
        return sum(day.cancellations for day in self.per_day)

    @property
    def too_late_share(self) -> float:
        """Requests rejected as too late over all requests (0 when there are none), rounded to 4 places."""
        total = self.total_requests
        return round(self.rejected_too_late / total, 4) if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as YYYY-MM-DD, money as decimal strings (never floats)."""
        return {
            "from": self.range.start.isoformat(),
            "to": self.range.end.isoformat(),
            "days": self.range.days,
            "totals": {
                "requests": self.total_requests,
                "cancellations": self.total_cancellations,
                "rejected_too_late": self.rejected_too_late,
                "edits": self.edits_requested,
                "edits_applied": self.edits_applied,
            },
            "per_day": [
                {"date": day.day.isoformat(), "requests": day.requests, "cancellations": day.cancellations}
                for day in self.per_day
            ],
            "by_reason": dict(self.by_reason),
            "by_outcome": dict(self.by_outcome),
            "cancelled_value": {currency: str(amount) for currency, amount in self.cancelled_value.items()},
            "too_late_share": self.too_late_share,
            "kept_by_editing": {currency: str(amount) for currency, amount in self.kept_value.items()},
        }


def parse_day(text: str, field: str) -> date:
    """A YYYY-MM-DD day, or InvalidValueError naming ``field``."""
    if not _DAY.fullmatch(text):
        raise InvalidValueError(field, f"{field} must be a date as YYYY-MM-DD.", code="invalid_range")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValueError(field, f"{field} is not a valid date.", code="invalid_range") from None


def resolve_range(
    start: str | None, end: str | None, today: date, *, max_days: int | None = MAX_RANGE_DAYS
) -> DateRange:
    """The range asked for: ``end`` defaults to today and ``start`` to 30 days up to ``end``."""
    end_day = parse_day(end, "to") if end else today
    if start:
        start_day = parse_day(start, "from")
    elif end_day < date.min + timedelta(days=DEFAULT_RANGE_DAYS - 1):
        # The default start would be before the first day Python can count (a `to` in the year 1).
        start_day = date.min
    else:
        start_day = end_day - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start_day > end_day:
        raise InvalidValueError("from", "from must not be after to.", code="invalid_range")
    result = DateRange(start_day, end_day)
    if max_days is not None and result.days > max_days:
        raise InvalidValueError("to", f"The range can be at most {max_days} days.", code="invalid_range")
    return result


def utc_day(moment: datetime) -> date:
    """The UTC calendar day of ``moment`` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()


def in_range(requests: Iterable[ShopperRequest], days: DateRange) -> list[ShopperRequest]:
    """The requests made on a day of ``days``, in their given order."""
    return [request for request in requests if utc_day(request.created_at) in days]


def rejected_too_late(request: ShopperRequest) -> bool:
    """Whether the request was turned down because the cancel window had closed."""
    if request.message_code == TOO_LATE_MESSAGE_CODE:
        return True
    return any(
        (event.status is RequestStatus.REJECTED or "reject" in event.type) and TOO_LATE_DETAIL in (event.detail or "")
        for event in request.events
    )


def compute_insights(requests: Iterable[ShopperRequest], days: DateRange) -> Insights:
    """Counts per day, breakdowns by reason and outcome, cancelled value and too-late share over ``days``."""
    chosen = in_range(requests, days)
    made: Counter[date] = Counter()
    cancelled: Counter[date] = Counter()
    reasons: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    value: dict[str, Decimal] = {}
    kept: dict[str, Decimal] = {}
    kept_orders: dict[int, list[ShopperRequest]] = {}
    edits = applied = 0
    too_late = 0
    for request in chosen:
        day = utc_day(request.created_at)
        made[day] += 1
        outcomes[request.status.value] += 1
        if request.edit is not None:
            edits += 1
            if request.status is RequestStatus.APPLIED:
                applied += 1
                if request.order_total is not None:
                    kept_orders.setdefault(request.order_id, []).append(request)
            continue
        reasons[request.reason or ""] += 1
        if request.status is RequestStatus.CANCELLED:
            cancelled[day] += 1
            if request.order_total is not None:
                currency = request.currency_code or UNKNOWN_CURRENCY
                value[currency] = value.get(currency, Decimal("0")) + request.order_total
        if rejected_too_late(request):
            too_late += 1
    # An order edited twice was kept once: its total before the first edit, less everything its edits refunded.
    for order_edits in kept_orders.values():
        first = min(order_edits, key=lambda edit: edit.created_at)
        currency = first.currency_code or UNKNOWN_CURRENCY
        refunded = sum(((edit.edit.refunded_amount or Decimal("0")) for edit in order_edits if edit.edit), Decimal("0"))
        kept[currency] = kept.get(currency, Decimal("0")) + (first.order_total or Decimal("0")) - refunded
    return Insights(
        range=days,
        per_day=[DayCount(day, made[day], cancelled[day]) for day in days.each_day()],
        # Most frequent first; ties in code order so the answer is stable.
        by_reason=dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
        # Every status, zeros included, in the order a request moves through them.
        by_outcome={status.value: outcomes[status.value] for status in RequestStatus},
        cancelled_value=dict(sorted(value.items())),
        rejected_too_late=too_late,
        edits_requested=edits,
        edits_applied=applied,
        kept_value=dict(sorted(kept.items())),
    )
