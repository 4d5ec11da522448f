"""Chinese working days, for the regulator's deadlines (R27, R28: 30 working days).

A filing deadline counts working days in mainland China, which are not Monday to Friday: the
State Council's yearly holiday arrangement turns some weekdays into public holidays and some
weekend days into make-up working days. Both come from the ``chinesecalendar`` package,
which follows the published arrangements (1.11 covers 2004-2026).

A year the package does not cover has no published arrangement yet, and guessing one (as rule-based
calendars do) would present an invented date as certain. Such years are counted Monday to Friday
and the deadline is marked provisional: the earliest date it could be (see
:func:`add_working_days` for why it is the earliest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import chinese_calendar

from facegate.errors import InvalidArgument

__all__ = ["Deadline", "add_working_days", "is_working_day"]


@dataclass(frozen=True, slots=True)
class Deadline:
    """``due`` is the ``working_days``-th working day after ``start``.

    ``provisional`` is True when a counted day fell in a year without a published holiday
    arrangement: ``due`` is then the earliest the deadline could be, never a certain date.
    """

    start: date
    working_days: int
    due: date
    provisional: bool

    def __str__(self) -> str:
        text = f"{self.due} ({self.working_days} Chinese working days from {self.start})"
        if not self.provisional:
            return text
        years = ", ".join(str(year) for year in _uncovered_years(self.start, self.due))
        return (
            f"{text} - provisional: the official holiday calendar for {years} is not yet "
            "published; this is the earliest date it could be"
        )


def is_working_day(day: date) -> bool | None:
    """Whether ``day`` is a working day in mainland China (make-up weekend days included,
    public holidays excluded); None where no published arrangement covers its year, so that
    callers cannot mistake a guess for the official calendar."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def add_working_days(start: date, n: int) -> Deadline:
    """The date of the ``n``-th Chinese working day after ``start`` (``start`` not counted).

    Days in a year the calendar package covers are counted as the official arrangement says:
    public holidays are skipped and make-up working days (weekend days worked in exchange for a
    holiday) count. Days in a year it does not cover are counted Monday to Friday, and the
    result is marked provisional.

    The model we use, and why provisional means earliest: holidays only push a deadline later,
    and make-up working days only ever come with at least as many holiday weekdays in the same
    holiday arrangement (the weekdays bridged to a weekend are paid back by as many weekend days
    or fewer). So publishing an arrangement can only keep a weekday count where it is or move
    it later, and counting Monday to Friday gives the earliest the deadline could be. This is
    a model, not a theorem: a span that ends between a make-up day and the holiday it pays for
    would end a day or two earlier (Friday 2025-01-24 plus one working day is the make-up Sunday
    the 26th, not Monday the 27th); we accept that edge rather than invent holidays.

    Raises:
        InvalidArgument: ``start`` is not a date (a datetime is refused too: convert it to the
            local date in China first), or ``n`` is not a whole number of at least 1.
    """
    if isinstance(start, datetime) or not isinstance(start, date):
        raise InvalidArgument(
            f"start must be a date (the local date in China), not {type(start).__name__}"
        )
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidArgument(f"a deadline is a whole number of working days >= 1, not {n!r}")
    day, counted, provisional = start, 0, False
    while counted < n:
        day += timedelta(days=1)
        working = is_working_day(day)
        if working is None:
            provisional, working = True, _weekday(day)
        counted += working
    return Deadline(start, n, day, provisional)


def _weekday(day: date) -> bool:
    return day.weekday() < 5


def _uncovered_years(start: date, due: date) -> list[int]:
    """The years counted in (``start``, ``due``] that the calendar package does not cover."""
    first = (start + timedelta(days=1)).year
    return [y for y in range(first, due.year + 1) if is_working_day(date(y, 1, 1)) is None]
