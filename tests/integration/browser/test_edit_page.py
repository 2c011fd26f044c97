"""The order's self-service page in real Chromium: changing items and the address through to `applied` with a
worker, in three languages, at 390 px, by keyboard alone and without script, with axe on every state."""

from __future__ import annotations

import re

import pytest

from storefront_proxy.i18n import Translator
from tests.integration.browser.test_cancel_page import assert_accessible, order_url, plain
from tests.integration.conftest import ADA, SHOP, wait_until

pytestmark = pytest.mark.integration

# The devshop's seeded order #1008: T-shirt S ×1, Forest Green mug ×2 (16.50 each), tea towel ×1.
ORDER, SHIRT, MUG = 5008, 9009, 9010
MUG_TITLE = "Enamel Camping Mug"
MUG_ITEM = f"{MUG_TITLE} (Forest Green)"
# 16.50 EUR as each language writes it (Intl, CLDR).
LOCAL_REFUNDS = {"en": "€16.50", "nl": "€ 16,50", "fi": "16,50 €"}


def latest_edit(store):
    return store.requests.latest_edit(SHOP, ORDER)


def line_quantity(devshop, line_id: int) -> int:
    return next(item.current_quantity for item in devshop.get_order(ORDER).line_items if item.legacy_id == line_id)


@pytest.mark.parametrize("locale", ["en", "nl", "fi"])
def test_shopper_lowers_a_quantity_and_watches_it_applied(
    locale, web, devshop, devshop_server, workers, store, new_page, login, axe_violations, shot
):
    t = Translator(locale)
    workers.start()
    page = new_page(locale=locale)
    login(page, ADA)
    page.goto(order_url(devshop_server, ORDER, locale))
    items = page.get_by_role("region", name=t("page.edit.items.heading"))
    assert items.is_visible() and page.get_by_role("region", name=t("page.address.heading")).is_visible()
    assert page.get_by_role("heading", name=t("page.cancel.heading")).is_visible()
    assert "/" not in (page.locator("[data-deadline-words='page.can_edit_until']").inner_text())
    shot(page, f"edit-page-{locale}-1-editable")
    assert_accessible(axe_violations, page, "editable order")

    page.get_by_label(t("page.edit.quantity_label", item=MUG_TITLE)).select_option("1")
    items.get_by_role("button", name=t("page.edit.review_button")).click()
    page.get_by_role("heading", name=t("page.edit.confirm_heading")).wait_for()
    assert page.evaluate("document.activeElement.textContent") == t("page.edit.confirm_heading")
    assert t("page.edit.change_quantity", item=MUG_ITEM, before=2, after=1) in page.inner_text("main")
    # The refund before confirming, in the shopper's format.
    assert LOCAL_REFUNDS[locale] in plain(page.locator("[data-confirm-refund]").inner_text())
    shot(page, f"edit-page-{locale}-2-review")
    assert_accessible(axe_violations, page, "review step")
    assert line_quantity(devshop, MUG) == 2, "nothing is sent before confirming"

    page.get_by_role("button", name=t("page.edit.confirm_button")).click()
    status = page.locator("#ssc-edit-status [data-status-text]")
    status.wait_for()
    assert page.evaluate("document.activeElement.id") == "ssc-edit-status-heading"
    page.wait_for_selector('#ssc-edit-status [data-status-text][data-status="applied"]', timeout=20000)
    assert status.inner_text() == t("edit_status.applied")
    refund = page.locator("#ssc-edit-status [data-refund]")
    refund.wait_for()  # shown live once applied
    assert LOCAL_REFUNDS[locale] in plain(refund.inner_text())
    shot(page, f"edit-page-{locale}-3-applied")
    assert_accessible(axe_violations, page, "applied")
    # The items were read before the edit: a link leads to the order as it is now.
    page.get_by_role("link", name=t("page.edit.see_updated")).click()
    page.get_by_role("heading", name=t("page.edit.status_heading")).wait_for()
    assert t("page.quantity", quantity=1) in page.locator("tr", has_text=MUG_TITLE).inner_text()
    assert line_quantity(devshop, MUG) == 1
    assert [r.amount for r in devshop.get_order(ORDER).refunds] == ["16.50"]


def test_the_page_at_390_px_swaps_a_size(
    web, devshop, devshop_server, workers, store, new_page, login, axe_violations, shot
):
    t = Translator("nl")
    workers.start()
    page = new_page(locale="nl")
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, ADA)
    page.goto(order_url(devshop_server, ORDER, "nl"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    variant = page.get_by_label(t("page.edit.variant_label", item="Organic Cotton T-Shirt"))
    sold_out = variant.locator("option", has_text=t("page.edit.variant_sold_out", variant="M"))
    assert sold_out.is_disabled()
    shot(page, "edit-page-nl-390-editable")
    variant.select_option(label="L")
    page.get_by_role("button", name=t("page.edit.review_button")).click()
    page.get_by_role("heading", name=t("page.edit.confirm_heading")).wait_for()
    assert t("page.edit.same_total") in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "edit-page-nl-390-review")
    page.get_by_role("button", name=t("page.edit.confirm_button")).click()
    page.wait_for_selector('#ssc-edit-status [data-status-text][data-status="applied"]', timeout=20000)
    shot(page, "edit-page-nl-390-applied")
    assert_accessible(axe_violations, page, "applied at 390 px")
    order = devshop.get_order(ORDER)
    assert [item.variant_title for item in order.line_items if item.current_quantity > 0 and "Shirt" in item.title] == [
        "L"
    ]


def test_keyboard_alone_changes_the_address(web, devshop, devshop_server, workers, store, new_page, login, shot):
    t = Translator("en")
    workers.start()
    page = new_page()
    login(page, ADA)
    page.goto(order_url(devshop_server, ORDER))

    def focused() -> str:
        # A field by its name, a button or link by its words.
        return page.evaluate(
            "(el => (el.tagName === 'INPUT' || el.tagName === 'SELECT' ? el.name : el.textContent))"
            "(document.activeElement)"
        ).strip()

    for _ in range(30):
        page.keyboard.press("Tab")
        if focused() == "address-address1":
            break
    assert focused() == "address-address1"
    page.keyboard.press("Control+A")
    page.keyboard.type("Prinsengracht 263")
    for _ in range(15):
        page.keyboard.press("Tab")
        if focused() == t("page.address.review_button"):
            break
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=t("page.edit.confirm_heading")).wait_for()
    assert page.evaluate("document.activeElement.textContent") == t("page.edit.confirm_heading")
    page.keyboard.press("Tab")
    assert focused() == t("page.edit.confirm_button")
    page.keyboard.press("Enter")
    page.wait_for_selector('#ssc-edit-status [data-status-text][data-status="applied"]', timeout=20000)
    assert page.evaluate("document.activeElement.id") == "ssc-edit-status-heading"
    shot(page, "edit-page-keyboard-applied")
    assert devshop.get_order(ORDER).shipping_address.address1 == "Prinsengracht 263"


def test_without_script_the_forms_and_pages_still_work(
    web, devshop, devshop_server, workers, store, new_page, login, axe_violations
):
    t = Translator("en")
    workers.start()
    page = new_page(javascript_enabled=False)
    login(page, ADA)
    page.goto(order_url(devshop_server, ORDER))
    page.get_by_label(t("page.edit.quantity_label", item=MUG_TITLE)).select_option("0")
    page.get_by_role("region", name=t("page.edit.items.heading")).get_by_role(
        "button", name=t("page.edit.review_button")
    ).click()
    assert t("page.edit.change_remove", item=MUG_ITEM) in page.inner_text("main")
    assert "33.00 EUR" in page.inner_text("main")
    page.get_by_role("button", name=t("page.edit.confirm_button")).click()
    assert page.locator("#ssc-edit-status").is_visible()
    wait_until(lambda: (edit := latest_edit(store)) is not None and edit.status.value == "applied", timeout=20)
    page.get_by_role("link", name=t("page.status.refresh")).click()
    assert page.locator('#ssc-edit-status [data-status="applied"]').is_visible()
    assert re.search(r"33\.00 EUR", page.inner_text("#ssc-edit-status"))
