"""The devshop's stand-in for the Shopify admin's order page: ``/admin/orders/<id>``, where the app's Request detail
links (its ``admin_url`` in development). Development and tests only."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from devshop.state import DevshopState, iso_utc

bp = Blueprint("devshop_admin_orders", __name__, template_folder="templates")


@bp.get("/admin/orders/<int:legacy_id>")
def order_page(legacy_id: int) -> str:
    """One order as the merchant sees it in the admin: its name, items, statuses and total."""
    state: DevshopState = current_app.extensions["devshop"]
    order = state.get_order(legacy_id)
    if order is None:
        abort(404)
    customer = state.get_customer(order.customer_id) if order.customer_id is not None else None
    return render_template(
        "devshop_admin_order.html",
        shop=state.shop_domain,
        order=order,
        customer=customer,
        created=_shown_time(order.created_at),
        cancelled=_shown_time(order.cancelled_at),
    )


def _shown_time(moment: float | None) -> str:
    return (iso_utc(moment) or "").replace("T", " ").replace("Z", " UTC")
