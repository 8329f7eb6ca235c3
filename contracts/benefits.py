"""The benefits service's contracts: its events (stored and public forms), requests, replies and routes."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from chassis.envelope import NewEvent, RecordedEvent
from contracts import instance
from contracts.deadlines import DeadlineView
from contracts.publication import Publication
from contracts.registry import SURVIVOR_TIES, _Date, _Pattern, _QueryInteger, _text
from contracts.routes import Route
from contracts.versioning import Upcasters

SOURCE = "/vetlife/benefits"

# The vocabulary (services/benefits/domain/vocabulary.py says what each word means).
RELIEF_TRIGGERS = ("illness", "long_unemployment", "recurring_wound", "disaster", "other")
PERIODIC_KINDS = ("disability_pension", "survivors_pension", "living_allowance",
                  "nursing_allowance")
ENTITLEMENT_KINDS = PERIODIC_KINDS + ("martyr_commendation", "death_pension")
OFFER_KINDS = ENTITLEMENT_KINDS + ("card", "relief")
NATURES = ("combat", "duty", "illness")
TIES = ("martyr", "died_on_duty", "died_of_illness")
RELATIONS = ("parent", "spouse", "child", "sibling")
LIVING_CATEGORIES = ("combat_or_test_veteran", "came_home_ill", "rural_over_60",
                     "enlisted_before_1954", "martyr_child_rural_over_60")
SUSPENSION_REASONS = ("imprisoned", "deprived_of_political_rights", "wanted")
END_REASONS = ("death", "life_sentence", "expelled_from_army", "fraud", "no_longer_eligible")
CARD_CATEGORIES = ("veteran", "survivor")
CARD_BARS = ("struck_off_or_expelled", "deprived_of_political_rights", "imprisoned", "wanted")
CARD_STEPS = ("county_check", "bureau_approval", "city_review", "province_filing", "made",
              "hand_out")
CAMPAIGN_KINDS = ("festival", "survivor_families", "hardship", "other")
SOCIAL_CARE_SERVICES = ("special_disease_check", "health_record", "home_care", "rehabilitation",
                        "psychological_support", "legal_consultation", "other")
OPINIONS = ("support", "oppose")
DECISIONS = ("approve", "reject")
OFFER_ANSWERS = ("confirm", "decline")
RELIEF_STATES = ("applied", "reviewed", "approved", "rejected", "disbursed", "closed")
ENTITLEMENT_STATES = ("applied", "reviewed", "active", "approved", "paid", "rejected",
                      "suspended", "ended")
CARD_STATES = ("applied", "county_checked", "bureau_approved", "city_reviewed",
               "province_filed", "made", "handed_out", "refused")
OFFER_STATES = ("open", "confirmed", "declined")
CAMPAIGN_STATES = ("open", "closed")

# Money is integer fen everywhere on the wire; the largest single amount any form takes.
MAX_FEN = 100_000_000_000


def _s(**kw):
    return fields.String(required=True, **kw)


def _ns(**kw):
    return fields.String(required=True, allow_none=True, **kw)


def _i(**kw):
    return fields.Integer(required=True, **kw)


def _ni(**kw):
    return fields.Integer(required=True, allow_none=True, **kw)


def _d(**kw):
    return fields.Date(required=True, **kw)


def _nd(**kw):
    return fields.Date(required=True, allow_none=True, **kw)


def _b(**kw):
    return fields.Boolean(required=True, **kw)


# -- stored events, version 1 (field for field the dataclasses in services/benefits/domain/events.py)

class ReliefAppliedV1(Schema):
    application_id, veteran_id, station, township, trigger = _s(), _s(), _s(), _s(), _s()
    amount_asked_fen, circumstances, applied_on, handled_by = _i(), _s(), _d(), _s()


class ReliefReviewedV1(Schema):
    application_id, veteran_id, reviewed_by, opinion = _s(), _s(), _s(), _s()
    recommended_fen, notes, notice_from, notice_to = _i(), _s(), _d(), _d()
    objections, reviewed_on = _b(), _d()


class ReliefApprovedV1(Schema):
    application_id, veteran_id, approved_by = _s(), _s(), _s()
    approved_fen, cap_fen, cap_basis, special = _i(), _i(), _s(), _b()
    special_reason, decided_on = _ns(), _d()


class ReliefRejectedV1(Schema):
    application_id, veteran_id, rejected_by, reason, decided_on = _s(), _s(), _s(), _s(), _d()


class ReliefDisbursedV1(Schema):
    application_id, veteran_id, paid_fen, paid_on = _s(), _s(), _i(), _d()
    reference, disbursed_by = _s(), _s()


class ReliefClosedV1(Schema):
    application_id, veteran_id, closed_by, note, closed_on = _s(), _s(), _s(), _ns(), _d()


class EntitlementAppliedV1(Schema):
    entitlement_id, veteran_id, station, township, kind = _s(), _s(), _s(), _s(), _s()
    nature, grade, tie, relation, living_category = _ns(), _ni(), _ns(), _ns(), _ns()
    mental_disorder, honour, monthly_pay_fen = _b(), _ns(), _ni()
    applied_on, handled_by, offer_id = _d(), _s(), _ns()


class EntitlementReviewedV1(Schema):
    entitlement_id, veteran_id, reviewed_by, opinion = _s(), _s(), _s(), _s()
    notes, reviewed_on = _s(), _d()


class EntitlementApprovedV1(Schema):
    entitlement_id, veteran_id, approved_by, amount_fen, basis = _s(), _s(), _s(), _i(), _s()
    standards_year, effective_from, decided_on, confirmation_due_on = _i(), _d(), _d(), _nd()


class EntitlementRejectedV1(Schema):
    entitlement_id, veteran_id, rejected_by, reason, decided_on = _s(), _s(), _s(), _s(), _d()


class EntitlementConfirmedV1(Schema):
    entitlement_id, veteran_id, confirmed_by, year, amount_fen = _s(), _s(), _s(), _i(), _i()
    basis, confirmed_on, next_due_on = _s(), _d(), _d()


class EntitlementConfirmationOverdueV1(Schema):
    entitlement_id, veteran_id, due_on = _s(), _s(), _d()


class EntitlementSuspendedV1(Schema):
    entitlement_id, veteran_id, reason, note = _s(), _s(), _s(), _ns()
    suspended_on, suspended_by = _d(), _s()


class EntitlementResumedV1(Schema):
    entitlement_id, veteran_id, resumed_on, resumed_by = _s(), _s(), _d(), _s()
    confirmation_due_on = _d()


class EntitlementEndedV1(Schema):
    entitlement_id, veteran_id, reason, note, ended_on, ended_by = (
        _s(), _s(), _s(), _ns(), _d(), _s())
    funeral_aid_months, funeral_aid_fen, recover_fen = _i(), _i(), _i()


class EntitlementPaidV1(Schema):
    entitlement_id, veteran_id, paid_fen, paid_on, reference, paid_by = (
        _s(), _s(), _i(), _d(), _s(), _s())


class CardAppliedV1(Schema):
    card_id, veteran_id, station, township, category = _s(), _s(), _s(), _s(), _s()
    applied_on, handled_by, offer_id = _d(), _s(), _ns()


class CardStepV1(Schema):
    card_id, veteran_id, recorded_by, done_on = _s(), _s(), _s(), _d()


class CardCountyCheckedV1(CardStepV1):
    # null: the calendar of the year the 30 working days reach was not published (CardClockSet)
    filing_due_on = _nd()


class CardMadeV1(CardStepV1):
    handout_due_on = _nd()


class CardClockSetV1(Schema):
    card_id, veteran_id, clock, counted_from, due_on = (
        _s(), _s(), _s(validate=validate.OneOf(("province_filing", "handout"))), _d(), _d())


class CardRefusedV1(Schema):
    card_id, veteran_id, at_state, reason, note = _s(), _s(), _s(), _s(), _ns()
    recorded_by, done_on = _s(), _d()


class CardOverdueV1(Schema):
    card_id, veteran_id, due_on = _s(), _s(), _d()


class OfferOpenedV1(Schema):
    offer_id, veteran_id, station, township, kind = _s(), _s(), _s(), _s(), _s()
    rule, article, explanation = _s(), _s(), _s()
    source_event_type, source_event_id, opened_on, answer_due_on = _s(), _s(), _d(), _d()
    relief_trigger = fields.String(allow_none=True, load_default=None)


class OfferConfirmedV1(Schema):
    offer_id, veteran_id, answered_by, answered_on, case_id = _s(), _s(), _s(), _d(), _s()


class OfferDeclinedV1(Schema):
    offer_id, veteran_id, answered_by, answered_on, reason = _s(), _s(), _s(), _d(), _ns()


class OfferUnansweredV1(Schema):
    offer_id, veteran_id, due_on = _s(), _s(), _d()


class CampaignOpenedV1(Schema):
    campaign_id, name, kind, starts_on, ends_on = _s(), _s(), _s(), _d(), _d()
    budget_fen, opened_by = _i(), _s()


class CampaignClosedV1(Schema):
    campaign_id, closed_by, closed_on = _s(), _s(), _d()


class VisitRecordedV1(Schema):
    visit_id, campaign_id, veteran_id, station, township = _s(), _s(), _s(), _s(), _s()
    visited_on, visitors, amount_fen, goods, goods_value_fen = _d(), _s(), _i(), _ns(), _i()
    hardship_found, notes, recorded_by = _b(), _ns(), _s()


class VisitWithdrawnV1(Schema):
    visit_id, campaign_id, veteran_id, reason, withdrawn_by, withdrawn_on = (
        _s(), _s(), _s(), _s(), _s(), _d())


class SocialCareProvidedV1(Schema):
    care_id, veteran_id, station, township, service = _s(), _s(), _s(), _s(), _s()
    provided_on, provider, recorded_by = _d(), _s(), _s()


class SurvivorTieNotedV1(Schema):
    family_id, veteran_id, tie, noted_on, source_event_id = _s(), _s(), _s(), _d(), _s()


EVENT_SCHEMAS: dict[str, type[Schema]] = {
    "ReliefApplied": ReliefAppliedV1,
    "ReliefReviewed": ReliefReviewedV1,
    "ReliefApproved": ReliefApprovedV1,
    "ReliefRejected": ReliefRejectedV1,
    "ReliefDisbursed": ReliefDisbursedV1,
    "ReliefClosed": ReliefClosedV1,
    "EntitlementApplied": EntitlementAppliedV1,
    "EntitlementReviewed": EntitlementReviewedV1,
    "EntitlementApproved": EntitlementApprovedV1,
    "EntitlementRejected": EntitlementRejectedV1,
    "EntitlementConfirmed": EntitlementConfirmedV1,
    "EntitlementConfirmationOverdue": EntitlementConfirmationOverdueV1,
    "EntitlementSuspended": EntitlementSuspendedV1,
    "EntitlementResumed": EntitlementResumedV1,
    "EntitlementEnded": EntitlementEndedV1,
    "EntitlementPaid": EntitlementPaidV1,
    "CardApplied": CardAppliedV1,
    "CardCountyChecked": CardCountyCheckedV1,
    "CardBureauApproved": CardStepV1,
    "CardCityReviewed": CardStepV1,
    "CardProvinceFiled": CardStepV1,
    "CardMade": CardMadeV1,
    "CardHandedOut": CardStepV1,
    "CardRefused": CardRefusedV1,
    "CardFilingOverdue": CardOverdueV1,
    "CardHandoutOverdue": CardOverdueV1,
    "CardClockSet": CardClockSetV1,
    "OfferOpened": OfferOpenedV1,
    "OfferConfirmed": OfferConfirmedV1,
    "OfferDeclined": OfferDeclinedV1,
    "OfferUnanswered": OfferUnansweredV1,
    "CampaignOpened": CampaignOpenedV1,
    "CampaignClosed": CampaignClosedV1,
    "VisitRecorded": VisitRecordedV1,
    "VisitWithdrawn": VisitWithdrawnV1,
    "SocialCareProvided": SocialCareProvidedV1,
    "SurvivorTieNoted": SurvivorTieNotedV1,
}
upcast = Upcasters({event_type: 1 for event_type in EVENT_SCHEMAS})


# -- what departments see: pseudonymous ids, states, dates and money; never identity -------------
# The allow-lists (contracts/publication.py). Left out on purpose: the staff who acted (the bus
# names roles only), every free text (circumstances, notes, reasons: they describe a family's
# situation), health facts (the nature and grade of a disability, a mental disorder), why a
# card was refused or an entitlement suspended (criminal matters), payment references, the
# visitors' names and the fallen's pay.

def _public(schema_name: str, /, **declared) -> type[Schema]:
    return Schema.from_dict(declared, name=schema_name)


def _id(what: str):
    return _s(metadata={"description": f"the {what}'s id (its stream)"})


_VETERAN = {"veteran_id": _s(metadata={"description": "pseudonymous id (the registry's)"})}
_PLACE = {"station": _s(), "township": _s()}
_RELIEF = {"application_id": _id("relief application"), **_VETERAN}
_ENTITLEMENT = {"entitlement_id": _id("entitlement"), **_VETERAN}
_CARD = {"card_id": _id("card application"), **_VETERAN}
_NO_CLOCK_YET = {"description": "the last day; null while the year it reaches has no published "
                                "holiday calendar (CardClockSet follows once it has)"}
_OFFER = {"offer_id": _id("offer"), **_VETERAN}
_MONEY = {"description": "integer fen (分)"}

PUBLIC_SCHEMAS: dict[str, type[Schema]] = {
    "ReliefApplied": _public(
        "ReliefAppliedPublicV1", **_RELIEF, **_PLACE,
        trigger=_s(validate=validate.OneOf(RELIEF_TRIGGERS)),
        amount_asked_fen=_i(metadata=_MONEY), applied_on=_d()),
    "ReliefReviewed": _public(
        "ReliefReviewedPublicV1", **_RELIEF, opinion=_s(validate=validate.OneOf(OPINIONS)),
        recommended_fen=_i(metadata=_MONEY), notice_from=_d(), notice_to=_d(),
        objections=_b(), reviewed_on=_d()),
    "ReliefApproved": _public(
        "ReliefApprovedPublicV1", **_RELIEF, approved_fen=_i(metadata=_MONEY),
        cap_fen=_i(metadata=_MONEY), special=_b(), decided_on=_d()),
    "ReliefRejected": _public("ReliefRejectedPublicV1", **_RELIEF, decided_on=_d()),
    "ReliefDisbursed": _public("ReliefDisbursedPublicV1", **_RELIEF,
                               paid_fen=_i(metadata=_MONEY), paid_on=_d()),
    "ReliefClosed": _public("ReliefClosedPublicV1", **_RELIEF, closed_on=_d()),
    "EntitlementApplied": _public(
        "EntitlementAppliedPublicV1", **_ENTITLEMENT, **_PLACE,
        kind=_s(validate=validate.OneOf(ENTITLEMENT_KINDS)),
        tie=_ns(metadata={"description": "survivor entitlements: how the fallen died"}),
        relation=_ns(), applied_on=_d(),
        offer_id=_ns(metadata={"description": "the offer it answers, if any"})),
    "EntitlementReviewed": _public("EntitlementReviewedPublicV1", **_ENTITLEMENT,
                                   opinion=_s(validate=validate.OneOf(OPINIONS)),
                                   reviewed_on=_d()),
    "EntitlementApproved": _public(
        "EntitlementApprovedPublicV1", **_ENTITLEMENT,
        amount_fen=_i(metadata={"description": "fen: yearly (periodic) or the sum (one-time)"}),
        standards_year=_i(), effective_from=_d(), decided_on=_d(), confirmation_due_on=_nd()),
    "EntitlementRejected": _public("EntitlementRejectedPublicV1", **_ENTITLEMENT,
                                   decided_on=_d()),
    "EntitlementConfirmed": _public("EntitlementConfirmedPublicV1", **_ENTITLEMENT, year=_i(),
                                    amount_fen=_i(metadata=_MONEY), confirmed_on=_d(),
                                    next_due_on=_d()),
    "EntitlementConfirmationOverdue": _public("EntitlementConfirmationOverduePublicV1",
                                              **_ENTITLEMENT, due_on=_d()),
    "EntitlementSuspended": _public("EntitlementSuspendedPublicV1", **_ENTITLEMENT,
                                    suspended_on=_d()),
    "EntitlementResumed": _public("EntitlementResumedPublicV1", **_ENTITLEMENT,
                                  resumed_on=_d()),
    "EntitlementEnded": _public(
        "EntitlementEndedPublicV1", **_ENTITLEMENT, ended_on=_d(),
        by_death=_b(metadata={"description": "the holder died (other reasons stay private)"}),
        funeral_aid_fen=_i(metadata=_MONEY)),
    "EntitlementPaid": _public("EntitlementPaidPublicV1", **_ENTITLEMENT,
                               paid_fen=_i(metadata=_MONEY), paid_on=_d()),
    "CardApplied": _public("CardAppliedPublicV1", **_CARD, **_PLACE,
                           category=_s(validate=validate.OneOf(CARD_CATEGORIES)),
                           applied_on=_d(), offer_id=_ns()),
    "CardCountyChecked": _public("CardCountyCheckedPublicV1", **_CARD, done_on=_d(),
                                 filing_due_on=_nd(metadata=_NO_CLOCK_YET)),
    "CardBureauApproved": _public("CardBureauApprovedPublicV1", **_CARD, done_on=_d()),
    "CardCityReviewed": _public("CardCityReviewedPublicV1", **_CARD, done_on=_d()),
    "CardProvinceFiled": _public("CardProvinceFiledPublicV1", **_CARD, done_on=_d()),
    "CardMade": _public("CardMadePublicV1", **_CARD, done_on=_d(),
                        handout_due_on=_nd(metadata=_NO_CLOCK_YET)),
    "CardClockSet": _public(
        "CardClockSetPublicV1", **_CARD,
        clock=_s(metadata={"description": "province_filing or handout"}), counted_from=_d(),
        due_on=_d(metadata={"description": "the last day, counted once the calendar knew "
                                           "the year"})),
    "CardHandedOut": _public("CardHandedOutPublicV1", **_CARD, done_on=_d()),
    "CardRefused": _public("CardRefusedPublicV1", **_CARD,
                           at_state=_s(metadata={"description": "where it was refused"}),
                           done_on=_d()),
    "CardFilingOverdue": _public("CardFilingOverduePublicV1", **_CARD, due_on=_d()),
    "CardHandoutOverdue": _public("CardHandoutOverduePublicV1", **_CARD, due_on=_d()),
    "OfferOpened": _public(
        "OfferOpenedPublicV1", **_OFFER, **_PLACE, kind=_s(validate=validate.OneOf(OFFER_KINDS)),
        rule=_s(metadata={"description": "the rule that opened it"}), article=_s(),
        source_event_type=_s(), opened_on=_d(), answer_due_on=_d()),
    "OfferConfirmed": _public("OfferConfirmedPublicV1", **_OFFER, answered_on=_d(),
                              case_id=_s(metadata={"description": "the application it opened"})),
    "OfferDeclined": _public("OfferDeclinedPublicV1", **_OFFER, answered_on=_d()),
    "OfferUnanswered": _public("OfferUnansweredPublicV1", **_OFFER, due_on=_d()),
    "CampaignOpened": _public(
        "CampaignOpenedPublicV1", campaign_id=_id("campaign"), name=_s(),
        kind=_s(validate=validate.OneOf(CAMPAIGN_KINDS)), starts_on=_d(), ends_on=_d(),
        budget_fen=_i(metadata=_MONEY)),
    "CampaignClosed": _public("CampaignClosedPublicV1", campaign_id=_id("campaign"),
                              closed_on=_d()),
    "VisitRecorded": _public(
        "VisitRecordedPublicV1", visit_id=_id("visit"), campaign_id=_s(), **_VETERAN, **_PLACE,
        visited_on=_d(), amount_fen=_i(metadata=_MONEY), goods_value_fen=_i(metadata=_MONEY),
        hardship_found=_b()),
    "VisitWithdrawn": _public("VisitWithdrawnPublicV1", visit_id=_id("visit"), campaign_id=_s(),
                              **_VETERAN, withdrawn_on=_d()),
    # Which service, when and where: never the provider's notes (there are none) nor health facts.
    "SocialCareProvided": _public(
        "SocialCareProvidedPublicV1", care_id=_id("social care service"), **_VETERAN, **_PLACE,
        service=_s(validate=validate.OneOf(SOCIAL_CARE_SERVICES)), provided_on=_d()),
    # The registry's own public SurvivorTieMarked says as much; the day it was noted, the family
    # stream and the registry event it came from stay in the store.
    "SurvivorTieNoted": _public("SurvivorTieNotedPublicV1", **_VETERAN,
                                tie=_s(validate=validate.OneOf(SURVIVOR_TIES))),
}
DERIVED = {"EntitlementEnded": {"by_death": lambda data: data.get("reason") == "death"}}

public_form = Publication("benefits", PUBLIC_SCHEMAS, DERIVED, stored=EVENT_SCHEMAS,
                          versions=upcast.current)
"""The payload a subscriber receives for a stored event (relay and events_after)."""


# -- domain events <-> stored payloads ------------------------------------------------------------

def to_new_event(domain_event, event_id: str | None = None) -> NewEvent:
    """Serialise a domain event (a frozen dataclass) with its stored schema."""
    schema = instance(EVENT_SCHEMAS[domain_event.event_type])
    kwargs = {"event_id": event_id} if event_id else {}
    return NewEvent(event_type=domain_event.event_type,
                    schema_version=domain_event.schema_version,
                    data=schema.dump(asdict(domain_event)), **kwargs)


def load_data(event: RecordedEvent) -> dict[str, Any]:
    """A stored payload as Python values (dates as dates), ready to build the domain event."""
    return instance(EVENT_SCHEMAS[event.event_type]).load(event.data, unknown=EXCLUDE)


# -- requests -------------------------------------------------------------------------------------

UUID = _Pattern(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
                error="must be a UUID")


def _uuid(**kw):
    return fields.String(validate=UUID, **kw)


def _fen(minimum: int = 0, metadata: dict | None = None, **kw):
    return fields.Integer(strict=True, validate=validate.Range(min=minimum, max=MAX_FEN),
                          metadata=metadata or {"description": "integer fen (分): 1 yuan = 100"},
                          **kw)


def _choice(values, **kw):
    return fields.String(validate=validate.OneOf(values), **kw)


class ApplyForReliefRequest(Schema):
    veteran_id = _uuid(required=True)
    trigger = _choice(RELIEF_TRIGGERS, required=True)
    amount_asked_fen = _fen(1, required=True)
    circumstances = _text(500, required=True,
                          metadata={"description": "what happened (personal: shown to the "
                                                   "entitled only, never published)"})
    received_on = _Date(allow_none=True,
                        metadata={"description": "the day a paper application was received, "
                                                 "at most 90 days ago; default today"})


class ReviewReliefRequest(Schema):
    opinion = _choice(OPINIONS, required=True)
    recommended_fen = _fen(required=True)
    notes = _text(500, required=True)
    notice_from = _Date(required=True, metadata={"description": "the 7-day public notice 公示"})
    notice_to = _Date(required=True, metadata={"description": "its last day, before today"})
    objections = fields.Boolean(load_default=False)


class DecideRequest(Schema):
    decision = _choice(DECISIONS, required=True)
    reason = _text(500, allow_none=True, metadata={"description": "required to reject"})


class DecideReliefRequest(DecideRequest):
    approved_fen = _fen(1, allow_none=True, metadata={"description": "fen; required to approve"})
    special = fields.Boolean(load_default=False,
                             metadata={"description": "special case: the higher cap"})
    special_reason = _text(500, allow_none=True)


class PaymentRequest(Schema):
    paid_fen = _fen(1, required=True)
    paid_on = _Date(required=True)
    reference = _text(64, required=True, metadata={"description": "the payment's own reference"})


class NoteRequest(Schema):
    note = _text(500, allow_none=True)


class ApplyForEntitlementRequest(Schema):
    veteran_id = _uuid(required=True)
    kind = _choice(ENTITLEMENT_KINDS, required=True)
    nature = _choice(NATURES, allow_none=True)
    grade = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=10))
    tie = _choice(TIES, allow_none=True)
    relation = _choice(RELATIONS, allow_none=True)
    living_category = _choice(LIVING_CATEGORIES, allow_none=True)
    mental_disorder = fields.Boolean(load_default=False)
    honour = _text(64, allow_none=True,
                   metadata={"description": "death pension: the highest honour, as the "
                                            "standards table names it"})
    monthly_pay_fen = _fen(1, allow_none=True,
                           metadata={"description": "death pension: the fallen's monthly pay"})


class ReviewEntitlementRequest(Schema):
    opinion = _choice(OPINIONS, required=True)
    notes = _text(500, required=True)


class SuspendEntitlementRequest(Schema):
    reason = _choice(SUSPENSION_REASONS, required=True)
    note = _text(500, allow_none=True)


class EndEntitlementRequest(Schema):
    reason = _choice(END_REASONS, required=True)
    note = _text(500, allow_none=True, metadata={"description": "required for fraud"})
    died_of_illness = fields.Boolean(load_default=False)
    recover_fen = _fen(load_default=0, metadata={"description": "fraud: the sum to recover"})


class ApplyForCardRequest(Schema):
    veteran_id = _uuid(required=True)
    category = _choice(CARD_CATEGORIES, required=True)


class RecordCardStepRequest(Schema):
    step = _choice(CARD_STEPS, required=True)
    done_on = _Date(required=True, metadata={"description": "the day the office did it"})


class RefuseCardRequest(Schema):
    reason = _choice(CARD_BARS, required=True)
    note = _text(500, allow_none=True)


class AnswerOfferRequest(Schema):
    answer = _choice(OFFER_ANSWERS, required=True)
    reason = _text(500, allow_none=True, metadata={"description": "why declined (optional)"})
    relation = _choice(RELATIONS, allow_none=True,
                       metadata={"description": "confirming a survivors' pension: the "
                                                "survivor's relation to the fallen"})
    tie = _choice(TIES, allow_none=True,
                  metadata={"description": "which of the veteran's survivor ties, when they "
                                           "have more than one"})
    # Confirming a relief offer opens the application: what it asks and why.
    trigger = _choice(RELIEF_TRIGGERS, allow_none=True,
                      metadata={"description": "relief: default the referral's"})
    amount_asked_fen = _fen(1, allow_none=True, metadata={"description": "relief: fen asked"})
    circumstances = _text(500, allow_none=True, metadata={"description": "relief: what happened"})


class OpenCampaignRequest(Schema):
    name = _text(100, required=True)
    kind = _choice(CAMPAIGN_KINDS, required=True)
    starts_on = _Date(required=True)
    ends_on = _Date(required=True)
    budget_fen = _fen(1, required=True)


class RecordVisitRequest(Schema):
    campaign_id = _uuid(required=True)
    veteran_id = _uuid(required=True)
    visited_on = _Date(required=True)
    visitors = _text(200, required=True, metadata={"description": "who went (posts and names)"})
    amount_fen = _fen(required=True, metadata={"description": "money handed over, fen"})
    goods = _text(200, allow_none=True)
    goods_value_fen = _fen(load_default=0)
    hardship_found = fields.Boolean(load_default=False)
    notes = _text(500, allow_none=True)


class RecordSocialCareRequest(Schema):
    veteran_id = _uuid(required=True)
    service = _choice(SOCIAL_CARE_SERVICES, required=True,
                      metadata={"description": "special_disease_check 特殊病种检查, health_record "
                                "健康档案, home_care, rehabilitation, psychological_support, "
                                "legal_consultation, other"})
    provided_on = _Date(required=True)
    provider = _text(200, required=True, metadata={"description": "who provided it (bought "
                                                   "by the bureau)"})


class WithdrawVisitRequest(Schema):
    reason = _text(500, required=True)


class EmptyRequest(Schema):
    """A step that needs nothing but the case: send {}."""


# One valid body per request, for readers of the API document and the access-matrix test.
EXAMPLES = {
    "ApplyForReliefRequest": {"veteran_id": "8c0c5f38-6f3e-4a8e-9d8e-2f1f5c8a1b2c",
                              "trigger": "illness", "amount_asked_fen": 600000,
                              "circumstances": "住院手术，自付医疗费用较高"},
    "ReviewReliefRequest": {"opinion": "support", "recommended_fen": 500000,
                            "notes": "经村、镇两级核实，情况属实", "notice_from": "2026-11-02",
                            "notice_to": "2026-11-08", "objections": False},
    "DecideReliefRequest": {"decision": "approve", "approved_fen": 500000, "special": False},
    "PaymentRequest": {"paid_fen": 500000, "paid_on": "2026-11-20",
                       "reference": "JD-2026-11-0042"},
    "NoteRequest": {"note": "回访已完成"},
    "ApplyForEntitlementRequest": {"veteran_id": "8c0c5f38-6f3e-4a8e-9d8e-2f1f5c8a1b2c",
                                   "kind": "disability_pension", "nature": "combat",
                                   "grade": 1},
    "ReviewEntitlementRequest": {"opinion": "support", "notes": "评残材料齐全"},
    "DecideRequest": {"decision": "approve"},
    "SuspendEntitlementRequest": {"reason": "imprisoned", "note": "判处有期徒刑"},
    "EndEntitlementRequest": {"reason": "death", "died_of_illness": True},
    "ApplyForCardRequest": {"veteran_id": "8c0c5f38-6f3e-4a8e-9d8e-2f1f5c8a1b2c",
                            "category": "veteran"},
    "RecordCardStepRequest": {"step": "county_check", "done_on": "2026-09-24"},
    "RefuseCardRequest": {"reason": "wanted"},
    "AnswerOfferRequest": {"answer": "confirm"},
    "OpenCampaignRequest": {"name": "2027年春节走访慰问", "kind": "festival",
                            "starts_on": "2027-01-20", "ends_on": "2027-02-20",
                            "budget_fen": 227100000},
    "RecordVisitRequest": {"campaign_id": "3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b",
                           "veteran_id": "8c0c5f38-6f3e-4a8e-9d8e-2f1f5c8a1b2c",
                           "visited_on": "2027-01-25", "visitors": "区委书记、站长",
                           "amount_fen": 50000, "goods": "米、油", "goods_value_fen": 15000},
    "WithdrawVisitRequest": {"reason": "重复登记"},
    "RecordSocialCareRequest": {"veteran_id": "8c0c5f38-6f3e-4a8e-9d8e-2f1f5c8a1b2c",
                                "service": "special_disease_check",
                                "provided_on": "2026-01-15", "provider": "金东区中医院"},
    "EmptyRequest": {},
}
# The API document shows each request's example (a schema's `Meta.example`, gateway/openapi.py).
for _name, _example in EXAMPLES.items():
    globals()[_name].Meta = type("Meta", (), {"example": _example})


# -- queries --------------------------------------------------------------------------------------

def _page():
    return _QueryInteger(load_default=1, validate=validate.Range(min=1, max=100000))


def _page_size():
    return _QueryInteger(load_default=20, validate=validate.Range(min=1, max=200))


def _station_filter():
    return fields.String(validate=[validate.Length(min=1, max=100), TEXT_QUERY],
                         metadata={"description": "one station; none: every station you reach"})


TEXT_QUERY = _Pattern(r"^[^\x00-\x1f\x7f-\x9f]*$", error="must not contain control characters")


class _Boolean(fields.Boolean):
    """true or false, as a query string spells them (and as the gateway passes them on, loaded
    and dumped: a JSON boolean)."""

    truthy, falsy = {"true", True}, {"false", False}


RELIEF_QUEUES = ("mine", "others", "done")
RELIEF_SORTS = ("state_since", "applied_on", "amount_asked_fen")


class ListReliefQuery(Schema):
    station = _station_filter()
    state = _choice(RELIEF_STATES)
    trigger = _choice(RELIEF_TRIGGERS)
    queue = _choice(RELIEF_QUEUES, metadata={
        "description": "mine: open and its next step is yours to take (your role runs it and "
                       "four eyes lets you); others: open, waiting on someone else; done: "
                       "rejected or closed"})
    sort = _choice(RELIEF_SORTS, metadata={
        "description": "state_since: since when it is in its state (days waiting); none: the "
                       "newest first"})
    order = _choice(("asc", "desc"), load_default="asc")
    page, page_size = _page(), _page_size()


class ListEntitlementsQuery(Schema):
    station = _station_filter()
    kind = _choice(ENTITLEMENT_KINDS)
    state = _choice(ENTITLEMENT_STATES)
    overdue = _Boolean(metadata={"description": "true: the yearly confirmation is overdue"})
    page, page_size = _page(), _page_size()


class ListCardsQuery(Schema):
    station = _station_filter()
    state = _choice(CARD_STATES)
    overdue = _Boolean(metadata={"description": "true: filing or hand-out overdue"})
    page, page_size = _page(), _page_size()


class ListOffersQuery(Schema):
    station = _station_filter()
    state = _choice(OFFER_STATES)
    kind = _choice(OFFER_KINDS)
    overdue = _Boolean(metadata={"description": "true: open and unanswered after 30 days"})
    page, page_size = _page(), _page_size()


class ListCampaignsQuery(Schema):
    kind = _choice(CAMPAIGN_KINDS)
    state = _choice(CAMPAIGN_STATES)
    page, page_size = _page(), _page_size()


class PriorityBeneficiariesQuery(Schema):
    station = _station_filter()
    page, page_size = _page(), _page_size()


class BenefitsFiguresQuery(Schema):
    from_ = _Date(data_key="from", metadata={"description": "first day; default 1 January"})
    to = _Date(metadata={"description": "last day; default today"})


# -- replies --------------------------------------------------------------------------------------

def _o(field):
    """A reply field that may be null or withheld."""
    field.allow_none = True
    return field


class CaseAccepted(Schema):
    id = _s(metadata={"description": "the case's id"})
    veteran_id = _ns()
    state = _s()
    version = _i(metadata={"description": "the case's stream version"})
    replayed = _b(metadata={"description": "true when this was a retried request"})


class BenefitsHistoryEntry(Schema):
    """One step of a benefits case (its own: the registry's file history also says from which
    day a change holds for the person, which a case's step does not)."""

    version = fields.Integer(required=True)
    event_type = fields.String(required=True)
    at = fields.String(required=True, metadata={"description": "when it was recorded"})
    actor = fields.String(required=True, metadata={"description": "who: <role>:<subject>"})


_CASE_READ = {
    "version": _i(),
    "state": _s(),
    "history": fields.List(fields.Nested(BenefitsHistoryEntry), required=True,
                           metadata={"description": "who did what, when (oldest first)"}),
    "deadlines": fields.List(fields.Nested(DeadlineView), required=True),
    "withheld": fields.List(fields.String(), required=True,
                            metadata={"description": "fields your role may not see"}),
}


def _reply(schema_name: str, /, **declared) -> type[Schema]:
    return Schema.from_dict({**declared, **_CASE_READ}, name=schema_name)


ReliefApplicationReply = _reply(
    "ReliefApplicationReply", application_id=_s(), veteran_id=_s(), station=_s(),
    township=_s(), trigger=_s(), amount_asked_fen=_i(), circumstances=_o(_s()),
    applied_on=_d(), handled_by=_s(), reviewed_by=_ns(), reviewed_on=_nd(), opinion=_ns(),
    recommended_fen=_ni(), review_notes=_ns(), notice_from=_nd(), notice_to=_nd(),
    objections=_o(_b()), decision=_ns(), decided_by=_ns(), decided_on=_nd(),
    approved_fen=_ni(), cap_fen=_ni(), cap_basis=_ns(), special=_o(_b()), special_reason=_ns(),
    rejection_reason=_ns(), paid_fen=_ni(), paid_on=_nd(), reference=_ns(),
    disbursed_by=_ns(), closed_on=_nd(), closing_note=_ns(),
    next_steps=fields.List(fields.String(), required=True, metadata={
        "description": "the steps the caller may take now (review, decide, disburse, close): "
                       "their roles run it and four eyes lets them (never the handler or the "
                       "reviewer a decision)"}))

EntitlementReply = _reply(
    "EntitlementReply", entitlement_id=_s(), veteran_id=_s(), station=_s(), township=_s(),
    kind=_s(), periodic=_b(), nature=_ns(), grade=_ni(), tie=_ns(), relation=_ns(),
    living_category=_ns(), mental_disorder=_o(_b()), honour=_ns(), monthly_pay_fen=_ni(),
    applied_on=_d(), handled_by=_s(), offer_id=_ns(), reviewed_by=_ns(), reviewed_on=_nd(),
    opinion=_ns(), review_notes=_ns(), decision=_ns(), decided_by=_ns(), decided_on=_nd(),
    rejection_reason=_ns(), amount_fen=_ni(), amount_basis=_ns(), standards_year=_ni(),
    effective_from=_nd(), confirmed_year=_ni(), confirmation_due_on=_nd(),
    confirmation_overdue=_b(), suspension_reason=_ns(), suspended_on=_nd(), end_reason=_ns(),
    ended_on=_nd(), end_note=_ns(), funeral_aid_months=_ni(), funeral_aid_fen=_ni(),
    recover_fen=_ni(), paid_fen=_ni(), paid_on=_nd(), reference=_ns(),
    priority=_b(metadata={"description": "an active periodic entitlement: its holder is a "
                                         "priority beneficiary 重点优抚对象"}))


class CardStepView(Schema):
    step = _s()
    done_on = _d()
    recorded_by = _s()


CardReply = _reply(
    "CardReply", card_id=_s(), veteran_id=_s(), station=_s(), township=_s(), category=_s(),
    applied_on=_d(), handled_by=_s(), offer_id=_ns(),
    steps=fields.List(fields.Nested(CardStepView), required=True),
    filing_due_on=_nd(), handout_due_on=_nd(), filing_overdue=_b(), handout_overdue=_b(),
    clocks_waiting_for_calendar=fields.List(_s(), required=True, metadata={
        "description": "running clocks with no last day yet (province_filing, handout): the "
                       "year they reach has no published holiday calendar; counted once it has"}),
    refused_at=_ns(), refused_on=_nd(), refusal_reason=_ns(), refusal_note=_ns())

OfferReply = _reply(
    "OfferReply", offer_id=_s(), veteran_id=_s(), station=_s(), township=_s(), kind=_s(),
    rule=_s(), article=_s(), explanation=_s(), source_event_type=_s(), opened_on=_d(),
    answer_due_on=_d(), unanswered=_b(), answered_by=_ns(), answered_on=_nd(), case_id=_ns(),
    decline_reason=_ns(), relief_trigger=_ns())


class StationTotals(Schema):
    station = _s()
    people = _i()
    visits = _i()
    amount_fen = _i()
    goods_value_fen = _i()


CampaignReply = _reply(
    "CampaignReply", campaign_id=_s(), name=_s(), kind=_s(), starts_on=_d(), ends_on=_d(),
    budget_fen=_i(), opened_by=_s(), closed_on=_nd(),
    people=_i(metadata={"description": "different people visited (withdrawn visits left out)"}),
    visits=_i(), amount_fen=_i(metadata={"description": "money handed over, fen"}),
    goods_value_fen=_i(), spent_fen=_i(metadata={"description": "money and goods, fen"}),
    remaining_fen=_i(metadata={"description": "budget less spent (negative: over budget)"}),
    over_budget=_b(), by_station=fields.List(fields.Nested(StationTotals), required=True))

VisitReply = _reply(
    "VisitReply", visit_id=_s(), campaign_id=_s(), veteran_id=_s(), station=_s(), township=_s(),
    visited_on=_d(), visitors=_s(), amount_fen=_i(), goods=_ns(), goods_value_fen=_i(),
    hardship_found=_b(), notes=_ns(), recorded_by=_s(), withdrawn_on=_nd(),
    withdrawal_reason=_ns())


class ReliefSummary(Schema):
    application_id, veteran_id, station, state, trigger = _s(), _s(), _s(), _s(), _s()
    amount_asked_fen, approved_fen, paid_fen = _i(), _ni(), _ni()
    applied_on, paid_on = _d(), _nd()
    state_since = fields.Date(allow_none=True, metadata={
        "description": "the day it entered its state: its days waiting count from it"})
    next_step = fields.String(allow_none=True, metadata={
        "description": "review, decide, disburse or close; null once rejected or closed"})
    yours = fields.Boolean(metadata={
        "description": "lists only: the next step is the caller's to take"})


class EntitlementSummary(Schema):
    entitlement_id, veteran_id, station, kind, state = _s(), _s(), _s(), _s(), _s()
    amount_fen, confirmation_due_on, confirmation_overdue = _ni(), _nd(), _b()
    applied_on = _d()


class CardSummary(Schema):
    card_id, veteran_id, station, category, state = _s(), _s(), _s(), _s(), _s()
    applied_on, filing_due_on, handout_due_on, overdue = _d(), _nd(), _nd(), _b()


class OfferSummary(Schema):
    offer_id, veteran_id, station, kind, rule, article, state = (
        _s(), _s(), _s(), _s(), _s(), _s(), _s())
    opened_on, answer_due_on, overdue = _d(), _d(), _b()


class CampaignSummary(Schema):
    campaign_id, name, kind, state = _s(), _s(), _s(), _s()
    starts_on, ends_on, budget_fen = _d(), _d(), _i()


class VisitSummary(Schema):
    visit_id, campaign_id, veteran_id, station, state = _s(), _s(), _s(), _s(), _s()
    visited_on, amount_fen, goods_value_fen = _d(), _i(), _i()


class PriorityBeneficiary(Schema):
    veteran_id, station, township = _s(), _s(), _s()
    kinds = fields.List(fields.String(), required=True,
                        metadata={"description": "the active periodic entitlements"})
    yearly_fen = _i(metadata={"description": "their yearly amounts together, fen"})


def _page_of(name: str, item: type[Schema]) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(item), required=True),
                             "page": _i(), "page_size": _i(), "total": _i()}, name=name)


ReliefList = _page_of("ReliefList", ReliefSummary)
EntitlementList = _page_of("EntitlementList", EntitlementSummary)
CardList = _page_of("CardList", CardSummary)
OfferList = _page_of("OfferList", OfferSummary)
CampaignList = _page_of("CampaignList", CampaignSummary)
PriorityBeneficiaryList = _page_of("PriorityBeneficiaryList", PriorityBeneficiary)


class VeteranBenefitsReply(Schema):
    """One veteran's benefits at a glance: what they hold, what is open, what they received."""

    veteran_id, station, township = _s(), _s(), _s()
    priority_beneficiary = _b()
    entitlements = fields.List(fields.Nested(EntitlementSummary), required=True)
    card = fields.Nested(CardSummary, required=True, allow_none=True)
    offers = fields.List(fields.Nested(OfferSummary), required=True)
    relief = fields.List(fields.Nested(ReliefSummary), required=True)
    visits = fields.List(fields.Nested(VisitSummary), required=True)


class BenefitsFiguresReply(Schema):
    """The yearly summary's figures for any period, from the events (money in fen)."""

    from_ = _d(data_key="from")
    to = _d()
    relief_grants = _i(metadata={"description": "grants disbursed (person-times)"})
    relief_people = _i()
    relief_paid_fen = _i()
    visits = _i()
    people_visited = _i()
    visit_amount_fen = _i()
    visit_goods_value_fen = _i()
    survivor_families_visited = _i(metadata={"description": "martyrs' families among them"})
    priority_beneficiaries = _i(metadata={"description": "today, not for the period"})
    cards_handed_out = _i()
    entitlements_approved = _i()


# -- routes (contracts/routes.py): the gateway serves, checks and documents each line ------------

_APPLICATION = "/benefits/relief-applications/{application_id}"
_ENTITLEMENT_PATH = "/benefits/entitlements/{entitlement_id}"
_CARD_PATH = "/benefits/cards/{card_id}"
_COMMAND_ERRORS = (400, 403, 404, 409, 422)
_CREATE_ERRORS = (400, 404, 409, 422)
_READ_ERRORS = (404,)
_LIST_ERRORS = (400,)


def _command(name, path, summary, request, errors=_COMMAND_ERRORS):
    return Route(name, "benefits", "POST", path, summary, request=request, reply=CaseAccepted,
                 errors=errors)


def _create(name, path, summary, request):
    return Route(name, "benefits", "POST", path, summary, request=request, reply=CaseAccepted,
                 status=201, errors=_CREATE_ERRORS)


ROUTES = (
    # hardship relief 困难帮扶
    _create("apply_relief", "/benefits/relief-applications",
            "apply for hardship relief 困难帮扶 (amounts in fen)", ApplyForReliefRequest),
    Route("list_relief", "benefits", "GET", "/benefits/relief-applications",
          "relief applications in your reach", query=ListReliefQuery, reply=ReliefList,
          errors=_LIST_ERRORS),
    Route("get_relief", "benefits", "GET", _APPLICATION,
          "one relief application: its state, history and deadlines",
          reply=ReliefApplicationReply, errors=_READ_ERRORS,
          personal=("circumstances", "review_notes", "special_reason", "rejection_reason",
                    "closing_note")),
    _command("review_relief", f"{_APPLICATION}/review",
             "review it, on the 7-day public notice that has ended", ReviewReliefRequest),
    _command("decide_relief", f"{_APPLICATION}/approval",
             "approve (within the cap) or reject: an approver who neither handled nor "
             "reviewed it", DecideReliefRequest),
    _command("disburse_relief", f"{_APPLICATION}/disbursement",
             "record the payment of the approved grant (once)", PaymentRequest),
    _command("close_relief", f"{_APPLICATION}/closure", "close a disbursed application",
             NoteRequest),
    # entitlements 优抚待遇
    _create("apply_entitlement", "/benefits/entitlements",
            "apply for an entitlement (pension, allowance, one-time benefit)",
            ApplyForEntitlementRequest),
    Route("list_entitlements", "benefits", "GET", "/benefits/entitlements",
          "entitlements in your reach (overdue=true: yearly confirmation overdue)",
          query=ListEntitlementsQuery, reply=EntitlementList, errors=_LIST_ERRORS),
    Route("get_entitlement", "benefits", "GET", _ENTITLEMENT_PATH,
          "one entitlement: its state, amount, history and deadlines", reply=EntitlementReply,
          errors=_READ_ERRORS,
          personal=("mental_disorder", "review_notes", "rejection_reason", "suspension_reason",
                    "end_reason", "end_note")),
    _command("review_entitlement", f"{_ENTITLEMENT_PATH}/review", "the county's review",
             ReviewEntitlementRequest),
    _command("decide_entitlement", f"{_ENTITLEMENT_PATH}/approval",
             "approve (amount computed from this year's standards) or reject: an approver who "
             "neither handled nor reviewed it", DecideRequest),
    _command("confirm_entitlement", f"{_ENTITLEMENT_PATH}/confirmation",
             "the yearly confirmation", EmptyRequest),
    _command("suspend_entitlement", f"{_ENTITLEMENT_PATH}/suspension",
             "suspend payment, with the reason", SuspendEntitlementRequest),
    _command("resume_entitlement", f"{_ENTITLEMENT_PATH}/resumption", "resume payment",
             EmptyRequest),
    _command("end_entitlement", f"{_ENTITLEMENT_PATH}/ending",
             "end it for good, with the reason (funeral aid on death)", EndEntitlementRequest),
    _command("pay_entitlement", f"{_ENTITLEMENT_PATH}/payment",
             "record the payment of a one-time benefit (once)", PaymentRequest),
    # the preferential-treatment card 优待证
    _create("apply_card", "/benefits/cards", "apply for the preferential-treatment card 优待证",
            ApplyForCardRequest),
    Route("list_cards", "benefits", "GET", "/benefits/cards",
          "card applications in your reach (overdue=true: filing or hand-out overdue)",
          query=ListCardsQuery, reply=CardList, errors=_LIST_ERRORS),
    Route("get_card", "benefits", "GET", _CARD_PATH,
          "one card application: its steps, history and deadlines", reply=CardReply,
          errors=_READ_ERRORS, personal=("refusal_reason", "refusal_note")),
    _command("record_card_step", f"{_CARD_PATH}/steps",
             "record an office's step (a station hands the card out)", RecordCardStepRequest),
    _command("refuse_card", f"{_CARD_PATH}/refusal", "refuse where the rules bar the card",
             RefuseCardRequest),
    # proactive offers
    Route("list_offers", "benefits", "GET", "/benefits/offers",
          "offers in your reach (overdue=true: unanswered after 30 days)",
          query=ListOffersQuery, reply=OfferList, errors=_LIST_ERRORS),
    Route("get_offer", "benefits", "GET", "/benefits/offers/{offer_id}",
          "one offer: the rule that made it, its state, history and deadline",
          reply=OfferReply, errors=_READ_ERRORS, personal=("decline_reason",)),
    _command("answer_offer", "/benefits/offers/{offer_id}/answer",
             "confirm (opens the application) or decline an offer", AnswerOfferRequest),
    # condolence visits 走访慰问
    _create("open_campaign", "/benefits/campaigns",
            "open a condolence campaign 走访慰问 with its budget", OpenCampaignRequest),
    Route("list_campaigns", "benefits", "GET", "/benefits/campaigns", "campaigns",
          query=ListCampaignsQuery, reply=CampaignList, errors=_LIST_ERRORS),
    Route("get_campaign", "benefits", "GET", "/benefits/campaigns/{campaign_id}",
          "a campaign and its totals (people, money, goods, by station)", reply=CampaignReply,
          errors=_READ_ERRORS),
    _command("close_campaign", "/benefits/campaigns/{campaign_id}/closure",
             "close a campaign: no more visits", EmptyRequest),
    _create("record_visit", "/benefits/visits",
            "record a condolence visit (who, by whom, money in fen, goods)", RecordVisitRequest),
    _create("record_social_care", "/benefits/social-care",
            "record a social care service 社会化服务 a priority beneficiary received",
            RecordSocialCareRequest),
    Route("get_visit", "benefits", "GET", "/benefits/visits/{visit_id}", "one visit",
          reply=VisitReply, errors=_READ_ERRORS, personal=("notes",)),
    _command("withdraw_visit", "/benefits/visits/{visit_id}/withdrawal",
             "withdraw a visit recorded in error (it leaves the totals)", WithdrawVisitRequest),
    # overviews
    Route("veteran_benefits", "benefits", "GET", "/benefits/veterans/{veteran_id}",
          "one veteran's benefits: entitlements, card, offers, relief, visits",
          reply=VeteranBenefitsReply, errors=_READ_ERRORS),
    Route("priority_beneficiaries", "benefits", "GET", "/benefits/priority-beneficiaries",
          "priority beneficiaries 重点优抚对象 (an active periodic entitlement), per station",
          query=PriorityBeneficiariesQuery, reply=PriorityBeneficiaryList, errors=_LIST_ERRORS),
    Route("benefits_figures", "benefits", "GET", "/benefits/figures",
          "the summary's figures for a period: relief, visits, cards, priority beneficiaries",
          query=BenefitsFiguresQuery, reply=BenefitsFiguresReply, errors=_LIST_ERRORS),
)
