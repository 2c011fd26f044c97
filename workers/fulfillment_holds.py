"""Job names of earlier versions for the hold jobs (see workers/jobs.py): scheduled releases can be days away."""

from __future__ import annotations

from workers.holds import (
    on_hold_failure,
    place_fulfillment_hold,
    release_fulfillment_hold,
    reschedule_fulfillment_holds,
)

__all__ = ["on_hold_failure", "place_fulfillment_hold", "release_fulfillment_hold", "reschedule_fulfillment_holds"]
