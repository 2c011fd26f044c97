"""What the storefront read is measured against, served exactly as the app is (the Procfile's gunicorn).

- ``bare()``: Flask answering a fixed JSON object: the ceiling of any Flask endpoint on this server.
- ``floor()``: the least any order read must do: one ``requests`` POST to the Admin API (``ADMIN_URL``) and one
  Redis pipeline (``REDIS_URL``), then a JSON answer. A read that goes to Shopify cannot be cheaper than this.
- ``one_round_trip()``: the floor without the Admin API call: one Redis pipeline, then a JSON answer. A cached
  read must still ask Redis (the shopper's rate limit, the policy, the order and its request), so this is the
  ceiling of a cached read on this server.
"""

from __future__ import annotations

import os
import threading

import redis
import requests
from flask import Flask, jsonify

QUERY = '{"query": "query { order(id: \\"gid://shopify/Order/5001\\") { id } }"}'


def bare() -> Flask:
    app = Flask(__name__)

    @app.get("/proxy/orders/<order_id>")
    def order(order_id: str):  # type: ignore[no-untyped-def]
        return jsonify({"order_id": order_id, "eligible": True})

    return app


def one_round_trip() -> Flask:
    app = Flask(__name__)
    connection = redis.Redis.from_url(os.environ["REDIS_URL"])

    @app.get("/proxy/orders/<order_id>")
    def order(order_id: str):  # type: ignore[no-untyped-def]
        return jsonify({"order_id": order_id, "eligible": True, "name": _pipeline(connection, order_id)})

    return app


def _pipeline(connection: redis.Redis, order_id: str) -> str:
    with connection.pipeline(transaction=False) as pipe:
        pipe.incr(f"floor:{order_id}")
        pipe.get(f"floor:policy:{order_id}")
        pipe.get(f"floor:request:{order_id}")
        pipe.execute()
    return "#1001"


def floor() -> Flask:
    app = Flask(__name__)
    connection = redis.Redis.from_url(os.environ["REDIS_URL"])
    admin_url = os.environ["ADMIN_URL"]
    local = threading.local()

    @app.get("/proxy/orders/<order_id>")
    def order(order_id: str):  # type: ignore[no-untyped-def]
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.trust_env = False
        answer = session.post(admin_url, data=QUERY, headers={"Content-Type": "application/json"}, timeout=10)
        _pipeline(connection, order_id)
        return jsonify({"order_id": order_id, "eligible": True, "name": answer.json()["data"]["order"]["name"]})

    return app
