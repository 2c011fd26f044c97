"""Storefront reads and POSTs under wrk, side by side with bare Flask and the minimal-work floor; web memory.

    .venv/bin/python -m benchmarks reads [--seconds 5] [--rounds 3]

Everything runs on loopback under the Procfile's server (gunicorn, 2 workers x 8 threads, waitress): the app, a
bare Flask app, the floor and Flask after one Redis round trip (``reference_apps.py``), against one embedded Redis
and a fixed-answer Admin API in its own process (``canned_admin.py``). Each round loads each target for the same
time with wrk (2 threads, 16 connections), in turn, so the machine's noise falls on all of them alike; the ratios
are of one round's figures, and the medians of the rounds are printed.

- cached read: ``GET /proxy/orders/5001`` once the order is known (order_facts/: no Admin API call).
- uncached read: every request another order id, so each one reads Shopify and keeps the order.
- POST: ``POST /proxy/orders/<id>/cancellation``, each a new order (a fresh Shopify read, the request and its job
  stored in one transaction).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.stack import (
    CUSTOMER,
    ROUNDS,
    SECRET,
    SHOP,
    Load,
    admin_stand_in,
    answers,
    app_env,
    baseline_tree,
    median,
    need_wrk,
    ready,
    running,
    signed_query,
    verdict,
    web_server,
    wrk,
)
from devshop.embedded_redis import EmbeddedRedis, free_ports
from devshop.processes import children_of, rss_mib
from storefront_proxy.proxy.csrf import issue_token

UNCACHED_SCRIPT = """
local query = os.getenv("QUERY")
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/proxy/orders/" .. math.random(100000, 999999999) .. "?" .. query)
end
"""
# Each wrk thread posts every other line of POSTS, so no order is asked for twice.
POST_SCRIPT = """
local threads = 0
function setup(thread)
  thread:set("first", threads)
  threads = threads + 1
end
function init(args)
  lines = {}
  for line in io.lines(os.getenv("POSTS")) do lines[#lines + 1] = line end
  n = first
end
request = function()
  n = n + 2
  local path, body = lines[(n - 1) % #lines + 1]:match("^(%S+) (.*)$")
  local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}
  return wrk.format("POST", path, headers, body)
end
"""
# How much more a worker may hold than the same worker of the code before this work (see report).
MEMORY_MARGIN_MIB = 1.0
TODAY = "today: uncached 0.10-0.12x bare Flask, 0.47-0.57x the floor; no cached read"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks reads", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args(argv)
    need_wrk()
    scratch = Path(tempfile.mkdtemp(prefix="benchmark-reads-"))
    (scratch / "uncached.lua").write_text(UNCACHED_SCRIPT)
    (scratch / "posts.lua").write_text(POST_SCRIPT)

    with EmbeddedRedis() as redis_server, baseline_tree() as baseline:
        admin_port, app_port, bare_port, floor_port, redis_port, baseline_port = free_ports(6)
        admin = f"http://127.0.0.1:{admin_port}"
        env = app_env(redis_server.url, admin)
        reference_env = {**env, "ADMIN_URL": f"{admin}/admin/api/2026-10/graphql.json"}
        with running(
            (admin_stand_in(admin_port, "benchmarks.canned_admin", "--versioned"), None),
            (web_server(app_port), env),
            (web_server(bare_port, "benchmarks.reference_apps:bare()"), reference_env),
            (web_server(floor_port, "benchmarks.reference_apps:floor()"), reference_env),
            (web_server(redis_port, "benchmarks.reference_apps:one_round_trip()"), reference_env),
            # The code before this work, for its memory under the same load (its reads all go to Shopify).
            *([(web_server(baseline_port), env, baseline)] if baseline else []),
        ) as processes:
            app, bare, floor, one_trip = (
                f"http://127.0.0.1:{port}" for port in (app_port, bare_port, floor_port, redis_port)
            )
            for url in (
                f"{app}/healthz",
                f"{bare}/proxy/orders/1",
                f"{floor}/proxy/orders/1",
                f"{one_trip}/proxy/orders/1",
            ):
                ready(url)
            before = f"http://127.0.0.1:{baseline_port}" if baseline else None
            if before and not answers(f"{before}/healthz"):
                print("the code before this work did not start: its memory is not compared", flush=True)
                before = None
            rounds = [
                run_round(args.seconds, scratch, app, bare, floor, one_trip, round_number, before)
                for round_number in range(1, args.rounds + 1)
            ]
            memory = [rss_mib(pid) for pid in children_of(processes[1].pid)]
            memory_before = [rss_mib(pid) for pid in children_of(processes[5].pid)] if before else []
    report(rounds, memory, memory_before)
    return 0


def run_round(
    seconds: int, scratch: Path, app: str, bare: str, floor: str, one_trip: str, number: int, before: str | None
) -> dict[str, Load]:
    wrk(f"{app}/proxy/orders/5001?{signed_query()}", seconds=1)  # the first read keeps the order; not counted
    loads = {
        "bare": wrk(f"{bare}/proxy/orders/5001", seconds=seconds),
        "floor": wrk(f"{floor}/proxy/orders/5001", seconds=seconds),
        "one-trip": wrk(f"{one_trip}/proxy/orders/5001", seconds=seconds),
        **app_loads(app, seconds, scratch, first_order=10_000_000 * number),
    }
    if before:
        # Not figures of their own: the code before this work carries the same loads, for its memory.
        app_loads(before, seconds, scratch, first_order=10_000_000 * number + 5_000_000)
    print(
        f"round {number}: "
        + ", ".join(f"{name} {load.rate:,.0f}/s p99 {load.p99:.1f} ms" for name, load in loads.items())
        + (
            f" (non-2xx: {sum(load.errors for load in loads.values())})"
            if any(lo.errors for lo in loads.values())
            else ""
        ),
        flush=True,
    )
    return loads


def app_loads(app: str, seconds: int, scratch: Path, *, first_order: int) -> dict[str, Load]:
    """The cached read, the uncached read and the POST, each signed just before it runs (Shopify's signature
    is good for 90 s)."""
    cached = wrk(f"{app}/proxy/orders/5001?{signed_query()}", seconds=seconds)
    uncached = wrk(app, script=scratch / "uncached.lua", seconds=seconds, env={"QUERY": signed_query()})
    posts = scratch / f"posts-{first_order}.txt"
    posts.write_text(post_lines(signed_query(), first_order=first_order, count=40_000))
    post = wrk(app, script=scratch / "posts.lua", seconds=seconds, env={"POSTS": str(posts)})
    return {"cached": cached, "uncached": uncached, "post": post}


def post_lines(query: str, *, first_order: int, count: int) -> str:
    now = time.time()
    lines = []
    for order_id in range(first_order, first_order + count):
        token = issue_token(SECRET, SHOP, CUSTOMER, order_id, now, 7200)
        body = json.dumps({"reason": "changed_mind", "csrf_token": token}, separators=(",", ":"))
        lines.append(f"/proxy/orders/{order_id}/cancellation?{query} {body}")
    return "\n".join(lines) + "\n"


def report(rounds: list[dict[str, Load]], memory: list[float], memory_before: list[float]) -> None:
    def ratio(name: str, against: str, field: str = "rate") -> float:
        return median([getattr(r[name], field) / getattr(r[against], field) for r in rounds])

    def rate(name: str) -> float:
        return median([r[name].rate for r in rounds])

    print("\nStorefront reads (medians of", len(rounds), "rounds; wrk -t2 -c16)")
    for name in ("bare", "one-trip", "floor", "cached", "uncached", "post"):
        print(f"  {name:9} {rate(name):8,.0f} req/s   p99 {median([r[name].p99 for r in rounds]):6.1f} ms")
    cached, uncached = ratio("cached", "bare"), ratio("uncached", "floor")
    p99 = ratio("cached", "bare", "p99")
    print(f"  cached read / bare Flask          {cached:5.2f}x   {verdict(cached, 0.40)}")
    print(f"  uncached read / minimal floor     {uncached:5.2f}x   {verdict(uncached, 0.90)}")
    print(f"  cached p99 / bare Flask p99       {p99:5.2f}x   {verdict(p99, 3.0, at_most=True)}")
    print(
        f"  one Redis round trip / bare Flask {ratio('one-trip', 'bare'):5.2f}x   (the ceiling of any cached read here)"
    )
    print(f"  cached read / one round trip      {ratio('cached', 'one-trip'):5.2f}x")
    print(f"  uncached read / bare Flask        {ratio('uncached', 'bare'):5.2f}x   ({TODAY})")
    print(f"  POST / minimal floor              {ratio('post', 'floor'):5.2f}x   (a Shopify read, a transaction)")
    if memory:
        largest = max(memory)
        print(f"  RSS per web worker: {', '.join(f'{m:.1f}' for m in memory)} MiB (today ~76 in the environment then)")
    if memory and memory_before:
        # Two workers of the same code under the same load differ by up to about a megabyte here (the heap's
        # fragmentation): that is the margin of "no higher".
        grown = max(memory) - max(memory_before)
        print(
            f"  RSS per web worker - the code before this work, side by side "
            f"({', '.join(f'{m:.1f}' for m in memory_before)} MiB): {grown:+.1f} MiB   "
            f"{verdict(grown, MEMORY_MARGIN_MIB, at_most=True)} MiB"
        )
    elif memory:
        print(f"  (no history for the code before this work: {verdict(largest, 76, at_most=True)} MiB)")
