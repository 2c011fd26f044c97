"""The merchant and support surface, embedded in the Shopify admin: ``/admin/...``, session-token auth."""

from __future__ import annotations

from flask import Blueprint
from werkzeug.routing import BaseConverter


class RequestIdConverter(BaseConverter):
    """A request id in an admin URL: any path segment but the static ``bulk`` (``/requests/bulk`` is its own
    route, and a URL matching both would advertise the detail's GET in its Allow header)."""

    regex = r"(?!bulk(?:/|$))[^/]+"


bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

bp.record_once(lambda state: state.app.url_map.converters.setdefault("request_id", RequestIdConverter))

from storefront_proxy.admin import api, pages  # noqa: E402,F401  (registers the routes on bp)
