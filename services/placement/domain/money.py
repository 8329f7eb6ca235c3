"""Placement money in integer fen: the yearly standards, the one-time subsidy and the waiting allowance."""
from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from .errors import StandardMissing


@dataclass(frozen=True)
class YearStandard:
    """One year's row of the standards table (configuration, never code)."""

    year: int
    minimum_wage_fen_per_month: int  # the local monthly minimum wage: the waiting allowance
    subsidy_fen_per_year_of_service: int  # 一次性经济补助 per year of service


@dataclass(frozen=True)
class Standards:
    rows: Mapping[int, YearStandard]

    def for_year(self, year: int) -> YearStandard:
        row = self.rows.get(year)
        if row is None:
            known = ", ".join(str(y) for y in sorted(self.rows)) or "none"
            raise StandardMissing(f"no placement standard is configured for {year} (configured: "
                                  f"{known}); add the year's row to the standards table")
        return row


@dataclass(frozen=True)
class Subsidy:
    standard_year: int
    years_of_service: int
    fen_per_year: int
    amount_fen: int


def one_time_subsidy(standards: Standards, discharge_approved_on: date,
                     years_of_service: int) -> Subsidy:
    """The local one-time subsidy (Art. 23): the discharge year's amount per year of service."""
    row = standards.for_year(discharge_approved_on.year)
    return Subsidy(row.year, years_of_service, row.subsidy_fen_per_year_of_service,
                   row.subsidy_fen_per_year_of_service * years_of_service)


@dataclass(frozen=True)
class AllowanceMonth:
    month: str  # YYYY-MM
    days: int  # days waited in that month
    fen: int | None  # None: no standard configured for that year


def waiting_allowance(standards: Standards, since: date, until: date) -> tuple[AllowanceMonth, ...]:
    """The allowance for waiting from `since` up to and including `until`, month by month: the
    month's minimum wage for a whole month, in proportion to the days waited in a part month
    (rounded half up to the fen), at the standard of that month's year."""
    months = []
    day = since
    while day <= until:
        last_of_month = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        end = min(last_of_month, until)
        waited = (end - day).days + 1
        in_month = last_of_month.day
        row = standards.rows.get(day.year)
        fen = None if row is None else _share(row.minimum_wage_fen_per_month, waited, in_month)
        months.append(AllowanceMonth(f"{day:%Y-%m}", waited, fen))
        day = end + timedelta(days=1)
    return tuple(months)


def _share(amount: int, part: int, whole: int) -> int:
    """amount × part / whole, rounded half up, in integers only."""
    return (2 * amount * part + whole) // (2 * whole)


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals, for displays: 1234567 -> '12345.67'."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
