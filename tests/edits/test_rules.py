"""The edit rules: what may be edited, which changes are refused and why, and what the shopper gets back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from storefront_proxy.edits.rules import (
    EDIT_DISABLED,
    EDIT_WINDOW_CLOSED,
    NOT_EDITABLE,
    EditInvalidError,
    RequestedLine,
    check_edit_eligibility,
    edit_deadline,
    plan_edit,
    variant_options,
)
from storefront_proxy.policy.model import Policy, RefundMethod, WindowMode
from storefront_proxy.shopify.models import Order, ProductVariants

CREATED = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MUG, SHIRT = 9001, 9002
SHIRT_PRODUCT = "gid://shopify/Product/77"


def line(line_id: int, title: str, quantity: int, price: str, variant: int, product: str, **extra: Any) -> dict:
    return {
        "id": f"gid://shopify/LineItem/{line_id}",
        "name": title,
        "title": title,
        "quantity": quantity,
        "currentQuantity": quantity,
        "unfulfilledQuantity": quantity,
        "discountedUnitPriceAfterAllDiscountsSet": {"shopMoney": {"amount": price, "currencyCode": "EUR"}},
        "variant": {"id": f"gid://shopify/ProductVariant/{variant}", "product": {"id": product}},
        **extra,
    }


def order(**fields: Any) -> Order:
    values: dict[str, Any] = {
        "id": "gid://shopify/Order/5001",
        "legacyResourceId": 5001,
        "name": "#1001",
        "createdAt": CREATED.isoformat(),
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "merchantEditable": True,
        "customer": {"id": "gid://shopify/Customer/1001"},
        "totalPriceSet": {"shopMoney": {"amount": "70.00", "currencyCode": "EUR"}},
        "shippingAddress": {
            "firstName": "Ada",
            "address1": "Keizersgracht 1",
            "city": "Amsterdam",
            "zip": "1015",
            "countryCodeV2": "NL",
        },
        "lineItems": {
            "nodes": [
                line(MUG, "Mug", 2, "25.00", 101, "gid://shopify/Product/55"),
                line(SHIRT, "T-shirt", 1, "20.00", 201, SHIRT_PRODUCT, variantTitle="M"),
            ],
            "pageInfo": {"hasNextPage": False},
        },
        **fields,
    }
    return Order.model_validate({**values, "lineItemsRead": True})


SIZES = {
    SHIRT_PRODUCT: ProductVariants.model_validate(
        {
            "id": SHIRT_PRODUCT,
            "variants": {
                "nodes": [
                    {
                        "id": "gid://shopify/ProductVariant/200",
                        "title": "S",
                        "price": "20.00",
                        "availableForSale": True,
                    },
                    {
                        "id": "gid://shopify/ProductVariant/201",
                        "title": "M",
                        "price": "20.00",
                        "availableForSale": True,
                    },
                    {
                        "id": "gid://shopify/ProductVariant/202",
                        "title": "L",
                        "price": "20.00",
                        "availableForSale": False,
                    },
                    {
                        "id": "gid://shopify/ProductVariant/203",
                        "title": "XL",
                        "price": "24.00",
                        "availableForSale": True,
                    },
                ]
            },
        }
    )
}


def plan(lines=(), address=None, policy: Policy | None = None, target: Order | None = None):
    return plan_edit(target or order(), policy or Policy(), SIZES, list(lines), address)


def refused(code: str, **kwargs: Any) -> None:
    with pytest.raises(EditInvalidError) as raised:
        plan(**kwargs)
    assert raised.value.code == code


def test_the_edit_window_defaults_to_the_cancel_window_and_closes_exactly_at_its_deadline():
    policy = Policy(cancel_window_minutes=30)
    assert edit_deadline(order(), policy) == CREATED + timedelta(minutes=30)
    assert check_edit_eligibility(order(), policy, CREATED + timedelta(minutes=29, seconds=59)).eligible
    closed = check_edit_eligibility(order(), policy, CREATED + timedelta(minutes=30))
    assert closed.codes == [EDIT_WINDOW_CLOSED]
    longer = Policy(cancel_window_minutes=30, edit_window_minutes=120)
    assert check_edit_eligibility(order(), longer, CREATED + timedelta(minutes=90)).eligible
    until_shipping = Policy(edit_window_mode=WindowMode.UNTIL_FULFILLMENT)
    assert edit_deadline(order(), until_shipping) is None
    assert check_edit_eligibility(order(), until_shipping, CREATED + timedelta(days=20)).eligible


def test_editing_has_its_own_switch_and_shares_the_other_rules():
    now = CREATED + timedelta(minutes=1)
    assert check_edit_eligibility(order(), Policy(edit_enabled=False), now).codes == [EDIT_DISABLED]
    offers_nothing = Policy(edit_quantities=False, edit_variants=False, edit_shipping_address=False)
    assert check_edit_eligibility(order(), offers_nothing, now).codes == [EDIT_DISABLED]
    assert check_edit_eligibility(order(), Policy(enabled=False), now).codes == ["self_service_disabled"]
    shipped = order(displayFulfillmentStatus="PARTIALLY_FULFILLED")
    assert "fulfillment_started" in check_edit_eligibility(shipped, Policy(), now).codes
    assert check_edit_eligibility(order(merchantEditable=False), Policy(), now).codes == [NOT_EDITABLE]
    assert check_edit_eligibility(order(presentmentCurrencyCode="USD"), Policy(), now).codes == [NOT_EDITABLE]
    assert check_edit_eligibility(order(presentmentCurrencyCode="EUR"), Policy(), now).eligible
    tagged = check_edit_eligibility(order(tags=["wholesale"]), Policy(excluded_order_tags=["Wholesale"]), now)
    assert tagged.codes == ["excluded_tag"]


def test_lowering_a_quantity_refunds_the_units_taken_off_at_the_price_paid():
    made = plan([RequestedLine(MUG, 1)])
    assert [(c.line_item_id, c.from_quantity, c.to_quantity) for c in made.line_items] == [(MUG, 2, 1)]
    assert made.refund == Decimal("25.00") and made.shipping_address is None
    removed = plan([RequestedLine(MUG, 0)])
    assert removed.refund == Decimal("50.00")


def test_an_uncaptured_payment_or_a_policy_refunding_nothing_refunds_nothing():
    assert plan([RequestedLine(MUG, 1)], target=order(displayFinancialStatus="AUTHORIZED")).refund is None
    assert plan([RequestedLine(MUG, 1)], policy=Policy(refund_method=RefundMethod.NONE)).refund is None


def test_a_swap_goes_to_an_in_stock_variant_of_the_same_product_at_the_same_price():
    made = plan([RequestedLine(SHIRT, 1, variant_id=200)])
    (change,) = made.line_items
    assert change.is_swap and change.variant_id == 200 and change.new_variant_title == "S"
    assert made.refund is None
    refused("variant_unavailable", lines=[RequestedLine(SHIRT, 1, variant_id=202)])
    refused("unknown_variant", lines=[RequestedLine(SHIRT, 1, variant_id=203)])  # another price
    refused("unknown_variant", lines=[RequestedLine(SHIRT, 1, variant_id=999)])
    refused("unknown_variant", lines=[RequestedLine(MUG, 2, variant_id=200)])  # another product
    refused("edit_not_offered", lines=[RequestedLine(SHIRT, 1, variant_id=200)], policy=Policy(edit_variants=False))
    # Naming the variant the line already has changes nothing.
    refused("no_changes", lines=[RequestedLine(SHIRT, 1, variant_id=201)])


def test_the_options_offered_are_the_products_other_variants_at_the_same_price():
    shirt = order().line_item(SHIRT)
    assert shirt is not None
    assert [v.title for v in variant_options(shirt, SIZES, Policy())] == ["S", "L"]
    assert variant_options(shirt, SIZES, Policy(edit_variants=False)) == []


def test_changes_that_are_not_edits_are_refused_with_their_code():
    refused("no_changes", lines=[RequestedLine(MUG, 2)])
    refused("no_changes")
    refused("quantity_increase", lines=[RequestedLine(MUG, 3)])
    refused("removes_every_item", lines=[RequestedLine(MUG, 0), RequestedLine(SHIRT, 0)])
    refused("unknown_line_item", lines=[RequestedLine(1234, 1)])
    refused("duplicate_line_item", lines=[RequestedLine(MUG, 1), RequestedLine(MUG, 0)])
    refused("edit_not_offered", lines=[RequestedLine(MUG, 1)], policy=Policy(edit_quantities=False))


def test_shipped_units_cannot_be_edited():
    partly = order(
        lineItems={
            "nodes": [line(MUG, "Mug", 2, "25.00", 101, "gid://shopify/Product/55", unfulfilledQuantity=1)],
            "pageInfo": {"hasNextPage": False},
        }
    )
    policy = Policy(allowed_financial_statuses=["PAID"])
    assert plan_edit(partly, policy, {}, [RequestedLine(MUG, 1)], None).line_items[0].to_quantity == 1
    with pytest.raises(EditInvalidError) as raised:
        plan_edit(partly, policy, {}, [RequestedLine(MUG, 0)], None)
    assert raised.value.code == "unknown_line_item"


def test_an_address_is_merged_onto_the_current_one_and_stays_in_its_country():
    made = plan(address={"address1": "Prinsengracht 263", "zip": "1016 GV"})
    assert made.shipping_address is not None and made.previous_address is not None
    assert made.shipping_address.address1 == "Prinsengracht 263" and made.shipping_address.city == "Amsterdam"
    assert made.previous_address.address1 == "Keizersgracht 1"
    refused("address_country_change", address={"country_code": "BE", "city": "Brussel"})
    moved = plan(address={"country_code": "be", "city": "Brussel"}, policy=Policy(edit_address_same_country=False))
    assert moved.shipping_address is not None and moved.shipping_address.country_code == "BE"
    refused("invalid_address", address={"address1": "  "})
    refused("invalid_address", address={"country_code": "Netherlands"}, policy=Policy(edit_address_same_country=False))
    refused("no_changes", address={"city": "Amsterdam"})
    refused("edit_not_offered", address={"city": "Utrecht"}, policy=Policy(edit_shipping_address=False))
    refused("no_shipping_address", address={"city": "Utrecht"}, target=order(shippingAddress=None))


def test_items_and_address_change_together():
    made = plan([RequestedLine(MUG, 1)], address={"address2": "2nd floor"})
    assert len(made.line_items) == 1 and made.shipping_address is not None
    assert made.shipping_address.address2 == "2nd floor"
