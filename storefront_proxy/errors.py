"""The storefront's error answers: one exception type, rendered as the contract's JSON (or a page)."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer with its documented status and stable code: ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
        self.headers: dict[str, str] = {}

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}
