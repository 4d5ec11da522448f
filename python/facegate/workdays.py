"""Chinese working days, for the regulator's deadlines (R27, R28: 30 working days).

Official holidays and make-up working days (weekend days worked in exchange for a holiday) come
from the ``chinesecalendar`` package, which the State Council's yearly arrangement updates. A
year the package does not cover yet is not guessed at: its Monday-to-Friday days are counted as
working days and the deadline is marked provisional. Holidays only push a deadline later, and in
every published arrangement a make-up day comes with at least as many holiday weekdays in the
same arrangement, so counting weekdays gives the earliest the deadline could be: a date to plan
for, never one presented as certain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import chinese_calendar

from facegate.errors import InvalidArgument

__all__ = ["Deadline", "add_working_days", "is_working_day"]


@dataclass(frozen=True, slots=True)
class Deadline:
    """``due`` is the ``working_days``-th working day after ``start``; ``provisional`` when a
    day was counted in a year without a published holiday arrangement."""

    start: date
    working_days: int
    due: date
    provisional: bool

    def __str__(self) -> str:
        text = f"{self.due} ({self.working_days} Chinese working days from {self.start})"
        if self.provisional:
            text += (
                " - provisional: the official holiday arrangement for "
                f"{self.due.year} is not yet in the calendar; this is the earliest it could be"
            )
        return text


def is_working_day(day: date) -> bool | None:
    """Whether ``day`` is a working day in mainland China; None where no calendar covers it."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def add_working_days(start: date, n: int) -> Deadline:
    """The ``n``-th working day after ``start`` (``start`` itself not counted)."""
    if isinstance(start, datetime):
        start = start.date()
    if not isinstance(start, date):
        raise InvalidArgument(f"start must be a date, not {type(start).__name__}")
    if n < 1:
        raise InvalidArgument(f"a deadline is at least one working day away, not {n}")
    day, counted, provisional = start, 0, False
    while counted < n:
        day += timedelta(days=1)
        known = is_working_day(day)
        if known is None:
            provisional = True
            known = day.weekday() < 5
        counted += known
    return Deadline(start, n, day, provisional)
