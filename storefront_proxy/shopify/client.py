"""The one place the app calls Shopify's Admin GraphQL API (gql over requests).

Each public method sends one named operation from ``operations/`` and returns validated models. Failures are
sorted into ``errors``: transient ones (network, 5xx, THROTTLED) are retried here a bounded number of times,
then raised for the caller (an RQ retry in the worker, a 503 on the storefront).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import requests
from gql import GraphQLRequest, gql
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportError,
    TransportProtocolError,
    TransportServerError,
)
from gql.transport.requests import RequestsHTTPTransport
from graphql import print_ast

from storefront_proxy.shopify.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyQueryError,
    ShopifyThrottledError,
    ShopifyTokenRefusedError,
    ShopifyTransientError,
)
from storefront_proxy.shopify.models import (
    CalculatedOrder,
    CancelJob,
    FulfillmentHold,
    Order,
    OrderCancellation,
    OrderFulfillmentOrders,
    OrderPayments,
    ProductVariants,
    Refund,
    UserError,
    order_gid,
)

log = logging.getLogger(__name__)

OPERATIONS_DIR = Path(__file__).with_name("operations")
FRAGMENTS_DIR = OPERATIONS_DIR / "fragments"
# Shopify caps staffNote at 255 characters (orderCancel docs).
STAFF_NOTE_MAX = 255
# What Shopify's 401 says about a token it does not accept (any other plain-string error is not about the token).
INVALID_TOKEN_TEXT = "Invalid API key or access token"
# Never wait longer than this for the cost bucket inside one call; beyond it the caller retries later.
MAX_THROTTLE_WAIT_SECONDS = 20.0
FRAGMENT_SPREAD = re.compile(r"\.\.\.([A-Za-z_][A-Za-z0-9_]*)")
FRAGMENT_DEFINITION = re.compile(r"^fragment ([A-Za-z_][A-Za-z0-9_]*) on ", re.MULTILINE)


def _fragment_sources() -> dict[str, str]:
    """Each fragment's name → its file's source (one fragment per file in ``operations/fragments``)."""
    sources = {}
    for path in sorted(FRAGMENTS_DIR.glob("*.graphql")):
        source = path.read_text()
        for name in FRAGMENT_DEFINITION.findall(source):
            sources[name] = source
    return sources


def load_operation(name: str) -> str:
    """The source of ``operations/<name>.graphql`` with the fragments it spreads appended (each once: GraphQL
    refuses a document with an unused or repeated fragment)."""
    fragments = _fragment_sources()
    source = (OPERATIONS_DIR / f"{name}.graphql").read_text()
    appended: list[str] = []
    pending = FRAGMENT_SPREAD.findall(source)
    while pending:
        fragment = pending.pop()
        if fragment in appended:
            continue
        appended.append(fragment)
        pending += FRAGMENT_SPREAD.findall(fragments[fragment])
    return "\n".join([source, *(fragments[fragment] for fragment in sorted(appended))])


OPERATION_FILES = (
    "get_order",
    "get_order_to_decide",
    "get_order_with_product_tags",
    "list_customer_orders",
    "list_customer_orders_with_product_tags",
    "cancel_order",
    "get_job",
    "get_order_cancelled_at",
    "get_app_installation",
    "set_app_metafields",
    "add_tags",
    "get_fulfillment_orders",
    "hold_fulfillment_order",
    "release_fulfillment_hold",
    "get_variant_options",
    "get_order_to_edit",
    "get_order_payments",
    "begin_order_edit",
    "set_order_edit_quantity",
    "add_order_edit_variant",
    "commit_order_edit",
    "refund_edit_difference",
    "update_shipping_address",
)
DOCUMENTS: dict[str, GraphQLRequest] = {name: gql(load_operation(name)) for name in OPERATION_FILES}
# Each document as it is sent, printed once: gql prints the document again on every call (GraphQLRequest.payload),
# which cost about a sixth of a storefront read's Python time.
QUERIES: dict[str, str] = {name: print_ast(request.document) for name, request in DOCUMENTS.items()}


class PrintedRequest(GraphQLRequest):
    """One call of ``operation`` with ``variables``, its query text printed when this module loaded."""

    def __init__(self, operation: str, variables: dict[str, Any]) -> None:
        super().__init__(DOCUMENTS[operation], variable_values=variables)
        self.query = QUERIES[operation]

    @property
    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"query": self.query}
        if self.variable_values:
            payload["variables"] = self.variable_values
        return payload


# What each operation is expected to cost (requested cost, Shopify's rules, checked against the README's table by
# tests/shopify/test_document_costs.py): what a call takes from the shop's bucket before it is sent. A list's cost
# grows with its page size; each client learns the real figure from Shopify's answers.
ESTIMATED_COSTS: dict[str, float] = {
    "get_order": 111,
    "get_order_to_decide": 7,
    "get_order_with_product_tags": 131,
    "list_customer_orders": 72,
    "list_customer_orders_with_product_tags": 502,
    "cancel_order": 12,
    "get_job": 1,
    "get_order_cancelled_at": 1,
    "get_app_installation": 1,
    "set_app_metafields": 12,
    "add_tags": 12,
    "get_fulfillment_orders": 43,
    "hold_fulfillment_order": 13,
    "release_fulfillment_hold": 12,
    "get_variant_options": 23,
    "get_order_to_edit": 50,
    "get_order_payments": 35,
    "begin_order_edit": 56,
    "set_order_edit_quantity": 14,
    "add_order_edit_variant": 14,
    "commit_order_edit": 14,
    "refund_edit_difference": 14,
    "update_shipping_address": 13,
}


class Reservation(Protocol):
    granted: bool
    wait: float


class CallPacer(Protocol):
    """Paces every process's calls to a shop by the shop's cost bucket (``cost_bucket/repository.py``)."""

    def reserve(self, shop: str, cost: float, max_wait: float) -> Any: ...

    def settle(
        self, shop: str, refund: float, throttle_status: dict[str, Any] | None, reservation: Any = None
    ) -> None: ...


def user_errors(payload: dict[str, Any], field: str = "userErrors") -> list[UserError]:
    """A mutation payload's user errors: Shopify's reasons for refusing, sent as data, not as GraphQL errors."""
    return [UserError.model_validate(error) for error in payload.get(field) or []]


@dataclass(frozen=True)
class EditStep:
    """What an order-edit mutation answered: the edit session's order with the staged changes, or Shopify's
    reasons for refusing."""

    calculated_order: CalculatedOrder | None
    user_errors: list[UserError]


def _edit_step(payload: dict[str, Any]) -> EditStep:
    calculated = payload.get("calculatedOrder")
    return EditStep(CalculatedOrder.model_validate(calculated) if calculated else None, user_errors(payload))


@dataclass(frozen=True)
class CancelResult:
    """What ``orderCancel`` answered: a Job to poll, or Shopify's reasons for refusing."""

    job: CancelJob | None
    user_errors: list[UserError]


def _order(node: dict[str, Any], product_tags: bool, line_items: bool = True) -> Order:
    return Order.model_validate({**node, "productTagsRead": product_tags, "lineItemsRead": line_items})


def admin_endpoint(shop: str, api_version: str, admin_origin: str | None = None) -> str:
    """``https://{shop}/admin/api/{version}/graphql.json``, or the same path on ``admin_origin``."""
    origin = admin_origin.rstrip("/") if admin_origin else f"https://{shop}"
    return f"{origin}/admin/api/{api_version}/graphql.json"


class ShopifyClient:
    """Admin GraphQL calls for one shop with its access token.

    ``renew_token`` is asked for a replacement when Shopify answers 401 to the token (it gets the refused one and
    returns a new one or None); the call is then sent once more with it. Nothing runs on a 401, so even a
    mutation is safe to send again.
    """

    def __init__(
        self,
        shop: str,
        access_token: str,
        *,
        api_version: str,
        admin_origin: str | None = None,
        timeout: float = 10.0,
        max_attempts: int = 3,
        max_throttle_wait: float = MAX_THROTTLE_WAIT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        renew_token: Callable[[str], str | None] | None = None,
        pacer: CallPacer | None = None,
    ) -> None:
        self.shop = shop
        self._pacer = pacer
        # The requested cost Shopify last reported for each operation (ESTIMATED_COSTS until then).
        self._costs: dict[str, float] = {}
        self._access_token = access_token
        self._renew_token = renew_token
        self.max_attempts = max_attempts
        self.max_throttle_wait = max_throttle_wait
        self._sleep = sleep
        self._transport = RequestsHTTPTransport(
            url=admin_endpoint(shop, api_version, admin_origin),
            headers={"X-Shopify-Access-Token": access_token, "Content-Type": "application/json"},
            timeout=timeout,  # type: ignore[arg-type]  # requests takes seconds as a float; gql's hint says int
            retries=0,
            verify=True,
        )
        # gql hands back a JSON body of any HTTP status as a GraphQL result, so {"errors": "Exceeded 2 calls per
        # second..."} (429) or {"errors": "Internal Server Error"} (500) would look like a GraphQL error. The
        # status is kept from requests' response hook and decides first.
        self._last_status: int | None = None
        self._last_retry_after: str | None = None

    # -- operations -----------------------------------------------------------------------------

    def get_order(self, order_id: int, *, product_tags: bool = False, line_items: bool = True) -> Order | None:
        """The order with numeric id ``order_id`` and its line items (with their products' tags when asked), or
        None when the shop has no such order. ``line_items=False`` leaves them out, unless their products' tags
        are asked for: what deciding needs, for a quarter of the points."""
        if product_tags:
            operation, line_items = "get_order_with_product_tags", True
        else:
            operation = "get_order" if line_items else "get_order_to_decide"
        data = self.execute(operation, {"id": order_gid(order_id)})
        return _order(data["order"], product_tags, line_items) if data.get("order") else None

    def get_order_to_edit(self, order_id: int) -> Order | None:
        """The order with each line's quantities and variant (no prices, products or address), or None: what the
        edit worker judges and compares with the edit. Not for the cache: it lacks what the page shows."""
        data = self.execute("get_order_to_edit", {"id": order_gid(order_id)})
        return _order(data["order"], product_tags=False, line_items=False) if data.get("order") else None

    def get_order_cancellation(self, order_id: int) -> OrderCancellation | None:
        """Just whether the order is cancelled (and when), or None when the shop has no such order."""
        data = self.execute("get_order_cancelled_at", {"id": order_gid(order_id)})
        return OrderCancellation.model_validate(data["order"]) if data.get("order") else None

    def list_customer_orders(self, customer_id: int, first: int = 20, *, product_tags: bool = False) -> list[Order]:
        """The customer's most recent orders, newest first: no line items, unless their products' tags are asked for."""
        operation = "list_customer_orders_with_product_tags" if product_tags else "list_customer_orders"
        data = self.execute(operation, {"first": first, "query": f"customer_id:{customer_id}"})
        orders = [_order(node, product_tags, line_items=product_tags) for node in data["orders"]["nodes"]]
        # Shopify's search is fuzzy about unknown filters; never show another customer's order.
        return [order for order in orders if order.belongs_to(customer_id)]

    def cancel_order(
        self,
        order_id: int,
        *,
        refund_method: dict[str, Any] | None,
        restock: bool,
        notify_customer: bool,
        staff_note: str,
    ) -> CancelResult:
        """Ask Shopify to cancel the order as the customer's wish; the work runs as a Shopify Job."""
        variables = {
            "orderId": order_gid(order_id),
            "reason": "CUSTOMER",
            "restock": restock,
            "refundMethod": refund_method,
            "notifyCustomer": notify_customer,
            "staffNote": staff_note[:STAFF_NOTE_MAX],
        }
        # A mutation must not be sent twice on an ambiguous failure (network drop after sending): only a
        # throttled answer, which Shopify gives before running anything, is retried here.
        payload = self.execute("cancel_order", variables, idempotent=False)["orderCancel"]
        job = payload.get("job")
        return CancelResult(
            job=CancelJob.model_validate(job) if job else None,
            user_errors=user_errors(payload, "orderCancelUserErrors"),
        )

    def app_installation_id(self) -> str:
        """The GID of this app's installation on the shop (the owner of app-data metafields)."""
        return str(self.execute("get_app_installation", {})["currentAppInstallation"]["id"])

    def set_app_metafield(self, namespace: str, key: str, value: str) -> list[UserError]:
        """Set one text app-data metafield; returns Shopify's user errors (empty on success)."""
        metafield = {
            "ownerId": self.app_installation_id(),
            "namespace": namespace,
            "key": key,
            "type": "single_line_text_field",
            "value": value,
        }
        # metafieldsSet is idempotent (it sets, it does not append), so retrying it is safe.
        payload = self.execute("set_app_metafields", {"metafields": [metafield]})["metafieldsSet"]
        return user_errors(payload)

    def add_order_tags(self, order_id: int, tags: list[str]) -> list[UserError]:
        """Add ``tags`` to the order; returns Shopify's user errors (empty on success)."""
        # tagsAdd adds without duplicating, so a retry after an ambiguous failure is safe.
        payload = self.execute("add_tags", {"id": order_gid(order_id), "tags": tags})["tagsAdd"]
        return user_errors(payload)

    def get_fulfillment_orders(self, order_id: int) -> OrderFulfillmentOrders | None:
        """The order's fulfillment orders with their holds, or None when the shop has no such order."""
        data = self.execute("get_fulfillment_orders", {"id": order_gid(order_id)})
        return OrderFulfillmentOrders.model_validate(data["order"]) if data.get("order") else None

    def hold_fulfillment_order(
        self, fulfillment_order_id: str, *, handle: str, notes: str
    ) -> tuple[FulfillmentHold | None, list[UserError]]:
        """Place this app's hold ``handle`` on a fulfillment order; the hold, or Shopify's user errors."""
        hold_input = {"reason": "OTHER", "reasonNotes": notes, "handle": handle, "notifyMerchant": False}
        # A handle is unique per app and fulfillment order, so a repeated send cannot make a second hold.
        payload = self.execute("hold_fulfillment_order", {"id": fulfillment_order_id, "fulfillmentHold": hold_input})[
            "fulfillmentOrderHold"
        ]
        hold = payload.get("fulfillmentHold")
        return (FulfillmentHold.model_validate(hold) if hold else None), user_errors(payload)

    def release_fulfillment_hold(self, fulfillment_order_id: str, hold_ids: list[str]) -> list[UserError]:
        """Release exactly ``hold_ids`` on the fulfillment order; returns Shopify's user errors."""
        # Releasing a hold that is already gone changes nothing, so a retry is safe.
        data = self.execute("release_fulfillment_hold", {"id": fulfillment_order_id, "holdIds": hold_ids})
        payload = data["fulfillmentOrderReleaseHold"]
        return user_errors(payload)

    def get_variant_options(self, product_ids: list[str]) -> dict[str, ProductVariants]:
        """The variants of each product (by GID) that still exists, keyed by the product's GID."""
        if not product_ids:
            return {}
        data = self.execute("get_variant_options", {"ids": product_ids})
        products = [ProductVariants.model_validate(node) for node in data.get("nodes") or [] if node and node.get("id")]
        return {product.id: product for product in products}

    def get_order_payments(self, order_id: int) -> OrderPayments | None:
        data = self.execute("get_order_payments", {"id": order_gid(order_id)})
        return OrderPayments.model_validate(data["order"]) if data.get("order") else None

    # Order editing (https://shopify.dev/docs/apps/build/orders-fulfillment/order-management-apps/edit-orders):
    # beginning and staging change nothing on the order until the commit, so they are safe to send again; the
    # commit is not (its caller claims it first, like orderCancel).

    def begin_order_edit(self, order_id: int) -> EditStep:
        return _edit_step(self.execute("begin_order_edit", {"id": order_gid(order_id)})["orderEditBegin"])

    def set_order_edit_quantity(self, session_id: str, line_item_id: str, quantity: int, *, restock: bool) -> EditStep:
        variables = {"id": session_id, "lineItemId": line_item_id, "quantity": quantity, "restock": restock}
        return _edit_step(self.execute("set_order_edit_quantity", variables)["orderEditSetQuantity"])

    def add_order_edit_variant(self, session_id: str, variant_id: str, quantity: int) -> EditStep:
        variables = {"id": session_id, "variantId": variant_id, "quantity": quantity}
        return _edit_step(self.execute("add_order_edit_variant", variables)["orderEditAddVariant"])

    def commit_order_edit(self, session_id: str, *, notify_customer: bool, staff_note: str) -> list[UserError]:
        """Commit the session's staged changes to the order; Shopify's user errors (empty on success)."""
        variables = {"id": session_id, "notifyCustomer": notify_customer, "staffNote": staff_note[:STAFF_NOTE_MAX]}
        payload = self.execute("commit_order_edit", variables, idempotent=False)["orderEditCommit"]
        return user_errors(payload)

    def refund(self, refund_input: dict[str, Any], *, idempotency_key: str) -> tuple[Refund | None, list[UserError]]:
        """refundCreate with ``idempotency_key``: the same key always answers the first refund, so this is safe
        to send again after an ambiguous failure."""
        variables = {"input": refund_input, "idempotencyKey": idempotency_key}
        payload = self.execute("refund_edit_difference", variables)["refundCreate"]
        refund = payload.get("refund")
        return (Refund.model_validate(refund) if refund else None), user_errors(payload)

    def update_shipping_address(self, order_id: int, address: dict[str, Any]) -> list[UserError]:
        """Replace the order's shipping address (MailingAddressInput fields); Shopify's user errors."""
        variables = {"input": {"id": order_gid(order_id), "shippingAddress": address}}
        return user_errors(self.execute("update_shipping_address", variables)["orderUpdate"])

    def get_job(self, job_id: str) -> CancelJob | None:
        data = self.execute("get_job", {"id": job_id})
        return CancelJob.model_validate(data["job"]) if data.get("job") else None

    # -- transport ------------------------------------------------------------------------------

    def execute(self, operation: str, variables: dict[str, Any], *, idempotent: bool = True) -> dict[str, Any]:
        """Send one operation, retrying transient failures up to ``max_attempts`` times.

        A non-idempotent operation is retried only when throttled, which Shopify answers without running it.
        A refused token is renewed once (``renew_token``) and the operation sent again with the new one.
        """
        try:
            return self._execute_with_retries(operation, variables, idempotent)
        except ShopifyTokenRefusedError:
            renewed = self._renew_token(self._access_token) if self._renew_token is not None else None
            if not renewed or renewed == self._access_token:
                raise
            log.info("shopify refused the access token; sending %s again with a renewed one", operation)
            self._access_token = renewed
            self._transport.headers = {**(self._transport.headers or {}), "X-Shopify-Access-Token": renewed}
            return self._execute_with_retries(operation, variables, idempotent)

    def _execute_with_retries(self, operation: str, variables: dict[str, Any], idempotent: bool) -> dict[str, Any]:
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._execute_once(operation, variables)
            except ShopifyTransientError as exc:
                if attempt == self.max_attempts or not (idempotent or isinstance(exc, ShopifyThrottledError)):
                    raise
                # A caller that cannot wait that long (a shopper's page) hears about it at once.
                if isinstance(exc, ShopifyThrottledError) and exc.retry_after > self.max_throttle_wait:
                    raise
                wait = exc.retry_after if isinstance(exc, ShopifyThrottledError) else 0.5 * 2 ** (attempt - 1)
                log.info(
                    "shopify %s transient failure, retrying in %.1fs: %s",
                    operation,
                    wait,
                    exc,
                    extra={"shop": self.shop},
                )
                self._sleep(wait)
        raise AssertionError("unreachable")

    def _execute_once(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        request = PrintedRequest(operation, variables)
        reserved, reservation = self._reserve(operation)
        self._forget_last_response()
        try:
            if self._transport.session is None:
                self._connect()
            result = self._transport.execute(request)
        except TransportServerError as exc:
            # An answer of HTTP >= 400 whose body is not JSON (a proxy's HTML page, plain text).
            raise self._status_error(exc.code or self._last_status or 500, "") from exc
        except (TransportConnectionFailed, TransportProtocolError) as exc:
            raise ShopifyTransientError(f"Shopify could not be reached: {type(exc).__name__}") from exc
        except TransportError as exc:
            raise ShopifyTransientError(f"Shopify transport failed: {type(exc).__name__}") from exc

        self._settle(operation, reserved, reservation, result.extensions)
        if self._last_status is not None and self._last_status >= 400:
            raise self._status_error(self._last_status, _error_text(result.errors))
        if result.errors:
            self._raise_for_errors(result.errors, result.extensions or {})
        if result.data is None:
            raise ShopifyTransientError("Shopify answered without data")
        return result.data

    def _reserve(self, operation: str) -> tuple[float, Reservation | None]:
        """Take the call's points from the shop's bucket, waiting for them when they are not there yet; a wait
        longer than this caller allows is a throttle, raised before anything is sent."""
        if self._pacer is None:
            return 0.0, None
        cost = self._costs.get(operation) or ESTIMATED_COSTS.get(operation, 50.0)
        reservation = self._pacer.reserve(self.shop, cost, self.max_throttle_wait)
        if not reservation.granted:
            raise ShopifyThrottledError("the shop's Admin API budget is spent for now", retry_after=reservation.wait)
        if reservation.wait > 0:
            self._sleep(reservation.wait)
        return cost, reservation

    def _settle(
        self, operation: str, reserved: float, reservation: Reservation | None, extensions: dict[str, Any] | None
    ) -> None:
        """Give back what the call did not spend (all of it when throttled) and pass on Shopify's figures."""
        cost = (extensions or {}).get("cost") or {}
        requested, actual = cost.get("requestedQueryCost"), cost.get("actualQueryCost")
        if isinstance(requested, int | float) and requested > 0:
            self._costs[operation] = float(requested)
        if self._pacer is None:
            return
        spent = float(actual) if isinstance(actual, int | float) else 0.0 if requested is not None else reserved
        self._pacer.settle(self.shop, reserved - spent, cost.get("throttleStatus"), reservation)

    def _connect(self) -> None:
        """Open the transport's session, its response hook noting each answer's status and Retry-After."""
        self._transport.connect()
        session = self._transport.session
        assert session is not None
        # requests reads proxies and .netrc from the environment on every call unless told not to; the Admin API is
        # reached directly (a deployment that needs a proxy sets it on the session, not in the process's env).
        session.trust_env = False
        session.hooks["response"].append(self._note_response)

    def _forget_last_response(self) -> None:
        """Before a call: what the response hook noted of the previous answer no longer applies."""
        self._last_status, self._last_retry_after = None, None

    def _note_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """requests' response hook: keep what the classification needs of the HTTP answer."""
        self._last_status = response.status_code
        self._last_retry_after = response.headers.get("Retry-After")

    def _status_error(self, status: int, text: str) -> ShopifyError:
        """The error an HTTP error answer means, sorted by its status whatever its body says.

        401: the token (a refresh may help); 402 (shop frozen or unpaid), 403 (scope or access) and 423 (shop
        locked): refused, no new token or retry fixes it; 429: throttled, retry after Retry-After; 5xx:
        transient. https://shopify.dev/docs/api/usage/response-codes
        """
        detail = f"Shopify answered HTTP {status}" + (f": {text[:200]}" if text else "")
        if status == 401:
            return ShopifyTokenRefusedError(detail)
        if status in (402, 403, 423):
            return ShopifyAuthError(detail)
        if status == 429:
            return ShopifyThrottledError(detail, retry_after=retry_after_seconds(self._last_retry_after))
        if status >= 500:
            return ShopifyTransientError(detail)
        return ShopifyQueryError(detail)

    @staticmethod
    def _raise_for_errors(errors: Any, extensions: dict[str, Any]) -> None:
        # Plain-string errors normally come with an HTTP error status (sorted above); on a 200 the invalid-token
        # text still means the token, anything else a refusal.
        if isinstance(errors, str):
            if INVALID_TOKEN_TEXT in errors:
                raise ShopifyTokenRefusedError("Shopify refused the access token")
            raise ShopifyAuthError(f"Shopify refused the request: {errors[:200]}")
        codes = {((error or {}).get("extensions") or {}).get("code") for error in errors}
        if "THROTTLED" in codes:
            raise ShopifyThrottledError("Shopify throttled the request", retry_after=throttle_wait(extensions))
        if codes & {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"}:
            raise ShopifyTransientError("Shopify reported an internal error")
        if codes & {"ACCESS_DENIED", "UNAUTHORIZED"}:
            raise ShopifyAuthError("Shopify denied access to the operation")
        first = errors[0].get("message", "unknown error") if errors else "unknown error"
        raise ShopifyQueryError(f"Shopify rejected the query: {first}")

    def close(self) -> None:
        """Close the HTTP session (and its pooled connections to Shopify)."""
        self._transport.close()

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _error_text(errors: Any) -> str:
    """Shopify's error body as one line: a plain string, or the messages of a GraphQL errors list."""
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        return "; ".join(str((error or {}).get("message", "")) for error in errors if isinstance(error, dict))
    return ""


def retry_after_seconds(header: str | None) -> float:
    """Seconds a 429's ``Retry-After`` asks for (a number; HTTP dates and nonsense count as 1 s), bounded."""
    try:
        seconds = float(header) if header is not None else 1.0
    except ValueError:
        seconds = 1.0
    if seconds != seconds:  # NaN
        seconds = 1.0
    return min(max(seconds, 0.5), MAX_THROTTLE_WAIT_SECONDS)


def throttle_wait(extensions: dict[str, Any]) -> float:
    """Seconds the cost bucket needs before the throttled query fits again.

    Shopify's rate-limit docs: wait (requestedQueryCost - currentlyAvailable) / restoreRate.
    https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits
    """
    cost = extensions.get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        needed = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        wait = needed / float(status["restoreRate"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return 1.0
    return min(max(wait, 0.5), MAX_THROTTLE_WAIT_SECONDS)
