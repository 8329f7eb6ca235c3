"""Reporting in (报到): the facts checked and completed, the case opened, and Art. 51's 30-day clock applied."""
from __future__ import annotations

from dataclasses import fields
from datetime import date

from .clocks import days_late, report_in_due
from .commands import AmendFacts, ReportIn
from .errors import InvalidPlacementData
from .events import Event, PlacementForfeited, ReportedIn
from .facts import DISABILITY_NATURES, PlacementFacts, RegistryFacts
from .vocabulary import FORFEITURE_ARTICLES, CaseKind, Forfeiture, HonourKind, RankClass

RANK_CLASSES = frozenset(r.value for r in RankClass)
HONOUR_KINDS = frozenset(h.value for h in HonourKind)
MAX_YEARS_OF_SERVICE = 50
AGE_RANGE = (16, 80)


class _Problems:
    def __init__(self):
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, problem: str) -> None:
        self.fields.setdefault(name, []).append(problem)

    def raise_any(self, what: str) -> None:
        if self.fields:
            raise InvalidPlacementData(what, self.fields)


def _text(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() else None


def report_in(cmd: ReportIn, case_id: str, today: date,
              registry: RegistryFacts | None = None) -> list[Event]:
    """Open the case. Reporting in more than 30 days after the discharge approval without a good
    reason gives up the placement benefits (Art. 51): the case opens forfeited, saying why."""
    known = registry or RegistryFacts(cmd.veteran_id)
    problems = _Problems()
    station = _text(cmd.service_station) or known.service_station
    township = _text(cmd.township) or known.township
    rank_class = cmd.rank_class or known.rank_class
    years = cmd.years_of_service if cmd.years_of_service is not None else known.years_of_service
    for name, value in (("service_station", station), ("township", township),
                        ("rank_class", rank_class), ("years_of_service", years)):
        if value is None:
            problems.add(name, "is required: the registry has not published it for this veteran")
    if cmd.discharge_approved_on > today:
        problems.add("discharge_approved_on", "must not be in the future")
    facts = None
    if rank_class is not None and years is not None:
        facts = PlacementFacts(
            rank_class=rank_class, years_of_service=years,
            discharge_approved_on=cmd.discharge_approved_on,
            age_at_discharge=cmd.age_at_discharge,
            honours=cmd.honours if cmd.honours is not None else known.honours,
            disability=cmd.disability,
            martyr_child=cmd.martyr_child if cmd.martyr_child is not None else known.martyr_child,
            expelled_from_party=cmd.expelled_from_party, criminal_penalty=cmd.criminal_penalty,
            discharged_by_force=cmd.discharged_by_force,
            seriously_ill_unable_to_work=cmd.seriously_ill_unable_to_work)
        check_facts(problems, facts)
    problems.raise_any("the report-in cannot be recorded")
    late_reason = _text(cmd.late_reason)
    opened = ReportedIn(
        case_id=case_id, veteran_id=cmd.veteran_id,
        case_kind=(CaseKind.OFFICER if rank_class == RankClass.OFFICER else CaseKind.SOLDIER).value,
        service_station=station, township=township,
        discharge_approved_on=cmd.discharge_approved_on, reported_on=today,
        report_in_due_on=report_in_due(cmd.discharge_approved_on), late_reason=late_reason,
        **facts_fields(facts))
    late = days_late(cmd.discharge_approved_on, today)
    if late and late_reason is None:
        reason = Forfeiture.LATE_REPORT_IN
        return [opened, PlacementForfeited(
            case_id, cmd.veteran_id, reason=reason.value, article=FORFEITURE_ARTICLES[reason],
            on=today, detail=f"reported {late} day(s) after the 30 days from the discharge "
                             f"approval ({opened.report_in_due_on.isoformat()}), no good reason "
                             "recorded")]
    return [opened]


def check_facts(problems: _Problems, facts: PlacementFacts) -> None:
    if facts.rank_class not in RANK_CLASSES:
        problems.add("rank_class", "must be one of " + ", ".join(sorted(RANK_CLASSES)))
    if not 0 <= facts.years_of_service <= MAX_YEARS_OF_SERVICE:
        problems.add("years_of_service", f"must be 0 to {MAX_YEARS_OF_SERVICE}")
    low, high = AGE_RANGE
    if facts.age_at_discharge is not None and not low <= facts.age_at_discharge <= high:
        problems.add("age_at_discharge", f"must be {low} to {high}")
    for honour in facts.honours:
        if honour.kind not in HONOUR_KINDS:
            problems.add("honours", "kind must be one of " + ", ".join(sorted(HONOUR_KINDS)))
    disability = facts.disability
    if disability is not None:
        if disability.nature not in DISABILITY_NATURES:
            problems.add("disability", "nature must be combat, duty or illness")
        if not 1 <= disability.grade <= 10:
            problems.add("disability", "grade must be 1 (most severe) to 10")


def facts_fields(facts: PlacementFacts) -> dict:
    """The facts as the fields ReportedIn and FactsAmended store."""
    return {f.name: getattr(facts, f.name) for f in fields(PlacementFacts)
            if f.name != "discharge_approved_on"}


def amended_facts(facts: PlacementFacts, cmd: AmendFacts) -> PlacementFacts:
    changes = {f.name: getattr(cmd, f.name) for f in fields(AmendFacts)
               if f.name not in ("no_disability",)}
    new = facts.amended(**changes)
    if cmd.no_disability:
        new = PlacementFacts(**{**{f.name: getattr(new, f.name) for f in fields(new)},
                                "disability": None})
    problems = _Problems()
    check_facts(problems, new)
    problems.raise_any("the facts cannot be amended")
    return new

