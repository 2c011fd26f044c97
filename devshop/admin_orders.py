"""The devshop's stand-in for the Shopify admin's order page: ``/admin/orders/<id>``, where the app's Request detail
links (its ``admin_url`` in development). Development and tests only."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from devshop.state import COUNTRY_NAMES, DevshopState, iso_utc, money_amount

bp = Blueprint("devshop_admin_orders", __name__, template_folder="templates")

# How the admin names a refund's method (Refund.method).
REFUND_METHODS = {
    "original_payment": "Original payment method",
    "store_credit": "Store credit",
    "original_payment+store_credit": "Original payment method and store credit",
}


@bp.get("/admin/orders/<int:legacy_id>")
def order_page(legacy_id: int) -> str:
    """One order as the merchant sees it in the admin: its name, items (as edited), statuses, total, shipping address,
    payments, refunds and edits."""
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
        # What edits and refunds changed, so a person sees the order follow the shopper's changes.
        country=COUNTRY_NAMES.get(order.shipping_address.country_code or "", order.shipping_address.country_code)
        if order.shipping_address
        else None,
        edits=[(edit, _shown_time(edit.committed_at)) for edit in order.edits],
        refunds=[
            (refund, _shown_time(refund.created_at), REFUND_METHODS.get(refund.method, refund.method))
            for refund in order.refunds
        ],
        net_payment=money_amount(order.net_payment),
        total_refunded=money_amount(order.total_refunded),
    )


def _shown_time(moment: float | None) -> str:
    return (iso_utc(moment) or "").replace("T", " ").replace("Z", " UTC")
