"""A shop's self-service cancellation policy and its defaults."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Reason codes shoppers may pick, with the English label shown on the storefront.
DEFAULT_REASONS: dict[str, str] = {
    "changed_mind": "I changed my mind",
    "ordered_by_mistake": "I ordered by mistake",
    "found_better_price": "I found a better price elsewhere",
    "shipping_too_slow": "Shipping takes too long",
    "need_to_change_order": "I need to change something in my order",
    "other": "Something else",
}

DEFAULT_FINANCIAL_STATUSES = ["AUTHORIZED", "PAID", "PARTIALLY_PAID", "PENDING"]


class RefundMethod(StrEnum):
    ORIGINAL_PAYMENT = "original_payment"
    STORE_CREDIT = "store_credit"
    NONE = "none"


class ReviewMode(StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


class Reason(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1, max_length=120)


class Policy(BaseModel):
    """What a shop allows shoppers to cancel, and how the cancellation is carried out."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    enabled: bool = True
    # Counted from the order's creation; exactly at the deadline the window is closed.
    cancel_window_minutes: int = Field(60, ge=1, le=60 * 24 * 60)
    allowed_financial_statuses: list[str] = Field(default_factory=lambda: list(DEFAULT_FINANCIAL_STATUSES))
    excluded_order_tags: list[str] = Field(default_factory=list)
    reasons: list[Reason] = Field(
        default_factory=lambda: [Reason(code=code, label=label) for code, label in DEFAULT_REASONS.items()],
        min_length=1,
    )
    refund_method: RefundMethod = RefundMethod.ORIGINAL_PAYMENT
    restock: bool = True
    notify_customer: bool = True
    review_mode: ReviewMode = ReviewMode.AUTOMATIC
    # Where the storefront page sends shoppers whose order has started shipping.
    returns_url: str | None = None

    @field_validator("returns_url")
    @classmethod
    def _returns_url(cls, value: str | None) -> str | None:
        # Shown as a link on the storefront: only the web, or a path of the shop itself.
        if value is None or not value.strip():
            return None
        value = value.strip()
        is_web = value.startswith(("https://", "http://")) and len(value) > 8
        is_path = value.startswith("/") and not value.startswith("//") and "\\" not in value
        if not (is_web or is_path) or any(ch.isspace() for ch in value):
            raise ValueError("must be an https:// address or a path on the shop such as /pages/returns")
        return value

    @field_validator("excluded_order_tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        return [tag.strip() for tag in tags if tag.strip()]

    @field_validator("allowed_financial_statuses")
    @classmethod
    def _statuses(cls, statuses: list[str]) -> list[str]:
        return [status.strip().upper() for status in statuses if status.strip()]

    def reason_label(self, code: str) -> str | None:
        return next((reason.label for reason in self.reasons if reason.code == code), None)
