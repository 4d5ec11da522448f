"""Working-day deadlines against the State Council's holiday arrangements (R27, R28)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facegate.errors import InvalidArgument
from facegate.workdays import add_working_days, is_working_day


def due(start: date, n: int) -> date:
    deadline = add_working_days(start, n)
    assert not deadline.provisional
    return deadline.due


def test_spring_festival_2025_with_its_make_up_days() -> None:
    # Holiday Tue 28 Jan - Tue 4 Feb 2025; make-up working days Sun 26 Jan and Sat 8 Feb.
    friday = date(2025, 1, 24)
    assert due(friday, 1) == date(2025, 1, 26)  # the make-up Sunday counts
    assert due(friday, 2) == date(2025, 1, 27)
    assert due(friday, 3) == date(2025, 2, 5)  # the eight holiday days do not
    assert due(friday, 6) == date(2025, 2, 8)  # nor does the make-up Saturday get skipped
    assert due(friday, 7) == date(2025, 2, 10)


def test_national_day_2025_with_its_make_up_days() -> None:
    # Holiday Wed 1 - Wed 8 Oct 2025 (with the Mid-Autumn Festival); make-up Sun 28 Sep and
    # Sat 11 Oct.
    friday = date(2025, 9, 26)
    assert [due(friday, n) for n in range(1, 8)] == [
        date(2025, 9, 28),
        date(2025, 9, 29),
        date(2025, 9, 30),
        date(2025, 10, 9),
        date(2025, 10, 10),
        date(2025, 10, 11),
        date(2025, 10, 13),
    ]
    # The filing deadline proper: 30 working days from National Day's eve. Oct 9, 10 and the
    # make-up Sat 11 are days 1-3; five full weeks (13 Oct - 14 Nov) are days 4-28; Mon 17 and
    # Tue 18 Nov are days 29 and 30.
    assert due(date(2025, 9, 30), 30) == date(2025, 11, 18)


def test_a_deadline_in_a_year_without_a_calendar_is_provisional() -> None:
    assert is_working_day(date(2027, 1, 4)) is None
    deadline = add_working_days(date(2026, 11, 24), 30)
    assert deadline.provisional and deadline.due.year == 2027
    assert "provisional" in str(deadline) and "earliest" in str(deadline)
    weekdays, day = 0, date(2026, 11, 24)
    while weekdays < 30:  # counting Monday to Friday only, as the model says
        day += timedelta(days=1)
        weekdays += day.weekday() < 5
    assert deadline.due == day


@given(
    start=st.dates(date(2004, 1, 1), date(2027, 6, 30)),
    n=st.integers(1, 60),
)
def test_deadlines_grow_with_n_and_are_provisional_only_past_the_calendar(
    start: date, n: int
) -> None:
    one, two = add_working_days(start, n), add_working_days(start, n + 1)
    assert start < one.due < two.due
    assert one.provisional == any(
        is_working_day(start + timedelta(days=d)) is None
        for d in range(1, (one.due - start).days + 1)
    )


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InvalidArgument):
        add_working_days(date(2025, 1, 1), 0)
    with pytest.raises(InvalidArgument):
        add_working_days("2025-01-01", 3)  # type: ignore[arg-type]
