"""The merchant and support surface, embedded in the Shopify admin: ``/admin/...``, session-token auth."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from storefront_proxy.admin import api  # noqa: E402,F401  (registers the routes on bp)
