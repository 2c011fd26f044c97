"""Shopify's app proxy: serve /apps/self-service/... as the demo customer and forward, signed, to the app."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import requests
from flask import Blueprint, Response, current_app, request

from devshop.signing import sign_proxy_query
from devshop.state import DevshopState

log = logging.getLogger(__name__)

bp = Blueprint("devshop_proxy", __name__)

CUSTOMER_COOKIE = "devshop_customer"
APP_TIMEOUT_SECONDS = 15
# Shopify sets these itself; a visitor must not be able to smuggle in their own (e.g. another customer's id).
SHOPIFY_PARAMS = frozenset({"shop", "logged_in_customer_id", "path_prefix", "timestamp", "signature"})
FORWARDED_REQUEST_HEADERS = ("Content-Type", "Accept", "Accept-Language", "X-CSRF-Token", "User-Agent")
RETURNED_RESPONSE_HEADERS = ("Location", "Cache-Control", "Retry-After")
APP_DOWN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>App did not answer</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto;">
<h1>The app did not answer</h1>
<p>The devshop forwarded this request to <code>{url}</code>, but the app did not answer. Is it running?</p>
<p><a href="/">Back to the devshop</a></p>
</body></html>
"""


@dataclass(frozen=True)
class ProxyConfig:
    """Where the app lives and how requests to it are signed."""

    app_url: str
    api_secret: str
    path_prefix: str


def current_customer_id(state: DevshopState) -> str:
    """The logged-in demo customer's numeric id from the devshop cookie, or "" when anonymous."""
    raw = request.cookies.get(CUSTOMER_COOKIE, "")
    if raw.isdigit() and state.get_customer(int(raw)) is not None:
        return raw
    return ""


def signed_params(
    visitor_params: list[tuple[str, str]], *, state: DevshopState, config: ProxyConfig, customer_id: str
) -> list[tuple[str, str]]:
    """The visitor's query params followed by Shopify's own, including the signature."""
    params = [(key, value) for key, value in visitor_params if key not in SHOPIFY_PARAMS]
    params += [
        ("shop", state.shop_domain),
        ("logged_in_customer_id", customer_id),
        ("path_prefix", config.path_prefix),
        ("timestamp", str(int(state.clock()))),
    ]
    params.append(("signature", sign_proxy_query(params, config.api_secret)))
    return params


# strict_slashes=False: the bare prefix is forwarded as /proxy, not redirected to the prefix with a slash.
@bp.route("/", methods=["GET", "POST"], defaults={"rest": ""}, strict_slashes=False)
@bp.route("/<path:rest>", methods=["GET", "POST"])
def forward(rest: str) -> Response:
    """Forward one storefront request to `{app_url}/proxy/...`, the way Shopify's app proxy does."""
    state: DevshopState = current_app.extensions["devshop"]
    config: ProxyConfig = current_app.extensions["devshop_proxy"]
    # Use the raw remainder of the path so a trailing slash survives as Shopify keeps it.
    suffix = request.path[len(config.path_prefix) :]
    url = f"{config.app_url.rstrip('/')}/proxy{quote(suffix, safe='/:@!$&()*+,;=-._~')}"
    params = signed_params(
        list(request.args.items(multi=True)), state=state, config=config, customer_id=current_customer_id(state)
    )
    headers = {name: request.headers[name] for name in FORWARDED_REQUEST_HEADERS if name in request.headers}
    headers["X-Forwarded-For"] = request.remote_addr or "127.0.0.1"
    headers["X-Forwarded-Host"] = request.host
    try:
        upstream = requests.request(
            request.method,
            f"{url}?{urlencode(params)}",
            data=request.get_data(),
            headers=headers,
            allow_redirects=False,
            timeout=APP_TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        log.warning("App did not answer %s %s: %s", request.method, url, type(error).__name__)
        return Response(APP_DOWN_PAGE.format(url=url), status=502, mimetype="text/html")
    log.info("Proxied %s %s -> %s", request.method, request.path, upstream.status_code)
    response = Response(upstream.content, status=upstream.status_code)
    content_type = upstream.headers.get("Content-Type")
    if content_type and content_type.split(";")[0].strip().lower() == "application/liquid":
        # Shopify would render this as Liquid inside the theme; the devshop passes it through as HTML for now.
        content_type = "text/html; charset=utf-8"
    if content_type:
        response.headers["Content-Type"] = content_type
    else:
        del response.headers["Content-Type"]
    for name in RETURNED_RESPONSE_HEADERS:
        if name in upstream.headers:
            response.headers[name] = upstream.headers[name]
    return response
