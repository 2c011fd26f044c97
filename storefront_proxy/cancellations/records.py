"""The durable record of a shopper's request about an order, as stored in Redis: a cancellation, or an edit
(fewer items, another variant, a corrected shipping address: ``kind`` and ``edit``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from storefront_proxy.i18n import decimal_amount
from storefront_proxy.times import iso


class RequestKind(StrEnum):
    CANCELLATION = "cancellation"
    EDIT = "edit"


class RequestStatus(StrEnum):
    PENDING_REVIEW = "pending_review"
    QUEUED = "queued"
    PROCESSING = "processing"
    CANCELLED = "cancelled"
    # An edit's changes are in Shopify (and the difference refunded).
    APPLIED = "applied"
    REJECTED = "rejected"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {RequestStatus.CANCELLED, RequestStatus.APPLIED, RequestStatus.REJECTED, RequestStatus.FAILED}
)

NOTE_MAX_LENGTH = 500
# Shopify's reason, as shown to the shopper, is cut at this length.
MESSAGE_DETAIL_MAX = 300


def new_request_id(kind: RequestKind = RequestKind.CANCELLATION) -> str:
    """A random id that is also a valid RQ job id suffix (letters, digits, ``_`` and ``-`` only)."""
    prefix = "ccr" if kind is RequestKind.CANCELLATION else "edt"
    return f"{prefix}_{secrets.token_hex(10)}"


class Address(BaseModel):
    """A shipping address in the storefront contract's keys (Shopify's MailingAddressInput in snake case)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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

    def mailing_address_input(self) -> dict[str, str | None]:
        """The address as Shopify's MailingAddressInput (orderUpdate replaces the whole address with it)."""
        return {
            "firstName": self.first_name,
            "lastName": self.last_name,
            "company": self.company,
            "address1": self.address1,
            "address2": self.address2,
            "city": self.city,
            "provinceCode": self.province_code,
            "zip": self.zip,
            "countryCode": self.country_code,
            "phone": self.phone,
        }


class LineChange(BaseModel):
    """One line item the shopper changes: a lower quantity (0 removes it), or another variant of its product."""

    line_item_id: int
    title: str
    variant_title: str | None = None
    from_quantity: int
    to_quantity: int
    unit_price: Decimal | None = None
    # The variant the line is swapped to (the same product, at the same unit price).
    variant_id: int | None = None
    new_variant_title: str | None = None

    @property
    def is_swap(self) -> bool:
        return self.variant_id is not None and self.to_quantity > 0

    def public_dict(self) -> dict[str, object]:
        change: dict[str, object] = {
            "type": "variant" if self.is_swap else "quantity",
            "line_item_id": self.line_item_id,
            "title": self.title,
            "variant_title": self.variant_title,
            "from_quantity": self.from_quantity,
            "to_quantity": self.to_quantity,
        }
        if self.is_swap:
            change.update(variant_id=self.variant_id, new_variant_title=self.new_variant_title)
        return change


class EditDetails(BaseModel):
    """What an edit changes, what it refunds, and how far a worker has carried it out."""

    line_items: list[LineChange] = Field(default_factory=list)
    shipping_address: Address | None = None
    # The address before the edit, for support.
    previous_address: Address | None = None
    # What the shopper was shown they get back (None: nothing is refunded, e.g. the payment was only authorized).
    refund_estimate: Decimal | None = None
    # The edit session the current attempt stages its changes on (orderEditBegin's CalculatedOrder).
    session_id: str | None = None
    # orderEditCommit was sent (claimed before sending, like orderCancel) and when it was confirmed.
    commit_sent_at: datetime | None = None
    committed_at: datetime | None = None
    # The difference to refund, fixed from Shopify's calculated totals when the commit was claimed, so a retry
    # after a crash refunds the same amount under the same key.
    refund_due: Decimal | None = None
    refund_id: str | None = None
    refunded_amount: Decimal | None = None
    address_updated_at: datetime | None = None

    def summary(self) -> str:
        """The changes in a few words, for staff (the order's staff note, the timeline, the CSV):
        "T-shirt S → L ×1; removed Mug; Tea 2 → 1; new shipping address"."""
        parts = []
        for change in self.line_items:
            if change.is_swap:
                was = f"{change.title} {change.variant_title}" if change.variant_title else change.title
                parts.append(f"{was} → {change.new_variant_title} ×{change.to_quantity}")
            elif change.to_quantity == 0:
                parts.append(f"removed {change.title}")
            else:
                parts.append(f"{change.title} {change.from_quantity} → {change.to_quantity}")
        if self.shipping_address is not None:
            parts.append("new shipping address")
        return "; ".join(parts)

    def public_changes(self) -> list[dict[str, object]]:
        changes = [line.public_dict() for line in self.line_items]
        if self.shipping_address is not None:
            changes.append({"type": "shipping_address", "shipping_address": self.shipping_address.model_dump()})
        return changes


class Event(BaseModel):
    """One line of a request's timeline."""

    at: datetime
    type: str
    status: RequestStatus | None = None
    detail: str | None = None


class Note(BaseModel):
    """An internal note by support staff."""

    at: datetime
    author: str
    text: str = Field(min_length=1, max_length=2000)


class ShopperRequest(BaseModel):
    """A shopper's request about one order: to cancel it (at most one per order), or to edit it (``kind`` and
    ``edit``; one open at a time, and not while a cancellation is open)."""

    model_config = ConfigDict(validate_assignment=True)

    id: str
    shop: str
    order_id: int
    order_name: str
    customer_id: int
    customer_email: str | None = None
    kind: RequestKind = RequestKind.CANCELLATION
    # The order's total when the shopper asked, for the merchant's insights.
    order_total: Decimal | None = None
    currency_code: str | None = None
    # A cancellation's reason code (an edit has none).
    reason: str | None = None
    note: str | None = Field(None, max_length=NOTE_MAX_LENGTH)
    edit: EditDetails | None = None
    status: RequestStatus
    attempts: int = 0
    events: list[Event] = Field(default_factory=list)
    # What the shopper is told about the outcome (rejection or failure wording), in English, and the
    # catalog key (storefront_proxy/catalogs) that says it in the shopper's language.
    message: str | None = None
    message_code: str | None = None
    # Shopify's own words about the outcome (an orderCancel user error), shown after the translated sentence.
    message_detail: str | None = None
    # Technical detail for support; never shown to the shopper.
    last_error: str | None = None
    # The cancel window is judged at the moment the shopper asked.
    requested_at: datetime
    created_at: datetime
    updated_at: datetime
    # Internal notes of the shop's support staff; never shown to the shopper.
    notes: list[Note] = Field(default_factory=list)
    # How often the request was handed to a worker; each hand-over gets its own RQ job id.
    dispatches: int = 0
    # When orderCancel was sent, and the Job Shopify answered with: a retry never sends it twice.
    cancel_sent_at: datetime | None = None
    shopify_job_id: str | None = None
    # The order's ``updated_at`` of the newest order webhook applied to the request (older ones are ignored).
    order_updated_at: datetime | None = None

    def record(
        self, at: datetime, type: str, *, status: RequestStatus | None = None, detail: str | None = None
    ) -> None:
        """Append a timeline event, moving to ``status`` when given."""
        if status is not None:
            self.status = status
        self.events.append(Event(at=at, type=type, status=status, detail=detail))
        self.updated_at = at

    def tell(self, message: str | None, code: str | None = None, detail: str | None = None) -> None:
        """Set what the shopper is told: English ``message``, its catalog ``code`` and Shopify's ``detail``."""
        self.message = message
        self.message_code = code
        self.message_detail = detail[:MESSAGE_DETAIL_MAX] if detail else None

    def shopper_message(self, translate: Callable[..., str] | None = None) -> str | None:
        """The outcome message in the shopper's language when a translator is given."""
        if translate is not None and self.message_code:
            try:
                if self.message_detail is not None:
                    return translate(self.message_code, reason=self.message_detail)
                return translate(self.message_code)
            except KeyError:
                pass
        return self.message

    @property
    def is_edit(self) -> bool:
        return self.kind is RequestKind.EDIT

    def refund_money(self) -> dict[str, str] | None:
        """An edit's refund: what was refunded once it was, what the shopper was shown before."""
        edit = self.edit
        if edit is None or not self.currency_code:
            return None
        applied = self.status is RequestStatus.APPLIED
        amount = edit.refunded_amount if edit.refunded_amount is not None or applied else edit.refund_estimate
        if amount is None or amount <= 0:
            return None
        return {"amount": decimal_amount(amount, self.currency_code), "currency_code": self.currency_code}

    def public_dict(self, translate: Callable[..., str] | None = None) -> dict[str, object]:
        """The fields the storefront contract promises, and nothing internal."""
        if self.edit is not None:
            return {
                "id": self.id,
                "status": self.status.value,
                "changes": self.edit.public_changes(),
                "refund": self.refund_money(),
                "message": self.shopper_message(translate),
                "created_at": iso(self.created_at),
                "updated_at": iso(self.updated_at),
            }
        return {
            "id": self.id,
            "status": self.status.value,
            "reason": self.reason,
            "note": self.note,
            "message": self.shopper_message(translate),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }
