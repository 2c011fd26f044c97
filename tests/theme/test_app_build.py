"""`shopify app build` (Shopify CLI from npm, offline) accepts shopify.app.toml and builds both extensions: the theme
app extension and the customer account UI extension."""

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
# The API version of the pinned @shopify/ui-extensions (package.json): 2026.7.x is 2026-07.
UI_EXTENSIONS_API_VERSION = "2026-07"


@pytest.mark.skipif(not SHOPIFY.exists(), reason="Shopify CLI missing: run `npm ci` (node_modules/.bin/shopify)")
def test_shopify_app_build_succeeds_and_bundles_both_extensions():
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


def test_the_customer_account_extension_has_its_targets_network_access_and_every_language():
    extension = tomllib.loads((ROOT / "customer_account_extension" / "shopify.extension.toml").read_text())
    assert extension["api_version"] == UI_EXTENSIONS_API_VERSION
    [declared] = extension["extensions"]
    assert [t["target"] for t in declared["targeting"]] == list(CUSTOMER_ACCOUNT_TARGETS)
    assert extension["extensions"][0]["capabilities"]["network_access"] is True
    assert "customer_account_extension" in CONFIG["extension_directories"]
    locales = ROOT / "customer_account_extension" / "locales"
    english = json.loads((locales / "en.default.json").read_text())
    for language in ("nl", "fi", "de", "fr", "es", "sv", "da"):
        translated = json.loads((locales / f"{language}.json").read_text())
        assert set(translated) == set(english), language
    source = "".join(path.read_text() for path in (locales.parent / "src").glob("*"))
    quoted = set(re.findall(r"'([a-z_.]+)'", source))
    statuses = ("pending_review", "queued", "processing", "cancelled", "rejected", "failed")
    dynamic = {f"status.{status}" for status in statuses}  # translate(`status.${request.status}`)
    assert set(re.findall(r"translate\(\s*'([a-z_.]+)'", source)) <= set(english)
    assert set(english) <= quoted | dynamic, sorted(set(english) - quoted - dynamic)


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
    assert CONFIG["extension_directories"] == ["theme_extension", "customer_account_extension"]
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
