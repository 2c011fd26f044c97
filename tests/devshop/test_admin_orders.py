"""The devshop's stand-in for the Shopify admin's order page, where the app's Request detail links in development."""

from __future__ import annotations

import pytest
from flask import Flask

from devshop.app import create_devshop
from tests.devshop.helpers import APP_URL, SECRET, Clock


@pytest.fixture
def app(clock: Clock) -> Flask:
    app = create_devshop(app_url=APP_URL, api_secret=SECRET, clock=clock)
    app.config["TESTING"] = True
    return app


def test_an_orders_admin_page_shows_its_name_items_and_status(client, state):
    order_id = state.create_order(
        name="#2001",
        line_items=[("Sencha, 100 g", 2, "12.50", []), ("Tea <cup>", 1, "8.00", [])],
        display_financial_status="AUTHORIZED",
    )
    response = client.get(f"/admin/orders/{order_id}")
    assert response.status_code == 200 and response.content_type.startswith("text/html")
    page = response.get_data(as_text=True)
    assert "Order #2001" in page
    assert "Sencha, 100 g" in page and "Tea &lt;cup&gt;" in page and "<cup>" not in page
    assert "AUTHORIZED" in page and "UNFULFILLED" in page and "33.00 EUR" in page
    assert "Cancelled" not in page


def test_a_cancelled_order_says_so_and_an_unknown_one_is_404(client, state):
    order_id = state.create_order(cancelled=True)
    assert 'id="cancelled"' in client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert client.get("/admin/orders/999999").status_code == 404
