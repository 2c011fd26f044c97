"""The embedded admin (Polaris) in Chromium, inside the devshop's stand-in Shopify admin, which plays App Bridge
(session tokens, title bar, navigation menu, save bar, toasts): every page at 1280 px and 390 px in English and
Dutch with axe; support approving a request and the page following it live; the policy's save bar and field
errors; reasons worded in Dutch; holds released by hand and retried; Insights and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from storefront_proxy.admin.pages import admin_catalog
from storefront_proxy.holds.records import FulfillmentHoldRecord, HoldStatus
from storefront_proxy.policy.model import Policy, ReviewMode
from tests.integration.conftest import ADA, SHOP, proxy_session, wait_for_status, wait_until
from tests.integration.helpers import JSON, ask_to_cancel, order_url

pytestmark = pytest.mark.integration

PHONE, DESKTOP = 390, 1280
# The devshop's admin around the app: its top bar and the app's title bar.
ADMIN_CHROME_PX = 110


def words(language: str):
    """The admin's catalog in ``language``, English where it has no word (as the page gets it)."""
    return {**admin_catalog("en"), **admin_catalog(language)}


def open_admin(new_page, devshop_server, *, locale="en", width=DESKTOP, section="requests"):
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{devshop_server.url}/admin/apps/self-service/{section}?locale={locale}")
    return page, page.frame_locator("iframe#app")


def badge(app, text: str):
    """A Polaris badge (tabs and hidden measuring copies carry the same words)."""
    return app.locator(".Polaris-Badge").filter(has_text=text).first


def app_frame(page):
    return page.query_selector("iframe#app").content_frame()


def go_to(page, label: str) -> None:
    """Follow the app's navigation menu as a merchant does (on a phone it sits behind the app's menu button)."""
    menu = page.get_by_role("button", name="Self-service ▾")
    if menu.is_visible():
        menu.click()
    page.get_by_role("navigation", name="Self-service").get_by_role("link", name=label, exact=True).click()


def admin_shot(page, shot, name: str) -> None:
    """A screenshot of the admin with the whole app page in view (the app scrolls inside its frame)."""
    size = page.viewport_size
    height = app_frame(page).evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height + ADMIN_CHROME_PX)})
    page.wait_for_timeout(150)
    shot(page, name)
    page.set_viewport_size(size)


def assert_no_horizontal_scroll(page) -> None:
    for document in (page, app_frame(page)):
        wide = document.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 0, f"{document.url} scrolls sideways by {wide} px"


def assert_axe_clean(page, axe_violations) -> None:
    for document in (page, app_frame(page)):
        violations = axe_violations(document)
        assert violations == [], f"{document.url}: {violations}"


def manual_review(store) -> None:
    store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL))


def held(store, order_id: int, name: str, *, status=HoldStatus.HELD, error: str | None = None) -> None:
    now = datetime.now(UTC)
    record = FulfillmentHoldRecord(
        shop=SHOP,
        order_id=order_id,
        order_name=name,
        status=status,
        created_at=now,
        updated_at=now,
        release_at=now + timedelta(minutes=45),
    )
    record.last_error = error
    store.holds.create(record)


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
@pytest.mark.parametrize("locale", ["en", "nl"])
def test_every_admin_page_in_the_merchants_language(
    web, devshop, devshop_server, store, new_page, axe_violations, shot, locale, width
):
    t = words(locale)
    manual_review(store)
    shopper = proxy_session(devshop_server.url, ADA)
    order_id = devshop.create_order(customer_id=ADA)
    ask_to_cancel(shopper, devshop_server, order_id, note="Wrong size, sorry").raise_for_status()
    name = devshop.get_order(order_id).name
    held(store, devshop.create_order(customer_id=ADA), "#H-1")

    page, app = open_admin(new_page, devshop_server, locale=locale, width=width)
    label = f"{locale}-{width}"

    # Requests: the review queue, in the merchant's language, with the order's total in their format.
    app.get_by_role("heading", name=t["requests.title"], level=1).wait_for()
    app.get_by_role("link", name=name).wait_for()
    badge(app, t["status.pending_review"]).wait_for()
    assert page.locator("#app-title").inner_text() == t["requests.title"], "the title bar shows the page"
    assert_no_horizontal_scroll(page)
    assert_axe_clean(page, axe_violations)
    admin_shot(page, shot, f"admin-requests-{label}")

    # The request: the order's items and total, the shopper's note, the timeline in words.
    app.get_by_role("link", name=name).click()
    app.get_by_role("heading", name=t["request.title"].replace("{order}", name)).wait_for()
    app.get_by_text("Wrong size, sorry").wait_for()
    app.get_by_role("link", name=t["request.view_in_shopify"]).wait_for()
    app.get_by_text(t["event.requested"]).wait_for()
    assert_no_horizontal_scroll(page)
    assert_axe_clean(page, axe_violations)
    admin_shot(page, shot, f"admin-request-{label}")

    go_to(page, t["nav.policy"])
    app.get_by_role("heading", name=t["policy.section.who"]).wait_for()
    app.get_by_role("spinbutton", name=t["policy.cancel_window_minutes"]).wait_for()
    assert_no_horizontal_scroll(page)
    assert_axe_clean(page, axe_violations)
    admin_shot(page, shot, f"admin-policy-{label}")

    go_to(page, t["nav.insights"])
    app.get_by_role("heading", name=t["insights.per_day_title"]).wait_for()
    app.locator(".Polaris-Card svg, .Polaris-ShadowBevel svg").first.wait_for()
    assert_no_horizontal_scroll(page)
    assert_axe_clean(page, axe_violations)
    admin_shot(page, shot, f"admin-insights-{label}")

    go_to(page, t["nav.holds"])
    app.get_by_text("#H-1").first.wait_for()
    app.get_by_role("button", name=f"{t['holds.release']} (#H-1)").wait_for()
    assert_no_horizontal_scroll(page)
    assert_axe_clean(page, axe_violations)
    admin_shot(page, shot, f"admin-holds-{label}")


def test_support_approves_and_the_page_follows_the_request_live(
    web, devshop, devshop_server, workers, store, new_page, axe_violations, shot
):
    manual_review(store)
    shopper = proxy_session(devshop_server.url, ADA)
    approve_order, reject_order = devshop.create_order(customer_id=ADA), devshop.create_order(customer_id=ADA)
    for order_id in (approve_order, reject_order):
        assert ask_to_cancel(shopper, devshop_server, order_id).json()["request"]["status"] == "pending_review"
    workers.start()
    t = words("en")

    page, app = open_admin(new_page, devshop_server)
    app.get_by_role("link", name=devshop.get_order(approve_order).name).click()
    app.get_by_role("button", name=t["request.approve"]).click()
    dialog = app.get_by_role("dialog")
    dialog.get_by_text(t["request.approve_body"]).wait_for()
    dialog.get_by_role("button", name=t["request.approve"]).click()
    # A toast in the admin confirms it, and the page follows the worker to the end without a reload.
    page.get_by_role("status").filter(has_text="Approved").wait_for()
    badge(app, t["status.cancelled"]).wait_for(timeout=20_000)
    app.get_by_text(t["event.cancelled"]).first.wait_for()
    app.get_by_text(t["event.approved_by_staff"].replace("{who}", "Ada Lovelace")).wait_for()
    assert wait_for_status(store, SHOP, approve_order, {"cancelled"}).status.value == "cancelled"
    admin_shot(page, shot, "admin-request-approved")

    # Rejecting asks for the shopper's message, and refuses none.
    page.get_by_role("button", name=f"{t['nav.requests']} ›").click()
    app.get_by_role("link", name=devshop.get_order(reject_order).name).click()
    app.get_by_role("button", name=t["request.reject"]).click()
    dialog = app.get_by_role("dialog")
    dialog.get_by_role("button", name=t["reject.confirm.one"]).click()
    dialog.get_by_text(t["reject.message_required"]).wait_for()
    dialog.get_by_label(t["reject.message_label"]).fill("Your parcel is already packed, sorry!")
    assert_axe_clean(page, axe_violations)
    dialog.get_by_role("button", name=t["reject.confirm.one"]).click()
    badge(app, t["status.rejected"]).wait_for()
    rejected = shopper.get(order_url(devshop_server, reject_order, "/cancellation"), headers=JSON, timeout=10).json()
    assert rejected["request"]["status"] == "rejected"
    assert rejected["request"]["message"] == "Your parcel is already packed, sorry!"

    # The list shows both outcomes; Insights counts them, and its CSV agrees.
    go_to(page, t["nav.requests"])
    badge(app, t["status.rejected"]).wait_for()
    go_to(page, t["nav.insights"])
    app.get_by_role("heading", name=t["insights.outcomes_title"]).wait_for()
    with page.expect_download() as download:
        app.get_by_role("button", name=t["insights.download_csv"]).click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    by_order = {row["order_name"]: row for row in rows}
    assert by_order[devshop.get_order(approve_order).name]["status"] == "cancelled"
    assert by_order[devshop.get_order(reject_order).name]["message"] == "Your parcel is already packed, sorry!"


def test_the_queue_updates_itself_and_bulk_actions_appear_on_selection(
    web, devshop, devshop_server, workers, store, new_page
):
    manual_review(store)
    shopper = proxy_session(devshop_server.url, ADA)
    orders = [devshop.create_order(customer_id=ADA) for _ in range(2)]
    for order_id in orders:
        ask_to_cancel(shopper, devshop_server, order_id).raise_for_status()
    workers.start()
    t = words("en")

    page, app = open_admin(new_page, devshop_server)
    names = [devshop.get_order(order_id).name for order_id in orders]
    app.get_by_role("link", name=names[0]).wait_for()
    assert not app.get_by_role("button", name=t["requests.bulk.approve"], exact=True).is_visible()
    for name in names:
        app.get_by_role("row").filter(has_text=name).get_by_role("checkbox").check()
    app.get_by_role("button", name=t["requests.bulk.approve"], exact=True).click()
    # Cancelling orders can't be undone: the bulk action asks first.
    dialog = app.get_by_role("dialog")
    dialog.get_by_text(t["request.approve_body"]).wait_for()
    dialog.get_by_role("button", name=t["requests.bulk.approve_confirm.other"].replace("{count}", "2")).click()
    page.get_by_role("status").filter(has_text="2 requests approved").wait_for()
    # Nobody reloads: the list follows the worker until both are cancelled.
    for name in names:
        badge(app.get_by_role("row").filter(has_text=name), t["status.cancelled"]).wait_for(timeout=20_000)


def test_the_policy_has_a_save_bar_and_plain_field_errors_in_dutch(
    web, devshop, devshop_server, store, new_page, axe_violations, shot
):
    t = words("nl")
    page, app = open_admin(new_page, devshop_server, locale="nl", width=PHONE, section="policy")
    window = app.get_by_role("spinbutton", name=t["policy.cancel_window_minutes"])
    window.fill("0")
    # App Bridge's save bar takes over the admin's top bar.
    save_bar = page.get_by_role("region", name="Unsaved changes")
    save_bar.get_by_role("button", name=t["action.save"]).click()
    app.get_by_text(t["field_error.greater_than_equal"].replace("{limit}", "1")).first.wait_for()
    app.get_by_text(t["policy.errors_title.one"].replace("{count}", "1")).wait_for()
    assert store.policies.get(SHOP).cancel_window_minutes == 60, "nothing was saved"
    assert_axe_clean(page, axe_violations)
    shot(page, "admin-policy-field-error-nl-390")

    # Discarding restores the saved policy and closes the save bar.
    save_bar.get_by_role("button", name=t["action.discard"]).click()
    expect(window).to_have_value("60")
    save_bar.wait_for(state="hidden")

    # Manual review above a total shows the threshold field, and only then.
    threshold = app.get_by_label(t["policy.review_threshold"])
    assert threshold.count() == 0
    app.get_by_text(t["policy.review_mode.manual_above_total"], exact=True).click()
    threshold.fill("150.00")
    window.fill("30")
    save_bar.get_by_role("button", name=t["action.save"]).click()
    page.get_by_role("status").filter(has_text=t["policy.saved_toast"]).wait_for()
    save_bar.wait_for(state="hidden")
    policy = store.policies.get(SHOP)
    assert policy.cancel_window_minutes == 30 and policy.review_mode is ReviewMode.MANUAL_ABOVE_TOTAL
    assert str(policy.review_threshold) == "150.00"


def test_turning_the_hold_off_warns_that_held_orders_are_released(web, devshop, devshop_server, store, new_page):
    store.policies.save(SHOP, Policy(hold_fulfillment=True))
    held(store, devshop.create_order(customer_id=ADA), "#H-2")
    t = words("en")
    page, app = open_admin(new_page, devshop_server, section="policy")
    app.get_by_label(t["policy.hold_fulfillment"]).uncheck()
    app.get_by_role("button", name=t["action.save"], exact=True).click()
    dialog = app.get_by_role("dialog")
    dialog.get_by_text(t["policy.hold_off.body.one"].replace("{count}", "1")).wait_for()
    dialog.get_by_role("button", name=t["action.cancel"]).click()
    assert store.policies.get(SHOP).hold_fulfillment is True
    app.get_by_role("button", name=t["action.save"], exact=True).click()
    app.get_by_role("dialog").get_by_role("button", name=t["policy.hold_off.confirm"]).click()
    page.get_by_role("status").filter(has_text=t["policy.saved_toast"]).wait_for()
    assert store.policies.get(SHOP).hold_fulfillment is False


def test_merchant_chooses_reasons_and_their_dutch_wording(web, devshop, devshop_server, store, new_page):
    t = words("en")
    page, app = open_admin(new_page, devshop_server, section="policy")
    app.locator("#reason-found_better_price-offered").uncheck()
    app.locator("#reason-changed_mind-label").wait_for()
    app.get_by_role("button", name=t["policy.reason_languages"]).first.click()
    app.locator("#reason-changed_mind-nl").fill("Ik wil het toch niet")
    page.get_by_role("region", name="Unsaved changes").get_by_role("button", name=t["action.save"]).click()
    page.get_by_role("status").filter(has_text=t["policy.saved_toast"]).wait_for()
    reasons = {reason.code: reason for reason in store.policies.get(SHOP).reasons}
    assert "found_better_price" not in reasons
    assert reasons["changed_mind"].labels == {"nl": "Ik wil het toch niet"}

    shopper = proxy_session(devshop_server.url, ADA)
    order_id = devshop.create_order(customer_id=ADA)
    offered = shopper.get(order_url(devshop_server, order_id, "?locale=nl"), headers=JSON, timeout=10).json()["reasons"]
    assert {"code": "changed_mind", "label": "Ik wil het toch niet"} in offered
    assert "found_better_price" not in [reason["code"] for reason in offered]


def test_support_releases_a_hold_now_and_retries_a_failed_one(
    web, devshop, devshop_server, store, workers, webhooks_on, new_page, shot
):
    t = words("en")
    store.policies.save(SHOP, Policy(cancel_window_minutes=60, hold_fulfillment=True))
    workers.start()
    # A real hold, placed by the worker on the new order's webhook; and one that failed.
    held_order = devshop.create_order(customer_id=ADA, age_minutes=0)

    def hold_status(order_id: int) -> HoldStatus | None:
        record = store.holds.get(SHOP, order_id)
        return record.status if record else None

    wait_until(lambda: hold_status(held_order) is HoldStatus.HELD, message="the hold to be placed")
    failed_order = devshop.create_order(customer_id=ADA)
    held(store, failed_order, "#H-F", status=HoldStatus.FAILED, error="ShopifyTransientError: Shopify answered 503")

    page, app = open_admin(new_page, devshop_server, section="holds")
    name = devshop.get_order(held_order).name
    app.get_by_role("button", name=f"{t['holds.release']} ({name})").click()
    app.get_by_role("dialog").get_by_role("button", name=t["holds.release"]).click()
    page.get_by_role("status").filter(has_text=name).wait_for()
    wait_until(lambda: hold_status(held_order) is HoldStatus.RELEASED, message="the release")
    assert devshop.get_order(held_order).display_fulfillment_status != "ON_HOLD"
    assert any(entry["action"] == "hold.release" for entry in store.audit.entries(SHOP))

    app.get_by_role("button", name=f"{t['holds.retry']} (#H-F)").click()
    app.get_by_role("dialog").get_by_role("button", name=t["holds.retry"]).click()
    wait_until(lambda: hold_status(failed_order) is not HoldStatus.FAILED, message="the retry")
    admin_shot(page, shot, "admin-holds-after-release")


def test_support_works_a_request_by_keyboard_alone(web, devshop, devshop_server, workers, store, new_page):
    manual_review(store)
    shopper = proxy_session(devshop_server.url, ADA)
    order_id = devshop.create_order(customer_id=ADA)
    ask_to_cancel(shopper, devshop_server, order_id).raise_for_status()
    workers.start()
    t = words("en")
    name = devshop.get_order(order_id).name
    page, app = open_admin(new_page, devshop_server)
    app.get_by_role("link", name=name).wait_for()

    def focused() -> str:
        """What has the keyboard's focus inside the app's frame ('' while it is outside the frame)."""
        frame = app_frame(page)
        return frame.evaluate(
            "document.hasFocus() ? (document.activeElement.getAttribute('aria-label') ||"
            " document.activeElement.textContent || '').trim() : ''"
        )

    def tab_to(text: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if focused() == text:
                return
        raise AssertionError(f"Tab never reached {text!r}; last: {focused()!r}")

    # From the admin's top bar, through its menu, into the app and down to the request.
    tab_to(name)
    page.keyboard.press("Enter")
    app.get_by_role("heading", name=t["request.title"].replace("{order}", name)).wait_for()
    tab_to(t["request.approve"])
    page.keyboard.press("Enter")
    dialog = app.get_by_role("dialog")
    dialog.get_by_text(t["request.approve_body"]).wait_for()
    # The dialog holds the focus; its confirm button is a few tabs away.
    tab_to(t["request.approve"], limit=10)
    page.keyboard.press("Enter")
    badge(app, t["status.cancelled"]).wait_for(timeout=20_000)
    assert wait_for_status(store, SHOP, order_id, {"cancelled"}).status.value == "cancelled"


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_support_reviews_an_edit_with_its_changes_and_refund(
    width, web, devshop, devshop_server, workers, store, new_page, axe_violations, shot
):
    """An edit waiting for review: the list says it is an edit and what it changes, the detail lists the changes,
    the new address beside the old and the refund; approving it edits the order in Shopify, live."""
    manual_review(store)
    shopper = proxy_session(devshop_server.url, ADA)
    order = shopper.get(order_url(devshop_server, 5008), headers=JSON, timeout=10).json()
    mug = next(line for line in order["line_items"] if line["title"] == "Enamel Camping Mug")
    asked = shopper.post(
        order_url(devshop_server, 5008, "/edits"),
        json={
            "line_items": [{"id": mug["id"], "quantity": 1}],
            "shipping_address": {"address1": "Prinsengracht 263"},
            "csrf_token": order["csrf_token"],
        },
        headers=JSON,
        timeout=10,
    )
    assert asked.status_code == 202 and asked.json()["edit"]["status"] == "pending_review"
    workers.start()
    t = words("en")

    page, app = open_admin(new_page, devshop_server, width=width)
    badge(app, t["type.edit"]).wait_for()
    app.get_by_text("Enamel Camping Mug 2 → 1").first.wait_for()
    assert_no_horizontal_scroll(page)
    admin_shot(page, shot, f"admin-edit-list-{width}")
    app.get_by_role("link", name="#1008").first.click()
    app.get_by_role("heading", name=t["request.edit.title"].replace("{order}", "#1008")).first.wait_for()
    changes = app.get_by_role("heading", name=t["request.changes_heading"])
    changes.wait_for()
    app.get_by_text(
        t["changes.quantity"].format(item="Enamel Camping Mug (Forest Green)", **{"from": 2, "to": 1})
    ).wait_for()
    app.get_by_text(t["request.previous_address"]).wait_for()
    app.get_by_text("Prinsengracht 263").first.wait_for()
    app.get_by_text("€16.50").first.wait_for()
    assert_no_horizontal_scroll(page)
    assert_axe_clean(page, axe_violations)
    admin_shot(page, shot, f"admin-edit-detail-{width}")

    app.get_by_role("button", name=t["request.edit.approve"]).click()
    dialog = app.get_by_role("dialog")
    dialog.get_by_text(t["request.edit.approve_body"]).wait_for()
    dialog.get_by_role("button", name=t["request.edit.approve"]).click()
    badge(app, t["status.applied"]).wait_for(timeout=20_000)
    app.get_by_text(t["event.committed"]).first.wait_for()
    app.get_by_text(t["event.refunded"].replace("{detail}", "€16.50")).first.wait_for()
    admin_shot(page, shot, f"admin-edit-applied-{width}")
    edited = devshop.get_order(5008)
    assert [r.amount for r in edited.refunds] == ["16.50"]
    assert edited.shipping_address.address1 == "Prinsengracht 263"
