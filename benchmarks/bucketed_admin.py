"""An Admin API stand-in for many shops at once, each behind Shopify's leaky cost bucket, for benchmarks.

    python -m benchmarks.bucketed_admin PORT --restore-rate R [--maximum M] [--initial I] [--job-seconds 0.2]

Every ``X-Shopify-Access-Token`` is a shop of its own (created on first use) with a bucket of M points (default
1000) that starts at I (default M) and refills at R points a second. Each call costs its requested cost by
Shopify's rules, computed once per distinct document with the devshop's calculator on the real schema; a call
that costs more than the shop has left is answered THROTTLED and spends nothing, as Shopify does. Orders are made
up from the id asked for; orderCancel starts a Job that is done ``--job-seconds`` later, and from then on the
order reads as cancelled. ``GET /stats`` gives each shop's points spent, requests, throttled answers and
cancellations completed; ``POST /reset`` forgets every shop.

It measures how fast workers drain cancellations at a shop's rate limit without the devshop's cost of executing
every call on the full schema. Benchmarks only; tests use the devshop.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import graphql
from graphql import DocumentNode, FieldNode, GraphQLSchema

from devshop.admin_api import MAX_QUERY_COST, request_cost
from devshop.schema import load_admin_schema

INVALID_TOKEN = b'{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}'
CUSTOMER_ID = "gid://shopify/Customer/1001"
APP_INSTALLATION_ID = "gid://shopify/AppInstallation/1"
Json = dict[str, Any]


def _dumps(payload: Any) -> bytes:
    # No spaces: the answers stay small, and so does the time spent writing them.
    return json.dumps(payload, separators=(",", ":")).encode()


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Document:
    """One distinct query text, parsed and validated once."""

    node: DocumentNode
    operation_name: str | None
    root_keys: tuple[str, ...]
    errors: tuple[Json, ...]


@dataclass
class Shop:
    """One access token's bucket, Shopify-side state and counters."""

    available: float
    updated: float  # time.monotonic() of the last refill
    points_spent: int = 0
    requests: int = 0
    throttled: int = 0
    cancellations_started: int = 0
    # Order number → wall-clock time its cancel Job is done (and cancelledAt set); Job id → the same time.
    cancel_due: dict[str, float] = field(default_factory=dict)
    jobs: dict[str, float] = field(default_factory=dict)

    def cancelled_at(self, number: str, now: float) -> str | None:
        due = self.cancel_due.get(number)
        return _iso(due) if due is not None and due <= now else None


def _order_number(gid: Any, kind: str = "Order") -> str | None:
    prefix = f"gid://shopify/{kind}/"
    if isinstance(gid, str) and gid.startswith(prefix) and gid[len(prefix) :].isdigit():
        return gid[len(prefix) :]
    return None


def _order(number: str, cancelled_at: str | None, created_at: str, *, product_tags: bool) -> Json:
    """An order shaped like canned_admin's ORDER, with the requested id and its cancellation."""
    line_item: Json = {"name": "Sencha, 100 g", "quantity": 2}
    if product_tags:
        line_item["product"] = {"tags": []}
    return {
        "id": f"gid://shopify/Order/{number}",
        "legacyResourceId": number,
        "name": f"#{number}",
        "email": "customer@example.com",
        # Always just placed, so every order is inside any policy's cancel window.
        "createdAt": created_at,
        "updatedAt": cancelled_at or created_at,
        "cancelledAt": cancelled_at,
        "cancelReason": "CUSTOMER" if cancelled_at else None,
        "closed": False,
        "test": False,
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "customer": {"id": CUSTOMER_ID},
        "tags": [],
        "totalPriceSet": {"shopMoney": {"amount": "42.50", "currencyCode": "EUR"}},
        "fulfillments": [],
        "lineItems": {"nodes": [line_item], "pageInfo": {"hasNextPage": False}},
    }


class BucketedAdmin:
    """The shops and their buckets; ``answer`` serves one GraphQL call."""

    def __init__(
        self, schema: GraphQLSchema, *, restore_rate: float, maximum: float, initial: float, job_seconds: float
    ) -> None:
        self.schema = schema
        self.restore_rate = restore_rate
        self.maximum = maximum
        self.initial = initial
        self.job_seconds = job_seconds
        # One lock for all shop state. The two caches below are filled outside it: an entry is a pure function of
        # its key, so two threads computing the same one at once only waste a little work, and dict get/set are
        # atomic under the GIL.
        self.lock = threading.Lock()
        self.shops: dict[str, Shop] = {}
        self.documents: dict[str, Document] = {}
        self.costs: dict[tuple[str, Any, Any], int] = {}
        self.answers: dict[str, Callable[[Shop, Json, float], Json]] = {
            "GetOrderForCancellation": self._get_order,
            "GetOrderToDecide": self._get_order,
            "GetOrderForCancellationWithProductTags": self._get_order_with_product_tags,
            "CancelOrder": self._cancel_order,
            "GetJob": self._get_job,
            "GetOrderCancelledAt": self._get_order_cancelled_at,
            "AddTags": self._add_tags,
            "ListCustomerOrders": self._no_orders,
            "ListCustomerOrdersWithProductTags": self._no_orders,
            "GetAppInstallation": self._get_app_installation,
            "SetAppMetafields": self._set_app_metafields,
            "GetFulfillmentOrders": self._get_fulfillment_orders,
            "HoldFulfillmentOrder": self._hold_fulfillment_order,
            "ReleaseFulfillmentHold": self._release_fulfillment_hold,
        }

    # -- documents and costs ---------------------------------------------------------------------------------

    def document(self, query: str) -> Document:
        document = self.documents.get(query)
        if document is None:
            document = self.documents[query] = self._parse(query)
        return document

    def _parse(self, query: str) -> Document:
        try:
            node = graphql.parse(query)
        except graphql.GraphQLError as error:
            return Document(graphql.DocumentNode(definitions=()), None, (), (_error(error),))
        errors = tuple(_error(error) for error in graphql.validate(self.schema, node))
        operation = graphql.get_operation_ast(node)
        name = operation.name.value if operation is not None and operation.name is not None else None
        keys = tuple(
            (selection.alias or selection.name).value
            for selection in (operation.selection_set.selections if operation is not None else ())
            if isinstance(selection, FieldNode)
        )
        return Document(node, name, keys, errors)

    def cost(self, query: str, document: Document, operation_name: str | None, variables: Json) -> int:
        # Only page sizes make a cost depend on variables, and the app's documents take them as $first.
        key = (query, variables.get("first"), variables.get("last"))
        cost = self.costs.get(key)
        if cost is None:
            cost = self.costs[key] = request_cost(self.schema, document.node, operation_name, variables)
        return cost

    # -- the bucket ------------------------------------------------------------------------------------------

    def _shop(self, token: str) -> Shop:
        """The token's shop, its bucket refilled by the clock (call with the lock held)."""
        now = time.monotonic()
        shop = self.shops.get(token)
        if shop is None:
            shop = self.shops[token] = Shop(available=self.initial, updated=now)
        shop.available = min(self.maximum, shop.available + (now - shop.updated) * self.restore_rate)
        shop.updated = now
        return shop

    def _cost_extension(self, shop: Shop, requested: int, actual: int | None) -> Json:
        throttle_status = {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": round(shop.available),
            "restoreRate": self.restore_rate,
        }
        return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": throttle_status}}

    # -- serving ---------------------------------------------------------------------------------------------

    def answer(self, token: str, body: Json) -> bytes:
        """The JSON answer (HTTP 200) to one GraphQL call from the shop ``token``."""
        query = body["query"]
        variables = body.get("variables") or {}
        document = self.document(query)
        operation_name = body.get("operationName") or document.operation_name
        requested = 0 if document.errors else self.cost(query, document, operation_name, variables)
        with self.lock:
            shop = self._shop(token)
            shop.requests += 1
            if document.errors:
                return _dumps({"errors": list(document.errors)})
            if requested > MAX_QUERY_COST:
                message = (
                    f"Query cost is {requested}, which exceeds the single query max cost limit ({MAX_QUERY_COST})."
                )
                extensions = {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_QUERY_COST}
                error = {"message": message, "extensions": extensions}
                return _dumps({"errors": [error], "extensions": self._cost_extension(shop, requested, None)})
            if requested > shop.available:
                shop.throttled += 1
                error = {"message": "Throttled", "extensions": {"code": "THROTTLED"}}
                return _dumps({"errors": [error], "extensions": self._cost_extension(shop, requested, None)})
            shop.available -= requested
            shop.points_spent += requested
            build = self.answers.get(operation_name or "")
            if build is not None:
                data = build(shop, variables, time.time())
            else:
                # Anything else: every root field null, a valid answer for nullable fields.
                data = dict.fromkeys(document.root_keys)
            return _dumps({"data": data, "extensions": self._cost_extension(shop, requested, requested)})

    def stats(self) -> Json:
        now = time.time()
        with self.lock:
            shops = {}
            for token in list(self.shops):
                shop = self._shop(token)
                shops[token] = {
                    "points_spent": shop.points_spent,
                    "requests": shop.requests,
                    "throttled": shop.throttled,
                    "cancellations_started": shop.cancellations_started,
                    "cancellations_completed": sum(due <= now for due in shop.cancel_due.values()),
                    "currently_available": round(shop.available, 1),
                }
            return {"shops": shops}

    def reset(self) -> None:
        with self.lock:
            self.shops.clear()

    # -- answers by operation (called with the lock held) ----------------------------------------------------

    def _get_order(self, shop: Shop, variables: Json, now: float, *, product_tags: bool = False) -> Json:
        number = _order_number(variables.get("id"))
        if number is None:
            return {"order": None}
        return {"order": _order(number, shop.cancelled_at(number, now), _iso(now), product_tags=product_tags)}

    def _get_order_with_product_tags(self, shop: Shop, variables: Json, now: float) -> Json:
        return self._get_order(shop, variables, now, product_tags=True)

    def _cancel_order(self, shop: Shop, variables: Json, now: float) -> Json:
        number = _order_number(variables.get("orderId"))
        if number is None:
            error = {"code": "NOT_FOUND", "field": ["orderId"], "message": "Order does not exist"}
            return {"orderCancel": {"job": None, "orderCancelUserErrors": [error]}}
        due = shop.cancel_due.get(number)
        if due is not None and due <= now:
            error = {"code": "INVALID", "field": ["orderId"], "message": "Order has already been cancelled"}
            return {"orderCancel": {"job": None, "orderCancelUserErrors": [error]}}
        if due is None:
            due = shop.cancel_due[number] = now + self.job_seconds
            shop.cancellations_started += 1
        # A second orderCancel while the first Job runs gets a Job of its own that finishes with the first.
        job_id = f"gid://shopify/Job/{uuid.uuid4()}"
        shop.jobs[job_id] = due
        return {"orderCancel": {"job": {"id": job_id, "done": False}, "orderCancelUserErrors": []}}

    def _get_job(self, shop: Shop, variables: Json, now: float) -> Json:
        job_id = variables.get("id")
        due = shop.jobs.get(job_id) if isinstance(job_id, str) else None
        return {"job": None if due is None else {"id": job_id, "done": due <= now}}

    def _get_order_cancelled_at(self, shop: Shop, variables: Json, now: float) -> Json:
        number = _order_number(variables.get("id"))
        if number is None:
            return {"order": None}
        return {"order": {"id": f"gid://shopify/Order/{number}", "cancelledAt": shop.cancelled_at(number, now)}}

    def _add_tags(self, shop: Shop, variables: Json, now: float) -> Json:
        node = {"id": variables["id"]} if _order_number(variables.get("id")) else None
        errors = [] if node else [{"field": ["id"], "message": "Resource not found"}]
        return {"tagsAdd": {"node": node, "userErrors": errors}}

    def _no_orders(self, shop: Shop, variables: Json, now: float) -> Json:
        return {"orders": {"nodes": []}}

    def _get_app_installation(self, shop: Shop, variables: Json, now: float) -> Json:
        return {"currentAppInstallation": {"id": APP_INSTALLATION_ID}}

    def _set_app_metafields(self, shop: Shop, variables: Json, now: float) -> Json:
        return {"metafieldsSet": {"metafields": [], "userErrors": []}}

    def _hold_fulfillment_order(self, shop: Shop, variables: Json, now: float) -> Json:
        return {"fulfillmentOrderHold": {"fulfillmentHold": None, "fulfillmentOrder": None, "userErrors": []}}

    def _release_fulfillment_hold(self, shop: Shop, variables: Json, now: float) -> Json:
        return {"fulfillmentOrderReleaseHold": {"fulfillmentOrder": None, "userErrors": []}}

    def _get_fulfillment_orders(self, shop: Shop, variables: Json, now: float) -> Json:
        number = _order_number(variables.get("id"))
        if number is None:
            return {"order": None}
        order = {"id": f"gid://shopify/Order/{number}", "createdAt": _iso(now)}
        return {"order": {**order, "cancelledAt": shop.cancelled_at(number, now), "fulfillmentOrders": {"nodes": []}}}


def _error(error: graphql.GraphQLError) -> Json:
    formatted: Json = {"message": error.message, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
    if error.locations:
        formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    return formatted


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    admin: BucketedAdmin  # set before serving

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and delayed ACKs add
        # ~40 ms to every call on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/stats":
            self._send(200, _dumps(self.admin.stats()))
        else:
            self._send(404, b'{"errors":"Not Found"}')

    def do_POST(self) -> None:  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/reset":
            self.admin.reset()
            self._send(200, b'{"reset":true}')
            return
        if not (self.path.startswith("/admin/api/") and self.path.endswith("/graphql.json")):
            self._send(404, b'{"errors":"Not Found"}')
            return
        token = self.headers.get("X-Shopify-Access-Token")
        if not token:
            self._send(401, INVALID_TOKEN)
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            self._send(400, b'{"errors":{"query":"Required parameter missing or invalid"}}')
            return
        if not isinstance(body.get("variables") or {}, dict):
            self._send(400, b'{"errors":{"query":"Required parameter missing or invalid"}}')
            return
        self._send(200, self.admin.answer(token, body))

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bucketed_admin", description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--restore-rate", type=float, required=True, help="points a second each shop's bucket refills")
    parser.add_argument("--maximum", type=float, default=1000.0, help="each bucket's maximumAvailable (1000)")
    parser.add_argument("--initial", type=float, default=None, help="points each bucket starts with (the maximum)")
    parser.add_argument("--job-seconds", type=float, default=0.2, help="how long orderCancel's Job runs (0.2)")
    args = parser.parse_args(argv)
    # The schema takes seconds to build: build it before listening, so an open port means ready.
    Handler.admin = BucketedAdmin(
        load_admin_schema(),
        restore_rate=args.restore_rate,
        maximum=args.maximum,
        initial=args.maximum if args.initial is None else args.initial,
        job_seconds=args.job_seconds,
    )
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"bucketed_admin listening on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
