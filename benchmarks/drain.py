"""Workers draining queued cancellations at a shop's Shopify rate limit, and many shops at once; worker memory.

    .venv/bin/python -m benchmarks drain [--rounds 3] [--orders 60] [--plus-orders 600]

Real ``rq worker`` processes (the Procfile's command) against an Admin API stand-in with Shopify's leaky bucket
per shop (``bucketed_admin.py``: every call costs its requested cost by Shopify's rules, a call that does not fit
is THROTTLED). Each shop's bucket starts empty, so what is measured is the steady state: the bound is
``restore_rate / points_per_cancellation`` cancellations a second, the points per cancellation being what the
stand-in charged. Runs: one shop at the standard plan's 100 points/s with 2 workers, one at Plus's 1,000 points/s
with 4 workers, and three shops at 100 points/s each sharing 2 workers. Requests are stored and queued as the
storefront does it; a request that does not end cancelled is reported.

Each backlog takes about as long to drain at its shop's bound (60 cancellations at 100 points/s, 600 at 1,000:
~12.6 s each), so the fixed tail after the last orderCancel (its first look at Shopify's Job, which rq's
scheduler moves into the queue 0-1.5 s later) weighs the same at both plans.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
from rq import Worker

from benchmarks.stack import ROUNDS, SHOP, TOKEN, admin_stand_in, app_env, median, running, verdict, workers
from devshop.embedded_redis import EmbeddedRedis, free_ports
from devshop.processes import rss_mib
from storefront_proxy.cancellations.enqueue import enqueue_cancellation
from storefront_proxy.cancellations.records import RequestStatus, ShopperRequest, new_request_id
from storefront_proxy.cancellations.repository import request_key
from storefront_proxy.job_queue import make_queue, shop_queue_name
from storefront_proxy.settings import Settings
from storefront_proxy.storage import connect
from storefront_proxy.store import Store
from storefront_proxy.tokens.model import token_cipher

TODAY = "today: ~0.995x at 100 points/s, a fifth of the bound at 1,000 points/s"


@dataclass(frozen=True)
class Drained:
    shop: str
    orders: int
    seconds: float
    points_per_cancellation: float
    restore_rate: float
    throttled: int
    outcomes: dict[str, int]

    @property
    def rate(self) -> float:
        return self.orders / self.seconds

    @property
    def bound(self) -> float:
        return self.restore_rate / self.points_per_cancellation

    @property
    def ratio(self) -> float:
        return self.rate / self.bound


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks drain", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--orders", type=int, default=60, help="cancellations per shop at 100 points/s")
    parser.add_argument("--plus-orders", type=int, default=600, help="cancellations at 1,000 points/s")
    args = parser.parse_args(argv)
    three = three_shops()
    runs = [
        ("one shop, standard plan (100 points/s), 2 workers", 100.0, 2, {SHOP: args.orders}),
        ("one shop, Plus (1,000 points/s), 4 workers", 1000.0, 4, {SHOP: args.plus_orders}),
        ("three shops at 100 points/s each, 2 workers", 100.0, 2, {shop: args.orders for shop in three}),
    ]
    results: dict[str, list[list[Drained]]] = {label: [] for label, *_ in runs}
    memory: list[float] = []
    for number in range(1, args.rounds + 1):
        for label, restore_rate, worker_count, orders in runs:
            drained, rss = drain(restore_rate, worker_count, orders)
            results[label].append(drained)
            memory += rss
            figures = ", ".join(f"{d.rate:.2f}/s of {d.bound:.2f}/s ({d.ratio:.2f}x)" for d in drained)
            print(f"round {number}, {label}: {figures}", flush=True)

    print(f"\nWorker drain against the rate-limit bound (medians of {args.rounds} rounds)")
    for label, rounds in results.items():
        target = 0.80 if len(rounds[0]) > 1 else 0.90
        for index, shop in enumerate(d.shop for d in rounds[0]):
            ratio = median([r[index].ratio for r in rounds])
            points = median([r[index].points_per_cancellation for r in rounds])
            bound = median([r[index].bound for r in rounds])
            name = f" {shop}" if len(rounds[0]) > 1 else ""
            print(f"  {label}{name}: {ratio:.2f}x of {bound:.2f}/s   {verdict(ratio, target)}")
            print(f"    {points:.1f} points per cancellation   {verdict(points, 60, at_most=True)}")
        throttled = sum(d.throttled for r in rounds for d in r)
        unfinished = {
            status: count
            for r in rounds
            for d in r
            for status, count in d.outcomes.items()
            if status != RequestStatus.CANCELLED.value
        }
        print(f"    THROTTLED answers {throttled}; requests not cancelled: {unfinished or 'none'}")
    print(f"  ({TODAY})")
    if memory:
        print(
            f"  RSS per rq worker: up to {max(memory):.0f} MiB   {verdict(max(memory), 72, at_most=True)} (today ~72)"
        )
    return 0


def three_shops() -> list[str]:
    """Three shop domains that fall in three different queues (``job_queue.shop_queue_name``)."""
    shops: dict[str, str] = {}
    for letter in "abcdefghijklmnopqrstuvwxyz":
        shop = f"shop-{letter}.myshopify.com"
        shops.setdefault(shop_queue_name(shop), shop)
        if len(shops) == 3:
            return list(shops.values())
    raise AssertionError("no three shops in three queues")


def drain(restore_rate: float, worker_count: int, orders: dict[str, int]) -> tuple[list[Drained], list[float]]:
    with EmbeddedRedis() as redis_server:
        admin_port, _ = free_ports(2)
        admin = f"http://127.0.0.1:{admin_port}"
        env = app_env(redis_server.url, admin)
        stand_in = admin_stand_in(
            admin_port,
            "benchmarks.bucketed_admin",
            "--restore-rate",
            str(restore_rate),
            "--maximum",
            str(restore_rate * 10),
            "--initial",
            "0",
        )
        settings = Settings(**env, _env_file=None)  # type: ignore[call-arg]
        store = Store(connect(redis_server.url), token_cipher(settings))
        tokens = {shop: TOKEN if shop == SHOP else f"shpat_{uuid.uuid4().hex}" for shop in orders}
        for shop, token in tokens.items():
            store.tokens.register_shop(shop, token)
            # A public app trades a shop's non-expiring token for an expiring one; not what is measured here.
            store.tokens.pause_work(shop, "migration", 3600)
        with running((stand_in, None), *((command, env) for command in workers(worker_count))) as processes:
            wait_until_up(admin, store, worker_count)
            started = time.monotonic()
            pending = {shop: queue_cancellations(store, settings, shop, count) for shop, count in orders.items()}
            finished = wait_until_final(store, pending)
            stats = requests.get(f"{admin}/stats", timeout=5).json()["shops"]
            rss = [rss_mib(process.pid) for process in processes[1:]]
    drained = []
    for shop, request_ids in pending.items():
        shop_stats = stats.get(tokens[shop], {})
        outcomes: dict[str, int] = {}
        for status in finished[shop][1]:
            outcomes[status] = outcomes.get(status, 0) + 1
        drained.append(
            Drained(
                shop=shop,
                orders=len(request_ids),
                seconds=finished[shop][0] - started,
                points_per_cancellation=shop_stats.get("points_spent", 0) / max(1, len(request_ids)),
                restore_rate=restore_rate,
                throttled=shop_stats.get("throttled", 0),
                outcomes=outcomes,
            )
        )
    return drained, rss


def wait_until_up(admin: str, store: Store, worker_count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{admin}/stats", timeout=1)
            if len(Worker.all(connection=store.redis)) >= worker_count:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit("the workers or the Admin API stand-in did not start")


def queue_cancellations(store: Store, settings: Settings, shop: str, count: int) -> list[str]:
    """Store and queue ``count`` requests as the storefront does (record and job in one transaction)."""
    queue = make_queue(store.redis)
    now = datetime.now(UTC)
    ids = []
    for order_id in range(5001, 5001 + count):
        request = ShopperRequest(
            id=new_request_id(),
            shop=shop,
            order_id=order_id,
            order_name=f"#{order_id}",
            customer_id=1001,
            reason="changed_mind",
            status=RequestStatus.QUEUED,
            dispatches=1,
            requested_at=now,
            created_at=now,
            updated_at=now,
        )
        request_id = request.id
        store.requests.create(
            request,
            lambda pipe, rid=request_id: enqueue_cancellation(
                queue, shop, rid, settings.cancel_retry_intervals, pipeline=pipe
            ),
        )
        ids.append(request_id)
    return ids


def wait_until_final(store: Store, pending: dict[str, list[str]]) -> dict[str, tuple[float, list[str]]]:
    """When each shop's last request ended, and how each ended (a look every 0.2 s, at the unfinished only)."""
    unfinished = {shop: set(request_ids) for shop, request_ids in pending.items()}
    outcomes: dict[str, list[str]] = {shop: [] for shop in pending}
    finished: dict[str, tuple[float, list[str]]] = {}
    deadline = time.monotonic() + 900
    while len(finished) < len(pending):
        if time.monotonic() > deadline:
            raise SystemExit("the drain did not finish in 15 minutes")
        for shop, waiting in unfinished.items():
            if shop in finished:
                continue
            ids = sorted(waiting)
            for request_id, raw in zip(ids, store.redis.mget([request_key(i) for i in ids]), strict=True):
                request = ShopperRequest.model_validate_json(raw) if raw else None
                if request is not None and request.status.is_final:
                    waiting.discard(request_id)
                    outcomes[shop].append(request.status.value)
            if not waiting:
                finished[shop] = (time.monotonic(), outcomes[shop])
        time.sleep(0.2)
    return finished


if __name__ == "__main__":
    sys.exit(main())
