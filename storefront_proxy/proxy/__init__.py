"""The storefront surface behind Shopify's app proxy: ``https://{shop}/apps/self-service/...`` → ``/proxy/...``."""

from __future__ import annotations

from flask import Blueprint

# The page script is served under the proxy path too, so it loads from the shop's own domain.
bp = Blueprint(
    "proxy",
    __name__,
    url_prefix="/proxy",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

from storefront_proxy.proxy import views  # noqa: E402,F401  (registers the routes on bp)
