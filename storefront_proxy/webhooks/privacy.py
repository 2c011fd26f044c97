"""Shopify's mandatory compliance topics: customers/data_request, customers/redact and shop/redact.

A redact erases what every concept holds of the customer (or the shop) and the webhook jobs whose records carry
their payload (https://shopify.dev/docs/apps/build/compliance/privacy-law-compliance).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from storefront_proxy.job_context import JobContext
from storefront_proxy.store import Store
from storefront_proxy.times import iso
from storefront_proxy.webhooks.enqueue import WebhookErasure, erase_webhook_jobs, schedule_webhook_erasure

# A job another worker keeps running is looked for again this many times (WEBHOOK_ERASURE_DELAY apart).
WEBHOOK_ERASURE_ROUNDS = 12


def erase_customer(store: Store, shop: str, customer_id: int, order_ids: Iterable[int] = ()) -> int:
    """Erase what the shop's data holds of one customer; returns how many requests.

    Their requests go with their notes and timelines, their data-request exports too, the cached facts of their
    orders (``order_ids`` and those of their requests), and the audit entries about those requests keep who did
    what and when, but not the texts. The requests go last: until then a retried job (after Redis failed
    part-way) finds the same requests, and so the same audit entries, again.
    """
    theirs = [request for request in store.requests.iter_shop(shop) if request.customer_id == customer_id]
    doomed = {request.id for request in theirs}
    store.order_facts.erase_customer(shop, customer_id, {*order_ids, *(request.order_id for request in theirs)})
    store.audit.scrub(shop, doomed)
    store.data_requests.erase_customer(shop, customer_id)
    return len(store.requests.erase_customer(shop, customer_id))


def erase_shop(store: Store, shop: str) -> None:
    """Erase everything the app holds about the shop (the uninstall mark stays: ``TokenRepository.delete_shop``).

    Each repository erases its own keys and can do so again: a job that fails part-way is retried whole.
    """
    for repository in (
        store.requests,
        store.holds,
        store.policies,
        store.tokens,
        store.audit,
        store.proxy_paths,
        store.data_requests,
        store.order_facts,
        store.cost_buckets,
        store.staff_names,
    ):
        repository.delete_shop(shop)


def customers_redact(ctx: JobContext, shop: str, payload: dict[str, Any], job_id: str | None) -> dict[str, Any]:
    customer = (payload.get("customer") or {}).get("id")
    if not isinstance(customer, int):
        return {"effect": "ignored"}
    orders = {order for order in payload.get("orders_to_redact") or [] if isinstance(order, int)}
    erased = erase_customer(ctx.store, shop, customer, orders)
    jobs = erase_webhook_data(ctx, shop, customer, orders, keep=job_id)
    return {"effect": "erased", "requests": erased, "webhook_jobs": jobs.erased}


def shop_redact(ctx: JobContext, shop: str, payload: dict[str, Any], job_id: str | None) -> dict[str, Any]:
    erase_shop(ctx.store, shop)
    erase_webhook_data(ctx, shop, None, set(), keep=job_id)
    return {"effect": "erased"}


def customers_data_request(ctx: JobContext, shop: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Export the customer's requests for the merchant to fetch (admin API ``/api/data-requests/<id>``)."""
    customer = (payload.get("customer") or {}).get("id")
    request_id = str((payload.get("data_request") or {}).get("id") or "")
    if not isinstance(customer, int) or not request_id:
        return {"effect": "ignored"}
    mine = [r for r in ctx.store.requests.iter_shop(shop) if r.customer_id == customer]
    export = {
        "data_request_id": request_id,
        "customer_id": customer,
        "created_at": iso(ctx.clock()),
        "cancellation_requests": [r.model_dump(mode="json", exclude={"last_error"}) for r in mine],
    }
    ctx.store.data_requests.save(shop, request_id, export)
    return {"effect": "exported", "requests": len(mine)}


def erase_webhook_data(
    ctx: JobContext, shop: str, customer: int | None, orders: set[int], round_: int = 0, keep: str | None = None
) -> WebhookErasure:
    """Erase the webhook jobs carrying the customer (or the shop), and sweep again later: once in any case (a job
    that started while this one looked, a delivery that was still on its way), then while some still run.
    ``keep`` is the calling job's own id."""
    result = erase_webhook_jobs(ctx.queue, shop, customer, orders, keep=keep)
    if round_ == 0 or (result.running and round_ < WEBHOOK_ERASURE_ROUNDS):
        schedule_webhook_erasure(ctx.queue, shop, customer, orders, round_ + 1)
    return result
