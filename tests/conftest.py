"""Shared fixtures: a real Redis for every test, the app factory, and Shopify's schema."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis

from devshop.embedded_redis import EmbeddedRedis
from storefront_proxy.app import create_app
from storefront_proxy.settings import Settings
from tests.factories import patch_worker_context
from tests.helpers import app_settings
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
