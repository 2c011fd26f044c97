"""The devshop's simulated theme: pages that render theme_extension's real app blocks with python-liquid.

Shopify renders an app block's Liquid inside the merchant's theme with Shopify's objects and filters; this module
does the same with stand-ins for the objects (`order`, `customer`, `request`, `shop`, `routes`, `block`, `app`) and
filters (`t`, `asset_url`, `json`) the blocks use, so the run command and the browser tests show the actual
extension. Undefined variables raise (StrictDefaultUndefined), so a mistyped name fails instead of printing nothing.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, send_from_directory
from liquid import Environment, FileSystemLoader, StrictDefaultUndefined, ast
from liquid.exceptions import LiquidSyntaxError
from liquid.filter import with_context
from liquid.tag import Tag
from liquid.token import TOKEN_EOF, TOKEN_TAG

from devshop.proxy import current_customer_id
from devshop.state import Customer, DevshopState, Order, iso_utc

bp = Blueprint("devshop_storefront", __name__, template_folder="templates")

EXTENSION_DIR = Path(__file__).resolve().parents[1] / "theme_extension"
LOCALES = ("en", "nl", "fi", "de", "fr", "es", "sv", "da")
LOCALE_NAMES = {
    "en": "English",
    "nl": "Nederlands",
    "fi": "Suomi",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "sv": "Svenska",
    "da": "Dansk",
}
DEFAULT_LOCALE = "en"
LOCALE_COOKIE = "devshop_locale"
ASSET_URL_PREFIX = "/cdn/extension-assets/"
SCHEMA_RE = re.compile(r"{%-?\s*schema\s*-?%}(.*?){%-?\s*endschema\s*-?%}", re.DOTALL)
INTERPOLATION_RE = re.compile(r"{{\s*(\w+)\s*}}")


# -- Liquid: the schema tag and Shopify's filters -------------------------------------------------------------------


class SchemaNode(ast.Node):
    """`{% schema %}...{% endschema %}`: JSON for the theme editor, never output."""

    __slots__ = ("text",)

    def __init__(self, token: Any, text: str) -> None:
        super().__init__(token)
        self.text = text

    def __str__(self) -> str:
        return f"{{% schema %}}{self.text}{{% endschema %}}"

    def render_to_output(self, context: Any, buffer: Any) -> int:
        return 0


class SchemaTag(Tag):
    """Shopify's schema tag: its body is captured (like a comment), not rendered."""

    name = "schema"
    end = "endschema"
    node_class = SchemaNode

    def parse(self, stream: Any) -> SchemaNode:
        token = stream.eat(TOKEN_TAG)
        text: list[str] = []
        while not (stream.current.kind == TOKEN_TAG and stream.current.value == self.end):
            if stream.current.kind == TOKEN_EOF:
                raise LiquidSyntaxError("schema tag was never closed", token=token)
            text.append(str(stream.current.value))
            next(stream)
        return self.node_class(token, "".join(text))


@cache
def _locale_file(path: Path, mtime: float) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def load_locale(root: Path, locale: str, *, schema: bool = False) -> dict[str, Any]:
    """One locale file of the extension (`en` means en.default), or {} when the language has none."""
    suffix = ".schema.json" if schema else ".json"
    name = "en.default" if locale == DEFAULT_LOCALE else locale
    path = root / "locales" / f"{name}{suffix}"
    if not path.exists():
        return {}
    return _locale_file(path, path.stat().st_mtime)  # re-read after an edit while ./run is up


def _lookup(tree: dict[str, Any], key: str) -> str | None:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else None


def make_translate(root: Path):  # noqa: ANN201 - a Liquid filter function
    """Shopify's `t` filter: the current locale's string, else en.default's, with `{{ name }}` interpolation.

    Like Shopify, the translation is HTML-escaped unless its key ends in `_html`.
    """

    @with_context
    def translate(key: object, *, context: Any, **values: Any) -> str:
        locale = context.resolve("request")["locale"]["iso_code"]
        text = _lookup(load_locale(root, locale), str(key)) or _lookup(load_locale(root, DEFAULT_LOCALE), str(key))
        if text is None:
            return f"translation missing: {locale}.{key}"
        raw = str(key).endswith("_html")

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                return match.group(0)
            return str(values[name]) if raw else html.escape(str(values[name]))

        return INTERPOLATION_RE.sub(value, text if raw else html.escape(text))

    return translate


def asset_url(name: object) -> str:
    """Shopify's `asset_url` for an extension asset: the devshop's stand-in CDN."""
    return ASSET_URL_PREFIX + str(name)


def to_json(value: object) -> str:
    """Shopify's `json` filter (safe inside a <script>: `<` is escaped)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def make_environment(root: Path = EXTENSION_DIR) -> Environment:
    """A Liquid environment for the extension's blocks and snippets, strict about undefined variables."""
    env = Environment(
        loader=FileSystemLoader(root / "snippets", ext=".liquid"),
        undefined=StrictDefaultUndefined,
    )
    env.add_tag(SchemaTag)
    env.add_filter("t", make_translate(root))
    env.add_filter("asset_url", asset_url)
    env.add_filter("json", to_json)
    return env


# -- blocks ---------------------------------------------------------------------------------------------------------


class _Nil(dict):  # type: ignore[type-arg]
    """A metafield namespace: unknown keys are nil, as in Shopify's Liquid."""

    def __missing__(self, key: str) -> None:
        return None


class _Namespaces(dict):  # type: ignore[type-arg]
    """`app.metafields`: unknown namespaces are empty."""

    def __missing__(self, key: str) -> _Nil:
        return _Nil()


def app_object(state: DevshopState) -> dict[str, Any]:
    """Liquid's `app`: its app-data metafields (owned by the installation), as metafield objects."""
    namespaces = _Namespaces()
    for metafield in state.list_app_metafields():
        namespaces.setdefault(metafield.namespace, _Nil())[metafield.key] = {
            "value": metafield.liquid_value(),
            "type": metafield.type,
        }
    return {"metafields": namespaces}


def block_schema(source: str) -> dict[str, Any]:
    """The JSON of a block's `{% schema %}` tag."""
    match = SCHEMA_RE.search(source)
    if match is None:
        raise ValueError("block has no {% schema %} tag")
    return json.loads(match.group(1))


def setting_defaults(schema: dict[str, Any]) -> dict[str, Any]:
    """The block's settings as a merchant who changed nothing has them (no default: nil; checkbox: false)."""
    defaults: dict[str, Any] = {}
    for setting in schema.get("settings", []):
        if "id" not in setting:
            continue
        default = setting.get("default")
        defaults[setting["id"]] = False if default is None and setting["type"] == "checkbox" else default
    return defaults


@dataclass
class RenderedBlock:
    """A block's HTML (in Shopify's wrapper) and the assets its schema asks for."""

    html: str
    javascript: str | None
    stylesheet: str | None


@dataclass
class PageAssets:
    """The extension assets a page includes: each file once, however many blocks use it (as Shopify does)."""

    scripts: list[str] = field(default_factory=list)
    stylesheets: list[str] = field(default_factory=list)

    def add(self, block: RenderedBlock) -> None:
        if block.javascript and asset_url(block.javascript) not in self.scripts:
            self.scripts.append(asset_url(block.javascript))
        if block.stylesheet and asset_url(block.stylesheet) not in self.stylesheets:
            self.stylesheets.append(asset_url(block.stylesheet))


def render_block(
    handle: str,
    objects: dict[str, Any],
    *,
    settings: dict[str, Any] | None = None,
    root: Path = EXTENSION_DIR,
    env: Environment | None = None,
) -> RenderedBlock:
    """Render blocks/<handle>.liquid with Shopify's objects; `settings` override the schema defaults."""
    source = (root / "blocks" / f"{handle}.liquid").read_text(encoding="utf-8")
    schema = block_schema(source)
    block_id = f"devshop_{handle}"
    block = {
        "id": block_id,
        "type": f"shopify://apps/self-service/blocks/{handle}/devshop",
        "settings": {**setting_defaults(schema), **(settings or {})},
        "shopify_attributes": "",
    }
    environment = env or make_environment(root)
    template = environment.from_string(source, name=f"blocks/{handle}.liquid")
    body = template.render(**objects, block=block)
    wrapped = f'<div id="shopify-block-{block_id}" class="shopify-block shopify-app-block">{body}</div>'
    return RenderedBlock(wrapped, schema.get("javascript"), schema.get("stylesheet"))


# -- Shopify's objects ----------------------------------------------------------------------------------------------


def _cents(amount: str) -> int:
    return round(float(amount) * 100)


def order_object(order: Order) -> dict[str, Any]:
    """Liquid's `order` on customers/order (the properties the devshop can fill)."""
    return {
        "id": order.legacy_id,
        "name": order.name,
        "order_number": int(order.name.lstrip("#")) if order.name.lstrip("#").isdigit() else order.legacy_id,
        "email": order.email,
        "created_at": iso_utc(order.created_at),
        "cancelled": order.cancelled_at is not None,
        "cancelled_at": iso_utc(order.cancelled_at),
        "cancel_reason": (order.cancel_reason or "").lower() or None,
        "financial_status": order.display_financial_status.lower(),
        "fulfillment_status": order.display_fulfillment_status.lower(),
        "tags": list(order.tags),
        "currency": order.currency,
        "total_price": _cents(order.total_price),
        "line_items": [
            {"title": item.name, "quantity": item.current_quantity, "price": _cents(item.unit_price)}
            for item in order.line_items
        ],
        "customer_url": f"/account/orders/{order.legacy_id}",
    }


def customer_object(customer: Customer | None, state: DevshopState) -> dict[str, Any] | None:
    """Liquid's global `customer` (nil when nobody is logged in)."""
    if customer is None:
        return None
    count = sum(1 for order in state.list_orders() if order.customer_id == customer.legacy_id)
    return {
        "id": customer.legacy_id,
        "email": customer.email,
        "name": customer.display_name,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "orders_count": count,
        "has_account": True,
    }


def storefront_objects(state: DevshopState, locale: str, customer: Customer | None) -> dict[str, Any]:
    """The global objects every page has: shop, request, routes, customer, app."""
    return {
        "shop": {
            "name": "Devshop",
            "domain": request.host,
            "permanent_domain": state.shop_domain,
            "url": request.host_url.rstrip("/"),
            "locale": locale,
        },
        "request": {
            "locale": {"iso_code": locale, "primary": locale == DEFAULT_LOCALE, "endonym_name": LOCALE_NAMES[locale]},
            "path": request.path,
            "host": request.host,
            "page_type": "customers/order" if request.path.startswith("/account/orders/") else "page",
            "design_mode": False,
        },
        "routes": {"root_url": "/", "account_url": "/", "account_login_url": "/", "account_logout_url": "/logout"},
        "customer": customer_object(customer, state),
        "app": app_object(state),
    }


def current_locale() -> tuple[str, bool]:
    """The storefront locale (`?locale=` else the devshop_locale cookie else en) and whether to remember it."""
    asked = request.args.get("locale", "")
    if asked in LOCALES:
        return asked, asked != request.cookies.get(LOCALE_COOKIE)
    remembered = request.cookies.get(LOCALE_COOKIE, "")
    return (remembered if remembered in LOCALES else DEFAULT_LOCALE), False


# -- pages ----------------------------------------------------------------------------------------------------------


def _page(template: str, locale: str, remember: bool, blocks: list[RenderedBlock], **context: Any) -> Response:
    assets = PageAssets()
    for block in blocks:
        assets.add(block)
    body = render_template(
        template,
        locale=locale,
        locales=[(code, LOCALE_NAMES[code]) for code in LOCALES],
        assets=assets,
        path=request.path,
        **context,
    )
    response = Response(body, mimetype="text/html")
    if remember:
        response.set_cookie(LOCALE_COOKIE, locale, samesite="Lax")
    return response


def _customer(state: DevshopState) -> Customer | None:
    customer_id = current_customer_id(state)
    return state.get_customer(int(customer_id)) if customer_id else None


@bp.get("/account/orders/<int:legacy_id>")
def customer_order(legacy_id: int) -> Response:
    """The theme's customers/order page with the order_cancel app block (login required; only your own orders)."""
    state: DevshopState = current_app.extensions["devshop"]
    customer = _customer(state)
    if customer is None:
        return redirect("/")  # the devshop's login is on its home page
    order = state.get_order(legacy_id)
    if order is None or order.customer_id != customer.legacy_id:
        abort(404)
    locale, remember = current_locale()
    objects = {**storefront_objects(state, locale, customer), "order": order_object(order)}
    block = render_block("order_cancel", objects, settings=current_app.config.get("DEVSHOP_BLOCK_SETTINGS"))
    return _page(
        "devshop_storefront.html",
        locale,
        remember,
        [block],
        title=f"Order {order.name}",
        customer=customer,
        order=order,
        created=(iso_utc(order.created_at) or "").replace("T", " ").replace("Z", " UTC"),
        block_html=block.html,
    )


@bp.get("/pages/manage-orders")
def manage_orders() -> Response:
    """A theme page with the manage_orders app block (works logged out too: the block asks to log in)."""
    state: DevshopState = current_app.extensions["devshop"]
    customer = _customer(state)
    locale, remember = current_locale()
    objects = storefront_objects(state, locale, customer)
    block = render_block("manage_orders", objects, settings=current_app.config.get("DEVSHOP_BLOCK_SETTINGS"))
    return _page(
        "devshop_storefront.html",
        locale,
        remember,
        [block],
        title="Manage my orders",
        customer=customer,
        order=None,
        block_html=block.html,
    )


@bp.get(f"{ASSET_URL_PREFIX}<path:filename>")
def extension_asset(filename: str) -> Response:
    """The extension's assets/, as Shopify's CDN serves them to the storefront."""
    return send_from_directory(EXTENSION_DIR / "assets", filename, max_age=0)
