"""What the app checks of a Shopify session token beyond what ``shopifyapp`` checks (signature, expiry, audience).

PyJWT checks ``exp`` and ``nbf`` only when they are present: a token without them, or one minted to live for
hours, would be a standing credential. Shopify's session tokens live a minute
(https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_SESSION_TOKEN_SECONDS = 300


def lifetime_problem(claims: Mapping[str, Any], *, start_claims: tuple[str, ...] = ("nbf",)) -> str | None:
    """Why the token's lifetime is not a session token's (a code for the log), or None when it is.

    ``start_claims`` are tried in order for when the token began (the customer-account tokens may carry only
    ``iat``).
    """
    exp = claims.get("exp")
    start = next((claims[name] for name in start_claims if name in claims), None)
    if not isinstance(exp, int | float) or not isinstance(start, int | float):
        return "missing_exp_or_nbf"
    if exp - start > MAX_SESSION_TOKEN_SECONDS:
        return "lifetime_too_long"
    return None
