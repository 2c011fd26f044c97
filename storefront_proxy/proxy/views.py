"""Storefront routes: the shopper's orders, one order's cancel page, and the cancellation request itself.

Every route answers JSON when the client asks for it (``Accept: application/json``) and an HTML page
otherwise. The contract's field names are relied on by the theme block and other clients.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, g, jsonify, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header
from werkzeug.wrappers import Response

from storefront_proxy.cancellations.storefront import Cancellations, OrderView
from storefront_proxy.edits.storefront import EditOptions
from storefront_proxy.http_errors import ApiError, answer_invalid_values
from storefront_proxy.proxy.csrf import issue_token, token_is_valid
from storefront_proxy.proxy.pages import per_header, render_page, translator
from storefront_proxy.proxy.verification import proxy_verified
from storefront_proxy.services import services
from storefront_proxy.shopper_contract import (
    edit_request,
    limit_cancellations,
    limit_edits,
    limit_reads_in,
    offered_reasons,
    parse_order_id,
    reason_and_note,
    request_fields,
)
from storefront_proxy.shopper_contract import order_payload as shopper_order_payload
from storefront_proxy.storage import ReadBatch

# The page script is served under the proxy path too, so it loads from the shop's own domain.
bp = Blueprint(
    "proxy",
    __name__,
    url_prefix="/proxy",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
answer_invalid_values(bp, 400)

CSRF_HEADER = "X-CSRF-Token"


def wants_json() -> bool:
    """True when the client prefers JSON to HTML (the theme block's fetch sends Accept: application/json)."""
    return _prefers_json(request.headers.get("Accept"))


@per_header(maxsize=256)
def _prefers_json(accept: str | None) -> bool:
    # Browsers and the theme block send a handful of distinct Accept headers: each is parsed once.
    best = parse_accept_header(accept, MIMEAccept).best_match(["text/html", "application/json"])
    return best == "application/json"


def _cancellations() -> Cancellations:
    return services().cancellations


def order_payload(view: OrderView, options: EditOptions | None = None) -> dict[str, Any]:
    """The contract's order object, with the form token the page and the theme block post back."""
    return shopper_order_payload(view, _csrf_token(view.order.legacy_resource_id), options)


def _order_page(view: OrderView, status: int = 200, **context: Any) -> Response:
    """The order's self-service page: items and address to change, cancelling, and what was asked."""
    options = services().edits.options(g.proxy.shop, view)
    return _page(
        "order.html", status=status, view=view, options=options, payload=order_payload(view, options), **context
    )


def _check_csrf(fields: dict[str, Any], order_id: int) -> str:
    settings = services().settings
    token = request.headers.get(CSRF_HEADER) or fields.get("csrf_token")
    if not isinstance(token, str) or not token_is_valid(
        settings.api_secret(), token, g.proxy.shop, g.proxy.customer_id, order_id, time.time()
    ):
        raise ApiError(403, "invalid_csrf_token", "This form has expired. Please reload the page and try again.")
    return token


def _csrf_token(order_id: int) -> str:
    settings = services().settings
    return issue_token(
        settings.api_secret(), g.proxy.shop, g.proxy.customer_id, order_id, time.time(), settings.csrf_token_ttl_seconds
    )


def _page(template: str, status: int = 200, **context: Any) -> Response:
    view = context.get("view")
    returns_url = view.policy.returns_url if isinstance(view, OrderView) else None
    contact_url = view.policy.contact_url if isinstance(view, OrderView) else None
    seconds_left = None
    if isinstance(view, OrderView) and view.eligibility.deadline is not None:
        # The countdown runs on the server's clock: a shopper's clock may be minutes off.
        seconds_left = max(0, int((view.eligibility.deadline - datetime.now(UTC)).total_seconds()))
    return render_page(
        template,
        status,
        prefix=g.proxy.path_prefix,
        returns_url=returns_url,
        contact_url=contact_url,
        seconds_left=seconds_left,
        **context,
    )


def _limited() -> None:
    """Per-shopper request budget; runs after verification, so it counts verified shoppers only."""
    limit_reads_in(g.proxy_reads, g.proxy.shop, g.proxy.customer_id).run()


def _limited_reads() -> ReadBatch:
    """The same budget, spent when the use case sends its reads (one round trip to Redis for the whole request)."""
    return limit_reads_in(g.proxy_reads, g.proxy.shop, g.proxy.customer_id)


@bp.get("/")
@bp.get("/orders")
@proxy_verified
def list_orders() -> Any:
    """The logged-in shopper's recent orders with their cancellation state."""
    views = _cancellations().customer_orders(g.proxy.shop, g.proxy.customer_id, _limited_reads())
    if wants_json():
        return jsonify({"orders": [order_payload(view) for view in views]})
    return _page("orders.html", views=views)


@bp.get("/orders/<order_id>")
@proxy_verified
def show_order(order_id: str) -> Any:
    """One order: can it still be cancelled, until when, and the request's status if there is one."""
    numeric_id = parse_order_id(order_id)
    view = _cancellations().order_view(g.proxy.shop, g.proxy.customer_id, numeric_id, _limited_reads())
    if wants_json():
        return jsonify(order_payload(view, services().edits.options(g.proxy.shop, view)))
    return _order_page(view)


@bp.get("/orders/<order_id>/cancellation")
@proxy_verified
def show_cancellation(order_id: str) -> Any:
    """The order's cancellation request, or 404 when the shopper has not asked."""
    _limited()
    numeric_id = parse_order_id(order_id)
    cancellation = _cancellations().existing_request(g.proxy.shop, g.proxy.customer_id, numeric_id)
    if cancellation is None:
        raise ApiError(404, "request_not_found", "There is no cancellation request for this order.")
    if wants_json():
        return jsonify({"request": cancellation.public_dict(translator())})
    view = _cancellations().order_view(g.proxy.shop, g.proxy.customer_id, numeric_id)
    return _order_page(view)


@bp.post("/orders/<order_id>/cancellation")
@proxy_verified
def create_cancellation(order_id: str) -> Any:
    """Ask to cancel the order: 202 with the new request, or 200 with the one that already exists."""
    _limited()
    numeric_id = parse_order_id(order_id)
    fields = request_fields()
    token = _check_csrf(fields, numeric_id)
    reason, note = reason_and_note(fields)
    if not wants_json() and fields.get("confirm") != "yes":
        # The plain form's first step: show what will happen and ask again (the script does this in place).
        return _confirmation_page(numeric_id, reason, note, token)
    limit_cancellations(g.proxy.shop, g.proxy.customer_id)
    cancellation, created = _cancellations().request_cancellation(
        g.proxy.shop, g.proxy.customer_id, numeric_id, reason, note
    )
    status = 202 if created else 200
    if wants_json():
        return jsonify({"request": cancellation.public_dict(translator())}), status
    view = _cancellations().order_view(g.proxy.shop, g.proxy.customer_id, numeric_id)
    return _order_page(view, status=status, focus_status=True)


def _confirmation_page(order_id: int, reason: str, note: str | None, token: str) -> Any:
    view = _cancellations().order_view(g.proxy.shop, g.proxy.customer_id, order_id)
    labels = {item["code"]: item["label"] for item in offered_reasons(view.policy, translator())}
    if reason not in labels:
        raise ApiError(400, "invalid_reason", "Choose one of the offered reasons.")
    if view.request is not None or not view.eligibility.eligible:
        return _order_page(view)
    return _page(
        "confirm.html",
        view=view,
        payload=shopper_order_payload(view),
        reason=reason,
        reason_label=labels[reason],
        note=note or "",
        csrf_token=token,
    )


@bp.post("/orders/<order_id>/edits")
@proxy_verified
def create_edit(order_id: str) -> Any:
    """Ask to change the order's items or address: 202 with the new edit. The plain form's first step answers the
    confirmation page (the changes and the refund) instead."""
    _limited()
    numeric_id = parse_order_id(order_id)
    fields = request_fields()
    token = _check_csrf(fields, numeric_id)
    lines, address = edit_request(fields)
    if not wants_json() and fields.get("confirm") != "yes":
        view = _cancellations().order_view(g.proxy.shop, g.proxy.customer_id, numeric_id)
        plan = services().edits.preview(g.proxy.shop, view, lines, address)
        return _page(
            "edit_confirm.html",
            view=view,
            payload=shopper_order_payload(view),
            plan=plan,
            fields=_form_fields(fields),
            csrf_token=token,
        )
    limit_edits(g.proxy.shop, g.proxy.customer_id)
    edit = services().edits.request_edit(g.proxy.shop, g.proxy.customer_id, numeric_id, lines, address)
    if wants_json():
        return jsonify({"edit": edit.public_dict(translator())}), 202
    view = _cancellations().order_view(g.proxy.shop, g.proxy.customer_id, numeric_id)
    return _order_page(view, status=202, focus_edit=True)


@bp.get("/orders/<order_id>/edits/<edit_id>")
@proxy_verified
def show_edit(order_id: str, edit_id: str) -> Any:
    """One of the order's edits (the page script follows it until it is applied or not)."""
    _limited()
    numeric_id = parse_order_id(order_id)
    edit = services().edits.get_edit(g.proxy.shop, g.proxy.customer_id, numeric_id, edit_id)
    if wants_json():
        return jsonify({"edit": edit.public_dict(translator())})
    view = _cancellations().order_view(g.proxy.shop, g.proxy.customer_id, numeric_id)
    return _order_page(view)


def _form_fields(fields: dict[str, Any]) -> list[tuple[str, str]]:
    """The plain form's edit fields, carried through its confirmation step as hidden inputs."""
    return [
        (name, value)
        for name, value in fields.items()
        if isinstance(value, str) and name.startswith(("quantity-", "variant-", "address-"))
    ]
