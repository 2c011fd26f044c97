"""The admin's catalogs (storefront_proxy/admin/locales): every language has every key with the same
placeholders, every key the admin's code asks for exists, and every key is used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storefront_proxy.admin.pages import admin_catalog
from storefront_proxy.cancellations.records import RequestStatus
from storefront_proxy.holds.records import HoldStatus
from storefront_proxy.i18n import DEFAULT_LANGUAGE, LANGUAGES, placeholders
from storefront_proxy.policy.model import (
    DEFAULT_FINANCIAL_STATUSES,
    DEFAULT_REASONS,
    AutoReviewAction,
    RefundMethod,
    ReviewMode,
    WindowMode,
)

ROOT = Path(__file__).resolve().parents[2]
UI_SOURCES = sorted((ROOT / "storefront_proxy" / "admin" / "ui" / "src").rglob("*.js*"))
UI_TEXT = "\n".join(path.read_text(encoding="utf-8") for path in UI_SOURCES)
ENGLISH = admin_catalog(DEFAULT_LANGUAGE)
PLURAL = re.compile(r"\.(zero|one|two|few|many|other)$")


def recorded_event_types() -> set[str]:
    """The timeline event types storefront_proxy records on a request, a cancellation or an edit (the admin words
    each)."""
    text = "\n".join(
        path.read_text(encoding="utf-8") for path in (ROOT / "storefront_proxy" / "cancellations").glob("*.py")
    )
    edits = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "storefront_proxy" / "edits").glob("*.py"))
    types = set(re.findall(r'\.record\(\s*[^,]+,\s*"([a-z_]+)"', text + "\n" + edits))
    # An edit's _finish records its outcome's status as the event (applied, rejected, failed).
    types |= {name.lower() for name in re.findall(r"_finish\(\s*ctx,\s*[a-z_.]+,\s*RequestStatus\.([A-Z_]+)", edits)}
    types |= set(re.findall(r'_finish\(\s*ctx,\s*[a-z_.]+,\s*RequestStatus\.[A-Z_]+,\s*"([a-z_]+)"', text))
    types |= set(re.findall(r'^\s+"(failed|rejected|cancelled)",$', text, re.M))
    # review.py words review actions as <done>_by_staff or <done>_automatically.
    for done in ("approved", "rejected", "retried"):
        types |= {f"{done}_by_staff", f"{done}_automatically"}
    return types - {"retried_automatically"}


def static_keys() -> set[str]:
    """Keys passed to t() or tOr() as they are."""
    return set(re.findall(r'\bt(?:Or)?\(\s*"([a-z_][a-z0-9_.]*)"', UI_TEXT))


def quoted_keys() -> set[str]:
    """Every dotted string in the code: keys chosen before t() is called (``t(retry ? "a.b" : "a.c")``)."""
    return set(re.findall(r'"([a-z_]+\.[a-z0-9_.]+)"', UI_TEXT))


def dynamic_keys() -> set[str]:
    """Keys the admin builds from a code at run time (t(`status.${status}`) and the like)."""
    return (
        {f"status.{status.value}" for status in RequestStatus}
        | {f"hold.status.{status.value}" for status in HoldStatus}
        | {f"reason.{code}" for code in DEFAULT_REASONS}
        | {f"event.{event}" for event in recorded_event_types()}
        | {f"policy.refund_method.{method.value}" for method in RefundMethod}
        | {f"policy.review_mode.{mode.value}" for mode in ReviewMode}
        | {f"policy.review_mode.{mode.value}_help" for mode in ReviewMode}
        | {f"policy.auto_review_action.{action.value}" for action in AutoReviewAction}
        | {f"policy.window_mode.{mode.value}" for mode in WindowMode}
        | {f"financial.{status}" for status in DEFAULT_FINANCIAL_STATUSES}
    )


# Prefixes the code builds keys under, where the catalog words only the values worth wording (Shopify's order
# statuses, pydantic's error types, who did something); a value without a key falls back to readable text.
OPEN_PREFIXES = ("financial.", "fulfillment.", "field_error.", "actor.", "policy.", "requests.bulk.", "hold.event.")


def test_english_has_every_key_the_admin_asks_for():
    asked = static_keys() | dynamic_keys()
    missing = sorted(key for key in asked if key not in ENGLISH and f"{key}.other" not in ENGLISH)
    assert not missing, f"en.json lacks {missing}"


def test_every_english_key_is_used():
    used = static_keys() | quoted_keys() | dynamic_keys()
    unused = [
        key
        for key in ENGLISH
        if PLURAL.sub("", key) not in used and key not in used and not key.startswith(OPEN_PREFIXES)
    ]
    assert not unused, f"keys nothing uses: {unused}"


def test_plural_keys_have_the_forms_every_admin_language_needs():
    for key in ENGLISH:
        if key.endswith(".one"):
            assert key.removesuffix(".one") + ".other" in ENGLISH, key


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE])
def test_each_language_has_exactly_the_english_keys_and_placeholders(language):
    translated = admin_catalog(language)
    assert translated, f"no admin catalog for {language}"
    assert set(translated) == set(ENGLISH), (
        f"missing {sorted(set(ENGLISH) - set(translated))}, extra {sorted(set(translated) - set(ENGLISH))}"
    )
    for key, text in ENGLISH.items():
        assert placeholders(translated[key]) == placeholders(text), f"{language} {key}"
        assert translated[key].strip(), f"{language} {key} is empty"


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE])
def test_translations_are_translated(language):
    """A catalog that copies English for most keys was not translated (short labels may coincide)."""
    translated = admin_catalog(language)
    same = [key for key, text in ENGLISH.items() if len(text) > 20 and translated.get(key) == text]
    assert len(same) < 5, f"{language} keeps English for {same}"
