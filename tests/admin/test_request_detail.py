"""The Request detail with its order (cached, else from Shopify, never failing the page) and who did what."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from storefront_proxy.cancellations.records import Note, RequestStatus
from storefront_proxy.services import services_of
from storefront_proxy.shopify.domains import order_admin_url
from storefront_proxy.shopify.models import Order
from tests.factories import stored_request
from tests.helpers import CUSTOMER, SHOP, FakeAdmin, admin_order, auth, throttle_status

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def store(app):
    return services_of(app).store


def detail(client, request_id: str) -> dict:
    response = client.get(f"/admin/api/requests/{request_id}", headers=auth())
    assert response.status_code == 200, response.get_json()
    return response.get_json()["request"]


def cached(order_id: int = 5001, *, line_items: bool = True, **fields) -> Order:
    """An order as the cache holds it (versioned: only versioned reads are kept)."""
    node = {**admin_order(order_id, **fields), "updatedAt": NOW.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return Order.model_validate({**node, "lineItemsRead": line_items})


# -- the order --------------------------------------------------------------------------------------------


def test_the_detail_shows_the_order_read_from_shopify(client, store, shop):
    pending = stored_request(store)
    answer = detail(client, pending.id)
    assert answer["order_error"] is None
    assert answer["order"] == {
        "id": 5001,
        "name": "#1001",
        "created_at": shop.orders[5001]["createdAt"],
        "cancelled_at": None,
        "total": {"amount": "42.50", "currency_code": "EUR"},
        "financial_status": "PAID",
        "fulfillment_status": "UNFULFILLED",
        "customer_email": None,
        "line_items": [{"name": "Sencha, 100 g", "quantity": 2}],
        # The tests' Shopify is SHOPIFY_ADMIN_ORIGIN (as the devshop is in development): its own order page.
        "admin_url": "https://admin.test/admin/orders/5001",
    }
    assert shop.names() == ["GetOrderForCancellation"]


def test_a_cached_order_with_its_line_items_is_shown_without_asking_shopify(client, store, shop):
    store.order_facts.put(SHOP, cached(cancelled_at="2026-01-02T03:04:05Z"))
    answer = detail(client, stored_request(store).id)
    assert answer["order"]["cancelled_at"] == "2026-01-02T03:04:05Z"
    assert answer["order"]["line_items"] == [{"name": "Sencha, 100 g", "quantity": 2}]
    assert shop.names() == []


def test_a_cached_order_without_its_line_items_is_read_from_shopify_and_kept(client, store, shop):
    store.order_facts.put(SHOP, cached(line_items=False))
    shop.orders[5001]["updatedAt"] = (NOW + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pending = stored_request(store)
    assert detail(client, pending.id)["order"]["line_items"] == [{"name": "Sencha, 100 g", "quantity": 2}]
    assert detail(client, pending.id)["order"]["name"] == "#1001"
    assert shop.names() == ["GetOrderForCancellation"], "the second view reads the copy the first one kept"


def test_an_order_the_shop_no_longer_has_is_order_not_found(client, store, shop):
    answer = detail(client, stored_request(store, order_id=9999).id)
    assert (answer["order"], answer["order_error"]) == (None, "order_not_found")


def throttled(self, request):
    """Shopify's answer while the shop's bucket is empty for longer than an admin page waits."""
    body = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": throttle_status(available=0, requested=100, restore_rate=1),
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(body)


def down(self, request):
    """Shopify's 5xx (the web client tries three times, half a second and a second apart)."""
    return 503, {"Content-Type": "text/html"}, "<html>Service unavailable</html>"


def refused(self, request):
    return 402, {"Content-Type": "application/json"}, json.dumps({"errors": "Unavailable Shop"})


@pytest.mark.parametrize("answer", [throttled, down, refused], ids=["throttled", "server-error", "shop-frozen"])
def test_when_shopify_cannot_tell_the_page_still_works_without_the_order(client, store, monkeypatch, answer):
    monkeypatch.setattr(FakeAdmin, "__call__", answer)
    pending = stored_request(store)
    response = client.get(f"/admin/api/requests/{pending.id}", headers=auth())
    assert response.status_code == 200
    request = response.get_json()["request"]
    assert (request["order"], request["order_error"]) == (None, "shop_unavailable")
    assert request["id"] == pending.id and request["timeline"]


def test_the_actions_answer_with_the_order_too(client, store, shop):
    pending = stored_request(store)
    approved = client.post(f"/admin/api/requests/{pending.id}/approve", headers=auth()).get_json()["request"]
    assert approved["status"] == "queued" and approved["order"]["name"] == "#1001"
    noted = client.post(f"/admin/api/requests/{pending.id}/notes", json={"text": "Called"}, headers=auth())
    assert noted.status_code == 201 and noted.get_json()["request"]["order_error"] is None
    second = stored_request(store, order_id=5002)
    rejected = client.post(f"/admin/api/requests/{second.id}/reject", json={"message": "Packed"}, headers=auth())
    assert "order" in rejected.get_json()["request"]


def test_the_list_never_reads_orders(client, store, shop):
    for n in range(3):
        stored_request(store, order_id=5001 + n)
    listed = client.get("/admin/api/requests", headers=auth()).get_json()["requests"]
    assert len(listed) == 3 and all("order" not in item for item in listed)
    assert shop.names() == []


def test_an_orders_page_in_the_shopify_admin_is_named_by_the_shops_handle():
    assert order_admin_url("tea-shop.myshopify.com", 5001) == "https://admin.shopify.com/store/tea-shop/orders/5001"
    assert order_admin_url("tea-shop.myshopify.com", 5001, "http://127.0.0.1:8001/") == (
        "http://127.0.0.1:8001/admin/orders/5001"
    )


# -- who did what -----------------------------------------------------------------------------------------


def test_each_event_and_note_says_who_in_words(client, store):
    request = stored_request(store)

    def history(r) -> None:
        r.record(NOW, "approved_by_staff", status=RequestStatus.QUEUED, detail="staff:42")
        r.record(NOW, "processing", status=RequestStatus.PROCESSING, detail="attempt 1")
        r.record(NOW, "rejected_automatically", status=RequestStatus.REJECTED, detail="auto-review")
        r.record(
            NOW, "cancelled_in_shopify", status=RequestStatus.CANCELLED, detail="the order was cancelled in Shopify"
        )
        r.record(NOW, "retried_by_staff", status=RequestStatus.QUEUED, detail="staff:7")
        r.notes.append(Note(at=NOW, author="staff:42", text="Called the customer"))
        r.notes.append(Note(at=NOW, author="staff:7", text="Refund by hand"))

    store.requests.update(request.id, history)
    store.staff_names.remember(SHOP, "42", "Grace Hopper", NOW)
    answer = detail(client, request.id)
    assert [(event["type"], event["actor"]) for event in answer["timeline"]] == [
        ("requested", {"kind": "shopper", "id": str(CUSTOMER), "name": None}),
        ("approved_by_staff", {"kind": "staff", "id": "42", "name": "Grace Hopper"}),
        ("processing", {"kind": "app", "id": None, "name": None}),
        ("rejected_automatically", {"kind": "policy", "id": None, "name": None}),
        ("cancelled_in_shopify", {"kind": "shopify", "id": None, "name": None}),
        # A staff member whose name Shopify has not told yet.
        ("retried_by_staff", {"kind": "staff", "id": "7", "name": None}),
    ]
    assert [(note["author"], note["author_name"]) for note in answer["notes"]] == [
        ("staff:42", "Grace Hopper"),
        ("staff:7", None),
    ]


def test_a_webhooks_rejection_is_shopifys_and_a_session_without_a_staff_id_names_no_one(client, store):
    request = stored_request(store)

    def history(r) -> None:
        r.record(NOW, "rejected", status=RequestStatus.REJECTED, detail="orders/updated: fulfillment started")
        r.notes.append(Note(at=NOW, author="staff:unknown", text="?"))

    store.requests.update(request.id, history)
    answer = detail(client, request.id)
    assert answer["timeline"][-1]["actor"] == {"kind": "shopify", "id": None, "name": None}
    assert answer["notes"][0]["author_name"] is None
