"""Every environment variable the app and its workers read, in one typed object.

Nothing else in the project reads ``os.environ``: web, worker and CLI all get a ``Settings``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import sys
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as EnvironmentParseError

from storefront_proxy.shopify.domains import normalize_shop_domain

if TYPE_CHECKING:
    # shopifyapp (with httpx) is ~11 MiB a process: workers load it only when a token needs Shopify's endpoint.
    from shopify_app import AppConfig

# Only used in development, so a fresh clone runs with no configuration at all.
DEVELOPMENT_API_KEY = "devshop-api-key"
DEVELOPMENT_API_SECRET = "devshop-api-secret-for-local-development-only"
# A Fernet key (32 url-safe base64 bytes) for development only; production sets its own TOKEN_ENCRYPTION_KEY.
DEVELOPMENT_TOKEN_ENCRYPTION_KEY = "ZGV2c2hvcC10b2tlbi1rZXktbG9jYWwtb25seS0wMDA="
GENERATE_KEY_HINT = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


class SettingsError(Exception):
    """The configuration cannot start the app; the message is one line for the operator."""


class Settings(BaseSettings):
    """The app's configuration, read from the environment (and a local ``.env``)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: Literal["development", "test", "production"] = Field("production", validation_alias="APP_ENV")
    shopify_api_key: str | None = Field(None, validation_alias="SHOPIFY_API_KEY")
    shopify_api_secret: SecretStr | None = Field(None, validation_alias="SHOPIFY_API_SECRET")
    # The previous secret while Shopify rotates to the new one (it may sign with the old one for a while).
    shopify_api_secret_old: SecretStr | None = Field(None, validation_alias="SHOPIFY_API_SECRET_OLD")
    # Pinned once for every Admin API call; Shopify releases a version each quarter and supports it a year
    # (https://shopify.dev/docs/api/usage/versioning).
    shopify_api_version: str = Field("2026-10", validation_alias="SHOPIFY_API_VERSION")
    # The app's public https address, as shopify.app.toml's application_url: the install flow's redirect_uri is
    # built from it, never from a request's Host header. Required in production.
    shopify_app_url: str | None = Field(None, validation_alias="SHOPIFY_APP_URL")
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias="REDIS_URL")
    port: int = Field(8000, validation_alias="PORT")
    # Development and tests: send Admin API calls to the devshop instead of https://{shop}.
    shopify_admin_origin: str | None = Field(None, validation_alias="SHOPIFY_ADMIN_ORIGIN")
    # A custom-app shop registered at start-up, for web and worker alike.
    shopify_shop: str | None = Field(None, validation_alias="SHOPIFY_SHOP")
    shopify_access_token: SecretStr | None = Field(None, validation_alias="SHOPIFY_ACCESS_TOKEN")
    # Encrypts the shops' access and refresh tokens at rest in Redis (a Fernet key).
    token_encryption_key: SecretStr | None = Field(None, validation_alias="TOKEN_ENCRYPTION_KEY")
    # The previous key while rotating: tokens it sealed are still read, and re-sealed with the new key.
    token_encryption_key_old: SecretStr | None = Field(None, validation_alias="TOKEN_ENCRYPTION_KEY_OLD")

    # The web server's deadlines for reading a request: its headers from the first byte, then its body
    # (storefront_proxy/serve.py); slow clients are cut off at them.
    web_header_timeout_seconds: float = Field(10.0, gt=0, validation_alias="WEB_HEADER_TIMEOUT_SECONDS")
    web_body_timeout_seconds: float = Field(30.0, gt=0, validation_alias="WEB_BODY_TIMEOUT_SECONDS")
    # Storefront pages as complete HTML documents instead of Liquid for the shop's theme (devshop, local use).
    storefront_standalone_pages: bool = Field(False, validation_alias="STOREFRONT_STANDALONE_PAGES")
    # How long a storefront form's csrf token stays valid.
    csrf_token_ttl_seconds: int = Field(2 * 60 * 60, validation_alias="CSRF_TOKEN_TTL_SECONDS")
    # Requests per minute one shopper may make to the storefront routes (GET and POST).
    proxy_rate_limit_per_minute: int = Field(120, validation_alias="PROXY_RATE_LIMIT_PER_MINUTE")
    # Cancellation requests per hour one shopper may submit.
    cancel_rate_limit_per_hour: int = Field(20, validation_alias="CANCEL_RATE_LIMIT_PER_HOUR")
    # Seconds for one Admin API HTTP call before it counts as a network failure.
    shopify_timeout_seconds: float = Field(10.0, validation_alias="SHOPIFY_TIMEOUT_SECONDS")
    # Inline attempts per Admin API call inside one worker job run, before RQ retries the whole job.
    shopify_worker_attempts: int = Field(4, ge=1, le=10, validation_alias="SHOPIFY_WORKER_ATTEMPTS")
    # The quick looks at orderCancel's Job (scheduled jobs, not sleeps): how many, and the longest pause between two.
    cancel_job_max_polls: int = Field(20, validation_alias="CANCEL_JOB_MAX_POLLS")
    cancel_job_max_poll_interval: float = Field(3.0, validation_alias="CANCEL_JOB_MAX_POLL_INTERVAL")
    # An orderCancel whose answer was lost (timeout, reset, 5xx) that has neither a Job nor cancelled the order
    # after this many seconds is taken as never having reached Shopify, and may be sent again.
    cancel_send_settle_seconds: float = Field(60.0, gt=0, validation_alias="CANCEL_SEND_SETTLE_SECONDS")
    # Seconds in one hour of the policy's auto_review_after_hours; tests shorten it so an "hour" passes quickly.
    auto_review_hour_seconds: float = Field(3600.0, gt=0, validation_alias="AUTO_REVIEW_HOUR_SECONDS")
    # RQ retry schedule (seconds) for transient failures: network, 5xx, throttling.
    # NoDecode: pydantic-settings would otherwise read a list from the environment as JSON only, and the documented
    # form is "5,15,60"; _intervals below accepts both.
    cancel_retry_intervals: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [5, 15, 60, 180, 600], validation_alias="CANCEL_RETRY_INTERVALS"
    )
    # RQ retry schedule (seconds) for placing and releasing the cancel-window fulfillment hold.
    hold_retry_intervals: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [10, 30, 120, 600, 1800], validation_alias="HOLD_RETRY_INTERVALS"
    )
    # A hold due for release while the order's cancellation request still waits is kept this much longer.
    hold_extension_seconds: int = Field(900, ge=1, validation_alias="HOLD_EXTENSION_SECONDS")

    @field_validator("cancel_retry_intervals", "hold_retry_intervals", mode="before")
    @classmethod
    def _intervals(cls, value: object) -> object:
        # "5,15,60" or "[5, 15, 60]", from the environment or from code alike.
        if isinstance(value, str):
            text = value.strip()
            bracketed = text.startswith("[") and text.endswith("]")
            parts = [part.strip() for part in (text[1:-1] if bracketed else text).split(",")]
            if not all(part.isdigit() for part in parts):
                raise ValueError("give whole seconds separated by commas, such as 5,15,60")
            return [int(part) for part in parts]
        return value

    @field_validator("cancel_retry_intervals", "hold_retry_intervals")
    @classmethod
    def _positive_intervals(cls, value: list[int]) -> list[int]:
        if not value or any(seconds < 1 for seconds in value):
            raise ValueError("give at least one interval, each of at least 1 second, such as 5,15,60")
        return value

    @field_validator("shopify_app_url")
    @classmethod
    def _app_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        parsed = urlsplit(value)
        if parsed.scheme not in ("https", "http") or not parsed.hostname or parsed.query or parsed.fragment:
            raise ValueError("give the app's address, such as https://self-service.example.app")
        return value

    @field_validator("shopify_shop")
    @classmethod
    def _shop_domain(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        return normalize_shop_domain(value)

    @property
    def is_development(self) -> bool:
        return self.app_env in ("development", "test")

    def api_secret(self) -> str:
        """The app's client secret (raises when it is missing)."""
        if self.shopify_api_secret is None or not self.shopify_api_secret.get_secret_value():
            raise SettingsError("SHOPIFY_API_SECRET is not set")
        return self.shopify_api_secret.get_secret_value()

    def old_api_secret(self) -> str | None:
        """The previous client secret during a rotation, if configured."""
        if self.shopify_api_secret_old is None:
            return None
        return self.shopify_api_secret_old.get_secret_value() or None

    def app_credentials(self) -> AppConfig:
        """The app's client id and secrets as Shopify's ``shopifyapp`` verifiers take them."""
        return {
            "client_id": self.shopify_api_key or "",
            "client_secret": self.api_secret(),
            "old_client_secret": self.old_api_secret(),
        }

    def token_encryption_keys(self) -> list[str]:
        """The token encryption keys, the one that encrypts first (raises when none is set)."""
        if self.token_encryption_key is None or not self.token_encryption_key.get_secret_value():
            raise SettingsError("TOKEN_ENCRYPTION_KEY is not set")
        keys = [self.token_encryption_key.get_secret_value()]
        if self.token_encryption_key_old is not None and self.token_encryption_key_old.get_secret_value():
            keys.append(self.token_encryption_key_old.get_secret_value())
        return keys

    def checked(self) -> Settings:
        """Fill development defaults, or refuse to start production without its secrets."""
        if self.is_development:
            updates: dict[str, object] = {}
            if not self.shopify_api_key:
                updates["shopify_api_key"] = DEVELOPMENT_API_KEY
            if self.shopify_api_secret is None:
                updates["shopify_api_secret"] = SecretStr(DEVELOPMENT_API_SECRET)
            if self.token_encryption_key is None:
                updates["token_encryption_key"] = SecretStr(DEVELOPMENT_TOKEN_ENCRYPTION_KEY)
            checked = self.model_copy(update=updates)
            _check_token_keys(checked)
            return checked
        missing = [
            name
            for name, value in (
                ("SHOPIFY_API_KEY", self.shopify_api_key),
                ("SHOPIFY_API_SECRET", self.shopify_api_secret and self.shopify_api_secret.get_secret_value()),
            )
            if not value
        ]
        if missing:
            raise SettingsError(
                f"{' and '.join(missing)} must be set (the app's credentials from the Shopify Partner "
                "dashboard); set APP_ENV=development to run locally with development defaults"
            )
        if self.shopify_shop and not self.shopify_access_token:
            raise SettingsError("SHOPIFY_SHOP is set but SHOPIFY_ACCESS_TOKEN is not")
        if self.token_encryption_key is None or not self.token_encryption_key.get_secret_value():
            raise SettingsError(
                "TOKEN_ENCRYPTION_KEY must be set (it encrypts the shops' tokens in Redis); "
                f"make one with {GENERATE_KEY_HINT}"
            )
        _check_token_keys(self)
        if not self.shopify_app_url or not self.shopify_app_url.startswith("https://"):
            raise SettingsError(
                "SHOPIFY_APP_URL must be set to the app's https address (shopify.app.toml's application_url)"
            )
        return self


def _check_token_keys(settings: Settings) -> None:
    """Refuse a token encryption key that Fernet would refuse, naming the variable (never the value)."""
    for name, key in (
        ("TOKEN_ENCRYPTION_KEY", settings.token_encryption_key),
        ("TOKEN_ENCRYPTION_KEY_OLD", settings.token_encryption_key_old),
    ):
        if key is None or not key.get_secret_value():
            continue
        try:
            valid = len(base64.urlsafe_b64decode(key.get_secret_value().encode())) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise SettingsError(
                f"{name} is not a Fernet key (32 url-safe base64 bytes); make one with {GENERATE_KEY_HINT}"
            )


# Field name → the environment variable it is read from, for error messages.
ENVIRONMENT_NAMES = {
    name: str(field.validation_alias) for name, field in Settings.model_fields.items() if field.validation_alias
}


@functools.cache
def get_settings() -> Settings:
    """The process's settings, for entry points that have no app object (worker, CLI)."""
    return read_settings()


def read_settings(**overrides: object) -> Settings:
    """Settings from the environment (``overrides`` win), checked; SettingsError with one line when invalid."""
    try:
        return Settings(**overrides).checked()  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_invalid(exc)) from None
    except EnvironmentParseError as exc:
        # pydantic-settings could not even read the value (JSON expected); name the variable, never the value.
        field = str(exc).split('"')[1] if '"' in str(exc) else "configuration"
        raise SettingsError(f"{ENVIRONMENT_NAMES.get(field, field)}: cannot be read") from None


def describe_invalid(exc: ValidationError) -> str:
    """One line naming the environment variable that is wrong and why (never its value)."""
    first = exc.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else "configuration"
    message = first["msg"].removeprefix("Value error, ")
    return f"{ENVIRONMENT_NAMES.get(name, name)}: {message}"


def load_settings_or_exit() -> Settings:
    """Entry points' settings: a configuration problem stops the process with one line, not a traceback."""
    try:
        return get_settings()
    except SettingsError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        # 3, as process managers (and gunicorn's master) read "failed to boot": stop instead of respawning forever.
        raise SystemExit(3) from None
