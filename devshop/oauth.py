"""The devshop's stand-in for Shopify's OAuth: the grant screen, the token endpoint and expiring offline tokens.

- ``GET /admin/oauth/authorize`` approves at once (a development shop has one merchant) and redirects to the
  app's ``redirect_uri`` with ``code``, ``host``, ``shop``, ``state``, ``timestamp`` and their ``hmac``.
- ``POST /admin/oauth/access_token`` answers the authorization-code grant (single-use codes), token exchange
  (an App Bridge session token, HS256 with the app secret, or a non-expiring offline token to migrate, which
  is revoked once traded: UNCONFIRMED that Shopify revokes it at once, the stricter case) and ``refresh_token``.
  A session token can also be traded for an online token, answered as Shopify does with the staff member
  (``associated_user``, ``associated_user_scope``, ``expires_in``): the token's ``sub`` is one of ``STAFF``.
- Expiring offline tokens live ``expires_in`` seconds (3600, as Shopify's); a refresh rotates the pair. The
  spent refresh token stays usable until an access token issued for it is first used, then it is
  ``invalid_grant``, as Shopify does since its "more resilient refreshes" change.
- ``/devshop/oauth/...``: counters for tests, expire the access tokens now, change ``expires_in``.

Its state is ``app.extensions["devshop_oauth"]``; the Admin API accepts its unexpired tokens besides the fixed
development token. Development and tests only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlparse

import jwt
from flask import Blueprint, Response, abort, current_app, jsonify, redirect, request

from devshop.admin_frame import DEMO_STAFF_ID

if TYPE_CHECKING:
    from devshop.state import DevshopState

bp = Blueprint("devshop_oauth", __name__)

DEFAULT_EXPIRES_IN = 3600
DEFAULT_REFRESH_TOKEN_EXPIRES_IN = 90 * 24 * 3600
CODE_LIFETIME_SECONDS = 600
SESSION_TOKEN_LEEWAY_SECONDS = 10
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
ONLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:online-access-token"
# An online token lives as long as the staff member's admin session, a day at most.
ONLINE_EXPIRES_IN = 86399
SCOPES = "read_orders,write_orders"
# The shop's staff members by id (a session token's ``sub``), as Shopify's ``associated_user`` describes them.
STAFF: dict[str, dict[str, Any]] = {
    DEMO_STAFF_ID: {
        "id": int(DEMO_STAFF_ID),
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "account_owner": True,
        "locale": "en",
        "collaborator": False,
        "email_verified": True,
    }
}


class OAuthError(Exception):
    """An OAuth error answer, ``{"error": code, "error_description": ...}``."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = status


@dataclass
class IssuedAccessToken:
    expires_at: float | None
    # The refresh token spent to get this one: spent for good when this token is first used.
    spent_refresh_token: str | None = None
    used: bool = False


@dataclass
class IssuedRefreshToken:
    expires_at: float
    revoked: bool = False


class DevshopOAuth:
    """What the devshop has granted: codes, access and refresh tokens, and counters (thread-safe)."""

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        app_url: str,
        shop_domain: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.app_url = app_url.rstrip("/")
        self.shop_domain = shop_domain
        self.clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.expires_in = DEFAULT_EXPIRES_IN
            self.refresh_token_expires_in = DEFAULT_REFRESH_TOKEN_EXPIRES_IN
            # Seconds a refresh takes, so tests can make two refreshes overlap.
            self.refresh_delay = 0.0
            self.codes: dict[str, float] = {}
            self.access_tokens: dict[str, IssuedAccessToken] = {}
            self.refresh_tokens: dict[str, IssuedRefreshToken] = {}
            self.newest_refresh_token: str | None = None
            self.refreshes: Counter[str] = Counter()
            self.counts: Counter[str] = Counter()

    # -- grants ------------------------------------------------------------------------------------------------

    def issue_code(self) -> str:
        code = secrets.token_hex(16)
        with self._lock:
            self.codes[code] = self.clock()
        return code

    def grant_code(self, code: str, expiring: bool) -> dict[str, Any]:
        with self._lock:
            issued = self.codes.pop(code, None)  # single use
            if issued is None or self.clock() - issued > CODE_LIFETIME_SECONDS:
                raise OAuthError("invalid_grant", "The authorization code was not found or was already used")
            self.counts["code_grants"] += 1
            return self._issue(expiring, spent=None)

    def exchange(self, subject_token: str, subject_token_type: str, requested: str, expiring: bool) -> dict[str, Any]:
        if requested == ONLINE_TOKEN_TYPE and subject_token_type == ID_TOKEN_TYPE:
            return self._online(self._session_claims(subject_token))
        if requested != OFFLINE_TOKEN_TYPE or subject_token_type not in (ID_TOKEN_TYPE, OFFLINE_TOKEN_TYPE):
            raise OAuthError("invalid_request", "Only offline and online access tokens can be requested here")
        if subject_token_type == OFFLINE_TOKEN_TYPE:
            return self._migrate(subject_token, expiring)
        self._session_claims(subject_token)
        with self._lock:
            self.counts["token_exchanges"] += 1
            return self._issue(expiring, spent=None)

    def _session_claims(self, subject_token: str) -> dict[str, Any]:
        """The claims of an App Bridge session token of this shop, or invalid_subject_token."""
        try:
            claims = jwt.decode(
                subject_token,
                self.api_secret,
                algorithms=["HS256"],
                audience=self.api_key,
                leeway=SESSION_TOKEN_LEEWAY_SECONDS,
                options={"require": ["exp", "nbf", "iss", "dest", "aud", "sub"]},
            )
        except jwt.PyJWTError:
            raise OAuthError("invalid_subject_token", "The session token could not be verified") from None
        if urlparse(str(claims["dest"])).hostname != self.shop_domain:
            raise OAuthError("invalid_subject_token", "The session token is for another shop")
        return claims

    def _online(self, claims: dict[str, Any]) -> dict[str, Any]:
        """An online token for the session token's staff member, with who they are."""
        staff = STAFF.get(str(claims["sub"]))
        if staff is None:
            raise OAuthError("invalid_subject_token", "The session token's user is not a staff member of the shop")
        access_token = f"shpua_devshop_{secrets.token_hex(16)}"
        with self._lock:
            self.counts["online_token_exchanges"] += 1
            self.access_tokens[access_token] = IssuedAccessToken(self.clock() + ONLINE_EXPIRES_IN)
        return {
            "access_token": access_token,
            "scope": SCOPES,
            "expires_in": ONLINE_EXPIRES_IN,
            "associated_user_scope": SCOPES,
            "session": f"devshop-session-{staff['id']}",
            "account_number": 0,
            "associated_user": dict(staff),
        }

    def _migrate(self, subject_token: str, expiring: bool) -> dict[str, Any]:
        """A non-expiring offline token traded for an expiring pair; the old token stops working."""
        with self._lock:
            self.counts["migration_requests"] += 1
            issued = self.access_tokens.get(subject_token)
            if issued is None or issued.expires_at is not None or not expiring:
                raise OAuthError("invalid_subject_token", "The subject token is not a non-expiring offline token")
            del self.access_tokens[subject_token]
            self.counts["migrations"] += 1
            return self._issue(True, spent=None)

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        with self._lock:
            self.counts["refresh_requests"] += 1
        if self.refresh_delay:
            time.sleep(self.refresh_delay)
        with self._lock:
            issued = self.refresh_tokens.get(refresh_token)
            if issued is None or issued.revoked or issued.expires_at <= self.clock():
                self.counts["refused_refreshes"] += 1
                raise OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked")
            self.refreshes[self.shop_domain] += 1
            return self._issue(True, spent=refresh_token)

    def _issue(self, expiring: bool, spent: str | None) -> dict[str, Any]:
        now = self.clock()
        access_token = f"shpat_devshop_{secrets.token_hex(16)}"
        if not expiring:
            self.access_tokens[access_token] = IssuedAccessToken(expires_at=None)
            return {"access_token": access_token, "scope": SCOPES}
        refresh_token = f"shprt_devshop_{secrets.token_hex(16)}"
        self.access_tokens[access_token] = IssuedAccessToken(now + self.expires_in, spent_refresh_token=spent)
        self.refresh_tokens[refresh_token] = IssuedRefreshToken(now + self.refresh_token_expires_in)
        self.newest_refresh_token = refresh_token
        return {
            "access_token": access_token,
            "scope": SCOPES,
            "expires_in": self.expires_in,
            "refresh_token": refresh_token,
            "refresh_token_expires_in": self.refresh_token_expires_in,
        }

    # -- the Admin API's check ---------------------------------------------------------------------------------

    def admits(self, token: str | None, state: DevshopState) -> bool:
        """True for the fixed development token and for unexpired tokens issued here (marking them used)."""
        if not token:
            return False
        if hmac.compare_digest(token.encode(), state.access_token.encode()):
            return True
        with self._lock:
            issued = self.access_tokens.get(token)
            if issued is None or (issued.expires_at is not None and issued.expires_at <= self.clock()):
                return False
            if not issued.used:
                issued.used = True
                spent = self.refresh_tokens.get(issued.spent_refresh_token or "")
                if spent is not None:
                    spent.revoked = True
            return True

    def expire_access_tokens(self) -> int:
        """Expire every issued access token now; returns how many were still live."""
        with self._lock:
            now = self.clock()
            live = [t for t in self.access_tokens.values() if t.expires_at is None or t.expires_at > now]
            for issued in live:
                issued.expires_at = now
            return len(live)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            now = self.clock()
            return {
                # Refresh grants issued, per shop, and refresh requests received (granted or refused).
                "refreshes": dict(self.refreshes),
                "refresh_requests": self.counts["refresh_requests"],
                "token_exchanges": self.counts["token_exchanges"],
                "online_token_exchanges": self.counts["online_token_exchanges"],
                "code_grants": self.counts["code_grants"],
                "migrations": self.counts["migrations"],
                "migration_requests": self.counts["migration_requests"],
                "refused_refreshes": self.counts["refused_refreshes"],
                "live_access_tokens": sum(
                    1 for t in self.access_tokens.values() if t.expires_at is None or t.expires_at > now
                ),
                "expires_in": self.expires_in,
            }


def sign_oauth_query(params: list[tuple[str, str]], secret: str) -> str:
    """The ``hmac`` of a redirect's query: ``key=value`` sorted by key, values percent-encoded, joined with ``&``.

    The shopify-app-js / shopify-api-ruby form; ``hmac`` itself is left out
    (https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant).
    """
    message = "&".join(
        f"{quote(key, safe='')}={quote(value, safe='*-._')}" for key, value in sorted(params) if key != "hmac"
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _oauth() -> DevshopOAuth:
    return current_app.extensions["devshop_oauth"]


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return body
    return request.form.to_dict()


def _expiring(value: object) -> bool:
    return str(value).lower() in ("1", "true")


@bp.errorhandler(OAuthError)
def _oauth_error(error: OAuthError) -> tuple[Response, int]:
    return jsonify({"error": error.code, "error_description": error.description}), error.status


@bp.get("/admin/oauth/authorize")
def authorize() -> Response | tuple[str, int]:
    """The merchant approves at once; back to the app with a code and a signed query."""
    oauth = _oauth()
    if request.args.get("client_id") != oauth.api_key:
        return "Oauth error invalid_request: The client_id is not valid", 400
    redirect_uri = request.args.get("redirect_uri", "")
    # Shopify only redirects to the app's allowed redirection URLs.
    if not redirect_uri.startswith(f"{oauth.app_url}/"):
        return "Oauth error invalid_request: The redirect_uri is not allowed", 400
    params = [
        ("code", oauth.issue_code()),
        ("host", base64.b64encode(f"{oauth.shop_domain}/admin".encode()).decode()),
        ("shop", oauth.shop_domain),
        ("state", request.args.get("state", "")),
        ("timestamp", str(int(oauth.clock()))),
    ]
    params.append(("hmac", sign_oauth_query(params, oauth.api_secret)))
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(f"{redirect_uri}{separator}{urlencode(params)}")


@bp.post("/admin/oauth/access_token")
def access_token() -> tuple[Response, int]:
    """Shopify's token endpoint: authorization code, token exchange and refresh_token grants."""
    oauth = _oauth()
    body = _body()
    if body.get("client_id") != oauth.api_key or not hmac.compare_digest(
        str(body.get("client_secret", "")).encode(), oauth.api_secret.encode()
    ):
        raise OAuthError("invalid_client", "Client authentication failed", status=401)
    grant = body.get("grant_type")
    if grant == "refresh_token":
        return jsonify(oauth.refresh(str(body.get("refresh_token", "")))), 200
    if grant == TOKEN_EXCHANGE:
        payload = oauth.exchange(
            str(body.get("subject_token", "")),
            str(body.get("subject_token_type", "")),
            str(body.get("requested_token_type", "")),
            _expiring(body.get("expiring", "0")),
        )
        return jsonify(payload), 200
    if grant in (None, "authorization_code") and body.get("code"):
        return jsonify(oauth.grant_code(str(body["code"]), _expiring(body.get("expiring", "0")))), 200
    raise OAuthError("unsupported_grant_type", f"The grant type {grant!r} is not supported")


@bp.get("/admin/apps/<client_id>")
def app_in_admin(client_id: str) -> Response:
    """``https://{shop}/admin/apps/{client_id}``, where the callback sends the merchant: the devshop's admin frame."""
    if client_id != _oauth().api_key:
        abort(404)
    return redirect("/admin/apps/self-service")


@bp.get("/devshop/oauth/stats")
def stats() -> Response:
    return jsonify(_oauth().stats())


@bp.post("/devshop/oauth/expire")
def expire() -> Response:
    """Expire every access token the devshop issued, now (the fixed development token is not affected)."""
    return jsonify({"expired": _oauth().expire_access_tokens()})


@bp.post("/devshop/oauth/config")
def configure() -> Response:
    """Set ``expires_in`` (seconds) for new access tokens and ``refresh_delay`` (seconds a refresh takes)."""
    oauth = _oauth()
    body = request.get_json(silent=True) or {}
    if "expires_in" in body:
        oauth.expires_in = int(body["expires_in"])
    if "refresh_delay" in body:
        oauth.refresh_delay = float(body["refresh_delay"])
    return jsonify({"expires_in": oauth.expires_in, "refresh_delay": oauth.refresh_delay})


@bp.post("/devshop/oauth/reset")
def reset() -> Response:
    _oauth().reset()
    return jsonify({"ok": True})
