"""Use cases of the storefront for editing an order: what the shopper may change, asking to change it, following
the edit. No Flask, no HTTP; views call these with a verified shop and customer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.client import Pipeline
from rq import Queue

from storefront_proxy.cancellations.eligibility import Eligibility
from storefront_proxy.cancellations.enqueue import schedule_auto_review
from storefront_proxy.cancellations.records import (
    EditDetails,
    RequestKind,
    RequestStatus,
    ShopperRequest,
    new_request_id,
)
from storefront_proxy.cancellations.storefront import NotEligibleError, OrderNotFoundError, OrderView
from storefront_proxy.edits.enqueue import enqueue_edit
from storefront_proxy.edits.rules import (
    EditPlan,
    RequestedLine,
    check_edit_eligibility,
    editable_lines,
    plan_edit,
)
from storefront_proxy.policy.model import Policy
from storefront_proxy.shopify.client import ShopifyClient
from storefront_proxy.shopify.errors import ShopifyError
from storefront_proxy.shopify.models import Order, ProductVariants
from storefront_proxy.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EditOptions:
    """What the shopper may change on one order now: the verdict, and the variants each line may become."""

    eligibility: Eligibility
    products: dict[str, ProductVariants]


class EditNotEligibleError(NotEligibleError):
    """The order can't be edited now (409 with the reasons, worded for editing)."""


class EditNotFoundError(Exception):
    """No such edit of this order (or not the shopper's)."""


class Edits:
    """The storefront's edit use cases for one process (web)."""

    def __init__(
        self,
        store: Store,
        queue: Queue,
        shopify: Callable[[str], ShopifyClient],
        clock: Callable[[], datetime],
        retry_intervals: list[int],
        auto_review_hour_seconds: float = 3600,
    ) -> None:
        self.store = store
        self.queue = queue
        self.shopify = shopify
        self.clock = clock
        self.retry_intervals = retry_intervals
        self.auto_review_hour_seconds = auto_review_hour_seconds

    def options(self, shop: str, view: OrderView) -> EditOptions:
        """The order's edit verdict and, where swaps are offered on an editable order, its products' variants
        (cached for a few minutes; read from Shopify when missing)."""
        eligibility = check_edit_eligibility(view.order, view.policy, self.clock())
        products: dict[str, ProductVariants] = {}
        if eligibility.eligible and view.policy.edit_variants:
            try:
                products = self._variants(shop, _product_ids(view.order), fresh=False)
            except ShopifyError as exc:
                # The page still offers the other edits; the swaps come back once Shopify answers.
                log.info("variant options unavailable: %s", exc, extra={"shop": shop})
        return EditOptions(eligibility, products)

    def preview(
        self, shop: str, view: OrderView, lines: list[RequestedLine], address: dict[str, str | None] | None
    ) -> EditPlan:
        """The edit as the confirmation step shows it (changes and refund), judged on the order as the page showed
        it; the request itself judges the order read fresh."""
        options = self.options(shop, view)
        if not options.eligibility.eligible:
            raise EditNotEligibleError(options.eligibility.reasons)
        return plan_edit(view.order, view.policy, options.products, lines, address)

    def request_edit(
        self,
        shop: str,
        customer_id: int,
        order_id: int,
        lines: list[RequestedLine],
        address: dict[str, str | None] | None,
    ) -> ShopperRequest:
        """Check the edit against the order read fresh from Shopify, record it and queue it (or hold it for
        review). Raises OrderNotFoundError, NotEligibleError, EditInvalidError and OrderBusyError (409)."""
        policy = self.store.policies.get(shop)
        order = self._owned_order(shop, customer_id, order_id, policy)
        now = self.clock()
        eligibility = check_edit_eligibility(order, policy, now)
        if not eligibility.eligible:
            raise EditNotEligibleError(eligibility.reasons)
        swapping = [line for line in lines if line.variant_id is not None]
        products = self._variants(shop, _product_ids(order), fresh=True) if swapping else {}
        plan = plan_edit(order, policy, products, lines, address)

        status = RequestStatus.PENDING_REVIEW if policy.needs_review(order.total_amount) else RequestStatus.QUEUED
        details = EditDetails(
            line_items=list(plan.line_items),
            shipping_address=plan.shipping_address,
            previous_address=plan.previous_address,
            refund_estimate=plan.refund,
        )
        request = ShopperRequest(
            id=new_request_id(RequestKind.EDIT),
            kind=RequestKind.EDIT,
            shop=shop,
            order_id=order_id,
            order_name=order.name,
            customer_id=customer_id,
            customer_email=order.email,
            order_total=order.total_amount,
            currency_code=order.currency_code,
            edit=details,
            status=status,
            dispatches=1 if status is RequestStatus.QUEUED else 0,
            requested_at=now,
            created_at=now,
            updated_at=now,
        )
        request.record(now, "requested", status=status, detail=details.summary())
        auto_review = policy.auto_review_after_hours if status is RequestStatus.PENDING_REVIEW else None

        def enqueue(pipe: Pipeline) -> None:
            if status is RequestStatus.QUEUED:
                enqueue_edit(self.queue, shop, request.id, self.retry_intervals, pipeline=pipe)
            elif auto_review is not None:
                delay = timedelta(seconds=auto_review * self.auto_review_hour_seconds)
                schedule_auto_review(self.queue, request.id, delay, pipeline=pipe)

        stored = self.store.requests.create_edit(request, enqueue)
        log.info(
            "edit requested",
            extra={"shop": shop, "order_id": order_id, "request_id": stored.id, "status": stored.status.value},
        )
        return stored

    def get_edit(self, shop: str, customer_id: int, order_id: int, edit_id: str) -> ShopperRequest:
        """One of the shopper's edits of the order; EditNotFoundError for any other id."""
        found = self.store.requests.get(edit_id) if edit_id.startswith("edt_") else None
        if found is None or not found.is_edit or found.shop != shop or found.order_id != order_id:
            raise EditNotFoundError(edit_id)
        if found.customer_id != customer_id:
            raise EditNotFoundError(edit_id)
        return found

    def _owned_order(self, shop: str, customer_id: int, order_id: int, policy: Policy) -> Order:
        """The order with its line items read fresh from Shopify (what decides never trusts the cache)."""
        order = self.shopify(shop).get_order(order_id, product_tags=policy.needs_product_tags, line_items=True)
        if order is not None:
            self.store.order_facts.put(shop, order)
        if order is None or not order.belongs_to(customer_id):
            raise OrderNotFoundError(order_id)
        return order

    def _variants(self, shop: str, product_ids: list[str], *, fresh: bool) -> dict[str, ProductVariants]:
        if not product_ids:
            return {}
        found: dict[str, ProductVariants] = {}
        if not fresh:
            batch = self.store.batch()
            cached = self.store.order_facts.product_variants_in(batch, shop, product_ids)
            batch.run()
            found = cached.value
        missing = [product_id for product_id in product_ids if product_id not in found]
        if missing:
            read = self.shopify(shop).get_variant_options(missing)
            # A product Shopify no longer has is kept as one without variants, so it is not asked for each view.
            gone = [ProductVariants(id=product_id) for product_id in missing if product_id not in read]
            self.store.order_facts.put_product_variants(shop, [*read.values(), *gone])
            found.update(read)
        return found


def _product_ids(order: Order) -> list[str]:
    """The products whose variants the order's lines may be swapped between. A line without a variant title is
    of a product with one variant only ("Default Title", which Shopify leaves off the line item): nothing to
    swap to, and nothing to read."""
    return sorted({item.product_id for item in editable_lines(order) if item.product_id and item.variant_title})
