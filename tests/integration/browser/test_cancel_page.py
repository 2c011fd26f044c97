"""The cancel page in real Chromium: the whole flow to `cancelled` with a worker, in three languages, by
keyboard alone, without script, for an ineligible order, with axe on every state."""

from __future__ import annotations

import re

import pytest

from storefront_proxy.i18n import Translator
from tests.integration.conftest import ADA, SHOP, wait_for_status

pytestmark = pytest.mark.integration

PREFIX = "/apps/self-service"


def order_url(devshop_server, order_id: int, locale: str | None = None) -> str:
    return f"{devshop_server.url}{PREFIX}/orders/{order_id}" + (f"?locale={locale}" if locale else "")


def assert_accessible(axe_violations, page, state: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{state}: " + "; ".join(f"{v['id']}: {v['help']}" for v in violations)


# A devshop order's 25.00 EUR as each language writes it (Intl, CLDR).
LOCAL_TOTALS = {"en": "€25.00", "nl": "€ 25,00", "fi": "25,00 €"}


def plain(text: str) -> str:
    """Text with the no-break spaces Intl puts between amount and symbol as plain spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize("locale", ["en", "nl", "fi"])
def test_shopper_cancels_and_watches_it_reach_cancelled(
    locale, web, devshop, devshop_server, workers, store, new_page, login, axe_violations, shot
):
    t = Translator(locale)
    order_id = devshop.create_order(customer_id=ADA)
    workers.start()
    page = new_page(locale=locale)
    login(page, ADA)
    # The shop's own order page, with the theme block, is where the shopper starts.
    page.goto(f"{devshop_server.url}/account/orders/{order_id}")
    block_link = page.locator(".ssb a[data-link]")
    block_link.wait_for()
    shot(page, f"cancel-page-{locale}-0-order-page-block")
    block_link.click()
    page.wait_for_url(re.compile(rf"{PREFIX}/orders/{order_id}\?locale={locale}"))

    assert page.locator(".ssc").get_attribute("lang") == locale
    # Money in the shopper's format; the server wrote "25.00 EUR".
    local_total = LOCAL_TOTALS[locale]
    assert plain(page.locator("[data-money-text]").first.inner_text()) == local_total
    time_left = page.locator("[data-time-left]")
    assert re.search(r"\d", time_left.inner_text()), "the time left is shown"
    shot(page, f"cancel-page-{locale}-1-eligible")
    assert_accessible(axe_violations, page, "eligible order")

    page.get_by_label(t("reason.ordered_by_mistake")).check()
    page.get_by_label(t("page.cancel.note_label")).fill("Väärä koko / verkeerde maat")
    page.get_by_role("button", name=t("page.cancel.button")).click()
    confirm_heading = page.get_by_role("heading", name=t("page.confirm.heading"))
    assert confirm_heading.is_visible()
    assert page.evaluate("document.activeElement.textContent") == t("page.confirm.heading")
    shot(page, f"cancel-page-{locale}-2-confirm")
    assert_accessible(axe_violations, page, "confirmation step")

    page.get_by_role("button", name=t("page.confirm.button")).click()
    status = page.locator("[data-status-text]")
    status.wait_for()
    assert page.evaluate("document.activeElement.id") == "ssc-status-heading"
    shot(page, f"cancel-page-{locale}-3-requested")
    page.wait_for_selector('[data-status-text][data-status="cancelled"]', timeout=20000)
    assert status.inner_text() == t("status.cancelled")
    refund = page.locator("[data-refund]")
    refund.wait_for()  # shown live, without a reload: what happens to the money
    assert "Shopify" in refund.inner_text() and not page.locator("[data-contact]").is_visible()
    assert local_total in plain(refund.inner_text()) and "EUR" not in refund.inner_text()
    shot(page, f"cancel-page-{locale}-4-cancelled")
    assert_accessible(axe_violations, page, "cancelled")

    request = wait_for_status(store, SHOP, order_id, {"cancelled"})
    assert request.reason == "ordered_by_mistake" and request.note == "Väärä koko / verkeerde maat"
    assert devshop.get_order(order_id).cancelled_at is not None


def test_keyboard_alone(web, devshop, devshop_server, workers, store, new_page, login, shot):
    t = Translator("en")
    order_id = devshop.create_order(customer_id=ADA)
    workers.start()
    page = new_page()
    login(page, ADA)
    page.goto(order_url(devshop_server, order_id))

    def focused_text() -> str:
        return page.evaluate(
            "(document.activeElement.labels && document.activeElement.labels[0] || document.activeElement).textContent"
        ).strip()

    # Tab from the top of the page to the first reason, choose it with Space.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "reason":
            break
    assert page.evaluate("document.activeElement.name") == "reason"
    page.keyboard.press("Space")
    assert page.locator('input[name="reason"]:checked').count() == 1
    for _ in range(10):
        page.keyboard.press("Tab")
        if focused_text() == t("page.cancel.button"):
            break
    page.keyboard.press("Enter")
    assert focused_text() == t("page.confirm.heading")
    page.keyboard.press("Tab")
    assert focused_text() == t("page.confirm.button")
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-status-text][data-status="cancelled"]', timeout=20000)
    assert page.evaluate("document.activeElement.id") == "ssc-status-heading"
    shot(page, "cancel-page-keyboard-cancelled")
    assert wait_for_status(store, SHOP, order_id, {"cancelled"}).status.value == "cancelled"


def test_keep_my_order_goes_back_without_cancelling(web, devshop, devshop_server, store, new_page, login):
    t = Translator("en")
    order_id = devshop.create_order(customer_id=ADA)
    page = new_page()
    login(page, ADA)
    page.goto(order_url(devshop_server, order_id))
    page.get_by_label(t("reason.changed_mind")).check()
    page.get_by_role("button", name=t("page.cancel.button")).click()
    page.get_by_role("button", name=t("page.confirm.keep")).click()
    assert page.get_by_role("button", name=t("page.cancel.button")).is_visible()
    assert store.requests.for_order(SHOP, order_id) is None


def test_ineligible_order_says_why(web, devshop, devshop_server, new_page, login, axe_violations, shot):
    t = Translator("fi")
    order_id = devshop.create_order(customer_id=ADA, fulfilled=True)
    page = new_page(locale="fi")
    login(page, ADA)
    page.goto(order_url(devshop_server, order_id, "fi"))
    assert page.get_by_text(t("ineligible.fulfillment_started")).is_visible()
    assert page.locator("[data-cancel-form]").count() == 0
    shot(page, "cancel-page-fi-ineligible")
    assert_accessible(axe_violations, page, "ineligible order")


def test_without_javascript_the_forms_still_cancel(
    web, devshop, devshop_server, workers, store, new_page, login, axe_violations, shot
):
    t = Translator("nl")
    order_id = devshop.create_order(customer_id=ADA)
    workers.start()
    page = new_page(locale="nl", javascript_enabled=False)
    login(page, ADA)
    page.goto(order_url(devshop_server, order_id, "nl"))
    page.get_by_label(t("reason.changed_mind")).check()
    page.get_by_role("button", name=t("page.cancel.button")).click()
    page.get_by_role("heading", name=t("page.confirm.heading")).wait_for()
    shot(page, "cancel-page-nojs-confirm")
    # axe needs script; check the very same document in a page that may run it.
    checker = new_page()
    checker.set_content(page.content())
    assert_accessible(axe_violations, checker, "confirmation page without script")
    page.get_by_role("button", name=t("page.confirm.button")).click()
    page.locator("[data-status-text]").wait_for()
    wait_for_status(store, SHOP, order_id, {"cancelled"})
    page.get_by_role("link", name=t("page.status.refresh")).click()
    assert page.locator("[data-status-text]").get_attribute("data-status") == "cancelled"
    shot(page, "cancel-page-nojs-cancelled")


def test_logged_out_visitor_is_asked_to_log_in(web, devshop, devshop_server, new_page, axe_violations, shot):
    page = new_page(locale="de")
    page.goto(order_url(devshop_server, 5001, "de"))
    assert page.get_by_role("heading", name=Translator("de")("error.login_required")).is_visible()
    shot(page, "cancel-page-de-login-required")
    assert_accessible(axe_violations, page, "login required")


def test_rejected_request_explains_and_offers_the_returns_page(
    web, devshop, devshop_server, workers, store, new_page, login, axe_violations, shot
):
    from storefront_proxy.policy.model import Policy

    t = Translator("en")
    store.policies.save(SHOP, Policy(returns_url="https://devshop.example/pages/returns"))
    order_id = devshop.create_order(customer_id=ADA)
    page = new_page()
    login(page, ADA)
    page.goto(order_url(devshop_server, order_id))
    page.get_by_label(t("reason.changed_mind")).check()
    page.get_by_role("button", name=t("page.cancel.button")).click()
    page.get_by_role("button", name=t("page.confirm.button")).click()
    page.locator("[data-status-text]").wait_for()
    shot(page, "cancel-page-en-queued")
    assert_accessible(axe_violations, page, "queued")
    devshop.fulfill(order_id)  # the warehouse is faster than the worker
    workers.start()
    page.wait_for_selector('[data-status-text][data-status="rejected"]', timeout=20000)
    assert page.locator("[data-status-message]").inner_text() == t("outcome.shipped")
    assert page.get_by_role("link", name=t("page.returns_link")).get_attribute("href") == (
        "https://devshop.example/pages/returns"
    )
    shot(page, "cancel-page-en-rejected")
    assert_accessible(axe_violations, page, "rejected")
    page.goto(order_url(devshop_server, order_id))
    assert page.locator("[data-status-text]").get_attribute("data-status") == "rejected"
    assert page.get_by_role("link", name=t("page.returns_link")).is_visible()


LAYOUT_SHIFT_PROBE = """
window.__layoutShift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.__layoutShift += entry.value;
  }
}).observe({type: "layout-shift", buffered: true});
"""


def test_no_layout_shift_when_the_status_arrives(web, devshop, devshop_server, workers, new_page, login):
    """The block's status and the page's live status fill space reserved for them (cumulative shift ~0)."""
    order_id = devshop.create_order(customer_id=ADA)
    page = new_page()
    page.context.add_init_script(LAYOUT_SHIFT_PROBE)
    login(page, ADA)
    page.goto(f"{devshop_server.url}/account/orders/{order_id}")
    page.locator(".ssb [data-timer]").filter(has_text=re.compile(r"\d")).wait_for()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__layoutShift") < 0.01

    t = Translator("en")
    page.goto(order_url(devshop_server, order_id))
    page.get_by_label(t("reason.changed_mind")).check()
    page.get_by_role("button", name=t("page.cancel.button")).click()
    page.get_by_role("button", name=t("page.confirm.button")).click()
    page.locator("[data-status-text]").wait_for()
    page.evaluate("window.__layoutShift = 0")  # the shopper's own clicks may move things; the updates may not
    workers.start()
    page.wait_for_selector('[data-status-text][data-status="cancelled"]', timeout=20000)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__layoutShift") < 0.01


def test_a_reason_changed_in_the_confirmation_step_is_the_one_shown_and_stored(
    web, devshop, devshop_server, store, new_page, login, shot
):
    t = Translator("en")
    order_id = devshop.create_order(customer_id=ADA)
    page = new_page()
    login(page, ADA)
    page.goto(order_url(devshop_server, order_id))
    page.get_by_label(t("reason.changed_mind")).check()
    page.get_by_role("button", name=t("page.cancel.button")).click()
    line = page.locator("[data-confirm-reason]")
    assert t("reason.changed_mind") in line.inner_text()
    page.get_by_label(t("reason.ordered_by_mistake")).check()
    assert t("reason.ordered_by_mistake") in line.inner_text() and t("reason.changed_mind") not in line.inner_text()
    shot(page, "cancel-page-en-reason-changed-in-confirmation")
    page.get_by_role("button", name=t("page.confirm.button")).click()
    page.locator("[data-status-text]").wait_for()
    assert wait_for_status(store, SHOP, order_id, {"queued", "processing", "cancelled"}).reason == "ordered_by_mistake"
