"""Demo data for the devshop: three customers and seven orders covering the cancellation rules' cases."""

from __future__ import annotations

from devshop.state import DevshopState

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
