"""Shopify's token endpoint for unit tests: an httpx MockTransport handler that grants and records."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx


class FakeShopifyOAuth:
    """Answers ``POST https://{shop}/admin/oauth/access_token`` like Shopify; ``fail_with`` scripts a failure.

    ``fail_with`` is None (grant), ``"network"`` (the connection fails) or ``(status, error code)``.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.fail_with: str | tuple[int, str] | None = None
        self.expires_in = 3600
        self.issued: list[dict[str, Any]] = []

    def grants(self, kind: str) -> list[dict[str, Any]]:
        """The bodies of the requests of one grant: "refresh_token", "token_exchange" or "code"."""
        names = {"refresh_token": "refresh_token", "token_exchange": "urn:ietf:params:oauth:grant-type:token-exchange"}
        return [body for _, body in self.requests if body.get("grant_type") == names.get(kind, None)]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        self.requests.append((str(request.url), body))
        if request.url.path != "/admin/oauth/access_token":
            return httpx.Response(404)
        if self.fail_with == "network":
            raise httpx.ConnectError("connection refused", request=request)
        if isinstance(self.fail_with, tuple):
            status, error = self.fail_with
            return httpx.Response(status, json={"error": error})
        payload: dict[str, Any] = {
            "access_token": f"shpat_fake_{secrets.token_hex(8)}",
            "scope": "read_orders,write_orders",
            "expires_in": self.expires_in,
            "refresh_token": f"shprt_fake_{secrets.token_hex(8)}",
            "refresh_token_expires_in": 90 * 24 * 3600,
        }
        self.issued.append(payload)
        return httpx.Response(200, json=payload)

    def client(self, *_: object) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))
