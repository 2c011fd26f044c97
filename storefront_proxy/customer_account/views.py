"""The customer-account extension's routes: one order, its cancellation request and its edits (read and create).

The same JSON bodies, status codes, error shapes and request statuses as the ``/proxy`` contract (README, "The
storefront contract"), from the same use cases; only the verification differs (a session token instead of the
proxy signature) and no form token is needed: a bearer token is never sent by another site's page. The extension
runs on Shopify's origin, so every answer carries ``Access-Control-Allow-Origin: *`` and preflights are answered
as Shopify's package says; no cookies are read or set.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from werkzeug.wrappers import Response

from storefront_proxy.cancellations.storefront import Cancellations
from storefront_proxy.customer_account.verification import extension_verified, preflight_answer
from storefront_proxy.http_errors import ApiError, answer_invalid_values
from storefront_proxy.proxy.pages import translator
from storefront_proxy.services import services
from storefront_proxy.shopper_contract import (
    edit_request,
    limit_cancellations,
    limit_edits,
    limit_reads,
    limit_reads_in,
    order_payload,
    parse_order_id,
    reason_and_note,
    request_fields,
)

URL_PREFIX = "/customer-account"

bp = Blueprint("customer_account", __name__, url_prefix=URL_PREFIX)
answer_invalid_values(bp, 400)


@bp.before_request
def _answer_preflight() -> Response | None:
    """A CORS preflight is answered before routing to a view (Flask would answer OPTIONS itself, without CORS)."""
    if request.method != "OPTIONS":
        return None
    answer = preflight_answer(dict(request.headers), request.url)
    status, headers = answer if answer is not None else (204, {})
    return Response(status=status, headers=headers)


@bp.after_app_request
def _allow_any_origin(response: Response) -> Response:
    """Every answer under the prefix, errors and unknown paths included, may be read by the extension."""
    if request.path == URL_PREFIX or request.path.startswith(f"{URL_PREFIX}/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Cache-Control"] = "no-store"
    return response


def _cancellations() -> Cancellations:
    return services().cancellations


def _limited() -> None:
    """The shopper's request budget, shared with the app proxy (one shopper, one budget)."""
    limit_reads(g.customer_account.shop, g.customer_account.customer_id)


@bp.get("/orders/<path:order_id>/cancellation")
@extension_verified
def show_cancellation(order_id: str) -> Any:
    """The order's cancellation request, or 404 when the shopper has not asked."""
    _limited()
    shopper = g.customer_account
    numeric_id = parse_order_id(order_id, gid=True)
    cancellation = _cancellations().existing_request(shopper.shop, shopper.customer_id, numeric_id)
    if cancellation is None:
        raise ApiError(404, "request_not_found", "There is no cancellation request for this order.")
    return jsonify({"request": cancellation.public_dict(translator())})


@bp.post("/orders/<path:order_id>/cancellation")
@extension_verified
def create_cancellation(order_id: str) -> Any:
    """Ask to cancel the order: 202 with the new request, or 200 with the one that already exists."""
    _limited()
    shopper = g.customer_account
    numeric_id = parse_order_id(order_id, gid=True)
    reason, note = reason_and_note(request_fields())
    limit_cancellations(shopper.shop, shopper.customer_id)
    cancellation, created = _cancellations().request_cancellation(
        shopper.shop, shopper.customer_id, numeric_id, reason, note
    )
    return jsonify({"request": cancellation.public_dict(translator())}), 202 if created else 200


@bp.get("/orders/<path:order_id>")
@extension_verified
def show_order(order_id: str) -> Any:
    """One order: can it still be cancelled, until when, and the request's status if there is one."""
    shopper = g.customer_account
    numeric_id = parse_order_id(order_id, gid=True)
    reads = limit_reads_in(services().store.batch(), shopper.shop, shopper.customer_id)
    view = _cancellations().order_view(shopper.shop, shopper.customer_id, numeric_id, reads)
    return jsonify(order_payload(view, options=services().edits.options(shopper.shop, view)))


@bp.post("/orders/<path:order_id>/edits")
@extension_verified
def create_edit(order_id: str) -> Any:
    """Ask to change the order's items or address: 202 with the new edit."""
    _limited()
    shopper = g.customer_account
    numeric_id = parse_order_id(order_id, gid=True)
    lines, address = edit_request(request_fields())
    limit_edits(shopper.shop, shopper.customer_id)
    edit = services().edits.request_edit(shopper.shop, shopper.customer_id, numeric_id, lines, address)
    return jsonify({"edit": edit.public_dict(translator())}), 202


@bp.get("/orders/<path:order_id>/edits/<edit_id>")
@extension_verified
def show_edit(order_id: str, edit_id: str) -> Any:
    """One of the order's edits."""
    _limited()
    shopper = g.customer_account
    numeric_id = parse_order_id(order_id, gid=True)
    edit = services().edits.get_edit(shopper.shop, shopper.customer_id, numeric_id, edit_id)
    return jsonify({"edit": edit.public_dict(translator())})
