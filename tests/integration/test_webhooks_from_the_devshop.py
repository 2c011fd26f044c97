"""Each webhook topic, delivered by the devshop as Shopify delivers it, changes the app's data as described."""

from __future__ import annotations

import pytest
import requests

from storefront_proxy.policy.model import Policy, ReviewMode
from storefront_proxy.settings import Settings
from storefront_proxy.tokens.lifecycle import register_configured_shop
from storefront_proxy.tokens.model import token_cipher
from tests.helpers import auth
from tests.integration.conftest import ADA, GRACE, SHOP, proxy_session, wait_for_status, wait_until
from tests.integration.helpers import JSON, ask_to_cancel, order_url, send

pytestmark = pytest.mark.integration


def test_order_and_compliance_topics_from_the_devshop(web, devshop, devshop_server, workers, store, webhooks_on):
    store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL))
    workers.start()
    shipped, cancelled, other = (devshop.create_order(customer_id=c) for c in (ADA, ADA, GRACE))
    for customer, order_id in ((ADA, shipped), (ADA, cancelled), (GRACE, other)):
        assert ask_to_cancel(proxy_session(devshop_server.url, customer), devshop_server, order_id).status_code == 202

    # orders/fulfilled + orders/updated: the waiting request ends rejected with the shipped message.
    requests.post(f"{devshop_server.url}/devshop/orders/{shipped}/fulfill", timeout=5).raise_for_status()
    assert wait_for_status(store, SHOP, shipped, {"rejected"}).message_code == "outcome.shipped"
    # orders/cancelled: staff cancelled in the admin; the request ends cancelled, saying so.
    requests.post(f"{devshop_server.url}/devshop/orders/{cancelled}/cancel", timeout=5).raise_for_status()
    request = wait_for_status(store, SHOP, cancelled, {"cancelled"})
    assert request.events[-1].detail == "the order was cancelled in Shopify"

    # customers/data_request: an export the merchant fetches; customers/redact: that customer's requests go.
    send(devshop_server, "customers/data_request", {"customer": {"id": ADA}, "data_request": {"id": 77}})
    export = wait_until(lambda: store.data_requests.get(SHOP, "77"), message="the export")
    assert sorted(r["order_id"] for r in export["cancellation_requests"]) == sorted([shipped, cancelled])
    send(devshop_server, "customers/redact", {"customer": {"id": ADA}, "orders_to_redact": [shipped, cancelled]})
    wait_until(lambda: store.requests.for_order(SHOP, shipped) is None, message="Ada's requests to be erased")
    assert store.requests.for_order(SHOP, cancelled) is None
    assert store.requests.for_order(SHOP, other) is not None

    # shop/redact: everything of the shop goes.
    send(devshop_server, "shop/redact", {"shop_domain": SHOP})
    wait_until(lambda: store.requests.for_order(SHOP, other) is None, message="the shop's data to be erased")

    wait_until(webhooks_on.idle, timeout=15, message="all deliveries answered")
    deliveries = webhooks_on.report()
    topics = {d["topic"] for d in deliveries}
    assert topics >= {"orders/create", "orders/fulfilled", "orders/updated", "orders/cancelled"}
    assert all(d["status"] == "delivered" and d["answers"] == [200] for d in deliveries), deliveries
    slowest = max(s for d in deliveries for s in d["seconds"])
    assert slowest < 5, f"Shopify gives up after 5 s; the slowest answer took {slowest:.2f} s"


def test_staff_edits_and_a_partial_fulfillment_from_the_devshop(
    web, devshop, devshop_server, workers, store, webhooks_on
):
    store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL))
    workers.start()
    order_id = devshop.create_order(customer_id=ADA, line_items=[("Mug", 2, "10.00"), ("Tea", 1, "5.00")])
    shopper = proxy_session(devshop_server.url, ADA)
    assert ask_to_cancel(shopper, devshop_server, order_id).status_code == 202
    control = f"{devshop_server.url}/devshop/orders/{order_id}"

    # orders/updated: staff correct the e-mail; the request shows the new one.
    requests.patch(control, json={"email": "ada.new@example.com"}, timeout=5).raise_for_status()
    wait_until(
        lambda: store.requests.for_order(SHOP, order_id).customer_email == "ada.new@example.com",
        message="the order's new e-mail on the request",
    )
    # orders/partially_fulfilled: one mug ships; the waiting request ends rejected and the shopper is told why.
    mug = devshop.get_order(order_id).line_items[0].legacy_id
    answer = requests.post(f"{control}/fulfill", json={"line_items": [{"id": mug, "quantity": 1}]}, timeout=5)
    assert answer.json()["display_fulfillment_status"] == "PARTIALLY_FULFILLED"
    request = wait_for_status(store, SHOP, order_id, {"rejected"})
    assert request.message_code == "outcome.shipped" and request.events[-1].detail.endswith("fulfillment started")
    shown = shopper.get(order_url(devshop_server, order_id), headers=JSON, timeout=10).json()
    assert shown["request"]["status"] == "rejected" and "started shipping" in shown["request"]["message"]
    assert shown["eligible"] is False

    wait_until(webhooks_on.idle, timeout=15, message="all deliveries answered")
    delivered = [d["topic"] for d in webhooks_on.report() if d["order_id"] == order_id]
    assert "orders/partially_fulfilled" in delivered and delivered.count("orders/updated") == 2


def test_after_app_uninstalled_the_storefront_says_so_and_nothing_is_sent(
    web, devshop, devshop_server, workers, store, webhooks_on, integration_env
):
    tokens = store.with_token_cipher(token_cipher(Settings(**integration_env, _env_file=None).checked())).tokens
    order_id = devshop.create_order(customer_id=ADA)
    shopper = proxy_session(devshop_server.url, ADA)
    assert shopper.get(order_url(devshop_server, order_id), headers=JSON, timeout=10).status_code == 200
    workers.start()

    send(devshop_server, "app/uninstalled", {"id": 1, "domain": SHOP})
    wait_until(lambda: store.tokens.is_uninstalled(SHOP), message="the uninstall to be recorded")
    assert tokens.offline_token(SHOP) is None
    for locale, text in (("en", "isn't available in this shop"), ("nl", "niet mogelijk in deze winkel")):
        answer = shopper.get(order_url(devshop_server, order_id, f"?locale={locale}"), headers=JSON, timeout=10)
        assert answer.status_code == 403 and "Retry-After" not in answer.headers
        assert answer.json()["error"]["code"] == "app_not_installed" and text in answer.json()["error"]["message"]
    page = shopper.get(order_url(devshop_server, order_id), headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 403 and "available in this shop right now" in page.text
    # The configured development token is not used for an uninstalled shop, by web or worker.
    calls = len(devshop.calls)
    assert shopper.get(order_url(devshop_server, order_id), headers=JSON, timeout=10).status_code == 403
    assert len(devshop.calls) == calls
    # The admin refuses the shop too, although it is the custom app of SHOPIFY_SHOP with a configured token.
    staff = requests.get(f"{web.url}/admin/api/requests", headers=auth(shop=SHOP), timeout=5)
    assert staff.status_code == 403 and staff.json()["error"]["code"] == "app_not_installed"
    assert "Install it again" in staff.json()["error"]["message"]
    # A restart registers the configured token again: the one Shopify revoked does not reinstall the app.
    settings = Settings(**integration_env, _env_file=None).checked()
    register_configured_shop(settings, store)
    assert store.tokens.is_uninstalled(SHOP) and tokens.offline_token(SHOP) is None

    # Installing again (a new token) clears it.
    tokens.register_shop(SHOP, "shpat_devshop_integration_token_000000")
    assert shopper.get(order_url(devshop_server, order_id), headers=JSON, timeout=10).status_code == 200
    assert requests.get(f"{web.url}/admin/api/requests", headers=auth(shop=SHOP), timeout=5).status_code == 200
