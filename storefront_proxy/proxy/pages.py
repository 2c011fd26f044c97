"""Rendering storefront pages: the shopper's language, and the two ways a page is delivered.

Through Shopify's app proxy a page is answered as ``application/liquid``: Shopify renders it inside the shop's
own theme (https://shopify.dev/docs/apps/build/online-store/app-proxies). Liquid would also run anything in
the page that looks like Liquid, so text from shoppers (a note such as ``{{ shop.name }}``) is defused before
it leaves. Without a theme around it (the devshop, ``STOREFRONT_STANDALONE_PAGES``) the same content is a
complete HTML document.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, render_template, request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from werkzeug.wrappers import Response

from storefront_proxy.i18n import Translator, language_of, money, negotiate
from storefront_proxy.services import services

LIQUID_CONTENT_TYPE = "application/liquid"
# Strings the page's script needs in the shopper's language.
SCRIPT_MESSAGES = (
    "status.pending_review",
    "status.queued",
    "status.processing",
    "status.cancelled",
    "status.rejected",
    "status.failed",
    "status.applied",
    "edit_status.pending_review",
    "edit_status.queued",
    "edit_status.processing",
    "edit_status.applied",
    "edit_status.rejected",
    "edit_status.failed",
    "page.can_edit_until",
    "page.status.heading",
    "page.status.updates",
    "page.time_left",
    "page.time_left.minutes",
    "page.time_left.hours",
    "page.can_cancel_until",
    "page.ordered_on",
    "page.ordered_on_total",
    "page.sending",
    "page.returns_link",
    "page.contact_shop",
    "error.internal_error",
)


# Headers longer than this are parsed each time rather than kept (browsers send well under 100 characters).
CACHED_HEADER_LENGTH = 200

R = TypeVar("R")


def per_header(maxsize: int) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """``functools.lru_cache`` for a function of raw request headers (None when absent), each distinct value parsed
    once; a header longer than CACHED_HEADER_LENGTH is parsed each time, so no client fills the cache with its own."""

    def decorate(parse: Callable[..., R]) -> Callable[..., R]:
        cached = functools.lru_cache(maxsize=maxsize)(parse)

        @functools.wraps(parse)
        def call(*headers: str | None) -> R:
            if any(header is not None and len(header) > CACHED_HEADER_LENGTH for header in headers):
                return parse(*headers)
            return cached(*headers)

        return call

    return decorate


def translator_for(locale: str | None, accept_language: str | None) -> Translator:
    """The translator for a ``locale`` parameter and a raw Accept-Language header."""
    return _translators(_language_for(locale, accept_language))


@per_header(maxsize=512)
def _language_for(locale: str | None, accept_language: str | None) -> str:
    # Parsed once per distinct pair: parsing the header was a tenth of a cached storefront read.
    return negotiate(locale, list(parse_accept_header(accept_language, LanguageAccept)))


@functools.cache
def _translators(language: str) -> Translator:
    return Translator(language)


def translator() -> Translator:
    """The request's translator: ``locale`` parameter, then Accept-Language, then English."""
    if "translator" not in g:
        g.translator = translator_for(request.args.get("locale"), request.headers.get("Accept-Language"))
    return g.translator


def storefront_link(prefix: str, path: str) -> str:
    """A storefront URL under the shop's proxy path, keeping the shopper's chosen (supported) locale."""
    chosen = language_of(request.args.get("locale"))
    return f"{prefix}{path}?locale={chosen}" if chosen else f"{prefix}{path}"


def defuse_liquid(html: str) -> str:
    """Make Liquid delimiters inert; the entities still display as braces in the browser."""
    return html.replace("{{", "&#123;&#123;").replace("{%", "&#123;%")


def render_page(template: str, status: int = 200, *, prefix: str | None, **context: Any) -> Response:
    """Render a storefront page as Liquid for Shopify's proxy, or as a standalone document."""
    t = translator()
    standalone = bool(services().settings.storefront_standalone_pages)
    html = render_template(
        template,
        t=t,
        lang=t.language,
        prefix=prefix,
        link=lambda path: storefront_link(prefix or "", path),
        standalone=standalone,
        money=money,
        script_messages=json.dumps({key: t(key) for key in SCRIPT_MESSAGES}, ensure_ascii=False),
        **context,
    )
    if standalone:
        response = Response(html, status=status, content_type="text/html; charset=utf-8")
    else:
        response = Response(defuse_liquid(html), status=status, content_type=f"{LIQUID_CONTENT_TYPE}; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response
