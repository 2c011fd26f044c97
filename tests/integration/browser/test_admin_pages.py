"""The admin pages in Chromium, embedded in the devshop's stand-in Shopify admin (which issues session tokens):
a merchant changes the policy, a shopper's request lands in the queue, support approves one and rejects
another, the shopper sees both outcomes, and Insights shows them."""

from __future__ import annotations

import csv
import io

import pytest
import requests

from storefront_proxy.policy.model import ReviewMode
from tests.integration.conftest import ADA, SHOP, proxy_session, wait_for_status, wait_until
from tests.integration.helpers import JSON, ask_to_cancel, order_url

pytestmark = pytest.mark.integration


def open_admin(new_page, devshop_server):
    page = new_page()
    page.goto(f"{devshop_server.url}/admin/apps/self-service")
    return page, page.frame_locator("iframe#app")


def test_merchant_and_support_work_the_queue(
    web, devshop, devshop_server, workers, store, new_page, axe_violations, shot
):
    page, admin = open_admin(new_page, devshop_server)

    # The merchant switches to manual review and a 30-minute window.
    admin.get_by_role("link", name="Policy").click()
    admin.get_by_label("Cancel window (minutes after the order was placed)").fill("30")
    admin.get_by_label("Review").select_option("manual")
    admin.get_by_role("button", name="Save policy").click()
    admin.get_by_role("status").filter(has_text="Saved.").wait_for()
    policy = store.policies.get(SHOP)
    assert policy.cancel_window_minutes == 30 and policy.review_mode is ReviewMode.MANUAL
    shot(page, "admin-policy-saved")

    # An invalid value is refused field by field and changes nothing.
    admin.get_by_label("Cancel window (minutes after the order was placed)").fill("0")
    admin.get_by_role("button", name="Save policy").click()
    admin.locator('[data-error-for="cancel_window_minutes"]').filter(has_text="greater").wait_for()
    assert store.policies.get(SHOP).cancel_window_minutes == 30

    # Two shoppers' requests wait for review.
    shopper = proxy_session(devshop_server.url, ADA)
    keep_order, cancel_order = devshop.create_order(customer_id=ADA), devshop.create_order(customer_id=ADA)
    for order_id in (keep_order, cancel_order):
        assert ask_to_cancel(shopper, devshop_server, order_id).json()["request"]["status"] == "pending_review"
    workers.start()

    admin.get_by_role("link", name="Requests").click()
    admin.get_by_role("link", name=devshop.get_order(cancel_order).name).wait_for()
    shot(page, "admin-requests")
    violations = axe_violations(page, context=None)
    assert violations == [], violations

    admin.get_by_role("link", name=devshop.get_order(cancel_order).name).click()
    admin.get_by_role("button", name="Approve").click()
    admin.locator(
        ".badge[data-status='queued'], .badge[data-status='processing'], .badge[data-status='cancelled']"
    ).first.wait_for()
    assert wait_for_status(store, SHOP, cancel_order, {"cancelled", "failed"}).status.value == "cancelled"

    admin.get_by_role("link", name="← All requests").click()
    admin.get_by_role("link", name=devshop.get_order(keep_order).name).click()
    admin.get_by_label("Message to the shopper").fill("Your parcel is already packed, sorry!")
    admin.get_by_role("button", name="Reject").click()
    admin.locator(".badge[data-status='rejected']").wait_for()
    shot(page, "admin-request-rejected")

    rejected = shopper.get(order_url(devshop_server, keep_order, "/cancellation"), headers=JSON, timeout=10).json()
    assert rejected["request"]["status"] == "rejected"
    assert rejected["request"]["message"] == "Your parcel is already packed, sorry!"
    cancelled = shopper.get(order_url(devshop_server, cancel_order, "/cancellation"), headers=JSON, timeout=10).json()
    assert cancelled["request"]["status"] == "cancelled"

    admin.get_by_role("link", name="Insights").click()
    admin.locator("svg").first.wait_for()
    admin.get_by_role("heading", name="Cancelled", exact=True).wait_for()
    shot(page, "admin-insights")

    # Insights and the CSV agree on both outcomes.
    from tests.helpers import session_token

    headers = {"Authorization": f"Bearer {session_token(SHOP)}"}
    insights = requests.get(f"http://127.0.0.1:{web.port}/admin/api/insights", headers=headers, timeout=10).json()
    assert insights["by_outcome"].get("cancelled") == 1 and insights["by_outcome"].get("rejected") == 1
    with page.expect_download() as download:
        admin.get_by_role("button", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    by_order = {row["order_name"]: row for row in rows}
    assert by_order[devshop.get_order(cancel_order).name]["status"] == "cancelled"
    rejected_row = by_order[devshop.get_order(keep_order).name]
    assert rejected_row["status"] == "rejected" and rejected_row["message"] == "Your parcel is already packed, sorry!"


def test_merchant_sets_the_new_policy_fields(web, devshop, devshop_server, store, new_page, axe_violations, shot):
    from decimal import Decimal

    from storefront_proxy.policy.model import WindowMode

    page, admin = open_admin(new_page, devshop_server)
    admin.get_by_role("link", name="Policy").click()

    # A threshold review without a threshold is refused on that field.
    admin.get_by_label("Review", exact=True).select_option("manual_above_total")
    admin.get_by_role("button", name="Save policy").click()
    admin.locator('[data-error-for="review_threshold"]').filter(has_text="order total").wait_for()
    assert store.policies.get(SHOP).review_mode is ReviewMode.AUTOMATIC

    admin.get_by_label("Time limit").select_option("until_fulfillment")
    admin.get_by_label("pending").uncheck()
    admin.get_by_label("Orders with products tagged like this can't be cancelled (comma-separated)").fill(
        "gift-card, sale"
    )
    admin.get_by_label("Order total above which a person decides (shop currency)").fill("150.00")
    admin.get_by_label("Decide automatically after (hours; empty: never)").fill("48")
    admin.get_by_label("Automatic decision").select_option("reject")
    admin.get_by_label("Message to the shopper when rejected automatically").fill(
        "Sorry, we could not review it in time."
    )
    admin.get_by_label("Mark requests waiting longer than (hours)").fill("8")
    admin.get_by_label("Tag added to orders cancelled this way (optional)").fill("self-service-cancelled")
    admin.get_by_role("button", name="Save policy").click()
    admin.get_by_role("status").filter(has_text="Saved.").wait_for()
    shot(page, "admin-policy-new-fields")
    violations = axe_violations(page, context=None)
    assert violations == [], violations

    policy = store.policies.get(SHOP)
    assert policy.window_mode is WindowMode.UNTIL_FULFILLMENT
    assert policy.allowed_financial_statuses == ["AUTHORIZED", "PAID", "PARTIALLY_PAID"]
    assert policy.excluded_product_tags == ["gift-card", "sale"]
    assert policy.review_mode is ReviewMode.MANUAL_ABOVE_TOTAL and policy.review_threshold == Decimal("150.00")
    assert policy.auto_review_after_hours == 48 and policy.auto_review_action == "reject"
    assert policy.auto_reject_message == "Sorry, we could not review it in time."
    assert policy.review_target_hours == 8 and policy.cancelled_order_tag == "self-service-cancelled"


def test_merchant_chooses_reasons_and_their_dutch_wording(web, devshop, devshop_server, store, new_page):
    page, admin = open_admin(new_page, devshop_server)
    admin.get_by_role("link", name="Policy").click()
    admin.get_by_label("Offered to shoppers").first.wait_for()
    admin.locator("#reason-found_better_price-offered").uncheck()
    admin.locator("fieldset", has=admin.locator("#reason-changed_mind-label")).locator("summary").click()
    admin.locator("#reason-changed_mind-nl").fill("Ik wil het toch niet")
    admin.get_by_role("button", name="Save policy").click()
    admin.get_by_role("status").filter(has_text="Saved.").wait_for()
    reasons = {reason.code: reason for reason in store.policies.get(SHOP).reasons}
    assert "found_better_price" not in reasons
    assert reasons["changed_mind"].labels == {"nl": "Ik wil het toch niet"}

    shopper = proxy_session(devshop_server.url, ADA)
    order_id = devshop.create_order(customer_id=ADA)
    offered = shopper.get(order_url(devshop_server, order_id, "?locale=nl"), headers=JSON, timeout=10).json()["reasons"]
    assert {"code": "changed_mind", "label": "Ik wil het toch niet"} in offered
    assert "found_better_price" not in [reason["code"] for reason in offered]


def test_merchant_turns_on_the_hold_and_support_retries_a_failed_one(
    web, devshop, devshop_server, store, workers, new_page, axe_violations, shot
):
    from datetime import UTC, datetime

    from storefront_proxy.holds.records import FulfillmentHoldRecord, HoldStatus

    page, admin = open_admin(new_page, devshop_server)
    admin.get_by_role("link", name="Policy").click()
    admin.get_by_label("Hold fulfillment during the cancel window (released when the window closes)").check()
    admin.get_by_role("button", name="Save policy").click()
    admin.get_by_role("status").filter(has_text="Saved.").wait_for()
    assert store.policies.get(SHOP).hold_fulfillment is True

    order_id = devshop.create_order(customer_id=ADA)
    now = datetime.now(UTC)
    failed = FulfillmentHoldRecord(
        shop=SHOP, order_id=order_id, order_name="#H-1", status=HoldStatus.FAILED, created_at=now, updated_at=now
    )
    failed.last_error = "ShopifyTransientError: Shopify answered HTTP 503"
    store.holds.create(failed)
    workers.start()

    admin.get_by_role("link", name="Holds").click()
    row = admin.get_by_role("row").filter(has_text="#H-1")
    row.filter(has_text="place: ShopifyTransientError").wait_for()
    shot(page, "admin-holds-failed")
    assert axe_violations(page, context=None) == []
    row.get_by_role("button", name="Retry").click()
    row.get_by_text("placing").or_(row.get_by_text("held")).first.wait_for()
    wait_until(lambda: store.holds.get(SHOP, order_id).status is HoldStatus.HELD, message="the hold to be placed")
    assert devshop.get_order(order_id).display_fulfillment_status == "ON_HOLD"
