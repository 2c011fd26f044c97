"""Pieces of the cancel job that need no Shopify: the staff note and the refund method."""

from __future__ import annotations

from datetime import UTC, datetime

from storefront_proxy.policy import RefundMethod
from storefront_proxy.records import CancellationRequest, RequestStatus
from workers.jobs import _refund_method, staff_note

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def request(note: str | None) -> CancellationRequest:
    return CancellationRequest(
        id="ccr_1",
        shop="a.myshopify.com",
        order_id=1,
        order_name="#1",
        customer_id=2,
        reason="other",
        note=note,
        status=RequestStatus.QUEUED,
        requested_at=NOW,
        created_at=NOW,
        updated_at=NOW,
    )


def test_staff_note_records_reason_and_note():
    assert staff_note(request("Wrong\nsize"), "Something else") == (
        "Cancelled by the customer (self-service). Reason: Something else. Note: Wrong size"
    )


def test_staff_note_fits_shopifys_255_characters():
    note = staff_note(request("x" * 500), "Something else")
    assert len(note) == 255 and note.endswith("…")


def test_refund_methods_map_to_the_oneof_input():
    assert _refund_method(RefundMethod.ORIGINAL_PAYMENT) == {"originalPaymentMethodsRefund": True}
    assert _refund_method(RefundMethod.STORE_CREDIT) == {"storeCreditRefund": {}}
    assert _refund_method(RefundMethod.NONE) == {"originalPaymentMethodsRefund": False}
