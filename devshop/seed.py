"""Demo data for the devshop: three customers, seven orders covering the cancellation rules' cases, and a small
catalogue with two more orders to edit (lower a quantity, swap a size or colour, change the address)."""

from __future__ import annotations

from devshop.state import DevshopState, Product

MINUTE = 60.0


def seed_customers(state: DevshopState) -> None:
    """Add the demo customers; Ada (1001) is the default demo customer, Alan (1003) has no orders."""
    state.add_customer(1001, "Ada", "Lovelace", "ada@example.com")
    state.add_customer(1002, "Grace", "Hopper", "grace@example.com")
    state.add_customer(1003, "Alan", "Turing", "alan@example.com")


def seed_demo_data(state: DevshopState) -> None:
    """Add the demo customers and orders, dated relative to the state's clock."""
    seed_customers(state)
    # #1001: the happy path, cancellable right now.
    state.create_order(
        customer_id=1001,
        age_minutes=5,
        line_items=[("Merino Wool Scarf", 1, "49.00"), ("Ceramic Pour-Over Set", 2, "34.50")],
    )
    # #1002: payment only authorized, so a cancel voids it.
    state.create_order(
        customer_id=1001,
        age_minutes=20,
        display_financial_status="AUTHORIZED",
        line_items=[("Linen Apron", 1, "39.90")],
    )
    # #1003: outside a 60-minute cancellation window.
    state.create_order(customer_id=1001, age_minutes=180, line_items=[("Cast Iron Skillet", 1, "59.00")])
    # #1004: already shipped.
    state.create_order(
        customer_id=1001, age_minutes=30, fulfilled=True, line_items=[("Organic Cotton Tote", 3, "14.90")]
    )
    # #1005: already cancelled by the customer five minutes after ordering.
    cancelled_id = state.create_order(
        customer_id=1001,
        age_minutes=40,
        display_financial_status="VOIDED",
        line_items=[("Beeswax Candle Trio", 1, "27.50")],
    )
    cancelled = state.orders[cancelled_id]
    cancelled.cancelled_at = state.clock() - 35 * MINUTE
    cancelled.cancel_reason = "CUSTOMER"
    # #1006: a wholesale order, which a merchant policy may exclude by tag.
    state.create_order(
        customer_id=1001,
        age_minutes=10,
        tags=["wholesale"],
        line_items=[("Stoneware Mug", 12, "18.00")],
    )
    # #1007: Grace's order, which Ada must not be able to touch.
    state.create_order(customer_id=1002, age_minutes=5, line_items=[("Walnut Cutting Board", 1, "64.00")])
    # The orders above keep their ids (5001-5007), names (#1001-#1007) and line items (9001-9008); what follows
    # comes after them.
    seed_catalogue_and_edit_orders(state)


def seed_catalogue_and_edit_orders(state: DevshopState) -> None:
    """The catalogue (products 20001-20003, variants 21001-21006) and Ada's two orders to edit, #1008 and #1009."""
    # One price for every size, so a size swap changes nothing to pay; M is sold out, so it can't be swapped to.
    shirt = state.add_product(
        "Organic Cotton T-Shirt",
        [("S", "29.00", 5), ("M", "29.00", 0), ("L", "29.00", 4)],
        tags=["apparel"],
        options=["Size"],
    )
    mug = state.add_product(
        "Enamel Camping Mug",
        [("Forest Green", "16.50", 8), ("Ochre", "16.50", 3)],
        tags=["kitchen"],
        options=["Colour"],
    )
    towel = state.add_product("Linen Tea Towel", [("Default Title", "12.50", 20)], tags=["kitchen"])
    small, large = variant(shirt, "S"), variant(shirt, "L")
    # #1008 (5008): the edit demo: a T-shirt in S (swap it to L), two green mugs (lower to one, or swap to ochre)
    # and a tea towel (remove it); paid, unshipped, to Ada in Amsterdam.
    state.create_order(
        customer_id=1001,
        age_minutes=8,
        variants=[(small, 1), (variant(mug, "Forest Green"), 2), (variant(towel, "Default Title"), 1)],
    )
    # #1009 (5009): partly shipped: one of its two T-shirts in L has left, so only the other one can be edited.
    partly_shipped = state.create_order(
        customer_id=1001, age_minutes=15, variants=[(large, 2), (variant(mug, "Ochre"), 1)]
    )
    shirts = state.orders[partly_shipped].line_items[0]
    state.fulfill(partly_shipped, {shirts.legacy_id: 1})


def variant(product: Product, title: str) -> int:
    """The id of the product's variant with that title."""
    return next(v.legacy_id for v in product.variants if v.title == title)
