"""Moments as the app writes and reads them: ISO-8601 in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 in UTC with a ``Z``, as the storefront and admin contracts use (naive datetimes are taken as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime:
    """An ISO-8601 moment as Shopify writes them (``Z`` or an offset; none is taken as UTC).

    Raises ValueError when ``value`` is not one.
    """
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
