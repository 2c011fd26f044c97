"""Use cases of the storefront: look at orders, ask to cancel one. No Flask, no HTTP.

Views call these with a verified shop and customer; errors are domain exceptions the HTTP layer translates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.client import Pipeline
from rq import Queue

from storefront_proxy.cancellations.eligibility import (
    Eligibility,
    IneligibleReason,
    check_eligibility,
    with_open_edit,
)
from storefront_proxy.cancellations.enqueue import enqueue_cancellation, schedule_auto_review
from storefront_proxy.cancellations.records import NOTE_MAX_LENGTH, RequestStatus, ShopperRequest, new_request_id
from storefront_proxy.policy.model import Policy
from storefront_proxy.shopify.client import ShopifyClient
from storefront_proxy.shopify.models import Order
from storefront_proxy.storage import ReadBatch
from storefront_proxy.store import Store
from storefront_proxy.validation import InvalidValueError

log = logging.getLogger(__name__)

# The list reads no line items (about 9 points an order); with a policy excluding product tags each order brings
# up to 20 line items with their products' tags (about 50), and 10 orders keep that under Shopify's 1000-point
# single-query cost limit.
RECENT_ORDERS = 10


class CancellationError(Exception):
    """Base of the storefront use-case errors."""


class OrderNotFoundError(CancellationError):
    """No such order, or it belongs to another customer (the shopper cannot tell which)."""


class NotEligibleError(CancellationError):
    def __init__(self, reasons: tuple[IneligibleReason, ...]) -> None:
        super().__init__(", ".join(reason.code for reason in reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class OrderView:
    """What the storefront shows about one of the shopper's orders."""

    order: Order
    policy: Policy
    eligibility: Eligibility
    request: ShopperRequest | None
    # The order's open or latest edit (only the order's own page reads it).
    edit: ShopperRequest | None = None


class Cancellations:
    """The storefront's use cases for one process (web)."""

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
        # The length of the policy's auto-review "hour"; only tests shorten it.
        self.auto_review_hour_seconds = auto_review_hour_seconds

    def customer_orders(self, shop: str, customer_id: int, reads: ReadBatch | None = None) -> list[OrderView]:
        """The shopper's recent orders, each with its cancellation state (``reads``: the request's batch, with what
        the edge reads too, such as the shopper's rate limit; sent with this use case's first reads).

        The order ids and each order's facts come from Redis (order_facts/, fed by webhooks): no Admin API points.
        When any of them is missing the list is read from Shopify once and kept.
        """
        batch = reads or self.store.batch()
        pending_policy = self.store.policies.get_in(batch, shop)
        cached_ids = self.store.order_facts.customer_order_ids_in(batch, shop, customer_id)
        batch.run()
        policy, known = pending_policy.value, cached_ids.value

        orders: list[Order] | None = None
        batch = self.store.batch()
        if known.ids is not None:
            facts = self.store.order_facts.get_many_in(batch, shop, known.ids)
            requests = self.store.requests.for_orders_in(batch, shop, known.ids)
            edits = self.store.requests.latest_edits_in(batch, shop, known.ids)
            batch.run()
            usable = [_usable(order, policy, line_items=False) for order in facts.value]
            if all(order is not None for order in usable):
                orders = [order for order in usable if order is not None and order.belongs_to(customer_id)]
                found = dict(zip(known.ids, requests.value, strict=True))
                found_edits = dict(zip(known.ids, edits.value, strict=True))
        if orders is None:
            orders = self.shopify(shop).list_customer_orders(
                customer_id, first=RECENT_ORDERS, product_tags=policy.needs_product_tags
            )
            orders = self._with_new_orders(shop, customer_id, policy, orders, known.new)
            batch = self.store.batch()
            for order in orders:
                self.store.order_facts.put_in(batch, shop, order)
            ids = [order.legacy_resource_id for order in orders]
            self.store.order_facts.put_customer_order_ids_in(batch, shop, customer_id, ids, known.generation)
            requests = self.store.requests.for_orders_in(batch, shop, ids)
            edits = self.store.requests.latest_edits_in(batch, shop, ids)
            batch.run()
            found = dict(zip(ids, requests.value, strict=True))
            found_edits = dict(zip(ids, edits.value, strict=True))
        now = self.clock()
        return [
            _view(
                order,
                policy,
                now,
                _theirs(found.get(order.legacy_resource_id), customer_id),
                _theirs(found_edits.get(order.legacy_resource_id), customer_id),
            )
            for order in orders
        ]

    def _with_new_orders(
        self, shop: str, customer_id: int, policy: Policy, listed: list[Order], new: list[int]
    ) -> list[Order]:
        """Shopify's list and the new orders webhooks told of that it does not show yet (its order search may lag
        a moment behind), newest first."""
        missing = [order_id for order_id in new if order_id not in {order.legacy_resource_id for order in listed}]
        if not missing:
            return listed
        batch = self.store.batch()
        facts = self.store.order_facts.get_many_in(batch, shop, missing)
        batch.run()
        found = [_usable(order, policy, line_items=False) for order in facts.value]
        newest = [order for order in found if order is not None and order.belongs_to(customer_id)]
        return sorted([*newest, *listed], key=lambda order: order.created_at, reverse=True)[:RECENT_ORDERS]

    def order_view(self, shop: str, customer_id: int, order_id: int, reads: ReadBatch | None = None) -> OrderView:
        """One of the shopper's orders; raises OrderNotFoundError for unknown and other customers' orders.

        Everything it needs of Redis (the policy, the cached order and its request, and what the edge queued on
        ``reads``) is read in one round trip; Shopify is asked only when the order is not cached (then it is kept).
        """
        batch = reads or self.store.batch()
        pending_policy = self.store.policies.get_in(batch, shop)
        cached = self.store.order_facts.get_in(batch, shop, order_id)
        requests = self.store.requests.for_orders_in(batch, shop, [order_id])
        edits = self.store.requests.latest_edits_in(batch, shop, [order_id])
        batch.run()
        policy = pending_policy.value
        order = _usable(cached.value, policy, line_items=True) or self._read_order(shop, order_id, policy)
        if order is None or not order.belongs_to(customer_id):
            raise OrderNotFoundError(order_id)
        return _view(
            order, policy, self.clock(), _theirs(requests.value[0], customer_id), _theirs(edits.value[0], customer_id)
        )

    def existing_request(self, shop: str, customer_id: int, order_id: int) -> ShopperRequest | None:
        """The order's request if the shopper made it; None when there is none (or it is not theirs)."""
        request = self.store.requests.for_order(shop, order_id)
        if request is None or request.customer_id != customer_id:
            return None
        return request

    def request_cancellation(
        self, shop: str, customer_id: int, order_id: int, reason: str, note: str | None
    ) -> tuple[ShopperRequest, bool]:
        """Record the shopper's request and queue it (or hold it for review); returns (request, created).

        A repeated request for the same order returns the existing one and queues nothing, even when that
        request has finished.
        """
        existing = self.store.requests.for_order(shop, order_id)
        if existing is not None:
            if existing.customer_id != customer_id:
                raise OrderNotFoundError(order_id)
            return existing, False

        policy = self.store.policies.get(shop)
        if policy.reason_label(reason) is None:
            raise InvalidValueError("reason", "Choose one of the offered reasons.")
        if note is not None and len(note) > NOTE_MAX_LENGTH:
            raise InvalidValueError(
                "note", f"The note can be at most {NOTE_MAX_LENGTH} characters.", code="note_too_long"
            )

        order = self._owned_order(shop, customer_id, order_id, policy)
        now = self.clock()
        eligibility = check_eligibility(order, policy, now)
        if not eligibility.eligible:
            raise NotEligibleError(eligibility.reasons)

        status = RequestStatus.PENDING_REVIEW if policy.needs_review(order.total_amount) else RequestStatus.QUEUED
        request = ShopperRequest(
            id=new_request_id(),
            shop=shop,
            order_id=order_id,
            order_name=order.name,
            customer_id=customer_id,
            customer_email=order.email,
            order_total=order.total_amount,
            currency_code=order.currency_code,
            reason=reason,
            note=note,
            status=status,
            dispatches=1 if status is RequestStatus.QUEUED else 0,
            requested_at=now,
            created_at=now,
            updated_at=now,
        )
        request.record(now, "requested", status=status, detail=f"reason: {reason}")

        auto_review = policy.auto_review_after_hours if status is RequestStatus.PENDING_REVIEW else None

        def enqueue(pipe: Pipeline) -> None:
            if status is RequestStatus.QUEUED:
                enqueue_cancellation(self.queue, shop, request.id, self.retry_intervals, pipeline=pipe)
            elif auto_review is not None:
                delay = timedelta(seconds=auto_review * self.auto_review_hour_seconds)
                schedule_auto_review(self.queue, request.id, delay, pipeline=pipe)

        stored, created = self.store.requests.create(request, enqueue)
        if created:
            log.info(
                "cancellation requested",
                extra={"shop": shop, "order_id": order_id, "request_id": stored.id, "status": stored.status.value},
            )
        elif stored.customer_id != customer_id:
            raise OrderNotFoundError(order_id)
        return stored, created

    def _owned_order(self, shop: str, customer_id: int, order_id: int, policy: Policy) -> Order:
        """The order read fresh from Shopify, without the line items only the page shows (what decides never
        trusts the cache); a newer version than the cached one makes the next view read it whole."""
        order = self._read_order(shop, order_id, policy, line_items=False)
        # Shopify's proxy only proves who is logged in; ownership is ours to check.
        if order is None or not order.belongs_to(customer_id):
            raise OrderNotFoundError(order_id)
        return order

    def _read_order(self, shop: str, order_id: int, policy: Policy, *, line_items: bool = True) -> Order | None:
        """The order read from Shopify, and kept for later views."""
        order = self.shopify(shop).get_order(order_id, product_tags=policy.needs_product_tags, line_items=line_items)
        if order is not None:
            self.store.order_facts.put(shop, order)
        return order


def _view(
    order: Order, policy: Policy, now: datetime, request: ShopperRequest | None, edit: ShopperRequest | None
) -> OrderView:
    """What the shopper sees of the order: cancelling waits while their edit of it is being made."""
    eligibility = with_open_edit(check_eligibility(order, policy, now), edit is not None and not edit.status.is_final)
    return OrderView(order, policy, eligibility, request, edit)


def _usable(order: Order | None, policy: Policy, *, line_items: bool) -> Order | None:
    """A cached order, if the policy can be judged on it (webhooks carry no product tags) and it has what the
    view shows (the order's page lists its line items; the list does not)."""
    if order is None or (policy.needs_product_tags and not order.product_tags_read):
        return None
    if line_items and not order.line_items_read:
        return None
    return order


def _theirs(request: ShopperRequest | None, customer_id: int) -> ShopperRequest | None:
    """The request if the shopper made it (an order's request is never shown to another customer)."""
    return request if request is not None and request.customer_id == customer_id else None
