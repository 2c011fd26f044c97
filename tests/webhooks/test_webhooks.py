"""Webhook intake: Shopify's HMAC, duplicates, and each topic's effect on stored requests."""

from __future__ import annotations

import json
import time

import pytest
from rq import Queue

from storefront_proxy.app import create_app
from storefront_proxy.cancellations.records import RequestStatus
from storefront_proxy.job_queue import QUEUE_NAME
from tests.factories import stored_request
from tests.helpers import API_SECRET, SHOP, webhook_hmac


def deliver(client, topic: str, payload: dict, *, delivery: str = "d-1", secret: str = API_SECRET, hmac_header=None):
    body = json.dumps(payload).encode()
    return client.post(
        "/webhooks",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": delivery,
            "X-Shopify-API-Version": "2026-10",
            "X-Shopify-Hmac-Sha256": hmac_header if hmac_header is not None else webhook_hmac(body, secret),
        },
    )


def webhook_jobs(redis_conn) -> list[str]:
    return [j for j in Queue(QUEUE_NAME, connection=redis_conn).job_ids if j.startswith("webhook-")]


def test_the_documented_check_value_verifies(settings):
    """Shopify's example (webhooks/verify-deliveries): secret `hush`, body {"id":1}
    → VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY="""
    app = create_app(settings.model_copy(update={"shopify_api_secret": type(settings.shopify_api_secret)("hush")}))
    response = app.test_client().post(
        "/webhooks",
        data=b'{"id":1}',
        headers={
            "X-Shopify-Topic": "orders/updated",
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": "doc-vector",
            "X-Shopify-Hmac-Sha256": "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY=",
        },
    )
    assert response.status_code == 200


@pytest.mark.parametrize("header", ["", "not-base64", "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY=", "é"])
def test_bad_hmac_is_401_and_nothing_is_queued(client, redis_conn, header):
    response = deliver(client, "orders/cancelled", {"id": 5001}, hmac_header=header)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_hmac"
    assert webhook_jobs(redis_conn) == []


def test_wrong_secret_is_401(client):
    assert (
        deliver(client, "orders/cancelled", {"id": 5001}, secret="another-secret-entirely-000000000").status_code == 401
    )


def test_duplicates_are_queued_once(client, redis_conn):
    first = deliver(client, "orders/cancelled", {"id": 5001}, delivery="same")
    again = deliver(client, "orders/cancelled", {"id": 5001}, delivery="same")
    assert first.status_code == again.status_code == 200
    assert again.get_json()["duplicate"] is True
    assert webhook_jobs(redis_conn) == ["webhook-same"]


def test_missing_headers_are_400(client):
    body = b'{"id": 1}'
    response = client.post("/webhooks", data=body, headers={"X-Shopify-Hmac-Sha256": webhook_hmac(body)})
    assert response.status_code == 400


@pytest.fixture
def ctx(job_context):
    return job_context


def test_staff_cancel_in_shopify_ends_the_request_cancelled(ctx):
    from workers.webhooks import handle_webhook

    request = stored_request(ctx.store, status=RequestStatus.QUEUED)
    handle_webhook("orders/cancelled", SHOP, {"id": request.order_id, "cancelled_at": "2026-11-21T12:00:00Z"})
    stored = ctx.store.requests.get(request.id)
    assert stored.status is RequestStatus.CANCELLED and stored.events[-1].type == "cancelled_in_shopify"
    # Repeated or late deliveries change nothing more.
    handle_webhook("orders/fulfilled", SHOP, {"id": request.order_id, "fulfillment_status": "fulfilled"})
    assert ctx.store.requests.get(request.id).status is RequestStatus.CANCELLED


@pytest.mark.parametrize("topic", ["orders/fulfilled", "orders/partially_fulfilled", "orders/updated"])
def test_shipping_started_rejects_waiting_requests(ctx, topic):
    from workers.webhooks import handle_webhook

    waiting = stored_request(ctx.store)
    handle_webhook(topic, SHOP, {"id": waiting.order_id, "fulfillment_status": "partial", "fulfillments": [{"id": 1}]})
    stored = ctx.store.requests.get(waiting.id)
    assert stored.status is RequestStatus.REJECTED and stored.message_code == "outcome.shipped"


@pytest.mark.parametrize(
    ("topic", "payload", "code"),
    [
        ("orders/fulfilled", {"fulfillment_status": "fulfilled"}, "outcome.edit_shipped"),
        ("orders/cancelled", {"cancelled_at": "2026-06-01T12:00:00Z"}, "edit_ineligible.already_cancelled"),
    ],
)
def test_an_open_edit_of_an_order_that_ships_or_is_cancelled_is_rejected(ctx, topic, payload, code):
    from tests.edits.test_review_of_edits import stored_edit
    from workers.webhooks import handle_webhook

    waiting = stored_edit(ctx.store, RequestStatus.PENDING_REVIEW)
    handle_webhook(topic, SHOP, {"id": waiting.order_id, **payload})
    stored = ctx.store.requests.get(waiting.id)
    assert stored.status is RequestStatus.REJECTED and stored.message_code == code


def test_an_edit_a_worker_is_carrying_out_is_left_to_it(ctx):
    from tests.edits.test_review_of_edits import stored_edit
    from workers.webhooks import handle_webhook

    running = stored_edit(ctx.store, RequestStatus.PROCESSING)
    handle_webhook("orders/fulfilled", SHOP, {"id": running.order_id, "fulfillment_status": "fulfilled"})
    assert ctx.store.requests.get(running.id).status is RequestStatus.PROCESSING


def test_processing_and_unrelated_updates_are_left_alone(ctx):
    from workers.webhooks import handle_webhook

    processing = stored_request(ctx.store, status=RequestStatus.PROCESSING)
    handle_webhook("orders/fulfilled", SHOP, {"id": processing.order_id, "fulfillment_status": "fulfilled"})
    assert ctx.store.requests.get(processing.id).status is RequestStatus.PROCESSING
    waiting = stored_request(ctx.store, order_id=5002)
    handle_webhook("orders/updated", SHOP, {"id": waiting.order_id, "fulfillment_status": None, "note": "gift"})
    assert ctx.store.requests.get(waiting.id).status is RequestStatus.PENDING_REVIEW
    assert handle_webhook("orders/updated", SHOP, {"id": 999})["effect"] == "no_request"


def test_uninstall_removes_the_token(ctx):
    from workers.webhooks import handle_webhook

    ctx.store.tokens.register_shop(SHOP, "shpat_x")
    handle_webhook("app/uninstalled", SHOP, {"id": 1, "domain": SHOP})
    assert ctx.store.tokens.access_token(SHOP) is None


def test_customers_redact_erases_that_customers_requests_only(ctx):
    from workers.webhooks import handle_webhook

    theirs = stored_request(ctx.store)
    other = stored_request(ctx.store, order_id=5002)
    other_customer = other.model_copy(update={"customer_id": 9999})
    ctx.store.redis.set(f"selfservice:request:{other.id}", other_customer.model_dump_json())
    result = handle_webhook(
        "customers/redact",
        SHOP,
        {"shop_domain": SHOP, "customer": {"id": 7001, "email": "ada@example.com"}, "orders_to_redact": [5001]},
    )
    assert result["requests"] == 1
    assert ctx.store.requests.get(theirs.id) is None and ctx.store.requests.for_order(SHOP, 5001) is None
    assert ctx.store.requests.get(other.id) is not None


def test_a_redact_that_fails_part_way_is_carried_out_whole_when_retried(ctx, monkeypatch):
    """Redis going away mid-redact fails the job (RQ retries it); the retry still finds what is left to erase."""
    from datetime import UTC, datetime

    import redis

    from storefront_proxy.webhooks.data_requests import DataRequestExports
    from workers.webhooks import handle_webhook

    theirs = stored_request(ctx.store)
    ctx.store.audit.add(SHOP, datetime.now(UTC), "staff:1", "request.note", theirs.id, None, {"text": "Ada's note"})
    ctx.store.data_requests.save(SHOP, "77", {"customer_id": 7001, "cancellation_requests": []})
    payload = {"customer": {"id": 7001}, "orders_to_redact": [5001]}
    erase_exports = DataRequestExports.erase_customer

    def redis_goes_away(self, shop, customer_id):  # type: ignore[no-untyped-def]
        raise redis.exceptions.ConnectionError("Redis went away")

    monkeypatch.setattr(DataRequestExports, "erase_customer", redis_goes_away)
    with pytest.raises(redis.exceptions.ConnectionError):
        handle_webhook("customers/redact", SHOP, payload)
    monkeypatch.setattr(DataRequestExports, "erase_customer", erase_exports)
    assert handle_webhook("customers/redact", SHOP, payload)["requests"] == 1

    assert ctx.store.requests.get(theirs.id) is None and ctx.store.data_requests.get(SHOP, "77") is None
    [entry] = ctx.store.audit.entries(SHOP)
    assert entry["after"] == "erased (customers/redact)" and entry["subject"] == theirs.id


def test_customers_data_request_exports_for_the_merchant(ctx, client):
    from tests.helpers import auth
    from workers.webhooks import handle_webhook

    stored_request(ctx.store, note="Wrong size")
    handle_webhook("customers/data_request", SHOP, {"customer": {"id": 7001}, "data_request": {"id": 9999}})
    export = client.get("/admin/api/data-requests/9999", headers=auth()).get_json()["export"]
    assert export["customer_id"] == 7001 and export["cancellation_requests"][0]["note"] == "Wrong size"
    assert client.get("/admin/api/data-requests/9999", headers=auth(shop="othershop.myshopify.com")).status_code == 404


def test_shop_redact_erases_everything_of_the_shop(ctx):
    from storefront_proxy.policy.model import Policy
    from workers.webhooks import handle_webhook

    request = stored_request(ctx.store)
    ctx.store.policies.save(SHOP, Policy(cancel_window_minutes=5))
    ctx.store.tokens.register_shop(SHOP, "shpat_x")
    kept = stored_request(ctx.store, shop="othershop.myshopify.com")
    handle_webhook("shop/redact", SHOP, {"shop_id": 1, "shop_domain": SHOP})
    assert ctx.store.requests.get(request.id) is None and ctx.store.requests.of_shop(SHOP) == []
    assert ctx.store.policies.get(SHOP) == Policy() and ctx.store.tokens.access_token(SHOP) is None
    assert ctx.store.requests.get(kept.id) is not None


def test_the_worker_runs_webhook_jobs_in_its_own_process_and_forks_for_the_rest(ctx, redis_conn, monkeypatch):
    from rq import Queue
    from rq.job import JobStatus

    from storefront_proxy.job_queue import QUEUE_NAME
    from storefront_proxy.webhooks.enqueue import WEBHOOK_JOB
    from workers.worker import SelfServiceWorker

    request = stored_request(ctx.store, status=RequestStatus.QUEUED)
    queue = Queue(QUEUE_NAME, connection=redis_conn)
    webhook = queue.enqueue(WEBHOOK_JOB, "orders/cancelled", SHOP, {"id": request.order_id, "cancelled_at": "x"})
    other = queue.enqueue("os.getpid")
    forked = []
    worker = SelfServiceWorker([queue], connection=redis_conn)
    # A stand-in fork that records the job and stops the worker (rq quits on an unhandled error).
    monkeypatch.setattr(worker, "fork_work_horse", lambda job, queue: forked.append(job.id) or 1 / 0)
    worker.work(burst=True)
    # The webhook job ran in this process (the monkeypatched context is this process's); the next one forked.
    assert webhook.get_status(refresh=True) is JobStatus.FINISHED
    assert webhook.return_value()["effect"] == "cancelled"
    assert ctx.store.requests.get(request.id).status is RequestStatus.CANCELLED
    assert forked == [other.id]


def rest_order(order_id: int = 5001, line_items: int = 40) -> dict:
    """An orders/updated payload as Shopify sends it: the whole REST Order, ~25 KB with 40 line items."""
    address = {"first1": "Ada", "last_name": "Lovelace", "address1": "12 Analytical Row", "city": "London", "zip": "N1"}
    return {
        "id": order_id,
        "name": "#1001",
        "email": "ada@example.com",
        "note": "Leave it with the neighbour at number 14, please",
        "created_at": "2026-12-01T09:00:00Z",
        "updated_at": "2026-12-01T09:05:00Z",
        "cancelled_at": None,
        "fulfillment_status": None,
        "customer": {"id": 1001, "email": "ada@example.com", "first_name": "Ada", "default_address": address},
        "billing_address": address,
        "shipping_address": address,
        "fulfillments": [],
        "line_items": [
            {
                "id": 9000 + n,
                "title": f"Sencha, batch {n}",
                "quantity": 1,
                "price": "12.50",
                "sku": f"TEA-{n:04d}",
                "properties": [{"name": "Engraving", "value": "For Ada, with love" * 20}],
                "tax_lines": [{"title": "VAT", "price": "2.50", "rate": 0.2}],
            }
            for n in range(line_items)
        ],
    }


def test_a_large_order_webhook_is_accepted_and_queued_with_only_what_the_job_reads(client, redis_conn):
    payload = rest_order()
    assert 20_000 < len(json.dumps(payload)) < 60_000
    response = deliver(client, "orders/updated", payload, delivery="large-1")
    assert response.status_code == 200, response.get_json()
    [job_id] = webhook_jobs(redis_conn)
    job = Queue(QUEUE_NAME, connection=redis_conn).fetch_job(job_id)
    topic, shop, queued = job.args
    assert (topic, shop) == ("orders/updated", SHOP)
    assert queued == {
        "id": 5001,
        "name": "#1001",
        "email": "ada@example.com",
        "created_at": "2026-12-01T09:00:00Z",
        "updated_at": "2026-12-01T09:05:00Z",
        "cancelled_at": None,
        "fulfillment_status": None,
        "fulfillments": [],
        "customer": {"id": 1001},
    }
    assert job.result_ttl <= 600 and job.failure_ttl <= 3 * 24 * 3600


def test_a_webhook_of_several_megabytes_is_accepted_and_one_past_the_limit_is_413(client, redis_conn):
    assert deliver(client, "orders/updated", rest_order(line_items=4000), delivery="huge-1").status_code == 200
    too_big = rest_order(line_items=4000)
    too_big["note"] = "x" * (11 * 1024 * 1024)
    response = deliver(client, "orders/updated", too_big, delivery="huge-2")
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "payload_too_large"
    assert len(webhook_jobs(redis_conn)) == 1


def test_the_storefront_and_the_admin_keep_their_small_limit(client):
    from tests.helpers import auth, signed_query

    body = json.dumps({"reason": "x" * 20_000})
    proxy = client.post(f"/proxy/orders/5001/cancellation?{signed_query()}", data=body, content_type="application/json")
    admin = client.put("/admin/api/policy", data=body, content_type="application/json", headers=auth())
    assert proxy.status_code == admin.status_code == 413


@pytest.mark.parametrize("body", [b"[1, 2]", b'"orders"', b"42", b"null", b"[" * 100_000 + b"]" * 100_000, b"{"])
def test_a_signed_body_that_is_not_a_json_object_is_400_and_nothing_is_queued(client, redis_conn, body):
    response = client.post(
        "/webhooks",
        data=body,
        headers={
            "X-Shopify-Topic": "orders/updated",
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": "not-an-object",
            "X-Shopify-Hmac-Sha256": webhook_hmac(body),
        },
    )
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"
    assert webhook_jobs(redis_conn) == []


def test_a_repeated_uninstall_keeps_the_revoked_token_out_after_a_restart(ctx):
    """The second delivery finds no token; the mark must still say which token Shopify revoked."""
    from storefront_proxy.tokens.lifecycle import register_configured_shop
    from workers.webhooks import handle_webhook

    register_configured_shop(ctx.settings, ctx.store)
    for _ in range(2):
        handle_webhook("app/uninstalled", SHOP, {"id": 1, "domain": SHOP})
    register_configured_shop(ctx.settings, ctx.store)  # a restart
    assert ctx.store.tokens.is_uninstalled(SHOP) and ctx.store.tokens.access_token(SHOP) is None
    # Redis was away at start-up, so the configured token was never stored: the uninstall still knows it.
    ctx.store.redis.delete(f"selfservice:uninstalled:{SHOP}")
    handle_webhook("app/uninstalled", SHOP, {"id": 1, "domain": SHOP})
    register_configured_shop(ctx.settings, ctx.store)
    assert ctx.store.tokens.is_uninstalled(SHOP)
    # shop/redact (48 hours after) erases the shop's data, not the mark.
    handle_webhook("shop/redact", SHOP, {"shop_domain": SHOP})
    register_configured_shop(ctx.settings, ctx.store)
    assert ctx.store.tokens.is_uninstalled(SHOP) and ctx.store.tokens.access_token(SHOP) is None


def test_customers_redact_reaches_requests_past_the_newest_ten_thousand(ctx):
    from workers.webhooks import handle_webhook

    theirs = stored_request(ctx.store, order_id=1)  # the oldest request of the shop
    newest = theirs.model_copy(update={"customer_id": 9999})
    with ctx.store.redis.pipeline(transaction=False) as pipe:
        for n in range(10_050):
            request = newest.model_copy(update={"id": f"ccr_{n:020d}", "order_id": 100_000 + n})
            pipe.set(f"selfservice:request:{request.id}", request.model_dump_json())
            pipe.zadd(f"selfservice:requests:{SHOP}", {request.id: time.time() + n})
        pipe.execute()
    result = handle_webhook("customers/redact", SHOP, {"customer": {"id": theirs.customer_id}})
    assert result["requests"] == 1 and ctx.store.requests.get(theirs.id) is None


def test_a_webhook_job_running_elsewhere_is_erased_once_it_has_finished(ctx, redis_conn):
    from rq.job import Job, JobStatus
    from rq.registry import ScheduledJobRegistry

    from storefront_proxy.job_queue import make_queue
    from storefront_proxy.webhooks.enqueue import WEBHOOK_ERASURE_JOB
    from workers.webhooks import finish_webhook_erasure, handle_webhook

    queue = make_queue(redis_conn)
    running = queue.enqueue_call(
        "workers.webhooks.handle_webhook",
        args=("orders/updated", SHOP, {"id": 5001, "email": "ada@example.com", "customer": {"id": 7001}}),
        job_id="webhook-running-elsewhere",
    )
    running.set_status(JobStatus.STARTED)  # another worker has it
    handle_webhook("customers/redact", SHOP, {"customer": {"id": 7001}, "orders_to_redact": [5001]})
    assert Job.exists("webhook-running-elsewhere", connection=redis_conn), "not deleted under the running worker"
    [sweep] = [Job.fetch(i, connection=redis_conn) for i in ScheduledJobRegistry(queue=queue).get_job_ids()]
    assert sweep.func_name == WEBHOOK_ERASURE_JOB
    running.set_status(JobStatus.FINISHED)  # it finished
    assert finish_webhook_erasure(*sweep.args)["erased"] == 1
    assert not Job.exists("webhook-running-elsewhere", connection=redis_conn)
