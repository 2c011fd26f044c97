"""The customer account extension in real Chromium, as `shopify app build` built it, hosted by the devshop's stand-in
for new customer accounts: menu button → modal → confirm → cancelled by a real worker, in three languages, by
keyboard alone; no button for an ineligible order; axe on the host page and in every extension frame."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devshop.launch import build_customer_account_extension
from storefront_proxy.i18n import Translator
from tests.integration.conftest import ADA, SHOP, wait_for_status

pytestmark = pytest.mark.integration

LOCALES = Path(__file__).resolve().parents[3] / "customer_account_extension" / "locales"


def strings(locale: str) -> dict[str, str]:
    name = "en.default.json" if locale == "en" else f"{locale}.json"
    return json.loads((LOCALES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module", autouse=True)
def built_extension():
    if not build_customer_account_extension():
        pytest.skip("the customer account extension cannot be built here (npm is missing)")


def status_page(page, devshop_server, order_id: int, locale: str) -> None:
    page.goto(f"{devshop_server.url}/account/new/orders/{order_id}?locale={locale}")


def frame(page, name: str):
    return page.frame_locator(f'iframe[data-frame="{name}"]')


def assert_accessible(axe_violations, page, state: str) -> None:
    """axe on the host page and inside each extension frame (axe runs per document)."""
    found = axe_violations(page)
    for child in page.frames[1:]:
        if child.url.startswith("http"):
            found += axe_violations(child)
    assert found == [], f"{state}: " + "; ".join(f"{v['id']}: {v['help']} {v['targets']}" for v in found)


@pytest.mark.parametrize("locale", ["en", "nl", "fi"])
def test_shopper_cancels_from_the_order_status_page_and_sees_it_cancelled(
    locale, web, devshop, devshop_server, workers, store, new_page, login, axe_violations, shot
):
    says, app_says = strings(locale), Translator(locale)
    order_id = devshop.create_order(customer_id=ADA)
    workers.start()
    page = new_page(locale=locale)
    login(page, ADA)
    status_page(page, devshop_server, order_id, locale)

    menu = frame(page, f"menu-{order_id}").get_by_role("button", name=says["menu.cancel"])
    menu.wait_for()
    block = frame(page, f"block-{order_id}")
    block.get_by_text(says["time_left"].split("{{")[0].strip()).wait_for()
    shot(page, f"customer-accounts-{locale}-1-order-status")
    assert_accessible(axe_violations, page, "order status page")

    menu.click()
    modal = frame(page, "action")
    modal.get_by_role("heading", name=says["action.heading"]).wait_for()
    modal.get_by_role("radio", name=app_says("reason.ordered_by_mistake")).check()
    modal.get_by_role("textbox", name=says["form.note_label"]).fill("Wrong size / verkeerde maat")
    shot(page, f"customer-accounts-{locale}-2-modal")
    assert_accessible(axe_violations, page, "the modal")

    modal.get_by_role("button", name=says["action.confirm"]).click()
    modal.get_by_text(says["status.cancelled"]).wait_for(timeout=30_000)
    request = wait_for_status(store, SHOP, order_id, {"cancelled"})
    assert request.reason == "ordered_by_mistake" and request.note == "Wrong size / verkeerde maat"
    assert devshop.get_order(order_id).cancelled_at is not None
    shot(page, f"customer-accounts-{locale}-3-cancelled")

    modal.get_by_role("button", name=says["action.close"]).click()
    # shopify.close() reaches the host page as a message: the dialog closes a moment after the click.
    page.wait_for_function("() => !document.querySelector('dialog#action').open", timeout=5000)
    block.get_by_text(says["status.cancelled"]).wait_for()
    frame(page, f"menu-{order_id}").get_by_role("button", name=says["menu.status"]).wait_for()
    shot(page, f"customer-accounts-{locale}-4-closed")


def test_a_request_made_through_the_theme_shows_in_the_extension(web, devshop, devshop_server, store, new_page, login):
    from tests.integration.conftest import proxy_session
    from tests.integration.helpers import ask_to_cancel

    says = strings("en")
    order_id = devshop.create_order(customer_id=ADA)
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    page = new_page()
    login(page, ADA)
    status_page(page, devshop_server, order_id, "en")
    frame(page, f"menu-{order_id}").get_by_role("button", name=says["menu.status"]).wait_for()
    frame(page, f"block-{order_id}").get_by_text(says["status.queued"]).wait_for()


def test_an_ineligible_order_has_no_cancel_button(web, devshop, devshop_server, new_page, login, axe_violations, shot):
    shipped = devshop.create_order(customer_id=ADA, fulfilled=True)
    page = new_page()
    login(page, ADA)
    status_page(page, devshop_server, shipped, "en")
    menu = page.frame(url=lambda url: f"target=menu&order={shipped}" in url)
    menu.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert menu.locator("s-button").count() == 0
    assert page.frame(url=lambda url: f"target=block&order={shipped}" in url).locator("s-section").count() == 0
    shot(page, "customer-accounts-ineligible")
    assert_accessible(axe_violations, page, "ineligible order")


def test_the_whole_flow_works_by_keyboard_alone(web, devshop, devshop_server, workers, store, new_page, login):
    says = strings("en")
    order_id = devshop.create_order(customer_id=ADA)
    workers.start()
    page = new_page()
    login(page, ADA)
    page.goto(f"{devshop_server.url}/account/new/orders?locale=en")
    menu = frame(page, f"menu-{order_id}").get_by_role("button", name=says["menu.cancel"])
    menu.wait_for()
    for _ in range(40):  # Tab through the page until the order's menu button has the focus
        page.keyboard.press("Tab")
        if menu.evaluate("button => button.matches(':focus-within') || document.activeElement === button"):
            break
    else:
        pytest.fail("the menu button cannot be reached with Tab")
    page.keyboard.press("Enter")
    modal = frame(page, "action")
    reason = modal.get_by_role("radio", name=Translator("en")("reason.changed_mind"))
    reason.wait_for()
    for _ in range(10):
        page.keyboard.press("Tab")
        if reason.evaluate("radio => radio.matches(':focus')"):
            break
    page.keyboard.press("Space")
    assert reason.is_checked()
    confirm = modal.get_by_role("button", name=says["action.confirm"])
    for _ in range(10):
        page.keyboard.press("Tab")
        if confirm.evaluate("button => button.matches(':focus')"):
            break
    else:
        pytest.fail("Confirm cannot be reached with Tab")
    page.keyboard.press("Enter")
    modal.get_by_text(says["status.cancelled"]).wait_for(timeout=30_000)
    page.keyboard.press("Escape")
    assert not page.locator("dialog#action").evaluate("dialog => dialog.open")
    assert wait_for_status(store, SHOP, order_id, {"cancelled"}).status.value == "cancelled"


def test_the_pages_and_the_modal_fit_a_phone(web, devshop, devshop_server, new_page, login, axe_violations, shot):
    says = strings("en")
    order_id = devshop.create_order(customer_id=ADA)
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, ADA)
    page.goto(f"{devshop_server.url}/account/new/orders?locale=en")
    frame(page, f"menu-{order_id}").get_by_role("button", name=says["menu.cancel"]).wait_for()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    shot(page, "customer-accounts-390-1-index")
    status_page(page, devshop_server, order_id, "en")
    frame(page, f"menu-{order_id}").get_by_role("button", name=says["menu.cancel"]).click()
    frame(page, "action").get_by_role("button", name=says["action.confirm"]).wait_for()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    shot(page, "customer-accounts-390-2-modal")
    assert_accessible(axe_violations, page, "the modal at 390 px")
