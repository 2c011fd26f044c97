"""The admin JSON API behind the Policy, Requests and Request detail pages (documented in openapi.yaml)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request
from pydantic import ValidationError

from storefront_proxy.admin import bp
from storefront_proxy.admin.auth import admin_authenticated
from storefront_proxy.errors import ApiError
from storefront_proxy.records import CancellationRequest, RequestStatus, iso
from storefront_proxy.support import Support

MAX_BULK = 100


def _support() -> Support:
    return current_app.extensions["support"]


def _json_body() -> dict[str, Any]:
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def request_summary(item: CancellationRequest) -> dict[str, Any]:
    return {
        "id": item.id,
        "order_id": item.order_id,
        "order_name": item.order_name,
        "customer_id": item.customer_id,
        "customer_email": item.customer_email,
        "reason": item.reason,
        "status": item.status.value,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
    }


def request_detail(item: CancellationRequest) -> dict[str, Any]:
    return {
        **request_summary(item),
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
            }
            for event in item.events
        ],
        "notes": [{"at": iso(note.at), "author": note.author, "text": note.text} for note in item.notes],
    }


@bp.get("/api/policy")
@admin_authenticated
def get_policy() -> Any:
    return jsonify({"policy": _support().policy(g.admin.shop).model_dump(mode="json")})


@bp.put("/api/policy")
@admin_authenticated
def put_policy() -> Any:
    body = _json_body()
    values = body.get("policy", body)
    if not isinstance(values, dict):
        raise ApiError(400, "invalid_json", "The policy must be a JSON object.")
    try:
        policy = _support().change_policy(g.admin.shop, g.admin.actor, values)
    except ValidationError as exc:
        fields = {".".join(str(part) for part in error["loc"]) or "policy": error["msg"] for error in exc.errors()}
        raise ApiError(422, "invalid_policy", "Some values are not valid.", fields=fields) from None
    return jsonify({"policy": policy.model_dump(mode="json")})


@bp.get("/api/requests")
@admin_authenticated
def list_requests() -> Any:
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in RequestStatus}:
        raise ApiError(400, "invalid_status", "Unknown status filter.")
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        raise ApiError(400, "invalid_page", "The page must be a number.") from None
    result = _support().list_requests(g.admin.shop, status, request.args.get("q"), page)
    return jsonify(
        {
            "requests": [request_summary(item) for item in result.requests],
            "page": result.page,
            "pages": result.pages,
            "total": result.total,
        }
    )


@bp.get("/api/requests/<request_id>")
@admin_authenticated
def show_request(request_id: str) -> Any:
    return jsonify({"request": request_detail(_support().get_request(g.admin.shop, request_id))})


@bp.post("/api/requests/<request_id>/approve")
@admin_authenticated
def approve_request(request_id: str) -> Any:
    return jsonify({"request": request_detail(_support().approve(g.admin.shop, request_id, g.admin.actor))})


@bp.post("/api/requests/<request_id>/reject")
@admin_authenticated
def reject_request(request_id: str) -> Any:
    message = _json_body().get("message")
    if not isinstance(message, str):
        raise ApiError(
            422, "invalid_message", "Tell the shopper why the request is rejected.", fields={"message": "required"}
        )
    return jsonify({"request": request_detail(_support().reject(g.admin.shop, request_id, g.admin.actor, message))})


@bp.post("/api/requests/<request_id>/retry")
@admin_authenticated
def retry_request(request_id: str) -> Any:
    return jsonify({"request": request_detail(_support().retry(g.admin.shop, request_id, g.admin.actor))})


@bp.post("/api/requests/<request_id>/notes")
@admin_authenticated
def add_note(request_id: str) -> Any:
    text = _json_body().get("text")
    if not isinstance(text, str):
        raise ApiError(422, "invalid_note", "A note needs text.", fields={"text": "required"})
    return jsonify({"request": request_detail(_support().add_note(g.admin.shop, request_id, g.admin.actor, text))}), 201


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
    message = body.get("message") if isinstance(body.get("message"), str) else None
    return jsonify({"results": _support().bulk(g.admin.shop, g.admin.actor, action, ids, message)})


@bp.get("/api/audit")
@admin_authenticated
def audit_log() -> Any:
    return jsonify({"entries": _support().audit_log(g.admin.shop)})
