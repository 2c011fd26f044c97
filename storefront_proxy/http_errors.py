"""Every error answer of the app: one exception type (ApiError) with its documented status and code, rendered as
the contract's JSON (or a page for browsers), and the handlers turning the use cases' errors into one."""

from __future__ import annotations

import logging
import math
from typing import Any

from flask import Blueprint, Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from storefront_proxy.cancellations.repository import EDIT_IN_PROGRESS, OrderBusyError
from storefront_proxy.cancellations.review import RequestNotFoundError, WrongStatusError
from storefront_proxy.cancellations.storefront import NotEligibleError, OrderNotFoundError
from storefront_proxy.edits.rules import EditInvalidError
from storefront_proxy.edits.storefront import EditNotEligibleError, EditNotFoundError
from storefront_proxy.proxy.pages import render_page, translator
from storefront_proxy.ratelimit import AllowanceSpentError
from storefront_proxy.shopify.errors import ShopifyError, ShopifyThrottledError, UnknownShopError
from storefront_proxy.storage import REDIS_UNAVAILABLE, RecordChangedError
from storefront_proxy.validation import InvalidValueError

log = logging.getLogger(__name__)

# The paths shoppers call: the app proxy and the customer-account extension's backend.
SHOPPER_EDGES = ("/proxy", "/customer-account")

HTTP_ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    """An error answer with its documented status and stable code: ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
        self.headers: dict[str, str] = {}

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


def _wants_html_error() -> bool:
    """Browsers get an error page; API clients (and anything unsure) get the contract's JSON."""
    accepted = request.accept_mimetypes
    if accepted.best_match(["text/html", "application/json"]) == "application/json":
        return False
    return any(value in ("text/html", "application/xhtml+xml") for value, _ in accepted)


def render_error(error: ApiError) -> Response:
    """The error in the shopper's language: a page for browsers, the contract's JSON otherwise.

    Only the storefront speaks the shopper's language; the admin, webhooks and install answer in their own
    words (a code shared with the storefront, such as ``invalid_note``, must not borrow the shopper's sentence).
    """
    t = translator()
    key = f"error.{error.code}"
    shopper_facing = any(request.path == edge or request.path.startswith(f"{edge}/") for edge in SHOPPER_EDGES)
    message = t(key) if shopper_facing and t.has(key) else error.message
    if _wants_html_error():
        prefix = getattr(g.get("proxy"), "path_prefix", None)
        response = render_page("error.html", error.status, prefix=prefix, error=error, message=message)
    else:
        response = jsonify({"error": {**error.to_dict()["error"], "message": message}})
        response.status_code = error.status
    response.headers.update(error.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return render_error(error)

    @app.errorhandler(AllowanceSpentError)
    def too_many_requests(error: AllowanceSpentError) -> Response:
        spent = ApiError(429, "too_many_requests", "Too many requests. Please wait a moment and try again.")
        spent.headers["Retry-After"] = str(error.retry_after)
        return render_error(spent)

    @app.errorhandler(OrderNotFoundError)
    def order_not_found(_: OrderNotFoundError) -> Response:
        # Another customer's order answers exactly like a missing one.
        return render_error(ApiError(404, "order_not_found", "We couldn't find this order in your account."))

    @app.errorhandler(NotEligibleError)
    def not_eligible(error: NotEligibleError) -> Response:
        t = translator()
        # An edit's reasons are worded for changing the order ("... can no longer be changed here").
        words = "edit_ineligible" if isinstance(error, EditNotEligibleError) else "ineligible"
        return render_error(
            ApiError(
                409,
                "not_eligible",
                t(f"{words}.{error.reasons[0].code}"),
                reasons=[{"code": r.code, "message": t(f"{words}.{r.code}")} for r in error.reasons],
            )
        )

    @app.errorhandler(EditInvalidError)
    def invalid_edit(error: EditInvalidError) -> Response:
        return render_error(ApiError(400, error.code, error.message, field=error.field))

    @app.errorhandler(OrderBusyError)
    def order_busy(error: OrderBusyError) -> Response:
        message = (
            "This order already has changes being made; wait until they are done."
            if error.code == EDIT_IN_PROGRESS
            else "This order has a cancellation request; it can't be changed meanwhile."
        )
        return render_error(ApiError(409, error.code, message, request_id=error.existing.id))

    @app.errorhandler(EditNotFoundError)
    def edit_not_found(_: EditNotFoundError) -> Response:
        return render_error(ApiError(404, "edit_not_found", "There is no such change of this order."))

    @app.errorhandler(RequestNotFoundError)
    def request_not_found(_: RequestNotFoundError) -> Response:
        return render_error(ApiError(404, "request_not_found", "There is no such request in this shop."))

    @app.errorhandler(WrongStatusError)
    def wrong_status(error: WrongStatusError) -> Response:
        return render_error(ApiError(409, "wrong_status", str(error), request_status=error.status.value))

    @app.errorhandler(UnknownShopError)
    def not_installed(error: UnknownShopError) -> Response:
        # Uninstalled, never installed, or a token Shopify no longer refreshes: nothing is wrong with this server
        # and retrying will not help (monitors and clients read a 5xx as an outage), so a 403; the shop has to
        # (re)install or open the app.
        log.warning("no usable token: %s", error)
        return render_error(
            ApiError(403, "app_not_installed", "Self-service cancellation isn't available in this shop right now.")
        )

    @app.errorhandler(ShopifyError)
    def shopify_unavailable(error: ShopifyError) -> Response:
        log.warning("shopify unavailable: %s", error)
        api_error = ApiError(
            503, "shop_unavailable", "The shop can't be reached right now. Please try again in a minute."
        )
        retry_after = math.ceil(error.retry_after) if isinstance(error, ShopifyThrottledError) else 30
        api_error.headers["Retry-After"] = str(max(1, retry_after))
        return render_error(api_error)

    @app.errorhandler(RecordChangedError)
    def busy(error: RecordChangedError) -> Response:
        log.warning("request contention: %s", error)
        api_error = ApiError(503, "busy", "We're busy right now. Please try again in a moment.")
        api_error.headers["Retry-After"] = "5"
        return render_error(api_error)

    for redis_error in REDIS_UNAVAILABLE:

        @app.errorhandler(redis_error)
        def storage_unavailable(error: Exception) -> Response:
            log.error("redis unavailable: %s", type(error).__name__)
            api_error = ApiError(
                503, "service_unavailable", "We can't take requests right now. Please try again in a minute."
            )
            api_error.headers["Retry-After"] = "30"
            return render_error(api_error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        code = HTTP_ERROR_CODES.get(status, "http_error")
        message = "The request is too large." if status == 413 else (error.description or error.name)
        if status == 404:
            message = "This page does not exist."
        api_error = ApiError(status, code, message)
        # werkzeug's own answer would carry these (a 405's Allow, RFC 9110 section 15.5.6).
        api_error.headers.update({k: v for k, v in error.get_headers() if k.lower() not in ("content-type",)})
        return render_error(api_error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error")
        return render_error(ApiError(500, "internal_error", "Something went wrong on our side. Please try again."))


def answer_invalid_values(bp: Blueprint, status: int) -> None:
    """How ``bp`` answers a value a use case cannot take: the storefront 400, the admin 422 naming the field
    (openapi.yaml)."""

    @bp.errorhandler(InvalidValueError)
    def invalid_value(error: InvalidValueError) -> Response:
        fields = {"fields": {error.field: error.message}} if status == 422 else {}
        return render_error(ApiError(status, error.code, error.message, **fields))
