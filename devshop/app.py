"""The devshop Flask app factory."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask

from devshop.proxy import ProxyConfig
from devshop.schema import load_admin_schema
from devshop.seed import seed_customers, seed_demo_data
from devshop.state import DEFAULT_ACCESS_TOKEN, DEFAULT_SHOP_DOMAIN, DevshopState
from devshop.webhooks import WebhookSender


def create_devshop(
    *,
    app_url: str,
    api_secret: str,
    shop_domain: str = DEFAULT_SHOP_DOMAIN,
    access_token: str = DEFAULT_ACCESS_TOKEN,
    api_key: str = "devshop-api-key",
    cancel_job_seconds: float = 1.0,
    proxy_path_prefix: str = "/apps/self-service",
    clock: Callable[[], float] = time.time,
    seed: bool = True,
    webhooks: bool = False,
) -> Flask:
    """Build a devshop; its DevshopState is at app.extensions["devshop"] (seed=False: customers but no orders).

    webhooks=True delivers order webhooks to ``{app_url}/webhooks`` (also switchable at /devshop/webhooks).
    """
    from devshop import (
        admin_api,
        admin_frame,
        admin_orders,
        control,
        customer_accounts,
        home,
        oauth,
        proxy,
        storefront,
    )

    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep GraphQL responses in selection order
    state = DevshopState(
        shop_domain=shop_domain,
        access_token=access_token,
        cancel_job_seconds=cancel_job_seconds,
        clock=clock,
        seeder=seed_demo_data if seed else seed_customers,
    )
    prefix = "/" + proxy_path_prefix.strip("/")
    app.extensions["devshop"] = state
    sender = WebhookSender(app_url=app_url, api_secret=api_secret, shop_domain=shop_domain, enabled=webhooks)
    state.listeners.append(sender.order_changed)
    app.extensions["devshop_webhooks"] = sender
    app.extensions["devshop_proxy"] = ProxyConfig(app_url=app_url, api_secret=api_secret, path_prefix=prefix)
    app.register_blueprint(admin_api.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(storefront.bp)
    app.register_blueprint(proxy.bp, url_prefix=prefix)
    app.extensions["devshop_admin"] = admin_frame.AdminConfig(app_url=app_url, api_key=api_key, api_secret=api_secret)
    app.register_blueprint(admin_frame.bp)
    app.register_blueprint(admin_orders.bp)
    app.extensions["devshop_oauth"] = oauth.DevshopOAuth(
        api_key=api_key, api_secret=api_secret, app_url=app_url, shop_domain=shop_domain, clock=clock
    )
    app.register_blueprint(oauth.bp)
    app.register_blueprint(customer_accounts.bp)
    # Build Shopify's schema now (about 4 s) rather than inside the first, possibly concurrent, API calls.
    load_admin_schema()
    return app
