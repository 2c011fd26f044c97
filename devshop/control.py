"""The devshop's JSON control API for tests and the launcher (no auth: development only)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from flask import Blueprint, Response, current_app, jsonify, redirect, request

from devshop.state import (
    DEFAULT_VARIANT_TITLE,
    DEMO_CUSTOMER_ID,
    REQUESTING_APP,
    DevshopState,
    FulfillmentOnHoldError,
    MailingAddress,
    NotFulfillableError,
    UnknownCustomerError,
    UnknownOrderError,
    UnknownVariantError,
    iso_utc,
)
from devshop.webhooks import WebhookSender

bp = Blueprint("devshop_control", __name__, url_prefix="/devshop")


def _state() -> DevshopState:
    return current_app.extensions["devshop"]


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _customer_id(body: dict[str, Any]) -> int | None:
    """The demo customer when absent; an explicit null makes a guest order."""
    if "customer_id" not in body:
        return DEMO_CUSTOMER_ID
    return None if body["customer_id"] is None else int(body["customer_id"])


@bp.errorhandler(UnknownOrderError)
@bp.errorhandler(UnknownVariantError)
def _unknown_order(error: Exception) -> tuple[Response, int]:
    return jsonify({"error": str(error)}), 404


@bp.errorhandler(FulfillmentOnHoldError)
def _on_hold(error: FulfillmentOnHoldError) -> tuple[Response, int]:
    return jsonify({"error": str(error), "code": "on_hold"}), 409


@bp.errorhandler(NotFulfillableError)
def _not_fulfillable(error: NotFulfillableError) -> tuple[Response, int]:
    return jsonify({"error": str(error), "code": error.code}), 409 if error.code == "cancelled" else 400


@bp.errorhandler(UnknownCustomerError)
@bp.errorhandler(ValueError)
@bp.errorhandler(TypeError)
@bp.errorhandler(KeyError)
def _bad_request(error: Exception) -> tuple[Response, int]:
    return jsonify({"error": str(error)}), 400


@bp.post("/reset")
def reset() -> Any:
    """Reseed the demo data and clear faults, calls, jobs and the throttle bucket.

    The home page's button (``?next=``) also tells the app to forget the shop, with the ``shop/redact`` webhook
    Shopify sends once a shop is gone: the seeded orders come back with the same ids, and the app would
    otherwise show them with the requests made for the orders before the reset.
    """
    target = request.args.get("next", "")
    from_the_home_page = target.startswith("/") and not target.startswith(("//", "/\\"))
    if from_the_home_page and request.headers.get("Origin") not in (None, request.host_url.rstrip("/")):
        # It erases the app's data for the shop: another site's page must not press the button.
        return jsonify({"error": "the reset button works from the devshop's own pages"}), 403
    _state().reset()
    if from_the_home_page:
        sender = current_app.extensions["devshop_webhooks"]
        sender.publish("shop/redact", {"shop_id": 1, "shop_domain": sender.shop_domain})
        return redirect(target, code=303)
    return jsonify({"ok": True})


@bp.get("/orders")
def list_orders() -> Response:
    """Every order, oldest first."""
    return jsonify([order.to_json() for order in _state().list_orders()])


@bp.post("/orders")
def create_order() -> tuple[Response, int]:
    """Create an order from JSON (customer_id, age_minutes or created_at, statuses, tags, flags, name, line_items,
    variants, shipping_address).

    ``line_items`` make a product each; ``variants`` (``[{"id": 21001, "quantity": 2}]``) sell catalogue variants
    (``POST /devshop/products``) from their stock (400 for an unknown or sold-out one). ``shipping_address`` takes
    snake_case fields (first_name, last_name, company, address1, address2, city, province_code, zip, country_code,
    phone); absent ships to the customer in Amsterdam, null ships nowhere.
    """
    body = _body()
    state = _state()
    legacy_id = state.create_order(
        customer_id=_customer_id(body),
        age_minutes=float(body.get("age_minutes", 5)),
        created_at=body.get("created_at"),
        display_fulfillment_status=body.get("display_fulfillment_status", "UNFULFILLED"),
        display_financial_status=body.get("display_financial_status", "PAID"),
        tags=list(body.get("tags", [])),
        cancelled=bool(body.get("cancelled", False)),
        closed=bool(body.get("closed", False)),
        fulfilled=bool(body.get("fulfilled", False)),
        name=body.get("name"),
        line_items=_line_items(body.get("line_items")),
        variants=_order_variants(body.get("variants")),
        shipping_address=_shipping_address(body),
        test=bool(body.get("test", False)),
    )
    order = state.get_order(legacy_id)
    assert order is not None
    return jsonify(order.to_json()), 201


def _order_variants(items: Any) -> list[tuple[int, int]] | None:
    """``[{"id": <variant id>, "quantity": 1}]`` from the control API; an unknown variant is a 400."""
    if items is None:
        return None
    if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
        raise ValueError('variants must be a non-empty list of {"id", "quantity"}')
    variants = [(int(item["id"]), int(item.get("quantity", 1))) for item in items]
    for variant_id, _ in variants:
        if _state().get_variant(variant_id) is None:
            raise ValueError(f"Variant {variant_id} does not exist")
    return variants


def _shipping_address(body: dict[str, Any]) -> MailingAddress | Literal["default"] | None:
    if "shipping_address" not in body:
        return "default"
    address = body["shipping_address"]
    if address is not None and not isinstance(address, dict):
        raise ValueError("shipping_address must be an object or null")
    return MailingAddress.from_json(address) if address is not None else None


def _line_items(items: Any) -> list[tuple[str, int, str, list[str]]] | None:
    """``[{"title", "quantity", "unit_price", "product_tags"}]`` from the control API; None for the default item."""
    if items is None:
        return None
    if not isinstance(items, list) or not items:
        raise ValueError("line_items must be a non-empty list")
    return [
        (
            str(item["title"]),
            int(item.get("quantity", 1)),
            str(item.get("unit_price", "25.00")),
            [str(tag) for tag in item.get("product_tags", [])],
        )
        for item in items
    ]


@bp.get("/orders/<int:legacy_id>")
def get_order(legacy_id: int) -> tuple[Response, int] | Response:
    """One order, including what its cancel was asked to do."""
    order = _state().get_order(legacy_id)
    if order is None:
        return jsonify({"error": f"Order {legacy_id} does not exist"}), 404
    return jsonify(order.to_json())


@bp.patch("/orders/<int:legacy_id>")
def update_order(legacy_id: int) -> Response:
    """Change the order's e-mail, name or shipping address as staff would (``{"email": ...}``, ``{"name": ...}``,
    ``{"shipping_address": {"city": ..., ...}}`` replacing the whole address, or null); orders/updated."""
    return jsonify(_state().update_order(legacy_id, _body()).to_json())


@bp.get("/order-edits")
def list_order_edits() -> Response:
    """Every order edit session (orderEditBegin), oldest first: what is staged on it and whether it was committed.

    Committed edits are also on their order (``GET /devshop/orders/<id>``: ``edits``, with the staff note).
    """
    return jsonify([session.to_json() for session in _state().list_edit_sessions()])


@bp.get("/products")
def list_products() -> Response:
    """Every product by id: the catalogue's and the one-variant products of line items created as titles."""
    return jsonify([product.to_json() for product in _state().list_products()])


@bp.post("/products")
def create_product() -> tuple[Response, int]:
    """Add a product: ``{"title", "tags", "options": ["Size"], "variants": [{"title": "M", "price": "29.00",
    "inventory_quantity": 3}]}`` (without variants, one "Default Title" variant); orders sell its variants by id."""
    body = _body()
    variants = body.get("variants")
    if variants is not None and (not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants)):
        raise ValueError('variants must be a list of {"title", "price", "inventory_quantity"}')
    rows = [
        (
            str(v.get("title") or DEFAULT_VARIANT_TITLE),
            str(v.get("price", "25.00")),
            int(v.get("inventory_quantity", 10)),
        )
        for v in variants or [{}]
    ]
    options = body.get("options")
    product = _state().add_product(
        str(body.get("title") or ""),
        rows,
        tags=[str(tag) for tag in body.get("tags", [])],
        options=[str(option) for option in options] if isinstance(options, list) else None,
    )
    return jsonify(product.to_json()), 201


@bp.get("/products/<int:legacy_id>")
def get_product(legacy_id: int) -> tuple[Response, int] | Response:
    """One product with its variants and their stock."""
    product = _state().get_product(legacy_id)
    if product is None:
        return jsonify({"error": f"Product {legacy_id} does not exist"}), 404
    return jsonify(product.to_json())


@bp.post("/variants/<int:variant_id>/inventory")
def set_inventory(variant_id: int) -> Response:
    """Set a variant's stock: ``{"inventory_quantity": 0}`` sells it out (availableForSale false); 404 if unknown."""
    body = _body()
    if "inventory_quantity" not in body:
        raise ValueError("inventory_quantity is required")
    state = _state()
    variant = state.set_inventory(variant_id, int(body["inventory_quantity"]))
    product = state.get_product(variant.product_id)
    assert product is not None
    return jsonify(product.to_json())


@bp.post("/orders/<int:legacy_id>/fulfill")
def fulfill(legacy_id: int) -> Response:
    """Ship the order, or part of it with ``{"line_items": [{"id": 9001, "quantity": 1}]}``, as a warehouse would.

    409 while any hold is on it or when it is cancelled; 400 for more than is left to ship.
    """
    return jsonify(_state().fulfill(legacy_id, _fulfillment_quantities(_body().get("line_items"))).to_json())


def _fulfillment_quantities(items: Any) -> dict[int, int] | None:
    if items is None:
        return None
    if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
        raise ValueError('line_items must be a non-empty list of {"id", "quantity"}')
    quantities: dict[int, int] = {}
    for item in items:
        if "id" not in item:
            raise ValueError('each line item needs its "id"')
        item_id = int(item["id"])
        quantities[item_id] = quantities.get(item_id, 0) + int(item.get("quantity", 1))
    return quantities


@bp.post("/orders/<int:legacy_id>/cancel")
def staff_cancel(legacy_id: int) -> Response:
    """Cancel the order as staff would (now, reason STAFF)."""
    return jsonify(_state().staff_cancel(legacy_id).to_json())


@bp.post("/orders/<int:legacy_id>/holds")
def add_hold(legacy_id: int) -> tuple[Response, int]:
    """Hold the order's fulfillment order as the merchant (default) or as another app ({"held_by": "name"})."""
    state, body = _state(), _body()
    order = state.get_order(legacy_id)
    if order is None:
        return jsonify({"error": f"Order {legacy_id} does not exist"}), 404
    held_by = str(body.get("held_by") or "merchant")
    if held_by == REQUESTING_APP:
        return jsonify({"error": "holds of the app itself are placed through the Admin API"}), 400
    hold, errors = state.hold_fulfillment_order(
        order.fulfillment_orders[0].gid,
        reason=str(body.get("reason") or "OTHER"),
        held_by=held_by,
        handle=str(body.get("handle") or ""),
        reason_notes=body.get("reason_notes"),
    )
    if hold is None:
        return jsonify({"error": errors}), 422
    return jsonify({"hold": {"id": hold.gid, "held_by": hold.held_by}, "order": order.to_json()}), 201


@bp.post("/orders/<int:legacy_id>/holds/release")
def release_holds(legacy_id: int) -> tuple[Response, int]:
    """Release holds as the merchant: {"hold_ids": [...]}, or every hold without it."""
    state, body = _state(), _body()
    order = state.get_order(legacy_id)
    if order is None:
        return jsonify({"error": f"Order {legacy_id} does not exist"}), 404
    hold_ids = body.get("hold_ids")
    state.release_fulfillment_holds(order.fulfillment_orders[0].gid, hold_ids, released_by="merchant")
    return jsonify(order.to_json()), 200


def _webhooks() -> WebhookSender:
    return current_app.extensions["devshop_webhooks"]


@bp.get("/webhooks")
def list_webhooks() -> Response:
    """Whether webhooks are delivered, and every delivery so far (topic, attempts, answers)."""
    sender = _webhooks()
    return jsonify({"enabled": sender.enabled, "url": sender.url, "deliveries": sender.report()})


@bp.post("/webhooks")
def switch_webhooks() -> Response:
    """{"enabled": true|false}: turn deliveries to the app on or off; {"clear": true} forgets finished ones."""
    sender, body = _webhooks(), _body()
    if "enabled" in body:
        sender.enabled = bool(body["enabled"])
    if body.get("clear"):
        sender.clear()
    return jsonify({"enabled": sender.enabled})


@bp.post("/webhooks/send")
def send_webhook() -> tuple[Response, int]:
    """Deliver any topic with a given payload, e.g. app/uninstalled or the compliance topics."""
    body = _body()
    topic, payload = body.get("topic"), body.get("payload")
    if not isinstance(topic, str) or "/" not in topic or not isinstance(payload, dict):
        return jsonify({"error": 'send {"topic": "a/b", "payload": {...}}'}), 400
    delivery = _webhooks().publish(topic, payload)
    if delivery is None:
        return jsonify({"error": 'webhooks are turned off (POST /devshop/webhooks {"enabled": true})'}), 409
    return jsonify({"webhook_id": delivery.webhook_id}), 202


@bp.post("/jobs/finish")
def finish_jobs() -> Response:
    """Complete every pending cancel job now (also ones hung by a fault)."""
    _state().finish_jobs()
    return jsonify({"ok": True})


@bp.get("/calls")
def calls() -> Response:
    """The Admin API call log, oldest first."""
    state = _state()
    with state.lock:
        entries = [{**asdict(call), "at_iso": iso_utc(call.at)} for call in state.calls]
    return jsonify(entries)


@bp.get("/throttle")
def throttle_status() -> Response:
    """The throttle bucket now."""
    return jsonify(_state().throttle_status())


@bp.post("/throttle")
def set_throttle() -> Response:
    """Reconfigure the throttle bucket (maximum_available, restore_rate, currently_available)."""
    body = _body()
    return jsonify(
        _state().set_throttle(
            maximum_available=body.get("maximum_available"),
            restore_rate=body.get("restore_rate"),
            currently_available=body.get("currently_available"),
        )
    )


@bp.get("/faults")
def list_faults() -> Response:
    """Pending faults in firing order."""
    state = _state()
    with state.lock:
        return jsonify([asdict(fault) for fault in state.faults])


@bp.post("/faults")
def add_fault() -> tuple[Response, int]:
    """Inject a fault: operation ("*"), kind, times (1), delay (0), message."""
    body = _body()
    if "kind" not in body:
        raise ValueError("kind is required")
    fault = _state().add_fault(
        operation=str(body.get("operation", "*")),
        kind=str(body["kind"]),
        times=int(body.get("times", 1)),
        delay=float(body.get("delay", 0.0)),
        message=body.get("message"),
    )
    return jsonify(asdict(fault)), 201


@bp.delete("/faults")
def clear_faults() -> Response:
    """Remove every pending fault."""
    _state().clear_faults()
    return jsonify({"ok": True})
