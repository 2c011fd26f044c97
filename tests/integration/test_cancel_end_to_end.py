"""A shopper cancels through the devshop's app proxy; real Redis; real `rq worker` processes run orderCancel.

The devshop executes every Admin API call on Shopify's schema, throttles by cost and can inject faults.
"""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
import requests

from devshop.embedded_redis import EmbeddedRedis
from storefront_proxy.app import create_app
from storefront_proxy.i18n import Translator
from storefront_proxy.job_queue import QUEUE_NAME
from storefront_proxy.policy.model import Policy, RefundMethod, ReviewMode
from storefront_proxy.services import services_of
from storefront_proxy.settings import Settings
from storefront_proxy.store import Store
from tests.helpers import signed_query
from tests.integration.conftest import ADA, GRACE, SHOP, proxy_session, wait_for_status, wait_until
from tests.integration.helpers import JSON, PREFIX, admin_headers, ask_to_cancel, cancel_jobs, new_order, order_url

pytestmark = pytest.mark.integration


def test_shopper_cancels_in_the_browser_flow_and_sees_cancelled(web, devshop, devshop_server, workers, store):
    """The HTML pages a person uses: order page → form post → status page → cancelled."""
    order_id = new_order(devshop)
    workers.start()
    browser = proxy_session(devshop_server.url, ADA)
    page = browser.get(order_url(devshop_server, order_id), headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and "Cancel order" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    action = re.search(r'<form method="post" action="([^"]+/cancellation)"', page.text).group(1)
    assert action == f"{PREFIX}/orders/{order_id}/cancellation"

    fields = {"reason": "ordered_by_mistake", "note": "Bought the wrong colour", "csrf_token": token}
    review = browser.post(f"{devshop_server.url}{action}", data=fields, headers={"Accept": "text/html"}, timeout=10)
    assert review.status_code == 200 and 'name="confirm" value="yes"' in review.text
    posted = browser.post(
        f"{devshop_server.url}{action}", data={**fields, "confirm": "yes"}, headers={"Accept": "text/html"}, timeout=10
    )
    assert posted.status_code == 202
    assert 'data-status="queued"' in posted.text or 'data-status="processing"' in posted.text

    request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed", "rejected"})
    assert request.status.value == "cancelled", workers.logs()
    final = browser.get(order_url(devshop_server, order_id), headers={"Accept": "text/html"}, timeout=10)
    assert 'data-status="cancelled"' in final.text and 'data-final="true"' in final.text

    order = devshop.get_order(order_id)
    assert order.cancelled_at is not None
    assert order.cancel.reason == "CUSTOMER"
    assert order.cancel.restock is True and order.cancel.notify_customer is True
    assert order.cancel.refund_method == {"originalPaymentMethodsRefund": True}
    assert "I ordered by mistake" in order.cancel.staff_note and "Bought the wrong colour" in order.cancel.staff_note
    assert [e.type for e in request.events][:2] == ["requested", "processing"]
    assert request.attempts == 1


def test_policy_choices_reach_shopify(web, devshop, devshop_server, workers, store):
    store.policies.save(SHOP, Policy(refund_method=RefundMethod.STORE_CREDIT, restock=False, notify_customer=False))
    order_id = new_order(devshop)
    workers.start()
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    assert wait_for_status(store, SHOP, order_id, {"cancelled", "failed"}).status.value == "cancelled"
    cancel = devshop.get_order(order_id).cancel
    assert cancel.refund_method == {"storeCreditRefund": {}}
    assert cancel.restock is False and cancel.notify_customer is False


def test_concurrent_duplicate_posts_make_exactly_one_job(web, devshop, devshop_server, workers, store, redis_conn):
    order_id = new_order(devshop)
    session = proxy_session(devshop_server.url, ADA)
    token = session.get(order_url(devshop_server, order_id), headers=JSON, timeout=10).json()["csrf_token"]
    results: list[tuple[int, str]] = []
    start = threading.Barrier(12)

    def post() -> None:
        own = proxy_session(devshop_server.url, ADA)
        start.wait()
        response = own.post(
            order_url(devshop_server, order_id, "/cancellation"),
            json={"reason": "changed_mind", "csrf_token": token},
            headers=JSON,
            timeout=20,
        )
        results.append((response.status_code, response.json()["request"]["id"]))

    threads = [threading.Thread(target=post) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 11 + [202]
    assert len({request_id for _, request_id in results}) == 1
    assert len(cancel_jobs(redis_conn)) == 1

    workers.start()
    assert wait_for_status(store, SHOP, order_id, {"cancelled", "failed"}).status.value == "cancelled"
    assert len(devshop.calls_for("CancelOrder")) == 1
    # Asking again after it finished returns the finished request and queues nothing.
    again = ask_to_cancel(session, devshop_server, order_id)
    assert again.status_code == 200 and again.json()["request"]["status"] == "cancelled"
    assert cancel_jobs(redis_conn) == []


def test_order_fulfilled_meanwhile_ends_rejected_with_a_message(web, devshop, devshop_server, workers, store):
    order_id = new_order(devshop)
    session = proxy_session(devshop_server.url, ADA)
    assert ask_to_cancel(session, devshop_server, order_id).status_code == 202
    devshop.fulfill(order_id)
    workers.start()
    request = wait_for_status(store, SHOP, order_id, {"cancelled", "rejected", "failed"})
    assert request.status.value == "rejected"
    shown = session.get(order_url(devshop_server, order_id, "/cancellation"), headers=JSON, timeout=10).json()[
        "request"
    ]
    assert shown["status"] == "rejected" and "shipping" in shown["message"]
    assert devshop.calls_for("CancelOrder") == []
    assert devshop.get_order(order_id).cancelled_at is None


def test_window_is_judged_when_the_shopper_asked(web, devshop, devshop_server, workers, store):
    order_id = new_order(devshop, age_minutes=60 - 2 / 60)  # two seconds left
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    time.sleep(2.5)  # the deadline passes before any worker runs
    workers.start()
    assert wait_for_status(store, SHOP, order_id, {"cancelled", "rejected", "failed"}).status.value == "cancelled"


def test_throttled_then_ok(web, devshop, devshop_server, workers, store):
    order_id = new_order(devshop)
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    devshop.add_fault("GetOrderToDecide", "throttle", times=1)
    devshop.add_fault("CancelOrder", "throttle", times=1)
    workers.start()
    request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed"})
    assert request.status.value == "cancelled", workers.logs()
    assert len(devshop.calls_for("CancelOrder")) >= 1


def test_server_errors_then_ok_across_rq_retries(web, devshop, devshop_server, workers, store):
    order_id = new_order(devshop)
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    # Two inline attempts per call: the first job run fails, RQ retries it, the second run succeeds.
    devshop.add_fault("GetOrderToDecide", "http_502", times=3)
    workers.start()
    request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed"}, timeout=30)
    assert request.status.value == "cancelled", workers.logs()
    assert request.attempts == 2
    assert "retry_scheduled" in [e.type for e in request.events]


def test_shopify_down_for_good_ends_failed_and_retryable_by_support(web, devshop, devshop_server, workers, store):
    order_id = new_order(devshop)
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    devshop.add_fault("*", "http_503", times=1000)
    workers.start()
    request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed"}, timeout=40)
    devshop.clear_faults()
    assert request.status.value == "failed"
    assert request.attempts == 4  # the first run and three RQ retries
    assert request.message and "couldn't reach the shop" in request.message
    assert "503" in (request.last_error or "")


def test_user_errors_end_failed_with_shopifys_message(web, devshop, devshop_server, workers, store):
    order_id = new_order(devshop)
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    devshop.add_fault("CancelOrder", "user_error", message="Order has an active return in progress")
    workers.start()
    request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed"})
    assert request.status.value == "failed"
    assert "active return in progress" in request.message
    assert request.last_error == "Order has an active return in progress"
    # What the shopper reads: the translated sentence, then Shopify's own reason.
    shopper = proxy_session(devshop_server.url, ADA)
    sentences = {"en": "The shop could not cancel this order", "nl": "De winkel kon deze bestelling niet annuleren"}
    for locale, sentence in sentences.items():
        url = order_url(devshop_server, order_id, f"/cancellation?locale={locale}")
        seen = shopper.get(url, headers=JSON, timeout=10).json()["request"]["message"]
        assert seen == f"{sentence}: Order has an active return in progress"
        page = shopper.get(order_url(devshop_server, order_id, f"?locale={locale}"), timeout=10)
        assert "Order has an active return in progress" in page.text


def test_user_error_on_an_order_found_cancelled_counts_as_done(web, devshop, devshop_server, workers, store):
    """Staff cancel the order while our orderCancel is in flight: Shopify answers INVALID, the order is cancelled."""
    order_id = new_order(devshop)
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    devshop.add_fault("CancelOrder", "delay", delay=1.5)
    workers.start()
    # The devshop records a call before running it and holds orderCancel for 1.5 s: staff cancel inside that pause.
    # (Waiting for the order read instead raced: a cancel landing before the read's answer skips orderCancel.)
    wait_until(lambda: devshop.calls_for("CancelOrder"), message="the worker's orderCancel")
    devshop.staff_cancel(order_id)
    request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed", "rejected"})
    assert request.status.value == "cancelled", workers.logs()
    assert len(devshop.calls_for("CancelOrder")) == 1


def test_worker_killed_mid_job_is_finished_by_the_next_worker(web, devshop, devshop_server, workers, store, redis_conn):
    order_id = new_order(devshop)
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    # Shopify takes 3 s to answer orderCancel, and carries it out although the worker that asked is gone by then.
    devshop.add_fault("CancelOrder", "delay", delay=3)
    first = workers.start()
    wait_until(lambda: devshop.calls_for("CancelOrder"), message="the first worker to call orderCancel")
    workers.kill_hard(first)

    workers.start()
    request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed", "rejected"}, timeout=45)
    assert request.status.value == "cancelled", workers.logs()
    assert len(devshop.calls_for("CancelOrder")) == 1
    assert request.attempts == 2


def test_manual_review_waits_for_a_person(web, devshop, devshop_server, workers, store, redis_conn):
    store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL))
    order_id = new_order(devshop)
    response = ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id)
    assert response.status_code == 202 and response.json()["request"]["status"] == "pending_review"
    assert cancel_jobs(redis_conn) == []


def test_proxy_answers_other_customers_and_visitors(web, devshop, devshop_server):
    grace_order = devshop.create_order(customer_id=GRACE)
    ada = proxy_session(devshop_server.url, ADA)
    assert ada.get(order_url(devshop_server, grace_order), headers=JSON, timeout=10).status_code == 404
    listed = ada.get(f"{devshop_server.url}{PREFIX}/orders", headers=JSON, timeout=10).json()["orders"]
    assert grace_order not in [o["order_id"] for o in listed] and listed
    visitor = proxy_session(devshop_server.url, ADA)
    visitor.get(f"{devshop_server.url}/logout", timeout=5)
    anonymous = visitor.get(order_url(devshop_server, grace_order), headers=JSON, timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "login_required"


def test_workers_ride_out_a_redis_outage(integration_env, devshop, tmp_path):
    """Redis goes away and comes back on the same address: the same worker process carries on."""
    from tests.integration.conftest import Workers

    with EmbeddedRedis() as own_redis:
        env = {**integration_env, "REDIS_URL": own_redis.url}
        settings = Settings(**env, _env_file=None)
        client = create_app(settings).test_client()
        pool = Workers(env, tmp_path)
        worker = pool.start()
        try:
            time.sleep(1.5)
            own_redis.stop()
            time.sleep(3)
            down = client.get(f"/proxy/orders/5001?{signed_query(SHOP, ADA)}", headers=JSON)
            assert down.status_code == 503 and down.json["error"]["code"] == "service_unavailable"
            own_redis.start()

            order_id = devshop.create_order(customer_id=ADA)
            token = client.get(f"/proxy/orders/{order_id}?{signed_query(SHOP, ADA)}", headers=JSON).json["csrf_token"]
            posted = client.post(
                f"/proxy/orders/{order_id}/cancellation?{signed_query(SHOP, ADA)}",
                json={"reason": "changed_mind", "csrf_token": token},
                headers=JSON,
            )
            assert posted.status_code == 202
            store = Store(services_of(create_app(settings)).store.redis)
            request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed"}, timeout=30)
            assert request.status.value == "cancelled", pool.logs()
            assert worker.poll() is None, "the worker process must not have exited"
        finally:
            pool.stop_all()


def test_a_worker_serves_other_cancellations_while_shopifys_job_runs(web, devshop, devshop_server, workers, store):
    """orderCancel answers with a Job; the worker looks at it again later instead of sleeping until it is done."""
    slow, quick = new_order(devshop), new_order(devshop)
    shopper = proxy_session(devshop_server.url, ADA)
    devshop.add_fault("CancelOrder", "hang_job")  # the first orderCancel's Job runs until finish_jobs()
    assert ask_to_cancel(shopper, devshop_server, slow).status_code == 202
    workers.start()  # one worker
    wait_until(lambda: (r := store.requests.for_order(SHOP, slow)) and r.shopify_job_id, message="the slow Job")
    assert ask_to_cancel(shopper, devshop_server, quick).status_code == 202
    assert wait_for_status(store, SHOP, quick, {"cancelled", "failed", "rejected"}).status.value == "cancelled"
    wait_until(lambda: len(devshop.calls_for("GetJob")) >= 2, timeout=30, message="a second look at the slow Job")
    assert store.requests.for_order(SHOP, slow).status.value == "processing"

    devshop.finish_jobs()
    request = wait_for_status(store, SHOP, slow, {"cancelled", "failed", "rejected"}, timeout=30)
    assert request.status.value == "cancelled", workers.logs()
    assert request.attempts == 1 and len(devshop.calls_for("CancelOrder")) == 2, "each order's orderCancel once"


def test_support_approves_one_and_rejects_another(web, devshop, devshop_server, workers, store):
    store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL))
    shopper = proxy_session(devshop_server.url, ADA)
    approved_order, rejected_order = new_order(devshop), new_order(devshop)
    approved = ask_to_cancel(shopper, devshop_server, approved_order).json()["request"]
    rejected = ask_to_cancel(shopper, devshop_server, rejected_order).json()["request"]
    assert approved["status"] == rejected["status"] == "pending_review"
    workers.start()

    admin = f"http://127.0.0.1:{web.port}/admin/api/requests"
    queue = requests.get(f"{admin}?status=pending_review", headers=admin_headers(), timeout=10).json()
    assert {r["id"] for r in queue["requests"]} == {approved["id"], rejected["id"]}
    assert requests.post(f"{admin}/{approved['id']}/approve", headers=admin_headers(), timeout=10).status_code == 200
    response = requests.post(
        f"{admin}/{rejected['id']}/reject",
        json={"message": "We've already packed it."},
        headers=admin_headers(),
        timeout=10,
    )
    assert response.status_code == 200

    assert wait_for_status(store, SHOP, approved_order, {"cancelled", "failed"}).status.value == "cancelled"
    shown = shopper.get(order_url(devshop_server, rejected_order, "/cancellation"), headers=JSON, timeout=10).json()
    assert shown["request"]["status"] == "rejected" and shown["request"]["message"] == "We've already packed it."
    assert devshop.get_order(rejected_order).cancelled_at is None


def test_support_retries_a_failed_request(web, devshop, devshop_server, workers, store):
    order_id = new_order(devshop)
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    devshop.add_fault("CancelOrder", "user_error", message="Payment gateway unavailable")
    workers.start()
    failed = wait_for_status(store, SHOP, order_id, {"cancelled", "failed"})
    assert failed.status.value == "failed"
    url = f"http://127.0.0.1:{web.port}/admin/api/requests/{failed.id}/retry"
    assert requests.post(url, headers=admin_headers(), timeout=10).status_code == 200
    assert wait_for_status(store, SHOP, order_id, {"cancelled"}).status.value == "cancelled"


def test_a_request_pending_too_long_is_approved_automatically_and_its_order_tagged(
    web, devshop, devshop_server, workers, store, redis_conn
):
    """RQ's scheduler (rq worker --with-scheduler) runs the automatic review; an "hour" lasts a second here."""
    from rq.registry import ScheduledJobRegistry

    from storefront_proxy.cancellations.enqueue import auto_review_job_id

    policy = Policy(
        review_mode=ReviewMode.MANUAL_ABOVE_TOTAL,
        review_threshold="10.00",
        auto_review_after_hours=2,
        cancelled_order_tag="self-service-cancelled",
    )
    store.policies.save(SHOP, policy)
    order_id = new_order(devshop)  # 25.00 EUR: above the threshold, so it waits for review
    response = ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id)
    assert response.status_code == 202 and response.json()["request"]["status"] == "pending_review"
    request_id = response.json()["request"]["id"]
    scheduled = ScheduledJobRegistry(QUEUE_NAME, connection=redis_conn).get_job_ids()
    assert scheduled == [auto_review_job_id(request_id)] and cancel_jobs(redis_conn) == []
    workers.start()

    request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed", "rejected"}, timeout=30)
    assert request.status.value == "cancelled", workers.logs()
    # The tag is added right after the cancellation is recorded.
    request = wait_until(lambda: (r := store.requests.get(request_id)).events[-1].type == "tagged" and r, message="tag")
    types = [event.type for event in request.events]
    assert types[:2] == ["requested", "approved_automatically"] and types[-1] == "tagged"
    # Not before its time (RQ keeps scheduled times in whole seconds, so up to one early).
    assert request.events[1].at.timestamp() >= request.created_at.timestamp() + 1
    order = devshop.get_order(order_id)
    assert order.cancelled_at is not None and "self-service-cancelled" in order.tags
    [entry] = [e for e in store.audit.entries(SHOP) if e["subject"] == request_id]
    assert (entry["actor"], entry["action"]) == ("auto-review", "request.approve")


def test_a_request_support_decided_first_is_left_alone_by_the_automatic_review(
    web, devshop, devshop_server, workers, store, redis_conn
):
    store.policies.save(
        SHOP,
        Policy(
            review_mode=ReviewMode.MANUAL,
            auto_review_after_hours=1,
            auto_review_action="reject",
            auto_reject_message="Nobody got to it in time.",
        ),
    )
    order_id = new_order(devshop)
    request_id = ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).json()["request"]["id"]
    url = f"http://127.0.0.1:{web.port}/admin/api/requests/{request_id}/approve"
    assert requests.post(url, headers=admin_headers(), timeout=10).status_code == 200
    workers.start()
    assert wait_for_status(store, SHOP, order_id, {"cancelled", "failed", "rejected"}).status.value == "cancelled"
    time.sleep(2)  # past the automatic review's time
    request = store.requests.get(request_id)
    assert request.status.value == "cancelled" and "rejected_automatically" not in [e.type for e in request.events]
    assert [e["actor"] for e in store.audit.entries(SHOP) if e["subject"] == request_id] == ["staff:42"]


def test_a_tagging_failure_leaves_the_order_cancelled(web, devshop, devshop_server, workers, store):
    store.policies.save(SHOP, Policy(cancelled_order_tag="self-service-cancelled"))
    order_id = new_order(devshop)
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id).status_code == 202
    devshop.add_fault("AddTags", "http_500", times=100)
    workers.start()
    request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed", "rejected"})
    assert request.status.value == "cancelled", workers.logs()
    # The worker tries tagsAdd as often as any call (twice here), then notes the failure.
    wait_until(lambda: store.requests.get(request.id).events[-1].type == "tag_failed", message="the tag failure note")
    devshop.clear_faults()
    assert "500" in store.requests.get(request.id).events[-1].detail
    assert devshop.get_order(order_id).cancelled_at is not None and devshop.get_order(order_id).tags == []


def test_webhook_of_an_order_that_started_shipping_reaches_the_shopper(web, devshop, devshop_server, workers, store):
    """orders/fulfilled arrives (signed as Shopify signs it) while a request waits for review."""
    from tests.helpers import webhook_hmac

    store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL))
    order_id = new_order(devshop)
    shopper = proxy_session(devshop_server.url, ADA)
    assert ask_to_cancel(shopper, devshop_server, order_id).json()["request"]["status"] == "pending_review"
    body = json.dumps({"id": order_id, "fulfillment_status": "fulfilled", "fulfillments": [{"id": 1}]}).encode()
    response = requests.post(
        f"http://127.0.0.1:{web.port}/webhooks",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/fulfilled",
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": f"delivery-{order_id}",
            "X-Shopify-Hmac-Sha256": webhook_hmac(body),
        },
        timeout=10,
    )
    assert response.status_code == 200
    workers.start()
    assert wait_for_status(store, SHOP, order_id, {"rejected", "cancelled"}).status.value == "rejected"
    shown = shopper.get(order_url(devshop_server, order_id, "/cancellation?locale=fi"), headers=JSON, timeout=10).json()
    assert shown["request"]["message"] == Translator("fi")("outcome.shipped")
