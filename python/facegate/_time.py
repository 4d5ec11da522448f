"""One rule for times given to facegate: timezone-aware datetimes, stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from facegate.errors import InvalidArgument


def utc(at: datetime | None) -> datetime:
    """``at`` (default: now) in UTC; refuses anything but a timezone-aware datetime."""
    if at is None:
        return datetime.now(UTC)
    if not isinstance(at, datetime):
        raise InvalidArgument(f"a time must be a datetime, not {type(at).__name__}")
    if at.tzinfo is None:
        raise InvalidArgument("times must be timezone-aware (for example datetime.now(UTC))")
    try:
        return at.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidArgument(f"{at!r} cannot be expressed in UTC") from exc
