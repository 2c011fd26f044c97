"""Thread-safe in-memory state of the devshop: customers, products, orders (edits, payments, refunds), cancel jobs,
throttle bucket, faults, call log."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

log = logging.getLogger(__name__)

DEFAULT_SHOP_DOMAIN = "devshop.myshopify.com"
DEFAULT_ACCESS_TOKEN = "shpat_devshop_local_token_0000000000"
DEFAULT_CURRENCY = "EUR"
DEMO_CUSTOMER_ID = 1001
FIRST_ORDER_ID = 5001
FIRST_ORDER_NUMBER = 1001
FIRST_LINE_ITEM_ID = 9001
FIRST_FULFILLMENT_ID = 7001
FIRST_METAFIELD_ID = 30001
FIRST_FULFILLMENT_ORDER_ID = 40001
FIRST_FULFILLMENT_HOLD_ID = 50001
# Catalogue products and their variants (add_product). A line item given to create_order as a tuple is its own
# one-variant product instead, numbered like the line item (9001 on), as the devshop always did.
FIRST_PRODUCT_ID = 20001
FIRST_VARIANT_ID = 21001
FIRST_TRANSACTION_ID = 60001
FIRST_REFUND_ID = 70001
# Both ids of an edit session: gid://shopify/CalculatedOrder/<n> and gid://shopify/OrderEditSession/<n>.
FIRST_ORDER_EDIT_ID = 80001
# Shopify names the only variant of a product without options "Default Title"; its line items have no variantTitle.
DEFAULT_VARIANT_TITLE = "Default Title"
# The stock of the one-variant product behind a line item given as a tuple (what is left after the sale).
LINE_ITEM_PRODUCT_INVENTORY = 100
# Shopify's test payment gateway; store credit refunds are transactions of their own gateway.
PAYMENT_GATEWAY = "bogus"
STORE_CREDIT_GATEWAY = "shopify_store_credit"
# The countries the devshop's demo addresses use, by CountryCode (MailingAddress.country is the name).
COUNTRY_NAMES = {
    "NL": "Netherlands",
    "BE": "Belgium",
    "DE": "Germany",
    "FR": "France",
    "FI": "Finland",
    "GB": "United Kingdom",
    "US": "United States",
}
# Where demo orders ship unless told otherwise.
DEFAULT_SHIPPING_ADDRESS = {
    "company": None,
    "address1": "Keizersgracht 123",
    "address2": None,
    "city": "Amsterdam",
    "province_code": None,
    "zip": "1015 CJ",
    "country_code": "NL",
    "phone": "+31 20 123 4567",
}
# The app that calls the devshop's Admin API; holds placed through the control API belong to someone else.
REQUESTING_APP = "self-service"
# Shopify's cap on holds per fulfillment order (FULFILLMENT_ORDER_HOLD_LIMIT_REACHED); the number is UNCONFIRMED.
MAX_HOLDS_PER_FULFILLMENT_ORDER = 10
HOLD_REASONS = frozenset(
    {
        "AWAITING_PAYMENT",
        "AWAITING_RETURN_ITEMS",
        "HIGH_RISK_OF_FRAUD",
        "INCORRECT_ADDRESS",
        "INVENTORY_OUT_OF_STOCK",
        "ONLINE_STORE_POST_PURCHASE_CROSS_SELL",
        "OTHER",
        "UNKNOWN_DELIVERY_DATE",
    }
)
# The app's one installation on this shop: owner of its app-data metafields (what Liquid reads as app.metafields).
APP_INSTALLATION_ID = "gid://shopify/AppInstallation/1"
APP_RESERVED_NAMESPACE = "$app"
MAX_METAFIELDS_PER_SET = 25
# Types the devshop validates like Shopify; values are always strings on the wire.
METAFIELD_TYPES = frozenset(
    {"single_line_text_field", "multi_line_text_field", "boolean", "number_integer", "json", "url"}
)
METAFIELD_KEY = re.compile(r"[A-Za-z0-9_-]{2,64}")
METAFIELD_NAMESPACE = re.compile(r"\$?[A-Za-z0-9_-]{2,255}")
MAX_STAFF_NOTE_LENGTH = 255
# Shopify refuses orderCancel once anything has shipped; these statuses mean nothing has
# (https://shopify.dev/docs/api/admin-graphql/latest/mutations/orderCancel).
CANCELLABLE_FULFILLMENT_STATUSES = frozenset({"UNFULFILLED", "ON_HOLD", "SCHEDULED"})
# Faults answered before execution: plain-text HTTP errors, Shopify's JSON ones (429 with Retry-After, 500, 503),
# a throttled GraphQL answer, a pause, no answer within the app's timeout, a reset connection.
REQUEST_FAULT_KINDS = frozenset(
    {"http_500", "http_502", "http_503", "http_429", "http_500_json", "http_503_json", "throttle", "delay", "timeout"}
    | {"reset"}
)
# user_error and hang_job are taken by orderCancel itself.
FAULT_KINDS = REQUEST_FAULT_KINDS | {"user_error", "hang_job"}


class DevshopError(Exception):
    """Base error of the devshop state."""


class UnknownCustomerError(DevshopError):
    """No customer with that id."""


class FulfillmentOnHoldError(DevshopError):
    """The order's fulfillment order is on hold: nothing can be fulfilled until every hold is released."""


class UnknownOrderError(DevshopError):
    """No order with that id."""


class UnknownVariantError(DevshopError):
    """No product variant with that id."""


class NotFulfillableError(DevshopError):
    """The order is cancelled (code "cancelled"), or less than asked is left to fulfil (code "quantity")."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class MetafieldInputError(DevshopError):
    """A metafieldsSet input Shopify would refuse; carries the userError's code and field path."""

    def __init__(self, code: str, field_path: list[str], message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field_path = field_path
        self.message = message


def iso_utc(ts: float | None) -> str | None:
    """Format a Unix timestamp as Shopify's DateTime (ISO-8601, seconds, "Z")."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> float:
    """Parse an ISO-8601 timestamp ("Z" or offset; naive means UTC) into Unix seconds."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


@dataclass
class Customer:
    """A shop customer."""

    legacy_id: int
    first_name: str
    last_name: str
    email: str | None

    @property
    def gid(self) -> str:
        return f"gid://shopify/Customer/{self.legacy_id}"

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def money_amount(amount: Decimal) -> str:
    """A decimal amount as Shopify writes money: two decimals."""
    return str(amount.quantize(Decimal("0.01")))


@dataclass
class ProductVariant:
    """One variant of a product ("M", "Blue / L", or Shopify's "Default Title"); the price is a decimal string."""

    legacy_id: int
    product_id: int
    title: str
    price: str
    inventory_quantity: int
    sku: str | None = None

    @property
    def gid(self) -> str:
        return f"gid://shopify/ProductVariant/{self.legacy_id}"

    @property
    def available_for_sale(self) -> bool:
        # Inventory is tracked and overselling denied (Shopify's DENY policy): sold out means not for sale.
        return self.inventory_quantity > 0

    @property
    def is_default(self) -> bool:
        return self.title == DEFAULT_VARIANT_TITLE


@dataclass
class Product:
    """A product and its variants, in position order."""

    legacy_id: int
    title: str
    tags: list[str] = field(default_factory=list)
    variants: list[ProductVariant] = field(default_factory=list)
    # The option names its variants' titles are made of ("Size"; "Colour", "Size" for "Blue / L").
    options: list[str] = field(default_factory=lambda: ["Title"])
    vendor: str | None = "Devshop Supply Co."

    @property
    def gid(self) -> str:
        return f"gid://shopify/Product/{self.legacy_id}"

    def to_json(self) -> dict[str, Any]:
        """The product as the control API shows it."""
        data = asdict(self)
        data["gid"] = self.gid
        data["variants"] = [
            {**asdict(v), "gid": v.gid, "available_for_sale": v.available_for_sale} for v in self.variants
        ]
        return data


# MailingAddressInput's camelCase name of each MailingAddress field.
ADDRESS_INPUT_NAMES = {
    "first_name": "firstName",
    "last_name": "lastName",
    "company": "company",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "province_code": "provinceCode",
    "zip": "zip",
    "country_code": "countryCode",
    "phone": "phone",
}


@dataclass
class MailingAddress:
    """An order's shipping address in REST's snake_case names (GraphQL's MailingAddress has them in camelCase)."""

    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country_code: str | None = None
    phone: str | None = None

    @classmethod
    def from_input(cls, data: dict[str, Any]) -> MailingAddress:
        """From a MailingAddressInput: the whole address is replaced, so a field left out is left empty."""
        return cls(**{name: data.get(graphql_name) for name, graphql_name in ADDRESS_INPUT_NAMES.items()})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MailingAddress:
        """From the control API's snake_case JSON; an unknown field is a ValueError (a 400)."""
        unknown = set(data) - set(ADDRESS_INPUT_NAMES)
        if unknown:
            raise ValueError(f"Unknown shipping address fields: {', '.join(sorted(unknown))}")
        values = {name: None if data.get(name) is None else str(data[name]) for name in ADDRESS_INPUT_NAMES}
        return cls(**values)

    @property
    def name(self) -> str | None:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or None


def default_shipping_address(customer: Customer | None) -> MailingAddress:
    """Where a demo order ships: the customer (if any) at DEFAULT_SHIPPING_ADDRESS."""
    return MailingAddress(
        first_name=customer.first_name if customer else None,
        last_name=customer.last_name if customer else None,
        **DEFAULT_SHIPPING_ADDRESS,
    )


@dataclass
class LineItem:
    """One line of an order; prices are decimal strings in the order's currency.

    ``quantity`` is what was ordered; ``current_quantity`` what is on the order now, after edits (Shopify's
    currentQuantity); line totals and the order's total follow it.
    """

    legacy_id: int
    title: str
    quantity: int
    unit_price: str
    variant_title: str | None = None
    sku: str | None = None
    vendor: str | None = "Devshop Supply Co."
    # The tags of the line item's product when the order was placed (the product node reads the catalogue's).
    product_tags: list[str] = field(default_factory=list)
    fulfilled_quantity: int = 0
    # -1: the same as quantity (set on creation).
    current_quantity: int = -1
    # The variant (and so the product) sold; a line item given as a tuple is its own product, numbered like it.
    variant_id: int = 0
    product_id: int = 0
    # Added by an order edit (not part of the order as placed: originalTotalPriceSet leaves it out).
    added_by_edit: bool = False

    def __post_init__(self) -> None:
        if self.current_quantity < 0:
            self.current_quantity = self.quantity
        self.variant_id = self.variant_id or self.legacy_id
        self.product_id = self.product_id or self.legacy_id

    @property
    def gid(self) -> str:
        return f"gid://shopify/LineItem/{self.legacy_id}"

    @property
    def product_gid(self) -> str:
        return f"gid://shopify/Product/{self.product_id}"

    @property
    def variant_gid(self) -> str:
        return f"gid://shopify/ProductVariant/{self.variant_id}"

    @property
    def name(self) -> str:
        return f"{self.title} - {self.variant_title}" if self.variant_title else self.title

    @property
    def unfulfilled_quantity(self) -> int:
        """What is on the order and has not shipped: the part an edit may change (Shopify's order editing docs)."""
        return max(0, self.current_quantity - self.fulfilled_quantity)

    @property
    def total(self) -> str:
        return money_amount(Decimal(self.unit_price) * self.current_quantity)

    @property
    def fulfillment_status(self) -> str | None:
        """ "fulfilled", "partial" or None while nothing has shipped, as Shopify spells a line item's status."""
        if self.fulfilled_quantity <= 0:
            return None
        return "fulfilled" if self.fulfilled_quantity >= self.current_quantity else "partial"


@dataclass
class Fulfillment:
    """A shipment of some or all of an order's line items."""

    legacy_id: int
    created_at: float
    status: str = "SUCCESS"
    # Line item legacy id -> quantity shipped in this fulfillment.
    line_items: dict[int, int] = field(default_factory=dict)

    def line_items_json(self) -> list[dict[str, int]]:
        """What was shipped, as the control API and webhook payloads list it."""
        return [{"id": item_id, "quantity": quantity} for item_id, quantity in self.line_items.items()]

    @property
    def gid(self) -> str:
        return f"gid://shopify/Fulfillment/{self.legacy_id}"


@dataclass
class FulfillmentHold:
    """A hold on a fulfillment order, placed by an app (with its handle) or by the merchant."""

    legacy_id: int
    reason: str
    held_by: str  # REQUESTING_APP, another app's name, or "merchant"
    handle: str = ""
    reason_notes: str | None = None

    @property
    def gid(self) -> str:
        return f"gid://shopify/FulfillmentHold/{self.legacy_id}"


@dataclass
class FulfillmentOrder:
    """The devshop gives each order one fulfillment order holding all its line items."""

    legacy_id: int
    status: str = "OPEN"  # OPEN, ON_HOLD, CLOSED, CANCELLED
    holds: list[FulfillmentHold] = field(default_factory=list)

    @property
    def gid(self) -> str:
        return f"gid://shopify/FulfillmentOrder/{self.legacy_id}"


@dataclass
class CancelRecord:
    """What the last successful cancel was asked to do, kept for test assertions."""

    source: str  # "api" (orderCancel) or "staff" (control API)
    reason: str
    restock: bool | None = None
    notify_customer: bool | None = None
    staff_note: str | None = None
    refund_method: dict[str, Any] | None = None
    refund: bool | None = None
    job_id: str | None = None


@dataclass
class Transaction:
    """A payment transaction of an order (Shopify's OrderTransaction); amounts are decimal strings."""

    legacy_id: int
    kind: str  # SALE, AUTHORIZATION, CAPTURE, VOID, REFUND
    status: str  # SUCCESS, ...
    gateway: str
    amount: str
    created_at: float
    parent_id: int | None = None

    @property
    def gid(self) -> str:
        return f"gid://shopify/OrderTransaction/{self.legacy_id}"

    @property
    def is_payment(self) -> bool:
        """Money received: a successful sale or capture (what a refund names as its parent)."""
        return self.kind in ("SALE", "CAPTURE") and self.status == "SUCCESS"


@dataclass
class Refund:
    """A refund of an order: to the original payment (REFUND transactions), to store credit, or both."""

    legacy_id: int
    created_at: float
    amount: str
    method: str  # "original_payment", "store_credit", or both as "original_payment+store_credit"
    note: str | None = None
    notify: bool | None = None
    # The @idempotent key it was created with (None for the refund of a cancellation).
    idempotency_key: str | None = None
    transaction_ids: list[int] = field(default_factory=list)

    @property
    def gid(self) -> str:
        return f"gid://shopify/Refund/{self.legacy_id}"


@dataclass
class OrderEditCommit:
    """A committed edit session, as orderEditCommit was asked to apply it (for tests and the admin page)."""

    session_id: str  # the CalculatedOrder's GID
    committed_at: float
    notify_customer: bool | None
    staff_note: str | None
    # {"line_item_id", "name", "from", "to", "restock"} for a changed line; {"line_item_id", "name", "variant_id",
    # "added"} for an added variant.
    changes: list[dict[str, Any]]
    total_before: str
    total_after: str


@dataclass
class Order:
    """An order as the devshop models it."""

    legacy_id: int
    name: str
    customer_id: int | None
    email: str | None
    created_at: float
    processed_at: float
    display_financial_status: str = "PAID"
    display_fulfillment_status: str = "UNFULFILLED"
    currency: str = DEFAULT_CURRENCY
    line_items: list[LineItem] = field(default_factory=list)
    fulfillments: list[Fulfillment] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    test: bool = False
    closed: bool = False
    closed_at: float | None = None
    cancelled_at: float | None = None
    cancel_reason: str | None = None
    cancel: CancelRecord | None = None
    fulfillment_orders: list[FulfillmentOrder] = field(default_factory=list)
    updated_at: float = 0.0
    shipping_address: MailingAddress | None = None
    transactions: list[Transaction] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    edits: list[OrderEditCommit] = field(default_factory=list)

    @property
    def gid(self) -> str:
        return f"gid://shopify/Order/{self.legacy_id}"

    @property
    def total_price(self) -> str:
        """The total of the line items' current quantities (edits included, as Shopify's totalPriceSet)."""
        total = sum((Decimal(li.unit_price) * li.current_quantity for li in self.line_items), Decimal("0"))
        return money_amount(total)

    @property
    def original_total_price(self) -> str:
        """The total as the order was placed (originalTotalPriceSet): ordered quantities, no added line items."""
        placed = (li for li in self.line_items if not li.added_by_edit)
        return money_amount(sum((Decimal(li.unit_price) * li.quantity for li in placed), Decimal("0")))

    @property
    def current_total_price(self) -> str:
        """currentTotalPriceSet: the total now, nothing once the order is cancelled."""
        return "0.00" if self.cancelled_at is not None else self.total_price

    @property
    def total_received(self) -> Decimal:
        return sum((Decimal(t.amount) for t in self.transactions if t.is_payment), Decimal("0"))

    @property
    def total_refunded(self) -> Decimal:
        refunds = (t for t in self.transactions if t.kind == "REFUND" and t.status == "SUCCESS")
        return sum((Decimal(t.amount) for t in refunds), Decimal("0"))

    @property
    def net_payment(self) -> Decimal:
        """netPaymentSet: what was received less what was refunded."""
        return self.total_received - self.total_refunded

    @property
    def merchant_editable(self) -> bool:
        """Whether an order edit may begin: open, not cancelled, and something left unshipped to edit."""
        return (
            self.cancelled_at is None
            and not self.closed
            and any(item.unfulfilled_quantity > 0 for item in self.line_items)
        )

    def transaction(self, legacy_id: int) -> Transaction | None:
        return next((t for t in self.transactions if t.legacy_id == legacy_id), None)

    def line_item(self, legacy_id: int) -> LineItem | None:
        return next((item for item in self.line_items if item.legacy_id == legacy_id), None)

    def to_json(self) -> dict[str, Any]:
        """The order as the control API shows it."""
        data = asdict(self)
        data.update(
            legacy_id=self.legacy_id,
            gid=self.gid,
            created_at=iso_utc(self.created_at),
            processed_at=iso_utc(self.processed_at),
            closed_at=iso_utc(self.closed_at),
            cancelled_at=iso_utc(self.cancelled_at),
            total_price=self.total_price,
            original_total_price=self.original_total_price,
            current_total_price=self.current_total_price,
            net_payment=money_amount(self.net_payment),
            total_refunded=money_amount(self.total_refunded),
            merchant_editable=self.merchant_editable,
            line_items=[
                {**asdict(item), "gid": item.gid, "variant_gid": item.variant_gid, "product_gid": item.product_gid}
                for item in self.line_items
            ],
            fulfillments=[
                {
                    "id": f.gid,
                    "status": f.status,
                    "created_at": iso_utc(f.created_at),
                    "line_items": f.line_items_json(),
                }
                for f in self.fulfillments
            ],
            fulfillment_orders=[
                {"id": fo.gid, "status": fo.status, "holds": [{"id": h.gid, **asdict(h)} for h in fo.holds]}
                for fo in self.fulfillment_orders
            ],
            transactions=[{**asdict(t), "id": t.gid, "created_at": iso_utc(t.created_at)} for t in self.transactions],
            refunds=[
                {
                    **asdict(r),
                    "id": r.gid,
                    "created_at": iso_utc(r.created_at),
                    "transactions": [f"gid://shopify/OrderTransaction/{t}" for t in r.transaction_ids],
                }
                for r in self.refunds
            ],
            edits=[{**asdict(e), "committed_at": iso_utc(e.committed_at)} for e in self.edits],
            updated_at=iso_utc(self.updated_at),
        )
        return data


@dataclass
class AppMetafield:
    """An app-data metafield owned by the app installation; `value` is the string Shopify stores."""

    legacy_id: int
    namespace: str
    key: str
    type: str
    value: str
    created_at: float
    updated_at: float

    @property
    def gid(self) -> str:
        return f"gid://shopify/Metafield/{self.legacy_id}"

    @property
    def compare_digest(self) -> str:
        """Shopify's optimistic-locking digest of the stored value (opaque to clients)."""
        return hashlib.sha256(f"{self.type}:{self.value}".encode()).hexdigest()

    def liquid_value(self) -> Any:
        """The value as Liquid's metafield.value shows it (typed, not the stored string)."""
        if self.type == "boolean":
            return self.value == "true"
        if self.type == "number_integer":
            return int(self.value)
        if self.type == "json":
            return json.loads(self.value)
        return self.value


@dataclass
class Job:
    """An asynchronous orderCancel job; done once the clock passes completes_at (never if None)."""

    id: str
    result_id: str
    order_id: int
    created_at: float
    completes_at: float | None
    reason: str
    restock: bool
    refund_method: dict[str, Any] | None = None
    refund: bool | None = None
    notify_customer: bool | None = None
    staff_note: str | None = None
    applied: bool = False
    failed_message: str | None = None


@dataclass
class Fault:
    """An injected failure for one operation name (or "*"), firing `times` more times."""

    operation: str
    kind: str
    times: int = 1
    delay: float = 0.0
    message: str | None = None


@dataclass
class Call:
    """One Admin API request as received."""

    operation_name: str | None
    variables: dict[str, Any]
    at: float
    api_version: str | None = None
    fault: str | None = None
    # Answered THROTTLED by the cost bucket (not by a fault).
    throttled: bool = False


@dataclass
class ThrottleBucket:
    """Shopify's leaky bucket of query cost points for this shop."""

    maximum_available: float = 1000.0
    restore_rate: float = 50.0
    currently_available: float = 1000.0
    updated_at: float = 0.0

    def status(self) -> dict[str, float]:
        """The bucket as Shopify reports it in extensions.cost.throttleStatus."""
        return {
            "maximumAvailable": self.maximum_available,
            "currentlyAvailable": round(self.currently_available),
            "restoreRate": self.restore_rate,
        }


@dataclass
class CancelOutcome:
    """Result of an orderCancel request: either a job or user errors."""

    job: Job | None
    user_errors: list[dict[str, Any]]


@dataclass
class StagedQuantity:
    """A quantity staged on one of the order's line items, and whether units taken off go back to stock."""

    quantity: int
    restock: bool = False


@dataclass
class AddedLineItem:
    """A variant staged onto the order. ``legacy_id`` numbers its CalculatedLineItem and, on commit, its LineItem."""

    legacy_id: int
    variant_id: int
    quantity: int
    unit_price: str


@dataclass
class OrderEditSession:
    """An order edit begun with orderEditBegin: changes staged on it touch the order only when committed."""

    legacy_id: int
    order_id: int
    created_at: float
    # How many edits the order had when the session began: committing after another edit is refused.
    base_edit_count: int
    staged: dict[int, StagedQuantity] = field(default_factory=dict)
    added: list[AddedLineItem] = field(default_factory=list)
    committed_at: float | None = None

    @property
    def gid(self) -> str:
        """The CalculatedOrder's GID (what orderEditBegin answers and the app passes back)."""
        return f"gid://shopify/CalculatedOrder/{self.legacy_id}"

    @property
    def session_gid(self) -> str:
        return f"gid://shopify/OrderEditSession/{self.legacy_id}"

    @property
    def committed(self) -> bool:
        return self.committed_at is not None

    def to_json(self) -> dict[str, Any]:
        """The session as the control API shows it."""
        return {
            "id": self.gid,
            "session_id": self.session_gid,
            "order_id": self.order_id,
            "created_at": iso_utc(self.created_at),
            "committed": self.committed,
            "committed_at": iso_utc(self.committed_at),
            "staged": [
                {"line_item_id": item_id, "quantity": staged.quantity, "restock": staged.restock}
                for item_id, staged in self.staged.items()
            ],
            "added": [asdict(added) for added in self.added],
        }


@dataclass(frozen=True)
class CalculatedLine:
    """A line of an edit session's order with the staged changes (Shopify's CalculatedLineItem)."""

    legacy_id: int
    title: str
    variant_title: str | None
    variant_id: int
    sku: str | None
    unit_price: str
    quantity: int
    # What may still be changed: the unfulfilled part, before and after the staged change.
    editable_quantity: int
    editable_quantity_before_changes: int
    restocking: bool
    added: bool

    @property
    def gid(self) -> str:
        return f"gid://shopify/CalculatedLineItem/{self.legacy_id}"

    @property
    def total(self) -> str:
        return money_amount(Decimal(self.unit_price) * self.quantity)


@dataclass
class EditOutcome:
    """Result of an order-edit mutation: the session (None when refused), the calculated line it changed, errors."""

    session: OrderEditSession | None
    line: CalculatedLine | None
    user_errors: list[dict[str, Any]]


@dataclass
class RefundOutcome:
    """Result of refundCreate: the refund (a repeated idempotency key gives the first one again) or user errors."""

    refund: Refund | None
    order: Order | None
    user_errors: list[dict[str, Any]]


class DevshopState:
    """The whole shop, guarded by one re-entrant lock; every read first settles jobs that are due by the clock."""

    def __init__(
        self,
        *,
        shop_domain: str = DEFAULT_SHOP_DOMAIN,
        access_token: str = DEFAULT_ACCESS_TOKEN,
        cancel_job_seconds: float = 1.0,
        clock: Callable[[], float] = time.time,
        seeder: Callable[[DevshopState], None] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.shop_domain = shop_domain
        self.access_token = access_token
        self.cancel_job_seconds = cancel_job_seconds
        self.clock = clock
        self.seeder = seeder
        self.customers: dict[int, Customer] = {}
        self.orders: dict[int, Order] = {}
        self.jobs: dict[str, Job] = {}
        self.faults: list[Fault] = []
        self.calls: list[Call] = []
        self.bucket = ThrottleBucket()
        self.app_installation_id = APP_INSTALLATION_ID
        self.app_metafields: dict[tuple[str, str], AppMetafield] = {}
        self.products: dict[int, Product] = {}
        self.variants: dict[int, ProductVariant] = {}
        self.edit_sessions: dict[int, OrderEditSession] = {}
        # refundCreate's @idempotent keys: key -> (the input it came with, the refund it made).
        self.refund_keys: dict[str, tuple[str, int]] = {}
        # Called with (topic, order) when an order changes as Shopify would announce it in a webhook.
        self.listeners: list[Callable[[str, Order], None]] = []
        self._quiet = False
        self.reset()  # also sets the id counters

    # -- lifecycle ------------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the initial data: reseed, and clear faults, calls, jobs and the throttle bucket."""
        with self.lock:
            self.customers.clear()
            self.orders.clear()
            self.jobs.clear()
            self.faults.clear()
            self.calls.clear()
            self.app_metafields.clear()
            self.products.clear()
            self.variants.clear()
            self.edit_sessions.clear()
            self.refund_keys.clear()
            self._next_metafield_id = FIRST_METAFIELD_ID
            self._next_product_id = FIRST_PRODUCT_ID
            self._next_variant_id = FIRST_VARIANT_ID
            self._next_transaction_id = FIRST_TRANSACTION_ID
            self._next_refund_id = FIRST_REFUND_ID
            self._next_order_edit_id = FIRST_ORDER_EDIT_ID
            self.bucket = ThrottleBucket(updated_at=self.clock())
            self._next_order_id = FIRST_ORDER_ID
            self._next_order_number = FIRST_ORDER_NUMBER
            self._next_line_item_id = FIRST_LINE_ITEM_ID
            self._next_fulfillment_id = FIRST_FULFILLMENT_ID
            self._next_fulfillment_order_id = FIRST_FULFILLMENT_ORDER_ID
            self._next_hold_id = FIRST_FULFILLMENT_HOLD_ID
            if self.seeder is not None:
                # Seeded orders are the shop's past: no webhooks for them.
                self._quiet = True
                try:
                    self.seeder(self)
                finally:
                    self._quiet = False

    def _announce(self, topic: str, order: Order) -> None:
        """Tell the listeners (the webhook sender) that ``order`` changed; called with the lock held."""
        self._touch(order)
        if self._quiet:
            return
        for listener in self.listeners:
            try:
                listener(topic, order)
            except Exception:  # a listener must never break the shop
                log.exception("webhook listener failed for %s", topic)

    def _touch(self, order: Order) -> None:
        order.updated_at = max(self.clock(), order.updated_at)

    # -- customers and orders -------------------------------------------------------------------------------------

    def add_customer(self, legacy_id: int, first_name: str, last_name: str, email: str | None) -> Customer:
        """Add (or replace) a customer."""
        with self.lock:
            customer = Customer(legacy_id, first_name, last_name, email)
            self.customers[legacy_id] = customer
            return customer

    def get_customer(self, legacy_id: int) -> Customer | None:
        """The customer with that numeric id, or None."""
        with self.lock:
            return self.customers.get(legacy_id)

    def create_order(
        self,
        *,
        customer_id: int | None = DEMO_CUSTOMER_ID,
        age_minutes: float = 5,
        created_at: float | str | None = None,
        display_fulfillment_status: str = "UNFULFILLED",
        display_financial_status: str = "PAID",
        tags: Iterable[str] = (),
        cancelled: bool = False,
        closed: bool = False,
        fulfilled: bool = False,
        name: str | None = None,
        line_items: Iterable[tuple[str, int, str] | tuple[str, int, str, Iterable[str]]] | None = None,
        variants: Iterable[tuple[int, int]] | None = None,
        shipping_address: MailingAddress | Literal["default"] | None = "default",
        test: bool = False,
    ) -> int:
        """Create an order and return its numeric (legacy) id.

        line_items are (title, quantity, unit_price) or (title, quantity, unit_price, product_tags), each its own
        one-variant product; variants are (variant id, quantity) of catalogue products (add_product), sold from
        their stock like a checkout would (ValueError for an unknown or sold-out variant). Without either, one
        mug. The order ships to ``shipping_address`` ("default": the customer at DEFAULT_SHIPPING_ADDRESS) and is
        paid as ``display_financial_status`` says (a SALE of its total when PAID, an AUTHORIZATION when AUTHORIZED).
        """
        with self.lock:
            now = self.clock()
            if customer_id is not None and customer_id not in self.customers:
                raise UnknownCustomerError(f"Customer {customer_id} does not exist")
            sold = [(self._require_variant(int(variant_id)), int(quantity)) for variant_id, quantity in variants or ()]
            self._check_stock(sold)
            if created_at is None:
                created = now - age_minutes * 60
            elif isinstance(created_at, str):
                created = parse_iso(created_at)
            else:
                created = float(created_at)
            legacy_id = self._next_order_id
            self._next_order_id += 1
            number = self._next_order_number
            self._next_order_number += 1
            customer = self.customers.get(customer_id) if customer_id is not None else None
            order = Order(
                legacy_id=legacy_id,
                name=name or f"#{number}",
                customer_id=customer_id,
                email=customer.email if customer else None,
                created_at=created,
                processed_at=created,
                display_financial_status=display_financial_status,
                display_fulfillment_status=display_fulfillment_status,
                tags=list(tags),
                test=test,
                updated_at=created,
                shipping_address=default_shipping_address(customer)
                if shipping_address == "default"
                else shipping_address,
            )
            order.fulfillment_orders.append(FulfillmentOrder(self._next_fulfillment_order_id))
            self._next_fulfillment_order_id += 1
            if line_items is None and not sold:
                line_items = [("Devshop Sample Mug", 1, "25.00")]
            for title, quantity, unit_price, *rest in line_items or ():
                product_tags = [str(tag) for tag in rest[0]] if rest else []
                order.line_items.append(
                    self._line_item_product(str(title), int(quantity), str(unit_price), product_tags)
                )
            for variant, quantity in sold:
                order.line_items.append(self._variant_line_item(self._next_line_item_id, variant, quantity))
                self._next_line_item_id += 1
                variant.inventory_quantity -= quantity
            order.transactions.extend(self._payments(display_financial_status, order.total_price, created))
            self.orders[legacy_id] = order
            if fulfilled:
                self.fulfill(legacy_id)
            if cancelled:
                self.staff_cancel(legacy_id)
            if closed:
                order.closed = True
                order.closed_at = now
            self._announce("orders/create", order)
            log.info("Created order %s (%s)", order.name, legacy_id)
            return legacy_id

    def _line_item_product(self, title: str, quantity: int, unit_price: str, tags: list[str]) -> LineItem:
        """A line item given as a tuple: its own product with one variant, both numbered like the line item."""
        legacy_id = self._next_line_item_id
        self._next_line_item_id += 1
        # Catalogue products take their numbers from FIRST_PRODUCT_ID on; should line items ever reach those,
        # this line item's product and variant take the catalogue's next free numbers instead.
        product_id = legacy_id if legacy_id not in self.products else self._fresh_id("_next_product_id", self.products)
        variant_id = legacy_id if legacy_id not in self.variants else self._fresh_id("_next_variant_id", self.variants)
        product = Product(product_id, title, list(tags))
        variant = ProductVariant(variant_id, product_id, DEFAULT_VARIANT_TITLE, unit_price, LINE_ITEM_PRODUCT_INVENTORY)
        product.variants.append(variant)
        self.products[product_id] = product
        self.variants[variant_id] = variant
        item = LineItem(legacy_id, title, quantity, unit_price, variant_id=variant_id, product_id=product_id)
        item.product_tags = list(tags)
        return item

    def _variant_line_item(self, legacy_id: int, variant: ProductVariant, quantity: int) -> LineItem:
        product = self.products[variant.product_id]
        return LineItem(
            legacy_id,
            product.title,
            quantity,
            variant.price,
            variant_title=None if variant.is_default else variant.title,
            sku=variant.sku,
            vendor=product.vendor,
            product_tags=list(product.tags),
            variant_id=variant.legacy_id,
            product_id=product.legacy_id,
        )

    @staticmethod
    def _check_stock(wanted: Iterable[tuple[ProductVariant, int]]) -> None:
        needed: dict[int, int] = {}
        for variant, quantity in wanted:
            if quantity < 1:
                raise ValueError(f"Quantity of variant {variant.legacy_id} must be at least 1")
            needed[variant.legacy_id] = needed.get(variant.legacy_id, 0) + quantity
        for variant, _ in wanted:
            if needed[variant.legacy_id] > variant.inventory_quantity:
                raise ValueError(
                    f"Variant {variant.legacy_id} ({variant.title}) has {variant.inventory_quantity} in stock, "
                    f"not {needed[variant.legacy_id]}"
                )

    def _payments(self, financial_status: str, total: str, at: float) -> list[Transaction]:
        """The transactions behind an order's financial status when it is placed."""
        kinds = {
            "PAID": ["SALE"],
            "PARTIALLY_REFUNDED": ["SALE"],
            "REFUNDED": ["SALE", "REFUND"],
            "AUTHORIZED": ["AUTHORIZATION"],
            "VOIDED": ["AUTHORIZATION", "VOID"],
            "EXPIRED": ["AUTHORIZATION"],
        }.get(financial_status, [])
        transactions: list[Transaction] = []
        for kind in kinds:
            parent = transactions[0].legacy_id if transactions else None
            transactions.append(self._transaction(kind, PAYMENT_GATEWAY, total, at, parent))
        return transactions

    def _transaction(self, kind: str, gateway: str, amount: str, at: float, parent_id: int | None) -> Transaction:
        transaction = Transaction(self._next_transaction_id, kind, "SUCCESS", gateway, amount, at, parent_id)
        self._next_transaction_id += 1
        return transaction

    # -- products and variants --------------------------------------------------------------------------------------

    def add_product(
        self,
        title: str,
        variants: Iterable[tuple[str, str, int]] = ((DEFAULT_VARIANT_TITLE, "25.00", 10),),
        tags: Iterable[str] = (),
        *,
        options: Iterable[str] | None = None,
        vendor: str | None = "Devshop Supply Co.",
    ) -> Product:
        """Add a catalogue product with its variants, each (title, price, inventory quantity), in position order.

        ``options`` names what the variants' titles are made of (["Size"]; ["Colour", "Size"] for "Blue / L");
        Shopify's "Title" for a product whose only variant is "Default Title".
        """
        with self.lock:
            rows = []
            for v_title, price, stock in variants:
                amount = _decimal(price)
                if amount is None or amount < 0:
                    raise ValueError(f"Price {price!r} of variant {v_title!r} is not an amount of money")
                rows.append((str(v_title), money_amount(amount), int(stock)))
            if not str(title).strip():
                raise ValueError("A product needs a title")
            if not rows:
                raise ValueError("A product needs at least one variant")
            if len({row[0] for row in rows}) != len(rows):
                raise ValueError("Variant titles must differ")
            if any(stock < 0 for _, _, stock in rows):
                raise ValueError("Inventory can't be negative")
            default_options = ["Title"] if rows[0][0] == DEFAULT_VARIANT_TITLE else ["Option"]
            product = Product(
                self._fresh_id("_next_product_id", self.products),
                str(title).strip(),
                [str(tag) for tag in tags],
                options=list(options) if options is not None else default_options,
                vendor=vendor,
            )
            for v_title, price, stock in rows:
                variant = ProductVariant(
                    self._fresh_id("_next_variant_id", self.variants), product.legacy_id, v_title, price, stock
                )
                product.variants.append(variant)
                self.variants[variant.legacy_id] = variant
            self.products[product.legacy_id] = product
            log.info("Added product %s (%s) with %d variants", product.title, product.legacy_id, len(rows))
            return product

    def _fresh_id(self, counter: str, taken: dict[int, Any]) -> int:
        """The next number of a catalogue counter that no product (or variant) has yet."""
        value: int = getattr(self, counter)
        while value in taken:
            value += 1
        setattr(self, counter, value + 1)
        return value

    def get_product(self, legacy_id: int) -> Product | None:
        with self.lock:
            return self.products.get(legacy_id)

    def list_products(self) -> list[Product]:
        """Every product, catalogue and line items' own, by id."""
        with self.lock:
            return [self.products[key] for key in sorted(self.products)]

    def get_variant(self, legacy_id: int) -> ProductVariant | None:
        with self.lock:
            return self.variants.get(legacy_id)

    def _require_variant(self, legacy_id: int) -> ProductVariant:
        variant = self.variants.get(legacy_id)
        if variant is None:
            raise UnknownVariantError(f"Variant {legacy_id} does not exist")
        return variant

    def set_inventory(self, variant_id: int, quantity: int) -> ProductVariant:
        """Set a variant's stock, as a stock count in the admin would (0 makes it sold out)."""
        with self.lock:
            variant = self._require_variant(variant_id)
            if quantity < 0:
                raise ValueError("Inventory can't be negative")
            variant.inventory_quantity = int(quantity)
            return variant

    def get_order(self, legacy_id: int) -> Order | None:
        """The order with that numeric id (after settling due jobs), or None."""
        with self.lock:
            self.settle_jobs()
            return self.orders.get(legacy_id)

    def list_orders(self) -> list[Order]:
        """All orders, oldest first."""
        with self.lock:
            self.settle_jobs()
            return sorted(self.orders.values(), key=lambda o: (o.created_at, o.legacy_id))

    def _require_order(self, legacy_id: int) -> Order:
        order = self.orders.get(legacy_id)
        if order is None:
            raise UnknownOrderError(f"Order {legacy_id} does not exist")
        return order

    def fulfill(self, legacy_id: int, quantities: dict[int, int] | None = None) -> Order:
        """Ship line items in one successful fulfillment: ``quantities`` (line item id -> quantity), or all left.

        Everything shipped makes the order FULFILLED (orders/fulfilled); less makes it PARTIALLY_FULFILLED
        (orders/partially_fulfilled) with its fulfillment order IN_PROGRESS, as Shopify reports it. Refused while a
        hold is on the order (FulfillmentOnHoldError), and for a cancelled order or more than is left
        (NotFulfillableError).
        """
        with self.lock:
            self.settle_jobs()
            order = self._require_order(legacy_id)
            held = [hold for fo in order.fulfillment_orders for hold in fo.holds]
            if held:
                by = ", ".join(sorted({hold.held_by for hold in held}))
                raise FulfillmentOnHoldError(f"Order {order.name} is on hold ({by}) and can't be fulfilled")
            if order.cancelled_at is not None:
                raise NotFulfillableError("cancelled", f"Order {order.name} is cancelled and can't be fulfilled")
            shipped = self._quantities_to_ship(order, quantities)
            for item in order.line_items:
                item.fulfilled_quantity += shipped.get(item.legacy_id, 0)
            order.fulfillments.append(Fulfillment(self._next_fulfillment_id, self.clock(), line_items=shipped))
            self._next_fulfillment_id += 1
            complete = self._settle_fulfillment_status(order)
            self._announce("orders/fulfilled" if complete else "orders/partially_fulfilled", order)
            self._announce("orders/updated", order)
            return order

    @staticmethod
    def _settle_fulfillment_status(order: Order) -> bool:
        """After a shipment or an edit: FULFILLED once every current unit has shipped, else PARTIALLY_FULFILLED if
        some has; the fulfillment order follows (CLOSED, IN_PROGRESS). Returns whether everything has shipped."""
        if not any(item.fulfilled_quantity for item in order.line_items):
            return False
        complete = all(item.unfulfilled_quantity == 0 for item in order.line_items)
        order.display_fulfillment_status = "FULFILLED" if complete else "PARTIALLY_FULFILLED"
        for fulfillment_order in order.fulfillment_orders:
            if fulfillment_order.status in ("OPEN", "IN_PROGRESS"):
                fulfillment_order.status = "CLOSED" if complete else "IN_PROGRESS"
        return complete

    @staticmethod
    def _quantities_to_ship(order: Order, quantities: dict[int, int] | None) -> dict[int, int]:
        left = {item.legacy_id: item.unfulfilled_quantity for item in order.line_items}
        if quantities is None:
            wanted = {item_id: quantity for item_id, quantity in left.items() if quantity > 0}
        else:
            wanted = {int(item_id): int(quantity) for item_id, quantity in quantities.items()}
        for item_id, quantity in wanted.items():
            if item_id not in left:
                raise NotFulfillableError("quantity", f"Line item {item_id} is not on order {order.name}")
            if not 0 < quantity <= left[item_id]:
                raise NotFulfillableError(
                    "quantity", f"Line item {item_id} has {left[item_id]} left to fulfil, not {quantity}"
                )
        if not wanted:
            raise NotFulfillableError("quantity", f"Order {order.name} has nothing left to fulfil")
        return wanted

    def update_order(self, legacy_id: int, changes: dict[str, Any]) -> Order:
        """Change the order's ``email`` (None removes it), ``name`` or ``shipping_address`` (snake_case fields, or
        None) as staff would in the admin (orders/updated)."""
        with self.lock:
            self.settle_jobs()
            order = self._require_order(legacy_id)
            unknown = set(changes) - {"email", "name", "shipping_address"}
            if unknown:
                message = (
                    f"The devshop can change only email, name and shipping_address, not {', '.join(sorted(unknown))}"
                )
                raise ValueError(message)
            if "shipping_address" in changes:
                address = changes["shipping_address"]
                if address is not None and not isinstance(address, dict):
                    raise ValueError("shipping_address must be an object or null")
                order.shipping_address = MailingAddress.from_json(address) if address is not None else None
            if "email" in changes:
                email = changes["email"]
                if email is not None and (not isinstance(email, str) or "@" not in email):
                    raise ValueError("email must be an e-mail address or null")
                order.email = email
            if "name" in changes:
                if not isinstance(changes["name"], str) or not changes["name"].strip():
                    raise ValueError("name must be a non-empty string")
                order.name = changes["name"].strip()
            self._announce("orders/updated", order)
            return order

    def staff_cancel(self, legacy_id: int) -> Order:
        """Cancel the order as a merchant would in the admin (now, reason STAFF)."""
        with self.lock:
            self.settle_jobs()
            order = self._require_order(legacy_id)
            order.cancelled_at = self.clock()
            order.cancel_reason = "STAFF"
            order.cancel = CancelRecord(source="staff", reason="STAFF")
            self._close_fulfillment_orders(order)
            self._announce("orders/cancelled", order)
            self._announce("orders/updated", order)
            return order

    def _close_fulfillment_orders(self, order: Order) -> None:
        # Cancelling an order cancels its open fulfillment orders and with them every hold on them.
        for fulfillment_order in order.fulfillment_orders:
            if fulfillment_order.status in ("OPEN", "ON_HOLD"):
                fulfillment_order.status = "CANCELLED"
                fulfillment_order.holds.clear()
        if order.display_fulfillment_status == "ON_HOLD":
            order.display_fulfillment_status = "UNFULFILLED"

    def add_tags(self, gid: str, tags: Iterable[str]) -> Order:
        """tagsAdd on an order: each tag (a string may hold several, comma-separated) is added once.

        Raises UnknownOrderError for anything but an existing order (the devshop tags only orders).
        """
        with self.lock:
            self.settle_jobs()
            order = self._require_order(legacy_id_from_gid(gid, "Order"))
            for value in tags:
                for tag in (part.strip() for part in str(value).split(",")):
                    if tag and tag.casefold() not in {existing.casefold() for existing in order.tags}:
                        order.tags.append(tag)
            self._announce("orders/updated", order)
            return order

    # -- order editing ---------------------------------------------------------------------------------------------
    # A session begins on the order as it is; changes are staged on it and reach the order only on commit, as
    # Shopify's order editing does (https://shopify.dev/docs/apps/build/orders-fulfillment/order-management-apps/
    # edit-orders). Its calculated line items are numbered like the order's line items; a variant staged onto it
    # takes a fresh line item number, which its LineItem keeps on commit. The userErrors' messages are UNCONFIRMED
    # (Shopify's schema names the rules, not the wording).

    def begin_order_edit(self, order_gid: str) -> EditOutcome:
        """orderEditBegin: a new session on the order; refused for one that is cancelled, archived or all shipped."""
        with self.lock:
            self.settle_jobs()
            order = self.orders.get(legacy_id_from_gid(order_gid, "Order"))
            if order is None:
                return EditOutcome(None, None, [_user_error(None, ["id"], "Order does not exist")])
            problem = self._not_editable(order)
            if problem is not None:
                return EditOutcome(None, None, [_user_error(None, ["id"], problem)])
            session = OrderEditSession(self._next_order_edit_id, order.legacy_id, self.clock(), len(order.edits))
            self._next_order_edit_id += 1
            self.edit_sessions[session.legacy_id] = session
            log.info("Began order edit %s of order %s", session.gid, order.name)
            return EditOutcome(session, None, [])

    @staticmethod
    def _not_editable(order: Order, *, at_commit: bool = False) -> str | None:
        """Why the order can't be edited (only an open order's unfulfilled line items can be), or None."""
        if order.cancelled_at is not None:
            return "The order has been cancelled and can't be edited."
        if order.closed:
            return "The order is archived and can't be edited."
        if not at_commit and not any(item.unfulfilled_quantity for item in order.line_items):
            return "The order has no unfulfilled line items to edit."
        return None

    def find_edit_session(self, gid: str) -> OrderEditSession | None:
        """The session with that CalculatedOrder GID (or its OrderEditSession's: Shopify's mutations take either)."""
        with self.lock:
            for resource in ("CalculatedOrder", "OrderEditSession"):
                session = self.edit_sessions.get(legacy_id_from_gid(gid, resource))
                if session is not None:
                    return session
            return None

    def list_edit_sessions(self) -> list[OrderEditSession]:
        """Every edit session, committed or not, oldest first."""
        with self.lock:
            return [self.edit_sessions[key] for key in sorted(self.edit_sessions)]

    def _open_session(self, gid: str) -> tuple[OrderEditSession, Order] | list[dict[str, Any]]:
        """The uncommitted session and its order, or the userErrors saying why not."""
        session = self.find_edit_session(gid)
        if session is None:
            return [_user_error(None, ["id"], "The order edit does not exist.")]
        if session.committed:
            return [_user_error(None, ["id"], "The order edit has already been committed.")]
        return session, self.orders[session.order_id]

    def calculated_lines(self, session: OrderEditSession) -> list[CalculatedLine]:
        """The session's order with its staged changes: the order's line items, then the added variants."""
        with self.lock:
            order = self.orders[session.order_id]
            lines = []
            for item in order.line_items:
                staged = session.staged.get(item.legacy_id)
                quantity = staged.quantity if staged else item.current_quantity
                lines.append(
                    CalculatedLine(
                        legacy_id=item.legacy_id,
                        title=item.title,
                        variant_title=item.variant_title,
                        variant_id=item.variant_id,
                        sku=item.sku,
                        unit_price=item.unit_price,
                        quantity=quantity,
                        editable_quantity=max(0, quantity - item.fulfilled_quantity),
                        editable_quantity_before_changes=item.unfulfilled_quantity,
                        restocking=bool(staged and staged.restock and quantity < item.current_quantity),
                        added=False,
                    )
                )
            for added in session.added:
                variant = self.variants[added.variant_id]
                lines.append(
                    CalculatedLine(
                        legacy_id=added.legacy_id,
                        title=self.products[variant.product_id].title,
                        variant_title=None if variant.is_default else variant.title,
                        variant_id=variant.legacy_id,
                        sku=variant.sku,
                        unit_price=added.unit_price,
                        quantity=added.quantity,
                        editable_quantity=added.quantity,
                        editable_quantity_before_changes=0,
                        restocking=False,
                        added=True,
                    )
                )
            return lines

    def calculated_total(self, session: OrderEditSession) -> str:
        """The session's totalPriceSet: every staged quantity at its unit price."""
        lines = self.calculated_lines(session)
        return money_amount(sum((Decimal(line.total) for line in lines), Decimal("0")))

    def _calculated_line(self, session: OrderEditSession, legacy_id: int) -> CalculatedLine | None:
        return next((line for line in self.calculated_lines(session) if line.legacy_id == legacy_id), None)

    def set_edit_quantity(
        self, session_gid: str, line_item_gid: str, quantity: int, *, restock: bool = False
    ) -> EditOutcome:
        """orderEditSetQuantity: stage a line's quantity (0 takes it off; an added variant at 0 leaves the edit).

        Not below what has shipped, not negative; more than the order has needs the variant's stock. ``restock``
        puts the units taken off back in stock on commit.
        """
        with self.lock:
            self.settle_jobs()
            opened = self._open_session(session_gid)
            if isinstance(opened, list):
                return EditOutcome(None, None, opened)
            session, order = opened
            line_id = legacy_id_from_gid(line_item_gid, "CalculatedLineItem")
            item = order.line_item(line_id)
            added = next((a for a in session.added if a.legacy_id == line_id), None)
            if item is None and added is None:
                return EditOutcome(None, None, [_user_error(None, ["lineItemId"], "The line item does not exist.")])
            if quantity < 0:
                message = "Quantity must be greater than or equal to 0."
                return EditOutcome(None, None, [_user_error(None, ["quantity"], message)])
            if added is not None:
                variant = self.variants[added.variant_id]
                others = sum(a.quantity for a in session.added if a.variant_id == variant.legacy_id and a is not added)
                if quantity > 0 and others + quantity > variant.inventory_quantity:
                    return EditOutcome(None, None, [self._stock_error(variant, ["quantity"])])
                if quantity == 0:
                    session.added.remove(added)
                else:
                    added.quantity = quantity
                return EditOutcome(session, self._calculated_line(session, line_id), [])
            assert item is not None
            if quantity < item.fulfilled_quantity:
                message = f"Quantity can't be less than the {item.fulfilled_quantity} already fulfilled."
                return EditOutcome(None, None, [_user_error(None, ["quantity"], message)])
            stocked = self.variants.get(item.variant_id)
            more = quantity - item.current_quantity
            if more > 0 and stocked is not None and more > stocked.inventory_quantity:
                return EditOutcome(None, None, [self._stock_error(stocked, ["quantity"])])
            if quantity == item.current_quantity:
                session.staged.pop(item.legacy_id, None)
            else:
                session.staged[item.legacy_id] = StagedQuantity(quantity, bool(restock))
            return EditOutcome(session, self._calculated_line(session, line_id), [])

    def add_edit_variant(
        self, session_gid: str, variant_gid: str, quantity: int, *, allow_duplicates: bool = False
    ) -> EditOutcome:
        """orderEditAddVariant: stage a new line of a variant at its current price (quantity > 0, in stock)."""
        with self.lock:
            self.settle_jobs()
            opened = self._open_session(session_gid)
            if isinstance(opened, list):
                return EditOutcome(None, None, opened)
            session, order = opened
            variant = self.variants.get(legacy_id_from_gid(variant_gid, "ProductVariant"))
            if variant is None:
                return EditOutcome(None, None, [_user_error(None, ["variantId"], "The variant does not exist.")])
            if quantity < 1:
                # The schema: "The quantity of the item to add to the order. Must be a positive value."
                return EditOutcome(None, None, [_user_error(None, ["quantity"], "Quantity must be greater than 0.")])
            on_order = any(
                item.variant_id == variant.legacy_id and item.current_quantity > 0 for item in order.line_items
            ) or any(a.variant_id == variant.legacy_id for a in session.added)
            if on_order and not allow_duplicates:
                message = "The variant is already on the order; allowDuplicates adds another line of it."
                return EditOutcome(None, None, [_user_error(None, ["variantId"], message)])
            staged = sum(a.quantity for a in session.added if a.variant_id == variant.legacy_id)
            if staged + quantity > variant.inventory_quantity:
                return EditOutcome(None, None, [self._stock_error(variant, ["variantId"])])
            added = AddedLineItem(self._next_line_item_id, variant.legacy_id, int(quantity), variant.price)
            self._next_line_item_id += 1
            session.added.append(added)
            return EditOutcome(session, self._calculated_line(session, added.legacy_id), [])

    def _stock_error(self, variant: ProductVariant, field_path: list[str]) -> dict[str, Any]:
        name = self.products[variant.product_id].title
        if not variant.is_default:
            name = f"{name} - {variant.title}"
        if variant.inventory_quantity <= 0:
            return _user_error(None, field_path, f"{name} is out of stock.")
        return _user_error(None, field_path, f"Only {variant.inventory_quantity} of {name} are available.")

    def commit_order_edit(
        self, session_gid: str, *, notify_customer: bool | None = None, staff_note: str | None = None
    ) -> tuple[Order | None, list[dict[str, Any]]]:
        """orderEditCommit: apply the staged changes to the order, all or none, and announce orders/updated.

        Lowered lines keep their LineItem with a lower current quantity (restocked units go back in stock); added
        variants become line items of their own and take stock. Refused for a committed session, an order
        cancelled or archived since, or edited by another session since this one began.
        """
        with self.lock:
            self.settle_jobs()
            opened = self._open_session(session_gid)
            if isinstance(opened, list):
                return None, opened
            session, order = opened
            if staff_note is not None and len(staff_note) > MAX_STAFF_NOTE_LENGTH:
                message = f"Staff note is too long (maximum is {MAX_STAFF_NOTE_LENGTH} characters)"
                return None, [_user_error(None, ["staffNote"], message)]
            problem = self._not_editable(order, at_commit=True)
            if problem is None and len(order.edits) != session.base_edit_count:
                problem = "The order has been edited since this edit began."
            if problem is None:
                problem = self._commit_problem(session, order)
            if problem is not None:
                return None, [_user_error(None, ["id"], problem)]
            now = self.clock()
            total_before = order.total_price
            changes: list[dict[str, Any]] = []
            for item in order.line_items:
                staged = session.staged.get(item.legacy_id)
                if staged is None or staged.quantity == item.current_quantity:
                    continue
                fewer = item.current_quantity - staged.quantity
                variant = self.variants.get(item.variant_id)
                if variant is not None and (fewer < 0 or staged.restock):
                    variant.inventory_quantity += fewer
                changes.append(
                    {
                        "line_item_id": item.legacy_id,
                        "name": item.name,
                        "from": item.current_quantity,
                        "to": staged.quantity,
                        "restock": bool(staged.restock and fewer > 0),
                    }
                )
                item.current_quantity = staged.quantity
            for added in session.added:
                variant = self.variants[added.variant_id]
                item = self._variant_line_item(added.legacy_id, variant, added.quantity)
                item.unit_price = added.unit_price
                item.added_by_edit = True
                order.line_items.append(item)
                variant.inventory_quantity -= added.quantity
                changes.append(
                    {
                        "line_item_id": item.legacy_id,
                        "name": item.name,
                        "variant_id": variant.legacy_id,
                        "added": added.quantity,
                    }
                )
            session.committed_at = now
            order.edits.append(
                OrderEditCommit(session.gid, now, notify_customer, staff_note, changes, total_before, order.total_price)
            )
            self._settle_fulfillment_status(order)
            self._settle_payment_status(order)
            # Shopify also sends orders/edited (with the edit, not the order); the app subscribes to orders/updated.
            self._announce("orders/updated", order)
            log.info("Committed order edit %s of order %s: %s", session.gid, order.name, changes)
            return order, []

    def _commit_problem(self, session: OrderEditSession, order: Order) -> str | None:
        """Why the staged changes no longer fit the order (shipped or sold since they were staged), or None."""
        taking: dict[int, int] = {}
        for item in order.line_items:
            staged = session.staged.get(item.legacy_id)
            if staged is None:
                continue
            if staged.quantity < item.fulfilled_quantity:
                return f"{item.name} has {item.fulfilled_quantity} fulfilled since this edit began."
            if staged.quantity > item.current_quantity:
                taking[item.variant_id] = taking.get(item.variant_id, 0) + staged.quantity - item.current_quantity
        for added in session.added:
            taking[added.variant_id] = taking.get(added.variant_id, 0) + added.quantity
        for variant_id, quantity in taking.items():
            variant = self.variants.get(variant_id)
            if variant is not None and quantity > variant.inventory_quantity:
                return self._stock_error(variant, ["id"])["message"]
        remaining = sum(line.quantity for line in self.calculated_lines(session))
        if remaining <= 0:
            return "An order must keep at least one item; cancel it instead."
        return None

    @staticmethod
    def _settle_payment_status(order: Order) -> None:
        """An edit raising the total above what was paid leaves a balance (PARTIALLY_PAID, as Shopify shows an
        order with an amount outstanding) until paid or edited back; lowering it leaves a refund owed, still PAID."""
        owed = Decimal(order.total_price) > order.net_payment
        if order.display_financial_status == "PAID" and owed:
            order.display_financial_status = "PARTIALLY_PAID"
        elif order.display_financial_status == "PARTIALLY_PAID" and not owed and order.total_received > 0:
            order.display_financial_status = "PAID"

    # -- refunds (refundCreate) ---------------------------------------------------------------------------------

    def create_refund(self, data: dict[str, Any], *, idempotency_key: str) -> RefundOutcome:
        """refundCreate of a RefundInput: money back to the order's payments (``transactions``, each a REFUND naming
        a successful SALE or CAPTURE of the order as its parent, on its gateway) and/or to store credit
        (``refundMethods``' storeCreditRefund, for an order with a customer), at most the net payment received.

        The @idempotent key makes it safe to send again: a repeated key with the same input answers the first
        refund without refunding again; with another input it is refused (Shopify's
        IDEMPOTENCY_KEY_PARAMETER_MISMATCH). A refused refund keeps no key, so it may be retried with the same one.
        Refunding line items (refundLineItems, shipping, duties) is not modelled.
        """
        with self.lock:
            self.settle_jobs()
            fingerprint = json.dumps(data, sort_keys=True, default=str)
            seen = self.refund_keys.get(idempotency_key)
            if seen is not None:
                if seen[0] != fingerprint:
                    message = "The same idempotency key cannot be used with different operation parameters."
                    return RefundOutcome(None, None, [_user_error("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", None, message)])
                refunded, first = self._find_refund(seen[1])
                log.info("Refund %s answered again for idempotency key %r", first.gid, idempotency_key)
                return RefundOutcome(first, refunded, [])
            order = self.orders.get(legacy_id_from_gid(data.get("orderId") or "", "Order"))
            if order is None:
                return RefundOutcome(None, None, [_user_error(None, ["orderId"], "Order does not exist")])
            planned, errors = self._planned_refund(order, data)
            if errors:
                return RefundOutcome(None, order, errors)
            now = self.clock()
            created = [
                self._transaction("REFUND", gateway, money_amount(amount), now, parent)
                for gateway, amount, parent in planned
            ]
            order.transactions.extend(created)
            original = any(parent is not None for _, _, parent in planned)
            credit = any(parent is None for _, _, parent in planned)
            method = "+".join(name for name, used in (("original_payment", original), ("store_credit", credit)) if used)
            total = sum((amount for _, amount, _ in planned), Decimal("0"))
            refund = Refund(
                self._next_refund_id,
                now,
                money_amount(total),
                method,
                note=data.get("note"),
                notify=data.get("notify"),
                idempotency_key=idempotency_key,
                transaction_ids=[t.legacy_id for t in created],
            )
            self._next_refund_id += 1
            order.refunds.append(refund)
            self.refund_keys[idempotency_key] = (fingerprint, refund.legacy_id)
            order.display_financial_status = "REFUNDED" if order.net_payment <= 0 else "PARTIALLY_REFUNDED"
            # Shopify also sends refunds/create; the app subscribes to orders/updated.
            self._announce("orders/updated", order)
            log.info("Refunded %s of order %s (%s) as %s", refund.amount, order.name, method, refund.gid)
            return RefundOutcome(refund, order, [])

    def _planned_refund(
        self, order: Order, data: dict[str, Any]
    ) -> tuple[list[tuple[str, Decimal, int | None]], list[dict[str, Any]]]:
        """The refund's (gateway, amount, parent transaction id or None for store credit), or its userErrors."""
        for name in ("refundLineItems", "shipping", "refundDuties"):
            if data.get(name):
                return [], [_user_error(None, [name], f"The devshop does not model {name} of refundCreate.")]
        if data.get("currency") not in (None, order.currency):
            return [], [_user_error(None, ["currency"], f"Currency must be the order's ({order.currency}).")]
        planned: list[tuple[str, Decimal, int | None]] = []
        left: dict[int, Decimal] = {}
        for index, transaction in enumerate(data.get("transactions") or []):
            path = ["transactions", str(index)]
            amount = _decimal(transaction.get("amount"))
            if amount is None or amount <= 0:
                return [], [_user_error(None, [*path, "amount"], "Amount must be greater than 0.")]
            if transaction.get("kind") != "REFUND":
                return [], [_user_error(None, [*path, "kind"], "A refund's transactions must be of kind REFUND.")]
            if transaction.get("orderId") != order.gid:
                return [], [_user_error(None, [*path, "orderId"], "The transaction must be on the refunded order.")]
            parent = order.transaction(legacy_id_from_gid(transaction.get("parentId") or "", "OrderTransaction"))
            if parent is None or not parent.is_payment:
                message = "The parent transaction must be a successful sale or capture of the order."
                return [], [_user_error(None, [*path, "parentId"], message)]
            if transaction.get("gateway") != parent.gateway:
                message = f"The gateway must be the parent transaction's ({parent.gateway})."
                return [], [_user_error(None, [*path, "gateway"], message)]
            available = left.setdefault(parent.legacy_id, self._refundable_from(order, parent))
            if amount > available:
                rest = f"{money_amount(available)} {order.currency}"
                message = f"Amount can't be more than the {rest} left to refund of {parent.gid}."
                return [], [_user_error(None, [*path, "amount"], message)]
            left[parent.legacy_id] = available - amount
            planned.append((parent.gateway, amount, parent.legacy_id))
        for index, refund_method in enumerate(data.get("refundMethods") or []):
            credit = (refund_method or {}).get("storeCreditRefund")
            if credit is None:
                continue
            path = ["refundMethods", str(index), "storeCreditRefund"]
            money = credit.get("amount") or {}
            amount = _decimal(money.get("amount"))
            if amount is None or amount <= 0:
                return [], [_user_error(None, [*path, "amount", "amount"], "Amount must be greater than 0.")]
            if money.get("currencyCode") != order.currency:
                message = f"Store credit must be in the order's currency ({order.currency})."
                return [], [_user_error(None, [*path, "amount", "currencyCode"], message)]
            if order.customer_id is None:
                message = "Store credit can only be issued to an order with a customer."
                return [], [_user_error(None, path, message)]
            planned.append((STORE_CREDIT_GATEWAY, amount, None))
        total = sum((amount for _, amount, _ in planned), Decimal("0"))
        if total <= 0:
            return [], [_user_error(None, ["transactions"], "The refund must name transactions or refundMethods.")]
        if total > order.net_payment and not data.get("allowOverRefunding"):
            message = (
                f"The refund of {money_amount(total)} {order.currency} is more than the "
                f"{money_amount(order.net_payment)} {order.currency} received."
            )
            return [], [_user_error(None, ["transactions"], message)]
        return planned, []

    @staticmethod
    def _refundable_from(order: Order, parent: Transaction) -> Decimal:
        refunded = sum(
            (Decimal(t.amount) for t in order.transactions if t.kind == "REFUND" and t.parent_id == parent.legacy_id),
            Decimal("0"),
        )
        return Decimal(parent.amount) - refunded

    def _find_refund(self, legacy_id: int) -> tuple[Order, Refund]:
        for order in self.orders.values():
            for refund in order.refunds:
                if refund.legacy_id == legacy_id:
                    return order, refund
        raise KeyError(f"Refund {legacy_id} does not exist")

    def find_refund(self, gid: str) -> tuple[Order, Refund] | None:
        """The order and refund with that GID, or None."""
        with self.lock:
            try:
                return self._find_refund(legacy_id_from_gid(gid, "Refund"))
            except KeyError:
                return None

    def _refund_everything(self, order: Order, *, store_credit: bool) -> None:
        """The refund of a cancellation: the whole net payment, to store credit or back to the payments."""
        if order.net_payment <= 0:
            return
        now = self.clock()
        if store_credit and order.customer_id is not None:
            created = [self._transaction("REFUND", STORE_CREDIT_GATEWAY, money_amount(order.net_payment), now, None)]
            method = "store_credit"
        else:
            created = []
            for payment in [t for t in order.transactions if t.is_payment]:
                available = self._refundable_from(order, payment)
                if available > 0:
                    created.append(
                        self._transaction("REFUND", payment.gateway, money_amount(available), now, payment.legacy_id)
                    )
            method = "original_payment"
        total = sum((Decimal(t.amount) for t in created), Decimal("0"))
        order.transactions.extend(created)
        refund = Refund(
            self._next_refund_id, now, money_amount(total), method, transaction_ids=[t.legacy_id for t in created]
        )
        self._next_refund_id += 1
        order.refunds.append(refund)

    def _void_authorizations(self, order: Order) -> None:
        """Void what is authorized and not yet voided (a cancelled order's uncaptured payment)."""
        voided = {t.parent_id for t in order.transactions if t.kind == "VOID"}
        for authorization in [t for t in order.transactions if t.kind == "AUTHORIZATION" and t.status == "SUCCESS"]:
            if authorization.legacy_id not in voided:
                void = self._transaction(
                    "VOID", authorization.gateway, authorization.amount, self.clock(), authorization.legacy_id
                )
                order.transactions.append(void)

    # -- orderUpdate ------------------------------------------------------------------------------------------------

    def update_order_input(self, data: dict[str, Any]) -> tuple[Order | None, list[dict[str, Any]]]:
        """orderUpdate of an OrderInput: its ``shippingAddress`` (replaced whole) and ``email`` (orders/updated).

        The rest of OrderInput is not modelled: naming it answers a userError rather than being ignored.
        """
        with self.lock:
            self.settle_jobs()
            order = self.orders.get(legacy_id_from_gid(data.get("id") or "", "Order"))
            if order is None:
                return None, [_user_error(None, ["id"], "Order does not exist")]
            unmodelled = sorted(
                k for k, v in data.items() if k not in ("id", "shippingAddress", "email") and v is not None
            )
            if unmodelled:
                message = f"The devshop does not model {unmodelled[0]} of orderUpdate."
                return None, [_user_error(None, [unmodelled[0]], message)]
            email = data.get("email")
            if email is not None and "@" not in email:
                return None, [_user_error(None, ["email"], "Email is invalid")]
            if email is not None:
                order.email = email
            if data.get("shippingAddress") is not None:
                order.shipping_address = MailingAddress.from_input(data["shippingAddress"])
            self._announce("orders/updated", order)
            return order, []

    # -- fulfillment orders and holds ---------------------------------------------------------------------------

    def find_fulfillment_order(self, gid: str) -> tuple[Order, FulfillmentOrder] | None:
        with self.lock:
            for order in self.orders.values():
                for fulfillment_order in order.fulfillment_orders:
                    if fulfillment_order.gid == gid:
                        return order, fulfillment_order
            return None

    def hold_fulfillment_order(
        self,
        gid: str,
        *,
        reason: str,
        held_by: str = REQUESTING_APP,
        handle: str = "",
        reason_notes: str | None = None,
    ) -> tuple[FulfillmentHold | None, list[dict[str, Any]]]:
        """fulfillmentOrderHold: hold the whole fulfillment order; (the hold, []) or (None, userErrors)."""
        with self.lock:
            self.settle_jobs()
            found = self.find_fulfillment_order(gid)
            if found is None:
                return None, [_user_error("FULFILLMENT_ORDER_NOT_FOUND", ["id"], "Fulfillment order not found.")]
            order, fulfillment_order = found
            if reason not in HOLD_REASONS:
                return None, [_user_error(None, ["fulfillmentHold", "reason"], "Reason is not valid.")]
            if len(handle) > 64:
                message = "Handle is too long (maximum is 64 characters)"
                return None, [_user_error(None, ["fulfillmentHold", "handle"], message)]
            if fulfillment_order.status not in ("OPEN", "ON_HOLD"):
                message = f"The fulfillment order's status is {fulfillment_order.status.lower()}; it can't be held."
                return None, [_user_error(None, ["id"], message)]
            if any(h.held_by == held_by and h.handle == handle for h in fulfillment_order.holds):
                message = "The handle is already in use by this app for another hold on this fulfillment order."
                path = ["fulfillmentHold", "handle"]
                return None, [_user_error("DUPLICATE_FULFILLMENT_HOLD_HANDLE", path, message)]
            if len(fulfillment_order.holds) >= MAX_HOLDS_PER_FULFILLMENT_ORDER:
                message = "The maximum number of fulfillment holds for this fulfillment order has been reached."
                return None, [_user_error("FULFILLMENT_ORDER_HOLD_LIMIT_REACHED", ["id"], message)]
            hold = FulfillmentHold(self._next_hold_id, reason, held_by, handle, reason_notes)
            self._next_hold_id += 1
            fulfillment_order.holds.append(hold)
            fulfillment_order.status = "ON_HOLD"
            if order.display_fulfillment_status == "UNFULFILLED":
                order.display_fulfillment_status = "ON_HOLD"
            self._touch(order)
            log.info("Hold %s (%s, %r) on %s of order %s", hold.gid, held_by, handle, gid, order.name)
            return hold, []

    def release_fulfillment_holds(
        self, gid: str, hold_ids: list[str] | None, *, released_by: str = REQUESTING_APP
    ) -> tuple[FulfillmentOrder | None, list[dict[str, Any]]]:
        """fulfillmentOrderReleaseHold: release the named holds, or every hold when ``hold_ids`` is None.

        An app may release only its own holds (INVALID_ACCESS otherwise, as Shopify answers); ids that are not
        on this fulfillment order are ignored, as Shopify releases only holds that belong to it.
        """
        with self.lock:
            self.settle_jobs()
            found = self.find_fulfillment_order(gid)
            if found is None:
                return None, [_user_error("FULFILLMENT_ORDER_NOT_FOUND", ["id"], "Fulfillment order not found.")]
            order, fulfillment_order = found
            doomed = [h for h in fulfillment_order.holds if hold_ids is None or h.gid in hold_ids]
            # Named holds of someone else: refused (UNCONFIRMED which code Shopify uses). No ids at all releases
            # every hold, whoever placed it, which is why the app always names its own.
            if hold_ids is not None and released_by != "merchant" and any(h.held_by != released_by for h in doomed):
                message = "The app doesn't have access to release the fulfillment hold."
                return None, [_user_error("INVALID_ACCESS", ["holdIds"], message)]
            for hold in doomed:
                fulfillment_order.holds.remove(hold)
                log.info("Released hold %s on %s of order %s", hold.gid, gid, order.name)
            if not fulfillment_order.holds and fulfillment_order.status == "ON_HOLD":
                fulfillment_order.status = "OPEN"
                if order.display_fulfillment_status == "ON_HOLD":
                    order.display_fulfillment_status = "UNFULFILLED"
            self._touch(order)
            return fulfillment_order, []

    # -- orderCancel and jobs -------------------------------------------------------------------------------------

    def request_cancel(
        self,
        order_gid: str,
        *,
        reason: str,
        restock: bool,
        refund_method: dict[str, Any] | None = None,
        refund: bool | None = None,
        notify_customer: bool | None = None,
        staff_note: str | None = None,
        operation_name: str | None = None,
    ) -> CancelOutcome:
        """Apply orderCancel's checks and start an asynchronous cancel job, as Shopify does.

        A pending hang_job fault matching `operation_name` is consumed only when a job actually starts.
        """
        with self.lock:
            self.settle_jobs()
            order = self.orders.get(legacy_id_from_gid(order_gid, "Order"))
            if order is None:
                return CancelOutcome(None, [_user_error("NOT_FOUND", ["orderId"], "Order does not exist")])
            if order.cancelled_at is not None:
                return CancelOutcome(None, [_user_error("INVALID", ["orderId"], "Order has already been cancelled")])
            if order.fulfillments or order.display_fulfillment_status not in CANCELLABLE_FULFILLMENT_STATUSES:
                message = "Cannot cancel an order that has fulfillments"
                return CancelOutcome(None, [_user_error("INVALID", ["orderId"], message)])
            if staff_note is not None and len(staff_note) > MAX_STAFF_NOTE_LENGTH:
                message = f"Staff note is too long (maximum is {MAX_STAFF_NOTE_LENGTH} characters)"
                return CancelOutcome(None, [_user_error("INVALID", ["staffNote"], message)])
            hang = self.take_fault(operation_name, frozenset({"hang_job"})) is not None
            now = self.clock()
            job = Job(
                id=f"gid://shopify/Job/{uuid.uuid4()}",
                result_id=f"gid://shopify/OrderCancelJobResult/{uuid.uuid4()}",
                order_id=order.legacy_id,
                created_at=now,
                completes_at=None if hang else now + self.cancel_job_seconds,
                reason=reason,
                restock=restock,
                refund_method=refund_method,
                refund=refund,
                notify_customer=notify_customer,
                staff_note=staff_note,
            )
            self.jobs[job.id] = job
            log.info("Started cancel job %s for order %s%s", job.id, order.name, " (hung by fault)" if hang else "")
            self.settle_jobs()  # cancel_job_seconds may be 0
            return CancelOutcome(job, [])

    def get_job(self, job_gid: str) -> Job | None:
        """The job with that GID (after settling due jobs), or None."""
        with self.lock:
            self.settle_jobs()
            return self.jobs.get(job_gid)

    def get_job_by_result_id(self, result_gid: str) -> Job | None:
        """The job whose OrderCancelJobResult has that GID, or None."""
        with self.lock:
            self.settle_jobs()
            return next((job for job in self.jobs.values() if job.result_id == result_gid), None)

    def job_done(self, job: Job) -> bool:
        """Whether the job has finished by the clock."""
        with self.lock:
            return job.completes_at is not None and self.clock() >= job.completes_at

    def finish_jobs(self) -> None:
        """Complete every pending job now, including ones held by a hang_job fault."""
        with self.lock:
            now = self.clock()
            for job in self.jobs.values():
                if job.completes_at is None or job.completes_at > now:
                    job.completes_at = now
            self.settle_jobs()

    def settle_jobs(self) -> None:
        """Apply every job that is due by the clock to its order (jobs run lazily; there are no threads)."""
        with self.lock:
            now = self.clock()
            for job in self.jobs.values():
                if job.applied or job.completes_at is None or job.completes_at > now:
                    continue
                job.applied = True
                self._apply_cancel(job)

    def _apply_cancel(self, job: Job) -> None:
        order = self.orders.get(job.order_id)
        if order is None or order.cancelled_at is not None:
            job.failed_message = "Order has already been cancelled" if order else "Order does not exist"
            return
        order.cancelled_at = job.completes_at
        order.cancel_reason = job.reason
        # Authorized (uncaptured) payments are voided whatever refundMethod says
        # (https://shopify.dev/docs/api/admin-graphql/latest/mutations/orderCancel).
        refund_requested = bool(job.refund) or bool(
            job.refund_method
            and (job.refund_method.get("originalPaymentMethodsRefund") or job.refund_method.get("storeCreditRefund"))
        )
        if order.display_financial_status in ("AUTHORIZED", "PENDING"):
            order.display_financial_status = "VOIDED"
            self._void_authorizations(order)
        elif refund_requested:
            order.display_financial_status = "REFUNDED"
            store_credit = bool(job.refund_method and job.refund_method.get("storeCreditRefund") is not None)
            self._refund_everything(order, store_credit=store_credit)
        self._close_fulfillment_orders(order)
        order.cancel = CancelRecord(
            source="api",
            reason=job.reason,
            restock=job.restock,
            notify_customer=job.notify_customer,
            staff_note=job.staff_note,
            refund_method=job.refund_method,
            refund=job.refund,
            job_id=job.id,
        )
        self._announce("orders/cancelled", order)
        self._announce("orders/updated", order)
        log.info("Cancel job %s cancelled order %s", job.id, order.name)

    # -- app-data metafields (metafieldsSet on the app installation) ------------------------------------------------

    def set_app_metafields(self, inputs: list[dict[str, Any]]) -> list[AppMetafield]:
        """metafieldsSet for app-data metafields: validate every input first, then save all or none (as Shopify).

        Raises MetafieldInputError (with the input's index in its field path) for the first invalid input.
        """
        with self.lock:
            if len(inputs) > MAX_METAFIELDS_PER_SET:
                message = f"Exceeded the maximum metafields input limit of {MAX_METAFIELDS_PER_SET}."
                raise MetafieldInputError("LESS_THAN_OR_EQUAL_TO", ["metafields"], message)
            checked = [self._checked_metafield_input(index, data) for index, data in enumerate(inputs)]
            now = self.clock()
            saved = []
            for namespace, key, type_, value in checked:
                existing = self.app_metafields.get((namespace, key))
                if existing is None:
                    existing = AppMetafield(self._next_metafield_id, namespace, key, type_, value, now, now)
                    self._next_metafield_id += 1
                    self.app_metafields[(namespace, key)] = existing
                elif existing.value != value or existing.type != type_:
                    existing.value, existing.type, existing.updated_at = value, type_, now
                saved.append(existing)
            return saved

    def _checked_metafield_input(self, index: int, data: dict[str, Any]) -> tuple[str, str, str, str]:
        def fail(code: str, field_name: str, message: str) -> MetafieldInputError:
            return MetafieldInputError(code, ["metafields", str(index), field_name], message)

        if data.get("ownerId") != self.app_installation_id:
            # The devshop models app-data metafields only; any other owner is "not found" to it.
            raise fail("INVALID", "ownerId", "Owner does not exist.")
        namespace = data.get("namespace") or APP_RESERVED_NAMESPACE
        key = data.get("key") or ""
        if not METAFIELD_NAMESPACE.fullmatch(namespace):
            raise fail("INVALID", "namespace", "Namespace is invalid.")
        if not METAFIELD_KEY.fullmatch(key):
            raise fail("INVALID", "key", "Key must be 2-64 characters: letters, digits, underscores and hyphens.")
        existing = self.app_metafields.get((namespace, key))
        type_ = data.get("type") or (existing.type if existing else None)
        if type_ is None:
            raise fail("BLANK", "type", "Type can't be blank.")
        if type_ not in METAFIELD_TYPES:
            raise fail("INVALID_TYPE", "type", f"Type '{type_}' is not a valid metafield type.")
        if existing is not None and existing.type != type_:
            raise fail("INVALID_TYPE", "type", f"Type must stay '{existing.type}' for an existing metafield.")
        if "compareDigest" in data:
            digest = data["compareDigest"]
            current = existing.compare_digest if existing else None
            if digest != current:
                raise fail("STALE_OBJECT", "compareDigest", "The resource has been updated since it was loaded.")
        value = data.get("value")
        if not isinstance(value, str):
            raise fail("BLANK", "value", "Value can't be blank.")
        problem = _metafield_value_problem(type_, value)
        if problem:
            raise fail("INVALID_VALUE", "value", problem)
        return namespace, key, type_, value

    def get_app_metafield(self, namespace: str, key: str) -> AppMetafield | None:
        """The installation's metafield, or None."""
        with self.lock:
            return self.app_metafields.get((namespace, key))

    def list_app_metafields(self) -> list[AppMetafield]:
        """The installation's metafields, oldest first."""
        with self.lock:
            return sorted(self.app_metafields.values(), key=lambda m: m.legacy_id)

    # -- throttle -------------------------------------------------------------------------------------------------

    def _refill(self) -> None:
        now = self.clock()
        bucket = self.bucket
        elapsed = max(0.0, now - bucket.updated_at)
        bucket.currently_available = min(
            bucket.maximum_available, bucket.currently_available + elapsed * bucket.restore_rate
        )
        bucket.updated_at = now

    def throttle_status(self) -> dict[str, float]:
        """The bucket after refilling it by the clock."""
        with self.lock:
            self._refill()
            return self.bucket.status()

    def spend(self, cost: float) -> tuple[bool, dict[str, float]]:
        """Take `cost` points from the bucket if available; return (allowed, throttleStatus after)."""
        with self.lock:
            self._refill()
            if self.bucket.currently_available < cost:
                return False, self.bucket.status()
            self.bucket.currently_available -= cost
            return True, self.bucket.status()

    def set_throttle(
        self,
        *,
        maximum_available: float | None = None,
        restore_rate: float | None = None,
        currently_available: float | None = None,
    ) -> dict[str, float]:
        """Reconfigure the bucket; currently_available is capped at maximum_available."""
        with self.lock:
            self._refill()
            bucket = self.bucket
            if maximum_available is not None:
                bucket.maximum_available = float(maximum_available)
            if restore_rate is not None:
                bucket.restore_rate = float(restore_rate)
            if currently_available is not None:
                bucket.currently_available = float(currently_available)
            bucket.currently_available = min(bucket.currently_available, bucket.maximum_available)
            return bucket.status()

    # -- faults and call log --------------------------------------------------------------------------------------

    def add_fault(
        self,
        operation: str = "*",
        kind: str = "http_500",
        times: int = 1,
        delay: float = 0.0,
        message: str | None = None,
    ) -> Fault:
        """Inject a fault for an operation name ("*" for any); faults fire in the order added."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"Unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self.lock:
            fault = Fault(operation=operation, kind=kind, times=int(times), delay=float(delay), message=message)
            self.faults.append(fault)
            return fault

    def clear_faults(self) -> None:
        """Remove every pending fault."""
        with self.lock:
            self.faults.clear()

    def take_fault(self, operation_name: str | None, kinds: frozenset[str]) -> Fault | None:
        """Consume one firing of the first pending fault of one of `kinds` that matches the operation."""
        with self.lock:
            for fault in self.faults:
                if fault.kind in kinds and fault.operation in ("*", operation_name):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
            return None

    def record_call(self, operation_name: str | None, variables: dict[str, Any], api_version: str | None) -> Call:
        """Log a received Admin API call."""
        with self.lock:
            call = Call(operation_name, dict(variables or {}), self.clock(), api_version)
            self.calls.append(call)
            return call

    def calls_for(self, operation_name: str) -> list[Call]:
        """The logged calls of one operation."""
        with self.lock:
            return [call for call in self.calls if call.operation_name == operation_name]


def _metafield_value_problem(type_: str, value: str) -> str | None:
    """Why Shopify would refuse `value` for `type_`, or None."""
    if type_ == "single_line_text_field" and ("\n" in value or "\r" in value):
        return "Value must be a single line."
    if type_ in ("single_line_text_field", "multi_line_text_field") and not value.strip():
        return "Value can't be blank."
    if type_ == "boolean" and value not in ("true", "false"):
        return "Value must be true or false."
    if type_ == "number_integer" and not re.fullmatch(r"-?[0-9]+", value):
        return "Value must be an integer."
    if type_ == "url" and not re.match(r"(https?|mailto|sms|tel):", value):
        return "Value must be a URL."
    if type_ == "json":
        try:
            json.loads(value)
        except ValueError:
            return "Value is invalid JSON."
    return None


def _user_error(code: str | None, field_path: list[str] | None, message: str) -> dict[str, Any]:
    return {"code": code, "field": field_path, "message": message}


def _decimal(value: Any) -> Decimal | None:
    """A Money or Decimal input (a string or a number on the wire) as a Decimal, or None when it is not one."""
    try:
        amount = Decimal(str(value))
    except (ArithmeticError, ValueError):
        return None
    return amount if amount.is_finite() else None


def legacy_id_from_gid(gid: str, resource: str) -> int:
    """The numeric id of `gid://shopify/<resource>/<n>`, or -1 when it isn't one."""
    prefix = f"gid://shopify/{resource}/"
    tail = gid[len(prefix) :] if isinstance(gid, str) and gid.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else -1
