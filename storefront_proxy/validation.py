"""The one error a use case raises for a value it cannot take, whichever surface it came from.

The storefront answers it 400, the admin 422 with the field named (openapi.yaml); the CLI prints it.
"""

from __future__ import annotations


class InvalidValueError(ValueError):
    """``field`` has a value the use case cannot take; ``message`` says why, ``code`` is the contract's code."""

    def __init__(self, field: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code or f"invalid_{field}"
