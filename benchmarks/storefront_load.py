"""Benchmark: storefront latency under load, end-to-end cancellation time, and process memory.

    .venv/bin/python -m benchmarks.storefront_load [--requests 2000] [--devshop-requests 500] [--concurrency 16]
        [--orders 40] [--workers 2]

Runs the real stack on loopback: embedded Redis, the web server as the Procfile runs it, and `rq worker`s.
First against a fixed-answer Admin API in its own process (the app's own ceiling), then against the devshop
(Admin API executed on Shopify's schema, its cost throttle opened wide) for reads and whole cancellations.
Prints figures; asserts nothing. Everything shares this machine's cores with the load generator.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from werkzeug.serving import make_server

from benchmarks.stack import CUSTOMER, ROOT, SECRET, SHOP, TOKEN, app_env, signed_query
from devshop.app import create_devshop
from devshop.embedded_redis import EmbeddedRedis, free_port, free_ports
from devshop.launch import wait_for, web_command, worker_command
from devshop.processes import children_of, rss_mib
from storefront_proxy.cancellations.records import RequestStatus
from storefront_proxy.storage import connect
from storefront_proxy.store import Store


def signed(customer: int = CUSTOMER) -> str:
    return signed_query(customer)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def load_phase(app_url: str, order_id: int, total: int, concurrency: int, label: str) -> None:
    session_local = threading.local()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def one(_: int) -> None:
        session = getattr(session_local, "session", None)
        if session is None:
            session = session_local.session = requests.Session()
        started = time.perf_counter()
        response = session.get(
            f"{app_url}/proxy/orders/{order_id}?{signed()}", headers={"Accept": "application/json"}, timeout=30
        )
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(total)))
    wall = time.perf_counter() - started
    ms = [value * 1000 for value in latencies]
    print(f"GET /proxy/orders/<id> (JSON; each one reads the order from {label})")
    print(f"  {total} requests, concurrency {concurrency}: {total / wall:.0f} req/s, statuses {statuses}")
    print(
        f"  latency ms: p50 {percentile(ms, 50):.1f}  p95 {percentile(ms, 95):.1f}"
        f"  p99 {percentile(ms, 99):.1f}  max {max(ms):.1f}"
    )


def cancel_phase(app_url: str, devshop_state, store: Store, orders: int) -> None:
    order_ids = [devshop_state.create_order(customer_id=CUSTOMER) for _ in range(orders)]
    session = requests.Session()
    asked: dict[int, float] = {}
    started = time.perf_counter()
    for order_id in order_ids:
        token = session.get(
            f"{app_url}/proxy/orders/{order_id}?{signed()}", headers={"Accept": "application/json"}, timeout=30
        ).json()["csrf_token"]
        t0 = time.perf_counter()
        response = session.post(
            f"{app_url}/proxy/orders/{order_id}/cancellation?{signed()}",
            json={"reason": "changed_mind", "csrf_token": token},
            headers={"Accept": "application/json"},
            timeout=30,
        )
        assert response.status_code == 202, response.text
        asked[order_id] = t0
    post_wall = time.perf_counter() - started
    done: dict[int, float] = {}
    deadline = time.perf_counter() + 120
    while len(done) < orders and time.perf_counter() < deadline:
        for order_id in order_ids:
            if order_id in done:
                continue
            request = store.requests.for_order(SHOP, order_id)
            if request is not None and request.status.is_final:
                done[order_id] = time.perf_counter()
                assert request.status is RequestStatus.CANCELLED, request.model_dump()
        time.sleep(0.02)
    total_wall = time.perf_counter() - started
    seconds = [done[o] - asked[o] for o in done]
    print("Cancellation end to end (POST → cancelled, devshop orderCancel job takes 0.2 s)")
    print(f"  {len(done)}/{orders} cancelled; posting took {post_wall:.2f} s; all done after {total_wall:.2f} s")
    print(
        f"  per order s: p50 {statistics.median(seconds):.2f}  p95 {percentile(seconds, 95):.2f}"
        f"  max {max(seconds):.2f}"
    )


def canned_phase(args: argparse.Namespace, redis_url: str) -> None:
    """The app's own ceiling: Admin API answered by a fixed-response server in its own process."""
    admin_port, web_port = free_ports(2)
    admin = subprocess.Popen([sys.executable, "-m", "benchmarks.canned_admin", str(admin_port)], cwd=ROOT)
    env = {**base_env(redis_url), "SHOPIFY_ADMIN_ORIGIN": f"http://127.0.0.1:{admin_port}"}
    web = subprocess.Popen(
        web_command(web_port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(f"http://127.0.0.1:{web_port}/healthz")
        load_phase(f"http://127.0.0.1:{web_port}", 5001, args.requests, args.concurrency, "a fixed-answer Admin API")
    finally:
        for process in (web, admin):
            process.terminate()
            process.wait(timeout=15)


def base_env(redis_url: str) -> dict[str, str]:
    """The benchmarks' app settings (callers set SHOPIFY_ADMIN_ORIGIN), with quick looks at Shopify's Job."""
    return {**app_env(redis_url, ""), "CANCEL_JOB_MAX_POLL_INTERVAL": "0.2"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--devshop-requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    with EmbeddedRedis() as redis_server:
        canned_phase(args, redis_server.url)
        web_port = free_port()
        app_url = f"http://127.0.0.1:{web_port}"
        devshop = create_devshop(
            app_url=app_url, api_secret=SECRET, shop_domain=SHOP, access_token=TOKEN, cancel_job_seconds=0.2
        )
        state = devshop.extensions["devshop"]
        state.set_throttle(maximum_available=1e9, restore_rate=1e9, currently_available=1e9)
        devshop_server = make_server("127.0.0.1", free_port(), devshop, threaded=True)
        threading.Thread(target=devshop_server.serve_forever, daemon=True).start()
        env = {**base_env(redis_server.url), "SHOPIFY_ADMIN_ORIGIN": f"http://127.0.0.1:{devshop_server.server_port}"}
        web = subprocess.Popen(
            web_command(web_port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        workers = [
            subprocess.Popen(
                worker_command("--quiet"), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            for _ in range(args.workers)
        ]
        try:
            wait_for(f"{app_url}/healthz")
            load_phase(
                app_url, 5001, args.devshop_requests, args.concurrency, "the devshop (Shopify's schema in Python)"
            )
            cancel_phase(app_url, state, Store(connect(redis_server.url)), args.orders)
            web_rss = sum(rss_mib(pid) for pid in children_of(web.pid))
            worker_rss = [rss_mib(w.pid) for w in workers]
            print("Memory (RSS)")
            print(
                f"  gunicorn master {rss_mib(web.pid):.0f} MiB,"
                f" its {len(children_of(web.pid))} waitress workers {web_rss:.0f} MiB together"
            )
            print(f"  rq worker processes: {', '.join(f'{value:.0f} MiB' for value in worker_rss)}")
        finally:
            for process in [web, *workers]:
                process.terminate()
            for process in [web, *workers]:
                process.wait(timeout=15)
            devshop_server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
