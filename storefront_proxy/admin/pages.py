"""The admin's pages: one document whose script renders Requests, Request detail, Policy and Insights.

The document holds no shop data, so it needs no session token; every piece of data comes from the JSON API
(api.py) with a fresh token per call: from App Bridge inside the Shopify admin, or from the devshop's
stand-in admin frame through postMessage in development.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from werkzeug.wrappers import Response

from storefront_proxy.admin.blueprint import bp
from storefront_proxy.services import services
from storefront_proxy.shopify.domains import SHOP_DOMAIN

# https://shopify.dev/docs/apps/build/security/set-up-iframe-protection
SHOPIFY_ADMIN_ORIGIN = "https://admin.shopify.com"


@bp.get("")
@bp.get("/")
def admin_home() -> Any:
    settings = services().settings
    embedded_in_shopify = request.args.get("embedded") == "1"
    html = render_template("admin.html", api_key=settings.shopify_api_key or "", app_bridge=embedded_in_shopify)
    response = Response(html, content_type="text/html; charset=utf-8")
    shop = (request.args.get("shop") or "").lower()
    if not settings.is_development:
        # Only the shop's own admin may frame the app.
        ancestors = [SHOPIFY_ADMIN_ORIGIN] + ([f"https://{shop}"] if SHOP_DOMAIN.fullmatch(shop) else [])
        response.headers["Content-Security-Policy"] = f"frame-ancestors {' '.join(ancestors)};"
    response.headers["Cache-Control"] = "no-store"
    return response
