"""The Requests list: its day range and type filters, each request's order total and whether review is overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from storefront_proxy.cancellations.records import RequestStatus, ShopperRequest
from storefront_proxy.policy.model import Policy
from storefront_proxy.services import services_of
from tests.factories import stored_request
from tests.helpers import SHOP, auth


@pytest.fixture
def store(app):
    return services_of(app).store


def made(store, created: datetime, status: RequestStatus = RequestStatus.PENDING_REVIEW, **fields) -> ShopperRequest:
    request = stored_request(store, status=status, **fields)

    def backdate(stored: ShopperRequest) -> None:
        stored.created_at = stored.requested_at = stored.updated_at = created

    return store.requests.update(request.id, backdate)[0]


def names(client, query: str = "") -> list[str]:
    response = client.get(f"/admin/api/requests?{query}", headers=auth())
    assert response.status_code == 200, response.get_json()
    return sorted(item["order_name"] for item in response.get_json()["requests"])


def test_from_and_to_keep_the_requests_made_on_those_utc_days(client, store):
    for n, moment in enumerate(
        [
            datetime(2025, 12, 31, 23, 59, tzinfo=UTC),
            datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
            datetime(2026, 1, 7, 23, 59, tzinfo=UTC),
            datetime(2026, 1, 8, 0, 0, tzinfo=UTC),
        ]
    ):
        made(store, moment, order_id=6000 + n, order_name=f"#{n}")
    assert names(client, "from=2026-01-01&to=2026-01-07") == ["#1", "#2"]
    assert names(client, "from=2026-01-08") == ["#3"]
    # `to` alone counts back 30 days, as the CSV export and insights do.
    assert names(client, "to=2026-01-01") == ["#0", "#1"]
    # No length limit (insights stop at 366 days).
    assert names(client, "from=2020-01-01&to=2026-12-31") == ["#0", "#1", "#2", "#3"]
    total = client.get("/admin/api/requests?from=2026-01-01&to=2026-01-07&status=pending_review", headers=auth())
    assert total.get_json()["total"] == 2


@pytest.mark.parametrize(
    "query",
    ["from=2026-13-01", "to=tomorrow", "from=01/01/2026", "from=2026-01-08&to=2026-01-07"],
)
def test_a_bad_range_is_400_invalid_range(client, query):
    response = client.get(f"/admin/api/requests?{query}", headers=auth())
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_range" and set(error["fields"]) <= {"from", "to"}


def test_type_is_cancellation_or_edit_or_400(client, store):
    stored_request(store)
    assert len(client.get("/admin/api/requests?type=cancellation", headers=auth()).get_json()["requests"]) == 1
    assert client.get("/admin/api/requests?type=edit", headers=auth()).get_json()["requests"] == []
    for query in ("type=edits", "type=", "type=cancellation&type=cancellation"):
        response = client.get(f"/admin/api/requests?{query}", headers=auth())
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_parameter", query


def test_each_request_has_its_order_total_with_the_currencys_decimals(client, store):
    stored_request(store, order_id=5001, order_name="#eur", order_total=Decimal("39.9"), currency_code="EUR")
    stored_request(store, order_id=5002, order_name="#jpy", order_total=Decimal("1000"), currency_code="JPY")
    stored_request(store, order_id=5003, order_name="#none")
    listed = {r["order_name"]: r for r in client.get("/admin/api/requests", headers=auth()).get_json()["requests"]}
    assert listed["#eur"]["order_total"] == {"amount": "39.90", "currency_code": "EUR"}
    assert listed["#jpy"]["order_total"] == {"amount": "1000", "currency_code": "JPY"}
    assert listed["#none"]["order_total"] is None


def test_a_request_waiting_longer_than_the_review_target_is_overdue(client, store):
    store.policies.save(SHOP, Policy(review_target_hours=8))
    now = datetime.now(UTC)
    made(store, now - timedelta(hours=9), order_id=5001, order_name="#late")
    made(store, now - timedelta(hours=7), order_id=5002, order_name="#fresh")
    made(store, now - timedelta(hours=30), RequestStatus.QUEUED, order_id=5003, order_name="#decided")
    answer = client.get("/admin/api/requests", headers=auth()).get_json()
    assert answer["review_target_hours"] == 8
    assert {r["order_name"]: r["overdue"] for r in answer["requests"]} == {
        "#late": True,
        "#fresh": False,
        "#decided": False,
    }
