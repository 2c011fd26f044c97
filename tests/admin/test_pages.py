"""The admin's document: served at each page's path, in the staff member's language, with App Bridge from
Shopify (or the devshop in development), framed only by the shop's admin, and a clear 503 when not built."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from storefront_proxy.admin import pages
from storefront_proxy.services import services_of

PATHS = [
    "/admin",
    "/admin/",
    "/admin/requests",
    "/admin/policy",
    "/admin/insights",
    "/admin/holds",
    "/admin/requests/ccr_1",
]


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in build (the real one comes from `npm run build:admin`): the page only needs the files to exist."""
    (tmp_path / "polaris-locales").mkdir()
    (tmp_path / "admin.js").write_text("")
    (tmp_path / "admin.css").write_text("")
    for language in ("en", "nl"):
        (tmp_path / "polaris-locales" / f"{language}.json").write_text(json.dumps({"Polaris": {"lang": language}}))
    monkeypatch.setattr(pages, "BUILD_DIR", tmp_path)
    pages._page_config.cache_clear()
    yield tmp_path
    pages._page_config.cache_clear()


def config_of(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="admin-config">(.*?)</script>', html, re.S)
    assert found, html
    return json.loads(found.group(1))


@pytest.mark.parametrize("path", PATHS)
def test_every_page_path_answers_the_same_document(client, built, path):
    answer = client.get(f"{path}?shop=test-shop.myshopify.com&embedded=1")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert 'id="app"' in html and "dist/admin.js" in html and "dist/admin.css" in html
    assert answer.headers["Cache-Control"] == "no-store"


def test_unknown_pages_and_the_api_are_not_the_document(client, built):
    assert client.get("/admin/settings").status_code == 404
    assert client.get("/admin/requests/a/b").status_code == 404


def test_the_page_speaks_the_language_shopify_passes_with_english_for_missing_words(client, built, monkeypatch):
    catalogs = {"en": {"nav.requests": "Requests", "nav.policy": "Policy"}, "nl": {"nav.requests": "Verzoeken"}}
    monkeypatch.setattr(pages, "admin_catalog", lambda language: catalogs.get(language, {}))
    html = client.get("/admin/requests?locale=nl-NL").get_data(as_text=True)
    assert '<html lang="nl">' in html
    config = config_of(html)
    assert config["locale"] == "nl"
    assert config["messages"] == {"nav.requests": "Verzoeken", "nav.policy": "Policy"}
    assert config["polaris"] == {"Polaris": {"lang": "nl"}}
    for locale in ("ja", "", "%3Cscript%3E"):
        assert config_of(client.get(f"/admin?locale={locale}").get_data(as_text=True))["locale"] == "en"


def test_text_in_the_catalog_can_not_end_the_script_element(client, built, monkeypatch):
    monkeypatch.setattr(pages, "admin_catalog", lambda language: {"x": "</script><script>alert(1)</script>"})
    html = client.get("/admin").get_data(as_text=True)
    assert "</script><script>alert(1)" not in html
    assert config_of(html)["messages"]["x"] == "</script><script>alert(1)</script>"


def test_app_bridge_comes_from_the_devshop_in_development_and_from_shopify_in_production(app, client, built):
    html = client.get("/admin").get_data(as_text=True)
    assert '<script src="https://admin.test/shopifycloud/app-bridge.js"></script>' in html
    assert html.index("app-bridge.js") < html.index("dist/admin.js"), "App Bridge must be the first script"
    built_services = services_of(app)
    built_services.settings = built_services.settings.model_copy(update={"app_env": "production"})
    answer = client.get("/admin?shop=test-shop.myshopify.com")
    assert '<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>' in answer.get_data(as_text=True)
    assert answer.headers["Content-Security-Policy"] == (
        "frame-ancestors https://admin.shopify.com https://test-shop.myshopify.com;"
    )
    assert "evil" not in client.get("/admin?shop=evil.example").headers["Content-Security-Policy"]


def test_an_admin_that_was_not_built_says_how_to_build_it(client, tmp_path, monkeypatch):
    monkeypatch.setattr(pages, "BUILD_DIR", tmp_path / "missing")
    answer = client.get("/admin/requests")
    assert answer.status_code == 503
    assert "npm run build:admin" in answer.get_data(as_text=True)
    assert answer.headers["Retry-After"]
