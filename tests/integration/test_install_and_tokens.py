"""Install and tokens end to end: the code grant through the devshop, token exchange from the admin, two real
`rq worker` processes racing to refresh the same expired token (or to migrate a non-expiring one), and tokens
Shopify ends before their recorded expiry."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import requests
from pydantic import SecretStr
from rq import Queue, Worker
from rq.job import Job, JobStatus

from storefront_proxy.app import create_app
from storefront_proxy.job_queue import QUEUE_NAME
from storefront_proxy.settings import Settings
from storefront_proxy.shopify.client import ShopifyClient
from storefront_proxy.shopify.errors import ShopifyTokenRefusedError
from storefront_proxy.store import Store
from storefront_proxy.tokens.model import OfflineToken, token_cipher
from storefront_proxy.tokens.repository import TokenRepository
from tests.integration.conftest import ADA, SHOP, Server, Workers, proxy_session, wait_for_status, wait_until
from tests.integration.helpers import JSON, ask_to_cancel, order_url

pytestmark = pytest.mark.integration


@pytest.fixture
def devshop_oauth(devshop_server):
    oauth = devshop_server.server.app.extensions["devshop_oauth"]
    oauth.reset()
    yield oauth
    oauth.reset()


@pytest.fixture
def public_app_env(integration_env) -> dict[str, str]:
    """The environment of a public app: no custom-app shop, every token comes from OAuth."""
    return {k: v for k, v in integration_env.items() if k not in ("SHOPIFY_SHOP", "SHOPIFY_ACCESS_TOKEN")}


@pytest.fixture
def tokens(integration_env, redis_conn) -> TokenRepository:
    return Store(redis_conn, token_cipher(Settings(**integration_env, _env_file=None).checked())).tokens


def api_version(env: dict[str, str]) -> str:
    return Settings(**env, _env_file=None).shopify_api_version


def admin_api_works(devshop_url: str, token: str, env: dict[str, str]) -> bool:
    with ShopifyClient(SHOP, token, api_version=api_version(env), admin_origin=devshop_url, max_attempts=1) as client:
        return client.app_installation_id().startswith("gid://shopify/AppInstallation/")


def session_token(devshop_url: str) -> str:
    return requests.post(f"{devshop_url}/admin/session-token", timeout=5).json()["token"]


def exchange_at_the_devshop(devshop_server, env: dict[str, str]) -> dict[str, str]:
    """A real expiring pair from the devshop's token exchange."""
    return requests.post(
        f"{devshop_server.url}/admin/oauth/access_token",
        json={
            "client_id": env["SHOPIFY_API_KEY"],
            "client_secret": env["SHOPIFY_API_SECRET"],
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": session_token(devshop_server.url),
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
            "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
            "expiring": "1",
        },
        timeout=5,
    ).json()


def save_pair(tokens: TokenRepository, grant: dict[str, str], expires_in: timedelta) -> None:
    now = datetime.now(UTC)
    tokens.save(
        SHOP,
        OfflineToken(
            access_token=SecretStr(grant["access_token"]),
            expires_at=now + expires_in,
            refresh_token=SecretStr(grant["refresh_token"]),
            refresh_token_expires_at=now + timedelta(days=90),
        ),
    )


def token_jobs_in_two_workers(env: dict[str, str], tmp_path, redis_conn) -> list[Job]:
    """Two real workers each run ``use_shop_token`` at the same moment (a barrier); the finished jobs."""
    workers = Workers(env, tmp_path)
    try:
        workers.start()
        workers.start()
        wait_until(lambda: len(Worker.all(connection=redis_conn)) == 2, message="two workers")
        queue = Queue(QUEUE_NAME, connection=redis_conn)
        jobs = [queue.enqueue("tests.integration.token_jobs.use_shop_token", SHOP, "barrier", 2) for _ in range(2)]

        def finished() -> bool:
            statuses = [Job.fetch(job.id, connection=redis_conn).get_status() for job in jobs]
            assert JobStatus.FAILED not in statuses, workers.logs()
            return all(status == JobStatus.FINISHED for status in statuses)

        wait_until(finished, timeout=30, message="both token jobs")
        return [Job.fetch(job.id, connection=redis_conn) for job in jobs]
    finally:
        workers.stop_all()


def test_install_through_the_devshop_stores_a_sealed_token_that_works(
    web, devshop_server, devshop_oauth, tokens, redis_conn, integration_env
):
    browser = requests.Session()
    response = browser.get(f"{web.url}/auth", params={"shop": SHOP}, timeout=10)

    # /auth → the devshop's grant screen → /auth/callback → the app in the shop's admin.
    assert response.status_code == 200, response.text
    hops = [r.url.split("?")[0] for r in response.history]
    assert hops == [
        f"{web.url}/auth",
        f"{devshop_server.url}/admin/oauth/authorize",
        f"{web.url}/auth/callback",
        f"{devshop_server.url}/admin/apps/{integration_env['SHOPIFY_API_KEY']}",
    ]
    assert response.url == f"{devshop_server.url}/admin/apps/self-service"
    assert devshop_oauth.stats()["code_grants"] == 1

    stored = tokens.offline_token(SHOP)
    assert stored is not None and stored.expiring and stored.can_refresh(datetime.now(UTC))
    access = stored.access_token.get_secret_value()
    assert access.startswith("shpat_devshop_") and access.encode() not in redis_conn.hget(
        f"selfservice:shop:{SHOP}", "token"
    )
    assert admin_api_works(devshop_server.url, access, integration_env)


def test_the_first_admin_request_exchanges_the_session_token_at_the_devshop(
    devshop, devshop_server, devshop_oauth, tokens, public_app_env, redis_conn
):
    public = Server(create_app(Settings(**public_app_env, _env_file=None)))
    try:
        headers = {"Authorization": f"Bearer {session_token(devshop_server.url)}"}
        assert requests.get(f"{public.url}/admin/api/policy", headers=headers, timeout=10).status_code == 200
        assert devshop_oauth.stats()["token_exchanges"] == 1
        stored = tokens.offline_token(SHOP)
        assert stored.expiring and admin_api_works(
            devshop_server.url, stored.access_token.get_secret_value(), public_app_env
        )
        # The next request uses the stored token.
        headers = {"Authorization": f"Bearer {session_token(devshop_server.url)}"}
        assert requests.get(f"{public.url}/admin/api/policy", headers=headers, timeout=10).status_code == 200
        assert devshop_oauth.stats()["token_exchanges"] == 1
    finally:
        public.stop()


def test_two_workers_needing_an_expired_token_refresh_it_once(
    devshop, devshop_server, devshop_oauth, tokens, public_app_env, redis_conn, tmp_path
):
    # A real pair from the devshop (token exchange), then its access token expires, there and here.
    grant = exchange_at_the_devshop(devshop_server, public_app_env)
    save_pair(tokens, grant, expires_in=timedelta(seconds=-1))
    requests.post(f"{devshop_server.url}/devshop/oauth/expire", timeout=5)
    # A refresh takes a second at the devshop, so the second worker arrives while the first one refreshes.
    requests.post(f"{devshop_server.url}/devshop/oauth/config", json={"refresh_delay": 1.0}, timeout=5)

    done = token_jobs_in_two_workers(public_app_env, tmp_path, redis_conn)
    results = [job.return_value() for job in done]
    assert len({job.worker_name for job in done}) == 2, "each worker ran one job"
    assert len({result["pid"] for result in results}) == 2
    # Exactly one refresh reached the devshop; both got its token, and it worked for both.
    assert devshop_oauth.stats()["refreshes"] == {SHOP: 1}
    assert devshop_oauth.stats()["refresh_requests"] == 1
    stored = tokens.offline_token(SHOP)
    newest = hashlib.sha256(stored.access_token.get_secret_value().encode()).hexdigest()
    assert [result["token"] for result in results] == [newest, newest]
    # The stored pair is the newest the devshop issued, and the spent refresh token is now refused.
    assert stored.refresh_token.get_secret_value() == devshop_oauth.newest_refresh_token
    assert stored.expires_at > datetime.now(UTC) + timedelta(minutes=55)
    refused = requests.post(
        f"{devshop_server.url}/admin/oauth/access_token",
        json={
            "client_id": public_app_env["SHOPIFY_API_KEY"],
            "client_secret": public_app_env["SHOPIFY_API_SECRET"],
            "grant_type": "refresh_token",
            "refresh_token": grant["refresh_token"],
        },
        timeout=5,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_a_token_shopify_ends_before_its_expiry_is_refreshed_on_the_401(
    web, devshop, devshop_server, devshop_oauth, tokens, integration_env, public_app_env, store, tmp_path
):
    """The app thinks its token good for an hour; Shopify already refuses it. Web and worker refresh and go on."""
    grant = exchange_at_the_devshop(devshop_server, integration_env)
    save_pair(tokens, grant, expires_in=timedelta(hours=1))
    order_id = devshop.create_order(customer_id=ADA)
    shopper = proxy_session(devshop_server.url, ADA)

    assert requests.post(f"{devshop_server.url}/devshop/oauth/expire", timeout=5).json() == {"expired": 1}
    page = shopper.get(order_url(devshop_server, order_id), headers=JSON, timeout=10)
    assert page.status_code == 200 and page.json()["eligible"] is True
    assert devshop_oauth.stats()["refreshes"] == {SHOP: 1}
    refreshed = tokens.offline_token(SHOP).access_token.get_secret_value()
    assert refreshed != grant["access_token"]

    # Later (another pair: a token an early refresh just produced is not refreshed early again within a minute)
    # the shopper asks, and before a worker picks the job up Shopify ends the token.
    later = exchange_at_the_devshop(devshop_server, integration_env)
    save_pair(tokens, later, expires_in=timedelta(hours=1))
    assert ask_to_cancel(shopper, devshop_server, order_id).status_code == 202
    assert requests.post(f"{devshop_server.url}/devshop/oauth/expire", timeout=5).json() == {"expired": 2}
    # Workers of a public app: a custom app's worker would register its configured token at start.
    workers = Workers(public_app_env, tmp_path)
    try:
        workers.start()
        request = wait_for_status(store, SHOP, order_id, {"cancelled", "failed"})
        assert request.status.value == "cancelled", workers.logs()
    finally:
        workers.stop_all()
    assert devshop_oauth.stats()["refreshes"] == {SHOP: 2}
    assert tokens.offline_token(SHOP).access_token.get_secret_value() not in (later["access_token"], refreshed)


def test_two_workers_needing_a_legacy_token_migrate_it_once(
    devshop_server, devshop_oauth, tokens, public_app_env, redis_conn, tmp_path
):
    """A shop installed with a non-expiring token: the first process that needs it trades it for an expiring pair."""
    legacy = devshop_oauth.grant_code(devshop_oauth.issue_code(), expiring=False)["access_token"]
    tokens.register_shop(SHOP, legacy)
    assert admin_api_works(devshop_server.url, legacy, public_app_env)

    results = [job.return_value() for job in token_jobs_in_two_workers(public_app_env, tmp_path, redis_conn)]

    assert devshop_oauth.stats()["migrations"] == 1 and devshop_oauth.stats()["migration_requests"] == 1
    stored = tokens.offline_token(SHOP)
    assert stored.expiring and stored.can_refresh(datetime.now(UTC))
    newest = hashlib.sha256(stored.access_token.get_secret_value().encode()).hexdigest()
    assert [result["token"] for result in results] == [newest, newest]
    with pytest.raises(ShopifyTokenRefusedError):
        admin_api_works(devshop_server.url, legacy, public_app_env)
