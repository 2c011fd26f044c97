"""A shop's self-service cancellation policy and its defaults."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from storefront_proxy.i18n import LANGUAGES
from storefront_proxy.text import WHITESPACE, has_visible_text, strip_text

# Reason codes shoppers may pick, with the English label shown on the storefront.
DEFAULT_REASONS: dict[str, str] = {
    "changed_mind": "I changed my mind",
    "ordered_by_mistake": "I ordered by mistake",
    "found_better_price": "I found a better price elsewhere",
    "shipping_too_slow": "Shipping takes too long",
    "need_to_change_order": "I need to change something in my order",
    "other": "Something else",
}

# PARTIALLY_REFUNDED: an order whose edit refunded part of it can still be cancelled or edited again.
DEFAULT_FINANCIAL_STATUSES = ["AUTHORIZED", "PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "PENDING"]
# Shopify caps a tag at 40 characters; tagsAdd splits a string on commas, so a tag never holds one.
TAG_MAX_LENGTH = 40
# An order total as the merchant types it: up to ten digits and two decimals.
AMOUNT = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")
AUTO_REJECT_MESSAGE_MAX = 500


class WindowMode(StrEnum):
    MINUTES = "minutes"
    # No time limit: eligible until fulfillment starts (the fulfillment rule still applies).
    UNTIL_FULFILLMENT = "until_fulfillment"


DEFAULT_CONTACT_URL = "/pages/contact"


class RefundMethod(StrEnum):
    ORIGINAL_PAYMENT = "original_payment"
    STORE_CREDIT = "store_credit"
    NONE = "none"


class ReviewMode(StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"
    # Orders whose total (shop currency) is above ``review_threshold`` wait for review; others are automatic.
    MANUAL_ABOVE_TOTAL = "manual_above_total"


class AutoReviewAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1, max_length=120)
    # The merchant's own wording per storefront language ("nl": "..."); ``label`` is the fallback.
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: dict[str, str]) -> dict[str, str]:
        cleaned: dict[str, str] = {}
        for language, text in labels.items():
            if language not in LANGUAGES:
                raise ValueError(f"unsupported language {language!r}; use one of {', '.join(LANGUAGES)}")
            if len(text) > 120:
                raise ValueError(f"the {language} label can be at most 120 characters")
            text = strip_text(text)
            if text:
                cleaned[language] = text
        return cleaned


class Policy(BaseModel):
    """What a shop allows shoppers to cancel, and how the cancellation is carried out."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    enabled: bool = True
    window_mode: WindowMode = WindowMode.MINUTES
    # Counted from the order's creation; exactly at the deadline the window is closed (window_mode "minutes").
    cancel_window_minutes: int = Field(60, ge=1, le=60 * 24 * 60)
    # Place the app's own fulfillment hold on new orders until their cancel window closes, so nothing ships
    # while the shopper may still cancel (window_mode "minutes" only: the other mode has no end to wait for).
    hold_fulfillment: bool = False
    allowed_financial_statuses: list[str] = Field(default_factory=lambda: list(DEFAULT_FINANCIAL_STATUSES))
    excluded_order_tags: list[str] = Field(default_factory=list)
    # An order with a line item whose product has one of these tags can't be cancelled by its shopper.
    excluded_product_tags: list[str] = Field(default_factory=list)
    reasons: list[Reason] = Field(
        default_factory=lambda: [Reason(code=code, label=label) for code, label in DEFAULT_REASONS.items()],
        min_length=1,
    )
    refund_method: RefundMethod = RefundMethod.ORIGINAL_PAYMENT
    restock: bool = True
    notify_customer: bool = True
    # A tag the worker adds to the orders it cancelled (a failure to tag never fails the cancellation).
    cancelled_order_tag: str | None = None
    review_mode: ReviewMode = ReviewMode.AUTOMATIC
    # Shop currency; with review_mode "manual_above_total", orders above it wait for review.
    review_threshold: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2, validate_default=True)
    # A request pending review this long is approved or rejected automatically (None: never).
    auto_review_after_hours: int | None = Field(None, ge=1, le=24 * 90)
    auto_review_action: AutoReviewAction = AutoReviewAction.APPROVE
    # What the shopper is told when a request is rejected automatically.
    auto_reject_message: str | None = Field(None, max_length=AUTO_REJECT_MESSAGE_MAX, validate_default=True)
    # The admin marks requests waiting for review longer than this.
    review_target_hours: int = Field(24, ge=1, le=24 * 30)
    # Order editing by the shopper (storefront_proxy/edits/): the same eligibility rules and review mode as a
    # cancellation, in its own window; None takes the cancel window's mode and minutes.
    edit_enabled: bool = True
    edit_window_mode: WindowMode | None = None
    edit_window_minutes: int | None = Field(None, ge=1, le=60 * 24 * 60)
    # Which edits are offered: lower a quantity or remove a line; swap to another variant of the same product at
    # the same unit price; correct the shipping address (within its country unless allowed: a new country
    # changes shipping rates and taxes, which an edit does not recalculate).
    edit_quantities: bool = True
    edit_variants: bool = True
    edit_shipping_address: bool = True
    edit_address_same_country: bool = True
    # Where the storefront page sends shoppers whose order has started shipping.
    returns_url: str | None = None
    # How a shopper whose order can't be cancelled here reaches the shop: Shopify gives every new online store a
    # contact page at /pages/contact; the merchant may point elsewhere, or clear it.
    contact_url: str | None = DEFAULT_CONTACT_URL

    @field_validator("returns_url", "contact_url")
    @classmethod
    def _returns_url(cls, value: str | None) -> str | None:
        # Shown as a link on the storefront: only the web, or a path of the shop itself.
        if value is None or not has_visible_text(value):
            return None
        value = strip_text(value)
        is_web = value.startswith(("https://", "http://")) and len(value) > 8
        is_path = value.startswith("/") and not value.startswith("//") and "\\" not in value
        if not (is_web or is_path) or any(ch in WHITESPACE for ch in value):
            raise ValueError("enter an https:// address or a path on the shop such as /pages/returns")
        return value

    @field_validator("hold_fulfillment")
    @classmethod
    def _hold_fulfillment(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("window_mode") is WindowMode.UNTIL_FULFILLMENT:
            raise ValueError("a fulfillment hold needs a cancel window in minutes, so it can be released")
        return value

    @field_validator("excluded_order_tags", "excluded_product_tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        return [strip_text(tag) for tag in tags if has_visible_text(tag)]

    @field_validator("cancelled_order_tag")
    @classmethod
    def _cancelled_order_tag(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) > TAG_MAX_LENGTH or "," in value:
            raise ValueError(f"a tag is at most {TAG_MAX_LENGTH} characters, without commas")
        return strip_text(value) or None

    @field_validator("review_threshold", mode="before")
    @classmethod
    def _review_threshold_form(cls, value: object) -> object:
        # An amount of money: a decimal string with at most two decimals ("150.00") or a whole number, as
        # openapi.yaml says; a float (150.1 is not 150.10 in binary) or "1e5" is refused rather than rounded.
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON's 150.0 is the whole number 150
        if isinstance(value, bool) or isinstance(value, float):
            raise ValueError('give the amount as a string such as "150.00" or a whole number')
        if isinstance(value, str):
            if not AMOUNT.fullmatch(value):
                raise ValueError('give the amount as a string such as "150.00"')
            return Decimal(value)
        return Decimal(value) if isinstance(value, int) else value

    # Fields validate in declaration order, so the cross-field rules below see review_mode and the action.
    @field_validator("review_threshold")
    @classmethod
    def _review_threshold(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if value is None and info.data.get("review_mode") is ReviewMode.MANUAL_ABOVE_TOTAL:
            raise ValueError("set the order total above which requests wait for review")
        return value

    @field_validator("auto_reject_message")
    @classmethod
    def _auto_reject_message(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = strip_text(value) if value and has_visible_text(value) else None
        rejects = info.data.get("auto_review_action") is AutoReviewAction.REJECT
        if value is None and rejects and info.data.get("auto_review_after_hours") is not None:
            raise ValueError("tell shoppers why a request is rejected automatically")
        return value

    @field_validator("allowed_financial_statuses")
    @classmethod
    def _statuses(cls, statuses: list[str]) -> list[str]:
        return [status.strip().upper() for status in statuses if status.strip()]

    @property
    def edit_window(self) -> tuple[WindowMode, int]:
        """The edit window's mode and minutes: its own where set, the cancel window's otherwise."""
        return (
            self.edit_window_mode or self.window_mode,
            self.edit_window_minutes if self.edit_window_minutes is not None else self.cancel_window_minutes,
        )

    @property
    def offers_edits(self) -> bool:
        """Whether shoppers may edit anything at all."""
        return (
            self.enabled
            and self.edit_enabled
            and (self.edit_quantities or self.edit_variants or self.edit_shipping_address)
        )

    @property
    def needs_product_tags(self) -> bool:
        """Whether eligibility reads the orders' products' tags (they cost Shopify's query budget)."""
        return bool(self.excluded_product_tags)

    def reason_label(self, code: str) -> str | None:
        return next((reason.label for reason in self.reasons if reason.code == code), None)

    def needs_review(self, order_total: Decimal | None) -> bool:
        """Whether a request for an order of ``order_total`` (shop currency) waits for a person."""
        if self.review_mode is ReviewMode.MANUAL:
            return True
        if self.review_mode is ReviewMode.MANUAL_ABOVE_TOTAL:
            # An order whose total Shopify did not give is reviewed rather than guessed.
            return order_total is None or self.review_threshold is None or order_total > self.review_threshold
        return False
