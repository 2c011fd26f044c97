"""The Flask application factory."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from storefront_proxy.cancellations import (
    Cancellations,
    InvalidInputError,
    NotEligibleError,
    OrderNotFoundError,
)
from storefront_proxy.errors import ApiError
from storefront_proxy.proxy.pages import render_page, translator
from storefront_proxy.queue import make_queue
from storefront_proxy.settings import Settings, load_settings_or_exit
from storefront_proxy.shopify.client import ShopifyClient
from storefront_proxy.shopify.errors import ShopifyError, ShopifyThrottledError, UnknownShopError
from storefront_proxy.shopify.shops import ThreadClientCache, client_for_shop, register_configured_shop, shop_token
from storefront_proxy.shopify.tokens import token_cipher
from storefront_proxy.store import REDIS_UNAVAILABLE, RequestChangedError, Store, connect, warn_if_not_durable
from storefront_proxy.support import InvalidActionError, RequestNotFoundError, Support, WrongStatusError

log = logging.getLogger(__name__)

# A cancellation form is a few hundred bytes; anything much larger is not ours.
MAX_BODY_BYTES = 16 * 1024
# Storefront calls answer while the shopper waits: up to two quick retries, each waiting at most this long for
# Shopify's cost bucket (an order page needs ~30 points, the list ~72: at 100 points/s that is under a second),
# then a 503 with Retry-After.
WEB_SHOPIFY_ATTEMPTS = 3
WEB_MAX_THROTTLE_WAIT_SECONDS = 1.5

HTTP_ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app; ``settings`` defaults to the environment's."""
    settings = (settings or load_settings_or_exit()).checked()
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, JSON_SORT_KEYS=False)

    store = Store(connect(settings.redis_url), token_cipher(settings))
    warn_if_not_durable(store.redis, "web")
    queue = make_queue(store.redis)
    app.extensions["settings"] = settings
    app.extensions["store"] = store
    app.extensions["queue"] = queue
    app.extensions["cancellations"] = Cancellations(
        store=store,
        queue=queue,
        shopify=web_shopify_clients(settings, store),
        clock=lambda: datetime.now(UTC),
        retry_intervals=settings.cancel_retry_intervals,
        auto_review_hour_seconds=settings.auto_review_hour_seconds,
    )
    app.extensions["support"] = Support(
        store=store,
        queue=queue,
        clock=lambda: datetime.now(UTC),
        retry_intervals=settings.cancel_retry_intervals,
        hold_retry_intervals=settings.hold_retry_intervals,
    )
    try:
        register_configured_shop(settings, store)
    except REDIS_UNAVAILABLE:
        # The web app starts without Redis and answers 503 until it is back; the shop lookup
        # also falls back to the configured token.
        log.warning("Redis unreachable at start-up; the configured shop will be registered later")

    from storefront_proxy.admin import bp as admin_bp
    from storefront_proxy.install import bp as install_bp
    from storefront_proxy.proxy import bp as proxy_bp
    from storefront_proxy.webhooks import bp as webhooks_bp

    app.register_blueprint(proxy_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(install_bp)
    app.register_blueprint(webhooks_bp)
    _register_error_handlers(app)

    from storefront_proxy import cli

    cli.init_app(app)

    @app.get("/healthz")
    def healthz() -> Any:
        return {"ok": True}

    return app


def web_shopify_clients(settings: Settings, store: Store) -> Callable[[str], ShopifyClient]:
    """Storefront clients, reused per web thread (keep-alive to Shopify) and refreshed when a token changes."""
    cache = ThreadClientCache()

    def client(shop: str) -> ShopifyClient:
        token = shop_token(settings, store, shop)
        return cache.get(
            (shop, token),
            lambda: client_for_shop(
                settings,
                store,
                shop,
                max_attempts=WEB_SHOPIFY_ATTEMPTS,
                max_throttle_wait=WEB_MAX_THROTTLE_WAIT_SECONDS,
                token=token,
            ),
        )

    return client


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
    shopper_facing = request.path == "/proxy" or request.path.startswith("/proxy/")
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


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return render_error(error)

    @app.errorhandler(OrderNotFoundError)
    def order_not_found(_: OrderNotFoundError) -> Response:
        # Another customer's order answers exactly like a missing one.
        return render_error(ApiError(404, "order_not_found", "We couldn't find this order in your account."))

    @app.errorhandler(InvalidInputError)
    def invalid_input(error: InvalidInputError) -> Response:
        return render_error(ApiError(400, error.code, error.message))

    @app.errorhandler(NotEligibleError)
    def not_eligible(error: NotEligibleError) -> Response:
        t = translator()
        return render_error(
            ApiError(
                409,
                "not_eligible",
                t(f"ineligible.{error.reasons[0].code}"),
                reasons=[{"code": r.code, "message": t(f"ineligible.{r.code}")} for r in error.reasons],
            )
        )

    @app.errorhandler(RequestNotFoundError)
    def request_not_found(_: RequestNotFoundError) -> Response:
        return render_error(ApiError(404, "request_not_found", "There is no such request in this shop."))

    @app.errorhandler(WrongStatusError)
    def wrong_status(error: WrongStatusError) -> Response:
        return render_error(ApiError(409, "wrong_status", str(error), request_status=error.status.value))

    @app.errorhandler(InvalidActionError)
    def invalid_action(error: InvalidActionError) -> Response:
        return render_error(ApiError(422, f"invalid_{error.field}", error.message, fields={error.field: error.message}))

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

    @app.errorhandler(RequestChangedError)
    def busy(error: RequestChangedError) -> Response:
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
