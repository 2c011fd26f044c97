"""Thread-safe in-memory state of the devshop: customers, orders, cancel jobs, throttle bucket, faults, call log."""

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
from typing import Any

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


@dataclass
class LineItem:
    """One line of an order; prices are decimal strings in the order's currency."""

    legacy_id: int
    title: str
    quantity: int
    unit_price: str
    variant_title: str | None = None
    sku: str | None = None
    vendor: str | None = "Devshop Supply Co."
    # The tags of the line item's product (each line item stands for its own product in the devshop).
    product_tags: list[str] = field(default_factory=list)
    fulfilled_quantity: int = 0

    @property
    def gid(self) -> str:
        return f"gid://shopify/LineItem/{self.legacy_id}"

    @property
    def product_gid(self) -> str:
        return f"gid://shopify/Product/{self.legacy_id}"

    @property
    def name(self) -> str:
        return f"{self.title} - {self.variant_title}" if self.variant_title else self.title

    @property
    def fulfillment_status(self) -> str | None:
        """ "fulfilled", "partial" or None while nothing has shipped, as Shopify spells a line item's status."""
        if self.fulfilled_quantity <= 0:
            return None
        return "fulfilled" if self.fulfilled_quantity >= self.quantity else "partial"


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

    @property
    def gid(self) -> str:
        return f"gid://shopify/Order/{self.legacy_id}"

    @property
    def total_price(self) -> str:
        total = sum((Decimal(li.unit_price) * li.quantity for li in self.line_items), Decimal("0"))
        return str(total.quantize(Decimal("0.01")))

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
            self._next_metafield_id = FIRST_METAFIELD_ID
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
        test: bool = False,
    ) -> int:
        """Create an order and return its numeric (legacy) id.

        line_items are (title, quantity, unit_price) or (title, quantity, unit_price, product_tags).
        """
        with self.lock:
            now = self.clock()
            if customer_id is not None and customer_id not in self.customers:
                raise UnknownCustomerError(f"Customer {customer_id} does not exist")
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
            )
            order.fulfillment_orders.append(FulfillmentOrder(self._next_fulfillment_order_id))
            self._next_fulfillment_order_id += 1
            for title, quantity, unit_price, *rest in line_items or [("Devshop Sample Mug", 1, "25.00")]:
                product_tags = [str(tag) for tag in rest[0]] if rest else []
                item = LineItem(self._next_line_item_id, title, int(quantity), str(unit_price))
                item.product_tags = product_tags
                order.line_items.append(item)
                self._next_line_item_id += 1
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
            complete = all(item.fulfilled_quantity >= item.quantity for item in order.line_items)
            order.display_fulfillment_status = "FULFILLED" if complete else "PARTIALLY_FULFILLED"
            for fulfillment_order in order.fulfillment_orders:
                if fulfillment_order.status in ("OPEN", "IN_PROGRESS"):
                    fulfillment_order.status = "CLOSED" if complete else "IN_PROGRESS"
            self._announce("orders/fulfilled" if complete else "orders/partially_fulfilled", order)
            self._announce("orders/updated", order)
            return order

    @staticmethod
    def _quantities_to_ship(order: Order, quantities: dict[int, int] | None) -> dict[int, int]:
        left = {item.legacy_id: item.quantity - item.fulfilled_quantity for item in order.line_items}
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
        """Change the order's ``email`` (None removes it) or ``name`` as staff would in the admin (orders/updated)."""
        with self.lock:
            self.settle_jobs()
            order = self._require_order(legacy_id)
            unknown = set(changes) - {"email", "name"}
            if unknown:
                raise ValueError(f"The devshop can change only email and name, not {', '.join(sorted(unknown))}")
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
        elif refund_requested:
            order.display_financial_status = "REFUNDED"
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


def _user_error(code: str | None, field_path: list[str], message: str) -> dict[str, Any]:
    return {"code": code, "field": field_path, "message": message}


def legacy_id_from_gid(gid: str, resource: str) -> int:
    """The numeric id of `gid://shopify/<resource>/<n>`, or -1 when it isn't one."""
    prefix = f"gid://shopify/{resource}/"
    tail = gid[len(prefix) :] if isinstance(gid, str) and gid.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else -1
