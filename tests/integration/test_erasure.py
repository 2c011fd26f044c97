"""customers/redact erases every copy of a customer's data: a scan of all of Redis finds nothing of it afterwards.

Real Redis, real `rq worker`s, webhooks delivered by the devshop. The scan reads every key of every type and
opens RQ's job records (zlib-compressed pickles) and results, so a payload kept by RQ counts too.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Iterator

import pytest
import requests
from rq.job import Job
from rq.registry import FailedJobRegistry

from storefront_proxy.job_queue import QUEUE_NAME, make_queue
from storefront_proxy.webhooks.enqueue import WEBHOOK_JOB
from tests.helpers import auth
from tests.integration.conftest import ADA, GRACE, SHOP, proxy_session, wait_for_status, wait_until
from tests.integration.helpers import ask_to_cancel, send

pytestmark = pytest.mark.integration

EMAIL = "ada.erasure@example.com"
NOTE = "Please send it to my sister Mathilda instead"
SUPPORT_NOTE = "Ada phoned about Mathilda's address"


def readable(value: bytes) -> Iterator[bytes]:
    """The bytes as stored, and what RQ's compressed pickles among them hold."""
    yield value
    try:
        yield repr(pickle.loads(zlib.decompress(value))).encode()
    except Exception:  # noqa: BLE001 - most values are not RQ's pickles
        pass
    try:
        yield repr(pickle.loads(value)).encode()
    except Exception:  # noqa: BLE001
        pass


def everything_in_redis(redis_conn) -> Iterator[tuple[bytes, bytes]]:
    """(key, readable value) for every value of every key."""
    for key in redis_conn.scan_iter(count=1000):
        kind = redis_conn.type(key).decode()
        if kind == "string":
            values = [redis_conn.get(key) or b""]
        elif kind == "hash":
            values = [part for pair in redis_conn.hgetall(key).items() for part in pair]
        elif kind == "list":
            values = redis_conn.lrange(key, 0, -1)
        elif kind == "set":
            values = list(redis_conn.smembers(key))
        elif kind == "zset":
            values = [member for member, _ in redis_conn.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            values = [part for _, fields in redis_conn.xrange(key) for pair in fields.items() for part in pair]
        else:
            values = []
        for value in [key, *values]:
            for text in readable(value):
                yield key, text


def holding(redis_conn, *needles: str) -> list[bytes]:
    return sorted({key for key, text in everything_in_redis(redis_conn) for n in needles if n.encode() in text})


def test_customers_redact_leaves_nothing_of_the_customer_anywhere_in_redis(
    web, devshop, devshop_server, workers, store, webhooks_on, redis_conn
):
    workers.start()
    order_id = devshop.create_order(customer_id=ADA)
    others = devshop.create_order(customer_id=GRACE)
    # Staff set the order's e-mail (orders/updated carries it); Ada cancels with a note; support notes something.
    requests.patch(f"{devshop_server.url}/devshop/orders/{order_id}", json={"email": EMAIL}, timeout=5)
    wait_until(lambda: redis_conn.keys("rq:job:webhook-*"), message="the order webhooks to be queued")
    assert ask_to_cancel(proxy_session(devshop_server.url, ADA), devshop_server, order_id, note=NOTE).status_code == 202
    assert ask_to_cancel(proxy_session(devshop_server.url, GRACE), devshop_server, others).status_code == 202
    request = wait_for_status(store, SHOP, order_id, {"cancelled"})
    admin = web.url + f"/admin/api/requests/{request.id}/notes"
    assert requests.post(admin, json={"text": SUPPORT_NOTE}, headers=auth(shop=SHOP), timeout=5).status_code == 201
    # The merchant's export of Ada's data, and a webhook job that failed with her e-mail in its error.
    send(devshop_server, "customers/data_request", {"customer": {"id": ADA, "email": EMAIL}, "data_request": {"id": 5}})
    wait_until(lambda: store.data_requests.get(SHOP, "5"), message="the export")
    failed = Job.create(
        WEBHOOK_JOB,
        args=("orders/updated", SHOP, {"id": order_id, "email": EMAIL, "customer": {"id": ADA}}),
        id="webhook-failed-delivery",
        connection=redis_conn,
    )
    failed.save()
    FailedJobRegistry(queue=make_queue(redis_conn)).add(failed, exc_string=f"ValueError: bad input {EMAIL!r}")
    wait_for_status(store, SHOP, others, {"cancelled"})
    wait_until(webhooks_on.idle, timeout=15, message="the order webhooks to be answered")
    assert set(holding(redis_conn, EMAIL, NOTE, SUPPORT_NOTE)) >= {
        f"selfservice:request:{request.id}".encode(),
        b"selfservice:data-request:" + SHOP.encode() + b":5",
        b"rq:job:webhook-failed-delivery",
    }, "the scan must see the copies before the erasure"

    send(
        devshop_server,
        "customers/redact",
        {"customer": {"id": ADA, "email": EMAIL}, "orders_to_redact": [order_id]},
    )
    wait_until(lambda: store.requests.for_order(SHOP, order_id) is None, message="Ada's request to be erased")
    wait_until(webhooks_on.idle, timeout=15, message="the redact delivery to be answered")
    wait_until(lambda: not redis_conn.llen(f"rq:queue:{QUEUE_NAME}"), message="the queue to drain")
    wait_until(lambda: not holding(redis_conn, EMAIL, NOTE, SUPPORT_NOTE), timeout=10, message="nothing left")

    assert holding(redis_conn, EMAIL, NOTE, SUPPORT_NOTE) == []
    assert store.data_requests.get(SHOP, "5") is None
    # Only Ada's: Grace's request stays, and the audit log still says that support added a note.
    assert store.requests.for_order(SHOP, others) is not None
    audit = requests.get(web.url + "/admin/api/audit", headers=auth(shop=SHOP), timeout=5).json()["entries"]
    assert [entry["action"] for entry in audit if entry["subject"] == request.id] == ["request.note"]
