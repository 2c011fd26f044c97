"""The admin surface's blueprint: its URL prefix, templates and static files, and how it answers errors."""

from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from storefront_proxy.http_errors import answer_invalid_values


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


def _register_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("request_id", RequestIdConverter)


bp.record_once(_register_converter)
answer_invalid_values(bp, 422)
