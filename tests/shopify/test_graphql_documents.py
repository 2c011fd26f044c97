"""Every GraphQL document the app sends is valid against Shopify's Admin schema (2026-10), variables included."""

from __future__ import annotations

import graphql
import pytest
from graphql.execution.values import get_variable_values

from storefront_proxy.cancellations.execution import _refund_method
from storefront_proxy.policy.model import RefundMethod
from storefront_proxy.shopify.client import DOCUMENTS, OPERATION_FILES, load_operation


@pytest.mark.parametrize("name", OPERATION_FILES)
def test_document_is_valid_against_shopifys_schema(admin_schema, name):
    document = graphql.parse(load_operation(name))
    assert graphql.validate(admin_schema, document) == []
    # Named operations, as Shopify's own templates use, so logs and cost debugging can tell them apart.
    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    assert len(operations) == 1 and operations[0].name is not None


def test_every_operation_file_is_used():
    from pathlib import Path

    from storefront_proxy.shopify.client import OPERATIONS_DIR

    files = {p.stem for p in Path(OPERATIONS_DIR).glob("*.graphql")}
    assert files == set(OPERATION_FILES) == set(DOCUMENTS)


def test_a_wrong_field_would_be_caught(admin_schema):
    document = graphql.parse("query Broken($id: ID!) { order(id: $id) { cancelledOn } }")
    assert graphql.validate(admin_schema, document)


def _variables_errors(schema, name, variables):
    document = graphql.parse(load_operation(name))
    operation = next(d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode))
    result = get_variable_values(schema, operation.variable_definitions, variables)
    return result if isinstance(result, list) else []


@pytest.mark.parametrize("method", list(RefundMethod))
def test_cancel_variables_match_the_schema(admin_schema, method):
    variables = {
        "orderId": "gid://shopify/Order/5001",
        "reason": "CUSTOMER",
        "restock": True,
        "refundMethod": _refund_method(method),
        "notifyCustomer": True,
        "staffNote": "Cancelled by the customer (self-service). Reason: I changed my mind.",
    }
    assert _variables_errors(admin_schema, "cancel_order", variables) == []


def test_refund_method_is_a_oneof_input(admin_schema):
    both = {"originalPaymentMethodsRefund": True, "storeCreditRefund": {}}
    variables = {"orderId": "gid://shopify/Order/1", "reason": "CUSTOMER", "restock": True, "refundMethod": both}
    assert _variables_errors(admin_schema, "cancel_order", variables)


def test_list_and_job_variables_match_the_schema(admin_schema):
    assert _variables_errors(admin_schema, "list_customer_orders", {"first": 20, "query": "customer_id:7001"}) == []
    assert _variables_errors(admin_schema, "get_order", {"id": "gid://shopify/Order/5001"}) == []
    assert _variables_errors(admin_schema, "get_job", {"id": "gid://shopify/Job/abc"}) == []
