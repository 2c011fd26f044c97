"""hypothesis against the routes Shopify signs: `/proxy` with a valid app-proxy signature and `/webhooks` with a
valid HMAC, so the fuzzed input gets past verification into the app. Any 5xx, or an error that is not the
contract's JSON, fails; so does a webhook job that raises on what was accepted.

Shopify's Admin API is answered by `tests.helpers.FakeAdmin` (the storefront only reads); Redis is the real one.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rq import Queue

from devshop.signing import sign_proxy_query
from storefront_proxy.app import create_app
from storefront_proxy.job_queue import QUEUE_NAME
from storefront_proxy.proxy.csrf import issue_token
from storefront_proxy.services import services_of
from tests.edits.test_storefront_edits import SHIRT_VARIANTS, editable_order
from tests.helpers import (
    ADMIN_URL,
    API_SECRET,
    CUSTOMER,
    SHOP,
    TOKEN,
    FakeAdmin,
    admin_order,
    app_settings,
    webhook_hmac,
)

FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# What the storefront contract documents (README): nothing else may come back.
PROXY_STATUSES = {200, 202, 400, 401, 403, 404, 405, 409, 413, 415, 429}
WEBHOOK_STATUSES = {200, 400, 401, 413}
ORDERS = [
    admin_order(5001),
    admin_order(5002, fulfillment="FULFILLED"),
    admin_order(5003, customer=7002),
    # With line items, variants and an address: what editing reads.
    editable_order(5005),
]


@pytest.fixture(scope="module")
def fuzz_app(redis_url):
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    app = create_app(
        app_settings(redis_url, PROXY_RATE_LIMIT_PER_MINUTE=1_000_000, CANCEL_RATE_LIMIT_PER_HOUR=1_000_000)
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        admin = FakeAdmin(ORDERS)
        admin.products[SHIRT_VARIANTS["id"]] = SHIRT_VARIANTS
        mock.add_callback(responses.POST, ADMIN_URL, callback=admin)
        yield app
    redis.Redis.from_url(redis_url).flushdb()


text = st.text(max_size=40)
# What an HTTP header can carry at all (no line breaks, Latin-1).
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=40)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(text, children, max_size=4)),
    max_leaves=20,
)

# Mostly what the theme and Shopify send, so the fuzzed parts reach the use cases; sometimes anything.
order_ids = st.one_of(
    st.sampled_from(["5001", "5001", "5002", "5003", "5005", "5005", "9999"]),
    text.filter(lambda s: "/" not in s and s != ""),
)
proxy_params = st.one_of(
    st.just([]),
    st.lists(st.tuples(st.just("locale"), st.sampled_from(["en", "nl", "fi-FI", "pt-BR"])), max_size=1),
    st.lists(st.tuples(st.sampled_from(["locale", "shop", "path_prefix", "extra", "signature"]), text), max_size=3),
)
reasons = st.one_of(st.sampled_from(["changed_mind", "other", "ordered_by_mistake"]), text, st.integers(), st.none())


@st.composite
def cancellation_bodies(draw, order_id: str):  # type: ignore[no-untyped-def]
    valid_token = (
        issue_token(API_SECRET, SHOP, CUSTOMER, int(order_id), time.time(), 3600) if order_id.isdigit() else ""
    )
    token = st.one_of(st.just(valid_token), st.just(valid_token), text, st.none())
    note = st.one_of(text, st.integers(), st.lists(text, max_size=2))
    form = st.fixed_dictionaries(
        {"reason": reasons, "csrf_token": token}, optional={"note": note, "confirm": st.just("yes")}
    )
    return draw(st.one_of(form, form, st.binary(max_size=200), json_values))


numbers = st.one_of(st.sampled_from([9001, 9002, 0, 1, 2, 200, 202]), st.integers(), text, st.none(), st.booleans())
edit_lines = st.lists(
    st.fixed_dictionaries({"id": numbers, "quantity": numbers}, optional={"variant_id": numbers, "extra": text}),
    max_size=3,
)
address_keys = st.sampled_from(["address1", "city", "zip", "country_code", "phone", "first_name", "street"])
addresses = st.dictionaries(address_keys, st.one_of(text, st.none(), st.integers()), max_size=4)


@st.composite
def edit_bodies(draw, order_id: str, *, csrf: bool = True):  # type: ignore[no-untyped-def]
    """An edit as JSON (line items and/or an address), as the page's form (quantity-<id>, variant-<id>,
    address-<key>, its two steps), or anything."""
    valid_token = (
        issue_token(API_SECRET, SHOP, CUSTOMER, int(order_id), time.time(), 3600) if order_id.isdigit() else ""
    )
    token = {"csrf_token": draw(st.one_of(st.just(valid_token), st.just(valid_token), text))} if csrf else {}
    body = st.fixed_dictionaries(
        {},
        optional={
            "line_items": st.one_of(edit_lines, json_values),
            "shipping_address": st.one_of(addresses, json_values),
        },
    )
    form_names = st.sampled_from(
        ["quantity-9001", "quantity-9002", "variant-9002", "address-city", "address-zz", "confirm", "step"]
    )
    form = st.dictionaries(
        form_names, st.one_of(st.sampled_from(["0", "1", "2", "200", "yes", "review"]), text), max_size=4
    )
    return draw(st.one_of(body.map(lambda b: {**b, **token}), form.map(lambda f: {**f, **token}), json_values))


@st.composite
def proxy_requests(draw):  # type: ignore[no-untyped-def]
    """(method, path, body): the four routes as the theme uses them, and now and then a method they don't take."""
    order_id = draw(order_ids)
    quoted = quote(order_id, safe="")
    kind = draw(st.sampled_from(["list", "order", "status", "ask", "ask", "edit", "edit", "edit_status", "odd"]))
    if kind == "edit":
        return "POST", f"/proxy/orders/{quoted}/edits", draw(edit_bodies(order_id))
    if kind == "edit_status":
        edit_id = draw(st.one_of(st.just("edt_0123456789abcdef0123"), text.filter(lambda s: "/" not in s and s)))
        return "GET", f"/proxy/orders/{quoted}/edits/{quote(edit_id, safe='')}", None
    if kind == "list":
        return "GET", draw(st.sampled_from(["/proxy/", "/proxy/orders"])), None
    if kind == "order":
        return "GET", f"/proxy/orders/{quoted}", None
    if kind == "status":
        return "GET", f"/proxy/orders/{quoted}/cancellation", None
    if kind == "ask":
        return "POST", f"/proxy/orders/{quoted}/cancellation", draw(cancellation_bodies(order_id))
    return draw(st.sampled_from(["PUT", "DELETE", "POST"])), f"/proxy/orders/{quoted}", draw(st.binary(max_size=50))


@FUZZ
@given(
    request=proxy_requests(),
    customer=st.sampled_from([str(CUSTOMER)] * 6 + ["", "7002", "0", "-1", "1e3", "७००१"]),
    extra=proxy_params,
    accept=st.sampled_from(["application/json"] * 3 + ["text/html", "*/*", ""]),
)
def test_signed_proxy_requests_never_get_a_5xx(fuzz_app, request, customer, extra, accept):
    method, path, body = request
    params = [*extra, ("shop", SHOP), ("logged_in_customer_id", customer), ("path_prefix", "/apps/self-service")]
    params.append(("timestamp", str(int(time.time()))))
    params.append(("signature", sign_proxy_query(params, API_SECRET)))
    kwargs: dict = {"headers": {"Accept": accept}}
    if isinstance(body, bytes):
        kwargs["data"] = body
    elif body is not None:
        kwargs["json"] = body
    answer = fuzz_app.test_client().open(f"{path}?{urlencode(params)}", method=method, **kwargs)
    assert answer.status_code in PROXY_STATUSES, (answer.status_code, answer.get_data(as_text=True)[:300])
    if answer.status_code >= 400 and answer.mimetype == "application/json":
        error = answer.get_json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)


@st.composite
def customer_account_requests(draw):  # type: ignore[no-untyped-def]
    """(method, path, body) of the customer-account extension's routes, with numeric ids, GIDs and anything."""
    order_id = draw(st.one_of(order_ids, order_ids.map(lambda o: f"gid://shopify/Order/{o}")))
    quoted = draw(st.sampled_from([quote(order_id, safe=""), quote(order_id, safe="/:")]))
    kind = draw(st.sampled_from(["order", "status", "ask", "ask", "edit", "edit", "preflight", "odd"]))
    if kind == "order":
        return "GET", f"/customer-account/orders/{quoted}", None
    if kind == "edit":
        plain_id = order_id.removeprefix("gid://shopify/Order/")
        return "POST", f"/customer-account/orders/{quoted}/edits", draw(edit_bodies(plain_id, csrf=False))
    if kind == "status":
        return "GET", f"/customer-account/orders/{quoted}/cancellation", None
    if kind == "preflight":
        return "OPTIONS", f"/customer-account/orders/{quoted}/cancellation", None
    if kind == "ask":
        body = st.fixed_dictionaries({"reason": reasons}, optional={"note": st.one_of(text, st.integers())})
        return "POST", f"/customer-account/orders/{quoted}/cancellation", draw(st.one_of(body, body, json_values))
    return draw(st.sampled_from(["PUT", "DELETE"])), f"/customer-account/orders/{quoted}", draw(st.binary(max_size=50))


@FUZZ
@given(
    request=customer_account_requests(),
    subject=st.sampled_from(
        [f"gid://shopify/Customer/{CUSTOMER}"] * 6 + [None, "", "7001", "gid://shopify/Customer/x"]
    ),
    dest=st.sampled_from([f"https://{SHOP}"] * 4 + [SHOP, "", "https://evil.example"]),
    locale=st.sampled_from(["", "?locale=nl", "?locale=pt-BR", "?locale=%ff"]),
)
def test_customer_account_requests_with_a_valid_token_never_get_a_5xx(fuzz_app, request, subject, dest, locale):
    from tests.helpers import customer_account_token

    method, path, body = request
    token = customer_account_token(customer=None, sub=subject, dest=dest)
    headers = {"Authorization": f"Bearer {token}", "Origin": "https://extensions.shopifycdn.com"}
    kwargs: dict = {"headers": headers}
    if isinstance(body, bytes):
        kwargs["data"] = body
    elif body is not None:
        kwargs["json"] = body
    answer = fuzz_app.test_client().open(f"{path}{locale}", method=method, **kwargs)
    assert answer.status_code in PROXY_STATUSES | {204}, (answer.status_code, answer.get_data(as_text=True)[:300])
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    if answer.status_code >= 400:
        error = answer.get_json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)


order_payloads = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.sampled_from([5001, 5002]), st.sampled_from([5001, 5002]), st.integers(), text),
        "name": st.one_of(text, st.integers(), st.none()),
        "email": st.one_of(text, st.none(), st.integers()),
        "created_at": st.one_of(st.datetimes().map(lambda d: d.isoformat()), text, st.integers()),
        "updated_at": st.one_of(st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()), text),
        "cancelled_at": st.one_of(st.none(), text),
        "fulfillment_status": st.one_of(st.sampled_from(["fulfilled", "partial", None]), text),
        "fulfillments": st.one_of(st.lists(json_values, max_size=2), json_values),
        "customer": json_values,
        "orders_to_redact": json_values,
        "data_request": json_values,
        "line_items": json_values,
    },
)


@FUZZ
@given(
    topic=st.one_of(
        st.sampled_from(
            [
                "orders/create",
                "orders/updated",
                "orders/cancelled",
                "orders/fulfilled",
                "orders/partially_fulfilled",
                "customers/data_request",
                "customers/redact",
                "app/uninstalled",
                "products/update",
            ]
        ),
        header_text,
    ),
    shop=st.one_of(st.just(SHOP), st.just(SHOP), header_text),
    payload=st.one_of(order_payloads, order_payloads, json_values),
)
def test_signed_webhooks_never_get_a_5xx_and_their_jobs_never_raise(fuzz_app, monkeypatch, topic, shop, payload):
    from storefront_proxy.job_context import JobContext
    from storefront_proxy.webhooks.enqueue import WEBHOOK_JOB_ID_PREFIX
    from tests.factories import patch_worker_context

    store = services_of(fuzz_app).store
    context = JobContext(services_of(fuzz_app).settings, store, lambda: datetime.now(UTC), lambda _: None)
    patch_worker_context(monkeypatch, context)
    body = json.dumps(payload).encode()
    delivery = f"fuzz-{time.time_ns()}"
    answer = fuzz_app.test_client().post(
        "/webhooks",
        data=body,
        headers={
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": shop,
            "X-Shopify-Webhook-Id": delivery,
            "X-Shopify-Hmac-Sha256": webhook_hmac(body),
        },
    )
    assert answer.status_code in WEBHOOK_STATUSES, (answer.status_code, answer.get_data(as_text=True)[:300])
    if answer.status_code == 200:
        job = Queue(QUEUE_NAME, connection=store.redis).fetch_job(WEBHOOK_JOB_ID_PREFIX + delivery)
        assert job is not None
        job.perform()  # the worker's job itself, in process: it must take whatever was accepted
    # The app's own Redis data stays readable whatever the job did.
    store.requests.of_shop(SHOP)
    Queue(QUEUE_NAME, connection=store.redis).empty()
    store.tokens.register_shop(SHOP, TOKEN)  # an app/uninstalled delivery may have dropped it
