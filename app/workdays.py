"""Chinese working days (工作日) for time limits such as 承诺时限 and 补正 deadlines.

Whether a day is a working day is decided in this order:

1. an admin override (``True`` = working day, ``False`` = day off);
2. the ``chinese_calendar`` package, for the years it has the State Council's arrangement (holidays and
   调休 make-up working days);
3. a fallback for other years: Saturdays and Sundays off, plus the statutory holidays of the 2025 revision
   of 《全国年节及纪念日放假办法》 — 元旦 Jan 1; 春节 除夕 and 正月初一至初三; 清明 (the solar-term day);
   劳动节 May 1–2; 端午 五月初五; 中秋 八月十五; 国庆 Oct 1–3.  No 调休 is guessed: the State Council
   publishes it each year (usually in November) and the admin enters it as overrides, then marks the year
   confirmed.  The lunar festivals come from a table for 2026–2040 (``_LUNAR_FESTIVALS``); outside it
   only the Gregorian holidays and 清明 are known, and nothing is raised.

A due date that walks over a year that is neither in the package nor confirmed by the admin is
*provisional*: it may move once that year's arrangement is known.
"""

from __future__ import annotations

import datetime as dt
import functools
from bisect import bisect_right
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import chinese_calendar

__all__ = [
    "DueDate",
    "WorkCalendar",
    "fallback_holidays",
    "package_knows_year",
]

_ONE_DAY = dt.timedelta(days=1)

# The package raises NotImplementedError outside the years it has data for; its range is that of its table.
_PACKAGE_FIRST_YEAR: int = min(chinese_calendar.holidays).year
_PACKAGE_LAST_YEAR: int = max(chinese_calendar.holidays).year

# Gregorian dates of 正月初一, 端午 (五月初五) and 中秋 (八月十五).  No lunar-calendar package is a
# dependency, so they are written out; they were cross-checked with two independent lunar libraries
# (lunar-python and lunardate).  除夕 is always the day before 正月初一.
_LUNAR_FESTIVALS: dict[int, tuple[dt.date, dt.date, dt.date]] = {
    2026: (dt.date(2026, 2, 17), dt.date(2026, 6, 19), dt.date(2026, 9, 25)),
    2027: (dt.date(2027, 2, 6), dt.date(2027, 6, 9), dt.date(2027, 9, 15)),
    2028: (dt.date(2028, 1, 26), dt.date(2028, 5, 28), dt.date(2028, 10, 3)),
    2029: (dt.date(2029, 2, 13), dt.date(2029, 6, 16), dt.date(2029, 9, 22)),
    2030: (dt.date(2030, 2, 3), dt.date(2030, 6, 5), dt.date(2030, 9, 12)),
    2031: (dt.date(2031, 1, 23), dt.date(2031, 6, 24), dt.date(2031, 10, 1)),
    2032: (dt.date(2032, 2, 11), dt.date(2032, 6, 12), dt.date(2032, 9, 19)),
    2033: (dt.date(2033, 1, 31), dt.date(2033, 6, 1), dt.date(2033, 9, 8)),
    2034: (dt.date(2034, 2, 19), dt.date(2034, 6, 20), dt.date(2034, 9, 27)),
    2035: (dt.date(2035, 2, 8), dt.date(2035, 6, 10), dt.date(2035, 9, 16)),
    2036: (dt.date(2036, 1, 28), dt.date(2036, 5, 30), dt.date(2036, 10, 4)),
    2037: (dt.date(2037, 2, 15), dt.date(2037, 6, 18), dt.date(2037, 9, 24)),
    2038: (dt.date(2038, 2, 4), dt.date(2038, 6, 7), dt.date(2038, 9, 13)),
    2039: (dt.date(2039, 1, 24), dt.date(2039, 5, 27), dt.date(2039, 10, 2)),
    2040: (dt.date(2040, 2, 12), dt.date(2040, 6, 14), dt.date(2040, 9, 20)),
}


@dataclass(frozen=True)
class DueDate:
    """A computed deadline; ``provisional`` when it depends on a year whose arrangement is not known yet."""

    date: dt.date
    provisional: bool


def package_knows_year(year: int) -> bool:
    """Whether ``chinese_calendar`` has the State Council's arrangement for ``year``."""
    return _PACKAGE_FIRST_YEAR <= year <= _PACKAGE_LAST_YEAR


def _qingming(year: int) -> dt.date | None:
    # chinese_calendar's solar-term helper covers 1900–2100 and matches lunar-python for 2026–2099.
    try:
        terms = chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 30))
    except NotImplementedError:
        return None
    for day, name in terms:
        if name == "清明":
            return dt.date(day.year, day.month, day.day)
    return None


@functools.cache
def fallback_holidays(year: int) -> frozenset[dt.date]:
    """The statutory holidays of ``year`` by the 2025 rules, without 调休 (see the module docstring)."""
    days = {
        dt.date(year, 1, 1),
        dt.date(year, 5, 1),
        dt.date(year, 5, 2),
        dt.date(year, 10, 1),
        dt.date(year, 10, 2),
        dt.date(year, 10, 3),
    }
    qingming = _qingming(year)
    if qingming is not None:
        days.add(qingming)
    lunar = _LUNAR_FESTIVALS.get(year)
    if lunar is not None:
        spring, dragon_boat, mid_autumn = lunar
        days.update(spring + dt.timedelta(days=k) for k in range(-1, 3))  # 除夕 … 初三
        days.update((dragon_boat, mid_autumn))
    return frozenset(days)


def _year_days(year: int) -> Iterable[dt.date]:
    day = dt.date(year, 1, 1)
    while day.year == year:
        yield day
        day += _ONE_DAY


@functools.cache
def _base_workdays(year: int) -> tuple[int, ...]:
    """Sorted ordinals of the working days of ``year`` before admin overrides; cached per year."""
    if package_knows_year(year):
        try:
            return tuple(d.toordinal() for d in _year_days(year) if bool(chinese_calendar.is_workday(d)))
        except NotImplementedError:
            pass  # the package disagrees with its own range: use the fallback rather than fail
    holidays = fallback_holidays(year)
    return tuple(d.toordinal() for d in _year_days(year) if d.weekday() < 5 and d not in holidays)


class WorkCalendar:
    """Working days with admin overrides; cheap to query repeatedly (per-year tables are cached).

    ``overrides`` maps a date to ``True`` (working day, e.g. a 调休 Saturday) or ``False`` (day off).
    ``confirmed_years`` are years for which the admin has entered the State Council's arrangement, so
    deadlines in them are final.  The calendar is immutable: build a new one when the admin edits.
    """

    def __init__(
        self,
        overrides: Mapping[dt.date, bool] | None = None,
        confirmed_years: Collection[int] = (),
    ) -> None:
        self._overrides: dict[int, dict[int, bool]] = {}
        for day, working in (overrides or {}).items():
            self._overrides.setdefault(day.year, {})[day.toordinal()] = bool(working)
        self._confirmed = frozenset(confirmed_years)
        self._years: dict[int, tuple[int, ...]] = {}

    def _workdays(self, year: int) -> tuple[int, ...]:
        days = self._years.get(year)
        if days is None:
            base = _base_workdays(year)
            changes = self._overrides.get(year)
            if changes:
                working = set(base)
                for ordinal, is_working in changes.items():
                    if is_working:
                        working.add(ordinal)
                    else:
                        working.discard(ordinal)
                days = tuple(sorted(working))
            else:
                days = base
            self._years[year] = days
        return days

    def is_workday(self, day: dt.date) -> bool:
        ordinal = day.toordinal()
        changes = self._overrides.get(day.year)
        if changes is not None and ordinal in changes:
            return changes[ordinal]
        days = _base_workdays(day.year)
        i = bisect_right(days, ordinal)
        return i > 0 and days[i - 1] == ordinal

    def year_is_known(self, year: int) -> bool:
        """Whether ``year``'s holidays and 调休 are known (package data or confirmed by the admin)."""
        return package_knows_year(year) or year in self._confirmed

    def unknown_years(self, dates: Iterable[dt.date]) -> set[int]:
        """The years among ``dates`` whose arrangement is not known: warn the admin about these."""
        return {d.year for d in dates if not self.year_is_known(d.year)}

    def unknown_years_between(self, start: dt.date, end: dt.date) -> set[int]:
        """Unknown years among ``start.year`` … ``end.year`` (both included)."""
        return {y for y in range(start.year, end.year + 1) if not self.year_is_known(y)}

    def add_workdays(self, start: dt.date, n: int) -> DueDate:
        """The ``n``-th working day after ``start`` (``start`` itself not counted; ``n == 0`` gives ``start``).

        ``provisional`` is set when any day from the day after ``start`` to the result lies in an unknown
        year (for ``n == 0``: when ``start``'s year is unknown).
        """
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        if n == 0:
            return DueDate(start, not self.year_is_known(start.year))
        ordinal = start.toordinal()
        year = start.year
        remaining = n
        while True:
            days = self._workdays(year)
            first = bisect_right(days, ordinal)
            available = len(days) - first
            if remaining <= available:
                result = dt.date.fromordinal(days[first + remaining - 1])
                break
            remaining -= available
            year += 1
        walked_from = (start + _ONE_DAY).year
        provisional = any(not self.year_is_known(y) for y in range(walked_from, result.year + 1))
        return DueDate(result, provisional)

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``; 0 when ``end <= start``."""
        if end <= start:
            return 0
        low, high = start.toordinal(), end.toordinal()
        return sum(
            bisect_right(days, high) - bisect_right(days, low)
            for days in (self._workdays(y) for y in range(start.year, end.year + 1))
        )

    def remaining_workdays(self, today: dt.date, due: dt.date) -> int:
        """Working days left until ``due``: positive before it, 0 on it, negative when past it.

        Past the due date the result is minus the working days after ``due`` up to ``today``, so it is
        still 0 on a weekend right after a Friday deadline: test ``today > due`` for 超期 (red).
        """
        if today <= due:
            return self.workdays_between(today, due)
        return -self.workdays_between(due, today)

    def next_workday(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a working day, else the first working day after it."""
        return day if self.is_workday(day) else self.add_workdays(day, 1).date
