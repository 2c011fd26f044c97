"""The admin JSON API behind the Policy, Requests and Request detail pages (documented in openapi.yaml)."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Response, g, jsonify, request
from pydantic import ValidationError

from storefront_proxy.admin.auth import admin_authenticated
from storefront_proxy.admin.blueprint import bp
from storefront_proxy.cancellations.insights import MAX_RANGE_DAYS, DateRange, compute_insights, in_range, resolve_range
from storefront_proxy.cancellations.records import RequestKind, RequestStatus, ShopperRequest
from storefront_proxy.cancellations.review import REJECT_MESSAGE_MAX, Actor, Review, actor_of, event_actor, is_overdue
from storefront_proxy.holds.records import FulfillmentHoldRecord, HoldStatus
from storefront_proxy.holds.service import HoldStatusError, hold_summary
from storefront_proxy.http_errors import ApiError
from storefront_proxy.i18n import LANGUAGES, decimal_amount
from storefront_proxy.policy.field_errors import describe_errors
from storefront_proxy.policy.model import DEFAULT_REASONS, Policy
from storefront_proxy.services import services
from storefront_proxy.shopify.domains import order_admin_url
from storefront_proxy.shopify.errors import ShopifyError
from storefront_proxy.shopify.models import Order
from storefront_proxy.storage import NotFoundError
from storefront_proxy.text import has_visible_text
from storefront_proxy.times import iso
from storefront_proxy.validation import InvalidValueError

log = logging.getLogger(__name__)

MAX_BULK = 100
CSV_COLUMNS = [
    "id",
    "type",
    "created_at",
    "order_name",
    "order_id",
    "customer_email",
    "reason",
    "note",
    "changes",
    "status",
    "message",
    "order_total",
    "refund",
    "currency_code",
    "attempts",
    "last_error",
]
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# The query parameters each operation takes (openapi.yaml); anything else, or an empty value where a value has
# to have a form, is a 400 rather than silently ignored.
QUERY_PARAMETERS: dict[str, frozenset[str]] = {
    "list_requests": frozenset({"status", "q", "page", "from", "to", "type"}),
    "list_fulfillment_holds": frozenset({"status"}),
    "insights": frozenset({"from", "to"}),
    "export_requests": frozenset({"status", "q", "from", "to"}),
}
MAY_BE_EMPTY = frozenset({"q"})
# The kinds of request the admin lists (``type``).
REQUEST_TYPES = frozenset(kind.value for kind in RequestKind)


@bp.before_request
def _known_query_parameters() -> None:
    if not request.path.startswith("/admin/api/") or request.endpoint is None:
        return
    allowed = QUERY_PARAMETERS.get(request.endpoint.removeprefix("admin."), frozenset())
    for name, value in request.args.items(multi=True):
        if name not in allowed:
            raise ApiError(400, "invalid_parameter", f"Unknown query parameter {name[:40]!r}.")
        if not value and name not in MAY_BE_EMPTY:
            raise ApiError(400, "invalid_parameter", f"The query parameter {name!r} is empty.")
    repeated = [name for name in allowed if len(request.args.getlist(name)) > 1]
    if repeated:
        raise ApiError(400, "invalid_parameter", f"The query parameter {repeated[0]!r} is given twice.")


def _review() -> Review:
    return services().review


def _json_body() -> dict[str, Any]:
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def _money(amount: Decimal | None, currency: str | None) -> dict[str, str] | None:
    if amount is None or not currency:
        return None
    return {"amount": decimal_amount(amount, currency), "currency_code": currency}


def request_summary(item: ShopperRequest, policy: Policy, now: datetime) -> dict[str, Any]:
    return {
        "id": item.id,
        "type": item.kind.value,
        "order_id": item.order_id,
        "order_name": item.order_name,
        "customer_id": item.customer_id,
        "customer_email": item.customer_email,
        "reason": item.reason,
        "status": item.status.value,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "order_total": _money(item.order_total, item.currency_code),
        "overdue": is_overdue(item, policy, now),
        # An edit's changes and what it refunds (null for a cancellation).
        "changes": item.edit.public_changes() if item.edit is not None else None,
        "refund": item.refund_money(),
    }


def _actor(actor: Actor, staff_names: dict[str, str]) -> dict[str, Any]:
    name = staff_names.get(actor.id) if actor.kind == "staff" and actor.id else None
    return {"kind": actor.kind, "id": actor.id, "name": name}


def _order(order: Order, shop: str) -> dict[str, Any]:
    """The request's order as the Request detail page shows it, with its page in the Shopify admin."""
    return {
        "id": order.legacy_resource_id,
        "name": order.name,
        "created_at": iso(order.created_at),
        "cancelled_at": iso(order.cancelled_at),
        "total": _money(order.total_amount, order.currency_code),
        "financial_status": order.display_financial_status,
        "fulfillment_status": order.display_fulfillment_status,
        "customer_email": order.email,
        "line_items": [{"name": item.name, "quantity": item.quantity} for item in order.line_items],
        "admin_url": order_admin_url(shop, order.legacy_resource_id, services().settings.shopify_admin_origin),
    }


def _request_order(item: ShopperRequest) -> tuple[dict[str, Any] | None, str | None]:
    """The order and ``order_error``: the page shows the request whether or not Shopify can tell about its order."""
    try:
        order = services().request_orders.order_of(item)
    except ShopifyError as exc:
        log.warning("request's order not read: %s", exc, extra={"shop": item.shop, "order_id": item.order_id})
        return None, "shop_unavailable"
    if order is None:
        return None, "order_not_found"
    return _order(order, item.shop), None


def request_detail(item: ShopperRequest) -> dict[str, Any]:
    built = services()
    policy = built.policies.policy(item.shop)
    actors = [event_actor(item, event) for event in item.events]
    authors = [actor_of(note.author) for note in item.notes]
    staff_ids = [actor.id for actor in actors + authors if actor.kind == "staff" and actor.id]
    staff_names = built.store.staff_names.names(item.shop, staff_ids)
    order, order_error = _request_order(item)
    return {
        **request_summary(item, policy, built.clock()),
        "note": item.note,
        "message": item.message,
        "last_error": item.last_error,
        "attempts": item.attempts,
        "shopify_job_id": item.shopify_job_id,
        "timeline": [
            {
                "at": iso(event.at),
                "type": event.type,
                "status": event.status.value if event.status else None,
                "detail": event.detail,
                "actor": _actor(actor, staff_names),
            }
            for event, actor in zip(item.events, actors, strict=True)
        ],
        "notes": [
            {
                "at": iso(note.at),
                "author": note.author,
                "author_name": _actor(author, staff_names)["name"],
                "text": note.text,
            }
            for note, author in zip(item.notes, authors, strict=True)
        ],
        "order": order,
        "order_error": order_error,
        # An edit's address before the change, beside the new one in ``changes``.
        "previous_address": (
            item.edit.previous_address.model_dump()
            if item.edit is not None and item.edit.previous_address is not None and item.edit.shipping_address
            else None
        ),
    }


@bp.get("/api/policy")
@admin_authenticated
def get_policy() -> Any:
    return jsonify(
        {
            "policy": services().policies.policy(g.admin.shop).model_dump(mode="json"),
            # What the Policy page offers besides the shop's own reasons, and the languages labels can have.
            "default_reasons": [{"code": code, "label": label} for code, label in DEFAULT_REASONS.items()],
            "languages": list(LANGUAGES),
        }
    )


@bp.put("/api/policy")
@admin_authenticated
def put_policy() -> Any:
    body = _json_body()
    values = body.get("policy", body)
    if not isinstance(values, dict) or ("policy" in body and len(body) > 1):
        raise ApiError(400, "invalid_json", 'Send the policy, or {"policy": <the policy>} and nothing else.')
    try:
        policy = services().policies.change(g.admin.shop, g.admin.actor, values)
    except ValidationError as exc:
        problems = describe_errors(exc.errors())
        fields = {field: problem.message for field, problem in problems.items()}
        field_errors = {field: {"type": problem.type, "limit": problem.limit} for field, problem in problems.items()}
        raise ApiError(
            422, "invalid_policy", "Some values are not valid.", fields=fields, field_errors=field_errors
        ) from None
    return jsonify({"policy": policy.model_dump(mode="json")})


@bp.get("/api/requests")
@admin_authenticated
def list_requests() -> Any:
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in RequestStatus}:
        raise ApiError(400, "invalid_status", "Unknown status filter.")
    page_text = request.args.get("page", "1")
    if not page_text.isascii() or not page_text.isdigit() or int(page_text) < 1:
        raise ApiError(400, "invalid_page", "The page must be a number from 1.")
    page = int(page_text)
    kind = request.args.get("type")
    if kind is not None and kind not in REQUEST_TYPES:
        raise ApiError(
            400, "invalid_parameter", f"Unknown request type {kind[:40]!r}; the types are cancellation and edit."
        )
    days = _date_range(max_days=None) if request.args.get("from") or request.args.get("to") else None
    result = _review().list_requests(g.admin.shop, status, request.args.get("q"), page, days, kind=kind)
    policy = services().policies.policy(g.admin.shop)
    now = services().clock()
    return jsonify(
        {
            "requests": [request_summary(item, policy, now) for item in result.requests],
            "page": result.page,
            "pages": result.pages,
            "total": result.total,
            "review_target_hours": policy.review_target_hours,
        }
    )


@bp.get("/api/requests/<request_id:request_id>")
@admin_authenticated
def show_request(request_id: str) -> Any:
    return jsonify({"request": request_detail(_review().get_request(g.admin.shop, request_id))})


@bp.post("/api/requests/<request_id:request_id>/approve")
@admin_authenticated
def approve_request(request_id: str) -> Any:
    return jsonify({"request": request_detail(_review().approve(g.admin.shop, request_id, g.admin.actor))})


@bp.post("/api/requests/<request_id:request_id>/reject")
@admin_authenticated
def reject_request(request_id: str) -> Any:
    message = _json_body().get("message")
    if not isinstance(message, str):
        raise ApiError(
            422, "invalid_message", "Tell the shopper why the request is rejected.", fields={"message": "required"}
        )
    return jsonify({"request": request_detail(_review().reject(g.admin.shop, request_id, g.admin.actor, message))})


@bp.post("/api/requests/<request_id:request_id>/retry")
@admin_authenticated
def retry_request(request_id: str) -> Any:
    return jsonify({"request": request_detail(_review().retry(g.admin.shop, request_id, g.admin.actor))})


@bp.post("/api/requests/<request_id:request_id>/notes")
@admin_authenticated
def add_note(request_id: str) -> Any:
    text = _json_body().get("text")
    if not isinstance(text, str):
        raise ApiError(422, "invalid_note", "A note needs text.", fields={"text": "required"})
    return jsonify({"request": request_detail(_review().add_note(g.admin.shop, request_id, g.admin.actor, text))}), 201


@bp.post("/api/requests/bulk")
@admin_authenticated
def bulk_action() -> Any:
    body = _json_body()
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or len(ids) > MAX_BULK or not all(isinstance(i, str) for i in ids):
        raise ApiError(422, "invalid_ids", f"Give 1 to {MAX_BULK} request ids.", fields={"ids": "invalid"})
    action = body.get("action")
    if action not in ("approve", "reject"):
        raise ApiError(422, "invalid_action", "The action must be approve or reject.", fields={"action": "invalid"})
    message = body.get("message")
    if "message" in body and (not isinstance(message, str) or len(message) > REJECT_MESSAGE_MAX):
        raise ApiError(
            422,
            "invalid_message",
            f"The message is text of at most {REJECT_MESSAGE_MAX} characters.",
            fields={"message": "invalid"},
        )
    if action == "reject" and not has_visible_text(message or ""):
        raise ApiError(
            422, "invalid_message", "Tell the shoppers why their requests are rejected.", fields={"message": "required"}
        )
    return jsonify({"results": _review().bulk(g.admin.shop, g.admin.actor, action, ids, message)})


def _hold(record: FulfillmentHoldRecord) -> dict[str, Any]:
    """A hold with the link to its order in the Shopify admin."""
    origin = services().settings.shopify_admin_origin
    return {**hold_summary(record), "admin_url": order_admin_url(record.shop, record.order_id, origin)}


@bp.get("/api/fulfillment-holds")
@admin_authenticated
def list_fulfillment_holds() -> Any:
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in HoldStatus}:
        raise ApiError(400, "invalid_status", f"Unknown hold status {status!r}.")
    return jsonify({"holds": [_hold(hold) for hold in services().holds.holds(g.admin.shop, status)]})


def _hold_action(action: Callable[[str, int, str], FulfillmentHoldRecord], order_id: int) -> dict[str, Any]:
    """Support's action on an order's hold, answered with the hold (404 without one, 409 in the wrong status)."""
    try:
        record = action(g.admin.shop, order_id, g.admin.actor)
    except NotFoundError:
        raise ApiError(404, "hold_not_found", "This order has no fulfillment hold.") from None
    except HoldStatusError as error:
        raise ApiError(409, "wrong_status", str(error)) from None
    return {"hold": _hold(record)}


@bp.post("/api/fulfillment-holds/<int:order_id>/retry")
@admin_authenticated
def retry_fulfillment_hold(order_id: int) -> Any:
    return jsonify(_hold_action(services().holds.retry, order_id))


@bp.post("/api/fulfillment-holds/<int:order_id>/release")
@admin_authenticated
def release_fulfillment_hold(order_id: int) -> Any:
    """Release a held order now; a worker releases it in Shopify shortly after (202)."""
    return jsonify(_hold_action(services().holds.release, order_id)), 202


@bp.get("/api/data-requests/<data_request_id>")
@admin_authenticated
def data_request_export(data_request_id: str) -> Any:
    """A customer's data, exported when Shopify sent customers/data_request, for the merchant to pass on."""
    export = services().store.data_requests.get(g.admin.shop, data_request_id)
    if export is None:
        raise ApiError(404, "data_request_not_found", "There is no export for this data request (yet).")
    return jsonify({"export": export})


@bp.get("/api/audit")
@admin_authenticated
def audit_log() -> Any:
    return jsonify({"entries": services().store.audit.entries(g.admin.shop)})


# -- reports ----------------------------------------------------------------------------------------------


def _status_filter() -> str | None:
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in RequestStatus}:
        raise ApiError(400, "invalid_status", "Unknown status filter.")
    return status


def _date_range(*, max_days: int | None) -> DateRange:
    today = services().clock().date()
    try:
        return resolve_range(request.args.get("from"), request.args.get("to"), today, max_days=max_days)
    except InvalidValueError as exc:
        raise ApiError(400, "invalid_range", exc.message, fields={exc.field: exc.message}) from None


@bp.get("/api/insights")
@admin_authenticated
def insights() -> Any:
    days = _date_range(max_days=MAX_RANGE_DAYS)
    result = compute_insights(_review().all_requests(g.admin.shop), days)
    policy = services().policies.policy(g.admin.shop)
    # A reason the shop no longer offers keeps its code as its label.
    reasons = [
        {"code": code, "label": policy.reason_label(code) or code, "count": count}
        for code, count in result.by_reason.items()
    ]
    return jsonify({**result.to_dict(), "reasons": reasons})


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _changes_text(item: ShopperRequest) -> str | None:
    """An edit's changes in one cell."""
    return item.edit.summary() if item.edit is not None else None


@bp.get("/api/requests.csv")
@admin_authenticated
def export_requests() -> Any:
    status = _status_filter()
    matching = _review().all_requests(g.admin.shop, status, request.args.get("q"))
    if request.args.get("from") or request.args.get("to"):
        matching = in_range(matching, _date_range(max_days=None))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in matching:
        row = [
            item.id,
            item.kind.value,
            iso(item.created_at),
            item.order_name,
            item.order_id,
            item.customer_email,
            item.reason,
            item.note,
            _changes_text(item),
            item.status.value,
            item.message,
            item.order_total,
            (item.refund_money() or {}).get("amount"),
            item.currency_code,
            item.attempts,
            item.last_error,
        ]
        writer.writerow([_csv_cell(value) for value in row])
    response = Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="cancellation-requests.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
