"""Working-day deadlines against the State Council's holiday arrangements (R27, R28).

The expected dates are counted by hand from the published arrangements, not from the package:
- Spring Festival 2025: holiday Tue 28 Jan - Tue 4 Feb; make-up working days Sun 26 Jan and
  Sat 8 Feb.
- National Day and Mid-Autumn 2025: holiday Wed 1 - Wed 8 Oct; make-up working days Sun 28 Sep
  and Sat 11 Oct.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facegate.compliance.workdays import Deadline, add_working_days, is_working_day
from facegate.errors import InvalidArgument

LAST_COVERED = date(2026, 12, 31)
"""The last day chinesecalendar 1.11 has an official arrangement for."""


def due(start: date, n: int) -> date:
    deadline = add_working_days(start, n)
    assert not deadline.provisional
    return deadline.due


def weekdays_after(start: date, n: int) -> date:
    """The n-th Monday-to-Friday day after ``start``: the model for uncovered years."""
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        counted += day.weekday() < 5
    return day


def test_make_up_days_are_working_days_and_holiday_weekdays_are_not() -> None:
    assert is_working_day(date(2025, 1, 26)) is True  # Sunday, make-up day
    assert is_working_day(date(2025, 2, 8)) is True  # Saturday, make-up day
    assert is_working_day(date(2025, 1, 28)) is False  # Tuesday, Spring Festival
    assert is_working_day(date(2025, 9, 28)) is True  # Sunday, make-up day
    assert is_working_day(date(2025, 10, 8)) is False  # Wednesday, National Day holiday
    assert is_working_day(date(2025, 10, 11)) is True  # Saturday, make-up day
    assert is_working_day(date(2025, 10, 12)) is False  # an ordinary Sunday
    assert is_working_day(date(2027, 1, 4)) is None  # no published arrangement yet


def test_spring_festival_2025_day_by_day() -> None:
    friday = date(2025, 1, 24)
    assert due(friday, 1) == date(2025, 1, 26)  # Sat 25 is off; the make-up Sunday counts
    assert due(friday, 2) == date(2025, 1, 27)
    assert due(friday, 3) == date(2025, 2, 5)  # the eight holiday days (28 Jan - 4 Feb) do not
    assert due(friday, 5) == date(2025, 2, 7)
    assert due(friday, 6) == date(2025, 2, 8)  # the make-up Saturday counts
    assert due(friday, 7) == date(2025, 2, 10)  # Sun 9 is off


def test_a_30_day_deadline_across_spring_festival_2025() -> None:
    # From Fri 24 Jan: Sun 26 and Mon 27 are days 1-2; 28 Jan - 4 Feb are holidays; Wed 5 - Sat 8
    # (make-up) are days 3-6; the weeks of 10, 17 and 24 Feb are days 7-21; 3-7 Mar are 22-26;
    # Mon 10 - Thu 13 Mar are 27-30. Counting weekdays alone would give Fri 7 Mar: six holiday
    # weekdays less two make-up days push it four working days later.
    deadline = add_working_days(date(2025, 1, 24), 30)
    assert deadline == Deadline(date(2025, 1, 24), 30, date(2025, 3, 13), provisional=False)
    assert weekdays_after(date(2025, 1, 24), 30) == date(2025, 3, 7)
    assert str(deadline) == "2025-03-13 (30 Chinese working days from 2025-01-24)"


def test_national_day_2025_day_by_day() -> None:
    friday = date(2025, 9, 26)
    assert [due(friday, n) for n in range(1, 8)] == [
        date(2025, 9, 28),  # the make-up Sunday
        date(2025, 9, 29),
        date(2025, 9, 30),
        date(2025, 10, 9),  # 1-8 Oct are holidays
        date(2025, 10, 10),
        date(2025, 10, 11),  # the make-up Saturday
        date(2025, 10, 13),  # Sun 12 is off
    ]
    assert due(date(2025, 10, 1), 1) == date(2025, 10, 9)  # a start inside the holiday


def test_a_30_day_deadline_across_national_day_2025() -> None:
    # From Tue 30 Sep: 1-8 Oct are holidays; Thu 9, Fri 10 and the make-up Sat 11 are days 1-3;
    # five full weeks (13 Oct - 14 Nov) are days 4-28; Mon 17 and Tue 18 Nov are days 29-30.
    assert due(date(2025, 9, 30), 30) == date(2025, 11, 18)


def test_a_span_ending_on_the_last_covered_day_is_certain() -> None:
    # From Tue 1 Dec 2026, December has 22 working days after the 1st (no holidays): the 22nd
    # is Thu 31 Dec, still inside the published calendar.
    assert due(date(2026, 12, 1), 22) == LAST_COVERED


def test_a_span_crossing_into_2027_is_provisional_and_counts_weekdays() -> None:
    # Dec 2026 gives 22 working days (as above); then Fri 1 Jan 2027 (counted, though New Year
    # will surely be a holiday), 4-8 Jan and Mon 11, Tue 12: day 30 is Tue 12 Jan 2027.
    deadline = add_working_days(date(2026, 12, 1), 30)
    assert deadline.provisional
    assert deadline.due == date(2027, 1, 12) == weekdays_after(date(2026, 12, 1), 30)
    text = str(deadline)
    assert text.startswith("2027-01-12 (30 Chinese working days from 2026-12-01) - provisional")
    assert "calendar for 2027 is not yet published" in text and "earliest date" in text
    assert text.isascii()


def test_a_span_wholly_past_the_calendar_counts_weekdays() -> None:
    start = date(2027, 9, 30)
    deadline = add_working_days(start, 30)
    assert deadline.provisional and deadline.due == weekdays_after(start, 30)


@given(start=st.dates(date(2004, 1, 1), date(2027, 6, 30)), n=st.integers(1, 60))
def test_deadlines_grow_with_n_and_are_provisional_only_past_the_calendar(
    start: date, n: int
) -> None:
    one, two = add_working_days(start, n), add_working_days(start, n + 1)
    assert start < one.due < two.due
    assert (one.start, one.working_days) == (start, n)
    # The counted days are (start, due]: some is past 2026 exactly when due is.
    assert one.provisional == (one.due > LAST_COVERED)


@given(start=st.dates(date(2027, 1, 1), date(2040, 12, 31)), n=st.integers(1, 60))
def test_uncovered_years_count_monday_to_friday(start: date, n: int) -> None:
    deadline = add_working_days(start, n)
    assert deadline.provisional and deadline.due == weekdays_after(start, n)


@pytest.mark.parametrize(
    ("start", "n"),
    [
        (date(2025, 1, 1), 0),
        (date(2025, 1, 1), -3),
        (date(2025, 1, 1), True),
        (date(2025, 1, 1), 2.0),
        ("2025-01-01", 3),
        (datetime(2025, 1, 1, tzinfo=UTC), 3),  # which day it is depends on the time zone
    ],
)
def test_bad_arguments_are_refused(start: object, n: object) -> None:
    with pytest.raises(InvalidArgument):
        add_working_days(start, n)  # type: ignore[arg-type]
