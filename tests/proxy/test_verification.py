"""App-proxy signature verification, against Shopify's documented examples (app-proxies/authenticate-app-proxies)."""

from __future__ import annotations

import pytest
from shopify_app.verify import app_proxy

from storefront_proxy.http_errors import ApiError
from storefront_proxy.proxy.verification import verify_proxy_request

DOC_SECRET = "hush"
DOC_TIMESTAMP = 1317327555
LOGGED_IN = (
    "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1"
    "&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555"
    "&signature=4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"
)
ANONYMOUS = (
    "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id="
    "&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555"
    "&signature=e072b6d7e6622d85912a5214b860d3100dc1e73d9bc29f43796ac8c9ff8093cb"
)


@pytest.fixture
def clock(monkeypatch):
    """Freeze the verifier's clock at the documented example's timestamp (plus an offset)."""

    def at(offset: int = 0) -> None:
        monkeypatch.setattr(app_proxy.time, "time", lambda: DOC_TIMESTAMP + offset)

    at(0)
    return at


def test_documented_logged_in_example_verifies(clock):
    params = verify_proxy_request(LOGGED_IN, DOC_SECRET)
    assert params["shop"] == "shop-name.myshopify.com"
    assert params["logged_in_customer_id"] == "1"
    assert params["path_prefix"] == "/apps/awesome_reviews"


def test_documented_anonymous_example_verifies_with_a_blank_customer(clock):
    params = verify_proxy_request(ANONYMOUS, DOC_SECRET)
    assert params["logged_in_customer_id"] == ""


def test_our_signer_reproduces_the_documented_signatures():
    from devshop.signing import sign_proxy_query

    base = [("extra", "1"), ("extra", "2"), ("shop", "shop-name.myshopify.com")]
    tail = [("path_prefix", "/apps/awesome_reviews"), ("timestamp", "1317327555")]
    assert sign_proxy_query([*base, ("logged_in_customer_id", "1"), *tail], DOC_SECRET) == LOGGED_IN.rsplit("=", 1)[1]
    assert sign_proxy_query([*base, ("logged_in_customer_id", ""), *tail], DOC_SECRET) == ANONYMOUS.rsplit("=", 1)[1]


@pytest.mark.parametrize("offset", [-90, 90])
def test_timestamps_within_90_seconds_are_accepted(clock, offset):
    clock(offset)
    assert verify_proxy_request(LOGGED_IN, DOC_SECRET)["shop"] == "shop-name.myshopify.com"


@pytest.mark.parametrize("offset", [-91, 91, 3600])
def test_timestamps_beyond_90_seconds_are_refused(clock, offset):
    clock(offset)
    with pytest.raises(ApiError) as refused:
        verify_proxy_request(LOGGED_IN, DOC_SECRET)
    assert refused.value.status == 401


@pytest.mark.parametrize(
    "query",
    [
        LOGGED_IN.replace("logged_in_customer_id=1", "logged_in_customer_id=2"),
        LOGGED_IN.replace("extra=2", "extra=3"),
        LOGGED_IN.replace("shop-name", "other-shop"),
        LOGGED_IN + "&added=1",
        LOGGED_IN.replace("signature=4c", "signature=5c"),
        LOGGED_IN.split("&signature=")[0],
        LOGGED_IN + "&shop=evil.myshopify.com",
        LOGGED_IN + "&timestamp=1317327555",
        LOGGED_IN + "&signature=4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb",
        "",
    ],
    ids=[
        "customer",
        "extra",
        "shop",
        "added-param",
        "signature",
        "unsigned",
        "dup-shop",
        "dup-timestamp",
        "dup-signature",
        "empty",
    ],
)
def test_tampered_requests_are_refused(clock, query):
    with pytest.raises(ApiError) as refused:
        verify_proxy_request(query, DOC_SECRET)
    assert refused.value.status == 401
    assert refused.value.code == "invalid_signature"


def test_wrong_secret_is_refused(clock):
    with pytest.raises(ApiError):
        verify_proxy_request(LOGGED_IN, "not-hush")


def test_old_secret_still_verifies_during_rotation(clock):
    assert verify_proxy_request(LOGGED_IN, "new-secret", old_client_secret=DOC_SECRET)["logged_in_customer_id"] == "1"


def test_a_query_verified_once_is_not_checked_again_while_its_timestamp_is_fresh(clock, monkeypatch):
    from storefront_proxy.proxy import verification

    checks = []
    library = verification.verify_app_proxy_req
    monkeypatch.setattr(verification, "_verified_queries", verification.VerifiedQueries())
    monkeypatch.setattr(verification, "verify_app_proxy_req", lambda *a: checks.append(1) or library(*a))
    for offset in (0, 30, 90):
        clock(offset)
        assert verify_proxy_request(LOGGED_IN, DOC_SECRET)["logged_in_customer_id"] == "1"
    assert len(checks) == 1


@pytest.mark.parametrize("offset", [-91, 91])
def test_a_verified_query_is_refused_once_its_timestamp_leaves_the_window(clock, monkeypatch, offset):
    from storefront_proxy.proxy import verification

    monkeypatch.setattr(verification, "_verified_queries", verification.VerifiedQueries())
    verify_proxy_request(LOGGED_IN, DOC_SECRET)
    clock(offset)
    with pytest.raises(ApiError) as refused:
        verify_proxy_request(LOGGED_IN, DOC_SECRET)
    assert refused.value.status == 401


def test_a_verified_query_does_not_verify_under_another_secret(clock, monkeypatch):
    from storefront_proxy.proxy import verification

    monkeypatch.setattr(verification, "_verified_queries", verification.VerifiedQueries())
    verify_proxy_request(LOGGED_IN, DOC_SECRET)
    with pytest.raises(ApiError):
        verify_proxy_request(LOGGED_IN, "not-hush")
    with pytest.raises(ApiError):
        verify_proxy_request(LOGGED_IN.replace("logged_in_customer_id=1", "logged_in_customer_id=2"), DOC_SECRET)


def test_the_kept_verdicts_are_bounded():
    from storefront_proxy.proxy.verification import VerifiedQueries

    kept = VerifiedQueries(kept=3)
    for n in range(10):
        kept.keep((f"q{n}", "s", None), 100)
    assert not kept.verified(("q0", "s", None), 100)
    assert kept.verified(("q9", "s", None), 100)
