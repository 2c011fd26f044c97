"""A fixed-answer Admin API endpoint for benchmarks: every call gets the same order, as fast as possible.

    python -m benchmarks.canned_admin PORT [--versioned]

It isolates the app's own cost from the devshop's (which executes every call on Shopify's full schema in
Python and is the slower of the two). Benchmarks only; tests use the devshop.
"""

from __future__ import annotations

import json
import socket
import sys
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ORDER = {
    "id": "gid://shopify/Order/5001",
    "legacyResourceId": "5001",
    "name": "#1001",
    "createdAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "cancelledAt": None,
    "cancelReason": None,
    "closed": False,
    "test": False,
    "displayFinancialStatus": "PAID",
    "displayFulfillmentStatus": "UNFULFILLED",
    "customer": {"id": "gid://shopify/Customer/1001"},
    "tags": [],
    "totalPriceSet": {"shopMoney": {"amount": "42.50", "currencyCode": "EUR"}},
    "fulfillments": [],
    "lineItems": {"nodes": [{"name": "Sencha, 100 g", "quantity": 2}]},
}
# Shopify reports its cost bucket with every answer; this one never runs dry (the app paces its calls by it).
COST = {
    "cost": {
        "requestedQueryCost": 30,
        "actualQueryCost": 30,
        "throttleStatus": {"maximumAvailable": 1e12, "currentlyAvailable": 1e12, "restoreRate": 1e9},
    }
}
BODY = json.dumps({"data": {"order": ORDER}, "extensions": COST}).encode()
# With ``--versioned`` the order carries ``updatedAt``, so the app keeps what it read (order_facts/).
VERSIONED_BODY = json.dumps(
    {"data": {"order": {**ORDER, "updatedAt": ORDER["createdAt"]}}, "extensions": COST}
).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = BODY

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and delayed ACKs add
        # ~40 ms to every call on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    if "--versioned" in sys.argv:
        Handler.body = VERSIONED_BODY
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
