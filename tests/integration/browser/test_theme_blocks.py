"""The theme app extension's blocks in real Chromium, rendered by the devshop's simulated theme, talking to the app."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from storefront_proxy.i18n import Translator
from tests.integration.conftest import ADA, SHOP, proxy_session, wait_for_status

pytestmark = pytest.mark.integration

PREFIX = "/apps/self-service"
LOCALES_DIR = Path(__file__).resolve().parents[3] / "theme_extension" / "locales"
# Sum of layout shifts while a block loads its status (Chrome's Layout Instability API).
TRACK_LAYOUT_SHIFT = """
window.__layoutShift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__layoutShift += entry.value;
}).observe({ type: 'layout-shift', buffered: true });
"""


def strings(locale: str) -> dict[str, dict[str, str]]:
    name = "en.default" if locale == "en" else locale
    return json.loads((LOCALES_DIR / f"{name}.json").read_text(encoding="utf-8"))["self_service"]


def order_named(devshop, name: str) -> int:
    return next(order.legacy_id for order in devshop.list_orders() if order.name == name)


def set_proxy_path(devshop, value: str) -> None:
    """What the app keeps in its app-data metafield (the signed path_prefix)."""
    devshop.set_app_metafields(
        [
            {
                "ownerId": devshop.app_installation_id,
                "namespace": "self_service",
                "key": "proxy_path",
                "type": "single_line_text_field",
                "value": value,
            }
        ]
    )


def open_order(page, order_id: int, state: str | None = None):
    """The simulated customers/order page; waits until the block shows the app's answer."""
    page.goto(f"/account/orders/{order_id}")
    block = page.locator("self-service-order")
    if state:
        page.wait_for_selector(f'self-service-order[data-state="{state}"]')
    return block


def assert_no_blocking_violations(axe_violations, page, context: str) -> None:
    violations = axe_violations(page, context=context)
    assert violations == [], "; ".join(f"{v['id']} ({v['impact']}): {v['help']} {v['targets']}" for v in violations)


def test_eligible_order_shows_time_left_and_a_button_to_the_cancel_page(
    web, devshop, new_page, login, axe_violations, shot
):
    set_proxy_path(devshop, PREFIX + "/")  # as the app records it; the block drops the trailing slash
    order_id = order_named(devshop, "#1001")
    page = new_page()
    page.add_init_script(TRACK_LAYOUT_SHIFT)
    login(page, ADA)
    block = open_order(page, order_id, "eligible")
    en = strings("en")
    assert block.locator("[data-status]").inner_text() == en["eligible"]["open"]
    assert block.locator(".ssb__heading").inner_text() == en["order_cancel"]["heading"]
    assert re.fullmatch(r"Time left: \d+ minutes", block.locator("[data-timer]").inner_text())
    button = block.get_by_role("link", name=en["actions"]["cancel"])
    assert button.get_attribute("href") == f"{PREFIX}/orders/{order_id}?locale=en"
    assert page.evaluate("window.__layoutShift") < 0.01, "the status arrived without moving the page"
    shot(page, "theme-block-order-eligible")
    assert_no_blocking_violations(axe_violations, page, "self-service-order")

    button.click()
    page.wait_for_url(f"**{PREFIX}/orders/{order_id}?locale=en")


def test_an_editable_order_links_to_the_change_items_section_of_its_page(
    web, devshop, new_page, login, axe_violations, shot
):
    order_id = order_named(devshop, "#1008")  # the edit demo: paid, unshipped, three lines
    page = new_page()
    login(page, ADA)
    block = open_order(page, order_id, "eligible")
    en = strings("en")
    link = block.get_by_role("link", name=en["actions"]["edit"])
    link.wait_for()
    assert link.get_attribute("href") == f"{PREFIX}/orders/{order_id}?locale=en#ssc-edit-items"
    until = en["edit"]["until"].split("{{")[0].strip()
    assert block.locator("[data-edit]").inner_text().startswith(until), "until when it can be changed"
    shot(page, "theme-block-order-editable")
    assert_no_blocking_violations(axe_violations, page, "self-service-order")

    link.click()
    page.wait_for_url(f"**{PREFIX}/orders/{order_id}?locale=en#ssc-edit-items")
    items = page.get_by_role("region", name=Translator("en")("page.edit.items.heading"))
    assert items.is_visible()
    assert page.evaluate("location.hash") == "#ssc-edit-items"
    assert items.get_by_label(Translator("en")("page.edit.quantity_label", item="Enamel Camping Mug")).is_visible()


def test_existing_request_shows_its_status(web, devshop, devshop_server, new_page, login, shot):
    order_id = order_named(devshop, "#1002")
    session = proxy_session(devshop_server.url, ADA)
    url = f"{devshop_server.url}{PREFIX}/orders/{order_id}"
    token = session.get(url, headers={"Accept": "application/json"}, timeout=10).json()["csrf_token"]
    asked = session.post(
        f"{url}/cancellation",
        json={"reason": "changed_mind", "csrf_token": token},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert asked.status_code == 202, asked.text
    status = asked.json()["request"]["status"]

    page = new_page()
    login(page, ADA)
    block = open_order(page, order_id, status)
    en = strings("en")
    assert block.locator("[data-status]").inner_text() == en["status"][status]
    assert block.locator(".ssb__heading").inner_text() == en["order_cancel"]["heading_requested"]
    assert block.locator("[data-timer]").inner_text() == ""
    assert block.get_by_role("link", name=en["actions"]["details"]).is_visible()
    shot(page, f"theme-block-order-request-{status}")


def test_a_request_in_progress_is_fetched_again_until_it_ends(
    web, devshop, devshop_server, workers, store, new_page, login
):
    """The block keeps asking while the request is queued; a rejection shows the server's message after the status."""
    order_id = order_named(devshop, "#1001")
    session = proxy_session(devshop_server.url, ADA)
    url = f"{devshop_server.url}{PREFIX}/orders/{order_id}"
    token = session.get(url, headers={"Accept": "application/json"}, timeout=10).json()["csrf_token"]
    asked = session.post(
        f"{url}/cancellation",
        json={"reason": "changed_mind", "csrf_token": token},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert asked.status_code == 202, asked.text
    status = asked.json()["request"]["status"]

    page = new_page()
    page.clock.install()
    login(page, ADA)
    block = open_order(page, order_id, status)
    devshop.fulfill(order_id)  # shipping starts before the worker gets to it
    workers.start()
    wait_for_status(store, SHOP, order_id, {"rejected"})
    page.clock.run_for(10 * 60_000)  # past several back-off steps, the last one (5 minutes) included
    page.wait_for_selector('self-service-order[data-state="rejected"]')
    message = session.get(f"{url}/cancellation", headers={"Accept": "application/json"}, timeout=10).json()
    en = strings("en")
    assert block.locator("[data-status]").inner_text() == f"{en['status']['rejected']} {message['request']['message']}"


def test_manage_orders_redraws_keep_focus_and_the_items(web, devshop, new_page, login):
    page = new_page()
    page.clock.install()
    login(page, ADA)
    page.goto("/pages/manage-orders")
    page.wait_for_selector("self-service-orders [data-orders] li")
    row = page.locator("self-service-orders [data-orders] li").filter(has_text="#1001")
    before = row.inner_text()
    link = row.get_by_role("link", name=strings("en")["actions"]["cancel"])
    link.focus()
    row.evaluate("(item) => { item.dataset.marked = 'yes'; }")
    page.clock.run_for(3 * 60_000 + 1000)  # three redraws of the minutes left
    assert row.inner_text() != before, "the time left was redrawn"
    assert row.get_attribute("data-marked") == "yes", "the item was updated in place, not rebuilt"
    assert link.evaluate("(el) => el === document.activeElement"), "focus stayed on the button"


def test_fulfilled_order_says_why_it_cannot_be_cancelled(web, devshop, new_page, login, axe_violations, shot):
    page = new_page()
    login(page, ADA)
    block = open_order(page, order_named(devshop, "#1004"), "ineligible")
    en = strings("en")
    assert block.locator("[data-status]").inner_text() == en["reasons"]["fulfillment_started"]
    assert block.locator(".ssb__heading").inner_text() == en["order_cancel"]["heading_ineligible"]
    assert block.get_by_role("link", name=en["actions"]["details"]).is_visible()
    shot(page, "theme-block-order-fulfilled")
    assert_no_blocking_violations(axe_violations, page, "self-service-order")


def test_without_javascript_the_block_is_a_plain_link(web, devshop, new_page, login, shot):
    set_proxy_path(devshop, "/apps/renamed-by-merchant")  # no JS: nothing is fetched, so any path will do
    order_id = order_named(devshop, "#1001")
    page = new_page(javascript_enabled=False)
    login(page, ADA)
    page.goto(f"/account/orders/{order_id}")
    block = page.locator("self-service-order")
    en = strings("en")
    assert block.locator("[data-status]").inner_text() == en["order_cancel"]["intro"]
    link = block.get_by_role("link", name=en["actions"]["details"])
    assert link.get_attribute("href") == f"/apps/renamed-by-merchant/orders/{order_id}?locale=en"
    shot(page, "theme-block-order-no-javascript")


def test_manage_orders_lists_the_customers_orders(web, devshop, new_page, login, axe_violations, shot):
    page = new_page()
    login(page, ADA)
    page.goto("/pages/manage-orders")
    block = page.locator("self-service-orders")
    page.wait_for_selector("self-service-orders [data-orders] li")
    rows = block.locator("[data-orders] li")
    ada_orders = {order.name: order.legacy_id for order in devshop.list_orders() if order.customer_id == ADA}
    names = set(rows.locator(".ssb__order-name").all_inner_texts())
    assert names == set(ada_orders)
    en = strings("en")
    eligible = rows.filter(has_text="#1001")
    assert en["eligible"]["open"] in eligible.inner_text() and "Time left:" in eligible.inner_text()
    cancel = eligible.get_by_role("link", name=en["actions"]["cancel"])
    assert cancel.get_attribute("href") == f"{PREFIX}/orders/{ada_orders['#1001']}?locale=en"
    assert en["reasons"]["fulfillment_started"] in rows.filter(has_text="#1004").inner_text()
    placed = eligible.locator(".ssb__order-placed").inner_text()
    # The total in the shopper's format (the app writes "118.00 EUR").
    assert re.fullmatch(r"Ordered \w{3} \d{1,2}, \d{4} · €\d+\.\d\d", placed), placed
    assert "#1007" not in block.inner_text()  # Grace's
    shot(page, "theme-block-manage-orders")
    assert_no_blocking_violations(axe_violations, page, "self-service-orders")


@pytest.mark.parametrize("locale", ["nl", "fi"])
def test_blocks_speak_the_storefront_language(locale, web, devshop, new_page, login, axe_violations, shot):
    texts = strings(locale)
    page = new_page(locale=locale)
    login(page, ADA)
    block = open_order(page, order_named(devshop, "#1001"), "eligible")
    assert block.get_by_role("heading").inner_text() == texts["order_cancel"]["heading"]
    assert block.locator("[data-status]").inner_text() == texts["eligible"]["open"]
    unit = {"nl": "minuten", "fi": "minuuttia"}[locale]
    timer = texts["eligible"]["time_left"].replace("{{ time }}", rf"\d+ {unit}")
    assert re.fullmatch(timer, block.locator("[data-timer]").inner_text())
    link = block.get_by_role("link", name=texts["actions"]["cancel"])
    assert link.get_attribute("href").endswith(f"?locale={locale}")
    shot(page, f"theme-block-order-{locale}")
    assert_no_blocking_violations(axe_violations, page, "self-service-order")

    page.goto("/pages/manage-orders")
    page.wait_for_selector("self-service-orders [data-orders] li")
    orders = page.locator("self-service-orders")
    assert orders.get_by_role("heading").inner_text() == texts["manage_orders"]["heading"]
    assert texts["reasons"]["fulfillment_started"] in orders.inner_text()
    assert texts["status"]["cancelled"] in orders.inner_text() or texts["reasons"]["already_cancelled"] in (
        orders.inner_text()
    )
    shot(page, f"theme-block-manage-orders-{locale}")
    assert_no_blocking_violations(axe_violations, page, "self-service-orders")


def test_manage_orders_asks_a_visitor_to_log_in(web, devshop, new_page, axe_violations, shot):
    page = new_page(locale="de")
    page.goto("/pages/manage-orders")
    block = page.locator("self-service-orders")
    texts = strings("de")
    assert texts["manage_orders"]["login_required"] in block.inner_text()
    assert block.get_by_role("link", name=texts["manage_orders"]["login"]).is_visible()
    shot(page, "theme-block-manage-orders-logged-out-de")
    assert_no_blocking_violations(axe_violations, page, "self-service-orders")
