"""The admin JSON API: session tokens, shop isolation, policy validation and audit, the review queue."""

from __future__ import annotations

import time

import jwt
import pytest

from storefront_proxy.cancellations.records import RequestStatus
from storefront_proxy.policy.model import Policy, ReviewMode
from storefront_proxy.services import services_of
from tests.factories import cancel_job_ids, stored_request
from tests.helpers import API_KEY, OTHER_SHOP, SHOP, auth, session_token


@pytest.fixture
def store(app):
    return services_of(app).store


def cancel_jobs(redis_conn) -> list[str]:
    return cancel_job_ids(redis_conn)


# -- session tokens ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer not-a-jwt"},
        auth(exp=int(time.time()) - 120, nbf=int(time.time()) - 200),
        auth(nbf=int(time.time()) + 120),
        auth(aud="another-app"),
        auth(secret="a-different-secret-that-is-long-enough-0000"),
        auth(iss="https://othershop.myshopify.com/admin"),
        auth(dest="https://evil.example.com", iss="https://evil.example.com/admin"),
        {"Authorization": "Bearer " + session_token()[:-3] + "abc"},
        {"Authorization": "Bearer " + jwt.encode({"dest": f"https://{SHOP}", "aud": API_KEY}, None, algorithm="none")},
        auth(token=session_token(exp=None)),
        auth(token=session_token(nbf=None)),
        auth(exp=int(time.time()) + 6 * 3600),
        auth(exp=int(time.time()) + 301, nbf=int(time.time()) - 1),
    ],
    ids=[
        "missing",
        "basic",
        "garbage",
        "expired",
        "not-yet-valid",
        "wrong-audience",
        "wrong-secret",
        "issuer-mismatch",
        "not-a-shop",
        "tampered",
        "alg-none",
        "no-exp",
        "no-nbf",
        "lives-six-hours",
        "lives-over-five-minutes",
    ],
)
def test_bad_session_tokens_are_401(client, headers):
    response = client.get("/admin/api/policy", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_session"
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


def test_a_valid_token_reads_its_own_shops_policy(client, store):
    store.policies.save(SHOP, Policy(cancel_window_minutes=45))
    store.policies.save(OTHER_SHOP, Policy(cancel_window_minutes=15))
    assert client.get("/admin/api/policy", headers=auth()).get_json()["policy"]["cancel_window_minutes"] == 45
    other = client.get("/admin/api/policy", headers=auth(shop=OTHER_SHOP)).get_json()["policy"]
    assert other["cancel_window_minutes"] == 15


# -- policy -----------------------------------------------------------------------------------------------


def test_policy_update_is_validated_per_field(client, store):
    response = client.put(
        "/admin/api/policy", json={"cancel_window_minutes": 0, "review_mode": "sometimes"}, headers=auth()
    )
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"cancel_window_minutes", "review_mode"}
    assert store.policies.get(SHOP) == Policy()


def test_policy_update_is_stored_and_audited(client, store):
    response = client.put(
        "/admin/api/policy", json={"cancel_window_minutes": 30, "review_mode": "manual"}, headers=auth()
    )
    assert response.status_code == 200
    assert store.policies.get(SHOP).review_mode is ReviewMode.MANUAL
    entry = client.get("/admin/api/audit", headers=auth()).get_json()["entries"][0]
    assert entry["actor"] == "staff:42" and entry["action"] == "policy.update"
    assert entry["before"]["cancel_window_minutes"] == 60 and entry["after"]["cancel_window_minutes"] == 30
    assert client.get("/admin/api/audit", headers=auth(shop=OTHER_SHOP)).get_json()["entries"] == []


def test_the_new_policy_fields_round_trip(client, store):
    values = {
        "window_mode": "until_fulfillment",
        "allowed_financial_statuses": ["PAID", "AUTHORIZED"],
        "excluded_product_tags": ["gift-card"],
        "cancelled_order_tag": "self-service-cancelled",
        "review_mode": "manual_above_total",
        "review_threshold": "150.5",
        "auto_review_after_hours": 48,
        "auto_review_action": "reject",
        "auto_reject_message": "We could not review your request in time.",
        "review_target_hours": 8,
        "reasons": [{"code": "changed_mind", "label": "I changed my mind", "labels": {"nl": "Toch maar niet"}}],
    }
    response = client.put("/admin/api/policy", json=values, headers=auth())
    assert response.status_code == 200, response.get_json()
    saved = client.get("/admin/api/policy", headers=auth()).get_json()["policy"]
    assert saved["review_threshold"] == "150.5" and saved["review_target_hours"] == 8
    assert saved["reasons"][0]["labels"] == {"nl": "Toch maar niet"}
    assert {name: saved[name] for name in values if name != "review_threshold"} == {
        name: value for name, value in values.items() if name != "review_threshold"
    }
    assert store.policies.get(SHOP).window_mode == "until_fulfillment"
    # Money is a decimal string or a whole number; a float would be rounded in binary.
    floated = client.put("/admin/api/policy", json={**values, "review_threshold": 150.1}, headers=auth())
    assert floated.status_code == 422 and "review_threshold" in floated.get_json()["error"]["fields"]
    assert client.put("/admin/api/policy", json={**values, "review_threshold": 150}, headers=auth()).status_code == 200


def test_the_new_policy_fields_are_validated_per_field(client, store):
    response = client.put(
        "/admin/api/policy",
        json={
            "review_mode": "manual_above_total",
            "auto_review_after_hours": 0,
            "review_target_hours": "soon",
            "cancelled_order_tag": "one,two",
            "reasons": [{"code": "other", "label": "Other", "labels": {"xx": "?"}}],
        },
        headers=auth(),
    )
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {
        "review_threshold",
        "auto_review_after_hours",
        "review_target_hours",
        "cancelled_order_tag",
        "reasons.0.labels",
    }
    rejecting = client.put(
        "/admin/api/policy", json={"auto_review_after_hours": 24, "auto_review_action": "reject"}, headers=auth()
    )
    assert set(rejecting.get_json()["error"]["fields"]) == {"auto_reject_message"}
    assert store.policies.get(SHOP) == Policy()


# -- the queue --------------------------------------------------------------------------------------------


def test_list_filters_searches_and_pages(client, store):
    for n in range(30):
        stored_request(store, order_id=6000 + n, order_name=f"#{2000 + n}", customer_email=f"c{n}@example.com")
    stored_request(
        store, status=RequestStatus.FAILED, order_id=7000, order_name="#3000", customer_email="grace@example.com"
    )
    stored_request(store, shop=OTHER_SHOP, order_id=8000, order_name="#9000")

    first = client.get("/admin/api/requests", headers=auth()).get_json()
    assert first["total"] == 31 and first["pages"] == 2 and len(first["requests"]) == 25
    second = client.get("/admin/api/requests?page=2", headers=auth()).get_json()
    assert len(second["requests"]) == 6
    failed = client.get("/admin/api/requests?status=failed", headers=auth()).get_json()
    assert [r["order_name"] for r in failed["requests"]] == ["#3000"]
    by_email = client.get("/admin/api/requests?q=GRACE@", headers=auth()).get_json()
    assert [r["order_name"] for r in by_email["requests"]] == ["#3000"]
    by_name = client.get("/admin/api/requests?q=%232029", headers=auth()).get_json()
    assert [r["order_name"] for r in by_name["requests"]] == ["#2029"]
    assert client.get("/admin/api/requests?status=nonsense", headers=auth()).status_code == 400


def test_another_shops_request_is_invisible_and_untouchable(client, store, redis_conn):
    theirs = stored_request(store, shop=OTHER_SHOP)
    for method, path in [
        ("get", f"/admin/api/requests/{theirs.id}"),
        ("post", f"/admin/api/requests/{theirs.id}/approve"),
        ("post", f"/admin/api/requests/{theirs.id}/retry"),
    ]:
        response = getattr(client, method)(path, headers=auth())
        assert response.status_code == 404
    assert (
        client.post(f"/admin/api/requests/{theirs.id}/reject", json={"message": "no"}, headers=auth()).status_code
        == 404
    )
    assert store.requests.get(theirs.id).status is RequestStatus.PENDING_REVIEW
    assert cancel_jobs(redis_conn) == []


def test_approve_queues_the_cancellation_once(client, store, redis_conn):
    pending = stored_request(store)
    response = client.post(f"/admin/api/requests/{pending.id}/approve", headers=auth())
    assert response.status_code == 200
    assert response.get_json()["request"]["status"] == "queued"
    assert cancel_jobs(redis_conn) == [f"cancel-{pending.id}"]
    again = client.post(f"/admin/api/requests/{pending.id}/approve", headers=auth())
    assert again.status_code == 409 and again.get_json()["error"]["request_status"] == "queued"
    assert len(cancel_jobs(redis_conn)) == 1


def test_reject_needs_a_message_the_shopper_sees(client, store):
    pending = stored_request(store)
    assert client.post(f"/admin/api/requests/{pending.id}/reject", json={}, headers=auth()).status_code == 422
    assert (
        client.post(f"/admin/api/requests/{pending.id}/reject", json={"message": "  "}, headers=auth()).status_code
        == 422
    )
    response = client.post(
        f"/admin/api/requests/{pending.id}/reject", json={"message": "Your order is already packed."}, headers=auth()
    )
    assert response.status_code == 200
    stored = store.requests.get(pending.id)
    assert stored.status is RequestStatus.REJECTED
    assert stored.public_dict()["message"] == "Your order is already packed."


def test_retry_requeues_a_failed_request_with_a_new_job(client, store, redis_conn):
    failed = stored_request(store, status=RequestStatus.FAILED, dispatches=1)
    response = client.post(f"/admin/api/requests/{failed.id}/retry", headers=auth())
    assert response.status_code == 200
    assert cancel_jobs(redis_conn) == [f"cancel-{failed.id}-2"]
    pending = stored_request(store, order_id=5002)
    assert client.post(f"/admin/api/requests/{pending.id}/retry", headers=auth()).status_code == 409


def test_notes_and_detail(client, store):
    pending = stored_request(store)
    assert (
        client.post(
            f"/admin/api/requests/{pending.id}/notes", json={"text": "Called the customer"}, headers=auth()
        ).status_code
        == 201
    )
    detail = client.get(f"/admin/api/requests/{pending.id}", headers=auth()).get_json()["request"]
    assert detail["notes"][0]["text"] == "Called the customer" and detail["notes"][0]["author"] == "staff:42"
    assert [event["type"] for event in detail["timeline"]] == ["requested"]
    empty = client.post(f"/admin/api/requests/{pending.id}/notes", json={"text": ""}, headers=auth())
    assert empty.status_code == 422
    assert empty.get_json()["error"]["code"] == "invalid_text" and "text" in empty.get_json()["error"]["fields"]


def test_a_reject_without_a_message_names_the_field(client, store):
    pending = stored_request(store)
    answer = client.post(f"/admin/api/requests/{pending.id}/reject", json={"message": "  "}, headers=auth())
    assert answer.status_code == 422
    assert answer.get_json()["error"] == {
        "code": "invalid_message",
        "message": "Tell the shopper why the request is rejected.",
        "fields": {"message": "Tell the shopper why the request is rejected."},
    }


def test_bulk_approve_and_reject(client, store, redis_conn):
    first, second = stored_request(store), stored_request(store, order_id=5002)
    done = stored_request(store, status=RequestStatus.CANCELLED, order_id=5003)
    response = client.post(
        "/admin/api/requests/bulk",
        json={"action": "approve", "ids": [first.id, done.id, "ccr_missing"]},
        headers=auth(),
    )
    assert response.get_json()["results"] == {
        first.id: "ok",
        done.id: "wrong_status:cancelled",
        "ccr_missing": "not_found",
    }
    rejected = client.post(
        "/admin/api/requests/bulk", json={"action": "reject", "ids": [second.id], "message": "Sorry"}, headers=auth()
    )
    assert rejected.get_json()["results"] == {second.id: "ok"}
    assert (
        client.post(
            "/admin/api/requests/bulk", json={"action": "delete", "ids": [first.id]}, headers=auth()
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/admin/api/requests/bulk", data="[", headers={**auth(), "Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_a_token_living_a_minute_is_accepted(client):
    now = int(time.time())
    assert client.get("/admin/api/policy", headers=auth(nbf=now - 5, exp=now + 55)).status_code == 200


def test_the_custom_app_shop_is_refused_once_it_uninstalled_the_app(client, store, settings):
    from storefront_proxy.tokens.lifecycle import register_configured_shop

    register_configured_shop(settings, store)
    assert client.get("/admin/api/requests", headers=auth()).status_code == 200
    store.tokens.forget_uninstalled(SHOP)
    refused = client.get("/admin/api/requests", headers=auth())
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "app_not_installed"
    assert "Install it again" in refused.get_json()["error"]["message"]
    # A restart with the token Shopify revoked does not install the app again; a new token does.
    register_configured_shop(settings, store)
    assert client.get("/admin/api/requests", headers=auth()).status_code == 403
    reinstalled = settings.model_copy(update={"shopify_access_token": type(settings.shopify_access_token)("shpat_new")})
    register_configured_shop(reinstalled, store)
    assert client.get("/admin/api/requests", headers=auth()).status_code == 200


def test_admin_errors_are_in_the_admins_words_not_the_shoppers(client, store):
    pending = stored_request(store)
    answer = client.post(f"/admin/api/requests/{pending.id}/notes", json={"text": 5}, headers=auth())
    assert answer.status_code == 422 and answer.get_json()["error"]["message"] == "A note needs text."
