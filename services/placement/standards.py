"""Reading placement's yearly standards table (standards.yaml, or the file PLACEMENT_STANDARDS names)."""
from __future__ import annotations

from pathlib import Path

import yaml

from services.placement.domain.money import Standards, YearStandard

SHIPPED = Path(__file__).with_name("standards.yaml")
COLUMNS = ("minimum_wage_fen_per_month", "subsidy_fen_per_year_of_service")


class StandardsInvalid(ValueError):
    """Raised when the standards file cannot be a table of integer fen per year."""


def load_standards(path: str | Path | None = None) -> Standards:
    path = Path(path or SHIPPED)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        years = document["years"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise StandardsInvalid(f"{path}: {exc!r}; expected `years: {{<year>: {{...}}}}`") from exc
    rows = {}
    for year, row in years.items():
        values = {}
        for column in COLUMNS:
            value = (row or {}).get(column)
            # Fen are whole numbers: 2490.5 or "2490" is a typing mistake, refused by name.
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise StandardsInvalid(f"{path}: {year}.{column} must be a whole number of fen, "
                                       f"not {value!r}")
            values[column] = value
        if not isinstance(year, int):
            raise StandardsInvalid(f"{path}: {year!r} is not a year")
        rows[year] = YearStandard(year, **values)
    return Standards(rows)
