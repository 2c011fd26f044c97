"""The Admin GraphQL endpoint: auth, cost and throttling, validation and execution on the real schema, faults."""

from __future__ import annotations

import base64
import logging
import re
import socket
import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import graphql
from flask import Blueprint, Response, current_app, jsonify, request
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.execution.values import get_directive_values

from devshop.schema import API_VERSION, load_admin_schema
from devshop.state import (
    COUNTRY_NAMES,
    PAYMENT_GATEWAY,
    REQUEST_FAULT_KINDS,
    REQUESTING_APP,
    AppMetafield,
    CalculatedLine,
    Customer,
    DevshopState,
    EditOutcome,
    Fulfillment,
    FulfillmentHold,
    FulfillmentOrder,
    Job,
    LineItem,
    MailingAddress,
    MetafieldInputError,
    Order,
    OrderEditSession,
    Product,
    ProductVariant,
    Refund,
    Transaction,
    UnknownOrderError,
    iso_utc,
    legacy_id_from_gid,
    money_amount,
)

log = logging.getLogger(__name__)

bp = Blueprint("devshop_admin_api", __name__)

INVALID_TOKEN_MESSAGE = "[API] Invalid API key or access token (unrecognized login or wrong password)"
RATE_LIMITS_DOC = "https://shopify.dev/api/usage/rate-limits"
MUTATION_COST = 10
CONNECTION_COST = 2
MAX_QUERY_COST = 1000
MAX_PAGE_SIZE = 250
# Plain-text answers, as a proxy or load balancer in front of Shopify gives them.
HTTP_FAULT_STATUS = {"http_500": 500, "http_502": 502, "http_503": 503}
HTTP_FAULT_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
# Shopify's own JSON answers: a string `errors` (https://shopify.dev/docs/api/usage/response-codes).
JSON_FAULT_STATUS = {"http_429": 429, "http_500_json": 500, "http_503_json": 503}
JSON_FAULT_ERRORS = {
    429: "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass
class RequestContext:
    """What resolvers need: the shop and the operation being run (for fault targeting)."""

    state: DevshopState
    operation_name: str | None


# -- the endpoint ---------------------------------------------------------------------------------------------------


@bp.post("/admin/api/<version>/graphql.json")
def graphql_endpoint(version: str) -> Response | tuple[Response, int]:
    """Serve one Admin API GraphQL request the way Shopify does."""
    state: DevshopState = current_app.extensions["devshop"]
    if not current_app.extensions["devshop_oauth"].admits(request.headers.get("X-Shopify-Access-Token"), state):
        return jsonify({"errors": INVALID_TOKEN_MESSAGE}), 401
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return jsonify({"errors": {"query": "Required parameter missing or invalid"}}), 400
    if version != API_VERSION:
        log.warning("Request for API version %s; the devshop serves %s's schema", version, API_VERSION)
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        return jsonify({"errors": {"query": "Required parameter missing or invalid"}}), 400
    payload, status = handle_graphql(state, body["query"], variables, body.get("operationName"), version)
    if isinstance(payload, str):
        return Response(payload, status=status, mimetype="text/plain")
    response = jsonify(payload)
    response.status_code = status
    if status == 429:
        response.headers["Retry-After"] = "1.0"
    return response


def handle_graphql(
    state: DevshopState,
    query: str,
    variables: dict[str, Any],
    operation_name: str | None,
    api_version: str | None = None,
) -> tuple[dict[str, Any] | str, int]:
    """Run one authenticated request; returns (JSON payload or plain-text body, HTTP status)."""
    schema = load_admin_schema()
    try:
        document = graphql.parse(query)
    except GraphQLError as error:
        state.record_call(operation_name, variables, api_version)
        return {"errors": [_validation_error(error)]}, 200
    operation = graphql.get_operation_ast(document, operation_name)
    if operation_name is None and operation is not None and operation.name is not None:
        operation_name = operation.name.value
    call = state.record_call(operation_name, variables, api_version)

    errors = graphql.validate(schema, document)
    if errors:
        return {"errors": [_validation_error(error) for error in errors]}, 200

    requested = request_cost(schema, document, operation_name, variables)
    fault = state.take_fault(operation_name, REQUEST_FAULT_KINDS)
    if fault is not None:
        call.fault = fault.kind
        log.info("Fault %s fired for %s", fault.kind, operation_name)
        if fault.kind in HTTP_FAULT_STATUS:
            status = HTTP_FAULT_STATUS[fault.kind]
            return fault.message or HTTP_FAULT_TEXT[status], status
        if fault.kind in JSON_FAULT_STATUS:
            status = JSON_FAULT_STATUS[fault.kind]
            return {"errors": fault.message or JSON_FAULT_ERRORS[status]}, status
        if fault.kind == "reset":
            reset_connection()
        if fault.kind == "timeout":
            # Longer than the app's SHOPIFY_TIMEOUT_SECONDS: the app gives up; Shopify runs nothing.
            time.sleep(fault.delay or 30)
            return {"errors": "Timeout"}, 504
        if fault.kind == "throttle":
            throttle_status = {**state.throttle_status(), "currentlyAvailable": 0}
            return _throttled(requested, throttle_status), 200
        if fault.kind == "delay":
            time.sleep(fault.delay)

    if requested > MAX_QUERY_COST:
        cost = _cost_extension(requested, None, state.throttle_status())
        message = f"Query cost is {requested}, which exceeds the single query max cost limit ({MAX_QUERY_COST})."
        extensions = {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_QUERY_COST}
        error = {"message": message, "extensions": extensions}
        return {"errors": [error], "extensions": cost}, 200
    allowed, throttle_status = state.spend(requested)
    if not allowed:
        call.throttled = True
        return _throttled(requested, throttle_status), 200

    result = graphql.execute_sync(
        schema,
        document,
        root_value=root_value(state, operation),
        context_value=RequestContext(state, operation_name),
        variable_values=variables,
        operation_name=operation_name,
        field_resolver=resolve_field,
    )
    payload: dict[str, Any] = {}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    payload["data"] = result.data
    payload["extensions"] = _cost_extension(requested, requested, throttle_status)
    return payload, 200


class ConnectionResetFault(Exception):
    """Raised after the client's connection was reset, so Flask writes nothing more to it."""


@bp.errorhandler(ConnectionResetFault)
def _connection_reset(_: ConnectionResetFault) -> Response:
    # The socket is gone; werkzeug's attempt to write this finds it closed and drops it.
    return Response(status=500)


def reset_connection() -> None:
    """Drop the client's connection without an answer, as a connection to Shopify cut off mid-call looks.

    SO_LINGER 0 makes the close that follows an RST; the shutdown ends the exchange at once (the server's own
    file objects still hold the socket, so closing it here would not).
    """
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        raise ConnectionResetFault("no socket to reset (not served by werkzeug)")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionResetFault("connection reset by the devshop's fault")


def _validation_error(error: GraphQLError) -> dict[str, Any]:
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    formatted["extensions"] = {"code": "GRAPHQL_VALIDATION_FAILED"}
    return formatted


def _cost_extension(requested: int, actual: int | None, throttle_status: dict[str, float]) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": throttle_status,
        }
    }


def _throttled(requested: int, throttle_status: dict[str, float]) -> dict[str, Any]:
    error = {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": RATE_LIMITS_DOC}}
    return {"errors": [error], "extensions": _cost_extension(requested, None, throttle_status)}


# -- cost -----------------------------------------------------------------------------------------------------------


def request_cost(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any]
) -> int:
    """Shopify's requested cost: objects 1, scalars 0, connections 2 + page size x children, mutation field 10."""
    operation = graphql.get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root_type = schema.get_root_type(operation.operation)
    if root_type is None:
        return 0
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    calculator = _CostCalculator(schema, fragments, _variable_values(operation, variables))
    is_mutation = operation.operation == OperationType.MUTATION
    return calculator.selection_cost(operation.selection_set, root_type, is_mutation_root=is_mutation)


def _variable_values(operation: OperationDefinitionNode, variables: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in variables:
            values[name] = variables[name]
        elif definition.default_value is not None:
            values[name] = graphql.value_from_ast_untyped(definition.default_value)
    return values


class _CostCalculator:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection_cost(
        self, selection_set: SelectionSetNode | None, parent: Any, *, is_mutation_root: bool = False
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent, is_mutation_root)
            elif isinstance(selection, InlineFragmentNode):
                type_condition = selection.type_condition
                condition = self.schema.get_type(type_condition.name.value) if type_condition else parent
                total += self.selection_cost(selection.selection_set, condition, is_mutation_root=is_mutation_root)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    condition = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selection_cost(fragment.selection_set, condition, is_mutation_root=is_mutation_root)
        return total

    def field_cost(self, node: FieldNode, parent: Any, is_mutation_root: bool) -> int:
        fields = getattr(parent, "fields", None)
        field_def = fields.get(node.name.value) if fields else None
        if field_def is None:  # __typename and friends
            return 0
        named = graphql.get_named_type(field_def.type)
        children = self.selection_cost(node.selection_set, named)
        if is_mutation_root:
            return MUTATION_COST + children
        if not graphql.is_composite_type(named):
            return 0
        if "first" in field_def.args or "last" in field_def.args:
            # A plain list of objects with first: (Order.fulfillments) costs per element; a connection's elements
            # are already counted by its nodes/edges selection. pageInfo describes the page: it counts once.
            page_info = sum(
                self.field_cost(selection, named, False)
                for selection in (node.selection_set.selections if node.selection_set else ())
                if isinstance(selection, FieldNode) and selection.name.value == "pageInfo"
            )
            per_item = children - page_info
            per_item += 1 if graphql.is_list_type(graphql.get_nullable_type(field_def.type)) else 0
            return CONNECTION_COST + self.page_size(node) * per_item + page_info
        return 1 + children

    def page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value in ("first", "last"):
                value = graphql.value_from_ast_untyped(argument.value, self.variables)
                if isinstance(value, int) and value >= 0:
                    return value
        return 1


# -- resolvers ------------------------------------------------------------------------------------------------------


def resolve_field(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """graphql-core's default resolver, plus a type-correct placeholder for unmodelled non-null fields."""
    value = graphql.default_field_resolver(source, info, **args)
    if value is None and graphql.is_non_null_type(info.return_type):
        if isinstance(source, Mapping) and info.field_name in source:
            return value  # a modelled field that is really null: let graphql-core report it
        return placeholder(info.return_type, info)
    return value


def placeholder(type_: Any, info: GraphQLResolveInfo) -> Any:
    """A harmless value of the given output type (empty list, empty object, zero, first enum value)."""
    type_ = graphql.get_nullable_type(type_)
    if graphql.is_list_type(type_):
        return []
    if graphql.is_object_type(type_):
        return {}
    if graphql.is_abstract_type(type_):
        return {"__typename": info.schema.get_possible_types(type_)[0].name}
    if graphql.is_enum_type(type_):
        return "EUR" if "EUR" in type_.values else next(iter(type_.values))
    name = type_.name
    context: RequestContext = info.context
    scalar_defaults: dict[str, Any] = {
        "Boolean": False,
        "Int": 0,
        "Float": 0.0,
        "String": "",
        "ID": f"gid://shopify/{info.parent_type.name}/0",
        "DateTime": iso_utc(context.state.clock()),
        "Date": iso_utc(context.state.clock())[:10],  # type: ignore[index]
        "Decimal": "0.0",
        "Money": "0.0",
        "UnsignedInt64": "0",
        "BigInt": "0",
        "URL": f"https://{context.state.shop_domain}/",
        "JSON": {},
    }
    return scalar_defaults.get(name, "")


def root_value(state: DevshopState, operation: OperationDefinitionNode | None) -> dict[str, Any]:
    """The query or mutation root object for this operation."""
    if operation is not None and operation.operation == OperationType.MUTATION:
        return {
            "orderCancel": _resolve_order_cancel,
            "metafieldsSet": _resolve_metafields_set,
            "tagsAdd": _resolve_tags_add,
            "fulfillmentOrderHold": _resolve_fulfillment_order_hold,
            "fulfillmentOrderReleaseHold": _resolve_fulfillment_order_release_hold,
            "orderEditBegin": _resolve_order_edit_begin,
            "orderEditSetQuantity": _resolve_order_edit_set_quantity,
            "orderEditAddVariant": _resolve_order_edit_add_variant,
            "orderEditCommit": _resolve_order_edit_commit,
            "refundCreate": _resolve_refund_create,
            "orderUpdate": _resolve_order_update,
        }
    return query_root(state)


def query_root(state: DevshopState) -> dict[str, Any]:
    """The QueryRoot object (also what a finished Job's `query` field returns)."""

    def order(info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:  # noqa: A002 - GraphQL argument name
        found = state.get_order(legacy_id_from_gid(id, "Order"))
        return order_node(state, found) if found else None

    def job(info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:  # noqa: A002
        found = state.get_job(id)
        return job_node(state, found) if found else None

    def customer(info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:  # noqa: A002
        found = state.get_customer(legacy_id_from_gid(id, "Customer"))
        return customer_node(state, found) if found else None

    def node(info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:  # noqa: A002
        return node_by_gid(state, id)

    def product(info: GraphQLResolveInfo, id: str | None = None, **_: Any) -> dict[str, Any] | None:  # noqa: A002
        found = state.get_product(legacy_id_from_gid(id or "", "Product"))
        return product_node(state, found) if found else None

    def product_variant(
        info: GraphQLResolveInfo,
        id: str | None = None,  # noqa: A002
        **_: Any,
    ) -> dict[str, Any] | None:
        found = state.get_variant(legacy_id_from_gid(id or "", "ProductVariant"))
        return variant_node(state, found) if found else None

    def products(info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        for unmodelled in ("query", "sortKey", "savedSearchId"):
            args.pop(unmodelled, None)
        nodes = [product_node(state, found) for found in state.list_products()]
        return connection(nodes, field_name="products", **args)

    def nodes(info: GraphQLResolveInfo, ids: list[str]) -> list[dict[str, Any] | None]:
        return [node_by_gid(state, gid) for gid in ids]

    return {
        "order": order,
        "orders": lambda info, **args: orders_connection(state, **args),
        "job": job,
        "customer": customer,
        "node": node,
        "nodes": nodes,
        "product": product,
        "productVariant": product_variant,
        "products": products,
        "currentAppInstallation": lambda info: app_installation_node(state),
        "shop": {
            "__typename": "Shop",
            "id": "gid://shopify/Shop/1",
            "name": "Devshop",
            "myshopifyDomain": state.shop_domain,
            "email": "owner@example.com",
            "currencyCode": "EUR",
            "ianaTimezone": "Etc/UTC",
        },
    }


def node_by_gid(state: DevshopState, gid: str) -> dict[str, Any] | None:
    """Resolve `node(id:)` for the kinds of object the devshop models."""
    resource = gid.removeprefix("gid://shopify/").split("/", 1)[0] if gid.startswith("gid://shopify/") else ""
    if resource == "Order":
        order = state.get_order(legacy_id_from_gid(gid, "Order"))
        return order_node(state, order) if order else None
    if resource == "Customer":
        customer = state.get_customer(legacy_id_from_gid(gid, "Customer"))
        return customer_node(state, customer) if customer else None
    if resource == "Product":
        product = state.get_product(legacy_id_from_gid(gid, "Product"))
        return product_node(state, product) if product else None
    if resource == "ProductVariant":
        variant = state.get_variant(legacy_id_from_gid(gid, "ProductVariant"))
        return variant_node(state, variant) if variant else None
    if resource == "FulfillmentOrder":
        found = state.find_fulfillment_order(gid)
        return fulfillment_order_node(state, *found) if found else None
    if resource == "Job":
        job = state.get_job(gid)
        return job_node(state, job) if job else None
    if gid == state.app_installation_id:
        return app_installation_node(state)
    if resource == "Metafield":
        metafield = next((m for m in state.list_app_metafields() if m.gid == gid), None)
        return metafield_node(state, metafield) if metafield else None
    if resource == "OrderCancelJobResult":
        job = state.get_job_by_result_id(gid)
        return job_result_node(state, job) if job else None
    if resource in ("CalculatedOrder", "OrderEditSession"):
        session = state.find_edit_session(gid)
        if session is None:
            return None
        return (
            calculated_order_node(state, session) if resource == "CalculatedOrder" else order_edit_session_node(session)
        )
    if resource == "Refund":
        refunded = state.find_refund(gid)
        return refund_node(state, *refunded) if refunded else None
    if resource == "OrderTransaction":
        wanted = legacy_id_from_gid(gid, "OrderTransaction")
        for order in state.list_orders():
            transaction = order.transaction(wanted)
            if transaction is not None:
                return transaction_node(state, order, transaction)
    return None


def orders_connection(
    state: DevshopState,
    *,
    first: int | None = None,
    last: int | None = None,
    after: str | None = None,
    before: str | None = None,
    query: str | None = None,
    sortKey: str | None = None,  # noqa: N803 - GraphQL argument name
    reverse: bool | None = False,
    savedSearchId: str | None = None,  # noqa: N803, ARG001
) -> dict[str, Any]:
    """`orders(...)`: filter by Shopify search syntax, sort, paginate."""
    orders = [order for order in state.list_orders() if _matches_search(order, query)]
    sort_keys: dict[str, Callable[[Order], Any]] = {
        "CREATED_AT": lambda o: (o.created_at, o.legacy_id),
        "PROCESSED_AT": lambda o: (o.processed_at, o.legacy_id),
        "UPDATED_AT": lambda o: (o.cancelled_at or o.created_at, o.legacy_id),
        "ORDER_NUMBER": lambda o: o.legacy_id,
        "TOTAL_PRICE": lambda o: (float(o.total_price), o.legacy_id),
    }
    orders.sort(key=sort_keys.get(sortKey or "ID", lambda o: o.legacy_id), reverse=bool(reverse))
    return connection(
        [order_node(state, order) for order in orders],
        first=first,
        last=last,
        after=after,
        before=before,
        field_name="orders",  # reverse was applied by the sort above
    )


def _matches_search(order: Order, query: str | None) -> bool:
    """Shopify search syntax, the terms the app uses plus a few handy ones; unknown terms are ignored like Shopify."""
    if not query:
        return True
    for term in query.split():
        if term.upper() == "AND" or ":" not in term:
            continue
        key, _, value = term.partition(":")
        value = value.strip("'\"")
        if key == "customer_id" and str(order.customer_id) != value:
            return False
        if key == "id" and str(order.legacy_id) != value:
            return False
        if key == "name" and order.name.lstrip("#") != value.lstrip("#"):
            return False
        if key == "tag" and value not in order.tags:
            return False
        if key == "financial_status" and order.display_financial_status.lower() != value.lower():
            return False
        if key == "fulfillment_status" and order.display_fulfillment_status.lower() != value.lower():
            return False
        if key == "status":
            status = "cancelled" if order.cancelled_at else "closed" if order.closed else "open"
            if value.lower() != "any" and status != value.lower():
                return False
        if key not in ("customer_id", "id", "name", "tag", "financial_status", "fulfillment_status", "status"):
            log.warning("Ignoring unsupported order search term %r", term)
    return True


def connection(
    nodes: list[dict[str, Any]],
    *,
    first: int | None = None,
    last: int | None = None,
    after: str | None = None,
    before: str | None = None,
    reverse: bool | None = False,
    field_name: str = "connection",
    **_ignored: Any,
) -> dict[str, Any]:
    """A Relay connection over already-ordered nodes, with Shopify's first/last rules."""
    if reverse:
        nodes = nodes[::-1]
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            raise GraphQLError(f"The {name} argument on {field_name} must be between 0 and {MAX_PAGE_SIZE}")
    cursors = [_cursor(node) for node in nodes]
    start, end = 0, len(nodes)
    if after in cursors:
        start = cursors.index(after) + 1
    if before in cursors:
        end = cursors.index(before)
    window = list(range(start, end))
    has_next = end < len(nodes)
    has_previous = start > 0
    if first is not None:
        has_next = has_next or len(window) > first
        window = window[:first]
    if last is not None:
        has_previous = has_previous or len(window) > last
        window = window[len(window) - last :] if last else []
    page = [nodes[i] for i in window]
    page_cursors = [cursors[i] for i in window]
    return {
        "nodes": page,
        "edges": [{"cursor": cursor, "node": node} for cursor, node in zip(page_cursors, page, strict=True)],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": page_cursors[0] if page_cursors else None,
            "endCursor": page_cursors[-1] if page_cursors else None,
        },
    }


def _cursor(node: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(f"devshop:{node['id']}".encode()).decode()


def money_bag(amount: str, currency: str) -> dict[str, Any]:
    """A MoneyBag in one currency (shop and presentment are the same in the devshop)."""
    money = {"amount": amount, "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": dict(money)}


def customer_node(state: DevshopState, customer: Customer) -> dict[str, Any]:
    """Customer as a GraphQL object."""
    return {
        "__typename": "Customer",
        "id": customer.gid,
        "legacyResourceId": str(customer.legacy_id),
        "email": customer.email,
        "displayName": customer.display_name,
        "firstName": customer.first_name,
        "lastName": customer.last_name,
        "numberOfOrders": str(sum(1 for o in state.list_orders() if o.customer_id == customer.legacy_id)),
        "orders": lambda info, **args: orders_connection(
            state, **{**args, "query": f"customer_id:{customer.legacy_id} {args.get('query') or ''}"}
        ),
    }


def line_item_node(state: DevshopState, order: Order, item: LineItem) -> dict[str, Any]:
    """LineItem as a GraphQL object; quantities reflect edits, fulfilment and cancellation."""
    fulfilled = item.fulfilled_quantity
    current = 0 if order.cancelled_at is not None else item.current_quantity
    unit = money_bag(item.unit_price, order.currency)
    original_total = money_bag(money_amount(Decimal(item.unit_price) * item.quantity), order.currency)
    variant = state.get_variant(item.variant_id)
    product = state.get_product(item.product_id)
    return {
        "__typename": "LineItem",
        "id": item.gid,
        "name": item.name,
        "title": item.title,
        "variantTitle": item.variant_title,
        "sku": item.sku,
        "vendor": item.vendor,
        "quantity": item.quantity,
        "currentQuantity": current,
        "unfulfilledQuantity": max(0, current - fulfilled),
        "fulfillableQuantity": max(0, current - fulfilled),
        "refundableQuantity": current,
        "nonFulfillableQuantity": 0,
        "requiresShipping": True,
        "restockable": current > 0,
        "canRestock": current > 0,
        "merchantEditable": order.merchant_editable and current > fulfilled,
        "fulfillmentStatus": item.fulfillment_status or "unfulfilled",
        "originalUnitPriceSet": unit,
        "discountedUnitPriceSet": unit,
        "discountedUnitPriceAfterAllDiscountsSet": unit,
        "originalTotalSet": original_total,
        "discountedTotalSet": money_bag(item.total if order.cancelled_at is None else "0.00", order.currency),
        "variant": variant_node(state, variant) if variant else None,
        # A line item's product is its variant's (null once deleted, which the devshop never does).
        "product": product_node(state, product)
        if product
        else {
            "__typename": "Product",
            "id": item.product_gid,
            "legacyResourceId": str(item.product_id),
            "title": item.title,
            "vendor": item.vendor,
            "tags": list(item.product_tags),
        },
    }


def product_node(state: DevshopState, product: Product) -> dict[str, Any]:
    """Product as a GraphQL object, with its variants in position order."""

    def variants(info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        args.pop("sortKey", None)
        nodes = [variant_node(state, variant) for variant in product.variants]
        return connection(nodes, field_name="variants", **args)

    default_only = len(product.variants) == 1 and product.variants[0].is_default
    return {
        "__typename": "Product",
        "id": product.gid,
        "legacyResourceId": str(product.legacy_id),
        "title": product.title,
        "handle": re.sub(r"[^a-z0-9]+", "-", product.title.lower()).strip("-"),
        "vendor": product.vendor,
        "tags": list(product.tags),
        "status": "ACTIVE",
        "hasOnlyDefaultVariant": default_only,
        "totalInventory": sum(v.inventory_quantity for v in product.variants),
        "tracksInventory": True,
        "variantsCount": {"__typename": "Count", "count": len(product.variants), "precision": "EXACT"},
        "variants": variants,
    }


def variant_node(state: DevshopState, variant: ProductVariant) -> dict[str, Any]:
    """ProductVariant as a GraphQL object; its selectedOptions are its title's parts under the product's options."""
    product = state.get_product(variant.product_id)
    options = product.options if product else ["Title"]
    values = [variant.title] if len(options) == 1 else variant.title.split(" / ")
    return {
        "__typename": "ProductVariant",
        "id": variant.gid,
        "legacyResourceId": str(variant.legacy_id),
        "title": variant.title,
        "displayName": f"{product.title} - {variant.title}" if product else variant.title,
        "price": variant.price,
        "sku": variant.sku,
        "availableForSale": variant.available_for_sale,
        "inventoryQuantity": variant.inventory_quantity,
        "sellableOnlineQuantity": max(0, variant.inventory_quantity),
        "inventoryPolicy": "DENY",
        "position": product.variants.index(variant) + 1 if product and variant in product.variants else 1,
        "selectedOptions": [
            {"__typename": "SelectedOption", "name": name, "value": value}
            for name, value in zip(options, values, strict=False)
        ],
        "product": (lambda info: product_node(state, product)) if product else None,
    }


def mailing_address_node(order: Order, address: MailingAddress) -> dict[str, Any]:
    """MailingAddress (an order's shipping address) as a GraphQL object."""
    country = COUNTRY_NAMES.get(address.country_code or "", address.country_code)
    city_line = " ".join(part for part in (address.zip, address.city, address.province_code) if part)
    return {
        "__typename": "MailingAddress",
        "id": f"gid://shopify/MailingAddress/{order.legacy_id}?model_name=Address",
        "firstName": address.first_name,
        "lastName": address.last_name,
        "name": address.name,
        "company": address.company,
        "address1": address.address1,
        "address2": address.address2,
        "city": address.city,
        "province": address.province_code,
        "provinceCode": address.province_code,
        "zip": address.zip,
        "country": country,
        "countryCodeV2": address.country_code,
        "countryCode": address.country_code,
        "phone": address.phone,
        "coordinatesValidated": False,
        "formattedArea": ", ".join(part for part in (address.city, address.province_code, country) if part) or None,
        "formatted": lambda info, **args: [
            line
            for line in (
                address.name if args.get("withName") else None,
                address.company if args.get("withCompany", True) else None,
                address.address1,
                address.address2,
                city_line,
                country,
            )
            if line
        ],
    }


def transaction_node(state: DevshopState, order: Order, transaction: Transaction) -> dict[str, Any]:
    """OrderTransaction as a GraphQL object."""
    amount = money_bag(transaction.amount, order.currency)
    parent = order.transaction(transaction.parent_id) if transaction.parent_id is not None else None
    refundable = transaction.is_payment
    return {
        "__typename": "OrderTransaction",
        "id": transaction.gid,
        "kind": transaction.kind,
        "status": transaction.status,
        "gateway": transaction.gateway,
        "formattedGateway": transaction.gateway.replace("_", " ").capitalize(),
        "amountSet": amount,
        "amount": transaction.amount,
        "amountV2": amount["shopMoney"],
        "createdAt": iso_utc(transaction.created_at),
        "processedAt": iso_utc(transaction.created_at),
        "test": transaction.gateway == PAYMENT_GATEWAY,
        "manualPaymentGateway": False,
        "manuallyCapturable": False,
        "multiCapturable": False,
        "maximumRefundableV2": {"amount": transaction.amount, "currencyCode": order.currency} if refundable else None,
        "parentTransaction": (lambda info: transaction_node(state, order, parent)) if parent else None,
        "order": lambda info: order_node(state, order),
    }


def refund_node(state: DevshopState, order: Order, refund: Refund) -> dict[str, Any]:
    """Refund as a GraphQL object."""
    total = money_bag(refund.amount, order.currency)
    made = [t for t in order.transactions if t.legacy_id in refund.transaction_ids]
    return {
        "__typename": "Refund",
        "id": refund.gid,
        "legacyResourceId": str(refund.legacy_id),
        "createdAt": iso_utc(refund.created_at),
        "updatedAt": iso_utc(refund.created_at),
        "processedAt": iso_utc(refund.created_at),
        "note": refund.note,
        "totalRefundedSet": total,
        "totalRefunded": total["shopMoney"],
        "order": lambda info: order_node(state, order),
        "transactions": lambda info, **args: connection(
            [transaction_node(state, order, t) for t in made], field_name="transactions", **args
        ),
    }


def fulfillment_node(state: DevshopState, order: Order, fulfillment: Fulfillment) -> dict[str, Any]:
    """Fulfillment as a GraphQL object."""
    return {
        "__typename": "Fulfillment",
        "id": fulfillment.gid,
        "legacyResourceId": str(fulfillment.legacy_id),
        "name": f"{order.name}-F{order.fulfillments.index(fulfillment) + 1}",
        "status": fulfillment.status,
        "createdAt": iso_utc(fulfillment.created_at),
        "updatedAt": iso_utc(fulfillment.created_at),
        "totalQuantity": sum(fulfillment.line_items.values()),
        "order": lambda info: order_node(state, order),
    }


def order_node(state: DevshopState, order: Order) -> dict[str, Any]:
    """Order as a GraphQL object, with callables for fields that take arguments."""
    customer = state.get_customer(order.customer_id) if order.customer_id is not None else None
    total = money_bag(order.total_price, order.currency)
    current_total = money_bag(order.current_total_price, order.currency)
    zero = "0.00"
    quantity = sum(item.current_quantity for item in order.line_items)
    net_payment = order.net_payment
    outstanding = max(Decimal(order.current_total_price) - net_payment, Decimal("0"))
    if order.display_financial_status in ("VOIDED", "EXPIRED", "REFUNDED"):
        outstanding = Decimal("0")
    authorized = sum(
        (Decimal(t.amount) for t in order.transactions if t.kind == "AUTHORIZATION" and t.status == "SUCCESS"),
        Decimal("0"),
    )
    capturable = authorized if order.display_financial_status == "AUTHORIZED" else Decimal("0")

    def fulfillments(
        info: GraphQLResolveInfo, first: int | None = None, query: str | None = None
    ) -> list[dict[str, Any]]:
        items = [fulfillment_node(state, order, f) for f in order.fulfillments]
        return items[:first] if first is not None else items

    def line_items(info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        nodes = [line_item_node(state, order, item) for item in order.line_items]
        return connection(nodes, field_name="lineItems", **args)

    def fulfillment_orders(info: GraphQLResolveInfo, displayable: bool | None = None, **args: Any) -> dict[str, Any]:
        found = order.fulfillment_orders
        if displayable:  # Shopify hides cancelled and closed-without-fulfillment ones from the admin
            found = [fo for fo in found if fo.status != "CANCELLED"]
        args.pop("query", None)
        nodes = [fulfillment_order_node(state, order, fo) for fo in found]
        return connection(nodes, field_name="fulfillmentOrders", **args)

    def transactions(
        info: GraphQLResolveInfo,
        first: int | None = None,
        capturable: bool | None = None,
        manuallyResolvable: bool | None = None,  # noqa: N803, ARG001 - GraphQL argument name; none are
    ) -> list[dict[str, Any]]:
        found = order.transactions
        if capturable:
            found = [t for t in found if t.kind == "AUTHORIZATION" and order.display_financial_status == "AUTHORIZED"]
        items = [transaction_node(state, order, t) for t in found]
        return items[:first] if first is not None else items

    def refunds(info: GraphQLResolveInfo, first: int | None = None) -> list[dict[str, Any]]:
        items = [refund_node(state, order, refund) for refund in order.refunds]
        return items[:first] if first is not None else items

    address = mailing_address_node(order, order.shipping_address) if order.shipping_address else None
    return {
        "__typename": "Order",
        "id": order.gid,
        "legacyResourceId": str(order.legacy_id),
        "name": order.name,
        "number": int(order.name.lstrip("#")) if order.name.lstrip("#").isdigit() else order.legacy_id,
        "email": order.email,
        "createdAt": iso_utc(order.created_at),
        "processedAt": iso_utc(order.processed_at),
        "updatedAt": iso_utc(
            max(t for t in (order.created_at, order.updated_at, order.cancelled_at, order.closed_at) if t is not None)
        ),
        "cancelledAt": iso_utc(order.cancelled_at),
        "cancelReason": order.cancel_reason,
        "closed": order.closed,
        "closedAt": iso_utc(order.closed_at),
        "test": order.test,
        "confirmed": True,
        "displayFinancialStatus": order.display_financial_status,
        "displayFulfillmentStatus": order.display_fulfillment_status,
        "fullyPaid": order.display_financial_status in ("PAID", "PARTIALLY_REFUNDED", "REFUNDED"),
        "unpaid": order.display_financial_status in ("AUTHORIZED", "PENDING", "EXPIRED", "VOIDED"),
        "capturable": order.display_financial_status == "AUTHORIZED",
        "refundable": order.display_financial_status in ("PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED")
        and net_payment > 0,
        "restockable": order.cancelled_at is None,
        "fulfillable": order.cancelled_at is None and any(item.unfulfilled_quantity for item in order.line_items),
        "requiresShipping": True,
        "canNotifyCustomer": order.email is not None,
        # Shopify: false for an archived or cancelled order, and the devshop's orders are all of channels apps may
        # edit; an order with nothing left unshipped has nothing to edit either.
        "merchantEditable": order.merchant_editable,
        "merchantEditableErrors": [] if order.merchant_editable else ["The order can't be edited."],
        "edited": bool(order.edits),
        "customer": customer_node(state, customer) if customer else None,
        "tags": list(order.tags),
        "note": None,
        "currencyCode": order.currency,
        "presentmentCurrencyCode": order.currency,
        "paymentGatewayNames": sorted({t.gateway for t in order.transactions if t.kind != "REFUND"}) or ["bogus"],
        "shippingAddress": address,
        "displayAddress": address,
        "totalPriceSet": total,
        "originalTotalPriceSet": money_bag(order.original_total_price, order.currency),
        "subtotalPriceSet": total,
        "currentTotalPriceSet": current_total,
        "currentSubtotalPriceSet": current_total,
        "totalPrice": order.total_price,
        "netPaymentSet": money_bag(money_amount(net_payment), order.currency),
        "totalReceivedSet": money_bag(money_amount(order.total_received), order.currency),
        "totalRefundedSet": money_bag(money_amount(order.total_refunded), order.currency),
        "totalOutstandingSet": money_bag(money_amount(outstanding), order.currency),
        "totalCapturableSet": money_bag(money_amount(capturable), order.currency),
        "totalDiscountsSet": money_bag(zero, order.currency),
        "subtotalLineItemsQuantity": quantity,
        "currentSubtotalLineItemsQuantity": 0 if order.cancelled_at is not None else quantity,
        "statusPageUrl": f"https://{state.shop_domain}/account/orders/{order.legacy_id}",
        "fulfillments": fulfillments,
        "lineItems": line_items,
        "fulfillmentOrders": fulfillment_orders,
        "transactions": transactions,
        "refunds": refunds,
    }


def fulfillment_order_node(state: DevshopState, order: Order, fulfillment_order: FulfillmentOrder) -> dict[str, Any]:
    """FulfillmentOrder as a GraphQL object, with its holds."""
    actions = {
        "OPEN": ["CREATE_FULFILLMENT", "HOLD", "MOVE"],
        "ON_HOLD": ["RELEASE_HOLD", "HOLD", "MOVE"],
    }.get(fulfillment_order.status, [])
    return {
        "__typename": "FulfillmentOrder",
        "id": fulfillment_order.gid,
        "status": fulfillment_order.status,
        "requestStatus": "UNSUBMITTED",
        "orderId": order.gid,
        "orderName": order.name,
        "createdAt": iso_utc(order.created_at),
        "updatedAt": iso_utc(order.updated_at or order.created_at),
        "orderProcessedAt": iso_utc(order.processed_at),
        "supportedActions": [{"__typename": "FulfillmentOrderSupportedAction", "action": a} for a in actions],
        "fulfillmentHolds": [fulfillment_hold_node(hold) for hold in fulfillment_order.holds],
        "order": lambda info: order_node(state, order),
    }


def fulfillment_hold_node(hold: FulfillmentHold) -> dict[str, Any]:
    by_app = hold.held_by != "merchant"
    return {
        "__typename": "FulfillmentHold",
        "id": hold.gid,
        "handle": hold.handle,
        "reason": hold.reason,
        "reasonNotes": hold.reason_notes,
        "displayReason": hold.reason.replace("_", " ").capitalize(),
        "heldByRequestingApp": hold.held_by == REQUESTING_APP,
        "heldByApp": {"__typename": "App", "id": f"gid://shopify/App/{hold.held_by}", "title": hold.held_by}
        if by_app
        else None,
    }


def _resolve_fulfillment_order_hold(
    info: GraphQLResolveInfo,
    id: str,  # noqa: A002 - GraphQL argument name
    fulfillmentHold: dict[str, Any],  # noqa: N803
) -> dict[str, Any]:
    """Mutation fulfillmentOrderHold: the whole fulfillment order (line item splits are not modelled)."""
    state: DevshopState = info.context.state
    if fulfillmentHold.get("fulfillmentOrderLineItems"):
        error = {"code": "FULFILLMENT_ORDER_NOT_SPLITTABLE", "field": ["fulfillmentHold"], "message": "not modelled"}
        return {
            "fulfillmentHold": None,
            "fulfillmentOrder": None,
            "remainingFulfillmentOrder": None,
            "userErrors": [error],
        }
    hold, errors = state.hold_fulfillment_order(
        id,
        reason=fulfillmentHold["reason"],
        handle=fulfillmentHold.get("handle") or "",
        reason_notes=fulfillmentHold.get("reasonNotes"),
    )
    found = state.find_fulfillment_order(id)
    return {
        "fulfillmentHold": fulfillment_hold_node(hold) if hold else None,
        "fulfillmentOrder": fulfillment_order_node(state, *found) if hold and found else None,
        "remainingFulfillmentOrder": None,
        "userErrors": errors,
    }


def _resolve_fulfillment_order_release_hold(
    info: GraphQLResolveInfo,
    id: str,  # noqa: A002 - GraphQL argument name
    holdIds: list[str] | None = None,  # noqa: N803
    externalId: str | None = None,  # noqa: N803, ARG001
) -> dict[str, Any]:
    """Mutation fulfillmentOrderReleaseHold: only the named holds (all of them without holdIds, as Shopify)."""
    state: DevshopState = info.context.state
    released, errors = state.release_fulfillment_holds(id, holdIds)
    found = state.find_fulfillment_order(id)
    return {
        "fulfillmentOrder": fulfillment_order_node(state, *found) if released and found else None,
        "userErrors": errors,
    }


def app_installation_node(state: DevshopState) -> dict[str, Any]:
    """AppInstallation (currentAppInstallation) as a GraphQL object, with its app-data metafields."""

    def metafield(info: GraphQLResolveInfo, key: str, namespace: str | None = None) -> dict[str, Any] | None:
        if namespace is None and "." in key:  # Shopify accepts key: "namespace.key"
            namespace, key = key.split(".", 1)
        found = state.get_app_metafield(namespace or "$app", key)
        return metafield_node(state, found) if found else None

    def metafields(info: GraphQLResolveInfo, namespace: str | None = None, **args: Any) -> dict[str, Any]:
        found = [m for m in state.list_app_metafields() if namespace is None or m.namespace == namespace]
        return connection([metafield_node(state, m) for m in found], field_name="metafields", **args)

    return {
        "__typename": "AppInstallation",
        "id": state.app_installation_id,
        "launchUrl": f"https://{state.shop_domain}/admin/apps/self-service",
        "uninstallUrl": None,
        "metafield": metafield,
        "metafields": metafields,
    }


def metafield_node(state: DevshopState, metafield: AppMetafield) -> dict[str, Any]:
    """Metafield (owned by the app installation) as a GraphQL object."""
    return {
        "__typename": "Metafield",
        "id": metafield.gid,
        "legacyResourceId": str(metafield.legacy_id),
        "namespace": metafield.namespace,
        "key": metafield.key,
        "type": metafield.type,
        "value": metafield.value,
        "jsonValue": metafield.liquid_value(),
        "compareDigest": metafield.compare_digest,
        "ownerType": "API_PERMISSION",
        "createdAt": iso_utc(metafield.created_at),
        "updatedAt": iso_utc(metafield.updated_at),
        "owner": lambda info: app_installation_node(state),
    }


def _resolve_metafields_set(info: GraphQLResolveInfo, metafields: list[dict[str, Any]]) -> dict[str, Any]:
    """Mutation metafieldsSet: app-data metafields of the current installation, all saved or none."""
    state = info.context.state
    try:
        saved = state.set_app_metafields(metafields)
    except MetafieldInputError as error:
        index = int(error.field_path[1]) if len(error.field_path) > 1 else None
        user_error = {"field": error.field_path, "message": error.message, "code": error.code, "elementIndex": index}
        return {"metafields": [], "userErrors": [user_error]}
    return {"metafields": [metafield_node(state, m) for m in saved], "userErrors": []}


def job_node(state: DevshopState, job: Job) -> dict[str, Any]:
    """Job as a GraphQL object; `query` (the QueryRoot) is only filled once the job is done, as on Shopify."""
    done = state.job_done(job)
    return {"__typename": "Job", "id": job.id, "done": done, "query": query_root(state) if done else None}


def job_result_node(state: DevshopState, job: Job) -> dict[str, Any]:
    """OrderCancelJobResult (2026-10) as a GraphQL object."""
    done = state.job_done(job)
    errors = [{"code": "INVALID", "field": ["orderId"], "message": job.failed_message}] if job.failed_message else []
    order = state.get_order(job.order_id)
    return {
        "__typename": "OrderCancelJobResult",
        "id": job.result_id,
        "done": done,
        "status": "STARTED" if not done else "FAILED" if job.failed_message else "SUCCEEDED",
        "errors": errors,
        "order": order_node(state, order) if order else None,
    }


def _resolve_order_cancel(
    info: GraphQLResolveInfo,
    orderId: str,  # noqa: N803 - GraphQL argument names
    reason: str,
    restock: bool,
    refundMethod: dict[str, Any] | None = None,  # noqa: N803
    refund: bool | None = None,
    notifyCustomer: bool | None = None,  # noqa: N803
    staffNote: str | None = None,  # noqa: N803
) -> dict[str, Any]:
    """Mutation orderCancel: validate, start a job, or answer orderCancelUserErrors."""
    context: RequestContext = info.context
    state = context.state
    fault = state.take_fault(context.operation_name, frozenset({"user_error"}))
    if fault is not None:
        log.info("Fault user_error fired for %s", context.operation_name)
        error = {"code": "INVALID", "field": ["orderId"], "message": fault.message or "Order cannot be cancelled"}
        return {"job": None, "jobResult": None, "orderCancelUserErrors": [error], "userErrors": []}
    outcome = state.request_cancel(
        orderId,
        reason=reason,
        restock=restock,
        refund_method=refundMethod,
        refund=refund,
        notify_customer=notifyCustomer,
        staff_note=staffNote,
        operation_name=context.operation_name,
    )
    if outcome.job is None:
        return {"job": None, "jobResult": None, "orderCancelUserErrors": outcome.user_errors, "userErrors": []}
    job = outcome.job
    return {
        "job": lambda info: job_node(state, job),
        "jobResult": lambda info: job_result_node(state, job),
        "orderCancelUserErrors": [],
        "userErrors": [],
    }


def _resolve_tags_add(info: GraphQLResolveInfo, id: str, tags: list[str]) -> dict[str, Any]:  # noqa: A002
    """Mutation tagsAdd: the devshop tags orders; any other id answers a userError, as a missing resource does."""
    state = info.context.state
    try:
        order = state.add_tags(id, tags)
    except UnknownOrderError:
        return {"node": None, "userErrors": [{"field": ["id"], "message": "Resource not found"}]}
    return {"node": order_node(state, order), "userErrors": []}


# -- order editing ----------------------------------------------------------------------------------------------


def order_edit_session_node(session: OrderEditSession) -> dict[str, Any]:
    return {"__typename": "OrderEditSession", "id": session.session_gid}


def calculated_line_item_node(state: DevshopState, order: Order, line: CalculatedLine) -> dict[str, Any]:
    """CalculatedLineItem as a GraphQL object: a line of the edit session's order with the staged change."""
    unit = money_bag(line.unit_price, order.currency)
    editable = money_amount(Decimal(line.unit_price) * line.editable_quantity)
    uneditable = money_amount(Decimal(line.unit_price) * (line.quantity - line.editable_quantity))
    variant = state.get_variant(line.variant_id)
    return {
        "__typename": "CalculatedLineItem",
        "id": line.gid,
        "title": line.title,
        "variantTitle": line.variant_title,
        "sku": line.sku,
        "quantity": line.quantity,
        "editableQuantity": line.editable_quantity,
        "editableQuantityBeforeChanges": line.editable_quantity_before_changes,
        "restockable": not line.added,
        "restocking": line.restocking,
        "hasStagedLineItemDiscount": False,
        "originalUnitPriceSet": unit,
        "discountedUnitPriceSet": unit,
        "editableSubtotalSet": money_bag(editable, order.currency),
        "uneditableSubtotalSet": money_bag(uneditable, order.currency),
        "variant": variant_node(state, variant) if variant else None,
        "calculatedDiscountAllocations": [],
        "discountAllocations": [],
        "customAttributes": [],
        "stagedChanges": [],
        "taxLines": [],
    }


def calculated_order_node(state: DevshopState, session: OrderEditSession) -> dict[str, Any]:
    """CalculatedOrder as a GraphQL object: the order as it would be with the session's staged changes."""
    order = state.orders[session.order_id]
    lines = state.calculated_lines(session)
    total = state.calculated_total(session)
    outstanding = max(Decimal(total) - order.net_payment, Decimal("0"))

    def line_items(info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        args.pop("query", None)
        nodes = [calculated_line_item_node(state, order, line) for line in lines if not line.added]
        return connection(nodes, field_name="lineItems", **args)

    def added_line_items(info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        nodes = [calculated_line_item_node(state, order, line) for line in lines if line.added]
        return connection(nodes, field_name="addedLineItems", **args)

    return {
        "__typename": "CalculatedOrder",
        "id": session.gid,
        "committed": session.committed,
        "totalPriceSet": money_bag(total, order.currency),
        "subtotalPriceSet": money_bag(total, order.currency),
        "totalOutstandingSet": money_bag(money_amount(outstanding), order.currency),
        "subtotalLineItemsQuantity": sum(line.quantity for line in lines),
        "notificationPreviewTitle": f"Order {order.name} was edited",
        "originalOrder": lambda info: order_node(state, order),
        "lineItems": line_items,
        "addedLineItems": added_line_items,
        "shippingLines": [],
        "taxLines": [],
    }


def _edit_payload(state: DevshopState, outcome: EditOutcome) -> dict[str, Any]:
    """What every staging mutation answers: the session's calculated order and the line it changed, or errors."""
    session = outcome.session
    order = state.orders.get(session.order_id) if session else None
    return {
        "calculatedOrder": calculated_order_node(state, session) if session else None,
        "calculatedLineItem": calculated_line_item_node(state, order, outcome.line)
        if session and order and outcome.line
        else None,
        "orderEditSession": order_edit_session_node(session) if session else None,
        "userErrors": outcome.user_errors,
    }


def _resolve_order_edit_begin(info: GraphQLResolveInfo, id: str) -> dict[str, Any]:  # noqa: A002
    """Mutation orderEditBegin: a session on the order (nothing changes on the order until the commit)."""
    return _edit_payload(info.context.state, info.context.state.begin_order_edit(id))


def _resolve_order_edit_set_quantity(
    info: GraphQLResolveInfo,
    id: str,  # noqa: A002 - GraphQL argument names
    lineItemId: str,  # noqa: N803
    quantity: int,
    restock: bool | None = None,
    locationId: str | None = None,  # noqa: N803, ARG001 - deprecated and ignored, as on Shopify
) -> dict[str, Any]:
    """Mutation orderEditSetQuantity: stage a calculated line item's quantity."""
    state = info.context.state
    return _edit_payload(state, state.set_edit_quantity(id, lineItemId, quantity, restock=bool(restock)))


def _resolve_order_edit_add_variant(
    info: GraphQLResolveInfo,
    id: str,  # noqa: A002 - GraphQL argument names
    variantId: str,  # noqa: N803
    quantity: int,
    allowDuplicates: bool | None = False,  # noqa: N803
    locationId: str | None = None,  # noqa: N803, ARG001 - one location in the devshop
) -> dict[str, Any]:
    """Mutation orderEditAddVariant: stage a new line of a variant."""
    state = info.context.state
    outcome = state.add_edit_variant(id, variantId, quantity, allow_duplicates=bool(allowDuplicates))
    return _edit_payload(state, outcome)


def _resolve_order_edit_commit(
    info: GraphQLResolveInfo,
    id: str,  # noqa: A002 - GraphQL argument names
    notifyCustomer: bool | None = None,  # noqa: N803
    staffNote: str | None = None,  # noqa: N803
) -> dict[str, Any]:
    """Mutation orderEditCommit: apply the session's staged changes to the order."""
    state = info.context.state
    order, errors = state.commit_order_edit(id, notify_customer=notifyCustomer, staff_note=staffNote)
    return {
        "order": order_node(state, order) if order else None,
        "successMessages": ["Order updated"] if order else [],
        "userErrors": errors,
    }


# -- refundCreate and orderUpdate -------------------------------------------------------------------------------

# What Shopify answers a refundCreate without the directive from 2026-04 on (the schema's text of refundCreate:
# "As of 2026-04, the idempotency key is required"), as a top-level error with the field null.
IDEMPOTENCY_REQUIRED_MESSAGE = "The @idempotent directive is required for this mutation but was not provided."
# The directive's own text in the schema: "The idempotency key cannot be an empty string or whitespace only."
IDEMPOTENCY_BLANK_MESSAGE = "The idempotency key cannot be an empty string or whitespace only."


def idempotency_key(info: GraphQLResolveInfo) -> str:
    """The key of the ``@idempotent(key:)`` directive on the field being resolved (a variable resolved through the
    request's variables); a GraphQLError (BAD_REQUEST) when it is missing or blank."""
    directive = info.schema.get_directive("idempotent")
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values) if directive else None
    key = values.get("key") if values else None
    if not isinstance(key, str):
        raise GraphQLError(IDEMPOTENCY_REQUIRED_MESSAGE, extensions={"code": "BAD_REQUEST"})
    if not key.strip():
        raise GraphQLError(IDEMPOTENCY_BLANK_MESSAGE, extensions={"code": "BAD_REQUEST"})
    return key


def _resolve_refund_create(info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    """Mutation refundCreate (with its required @idempotent key): money back to the payments or store credit."""
    state: DevshopState = info.context.state
    key = idempotency_key(info)
    outcome = state.create_refund(input, idempotency_key=key)
    order, refund = outcome.order, outcome.refund
    return {
        "refund": refund_node(state, order, refund) if refund and order else None,
        "order": order_node(state, order) if order and refund else None,
        "userErrors": outcome.user_errors,
    }


def _resolve_order_update(info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    """Mutation orderUpdate: the shipping address (replaced whole) and e-mail."""
    state: DevshopState = info.context.state
    order, errors = state.update_order_input(input)
    return {"order": order_node(state, order) if order else None, "userErrors": errors}
