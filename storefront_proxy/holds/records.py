"""The record of the app's cancel-window fulfillment hold on one order, as stored in Redis."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class HoldStatus(StrEnum):
    # Being placed (the job is queued or retrying).
    PLACING = "placing"
    # On the order's fulfillment orders; released at ``release_at``.
    HELD = "held"
    RELEASED = "released"
    # Nothing to hold: the window had closed, the order was gone or cancelled, or the shop turned holds off.
    NOT_NEEDED = "not_needed"
    # The order was cancelled while held; Shopify closes its fulfillment orders, so there is nothing to release.
    CANCELLED = "cancelled"
    # Placing or releasing failed after every retry; support retries it from the admin.
    FAILED = "failed"


class HoldStep(StrEnum):
    PLACE = "place"
    RELEASE = "release"


class HoldEvent(BaseModel):
    at: datetime
    type: str
    detail: str | None = None


class PlacedHold(BaseModel):
    """One hold the app placed: exactly what it may release later (by hold id)."""

    fulfillment_order_id: str
    hold_id: str


class FulfillmentHoldRecord(BaseModel):
    """The app's cancel-window fulfillment hold on one order; at most one per (shop, order)."""

    model_config = ConfigDict(validate_assignment=True)

    shop: str
    order_id: int
    order_name: str | None = None
    status: HoldStatus
    # The step that runs next (or failed): placing the hold, or releasing it.
    step: HoldStep = HoldStep.PLACE
    holds: list[PlacedHold] = Field(default_factory=list)
    # When Shopify says the order was placed: the window (and so the release) counts from here.
    order_created_at: datetime | None = None
    release_at: datetime | None = None
    # Each scheduling of the release gets its own RQ job id (a pending review extends the hold).
    releases_scheduled: int = 0
    # Who asked (``staff:<id>``) to release the hold now: it is released then even while the order's request is
    # open, and no later scheduling moves the release away again.
    release_requested_by: str | None = None
    attempts: int = 0
    last_error: str | None = None
    events: list[HoldEvent] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime

    def record(self, at: datetime, type: str, *, status: HoldStatus | None = None, detail: str | None = None) -> None:
        if status is not None:
            self.status = status
        self.events.append(HoldEvent(at=at, type=type, detail=detail))
        self.updated_at = at
