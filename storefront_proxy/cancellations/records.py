"""The durable record of a shopper's cancellation request, as stored in Redis."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from storefront_proxy.times import iso


class RequestStatus(StrEnum):
    PENDING_REVIEW = "pending_review"
    QUEUED = "queued"
    PROCESSING = "processing"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({RequestStatus.CANCELLED, RequestStatus.REJECTED, RequestStatus.FAILED})

NOTE_MAX_LENGTH = 500
# Shopify's reason, as shown to the shopper, is cut at this length.
MESSAGE_DETAIL_MAX = 300


def new_request_id() -> str:
    """A random id that is also a valid RQ job id suffix (letters, digits, ``_`` and ``-`` only)."""
    return f"ccr_{secrets.token_hex(10)}"


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


class CancellationRequest(BaseModel):
    """A shopper's request to cancel one order; there is at most one per (shop, order)."""

    model_config = ConfigDict(validate_assignment=True)

    id: str
    shop: str
    order_id: int
    order_name: str
    customer_id: int
    customer_email: str | None = None
    # The order's total when the shopper asked, for the merchant's insights.
    order_total: Decimal | None = None
    currency_code: str | None = None
    reason: str
    note: str | None = Field(None, max_length=NOTE_MAX_LENGTH)
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

    def public_dict(self, translate: Callable[..., str] | None = None) -> dict[str, object]:
        """The fields the storefront contract promises, and nothing internal."""
        return {
            "id": self.id,
            "status": self.status.value,
            "reason": self.reason,
            "note": self.note,
            "message": self.shopper_message(translate),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }
