"""Configuration: one Settings object, development defaults, and a clear stop when secrets are missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storefront_proxy.settings import DEVELOPMENT_API_SECRET, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[1]
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "APP_ENV", "REDIS_URL"))}


def test_production_without_secrets_refuses_to_start():
    with pytest.raises(SettingsError, match="SHOPIFY_API_KEY and SHOPIFY_API_SECRET must be set"):
        Settings(_env_file=None).checked()


def test_development_fills_in_local_credentials():
    settings = Settings(APP_ENV="development", _env_file=None).checked()
    assert settings.api_secret() == DEVELOPMENT_API_SECRET
    assert settings.shopify_api_version == "2026-10"


def test_secrets_stay_out_of_reprs():
    settings = Settings(
        SHOPIFY_API_KEY="key",
        SHOPIFY_API_SECRET="very-secret-value",
        SHOPIFY_ACCESS_TOKEN="shpat_secret",
        _env_file=None,
    )
    assert "very-secret-value" not in repr(settings) and "shpat_secret" not in repr(settings)


def test_shop_domain_and_retry_intervals_are_normalised():
    settings = Settings(SHOPIFY_SHOP="https://Tea-Shop.myshopify.com/", CANCEL_RETRY_INTERVALS="1, 2,3", _env_file=None)
    assert settings.shopify_shop == "tea-shop.myshopify.com"
    assert settings.cancel_retry_intervals == [1, 2, 3]
    assert Settings(SHOPIFY_SHOP="tea-shop", _env_file=None).shopify_shop == "tea-shop.myshopify.com"


def test_shop_without_token_is_refused():
    with pytest.raises(SettingsError, match="SHOPIFY_ACCESS_TOKEN"):
        Settings(SHOPIFY_API_KEY="k", SHOPIFY_API_SECRET="s", SHOPIFY_SHOP="a", _env_file=None).checked()


@pytest.mark.parametrize(
    "command",
    [
        [str(Path(sys.executable).with_name("rq")), "worker", "--burst", "-c", "workers.rq_config"],
        [sys.executable, "-m", "flask", "--app", "storefront_proxy.app", "policy", "show", "x"],
    ],
    ids=["worker", "flask-cli"],
)
def test_entry_points_stop_with_one_line(command, tmp_path):
    result = subprocess.run(
        command, cwd=tmp_path, env={**CLEAN_ENV, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 3
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith("Cannot start: SHOPIFY_API_KEY")


@pytest.fixture
def environment(monkeypatch):
    """A process environment with only what the test sets (and no .env file)."""
    for name in list(os.environ):
        if name.startswith(("SHOPIFY_", "APP_ENV", "REDIS_URL", "CANCEL_", "HOLD_", "PORT")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(ROOT / "tests")  # no .env here
    from storefront_proxy.settings import get_settings

    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.parametrize("written", ["2,4,8", "[2,4,8]", "[2, 4, 8]", " 2, 4 ,8 "])
def test_retry_intervals_in_the_documented_comma_form_are_read_from_the_environment(environment, written):
    from storefront_proxy.settings import get_settings

    environment.setenv("APP_ENV", "test")
    environment.setenv("CANCEL_RETRY_INTERVALS", written)
    environment.setenv("HOLD_RETRY_INTERVALS", written)
    settings = get_settings()
    assert settings.cancel_retry_intervals == [2, 4, 8] and settings.hold_retry_intervals == [2, 4, 8]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("CANCEL_RETRY_INTERVALS", "2,x", "CANCEL_RETRY_INTERVALS: give whole seconds"),
        ("CANCEL_RETRY_INTERVALS", "[2,4", "CANCEL_RETRY_INTERVALS: give whole seconds"),
        ("HOLD_RETRY_INTERVALS", "0,5", "HOLD_RETRY_INTERVALS: give at least one interval"),
        ("HOLD_RETRY_INTERVALS", "", "HOLD_RETRY_INTERVALS: give whole seconds"),
        ("PORT", "eighty", "PORT: Input should be a valid integer"),
        ("SHOPIFY_WORKER_ATTEMPTS", "99", "SHOPIFY_WORKER_ATTEMPTS: Input should be less than or equal to 10"),
        ("APP_ENV", "staging", "APP_ENV: Input should be"),
        ("STOREFRONT_STANDALONE_PAGES", "maybe", "STOREFRONT_STANDALONE_PAGES: Input should be a valid boolean"),
    ],
)
def test_an_invalid_setting_in_the_environment_names_the_variable(environment, name, value, says):
    from storefront_proxy.settings import get_settings

    environment.setenv("APP_ENV", "test")
    environment.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        get_settings()
    assert str(raised.value).startswith(says) and "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "command",
    [
        [str(Path(sys.executable).with_name("rq")), "worker", "--burst", "-c", "workers.rq_config"],
        [sys.executable, "-m", "flask", "--app", "storefront_proxy.app", "policy", "show", "x"],
    ],
    ids=["worker", "flask-cli"],
)
def test_entry_points_read_the_documented_interval_form_and_stop_with_one_line_on_a_bad_one(
    command, tmp_path, redis_url
):
    env = {**CLEAN_ENV, "PYTHONPATH": str(ROOT), "APP_ENV": "test", "REDIS_URL": redis_url}
    good = subprocess.run(
        command,
        cwd=tmp_path,
        env={**env, "CANCEL_RETRY_INTERVALS": "2,4,8", "HOLD_RETRY_INTERVALS": "1,2"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert good.returncode == 0, good.stderr
    bad = subprocess.run(
        command, cwd=tmp_path, env={**env, "CANCEL_RETRY_INTERVALS": "2;4"}, capture_output=True, text=True, timeout=60
    )
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert bad.returncode == 3 and lines == [
        "Cannot start: CANCEL_RETRY_INTERVALS: give whole seconds separated by commas, such as 5,15,60"
    ]
