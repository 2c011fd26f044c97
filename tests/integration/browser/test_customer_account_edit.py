"""The edit page (customer_account_edit_extension/, the full-page target customer-account.order.page.render) in real
Chromium, as `shopify app build` built it, hosted by the devshop's stand-in for new customer accounts: from the
order's status page to the full page, a lower quantity, the review with the refund in the shopper's format, then
confirmed and applied by a real worker; in two languages at desktop width and at 390 px, by keyboard alone, from the
menu button when only editing is left, and the review's words for where the money goes; axe in every frame."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from devshop.launch import build_customer_account_extension
from storefront_proxy.policy.model import Policy, RefundMethod
from tests.integration.browser.test_cancel_page import plain
from tests.integration.browser.test_customer_accounts import assert_accessible, frame
from tests.integration.conftest import ADA, SHOP, wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
# The devshop's seeded order #1008: T-shirt S ×1 (line 9009), Forest Green mug ×2 at 16.50 (line 9010), tea towel.
ORDER, MUG = 5008, 9010
SHIRT_TITLE, MUG_TITLE = "Organic Cotton T-Shirt", "Enamel Camping Mug"
MUG_ITEM = f"{MUG_TITLE} (Forest Green)"
EDIT_PAGE_PATH = f"/account/new/orders/{ORDER}/extensions/self-service-order-edit"
# 16.50 EUR as each language writes it (Intl, CLDR).
LOCAL_REFUNDS = {"en": "€16.50", "nl": "€ 16,50"}
PHONE = {"width": 390, "height": 844}


def strings(folder: str, locale: str) -> dict[str, str]:
    name = "en.default.json" if locale == "en" else f"{locale}.json"
    return json.loads((ROOT / folder / "locales" / name).read_text(encoding="utf-8"))


def says(locale: str):
    """The edit page's words in ``locale``, filled in as shopify.i18n.translate does."""
    texts = strings("customer_account_edit_extension", locale)

    def translate(key: str, **values: object) -> str:
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda found: str(values.get(found.group(1), "")), texts[key])

    return translate


@pytest.fixture(scope="module", autouse=True)
def built_extensions():
    if not build_customer_account_extension():
        pytest.skip("the customer account extensions cannot be built here (npm is missing)")


def mug_quantity(devshop) -> int:
    return next(item.current_quantity for item in devshop.get_order(ORDER).line_items if item.legacy_id == MUG)


def no_sideways_scroll(page, edit, width: int) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width, "the host page scrolls sideways"
    assert edit.locator("body").evaluate(
        "body => body.ownerDocument.scrollingElement.scrollWidth <= body.ownerDocument.defaultView.innerWidth"
    ), "the edit page scrolls sideways"


def section(edit, heading: str):
    """The s-section headed ``heading`` (its words are in the element, its heading in its shadow root)."""
    return edit.locator("s-section").filter(has=edit.get_by_role("heading", name=heading, exact=True))


def open_status_page(page, devshop_server, locale: str) -> None:
    page.goto(f"{devshop_server.url}/account/new/orders/{ORDER}?locale={locale}")


@pytest.mark.parametrize("width", ["desktop", "390"])
@pytest.mark.parametrize("locale", ["en", "nl"])
def test_shopper_lowers_a_quantity_on_the_edit_page_and_watches_it_applied(
    locale, width, web, devshop, devshop_server, workers, store, new_page, login, axe_violations, shot
):
    t, block_says = says(locale), strings("customer_account_extension", locale)
    name = f"customer-account-edit-{locale}-{width}"
    workers.start()
    page = new_page(locale=locale)
    if width == "390":
        page.set_viewport_size(PHONE)
    viewport = page.viewport_size["width"]
    login(page, ADA)

    # The order's status page: the block says until when the order can be changed and links to the edit page.
    open_status_page(page, devshop_server, locale)
    link = frame(page, f"block-{ORDER}").get_by_role("link", name=block_says["block.edit_link"])
    link.wait_for()
    shot(page, f"{name}-1-order-status")
    assert_accessible(axe_violations, page, "order status page")
    link.click()
    page.wait_for_url(f"**{EDIT_PAGE_PATH}?locale={locale}")

    # The full page: the order's items, sizes (the sold-out one disabled) and its address.
    edit = frame(page, f"page-{ORDER}")
    edit.get_by_role("heading", name=t("page.heading", name="#1008"), level=1).wait_for()
    items = edit.get_by_role("region", name=t("items.heading"))
    assert items.is_visible() and edit.get_by_role("region", name=t("address.heading")).is_visible()
    until = t("edit.until", date="").rstrip(".").strip()
    assert edit.get_by_text(re.compile(re.escape(until))).is_visible(), "until when, under the heading"
    size = edit.get_by_label(t("items.variant_label", item=SHIRT_TITLE))
    assert size.locator("option", has_text=t("items.variant_sold_out", variant="M")).is_disabled()
    assert edit.get_by_label(t("address.city")).input_value() == "Amsterdam"
    no_sideways_scroll(page, edit, viewport)
    shot(page, f"{name}-2-form")
    assert_accessible(axe_violations, page, "the edit form")

    edit.get_by_label(t("items.quantity_label", item=MUG_TITLE)).select_option("1")
    edit.get_by_role("button", name=t("form.review")).click()
    review = section(edit, t("review.heading"))
    review.wait_for()
    assert t("change.quantity", item=MUG_ITEM, before=2, after=1) in review.inner_text()
    # The refund before confirming, in the shopper's format, to the way they paid (the default policy).
    refund = t("review.refund", amount=LOCAL_REFUNDS[locale])
    assert plain(refund) in plain(review.inner_text())
    no_sideways_scroll(page, edit, viewport)
    shot(page, f"{name}-3-review")
    assert_accessible(axe_violations, page, "the review step")
    assert mug_quantity(devshop) == 2, "nothing is sent before confirming"

    review.get_by_role("button", name=t("review.confirm")).click()
    status = section(edit, t("status.heading"))
    status.get_by_text(t("edit_status.applied")).wait_for(timeout=30_000)
    # What came back, Shopify's figure once applied, in the shopper's format.
    refunded = plain(t("edit_status.refunded", amount=LOCAL_REFUNDS[locale]))
    wait_until(lambda: refunded in plain(status.inner_text()), timeout=10, message="the refund under the status")
    assert mug_quantity(devshop) == 1
    assert [refund.amount for refund in devshop.get_order(ORDER).refunds] == ["16.50"]
    edit_record = store.requests.latest_edit(SHOP, ORDER)
    assert edit_record is not None and edit_record.status.value == "applied"
    # Once applied the page reads the order again: partly refunded, it can still be changed (its form again, the
    # mug at 1).
    edit.get_by_label(t("items.quantity_label", item=MUG_TITLE)).wait_for()
    no_sideways_scroll(page, edit, viewport)
    shot(page, f"{name}-4-applied")
    assert_accessible(axe_violations, page, "applied")

    # The way back: the order's status page, with the new quantity.
    edit.get_by_role("link", name=t("page.back")).first.click()
    page.wait_for_url(f"**/account/new/orders/{ORDER}?locale={locale}")
    assert re.search(rf"{MUG_TITLE}\W+Forest Green × 1", page.inner_text("main"))


def test_the_whole_edit_works_by_keyboard_alone(web, devshop, devshop_server, workers, store, new_page, login, shot):
    """Tab, Space, Enter and the arrow keys only: from the status page's link to the applied edit."""
    t, block_says = says("en"), strings("customer_account_extension", "en")
    workers.start()
    page = new_page()
    login(page, ADA)
    open_status_page(page, devshop_server, "en")

    def tab_to(locator, presses: int = 60) -> None:
        for _ in range(presses):
            page.keyboard.press("Tab")
            if locator.evaluate("element => element.matches(':focus')"):
                return
        pytest.fail(f"{locator} cannot be reached with Tab")

    # The link inside the block's frame: an <a> in the s-link's shadow root.
    link = frame(page, f"block-{ORDER}").get_by_role("link", name=block_says["block.edit_link"])
    link.wait_for()
    tab_to(link)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{EDIT_PAGE_PATH}?locale=en")

    edit = frame(page, f"page-{ORDER}")
    quantity = edit.get_by_label(t("items.quantity_label", item=MUG_TITLE))
    quantity.wait_for()
    tab_to(quantity)
    page.keyboard.press("ArrowDown")  # 2 → 1 (the choices run from as ordered down to 0)
    assert quantity.input_value() == "1"
    review_button = edit.get_by_role("button", name=t("form.review"))
    tab_to(review_button)
    page.keyboard.press("Space")
    review = section(edit, t("review.heading"))
    review.wait_for()
    confirm = review.get_by_role("button", name=t("review.confirm"))
    tab_to(confirm)
    page.keyboard.press("Enter")
    section(edit, t("status.heading")).get_by_text(t("edit_status.applied")).wait_for(timeout=30_000)
    shot(page, "customer-account-edit-keyboard-applied")
    assert mug_quantity(devshop) == 1
    assert [refund.amount for refund in devshop.get_order(ORDER).refunds] == ["16.50"]


def test_the_menu_button_leads_to_the_edit_page_when_only_editing_is_left(
    web, devshop, devshop_server, store, new_page, login, axe_violations, shot
):
    # #1008 is 8 minutes old: past a 5-minute cancel window, inside an hour to edit it.
    store.policies.save(SHOP, Policy(cancel_window_minutes=5, edit_window_minutes=60))
    t, menu_says = says("en"), strings("customer_account_extension", "en")
    page = new_page()
    login(page, ADA)
    page.goto(f"{devshop_server.url}/account/new/orders?locale=en")
    menu = frame(page, f"menu-{ORDER}").get_by_role("link", name=menu_says["menu.edit"])
    menu.wait_for()
    shot(page, "customer-account-edit-menu-index")
    assert_accessible(axe_violations, page, "the order index with Change order")
    menu.click()
    page.wait_for_url(f"**{EDIT_PAGE_PATH}?locale=en")
    assert not page.locator("dialog#action").evaluate("dialog => dialog.open"), "no cancel modal"
    frame(page, f"page-{ORDER}").get_by_role("region", name=t("items.heading")).wait_for()


def forest_green_mug(devshop) -> int:
    return next(
        variant.legacy_id
        for product in devshop.products.values()
        for variant in product.variants
        if product.title == MUG_TITLE and variant.title == "Forest Green"
    )


@pytest.mark.parametrize("case", ["store_credit", "refunds_nothing", "only_authorized"])
def test_the_review_says_where_the_money_of_a_lower_total_goes(
    case, web, devshop, devshop_server, store, new_page, login, axe_violations, shot
):
    t = says("de")
    order_id = ORDER
    if case == "store_credit":
        store.policies.save(SHOP, Policy(refund_method=RefundMethod.STORE_CREDIT))
        expected = t("review.refund_store_credit", amount="16,50 €")
    elif case == "refunds_nothing":
        store.policies.save(SHOP, Policy(refund_method=RefundMethod.NONE))
        expected = t("review.lower_no_refund", amount="16,50 €")
    else:
        order_id = devshop.create_order(
            customer_id=ADA, variants=[(forest_green_mug(devshop), 2)], display_financial_status="AUTHORIZED"
        )
        expected = t("review.lower_not_charged", amount="16,50 €")
    page = new_page(locale="de")
    login(page, ADA)
    page.goto(f"{devshop_server.url}/account/new/orders/{order_id}/extensions/self-service-order-edit?locale=de")
    edit = frame(page, f"page-{order_id}")
    edit.get_by_label(t("items.quantity_label", item=MUG_TITLE)).select_option("1")
    edit.get_by_role("button", name=t("form.review")).click()
    review = section(edit, t("review.heading"))
    review.wait_for()
    assert plain(expected) in plain(review.inner_text())
    for other in ("review.refund", "review.refund_store_credit", "review.lower_no_refund", "review.lower_not_charged"):
        sentence = t(other, amount="16,50 €")
        if sentence != expected:
            assert plain(sentence) not in plain(review.inner_text())
    shot(page, f"customer-account-edit-de-review-{case}")
    assert_accessible(axe_violations, page, f"the review ({case})")
