"""Benchmark: how fast the app answers Shopify's webhooks, and how fast workers apply them.

    .venv/bin/python -m benchmarks.webhook_intake [--deliveries 1000] [--concurrency 16] [--workers 2]

Runs the web server as the Procfile runs it against embedded Redis, POSTs signed orders/updated deliveries (each with
its own X-Shopify-Webhook-Id, a tenth of them repeated as Shopify may repeat them), then starts `rq worker`s and
times how long they take to apply the queued work. Shopify counts a delivery as failed after 5 s without an
answer; the app aims at well under a second. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from rq import Queue

from benchmarks.storefront_load import ROOT, SECRET, SHOP, base_env, percentile
from devshop.embedded_redis import EmbeddedRedis, free_port
from devshop.launch import wait_for, web_command, worker_command
from storefront_proxy.job_queue import QUEUE_NAME
from storefront_proxy.storage import connect


def delivery(order_id: int, webhook_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": order_id, "name": f"#{order_id}", "updated_at": "2026-11-22T10:00:00Z"}).encode()
    digest = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/updated",
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Hmac-Sha256": digest,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    with EmbeddedRedis() as redis_server:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = base_env(redis_server.url)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        web = subprocess.Popen(web_command(port), cwd=ROOT, env=env, **quiet)
        workers: list[subprocess.Popen[bytes]] = []
        try:
            wait_for(f"{url}/healthz")
            ids = [str(uuid.uuid4()) for _ in range(args.deliveries)]
            ids += ids[: args.deliveries // 10]  # Shopify may deliver the same webhook twice
            local = threading.local()
            latencies: list[float] = []
            statuses: dict[int, int] = {}

            def post(index: int) -> None:
                session = getattr(local, "session", None) or requests.Session()
                local.session = session
                body, headers = delivery(6000 + index % 500, ids[index])
                started = time.perf_counter()
                answer = session.post(f"{url}/webhooks", data=body, headers=headers, timeout=10)
                latencies.append(time.perf_counter() - started)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(post, range(len(ids))))
            elapsed = time.perf_counter() - started
            queue = Queue(QUEUE_NAME, connection=connect(redis_server.url))
            queued = len(queue)
            print(f"Webhook intake: {len(ids)} POSTs ({args.deliveries} distinct), concurrency {args.concurrency}")
            print(f"  {len(ids) / elapsed:.0f} deliveries/s; answers {statuses}; {queued} jobs queued")
            p50, p95 = percentile(latencies, 50) * 1000, percentile(latencies, 95) * 1000
            print(f"  latency p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(latencies) * 1000:.1f} ms")

            started = time.perf_counter()
            workers = [
                subprocess.Popen(worker_command("--quiet"), cwd=ROOT, env=env, **quiet) for _ in range(args.workers)
            ]
            while len(queue) or queue.started_job_registry.count:
                time.sleep(0.05)
            drained = time.perf_counter() - started
            print(f"Applying them: {args.workers} rq workers emptied the queue in {drained:.1f} s (incl. start-up)")
        finally:
            for process in [web, *workers]:
                process.terminate()
            for process in [web, *workers]:
                process.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
