"""One rule for times given to facegate: timezone-aware datetimes, stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from facegate.errors import InvalidArgument


def utc(at: datetime | None) -> datetime:
    """``at`` (default: now) in UTC; refuses anything but a timezone-aware datetime."""
    if at is None:
        return datetime.now(UTC)
    if not isinstance(at, datetime):
        raise InvalidArgument(f"a time must be a datetime, not {type(at).__name__}")
    try:
        # Aware means an offset, not just a tzinfo: a tzinfo may answer None (or raise).
        offset = at.utcoffset()
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidArgument("the time's timezone gives no valid offset from UTC") from exc
    if offset is None:
        raise InvalidArgument("times must be timezone-aware (for example datetime.now(UTC))")
    try:
        return at.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidArgument(f"{at!r} cannot be expressed in UTC") from exc


CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of this machine's clock a moment given as "now" may be: clocks of the hosts
sharing a store differ by seconds, not by days."""


def utc_past(at: datetime | None, *, what: str) -> datetime:
    """``at`` as :func:`utc` makes it, refusing a moment more than :data:`CLOCK_SKEW` ahead of
    this machine's clock: for calls that act on what has happened by ``at`` (purging templates
    that have expired), which a future moment would make act early."""
    moment = utc(at)
    if moment > datetime.now(UTC) + CLOCK_SKEW:
        raise InvalidArgument(
            f"{what} {moment.isoformat()} is in the future; give the current time (or leave it out)"
        )
    return moment
