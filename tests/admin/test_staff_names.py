"""Staff members named in words: an online token exchange once per staff member and shop, only the name kept."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from storefront_proxy.services import services_of
from storefront_proxy.shopify import oauth
from storefront_proxy.staff.repository import LOOKUP_PAUSE_SECONDS, UNNAMED_PAUSE_SECONDS, staff_lookup_key
from storefront_proxy.webhooks.privacy import erase_shop
from tests.factories import stored_request
from tests.helpers import SHOP, auth, session_token

ONLINE = "urn:shopify:params:oauth:token-type:online-access-token"
GRACE = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}


@pytest.fixture
def store(app):
    return services_of(app).store


def approved_by_42(client, store) -> dict:
    """A request staff member 42 approved and noted, as its detail answers."""
    pending = stored_request(store)
    assert client.post(f"/admin/api/requests/{pending.id}/approve", headers=auth()).status_code == 200
    noted = client.post(f"/admin/api/requests/{pending.id}/notes", json={"text": "Called"}, headers=auth())
    return noted.get_json()["request"]


def test_a_known_staff_members_name_is_used(client, store, shopify_oauth):
    shopify_oauth.staff["42"] = GRACE
    request = approved_by_42(client, store)
    assert request["timeline"][-1]["actor"] == {"kind": "staff", "id": "42", "name": "Grace Hopper"}
    assert request["notes"][0]["author_name"] == "Grace Hopper"
    [(url, body)] = shopify_oauth.online_requests
    assert url == f"https://{SHOP}/admin/oauth/access_token"
    assert body["requested_token_type"] == ONLINE
    assert body["subject_token_type"] == "urn:ietf:params:oauth:token-type:id_token"
    # The configured shop's own token serves everything else: no offline exchange.
    assert shopify_oauth.requests == []


def test_only_the_name_is_kept_never_the_online_token(client, store, redis_conn, shopify_oauth):
    shopify_oauth.staff["42"] = GRACE
    approved_by_42(client, store)
    everything = b" ".join(
        value
        for found in redis_conn.scan_iter("selfservice:staff*")
        for value in ([redis_conn.get(found)] if redis_conn.type(found) == b"string" else redis_conn.hvals(found))
    )
    assert b"Grace Hopper" in everything
    assert b"shpua_" not in everything and b"grace@example.com" not in everything


def test_an_unknown_staff_member_has_no_name(client, store, shopify_oauth):
    request = approved_by_42(client, store)
    assert request["timeline"][-1]["actor"] == {"kind": "staff", "id": "42", "name": None}
    assert request["notes"][0]["author_name"] is None


def test_without_a_first_or_last_name_the_email_names_the_staff_member(client, store, shopify_oauth):
    shopify_oauth.staff["42"] = {"first_name": "", "last_name": " ", "email": "ops@example.com"}
    assert approved_by_42(client, store)["notes"][0]["author_name"] == "ops@example.com"


def test_the_exchange_is_not_repeated_for_a_day_when_shopify_names_no_one(client, store, redis_conn, shopify_oauth):
    for _ in range(3):
        assert client.get("/admin/api/policy", headers=auth()).status_code == 200
    assert len(shopify_oauth.online_requests) == 1
    assert LOOKUP_PAUSE_SECONDS < redis_conn.ttl(staff_lookup_key(SHOP, "42")) <= UNNAMED_PAUSE_SECONDS
    # Once the pause expired, a staff member still without a name is looked up again, and once named never again.
    redis_conn.delete(staff_lookup_key(SHOP, "42"))
    shopify_oauth.staff["42"] = GRACE
    client.get("/admin/api/policy", headers=auth())
    redis_conn.delete(staff_lookup_key(SHOP, "42"))
    client.get("/admin/api/policy", headers=auth())
    assert len(shopify_oauth.online_requests) == 2
    assert store.staff_names.names(SHOP, ["42"]) == {"42": "Grace Hopper"}


def test_each_staff_member_is_looked_up_on_their_own(client, shopify_oauth):
    client.get("/admin/api/policy", headers=auth())
    client.get("/admin/api/policy", headers=auth(sub="43"))
    client.get("/admin/api/policy", headers=auth(sub=None))
    subjects = [body["subject_token"] for _, body in shopify_oauth.online_requests]
    assert len(subjects) == 2, "a session token without sub names no one to look up"


@pytest.mark.parametrize(
    ("failure", "pause", "logged"),
    [
        ("network", LOOKUP_PAUSE_SECONDS, "staff name lookup failed"),
        ((500, "internal_error"), LOOKUP_PAUSE_SECONDS, "staff name lookup failed"),
        # A refusal would be repeated: asked again a day later.
        ((400, "invalid_subject_token"), UNNAMED_PAUSE_SECONDS, "staff name lookup refused"),
    ],
    ids=["network", "5xx", "refused"],
)
def test_a_failing_exchange_does_not_fail_the_admin_request(
    client, store, redis_conn, shopify_oauth, caplog, failure, pause, logged
):
    shopify_oauth.online_fail_with = failure
    token = session_token()
    with caplog.at_level(logging.INFO):
        response = client.get("/admin/api/requests", headers=auth(token))
    assert response.status_code == 200
    assert len(shopify_oauth.online_requests) == 1
    assert pause - 5 < redis_conn.ttl(staff_lookup_key(SHOP, "42")) <= pause
    assert logged in caplog.text
    assert token not in caplog.text and "client_secret" not in caplog.text
    assert store.staff_names.names(SHOP, ["42"]) == {}


def test_an_unexpected_error_of_the_lookup_is_logged_without_its_text(client, monkeypatch, caplog):
    def crash(*_: object) -> str:
        raise RuntimeError("shpua_secret_online_token")

    monkeypatch.setattr(oauth, "staff_member_name", crash)
    with caplog.at_level(logging.INFO):
        assert client.get("/admin/api/policy", headers=auth()).status_code == 200
    assert "RuntimeError" in caplog.text and "shpua_secret" not in caplog.text


def test_a_name_is_looked_up_again_after_a_month(store):
    learned = datetime.now(UTC) - timedelta(days=31)
    store.staff_names.remember(SHOP, "42", "Grace Hopper", learned)
    assert store.staff_names.needs_lookup(SHOP, "42", datetime.now(UTC))
    assert not store.staff_names.needs_lookup(SHOP, "42", learned + timedelta(days=29))
    # Kept meanwhile.
    assert store.staff_names.names(SHOP, ["42", "7"]) == {"42": "Grace Hopper"}


def test_shop_redact_erases_the_staff_names(client, store, redis_conn, shopify_oauth):
    shopify_oauth.staff["42"] = GRACE
    client.get("/admin/api/policy", headers=auth())
    assert store.staff_names.names(SHOP, ["42"]) == {"42": "Grace Hopper"}
    erase_shop(store, SHOP)
    assert store.staff_names.names(SHOP, ["42"]) == {}
    assert list(redis_conn.scan_iter("selfservice:staff*")) == []
