"""openapi.yaml documents exactly the admin API the app serves."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}
ERROR_STATUSES = {"400", "401", "404", "409", "422", "503"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))


def served(app) -> dict[str, set[str]]:
    """Every /admin/api rule as an OpenAPI path (``<id>`` → ``{id}``) with its methods."""
    paths: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin/api/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        paths.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    return paths


def documented(spec: dict[str, Any]) -> dict[str, set[str]]:
    return {path: set(item) & HTTP_METHODS for path, item in spec["paths"].items() if path.startswith("/admin/api/")}


def resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_it_is_openapi_3_1_with_the_session_token_scheme(spec):
    assert spec["openapi"].startswith("3.1")
    scheme = spec["components"]["securitySchemes"]["sessionToken"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert spec["security"] == [{"sessionToken": []}]


def test_every_served_endpoint_is_documented_and_nothing_else(app, spec):
    assert documented(spec) == served(app)


def test_the_spec_has_every_endpoint_of_the_issue(spec):
    paths = documented(spec)
    for path, method in [
        ("/admin/api/policy", "get"),
        ("/admin/api/policy", "put"),
        ("/admin/api/requests", "get"),
        ("/admin/api/requests/{request_id}", "get"),
        ("/admin/api/requests/{request_id}/approve", "post"),
        ("/admin/api/requests/{request_id}/reject", "post"),
        ("/admin/api/requests/{request_id}/retry", "post"),
        ("/admin/api/requests/{request_id}/notes", "post"),
        ("/admin/api/requests/bulk", "post"),
        ("/admin/api/audit", "get"),
        ("/admin/api/insights", "get"),
        ("/admin/api/requests.csv", "get"),
    ]:
        assert method in paths.get(path, set()), (path, method)


def test_every_operation_documents_401_and_errors_use_the_error_shape(spec):
    seen: set[str] = set()
    for path, item in spec["paths"].items():
        for method in set(item) & HTTP_METHODS:
            responses = item[method]["responses"]
            assert "401" in responses, (path, method)
            for status, response in responses.items():
                if status in ERROR_STATUSES:
                    seen.add(status)
                    schema = resolve(spec, resolve(spec, response)["content"]["application/json"]["schema"])
                    assert schema is spec["components"]["schemas"]["Error"], (path, method, status)
            for parameter in item[method].get("parameters", []):
                if resolve(spec, parameter)["in"] == "path":
                    assert "{" + resolve(spec, parameter)["name"] + "}" in path
    assert seen == ERROR_STATUSES
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message"] and "fields" in error["properties"]


def test_every_reference_resolves(spec):
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(spec, node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)


def test_policy_schema_matches_the_model(spec):
    from storefront_proxy.policy.model import Policy

    schema = spec["components"]["schemas"]["Policy"]
    assert set(schema["properties"]) == set(Policy.model_fields)
    defaults = Policy().model_dump(mode="json")
    for name, field in schema["properties"].items():
        if "default" in field and name != "reasons":
            assert field["default"] == defaults[name], name


def test_request_schemas_match_the_api(spec, app, shop):
    from datetime import UTC, datetime

    from storefront_proxy.admin.api import request_detail, request_summary
    from storefront_proxy.cancellations.records import Note, RequestStatus
    from storefront_proxy.policy.model import Policy
    from tests.factories import cancellation_request

    now = datetime(2026, 1, 1, tzinfo=UTC)
    item = cancellation_request(now=now, id="ccr_1", order_id=5001, order_name="#1", reason="other")
    item.record(now, "requested", status=RequestStatus.PENDING_REVIEW)
    item.notes.append(Note(at=now, author="staff:42", text="Called"))
    schemas = spec["components"]["schemas"]
    assert set(request_summary(item, Policy(), now)) == set(schemas["RequestSummary"]["properties"])
    detail_schema = schemas["RequestDetail"]["allOf"][1]["properties"]
    with app.app_context():
        detail = request_detail(item)
    assert set(detail) == set(schemas["RequestSummary"]["properties"]) | set(detail_schema)
    assert set(detail["timeline"][0]) == set(detail_schema["timeline"]["items"]["properties"])
    assert set(detail["timeline"][0]["actor"]) == set(schemas["Actor"]["properties"])
    assert set(detail["notes"][0]) == set(detail_schema["notes"]["items"]["properties"])
    assert set(detail["order"]) == set(schemas["Order"]["properties"])
    assert set(detail["order"]["total"]) == set(schemas["Money"]["properties"])
    assert schemas["RequestStatus"]["enum"] == [status.value for status in RequestStatus]


def test_white_space_is_one_set_for_the_app_and_the_schema():
    """openapi.yaml's patterns spell out exactly the white space the app strips (storefront_proxy/text.py)."""
    import re
    import sys

    import yaml

    from storefront_proxy.text import WHITESPACE, WHITESPACE_CLASS

    assert set(WHITESPACE) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()} | {"\ufeff"}
    assert re.fullmatch(f"[{WHITESPACE_CLASS}]+", WHITESPACE)

    def patterns(node):  # type: ignore[no-untyped-def]
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str):
                    yield value
                else:
                    yield from patterns(value)
        elif isinstance(node, list):
            for item in node:
                yield from patterns(item)

    spelled = [p for p in patterns(yaml.safe_load((ROOT / "openapi.yaml").read_text())) if "\\u0009" in p]
    assert len(spelled) >= 4
    for pattern in spelled:
        starts = [m.start() for m in re.finditer(re.escape("\\u0009"), pattern)]
        assert all(pattern[i : i + len(WHITESPACE_CLASS)] == WHITESPACE_CLASS for i in starts), pattern
