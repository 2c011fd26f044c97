"""Shopify's token endpoint for unit tests: an httpx MockTransport handler that grants and records."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
import jwt

ONLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:online-access-token"


class FakeShopifyOAuth:
    """Answers ``POST https://{shop}/admin/oauth/access_token`` like Shopify; ``fail_with`` scripts a failure.

    ``fail_with`` is None (grant), ``"network"`` (the connection fails) or ``(status, error code)``.
    ``requests`` and ``issued`` are the calls for the app's own tokens; online token exchanges, which only name
    the staff member (``associated_user``, from ``staff`` by the session token's ``sub``; left out for anyone
    else), are kept apart in ``online_requests`` and scripted with ``online_fail_with``.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.fail_with: str | tuple[int, str] | None = None
        self.expires_in = 3600
        self.issued: list[dict[str, Any]] = []
        self.online_requests: list[tuple[str, dict[str, Any]]] = []
        self.online_fail_with: str | tuple[int, str] | None = None
        self.staff: dict[str, dict[str, Any]] = {}

    def grants(self, kind: str) -> list[dict[str, Any]]:
        """The bodies of the requests of one grant: "refresh_token", "token_exchange" or "code"."""
        names = {"refresh_token": "refresh_token", "token_exchange": "urn:ietf:params:oauth:grant-type:token-exchange"}
        return [body for _, body in self.requests if body.get("grant_type") == names.get(kind, None)]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        if body.get("requested_token_type") == ONLINE_TOKEN_TYPE:
            return self._online(request, body)
        self.requests.append((str(request.url), body))
        if request.url.path != "/admin/oauth/access_token":
            return httpx.Response(404)
        failure = self._failure(request, self.fail_with)
        if failure is not None:
            return failure
        payload: dict[str, Any] = {
            "access_token": f"shpat_fake_{secrets.token_hex(8)}",
            "scope": "read_orders,write_orders",
            "expires_in": self.expires_in,
            "refresh_token": f"shprt_fake_{secrets.token_hex(8)}",
            "refresh_token_expires_in": 90 * 24 * 3600,
        }
        self.issued.append(payload)
        return httpx.Response(200, json=payload)

    def _online(self, request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        self.online_requests.append((str(request.url), body))
        failure = self._failure(request, self.online_fail_with)
        if failure is not None:
            return failure
        sub = str(jwt.decode(body["subject_token"], options={"verify_signature": False}).get("sub"))
        payload: dict[str, Any] = {
            "access_token": f"shpua_fake_{secrets.token_hex(8)}",
            "scope": "read_orders,write_orders",
            "expires_in": 86399,
            "associated_user_scope": "read_orders",
        }
        if sub in self.staff:
            payload["associated_user"] = {"id": int(sub), **self.staff[sub]}
        return httpx.Response(200, json=payload)

    @staticmethod
    def _failure(request: httpx.Request, fail_with: str | tuple[int, str] | None) -> httpx.Response | None:
        if fail_with == "network":
            raise httpx.ConnectError("connection refused", request=request)
        if isinstance(fail_with, tuple):
            status, error = fail_with
            return httpx.Response(status, json={"error": error})
        return None

    def client(self, *_: object, **__: object) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))
