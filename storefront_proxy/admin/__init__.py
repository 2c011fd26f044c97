"""The merchant and support surface, embedded in the Shopify admin: ``/admin/...``, session-token auth."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

from storefront_proxy.admin import api, pages  # noqa: E402,F401  (registers the routes on bp)
