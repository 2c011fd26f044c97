"""Test helpers: signing proxy requests as Shopify does, and canned Admin API payloads."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import jwt

from devshop.signing import sign_proxy_query

SHOP = "teashop.myshopify.com"
TOKEN = "shpat_test_token_0123456789abcdef"
API_SECRET = "test-api-secret-that-is-long-enough-for-hmac-sha256"
API_KEY = "test-api-key"
CUSTOMER = 7001
OTHER_CUSTOMER = 7002
OTHER_SHOP = "othershop.myshopify.com"


def app_settings(redis_url: str, **overrides: object):  # type: ignore[no-untyped-def]
    """The Settings the unit tests run the app with: the test shop, Shopify at https://admin.test."""
    from storefront_proxy.settings import Settings

    values = {
        "APP_ENV": "test",
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET,
        "REDIS_URL": redis_url,
        "SHOPIFY_SHOP": SHOP,
        "SHOPIFY_ACCESS_TOKEN": TOKEN,
        "SHOPIFY_ADMIN_ORIGIN": "https://admin.test",
        **overrides,
    }
    return Settings(**values, _env_file=None)


def signed_query(
    shop: str = SHOP,
    customer: int | str | None = CUSTOMER,
    *,
    secret: str = API_SECRET,
    timestamp: int | None = None,
    path_prefix: str = "/apps/self-service",
    extra: list[tuple[str, str]] | None = None,
) -> str:
    """The query string Shopify's app proxy appends, signed with ``secret``."""
    params: list[tuple[str, str]] = list(extra or [])
    params += [
        ("shop", shop),
        ("logged_in_customer_id", "" if customer is None else str(customer)),
        ("path_prefix", path_prefix),
        ("timestamp", str(int(time.time()) if timestamp is None else timestamp)),
    ]
    params.append(("signature", sign_proxy_query(params, secret)))
    return urlencode(params)


def admin_order(
    order_id: int = 5001,
    *,
    customer: int | None = CUSTOMER,
    age: timedelta = timedelta(minutes=5),
    now: datetime | None = None,
    fulfillment: str = "UNFULFILLED",
    financial: str = "PAID",
    cancelled_at: str | None = None,
    closed: bool = False,
    tags: list[str] | None = None,
    fulfillments: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """An Order as the Admin API returns it for the OrderForCancellation fragment."""
    created = (now or datetime.now(UTC)) - age
    return {
        "id": f"gid://shopify/Order/{order_id}",
        "legacyResourceId": str(order_id),
        "name": f"#{order_id - 4000}",
        "createdAt": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cancelledAt": cancelled_at,
        "cancelReason": "CUSTOMER" if cancelled_at else None,
        "closed": closed,
        "test": False,
        "displayFinancialStatus": financial,
        "displayFulfillmentStatus": fulfillment,
        "customer": {"id": f"gid://shopify/Customer/{customer}"} if customer else None,
        "tags": tags or [],
        "totalPriceSet": {"shopMoney": {"amount": "42.50", "currencyCode": "EUR"}},
        "fulfillments": fulfillments or [],
        "lineItems": {"nodes": [{"name": "Sencha, 100 g", "quantity": 2}]},
    }


def throttle_status(available: float = 1000.0, requested: int = 80, restore_rate: float = 50.0) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": requested,
            "throttleStatus": {
                "maximumAvailable": 1000.0,
                "currentlyAvailable": available,
                "restoreRate": restore_rate,
            },
        }
    }


ADMIN_URL = "https://admin.test/admin/api/2026-10/graphql.json"


class FakeAdmin:
    """A ``responses`` callback answering the app's Admin API operations from a dict of orders.

    For HTTP-level unit tests; the integration tests use the devshop, which executes on Shopify's schema.
    """

    def __init__(self, orders: list[dict[str, Any]] | None = None) -> None:
        self.orders = {int(o["legacyResourceId"]): o for o in orders or []}
        # Products (by GID) with their variants, as GetVariantOptions answers them.
        self.products: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @staticmethod
    def operation(query: str) -> str:
        for name in (
            "GetOrderForCancellation",
            "GetOrderToDecide",
            "ListCustomerOrders",
            "CancelOrder",
            "GetJob",
            "GetVariantOptions",
        ):
            if name in query:
                return name
        raise AssertionError(f"unexpected document: {query[:80]}")

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        import json

        body = json.loads(request.body)
        name = self.operation(body["query"])
        variables = body.get("variables") or {}
        self.calls.append((name, variables))
        assert request.headers["X-Shopify-Access-Token"] == TOKEN
        if name in ("GetOrderForCancellation", "GetOrderToDecide"):
            order_id = int(variables["id"].rsplit("/", 1)[1])
            data: dict[str, Any] = {"order": self.orders.get(order_id)}
        elif name == "ListCustomerOrders":
            customer = variables["query"].split(":", 1)[1]
            nodes = [o for o in self.orders.values() if o["customer"] and o["customer"]["id"].endswith(f"/{customer}")]
            data = {"orders": {"nodes": nodes}}
        elif name == "GetVariantOptions":
            data = {"nodes": [self.products.get(product_id) for product_id in variables["ids"]]}
        else:
            raise AssertionError(f"{name} is not expected in this test")
        # A bucket that never runs dry: these tests are about answers, not pacing (tests/cost_bucket/).
        extensions = throttle_status(requested=30, restore_rate=1e6)
        return 200, {"Content-Type": "application/json"}, json.dumps({"data": data, "extensions": extensions})

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def session_token(shop: str = SHOP, *, secret: str = API_SECRET, aud: str = API_KEY, **overrides: Any) -> str:
    """A session token as App Bridge issues it (HS256 with the app secret); a claim overridden with None is left out."""
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": aud,
        "sub": "42",
        "exp": now + 60,
        "nbf": now - 5,
        "iat": now - 5,
        "jti": str(uuid.uuid4()),
        "sid": "session-1",
        **overrides,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")


def auth(token: str | None = None, **claims: Any) -> dict[str, str]:
    """The admin's Authorization header with a session token."""
    return {"Authorization": f"Bearer {token or session_token(**claims)}"}


def webhook_hmac(body: bytes, secret: str = API_SECRET) -> str:
    """``X-Shopify-Hmac-Sha256`` as Shopify computes it for a webhook body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def customer_account_token(
    shop: str = SHOP, customer: int | None = CUSTOMER, *, secret: str = API_SECRET, aud: str = API_KEY, **overrides: Any
) -> str:
    """A customer-account extension's session token as ``shopify.sessionToken.get()`` gives it: ``sub`` is the
    signed-in customer's GID (None leaves it out); a claim overridden with None is left out."""
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": aud,
        "sub": f"gid://shopify/Customer/{customer}" if customer is not None else None,
        "exp": now + 60,
        "nbf": now - 5,
        "iat": now - 5,
        "jti": str(uuid.uuid4()),
        **overrides,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")
