"""What staff, petitioners and approvers ask of the disputes service: commands a decision may refuse."""

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class LodgePetition:
    service_station: str
    channel: str
    petitioner_kind: str
    petitioner_name: str = field(repr=False)
    category: str
    request: str = field(repr=False)
    facts: str = field(repr=False)
    veteran_id: str | None = None
    petitioner_phone: str | None = field(default=None, repr=False)
    petitioner_address: str | None = field(default=None, repr=False)
    relation: str | None = field(default=None, repr=False)
    representatives: tuple[str, ...] = field(default=(), repr=False)
    group_size: int | None = None
    received_on: date | None = None  # a letter received before it was registered; else today
    urgent: bool = False
    same_matter_as: str | None = None  # staff say: the matter of this earlier petition
    separate_matter: bool = False  # staff say: a new matter, though veteran and category match
    forwarded_from_level: str | None = None  # passed down by the city, province or capital


@dataclass(frozen=True)
class DecideIntake:
    decision: str
    notice: str = field(repr=False)
    ground: str | None = None
    reason: str | None = field(default=None, repr=False)
    transferred_to: str | None = None
    procedure: str | None = None


@dataclass(frozen=True)
class AssignHandler:
    handler: str


@dataclass(frozen=True)
class RecordPetitionMediation:
    agreement_reached: bool
    summary: str = field(repr=False)
    held_on: date | None = None


@dataclass(frozen=True)
class RequestExtension:
    days: int
    reason: str = field(repr=False)


@dataclass(frozen=True)
class DecideExtension:
    approve: bool
    note: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class IssueOpinion:
    outcome: str
    opinion: str = field(repr=False)


@dataclass(frozen=True)
class RequestReview:
    grounds: str = field(repr=False)
    stage: str | None = None  # checked against the petition's state when given


@dataclass(frozen=True)
class AnswerReview:
    outcome: str
    answer: str = field(repr=False)
    stage: str | None = None


@dataclass(frozen=True)
class RecordEscalation:
    level: str
    reason: str
    note: str | None = field(default=None, repr=False)
    escalated_on: date | None = None


@dataclass(frozen=True)
class OpenDispute:
    service_station: str
    category: str
    parties: str = field(repr=False)
    summary: str = field(repr=False)
    veteran_id: str | None = None
    petition_id: str | None = None


@dataclass(frozen=True)
class RecordMediation:
    mediator: str = field(repr=False)
    agreement_reached: bool
    summary: str = field(repr=False)
    held_on: date | None = None


@dataclass(frozen=True)
class ReferLegalAid:
    martyr_family_defending_name: bool = False


@dataclass(frozen=True)
class DecideLegalAid:
    granted: bool
    reason: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AssignLawyer:
    lawyer: str = field(repr=False)
    firm: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ResolveDispute:
    outcome: str
    summary: str = field(repr=False)


@dataclass(frozen=True)
class OpenProxyCase:
    veteran_id: str
    service_station: str
    matter_kind: str
    matter: str = field(repr=False)
    agent_kind: str
    agent: str = field(repr=False)


@dataclass(frozen=True)
class RecordProxyStep:
    note: str = field(repr=False)
    taken_on: date | None = None


@dataclass(frozen=True)
class CloseProxyCase:
    outcome: str
    note: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ReferHardship:
    trigger: str
    note: str | None = field(default=None, repr=False)
    veteran_id: str | None = None  # when the case names no veteran
