"""Storefront routes: the shopper's orders, one order's cancel page, and the cancellation request itself.

Every route answers JSON when the client asks for it (``Accept: application/json``) and an HTML page
otherwise. The contract's field names are relied on by the theme block and other clients.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, g, jsonify, request
from werkzeug.wrappers import Response

from storefront_proxy.cancellations.storefront import Cancellations, OrderView
from storefront_proxy.http_errors import ApiError, answer_invalid_values
from storefront_proxy.i18n import Translator
from storefront_proxy.policy.model import DEFAULT_REASONS, Policy, Reason
from storefront_proxy.proxy.csrf import issue_token, token_is_valid
from storefront_proxy.proxy.pages import render_page, translator
from storefront_proxy.proxy.verification import proxy_verified
from storefront_proxy.services import services
from storefront_proxy.times import iso

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

# Liquid's order.id: a positive integer (Shopify ids fit in an unsigned 64-bit integer).
ORDER_ID = re.compile(r"[1-9][0-9]{0,19}")
CSRF_HEADER = "X-CSRF-Token"


def wants_json() -> bool:
    """True when the client prefers JSON to HTML (the theme block's fetch sends Accept: application/json)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _cancellations() -> Cancellations:
    return services().cancellations


def _parse_order_id(order_id: str) -> int:
    if not ORDER_ID.fullmatch(order_id):
        raise ApiError(400, "invalid_order_id", "The order id must be the order's number id.")
    return int(order_id)


def _rate_limit(name: str, limit: int, window_seconds: int) -> None:
    hits = services().store.rates.count_hit(f"{name}:{g.proxy.shop}:{g.proxy.customer_id}", window_seconds, time.time())
    if hits > limit:
        error = ApiError(429, "too_many_requests", "Too many requests. Please wait a moment and try again.")
        error.headers["Retry-After"] = str(window_seconds - int(time.time()) % window_seconds)
        raise error


def _csrf_token(order_id: int) -> str:
    settings = services().settings
    return issue_token(
        settings.api_secret(), g.proxy.shop, g.proxy.customer_id, order_id, time.time(), settings.csrf_token_ttl_seconds
    )


def reason_label(reason: Reason, t: Translator) -> str:
    """A reason's label in the shopper's language.

    The merchant's wording for that language first; then, for a built-in reason whose English label is
    unchanged, the app's translation; otherwise the merchant's ``label`` as written.
    """
    if t.language in reason.labels:
        return reason.labels[t.language]
    if DEFAULT_REASONS.get(reason.code) == reason.label:
        return t(f"reason.{reason.code}")
    return reason.label


def offered_reasons(policy: Policy, t: Translator) -> list[dict[str, str]]:
    return [{"code": reason.code, "label": reason_label(reason, t)} for reason in policy.reasons]


def order_payload(view: OrderView) -> dict[str, Any]:
    """The contract's order object, its messages in the shopper's language."""
    t = translator()
    order_id = view.order.legacy_resource_id
    return {
        "order_id": order_id,
        "name": view.order.name,
        "eligible": view.eligibility.eligible,
        "ineligible_reasons": [
            {"code": reason.code, "message": t(f"ineligible.{reason.code}")} for reason in view.eligibility.reasons
        ],
        "cancel_deadline": iso(view.eligibility.deadline),
        "reasons": offered_reasons(view.policy, t),
        "csrf_token": _csrf_token(order_id),
        "request": view.request.public_dict(t) if view.request else None,
    }


def _page(template: str, status: int = 200, **context: Any) -> Response:
    view = context.get("view")
    returns_url = view.policy.returns_url if isinstance(view, OrderView) else None
    seconds_left = None
    if isinstance(view, OrderView) and view.eligibility.deadline is not None:
        # The countdown runs on the server's clock: a shopper's clock may be minutes off.
        seconds_left = max(0, int((view.eligibility.deadline - datetime.now(UTC)).total_seconds()))
    return render_page(
        template, status, prefix=g.proxy.path_prefix, returns_url=returns_url, seconds_left=seconds_left, **context
    )


def _limited() -> None:
    """Per-shopper request budget; runs after verification, so it counts verified shoppers only."""
    settings = services().settings
    _rate_limit("proxy", settings.proxy_rate_limit_per_minute, 60)


@bp.get("/")
@bp.get("/orders")
@proxy_verified
def list_orders() -> Any:
    """The logged-in shopper's recent orders with their cancellation state."""
    _limited()
    views = _cancellations().customer_orders(g.proxy.shop, g.proxy.customer_id)
    if wants_json():
        return jsonify({"orders": [order_payload(view) for view in views]})
    return _page("orders.html", views=views)


@bp.get("/orders/<order_id>")
@proxy_verified
def show_order(order_id: str) -> Any:
    """One order: can it still be cancelled, until when, and the request's status if there is one."""
    _limited()
    view = _cancellations().order_view(g.proxy.shop, g.proxy.customer_id, _parse_order_id(order_id))
    payload = order_payload(view)
    if wants_json():
        return jsonify(payload)
    return _page("order.html", view=view, payload=payload)


@bp.get("/orders/<order_id>/cancellation")
@proxy_verified
def show_cancellation(order_id: str) -> Any:
    """The order's cancellation request, or 404 when the shopper has not asked."""
    _limited()
    numeric_id = _parse_order_id(order_id)
    cancellation = _cancellations().existing_request(g.proxy.shop, g.proxy.customer_id, numeric_id)
    if cancellation is None:
        raise ApiError(404, "request_not_found", "There is no cancellation request for this order.")
    if wants_json():
        return jsonify({"request": cancellation.public_dict(translator())})
    view = _cancellations().order_view(g.proxy.shop, g.proxy.customer_id, numeric_id)
    return _page("order.html", view=view, payload=order_payload(view))


@bp.post("/orders/<order_id>/cancellation")
@proxy_verified
def create_cancellation(order_id: str) -> Any:
    """Ask to cancel the order: 202 with the new request, or 200 with the one that already exists."""
    _limited()
    numeric_id = _parse_order_id(order_id)
    fields = _request_fields()
    settings = services().settings
    token = request.headers.get(CSRF_HEADER) or fields.get("csrf_token")
    if not isinstance(token, str) or not token_is_valid(
        settings.api_secret(), token, g.proxy.shop, g.proxy.customer_id, numeric_id, time.time()
    ):
        raise ApiError(403, "invalid_csrf_token", "This form has expired. Please reload the page and try again.")
    reason, note = _reason_and_note(fields)
    if not wants_json() and fields.get("confirm") != "yes":
        # The plain form's first step: show what will happen and ask again (the script does this in place).
        return _confirmation_page(numeric_id, reason, note, token)
    _rate_limit("cancel", settings.cancel_rate_limit_per_hour, 3600)
    cancellation, created = _cancellations().request_cancellation(
        g.proxy.shop, g.proxy.customer_id, numeric_id, reason, note
    )
    status = 202 if created else 200
    if wants_json():
        return jsonify({"request": cancellation.public_dict(translator())}), status
    view = _cancellations().order_view(g.proxy.shop, g.proxy.customer_id, numeric_id)
    return _page("order.html", status=status, view=view, payload=order_payload(view), focus_status=True)


def _confirmation_page(order_id: int, reason: str, note: str | None, token: str) -> Any:
    view = _cancellations().order_view(g.proxy.shop, g.proxy.customer_id, order_id)
    labels = {item["code"]: item["label"] for item in offered_reasons(view.policy, translator())}
    if reason not in labels:
        raise ApiError(400, "invalid_reason", "Choose one of the offered reasons.")
    if view.request is not None or not view.eligibility.eligible:
        return _page("order.html", view=view, payload=order_payload(view))
    return _page(
        "confirm.html", view=view, reason=reason, reason_label=labels[reason], note=note or "", csrf_token=token
    )


def _request_fields() -> dict[str, Any]:
    """The POST's fields from a JSON body or a form; malformed JSON is a 400."""
    if request.mimetype == "application/json" or (request.data and request.data.lstrip()[:1] in (b"{", b"[")):
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # deeply nested arrays; json only turns malformed input into ValueError
            body = None
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
        return body
    return request.form.to_dict()


def _reason_and_note(fields: dict[str, Any]) -> tuple[str, str | None]:
    reason = fields.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError(400, "missing_reason", "Choose a reason for cancelling.")
    note = fields.get("note")
    if note is not None and not isinstance(note, str):
        raise ApiError(400, "invalid_note", "The note must be text.")
    note = (note or "").strip() or None
    if not _is_text(reason) or (note is not None and not _is_text(note)):
        raise ApiError(400, "invalid_text", "The reason and note must be plain text.")
    return reason.strip(), note


def _is_text(value: str) -> bool:
    # JSON can carry lone surrogates ("\ud800"), which are not text and cannot be stored.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
