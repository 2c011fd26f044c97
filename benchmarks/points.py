"""Admin API points a shopper's views and a cancellation spend, as Shopify would charge them.

    .venv/bin/python -m benchmarks points

The web server and an ``rq worker`` as the Procfile runs them, against the devshop (every call executed on
Shopify's schema, charged its requested cost by Shopify's rules) with webhooks on, as a shop sends them. The
points are what the devshop's bucket lost during each step. The policy tags cancelled orders (one call more).
"""

from __future__ import annotations

import argparse
import threading
import time

import requests
from werkzeug.serving import make_server

from benchmarks.stack import CUSTOMER, SECRET, SHOP, TOKEN, app_env, ready, running, signed_query, verdict
from benchmarks.stack import web_server as web_command
from benchmarks.stack import workers as worker_commands
from devshop.app import create_devshop
from devshop.embedded_redis import EmbeddedRedis, free_ports
from storefront_proxy.order_facts.repository import order_facts_key
from storefront_proxy.policy.model import Policy
from storefront_proxy.storage import connect
from storefront_proxy.store import Store

JSON = {"Accept": "application/json"}
BUCKET = 1e9
TODAY = {"order page": 54, "list of orders": 542, "cancellation": 124}


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m benchmarks points", description=__doc__.splitlines()[0]).parse_args(argv)
    with EmbeddedRedis() as redis_server:
        web_port, devshop_port = free_ports(2)
        app = f"http://127.0.0.1:{web_port}"
        devshop = create_devshop(
            app_url=app, api_secret=SECRET, shop_domain=SHOP, access_token=TOKEN, cancel_job_seconds=0.2, webhooks=True
        )
        state = devshop.extensions["devshop"]
        state.set_throttle(maximum_available=BUCKET, restore_rate=0.001, currently_available=BUCKET)
        server = make_server("127.0.0.1", devshop_port, devshop, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        store = Store(connect(redis_server.url))
        store.policies.save(SHOP, Policy(cancelled_order_tag="self-service-cancelled"))
        env = app_env(redis_server.url, f"http://127.0.0.1:{devshop_port}")
        try:
            with running((web_command(web_port), env), *((command, env) for command in worker_commands(1))):
                ready(f"{app}/healthz")
                figures = measure(app, state, store)
        finally:
            server.shutdown()

    print("\nAdmin API points (requested cost, Shopify's rules, on the devshop)")
    for name, points in figures.items():
        today = next((f"today {value}" for key, value in TODAY.items() if name.startswith(key)), "")
        cached_view = "cached" in name and "not cached" not in name and "reads the sizes" not in name
        target = verdict(points, 0, at_most=True) if cached_view else ""
        if name.startswith("cancellation"):
            target = verdict(points, 60, at_most=True)
        print(f"  {name:52} {points:6.0f}   {target:24} {today}")
    return 0


def measure(app: str, state, store: Store) -> dict[str, float]:  # type: ignore[no-untyped-def]
    shopper = requests.Session()

    def quiet() -> None:
        """Until the worker's own calls (the webhook's hold on a new order) are over: they are not the view's."""
        seen = -1
        while seen != len(state.calls):
            seen = len(state.calls)
            time.sleep(0.5)

    def spent(action) -> float:  # type: ignore[no-untyped-def]
        quiet()
        before = state.bucket.currently_available
        action()
        return before - state.bucket.currently_available

    def page(order_id: int) -> None:
        answer = shopper.get(f"{app}/proxy/orders/{order_id}?{signed_query()}", headers=JSON, timeout=10)
        assert answer.status_code == 200, answer.text

    def listing() -> None:
        answer = shopper.get(f"{app}/proxy/orders?{signed_query()}", headers=JSON, timeout=10)
        assert answer.status_code == 200, answer.text

    figures: dict[str, float] = {}
    figures["list of orders, first view (reads Shopify)"] = spent(listing)
    figures["list of orders, cached"] = spent(listing)
    order_id = state.create_order(customer_id=CUSTOMER)
    wait_until(lambda: store.redis.exists(order_facts_key(SHOP, order_id)), "the orders/create webhook")
    figures["list of orders, cached, with a new order (from its webhook)"] = spent(listing)
    figures["list of orders, cached again"] = spent(listing)
    figures["order page, cached (from the webhook)"] = spent(lambda: page(order_id))
    store.order_facts.forget(SHOP, order_id)
    figures["order page, not cached (reads Shopify)"] = spent(lambda: page(order_id))
    figures["order page, cached (kept from that read)"] = spent(lambda: page(order_id))

    token = shopper.get(f"{app}/proxy/orders/{order_id}?{signed_query()}", headers=JSON, timeout=10).json()
    quiet()
    before = state.bucket.currently_available
    posted = shopper.post(
        f"{app}/proxy/orders/{order_id}/cancellation?{signed_query()}",
        json={"reason": "changed_mind", "csrf_token": token["csrf_token"]},
        headers=JSON,
        timeout=10,
    )
    assert posted.status_code == 202, posted.text

    def tagged() -> bool:
        request = store.requests.for_order(SHOP, order_id)
        return request is not None and any(event.type == "tagged" for event in request.events)

    wait_until(tagged, "the cancellation to be confirmed and tagged")
    figures["cancellation (POST, worker, confirmation, tag)"] = before - state.bucket.currently_available

    # An order of a product that comes in sizes: its sizes are read once and kept for a few minutes.
    shirt = state.add_product("Benchmark T-Shirt", [("S", "20.00", 5), ("M", "20.00", 5), ("L", "20.00", 5)])
    sized = state.create_order(customer_id=CUSTOMER, variants=[(shirt.variants[1].legacy_id, 2)])
    wait_until(lambda: store.redis.exists(order_facts_key(SHOP, sized)), "the orders/create webhook")
    figures["order page with sizes, cached (reads the sizes once)"] = spent(lambda: page(sized))
    figures["order page with sizes, cached again"] = spent(lambda: page(sized))

    page_body = shopper.get(f"{app}/proxy/orders/{sized}?{signed_query()}", headers=JSON, timeout=10).json()
    quiet()
    before = state.bucket.currently_available
    line = page_body["line_items"][0]
    edited = shopper.post(
        f"{app}/proxy/orders/{sized}/edits?{signed_query()}",
        json={"line_items": [{"id": line["id"], "quantity": 1}], "csrf_token": page_body["csrf_token"]},
        headers=JSON,
        timeout=10,
    )
    assert edited.status_code == 202, edited.text
    edit_id = edited.json()["edit"]["id"]

    def applied() -> bool:
        found = store.requests.get(edit_id)
        return found is not None and found.status.is_final

    wait_until(applied, "the edit to be applied")
    quiet()
    figures["edit: lower a quantity (POST, worker, commit, refund)"] = before - state.bucket.currently_available
    return figures


def wait_until(condition, what: str, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)
