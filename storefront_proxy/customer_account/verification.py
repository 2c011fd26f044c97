"""Verifies the customer-account extension's session token on every request; shop and shopper come from it only.

The extension gets the token from ``shopify.sessionToken.get()`` and sends ``Authorization: Bearer <token>``: a
JWT signed HS256 with the app secret, ``aud`` = the app's client id, ``dest`` = the shop, ``sub`` = the signed-in
customer's GID (only when a customer is signed in and the app has protected-customer-data access). Shopify's own
``shopifyapp`` package checks the signature (current and old secret), expiry and audience
(https://shopify.dev/docs/api/customer-account-ui-extensions/latest/target-apis/platform-apis/session-token-api).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlparse

from flask import g, request
from shopify_app import verify_customer_account_ui_ext_req

from storefront_proxy.http_errors import ApiError
from storefront_proxy.services import services
from storefront_proxy.shopify.domains import SHOP_DOMAIN
from storefront_proxy.shopify.models import CUSTOMER_GID_PREFIX
from storefront_proxy.shopify.session_tokens import lifetime_problem

log = logging.getLogger(__name__)

CUSTOMER_GID = re.compile(re.escape(CUSTOMER_GID_PREFIX) + r"([1-9][0-9]{0,19})")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CustomerAccountContext:
    """What a verified extension request tells us: the shop and the signed-in shopper."""

    shop: str
    customer_id: int


def _unauthorized(reason: str) -> ApiError:
    log.info("customer-account request refused: %s", reason)
    return ApiError(401, "invalid_session_token", "Please sign in to your account again.")


def verify_extension_token(method: str, headers: Mapping[str, str], url: str) -> CustomerAccountContext:
    """The shop and customer of a request carrying a valid extension session token; ApiError 401 otherwise."""
    settings = services().settings
    result = verify_customer_account_ui_ext_req(
        {"method": method, "headers": dict(headers), "url": url, "body": ""},
        settings.app_credentials(),
    )
    if not result.ok or result.id_token is None:
        raise _unauthorized(result.log.code)
    claims = result.id_token.claims
    problem = lifetime_problem(claims, start_claims=("nbf", "iat"))
    if problem:
        raise _unauthorized(problem)
    # Shopify writes dest as the shop's URL, and has been seen writing the bare domain: both mean the shop.
    dest = str(claims.get("dest") or "")
    shop = ((urlparse(dest).hostname or "") if "://" in dest else dest).lower()
    if not SHOP_DOMAIN.fullmatch(shop):
        raise _unauthorized("bad_dest")
    subject = claims.get("sub")
    if subject is None or subject == "":
        # A valid token without a customer: nobody is signed in (or the app lacks protected customer data).
        raise ApiError(401, "login_required", "Please sign in to your account to see and cancel your orders.")
    found = CUSTOMER_GID.fullmatch(str(subject))
    if found is None:
        raise _unauthorized("bad_sub")
    return CustomerAccountContext(shop=shop, customer_id=int(found.group(1)))


def extension_verified(view: F) -> F:
    """Require a valid extension session token with a signed-in customer; sets ``g.customer_account``."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g.customer_account = verify_extension_token(request.method, dict(request.headers), request.url)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def preflight_answer(headers: Mapping[str, str], url: str) -> tuple[int, dict[str, str]] | None:
    """shopifyapp's answer to a CORS preflight (``OPTIONS`` with an ``Origin``): 204 and its headers."""
    settings = services().settings
    result = verify_customer_account_ui_ext_req(
        {"method": "OPTIONS", "headers": dict(headers), "url": url, "body": ""},
        settings.app_credentials(),
    )
    if result.log.code != "options_request":
        return None
    return result.response.status, dict(result.response.headers)
