"""What happened to a benefits case, in the past tense: stored forever, so never changed.

Each case is its own stream: a relief application, an entitlement, a veteran's card, an offer, a
campaign, a visit. `*_by` fields hold the subject of the staff member (or veteran) who acted:
the four-eyes rules compare them. They stay in the store; the bus names roles only.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar


@dataclass(frozen=True)
class Event:
    """Something that happened to a benefits case."""

    event_type: ClassVar[str] = "Event"
    # Bump in a subclass when its fields change, so stored old versions can be upcast.
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.event_type = cls.__name__


# -- hardship relief 困难帮扶 ---------------------------------------------------------------------

@dataclass(frozen=True)
class ReliefApplied(Event):
    application_id: str
    veteran_id: str
    station: str
    township: str
    trigger: str
    amount_asked_fen: int
    # What happened to the family: personal, shown to the entitled only, never published.
    circumstances: str = field(repr=False)
    applied_on: date
    handled_by: str


@dataclass(frozen=True)
class ReliefReviewed(Event):
    application_id: str
    veteran_id: str
    reviewed_by: str
    opinion: str
    recommended_fen: int
    notes: str = field(repr=False)
    # The 7-day public notice 公示 the review rests on, and whether anyone objected.
    notice_from: date
    notice_to: date
    objections: bool
    reviewed_on: date


@dataclass(frozen=True)
class ReliefApproved(Event):
    application_id: str
    veteran_id: str
    approved_by: str
    approved_fen: int
    cap_fen: int
    cap_basis: str
    special: bool
    special_reason: str | None
    decided_on: date


@dataclass(frozen=True)
class ReliefRejected(Event):
    application_id: str
    veteran_id: str
    rejected_by: str
    reason: str = field(repr=False)
    decided_on: date


@dataclass(frozen=True)
class ReliefDisbursed(Event):
    application_id: str
    veteran_id: str
    paid_fen: int
    paid_on: date
    reference: str
    disbursed_by: str


@dataclass(frozen=True)
class ReliefClosed(Event):
    application_id: str
    veteran_id: str
    closed_by: str
    note: str | None = field(repr=False)
    closed_on: date


# -- entitlements 优抚待遇 ------------------------------------------------------------------------

@dataclass(frozen=True)
class EntitlementApplied(Event):
    entitlement_id: str
    veteran_id: str
    station: str
    township: str
    kind: str
    nature: str | None
    grade: int | None
    tie: str | None
    relation: str | None
    living_category: str | None
    mental_disorder: bool
    honour: str | None
    # The fallen's monthly pay, for a one-time death pension (40 months of it).
    monthly_pay_fen: int | None
    applied_on: date
    handled_by: str
    offer_id: str | None


@dataclass(frozen=True)
class EntitlementReviewed(Event):
    entitlement_id: str
    veteran_id: str
    reviewed_by: str
    opinion: str
    notes: str = field(repr=False)
    reviewed_on: date


@dataclass(frozen=True)
class EntitlementApproved(Event):
    entitlement_id: str
    veteran_id: str
    approved_by: str
    # Yearly for a periodic entitlement, the whole sum for a one-time one.
    amount_fen: int
    basis: str
    standards_year: int
    # Paid from the month of the decision (survivors' pension: from the month of confirmation).
    effective_from: date
    decided_on: date
    # The yearly confirmation's due day; None for a one-time benefit.
    confirmation_due_on: date | None


@dataclass(frozen=True)
class EntitlementRejected(Event):
    entitlement_id: str
    veteran_id: str
    rejected_by: str
    reason: str = field(repr=False)
    decided_on: date


@dataclass(frozen=True)
class EntitlementConfirmed(Event):
    entitlement_id: str
    veteran_id: str
    confirmed_by: str
    year: int
    amount_fen: int
    basis: str
    confirmed_on: date
    next_due_on: date


@dataclass(frozen=True)
class EntitlementConfirmationOverdue(Event):
    entitlement_id: str
    veteran_id: str
    due_on: date


@dataclass(frozen=True)
class EntitlementSuspended(Event):
    entitlement_id: str
    veteran_id: str
    reason: str
    note: str | None = field(repr=False)
    suspended_on: date
    suspended_by: str


@dataclass(frozen=True)
class EntitlementResumed(Event):
    entitlement_id: str
    veteran_id: str
    resumed_on: date
    resumed_by: str
    confirmation_due_on: date


@dataclass(frozen=True)
class EntitlementEnded(Event):
    entitlement_id: str
    veteran_id: str
    reason: str
    note: str | None = field(repr=False)
    ended_on: date
    ended_by: str
    # On death: the months paid on as funeral aid and their sum; on fraud: what is recovered.
    funeral_aid_months: int
    funeral_aid_fen: int
    recover_fen: int


@dataclass(frozen=True)
class EntitlementPaid(Event):
    entitlement_id: str
    veteran_id: str
    paid_fen: int
    paid_on: date
    reference: str
    paid_by: str


# -- the preferential-treatment card 优待证 --------------------------------------------------------

@dataclass(frozen=True)
class CardApplied(Event):
    card_id: str
    veteran_id: str
    station: str
    township: str
    category: str
    applied_on: date
    handled_by: str
    offer_id: str | None


@dataclass(frozen=True)
class CardStep(Event):
    """A step of the card's way through the offices; `done_on` the day it was done there."""

    card_id: str
    veteran_id: str
    recorded_by: str
    done_on: date


@dataclass(frozen=True)
class CardCountyChecked(CardStep):
    # The first review starts the province filing's 30 working days; None while the calendar
    # of the year they reach is not published (CardClockSet gives it once it is).
    filing_due_on: date | None


@dataclass(frozen=True)
class CardBureauApproved(CardStep):
    pass


@dataclass(frozen=True)
class CardCityReviewed(CardStep):
    pass


@dataclass(frozen=True)
class CardProvinceFiled(CardStep):
    pass


@dataclass(frozen=True)
class CardMade(CardStep):
    # Made by the bank: handed out within 10 working days (None: as for the filing above).
    handout_due_on: date | None


@dataclass(frozen=True)
class CardHandedOut(CardStep):
    pass


@dataclass(frozen=True)
class CardRefused(Event):
    card_id: str
    veteran_id: str
    at_state: str
    reason: str
    note: str | None = field(repr=False)
    recorded_by: str
    done_on: date


@dataclass(frozen=True)
class CardFilingOverdue(Event):
    card_id: str
    veteran_id: str
    due_on: date


@dataclass(frozen=True)
class CardHandoutOverdue(Event):
    card_id: str
    veteran_id: str
    due_on: date


@dataclass(frozen=True)
class CardClockSet(Event):
    """A clock its step could not count (the year's holidays were not published then), counted
    from that step's day once they are."""

    card_id: str
    veteran_id: str
    clock: str
    counted_from: date
    due_on: date


# -- proactive offers 主动告知 ---------------------------------------------------------------------

@dataclass(frozen=True)
class OfferOpened(Event):
    offer_id: str
    veteran_id: str
    station: str
    township: str
    # An entitlement kind, or "card".
    kind: str
    rule: str
    article: str
    explanation: str
    source_event_type: str
    source_event_id: str
    opened_on: date
    answer_due_on: date
    # A relief offer: the trigger the referral named, for the application it may become.
    relief_trigger: str | None = None


@dataclass(frozen=True)
class OfferConfirmed(Event):
    offer_id: str
    veteran_id: str
    answered_by: str
    answered_on: date
    # The application the confirmation opened (or the one already open for it).
    case_id: str


@dataclass(frozen=True)
class OfferDeclined(Event):
    offer_id: str
    veteran_id: str
    answered_by: str
    answered_on: date
    reason: str | None = field(repr=False)


@dataclass(frozen=True)
class OfferUnanswered(Event):
    offer_id: str
    veteran_id: str
    due_on: date


# -- condolence visits 走访慰问 --------------------------------------------------------------------

@dataclass(frozen=True)
class CampaignOpened(Event):
    campaign_id: str
    name: str
    kind: str
    starts_on: date
    ends_on: date
    budget_fen: int
    opened_by: str


@dataclass(frozen=True)
class CampaignClosed(Event):
    campaign_id: str
    closed_by: str
    closed_on: date


@dataclass(frozen=True)
class VisitRecorded(Event):
    visit_id: str
    campaign_id: str
    veteran_id: str
    station: str
    township: str
    visited_on: date
    # Who went: officials by post and name, as the station writes them down.
    visitors: str
    amount_fen: int
    goods: str | None
    goods_value_fen: int
    hardship_found: bool
    notes: str | None = field(repr=False)
    recorded_by: str


@dataclass(frozen=True)
class VisitWithdrawn(Event):
    visit_id: str
    campaign_id: str
    veteran_id: str
    reason: str
    withdrawn_by: str
    withdrawn_on: date


@dataclass(frozen=True)
class SocialCareProvided(Event):
    """A social care service (社会化服务) a priority beneficiary received, paid for by the bureau
    (bought from a provider): a health check for special diseases, a health record, home care…"""

    care_id: str
    veteran_id: str
    station: str
    township: str
    service: str
    provided_on: date
    provider: str
    recorded_by: str


# -- what benefits heard from the registry --------------------------------------------------------

@dataclass(frozen=True)
class SurvivorTieNoted(Event):
    """The registry marked the veteran's family a survivor family (三属): benefits keeps the tie
    in its own store, one stream per family, so that what it knew at each visit (a martyr's
    family 烈属) is rebuilt from its own events (its report facts, docs/figures.md)."""

    family_id: str
    veteran_id: str
    tie: str
    noted_on: date
    source_event_id: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in (
        ReliefApplied, ReliefReviewed, ReliefApproved, ReliefRejected, ReliefDisbursed,
        ReliefClosed,
        EntitlementApplied, EntitlementReviewed, EntitlementApproved, EntitlementRejected,
        EntitlementConfirmed, EntitlementConfirmationOverdue, EntitlementSuspended,
        EntitlementResumed, EntitlementEnded, EntitlementPaid,
        CardApplied, CardCountyChecked, CardBureauApproved, CardCityReviewed, CardProvinceFiled,
        CardMade, CardHandedOut, CardRefused, CardFilingOverdue, CardHandoutOverdue,
        CardClockSet,
        OfferOpened, OfferConfirmed, OfferDeclined, OfferUnanswered,
        CampaignOpened, CampaignClosed, VisitRecorded, VisitWithdrawn,
        SocialCareProvided, SurvivorTieNoted,
    )
}
