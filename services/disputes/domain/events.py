"""What happened to a petition, a dispute or a proxy case, in the past tense: stored forever."""

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar


@dataclass(frozen=True)
class Event:
    event_type: ClassVar[str] = "Event"
    # Bump in a subclass when its fields change, so stored old versions can be upcast.
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.event_type = cls.__name__


# Personal data (names, contacts, what the petitioner wrote, what staff wrote back) is left out
# of the reprs, so logging an event cannot leak it.

# -- petitions 信访 --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PetitionLodged(Event):
    """Received and registered (Art. 21) in one step: the intake clock starts."""

    petition_id: str
    veteran_id: str | None
    service_station: str
    channel: str
    petitioner_kind: str
    petitioner_name: str = field(repr=False)
    petitioner_phone: str | None = field(repr=False)
    petitioner_address: str | None = field(repr=False)
    relation: str | None = field(repr=False)
    representatives: tuple[str, ...] = field(repr=False)
    group_size: int | None
    category: str
    request: str = field(repr=False)
    facts: str = field(repr=False)
    received_on: date
    urgent: bool
    matter_key: str = field(repr=False)
    first_time: bool  # 初信初访: no earlier petition on this matter
    earlier_petition_id: str | None  # the latest earlier petition on this matter, if any
    closed_matter: bool  # the earlier one was answered finally: the same facts are not taken
    intake_due_on: date
    intake_rule: str  # working_days, days, or days_calendar_unknown


@dataclass(frozen=True)
class RepeatPetitionLinked(Event):
    """The same matter lodged again while this petition is open: linked, not opened twice."""

    petition_id: str
    channel: str
    petitioner_kind: str
    received_on: date
    forwarded_from_level: str | None  # the petitioner took it higher meanwhile


@dataclass(frozen=True)
class PetitionAccepted(Event):
    petition_id: str
    decided_on: date
    notice: str = field(repr=False)  # the written notice (书面告知)
    intake_late: bool
    opinion_due_on: date


@dataclass(frozen=True)
class PetitionRefused(Event):
    petition_id: str
    decided_on: date
    ground: str
    reason: str = field(repr=False)
    notice: str = field(repr=False)
    intake_late: bool


@dataclass(frozen=True)
class PetitionTransferred(Event):
    petition_id: str
    decided_on: date
    transferred_to: str  # an organ, not a person
    notice: str = field(repr=False)
    intake_late: bool


@dataclass(frozen=True)
class PetitionRoutedOut(Event):
    petition_id: str
    decided_on: date
    procedure: str
    notice: str = field(repr=False)
    intake_late: bool


@dataclass(frozen=True)
class HandlerAssigned(Event):
    petition_id: str
    handler: str  # the staff member's subject: a person, kept off the bus
    assigned_on: date


@dataclass(frozen=True)
class PetitionMediationHeld(Event):
    """Mediation on a petition (Art. 33)."""

    petition_id: str
    held_on: date
    agreement_reached: bool
    summary: str = field(repr=False)


@dataclass(frozen=True)
class OpinionExtensionRequested(Event):
    petition_id: str
    days: int
    reason: str = field(repr=False)  # what the petitioner is told, once approved
    requested_by: str  # a staff subject
    requested_on: date


@dataclass(frozen=True)
class OpinionExtensionApproved(Event):
    """Extended once (Art. 34); the reason goes to the petitioner the same day."""

    petition_id: str
    days: int
    approved_by: str
    approved_on: date
    previous_due_on: date
    opinion_due_on: date
    petitioner_told_on: date


@dataclass(frozen=True)
class OpinionExtensionRefused(Event):
    petition_id: str
    refused_by: str
    refused_on: date
    note: str | None = field(repr=False)


@dataclass(frozen=True)
class OpinionIssued(Event):
    petition_id: str
    outcome: str
    opinion: str = field(repr=False)
    issued_on: date
    late: bool
    review_request_due_on: date


@dataclass(frozen=True)
class ReviewRequested(Event):
    petition_id: str
    stage: str  # review 复查 or re_review 复核
    grounds: str = field(repr=False)
    requested_on: date
    answer_due_on: date


@dataclass(frozen=True)
class ReviewAnswered(Event):
    petition_id: str
    stage: str
    outcome: str
    answer: str = field(repr=False)
    answered_on: date
    late: bool
    # The re-review window after a review; None after a re-review, which is final.
    next_request_due_on: date | None


@dataclass(frozen=True)
class PetitionEscalated(Event):
    """Escalated above the district (零赴省进京 counts the province and the capital)."""

    petition_id: str
    level: str
    reason_code: str  # why, in the bureau's words (EscalationReason); the note says more
    note: str | None = field(repr=False)
    escalated_on: date


# Recorded by the deadline runner when a clock runs out (their payloads are the clock's).

@dataclass(frozen=True)
class PetitionIntakeOverdue(Event):
    petition_id: str
    due_on: date


@dataclass(frozen=True)
class PetitionOpinionOverdue(Event):
    petition_id: str
    due_on: date


@dataclass(frozen=True)
class PetitionReviewOverdue(Event):
    """A review (or re-review) was not answered in time."""

    petition_id: str
    stage: str
    due_on: date


@dataclass(frozen=True)
class ReviewWindowClosed(Event):
    """The petitioner did not ask for a review (or re-review) in time: the answer is final.
    Not an overdue: the window was the petitioner's."""

    petition_id: str
    stage: str
    due_on: date


# -- disputes 矛盾纠纷 -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DisputeOpened(Event):
    dispute_id: str
    veteran_id: str | None
    service_station: str
    category: str
    parties: str = field(repr=False)
    summary: str = field(repr=False)
    opened_on: date
    petition_id: str | None  # the petition it came from, if any


@dataclass(frozen=True)
class MediationSessionHeld(Event):
    dispute_id: str
    session: int
    held_on: date
    mediator: str = field(repr=False)
    agreement_reached: bool
    summary: str = field(repr=False)


@dataclass(frozen=True)
class LegalAidReferred(Event):
    dispute_id: str
    referred_on: date
    # A martyr's relatives defending the martyr's name face no means test (法律援助法 Art. 32).
    means_test_waived: bool
    decision_due_on: date


@dataclass(frozen=True)
class LegalAidDecided(Event):
    dispute_id: str
    granted: bool
    decided_on: date
    late: bool
    reason: str | None = field(repr=False)
    lawyer_due_on: date | None


@dataclass(frozen=True)
class LawyerAssigned(Event):
    dispute_id: str
    lawyer: str = field(repr=False)
    firm: str | None = field(repr=False)
    assigned_on: date
    late: bool


@dataclass(frozen=True)
class LegalAidDecisionOverdue(Event):
    dispute_id: str
    due_on: date


@dataclass(frozen=True)
class LawyerAssignmentOverdue(Event):
    dispute_id: str
    due_on: date


@dataclass(frozen=True)
class DisputeResolved(Event):
    """Closed: resolved (化解) or not."""

    dispute_id: str
    outcome: str
    resolved_on: date
    summary: str = field(repr=False)


# -- proxy cases 权益维护代办 ----------------------------------------------------------------------

@dataclass(frozen=True)
class ProxyCaseOpened(Event):
    proxy_case_id: str
    veteran_id: str  # for whom
    service_station: str
    matter_kind: str
    matter: str = field(repr=False)  # what
    agent_kind: str
    agent: str = field(repr=False)  # by whom
    opened_on: date


@dataclass(frozen=True)
class ProxyStepRecorded(Event):
    proxy_case_id: str
    step: int
    taken_on: date
    note: str = field(repr=False)


@dataclass(frozen=True)
class ProxyCaseClosed(Event):
    proxy_case_id: str
    outcome: str
    closed_on: date
    note: str | None = field(repr=False)


# -- any case ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HardshipReferred(Event):
    """A case surfaced hardship: a referral the benefits service can act on (relief 帮扶援助)."""

    referral_id: str
    source: str  # petition, dispute or proxy_case
    source_id: str
    veteran_id: str
    service_station: str
    trigger: str
    note: str | None = field(repr=False)
    referred_on: date


EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in (
        PetitionLodged, RepeatPetitionLinked, PetitionAccepted, PetitionRefused,
        PetitionTransferred, PetitionRoutedOut, HandlerAssigned, PetitionMediationHeld,
        OpinionExtensionRequested, OpinionExtensionApproved, OpinionExtensionRefused,
        OpinionIssued, ReviewRequested, ReviewAnswered, PetitionEscalated,
        PetitionIntakeOverdue, PetitionOpinionOverdue, PetitionReviewOverdue, ReviewWindowClosed,
        DisputeOpened, MediationSessionHeld, LegalAidReferred, LegalAidDecided, LawyerAssigned,
        LegalAidDecisionOverdue, LawyerAssignmentOverdue, DisputeResolved,
        ProxyCaseOpened, ProxyStepRecorded, ProxyCaseClosed,
        HardshipReferred,
    )
}
