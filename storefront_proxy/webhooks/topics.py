"""Which handler applies each webhook topic (the subscriptions are in shopify.app.toml)."""

from __future__ import annotations

from typing import Any

from storefront_proxy.job_context import JobContext
from storefront_proxy.webhooks import orders, privacy


def handle(
    ctx: JobContext, topic: str, shop: str, payload: dict[str, Any], job_id: str | None = None
) -> dict[str, Any]:
    """Apply one verified delivery to the app's data (safe to repeat, in any order); returns its effect."""
    if topic == "customers/redact":
        return {"topic": topic, **privacy.customers_redact(ctx, shop, payload, job_id)}
    if topic == "shop/redact":
        return {"topic": topic, **privacy.shop_redact(ctx, shop, payload, job_id)}
    if topic == "customers/data_request":
        return {"topic": topic, **privacy.customers_data_request(ctx, shop, payload)}
    if topic == "app/uninstalled":
        return {"topic": topic, "effect": app_uninstalled(ctx, shop)}
    if not topic.startswith("orders/") or not isinstance(payload.get("id"), int):
        return {"topic": topic, "effect": "ignored"}
    if topic == "orders/create":
        return {"topic": topic, "effect": orders.order_created(ctx, shop, payload)}
    return {"topic": topic, "effect": orders.order_updated(ctx, topic, shop, payload)}


def app_uninstalled(ctx: JobContext, shop: str) -> str:
    """The token stops working at once; the shop's requests are kept until shop/redact asks otherwise.

    The cached orders go too, after the token (a view reading Shopify from then on has none): a shopper's
    page then reads Shopify, and says the shop no longer offers this.
    """
    configured = ctx.settings.shopify_access_token if shop == ctx.settings.shopify_shop else None
    ctx.store.tokens.forget_uninstalled(shop, configured.get_secret_value() if configured else None)
    ctx.store.order_facts.delete_shop(shop)
    return "token_removed"
