"""The Flask application factory: build the services, register the surfaces (blueprints) and error handlers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from storefront_proxy import services
from storefront_proxy.cancellations.request_orders import RequestOrders
from storefront_proxy.cancellations.review import Review
from storefront_proxy.cancellations.storefront import Cancellations
from storefront_proxy.edits.storefront import Edits
from storefront_proxy.holds.service import HoldSupport
from storefront_proxy.http_errors import register_error_handlers
from storefront_proxy.job_queue import make_queue
from storefront_proxy.policy.changes import PolicyChanges
from storefront_proxy.settings import Settings, load_settings_or_exit
from storefront_proxy.storage import REDIS_UNAVAILABLE, connect, warn_if_not_durable
from storefront_proxy.store import Store
from storefront_proxy.tokens.clients import web_shopify_clients
from storefront_proxy.tokens.lifecycle import register_configured_shop
from storefront_proxy.tokens.model import token_cipher

log = logging.getLogger(__name__)

# A cancellation form is a few hundred bytes; anything much larger is not ours (webhooks take more:
# webhooks/verification.py).
MAX_BODY_BYTES = 16 * 1024


def now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app; ``settings`` defaults to the environment's."""
    settings = (settings or load_settings_or_exit()).checked()
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    # Answers keep their fields in the documented order (JSON_SORT_KEYS is ignored since Flask 2.3).
    app.json.sort_keys = False  # type: ignore[attr-defined]

    store = Store(connect(settings.redis_url), token_cipher(settings))
    warn_if_not_durable(store.redis, "web")
    queue = make_queue(store.redis)
    # One client cache for the web's reads of orders: the storefront's and support's.
    shopify = web_shopify_clients(settings, store)
    services.init_app(
        app,
        services.Services(
            settings=settings,
            store=store,
            queue=queue,
            clock=now,
            cancellations=Cancellations(
                store=store,
                queue=queue,
                shopify=shopify,
                clock=now,
                retry_intervals=settings.cancel_retry_intervals,
                auto_review_hour_seconds=settings.auto_review_hour_seconds,
            ),
            edits=Edits(
                store=store,
                queue=queue,
                shopify=shopify,
                clock=now,
                retry_intervals=settings.cancel_retry_intervals,
                auto_review_hour_seconds=settings.auto_review_hour_seconds,
            ),
            review=Review(store, queue, now, settings.cancel_retry_intervals),
            request_orders=RequestOrders(store, shopify),
            policies=PolicyChanges(store, queue, now),
            holds=HoldSupport(store, queue, now, settings.hold_retry_intervals),
        ),
    )
    try:
        register_configured_shop(settings, store)
    except REDIS_UNAVAILABLE:
        # The web app starts without Redis and answers 503 until it is back; the shop lookup
        # also falls back to the configured token.
        log.warning("Redis unreachable at start-up; the configured shop will be registered later")

    from storefront_proxy.admin import api, pages  # noqa: F401  (their routes are on admin.blueprint.bp)
    from storefront_proxy.admin.blueprint import bp as admin_bp
    from storefront_proxy.customer_account.views import bp as customer_account_bp
    from storefront_proxy.install.views import bp as install_bp
    from storefront_proxy.proxy.views import bp as proxy_bp
    from storefront_proxy.webhooks.intake import bp as webhooks_bp

    app.register_blueprint(proxy_bp)
    app.register_blueprint(customer_account_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(install_bp)
    app.register_blueprint(webhooks_bp)
    register_error_handlers(app)

    from storefront_proxy import cli

    cli.init_app(app)

    @app.get("/healthz")
    def healthz() -> Any:
        return {"ok": True}

    return app
