"""The edit part of the storefront contract over HTTP, on both edges: real Redis, the Admin API answered by
`responses` (tests/integration/test_edit_end_to_end.py carries edits out through the devshop and workers)."""

from __future__ import annotations

import pytest
from rq import Queue

from storefront_proxy.job_queue import shop_queue_name
from storefront_proxy.policy.model import Policy, ReviewMode
from storefront_proxy.services import services_of
from tests.customer_account.test_api import bearer
from tests.helpers import OTHER_CUSTOMER, SHOP, admin_order, signed_query
from tests.proxy.test_storefront import JSON, csrf, get, post

SHIRT_PRODUCT = "gid://shopify/Product/77"


def editable_order(order_id: int = 5001, **kwargs):
    order = admin_order(order_id, **kwargs)
    order["merchantEditable"] = True
    order["shippingAddress"] = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "address1": "Keizersgracht 1",
        "city": "Amsterdam",
        "zip": "1015 CJ",
        "countryCodeV2": "NL",
    }
    order["lineItems"] = {
        "nodes": [
            {
                "id": "gid://shopify/LineItem/9001",
                "name": "Sencha, 100 g",
                "title": "Sencha, 100 g",
                "quantity": 2,
                "currentQuantity": 2,
                "unfulfilledQuantity": 2,
                "discountedUnitPriceAfterAllDiscountsSet": {"shopMoney": {"amount": "12.50", "currencyCode": "EUR"}},
                "variant": {"id": "gid://shopify/ProductVariant/101", "product": {"id": "gid://shopify/Product/55"}},
            },
            {
                "id": "gid://shopify/LineItem/9002",
                "name": "T-shirt - M",
                "title": "T-shirt",
                "variantTitle": "M",
                "quantity": 1,
                "currentQuantity": 1,
                "unfulfilledQuantity": 1,
                "discountedUnitPriceAfterAllDiscountsSet": {"shopMoney": {"amount": "17.50", "currencyCode": "EUR"}},
                "variant": {"id": "gid://shopify/ProductVariant/201", "product": {"id": SHIRT_PRODUCT}},
            },
        ],
        "pageInfo": {"hasNextPage": False},
    }
    return order


# The T-shirt's sizes as GetVariantOptions answers them: L is sold out.
SHIRT_VARIANTS = {
    "id": SHIRT_PRODUCT,
    "variants": {
        "nodes": [
            {"id": f"gid://shopify/ProductVariant/{n}", "title": size, "price": "17.50", "availableForSale": ok}
            for n, size, ok in ((200, "S", True), (201, "M", True), (202, "L", False))
        ]
    },
}


@pytest.fixture
def editable(shop):
    shop.orders[5001] = editable_order()
    shop.orders[5004] = editable_order(5004, customer=OTHER_CUSTOMER)
    shop.products[SHIRT_PRODUCT] = SHIRT_VARIANTS
    return shop


def edit_jobs(redis_conn):
    return [job for job in Queue(shop_queue_name(SHOP), connection=redis_conn).job_ids if job.startswith("edit-")]


def test_the_order_says_what_may_be_edited(client, editable):
    body = get(client, "/proxy/orders/5001").get_json()
    assert body["editable"] is True and body["edit_ineligible_reasons"] == [] and body["edit"] is None
    assert body["edit_deadline"] == body["cancel_deadline"]
    assert body["shipping_address"]["city"] == "Amsterdam" and body["shipping_address"]["country_code"] == "NL"
    tea, shirt = body["line_items"]
    assert tea == {
        "id": 9001,
        "title": "Sencha, 100 g",
        "variant_title": None,
        "quantity": 2,
        "editable_quantity": 2,
        "unit_price": {"amount": "12.50", "currency_code": "EUR"},
        "variant_id": 101,
        "variant_options": [],
    }
    assert shirt["variant_options"] == [
        {"variant_id": 200, "title": "S", "available": True},
        {"variant_id": 202, "title": "L", "available": False},
    ]


def test_lowering_a_quantity_is_accepted_with_its_refund_and_queued(client, editable, redis_conn):
    token = csrf(client)
    response = post(
        client, "/proxy/orders/5001/edits", {"line_items": [{"id": 9001, "quantity": 1}], "csrf_token": token}
    )
    assert response.status_code == 202
    edit = response.get_json()["edit"]
    assert edit["status"] == "queued" and edit["id"].startswith("edt_")
    assert edit["refund"] == {"amount": "12.50", "currency_code": "EUR"}
    assert edit["changes"] == [
        {
            "type": "quantity",
            "line_item_id": 9001,
            "title": "Sencha, 100 g",
            "variant_title": None,
            "from_quantity": 2,
            "to_quantity": 1,
        }
    ]
    assert edit_jobs(redis_conn) == [f"edit-{edit['id']}"]
    assert get(client, f"/proxy/orders/5001/edits/{edit['id']}").get_json() == {"edit": edit}
    assert get(client, "/proxy/orders/5001").get_json()["edit"]["id"] == edit["id"]

    # One open edit at a time; a cancellation waits for it too.
    again = post(client, "/proxy/orders/5001/edits", {"line_items": [{"id": 9002, "quantity": 0}], "csrf_token": token})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "edit_in_progress"
    cancel = post(client, "/proxy/orders/5001/cancellation", {"reason": "changed_mind", "csrf_token": token})
    assert cancel.status_code == 409 and cancel.get_json()["error"]["code"] == "edit_in_progress"
    shown = get(client, "/proxy/orders/5001").get_json()
    assert shown["editable"] is False
    # Cancelling waits for the edit, and says so; the list agrees.
    assert shown["eligible"] is False and [r["code"] for r in shown["ineligible_reasons"]] == ["edit_in_progress"]
    listed = next(o for o in get(client, "/proxy/orders").get_json()["orders"] if o["order_id"] == 5001)
    assert listed["editable"] is False and listed["edit"]["id"] == edit["id"] and listed["eligible"] is False


def test_a_cancellation_request_keeps_the_order_from_being_edited(client, editable, app):
    services_of(app).store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL))
    token = csrf(client)
    assert (
        post(client, "/proxy/orders/5001/cancellation", {"reason": "changed_mind", "csrf_token": token}).status_code
        == 202
    )
    response = post(
        client, "/proxy/orders/5001/edits", {"line_items": [{"id": 9001, "quantity": 1}], "csrf_token": token}
    )
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "cancellation_in_progress"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"line_items": [{"id": 9001, "quantity": 2}]}, "no_changes"),
        ({"line_items": [{"id": 9001, "quantity": 3}]}, "quantity_increase"),
        ({"line_items": [{"id": 9001, "quantity": 0}, {"id": 9002, "quantity": 0}]}, "removes_every_item"),
        ({"line_items": [{"id": 1, "quantity": 0}]}, "unknown_line_item"),
        ({"line_items": [{"id": 9002, "quantity": 1, "variant_id": 999}]}, "unknown_variant"),
        ({"line_items": [{"id": 9002, "quantity": 1, "variant_id": 202}]}, "variant_unavailable"),
        ({"shipping_address": {"country_code": "DE"}}, "address_country_change"),
        ({"shipping_address": {"street": "x"}}, "invalid_address"),
        ({"line_items": [{"id": "9001", "quantity": 1}]}, "invalid_line_items"),
        ({"line_items": [{"id": 9001, "quantity": -1}]}, "invalid_line_items"),
        ({"line_items": {"id": 9001}}, "invalid_line_items"),
        ({}, "no_changes"),
    ],
)
def test_an_edit_that_is_not_one_is_a_400_saying_why(client, editable, redis_conn, body, code):
    response = post(client, "/proxy/orders/5001/edits", {**body, "csrf_token": csrf(client)})
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == code
    assert edit_jobs(redis_conn) == []


def test_an_order_that_cannot_be_edited_is_a_409_with_the_reasons(client, editable, app):
    services_of(app).store.policies.save(SHOP, Policy(edit_enabled=False))
    body = get(client, "/proxy/orders/5001").get_json()
    assert body["editable"] is False and [r["code"] for r in body["edit_ineligible_reasons"]] == ["edit_disabled"]
    response = post(
        client, "/proxy/orders/5001/edits", {"line_items": [{"id": 9001, "quantity": 1}], "csrf_token": csrf(client)}
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "not_eligible" and [r["code"] for r in error["reasons"]] == ["edit_disabled"]


def test_another_customers_order_and_edit_are_not_found(client, editable):
    token = csrf(client)
    edit = post(client, "/proxy/orders/5001/edits", {"line_items": [{"id": 9001, "quantity": 1}], "csrf_token": token})
    edit_id = edit.get_json()["edit"]["id"]
    assert get(client, f"/proxy/orders/5001/edits/{edit_id}", customer=OTHER_CUSTOMER).status_code == 404
    assert get(client, "/proxy/orders/5001/edits/edt_nope").status_code == 404
    other = post(client, "/proxy/orders/5004/edits", {"line_items": [{"id": 9001, "quantity": 1}], "csrf_token": token})
    assert other.status_code in (403, 404)


def test_an_edit_needs_the_pages_form_token(client, editable):
    response = post(client, "/proxy/orders/5001/edits", {"line_items": [{"id": 9001, "quantity": 1}]})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "invalid_csrf_token"


def test_manual_review_holds_the_edit_for_a_person(client, editable, app, redis_conn):
    services_of(app).store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL))
    response = post(
        client, "/proxy/orders/5001/edits", {"shipping_address": {"address2": "2nd floor"}, "csrf_token": csrf(client)}
    )
    assert response.status_code == 202
    edit = response.get_json()["edit"]
    assert edit["status"] == "pending_review" and edit["refund"] is None
    assert edit["changes"][0]["type"] == "shipping_address"
    assert edit["changes"][0]["shipping_address"]["address2"] == "2nd floor"
    assert edit_jobs(redis_conn) == []


def test_the_plain_form_confirms_with_the_refund_before_sending(client, editable, redis_conn):
    token = csrf(client)
    form = {"csrf_token": token, "quantity-9001": "1", "quantity-9002": "1", "variant-9002": "201", "step": "review"}
    page = client.post(f"/proxy/orders/5001/edits?{signed_query()}", data=form)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Check your changes" in html and "12.50 EUR" in html and "Sencha, 100 g: 2 → 1" in html
    assert edit_jobs(redis_conn) == []
    done = client.post(f"/proxy/orders/5001/edits?{signed_query()}", data={**form, "confirm": "yes"})
    assert done.status_code == 202 and "Your changes" in done.get_data(as_text=True)
    assert len(edit_jobs(redis_conn)) == 1


def test_the_customer_account_path_has_the_same_edit_contract(client, editable, redis_conn):
    headers = {**bearer(), **JSON}
    order = client.get("/customer-account/orders/gid://shopify/Order/5001", headers=headers).get_json()
    assert order["editable"] is True and len(order["line_items"]) == 2
    response = client.post(
        "/customer-account/orders/gid://shopify/Order/5001/edits",
        headers=headers,
        json={"line_items": [{"id": 9002, "quantity": 1, "variant_id": 200}]},
    )
    assert response.status_code == 202, response.get_json()
    edit = response.get_json()["edit"]
    assert edit["changes"][0]["type"] == "variant" and edit["changes"][0]["new_variant_title"] == "S"
    assert edit["refund"] is None
    shown = client.get(f"/customer-account/orders/gid://shopify/Order/5001/edits/{edit['id']}", headers=headers)
    assert shown.status_code == 200 and shown.get_json()["edit"]["id"] == edit["id"]
