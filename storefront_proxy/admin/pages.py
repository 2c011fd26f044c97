"""The admin's pages: one document whose script (built from storefront_proxy/admin/ui with Polaris) renders
Requests, Request detail, Policy, Insights and Holds at their own paths.

The document holds no shop data, so it needs no session token; every piece of data comes from the JSON API
(api.py) with a fresh token per call from App Bridge. Shopify loads App Bridge from its CDN into the page; in
development the devshop serves a stand-in at the same path (``SHOPIFY_ADMIN_ORIGIN``).

The admin speaks the language Shopify passes as ``locale`` when it opens the embedded app (the staff member's
admin language), in the storefront's 8 languages; the page carries that language's catalog, English where a key
is missing, and Polaris's own translations.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from flask import render_template, request
from werkzeug.wrappers import Response

from storefront_proxy.admin.blueprint import bp
from storefront_proxy.i18n import DEFAULT_LANGUAGE, LANGUAGES, language_of
from storefront_proxy.services import services
from storefront_proxy.shopify.domains import SHOP_DOMAIN

# https://shopify.dev/docs/apps/build/security/set-up-iframe-protection
SHOPIFY_ADMIN_ORIGIN = "https://admin.shopify.com"
# https://shopify.dev/docs/api/app-bridge-library: the script must be the first in the page, loaded from here.
APP_BRIDGE_PATH = "/shopifycloud/app-bridge.js"
APP_BRIDGE_CDN = "https://cdn.shopify.com"
CATALOG_DIR = Path(__file__).with_name("locales")
BUILD_DIR = Path(__file__).with_name("static") / "dist"
SECTIONS = ("requests", "policy", "insights", "holds")


@functools.cache
def admin_catalog(language: str) -> dict[str, str]:
    """The admin's messages in ``language`` ({} for a language without a catalog)."""
    path = CATALOG_DIR / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


@functools.cache
def _page_config(language: str) -> str:
    """The page's start-up data for ``language`` as JSON, safe inside a <script> element."""
    messages = {**admin_catalog(DEFAULT_LANGUAGE), **admin_catalog(language)}
    polaris_path = BUILD_DIR / "polaris-locales" / f"{language}.json"
    polaris = json.loads(polaris_path.read_text(encoding="utf-8")) if polaris_path.exists() else {}
    text = json.dumps({"locale": language, "messages": messages, "polaris": polaris}, ensure_ascii=False)
    # "</" would end the script element early; JSON reads "<\/" as "</".
    return text.replace("</", "<\\/")


def admin_language() -> str:
    """The staff member's admin language from Shopify's ``locale`` (``nl``, ``pt-BR``), else English."""
    chosen = language_of(request.args.get("locale"))
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def built() -> bool:
    return (BUILD_DIR / "admin.js").exists() and (BUILD_DIR / "admin.css").exists()


@bp.get("")
@bp.get("/")
@bp.get("/<any(requests, policy, insights, holds):section>")
@bp.get("/requests/<request_id:request_id>")
def admin_home(section: str | None = None, request_id: str | None = None) -> Any:
    settings = services().settings
    if not built():
        # A deployment that skipped the build (scripts/bootstrap, or `npm ci && npm run build:admin`).
        response = Response(
            "The admin is not built: run `npm ci && npm run build:admin` (scripts/bootstrap does both).",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response.headers["Retry-After"] = "60"
        return response
    language = admin_language()
    app_bridge_origin = settings.shopify_admin_origin if settings.is_development else None
    html = render_template(
        "admin.html",
        api_key=settings.shopify_api_key or "",
        app_bridge_src=(app_bridge_origin or APP_BRIDGE_CDN) + APP_BRIDGE_PATH,
        language=language,
        config=_page_config(language),
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    shop = (request.args.get("shop") or "").lower()
    if not settings.is_development:
        # Only the shop's own admin may frame the app.
        ancestors = [SHOPIFY_ADMIN_ORIGIN] + ([f"https://{shop}"] if SHOP_DOMAIN.fullmatch(shop) else [])
        response.headers["Content-Security-Policy"] = f"frame-ancestors {' '.join(ancestors)};"
    response.headers["Cache-Control"] = "no-store"
    return response
