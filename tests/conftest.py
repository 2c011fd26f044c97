"""Shared fixtures: a real Redis for every test, the app factory, and Shopify's schema."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
import responses

from devshop.embedded_redis import EmbeddedRedis
from storefront_proxy.app import create_app
from storefront_proxy.settings import Settings
from tests.factories import patch_worker_context
from tests.helpers import ADMIN_URL, OTHER_CUSTOMER, FakeAdmin, admin_order, app_settings
from tests.shopify_oauth_fake import FakeShopifyOAuth


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """REDIS_URL when it points at a server, else an embedded redis-server for the session."""
    configured = os.environ.get("REDIS_URL")
    if configured:
        yield configured
        return
    with EmbeddedRedis() as server:
        yield server.url


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture
def settings(redis_url: str, redis_conn: redis.Redis) -> Settings:
    return app_settings(redis_url)


@pytest.fixture
def shopify_oauth(monkeypatch) -> FakeShopifyOAuth:
    """Shopify's token endpoint (token exchange, refresh, code grant) for unit tests, in process."""
    from storefront_proxy.shopify import oauth

    fake = FakeShopifyOAuth()
    monkeypatch.setattr(oauth, "http_client", fake.client)
    return fake


@pytest.fixture
def app(settings: Settings, shopify_oauth: FakeShopifyOAuth):
    app = create_app(settings)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def job_context(app, monkeypatch):
    """The context jobs run with, on the app's store and settings; the workers' entry points use it."""
    from storefront_proxy.job_context import JobContext
    from storefront_proxy.services import services_of

    built = services_of(app)
    context = JobContext(built.settings, built.store, lambda: datetime.now(UTC), time.sleep)
    patch_worker_context(monkeypatch, context)
    return context


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def admin_schema():
    from devshop.schema import load_admin_schema

    return load_admin_schema()


@pytest.fixture
def shop():
    """Shopify's Admin API with a few orders of the test customer and one of another customer."""
    fake = FakeAdmin(
        [
            admin_order(5001),
            admin_order(
                5002, fulfillment="FULFILLED", fulfillments=[{"id": "gid://shopify/Fulfillment/1", "status": "SUCCESS"}]
            ),
            admin_order(5003, age=timedelta(hours=3)),
            admin_order(5004, customer=OTHER_CUSTOMER),
        ]
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, ADMIN_URL, callback=fake)
        yield fake
