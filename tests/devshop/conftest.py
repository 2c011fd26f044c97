"""Fixtures shared by the devshop's tests; each module builds its own ``app`` (clock, job length, keys)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from devshop.state import DevshopState
from tests.devshop.helpers import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(app: Flask) -> DevshopState:
    return app.extensions["devshop"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
