"""Statutory day counting: China's working days with 调休, months, end of day, overrides, the clock."""
import json
from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassis import days
from chassis.clock import SHANGHAI, ManualClock
from chassis.days import (
    SHIPPED_OVERRIDES,
    CalendarOverrideInvalid,
    CalendarUnknown,
    WorkingCalendar,
    add_days,
    add_months,
    add_working_days,
    due_at_end_of,
    due_day_of,
    is_working_day,
)

D = date.fromisoformat


@pytest.mark.parametrize("day, working", [
    # National Day 2026 (as chinese_calendar 1.11.0 has it): Mid-Autumn 25-27 September, holiday 1-7
    # October; Sunday 20 September and Saturday 10 October are make-up working days.
    ("2026-09-19", False),  # Saturday
    ("2026-09-20", True),   # Sunday, worked (调休)
    ("2026-09-25", False),  # Friday, Mid-Autumn
    ("2026-09-28", True),
    ("2026-09-30", True),
    ("2026-10-01", False),
    ("2026-10-05", False),  # Monday, holiday
    ("2026-10-07", False),  # Wednesday, holiday
    ("2026-10-08", True),
    ("2026-10-10", True),   # Saturday, worked (调休)
    ("2026-10-11", False),  # Sunday
    # Spring Festival 2026: 15-23 February off, Saturdays 14 and 28 February worked.
    ("2026-02-14", True),
    ("2026-02-16", False),
    ("2026-02-23", False),  # Monday, still the holiday
    ("2026-02-24", True),
    ("2026-02-28", True),
    ("2026-03-01", False),
    # An ordinary weekend.
    ("2026-03-07", False),
    ("2026-03-08", False),
    ("2026-03-09", True),
])
def test_working_days_follow_the_state_councils_arrangement(day, working):
    assert is_working_day(D(day)) is working


@pytest.mark.parametrize("start, n, due", [
    ("2026-09-30", 1, "2026-10-08"),  # over the whole Golden Week
    ("2026-09-30", 2, "2026-10-09"),
    ("2026-09-30", 3, "2026-10-10"),  # a Saturday, but a make-up working day
    ("2026-09-30", 4, "2026-10-12"),
    ("2026-09-18", 1, "2026-09-20"),  # Saturday off, Sunday worked
    ("2026-09-24", 1, "2026-09-28"),  # Friday is Mid-Autumn
    ("2026-10-03", 1, "2026-10-08"),  # starting inside the holiday
    ("2026-02-13", 1, "2026-02-14"),  # Spring Festival: the Saturday before is worked
    ("2026-02-14", 1, "2026-02-24"),
    ("2026-02-27", 1, "2026-02-28"),
    ("2026-02-28", 1, "2026-03-02"),
    ("2026-03-06", 1, "2026-03-09"),  # Friday to Monday
    ("2026-03-07", 1, "2026-03-09"),  # from a Saturday: the start never counts
    ("2026-03-09", 1, "2026-03-10"),  # from a working day: nor does a working start
    ("2026-03-07", 0, "2026-03-07"),
    ("2026-09-01", 30, "2026-10-19"),  # a card filed within 30 working days of 1 September
])
def test_add_working_days_gives_the_nth_working_day_after_the_start(start, n, due):
    assert add_working_days(D(start), n) == D(due)


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 10, 31)),
       st.integers(min_value=1, max_value=40))
def test_add_working_days_agrees_with_chinese_calendars_own_count(start, n):
    due = add_working_days(start, n)
    assert chinese_calendar.is_workday(due)
    assert len(chinese_calendar.get_workdays(start + timedelta(days=1), due)) == n


def test_working_days_are_counted_forward_only():
    with pytest.raises(ValueError):
        add_working_days(D("2026-03-09"), -1)


@pytest.mark.parametrize("start, n, due", [
    ("2026-03-01", 15, "2026-03-16"),  # a petition's written notice within 15 days
    ("2026-09-30", 1, "2026-10-01"),   # calendar days do not skip holidays
    ("2026-12-20", 30, "2027-01-19"),  # nor need the next year's holidays
    ("2026-03-01", 0, "2026-03-01"),
])
def test_add_days_counts_calendar_days(start, n, due):
    assert add_days(D(start), n) == D(due)


@pytest.mark.parametrize("start, n, due", [
    ("2026-05-15", 6, "2026-11-15"),
    ("2026-08-31", 6, "2027-02-28"),   # no 31 February: the month's last day
    ("2027-08-31", 6, "2028-02-29"),   # a leap year
    ("2026-01-31", 1, "2026-02-28"),
    ("2026-11-30", 3, "2027-02-28"),
    ("2026-12-15", 1, "2027-01-15"),
    ("2026-07-01", 12, "2027-07-01"),
    ("2026-07-01", 0, "2026-07-01"),
])
def test_add_months_keeps_the_day_or_takes_the_months_last(start, n, due):
    assert add_months(D(start), n) == D(due)


def test_a_due_day_ends_at_midnight_in_shanghai():
    end = due_at_end_of(D("2026-10-08"))

    assert end == datetime(2026, 10, 9, tzinfo=SHANGHAI)
    assert end == datetime(2026, 10, 8, 16, 0, tzinfo=UTC)
    assert due_day_of(end) == D("2026-10-08")
    assert due_day_of(datetime(2026, 10, 8, 15, 30, tzinfo=SHANGHAI)) == D("2026-10-08")
    assert due_day_of(datetime(2026, 10, 8, 16, 30, tzinfo=UTC)) == D("2026-10-09")


@pytest.mark.parametrize("day", ["2027-01-04", "2003-12-31", "2030-06-03"])
def test_a_year_nobody_knows_raises_naming_the_year_and_the_fix(day):
    with pytest.raises(CalendarUnknown) as unknown:
        is_working_day(D(day))

    year = D(day).year
    assert unknown.value.year == year
    message = str(unknown.value)
    assert f"{year}.json" in message and f"国务院办公厅关于{year}年部分节假日安排的通知" in message
    assert "VETLIFE_CALENDAR_OVERRIDES" in message and "README" in message


def test_counting_into_an_unknown_year_raises_rather_than_guesses():
    with pytest.raises(CalendarUnknown) as unknown:
        add_working_days(D("2026-12-30"), 5)
    assert unknown.value.year == 2027


def override(directory, year, holidays, workdays, **extra):
    spec = {"year": year, "source": "a test's stand-in, not a State Council notice",
            "holidays": holidays, "workdays": workdays, **extra}
    (directory / f"{year}.json").write_text(json.dumps(spec), encoding="utf-8")


# Invented for the test: the real 2027 arrangement is whatever the State Council publishes.
TEST_2027 = (["2027-01-01"], ["2027-01-09"])


def test_an_override_file_teaches_a_year_and_counting_crosses_into_it(tmp_path):
    override(tmp_path, 2027, *TEST_2027)
    calendar = WorkingCalendar(tmp_path)

    assert calendar.is_working_day(D("2027-01-01")) is False   # Friday, a holiday in the file
    assert calendar.is_working_day(D("2027-01-04")) is True    # an ordinary Monday
    assert calendar.is_working_day(D("2027-01-09")) is True    # Saturday, worked in the file
    assert calendar.is_working_day(D("2027-01-10")) is False   # an ordinary Sunday
    assert calendar.add_working_days(D("2026-12-31"), 1) == D("2027-01-04")
    assert calendar.add_working_days(D("2026-12-30"), 5) == D("2027-01-07")
    with pytest.raises(CalendarUnknown):
        calendar.is_working_day(D("2028-01-03"))


def test_the_environment_names_the_override_directory(tmp_path, monkeypatch):
    override(tmp_path, 2027, *TEST_2027)
    monkeypatch.setenv("VETLIFE_CALENDAR_OVERRIDES", str(tmp_path))
    days.default_calendar.cache_clear()
    try:
        assert add_working_days(D("2026-12-31"), 1) == D("2027-01-04")
    finally:
        monkeypatch.undo()
        days.default_calendar.cache_clear()
    with pytest.raises(CalendarUnknown):
        add_working_days(D("2026-12-31"), 1)


def test_an_override_takes_precedence_over_the_library(tmp_path):
    override(tmp_path, 2026, ["2026-10-08"], [])

    assert WorkingCalendar(tmp_path).is_working_day(D("2026-10-08")) is False
    assert is_working_day(D("2026-10-08")) is True


@pytest.mark.parametrize("year, holidays, workdays, problem", [
    (2028, ["2027-01-01"], [], "says year"),
    (2027, ["2026-12-31"], [], "another year"),
    (2027, ["2027-01-09"], ["2027-01-09"], "both"),
    (2027, ["2027-13-01"], [], "expected"),
])
def test_an_override_that_cannot_be_right_is_refused(tmp_path, year, holidays, workdays,
                                                     problem):
    override(tmp_path, year, holidays, workdays)
    if year != 2027:
        (tmp_path / f"{year}.json").rename(tmp_path / "2027.json")

    with pytest.raises(CalendarOverrideInvalid, match=problem):
        WorkingCalendar(tmp_path).is_working_day(D("2027-03-01"))


def test_every_shipped_override_is_a_valid_year_with_its_source():
    for path in SHIPPED_OVERRIDES.glob("*.json"):
        spec = json.loads(path.read_text(encoding="utf-8"))
        assert spec.get("source"), f"{path.name} must say which notice it transcribes"
        WorkingCalendar(SHIPPED_OVERRIDES).is_working_day(date(int(path.stem), 1, 1))
    assert (SHIPPED_OVERRIDES / "README.md").is_file()


def test_a_manual_clock_moves_only_forward_and_knows_the_shanghai_day():
    clock = ManualClock(datetime(2026, 10, 7, 15, 30, tzinfo=UTC))
    assert clock.today() == D("2026-10-07")

    clock.advance(hours=1)
    assert clock.today() == D("2026-10-08")  # 00:30 in Shanghai
    assert clock.advance(timedelta(days=1), seconds=5) == datetime(
        2026, 10, 8, 16, 30, 5, tzinfo=UTC)
    with pytest.raises(ValueError):
        clock.advance(seconds=-1)
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 10, 7))
