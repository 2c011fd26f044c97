"""`shopify app build` (Shopify CLI from npm, offline) accepts shopify.app.toml and builds every extension: the theme
app extension and the two customer account UI extensions (cancelling and the order's status; the full page for
changing an order, which can't share an extension with other targets)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from storefront_proxy.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SHOPIFY = ROOT / "node_modules" / ".bin" / "shopify"
CONFIG = tomllib.loads((ROOT / "shopify.app.toml").read_text())
CUSTOMER_ACCOUNT_TARGETS = (
    "customer-account.order.action.menu-item.render",
    "customer-account.order.action.render",
    "customer-account.order-status.block.render",
)
EDIT_PAGE_TARGET = "customer-account.order.page.render"
EDIT_PAGE_HANDLE = "self-service-order-edit"
LANGUAGES = ("nl", "fi", "de", "fr", "es", "sv", "da")
# The API version of the pinned @shopify/ui-extensions (package.json): 2026.7.x is 2026-07.
UI_EXTENSIONS_API_VERSION = "2026-07"


@pytest.mark.skipif(not SHOPIFY.exists(), reason="Shopify CLI missing: run `npm ci` (node_modules/.bin/shopify)")
def test_shopify_app_build_succeeds_and_bundles_every_extension():
    env = {**os.environ, "SHOPIFY_CLI_NO_ANALYTICS": "1", "CI": "1"}
    result = subprocess.run(
        [str(SHOPIFY), "app", "build", "--path", "."], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The CLI prints validation errors in a box and still exits 0 on some of them: read what it says.
    assert "built!" in output, output
    assert "error" not in output.lower(), output
    assert "Bundling theme extension self-service" in output, output
    assert "self-service-cancellation successfully built" in output, output
    bundle = ROOT / "customer_account_extension" / "dist" / "self-service-cancellation.js"
    assert bundle.stat().st_size > 5000
    manifest = json.loads((ROOT / "customer_account_extension" / "manifest.json").read_text())
    assert set(manifest) == set(CUSTOMER_ACCOUNT_TARGETS)
    assert f"{EDIT_PAGE_HANDLE} successfully built" in output, output
    page = ROOT / "customer_account_edit_extension" / "dist" / f"{EDIT_PAGE_HANDLE}.js"
    assert page.stat().st_size > 5000
    assert f'shopify.extend("{EDIT_PAGE_TARGET}"' in page.read_text()
    page_manifest = json.loads((ROOT / "customer_account_edit_extension" / "manifest.json").read_text())
    assert page_manifest == {EDIT_PAGE_TARGET: {}}


def translation_keys(extension: Path) -> tuple[dict[str, str], str]:
    """The extension's English strings (after checking every language has exactly those keys) and its sources."""
    locales = extension / "locales"
    english = json.loads((locales / "en.default.json").read_text())
    for language in LANGUAGES:
        translated = json.loads((locales / f"{language}.json").read_text())
        assert set(translated) == set(english), language
        assert all(value.strip() for value in translated.values()), language
        # Placeholders survive translation.
        for key, text in english.items():
            assert set(re.findall(r"{{\s*\w+\s*}}", text)) == set(re.findall(r"{{\s*\w+\s*}}", translated[key])), key
    source = "".join(path.read_text() for path in (extension / "src").glob("*"))
    return english, source


def test_the_customer_account_extension_has_its_targets_network_access_and_every_language():
    extension = tomllib.loads((ROOT / "customer_account_extension" / "shopify.extension.toml").read_text())
    assert extension["api_version"] == UI_EXTENSIONS_API_VERSION
    [declared] = extension["extensions"]
    assert [t["target"] for t in declared["targeting"]] == list(CUSTOMER_ACCOUNT_TARGETS)
    assert extension["extensions"][0]["capabilities"]["network_access"] is True
    assert "customer_account_extension" in CONFIG["extension_directories"]
    english, source = translation_keys(ROOT / "customer_account_extension")
    quoted = set(re.findall(r"'([a-z_.]+)'", source))
    statuses = ("pending_review", "queued", "processing", "cancelled", "rejected", "failed")
    dynamic = {f"status.{status}" for status in statuses}  # translate(`status.${request.status}`)
    dynamic |= {f"edit_status.{status}" for status in EDIT_STATUSES}  # translate(`edit_status.${edit.status}`)
    assert set(re.findall(r"translate\(\s*'([a-z_.]+)'", source)) <= set(english)
    assert set(english) <= quoted | dynamic, sorted(set(english) - quoted - dynamic)


EDIT_STATUSES = ("pending_review", "queued", "processing", "applied", "rejected", "failed")


def test_the_edit_page_is_its_own_extension_with_the_full_page_target_network_access_and_every_language():
    """A full-page target can't share an extension with other targets, and two extensions in one folder race on the
    manifest.json the CLI writes there: the page has its own folder, handle and locales."""
    folder = ROOT / "customer_account_edit_extension"
    extension = tomllib.loads((folder / "shopify.extension.toml").read_text())
    assert extension["api_version"] == UI_EXTENSIONS_API_VERSION
    [declared] = extension["extensions"]
    assert declared["handle"] == EDIT_PAGE_HANDLE and declared["type"] == "ui_extension"
    assert [t["target"] for t in declared["targeting"]] == [EDIT_PAGE_TARGET]
    assert declared["capabilities"]["network_access"] is True
    assert json.loads((folder / "tsconfig.json").read_text())["compilerOptions"]["jsxImportSource"] == "preact"
    # The other extension links to the page by this handle (Shopify's extension: protocol).
    backend = (ROOT / "customer_account_extension" / "src" / "backend.js").read_text()
    assert f"export const EDIT_PAGE_HANDLE = '{EDIT_PAGE_HANDLE}';" in backend
    assert "extension:${EDIT_PAGE_HANDLE}/customer-account.order.page.render/${orderNumber(orderId)}/" in backend
    english, source = translation_keys(folder)
    # The page's shared parts (the edit's status) translate with the page's own strings.
    shared = "".join(
        (ROOT / "customer_account_extension" / "src" / name).read_text()
        for name in ("EditStatus.jsx", "useEdit.js", "backend.js")
    )
    # backend.js's time left is the cancellation extension's (timeLeft), never called on the page.
    translated = set(re.findall(r"translate\(\s*'([a-z_.]+)'", source + shared))
    translated -= {"time_left", "time_left.hours", "time_left.minutes"}
    assert sorted(translated - set(english)) == [], "missing from en.default.json"
    quoted = set(re.findall(r"'([a-z_.0-9]+)'", source + shared))
    dynamic = {f"edit_status.{status}" for status in EDIT_STATUSES}
    assert sorted(set(english) - quoted - dynamic) == [], "unused"


def test_configuration_pins_the_api_version_the_app_calls():
    assert CONFIG["webhooks"]["api_version"] == Settings.model_fields["shopify_api_version"].default


def test_scopes_cover_orders_order_edits_fulfillment_orders_and_the_proxy():
    scopes = set(CONFIG["access_scopes"]["scopes"].split(","))
    assert {
        "read_orders",
        "write_orders",
        "write_order_edits",
        "write_merchant_managed_fulfillment_orders",
        "write_third_party_fulfillment_orders",
        "write_app_proxy",
    } <= scopes


def test_app_proxy_and_extension_directories():
    assert CONFIG["app_proxy"]["prefix"] == "apps"
    assert CONFIG["app_proxy"]["subpath"] == "self-service"
    assert CONFIG["app_proxy"]["url"].endswith("/proxy")
    assert CONFIG["extension_directories"] == [
        "theme_extension",
        "customer_account_extension",
        "customer_account_edit_extension",
    ]
    assert (ROOT / "theme_extension" / "shopify.extension.toml").exists()


def test_every_subscribed_topic_goes_to_the_webhook_endpoint():
    subscriptions = CONFIG["webhooks"]["subscriptions"]
    topics = {t for s in subscriptions for t in s.get("topics", []) + s.get("compliance_topics", [])}
    assert {s["uri"] for s in subscriptions} == {"/webhooks"}
    assert topics == {
        "app/uninstalled",
        "orders/create",
        "orders/cancelled",
        "orders/fulfilled",
        "orders/partially_fulfilled",
        "orders/updated",
        "customers/data_request",
        "customers/redact",
        "shop/redact",
    }
