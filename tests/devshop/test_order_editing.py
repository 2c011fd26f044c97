"""The devshop's order editing, refunds and shipping addresses, driven with the app's own documents.

Seeded for these (devshop/seed.py): #1008 (5008) holds a T-shirt in S (line item 9009, variant 21001), two green
mugs (9010, variant 21004) and a tea towel (9011); #1009 (5009) two T-shirts in L (9012, one shipped) and an ochre
mug (9013). The T-shirt (product 20001) comes in S, M (sold out) and L (21001-21003) at 29.00; the mug (20002) in
Forest Green and Ochre (21004, 21005) at 16.50.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from devshop.app import create_devshop
from devshop.schema import load_admin_schema
from devshop.state import DevshopState, Order
from devshop.webhooks import order_payload
from tests.devshop.helpers import APP_URL, SECRET, Clock, cancel, document, gql

GET_ORDER = document("get_order.graphql")
GET_ORDER_WITH_PRODUCT_TAGS = document("get_order_with_product_tags.graphql")
GET_VARIANT_OPTIONS = document("get_variant_options.graphql")
GET_ORDER_PAYMENTS = document("get_order_payments.graphql")
BEGIN = document("begin_order_edit.graphql")
SET_QUANTITY = document("set_order_edit_quantity.graphql")
ADD_VARIANT = document("add_order_edit_variant.graphql")
COMMIT = document("commit_order_edit.graphql")
REFUND = document("refund_edit_difference.graphql")
UPDATE_ADDRESS = document("update_shipping_address.graphql")

EDIT_ORDER = "gid://shopify/Order/5008"
PARTLY_SHIPPED = "gid://shopify/Order/5009"
SHIRT_S, SHIRT_M, SHIRT_L = 21001, 21002, 21003
MUG_GREEN, MUG_OCHRE = 21004, 21005
AMSTERDAM = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "company": None,
    "address1": "Keizersgracht 123",
    "address2": None,
    "city": "Amsterdam",
    "provinceCode": None,
    "zip": "1015 CJ",
    "countryCodeV2": "NL",
    "phone": "+31 20 123 4567",
}
UTRECHT = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "company": "Analytical Engines BV",
    "address1": "Oudegracht 12",
    "address2": "2e verdieping",
    "city": "Utrecht",
    "provinceCode": "UT",
    "zip": "3511 AB",
    "countryCode": "NL",
    "phone": None,
}


@pytest.fixture(scope="module", autouse=True)
def _schema() -> None:
    load_admin_schema()


@pytest.fixture
def app(clock: Clock) -> Flask:
    app = create_devshop(app_url=APP_URL, api_secret=SECRET, clock=clock, cancel_job_seconds=0)
    app.config["TESTING"] = True
    # These tests read whole orders often; the throttle has tests of its own (test_devshop.py).
    app.extensions["devshop"].set_throttle(maximum_available=100_000, currently_available=100_000)
    return app


@pytest.fixture
def announced(state: DevshopState) -> list[tuple[str, dict[str, Any]]]:
    """What the devshop announces to its webhook sender: (topic, the REST payload it would deliver)."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def listener(topic: str, order: Order) -> None:
        seen.append((topic, order_payload(order, state.shop_domain)))

    state.listeners.append(listener)
    return seen


def run(client: FlaskClient, query: str, variables: dict[str, Any], field: str) -> dict[str, Any]:
    """Execute one of the app's documents; the payload of its root field (no GraphQL errors allowed)."""
    status, body = gql(client, query, variables)
    assert status == 200 and "errors" not in body, body
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == cost["actualQueryCost"] > 0
    return body["data"][field]


def order(client: FlaskClient, gid: str = EDIT_ORDER) -> dict[str, Any]:
    return run(client, GET_ORDER, {"id": gid}, "order")


def amount(money_bag: dict[str, Any]) -> str:
    assert money_bag["shopMoney"]["currencyCode"] == "EUR"
    return money_bag["shopMoney"]["amount"]


def begin(client: FlaskClient, gid: str = EDIT_ORDER) -> dict[str, Any]:
    payload = run(client, BEGIN, {"id": gid}, "orderEditBegin")
    assert payload["userErrors"] == [], payload
    return payload["calculatedOrder"]


def set_quantity(
    client: FlaskClient, session: str, line_item: int, quantity: int, *, restock: bool = True
) -> dict[str, Any]:
    variables = {
        "id": session,
        "lineItemId": f"gid://shopify/CalculatedLineItem/{line_item}",
        "quantity": quantity,
        "restock": restock,
    }
    return run(client, SET_QUANTITY, variables, "orderEditSetQuantity")


def add_variant(client: FlaskClient, session: str, variant: int, quantity: int = 1) -> dict[str, Any]:
    variables = {"id": session, "variantId": f"gid://shopify/ProductVariant/{variant}", "quantity": quantity}
    return run(client, ADD_VARIANT, variables, "orderEditAddVariant")


def commit(client: FlaskClient, session: str, staff_note: str = "Edited by the customer (self-service)") -> Any:
    variables = {"id": session, "notifyCustomer": True, "staffNote": staff_note}
    return run(client, COMMIT, variables, "orderEditCommit")


def refund_input(order_id: str, parent: str, value: str, **extra: Any) -> dict[str, Any]:
    transaction = {"amount": value, "gateway": "bogus", "kind": "REFUND", "orderId": order_id, "parentId": parent}
    return {"orderId": order_id, "notify": True, "note": "Edit difference", "transactions": [transaction], **extra}


def refund(client: FlaskClient, refund_data: dict[str, Any], key: str) -> dict[str, Any]:
    return run(client, REFUND, {"input": refund_data, "idempotencyKey": key}, "refundCreate")


def sale(client: FlaskClient, gid: str = EDIT_ORDER) -> str:
    payments = run(client, GET_ORDER_PAYMENTS, {"id": gid}, "order")
    [paid] = [t for t in payments["transactions"] if t["kind"] == "SALE"]
    return paid["id"]


# -- what the order page reads ----------------------------------------------------------------------------------


def test_an_orders_line_items_name_their_variants_and_products_and_it_ships_somewhere(client: FlaskClient) -> None:
    read = order(client)
    assert read["merchantEditable"] is True
    assert read["shippingAddress"] == AMSTERDAM
    assert amount(read["totalPriceSet"]) == "74.50"
    shirt, mugs, towel = read["lineItems"]["nodes"]
    assert shirt == {
        "quantity": 1,
        "id": "gid://shopify/LineItem/9009",
        "name": "Organic Cotton T-Shirt - S",
        "title": "Organic Cotton T-Shirt",
        "variantTitle": "S",
        "currentQuantity": 1,
        "unfulfilledQuantity": 1,
        "discountedUnitPriceAfterAllDiscountsSet": {"shopMoney": {"amount": "29.00", "currencyCode": "EUR"}},
        "variant": {"id": f"gid://shopify/ProductVariant/{SHIRT_S}", "product": {"id": "gid://shopify/Product/20001"}},
    }
    assert (mugs["quantity"], mugs["currentQuantity"], mugs["variantTitle"]) == (2, 2, "Forest Green")
    # A product without options: its one variant is Shopify's "Default Title", and the line item has no variantTitle.
    assert (towel["name"], towel["variantTitle"]) == ("Linen Tea Towel", None)
    tagged = run(client, GET_ORDER_WITH_PRODUCT_TAGS, {"id": EDIT_ORDER}, "order")
    assert [item["product"]["tags"] for item in tagged["lineItems"]["nodes"]] == [["apparel"], ["kitchen"], ["kitchen"]]


def test_the_variants_a_line_item_can_be_swapped_to_say_what_is_in_stock(client: FlaskClient) -> None:
    ids = ["gid://shopify/Product/20001", "gid://shopify/Product/20002", "gid://shopify/Product/1"]
    shirt, mug, gone = run(client, GET_VARIANT_OPTIONS, {"ids": ids}, "nodes")
    assert gone is None
    assert shirt == {
        "id": "gid://shopify/Product/20001",
        "variants": {
            "nodes": [
                {
                    "id": f"gid://shopify/ProductVariant/{SHIRT_S}",
                    "title": "S",
                    "price": "29.00",
                    "availableForSale": True,
                },
                {
                    "id": f"gid://shopify/ProductVariant/{SHIRT_M}",
                    "title": "M",
                    "price": "29.00",
                    "availableForSale": False,
                },
                {
                    "id": f"gid://shopify/ProductVariant/{SHIRT_L}",
                    "title": "L",
                    "price": "29.00",
                    "availableForSale": True,
                },
            ]
        },
    }
    assert [v["title"] for v in mug["variants"]["nodes"]] == ["Forest Green", "Ochre"]


def test_what_was_paid_is_one_sale_of_the_total_and_an_authorized_order_has_only_an_authorization(
    client: FlaskClient,
) -> None:
    paid = run(client, GET_ORDER_PAYMENTS, {"id": EDIT_ORDER}, "order")
    assert paid["displayFinancialStatus"] == "PAID" and amount(paid["netPaymentSet"]) == "74.50"
    [transaction] = paid["transactions"]
    assert transaction["id"].startswith("gid://shopify/OrderTransaction/")
    assert (transaction["kind"], transaction["status"], transaction["gateway"]) == ("SALE", "SUCCESS", "bogus")
    assert amount(transaction["amountSet"]) == "74.50"
    authorized = run(client, GET_ORDER_PAYMENTS, {"id": "gid://shopify/Order/5002"}, "order")
    assert [t["kind"] for t in authorized["transactions"]] == ["AUTHORIZATION"]
    assert amount(authorized["netPaymentSet"]) == "0.00"


def test_only_an_open_order_with_something_unshipped_is_merchant_editable(client: FlaskClient, state) -> None:
    closed = state.create_order(closed=True)
    for legacy_id in (5004, 5005, closed):  # all shipped, cancelled, archived
        assert order(client, f"gid://shopify/Order/{legacy_id}")["merchantEditable"] is False
    assert order(client, PARTLY_SHIPPED)["merchantEditable"] is True


# -- order editing ----------------------------------------------------------------------------------------------


def test_lowering_a_quantity_and_swapping_a_size_change_the_order_only_when_committed(
    client: FlaskClient, state: DevshopState, announced
) -> None:
    calculated = begin(client)
    session = calculated["id"]
    assert session.startswith("gid://shopify/CalculatedOrder/")
    assert amount(calculated["totalPriceSet"]) == "74.50"
    # The calculated line items are numbered like the order's line items.
    assert [(line["id"], line["quantity"], line["editableQuantity"]) for line in calculated["lineItems"]["nodes"]] == [
        ("gid://shopify/CalculatedLineItem/9009", 1, 1),
        ("gid://shopify/CalculatedLineItem/9010", 2, 2),
        ("gid://shopify/CalculatedLineItem/9011", 1, 1),
    ]
    assert calculated["lineItems"]["nodes"][0]["variant"] == {"id": f"gid://shopify/ProductVariant/{SHIRT_S}"}

    lowered = set_quantity(client, session, 9010, 1)
    assert lowered["userErrors"] == [] and amount(lowered["calculatedOrder"]["totalPriceSet"]) == "58.00"
    # The swap: the new size added, the old line set to 0 (it stays on the order, at 0).
    swapped = add_variant(client, session, SHIRT_L)
    assert swapped["userErrors"] == [] and amount(swapped["calculatedOrder"]["totalPriceSet"]) == "87.00"
    assert amount(set_quantity(client, session, 9009, 0)["calculatedOrder"]["totalPriceSet"]) == "58.00"

    staged = order(client)
    assert amount(staged["totalPriceSet"]) == "74.50" and staged["lineItems"]["nodes"][1]["currentQuantity"] == 2
    assert announced == [], "staging changes nothing on the order"

    committed = commit(client, session)
    assert committed == {
        "order": {"id": EDIT_ORDER, "currentTotalPriceSet": {"shopMoney": {"amount": "58.00", "currencyCode": "EUR"}}},
        "userErrors": [],
    }
    edited = order(client)
    assert amount(edited["totalPriceSet"]) == "58.00"
    assert [
        (i["name"], i["quantity"], i["currentQuantity"], i["unfulfilledQuantity"]) for i in edited["lineItems"]["nodes"]
    ] == [
        ("Organic Cotton T-Shirt - S", 1, 0, 0),
        ("Enamel Camping Mug - Forest Green", 2, 1, 1),
        ("Linen Tea Towel", 1, 1, 1),
        ("Organic Cotton T-Shirt - L", 1, 1, 1),
    ]
    added = edited["lineItems"]["nodes"][3]
    assert added["variant"]["id"] == f"gid://shopify/ProductVariant/{SHIRT_L}"
    assert added["id"] == swapped_line_item_id(state), "the added line item keeps its calculated line item's number"
    # Restocked: the S and the mug go back in stock; the L is taken from it.
    assert [state.get_variant(v).inventory_quantity for v in (SHIRT_S, MUG_GREEN, SHIRT_L)] == [5, 7, 1]
    assert [topic for topic, _ in announced] == ["orders/updated"]
    assert announced[0][1]["updated_at"] == edited["updatedAt"]

    record = client.get("/devshop/orders/5008").get_json()
    [edit] = record["edits"]
    assert edit["session_id"] == session and edit["notify_customer"] is True
    assert edit["staff_note"] == "Edited by the customer (self-service)"
    assert (edit["total_before"], edit["total_after"]) == ("74.50", "58.00")
    assert [change.get("to", change.get("added")) for change in edit["changes"]] == [0, 1, 1]
    [listed] = [s for s in client.get("/devshop/order-edits").get_json() if s["id"] == session]
    assert listed["committed"] is True and listed["order_id"] == 5008


def swapped_line_item_id(state: DevshopState) -> str:
    [session] = state.list_edit_sessions()
    [added] = session.added
    return f"gid://shopify/LineItem/{added.legacy_id}"


def test_without_restock_the_units_taken_off_stay_out_of_stock(client: FlaskClient, state: DevshopState) -> None:
    session = begin(client)["id"]
    set_quantity(client, session, 9010, 0, restock=False)
    commit(client, session)
    assert state.get_variant(MUG_GREEN).inventory_quantity == 6
    assert state.get_order(5008).line_items[1].current_quantity == 0


def test_only_the_unshipped_part_of_a_line_can_be_edited(client: FlaskClient, state: DevshopState) -> None:
    calculated = begin(client, PARTLY_SHIPPED)
    shirts = calculated["lineItems"]["nodes"][0]
    assert (shirts["quantity"], shirts["editableQuantity"]) == (2, 1)
    session = calculated["id"]
    refused = set_quantity(client, session, 9012, 0)
    assert refused["calculatedOrder"] is None
    assert refused["userErrors"] == [
        {"field": ["quantity"], "message": "Quantity can't be less than the 1 already fulfilled."}
    ]
    set_quantity(client, session, 9012, 1)
    set_quantity(client, session, 9013, 0)
    assert commit(client, session)["userErrors"] == []
    # Everything left on the order has shipped: it is fulfilled now, and there is nothing to edit.
    edited = order(client, PARTLY_SHIPPED)
    assert edited["displayFulfillmentStatus"] == "FULFILLED" and edited["merchantEditable"] is False
    assert state.get_order(5009).fulfillment_orders[0].status == "CLOSED"
    again = run(client, BEGIN, {"id": PARTLY_SHIPPED}, "orderEditBegin")
    assert again["calculatedOrder"] is None
    assert again["userErrors"] == [{"field": ["id"], "message": "The order has no unfulfilled line items to edit."}]


@pytest.mark.parametrize(
    ("line_item", "quantity", "field", "message"),
    [
        (9010, -1, ["quantity"], "Quantity must be greater than or equal to 0."),
        (4242, 1, ["lineItemId"], "The line item does not exist."),
        # Three of the S: one on the order, and only the 4 in stock could be added.
        (9009, 6, ["quantity"], "Only 4 of Organic Cotton T-Shirt - S are available."),
    ],
)
def test_set_quantity_user_errors(
    client: FlaskClient, line_item: int, quantity: int, field: list[str], message: str
) -> None:
    session = begin(client)["id"]
    refused = set_quantity(client, session, line_item, quantity)
    assert refused["calculatedOrder"] is None
    assert refused["userErrors"] == [{"field": field, "message": message}]


@pytest.mark.parametrize(
    ("variant", "quantity", "field", "message"),
    [
        (SHIRT_M, 1, ["variantId"], "Organic Cotton T-Shirt - M is out of stock."),
        (MUG_OCHRE, 3, ["variantId"], "Only 2 of Enamel Camping Mug - Ochre are available."),
        (SHIRT_L, 0, ["quantity"], "Quantity must be greater than 0."),
        (4242, 1, ["variantId"], "The variant does not exist."),
    ],
)
def test_add_variant_user_errors(
    client: FlaskClient, state: DevshopState, variant: int, quantity: int, field: list[str], message: str
) -> None:
    session = begin(client)["id"]
    refused = add_variant(client, session, variant, quantity)
    assert refused["calculatedOrder"] is None
    assert refused["userErrors"] == [{"field": field, "message": message}]
    assert state.find_edit_session(session).added == []


def test_an_added_variant_set_to_zero_leaves_the_edit(client: FlaskClient, state: DevshopState) -> None:
    session = begin(client)["id"]
    add_variant(client, session, MUG_OCHRE, 2)
    [added] = state.find_edit_session(session).added
    assert amount(set_quantity(client, session, added.legacy_id, 0)["calculatedOrder"]["totalPriceSet"]) == "74.50"
    commit(client, session)
    assert len(state.get_order(5008).line_items) == 3 and state.get_variant(MUG_OCHRE).inventory_quantity == 2


def test_allow_duplicates_false_refuses_a_variant_already_on_the_order(client: FlaskClient) -> None:
    session = begin(client)["id"]
    query = """mutation Dup($id: ID!, $variantId: ID!) {
      orderEditAddVariant(id: $id, variantId: $variantId, quantity: 1) {
        calculatedLineItem { id } userErrors { field message } } }"""
    _, body = gql(client, query, {"id": session, "variantId": f"gid://shopify/ProductVariant/{SHIRT_S}"})
    [error] = body["data"]["orderEditAddVariant"]["userErrors"]
    assert error["field"] == ["variantId"]
    added = add_variant(client, session, SHIRT_S)  # the app's document allows duplicates
    assert added["userErrors"] == []


@pytest.mark.parametrize(
    ("order_id", "message"),
    [
        ("gid://shopify/Order/5005", "The order has been cancelled and can't be edited."),
        ("gid://shopify/Order/5004", "The order has no unfulfilled line items to edit."),
        ("gid://shopify/Order/1", "Order does not exist"),
    ],
)
def test_an_order_that_cant_be_edited_is_refused_at_begin(client: FlaskClient, order_id: str, message: str) -> None:
    refused = run(client, BEGIN, {"id": order_id}, "orderEditBegin")
    assert refused == {"calculatedOrder": None, "userErrors": [{"field": ["id"], "message": message}]}


def test_an_archived_order_cant_be_edited(client: FlaskClient, state: DevshopState) -> None:
    closed = state.create_order(closed=True)
    refused = run(client, BEGIN, {"id": f"gid://shopify/Order/{closed}"}, "orderEditBegin")
    assert refused["userErrors"] == [{"field": ["id"], "message": "The order is archived and can't be edited."}]


def test_a_session_commits_once_and_a_stale_one_not_at_all(client: FlaskClient, state: DevshopState) -> None:
    first, second = begin(client)["id"], begin(client)["id"]
    assert first != second
    set_quantity(client, first, 9010, 1)
    set_quantity(client, second, 9011, 0)
    too_long = commit(client, first, staff_note="x" * 256)
    assert too_long["userErrors"] == [
        {"field": ["staffNote"], "message": "Staff note is too long (maximum is 255 characters)"}
    ]
    assert commit(client, first)["userErrors"] == []
    again = commit(client, first)
    assert again == {
        "order": None,
        "userErrors": [{"field": ["id"], "message": "The order edit has already been committed."}],
    }
    stale = commit(client, second)
    assert stale["userErrors"] == [{"field": ["id"], "message": "The order has been edited since this edit began."}]
    unknown = commit(client, "gid://shopify/CalculatedOrder/1")
    assert unknown["userErrors"] == [{"field": ["id"], "message": "The order edit does not exist."}]
    assert len(state.get_order(5008).edits) == 1 and state.get_order(5008).line_items[2].current_quantity == 1
    staging_after = set_quantity(client, first, 9010, 2)
    assert staging_after["userErrors"] == [{"field": ["id"], "message": "The order edit has already been committed."}]


def test_an_order_cancelled_during_an_edit_keeps_its_items(client: FlaskClient, state: DevshopState) -> None:
    session = begin(client)["id"]
    set_quantity(client, session, 9010, 1)
    state.staff_cancel(5008)
    refused = commit(client, session)
    assert refused["userErrors"] == [{"field": ["id"], "message": "The order has been cancelled and can't be edited."}]
    assert state.get_order(5008).line_items[1].current_quantity == 2


def test_an_edit_raising_the_total_leaves_a_balance(client: FlaskClient) -> None:
    session = begin(client)["id"]
    add_variant(client, session, MUG_OCHRE)
    commit(client, session)
    raised = run(client, GET_ORDER_PAYMENTS, {"id": EDIT_ORDER}, "order")
    assert raised["displayFinancialStatus"] == "PARTIALLY_PAID" and amount(raised["netPaymentSet"]) == "74.50"
    assert amount(order(client)["totalPriceSet"]) == "91.00"


# -- refunds --------------------------------------------------------------------------------------------------


def lower_the_mugs(client: FlaskClient) -> None:
    session = begin(client)["id"]
    set_quantity(client, session, 9010, 1)
    commit(client, session)


def test_the_edits_difference_is_refunded_once_however_often_the_same_key_is_sent(
    client: FlaskClient, state: DevshopState, announced
) -> None:
    lower_the_mugs(client)
    parent = sale(client)
    first = refund(client, refund_input(EDIT_ORDER, parent, "16.50"), key="edit-5008-1")
    assert first["userErrors"] == []
    assert first["refund"]["id"].startswith("gid://shopify/Refund/")
    assert amount(first["refund"]["totalRefundedSet"]) == "16.50"
    retried = refund(client, refund_input(EDIT_ORDER, parent, "16.50"), key="edit-5008-1")
    assert retried == first, "a repeated key answers the first refund"

    payments = run(client, GET_ORDER_PAYMENTS, {"id": EDIT_ORDER}, "order")
    assert payments["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    assert amount(payments["netPaymentSet"]) == "58.00"
    assert [(t["kind"], amount(t["amountSet"])) for t in payments["transactions"]] == [
        ("SALE", "74.50"),
        ("REFUND", "16.50"),
    ]
    [recorded] = client.get("/devshop/orders/5008").get_json()["refunds"]
    assert recorded["id"] == first["refund"]["id"] and recorded["amount"] == "16.50"
    assert recorded["method"] == "original_payment" and recorded["idempotency_key"] == "edit-5008-1"
    assert (recorded["note"], recorded["notify"]) == ("Edit difference", True)
    assert [topic for topic, _ in announced].count("orders/updated") == 2, "the commit and the one refund"

    other = refund(client, refund_input(EDIT_ORDER, parent, "1.00"), key="edit-5008-1")
    assert other["refund"] is None
    assert other["userErrors"] == [
        {"field": None, "message": "The same idempotency key cannot be used with different operation parameters."}
    ]
    query = """query R($id: ID!) { order(id: $id) { totalRefundedSet { shopMoney { amount } }
      refunds(first: 5) { id note totalRefundedSet { shopMoney { amount } } } } }"""
    _, body = gql(client, query, {"id": EDIT_ORDER})
    assert body["data"]["order"]["totalRefundedSet"]["shopMoney"]["amount"] == "16.50"
    assert [r["id"] for r in body["data"]["order"]["refunds"]] == [first["refund"]["id"]]


def test_refund_create_without_its_idempotency_key_is_an_error_as_from_2026_04(
    client: FlaskClient, state: DevshopState
) -> None:
    query = """mutation NoKey($input: RefundInput!) { refundCreate(input: $input) {
      refund { id } userErrors { field message } } }"""
    status, body = gql(client, query, {"input": refund_input(EDIT_ORDER, sale(client), "1.00")})
    assert status == 200
    assert body["data"] == {"refundCreate": None}
    [error] = body["errors"]
    assert error["message"] == "The @idempotent directive is required for this mutation but was not provided."
    assert error["extensions"] == {"code": "BAD_REQUEST"} and error["path"] == ["refundCreate"]
    _, blank = gql(client, REFUND, {"input": refund_input(EDIT_ORDER, sale(client), "1.00"), "idempotencyKey": "  "})
    assert blank["errors"][0]["message"] == "The idempotency key cannot be an empty string or whitespace only."
    # A literal key works as well as a variable.
    literal = query.replace("refundCreate(input: $input)", 'refundCreate(input: $input) @idempotent(key: "lit-1")')
    _, done = gql(client, literal, {"input": refund_input(EDIT_ORDER, sale(client), "1.00")})
    assert done["data"]["refundCreate"]["userErrors"] == []
    assert [r.idempotency_key for r in state.get_order(5008).refunds] == ["lit-1"]


def test_a_refund_goes_only_to_a_payment_of_the_order_and_never_beyond_what_was_paid(
    client: FlaskClient, state: DevshopState
) -> None:
    parent = sale(client)

    def refused(refund_data: dict[str, Any]) -> list[dict[str, Any]]:
        payload = refund(client, refund_data, key=f"k-{len(state.refund_keys)}-{id(refund_data)}")
        assert payload["refund"] is None
        return payload["userErrors"]

    assert refused(refund_input(EDIT_ORDER, parent, "74.51")) == [
        {
            "field": ["transactions", "0", "amount"],
            "message": f"Amount can't be more than the 74.50 EUR left to refund of {parent}.",
        }
    ]
    other_order = sale(client, "gid://shopify/Order/5001")
    assert refused(refund_input(EDIT_ORDER, other_order, "1.00"))[0]["field"] == ["transactions", "0", "parentId"]
    wrong_kind = refund_input(EDIT_ORDER, parent, "1.00")
    wrong_kind["transactions"][0]["kind"] = "SALE"
    assert refused(wrong_kind)[0]["field"] == ["transactions", "0", "kind"]
    wrong_gateway = refund_input(EDIT_ORDER, parent, "1.00")
    wrong_gateway["transactions"][0]["gateway"] = "manual"
    assert refused(wrong_gateway)[0]["message"] == "The gateway must be the parent transaction's (bogus)."
    unknown = refund_input("gid://shopify/Order/1", parent, "1.00")
    assert refused(unknown) == [{"field": ["orderId"], "message": "Order does not exist"}]
    # An authorized order has received nothing yet: nothing to refund.
    authorization = run(client, GET_ORDER_PAYMENTS, {"id": "gid://shopify/Order/5002"}, "order")["transactions"][0]
    assert refused(refund_input("gid://shopify/Order/5002", authorization["id"], "1.00"))[0]["field"][-1] == "parentId"
    assert state.get_order(5008).refunds == [] and not state.refund_keys, "a refused refund keeps no key"
    # Refunds add up: the second may not take more than the first left.
    refund(client, refund_input(EDIT_ORDER, parent, "70.00"), key="part-1")
    assert refused(refund_input(EDIT_ORDER, parent, "5.00"))[0]["message"].startswith(
        "Amount can't be more than the 4.50"
    )
    assert refund(client, refund_input(EDIT_ORDER, parent, "4.50"), key="part-2")["userErrors"] == []
    assert run(client, GET_ORDER_PAYMENTS, {"id": EDIT_ORDER}, "order")["displayFinancialStatus"] == "REFUNDED"


def test_a_refund_to_store_credit_needs_a_customer(client: FlaskClient, state: DevshopState) -> None:
    credit = {
        "orderId": EDIT_ORDER,
        "refundMethods": [{"storeCreditRefund": {"amount": {"amount": "10.00", "currencyCode": "EUR"}}}],
    }
    made = refund(client, credit, key="credit-1")
    assert made["userErrors"] == [] and amount(made["refund"]["totalRefundedSet"]) == "10.00"
    [recorded] = state.get_order(5008).refunds
    assert recorded.method == "store_credit"
    payments = run(client, GET_ORDER_PAYMENTS, {"id": EDIT_ORDER}, "order")
    assert amount(payments["netPaymentSet"]) == "64.50"
    assert payments["transactions"][-1]["gateway"] == "shopify_store_credit"

    guest = state.create_order(customer_id=None, line_items=[("Tea", 1, "5.00")])
    guest_credit = {**credit, "orderId": f"gid://shopify/Order/{guest}"}
    refused = refund(client, guest_credit, key="credit-2")
    assert refused["userErrors"] == [
        {
            "field": ["refundMethods", "0", "storeCreditRefund"],
            "message": "Store credit can only be issued to an order with a customer.",
        }
    ]
    dollars = {
        "orderId": EDIT_ORDER,
        "refundMethods": [{"storeCreditRefund": {"amount": {"amount": "1.00", "currencyCode": "USD"}}}],
    }
    assert refund(client, dollars, key="credit-3")["userErrors"][0]["field"][-1] == "currencyCode"


def test_cancelling_with_a_refund_refunds_what_was_paid(client: FlaskClient, state: DevshopState) -> None:
    cancel(client, 5001, refundMethod={"originalPaymentMethodsRefund": True})
    cancelled = state.get_order(5001)
    assert cancelled.display_financial_status == "REFUNDED" and cancelled.net_payment == 0
    [made] = cancelled.refunds
    assert made.amount == "118.00" and made.method == "original_payment"
    cancel(client, 5002)
    assert [t.kind for t in state.get_order(5002).transactions] == ["AUTHORIZATION", "VOID"]


# -- shipping addresses -----------------------------------------------------------------------------------------


def test_update_shipping_address_replaces_the_whole_address(
    client: FlaskClient, state: DevshopState, announced
) -> None:
    updated = run(client, UPDATE_ADDRESS, {"input": {"id": EDIT_ORDER, "shippingAddress": UTRECHT}}, "orderUpdate")
    expected = {**{k: v for k, v in UTRECHT.items() if k != "countryCode"}, "countryCodeV2": "NL"}
    assert updated == {"order": {"id": EDIT_ORDER, "shippingAddress": expected}, "userErrors": []}
    assert order(client)["shippingAddress"] == expected
    assert [topic for topic, _ in announced] == ["orders/updated"]
    assert announced[0][1]["shipping_address"]["city"] == "Utrecht"
    # Sent again with fewer fields: what is left out is left empty (the whole address is replaced).
    run(
        client,
        UPDATE_ADDRESS,
        {"input": {"id": EDIT_ORDER, "shippingAddress": {"city": "Delft", "countryCode": "NL"}}},
        "orderUpdate",
    )
    address = state.get_order(5008).shipping_address
    assert (address.city, address.address1, address.country_code) == ("Delft", None, "NL")


def test_update_shipping_address_errors(client: FlaskClient) -> None:
    unknown = run(
        client, UPDATE_ADDRESS, {"input": {"id": "gid://shopify/Order/1", "shippingAddress": UTRECHT}}, "orderUpdate"
    )
    assert unknown == {"order": None, "userErrors": [{"field": ["id"], "message": "Order does not exist"}]}
    # CountryCode is an enum: GraphQL itself refuses anything else, before anything runs.
    status, body = gql(
        client, UPDATE_ADDRESS, {"input": {"id": EDIT_ORDER, "shippingAddress": {**UTRECHT, "countryCode": "XX"}}}
    )
    assert status == 200 and body.get("data") is None
    assert "XX" in body["errors"][0]["message"]
    assert order(client)["shippingAddress"] == AMSTERDAM
    query = """mutation U($input: OrderInput!) { orderUpdate(input: $input) { userErrors { field message } } }"""
    _, tags = gql(client, query, {"input": {"id": EDIT_ORDER, "tags": ["x"]}})
    assert tags["data"]["orderUpdate"]["userErrors"][0]["field"] == ["tags"]


# -- webhooks, the control API and the admin page ---------------------------------------------------------------


def test_order_webhooks_carry_line_items_as_edited_and_the_shipping_address(
    client: FlaskClient, state: DevshopState, announced
) -> None:
    from storefront_proxy.shopify.webhook_orders import order_from_webhook

    lower_the_mugs(client)
    [(topic, payload)] = announced
    assert topic == "orders/updated"
    assert (payload["total_price"], payload["current_total_price"]) == ("58.00", "58.00")
    assert payload["total_price_set"]["shop_money"] == {"amount": "58.00", "currency_code": "EUR"}
    mugs = payload["line_items"][1]
    assert mugs == mugs | {
        "id": 9010,
        "variant_id": MUG_GREEN,
        "product_id": 20002,
        "title": "Enamel Camping Mug",
        "variant_title": "Forest Green",
        "name": "Enamel Camping Mug - Forest Green",
        "quantity": 2,
        "current_quantity": 1,
        "fulfillable_quantity": 1,
        "price": "16.50",
        "price_set": {
            "shop_money": {"amount": "16.50", "currency_code": "EUR"},
            "presentment_money": {"amount": "16.50", "currency_code": "EUR"},
        },
    }
    assert payload["shipping_address"] == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company": None,
        "address1": "Keizersgracht 123",
        "address2": None,
        "city": "Amsterdam",
        "province_code": None,
        "zip": "1015 CJ",
        "country_code": "NL",
        "phone": "+31 20 123 4567",
        "name": "Ada Lovelace",
    }
    # The app reads it as it reads the order from the Admin API.
    read = order_from_webhook(payload)
    assert read is not None and read.shipping_address is not None and read.shipping_address.city == "Amsterdam"
    app_mugs = read.line_items[1]
    assert (app_mugs.quantity_now, app_mugs.variant_id, app_mugs.product_id) == (
        1,
        f"gid://shopify/ProductVariant/{MUG_GREEN}",
        "gid://shopify/Product/20002",
    )
    cancelled = order_payload(state.get_order(5005), state.shop_domain)
    assert cancelled["current_total_price"] == "0.00" and cancelled["line_items"][0]["current_quantity"] == 0


def test_the_control_api_adds_products_sells_their_variants_and_sets_stock(client: FlaskClient, state) -> None:
    made = client.post(
        "/devshop/products",
        json={
            "title": "Wool Socks",
            "tags": ["apparel"],
            "options": ["Colour", "Size"],
            "variants": [
                {"title": "Blue / M", "price": "12", "inventory_quantity": 2},
                {"title": "Blue / L", "price": "12.00", "inventory_quantity": 0},
            ],
        },
    )
    assert made.status_code == 201, made.get_json()
    product = made.get_json()
    blue_m, blue_l = (v["legacy_id"] for v in product["variants"])
    assert product["gid"].startswith("gid://shopify/Product/") and product["variants"][0]["price"] == "12.00"
    assert [v["available_for_sale"] for v in product["variants"]] == [True, False]

    sold = client.post(
        "/devshop/orders",
        json={"variants": [{"id": blue_m, "quantity": 2}], "shipping_address": {"city": "Espoo", "country_code": "FI"}},
    )
    assert sold.status_code == 201, sold.get_json()
    created = sold.get_json()
    [item] = created["line_items"]
    assert (item["variant_id"], item["product_id"], item["variant_title"]) == (blue_m, product["legacy_id"], "Blue / M")
    assert created["total_price"] == "24.00" and created["shipping_address"]["city"] == "Espoo"
    assert [t["kind"] for t in created["transactions"]] == ["SALE"]
    assert state.get_variant(blue_m).inventory_quantity == 0

    for wrong in ([{"id": blue_m, "quantity": 1}], [{"id": 4242}], []):
        assert client.post("/devshop/orders", json={"variants": wrong}).status_code == 400
    assert (
        client.post(
            "/devshop/orders", json={"variants": [{"id": blue_l}], "shipping_address": {"town": "x"}}
        ).status_code
        == 400
    )

    restocked = client.post(f"/devshop/variants/{blue_l}/inventory", json={"inventory_quantity": 3})
    assert restocked.status_code == 200 and restocked.get_json()["variants"][1]["inventory_quantity"] == 3
    assert client.post("/devshop/variants/4242/inventory", json={"inventory_quantity": 1}).status_code == 404
    assert client.post(f"/devshop/variants/{blue_l}/inventory", json={"inventory_quantity": -1}).status_code == 400
    query = """query V($id: ID!) { productVariant(id: $id) { title availableForSale inventoryQuantity
      selectedOptions { name value } product { title variantsCount { count } } } }"""
    _, body = gql(client, query, {"id": f"gid://shopify/ProductVariant/{blue_l}"})
    assert body["data"]["productVariant"] == {
        "title": "Blue / L",
        "availableForSale": True,
        "inventoryQuantity": 3,
        "selectedOptions": [{"name": "Colour", "value": "Blue"}, {"name": "Size", "value": "L"}],
        "product": {"title": "Wool Socks", "variantsCount": {"count": 2}},
    }
    assert client.get(f"/devshop/products/{product['legacy_id']}").get_json()["title"] == "Wool Socks"
    assert any(p["title"] == "Wool Socks" for p in client.get("/devshop/products").get_json())
    assert client.post("/devshop/products", json={"title": ""}).status_code == 400

    moved = client.patch("/devshop/orders/5008", json={"shipping_address": {"city": "Leiden", "country_code": "NL"}})
    assert moved.status_code == 200 and moved.get_json()["shipping_address"]["city"] == "Leiden"
    assert client.patch("/devshop/orders/5008", json={"shipping_address": None}).get_json()["shipping_address"] is None


def test_the_admin_order_page_shows_the_edit_the_address_and_the_refund(client: FlaskClient) -> None:
    lower_the_mugs(client)
    refund(client, refund_input(EDIT_ORDER, sale(client), "16.50"), key="page-1")
    page = client.get("/admin/orders/5008").get_data(as_text=True)
    assert "Organic Cotton T-Shirt" in page and "Forest Green" in page and "(ordered 2)" in page
    assert "58.00 EUR" in page and "(ordered 74.50 EUR)" in page
    assert "Keizersgracht 123" in page and "Netherlands" in page
    assert 'id="refunds"' in page and "16.50 EUR" in page and "Original payment method" in page
    assert "Staff note: Edited by the customer (self-service)" in page
    assert "Enamel Camping Mug - Forest Green: 2 → 1 (restocked)" in page
    assert 'id="edited"' in page and "PARTIALLY_REFUNDED" in page
