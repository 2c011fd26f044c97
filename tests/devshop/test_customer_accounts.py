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


def test_the_order_page_hosts_the_full_page_edit_extension_for_the_customers_own_orders(client, state):
    path = "/account/new/orders/5008/extensions/self-service-order-edit"
    assert client.get(path).status_code == 302  # nobody signed in
    client.get(f"/login/{DEMO_CUSTOMER_ID}")
    page = client.get(f"{path}?locale=nl").get_data(as_text=True)
    assert "target=page&amp;order=5008&amp;locale=nl&amp;frame=page-5008" in page
    assert client.get("/account/new/orders/5008/extensions/another-extension").status_code == 404
    others = next(o for o in state.list_orders() if o.customer_id != DEMO_CUSTOMER_ID)
    assert client.get(f"/account/new/orders/{others.legacy_id}/extensions/self-service-order-edit").status_code == 404


def test_the_full_page_target_runs_the_edit_extensions_bundle_with_its_own_strings(client):
    page = client.get("/customer-accounts/frame?target=page&order=5008&locale=sv").get_data(as_text=True)
    assert '"target": "customer-account.order.page.render"' in page
    assert '"items.heading": "' in page and '"menu.cancel"' not in page
    assert '"review.confirm": "Bekr' in page  # sv: "Bekräfta ändringarna"
    assert 'src="/customer-accounts/extensions/self-service-order-edit.js"' in page
    # Where Shopify's links lead here (customer_accounts_host.js maps extension: and shopify: links with these).
    assert '"fullPageUrl": "/account/new/orders/{order}/extensions/{handle}"' in page
    assert '"orderPageUrl": "/account/new/orders/{order}"' in page
    menu = client.get("/customer-accounts/frame?target=menu&order=5008").get_data(as_text=True)
    assert 'src="/customer-accounts/extensions/self-service-cancellation.js"' in menu
    assert client.get("/customer-accounts/extensions/unknown.js").status_code == 404


def test_the_extensions_are_rebuilt_when_a_source_of_either_changed(tmp_path, monkeypatch):
    """The edit page's bundle is stale when its own sources or the shared ones of the first extension changed."""
    import os

    from devshop import launch

    first, page = tmp_path / "customer_account_extension", tmp_path / "customer_account_edit_extension"
    for folder in (first, page):
        (folder / "src").mkdir(parents=True)
        (folder / "locales").mkdir()
        (folder / "dist").mkdir()
        (folder / "src" / "a.jsx").write_text("x")
        (folder / "shopify.extension.toml").write_text("")
    bundles = {first / "dist" / "a.js": (first,), page / "dist" / "b.js": (page, first)}
    monkeypatch.setattr(launch, "EXTENSION_BUNDLES", bundles)

    def touch(path, when):
        path.write_text(path.read_text() if path.exists() else "built")
        os.utime(path, (when, when))

    for path in [*first.rglob("*.*"), *page.rglob("*.*")]:
        os.utime(path, (1000, 1000))
    assert not launch.extensions_built()  # no bundles yet
    for bundle in bundles:
        touch(bundle, 2000)
    assert launch.extensions_built()
    touch(page / "locales" / "de.json", 3000)
    assert not launch.extensions_built()
    touch(page / "dist" / "b.js", 4000)
    assert launch.extensions_built()
    touch(first / "src" / "a.jsx", 5000)  # shared by both: both stale
    touch(first / "dist" / "a.js", 6000)
    assert not launch.extensions_built()
