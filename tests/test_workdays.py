"""Tests for app.workdays.

Expected 2026 dates follow 国务院办公厅关于2026年部分节假日安排的通知:
元旦 1月1日–3日, 1月4日(日)上班; 春节 2月15日–23日, 2月14日(六)、2月28日(六)上班; 清明 4月4日–6日;
劳动节 5月1日–5日, 5月9日(六)上班; 端午 6月19日–21日; 中秋 9月25日–27日;
国庆 10月1日–7日, 9月20日(日)、10月10日(六)上班.  Each is also cross-checked with chinese_calendar.
"""

from __future__ import annotations

import datetime as dt
import time

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.workdays import DueDate, WorkCalendar, fallback_holidays, package_knows_year

D = dt.date
CAL = WorkCalendar()

# The provisional tests use 2027, whose arrangement the installed chinese_calendar does not have; a later
# release of the package will, and then they are skipped rather than wrong.
needs_unknown_2027 = pytest.mark.skipif(package_knows_year(2027), reason="chinese_calendar now knows 2027")


def test_package_knows_2026() -> None:
    assert package_knows_year(2026)
    assert CAL.year_is_known(2026)


@needs_unknown_2027
def test_2027_unknown() -> None:
    assert not CAL.year_is_known(2027)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # 国庆 + 中秋 2026
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 9, 30), 2, D(2026, 10, 9)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),  # 调休 Saturday
        (D(2026, 9, 30), 4, D(2026, 10, 12)),
        (D(2026, 9, 19), 1, D(2026, 9, 20)),  # 调休 Sunday
        (D(2026, 9, 24), 1, D(2026, 9, 28)),  # 中秋 25–27
        # 春节 2026
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # 调休 Saturday
        (D(2026, 2, 14), 1, D(2026, 2, 24)),
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        (D(2026, 2, 27), 1, D(2026, 2, 28)),  # 调休 Saturday
        (D(2026, 2, 27), 2, D(2026, 3, 2)),
        # 元旦, 劳动节
        (D(2025, 12, 31), 1, D(2026, 1, 4)),
        (D(2026, 4, 30), 1, D(2026, 5, 6)),
        (D(2026, 5, 8), 1, D(2026, 5, 9)),
    ],
)
def test_add_workdays_2026(start: dt.date, n: int, expected: dt.date) -> None:
    assert CAL.add_workdays(start, n) == DueDate(expected, provisional=False)
    # Same answer from the package itself: its find_workday(0, d) is the first working day on or after d,
    # so it counts like we do only from a working day.
    steps = n if chinese_calendar.is_workday(start) else n - 1
    assert chinese_calendar.find_workday(steps, start) == expected


@pytest.mark.parametrize(
    "day", [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)]
)
def test_tiaoxiu_weekend_days_are_working_days(day: dt.date) -> None:
    assert day.weekday() >= 5
    assert CAL.is_workday(day)


@pytest.mark.parametrize(
    "day", [D(2026, 2, 16), D(2026, 2, 23), D(2026, 4, 6), D(2026, 5, 5), D(2026, 10, 7)]
)
def test_2026_weekday_holidays_are_off(day: dt.date) -> None:
    assert day.weekday() < 5
    assert not CAL.is_workday(day)


def test_2026_agrees_with_package_every_day() -> None:
    day = D(2026, 1, 1)
    while day.year == 2026:
        assert CAL.is_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


@given(st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 10, 31)), st.integers(min_value=0, max_value=40))
def test_add_workdays_matches_package(start: dt.date, n: int) -> None:
    if not chinese_calendar.is_workday(start):
        start = chinese_calendar.find_workday(0, start)
    expected = chinese_calendar.find_workday(n, start)
    if expected.year > 2026:
        return
    assert CAL.add_workdays(start, n).date == expected


def test_workdays_between() -> None:
    assert CAL.workdays_between(D(2026, 2, 13), D(2026, 2, 24)) == 2
    assert CAL.workdays_between(D(2026, 9, 30), D(2026, 10, 12)) == 4
    assert CAL.workdays_between(D(2026, 10, 12), D(2026, 10, 12)) == 0
    assert CAL.workdays_between(D(2026, 10, 12), D(2026, 9, 30)) == 0


@given(st.dates(min_value=D(2025, 1, 1), max_value=D(2028, 12, 31)), st.integers(min_value=1, max_value=80))
def test_between_inverts_add(start: dt.date, n: int) -> None:
    due = CAL.add_workdays(start, n).date
    assert CAL.workdays_between(start, due) == n
    assert CAL.is_workday(due)
    assert CAL.workdays_between(start, due - dt.timedelta(days=1)) == n - 1


def test_remaining_workdays() -> None:
    due = D(2026, 10, 9)  # Friday
    assert CAL.remaining_workdays(D(2026, 9, 30), due) == 2
    assert CAL.remaining_workdays(due, due) == 0
    assert CAL.remaining_workdays(D(2026, 10, 10), due) == -1  # 调休 Saturday counts
    assert CAL.remaining_workdays(D(2026, 10, 11), due) == -1
    assert CAL.remaining_workdays(D(2026, 10, 12), due) == -2


def test_next_workday() -> None:
    assert CAL.next_workday(D(2026, 10, 1)) == D(2026, 10, 8)
    assert CAL.next_workday(D(2026, 10, 8)) == D(2026, 10, 8)


# ---------------------------------------------------------------- overrides


def test_override_holiday_made_working_day() -> None:
    cal = WorkCalendar(overrides={D(2026, 10, 5): True})
    assert cal.is_workday(D(2026, 10, 5))
    assert cal.add_workdays(D(2026, 9, 30), 1) == DueDate(D(2026, 10, 5), provisional=False)
    assert cal.add_workdays(D(2026, 9, 30), 2).date == D(2026, 10, 8)


def test_override_working_day_made_holiday() -> None:
    cal = WorkCalendar(overrides={D(2026, 10, 8): False, D(2026, 10, 10): False})
    assert not cal.is_workday(D(2026, 10, 8))
    assert cal.add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 9)
    assert cal.add_workdays(D(2026, 9, 30), 2).date == D(2026, 10, 12)
    assert cal.workdays_between(D(2026, 9, 30), D(2026, 10, 12)) == 2


def test_overrides_do_not_leak_between_calendars() -> None:
    WorkCalendar(overrides={D(2026, 10, 8): False}).add_workdays(D(2026, 9, 30), 1)
    assert CAL.add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 8)


# ---------------------------------------------------------------- years the package does not know


@needs_unknown_2027
def test_2027_spring_festival_is_skipped_and_provisional() -> None:
    # 2027: 除夕 Fri 5 Feb, 初一–初三 Sat 6 – Mon 8 Feb; no 调休 is guessed.
    assert fallback_holidays(2027) >= {D(2027, 2, 5), D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8)}
    assert not CAL.is_workday(D(2027, 2, 5))
    assert not CAL.is_workday(D(2027, 2, 8))
    assert CAL.add_workdays(D(2027, 2, 4), 1) == DueDate(D(2027, 2, 9), provisional=True)
    assert CAL.workdays_between(D(2027, 2, 1), D(2027, 2, 12)) == 7


@needs_unknown_2027
def test_2027_fixed_holidays() -> None:
    assert fallback_holidays(2027) == {
        D(2027, 1, 1),
        D(2027, 2, 5), D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8),
        D(2027, 4, 5),  # 清明
        D(2027, 5, 1), D(2027, 5, 2),
        D(2027, 6, 9),  # 端午
        D(2027, 9, 15),  # 中秋
        D(2027, 10, 1), D(2027, 10, 2), D(2027, 10, 3),
    }  # fmt: skip
    assert CAL.add_workdays(D(2027, 4, 2), 1).date == D(2027, 4, 6)
    assert CAL.add_workdays(D(2027, 9, 14), 1).date == D(2027, 9, 16)


@needs_unknown_2027
def test_confirmed_year_is_not_provisional() -> None:
    # The admin enters the (here: made-up) 2027 arrangement and confirms the year.
    cal = WorkCalendar(
        overrides={D(2027, 2, 9): False, D(2027, 2, 10): False, D(2027, 2, 20): True}, confirmed_years={2027}
    )
    assert cal.year_is_known(2027)
    assert cal.add_workdays(D(2027, 2, 4), 1) == DueDate(D(2027, 2, 11), provisional=False)
    assert cal.is_workday(D(2027, 2, 20))
    assert WorkCalendar(confirmed_years=[2027]).add_workdays(D(2027, 2, 4), 1) == DueDate(
        D(2027, 2, 9), False
    )


@needs_unknown_2027
def test_provisional_only_when_walk_reaches_unknown_year() -> None:
    assert CAL.add_workdays(D(2026, 12, 30), 1) == DueDate(D(2026, 12, 31), provisional=False)
    assert CAL.add_workdays(D(2026, 12, 30), 2) == DueDate(D(2027, 1, 4), provisional=True)  # 1 Jan off
    # The start day itself is not walked over.
    assert CAL.add_workdays(D(2025, 12, 31), 1).provisional is False


@needs_unknown_2027
def test_n_zero_returns_start() -> None:
    assert CAL.add_workdays(D(2026, 10, 1), 0) == DueDate(D(2026, 10, 1), provisional=False)
    assert CAL.add_workdays(D(2027, 3, 1), 0) == DueDate(D(2027, 3, 1), provisional=True)


def test_negative_n_rejected() -> None:
    with pytest.raises(ValueError):
        CAL.add_workdays(D(2026, 10, 1), -1)


@needs_unknown_2027
def test_unknown_years() -> None:
    cal = WorkCalendar(confirmed_years={2028})
    assert cal.unknown_years([D(2026, 1, 5), D(2027, 1, 5), D(2028, 1, 5), D(2029, 3, 1)]) == {2027, 2029}
    assert cal.unknown_years_between(D(2026, 6, 1), D(2029, 1, 1)) == {2027, 2029}


# ---------------------------------------------------------------- the fallback rules and table


def test_fallback_holidays_are_days_off_in_package_years() -> None:
    # 2025 and 2026 follow the 2025 rules, so each fallback holiday is a day off in the official data.
    for year in (2025, 2026):
        for day in fallback_holidays(year):
            assert not chinese_calendar.is_workday(day), day


def test_table_known_dates() -> None:
    assert D(2027, 2, 6) - dt.timedelta(days=1) in fallback_holidays(2027)
    assert {D(2028, 1, 25), D(2028, 1, 26), D(2028, 1, 27), D(2028, 1, 28)} <= fallback_holidays(2028)
    assert D(2028, 4, 4) in fallback_holidays(2028)


@pytest.mark.parametrize("year", range(2026, 2041))
def test_table_plausible(year: int) -> None:
    days = fallback_holidays(year)
    # 元旦 1 + 春节 4 + 清明 1 + 劳动 2 + 端午 1 + 中秋 1 + 国庆 3 = 13 (中秋 can fall on 1–3 Oct).
    assert len(days) in (12, 13)
    spring = sorted(d for d in days if d.month <= 2 and d != D(year, 1, 1))
    assert len(spring) == 4 and D(year, 1, 20) <= spring[0] <= D(year, 2, 19)
    assert spring[-1] - spring[0] == dt.timedelta(days=3)
    april = [d for d in days if d.month == 4]
    assert april in ([D(year, 4, 4)], [D(year, 4, 5)])
    june = [d for d in days if d.month in (5, 6) and d not in (D(year, 5, 1), D(year, 5, 2))]
    assert len(june) == 1
    autumn = [d for d in days if d.month in (9, 10) and not (d.month == 10 and d.day <= 3)]
    assert len(autumn) <= 1
    # 4 or 5 lunar months (a leap month) from 初一 to 五月初五.
    assert 120 <= (june[0] - spring[1]).days <= 154


def test_years_outside_table_only_gregorian_and_qingming() -> None:
    days = fallback_holidays(2045)
    assert {d for d in days if d.month != 4} == {
        D(2045, 1, 1), D(2045, 5, 1), D(2045, 5, 2), D(2045, 10, 1), D(2045, 10, 2), D(2045, 10, 3)
    }  # fmt: skip
    assert len([d for d in days if d.month == 4]) == 1
    # Past the solar-term helper's range: only the Gregorian dates, and no error.
    assert len(fallback_holidays(2200)) == 6
    assert WorkCalendar().add_workdays(D(2200, 1, 1), 5).provisional


def test_fast_enough() -> None:
    cal = WorkCalendar(overrides={D(2027, 2, 9): False})
    started = time.perf_counter()
    for i in range(5000):
        start = D(2026, 1, 1) + dt.timedelta(days=i % 700)
        due = cal.add_workdays(start, 20 + i % 40)
        cal.workdays_between(start, due.date)
        cal.is_workday(due.date)
    assert time.perf_counter() - started < 2.0
