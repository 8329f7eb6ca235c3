"""What people ask placement to do, in the imperative: the report-in and the steps of a case."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .facts import Disability, Honour


@dataclass(frozen=True)
class ReportIn:
    """报到, as recorded by a station worker, a placement officer or the veteran themself.

    Facts left None are filled in from what the registry published about the veteran."""

    veteran_id: str
    discharge_approved_on: date
    rank_class: str | None = None
    years_of_service: int | None = None
    age_at_discharge: int | None = None
    honours: tuple[Honour, ...] | None = None
    disability: Disability | None = None
    martyr_child: bool | None = None
    expelled_from_party: bool = False
    criminal_penalty: bool = False
    discharged_by_force: bool = False
    seriously_ill_unable_to_work: bool = False
    service_station: str | None = None
    township: str | None = None
    late_reason: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AmendFacts:
    """The facts to change; None keeps what the case holds."""

    rank_class: str | None = None
    years_of_service: int | None = None
    age_at_discharge: int | None = None
    honours: tuple[Honour, ...] | None = None
    disability: Disability | None = None
    no_disability: bool = False  # a disability recorded by mistake is removed
    martyr_child: bool | None = None
    expelled_from_party: bool | None = None
    criminal_penalty: bool | None = None
    discharged_by_force: bool | None = None
    seriously_ill_unable_to_work: bool | None = None


@dataclass(frozen=True)
class RegisterPostQuota:
    unit: str
    post_kind: str
    title: str
    year: int
    positions: int
