"""The shopper's contract, shared by both storefront edges: the app proxy (``proxy/``) and the customer-account
extension's backend (``customer_account/``). The same order and request answers in the shopper's language, the
same parsing of a cancellation, the same per-shopper rate limits; only how the shopper is verified differs.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, TypeGuard

from flask import request

from storefront_proxy.cancellations.records import Address
from storefront_proxy.cancellations.storefront import OrderView
from storefront_proxy.edits.rules import (
    RequestedLine,
    check_edit_eligibility,
    current_address,
    editable_lines,
    editable_quantity,
    variant_options,
)
from storefront_proxy.edits.storefront import EditOptions
from storefront_proxy.http_errors import ApiError
from storefront_proxy.i18n import Translator, decimal_amount, money
from storefront_proxy.policy.model import DEFAULT_REASONS, Policy, Reason, RefundMethod
from storefront_proxy.proxy.pages import translator
from storefront_proxy.ratelimit import Allowance
from storefront_proxy.services import services
from storefront_proxy.shopify.models import ORDER_GID_PREFIX, legacy_id
from storefront_proxy.storage import ReadBatch
from storefront_proxy.times import iso

# Liquid's order.id: a positive integer (Shopify ids fit in an unsigned 64-bit integer).
ORDER_ID = re.compile(r"[1-9][0-9]{0,19}")


def parse_order_id(order_id: str, *, gid: bool = False) -> int:
    """The order's number id from the URL; with ``gid``, its global id (``gid://shopify/Order/5001``) too."""
    if gid and order_id.startswith(ORDER_GID_PREFIX):
        order_id = order_id.removeprefix(ORDER_GID_PREFIX)
    if not ORDER_ID.fullmatch(order_id):
        raise ApiError(400, "invalid_order_id", "The order id must be the order's number id.")
    return int(order_id)


def read_allowance(shop: str, customer_id: int) -> Allowance:
    """The shopper's budget of storefront requests a minute (PROXY_RATE_LIMIT_PER_MINUTE), one for both edges."""
    return Allowance(f"proxy:{shop}:{customer_id}", services().settings.proxy_rate_limit_per_minute, 60)


def limit_reads(shop: str, customer_id: int) -> None:
    """Spend one of the shopper's storefront requests (429 once spent: ``http_errors``)."""
    services().store.rates.spend(read_allowance(shop, customer_id))


def limit_reads_in(reads: ReadBatch, shop: str, customer_id: int) -> ReadBatch:
    """``limit_reads`` queued on the request's batch, checked when the use case sends its reads with it."""
    services().store.rates.spend_in(reads, read_allowance(shop, customer_id))
    return reads


def limit_edits(shop: str, customer_id: int) -> None:
    """The shopper's budget of edit requests an hour (the cancellation budget's size, counted apart)."""
    allowance = Allowance(f"edit:{shop}:{customer_id}", services().settings.cancel_rate_limit_per_hour, 3600)
    services().store.rates.spend(allowance)


def limit_cancellations(shop: str, customer_id: int) -> None:
    """The shopper's budget of cancellation requests an hour (CANCEL_RATE_LIMIT_PER_HOUR), one for both edges."""
    allowance = Allowance(f"cancel:{shop}:{customer_id}", services().settings.cancel_rate_limit_per_hour, 3600)
    services().store.rates.spend(allowance)


def reason_label(reason: Reason, t: Translator) -> str:
    """A reason's label in the shopper's language.

    The merchant's wording for that language first; then, for a built-in reason whose English label is
    unchanged, the app's translation; otherwise the merchant's ``label`` as written.
    """
    if t.language in reason.labels:
        return reason.labels[t.language]
    if DEFAULT_REASONS.get(reason.code) == reason.label:
        return t(f"reason.{reason.code}")
    return reason.label


def offered_reasons(policy: Policy, t: Translator) -> list[dict[str, str]]:
    return [{"code": reason.code, "label": reason_label(reason, t)} for reason in policy.reasons]


def order_total_money(view: OrderView) -> dict[str, str] | None:
    """The order's total as an amount (the currency's own decimals) and currency code, for a client to format in
    the shopper's language ("€ 39,90" in Dutch), or None when Shopify gave none."""
    order = view.order
    if order.total_amount is None or not order.currency_code:
        return None
    return {"amount": decimal_amount(order.total_amount, order.currency_code), "currency_code": order.currency_code}


def order_total(view: OrderView) -> str | None:
    """The order's total with its currency code ("39.90 EUR"), or None when Shopify gave none."""
    order = view.order
    if order.total_amount is None or not order.currency_code:
        return None
    return money(order.total_amount, order.currency_code)


# Shopify's financial statuses whose payment is only authorized: cancelling voids it, nothing is refunded
# (cancellations/execution.py).
UNCAPTURED = frozenset({"AUTHORIZED", "PENDING", "EXPIRED"})
# What cancelling does with the money, per refund method: with the order's total when all of it was paid, in
# general words when Shopify gave no total or only part was paid.
REFUND_MESSAGES = {
    RefundMethod.ORIGINAL_PAYMENT: ("refund.original_payment", "refund.original_payment.unspecified"),
    RefundMethod.STORE_CREDIT: ("refund.store_credit", "refund.store_credit.unspecified"),
}


def refund_terms(view: OrderView, t: Translator) -> dict[str, Any]:
    """What happens to the shopper's money if the order is cancelled, as the policy carries it out: the refund
    method, the sentence saying so, and whether Shopify's own e-mail follows."""
    method = view.policy.refund_method
    status = (view.order.display_financial_status or "").upper()
    total = order_total(view)
    if status in UNCAPTURED:
        message = t("refund.not_charged")
    elif method is RefundMethod.NONE:
        message = t("refund.none")
    else:
        with_amount, in_general = REFUND_MESSAGES[method]
        message = t(with_amount, amount=total) if total and status == "PAID" else t(in_general)
    notified = view.policy.notify_customer
    return {
        "method": method.value,
        "message": " ".join(part for part in (message, t("refund.email") if notified else "") if part),
        "customer_notified": notified,
    }


def order_payload(view: OrderView, csrf_token: str | None = None, options: EditOptions | None = None) -> dict[str, Any]:
    """The contract's order object, its messages in the shopper's language (``csrf_token`` where a form needs one;
    ``options``: what may be edited, where the order's own page is answered)."""
    t = translator()
    payload: dict[str, Any] = {
        "order_id": view.order.legacy_resource_id,
        "name": view.order.name,
        "created_at": iso(view.order.created_at),
        "total": order_total(view),
        "total_money": order_total_money(view),
        "eligible": view.eligibility.eligible,
        "ineligible_reasons": [
            {"code": reason.code, "message": t(f"ineligible.{reason.code}")} for reason in view.eligibility.reasons
        ],
        "cancel_deadline": iso(view.eligibility.deadline),
        "reasons": offered_reasons(view.policy, t),
        "refund": refund_terms(view, t),
        # A request made now waits for a person at the shop rather than going straight to Shopify.
        "goes_to_review": view.policy.needs_review(view.order.total_amount),
        "contact_url": view.policy.contact_url,
    }
    if csrf_token is not None:
        payload["csrf_token"] = csrf_token
    payload["request"] = view.request.public_dict(t) if view.request else None
    payload.update(edit_fields(view, options, t))
    return payload


def money_of(amount: Decimal | None, currency: str | None) -> dict[str, str] | None:
    if amount is None or not currency:
        return None
    return {"amount": decimal_amount(amount, currency), "currency_code": currency}


def edit_fields(view: OrderView, options: EditOptions | None, t: Translator) -> dict[str, Any]:
    """The order's edit part of the contract: may it be edited, until when, its line items with the quantities
    and variants they may take, its shipping address, and the open or latest edit."""
    eligibility = (
        options.eligibility
        if options is not None
        else check_edit_eligibility(view.order, view.policy, services().clock())
    )
    products = options.products if options is not None else {}
    order = view.order
    # An open edit or cancellation request must finish first (409 edit_in_progress / cancellation_in_progress).
    busy = any(found is not None and not found.status.is_final for found in (view.edit, view.request))
    editable = eligibility.eligible and not busy
    lines = []
    for item in editable_lines(order):
        offered = variant_options(item, products, view.policy) if eligibility.eligible else []
        lines.append(
            {
                "id": item.legacy_id,
                "title": item.title or item.name,
                "variant_title": item.variant_title,
                "quantity": item.quantity_now,
                "editable_quantity": editable_quantity(item) if view.policy.edit_quantities or offered else 0,
                "unit_price": money_of(item.unit_price, order.currency_code),
                "variant_id": legacy_id(item.variant_id) if item.variant_id else None,
                "variant_options": [
                    {"variant_id": option.legacy_id, "title": option.title, "available": option.available_for_sale}
                    for option in offered
                ],
            }
        )
    address = current_address(order)
    # Where the money of a lowered total goes: nowhere while the payment is only authorized (the lower total is
    # what gets captured) or when the policy refunds nothing.
    uncaptured = (order.display_financial_status or "").upper() in UNCAPTURED
    refunds = view.policy.refund_method is not RefundMethod.NONE and not uncaptured
    return {
        "editable": editable,
        "edit_ineligible_reasons": [
            {"code": reason.code, "message": t(f"edit_ineligible.{reason.code}")} for reason in eligibility.reasons
        ],
        "edit_deadline": iso(eligibility.deadline),
        "edits_offered": {
            "quantities": view.policy.edit_quantities,
            "variants": view.policy.edit_variants,
            "shipping_address": view.policy.edit_shipping_address and address is not None,
            "address_same_country": view.policy.edit_address_same_country,
        },
        "edit_refund_method": view.policy.refund_method.value if refunds else None,
        "line_items": lines,
        "shipping_address": address.model_dump() if address is not None else None,
        "edit": view.edit.public_dict(t) if view.edit is not None else None,
    }


ADDRESS_KEYS = frozenset(Address.model_fields)
ADDRESS_FIELD_MAX = 255
MAX_EDIT_LINES = 50


def edit_request(fields: dict[str, Any]) -> tuple[list[RequestedLine], dict[str, str | None] | None]:
    """The line items and address of an edit from a JSON body (the contract) or the page's form (400 otherwise)."""
    if "line_items" in fields or "shipping_address" in fields:
        return _lines(fields.get("line_items")), _address_fields(fields.get("shipping_address"))
    lines, address = [], {}
    for name, value in fields.items():
        if name.startswith("quantity-"):
            line_id = name.removeprefix("quantity-")
            variant = fields.get(f"variant-{line_id}")
            lines.append({"id": line_id, "quantity": value, "variant_id": variant or None})
        elif name.startswith("address-"):
            address[name.removeprefix("address-")] = value
    return _lines([_numbers(line) for line in lines] if lines else None), _address_fields(address or None)


def _numbers(line: dict[str, Any]) -> dict[str, Any]:
    """A form's text fields as the contract's numbers (anything not a number stays text and is refused)."""
    return {
        key: int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value
        for key, value in line.items()
    }


def _lines(raw: Any) -> list[RequestedLine]:
    if raw is None:
        return []
    invalid = ApiError(
        400, "invalid_line_items", "line_items must be a list of {id, quantity, variant_id} with whole numbers."
    )
    if not isinstance(raw, list) or len(raw) > MAX_EDIT_LINES:
        raise invalid
    lines = []
    for entry in raw:
        if not isinstance(entry, dict) or set(entry) - {"id", "quantity", "variant_id"}:
            raise invalid
        line_id, quantity, variant = entry.get("id"), entry.get("quantity"), entry.get("variant_id")
        if not _whole(line_id, 1) or not _whole(quantity, 0) or (variant is not None and not _whole(variant, 1)):
            raise invalid
        lines.append(RequestedLine(line_id, quantity, variant))
    return lines


def _whole(value: Any, least: int) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and least <= value < 2**63


def _address_fields(raw: Any) -> dict[str, str | None] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - ADDRESS_KEYS:
        raise ApiError(400, "invalid_address", f"shipping_address takes these keys: {', '.join(sorted(ADDRESS_KEYS))}.")
    for value in raw.values():
        if value is not None and (
            not isinstance(value, str)
            or len(value) > ADDRESS_FIELD_MAX
            or not _is_text(value)
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in value)
        ):
            raise ApiError(400, "invalid_address", "Each address field is text of at most 255 characters.")
    return dict(raw)


def request_fields() -> dict[str, Any]:
    """The POST's fields from a JSON body or a form; malformed JSON is a 400."""
    if request.mimetype == "application/json" or (request.data and request.data.lstrip()[:1] in (b"{", b"[")):
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # deeply nested arrays; json only turns malformed input into ValueError
            body = None
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
        return body
    return request.form.to_dict()


def reason_and_note(fields: dict[str, Any]) -> tuple[str, str | None]:
    """The chosen reason and the optional note of a cancellation, checked as text (400 otherwise)."""
    reason = fields.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError(400, "missing_reason", "Choose a reason for cancelling.")
    note = fields.get("note")
    if note is not None and not isinstance(note, str):
        raise ApiError(400, "invalid_note", "The note must be text.")
    note = (note or "").strip() or None
    if not _is_text(reason) or (note is not None and not _is_text(note)):
        raise ApiError(400, "invalid_text", "The reason and note must be plain text.")
    return reason.strip(), note


def _is_text(value: str) -> bool:
    # JSON can carry lone surrogates ("\ud800"), which are not text and cannot be stored.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
