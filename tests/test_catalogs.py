"""The storefront page's catalogs: every language has every key, every key is used, placeholders agree."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from storefront_proxy.cancellations.eligibility import MESSAGES
from storefront_proxy.cancellations.records import Address, RequestStatus
from storefront_proxy.cancellations.repository import CANCELLATION_IN_PROGRESS, EDIT_IN_PROGRESS
from storefront_proxy.edits.rules import MESSAGES as EDIT_MESSAGES
from storefront_proxy.http_errors import HTTP_ERROR_CODES
from storefront_proxy.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator, catalog, negotiate, placeholders
from storefront_proxy.policy.model import DEFAULT_REASONS, RefundMethod

ROOT = Path(__file__).resolve().parents[1]
# The storefront's code: the admin surface (storefront_proxy/admin, the review queue and its reports) and the
# install flow speak to staff, and the webhook intake to Shopify, not to shoppers.
NOT_SHOPPER_FACING_PACKAGES = {"admin", "install", "webhooks"}
NOT_SHOPPER_FACING = {"review.py", "insights.py"}
PYTHON_SOURCES = [
    p
    for p in ROOT.glob("storefront_proxy/**/*.py")
    if not NOT_SHOPPER_FACING_PACKAGES & set(p.parts) and p.name not in NOT_SHOPPER_FACING
]
SOURCES = [
    *PYTHON_SOURCES,
    *(
        p
        for pattern in ("storefront_proxy/**/*.html", "storefront_proxy/**/*.js")
        for p in ROOT.glob(pattern)
        if not NOT_SHOPPER_FACING_PACKAGES & set(p.parts)
    ),
    *ROOT.glob("workers/*.py"),
]
SOURCE_TEXT = "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)


# Raised by the shared error handlers (http_errors.py) for admin actions only.
ADMIN_ONLY_CODES = {"wrong_status"}


def error_codes() -> set[str]:
    """Every error code the app can answer with."""
    codes = set(re.findall(r'ApiError\(\s*\d+,\s*"([a-z_]+)"', SOURCE_TEXT))
    codes |= set(re.findall(r'EditInvalidError\(\s*"([a-z_]+)"', SOURCE_TEXT))
    codes |= {EDIT_IN_PROGRESS, CANCELLATION_IN_PROGRESS}
    codes |= {code for path in PYTHON_SOURCES for code in invalid_value_codes(path)}
    codes |= set(HTTP_ERROR_CODES.values()) - {"method_not_allowed", "unsupported_media_type", "bad_request"}
    return codes - ADMIN_ONLY_CODES


def invalid_value_codes(path: Path) -> set[str]:
    """The codes of the InvalidValueError(field, message, code=...) a module raises (``invalid_<field>`` unless
    given)."""
    codes = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "InvalidValueError":
            given = [k.value for k in node.keywords if k.arg == "code"]
            if given and isinstance(given[0], ast.Constant):
                codes.add(given[0].value)
            elif isinstance(node.args[0], ast.Constant):
                codes.add(f"invalid_{node.args[0].value}")
    return codes


def dynamic_keys() -> set[str]:
    """Keys the code builds from a code at run time."""
    return (
        {f"status.{status.value}" for status in RequestStatus}
        | {f"ineligible.{code}" for code in MESSAGES}
        | {
            f"edit_ineligible.{code}"
            for code in {**MESSAGES, **EDIT_MESSAGES}
            if code not in ("window_closed", "edit_in_progress")
        }
        | {f"edit_status.{status.value}" for status in RequestStatus if status is not RequestStatus.CANCELLED}
        | {f"page.address.{field}" for field in Address.model_fields}
        | {f"reason.{code}" for code in DEFAULT_REASONS}
        | {f"error.{code}" for code in error_codes()}
        | {f"refund.{method.value}" for method in RefundMethod if method is not RefundMethod.NONE}
    )


def test_english_is_complete_for_everything_the_code_needs():
    missing = dynamic_keys() - set(catalog(DEFAULT_LANGUAGE))
    assert not missing, f"en.json lacks {sorted(missing)}"


def test_every_key_is_used():
    used = dynamic_keys()
    unused = [key for key in catalog(DEFAULT_LANGUAGE) if key not in used and key not in SOURCE_TEXT]
    assert not unused, f"keys nothing uses: {unused}"


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE])
def test_each_language_has_exactly_the_english_keys_and_placeholders(language):
    english, translated = catalog(DEFAULT_LANGUAGE), catalog(language)
    assert translated, f"no catalog for {language}"
    assert set(translated) == set(english), (
        f"missing {sorted(set(english) - set(translated))}, extra {sorted(set(translated) - set(english))}"
    )
    for key, text in english.items():
        assert placeholders(translated[key]) == placeholders(text), f"{language} {key}"
        assert translated[key].strip(), f"{language} {key} is empty"


def test_negotiation_prefers_the_locale_parameter_then_accept_language():
    assert negotiate("nl", [("fi", 1.0)]) == "nl"
    assert negotiate("pt-BR", [("fi-FI", 1.0), ("en", 0.5)]) == "fi"
    assert negotiate(None, [("sv-SE", 0.8), ("da", 0.9)]) == "da"
    assert negotiate(None, []) == "en"
    assert Translator("xx").language == "en"
