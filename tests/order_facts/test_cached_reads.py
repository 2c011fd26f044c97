"""The shopper's views read orders from the webhook-fed cache; whatever decides (the POST, the worker) reads
Shopify fresh. Real Redis, the app over HTTP, Shopify's Admin API answered by `responses`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import redis
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storefront_proxy.cancellations import execution
from storefront_proxy.cancellations.records import RequestStatus
from storefront_proxy.order_facts.repository import OrderFacts
from storefront_proxy.services import services_of
from storefront_proxy.shopify.models import Order
from storefront_proxy.shopify.webhook_orders import order_from_webhook
from storefront_proxy.storage import ReadBatch
from tests.factories import stored_request
from tests.helpers import ADMIN_URL, CUSTOMER, SHOP, FakeAdmin, admin_order, signed_query, webhook_hmac

JSON = {"Accept": "application/json"}
NOW = datetime.now(UTC).replace(microsecond=0)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def shopify_order(order_id: int = 5001, *, updated: datetime = NOW, **fields) -> dict:
    """The Admin API's order, versioned (the cache keeps only versioned reads)."""
    return {**admin_order(order_id, **fields), "updatedAt": stamp(updated)}


def rest_order(order_id: int = 5001, *, updated: datetime = NOW, fulfillment: str | None = None, **fields) -> dict:
    """An ``orders/*`` webhook's payload (Shopify's REST order) for the test customer."""
    return {
        "id": order_id,
        "name": f"#{order_id - 4000}",
        "email": "ada@example.com",
        "created_at": stamp(NOW - timedelta(minutes=5)),
        "updated_at": stamp(updated),
        "cancelled_at": None,
        "closed_at": None,
        "financial_status": "paid",
        "fulfillment_status": fulfillment,
        "currency": "EUR",
        "total_price": "42.50",
        "tags": "",
        "test": False,
        "customer": {"id": CUSTOMER},
        "line_items": [{"id": 1, "title": "Sencha, 100 g", "quantity": 2}],
        "fulfillments": [{"id": 9, "status": "success"}] if fulfillment == "fulfilled" else [],
        **fields,
    }


class Deliveries:
    def __init__(self, client) -> None:
        self.client = client
        self.count = 0

    def __call__(self, topic: str, payload: dict) -> None:
        self.count += 1
        body = json.dumps(payload).encode()
        response = self.client.post(
            "/webhooks",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Shopify-Topic": topic,
                "X-Shopify-Shop-Domain": SHOP,
                "X-Shopify-Webhook-Id": f"delivery-{self.count}",
                "X-Shopify-Hmac-Sha256": webhook_hmac(body),
            },
        )
        assert response.status_code == 200, response.get_data(as_text=True)


@pytest.fixture
def deliver(client) -> Deliveries:
    return Deliveries(client)


@pytest.fixture
def admin():
    fake = FakeAdmin([shopify_order(5001), shopify_order(5002), shopify_order(5004, customer=4242)])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, ADMIN_URL, callback=fake)
        yield fake


def view(client, path: str = "/proxy/orders/5001"):
    response = client.get(f"{path}?{signed_query()}", headers=JSON)
    assert response.status_code in (200, 404), response.get_data(as_text=True)
    return response.get_json()


def codes(page: dict) -> list[str]:
    return [reason["code"] for reason in page["ineligible_reasons"]]


# -- views spend no Admin API points once an order is known -----------------------------------------------------


def test_an_order_read_once_is_shown_again_without_asking_shopify(client, admin):
    assert view(client)["eligible"] is True
    assert view(client)["eligible"] is True
    assert admin.names() == ["GetOrderForCancellation"]


def test_an_order_a_webhook_told_of_is_shown_without_asking_shopify(client, admin, deliver):
    deliver("orders/create", rest_order(5001))
    page = view(client)
    assert page["eligible"] is True and page["name"] == "#1001"
    assert admin.names() == []


def test_another_customers_cached_order_is_still_not_shown(client, admin, deliver):
    deliver("orders/create", rest_order(5004, customer={"id": 4242}))
    assert view(client, "/proxy/orders/5004")["error"]["code"] == "order_not_found"
    assert admin.names() == []


def test_an_order_page_after_the_list_reads_the_line_items_the_list_left_out(client, admin):
    view(client, "/proxy/orders")
    assert view(client)["eligible"] is True
    page = client.get(f"/proxy/orders/5001?{signed_query()}", headers={"Accept": "text/html"})
    assert "Sencha, 100 g" in page.get_data(as_text=True)
    assert admin.names() == ["ListCustomerOrders", "GetOrderForCancellation"]


def test_the_list_is_read_once_and_a_new_order_of_the_customer_joins_it(client, admin, deliver):
    assert [o["order_id"] for o in view(client, "/proxy/orders")["orders"]] == [5001, 5002]
    assert [o["order_id"] for o in view(client, "/proxy/orders")["orders"]] == [5001, 5002]
    admin.orders[5005] = shopify_order(5005)
    deliver("orders/create", rest_order(5005))
    assert [o["order_id"] for o in view(client, "/proxy/orders")["orders"]] == [5005, 5001, 5002]
    assert admin.names() == ["ListCustomerOrders"]


def test_a_policy_excluding_product_tags_reads_shopify_for_what_webhooks_leave_out(client, admin, deliver, app):
    from storefront_proxy.policy.model import Policy

    services_of(app).store.policies.save(SHOP, Policy(excluded_product_tags=["gift-card"]))
    deliver("orders/create", rest_order(5001))
    view(client)
    assert admin.names() == ["GetOrderForCancellation"]
    assert admin.calls[0][0] == "GetOrderForCancellation"


# -- a newer delivery always wins -------------------------------------------------------------------------------


def test_a_cached_read_never_serves_an_order_whose_newer_webhook_was_seen(client, admin, deliver):
    assert view(client)["eligible"] is True  # read from Shopify and kept, version NOW
    deliver("orders/fulfilled", rest_order(5001, updated=NOW + timedelta(seconds=5), fulfillment="fulfilled"))
    assert codes(view(client)) == ["fulfillment_started"]
    # An older delivery arriving late (Shopify does not keep order) changes nothing.
    deliver("orders/updated", rest_order(5001, updated=NOW + timedelta(seconds=2)))
    assert codes(view(client)) == ["fulfillment_started"]
    assert admin.names() == ["GetOrderForCancellation"]


def test_a_read_that_began_before_a_newer_webhook_does_not_overwrite_it(app, deliver):
    facts = services_of(app).store.order_facts
    deliver("orders/cancelled", rest_order(5001, updated=NOW + timedelta(seconds=5), cancelled_at=stamp(NOW)))
    facts.put(SHOP, Order.model_validate(shopify_order(5001, updated=NOW)))
    cached = cached_order(facts, 5001)
    assert cached is not None and cached.cancelled_at is not None


def test_a_newer_delivery_the_app_cannot_read_makes_the_view_ask_shopify(client, admin, deliver):
    view(client)
    unreadable = rest_order(5001, updated=NOW + timedelta(seconds=5))
    del unreadable["created_at"]
    deliver("orders/updated", unreadable)
    view(client)
    assert admin.names() == ["GetOrderForCancellation", "GetOrderForCancellation"]


def cached_order(facts: OrderFacts, order_id: int) -> Order | None:
    read = ReadBatch(facts.redis)
    pending = facts.get_in(read, SHOP, order_id)
    read.run()
    return pending.value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.permutations(list(range(6))))
def test_whatever_order_deliveries_arrive_in_the_newest_is_kept(redis_conn, arrival):
    redis_conn.flushdb()
    facts = OrderFacts(redis_conn)
    statuses = ["pending", "authorized", "paid", "partially_refunded", "refunded", "voided"]
    for index in arrival:
        payload = rest_order(5001, updated=NOW + timedelta(seconds=index), financial_status=statuses[index])
        facts.saw(SHOP, 5001, NOW + timedelta(seconds=index), order_from_webhook(payload))
    cached = cached_order(facts, 5001)
    assert cached is not None and cached.display_financial_status == "VOIDED"


# -- what decides reads Shopify fresh ---------------------------------------------------------------------------


def test_the_post_reads_shopify_even_when_the_cached_order_looks_cancellable(client, admin, deliver):
    deliver("orders/create", rest_order(5001))
    token = view(client)["csrf_token"]
    # Shopify has started shipping; no webhook has arrived yet.
    admin.orders[5001] = shopify_order(5001, fulfillment="FULFILLED", updated=NOW + timedelta(seconds=1))
    response = client.post(
        f"/proxy/orders/5001/cancellation?{signed_query()}",
        json={"reason": "changed_mind"},
        headers={**JSON, "X-CSRF-Token": token},
    )
    assert response.status_code == 409
    assert admin.names() == ["GetOrderToDecide"]
    # What it read is newer than the cached order: the next view reads the whole order, and shows what it is.
    assert codes(view(client)) == ["fulfillment_started"]
    assert admin.names() == ["GetOrderToDecide", "GetOrderForCancellation"]


def test_the_worker_reads_shopify_before_cancelling_whatever_the_cache_says(app, admin, deliver, job_context):
    deliver("orders/create", rest_order(5001))
    admin.orders[5001] = shopify_order(5001, fulfillment="FULFILLED", updated=NOW + timedelta(seconds=1))
    request = stored_request(job_context.store, status=RequestStatus.QUEUED)
    outcome = execution.carry_out_cancellation(job_context, request.id)
    assert outcome["status"] == "rejected"
    assert admin.names() == ["GetOrderToDecide"]
    cached = cached_order(job_context.store.order_facts, 5001)
    # Newer than the webhook's: kept for the list; the order's page reads it whole (it lists the line items).
    assert cached is not None and cached.display_fulfillment_status == "FULFILLED" and not cached.line_items_read


# -- privacy and round trips --------------------------------------------------------------------------------------


def test_redacting_the_customer_or_the_shop_erases_their_cached_orders(app, client, admin, deliver, job_context):
    from storefront_proxy.webhooks import privacy

    store = job_context.store
    view(client, "/proxy/orders")
    assert cached_order(store.order_facts, 5001) is not None
    privacy.customers_redact(job_context, SHOP, {"customer": {"id": CUSTOMER}, "orders_to_redact": []}, None)
    assert cached_order(store.order_facts, 5001) is None and cached_order(store.order_facts, 5002) is None
    deliver("orders/create", rest_order(5001))
    privacy.shop_redact(job_context, SHOP, {}, None)
    assert not list(store.redis.scan_iter(match=f"selfservice:*order*:{SHOP}:*"))


def test_a_cached_order_page_waits_for_redis_once(client, admin, deliver, monkeypatch):
    deliver("orders/create", rest_order(5001))
    view(client)  # the first view also reports the proxy path
    round_trips = []
    original = redis.connection.Connection.send_packed_command

    def counted(self, command, check_health=True):
        round_trips.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counted)
    assert view(client)["eligible"] is True
    assert len(round_trips) == 1
    assert admin.names() == []


def test_a_post_that_finds_the_cached_version_keeps_the_cached_order(client, admin, deliver):
    deliver("orders/create", rest_order(5001))  # the same version Shopify answers (NOW)
    token = view(client)["csrf_token"]
    response = client.post(
        f"/proxy/orders/5001/cancellation?{signed_query()}",
        json={"reason": "changed_mind"},
        headers={**JSON, "X-CSRF-Token": token},
    )
    assert response.status_code == 202
    assert view(client)["request"]["status"] == "queued"
    assert admin.names() == ["GetOrderToDecide"], "the page still came from the cache"


def test_a_new_order_heads_the_cached_list_without_a_read_even_one_shopifys_search_has_not_found_yet(
    client, admin, deliver
):
    big = 5_923_456_789_012_345  # Shopify's ids outgrow 14 digits
    assert [o["order_id"] for o in view(client, "/proxy/orders")["orders"]] == [5001, 5002]
    deliver("orders/create", rest_order(big, created_at=stamp(datetime.now(UTC))))
    assert [o["order_id"] for o in view(client, "/proxy/orders")["orders"]] == [big, 5001, 5002]
    assert admin.names() == ["ListCustomerOrders"]


def test_a_new_order_seen_before_any_list_is_shown_although_shopifys_search_misses_it(client, admin, deliver):
    # Not in the stand-in's search results; placed just now (NOW is when this module was loaded).
    deliver("orders/create", rest_order(5009, created_at=stamp(datetime.now(UTC))))
    assert [o["order_id"] for o in view(client, "/proxy/orders")["orders"]] == [5009, 5001, 5002]
    assert [o["order_id"] for o in view(client, "/proxy/orders")["orders"]] == [5009, 5001, 5002]
    assert admin.names() == ["ListCustomerOrders"]
