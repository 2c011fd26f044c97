"""Typed views of the Admin API objects the app reads, and GID helpers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import AliasPath, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

ORDER_GID_PREFIX = "gid://shopify/Order/"
CUSTOMER_GID_PREFIX = "gid://shopify/Customer/"


def order_gid(order_id: int) -> str:
    return f"{ORDER_GID_PREFIX}{order_id}"


def customer_gid(customer_id: int) -> str:
    return f"{CUSTOMER_GID_PREFIX}{customer_id}"


def legacy_id(gid: str) -> int:
    """The number at the end of a global id (``gid://shopify/Order/42`` is 42), as REST and webhooks name it."""
    return int(gid.rsplit("/", 1)[-1])


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")


class Fulfillment(_Model):
    id: str
    status: str


class LineItem(_Model):
    name: str
    quantity: int
    # The product's tags (none when the product was deleted: Shopify answers ``product: null``).
    product_tags: list[str] = Field(default_factory=list, validation_alias=AliasPath("product", "tags"))


class Order(_Model):
    """The order fields of ``OrderForCancellation`` and its line items (operations/fragments/)."""

    id: str
    legacy_resource_id: int
    name: str
    email: str | None = None
    created_at: datetime
    updated_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    closed: bool = False
    test: bool = False
    display_financial_status: str | None = None
    # Shopify documents this enum as open-ended; unknown values are kept as strings.
    display_fulfillment_status: str
    customer_id: str | None = Field(None, validation_alias=AliasPath("customer", "id"))
    tags: list[str] = Field(default_factory=list)
    total_amount: Decimal | None = Field(None, validation_alias=AliasPath("totalPriceSet", "shopMoney", "amount"))
    currency_code: str | None = Field(None, validation_alias=AliasPath("totalPriceSet", "shopMoney", "currencyCode"))
    fulfillments: list[Fulfillment] = Field(default_factory=list)
    # Read where the page shows them or the policy needs their products' tags (operations/fragments).
    line_items: list[LineItem] = Field(default_factory=list, validation_alias=AliasPath("lineItems", "nodes"))
    # Shopify has more line items than the fragment asks for (their products' tags are unknown).
    more_line_items: bool = Field(False, validation_alias=AliasPath("lineItems", "pageInfo", "hasNextPage"))
    # Whether the line items' products' tags were read (set by the client, not by Shopify).
    product_tags_read: bool = False
    # Whether the line items were read at all (set by the client: the list and a read to decide leave them out).
    line_items_read: bool = False

    def belongs_to(self, customer_id: int) -> bool:
        return self.customer_id == customer_gid(customer_id)


class CancelJob(_Model):
    id: str
    done: bool


class UserError(_Model):
    code: str | None = None
    field: list[str] | None = None
    message: str


class FulfillmentHold(_Model):
    id: str
    handle: str | None = None
    held_by_requesting_app: bool = False


class FulfillmentOrder(_Model):
    id: str
    # OPEN, ON_HOLD, SCHEDULED, IN_PROGRESS, INCOMPLETE, CLOSED, CANCELLED (open-ended: kept as strings).
    status: str
    fulfillment_holds: list[FulfillmentHold] = Field(default_factory=list)

    def own_hold(self, handle: str) -> FulfillmentHold | None:
        """This app's hold with ``handle`` on the fulfillment order, if it is there."""
        return next((h for h in self.fulfillment_holds if h.held_by_requesting_app and h.handle == handle), None)


class OrderFulfillmentOrders(_Model):
    """The fields of operations/get_fulfillment_orders.graphql."""

    id: str
    created_at: datetime
    cancelled_at: datetime | None = None
    fulfillment_orders: list[FulfillmentOrder] = Field(
        default_factory=list, validation_alias=AliasPath("fulfillmentOrders", "nodes")
    )


class OrderCancellation(_Model):
    """Whether an order is cancelled: the worker's confirmation read."""

    id: str
    cancelled_at: datetime | None = None
