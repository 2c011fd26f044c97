"""The theme app extension: locales complete and used, size budget, and the real blocks rendered by the devshop."""

from __future__ import annotations

import json
import re
from html import escape  # what Shopify's t filter does to translations without _html
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from liquid.exceptions import UndefinedError

from devshop.app import create_devshop
from devshop.state import DevshopState
from devshop.storefront import LOCALES, block_schema, render_block

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "theme_extension"
BLOCKS = sorted((EXTENSION / "blocks").glob("*.liquid"))
SNIPPETS = sorted((EXTENSION / "snippets").glob("*.liquid"))
LANGUAGES = [code for code in LOCALES if code != "en"]
DEFAULT_PROXY_PATH = "/apps/self-service"
TOKEN = "shpat_devshop_local_token_0000000000"
ADA = 1001
GRACE = 1002
SET_METAFIELDS = """
mutation SetAppMetafields($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id namespace key value }
    userErrors { field message code }
  }
}
"""


def locale_path(code: str, *, schema: bool) -> Path:
    name = "en.default" if code == "en" else code
    return EXTENSION / "locales" / f"{name}{'.schema' if schema else ''}.json"


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def keys(code: str, *, schema: bool) -> dict[str, str]:
    return flatten(json.loads(locale_path(code, schema=schema).read_text(encoding="utf-8")))


def liquid_sources() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in BLOCKS + SNIPPETS)


def schema_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in schema_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in schema_strings(item)]
    return [value] if isinstance(value, str) else []


@pytest.fixture(scope="module")
def app() -> Flask:
    app = create_devshop(app_url="http://127.0.0.1:9", api_secret="theme-test-secret")
    app.config["TESTING"] = True
    return app


@pytest.fixture
def state(app: Flask) -> DevshopState:
    state = app.extensions["devshop"]
    state.reset()
    app.config.pop("DEVSHOP_BLOCK_SETTINGS", None)
    return state


@pytest.fixture
def client(app: Flask, state: DevshopState) -> FlaskClient:
    client = app.test_client()
    client.get(f"/login/{ADA}")
    return client


def order_id(state: DevshopState, name: str) -> int:
    return next(order.legacy_id for order in state.list_orders() if order.name == name)


def set_metafield(client: FlaskClient, value: str, owner: str = "gid://shopify/AppInstallation/1") -> dict[str, Any]:
    """metafieldsSet through the devshop's Admin API, as the app does."""
    installation = client.post(
        "/admin/api/2026-10/graphql.json",
        json={"query": "query CurrentInstallation { currentAppInstallation { id } }"},
        headers={"X-Shopify-Access-Token": TOKEN},
    ).get_json()
    assert installation["data"]["currentAppInstallation"]["id"] == "gid://shopify/AppInstallation/1"
    metafield = {
        "ownerId": owner,
        "namespace": "self_service",
        "key": "proxy_path",
        "type": "single_line_text_field",
        "value": value,
    }
    response = client.post(
        "/admin/api/2026-10/graphql.json",
        json={"query": SET_METAFIELDS, "variables": {"metafields": [metafield]}},
        headers={"X-Shopify-Access-Token": TOKEN},
    )
    return response.get_json()["data"]["metafieldsSet"]


# -- files and locales ----------------------------------------------------------------------------------------------


def test_extension_is_laid_out_like_a_cli_extension():
    assert (EXTENSION / "shopify.extension.toml").read_text().count('type = "theme"') == 1
    assert {path.stem for path in BLOCKS} == {"order_cancel", "manage_orders"}
    allowed = {"assets", "blocks", "snippets", "locales"}
    assert {path.name for path in EXTENSION.iterdir() if path.is_dir()} <= allowed


@pytest.mark.parametrize("path", sorted((EXTENSION / "locales").glob("*.json")), ids=lambda p: p.name)
def test_locale_files_are_plain_json(path: Path):
    text = path.read_text(encoding="utf-8")
    json.loads(text)  # no comments, no trailing commas
    assert not re.search(r"^\s*(//|/\*)", text, re.MULTILINE)
    assert len(text.encode()) <= 15_000  # Shopify's per-file limit


@pytest.mark.parametrize("block", BLOCKS, ids=lambda p: p.stem)
def test_block_schema_is_plain_json_and_targets_a_section(block: Path):
    schema = block_schema(block.read_text(encoding="utf-8"))
    assert schema["target"] == "section"
    assert "templates" not in schema  # deprecated in favour of enabled_on
    assert schema["javascript"] == "self-service.js" and schema["stylesheet"] == "self-service.css"


def test_order_block_is_enabled_on_the_customer_order_page_only():
    schema = block_schema((EXTENSION / "blocks" / "order_cancel.liquid").read_text())
    assert schema["enabled_on"] == {"templates": ["customers/order"]}
    assert "enabled_on" not in block_schema((EXTENSION / "blocks" / "manage_orders.liquid").read_text())


@pytest.mark.parametrize("schema", [False, True], ids=["storefront", "schema"])
@pytest.mark.parametrize("code", LANGUAGES)
def test_every_language_has_exactly_the_default_keys(code: str, schema: bool):
    default = keys("en", schema=schema)
    translated = keys(code, schema=schema)
    assert sorted(set(default) - set(translated)) == [], "missing"
    assert sorted(set(translated) - set(default)) == [], "not in en.default"
    assert all(value.strip() for value in translated.values())
    # Placeholders survive translation.
    for key, text in default.items():
        assert set(re.findall(r"{{\s*\w+\s*}}", text)) == set(re.findall(r"{{\s*\w+\s*}}", translated[key])), key


def test_every_storefront_key_is_used_by_a_block():
    used = set(re.findall(r"'([a-z_.]+)'\s*\|\s*t\b", liquid_sources()))
    assert sorted(set(keys("en", schema=False)) - used) == [], "unused"
    assert sorted(used - set(keys("en", schema=False))) == [], "missing from en.default.json"


def test_every_schema_key_is_used_and_every_t_reference_resolves():
    references = {
        s[2:] for block in BLOCKS for s in schema_strings(block_schema(block.read_text())) if s.startswith("t:")
    }
    for code in LOCALES:
        assert sorted(references - set(keys(code, schema=True))) == [], code
    assert sorted(set(keys("en", schema=True)) - references) == [], "unused"


def test_address_forms_follow_each_markets_web_shop_norm():
    """Formal in German and French, informal elsewhere; never both in one language."""
    text = {code: " ".join(keys(code, schema=False).values()) for code in LOCALES}
    assert re.search(r"\bSie\b", text["de"]) and not re.search(r"\b(du|dein\w*)\b", text["de"], re.IGNORECASE)
    assert re.search(r"\bvous\b", text["fr"]) and not re.search(r"\b(tu|ton|ta|tes)\b", text["fr"])
    assert re.search(r"\bje\b", text["nl"]) and not re.search(r"\b(u|uw)\b", text["nl"])
    assert re.search(r"\btu\b", text["es"]) and not re.search(r"\b(usted|su cuenta)\b", text["es"])
    assert re.search(r"\bdu\b", text["sv"]) and not re.search(r"\bni\b", text["sv"])
    assert re.search(r"\bdu\b", text["da"]) and not re.search(r"\bDe\b", text["da"])


# -- assets ---------------------------------------------------------------------------------------------------------


def test_block_assets_stay_within_budget():
    """Shopify suggests at most 10 KB of compressed JavaScript for a theme app extension (SHOPIFY-PLATFORM.md); ours
    stays at half that compressed and under 12 KB as sent uncompressed, for every storefront page it is on."""
    import gzip

    files = {block_schema(block.read_text())[kind] for block in BLOCKS for kind in ("javascript", "stylesheet")}
    sources = b"".join((EXTENSION / "assets" / name).read_bytes() for name in sorted(files))
    assert len(sources) < 12_000, f"{len(sources)} bytes"
    assert len(gzip.compress(sources, 9)) < 5_000, f"{len(gzip.compress(sources, 9))} bytes compressed"


def test_script_is_a_plain_web_component_without_console_or_dependencies():
    script = (EXTENSION / "assets" / "self-service.js").read_text()
    assert "customElements.define('self-service-order'" in script
    assert "customElements.define('self-service-orders'" in script
    assert "console." not in script and "import " not in script and "require(" not in script
    assert "credentials: 'same-origin'" in script
    assert max(len(line) for line in script.splitlines()) <= 140  # readable, not minified


# -- the proxy path -------------------------------------------------------------------------------------------------


def test_no_block_hard_codes_the_proxy_path_except_as_the_last_resort_default():
    resolution = re.compile(r"{%- comment -%}\n  proxy_path:.*?{%- endcomment -%}\n{%- liquid\n.*?\n-%}\n", re.DOTALL)
    parts = []
    for block in BLOCKS:
        source = block.read_text()
        match = resolution.search(source)
        assert match, f"{block.name} lacks the proxy path resolution"
        parts.append(match.group(0))
        assert DEFAULT_PROXY_PATH not in source.replace(match.group(0), "")
        # The sources in order of precedence, each once: the app's metafield, the block setting, the default.
        sources = [
            "app.metafields.self_service.proxy_path.value",
            "block.settings.proxy_path",
            f"'{DEFAULT_PROXY_PATH}'",
        ]
        assert [match.group(0).count(source) for source in sources] == [1, 1, 1]
        assert sorted(sources, key=match.group(0).index) == sources
    assert len(set(parts)) == 1, "the blocks resolve the proxy path differently"


def test_links_use_the_app_data_metafield_when_set(client: FlaskClient, state: DevshopState):
    result = set_metafield(client, "/tools/order-help")
    assert result["userErrors"] == [] and result["metafields"][0]["value"] == "/tools/order-help"
    order = order_id(state, "#1001")
    page = client.get(f"/account/orders/{order}?locale=nl").get_data(as_text=True)
    assert f'href="/tools/order-help/orders/{order}?locale=nl"' in page
    orders = client.get("/pages/manage-orders").get_data(as_text=True)
    assert 'href="/tools/order-help/orders?locale=nl"' in orders
    assert 'data-proxy-path="/tools/order-help"' in orders


def test_links_use_the_block_setting_when_the_metafield_is_absent(app: Flask, client: FlaskClient, state: DevshopState):
    app.config["DEVSHOP_BLOCK_SETTINGS"] = {"proxy_path": "community/help/"}  # normalised: leading, no trailing /
    order = order_id(state, "#1001")
    assert f'href="/community/help/orders/{order}?locale=en"' in client.get(f"/account/orders/{order}").text
    set_metafield(client, "/a/renamed")
    assert f'href="/a/renamed/orders/{order}?locale=en"' in client.get(f"/account/orders/{order}").text


@pytest.mark.parametrize(
    ("metafield", "setting", "expected"),
    [
        ("//evil.example", None, "/evil.example"),  # never a protocol-relative link to another site
        ("///a//b/", None, "/a/b"),
        ("https://evil.example/x", "/community/help", "/community/help"),  # unusable: the next source
        ("/\\evil.example", "\\\\evil.example", DEFAULT_PROXY_PATH),
        ("/apps/a b", "//", DEFAULT_PROXY_PATH),
        (None, "/tools/x?y=1#z", DEFAULT_PROXY_PATH),
    ],
)
def test_unsafe_proxy_paths_are_collapsed_or_skipped(
    app: Flask, client: FlaskClient, state: DevshopState, metafield: str | None, setting: str | None, expected: str
):
    if setting is not None:
        app.config["DEVSHOP_BLOCK_SETTINGS"] = {"proxy_path": setting}
    if metafield is not None:
        assert set_metafield(client, metafield)["userErrors"] == []
    order = order_id(state, "#1001")
    assert f'href="{expected}/orders/{order}?locale=en"' in client.get(f"/account/orders/{order}").text
    orders = client.get("/pages/manage-orders").text
    assert f'href="{expected}/orders?locale=en"' in orders and f'data-proxy-path="{expected}"' in orders


def test_links_fall_back_to_the_configured_subpath(client: FlaskClient, state: DevshopState):
    order = order_id(state, "#1001")
    assert f'href="{DEFAULT_PROXY_PATH}/orders/{order}?locale=en"' in client.get(f"/account/orders/{order}").text


def test_metafields_set_refuses_other_owners_and_bad_values(client: FlaskClient, state: DevshopState):
    errors = set_metafield(client, "/x", owner="gid://shopify/Shop/1")["userErrors"]
    assert errors == [{"field": ["metafields", "0", "ownerId"], "message": "Owner does not exist.", "code": "INVALID"}]
    assert set_metafield(client, "two\nlines")["userErrors"][0]["code"] == "INVALID_VALUE"
    assert state.list_app_metafields() == []


# -- rendering in the devshop ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", LOCALES)
def test_order_block_renders_in_every_language(client: FlaskClient, state: DevshopState, code: str):
    strings = keys(code, schema=False)
    response = client.get(f"/account/orders/{order_id(state, '#1001')}?locale={code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{code}">' in page
    assert "translation missing" not in page
    assert "<self-service-order" in page and 'aria-live="polite"' in page
    for key in ("self_service.order_cancel.heading", "self_service.order_cancel.intro", "self_service.eligible.open"):
        assert escape(strings[key]) in page, key
    assert escape(strings["self_service.eligible.time_left"].replace("{{ time }}", "[time]")) in page
    assert "{% schema %}" not in page and '"target": "section"' not in page


@pytest.mark.parametrize("code", LOCALES)
def test_manage_orders_block_renders_in_every_language(client: FlaskClient, state: DevshopState, code: str):
    strings = keys(code, schema=False)
    page = client.get(f"/pages/manage-orders?locale={code}").get_data(as_text=True)
    assert "translation missing" not in page and "<self-service-orders" in page
    assert escape(strings["self_service.manage_orders.heading"]) in page
    assert escape(strings["self_service.manage_orders.loading"]) in page
    client.get("/logout")
    anonymous = client.get(f"/pages/manage-orders?locale={code}").get_data(as_text=True)
    assert escape(strings["self_service.manage_orders.login_required"]) in anonymous
    assert "<template data-self-service-strings>" not in anonymous


@pytest.mark.parametrize("code", LOCALES)
def test_order_block_has_a_change_link_the_script_shows_for_an_editable_order(
    client: FlaskClient, state: DevshopState, code: str
):
    """The app's page has the change sections; the block links to them, hidden until the answer says `editable`
    (without script the details link leads to the same page), with until when and an open edit's status."""
    strings = keys(code, schema=False)
    order = order_id(state, "#1001")
    page = client.get(f"/account/orders/{order}?locale={code}").get_data(as_text=True)
    href = f"{DEFAULT_PROXY_PATH}/orders/{order}?locale={code}#ssc-edit-items"
    label = escape(strings["self_service.actions.edit"])
    assert f'<a class="ssb__button" href="{href}" data-edit-link hidden>{label}</a>' in page
    assert '<p class="ssb__edit" role="status" data-edit></p>' in page
    until = escape(strings["self_service.edit.until"].replace("{{ date }}", "[date]"))
    assert f'<span data-key="edit.until">{until}</span>' in page
    assert f'<span data-key="edit.until_shipping">{escape(strings["self_service.edit.until_shipping"])}</span>' in page
    for status in ("pending_review", "queued", "processing"):
        text = escape(strings[f"self_service.edit_status.{status}"])
        assert f'<span data-key="edit.{status}">{text}</span>' in page, status
    # The list shows the same edit part in each order's status.
    orders = client.get(f"/pages/manage-orders?locale={code}").get_data(as_text=True)
    assert f'<span data-key="edit.until">{until}</span>' in orders


def test_the_change_link_label_is_a_block_setting(app: Flask, client: FlaskClient, state: DevshopState):
    app.config["DEVSHOP_BLOCK_SETTINGS"] = {"edit_label": "Swap a size <now>"}
    page = client.get(f"/account/orders/{order_id(state, '#1001')}").get_data(as_text=True)
    assert "data-edit-link hidden>Swap a size &lt;now&gt;</a>" in page


def test_script_shows_the_change_link_only_for_an_editable_order_and_follows_an_open_edit():
    script = (EXTENSION / "assets" / "self-service.js").read_text()
    assert ".hidden = !this.order.editable" in script
    assert "edit_deadline" in script and "`edit.${edit.status}`" in script
    # An open edit's status is polled as a request's is (POLL_STATUSES with back-off).
    assert "POLL_STATUSES.includes(edit?.status)" in script


def test_assets_are_included_once_per_page_as_shopify_does(client: FlaskClient, state: DevshopState):
    page = client.get(f"/account/orders/{order_id(state, '#1001')}").get_data(as_text=True)
    assert page.count('<script src="/cdn/extension-assets/self-service.js" defer></script>') == 1
    assert page.count('<link rel="stylesheet" href="/cdn/extension-assets/self-service.css">') == 1
    asset = client.get("/cdn/extension-assets/self-service.js")
    assert asset.status_code == 200 and "javascript" in asset.content_type


def test_locale_is_remembered_in_a_cookie(client: FlaskClient, state: DevshopState):
    client.get("/pages/manage-orders?locale=fi")
    assert client.get_cookie("devshop_locale").value == "fi"
    assert '<html lang="fi">' in client.get(f"/account/orders/{order_id(state, '#1001')}").text
    assert '<html lang="fi">' in client.get("/pages/manage-orders?locale=xx-nope").text  # unknown: ignored
    assert '<html lang="en">' in client.get("/pages/manage-orders?locale=en").text


def test_order_page_needs_login_and_hides_other_customers_orders(client: FlaskClient, state: DevshopState):
    assert client.get(f"/account/orders/{order_id(state, '#1007')}").status_code == 404  # Grace's
    assert client.get("/account/orders/999999").status_code == 404
    client.get("/logout")
    assert client.get(f"/account/orders/{order_id(state, '#1001')}").status_code == 302


def test_home_page_links_to_the_shop_pages(client: FlaskClient, state: DevshopState):
    home = client.get("/").get_data(as_text=True)
    assert f'href="/account/orders/{order_id(state, "#1001")}">View in the shop' in home
    assert 'href="/pages/manage-orders">Manage my orders page' in home


def test_a_mistyped_variable_fails_the_render(app: Flask, state: DevshopState):
    with app.test_request_context("/pages/manage-orders"):
        objects = {"request": {"locale": {"iso_code": "en"}}, "routes": {}, "customer": None, "app": {"metafields": {}}}
        with pytest.raises(UndefinedError):
            render_block("manage_orders", objects)  # routes.account_login_url is missing
