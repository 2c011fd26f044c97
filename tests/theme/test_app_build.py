"""`shopify app build` (Shopify CLI from npm, offline) accepts shopify.app.toml and the theme app extension."""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from storefront_proxy.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SHOPIFY = ROOT / "node_modules" / ".bin" / "shopify"
CONFIG = tomllib.loads((ROOT / "shopify.app.toml").read_text())


@pytest.mark.skipif(not SHOPIFY.exists(), reason="Shopify CLI missing: run `npm ci` (node_modules/.bin/shopify)")
def test_shopify_app_build_succeeds_and_bundles_the_theme_extension():
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
    assert CONFIG["extension_directories"] == ["theme_extension"]
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
