"""Verifies that a request really came through Shopify's app proxy, before anything in it is trusted.

Shopify signs every proxied request's query string (``signature``); the check itself is Shopify's own
``shopifyapp`` package, which also refuses timestamps more than 90 s from our clock. See
https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs

from flask import g, request
from shopify_app import verify_app_proxy_req

from storefront_proxy.http_errors import ApiError
from storefront_proxy.proxy.pages import translator_for
from storefront_proxy.proxy_path.sync import enqueue_proxy_path_sync
from storefront_proxy.services import services
from storefront_proxy.shopify.domains import SHOP_DOMAIN

log = logging.getLogger(__name__)

CUSTOMER_ID = re.compile(r"[1-9][0-9]{0,19}")
# Shopify signs with a lowercase hex HMAC-SHA256; anything else is refused before the library compares it.
SIGNATURE = re.compile(r"[0-9a-f]{64}")
# The parameters the storefront accepts: Shopify's own and the theme block's `locale` (README, storefront
# contract). Shopify signs `key=value` pairs joined with no separator, so `a=1&b=2` and `a=1b=2` sign alike: a
# value holding `=` (or a name the app does not know) could let one signature verify a different split of the
# query, such as another `logged_in_customer_id`. With only these names (none the end of another) and no `=` or
# `&` in any value, every signed message has one split. A new Shopify parameter must be added here.
KNOWN_PARAMETERS = frozenset({"shop", "logged_in_customer_id", "path_prefix", "timestamp", "signature", "locale"})
# shopify-app-js also refuses these when repeated; shopifyapp only checks `shop`.
SINGLE_VALUED = tuple(sorted(KNOWN_PARAMETERS))
# What Shopify's `request.locale.iso_code` looks like: `en`, `pt-BR`, `zh-TW`.
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}")
# prefix (a, apps, community, tools) and subpath (letters, digits, _ and -): `/apps/self-service`. Exactly one
# leading slash: `//host/...` would be another site when the page uses it as its script origin.
PATH_PREFIX = re.compile(r"(/[A-Za-z0-9_-]+){1,2}")
DEFAULT_PATH_PREFIX = "/apps/self-service"

# Shopify's app proxy signs a timestamp and refuses it 90 s later (shopifyapp applies the same window).
TIMESTAMP_WINDOW_SECONDS = 90
VERIFIED_QUERIES_KEPT = 1024

F = TypeVar("F", bound=Callable[..., Any])


class VerifiedQueries:
    """Query strings shopifyapp has verified, kept while their timestamp is within the 90 s window.

    The signature covers the query string only, not the path, so every request a page makes through the proxy
    within the same second (the page, its script's status polls, the list and its orders) carries the same
    string; the library's check (log redaction, two parses, the HMAC) was a tenth of a cached read. A signature
    is a pure function of the string and the secrets, so the verdict is kept under both; the timestamp is
    checked on every request exactly as shopifyapp checks it.
    """

    def __init__(self, kept: int = VERIFIED_QUERIES_KEPT) -> None:
        self._timestamps: dict[tuple[str, str, str | None], int] = {}
        self._kept = kept

    def verified(self, key: tuple[str, str, str | None], now: float) -> bool:
        timestamp = self._timestamps.get(key)
        return timestamp is not None and abs(int(now) - timestamp) <= TIMESTAMP_WINDOW_SECONDS

    def keep(self, key: tuple[str, str, str | None], timestamp: int) -> None:
        if len(self._timestamps) >= self._kept:
            self._timestamps.clear()  # a burst of distinct shoppers: start again rather than track ages
        self._timestamps[key] = timestamp


_verified_queries = VerifiedQueries()


@dataclass(frozen=True)
class ProxyContext:
    """What a verified proxy request tells us: the shop, the logged-in shopper and the storefront path."""

    shop: str
    customer_id: int
    path_prefix: str


def check_parameters(params: dict[str, list[str]]) -> None:
    """Refuse a query (``parse_qs``'s, blank values kept) that could be re-split under its signature: unknown
    names, `=` or `&` in values, or a `locale` that is not a language tag (400 ``invalid_parameter``)."""
    unknown = sorted(name for name in params if name not in KNOWN_PARAMETERS)
    if unknown:
        raise _invalid_parameter(f"unknown parameter names ({len(unknown)})")
    if any("=" in value or "&" in value for values in params.values() for value in values):
        raise _invalid_parameter("a value holds = or &")
    locale = params.get("locale", [None])[0]
    if locale is not None and not LANGUAGE_TAG.fullmatch(locale):
        raise _invalid_parameter("locale is not a language tag")


def _invalid_parameter(reason: str) -> ApiError:
    # The reason goes to the log only; never the values or the signature.
    log.info("app proxy request refused: %s", reason)
    return ApiError(
        400, "invalid_parameter", "This link isn't one the shop made. Please open the page from the shop again."
    )


def verify_proxy_request(
    query_string: str,
    client_secret: str,
    old_client_secret: str | None = None,
    params: dict[str, list[str]] | None = None,
) -> dict[str, str]:
    """Verify the signed query string (``params``: it parsed, when the caller has it already); returns its
    single-valued parameters or raises a 401 ApiError."""
    params = params if params is not None else parse_qs(query_string, keep_blank_values=True)
    if any(len(params.get(name, [])) > 1 for name in SINGLE_VALUED):
        raise _unauthorized("duplicated_parameter")
    if not SIGNATURE.fullmatch(params.get("signature", [""])[0]):
        raise _unauthorized("malformed_signature")
    memo_key = (query_string, client_secret, old_client_secret)
    now = time.time()
    if not _verified_queries.verified(memo_key, now):
        result = verify_app_proxy_req(
            {"method": "GET", "headers": {}, "url": f"https://app.invalid/proxy?{query_string}", "body": ""},
            {"client_id": "", "client_secret": client_secret, "old_client_secret": old_client_secret},
        )
        if not result.ok:
            raise _unauthorized(result.log.code)
        # shopifyapp accepted the timestamp, so it is an integer within the window.
        _verified_queries.keep(memo_key, int(params["timestamp"][0]))
    shop = params.get("shop", [""])[0].lower()
    if not SHOP_DOMAIN.fullmatch(shop):
        raise _unauthorized("invalid_shop")
    return {name: values[0] for name, values in params.items()}


def _unauthorized(reason: str) -> ApiError:
    # The reason goes to the log only; never the signature or the secret.
    log.info("app proxy request refused: %s", reason)
    return ApiError(
        401,
        "invalid_signature",
        "This request did not come through the shop. Please open the page from the shop again.",
    )


def proxy_verified(view: F) -> F:
    """Verify the proxy signature and require a logged-in shopper; sets ``g.proxy`` (a ProxyContext) and
    ``g.proxy_reads``, the request's batch of Redis reads, which already reports the shop's proxy path (merchants
    can rename it; the theme blocks learn it from an app metafield)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        settings = services().settings
        query_string = request.query_string.decode("latin-1")
        parsed = parse_qs(query_string, keep_blank_values=True)
        check_parameters(parsed)
        params = verify_proxy_request(query_string, settings.api_secret(), settings.old_api_secret(), parsed)
        customer = params.get("logged_in_customer_id", "")
        if customer == "":
            raise ApiError(401, "login_required", "Please log in to your account to see and cancel your orders.")
        if not CUSTOMER_ID.fullmatch(customer):
            raise ApiError(401, "invalid_customer", "Please log in to your account again.")
        path_prefix = params.get("path_prefix") or DEFAULT_PATH_PREFIX
        if not PATH_PREFIX.fullmatch(path_prefix):
            raise _invalid_parameter("path_prefix is not a proxy path")
        g.proxy = ProxyContext(shop=params["shop"].lower(), customer_id=int(customer), path_prefix=path_prefix)
        # The shopper's language from the query already parsed (``pages.translator`` would parse it again).
        g.translator = translator_for(params.get("locale"), request.headers.get("Accept-Language"))
        g.proxy_reads = services().store.batch()
        path_changed = services().store.proxy_paths.remember_in(g.proxy_reads, g.proxy.shop, path_prefix)
        try:
            answer = view(*args, **kwargs)
            g.proxy_reads.run()  # for a view that sent no reads with it
        finally:
            # Also after a 404 or a 429: the new path is stored by then, and later requests find it unchanged.
            if path_changed.ready and path_changed.value:
                enqueue_proxy_path_sync(services().queue, g.proxy.shop)
        return answer

    return wrapped  # type: ignore[return-value]
