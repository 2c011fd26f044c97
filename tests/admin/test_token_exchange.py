"""Managed installation: a new shop's first admin request trades its session token for an offline token."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from storefront_proxy.services import services_of
from storefront_proxy.shopify import oauth
from storefront_proxy.tokens.model import OfflineToken
from tests.helpers import API_KEY, API_SECRET, auth, session_token

SHOP_B = "othershop.myshopify.com"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


@pytest.fixture
def store(app):
    return services_of(app).store


def test_the_first_request_of_a_new_shop_exchanges_its_session_token(client, store, shopify_oauth):
    token = session_token(shop=SHOP_B)
    response = client.get("/admin/api/policy", headers=auth(token))

    assert response.status_code == 200
    [(url, body)] = shopify_oauth.requests
    assert url == f"https://{SHOP_B}/admin/oauth/access_token"
    assert body["grant_type"] == EXCHANGE and body["subject_token"] == token
    assert body["subject_token_type"] == "urn:ietf:params:oauth:token-type:id_token"
    assert body["requested_token_type"] == "urn:shopify:params:oauth:token-type:offline-access-token"
    assert body["expiring"] == 1 and body["client_id"] == API_KEY and body["client_secret"] == API_SECRET
    stored = store.tokens.offline_token(SHOP_B)
    issued = shopify_oauth.issued[-1]
    assert stored.access_token.get_secret_value() == issued["access_token"]
    assert stored.refresh_token.get_secret_value() == issued["refresh_token"]
    assert stored.expires_at > datetime.now(UTC) + timedelta(minutes=55)

    # From then on the stored token is used; no more exchanges.
    assert client.get("/admin/api/policy", headers=auth(shop=SHOP_B)).status_code == 200
    assert len(shopify_oauth.requests) == 1


def test_the_configured_custom_app_shop_never_exchanges(client, store, redis_conn, shopify_oauth):
    redis_conn.flushdb()  # even with nothing stored, SHOPIFY_ACCESS_TOKEN serves it
    assert client.get("/admin/api/policy", headers=auth()).status_code == 200
    assert shopify_oauth.requests == []


def test_a_shop_whose_refresh_token_expired_exchanges_again(client, store, shopify_oauth):
    dead = OfflineToken(
        access_token=SecretStr("shpat_dead"),
        expires_at=datetime.now(UTC) - timedelta(days=1),
        refresh_token=SecretStr("shprt_dead"),
        refresh_token_expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    store.tokens.save(SHOP_B, dead)
    assert client.get("/admin/api/policy", headers=auth(shop=SHOP_B)).status_code == 200
    assert len(shopify_oauth.grants("token_exchange")) == 1
    assert (
        store.tokens.offline_token(SHOP_B).access_token.get_secret_value() == shopify_oauth.issued[-1]["access_token"]
    )


def test_a_public_shops_non_expiring_token_is_replaced_by_the_next_admin_request(client, store, shopify_oauth):
    store.tokens.register_shop(SHOP_B, "shpat_legacy")
    assert client.get("/admin/api/policy", headers=auth(shop=SHOP_B)).status_code == 200
    [(_, body)] = shopify_oauth.requests
    assert body["subject_token_type"] == "urn:ietf:params:oauth:token-type:id_token"
    assert store.tokens.offline_token(SHOP_B).expiring


def test_an_expired_access_token_that_can_refresh_is_left_to_shop_token(client, store, shopify_oauth):
    expired = OfflineToken(
        access_token=SecretStr("shpat_expired"),
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
        refresh_token=SecretStr("shprt_live"),
        refresh_token_expires_at=datetime.now(UTC) + timedelta(days=30),
    )
    store.tokens.save(SHOP_B, expired)
    assert client.get("/admin/api/policy", headers=auth(shop=SHOP_B)).status_code == 200
    assert shopify_oauth.requests == []


def test_a_refused_session_token_is_401_for_app_bridge_to_retry(client, store, shopify_oauth):
    shopify_oauth.fail_with = (400, "invalid_subject_token")
    response = client.get("/admin/api/policy", headers=auth(shop=SHOP_B))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_session"
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert store.tokens.offline_token(SHOP_B) is None


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        ("network", "shop_unavailable"),
        ((503, "unavailable"), "shop_unavailable"),
        ((401, "invalid_client"), "token_exchange_failed"),
    ],
    ids=["network", "5xx", "invalid-client"],
)
def test_other_exchange_failures_are_503_with_retry_after(client, store, shopify_oauth, failure, code):
    shopify_oauth.fail_with = failure
    response = client.get("/admin/api/policy", headers=auth(shop=SHOP_B))
    assert response.status_code == 503 and response.get_json()["error"]["code"] == code
    assert int(response.headers["Retry-After"]) > 0
    assert store.tokens.offline_token(SHOP_B) is None


def test_an_invalid_session_token_is_refused_before_any_exchange(client, shopify_oauth):
    response = client.get(
        "/admin/api/policy",
        headers=auth(session_token(shop=SHOP_B, secret="not-the-app-secret-but-long-enough-for-hs256")),
    )
    assert response.status_code == 401 and shopify_oauth.requests == []


def test_simultaneous_first_requests_exchange_once(app, store, shopify_oauth, monkeypatch):
    """The admin page's first load sends several requests at once; the shop's token lock lets one exchange."""

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.3)
        return shopify_oauth(request)

    monkeypatch.setattr(oauth, "http_client", lambda *_, **__: httpx.Client(transport=httpx.MockTransport(slow)))
    statuses: list[int] = []

    def load() -> None:
        statuses.append(app.test_client().get("/admin/api/policy", headers=auth(shop=SHOP_B)).status_code)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert statuses == [200, 200, 200]
    assert len(shopify_oauth.requests) == 1
