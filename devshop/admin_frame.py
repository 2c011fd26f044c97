"""The devshop's stand-in for the Shopify admin: it embeds the app's admin pages and issues session tokens.

In a real shop, App Bridge gives the embedded app a fresh session token (a one-minute HS256 JWT signed
with the app secret, ``aud`` = the client id, ``dest`` = the shop) for every request. Here the frame page
answers the app's ``postMessage`` token requests with tokens signed the same way, so the admin works in a
plain browser. Development and tests only.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import jwt
from flask import Blueprint, current_app, jsonify, render_template, request, send_file
from werkzeug.wrappers import Response

bp = Blueprint("devshop_admin", __name__, template_folder="templates")

TOKEN_LIFETIME_SECONDS = 60
DEMO_STAFF_ID = "1"


@dataclass(frozen=True)
class AdminConfig:
    app_url: str
    api_key: str
    api_secret: str


def issue_session_token(
    config: AdminConfig, shop_domain: str, *, staff_id: str = DEMO_STAFF_ID, now: float | None = None
) -> str:
    """A session token as App Bridge issues it for ``shop_domain``."""
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": f"https://{shop_domain}/admin",
        "dest": f"https://{shop_domain}",
        "aud": config.api_key,
        "sub": staff_id,
        "exp": issued + TOKEN_LIFETIME_SECONDS,
        "nbf": issued - 1,
        "iat": issued,
        "jti": str(uuid.uuid4()),
        "sid": f"devshop-session-{staff_id}",
    }
    return jwt.encode(claims, config.api_secret, algorithm="HS256")


# The app's own pages: a section, or one request.
SECTION = re.compile(r"(requests|policy|insights|holds)(/[A-Za-z0-9_-]{1,64})?")
APP_BRIDGE = Path(__file__).with_name("static") / "app_bridge.js"
# The staff languages the devshop's admin offers (the app's admin speaks these; Shopify's admin has more).
ADMIN_LANGUAGES = [
    ("en", "English"),
    ("nl", "Nederlands"),
    ("fi", "Suomi"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("sv", "Svenska"),
    ("da", "Dansk"),
]


def _config() -> AdminConfig:
    return current_app.extensions["devshop_admin"]


@bp.get("/admin/apps/self-service")
@bp.get("/admin/apps/self-service/<path:section>")
def admin_frame(section: str = "") -> str:
    """The Shopify admin with the app embedded in it; ``/admin/apps/self-service/policy`` and the like open a section,
    as Shopify's deep links (admin.shopify.com/store/<shop>/apps/<app>/<path>) do. ``?locale=nl`` is the staff
    member's admin language, which Shopify passes to the app as ``locale``."""
    state = current_app.extensions["devshop"]
    route = section.strip("/") if SECTION.fullmatch(section.strip("/")) else "requests"
    codes = [code for code, _ in ADMIN_LANGUAGES]
    locale = request.args.get("locale", "en") if request.args.get("locale") in codes else "en"
    # What Shopify appends when it opens an embedded app (host is the base64 of the admin's address).
    query = urlencode({"shop": state.shop_domain, "host": "ZGV2c2hvcC9hZG1pbg", "embedded": "1", "locale": locale})
    return render_template(
        "devshop_admin.html",
        app_url=_config().app_url,
        shop=state.shop_domain,
        frame_src=f"{_config().app_url}/admin/{route}?{query}",
        locale=locale,
        languages=ADMIN_LANGUAGES,
    )


@bp.get("/shopifycloud/app-bridge.js")
def app_bridge() -> Response:
    """The stand-in for App Bridge, at the path of Shopify's CDN script."""
    response = send_file(APP_BRIDGE, mimetype="text/javascript", max_age=0)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.post("/admin/session-token")
def session_token() -> object:
    """A fresh token for the embedded app (the frame page relays it with postMessage)."""
    state = current_app.extensions["devshop"]
    return jsonify({"token": issue_session_token(_config(), state.shop_domain)})
