"""The disputes service's contracts: its events (stored and public forms), requests, replies and routes."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from chassis.envelope import NewEvent, RecordedEvent
from contracts import instance
from contracts.deadlines import DeadlineView
from contracts.publication import Derivation, Publication
from contracts.registry import PHONE, TEXT, _Date, _Pattern, _QueryInteger, _text
from contracts.routes import Route
from contracts.versioning import Upcasters

SOURCE = "/vetlife/disputes"

# The bureau's words, as events and requests carry them (services/disputes/domain/vocabulary.py
# names them; a test keeps the two in step).
CHANNELS = ("in_person", "letter", "phone", "online")
PETITIONER_KINDS = ("veteran", "family", "group")
CATEGORIES = ("placement", "benefits", "pension", "social_insurance", "employment", "medical",
              "housing", "honours", "other")
PETITION_STATES = ("registered", "accepted", "refused", "transferred", "routed_out", "answered",
                   "under_review", "reviewed", "under_re_review", "final")
INTAKE_DECISIONS = ("accept", "refuse", "transfer", "route_out")
PROCEDURES = ("litigation", "arbitration", "administrative_reconsideration",
              "administrative_ruling")
REFUSAL_GROUNDS = ("same_facts_final", "not_within_remit", "being_handled_elsewhere", "other")
OPINION_OUTCOMES = ("support", "explain", "reject")
REVIEW_STAGES = ("review", "re_review")
REVIEW_OUTCOMES = ("upheld", "varied", "revoked")
LEVELS = ("city", "province", "capital")
ESCALATION_REASONS = ("went_higher", "went_higher_while_open", "dissatisfied", "overdue",
                      "urgent", "other")
DISPUTE_OUTCOMES = ("resolved", "unresolved")
DISPUTE_STATES = ("open", "resolved", "unresolved")
MATTER_KINDS = ("benefits_application", "card", "social_insurance", "household_registration",
                "medical", "employment", "legal", "other")
AGENT_KINDS = ("staff", "militia_head")
PROXY_OUTCOMES = ("completed", "not_completed")
PROXY_STATES = ("open", "completed", "not_completed")
# A proxy case list's queues for the staff workbench: mine (open: any case worker in reach takes
# its next step, so nothing waits on another person) and done (closed, completed or not).
PROXY_QUEUES = ("mine", "done")
HARDSHIP_TRIGGERS = ("illness", "disability_costs", "long_unemployment", "old_wound",
                     "disaster_or_accident", "other")
CASE_KINDS = ("petition", "dispute", "proxy_case")
INTAKE_RULES = ("working_days", "days", "days_calendar_unknown")

_NULLABLE = {"required": True, "allow_none": True}


def _one_of(choices, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(choices), **kwargs)


# -- events, version 1: the stored forms (personal data included; never published) ---------------

class PetitionLodgedV1(Schema):
    petition_id = fields.String(required=True)
    veteran_id = fields.String(**_NULLABLE)
    service_station = fields.String(required=True)
    channel = fields.String(required=True)
    petitioner_kind = fields.String(required=True)
    petitioner_name = fields.String(required=True)
    petitioner_phone = fields.String(**_NULLABLE)
    petitioner_address = fields.String(**_NULLABLE)
    relation = fields.String(**_NULLABLE)
    representatives = fields.List(fields.String(), required=True)
    group_size = fields.Integer(**_NULLABLE)
    category = fields.String(required=True)
    request = fields.String(required=True)
    facts = fields.String(required=True)
    received_on = fields.Date(required=True)
    urgent = fields.Boolean(required=True)
    matter_key = fields.String(required=True)
    first_time = fields.Boolean(required=True)
    earlier_petition_id = fields.String(**_NULLABLE)
    closed_matter = fields.Boolean(required=True)
    intake_due_on = fields.Date(required=True)
    intake_rule = fields.String(required=True)


class RepeatPetitionLinkedV1(Schema):
    petition_id = fields.String(required=True)
    channel = fields.String(required=True)
    petitioner_kind = fields.String(required=True)
    received_on = fields.Date(required=True)
    forwarded_from_level = fields.String(**_NULLABLE)


class PetitionAcceptedV1(Schema):
    petition_id = fields.String(required=True)
    decided_on = fields.Date(required=True)
    notice = fields.String(required=True)
    intake_late = fields.Boolean(required=True)
    opinion_due_on = fields.Date(required=True)


class PetitionRefusedV1(Schema):
    petition_id = fields.String(required=True)
    decided_on = fields.Date(required=True)
    ground = fields.String(required=True)
    reason = fields.String(required=True)
    notice = fields.String(required=True)
    intake_late = fields.Boolean(required=True)


class PetitionTransferredV1(Schema):
    petition_id = fields.String(required=True)
    decided_on = fields.Date(required=True)
    transferred_to = fields.String(required=True)
    notice = fields.String(required=True)
    intake_late = fields.Boolean(required=True)


class PetitionRoutedOutV1(Schema):
    petition_id = fields.String(required=True)
    decided_on = fields.Date(required=True)
    procedure = fields.String(required=True)
    notice = fields.String(required=True)
    intake_late = fields.Boolean(required=True)


class HandlerAssignedV1(Schema):
    petition_id = fields.String(required=True)
    handler = fields.String(required=True)
    assigned_on = fields.Date(required=True)


class PetitionMediationHeldV1(Schema):
    petition_id = fields.String(required=True)
    held_on = fields.Date(required=True)
    agreement_reached = fields.Boolean(required=True)
    summary = fields.String(required=True)


class OpinionExtensionRequestedV1(Schema):
    petition_id = fields.String(required=True)
    days = fields.Integer(required=True)
    reason = fields.String(required=True)
    requested_by = fields.String(required=True)
    requested_on = fields.Date(required=True)


class OpinionExtensionApprovedV1(Schema):
    petition_id = fields.String(required=True)
    days = fields.Integer(required=True)
    approved_by = fields.String(required=True)
    approved_on = fields.Date(required=True)
    previous_due_on = fields.Date(required=True)
    opinion_due_on = fields.Date(required=True)
    petitioner_told_on = fields.Date(required=True)


class OpinionExtensionRefusedV1(Schema):
    petition_id = fields.String(required=True)
    refused_by = fields.String(required=True)
    refused_on = fields.Date(required=True)
    note = fields.String(**_NULLABLE)


class OpinionIssuedV1(Schema):
    petition_id = fields.String(required=True)
    outcome = fields.String(required=True)
    opinion = fields.String(required=True)
    issued_on = fields.Date(required=True)
    late = fields.Boolean(required=True)
    review_request_due_on = fields.Date(required=True)


class ReviewRequestedV1(Schema):
    petition_id = fields.String(required=True)
    stage = fields.String(required=True)
    grounds = fields.String(required=True)
    requested_on = fields.Date(required=True)
    answer_due_on = fields.Date(required=True)


class ReviewAnsweredV1(Schema):
    petition_id = fields.String(required=True)
    stage = fields.String(required=True)
    outcome = fields.String(required=True)
    answer = fields.String(required=True)
    answered_on = fields.Date(required=True)
    late = fields.Boolean(required=True)
    next_request_due_on = fields.Date(**_NULLABLE)


class PetitionEscalatedV1(Schema):
    petition_id = fields.String(required=True)
    level = fields.String(required=True)
    reason_code = fields.String(required=True)
    note = fields.String(**_NULLABLE)
    escalated_on = fields.Date(required=True)


class PetitionClockRanOutV1(Schema):
    """What a petition's intake or opinion clock records when it runs out (its deadline's
    payload)."""

    petition_id = fields.String(required=True)
    due_on = fields.Date(required=True)


class PetitionStageClockRanOutV1(Schema):
    """A review stage's clock ran out: its answer (overdue) or the petitioner's window."""

    petition_id = fields.String(required=True)
    stage = fields.String(required=True)
    due_on = fields.Date(required=True)


class DisputeOpenedV1(Schema):
    dispute_id = fields.String(required=True)
    veteran_id = fields.String(**_NULLABLE)
    service_station = fields.String(required=True)
    category = fields.String(required=True)
    parties = fields.String(required=True)
    summary = fields.String(required=True)
    opened_on = fields.Date(required=True)
    petition_id = fields.String(**_NULLABLE)


class MediationSessionHeldV1(Schema):
    dispute_id = fields.String(required=True)
    session = fields.Integer(required=True)
    held_on = fields.Date(required=True)
    mediator = fields.String(required=True)
    agreement_reached = fields.Boolean(required=True)
    summary = fields.String(required=True)


class LegalAidReferredV1(Schema):
    dispute_id = fields.String(required=True)
    referred_on = fields.Date(required=True)
    means_test_waived = fields.Boolean(required=True)
    decision_due_on = fields.Date(required=True)


class LegalAidDecidedV1(Schema):
    dispute_id = fields.String(required=True)
    granted = fields.Boolean(required=True)
    decided_on = fields.Date(required=True)
    late = fields.Boolean(required=True)
    reason = fields.String(**_NULLABLE)
    lawyer_due_on = fields.Date(**_NULLABLE)


class LawyerAssignedV1(Schema):
    dispute_id = fields.String(required=True)
    lawyer = fields.String(required=True)
    firm = fields.String(**_NULLABLE)
    assigned_on = fields.Date(required=True)
    late = fields.Boolean(required=True)


class DisputeClockRanOutV1(Schema):
    dispute_id = fields.String(required=True)
    due_on = fields.Date(required=True)


class DisputeResolvedV1(Schema):
    dispute_id = fields.String(required=True)
    outcome = fields.String(required=True)
    resolved_on = fields.Date(required=True)
    summary = fields.String(required=True)


class ProxyCaseOpenedV1(Schema):
    proxy_case_id = fields.String(required=True)
    veteran_id = fields.String(required=True)
    service_station = fields.String(required=True)
    matter_kind = fields.String(required=True)
    matter = fields.String(required=True)
    agent_kind = fields.String(required=True)
    agent = fields.String(required=True)
    opened_on = fields.Date(required=True)


class ProxyStepRecordedV1(Schema):
    proxy_case_id = fields.String(required=True)
    step = fields.Integer(required=True)
    taken_on = fields.Date(required=True)
    note = fields.String(required=True)


class ProxyCaseClosedV1(Schema):
    proxy_case_id = fields.String(required=True)
    outcome = fields.String(required=True)
    closed_on = fields.Date(required=True)
    note = fields.String(**_NULLABLE)


class HardshipReferredV1(Schema):
    referral_id = fields.String(required=True)
    source = fields.String(required=True)
    source_id = fields.String(required=True)
    veteran_id = fields.String(required=True)
    service_station = fields.String(required=True)
    trigger = fields.String(required=True)
    note = fields.String(**_NULLABLE)
    referred_on = fields.Date(required=True)


EVENT_SCHEMAS: dict[str, type[Schema]] = {
    "PetitionLodged": PetitionLodgedV1,
    "RepeatPetitionLinked": RepeatPetitionLinkedV1,
    "PetitionAccepted": PetitionAcceptedV1,
    "PetitionRefused": PetitionRefusedV1,
    "PetitionTransferred": PetitionTransferredV1,
    "PetitionRoutedOut": PetitionRoutedOutV1,
    "HandlerAssigned": HandlerAssignedV1,
    "PetitionMediationHeld": PetitionMediationHeldV1,
    "OpinionExtensionRequested": OpinionExtensionRequestedV1,
    "OpinionExtensionApproved": OpinionExtensionApprovedV1,
    "OpinionExtensionRefused": OpinionExtensionRefusedV1,
    "OpinionIssued": OpinionIssuedV1,
    "ReviewRequested": ReviewRequestedV1,
    "ReviewAnswered": ReviewAnsweredV1,
    "PetitionEscalated": PetitionEscalatedV1,
    "PetitionIntakeOverdue": PetitionClockRanOutV1,
    "PetitionOpinionOverdue": PetitionClockRanOutV1,
    "PetitionReviewOverdue": PetitionStageClockRanOutV1,
    "ReviewWindowClosed": PetitionStageClockRanOutV1,
    "DisputeOpened": DisputeOpenedV1,
    "MediationSessionHeld": MediationSessionHeldV1,
    "LegalAidReferred": LegalAidReferredV1,
    "LegalAidDecided": LegalAidDecidedV1,
    "LawyerAssigned": LawyerAssignedV1,
    "LegalAidDecisionOverdue": DisputeClockRanOutV1,
    "LawyerAssignmentOverdue": DisputeClockRanOutV1,
    "DisputeResolved": DisputeResolvedV1,
    "ProxyCaseOpened": ProxyCaseOpenedV1,
    "ProxyStepRecorded": ProxyStepRecordedV1,
    "ProxyCaseClosed": ProxyCaseClosedV1,
    "HardshipReferred": HardshipReferredV1,
}
upcast = Upcasters({event_type: 1 for event_type in EVENT_SCHEMAS})


# -- what the bus carries: ids, kinds, states and dates, never what anyone said ------------------
# A petition's contents are personal: the petitioner's name, contacts and relation, the
# representatives, the request and the facts, the notices, reasons, opinions, answers and notes,
# the names of handlers, approvers, mediators, lawyers and agents stay in the disputes service.
# Free text typed by staff (an organ transferred to) stays too: nobody reviews what it says.

def _public(name: str, doc: str, **declared) -> type[Schema]:
    schema = Schema.from_dict(declared, name=name)
    schema.__doc__ = doc
    return schema


def _id(description: str = "a case id (random UUID)") -> fields.String:
    return fields.String(required=True, metadata={"description": description})


def _day(**kwargs) -> fields.Date:
    return fields.Date(required=True, **kwargs)


def _petition() -> dict:
    return {"petition_id": _id()}


def _dispute() -> dict:
    return {"dispute_id": _id()}

PUBLIC_SCHEMAS: dict[str, type[Schema]] = {
    "PetitionLodged": _public(
        "PetitionLodgedPublicV1", "A petition registered; never who, nor what it asks.",
        **_petition(), veteran_id=fields.String(**_NULLABLE, metadata={
            "description": "pseudonymous; null when the petition names no veteran"}),
        service_station=fields.String(required=True),
        channel=_one_of(CHANNELS, required=True),
        petitioner_kind=_one_of(PETITIONER_KINDS, required=True),
        representatives_count=fields.Integer(required=True, metadata={
            "description": "how many representatives a group sent (0 otherwise)"}),
        category=_one_of(CATEGORIES, required=True), received_on=_day(),
        urgent=fields.Boolean(required=True),
        first_time=fields.Boolean(required=True, metadata={"description": "初信初访"}),
        earlier_petition_id=fields.String(**_NULLABLE),
        closed_matter=fields.Boolean(required=True, metadata={
            "description": "the matter was answered finally before: flagged"}),
        intake_due_on=_day()),
    "RepeatPetitionLinked": _public(
        "RepeatPetitionLinkedPublicV1", "The same matter lodged again while open: linked.",
        **_petition(), channel=_one_of(CHANNELS, required=True),
        petitioner_kind=_one_of(PETITIONER_KINDS, required=True), received_on=_day(),
        forwarded_from_level=_one_of(LEVELS, **_NULLABLE)),
    "PetitionAccepted": _public(
        "PetitionAcceptedPublicV1", "Accepted with a written notice; the opinion's clock runs.",
        **_petition(), decided_on=_day(), intake_late=fields.Boolean(required=True),
        opinion_due_on=_day()),
    "PetitionRefused": _public(
        "PetitionRefusedPublicV1", "Refused with a written notice.",
        **_petition(), decided_on=_day(), ground=_one_of(REFUSAL_GROUNDS, required=True),
        intake_late=fields.Boolean(required=True)),
    "PetitionTransferred": _public(
        "PetitionTransferredPublicV1", "Transferred to the organ that has the matter.",
        **_petition(), decided_on=_day(), intake_late=fields.Boolean(required=True)),
    "PetitionRoutedOut": _public(
        "PetitionRoutedOutPublicV1", "Routed out to the procedure the law gives the matter.",
        **_petition(), decided_on=_day(), procedure=_one_of(PROCEDURES, required=True),
        intake_late=fields.Boolean(required=True)),
    "HandlerAssigned": _public(
        "HandlerAssignedPublicV1", "A handler took the petition; never who.",
        **_petition(), assigned_on=_day()),
    "PetitionMediationHeld": _public(
        "PetitionMediationHeldPublicV1", "Mediation on a petition.",
        **_petition(), held_on=_day(), agreement_reached=fields.Boolean(required=True)),
    "OpinionExtensionRequested": _public(
        "OpinionExtensionRequestedPublicV1", "The handler asked to extend the opinion's clock.",
        **_petition(), days=fields.Integer(required=True), requested_on=_day()),
    "OpinionExtensionApproved": _public(
        "OpinionExtensionApprovedPublicV1", "Extended once; the petitioner was told why.",
        **_petition(), days=fields.Integer(required=True), approved_on=_day(),
        previous_due_on=_day(), opinion_due_on=_day()),
    "OpinionExtensionRefused": _public(
        "OpinionExtensionRefusedPublicV1", "The extension was refused.",
        **_petition(), refused_on=_day()),
    "OpinionIssued": _public(
        "OpinionIssuedPublicV1", "The written opinion; never what it says.",
        **_petition(), outcome=_one_of(OPINION_OUTCOMES, required=True), issued_on=_day(),
        late=fields.Boolean(required=True), review_request_due_on=_day()),
    "ReviewRequested": _public(
        "ReviewRequestedPublicV1", "A review 复查 (or re-review 复核) was asked for.",
        **_petition(), stage=_one_of(REVIEW_STAGES, required=True), requested_on=_day(),
        answer_due_on=_day()),
    "ReviewAnswered": _public(
        "ReviewAnsweredPublicV1", "A review (or re-review) was answered.",
        **_petition(), stage=_one_of(REVIEW_STAGES, required=True),
        outcome=_one_of(REVIEW_OUTCOMES, required=True), answered_on=_day(),
        late=fields.Boolean(required=True),
        next_request_due_on=fields.Date(**_NULLABLE, metadata={
            "description": "null after a re-review: the petition is final"})),
    "PetitionEscalated": _public(
        "PetitionEscalatedPublicV1", "An escalation above the district (零赴省进京 counts it).",
        **_petition(), level=_one_of(LEVELS, required=True),
        reason_code=_one_of(ESCALATION_REASONS, required=True), escalated_on=_day()),
    "PetitionIntakeOverdue": _public(
        "PetitionIntakeOverduePublicV1", "No intake decision by the end of its due day.",
        **_petition(), due_on=_day()),
    "PetitionOpinionOverdue": _public(
        "PetitionOpinionOverduePublicV1", "No opinion by the end of its due day.",
        **_petition(), due_on=_day()),
    "PetitionReviewOverdue": _public(
        "PetitionReviewOverduePublicV1", "A review (or re-review) not answered in time.",
        **_petition(), stage=_one_of(REVIEW_STAGES, required=True), due_on=_day()),
    "ReviewWindowClosed": _public(
        "ReviewWindowClosedPublicV1", "No review (or re-review) asked in time: final.",
        **_petition(), stage=_one_of(REVIEW_STAGES, required=True), due_on=_day()),
    "DisputeOpened": _public(
        "DisputeOpenedPublicV1", "A dispute 矛盾纠纷 opened; never the parties or what it is about.",
        **_dispute(), veteran_id=fields.String(**_NULLABLE),
        service_station=fields.String(required=True),
        category=_one_of(CATEGORIES, required=True), opened_on=_day(),
        petition_id=fields.String(**_NULLABLE)),
    "MediationSessionHeld": _public(
        "MediationSessionHeldPublicV1", "A mediation session 调解, agreement reached or not.",
        **_dispute(), session=fields.Integer(required=True), held_on=_day(),
        agreement_reached=fields.Boolean(required=True)),
    "LegalAidReferred": _public(
        "LegalAidReferredPublicV1", "Referred for legal aid 法律援助; the decision's clock runs.",
        **_dispute(), referred_on=_day(), means_test_waived=fields.Boolean(required=True),
        decision_due_on=_day()),
    "LegalAidDecided": _public(
        "LegalAidDecidedPublicV1", "Legal aid granted or refused.",
        **_dispute(), granted=fields.Boolean(required=True), decided_on=_day(),
        late=fields.Boolean(required=True), lawyer_due_on=fields.Date(**_NULLABLE)),
    "LawyerAssigned": _public(
        "LawyerAssignedPublicV1", "A lawyer was assigned; never who.",
        **_dispute(), assigned_on=_day(), late=fields.Boolean(required=True)),
    "LegalAidDecisionOverdue": _public(
        "LegalAidDecisionOverduePublicV1", "No legal-aid decision in time.",
        **_dispute(), due_on=_day()),
    "LawyerAssignmentOverdue": _public(
        "LawyerAssignmentOverduePublicV1", "No lawyer assigned in time.",
        **_dispute(), due_on=_day()),
    "DisputeResolved": _public(
        "DisputeResolvedPublicV1", "The dispute closed, resolved or not.",
        **_dispute(), outcome=_one_of(DISPUTE_OUTCOMES, required=True), resolved_on=_day()),
    "ProxyCaseOpened": _public(
        "ProxyCaseOpenedPublicV1", "A proxy case 权益维护代办 opened; never what or by whom.",
        proxy_case_id=_id(), veteran_id=fields.String(required=True),
        service_station=fields.String(required=True),
        matter_kind=_one_of(MATTER_KINDS, required=True),
        agent_kind=_one_of(AGENT_KINDS, required=True), opened_on=_day()),
    "ProxyStepRecorded": _public(
        "ProxyStepRecordedPublicV1", "A step taken on a proxy case.",
        proxy_case_id=_id(), step=fields.Integer(required=True), taken_on=_day()),
    "ProxyCaseClosed": _public(
        "ProxyCaseClosedPublicV1", "A proxy case closed, completed or not.",
        proxy_case_id=_id(), outcome=_one_of(PROXY_OUTCOMES, required=True), closed_on=_day()),
    "HardshipReferred": _public(
        "HardshipReferredPublicV1",
        "Hardship found in a case: the benefits service may open relief for the veteran "
        "(read their file through the gateway); the note stays in the disputes service.",
        referral_id=_id("the referral's id: deduplicate on it"),
        source=_one_of(CASE_KINDS, required=True), source_id=_id("the case it came from"),
        veteran_id=fields.String(required=True), service_station=fields.String(required=True),
        trigger=_one_of(HARDSHIP_TRIGGERS, required=True), referred_on=_day()),
}


def _count(field: str) -> Derivation:
    def count(data: dict) -> int:
        return len(data.get(field) or ())

    return count


DERIVED: dict[str, dict[str, Derivation]] = {
    "PetitionLodged": {"representatives_count": _count("representatives")},
}

public_form = Publication("disputes", PUBLIC_SCHEMAS, DERIVED, stored=EVENT_SCHEMAS,
                          versions=upcast.current)
"""The payload a subscriber receives for a stored event; NotPublishable for a type without one."""


# -- domain events <-> stored payloads ------------------------------------------------------------

def to_new_event(domain_event, occurred_at=None) -> NewEvent:
    """Serialise a domain event (a frozen dataclass) with its stored schema."""
    schema = instance(EVENT_SCHEMAS[domain_event.event_type])
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(domain_event).items()}
    extra = {} if occurred_at is None else {"occurred_at": occurred_at}
    return NewEvent(event_type=domain_event.event_type,
                    schema_version=domain_event.schema_version, data=schema.dump(values),
                    **extra)


def load_data(event: RecordedEvent) -> dict[str, Any]:
    """A stored payload as Python values (dates as dates), ready to build the domain event."""
    data = instance(EVENT_SCHEMAS[event.event_type]).load(event.data, unknown=EXCLUDE)
    if "representatives" in data:
        data["representatives"] = tuple(data["representatives"])
    return data


# -- requests (HTTP bodies) -----------------------------------------------------------------------

UUID = _Pattern(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                error="must be a lowercase UUID, like 3f2b9c1e-8a4d-4e6f-9b1a-2c3d4e5f6a7b")


def _uuid(**kwargs) -> fields.String:
    return fields.String(validate=UUID, **kwargs)


def _flag(description: str) -> fields.Boolean:
    return fields.Boolean(load_default=False, metadata={"description": description})


class _Names(fields.List):
    """A list of names. A problem with any of them is reported on the list itself, as a list of
    strings: the error body's `fields` maps a field to its problems, never to a nested object."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as exc:
            if not isinstance(exc.messages, dict):
                raise
            raise ValidationError(sorted({f"name {index + 1}: {problem}"
                                          for index, problems in exc.messages.items()
                                          for problem in problems})) from None


_VETERAN = "3f2b9c1e-8a4d-4e6f-9b1a-2c3d4e5f6a7b"
_STATION = "多湖街道退役军人服务站"


class LodgePetitionRequest(Schema):
    class Meta:
        example = {
            "veteran_id": _VETERAN, "service_station": _STATION, "channel": "in_person",
            "petitioner_kind": "veteran", "petitioner_name": "陈志强",
            "petitioner_phone": "13857912345", "category": "benefits",
            "request": "请求核实并补发2019年以来的定期生活补助",
            "facts": "本人1988年入伍，2019年起定期生活补助停发，多次询问未果。"}

    veteran_id = _uuid(allow_none=True, metadata={
        "description": "the veteran the matter concerns; a veteran's own token lodges for "
                       "their own file whatever this says"})
    service_station = _text(required=True)
    channel = _one_of(CHANNELS, required=True)
    petitioner_kind = _one_of(PETITIONER_KINDS, required=True)
    petitioner_name = _text(required=True)
    petitioner_phone = fields.String(allow_none=True, validate=[validate.Length(max=20), PHONE])
    petitioner_address = _text(200, allow_none=True)
    relation = _text(allow_none=True, metadata={"description": "a family member's relation"})
    representatives = _Names(_text(), load_default=list, validate=validate.Length(max=20),
                                  metadata={"description": "a group's representatives: at most "
                                                           "5 (checked by the service)"})
    group_size = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100000))
    category = _one_of(CATEGORIES, required=True)
    request = _text(2000, required=True, metadata={"description": "what the petitioner asks"})
    facts = _text(4000, required=True)
    received_on = _Date(allow_none=True, metadata={"description": "a letter's day of receipt; "
                                                                  "default today"})
    urgent = _flag("an urgent matter, reported upward (Art. 25)")
    same_matter_as = _uuid(allow_none=True, metadata={
        "description": "an earlier petition on the same matter"})
    separate_matter = _flag("a matter of its own, though the veteran and category match another")
    forwarded_from_level = _one_of(LEVELS, allow_none=True, metadata={
        "description": "passed down by the city, province or capital: an escalation"})


class DecideIntakeRequest(Schema):
    class Meta:
        example = {"decision": "accept",
                   "notice": "您反映的定期生活补助问题已于今日受理，将在60日内书面答复。"}

    decision = _one_of(INTAKE_DECISIONS, required=True)
    notice = _text(2000, required=True, metadata={"description": "the written notice (书面告知)"})
    ground = _one_of(REFUSAL_GROUNDS, allow_none=True, metadata={"description": "for refuse"})
    reason = _text(2000, allow_none=True, metadata={"description": "for refuse"})
    transferred_to = _text(allow_none=True, metadata={"description": "for transfer: the organ"})
    procedure = _one_of(PROCEDURES, allow_none=True, metadata={"description": "for route_out"})


class AssignHandlerRequest(Schema):
    class Meta:
        example = {"handler": "officer-wang"}

    handler = _text(required=True, metadata={"description": "the handler's staff id (token sub)"})


class PetitionMediationRequest(Schema):
    class Meta:
        example = {"agreement_reached": True, "summary": "经调解，双方同意补发并按月发放。"}

    agreement_reached = fields.Boolean(required=True)
    summary = _text(2000, required=True)
    held_on = _Date(allow_none=True, metadata={"description": "default today"})


class RequestExtensionRequest(Schema):
    class Meta:
        example = {"days": 30, "reason": "需向市人社局调取2019年以来的发放记录，核实需时。"}

    days = fields.Integer(required=True, validate=validate.Range(min=1, max=365),
                          metadata={"description": "up to 30 by default (the service checks)"})
    reason = _text(2000, required=True, metadata={"description": "told to the petitioner"})


class DecideExtensionRequest(Schema):
    class Meta:
        example = {"approve": True}

    approve = fields.Boolean(required=True)
    note = _text(2000, allow_none=True)


class IssueOpinionRequest(Schema):
    class Meta:
        example = {"outcome": "support", "opinion": "经核实，符合定期生活补助条件，自本月起恢复发放并补发。"}

    outcome = _one_of(OPINION_OUTCOMES, required=True)
    opinion = _text(4000, required=True)


class RequestReviewRequest(Schema):
    class Meta:
        example = {"grounds": "补发期间计算有误，应自2018年起算。"}

    grounds = _text(4000, required=True)
    stage = _one_of(REVIEW_STAGES, allow_none=True, metadata={
        "description": "review 复查 or re_review 复核; checked against the petition when given"})


class AnswerReviewRequest(Schema):
    class Meta:
        example = {"outcome": "upheld", "answer": "经复查，原处理意见认定事实清楚，予以维持。"}

    outcome = _one_of(REVIEW_OUTCOMES, required=True)
    answer = _text(4000, required=True)
    stage = _one_of(REVIEW_STAGES, allow_none=True)


class RecordEscalationRequest(Schema):
    class Meta:
        example = {"level": "city", "reason": "dissatisfied"}

    level = _one_of(LEVELS, required=True)
    reason = _one_of(ESCALATION_REASONS, required=True)
    note = _text(2000, allow_none=True)
    escalated_on = _Date(allow_none=True, metadata={"description": "default today"})


class OpenDisputeRequest(Schema):
    class Meta:
        example = {"veteran_id": _VETERAN, "service_station": _STATION, "category": "housing",
                   "parties": "退役军人与村委会", "summary": "宅基地边界纠纷。"}

    veteran_id = _uuid(allow_none=True)
    service_station = _text(required=True)
    category = _one_of(CATEGORIES, required=True)
    parties = _text(500, required=True)
    summary = _text(4000, required=True)
    petition_id = _uuid(allow_none=True, metadata={"description": "the petition it came from"})


class RecordMediationRequest(Schema):
    class Meta:
        example = {"mediator": "老兵调解员周建国", "agreement_reached": False,
                   "summary": "双方各自陈述，约定下周再调。"}

    mediator = _text(required=True)
    agreement_reached = fields.Boolean(required=True)
    summary = _text(2000, required=True)
    held_on = _Date(allow_none=True)


class ReferLegalAidRequest(Schema):
    class Meta:
        example = {"martyr_family_defending_name": False}

    martyr_family_defending_name = _flag("a martyr's relatives defending the martyr's name: no "
                                         "means test")


class DecideLegalAidRequest(Schema):
    class Meta:
        example = {"granted": True}

    granted = fields.Boolean(required=True)
    reason = _text(2000, allow_none=True, metadata={"description": "required when refused"})


class AssignLawyerRequest(Schema):
    class Meta:
        example = {"lawyer": "李律师", "firm": "金华市法律援助中心"}

    lawyer = _text(required=True)
    firm = _text(allow_none=True)


class ResolveDisputeRequest(Schema):
    class Meta:
        example = {"outcome": "resolved", "summary": "达成调解协议，重新确定边界。"}

    outcome = _one_of(DISPUTE_OUTCOMES, required=True)
    summary = _text(2000, required=True)


class OpenProxyCaseRequest(Schema):
    class Meta:
        example = {"veteran_id": _VETERAN, "service_station": _STATION,
                   "matter_kind": "social_insurance", "matter": "代办养老保险关系转移接续",
                   "agent_kind": "militia_head", "agent": "民兵连长张伟"}

    veteran_id = _uuid(required=True, metadata={"description": "for whom"})
    service_station = _text(required=True)
    matter_kind = _one_of(MATTER_KINDS, required=True)
    matter = _text(2000, required=True, metadata={"description": "what"})
    agent_kind = _one_of(AGENT_KINDS, required=True)
    agent = _text(required=True, metadata={"description": "by whom"})


class RecordProxyStepRequest(Schema):
    class Meta:
        example = {"note": "到区社保中心递交转移申请。"}

    note = _text(2000, required=True)
    taken_on = _Date(allow_none=True)


class CloseProxyCaseRequest(Schema):
    class Meta:
        example = {"outcome": "completed"}

    outcome = _one_of(PROXY_OUTCOMES, required=True)
    note = _text(2000, allow_none=True)


class ReferHardshipRequest(Schema):
    class Meta:
        example = {"source": "petition", "source_id": "0b5c7f3e-1d2a-4c8b-9e6f-7a8b9c0d1e2f",
                   "trigger": "illness"}

    source = _one_of(CASE_KINDS, required=True)
    source_id = _uuid(required=True)
    trigger = _one_of(HARDSHIP_TRIGGERS, required=True)
    note = _text(2000, allow_none=True)
    veteran_id = _uuid(allow_none=True, metadata={"description": "when the case names none"})


class ListPetitionsQuery(Schema):
    overdue = fields.Boolean(metadata={"description": "true: only petitions with a clock run out"})
    handler = fields.String(validate=[validate.Length(min=1, max=100), TEXT])
    station = fields.String(validate=[validate.Length(min=1, max=100), TEXT])
    state = _one_of(PETITION_STATES)
    veteran_id = _uuid(metadata={"description": "one veteran's petitions"})
    page = _QueryInteger(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = _QueryInteger(load_default=20, validate=validate.Range(min=1, max=200))


class ListProxyCasesQuery(Schema):
    veteran_id = _uuid(metadata={"description": "one veteran's proxy cases"})
    station = fields.String(validate=[validate.Length(min=1, max=100), TEXT])
    state = _one_of(PROXY_STATES)
    queue = _one_of(PROXY_QUEUES, metadata={
        "description": "mine: open, its next step is any case worker's in reach; done: closed "
                       "(completed or not)"})
    page = _QueryInteger(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = _QueryInteger(load_default=20, validate=validate.Range(min=1, max=200))


class FiguresQuery(Schema):
    from_ = _Date(data_key="from", metadata={"description": "first day; default 1 January"})
    to = _Date(metadata={"description": "last day; default today"})
    station = fields.String(validate=[validate.Length(min=1, max=100), TEXT])


# -- replies ----------------------------------------------------------------------------------------

class CaseCommandAccepted(Schema):
    kind = _one_of(CASE_KINDS, required=True)
    case_id = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "the case's stream version"})
    replayed = fields.Boolean(required=True,
                              metadata={"description": "true when this was a retried request"})
    veteran_id = fields.String(**_NULLABLE)


class PetitionLodgedReply(CaseCommandAccepted):
    linked = fields.Boolean(required=True, metadata={
        "description": "true: the matter had an open petition, this lodging is linked to it "
                       "(case_id is that petition)"})
    first_time = fields.Boolean(required=True, metadata={"description": "初信初访"})
    closed_matter = fields.Boolean(required=True, metadata={
        "description": "the matter was answered finally before: it can only be refused"})


class HardshipReferralAccepted(CaseCommandAccepted):
    referral_id = fields.String(required=True)


class CaseHistoryEntry(Schema):
    version = fields.Integer(required=True)
    event_type = fields.String(required=True)
    at = fields.String(required=True, metadata={"description": "when it was recorded"})
    actor = fields.String(required=True, metadata={"description": "who: <role>:<subject>, or "
                                                                   "system:deadlines"})


class Petitioner(Schema):
    kind = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    relation = fields.String(allow_none=True)
    representatives = fields.List(fields.String(), required=True)
    group_size = fields.Integer(allow_none=True)


class PetitionIntake(Schema):
    decision = fields.String(required=True)
    decided_on = fields.Date(required=True)
    notice = fields.String(required=True)
    late = fields.Boolean(required=True)
    ground = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    transferred_to = fields.String(allow_none=True)
    procedure = fields.String(allow_none=True)


class OpinionExtension(Schema):
    state = fields.String(required=True, metadata={"description": "requested, approved, refused "
                                                                  "or lapsed"})
    days = fields.Integer(required=True)
    reason = fields.String(required=True)
    requested_by = fields.String(required=True)
    requested_on = fields.Date(required=True)
    decided_by = fields.String(allow_none=True)
    decided_on = fields.Date(allow_none=True)
    previous_due_on = fields.Date(allow_none=True)
    petitioner_told_on = fields.Date(allow_none=True)


class PetitionOpinion(Schema):
    outcome = fields.String(required=True)
    text = fields.String(required=True)
    issued_on = fields.Date(required=True)
    late = fields.Boolean(required=True)


class PetitionReview(Schema):
    stage = fields.String(required=True)
    grounds = fields.String(required=True)
    requested_on = fields.Date(required=True)
    answer_due_on = fields.Date(required=True)
    outcome = fields.String(allow_none=True)
    answer = fields.String(allow_none=True)
    answered_on = fields.Date(allow_none=True)
    late = fields.Boolean(allow_none=True)


class PetitionMediation(Schema):
    held_on = fields.Date(required=True)
    agreement_reached = fields.Boolean(required=True)
    summary = fields.String(required=True)


class PetitionEscalation(Schema):
    level = fields.String(required=True)
    reason = fields.String(required=True)
    note = fields.String(allow_none=True)
    escalated_on = fields.Date(required=True)


class PetitionRepeat(Schema):
    channel = fields.String(required=True)
    petitioner_kind = fields.String(required=True)
    received_on = fields.Date(required=True)
    forwarded_from_level = fields.String(allow_none=True)


class HardshipReferralEntry(Schema):
    referral_id = fields.String(required=True)
    trigger = fields.String(required=True)
    note = fields.String(allow_none=True)
    referred_on = fields.Date(required=True)


def _nested_list(schema) -> fields.List:
    return fields.List(fields.Nested(schema), required=True)


class PetitionReply(Schema):
    """One petition: its state, what was asked and answered, its history and its clocks."""

    petition_id = fields.String(required=True)
    version = fields.Integer(required=True)
    veteran_id = fields.String(**_NULLABLE)
    service_station = fields.String(required=True)
    state = _one_of(PETITION_STATES, required=True)
    category = fields.String(required=True)
    channel = fields.String(required=True)
    urgent = fields.Boolean(required=True)
    first_time = fields.Boolean(required=True)
    closed_matter = fields.Boolean(required=True)
    earlier_petition_id = fields.String(**_NULLABLE)
    received_on = fields.Date(required=True)
    intake_due_on = fields.Date(required=True)
    intake_rule = _one_of(INTAKE_RULES, required=True)
    opinion_due_on = fields.Date(**_NULLABLE)
    review_request_due_on = fields.Date(**_NULLABLE, metadata={
        "description": "the open window to ask for a review or re-review"})
    handler = fields.String(**_NULLABLE)
    overdue = fields.List(fields.String(), required=True,
                          metadata={"description": "clocks that ran out and are not met"})
    petitioner = fields.Nested(Petitioner, required=True)
    request = fields.String(required=True)
    facts = fields.String(required=True)
    intake = fields.Nested(PetitionIntake, **_NULLABLE)
    extension = fields.Nested(OpinionExtension, **_NULLABLE)
    opinion = fields.Nested(PetitionOpinion, **_NULLABLE)
    reviews = _nested_list(PetitionReview)
    mediation = _nested_list(PetitionMediation)
    escalations = _nested_list(PetitionEscalation)
    repeats = _nested_list(PetitionRepeat)
    hardship_referrals = _nested_list(HardshipReferralEntry)
    deadlines = _nested_list(DeadlineView)
    history = _nested_list(CaseHistoryEntry)


class PetitionSummary(Schema):
    """A row of the petition list: ids, states and dates; nothing anyone wrote."""

    petition_id = fields.String(required=True)
    veteran_id = fields.String(**_NULLABLE)
    service_station = fields.String(required=True)
    category = fields.String(required=True)
    channel = fields.String(required=True)
    state = fields.String(required=True)
    first_time = fields.Boolean(required=True)
    closed_matter = fields.Boolean(required=True)
    handler = fields.String(**_NULLABLE)
    received_on = fields.Date(required=True)
    intake_due_on = fields.Date(required=True)
    opinion_due_on = fields.Date(**_NULLABLE)
    overdue = fields.List(fields.String(), required=True,
                          metadata={"description": "the clocks that ran out, unmet"})
    escalations = fields.Integer(required=True)
    repeats = fields.Integer(required=True)


class PetitionListReply(Schema):
    items = _nested_list(PetitionSummary)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True)


class MediationSession(Schema):
    session = fields.Integer(required=True)
    held_on = fields.Date(required=True)
    mediator = fields.String(required=True)
    agreement_reached = fields.Boolean(required=True)
    summary = fields.String(required=True)


class LegalAid(Schema):
    state = fields.String(required=True, metadata={
        "description": "none, referred, granted, refused or lawyer_assigned"})
    referred_on = fields.Date(allow_none=True)
    means_test_waived = fields.Boolean(allow_none=True)
    decision_due_on = fields.Date(allow_none=True)
    granted = fields.Boolean(allow_none=True)
    decided_on = fields.Date(allow_none=True)
    decision_late = fields.Boolean(allow_none=True)
    reason = fields.String(allow_none=True)
    lawyer_due_on = fields.Date(allow_none=True)
    lawyer = fields.String(allow_none=True)
    firm = fields.String(allow_none=True)
    assigned_on = fields.Date(allow_none=True)
    assignment_late = fields.Boolean(allow_none=True)


class DisputeResolution(Schema):
    outcome = fields.String(required=True)
    resolved_on = fields.Date(required=True)
    summary = fields.String(required=True)


class DisputeReply(Schema):
    """One dispute: the parties, the mediation sessions, legal aid, the outcome, the clocks."""

    dispute_id = fields.String(required=True)
    version = fields.Integer(required=True)
    veteran_id = fields.String(**_NULLABLE)
    service_station = fields.String(required=True)
    state = _one_of(DISPUTE_STATES, required=True)
    category = fields.String(required=True)
    parties = fields.String(required=True)
    summary = fields.String(required=True)
    opened_on = fields.Date(required=True)
    petition_id = fields.String(**_NULLABLE)
    overdue = fields.List(fields.String(), required=True)
    sessions = _nested_list(MediationSession)
    legal_aid = fields.Nested(LegalAid, required=True)
    resolution = fields.Nested(DisputeResolution, **_NULLABLE)
    hardship_referrals = _nested_list(HardshipReferralEntry)
    deadlines = _nested_list(DeadlineView)
    history = _nested_list(CaseHistoryEntry)


class ProxyStep(Schema):
    step = fields.Integer(required=True)
    taken_on = fields.Date(required=True)
    note = fields.String(required=True)


class ProxyClosure(Schema):
    outcome = fields.String(required=True)
    closed_on = fields.Date(required=True)
    note = fields.String(allow_none=True)


class ProxyCaseReply(Schema):
    """One proxy case: what, for whom, by whom, the steps and the outcome."""

    proxy_case_id = fields.String(required=True)
    version = fields.Integer(required=True)
    veteran_id = fields.String(required=True)
    service_station = fields.String(required=True)
    state = _one_of(PROXY_STATES, required=True)
    matter_kind = fields.String(required=True)
    matter = fields.String(required=True)
    agent_kind = fields.String(required=True)
    agent = fields.String(required=True)
    opened_on = fields.Date(required=True)
    steps = _nested_list(ProxyStep)
    closure = fields.Nested(ProxyClosure, **_NULLABLE)
    hardship_referrals = _nested_list(HardshipReferralEntry)
    history = _nested_list(CaseHistoryEntry)
    next_steps = fields.List(fields.String(), metadata={
        "description": "the steps the caller may take now, each its route's last path segment "
                       "(steps, outcome): the case is open and the caller's role runs it"})


class ProxyCaseSummary(Schema):
    """A row of the proxy case list: for whom, where, what kind, how far; never what or by whom."""

    proxy_case_id = fields.String(required=True)
    veteran_id = fields.String(required=True)
    service_station = fields.String(required=True)
    matter_kind = fields.String(required=True)
    agent_kind = fields.String(required=True)
    state = _one_of(PROXY_STATES, required=True)
    opened_on = fields.Date(required=True)
    closed_on = fields.Date(**_NULLABLE)
    steps = fields.Integer(required=True)


class ProxyCaseListReply(Schema):
    items = _nested_list(ProxyCaseSummary)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True)


class PetitionFigures(Schema):
    lodged = fields.Integer(required=True)
    first_time = fields.Integer(required=True, metadata={"description": "初信初访"})
    repeats_linked = fields.Integer(required=True)
    accepted = fields.Integer(required=True)
    refused = fields.Integer(required=True)
    transferred = fields.Integer(required=True)
    routed_out = fields.Integer(required=True)
    intake_late = fields.Integer(required=True)
    extended = fields.Integer(required=True)
    opinions = fields.Integer(required=True)
    opinions_late = fields.Integer(required=True)
    reviews_requested = fields.Integer(required=True)
    re_reviews_requested = fields.Integer(required=True)
    overdue_events = fields.Integer(required=True, metadata={
        "description": "clocks that ran out within the period"})
    overdue_now = fields.Integer(required=True, metadata={
        "description": "petitions with a clock run out and unmet, today"})


class EscalationItem(Schema):
    petition_id = fields.String(required=True)
    service_station = fields.String(required=True)
    level = fields.String(required=True)
    reason = fields.String(required=True)
    escalated_on = fields.Date(required=True)


class EscalationFigures(Schema):
    total = fields.Integer(required=True)
    city = fields.Integer(required=True)
    province = fields.Integer(required=True)
    capital = fields.Integer(required=True)
    to_province_or_capital = fields.Integer(required=True, metadata={
        "description": "what 零赴省进京 counts: the target is 0"})
    target_met = fields.Boolean(required=True)
    items = _nested_list(EscalationItem)


class DisputeFigures(Schema):
    opened = fields.Integer(required=True)
    resolved = fields.Integer(required=True)
    unresolved = fields.Integer(required=True)
    mediation_sessions = fields.Integer(required=True)
    agreements = fields.Integer(required=True)
    legal_aid_referrals = fields.Integer(required=True)
    legal_aid_granted = fields.Integer(required=True)


class ProxyFigures(Schema):
    opened = fields.Integer(required=True)
    completed = fields.Integer(required=True, metadata={"description": "完成权益维护代办"})
    not_completed = fields.Integer(required=True)


class FiguresReply(Schema):
    """The bureau's figures for a period: counts and the escalations, no personal field."""

    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    station = fields.String(**_NULLABLE)
    petitions = fields.Nested(PetitionFigures, required=True)
    escalations = fields.Nested(EscalationFigures, required=True)
    disputes = fields.Nested(DisputeFigures, required=True)
    proxy_cases = fields.Nested(ProxyFigures, required=True)
    hardship_referrals = fields.Integer(required=True)


# -- operations served through the gateway's generic routes (contracts/routes.py) ----------------

_P = "/disputes/petitions/{petition_id}"
_D = "/disputes/cases/{dispute_id}"
_X = "/disputes/proxy-cases/{proxy_case_id}"
# What a petition, dispute or proxy case read shows that is personal: a read is audited.
PETITION_PERSONAL = ("petitioner", "request", "facts", "intake", "extension", "opinion",
                     "reviews", "mediation", "escalations", "hardship_referrals")
DISPUTE_PERSONAL = ("parties", "summary", "sessions", "legal_aid", "resolution",
                    "hardship_referrals")
PROXY_PERSONAL = ("matter", "agent", "steps", "closure", "hardship_referrals")
_CHANGE = (400, 404, 409, 422)
_CREATE = (400, 403, 404, 409, 422)


def _command(name: str, method: str, path: str, summary: str, request, **kwargs) -> Route:
    return Route(name, "disputes", method, path, summary, request=request,
                 reply=CaseCommandAccepted, errors=_CHANGE, **kwargs)


ROUTES = (
    Route("lodge_petition", "disputes", "POST", "/disputes/petitions",
          "lodge a petition 信访 (registered at once; the same matter while open is linked)",
          request=LodgePetitionRequest, reply=PetitionLodgedReply, status=201, errors=_CREATE),
    Route("list_petitions", "disputes", "GET", "/disputes/petitions",
          "petitions by state, handler or station; overdue=true: those with a clock run out",
          query=ListPetitionsQuery, reply=PetitionListReply, errors=(400,)),
    Route("get_petition", "disputes", "GET", _P,
          "one petition: state, contents, history and its clocks with due dates",
          reply=PetitionReply, personal=PETITION_PERSONAL, errors=(404,)),
    _command("decide_intake", "POST", f"{_P}/acceptance",
             "accept, refuse, transfer or route out, with the written notice", DecideIntakeRequest),
    _command("assign_handler", "PUT", f"{_P}/handler", "assign the handler", AssignHandlerRequest),
    _command("record_petition_mediation", "POST", f"{_P}/mediation-sessions",
             "record mediation on a petition", PetitionMediationRequest),
    _command("request_extension", "POST", f"{_P}/extension",
             "ask to extend the opinion's clock (once, up to 30 days)", RequestExtensionRequest),
    Route("decide_extension", "disputes", "POST", f"{_P}/extension/decision",
          "approve or refuse the extension (an approver, never on their own case)",
          request=DecideExtensionRequest, reply=CaseCommandAccepted,
          errors=(400, 403, 404, 409, 422)),
    _command("issue_opinion", "POST", f"{_P}/opinion",
             "issue the written opinion: support, explain or reject", IssueOpinionRequest),
    _command("request_review", "POST", f"{_P}/review-requests",
             "ask for a review 复查 (or, after it, a re-review 复核) within the window",
             RequestReviewRequest),
    _command("answer_review", "POST", f"{_P}/review-answers",
             "record the review's (or re-review's) answer", AnswerReviewRequest),
    _command("record_escalation", "POST", f"{_P}/escalations",
             "record an escalation to the city, province or capital", RecordEscalationRequest),
    Route("open_dispute", "disputes", "POST", "/disputes/cases", "open a dispute 矛盾纠纷",
          request=OpenDisputeRequest, reply=CaseCommandAccepted, status=201, errors=_CREATE),
    Route("get_dispute", "disputes", "GET", _D,
          "one dispute: sessions, legal aid, outcome and its clocks", reply=DisputeReply,
          personal=DISPUTE_PERSONAL, errors=(404,)),
    _command("record_mediation", "POST", f"{_D}/mediation-sessions",
             "record a mediation session 调解", RecordMediationRequest),
    _command("refer_legal_aid", "POST", f"{_D}/legal-aid",
             "refer for legal aid 法律援助 (decision due in 7 days)", ReferLegalAidRequest),
    _command("decide_legal_aid", "POST", f"{_D}/legal-aid/decision",
             "record the legal aid decision (a lawyer due in 3 days)", DecideLegalAidRequest),
    _command("assign_lawyer", "POST", f"{_D}/legal-aid/lawyer", "record the lawyer assigned",
             AssignLawyerRequest),
    _command("resolve_dispute", "POST", f"{_D}/resolution", "close the dispute, resolved or not",
             ResolveDisputeRequest),
    Route("open_proxy_case", "disputes", "POST", "/disputes/proxy-cases",
          "open a proxy case 权益维护代办: what, for whom, by whom",
          request=OpenProxyCaseRequest, reply=CaseCommandAccepted, status=201, errors=_CREATE),
    Route("list_proxy_cases", "disputes", "GET", "/disputes/proxy-cases",
          "proxy cases by veteran, station or state (counted as the bureau counts them)",
          query=ListProxyCasesQuery, reply=ProxyCaseListReply, errors=(400,)),
    Route("get_proxy_case", "disputes", "GET", _X, "one proxy case, its steps and outcome",
          reply=ProxyCaseReply, personal=PROXY_PERSONAL, errors=(404,)),
    _command("record_proxy_step", "POST", f"{_X}/steps", "record a step taken",
             RecordProxyStepRequest),
    _command("close_proxy_case", "POST", f"{_X}/outcome", "close the proxy case with its outcome",
             CloseProxyCaseRequest),
    Route("refer_hardship", "disputes", "POST", "/disputes/hardship-referrals",
          "a case surfaced hardship: refer the veteran to benefits (HardshipReferred)",
          request=ReferHardshipRequest, reply=HardshipReferralAccepted, status=201,
          errors=_CHANGE),
    Route("disputes_figures", "disputes", "GET", "/disputes/figures",
          "the period's figures: petitions, escalations (零赴省进京), disputes, proxy cases",
          query=FiguresQuery, reply=FiguresReply, errors=(400,)),
)
