"""The storefront surface behind Shopify's app proxy: ``https://{shop}/apps/self-service/...`` → ``/proxy/...``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("proxy", __name__, url_prefix="/proxy", template_folder="templates")

from storefront_proxy.proxy import views  # noqa: E402,F401  (registers the routes on bp)
