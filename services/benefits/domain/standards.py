"""The yearly standards table and the formulas that turn it into amounts (integer fen, never typed)."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import StandardMissing
from .money import monthly_share, percent_of, raised_by, yuan
from .vocabulary import (
    DEATH_PENSION,
    DISABILITY_PENSION,
    LIVING_ALLOWANCE,
    MARTYR_COMMENDATION,
    NURSING_ALLOWANCE,
    SURVIVORS_PENSION,
)


@dataclass(frozen=True)
class YearStandards:
    """The figures for one year, in fen. A figure left out is unknown, and an amount that needs
    it is refused (StandardMissing) rather than guessed. `sources` says where each figure came
    from, by key, so a reply can show it."""

    year: int
    # (nature, grade) -> yearly fen: 残疾抚恤金 by how the disability came about and its grade.
    disability_pension: Mapping[tuple[str, int], int] = field(default_factory=dict)
    # tie -> yearly fen: 定期抚恤金 for a martyr's, a died-on-duty or a died-of-illness family.
    survivors_pension: Mapping[str, int] = field(default_factory=dict)
    # category -> yearly fen: 定期生活补助.
    living_allowance: Mapping[str, int] = field(default_factory=dict)
    # The local average monthly wage: the nursing allowance is a share of it.
    local_average_monthly_wage: int | None = None
    # The local monthly minimum-living standard 低保标准: hardship relief is capped in months of it.
    minimum_living_monthly: int | None = None
    # Last year's national urban per-capita disposable income: one-time death benefits.
    national_urban_income_last_year: int | None = None
    relief_cap_months: int = 6
    relief_special_cap_months: int = 12
    # honour -> percent: the one-time death pension is raised by the highest honour's share.
    honour_raise_percent: Mapping[str, int] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def source(self, key: str) -> str:
        return self.sources.get(key) or self.sources.get("default") or "standards table"


class StandardsTable:
    """Every configured year; `for_year` refuses a year nobody configured."""

    def __init__(self, years: Mapping[int, YearStandards]):
        self.years = dict(years)

    def for_year(self, year: int) -> YearStandards:
        try:
            return self.years[year]
        except KeyError:
            known = ", ".join(str(y) for y in sorted(self.years)) or "none"
            raise StandardMissing(
                f"no standards table is configured for {year} (configured: {known}); add that "
                "year's figures to the standards table before deciding amounts for it") from None


@dataclass(frozen=True)
class Amount:
    """An amount with how it was computed, in words a reviewer can check."""

    fen: int
    basis: str


def _figure(value: int | None, what: str, year: int) -> int:
    if value is None:
        raise StandardMissing(f"the {year} standards table has no figure for {what}; add it "
                              "before deciding amounts that need it")
    return value


# 抚恤优待条例 Art. 34: the nursing allowance as a share of the local average monthly wage.
def nursing_share_percent(nature: str | None, grade: int | None,
                          mental_disorder: bool = False) -> int | None:
    """The statutory share, or None when the disability gives no nursing allowance."""
    if grade is None or nature is None:
        return None
    if nature in ("combat", "duty"):
        if grade <= 2:
            return 50
        if grade <= 4:
            return 40
    if nature == "illness" and grade <= 4:
        return 30
    if mental_disorder and 5 <= grade <= 6:
        return 25
    return None


def yearly_amount(standards: YearStandards, kind: str, *, nature: str | None = None,
                  grade: int | None = None, tie: str | None = None,
                  living_category: str | None = None, mental_disorder: bool = False) -> Amount:
    """A periodic entitlement's yearly amount under one year's standards."""
    year = standards.year
    if kind == DISABILITY_PENSION:
        fen = _figure(standards.disability_pension.get((nature, grade)),
                      f"a grade {grade} {nature} disability pension", year)
        return Amount(fen, f"disability pension, grade {grade}, {nature}: {yuan(fen)} yuan a "
                           f"year ({year} table: {standards.source('disability_pension')})")
    if kind == SURVIVORS_PENSION:
        fen = _figure(standards.survivors_pension.get(tie), f"a {tie} family's pension", year)
        return Amount(fen, f"survivors' pension, {tie} family: {yuan(fen)} yuan a year "
                           f"({year} table: {standards.source('survivors_pension')})")
    if kind == LIVING_ALLOWANCE:
        fen = _figure(standards.living_allowance.get(living_category),
                      f"the {living_category} living allowance", year)
        return Amount(fen, f"living allowance, {living_category}: {yuan(fen)} yuan a year "
                           f"({year} table: {standards.source('living_allowance')})")
    if kind == NURSING_ALLOWANCE:
        share = nursing_share_percent(nature, grade, mental_disorder)
        if share is None:
            raise ValueError("no nursing allowance for this disability: checked at application")
        wage = _figure(standards.local_average_monthly_wage, "the local average monthly wage",
                       year)
        monthly = percent_of(wage, share)
        return Amount(12 * monthly,
                      f"nursing allowance: {share}% of the local average monthly wage "
                      f"{yuan(wage)} = {yuan(monthly)} yuan a month, {yuan(12 * monthly)} a "
                      f"year ({year} table: {standards.source('local_average_monthly_wage')})")
    raise ValueError(f"{kind} is not a periodic entitlement")


def one_time_amount(standards: YearStandards, kind: str, *, tie: str | None = None,
                    monthly_pay_fen: int | None = None, honour: str | None = None) -> Amount:
    """A one-time death benefit under the standards of the year it is decided in."""
    year = standards.year
    income = _figure(standards.national_urban_income_last_year,
                     "last year's national urban per-capita disposable income", year)
    source = standards.source("national_urban_income_last_year")
    if kind == MARTYR_COMMENDATION:
        fen = 30 * income
        return Amount(fen, f"martyr's commendation: 30 × {yuan(income)} (last year's national "
                           f"urban per-capita disposable income, {source}) = {yuan(fen)} yuan")
    if kind == DEATH_PENSION:
        if monthly_pay_fen is None:
            raise ValueError("a death pension needs the monthly pay: checked at application")
        times = 20 if tie in ("martyr", "died_on_duty") else 2
        base = times * income + 40 * monthly_pay_fen
        basis = (f"one-time death pension: {times} × {yuan(income)} ({source}) + 40 × "
                 f"{yuan(monthly_pay_fen)} monthly pay = {yuan(base)} yuan")
        if honour is None:
            return Amount(base, basis)
        percent = standards.honour_raise_percent.get(honour)
        if percent is None:
            raise StandardMissing(f"the {year} standards table has no raise for the honour "
                                  f"{honour!r}")
        fen = raised_by(base, percent)
        return Amount(fen, f"{basis}, raised {percent}% for {honour} = {yuan(fen)} yuan")
    raise ValueError(f"{kind} is not a one-time benefit")


def funeral_aid(yearly_fen: int, months: int) -> Amount:
    """Months of a periodic amount paid on as funeral aid when its holder dies."""
    fen = monthly_share(yearly_fen, months)
    return Amount(fen, f"funeral aid: {months} months of {yuan(yearly_fen)} a year = "
                       f"{yuan(fen)} yuan")


def relief_cap(standards: YearStandards, special: bool) -> Amount:
    """The most one hardship grant may be: months of the local minimum-living standard."""
    monthly = _figure(standards.minimum_living_monthly,
                      "the local monthly minimum-living standard", standards.year)
    months = standards.relief_special_cap_months if special else standards.relief_cap_months
    fen = months * monthly
    return Amount(fen, f"{months} × the monthly minimum-living standard {yuan(monthly)} = "
                       f"{yuan(fen)} yuan ({'special case' if special else 'ordinary case'}; "
                       f"{standards.year} table: {standards.source('minimum_living_monthly')})")
