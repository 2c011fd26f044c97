"""The authorization-code grant: /auth, the callback's HMAC (Shopify's documented example), state, refusals."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from devshop.oauth import sign_oauth_query
from storefront_proxy.app import create_app
from storefront_proxy.install.verification import STATE_COOKIE, oauth_hmac, oauth_hmac_messages, verify_oauth_hmac
from storefront_proxy.install.views import SCOPES
from storefront_proxy.services import services_of
from tests.helpers import API_KEY, API_SECRET

ROOT = Path(__file__).resolve().parents[2]
SHOP_B = "othershop.myshopify.com"

# Shopify's example (authorization-code-grant, "Verify the installation request"), secret "hush".
VECTORS = [
    (
        "code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&state=0.6784241404160823"
        "&timestamp=1337178173",
        "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf",
    ),
    (
        "code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&timestamp=1337178173",
        "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20",
    ),
    (
        "code=a94a110d86d2452eb3e2af4cfb8a3828&shop=some-shop.myshopify.com&timestamp=1337178173",
        "2cb1a277650a659f1b11e92a4a64275b128e037f2c3390e3c8fd2d8721dac9e2",
    ),
    # ids[]=2&ids[]=1 is signed as ids=["2", "1"] (shopify_python_api).
    (
        "shop=some-shop.myshopify.com&ids[]=2&ids[]=1",
        "b93b9f82996f6f8bf9f1b7bbddec284c8fabacdc4e12dc80550b4705f3003b1e",
    ),
]


@pytest.mark.parametrize(("query", "expected"), VECTORS, ids=["callback", "no-state", "python-lib", "ids-array"])
def test_the_documented_vectors(query, expected):
    params = parse_qsl(query)
    python_message, form_message = oauth_hmac_messages(params)
    assert oauth_hmac(python_message, "hush") == expected
    # The vectors hold no reserved characters, so both canonical forms agree... except the array's JSON.
    if "ids[]" not in query:
        assert form_message == python_message
    assert verify_oauth_hmac([*params, ("hmac", expected)], ["hush"])
    assert verify_oauth_hmac([*params, ("hmac", expected.upper())], ["wrong", "hush"])
    assert not verify_oauth_hmac([*params, ("hmac", expected)], ["wrong"])
    assert not verify_oauth_hmac([*params, ("hmac", "0" * 64)], ["hush"])


def test_the_array_message_is_the_python_libs():
    assert oauth_hmac_messages([("shop", "some-shop.myshopify.com"), ("ids[]", "2"), ("ids[]", "1")])[0] == (
        'ids=["2", "1"]&shop=some-shop.myshopify.com'
    )


def test_values_with_reserved_characters_verify_in_either_encoding():
    params = [("code", "abc"), ("host", "ZGV2c2hvcC5teXNob3BpZnkuY29tL2FkbWlu="), ("shop", "a.myshopify.com")]
    python_message, form_message = oauth_hmac_messages(params)
    assert python_message != form_message and "host=ZGV2c2hvcC5teXNob3BpZnkuY29tL2FkbWlu%3D" in form_message
    assert verify_oauth_hmac([*params, ("hmac", oauth_hmac(python_message, "hush"))], ["hush"])
    # The devshop signs as shopify-app-js does, independently of the app's code.
    assert verify_oauth_hmac([*params, ("hmac", sign_oauth_query(params, "hush"))], ["hush"])


def test_ambiguous_or_unsigned_queries_never_verify():
    good = oauth_hmac("shop=a.myshopify.com", "hush")
    shop = ("shop", "a.myshopify.com")
    assert verify_oauth_hmac([shop, ("hmac", good)], ["hush"])
    assert not verify_oauth_hmac([shop, ("hmac", good), ("hmac", good)], ["hush"])
    assert not verify_oauth_hmac([shop, shop, ("hmac", good)], ["hush"])
    assert not verify_oauth_hmac([shop], ["hush"])


def test_scopes_match_the_app_toml():
    toml = tomllib.loads((ROOT / "shopify.app.toml").read_text(encoding="utf-8"))
    assert SCOPES == toml["access_scopes"]["scopes"]


# -- /auth and /auth/callback --------------------------------------------------------------------------------------


def begin(client, shop: str = SHOP_B) -> str:
    """Start an install; returns the state nonce sent to Shopify (the cookie stays in the client)."""
    response = client.get(f"/auth?shop={shop}")
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["Location"]).query)["state"][0]


def callback_query(state: str, *, shop: str = SHOP_B, timestamp: int | None = None, secret: str = API_SECRET) -> str:
    params = [
        ("code", "code-from-shopify"),
        ("host", "b3RoZXJzaG9wLm15c2hvcGlmeS5jb20vYWRtaW4="),
        ("shop", shop),
        ("state", state),
        ("timestamp", str(int(time.time()) if timestamp is None else timestamp)),
    ]
    params.append(("hmac", sign_oauth_query(params, secret)))
    return urlencode(params)


def test_auth_redirects_to_the_grant_screen_with_a_state_cookie(client):
    response = client.get(f"/auth?shop={SHOP_B}")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    # In tests SHOPIFY_ADMIN_ORIGIN stands for https://{shop}.
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://admin.test/admin/oauth/authorize"
    query = parse_qs(location.query)
    assert query["client_id"] == [API_KEY] and query["scope"] == [SCOPES]
    assert query["redirect_uri"] == ["http://localhost/auth/callback"]
    assert len(query["state"][0]) >= 32 and "grant_options[]" not in query
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{STATE_COOKIE}=") and query["state"][0] not in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/auth" in cookie and "Secure" not in cookie


def test_production_state_cookies_are_secure_and_the_callback_url_the_configured_one(settings):
    production = settings.model_copy(
        update={
            "app_env": "production",
            "token_encryption_key": SecretStr(Fernet.generate_key().decode()),
            "shopify_app_url": "https://self-service.example.app",
        }
    )
    client = create_app(production).test_client()
    response = client.get(f"/auth?shop={SHOP_B}", headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert "Secure" in response.headers["Set-Cookie"]
    redirect_uri = parse_qs(urlsplit(response.headers["Location"]).query)["redirect_uri"][0]
    assert redirect_uri == "https://self-service.example.app/auth/callback"


def test_production_needs_the_app_url():
    from storefront_proxy.settings import Settings, SettingsError

    base = {"SHOPIFY_API_KEY": "k", "SHOPIFY_API_SECRET": "s", "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode()}
    with pytest.raises(SettingsError, match="SHOPIFY_APP_URL must be set"):
        Settings(**base, _env_file=None).checked()
    with pytest.raises(SettingsError, match="SHOPIFY_APP_URL must be set"):
        Settings(**base, SHOPIFY_APP_URL="http://plain.example", _env_file=None).checked()
    assert Settings(**base, SHOPIFY_APP_URL="https://a.example/", _env_file=None).checked().shopify_app_url == (
        "https://a.example"
    )


@pytest.mark.parametrize(
    "shop", ["", "evil.example.com", "a.myshopify.com.evil.com", "-x.myshopify.com", "A.myshopify.com"]
)
def test_auth_refuses_anything_but_a_shop_domain(client, shop):
    response = client.get("/auth", query_string={"shop": shop})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_shop"


def test_the_callback_stores_an_expiring_token_and_opens_the_app(client, app, shopify_oauth):
    state = begin(client)
    response = client.get(f"/auth/callback?{callback_query(state)}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"https://admin.test/admin/apps/{API_KEY}"
    assert f"{STATE_COOKIE}=;" in response.headers["Set-Cookie"]  # the nonce is spent
    [(url, body)] = shopify_oauth.requests
    assert url == f"https://{SHOP_B}/admin/oauth/access_token"
    assert body == {"client_id": API_KEY, "client_secret": API_SECRET, "code": "code-from-shopify", "expiring": "1"}
    stored = services_of(app).store.tokens.offline_token(SHOP_B)
    issued = shopify_oauth.issued[-1]
    assert stored.access_token.get_secret_value() == issued["access_token"]
    assert stored.refresh_token.get_secret_value() == issued["refresh_token"] and stored.expiring
    # The same callback again: its state cookie is gone.
    assert client.get(f"/auth/callback?{callback_query(state)}").status_code == 403


@pytest.mark.parametrize(
    ("tamper", "status", "code"),
    [
        (lambda q, s: q.replace("code=code-from-shopify", "code=another-code"), 401, "invalid_hmac"),
        (lambda q, s: callback_query(s, secret="not-the-app-secret"), 401, "invalid_hmac"),
        (lambda q, s: q.replace("hmac=", "hmac=0"), 401, "invalid_hmac"),
        (lambda q, s: "&".join(p for p in q.split("&") if not p.startswith("hmac=")), 400, "invalid_callback"),
        (lambda q, s: "&".join(p for p in q.split("&") if not p.startswith("code=")), 400, "invalid_callback"),
        (lambda q, s: q + "&shop=" + SHOP_B, 400, "invalid_callback"),
        (lambda q, s: callback_query(s, timestamp=int(time.time()) - 600), 401, "stale_callback"),
        (lambda q, s: callback_query(s, timestamp=int(time.time()) + 600), 401, "stale_callback"),
        (lambda q, s: callback_query("0.6784241404160823"), 403, "invalid_state"),
        (lambda q, s: callback_query(s, shop="third.myshopify.com"), 403, "invalid_state"),
        (lambda q, s: callback_query(s, shop="evil.example.com"), 400, "invalid_shop"),
    ],
    ids=[
        "changed-code",
        "wrong-secret",
        "bad-hmac",
        "no-hmac",
        "no-code",
        "two-shops",
        "stale",
        "future",
        "wrong-state",
        "other-shop",
        "bad-shop",
    ],
)
def test_the_callback_refuses(client, app, shopify_oauth, tamper, status, code):
    state = begin(client)
    response = client.get(f"/auth/callback?{tamper(callback_query(state), state)}")
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert shopify_oauth.requests == [] and services_of(app).store.tokens.offline_token(SHOP_B) is None


def test_a_callback_without_the_state_cookie_is_refused(client, app, shopify_oauth):
    state = begin(client)
    client.delete_cookie(STATE_COOKIE, path="/auth")
    response = client.get(f"/auth/callback?{callback_query(state)}")
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "invalid_state"


def test_a_forged_state_cookie_is_refused(client, shopify_oauth):
    client.set_cookie(STATE_COOKIE, '{"nonce": "mine", "shop": "othershop.myshopify.com"}', path="/auth")
    response = client.get(f"/auth/callback?{callback_query('mine')}")
    assert response.status_code == 403 and shopify_oauth.requests == []


def test_a_browser_gets_the_json_error_too(client):
    state = begin(client)
    response = client.get(f"/auth/callback?{callback_query(state, secret='x')}", headers={"Accept": "text/html"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "invalid_hmac"


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [((400, "invalid_grant"), 400, "invalid_code"), ("network", 503, "shop_unavailable"), ((502, "x"), 503, None)],
)
def test_a_refused_or_failed_code_exchange(client, app, shopify_oauth, failure, status, code):
    shopify_oauth.fail_with = failure
    state = begin(client)
    response = client.get(f"/auth/callback?{callback_query(state)}")
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == (code or "shop_unavailable")
    assert services_of(app).store.tokens.offline_token(SHOP_B) is None
