"""Placement rates for a period, as the bureau's yearly summary reports them: placed / due, by kind of post."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .vocabulary import PostKind

UNPLANNED = "unplanned"  # due, but no post was ever planned or offered: counted, never hidden
ALL = "all"


@dataclass(frozen=True)
class CaseOutcome:
    """What a rate needs of one case: when its placement was due, the kind of post planned or
    offered (None: none yet), and when and where it was placed (None: not placed)."""

    case_kind: str
    due_on: date | None
    planned_kind: str | None
    placed_on: date | None
    placed_kind: str | None


@dataclass(frozen=True)
class Rate:
    kind: str
    due: int
    placed: int

    @property
    def percent(self) -> str | None:
        """placed / due as a percentage with one decimal, rounded half up; None when none due."""
        if self.due == 0:
            return None
        tenths = (2000 * self.placed + self.due) // (2 * self.due)
        return f"{tenths // 10}.{tenths % 10}"


def placement_rates(cases: list[CaseOutcome], start: date, end: date) -> tuple[Rate, ...]:
    """Of the cases whose placement fell due in [start, end], how many were placed by then, by
    the kind of post planned for them (administrative, institution, enterprise), those with
    none planned, and all of them."""
    due = [c for c in cases if c.due_on is not None and start <= c.due_on <= end]
    rates = []
    for kind in (*(k.value for k in PostKind), UNPLANNED, ALL):
        of_kind = [c for c in due if kind == ALL or (c.placed_kind or c.planned_kind or UNPLANNED)
                   == kind]
        placed = [c for c in of_kind if c.placed_on is not None and c.placed_on <= c.due_on]
        rates.append(Rate(kind, len(of_kind), len(placed)))
    return tuple(rates)


def placed_in_period(cases: list[CaseOutcome], start: date, end: date) -> dict[str, int]:
    """How many were placed in [start, end], by case kind ("11 officers, 20 NCOs, 3 spouses")."""
    counts: dict[str, int] = {}
    for case in cases:
        if case.placed_on is not None and start <= case.placed_on <= end:
            counts[case.case_kind] = counts.get(case.case_kind, 0) + 1
    return counts
