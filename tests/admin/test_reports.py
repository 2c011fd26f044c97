"""The admin reports: insights as data (the admin draws the charts), and the CSV export of the shop's requests."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from storefront_proxy.cancellations.records import RequestStatus, ShopperRequest
from storefront_proxy.policy.model import Policy, Reason
from storefront_proxy.services import services_of
from tests.factories import stored_request
from tests.helpers import OTHER_SHOP, SHOP, auth

COLUMNS = [
    "id",
    "type",
    "created_at",
    "order_name",
    "order_id",
    "customer_email",
    "reason",
    "note",
    "changes",
    "status",
    "message",
    "order_total",
    "refund",
    "currency_code",
    "attempts",
    "last_error",
]
RANGE = "from=2026-01-01&to=2026-01-07"


@pytest.fixture
def store(app):
    return services_of(app).store


def dated(store, created: datetime, status: RequestStatus = RequestStatus.QUEUED, **fields) -> ShopperRequest:
    """A stored request made at ``created`` (stored_request stamps the current time and one reason)."""
    reason = fields.pop("reason", "changed_mind")
    request = stored_request(store, status=status, **fields)

    def backdate(stored: ShopperRequest) -> None:
        stored.created_at = stored.requested_at = stored.updated_at = created
        stored.reason = reason

    return store.requests.update(request.id, backdate)[0]


def rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def week(store):
    """A week of requests of this shop, and some of another shop that must never show."""

    def jan(day: int, hour: int = 12) -> datetime:
        return datetime(2026, 1, day, hour, tzinfo=UTC)

    def order(n: int, created: datetime, status: RequestStatus, total: str | None = None, **extra):
        money = {"order_total": Decimal(total), "currency_code": extra.pop("currency", "EUR")} if total else {}
        return dated(store, created, status, order_id=n, order_name=f"#{n}", **money, **extra)

    made = [
        order(1, jan(1), RequestStatus.CANCELLED, "42.50"),
        order(2, jan(1, 23), RequestStatus.CANCELLED, "7.50"),
        order(3, jan(3), RequestStatus.CANCELLED, "19.99", currency="USD", reason="other"),
        order(4, jan(3), RequestStatus.REJECTED, "99.00", message_code="ineligible.window_closed", message="Too late"),
        order(5, jan(7, 23), RequestStatus.PENDING_REVIEW, reason="other"),
        # Outside the range on either side.
        order(6, datetime(2025, 12, 31, 23, 59, tzinfo=UTC), RequestStatus.CANCELLED, "1.00"),
        order(7, jan(8, 0), RequestStatus.CANCELLED, "1.00"),
    ]
    for n in range(3):
        dated(
            store,
            jan(2),
            RequestStatus.CANCELLED,
            shop=OTHER_SHOP,
            order_id=900 + n,
            order_name=f"#OTHER{n}",
            customer_email="other@example.com",
            order_total=Decimal("500.00"),
            currency_code="GBP",
        )
    return made


# -- insights ---------------------------------------------------------------------------------------------


def test_insights_numbers_for_a_range(client, week):
    response = client.get(f"/admin/api/insights?{RANGE}", headers=auth())
    assert response.status_code == 200
    data = response.get_json()
    assert (data["from"], data["to"], data["days"]) == ("2026-01-01", "2026-01-07", 7)
    assert data["totals"] == {"requests": 5, "cancellations": 3, "rejected_too_late": 1, "edits": 0, "edits_applied": 0}
    assert [(d["date"][-2:], d["requests"], d["cancellations"]) for d in data["per_day"]] == [
        ("01", 2, 2),
        ("02", 0, 0),
        ("03", 2, 1),
        ("04", 0, 0),
        ("05", 0, 0),
        ("06", 0, 0),
        ("07", 1, 0),
    ]
    assert data["by_reason"] == {"changed_mind": 3, "other": 2}
    assert data["by_outcome"]["cancelled"] == 3 and data["by_outcome"]["rejected"] == 1
    assert data["by_outcome"]["pending_review"] == 1 and sum(data["by_outcome"].values()) == 5
    assert data["cancelled_value"] == {"EUR": "50.00", "USD": "19.99"}
    assert data["too_late_share"] == 0.2


def test_insights_name_each_reason_with_the_policys_label(client, store, week):
    data = client.get(f"/admin/api/insights?{RANGE}", headers=auth()).get_json()
    assert "charts" not in data
    assert data["reasons"] == [
        {"code": "changed_mind", "label": "I changed my mind", "count": 3},
        {"code": "other", "label": "Something else", "count": 2},
    ]
    # The shop's own wording, and a reason it no longer offers keeps its code.
    store.policies.save(SHOP, Policy(reasons=[Reason(code="other", label="Anything else")]))
    data = client.get(f"/admin/api/insights?{RANGE}", headers=auth()).get_json()
    assert [(r["code"], r["label"]) for r in data["reasons"]] == [
        ("changed_mind", "changed_mind"),
        ("other", "Anything else"),
    ]


def test_insights_default_to_the_last_30_days(client, store):
    stored_request(store, status=RequestStatus.CANCELLED, order_total=Decimal("3.00"), currency_code="EUR")
    data = client.get("/admin/api/insights", headers=auth()).get_json()
    today = datetime.now(UTC).date().isoformat()
    assert data["to"] == today and data["days"] == 30 and len(data["per_day"]) == 30
    assert data["per_day"][-1] == {"date": today, "requests": 1, "cancellations": 1}
    assert data["cancelled_value"] == {"EUR": "3.00"}


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-01&to=2026-12-31",
        "from=2026-01-01&to=tomorrow",
        "from=01/01/2026&to=2026-01-02",
        "from=2026-01-08&to=2026-01-07",
        "from=2025-01-01&to=2026-01-02",
    ],
)
def test_insights_bad_ranges_are_400(client, query):
    response = client.get(f"/admin/api/insights?{query}", headers=auth())
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_range" and set(error["fields"]) <= {"from", "to"}


def test_a_full_leap_year_is_allowed(client):
    response = client.get("/admin/api/insights?from=2024-01-01&to=2024-12-31", headers=auth())
    assert response.status_code == 200 and response.get_json()["days"] == 366
    assert len(response.get_json()["per_day"]) == 366


def test_insights_never_include_another_shops_requests(client, week):
    mine = client.get(f"/admin/api/insights?{RANGE}", headers=auth()).get_json()
    assert "GBP" not in mine["cancelled_value"]
    theirs = client.get(f"/admin/api/insights?{RANGE}", headers=auth(shop=OTHER_SHOP)).get_json()
    assert theirs["totals"] == {
        "requests": 3,
        "cancellations": 3,
        "rejected_too_late": 0,
        "edits": 0,
        "edits_applied": 0,
    }
    assert theirs["cancelled_value"] == {"GBP": "1500.00"}


@pytest.mark.parametrize("path", ["/admin/api/insights", "/admin/api/requests.csv"])
def test_reports_need_a_session_token(client, week, path):
    for headers in ({}, {"Authorization": "Bearer nope"}, auth(aud="another-app")):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "invalid_session"
        assert "#1" not in response.get_data(as_text=True)


# -- CSV ---------------------------------------------------------------------------------------------------


def test_csv_download_has_every_request_of_the_shop(client, week):
    response = client.get("/admin/api/requests.csv", headers=auth())
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="cancellation-requests.csv"'
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    exported = rows(response)
    assert sorted(row["order_name"] for row in exported) == [f"#{n}" for n in range(1, 8)]
    first = next(row for row in exported if row["order_name"] == "#1")
    assert first == {
        "id": week[0].id,
        "type": "cancellation",
        "created_at": "2026-01-01T12:00:00Z",
        "order_name": "#1",
        "order_id": "1",
        "customer_email": "ada@example.com",
        "reason": "changed_mind",
        "note": "",
        "changes": "",
        "status": "cancelled",
        "message": "",
        "order_total": "42.50",
        "refund": "",
        "currency_code": "EUR",
        "attempts": "0",
        "last_error": "",
    }
    assert "OTHER" not in text and "other@example.com" not in text and "GBP" not in text


def test_csv_quoting_and_formula_injection(client, store):
    note = 'Wrong size, "too small"\nsecond line'
    request = stored_request(
        store,
        note=note,
        customer_email='=HYPERLINK("http://evil.example","x")',
        order_name="+1001",
        last_error="@SUM(A1:A9)",
        message="-2+3",
    )
    store.requests.update(request.id, lambda r: setattr(r, "reason", "\tother"))
    stored_request(store, order_id=5002, order_name="#ok", customer_email="\rcarriage@example.com")
    response = client.get("/admin/api/requests.csv", headers=auth())
    text = response.get_data(as_text=True)
    assert '"Wrong size, ""too small""\nsecond line"' in text
    exported = {row["id"]: row for row in rows(response)}
    row = exported[request.id]
    assert row["note"] == note
    assert row["customer_email"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["order_name"] == "'+1001"
    assert row["last_error"] == "'@SUM(A1:A9)"
    assert row["message"] == "'-2+3"
    assert row["reason"] == "'\tother"
    other = next(r for r in exported.values() if r["order_name"] == "#ok")
    assert other["customer_email"] == "'\rcarriage@example.com"
    # No cell a spreadsheet would evaluate.
    for exported_row in exported.values():
        for cell in exported_row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_csv_filters(client, week):
    def names(query: str) -> list[str]:
        return sorted(r["order_name"] for r in rows(client.get(f"/admin/api/requests.csv?{query}", headers=auth())))

    assert names("status=cancelled") == ["#1", "#2", "#3", "#6", "#7"]
    assert names("q=%233") == ["#3"]
    assert names(RANGE) == ["#1", "#2", "#3", "#4", "#5"]
    assert names("from=2026-01-03&status=cancelled") == ["#3", "#7"]
    assert names("to=2026-01-01") == ["#1", "#2", "#6"]
    assert client.get("/admin/api/requests.csv?status=bogus", headers=auth()).status_code == 400
    assert client.get("/admin/api/requests.csv?from=2026-1-1", headers=auth()).status_code == 400
    assert client.get("/admin/api/requests.csv?from=2026-01-02&to=2026-01-01", headers=auth()).status_code == 400


def test_csv_and_insights_agree(client, week):
    insights = client.get(f"/admin/api/insights?{RANGE}", headers=auth()).get_json()
    exported = rows(client.get(f"/admin/api/requests.csv?{RANGE}", headers=auth()))
    assert len(exported) == insights["totals"]["requests"]
    assert dict(Counter(row["status"] for row in exported)) == {
        status: n for status, n in insights["by_outcome"].items() if n
    }
    assert dict(Counter(row["reason"] for row in exported)) == insights["by_reason"]
    per_day = Counter(row["created_at"][:10] for row in exported)
    cancelled_per_day = Counter(row["created_at"][:10] for row in exported if row["status"] == "cancelled")
    for day in insights["per_day"]:
        assert (day["requests"], day["cancellations"]) == (per_day[day["date"]], cancelled_per_day[day["date"]])
    value: dict[str, Decimal] = {}
    for row in exported:
        if row["status"] == "cancelled" and row["order_total"]:
            value[row["currency_code"]] = value.get(row["currency_code"], Decimal(0)) + Decimal(row["order_total"])
    assert {currency: Decimal(amount) for currency, amount in insights["cancelled_value"].items()} == value
