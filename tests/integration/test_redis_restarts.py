"""Redis stopped, restarted and killed under load: every accepted request is kept and finished, no process dies.

Each test runs its own redis-server (configured as the README asks: append-only file, fsync every second) so it
can stop and kill it; web is the app in process, workers are real `rq worker` processes, Shopify is the devshop.
"""

from __future__ import annotations

import threading
import time

import pytest

from devshop.embedded_redis import EmbeddedRedis
from storefront_proxy.app import create_app
from storefront_proxy.settings import Settings
from storefront_proxy.storage import connect, durability_warning
from storefront_proxy.store import Store
from tests.helpers import signed_query
from tests.integration.conftest import ADA, SHOP, Workers, wait_until

pytestmark = pytest.mark.integration

JSON = {"Accept": "application/json"}


@pytest.fixture
def devshop(devshop):
    """A Plus shop's cost bucket, so these tests are about Redis and not about Shopify's rate limit."""
    devshop.set_throttle(maximum_available=10_000, restore_rate=1_000, currently_available=10_000)
    return devshop


def ask(client, order_id: int):
    """The shopper's two steps: read the order (for its csrf token), then ask to cancel it."""
    page = client.get(f"/proxy/orders/{order_id}?{signed_query(SHOP, ADA)}", headers=JSON)
    if page.status_code != 200:
        return page
    return client.post(
        f"/proxy/orders/{order_id}/cancellation?{signed_query(SHOP, ADA)}",
        json={"reason": "changed_mind", "csrf_token": page.json["csrf_token"]},
        headers=JSON,
    )


def statuses(store: Store, order_ids: list[int]) -> dict[int, str]:
    found = {}
    for order_id in order_ids:
        request = store.requests.for_order(SHOP, order_id)
        found[order_id] = request.status.value if request else "missing"
    return found


def test_workers_finish_every_request_through_redis_restarts_under_load(integration_env, devshop, tmp_path):
    with EmbeddedRedis() as own_redis:
        env = {**integration_env, "REDIS_URL": own_redis.url, "CANCEL_RATE_LIMIT_PER_HOUR": "1000"}
        client = create_app(Settings(**env, _env_file=None)).test_client()
        store = Store(connect(own_redis.url, wait_for_server=True))
        pool = Workers(env, tmp_path)
        workers = [pool.start(), pool.start()]
        try:
            time.sleep(1.5)
            own_redis.stop()  # while both workers wait for work
            time.sleep(2)
            own_redis.start()

            order_ids = [devshop.create_order(customer_id=ADA) for _ in range(24)]
            # Each orderCancel takes Shopify a second, so the workers are busy for a while.
            devshop.add_fault("CancelOrder", "delay", delay=1.0, times=1000)
            for order_id in order_ids:
                answer = ask(client, order_id)
                assert answer.status_code == 202, answer.json
            # Three more restarts while the workers cancel, each once a job is running: it catches jobs mid-run,
            # heartbeats and dequeues at whatever point they are.
            for pause in (0.2, 0.9, 0.5):
                wait_until(lambda: "processing" in statuses(store, order_ids).values(), message="a job running")
                time.sleep(pause)
                own_redis.stop()
                time.sleep(2.5)
                own_redis.start()
            wait_until(
                lambda: set(statuses(store, order_ids).values()) == {"cancelled"},
                timeout=60,
                interval=0.5,
                message="every request to be cancelled",
            )
            assert all(worker.poll() is None for worker in workers), pool.logs()
            for order_id in order_ids:
                assert devshop.get_order(order_id).cancelled_at is not None
            assert len({c.variables["orderId"] for c in devshop.calls_for("CancelOrder")}) == len(order_ids)
            assert "unhandled exception" not in pool.logs()
        finally:
            pool.stop_all()


def ask_to_edit(client, order_id: int, line_item_id: int):
    """Read the order, then lower its first line from 2 to 1."""
    page = client.get(f"/proxy/orders/{order_id}?{signed_query(SHOP, ADA)}", headers=JSON)
    if page.status_code != 200:
        return page
    return client.post(
        f"/proxy/orders/{order_id}/edits?{signed_query(SHOP, ADA)}",
        json={"line_items": [{"id": line_item_id, "quantity": 1}], "csrf_token": page.json["csrf_token"]},
        headers=JSON,
    )


def test_edits_are_committed_and_refunded_once_through_redis_restarts(integration_env, devshop, tmp_path):
    with EmbeddedRedis() as own_redis:
        env = {**integration_env, "REDIS_URL": own_redis.url, "CANCEL_RATE_LIMIT_PER_HOUR": "1000"}
        client = create_app(Settings(**env, _env_file=None)).test_client()
        store = Store(connect(own_redis.url, wait_for_server=True))
        pool = Workers(env, tmp_path)
        workers = [pool.start(), pool.start()]
        try:
            order_ids = [
                devshop.create_order(customer_id=ADA, line_items=[("Mug", 2, "10.00"), ("Tea", 1, "5.00")])
                for _ in range(12)
            ]
            # Each commit takes Shopify half a second, so restarts catch edits between their steps.
            devshop.add_fault("CommitOrderEdit", "delay", delay=0.5, times=1000)
            edit_ids = []
            for order_id in order_ids:
                answer = ask_to_edit(client, order_id, devshop.get_order(order_id).line_items[0].legacy_id)
                assert answer.status_code == 202, answer.json
                edit_ids.append(answer.json["edit"]["id"])

            def edit_statuses() -> set[str]:
                return {found.status.value if (found := store.requests.get(i)) else "missing" for i in edit_ids}

            for pause in (0.3, 0.7):
                wait_until(lambda: "processing" in edit_statuses(), message="an edit running")
                time.sleep(pause)
                own_redis.stop()
                time.sleep(2.5)
                own_redis.start()
            wait_until(lambda: edit_statuses() == {"applied"}, timeout=90, interval=0.5, message="every edit applied")
            assert all(worker.poll() is None for worker in workers), pool.logs()
            for order_id in order_ids:
                order = devshop.get_order(order_id)
                assert len(order.edits) == 1 and [r.amount for r in order.refunds] == ["10.00"], order_id
                assert order.line_items[0].current_quantity == 1
            assert "unhandled exception" not in pool.logs()
        finally:
            pool.stop_all()


def test_requests_answered_202_survive_a_redis_crash(integration_env, devshop):
    """kill -9 of Redis while shoppers ask: every request that was answered 202 is there after the restart."""
    with EmbeddedRedis() as own_redis:
        env = {**integration_env, "REDIS_URL": own_redis.url, "CANCEL_RATE_LIMIT_PER_HOUR": "1000"}
        client = create_app(Settings(**env, _env_file=None)).test_client()
        order_ids = [devshop.create_order(customer_id=ADA) for _ in range(40)]
        accepted: list[int] = []

        def shoppers() -> None:
            for order_id in order_ids:
                if ask(client, order_id).status_code == 202:
                    accepted.append(order_id)

        thread = threading.Thread(target=shoppers)
        thread.start()
        wait_until(lambda: len(accepted) >= 15, timeout=30, message="some requests to be accepted")
        own_redis.kill()
        thread.join(timeout=60)
        own_redis.start()
        assert 15 <= len(accepted) < len(order_ids), "the crash came while shoppers were asking"
        store = Store(connect(own_redis.url))
        assert {order_id: "queued" for order_id in accepted} == statuses(store, accepted)


def test_the_embedded_redis_is_configured_as_production_must_be_and_a_weaker_one_is_named(tmp_path):
    with EmbeddedRedis(data_dir=tmp_path / "redis") as own_redis:
        conn = connect(own_redis.url)
        assert durability_warning(conn) is None
        conn.config_set("appendonly", "no")
        conn.config_set("maxmemory-policy", "allkeys-lru")
        warning = durability_warning(conn)
        assert warning is not None and "\n" not in warning
        assert "appendonly is no (want yes)" in warning and "maxmemory-policy is allkeys-lru" in warning
        conn.set("kept", "1")
    assert (tmp_path / "redis").is_dir(), "a given data folder stays after the server is closed"


@pytest.mark.parametrize(
    ("arguments", "weaker"),
    [
        (
            ("--appendonly", "no", "--maxmemory-policy", "allkeys-lru"),
            ["appendonly is no", "maxmemory-policy is allkeys-lru"],
        ),
        (("--appendfsync", "no"), ["appendfsync is no"]),
        # A managed Redis that disables CONFIG: INFO still tells about the append-only file and the eviction.
        (("--appendonly", "no", "--rename-command", "CONFIG", ""), ["appendonly is no"]),
    ],
    ids=["snapshots-and-eviction", "no-fsync", "config-disabled"],
)
def test_web_and_worker_warn_once_at_start_up_about_a_weaker_redis(
    integration_env, tmp_path, caplog, arguments, weaker
):
    import logging
    import os
    import subprocess
    import sys
    from pathlib import Path

    with EmbeddedRedis(arguments=arguments) as weak:
        env = {**integration_env, "REDIS_URL": weak.url}
        with caplog.at_level(logging.WARNING, logger="storefront_proxy.store"):
            create_app(Settings(**env, _env_file=None))
        warnings = [r.getMessage() for r in caplog.records if "can lose accepted requests" in r.getMessage()]
        assert len(warnings) == 1 and all(text in warnings[0] for text in weaker), warnings
        rq = str(Path(sys.executable).with_name("rq"))
        worker = subprocess.run(
            [rq, "worker", "--burst", "-c", "workers.rq_config", "-w", "workers.worker.SelfServiceWorker"],
            cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert worker.returncode == 0, worker.stderr
        said = [line for line in worker.stderr.splitlines() if "can lose accepted requests" in line]
        assert len(said) == 1 and all(text in said[0] for text in weaker), worker.stderr
