"""The devshop's stand-in for new customer accounts: its pages, the extension's sandbox and its session tokens."""

from __future__ import annotations

import jwt
import pytest
from flask import Flask

from devshop.app import create_devshop
from devshop.state import DEMO_CUSTOMER_ID
from tests.devshop.helpers import APP_URL, SECRET

API_KEY = "devshop-test-key"


@pytest.fixture
def app() -> Flask:
    return create_devshop(app_url=APP_URL, api_secret=SECRET, api_key=API_KEY)


def test_the_session_token_is_signed_like_shopifys_with_the_signed_in_customer(client, state):
    anonymous = jwt.decode(
        client.post("/customer-accounts/session-token").get_json()["token"],
        SECRET,
        algorithms=["HS256"],
        audience=API_KEY,
    )
    assert "sub" not in anonymous and anonymous["dest"] == f"https://{state.shop_domain}"
    client.get(f"/login/{DEMO_CUSTOMER_ID}")
    claims = jwt.decode(
        client.post("/customer-accounts/session-token").get_json()["token"],
        SECRET,
        algorithms=["HS256"],
        audience=API_KEY,
    )
    assert claims["sub"] == f"gid://shopify/Customer/{DEMO_CUSTOMER_ID}"
    assert 0 < claims["exp"] - claims["nbf"] <= 300


def test_the_pages_need_a_signed_in_customer_and_show_only_their_orders(client, state):
    assert client.get("/account/new/orders").status_code == 302
    client.get(f"/login/{DEMO_CUSTOMER_ID}")
    index = client.get("/account/new/orders").get_data(as_text=True)
    mine = [o for o in state.list_orders() if o.customer_id == DEMO_CUSTOMER_ID]
    others = [o for o in state.list_orders() if o.customer_id != DEMO_CUSTOMER_ID]
    assert mine and others
    assert all(f"order={o.legacy_id}&amp;" in index for o in mine)
    assert not any(f"order={o.legacy_id}&amp;" in index for o in others)
    assert client.get(f"/account/new/orders/{others[0].legacy_id}").status_code == 404
    status = client.get(f"/account/new/orders/{mine[0].legacy_id}").get_data(as_text=True)
    assert "target=menu" in status and "target=block" in status


def test_the_sandbox_gives_the_extension_its_target_order_strings_and_the_local_app(client):
    page = client.get("/customer-accounts/frame?target=action&order=5001&locale=fi").get_data(as_text=True)
    assert '"target": "customer-account.order.action.render"' in page
    assert '"orderGid": "gid://shopify/Order/5001"' in page and '"locale": "fi"' in page
    assert '"menu.cancel": "Peruuta tilaus"' in page
    assert f'"appUrl": "{APP_URL.rstrip("/")}"' in page and '"publicAppUrl": "https://self-service.example.app"' in page
    assert client.get("/customer-accounts/frame?target=nope&order=5001").status_code == 400
    assert client.get("/customer-accounts/frame?target=menu&order=x").status_code == 400
