"""What happened to a placement case or a post quota, in the past tense: stored forever, so never changed."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from .facts import Disability, Honour


@dataclass(frozen=True)
class Event:
    event_type: ClassVar[str] = "Event"
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.event_type = cls.__name__


@dataclass(frozen=True)
class CaseEvent(Event):
    """An event of one case's stream; every one names the case and the veteran it is about."""

    case_id: str
    veteran_id: str


def _honours(values) -> tuple[Honour, ...]:
    return tuple(h if isinstance(h, Honour) else Honour(**h) for h in values or ())


def _disability(value) -> Disability | None:
    return value if value is None or isinstance(value, Disability) else Disability(**value)


@dataclass(frozen=True)
class _Facts:
    """The facts fields ReportedIn and FactsAmended share (the whole set, after the change)."""

    rank_class: str
    years_of_service: int
    age_at_discharge: int | None
    honours: tuple[Honour, ...]
    disability: Disability | None
    martyr_child: bool
    expelled_from_party: bool
    criminal_penalty: bool
    discharged_by_force: bool
    seriously_ill_unable_to_work: bool

    def __post_init__(self):
        # Stored payloads come back as plain lists and dicts.
        object.__setattr__(self, "honours", _honours(self.honours))
        object.__setattr__(self, "disability", _disability(self.disability))


@dataclass(frozen=True)
class ReportedIn(_Facts, CaseEvent):
    """报到: the case opens with the soldier's facts at discharge."""

    case_kind: str = "soldier"
    service_station: str = ""
    township: str = ""
    discharge_approved_on: date | None = None
    reported_on: date | None = None
    report_in_due_on: date | None = None
    late_reason: str | None = field(default=None, repr=False)  # may say something personal


@dataclass(frozen=True)
class FactsAmended(_Facts, CaseEvent):
    """The facts were corrected or changed (a disability re-graded, an honour found)."""


@dataclass(frozen=True)
class PlacementForfeited(CaseEvent):
    reason: str  # vocabulary.Forfeiture
    article: str
    on: date
    detail: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class LateReasonRecorded(CaseEvent):
    """A good reason for reporting in late: the forfeiture it caused is lifted (Art. 51)."""

    on: date
    reason: str = field(repr=False)


@dataclass(frozen=True)
class ModeChosen(CaseEvent):
    mode: str
    on: date


@dataclass(frozen=True)
class SubsidyAssessed(CaseEvent):
    """一次性经济补助, worked out from the yearly table when self-employment is chosen."""

    standard_year: int
    years_of_service: int
    fen_per_year: int
    amount_fen: int


@dataclass(frozen=True)
class SubsidyPaid(CaseEvent):
    amount_fen: int
    paid_on: date
    reference: str


@dataclass(frozen=True)
class HandedToEmployment(CaseEvent):
    on: date


@dataclass(frozen=True)
class Scored(CaseEvent):
    """赋分: the points that order the waiting soldiers' choice of posts."""

    points: int
    on: date


@dataclass(frozen=True)
class PostOffered(CaseEvent):
    post_id: str
    post_kind: str
    unit: str
    on: date


@dataclass(frozen=True)
class PostAccepted(CaseEvent):
    post_id: str
    on: date


@dataclass(frozen=True)
class PostDeclined(CaseEvent):
    post_id: str
    on: date
    good_reason: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ReferralLetterIssued(CaseEvent):
    """介绍信: the bureau's placement is done; the unit has 30 days to put them on post."""

    letter_number: str
    issued_on: date
    on_post_due_on: date


@dataclass(frozen=True)
class Placed(CaseEvent):
    """The bureau's placement is done: for a soldier, the referral letter; for an officer or a
    spouse, the post taken. The placement clock stops here; rates count these."""

    post_kind: str
    unit: str
    placed_on: date


@dataclass(frozen=True)
class OnPostRecorded(CaseEvent):
    on_post_on: date


@dataclass(frozen=True)
class ContractRecorded(CaseEvent):
    signed_on: date
    term_years: int | None
    open_ended: bool


@dataclass(frozen=True)
class TransferAssigned(CaseEvent):
    """Art. 15: how the officer (or spouse) is assigned, and the kind of post planned."""

    method: str
    planned_kind: str
    on: date


@dataclass(frozen=True)
class SpouseReceived(CaseEvent):
    """随调配偶: the spouse's own case opens, linked to the officer's (Art. 57). `veteran_id` is
    the officer's: the spouse is reached through them."""

    officer_case_id: str
    spouse_name: str = field(repr=False)
    received_on: date
    service_station: str
    township: str
    employed_as: str | None  # the kind of post held before the move, if any


@dataclass(frozen=True)
class SpouseLinked(CaseEvent):
    spouse_case_id: str


@dataclass(frozen=True)
class PlacementOverdue(CaseEvent):
    """Fired by the placement clock: 6 months passed without a placement (Art. 31)."""

    due_on: date


@dataclass(frozen=True)
class OnPostOverdue(CaseEvent):
    """Fired by the on-post clock: 30 days after the letter and not on post (Art. 75)."""

    due_on: date


@dataclass(frozen=True)
class CaseClosed(CaseEvent):
    outcome: str
    on: date


# -- a post quota's stream ------------------------------------------------------------------------

@dataclass(frozen=True)
class PostQuotaRegistered(Event):
    """A unit offers posts of one kind for a year's placements."""

    post_id: str
    unit: str
    post_kind: str
    title: str
    year: int
    positions: int


@dataclass(frozen=True)
class PostHeld(Event):
    """One position is offered to a case; nobody else can be offered it meanwhile."""

    post_id: str
    case_id: str


@dataclass(frozen=True)
class PostReleased(Event):
    post_id: str
    case_id: str
    reason: str  # declined | forfeited


@dataclass(frozen=True)
class PostFilled(Event):
    post_id: str
    case_id: str


CASE_EVENTS = (ReportedIn, FactsAmended, PlacementForfeited, LateReasonRecorded, ModeChosen,
               SubsidyAssessed, SubsidyPaid, HandedToEmployment, Scored, PostOffered,
               PostAccepted, PostDeclined, ReferralLetterIssued, Placed, OnPostRecorded,
               ContractRecorded, TransferAssigned, SpouseReceived, SpouseLinked,
               PlacementOverdue, OnPostOverdue, CaseClosed)
POST_EVENTS = (PostQuotaRegistered, PostHeld, PostReleased, PostFilled)
EVENT_TYPES: dict[str, type[Event]] = {cls.event_type: cls for cls in CASE_EVENTS + POST_EVENTS}
