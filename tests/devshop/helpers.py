"""What the devshop's tests share: a settable clock, the app's credentials, and GraphQL calls to the devshop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

OPERATIONS = Path(__file__).resolve().parents[2] / "storefront_proxy" / "shopify" / "operations"


APP_URL = "https://app.example.test"


SECRET = "devshop-test-secret"


TOKEN = "shpat_devshop_local_token_0000000000"


ENDPOINT = "/admin/api/2026-10/graphql.json"


HEADERS = {"X-Shopify-Access-Token": TOKEN}


START = 1_800_000_000.0


class Clock:
    """A settable clock for the devshop."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def document(file_name: str) -> str:
    from storefront_proxy.shopify.client import load_operation

    return load_operation(file_name.removesuffix(".graphql"))


GET_ORDER = document("get_order.graphql")


GET_ORDER_WITH_PRODUCT_TAGS = document("get_order_with_product_tags.graphql")


LIST_ORDERS = document("list_customer_orders.graphql")


CANCEL_ORDER = document("cancel_order.graphql")


GET_JOB = document("get_job.graphql")


ADD_TAGS = document("add_tags.graphql")


def gql(
    client: FlaskClient, query: str, variables: dict[str, Any] | None = None, *, token: str = TOKEN
) -> tuple[int, Any]:
    """POST a document the way the gql library does; return (status, JSON or text)."""
    response = client.post(
        ENDPOINT,
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": token},
    )
    return response.status_code, response.get_json(silent=True) if response.is_json else response.get_data(as_text=True)


def cancel(client: FlaskClient, legacy_id: int, **extra: Any) -> dict[str, Any]:
    variables = {"orderId": f"gid://shopify/Order/{legacy_id}", "reason": "CUSTOMER", "restock": True, **extra}
    status, body = gql(client, CANCEL_ORDER, variables)
    assert status == 200, body
    return body
