"""The order behind a cancellation request, as support sees it next to the request. No Flask, no HTTP.

Read like the shopper's order page reads it (``storefront.py``): the app's cached copy (order_facts/, fed by
webhooks) when it has the line items, else Shopify, and what Shopify answered is kept for later views.
"""

from __future__ import annotations

from collections.abc import Callable

from storefront_proxy.cancellations.records import ShopperRequest
from storefront_proxy.shopify.client import ShopifyClient
from storefront_proxy.shopify.models import Order
from storefront_proxy.store import Store


class RequestOrders:
    """Support's reads of the orders its requests are about."""

    def __init__(self, store: Store, shopify: Callable[[str], ShopifyClient]) -> None:
        self.store = store
        self.shopify = shopify

    def order_of(self, request: ShopperRequest) -> Order | None:
        """The request's order with its line items, or None when the shop no longer has it.

        Raises the Shopify client's errors (ShopifyError, UnknownShopError) when Shopify cannot be asked.
        """
        batch = self.store.batch()
        cached = self.store.order_facts.get_in(batch, request.shop, request.order_id)
        batch.run()
        if cached.value is not None and cached.value.line_items_read:
            return cached.value
        order = self.shopify(request.shop).get_order(request.order_id)
        if order is not None:
            self.store.order_facts.put(request.shop, order)
        return order
