"""Typed views of the Admin API objects the app reads, and GID helpers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, Field
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
    # What was ordered; ``current_quantity`` is what is left after edits and removals (None when not read).
    quantity: int
    id: str | None = None
    title: str | None = None
    variant_title: str | None = None
    current_quantity: int | None = None
    # Only unfulfilled units can be edited (Shopify's order editing docs).
    unfulfilled_quantity: int | None = None
    unit_price: Decimal | None = Field(
        None, validation_alias=AliasPath("discountedUnitPriceAfterAllDiscountsSet", "shopMoney", "amount")
    )
    variant_id: str | None = Field(None, validation_alias=AliasPath("variant", "id"))
    product_id: str | None = Field(None, validation_alias=AliasPath("variant", "product", "id"))
    # The product's tags (none when the product was deleted: Shopify answers ``product: null``).
    product_tags: list[str] = Field(default_factory=list, validation_alias=AliasPath("product", "tags"))

    @property
    def legacy_id(self) -> int | None:
        return legacy_id(self.id) if self.id else None

    @property
    def quantity_now(self) -> int:
        """The quantity on the order now (edits and removals included)."""
        return self.quantity if self.current_quantity is None else self.current_quantity


class MailingAddress(_Model):
    """A shipping address as Shopify's MailingAddress gives it and its MailingAddressInput takes it back."""

    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country_code: str | None = Field(
        None, validation_alias=AliasChoices("countryCodeV2", "country_code", "countryCode")
    )
    phone: str | None = None


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
    # Whether Shopify lets apps edit the order; None when not known (a webhook does not say).
    merchant_editable: bool | None = None
    presentment_currency_code: str | None = None
    customer_id: str | None = Field(None, validation_alias=AliasPath("customer", "id"))
    tags: list[str] = Field(default_factory=list)
    total_amount: Decimal | None = Field(None, validation_alias=AliasPath("totalPriceSet", "shopMoney", "amount"))
    currency_code: str | None = Field(None, validation_alias=AliasPath("totalPriceSet", "shopMoney", "currencyCode"))
    fulfillments: list[Fulfillment] = Field(default_factory=list)
    # Read where the page shows them or the policy needs their products' tags (operations/fragments).
    line_items: list[LineItem] = Field(default_factory=list, validation_alias=AliasPath("lineItems", "nodes"))
    shipping_address: MailingAddress | None = None
    # Shopify has more line items than the fragment asks for (their products' tags are unknown).
    more_line_items: bool = Field(False, validation_alias=AliasPath("lineItems", "pageInfo", "hasNextPage"))
    # Whether the line items' products' tags were read (set by the client, not by Shopify).
    product_tags_read: bool = False
    # Whether the line items were read at all (set by the client: the list and a read to decide leave them out).
    line_items_read: bool = False

    def belongs_to(self, customer_id: int) -> bool:
        return self.customer_id == customer_gid(customer_id)

    def line_item(self, line_item_id: int) -> LineItem | None:
        return next((item for item in self.line_items if item.legacy_id == line_item_id), None)


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


class VariantOption(_Model):
    """A variant of a product on an order: what a line item may be swapped to."""

    id: str
    title: str
    price: Decimal
    available_for_sale: bool = False

    @property
    def legacy_id(self) -> int:
        return legacy_id(self.id)


class ProductVariants(_Model):
    """The fields of operations/get_variant_options.graphql for one product."""

    id: str
    variants: list[VariantOption] = Field(default_factory=list, validation_alias=AliasPath("variants", "nodes"))


class CalculatedLineItem(_Model):
    id: str
    quantity: int
    editable_quantity: int
    variant_id: str | None = Field(None, validation_alias=AliasPath("variant", "id"))

    @property
    def legacy_id(self) -> int:
        return legacy_id(self.id)


class CalculatedOrder(_Model):
    """An edit session's order with the staged changes (its line items only as orderEditBegin reads them)."""

    id: str
    total_amount: Decimal = Field(validation_alias=AliasPath("totalPriceSet", "shopMoney", "amount"))
    line_items: list[CalculatedLineItem] = Field(default_factory=list, validation_alias=AliasPath("lineItems", "nodes"))


class Transaction(_Model):
    id: str
    kind: str
    status: str
    gateway: str | None = None
    amount: Decimal = Field(validation_alias=AliasPath("amountSet", "shopMoney", "amount"))


class OrderPayments(_Model):
    """The fields of operations/get_order_payments.graphql."""

    id: str
    display_financial_status: str | None = None
    net_payment: Decimal = Field(validation_alias=AliasPath("netPaymentSet", "shopMoney", "amount"))
    currency_code: str = Field(validation_alias=AliasPath("netPaymentSet", "shopMoney", "currencyCode"))
    transactions: list[Transaction] = Field(default_factory=list)

    def refundable_payments(self) -> list[Transaction]:
        """The captured payments a refund can name as its parent, largest first."""
        paid = [t for t in self.transactions if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS"]
        return sorted(paid, key=lambda t: t.amount, reverse=True)


class Refund(_Model):
    id: str
    amount: Decimal = Field(validation_alias=AliasPath("totalRefundedSet", "shopMoney", "amount"))
