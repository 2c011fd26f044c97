"""The devshop's OAuth: the grant screen, the token endpoint's three grants, rotation, expiry, the Admin API check."""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from devshop.admin_frame import AdminConfig, issue_session_token
from devshop.app import create_devshop
from devshop.oauth import DevshopOAuth, sign_oauth_query
from devshop.schema import load_admin_schema
from tests.devshop.helpers import APP_URL, ENDPOINT, Clock

SECRET = "devshop-oauth-test-secret-long-enough-for-hs256"
API_KEY = "devshop-test-key"
SHOP = "devshop.myshopify.com"
QUERY = "query GetAppInstallation { currentAppInstallation { id } }"
INVALID = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token"


@pytest.fixture(scope="module", autouse=True)
def _schema() -> None:
    load_admin_schema()


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time())  # session tokens are checked against the real clock by PyJWT


@pytest.fixture
def app(clock: Clock) -> Flask:
    app = create_devshop(app_url=APP_URL, api_secret=SECRET, api_key=API_KEY, shop_domain=SHOP, clock=clock)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def oauth(app: Flask) -> DevshopOAuth:
    return app.extensions["devshop_oauth"]


def token_request(client: FlaskClient, **body: object):
    return client.post("/admin/oauth/access_token", json={"client_id": API_KEY, "client_secret": SECRET, **body})


def admin_call(client: FlaskClient, token: str):
    return client.post(ENDPOINT, json={"query": QUERY}, headers={"X-Shopify-Access-Token": token})


def exchange(client: FlaskClient, subject_token: str, expiring: object = "1", subject_type: str = ID_TOKEN):
    return token_request(
        client,
        grant_type=EXCHANGE,
        subject_token=subject_token,
        subject_token_type=subject_type,
        requested_token_type=OFFLINE_TOKEN,
        expiring=expiring,
    )


def pair(client: FlaskClient) -> dict:
    response = exchange(client, issue_session_token(AdminConfig(APP_URL, API_KEY, SECRET), SHOP))
    assert response.status_code == 200
    return response.get_json()


def refresh(client: FlaskClient, refresh_token: str):
    return token_request(client, grant_type="refresh_token", refresh_token=refresh_token)


# -- the grant screen and the code grant ----------------------------------------------------------------------------


def authorize(client: FlaskClient, **overrides: str):
    params = {
        "client_id": API_KEY,
        "scope": "read_orders",
        "redirect_uri": f"{APP_URL}/auth/callback",
        "state": "nonce-1",
        **overrides,
    }
    return client.get(f"/admin/oauth/authorize?{urlencode(params)}")


def test_authorize_redirects_back_with_a_signed_code(client):
    response = authorize(client)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{APP_URL}/auth/callback"
    params = parse_qsl(location.query)
    names = [key for key, _ in params]
    assert sorted(names) == ["code", "hmac", "host", "shop", "state", "timestamp"]
    values = dict(params)
    assert values["shop"] == SHOP and values["state"] == "nonce-1"
    assert abs(int(values["timestamp"]) - time.time()) < 5
    assert values["hmac"] == sign_oauth_query([p for p in params if p[0] != "hmac"], SECRET)


@pytest.mark.parametrize(
    "overrides", [{"client_id": "someone-else"}, {"redirect_uri": "https://evil.example/auth/callback"}]
)
def test_authorize_refuses_other_apps_and_foreign_redirects(client, overrides):
    assert authorize(client, **overrides).status_code == 400


def test_a_code_is_good_for_one_expiring_token(client, oauth):
    code = dict(parse_qsl(urlsplit(authorize(client).headers["Location"]).query))["code"]
    granted = token_request(client, code=code, expiring="1")
    assert granted.status_code == 200
    body = granted.get_json()
    assert body["expires_in"] == 3600 and body["refresh_token"] and body["refresh_token_expires_in"] > 86400
    again = token_request(client, code=code, expiring="1")
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    assert oauth.stats()["code_grants"] == 1


def test_wrong_client_credentials_are_invalid_client(client):
    response = client.post(
        "/admin/oauth/access_token", json={"client_id": API_KEY, "client_secret": "nope", "code": "x"}
    )
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"


def test_the_app_link_in_the_admin_leads_to_the_admin_frame(client):
    assert client.get(f"/admin/apps/{API_KEY}").headers["Location"] == "/admin/apps/self-service"
    assert client.get("/admin/apps/another-app").status_code == 404


# -- token exchange -----------------------------------------------------------------------------------------------


def test_token_exchange_gives_a_working_expiring_token(client, oauth):
    body = pair(client)
    assert body["expires_in"] == 3600 and body["refresh_token"]
    assert admin_call(client, body["access_token"]).status_code == 200
    assert oauth.stats()["token_exchanges"] == 1


def test_a_non_expiring_exchange_has_no_refresh_token(client):
    response = exchange(client, issue_session_token(AdminConfig(APP_URL, API_KEY, SECRET), SHOP), expiring="0")
    assert response.status_code == 200 and "refresh_token" not in response.get_json()


def migrate(client: FlaskClient, token: str, expiring: object = "1"):
    return exchange(client, token, expiring, subject_type=OFFLINE_TOKEN)


def test_a_non_expiring_token_is_migrated_once_and_then_refused(client, oauth):
    legacy = oauth.grant_code(oauth.issue_code(), expiring=False)["access_token"]
    assert admin_call(client, legacy).status_code == 200
    assert migrate(client, legacy, expiring="0").get_json()["error"] == "invalid_subject_token"
    response = migrate(client, legacy)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["expires_in"] == 3600 and body["refresh_token"]
    assert admin_call(client, body["access_token"]).status_code == 200
    # The old token is spent: the Admin API refuses it and it can't be migrated a second time.
    assert admin_call(client, legacy).get_json() == INVALID
    assert migrate(client, legacy).get_json()["error"] == "invalid_subject_token"
    # An expiring token is not a migration's subject.
    assert migrate(client, body["access_token"]).status_code == 400
    assert oauth.stats()["migrations"] == 1 and oauth.stats()["migration_requests"] == 4


def session_token(**overrides: object) -> str:
    now = int(time.time())
    claims = {
        "iss": f"https://{SHOP}/admin",
        "dest": f"https://{SHOP}",
        "aud": API_KEY,
        "sub": "1",
        "exp": now + 60,
        "nbf": now - 1,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "sid": "s",
    }
    claims.update(overrides)
    secret = str(claims.pop("secret", SECRET))
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")


@pytest.mark.parametrize(
    "subject_token",
    [
        session_token(secret="another-secret-that-is-long-enough-for-hs256"),
        session_token(aud="another-app"),
        session_token(exp=int(time.time()) - 60),
        session_token(dest="https://another.myshopify.com"),
        session_token(dest=None),
        "not-a-jwt",
    ],
    ids=["wrong-secret", "wrong-audience", "expired", "other-shop", "no-dest", "garbage"],
)
def test_token_exchange_refuses_bad_session_tokens(client, subject_token):
    response = exchange(client, subject_token)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_subject_token"


# -- refresh and rotation ---------------------------------------------------------------------------------------------


def test_refresh_rotates_and_the_spent_token_dies_when_the_new_access_token_is_used(client, oauth):
    first = pair(client)
    second = refresh(client, first["refresh_token"]).get_json()
    assert second["access_token"] != first["access_token"] and second["refresh_token"] != first["refresh_token"]
    # Until the new access token is used, the spent refresh token may be retried (Shopify's resilient refreshes).
    retried = refresh(client, first["refresh_token"])
    assert retried.status_code == 200
    assert admin_call(client, second["access_token"]).status_code == 200
    spent = refresh(client, first["refresh_token"])
    assert spent.status_code == 400 and spent.get_json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token is invalid, expired or revoked",
    }
    assert refresh(client, second["refresh_token"]).status_code == 200
    assert oauth.stats()["refreshes"] == {SHOP: 3} and oauth.stats()["refresh_requests"] == 4


def test_expired_access_tokens_get_shopifys_401(client, oauth, clock):
    body = pair(client)
    clock.now += 3601
    response = admin_call(client, body["access_token"])
    assert response.status_code == 401 and response.get_json() == INVALID
    assert refresh(client, body["refresh_token"]).status_code == 200


def test_expiring_now_and_configuring_the_lifetime(client, oauth):
    body = pair(client)
    assert client.post("/devshop/oauth/expire").get_json() == {"expired": 1}
    assert admin_call(client, body["access_token"]).status_code == 401
    assert client.post("/devshop/oauth/config", json={"expires_in": 120}).get_json()["expires_in"] == 120
    assert refresh(client, body["refresh_token"]).get_json()["expires_in"] == 120
    assert client.get("/devshop/oauth/stats").get_json()["refreshes"] == {SHOP: 1}
    client.post("/devshop/oauth/reset")
    assert client.get("/devshop/oauth/stats").get_json()["refreshes"] == {}


def test_the_fixed_development_token_keeps_working(app, client):
    token = app.extensions["devshop"].access_token
    assert admin_call(client, token).status_code == 200
    assert admin_call(client, "shpat_unknown").status_code == 401
    assert admin_call(client, "").status_code == 401


def test_unknown_grants_and_refresh_tokens(client):
    assert token_request(client, grant_type="password").get_json()["error"] == "unsupported_grant_type"
    assert refresh(client, "shprt_unknown").get_json()["error"] == "invalid_grant"


# -- online tokens: who the staff member is ----------------------------------------------------------------------

ONLINE_TOKEN = "urn:shopify:params:oauth:token-type:online-access-token"


def online(client: FlaskClient, subject_token: str):
    return token_request(
        client,
        grant_type=EXCHANGE,
        subject_token=subject_token,
        subject_token_type=ID_TOKEN,
        requested_token_type=ONLINE_TOKEN,
        expiring=1,
    )


def test_an_online_exchange_names_the_demo_staff_member_as_shopify_does(client, oauth):
    response = online(client, issue_session_token(AdminConfig(APP_URL, API_KEY, SECRET), SHOP))
    assert response.status_code == 200
    body = response.get_json()
    assert body["associated_user"] == {
        "id": 1,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "account_owner": True,
        "locale": "en",
        "collaborator": False,
        "email_verified": True,
    }
    assert body["associated_user_scope"] and body["expires_in"] > 0 and "refresh_token" not in body
    assert admin_call(client, body["access_token"]).status_code == 200
    assert (oauth.stats()["online_token_exchanges"], oauth.stats()["token_exchanges"]) == (1, 0)


def test_an_online_exchange_refuses_a_stranger_and_a_bad_token(client):
    stranger = issue_session_token(AdminConfig(APP_URL, API_KEY, SECRET), SHOP, staff_id="99")
    for subject_token in (stranger, "not-a-jwt"):
        response = online(client, subject_token)
        assert response.status_code == 400 and response.get_json()["error"] == "invalid_subject_token"


def test_the_apps_own_online_exchange_reads_the_name_from_the_devshop(app, monkeypatch):
    """shopifyapp parses the devshop's answer (``associated_user`` and the fields it requires) into a name."""
    import httpx

    from storefront_proxy.settings import Settings
    from storefront_proxy.shopify import oauth as app_oauth

    token = issue_session_token(AdminConfig(APP_URL, API_KEY, SECRET), SHOP)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience=API_KEY)
    monkeypatch.setattr(app_oauth, "http_client", lambda *_, **__: httpx.Client(transport=httpx.WSGITransport(app=app)))
    settings = Settings(APP_ENV="test", SHOPIFY_API_KEY=API_KEY, SHOPIFY_API_SECRET=SECRET, _env_file=None)
    id_token = {"exchangeable": True, "token": token, "claims": claims}
    assert app_oauth.staff_member_name(settings, id_token) == "Ada Lovelace"
