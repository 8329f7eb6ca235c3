"""Reading the standards table (standards.yaml, or BENEFITS_STANDARDS_PATH) into the domain's."""
from __future__ import annotations

import os
from pathlib import Path

import yaml

from services.benefits.domain.standards import StandardsTable, YearStandards

SHIPPED = Path(__file__).with_name("standards.yaml")
PATH_ENV = "BENEFITS_STANDARDS_PATH"
_MONEY = ("local_average_monthly_wage", "minimum_living_monthly",
          "national_urban_income_last_year")


class StandardsInvalid(ValueError):
    """Raised when the standards file cannot be a table: the service refuses to start on it."""


def _fen(value, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise StandardsInvalid(f"{where}: {value!r} is not an amount in fen (a whole number)")
    return value


def parse(spec: dict) -> StandardsTable:
    years = {}
    for year, figures in (spec.get("years") or {}).items():
        where = f"year {year}"
        if not isinstance(year, int):
            raise StandardsInvalid(f"{where}: years are numbers, like 2026")
        figures = figures or {}
        unknown = set(figures) - {"sources", "disability_pension", "survivors_pension",
                                  "living_allowance", "relief_cap_months",
                                  "relief_special_cap_months", "honour_raise_percent", *_MONEY}
        if unknown:
            raise StandardsInvalid(f"{where}: unknown keys {sorted(unknown)}")
        disability = {(nature, int(grade)): _fen(fen, f"{where} disability {nature} {grade}")
                      for nature, grades in (figures.get("disability_pension") or {}).items()
                      for grade, fen in (grades or {}).items()}
        years[year] = YearStandards(
            year=year, disability_pension=disability,
            survivors_pension={tie: _fen(fen, f"{where} survivors {tie}") for tie, fen in
                               (figures.get("survivors_pension") or {}).items()},
            living_allowance={c: _fen(fen, f"{where} living allowance {c}") for c, fen in
                              (figures.get("living_allowance") or {}).items()},
            **{key: _fen(figures[key], f"{where} {key}") for key in _MONEY if key in figures},
            relief_cap_months=int(figures.get("relief_cap_months", 6)),
            relief_special_cap_months=int(figures.get("relief_special_cap_months", 12)),
            honour_raise_percent=dict(figures.get("honour_raise_percent") or {}),
            sources=dict(figures.get("sources") or {}))
    return StandardsTable(years)


def load(path: str | Path | None = None) -> StandardsTable:
    path = Path(path or os.environ.get(PATH_ENV) or SHIPPED)
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def placeholders(table: StandardsTable) -> list[str]:
    """The years whose figures include placeholders, for a warning at start."""
    return [f"{y}" for y, s in sorted(table.years.items())
            if any("PLACEHOLDER" in text for text in s.sources.values())]
