"""The devshop's stand-in for Shopify's new customer accounts: an order index and an order status page hosting the
customer account UI extension, and the order's full page hosting the edit extension, as `shopify app build` built them
(``customer_account_extension/dist``, ``customer_account_edit_extension/dist``).

Shopify runs each extension target in a sandbox with a ``shopify`` global and renders its ``s-*`` elements itself.
Here each target runs in an iframe (``/customer-accounts/frame``) whose host script
(``static/customer_accounts_host.js``) gives the bundle the part of that API it uses: ``shopify.extend``,
``orderId`` / ``order``, ``sessionToken.get()`` (tokens the devshop signs like Shopify: HS256 with the app secret,
``aud`` the API key, ``dest`` the shop, ``sub`` the signed-in customer's GID), ``localization``,
``i18n.translate`` from the extension's ``locales/``, ``navigation.navigate()`` and ``close()``, and minimal
stand-ins for the elements. The bundle's calls to the app's public URL are sent to the local app instead,
cross-origin, as the extension's are in Shopify. Links to Shopify's pages (``shopify:customer-account/orders/<id>``)
and to a full-page extension (``extension:<handle>/customer-account.order.page.render/<id>/``) lead to the pages
here: ``/account/new/orders/<id>`` and ``/account/new/orders/<id>/extensions/<handle>``. Development and tests only.
"""

from __future__ import annotations

import json
import time
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.wrappers import Response

from devshop.proxy import ProxyConfig, current_customer_id
from devshop.state import DevshopState
from devshop.storefront import LOCALES, current_locale

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Extension:
    """One customer account UI extension as the CLI builds it: its folder, handle and bundle."""

    folder: Path
    handle: str
    title: str

    @property
    def bundle(self) -> Path:
        return self.folder / "dist" / f"{self.handle}.js"


CANCELLATION = Extension(ROOT / "customer_account_extension", "self-service-cancellation", "Self-service cancellation")
EDIT_PAGE = Extension(ROOT / "customer_account_edit_extension", "self-service-order-edit", "Self-service order changes")
EXTENSIONS = {extension.handle: extension for extension in (CANCELLATION, EDIT_PAGE)}
# The full-page extensions an order's page hosts (customer-account.order.page.render), by handle.
ORDER_PAGES = {EDIT_PAGE.handle: EDIT_PAGE}
# The app's public URL as the bundle has it (src/backend.js, = shopify.app.toml's application_url).
PUBLIC_APP_URL = tomllib.loads((ROOT / "shopify.app.toml").read_text())["application_url"]
TOKEN_LIFETIME_SECONDS = 60
FULL_PAGE_TARGET = "customer-account.order.page.render"
# The frame's ?target= → (the extension target, the extension that has it).
TARGETS = {
    "menu": ("customer-account.order.action.menu-item.render", CANCELLATION),
    "action": ("customer-account.order.action.render", CANCELLATION),
    "block": ("customer-account.order-status.block.render", CANCELLATION),
    "page": (FULL_PAGE_TARGET, EDIT_PAGE),
}

bp = Blueprint("devshop_customer_accounts", __name__, template_folder="templates", static_folder="static")


def issue_customer_token(api_key: str, api_secret: str, shop_domain: str, customer_id: int | None) -> str:
    """The extension's session token for ``customer_id`` (None: nobody signed in, so no ``sub``)."""
    issued = int(time.time())
    claims: dict[str, object] = {
        "iss": f"https://{shop_domain}/admin",
        "dest": f"https://{shop_domain}",
        "aud": api_key,
        "exp": issued + TOKEN_LIFETIME_SECONDS,
        "nbf": issued - 1,
        "iat": issued,
        "jti": str(uuid.uuid4()),
    }
    if customer_id is not None:
        claims["sub"] = f"gid://shopify/Customer/{customer_id}"
    return jwt.encode(claims, api_secret, algorithm="HS256")


def _state() -> DevshopState:
    return current_app.extensions["devshop"]


def _signed_in() -> int | None:
    found = current_customer_id(_state())
    return int(found) if found else None


@bp.get("/account/new/orders")
def order_index() -> Response | str:
    """The customer's orders, each with the extension's order action menu button."""
    customer = _signed_in()
    if customer is None:
        return redirect("/")
    locale, _ = current_locale()
    with _state().lock:
        orders = [order for order in _state().list_orders() if order.customer_id == customer]
    return render_template(
        "devshop_customer_accounts.html",
        page="index",
        orders=list(reversed(orders)),
        order=None,
        locale=locale,
        locales=LOCALES,
        built=CANCELLATION.bundle.exists(),
    )


@bp.get("/account/new/orders/<int:legacy_id>")
def order_status(legacy_id: int) -> Response | str:
    """One order's status page: its menu button and the extension's order-status block."""
    customer = _signed_in()
    if customer is None:
        return redirect("/")
    order = _state().get_order(legacy_id)
    if order is None or order.customer_id != customer:
        abort(404)
    locale, _ = current_locale()
    return render_template(
        "devshop_customer_accounts.html",
        page="status",
        orders=[order],
        order=order,
        locale=locale,
        locales=LOCALES,
        built=CANCELLATION.bundle.exists(),
    )


@bp.get("/account/new/orders/<int:legacy_id>/extensions/<handle>")
def order_page(legacy_id: int, handle: str) -> Response | str:
    """A full-page extension's page for one order (``customer-account.order.page.render``), where the
    ``extension:<handle>/customer-account.order.page.render/<id>/`` links lead: the edit page."""
    extension = ORDER_PAGES.get(handle)
    if extension is None:
        abort(404)
    customer = _signed_in()
    if customer is None:
        return redirect("/")
    order = _state().get_order(legacy_id)
    if order is None or order.customer_id != customer:
        abort(404)
    locale, _ = current_locale()
    return render_template(
        "devshop_customer_accounts.html",
        page="extension",
        extension=extension,
        orders=[order],
        order=order,
        locale=locale,
        locales=LOCALES,
        built=extension.bundle.exists(),
    )


@bp.get("/customer-accounts/frame")
def frame() -> str:
    """The sandbox one extension target runs in."""
    found = TARGETS.get(request.args.get("target", ""))
    order_id = request.args.get("order", "")
    if found is None or not order_id.isdigit():
        abort(400)
    target, extension = found
    order = _state().get_order(int(order_id))
    locale = request.args.get("locale", "en")
    locale = locale if locale in LOCALES else "en"
    config: ProxyConfig = current_app.extensions["devshop_proxy"]
    host = {
        "frameId": request.args.get("frame", ""),
        "target": target,
        "orderGid": f"gid://shopify/Order/{order_id}",
        "orderName": order.name if order else "",
        "locale": locale,
        "strings": _strings(extension, locale),
        "publicAppUrl": PUBLIC_APP_URL,
        "appUrl": config.app_url.rstrip("/"),
        # Where Shopify's links lead in the devshop (customer_accounts_host.js fills in the order and handle).
        "orderPageUrl": "/account/new/orders/{order}",
        "ordersUrl": "/account/new/orders",
        "fullPageUrl": "/account/new/orders/{order}/extensions/{handle}",
    }
    return render_template(
        "devshop_customer_account_frame.html",
        host=host,
        locale=locale,
        title=extension.title,
        bundle_url=url_for("devshop_customer_accounts.bundle", handle=extension.handle),
    )


def _strings(extension: Extension, language: str) -> dict[str, str]:
    """The extension's translations for ``language`` (English when it has none), as Shopify loads them."""
    name = "en.default.json" if language == "en" else f"{language}.json"
    path = extension.folder / "locales" / name
    strings: dict[str, str] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return strings


@bp.get("/customer-accounts/extensions/<handle>.js")
def bundle(handle: str) -> Response:
    """An extension as `shopify app build` built it."""
    extension = EXTENSIONS.get(handle)
    if extension is None:
        abort(404)
    if not extension.bundle.exists():
        abort(404, f"{extension.folder.name} is not built: run `npx shopify app build`")
    return send_from_directory(extension.bundle.parent, extension.bundle.name, max_age=0, mimetype="text/javascript")


@bp.post("/customer-accounts/session-token")
def session_token() -> Response:
    """A fresh extension session token for whoever is signed in to the devshop."""
    admin = current_app.extensions["devshop_admin"]
    token = issue_customer_token(admin.api_key, admin.api_secret, _state().shop_domain, _signed_in())
    return jsonify({"token": token})
