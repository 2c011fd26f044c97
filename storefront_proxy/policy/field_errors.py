"""What is wrong with a policy's fields, in plain English and as codes the admin's pages translate.

pydantic names each problem with a stable ``type`` (``greater_than_equal``, ``missing``, ``string_too_long``,
``value_error`` for the policy's own rules, ...) and its bounds in ``ctx``; its English (``Input should be
greater than or equal to 1``) is written for developers, so the common types get a sentence a merchant reads.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# The ctx keys that hold a field's bound, as ``limit``.
LIMIT_KEYS = ("ge", "gt", "le", "lt", "max_length", "min_length")
# pydantic prefixes the message of a validator's ValueError with this.
VALUE_ERROR_PREFIX = "Value error, "

MESSAGES = {
    "missing": "Enter a value.",
    "greater_than_equal": "Enter a number of at least {ge}.",
    "greater_than": "Enter a number greater than {gt}.",
    "less_than_equal": "Enter a number of at most {le}.",
    "less_than": "Enter a number less than {lt}.",
    "string_too_long": "Use at most {max_length} characters.",
    "string_too_short": "Use at least {min_length} characters.",
    "too_long": "Give at most {max_length} items.",
    "too_short": "Give at least {min_length} items.",
    "int_type": "Enter a whole number.",
    "int_parsing": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "bool_type": "Choose yes or no (true or false).",
    "string_type": "Enter text.",
    "list_type": "Give a list.",
    "dict_type": "Give an object of names and values.",
    "model_type": "Give an object of names and values.",
    "enum": "Choose one of {expected}.",
    "literal_error": "Choose one of {expected}.",
    "string_pattern_mismatch": "This is not in the expected form.",
    "extra_forbidden": "This is not a setting of the policy.",
    "decimal_type": 'Enter an amount such as "150.00".',
    "decimal_parsing": 'Enter an amount such as "150.00".',
    "decimal_max_digits": "Use at most {max_digits} digits.",
    "decimal_max_places": "Use at most {decimal_places} decimals.",
}
# Where a bound of one reads better in the singular.
SINGULAR = {
    "string_too_long": "Use at most 1 character.",
    "string_too_short": "Enter at least 1 character.",
    "too_long": "Give at most 1 item.",
    "too_short": "Give at least 1 item.",
}


@dataclass(frozen=True)
class FieldProblem:
    """One field's problem: an English ``message``, pydantic's ``type`` and its bound (``limit``), if any."""

    message: str
    type: str
    limit: int | float | None


def describe_errors(errors: Iterable[Mapping[str, Any]]) -> dict[str, FieldProblem]:
    """Each invalid field's problem, by its dotted path (``reasons.0.code``; ``policy`` for the whole); of several
    problems of one field, the last."""
    problems: dict[str, FieldProblem] = {}
    for error in errors:
        field = ".".join(str(part) for part in error.get("loc", ())) or "policy"
        problems[field] = describe(error)
    return problems


def describe(error: Mapping[str, Any]) -> FieldProblem:
    """One of pydantic's errors (``ValidationError.errors()``) as a FieldProblem."""
    kind = str(error.get("type", "value_error"))
    ctx = error.get("ctx") or {}
    limit = next((_json_number(ctx[name]) for name in LIMIT_KEYS if name in ctx), None)
    return FieldProblem(_message(kind, ctx, str(error.get("msg", ""))), kind, limit)


def _message(kind: str, ctx: Mapping[str, Any], pydantic_message: str) -> str:
    if kind == "value_error":
        # The policy's own rules already speak to the merchant ("set the order total above which ...").
        return _sentence(pydantic_message.removeprefix(VALUE_ERROR_PREFIX))
    template = MESSAGES.get(kind)
    if template is None:
        return _sentence(pydantic_message)
    values = {name: _shown(value) for name, value in ctx.items()}
    if kind in SINGULAR and values.get("max_length", values.get("min_length")) == "1":
        return SINGULAR[kind]
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return _sentence(pydantic_message)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return "This value is not valid."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _shown(value: Any) -> str:
    """A bound as the message shows it: ``0`` for Decimal('0'), ``1.5`` for 1.5."""
    number = _json_number(value)
    return str(number) if number is not None else str(value)


def _json_number(value: Any) -> int | float | None:
    """A bound as JSON carries it: whole numbers as integers (pydantic gives ``Decimal('0')`` for a decimal field);
    None for anything that is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and math.isfinite(value):
        return int(value) if value.is_integer() else value
    return None
