"""The ``DateTime`` and ``JSON`` scalars."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ariadne import ScalarType

datetime_scalar = ScalarType("DateTime")
json_scalar = ScalarType("JSON")


@datetime_scalar.serializer
def serialize_datetime(value: datetime | str) -> str:
    """ISO 8601 with the offset (UTC as stored); event timestamps are stored as ISO strings."""
    return value if isinstance(value, str) else value.isoformat()


@datetime_scalar.value_parser
def parse_datetime(value: Any) -> datetime:
    """An ISO 8601 string, as the instant in UTC; one without a time zone is taken as UTC.

    Raises:
        ValueError: not a string, not ISO 8601, or an instant outside years 1 to 9999 in UTC
            (GraphQL reports it against the argument).
    """
    if not isinstance(value, str):
        raise ValueError(f"DateTime must be an ISO 8601 string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"DateTime must be ISO 8601 (2026-11-01T12:00:00Z), got {value!r}"
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"DateTime must fall between years 1 and 9999 in UTC, got {value!r}"
        ) from None


@json_scalar.serializer
def serialize_json(value: Any) -> Any:
    """The value as it is: it came from a JSONB column."""
    return value
