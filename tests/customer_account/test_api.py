"""The customer-account extension's backend: session tokens, CORS, and the /proxy contract from the same use cases.

Shopify's Admin API is answered by `responses` (the `shop` fixture); Redis is real.
"""

from __future__ import annotations

import time

import pytest

from storefront_proxy.policy.model import Policy, ReviewMode
from storefront_proxy.services import services_of
from tests.factories import cancel_job_ids
from tests.helpers import OTHER_CUSTOMER, OTHER_SHOP, SHOP, customer_account_token, signed_query

ORIGIN = "https://extensions.shopifycdn.com"


def bearer(token: str | None = None, **claims) -> dict[str, str]:
    return {"Authorization": f"Bearer {token or customer_account_token(**claims)}", "Origin": ORIGIN}


def get(client, path: str, **claims):
    return client.get(path, headers=bearer(**claims))


def post(client, path: str, body: dict, **claims):
    return client.post(path, json=body, headers=bearer(**claims))


def cancel_jobs(redis_conn) -> list[str]:
    return cancel_job_ids(redis_conn)


# -- the contract, as on /proxy --------------------------------------------------------------------------------


def test_an_order_answers_as_on_the_proxy_without_the_form_token(client, shop):
    answer = get(client, "/customer-account/orders/5001")
    assert answer.status_code == 200
    body = answer.get_json()
    proxied = client.get(f"/proxy/orders/5001?{signed_query()}", headers={"Accept": "application/json"}).get_json()
    assert body == {key: value for key, value in proxied.items() if key != "csrf_token"}
    assert body["eligible"] is True and body["request"] is None


def test_the_order_gid_the_extension_api_gives_is_taken_too(client, shop):
    for order_id in ("gid://shopify/Order/5001", "gid%3A%2F%2Fshopify%2FOrder%2F5001"):
        answer = get(client, f"/customer-account/orders/{order_id}")
        assert answer.status_code == 200 and answer.get_json()["order_id"] == 5001


@pytest.mark.parametrize("order_id", ["abc", "0", "gid://shopify/Customer/5001", "gid://shopify/Order/x", "1" * 25])
def test_malformed_order_ids_are_400(client, shop, order_id):
    answer = get(client, f"/customer-account/orders/{order_id}")
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid_order_id"


def test_ineligible_orders_carry_the_same_codes(client, shop):
    assert [r["code"] for r in get(client, "/customer-account/orders/5002").get_json()["ineligible_reasons"]] == [
        "fulfillment_started"
    ]
    assert [r["code"] for r in get(client, "/customer-account/orders/5003").get_json()["ineligible_reasons"]] == [
        "window_closed"
    ]


def test_another_customers_order_answers_exactly_like_an_unknown_one(client, shop):
    theirs = get(client, "/customer-account/orders/5004")
    unknown = get(client, "/customer-account/orders/9999")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.get_json() == unknown.get_json()
    assert theirs.get_json()["error"]["code"] == "order_not_found"
    asked = post(client, "/customer-account/orders/5004/cancellation", {"reason": "changed_mind"})
    assert asked.status_code == 404 and asked.get_json() == theirs.get_json()


def test_a_cancellation_needs_no_form_token_and_is_queued_once(client, shop, redis_conn):
    first = post(client, "/customer-account/orders/5001/cancellation", {"reason": "changed_mind", "note": "Too big"})
    assert first.status_code == 202
    request = first.get_json()["request"]
    assert request["status"] == "queued" and request["note"] == "Too big"
    again = post(client, "/customer-account/orders/5001/cancellation", {"reason": "other"})
    assert again.status_code == 200 and again.get_json()["request"]["id"] == request["id"]
    assert cancel_jobs(redis_conn) == [f"cancel-{request['id']}"]
    shown = get(client, "/customer-account/orders/5001/cancellation")
    assert shown.status_code == 200 and shown.get_json()["request"]["id"] == request["id"]
    assert get(client, "/customer-account/orders/5001").get_json()["request"]["id"] == request["id"]


def test_no_request_yet_is_404(client, shop):
    answer = get(client, "/customer-account/orders/5001/cancellation")
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "request_not_found"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "missing_reason"),
        ({"reason": "not_offered"}, "invalid_reason"),
        ({"reason": "other", "note": ["list"]}, "invalid_note"),
        ({"reason": "other", "note": "x" * 501}, "note_too_long"),
    ],
)
def test_bad_input_is_400_with_the_proxys_codes(client, shop, redis_conn, body, code):
    answer = post(client, "/customer-account/orders/5001/cancellation", body)
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == code
    assert cancel_jobs(redis_conn) == []


def test_ineligible_is_409_with_the_reasons(client, shop):
    answer = post(client, "/customer-account/orders/5002/cancellation", {"reason": "changed_mind"})
    assert answer.status_code == 409
    error = answer.get_json()["error"]
    assert error["code"] == "not_eligible" and [r["code"] for r in error["reasons"]] == ["fulfillment_started"]


def test_messages_follow_the_shoppers_locale(client, shop):
    answer = client.get("/customer-account/orders/5003?locale=nl", headers=bearer())
    [reason] = answer.get_json()["ineligible_reasons"]
    english = get(client, "/customer-account/orders/5003").get_json()["ineligible_reasons"][0]["message"]
    assert reason["message"] != english and reason["code"] == "window_closed"


# -- one set of use cases: a request made on one path is the request on the other -----------------------------


def test_a_request_made_through_the_proxy_is_the_extensions_and_the_other_way_round(client, shop, redis_conn, app):
    proxy = {"Accept": "application/json"}
    token = client.get(f"/proxy/orders/5001?{signed_query()}", headers=proxy).get_json()["csrf_token"]
    made = client.post(
        f"/proxy/orders/5001/cancellation?{signed_query()}",
        json={"reason": "changed_mind", "csrf_token": token},
        headers=proxy,
    )
    assert made.status_code == 202
    request_id = made.get_json()["request"]["id"]
    assert get(client, "/customer-account/orders/5001/cancellation").get_json()["request"]["id"] == request_id
    repeat = post(client, "/customer-account/orders/5001/cancellation", {"reason": "other"})
    assert repeat.status_code == 200 and repeat.get_json()["request"]["id"] == request_id

    services_of(app).store.policies.save(SHOP, Policy(review_mode=ReviewMode.MANUAL))
    other = post(client, "/customer-account/orders/5003/cancellation", {"reason": "changed_mind"})
    assert other.status_code == 409  # past its window: the same rules on both paths
    asked = post(client, "/customer-account/orders/5001/cancellation", {"reason": "changed_mind"})
    assert asked.get_json()["request"]["id"] == request_id
    seen = client.get(f"/proxy/orders/5001?{signed_query()}", headers=proxy).get_json()["request"]
    assert seen["id"] == request_id
    assert cancel_jobs(redis_conn) == [f"cancel-{request_id}"]


def test_a_request_made_in_the_extension_shows_on_the_proxy(client, shop):
    made = post(client, "/customer-account/orders/5001/cancellation", {"reason": "changed_mind"}).get_json()
    shown = client.get(f"/proxy/orders/5001/cancellation?{signed_query()}", headers={"Accept": "application/json"})
    assert shown.get_json()["request"] == made["request"]


# -- session tokens --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": f"Bearer {customer_account_token(secret='another-apps-secret-long-enough-for-hs256')}"},
        {"Authorization": f"Bearer {customer_account_token(aud='another-app')}"},
        {"Authorization": f"Bearer {customer_account_token(exp=int(time.time()) - 120)}"},
        {"Authorization": f"Bearer {customer_account_token(nbf=int(time.time()) + 120)}"},
        {"Authorization": f"Bearer {customer_account_token(exp=None)}"},
        {"Authorization": f"Bearer {customer_account_token(exp=int(time.time()) + 86400)}"},
        {"Authorization": f"Bearer {customer_account_token(dest='https://evil.example.com')}"},
        {"Authorization": f"Bearer {customer_account_token(sub='gid://shopify/Order/7001')}"},
        {"Authorization": f"Bearer {customer_account_token(sub='7001')}"},
    ],
    ids=[
        "none",
        "basic",
        "garbage",
        "foreign-secret",
        "foreign-audience",
        "expired",
        "not-yet-valid",
        "no-expiry",
        "lives-a-day",
        "not-a-shop",
        "sub-not-a-customer",
        "sub-not-a-gid",
    ],
)
def test_bad_tokens_are_401_and_read_nothing(client, shop, headers):
    answer = client.get("/customer-account/orders/5001", headers={**headers, "Origin": ORIGIN})
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "invalid_session_token"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert shop.calls == []


def test_a_token_without_a_signed_in_customer_is_login_required(client, shop):
    answer = get(client, "/customer-account/orders/5001", customer=None)
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "login_required"
    assert shop.calls == []


def test_the_bare_shop_domain_as_dest_is_the_shop(client, shop):
    assert get(client, "/customer-account/orders/5001", dest=SHOP).status_code == 200


def test_the_shop_and_customer_come_from_the_token(client, shop):
    # Another customer of the same shop does not see the order; another shop is another shop.
    assert get(client, "/customer-account/orders/5001", customer=OTHER_CUSTOMER).status_code == 404
    answer = get(client, "/customer-account/orders/5001", shop=OTHER_SHOP)
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "app_not_installed"


def test_a_token_signed_with_the_previous_secret_is_taken_during_a_rotation(app, settings, shop):
    from storefront_proxy.app import create_app

    old = "the-previous-secret-that-is-long-enough-for-hs256"
    rotating = create_app(
        settings.model_copy(update={"shopify_api_secret_old": type(settings.shopify_api_secret)(old)})
    )
    answer = rotating.test_client().get("/customer-account/orders/5001", headers=bearer(secret=old))
    assert answer.status_code == 200


def test_an_uninstalled_shop_answers_as_on_the_proxy(client, shop, app):
    services_of(app).store.tokens.forget_uninstalled(SHOP)
    extension = get(client, "/customer-account/orders/5001")
    proxied = client.get(f"/proxy/orders/5001?{signed_query()}", headers={"Accept": "application/json"})
    assert extension.status_code == proxied.status_code == 403
    assert extension.get_json() == proxied.get_json()


# -- CORS ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/customer-account/orders/5001", "/customer-account/orders/5001/cancellation"])
def test_preflights_are_204_with_shopifys_cors_headers(client, shop, path):
    answer = client.options(
        path,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert answer.status_code == 204 and answer.get_data() == b""
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert answer.headers["Access-Control-Max-Age"] == "7200"
    assert "Set-Cookie" not in answer.headers and shop.calls == []


def test_every_answer_errors_included_may_be_read_by_the_extension(client, shop):
    answers = [
        get(client, "/customer-account/orders/5001"),
        get(client, "/customer-account/orders/9999"),
        get(client, "/customer-account/orders/abc"),
        client.get("/customer-account/nothing-here", headers=bearer()),
        client.delete("/customer-account/orders/5001", headers=bearer()),
        post(client, "/customer-account/orders/5001/cancellation", {}),
    ]
    assert [answer.status_code for answer in answers] == [200, 404, 400, 404, 405, 400]
    for answer in answers:
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert answer.headers["Cache-Control"] == "no-store"
        assert "Set-Cookie" not in answer.headers
        assert answer.is_json


def test_the_proxy_grants_no_cross_origin_reads(client, shop):
    answer = client.get(f"/proxy/orders/5001?{signed_query()}", headers={"Accept": "application/json"})
    assert "Access-Control-Allow-Origin" not in answer.headers
