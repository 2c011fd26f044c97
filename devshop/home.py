"""The devshop's storefront home page and demo login, where a person starts using the product."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template

from devshop.proxy import CUSTOMER_COOKIE, ProxyConfig, current_customer_id
from devshop.schema import API_VERSION
from devshop.state import DevshopState, Order, iso_utc

bp = Blueprint("devshop_home", __name__, template_folder="templates")


def _age(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h ago" if hours < 48 else f"{hours // 24} days ago"


def _order_row(order: Order, now: float) -> dict[str, Any]:
    return {
        "order": order,
        "age": _age(now - order.created_at),
        "created": (iso_utc(order.created_at) or "").replace("T", " ").replace("Z", " UTC"),
        "cancelled": _age(now - order.cancelled_at) if order.cancelled_at is not None else "",
    }


@bp.get("/")
def home() -> str:
    """Who is logged in, their orders, and links into self-service."""
    state: DevshopState = current_app.extensions["devshop"]
    config: ProxyConfig = current_app.extensions["devshop_proxy"]
    customer_id = current_customer_id(state)
    customer = state.get_customer(int(customer_id)) if customer_id else None
    now = state.clock()
    with state.lock:
        customers = sorted(state.customers.values(), key=lambda c: c.legacy_id)
        orders = [o for o in state.list_orders() if customer and o.customer_id == customer.legacy_id]
    rows = [_order_row(order, now) for order in reversed(orders)]  # newest first, like a storefront account page
    return render_template(
        "devshop_home.html",
        shop_domain=state.shop_domain,
        app_url=config.app_url.rstrip("/"),
        prefix=config.path_prefix,
        api_version=API_VERSION,
        customer=customer,
        customers=customers,
        orders=rows,
        app_metafields=state.list_app_metafields(),
    )


@bp.get("/login/<int:customer_id>")
def login(customer_id: int) -> Response:
    """Act as this demo customer from now on (a devshop cookie; the app never sees it)."""
    state: DevshopState = current_app.extensions["devshop"]
    if state.get_customer(customer_id) is None:
        abort(404)
    response = redirect("/")
    response.set_cookie(CUSTOMER_COOKIE, str(customer_id), httponly=True, samesite="Lax")
    return response


@bp.get("/logout")
def logout() -> Response:
    """Browse anonymously."""
    response = redirect("/")
    response.delete_cookie(CUSTOMER_COOKIE)
    return response


@bp.post("/test-order")
def place_test_order() -> Response:
    """A new order for the logged-in demo customer, placed just now (Shopify sends orders/create), then its page."""
    state: DevshopState = current_app.extensions["devshop"]
    customer_id = current_customer_id(state)
    if not customer_id:
        return redirect("/")
    order_id = state.create_order(customer_id=int(customer_id), age_minutes=0)
    return redirect(f"/account/orders/{order_id}", code=303)
