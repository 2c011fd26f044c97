"""The layout's rules, checked: imports point one way, each Redis key has one owner, jobs are found by name.

Edges (the HTTP surfaces, the CLI, the workers' job modules) call use cases; use cases call repositories and the
Shopify client; those know only models. See README, "Architecture".
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("storefront_proxy", "workers")
# The HTTP edges and what serves them: the only modules that may import Flask.
FLASK_MODULES = re.compile(
    r"storefront_proxy\.(app|services|http_errors|cli|serve|shopper_contract"
    r"|proxy\..+|customer_account\..+|admin(\..+)?|install\..+|webhooks\.(intake|verification))$"
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}


def imports(path: Path) -> Iterator[str]:
    """The modules ``path`` imports when it runs (``if TYPE_CHECKING:`` blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + [base]).strip(".")
            yield base
            # ``from package import module`` imports the module too.
            yield from (f"{base}.{alias.name}" for alias in node.names)


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {target for target in imports(path) if target in known} - {name} for name, path in known.items()}


def test_no_module_imports_itself_back_through_others():
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append(trail[trail.index(target) :] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_shopify_client_knows_nothing_of_the_apps_storage():
    allowed = re.compile(r"storefront_proxy\.(shopify(\..+)?|settings|times|tokens\.model)$")
    found = {
        name: sorted(target for target in targets if not allowed.match(target))
        for name, targets in graph().items()
        if name.startswith("storefront_proxy.shopify")
    }
    assert not {name: bad for name, bad in found.items() if bad}


def test_only_the_edges_import_flask():
    offenders = sorted(
        name
        for name, path in modules().items()
        if not FLASK_MODULES.match(name) and any(target.split(".")[0] == "flask" for target in imports(path))
    )
    assert offenders == []


def test_the_app_never_imports_worker_code():
    offenders = sorted(
        name
        for name, targets in graph().items()
        if name.startswith("storefront_proxy") and any(target.startswith("workers") for target in targets)
    )
    assert offenders == []


def test_repositories_know_only_models_and_storage():
    """A repository module builds its keys and reads and writes records; use cases build on it, not it on them."""
    allowed = re.compile(
        r"storefront_proxy\.(storage|(\w+\.)?(records|model)|tokens\.model|proxy_path\.repository|policy\.model|shopify\.models)$"
    )
    repositories = [
        name for name in modules() if name.endswith(".repository") or name.endswith(("deliveries", "data_requests"))
    ]
    repositories += ["storefront_proxy.audit", "storefront_proxy.ratelimit"]
    found = {name: sorted(t for t in graph()[name] if not allowed.match(t)) for name in repositories}
    assert not {name: bad for name, bad in found.items() if bad}


KEY_CALL = re.compile(r"\bkey\(\s*\"([a-z-]+)\"")


def test_every_redis_key_is_built_in_exactly_one_module():
    owners: dict[str, set[str]] = {}
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        for prefix in KEY_CALL.findall(text):
            owners.setdefault(prefix, set()).add(name)
        if name != "storefront_proxy.storage":
            assert not re.search(r"[\"']selfservice:|KEY_PREFIX", text), f"{name} builds a key by hand"
    assert {prefix: sorted(found) for prefix, found in owners.items() if len(found) > 1} == {}
    assert set(owners) == {
        "request",
        "order-request",
        "order-edit",
        "requests",
        "hold",
        "holds",
        "shop",
        "token-lock",
        "token-pause",
        "uninstalled",
        "policy",
        "audit",
        "webhook",
        "data-request",
        "proxy-path",
        "rate",
        "order",
        "customer-orders",
        "product-variants",
        "cost-bucket",
        "staff",
        "staff-lookup",
    }


def test_keys_are_what_earlier_versions_wrote():
    """Renaming a key would orphan every record a running deployment has."""
    from storefront_proxy.audit import audit_key
    from storefront_proxy.cancellations.repository import (
        order_edit_key,
        order_request_key,
        request_key,
        shop_requests_key,
    )
    from storefront_proxy.holds.repository import hold_key, shop_holds_key
    from storefront_proxy.order_facts.repository import product_variants_key
    from storefront_proxy.policy.repository import policy_key
    from storefront_proxy.proxy_path.repository import proxy_path_key
    from storefront_proxy.ratelimit import rate_key
    from storefront_proxy.staff.repository import staff_key, staff_lookup_key
    from storefront_proxy.tokens.repository import shop_key, token_lock_key, token_pause_key, uninstalled_key
    from storefront_proxy.webhooks.data_requests import data_request_key
    from storefront_proxy.webhooks.deliveries import delivery_key

    shop = "a.myshopify.com"
    assert [
        request_key("ccr_1"),
        order_request_key(shop, 5),
        order_edit_key(shop, 5),
        product_variants_key(shop, "gid://shopify/Product/8"),
        shop_requests_key(shop),
        hold_key(shop, 5),
        shop_holds_key(shop),
        shop_key(shop),
        token_lock_key(shop),
        token_pause_key("migration", shop),
        uninstalled_key(shop),
        policy_key(shop),
        audit_key(shop),
        delivery_key("d-1"),
        data_request_key(shop, "9"),
        proxy_path_key(shop),
        rate_key("proxy", 7),
        staff_key(shop),
        staff_lookup_key(shop, "42"),
    ] == [
        "selfservice:request:ccr_1",
        f"selfservice:order-request:{shop}:5",
        f"selfservice:order-edit:{shop}:5",
        f"selfservice:product-variants:{shop}:8",
        f"selfservice:requests:{shop}",
        f"selfservice:hold:{shop}:5",
        f"selfservice:holds:{shop}",
        f"selfservice:shop:{shop}",
        f"selfservice:token-lock:{shop}",
        f"selfservice:token-pause:migration:{shop}",
        f"selfservice:uninstalled:{shop}",
        f"selfservice:policy:{shop}",
        f"selfservice:audit:{shop}",
        "selfservice:webhook:d-1",
        f"selfservice:data-request:{shop}:9",
        f"selfservice:proxy-path:{shop}",
        "selfservice:rate:proxy:7",
        f"selfservice:staff:{shop}",
        f"selfservice:staff-lookup:{shop}:42",
    ]


JOB_NAME = re.compile(r"\"(workers\.\w+\.\w+)\"")


def resolve(dotted: str) -> object:
    module, _, function = dotted.rpartition(".")
    return getattr(importlib.import_module(module), function)


def test_every_job_the_app_queues_names_a_function_a_worker_can_import():
    names = {found for path in modules().values() for found in JOB_NAME.findall(path.read_text(encoding="utf-8"))}
    assert len(names) >= 10
    for name in names:
        assert callable(resolve(name)), name


@pytest.mark.parametrize(
    ("earlier", "now"),
    [
        ("workers.jobs.cancel_order", "workers.cancellations.cancel_order"),
        ("workers.jobs.on_cancel_failure", "workers.cancellations.on_cancel_failure"),
        ("workers.jobs.auto_review", "workers.review.auto_review"),
        ("workers.jobs.handle_webhook", "workers.webhooks.handle_webhook"),
        ("workers.jobs.finish_webhook_erasure", "workers.webhooks.finish_webhook_erasure"),
        ("workers.jobs.sync_proxy_path", "workers.proxy_path.sync_proxy_path"),
        ("workers.jobs.on_proxy_path_failure", "workers.proxy_path.on_proxy_path_failure"),
        ("workers.fulfillment_holds.place_fulfillment_hold", "workers.holds.place_fulfillment_hold"),
        ("workers.fulfillment_holds.release_fulfillment_hold", "workers.holds.release_fulfillment_hold"),
        ("workers.fulfillment_holds.reschedule_fulfillment_holds", "workers.holds.reschedule_fulfillment_holds"),
        ("workers.fulfillment_holds.on_hold_failure", "workers.holds.on_hold_failure"),
    ],
)
def test_jobs_queued_by_earlier_versions_still_find_their_function(earlier, now):
    assert resolve(earlier) is resolve(now)


def test_services_are_read_through_their_typed_accessors():
    """Only services.py reads Flask's app.extensions; everything else asks services() (or services_of(app))."""
    raw = re.compile(r"(\bapp|current_app|wsgi)\.extensions\b|getattr\([^)]*[\"']extensions[\"']")
    offenders = sorted(
        name
        for name, path in modules().items()
        if name != "storefront_proxy.services" and raw.search(path.read_text(encoding="utf-8"))
    )
    assert offenders == []
