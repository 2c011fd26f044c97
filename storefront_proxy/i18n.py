"""The storefront's languages: message catalogs per language and choosing one for a request.

Catalogs are flat JSON files in ``catalogs/`` (``en.json`` is complete and the fallback). Shopify's app proxy
forwards the shop's current storefront locale when the theme block adds ``locale=`` to the link; otherwise the
browser's Accept-Language decides, then English.
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from pathlib import Path
from string import Formatter

CATALOG_DIR = Path(__file__).with_name("catalogs")
DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "nl", "fi", "de", "fr", "es", "sv", "da")


@functools.cache
def catalog(language: str) -> dict[str, str]:
    """The messages of ``language`` (``{}`` for a language without a catalog)."""
    path = CATALOG_DIR / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def language_of(tag: str | None) -> str | None:
    """``nl-BE`` / ``pt_BR`` / ``FI`` → a supported language code, or None."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def negotiate(locale: str | None, accept_language: list[tuple[str, float]]) -> str:
    """The ``locale`` parameter when supported, else the best Accept-Language match, else English."""
    chosen = language_of(locale)
    if chosen:
        return chosen
    for tag, quality in sorted(accept_language, key=lambda item: -item[1]):
        chosen = language_of(tag)
        if chosen and quality > 0:
            return chosen
    return DEFAULT_LANGUAGE


class Translator:
    """Looks up messages in one language, falling back to English, and fills in ``{placeholders}``."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def has(self, key: str) -> bool:
        return key in catalog(self.language) or key in catalog(DEFAULT_LANGUAGE)

    def __call__(self, key: str, **params: object) -> str:
        text = catalog(self.language).get(key) or catalog(DEFAULT_LANGUAGE).get(key)
        if text is None:
            raise KeyError(f"no message {key!r}")
        return text.format(**params) if params else text


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a message expects."""
    return {name for _, name, _, _ in Formatter().parse(text) if name}


# ISO 4217 minor units of the currencies that don't have two (Shopify's currencies; the rest have two).
MINOR_UNITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV"), 0),
    **dict.fromkeys(("XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def money(amount: Decimal, currency: str) -> str:
    """An amount with its currency code and the currency's own decimals ("39.90 EUR", "1000 JPY", "1.250 KWD")."""
    return f"{decimal_amount(amount, currency)} {currency}"


def decimal_amount(amount: Decimal, currency: str) -> str:
    """An amount with the currency's own decimals, without the code ("39.90" for EUR, "1000" for JPY)."""
    places = MINOR_UNITS.get(currency.upper(), 2)
    return f"{amount:.{places}f}"
