"""Statutory day counting: Asia/Shanghai calendar days and months, China's working days (调休 included)."""
from __future__ import annotations

import calendar
import functools
import json
import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import chinese_calendar

from chassis.clock import SHANGHAI
from chassis.errors import ChassisError

# Ships empty (a README only): an override is the State Council's notice for one year, typed in
# by whoever maintains the deployment once it is published, never a guess.
SHIPPED_OVERRIDES = Path(__file__).parent / "calendar_overrides"
OVERRIDES_ENV = "VETLIFE_CALENDAR_OVERRIDES"


class CalendarUnknown(ChassisError):
    """Raised for a year whose holidays and make-up working days nobody has told us."""

    def __init__(self, year: int, overrides: Path):
        first, last = _library_years()
        super().__init__(
            f"China's holidays and make-up working days for {year} are not known: "
            f"chinese_calendar {chinese_calendar.__version__} covers {first}-{last}. Once the "
            f"State Council publishes its notice (国务院办公厅关于{year}年部分节假日安排的通知, each "
            f"November), add {overrides / f'{year}.json'} (format: chassis/calendar_overrides/"
            f"README.md; {OVERRIDES_ENV} may name another directory) or upgrade chinese_calendar."
        )
        self.year = year


class CalendarOverrideInvalid(ChassisError):
    """Raised when an override file cannot be a year's calendar (wrong year, a day both ways)."""


@functools.cache
def _library_years() -> tuple[int, int]:
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


class WorkingCalendar:
    """China's working days: Monday to Friday except official holidays, plus the make-up working
    days (调休) the State Council moves onto weekends. A year's override file, if present, is used
    instead of chinese_calendar for that year."""

    def __init__(self, overrides: Path | str | None = None):
        self.overrides = Path(overrides) if overrides is not None else SHIPPED_OVERRIDES
        self._years: dict[int, tuple[frozenset[date], frozenset[date]] | None] = {}

    def _override(self, year: int) -> tuple[frozenset[date], frozenset[date]] | None:
        if year not in self._years:
            self._years[year] = _read_override(self.overrides / f"{year}.json", year)
        return self._years[year]

    def is_working_day(self, day: date) -> bool:
        override = self._override(day.year)
        if override is not None:
            holidays, workdays = override
            return day in workdays or (day.weekday() < 5 and day not in holidays)
        first, last = _library_years()
        if not first <= day.year <= last:
            raise CalendarUnknown(day.year, self.overrides)
        return chinese_calendar.is_workday(day)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start`; `start` itself never counts, working day or not.

        So a card filed on Wednesday 30 September 2026 "within 1 working day" is due Thursday
        8 October (1-7 October are the National Day holiday); n = 0 gives `start` back.
        """
        if n < 0:
            raise ValueError("count working days forward only")
        day = start
        while n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def first_working_day_from(self, day: date) -> date:
        """`day` if it is a working day, else the next one: for a rule that moves a period
        ending on a rest day to the day after the rest (e.g. 民法典 第二百零三条)."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


def _read_override(path: Path, year: int) -> tuple[frozenset[date], frozenset[date]] | None:
    if not path.is_file():
        return None
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
        holidays = frozenset(date.fromisoformat(d) for d in spec["holidays"])
        workdays = frozenset(date.fromisoformat(d) for d in spec["workdays"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CalendarOverrideInvalid(
            f"{path}: {exc!r}; expected {{\"year\": {year}, \"source\": \"...\", "
            "\"holidays\": [\"YYYY-MM-DD\", ...], \"workdays\": [...]}") from exc
    if spec.get("year") != year:
        raise CalendarOverrideInvalid(f"{path} says year {spec.get('year')!r}, its name {year}")
    strays = sorted(d.isoformat() for d in holidays | workdays if d.year != year)
    if strays:
        raise CalendarOverrideInvalid(f"{path} lists days of another year: {strays}")
    both = sorted(d.isoformat() for d in holidays & workdays)
    if both:
        raise CalendarOverrideInvalid(f"{path} lists days as both holiday and working day: {both}")
    return holidays, workdays


@functools.cache
def default_calendar() -> WorkingCalendar:
    """The process's calendar: overrides from $VETLIFE_CALENDAR_OVERRIDES, else the shipped
    directory. Read once; a new override file takes effect when the service restarts."""
    return WorkingCalendar(os.environ.get(OVERRIDES_ENV) or SHIPPED_OVERRIDES)


def is_working_day(day: date) -> bool:
    return default_calendar().is_working_day(day)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (see WorkingCalendar.add_working_days)."""
    return default_calendar().add_working_days(start, n)


def first_working_day_from(day: date) -> date:
    return default_calendar().first_working_day_from(day)


def add_days(start: date, n: int) -> date:
    """`start` plus n calendar days: "within 15 days" of a petition received on 1 March is due
    16 March (the day it starts does not count, 民法典 第二百零一条). Rest days are not skipped."""
    return start + timedelta(days=n)


def add_months(start: date, n: int) -> date:
    """The same day n months later, or that month's last day when it has no such day: six months
    from 31 August 2026 is 28 February 2027 (民法典 第二百零二条)."""
    month_index = start.month - 1 + n
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_at_end_of(day: date) -> datetime:
    """The instant a period ending on `day` runs out: 24:00 that day in Asia/Shanghai (which is
    00:00 the next day)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def due_day_of(due_at: datetime) -> date:
    """The Shanghai day a deadline falls on: the inverse of due_at_end_of for end-of-day
    deadlines, the day itself for an exact instant within it."""
    return (due_at.astimezone(SHANGHAI) - timedelta(microseconds=1)).date()
