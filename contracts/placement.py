"""Placement's contracts: its events (stored and public forms), its requests, replies and routes."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from chassis.envelope import NewEvent, RecordedEvent
from contracts import instance
from contracts.deadlines import DeadlineView
from contracts.publication import Publication, present, year_of
from contracts.registry import NONBLANK, TEXT
from contracts.registry import _Date as FullDate  # RFC 3339 full-date, as the registry reads it
from contracts.registry import _QueryInteger as QueryInteger
from contracts.routes import Route
from contracts.versioning import Upcasters

SOURCE = "/vetlife/placement"
RANK_CLASSES = ("officer", "senior_nco", "junior_nco", "conscript")
MODES = ("self_employment", "assigned_work", "retirement", "support", "monthly_retirement_pay",
         "officer_transfer", "demobilisation")
CASE_KINDS = ("soldier", "officer", "spouse")
POST_KINDS = ("administrative", "institution", "enterprise")
TRANSFER_METHODS = ("examination_and_assessment", "two_way_selection", "direct_selection",
                    "score_based_choice")
HONOUR_KINDS = ("medal", "honour_title", "first_class_merit", "second_class_merit",
                "third_class_merit", "first_level_commendation", "other")
DISABILITY_NATURES = ("combat", "duty", "illness")
FORFEITURES = ("late_report_in", "declined_post", "prosecuted_while_waiting")
STATUSES = ("reported", "forfeited", "waiting", "scored", "post_offered", "post_accepted",
            "letter_issued", "on_post", "contracted", "self_employed", "subsidy_paid",
            "handed_over", "awaiting_assignment", "assigned", "placed", "closed")
CLOSE_OUTCOMES = ("placed", "handed_over", "forfeited", "handed_to_employment")

_NULLABLE = {"required": True, "allow_none": True}


def _text(max_length: int = 100, *, required: bool = False, **kwargs) -> fields.String:
    """A line a person typed: no control characters, not blank."""
    return fields.String(required=required, validate=[validate.Length(max=max_length), NONBLANK],
                         **kwargs)


def _one_of(values, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(values), **kwargs)


# -- stored events, version 1 --------------------------------------------------------------------

class HonourV1(Schema):
    kind = _one_of(HONOUR_KINDS, required=True)
    wartime = fields.Boolean(required=True)


class DisabilityV1(Schema):
    nature = _one_of(DISABILITY_NATURES, required=True)
    grade = fields.Integer(required=True, validate=validate.Range(1, 10))


class _CaseEventV1(Schema):
    case_id = fields.String(required=True)
    veteran_id = fields.String(required=True)


class _FactsV1(_CaseEventV1):
    rank_class = _one_of(RANK_CLASSES, required=True)
    years_of_service = fields.Integer(required=True)
    age_at_discharge = fields.Integer(**_NULLABLE)
    honours = fields.List(fields.Nested(HonourV1), required=True)
    disability = fields.Nested(DisabilityV1, **_NULLABLE)
    martyr_child = fields.Boolean(required=True)
    expelled_from_party = fields.Boolean(required=True)
    criminal_penalty = fields.Boolean(required=True)
    discharged_by_force = fields.Boolean(required=True)
    seriously_ill_unable_to_work = fields.Boolean(required=True)


class ReportedInV1(_FactsV1):
    case_kind = _one_of(CASE_KINDS, required=True)
    service_station = fields.String(required=True)
    township = fields.String(required=True)
    discharge_approved_on = fields.Date(required=True)
    reported_on = fields.Date(required=True)
    report_in_due_on = fields.Date(required=True)
    late_reason = fields.String(**_NULLABLE)


class FactsAmendedV1(_FactsV1):
    pass


class PlacementForfeitedV1(_CaseEventV1):
    reason = _one_of(FORFEITURES, required=True)
    article = fields.String(required=True)
    on = fields.Date(required=True)
    detail = fields.String(**_NULLABLE)


class LateReasonRecordedV1(_CaseEventV1):
    on = fields.Date(required=True)
    reason = fields.String(required=True)


class ModeChosenV1(_CaseEventV1):
    mode = _one_of(MODES, required=True)
    on = fields.Date(required=True)


class SubsidyAssessedV1(_CaseEventV1):
    standard_year = fields.Integer(required=True)
    years_of_service = fields.Integer(required=True)
    fen_per_year = fields.Integer(required=True)
    amount_fen = fields.Integer(required=True)


class SubsidyPaidV1(_CaseEventV1):
    amount_fen = fields.Integer(required=True)
    paid_on = fields.Date(required=True)
    reference = fields.String(required=True)


class HandedToEmploymentV1(_CaseEventV1):
    on = fields.Date(required=True)


class ScoredV1(_CaseEventV1):
    points = fields.Integer(required=True)
    on = fields.Date(required=True)


class PostOfferedV1(_CaseEventV1):
    post_id = fields.String(required=True)
    post_kind = _one_of(POST_KINDS, required=True)
    unit = fields.String(required=True)
    on = fields.Date(required=True)


class PostAcceptedV1(_CaseEventV1):
    post_id = fields.String(required=True)
    on = fields.Date(required=True)


class PostDeclinedV1(_CaseEventV1):
    post_id = fields.String(required=True)
    on = fields.Date(required=True)
    good_reason = fields.String(**_NULLABLE)


class ReferralLetterIssuedV1(_CaseEventV1):
    letter_number = fields.String(required=True)
    issued_on = fields.Date(required=True)
    on_post_due_on = fields.Date(required=True)


class PlacedV1(_CaseEventV1):
    post_kind = _one_of(POST_KINDS, required=True)
    unit = fields.String(required=True)
    placed_on = fields.Date(required=True)


class OnPostRecordedV1(_CaseEventV1):
    on_post_on = fields.Date(required=True)


class ContractRecordedV1(_CaseEventV1):
    signed_on = fields.Date(required=True)
    term_years = fields.Integer(**_NULLABLE)
    open_ended = fields.Boolean(required=True)


class TransferAssignedV1(_CaseEventV1):
    method = _one_of(TRANSFER_METHODS, required=True)
    planned_kind = _one_of(POST_KINDS, required=True)
    on = fields.Date(required=True)


class SpouseReceivedV1(_CaseEventV1):
    officer_case_id = fields.String(required=True)
    spouse_name = fields.String(required=True)
    received_on = fields.Date(required=True)
    service_station = fields.String(required=True)
    township = fields.String(required=True)
    employed_as = _one_of(POST_KINDS, **_NULLABLE)


class SpouseLinkedV1(_CaseEventV1):
    spouse_case_id = fields.String(required=True)


class PlacementOverdueV1(_CaseEventV1):
    due_on = fields.Date(required=True)


class OnPostOverdueV1(_CaseEventV1):
    due_on = fields.Date(required=True)


class CaseClosedV1(_CaseEventV1):
    outcome = _one_of(CLOSE_OUTCOMES, required=True)
    on = fields.Date(required=True)


class PostQuotaRegisteredV1(Schema):
    post_id = fields.String(required=True)
    unit = fields.String(required=True)
    post_kind = _one_of(POST_KINDS, required=True)
    title = fields.String(required=True)
    year = fields.Integer(required=True)
    positions = fields.Integer(required=True)


class PostHeldV1(Schema):
    post_id = fields.String(required=True)
    case_id = fields.String(required=True)


class PostReleasedV1(PostHeldV1):
    reason = fields.String(required=True)


class PostFilledV1(PostHeldV1):
    pass


EVENT_SCHEMAS: dict[str, type[Schema]] = {
    "ReportedIn": ReportedInV1, "FactsAmended": FactsAmendedV1,
    "PlacementForfeited": PlacementForfeitedV1, "LateReasonRecorded": LateReasonRecordedV1,
    "ModeChosen": ModeChosenV1, "SubsidyAssessed": SubsidyAssessedV1,
    "SubsidyPaid": SubsidyPaidV1, "HandedToEmployment": HandedToEmploymentV1,
    "Scored": ScoredV1, "PostOffered": PostOfferedV1, "PostAccepted": PostAcceptedV1,
    "PostDeclined": PostDeclinedV1, "ReferralLetterIssued": ReferralLetterIssuedV1,
    "Placed": PlacedV1, "OnPostRecorded": OnPostRecordedV1,
    "ContractRecorded": ContractRecordedV1, "TransferAssigned": TransferAssignedV1,
    "SpouseReceived": SpouseReceivedV1, "SpouseLinked": SpouseLinkedV1,
    "PlacementOverdue": PlacementOverdueV1, "OnPostOverdue": OnPostOverdueV1,
    "CaseClosed": CaseClosedV1, "PostQuotaRegistered": PostQuotaRegisteredV1,
    "PostHeld": PostHeldV1, "PostReleased": PostReleasedV1, "PostFilled": PostFilledV1,
}
upcast = Upcasters({event_type: 1 for event_type in EVENT_SCHEMAS})


# -- what subscribers see: pseudonymous ids and placement facts, never identity --------------------
# The allow-list (contracts/publication.py). Never published: the spouse's name, the free text
# people type (a late reason, a good reason for declining, a forfeiture's detail, a payment
# reference, a letter number: any may name or locate someone), disabilities (health data: the
# registry and benefits own them). Dates are those of the case's own steps, the day the
# envelope's `time` already says; never a date of the person's (birth, service).

class _CasePublic(Schema):
    case_id = fields.String(required=True, metadata={"description": "the placement case"})
    veteran_id = fields.String(required=True, metadata={
        "description": "pseudonymous id (the registry's); for a spouse's case, the officer's"})


class ReportedInPublicV1(_CasePublic):
    """报到: a discharged soldier reported in. Employment registers a job seeker from it."""

    case_kind = _one_of(CASE_KINDS, required=True)
    rank_class = _one_of(RANK_CLASSES, required=True)
    years_of_service = fields.Integer(required=True)
    service_station = fields.String(required=True)
    township = fields.String(required=True)
    reported_on = fields.Date(required=True)
    on_time = fields.Boolean(required=True, metadata={
        "description": "within 30 days of the discharge approval (Art. 51)"})
    late_reason_recorded = fields.Boolean(required=True)


class PlacementForfeitedPublicV1(_CasePublic):
    reason = _one_of(FORFEITURES, required=True)
    article = fields.String(required=True)


class ModeChosenPublicV1(_CasePublic):
    """Self-employment chosen: employment registers a job seeker from it."""

    mode = _one_of(MODES, required=True)
    on = fields.Date(required=True)


class HandedToEmploymentPublicV1(_CasePublic):
    on = fields.Date(required=True)


class SubsidyAssessedPublicV1(_CasePublic):
    standard_year = fields.Integer(required=True)
    years_of_service = fields.Integer(required=True)
    amount_fen = fields.Integer(required=True, metadata={"description": "integer fen"})


class SubsidyPaidPublicV1(_CasePublic):
    amount_fen = fields.Integer(required=True, metadata={"description": "integer fen"})
    paid_year = fields.Integer(required=True)


class PostOfferedPublicV1(_CasePublic):
    post_id = fields.String(required=True)
    post_kind = _one_of(POST_KINDS, required=True)


class PostAcceptedPublicV1(_CasePublic):
    post_id = fields.String(required=True)


class PostDeclinedPublicV1(_CasePublic):
    post_id = fields.String(required=True)
    good_reason_given = fields.Boolean(required=True)


class PlacedPublicV1(_CasePublic):
    post_kind = _one_of(POST_KINDS, required=True)
    unit = fields.String(required=True, metadata={"description": "the employing unit"})
    placed_year = fields.Integer(required=True)


class ContractRecordedPublicV1(_CasePublic):
    term_years = fields.Integer(**_NULLABLE)
    open_ended = fields.Boolean(required=True)


class TransferAssignedPublicV1(_CasePublic):
    method = _one_of(TRANSFER_METHODS, required=True)
    planned_kind = _one_of(POST_KINDS, required=True)


class SpouseReceivedPublicV1(_CasePublic):
    """A spouse moving with a transferred officer was received; never the spouse's name."""

    officer_case_id = fields.String(required=True)
    employed_as = _one_of(POST_KINDS, **_NULLABLE)


class SpouseLinkedPublicV1(_CasePublic):
    spouse_case_id = fields.String(required=True)


class CaseClosedPublicV1(_CasePublic):
    outcome = _one_of(CLOSE_OUTCOMES, required=True)


class PostQuotaRegisteredPublicV1(Schema):
    post_id = fields.String(required=True)
    unit = fields.String(required=True)
    post_kind = _one_of(POST_KINDS, required=True)
    title = fields.String(required=True)
    year = fields.Integer(required=True)
    positions = fields.Integer(required=True)


class PostHeldPublicV1(Schema):
    post_id = fields.String(required=True)
    case_id = fields.String(required=True)


class PostReleasedPublicV1(PostHeldPublicV1):
    reason = fields.String(required=True)


def _case_step(event_type: str, doc: str) -> type[Schema]:
    """A public form that says only which case took the step (each event type its own class, so
    the catalogue documents each once)."""
    return type(f"{event_type}PublicV1", (_CasePublic,), {"__doc__": doc})


class PostFilledPublicV1(PostHeldPublicV1):
    pass


PUBLIC_SCHEMAS: dict[str, type[Schema]] = {
    "ReportedIn": ReportedInPublicV1,
    "FactsAmended": _case_step("FactsAmended", "The facts the rules rest on changed (which, stays here)."),
    "PlacementForfeited": PlacementForfeitedPublicV1,
    "LateReasonRecorded": _case_step("LateReasonRecorded", "A good reason for reporting late: "
                                                           "the forfeiture is lifted."),
    "ModeChosen": ModeChosenPublicV1,
    "SubsidyAssessed": SubsidyAssessedPublicV1,
    "SubsidyPaid": SubsidyPaidPublicV1,
    "HandedToEmployment": HandedToEmploymentPublicV1,
    "Scored": _case_step("Scored", "The soldier was scored (赋分) for the choice of posts."),
    "PostOffered": PostOfferedPublicV1,
    "PostAccepted": PostAcceptedPublicV1,
    "PostDeclined": PostDeclinedPublicV1,
    "ReferralLetterIssued": _case_step("ReferralLetterIssued", "The referral letter (介绍信) was issued."),
    "Placed": PlacedPublicV1,
    "OnPostRecorded": _case_step("OnPostRecorded", "The soldier is on post."),
    "ContractRecorded": ContractRecordedPublicV1,
    "TransferAssigned": TransferAssignedPublicV1,
    "SpouseReceived": SpouseReceivedPublicV1,
    "SpouseLinked": SpouseLinkedPublicV1,
    "PlacementOverdue": _case_step("PlacementOverdue",
                                   "Six months passed without a placement (Art. 31)."),
    "OnPostOverdue": _case_step("OnPostOverdue", "Thirty days after the letter and not on post "
                                                 "(Art. 75)."),
    "CaseClosed": CaseClosedPublicV1,
    "PostQuotaRegistered": PostQuotaRegisteredPublicV1,
    "PostHeld": PostHeldPublicV1,
    "PostReleased": PostReleasedPublicV1,
    "PostFilled": PostFilledPublicV1,
}


def _on_time(data: dict) -> bool:
    return data["reported_on"] <= data["report_in_due_on"]  # ISO dates order as strings


DERIVED = {
    "ReportedIn": {"on_time": _on_time,
                   "late_reason_recorded": present("late_reason")},
    "SubsidyPaid": {"paid_year": year_of("paid_on")},
    "PostDeclined": {"good_reason_given": present("good_reason")},
    "Placed": {"placed_year": year_of("placed_on")},
}

public_form = Publication("placement", PUBLIC_SCHEMAS, DERIVED, stored=EVENT_SCHEMAS,
                          versions=upcast.current)
"""The payload a subscriber receives for a stored placement event (the relay's and events_after's
`data`); raises NotPublishable for an event type without a public schema."""


def to_new_event(domain_event) -> NewEvent:
    """Serialise a domain event (a frozen dataclass) with its stored schema."""
    schema = instance(EVENT_SCHEMAS[domain_event.event_type])
    data = asdict(domain_event)
    return NewEvent(event_type=domain_event.event_type,
                    schema_version=domain_event.schema_version, data=schema.dump(data))


def load_data(event: RecordedEvent) -> dict[str, Any]:
    """A stored payload as Python values (dates as dates), ready to build the domain event."""
    return instance(EVENT_SCHEMAS[event.event_type]).load(event.data, unknown=EXCLUDE)


# -- requests ---------------------------------------------------------------------------------------

def flat_messages(messages, prefix: str = "") -> dict[str, list[str]]:
    """Field problems as {"honours.0.kind": [...]}: the error body's `fields` is a map of lists
    of text, which nested and list fields' own messages (dicts within dicts) are not."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = prefix if key == "_schema" and prefix else (
                f"{prefix}.{key}" if prefix else str(key))
            for field_name, problems in flat_messages(value, name).items():
                flat.setdefault(field_name, []).extend(problems)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for value in messages:
            for field_name, problems in flat_messages(value, prefix).items():
                flat.setdefault(field_name, []).extend(problems)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


class _Request(Schema):
    """A request body: its problems named field by field, however deep the field."""

    def handle_error(self, error: ValidationError, data, *, many: bool, **kwargs):
        raise ValidationError(flat_messages(error.messages), data=data,
                              valid_data=error.valid_data)


class HonourRequest(_Request):
    kind = _one_of(HONOUR_KINDS, required=True)
    wartime = fields.Boolean(load_default=False)

    class Meta:
        example = {"kind": "second_class_merit", "wartime": False}


class DisabilityRequest(_Request):
    nature = _one_of(DISABILITY_NATURES, required=True)
    grade = fields.Integer(required=True, validate=validate.Range(1, 10))

    class Meta:
        example = {"nature": "combat", "grade": 6}


_UUID = {"validate": validate.Regexp(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                                     r"[0-9a-f]{12}$", error="must be a lower-case UUID")}


class ReportInRequest(_Request):
    """报到. Facts left out are taken from what the registry published about the veteran; a
    station or township the registry does not know yet must be given."""

    veteran_id = fields.String(required=True, **_UUID, metadata={
        "description": "the registry's veteran id"})
    discharge_approved_on = FullDate(required=True)
    rank_class = _one_of(RANK_CLASSES)
    years_of_service = fields.Integer(validate=validate.Range(0, 50))
    age_at_discharge = fields.Integer(allow_none=True, validate=validate.Range(16, 80))
    honours = fields.List(fields.Nested(HonourRequest), validate=validate.Length(max=20))
    disability = fields.Nested(DisabilityRequest, allow_none=True)
    martyr_child = fields.Boolean()
    expelled_from_party = fields.Boolean(load_default=False)
    criminal_penalty = fields.Boolean(load_default=False)
    discharged_by_force = fields.Boolean(load_default=False)
    seriously_ill_unable_to_work = fields.Boolean(load_default=False)
    service_station = _text()
    township = _text()
    late_reason = _text(500, allow_none=True, metadata={
        "description": "a good reason for reporting in more than 30 days after the discharge "
                       "approval (Art. 51); without one, a late report-in gives up the "
                       "placement benefits"})

    class Meta:
        example = {
            "veteran_id": "5b0d7c1e-2f4a-4e8b-9c3d-7a6e1f2b3c4d",
            "discharge_approved_on": "2026-09-01",
            "rank_class": "senior_nco", "years_of_service": 12, "age_at_discharge": 31,
            "honours": [{"kind": "third_class_merit", "wartime": False}], "martyr_child": False,
            "service_station": "多湖街道退役军人服务站", "township": "多湖街道"}


class AmendFactsRequest(_Request):
    """What changed; a field left out keeps what the case holds (none: nothing changes)."""

    rank_class = _one_of(RANK_CLASSES)
    years_of_service = fields.Integer(validate=validate.Range(0, 50))
    age_at_discharge = fields.Integer(validate=validate.Range(16, 80))
    honours = fields.List(fields.Nested(HonourRequest), validate=validate.Length(max=20))
    disability = fields.Nested(DisabilityRequest, allow_none=True, metadata={
        "description": "null: no disability (one recorded by mistake is removed)"})
    martyr_child = fields.Boolean()
    expelled_from_party = fields.Boolean()
    criminal_penalty = fields.Boolean()
    discharged_by_force = fields.Boolean()
    seriously_ill_unable_to_work = fields.Boolean()

    class Meta:
        example = {"disability": {"nature": "combat", "grade": 6}}


class ChooseModeRequest(_Request):
    mode = _one_of(MODES, required=True)

    class Meta:
        example = {"mode": "self_employment"}


class LateReasonRequest(_Request):
    reason = _text(500, required=True)

    class Meta:
        example = {"reason": "随部队执行抢险救灾任务, 延期报到"}


class ScoreRequest(_Request):
    points = fields.Integer(required=True, validate=validate.Range(0, 100_000))

    class Meta:
        example = {"points": 86}


class OfferPostRequest(_Request):
    post_id = fields.String(required=True, **_UUID, metadata={
        "description": "a post quota's id"})

    class Meta:
        example = {"post_id": "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"}


class DeclinePostRequest(_Request):
    good_reason = _text(500, allow_none=True, metadata={
        "description": "a good reason keeps the case waiting for another post; declining "
                       "without one gives up the placement (Art. 34)"})

    class Meta:
        example = {"good_reason": "岗位距家80公里, 需照顾瘫痪父亲"}


class ReferralLetterRequest(_Request):
    letter_number = _text(60, required=True)
    issued_on = FullDate(required=True)

    class Meta:
        example = {"letter_number": "金东退役安字〔2026〕12号", "issued_on": "2026-11-20"}


class OnPostRequest(_Request):
    on_post_on = FullDate(required=True)

    class Meta:
        example = {"on_post_on": "2026-11-25"}


class ContractRequest(_Request):
    signed_on = FullDate(required=True)
    term_years = fields.Integer(allow_none=True, validate=validate.Range(1, 50))
    open_ended = fields.Boolean(load_default=False)

    class Meta:
        example = {"signed_on": "2026-11-25", "term_years": 3, "open_ended": False}


class ProsecutionRequest(_Request):
    detail = _text(500, allow_none=True)

    class Meta:
        example = {"detail": "公安机关立案侦查"}


class SubsidyPaymentRequest(_Request):
    paid_on = FullDate(required=True)
    reference = _text(60, required=True)

    class Meta:
        example = {"paid_on": "2026-11-20", "reference": "金东财付2026-0917"}


class AssignTransferRequest(_Request):
    method = _one_of(TRANSFER_METHODS, required=True)
    planned_kind = _one_of(POST_KINDS, required=True)

    class Meta:
        example = {"method": "examination_and_assessment",
                   "planned_kind": "administrative"}


class RecordPlacementRequest(_Request):
    post_kind = _one_of(POST_KINDS, required=True)
    unit = _text(100, required=True)
    placed_on = FullDate(required=True)

    class Meta:
        example = {"post_kind": "administrative", "unit": "金华市金东区人民检察院",
                   "placed_on": "2026-11-20"}


class ReceiveSpouseRequest(_Request):
    spouse_name = _text(50, required=True)
    employed_as = _one_of(POST_KINDS, allow_none=True, metadata={
        "description": "the kind of post the spouse held before the move, if any"})

    class Meta:
        example = {"spouse_name": "王丽", "employed_as": "institution"}


class RegisterPostQuotaRequest(_Request):
    unit = _text(100, required=True)
    post_kind = _one_of(POST_KINDS, required=True)
    title = _text(100, required=True)
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100))
    positions = fields.Integer(required=True, validate=validate.Range(1, 1000))

    class Meta:
        example = {"unit": "金华市金东区农业农村局", "post_kind": "institution",
                   "title": "农村经营管理岗", "year": 2026, "positions": 2}


# -- queries ----------------------------------------------------------------------------------------

CASE_QUEUES = ("mine", "others", "done")
CASE_SORTS = ("state_since", "reported_on", "due_on")


class ListCasesQuery(Schema):
    veteran_id = fields.String(**_UUID, metadata={
        "description": "one veteran's cases: their own and a spouse's moving with them"})
    status = _one_of(STATUSES)
    mode = _one_of(MODES)
    kind = _one_of(CASE_KINDS)
    station = fields.String(validate=[validate.Length(min=1, max=100), TEXT])
    overdue = fields.Boolean(metadata={"description": "true: only cases with a clock run out"})
    queue = _one_of(CASE_QUEUES, metadata={
        "description": "mine: open and the step it waits on is yours (your role runs it, and it "
                       "is not the veteran's own choice); others: open, waiting on someone else "
                       "(the veteran, or another role); done: closed"})
    sort = _one_of(CASE_SORTS, metadata={
        "description": "state_since: since when it is in its status (days waiting); due_on: "
                       "the running clock's last day; none: by report-in"})
    order = _one_of(("asc", "desc"), load_default="asc")
    page = QueryInteger(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = QueryInteger(load_default=20, validate=validate.Range(min=1, max=200))


class ListPostsQuery(Schema):
    post_kind = _one_of(POST_KINDS)
    year = QueryInteger(validate=validate.Range(2000, 2100))
    open = fields.Boolean(metadata={"description": "true: only posts with a free position"})


class RatesQuery(Schema):
    from_ = FullDate(data_key="from",
                     metadata={"description": "the first day; default: 1 January this year"})
    to = FullDate(metadata={"description": "the last day, inclusive; default: today"})

    @validates_schema
    def _ordered(self, data, **kwargs):
        if "to" in data and "from_" in data and data["to"] < data["from_"]:
            raise ValidationError({"to": ["must not be before from"]})


# -- replies ----------------------------------------------------------------------------------------

class PlacementCaseAccepted(Schema):
    case_id = fields.String(required=True)
    veteran_id = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "the case's stream version"})
    status = _one_of(STATUSES, required=True)
    replayed = fields.Boolean(required=True,
                              metadata={"description": "true when this was a retried request"})


class GroundReply(Schema):
    article = fields.String(required=True)
    rule = fields.String(required=True)
    effect = _one_of(("allows", "bars"), required=True)
    holds = fields.Boolean(required=True)


class ModeReply(Schema):
    mode = _one_of(MODES, required=True)
    allowed = fields.Boolean(required=True)
    explanation = fields.String(required=True)
    grounds = fields.List(fields.Nested(GroundReply), required=True,
                          metadata={"description": "every rule checked"})


class PlacementEligibilityReply(Schema):
    """Every placement mode, allowed or barred, with the rule and article for it."""

    veteran_id = fields.String(required=True)
    case_id = fields.String(required=True)
    version = fields.Integer(required=True)
    rank_class = _one_of(RANK_CLASSES, required=True)
    forfeited = _one_of(FORFEITURES, **_NULLABLE)
    modes = fields.List(fields.Nested(ModeReply), required=True)


class FactsReply(Schema):
    rank_class = _one_of(RANK_CLASSES, required=True)
    years_of_service = fields.Integer(required=True)
    age_at_discharge = fields.Integer(**_NULLABLE)
    discharge_approved_on = fields.Date(required=True)
    honours = fields.List(fields.Nested(HonourV1), required=True)
    disability = fields.Nested(DisabilityV1, **_NULLABLE)
    martyr_child = fields.Boolean(required=True)
    expelled_from_party = fields.Boolean(required=True)
    criminal_penalty = fields.Boolean(required=True)
    discharged_by_force = fields.Boolean(required=True)
    seriously_ill_unable_to_work = fields.Boolean(required=True)


class ReportInReply(Schema):
    reported_on = fields.Date(required=True, metadata={"description": "or, for a spouse, received"})
    due_on = fields.Date(**_NULLABLE, metadata={"description": "30 days after the approval"})
    days_late = fields.Integer(required=True)
    late_reason = fields.String(**_NULLABLE)


class ForfeitureReply(Schema):
    reason = _one_of(FORFEITURES, required=True)
    article = fields.String(required=True)
    on = fields.Date(required=True)
    detail = fields.String(**_NULLABLE)


class AllowanceMonthReply(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM"})
    days = fields.Integer(required=True)
    fen = fields.Integer(**_NULLABLE, metadata={"description": "null: no standard for the year"})


class AllowanceReply(Schema):
    """The waiting allowance at the local minimum wage (Art. 75), month by month, in fen."""

    since = fields.Date(required=True)
    until = fields.Date(required=True)
    months = fields.List(fields.Nested(AllowanceMonthReply), required=True)
    total_fen = fields.Integer(required=True)
    complete = fields.Boolean(required=True,
                              metadata={"description": "false: a year has no standard yet"})


class OfferedPostReply(Schema):
    post_id = fields.String(required=True)
    post_kind = _one_of(POST_KINDS, required=True)
    unit = fields.String(required=True)
    offered_on = fields.Date(required=True)
    accepted_on = fields.Date(**_NULLABLE)


class DeclinedReply(Schema):
    post_id = fields.String(required=True)
    on = fields.Date(required=True)
    good_reason = fields.String(**_NULLABLE)


class LetterReply(Schema):
    letter_number = fields.String(required=True)
    issued_on = fields.Date(required=True)
    on_post_due_on = fields.Date(required=True)


class ContractReply(Schema):
    signed_on = fields.Date(required=True)
    term_years = fields.Integer(**_NULLABLE)
    open_ended = fields.Boolean(required=True)


class SubsidyReply(Schema):
    standard_year = fields.Integer(required=True)
    years_of_service = fields.Integer(required=True)
    fen_per_year = fields.Integer(required=True)
    amount_fen = fields.Integer(required=True)
    paid_on = fields.Date(**_NULLABLE)
    reference = fields.String(**_NULLABLE)


class TransferReply(Schema):
    method = _one_of(TRANSFER_METHODS, required=True)
    planned_kind = _one_of(POST_KINDS, required=True)
    on = fields.Date(required=True)


class PlacedReply(Schema):
    post_kind = _one_of(POST_KINDS, required=True)
    unit = fields.String(required=True)
    placed_on = fields.Date(required=True)


class PlacementClosedReply(Schema):
    outcome = _one_of(CLOSE_OUTCOMES, required=True)
    on = fields.Date(required=True)


class PlacementHistoryEntry(Schema):
    version = fields.Integer(required=True)
    event_type = fields.String(required=True)
    at = fields.String(required=True, metadata={"description": "when it was recorded"})
    actor = fields.String(required=True, metadata={"description": "who: <role>:<subject>"})


class PlacementCaseReply(Schema):
    """One placement case: where it stands, its facts, each step's record, its clocks, and who
    did what when."""

    case_id = fields.String(required=True)
    veteran_id = fields.String(required=True)
    version = fields.Integer(required=True)
    kind = _one_of(CASE_KINDS, required=True)
    status = _one_of(STATUSES, required=True)
    service_station = fields.String(required=True)
    township = fields.String(required=True)
    facts = fields.Nested(FactsReply, **_NULLABLE, metadata={"description": "null for a spouse"})
    report_in = fields.Nested(ReportInReply, required=True)
    allowed_modes = fields.List(_one_of(MODES), required=True, metadata={
        "description": "GET /veterans/{veteran_id}/placement-eligibility explains each"})
    forfeiture = fields.Nested(ForfeitureReply, **_NULLABLE)
    mode = _one_of(MODES, **_NULLABLE)
    mode_chosen_on = fields.Date(**_NULLABLE)
    points = fields.Integer(**_NULLABLE, metadata={"description": "赋分"})
    post = fields.Nested(OfferedPostReply, **_NULLABLE, metadata={"description": "offered or accepted"})
    declined = fields.List(fields.Nested(DeclinedReply), required=True)
    referral_letter = fields.Nested(LetterReply, **_NULLABLE)
    on_post_on = fields.Date(**_NULLABLE)
    contract = fields.Nested(ContractReply, **_NULLABLE)
    allowance = fields.Nested(AllowanceReply, **_NULLABLE)
    subsidy = fields.Nested(SubsidyReply, **_NULLABLE)
    transfer = fields.Nested(TransferReply, **_NULLABLE)
    placed = fields.Nested(PlacedReply, **_NULLABLE)
    officer_case_id = fields.String(**_NULLABLE, metadata={"description": "a spouse's officer"})
    spouse_case_id = fields.String(**_NULLABLE)
    spouse_name = fields.String(**_NULLABLE, metadata={"description": "personal"})
    employed_as = _one_of(POST_KINDS, **_NULLABLE)
    overdue = fields.List(fields.String(), required=True,
                          metadata={"description": "clocks that ran out and are not yet met"})
    closed = fields.Nested(PlacementClosedReply, **_NULLABLE)
    deadlines = fields.List(fields.Nested(DeadlineView), required=True)
    history = fields.List(fields.Nested(PlacementHistoryEntry), required=True)
    next_steps = fields.List(fields.String(), metadata={
        "description": "the steps the caller may take now (each a step route's last path "
                       "segment): the case's status allows it and the caller's role runs it"})


class PlacementCaseSummary(Schema):
    """A row of the case list: no names."""

    case_id = fields.String(required=True)
    veteran_id = fields.String(required=True)
    kind = _one_of(CASE_KINDS, required=True)
    status = _one_of(STATUSES, required=True)
    mode = _one_of(MODES, **_NULLABLE)
    service_station = fields.String(required=True)
    reported_on = fields.Date(required=True)
    placement_due_on = fields.Date(**_NULLABLE)
    overdue = fields.Boolean(required=True)
    state_since = fields.Date(**_NULLABLE, metadata={
        "description": "the day of the step that put it in its status: days waiting count from it"})
    next_step = fields.String(**_NULLABLE, metadata={
        "description": "the step it waits on (a step route's last path segment, e.g. score, "
                       "referral-letter, closure); null once closed"})
    due_on = fields.Date(**_NULLABLE, metadata={
        "description": "the last day of the clock running now (on post after the referral "
                       "letter, else placement while it runs)"})
    yours = fields.Boolean(metadata={"description": "the step it waits on is the caller's"})


class PlacementCaseList(Schema):
    items = fields.List(fields.Nested(PlacementCaseSummary), required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "cases matching the filters"})
    overdue = fields.Integer(required=True, metadata={
        "description": "of those, how many have a clock run out (the overdue filter aside)"})


class PostQuotaReply(Schema):
    post_id = fields.String(required=True)
    version = fields.Integer(required=True)
    unit = fields.String(required=True)
    post_kind = _one_of(POST_KINDS, required=True)
    title = fields.String(required=True)
    year = fields.Integer(required=True)
    positions = fields.Integer(required=True)
    offered = fields.Integer(required=True)
    filled = fields.Integer(required=True)
    free = fields.Integer(required=True)


class PostQuotaListReply(Schema):
    items = fields.List(fields.Nested(PostQuotaReply), required=True)


class PlacementRateReply(Schema):
    kind = fields.String(required=True, metadata={
        "description": "administrative, institution, enterprise, unplanned or all"})
    due = fields.Integer(required=True, metadata={"description": "placement due in the period"})
    placed = fields.Integer(required=True, metadata={"description": "of those, placed in time"})
    percent = fields.String(**_NULLABLE, metadata={"description": "one decimal; null: none due"})


class PlacementRatesReply(Schema):
    """Placement rates for a period, as the bureau's summary reports them."""

    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    rates = fields.List(fields.Nested(PlacementRateReply), required=True)
    placed_by_kind = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                                 metadata={"description": "placed in the period: soldiers, "
                                                          "officers, spouses"})
    reported_in = fields.Integer(required=True, metadata={"description": "报到 in the period"})


# -- routes: one line per operation (contracts/routes.py) ------------------------------------------

_CASE = "/placement/cases/{case_id}"


def _step(name: str, path: str, summary: str, request: type[Schema] | None = None) -> Route:
    return Route(name, "placement", "POST", f"{_CASE}/{path}", summary, request=request,
                 reply=PlacementCaseAccepted)


ROUTES = (
    Route("report_in", "placement", "POST", "/placement/reports",
          "报到: a discharged soldier reports in; the placement case opens", request=ReportInRequest,
          reply=PlacementCaseAccepted, status=201),
    Route("get_placement_case", "placement", "GET", _CASE,
          "one placement case: its state, facts, steps, clocks and history", reply=PlacementCaseReply,
          personal=("spouse_name",), errors=(404,)),
    Route("list_placement_cases", "placement", "GET", "/placement/cases",
          "placement cases by status, mode, kind, station or overdue, with the overdue count",
          query=ListCasesQuery, reply=PlacementCaseList, errors=(400,)),
    Route("placement_eligibility", "placement", "GET",
          "/veterans/{veteran_id}/placement-eligibility",
          "which placement modes the veteran may choose, each with its rule and article",
          reply=PlacementEligibilityReply, errors=(404,)),
    _step("amend_placement_facts", "facts", "amend the facts the rules rest on",
          AmendFactsRequest),
    _step("record_late_reason", "late-reason",
          "record a good reason for reporting in late: lifts the forfeiture (Art. 51)",
          LateReasonRequest),
    _step("choose_placement_mode", "mode", "choose a placement mode the rules allow",
          ChooseModeRequest),
    _step("score_placement_case", "score", "赋分: score a soldier waiting for assigned work",
          ScoreRequest),
    _step("offer_post", "post-offer", "offer a post's position to the case", OfferPostRequest),
    _step("accept_post", "post-acceptance", "the soldier accepts the post offered"),
    _step("decline_post", "post-declination",
          "the soldier declines the post: with a good reason, waits for another; without, gives "
          "up the placement (Art. 34)", DeclinePostRequest),
    _step("issue_referral_letter", "referral-letter",
          "issue the referral letter (介绍信): the unit has 30 days to put them on post",
          ReferralLetterRequest),
    _step("record_on_post", "on-post", "the soldier is on post", OnPostRequest),
    _step("record_contract", "contract", "the contract is signed (Art. 32)", ContractRequest),
    _step("forfeit_for_prosecution", "prosecution",
          "prosecution while waiting cancels the assigned work (Art. 34)", ProsecutionRequest),
    _step("pay_subsidy", "subsidy-payment", "the one-time subsidy (一次性经济补助) was paid",
          SubsidyPaymentRequest),
    _step("hand_over_to_employment", "employment-handover",
          "hand a self-employed veteran over to employment; closes the case"),
    _step("assign_transfer", "assignment",
          "assign a transferred officer or spouse: the method (Art. 15) and the post kind planned",
          AssignTransferRequest),
    _step("record_placement", "placement", "a transferred officer or spouse took their post",
          RecordPlacementRequest),
    Route("receive_spouse", "placement", "POST", f"{_CASE}/spouse",
          "随调配偶: receive the spouse moving with a transferred officer; opens their case",
          request=ReceiveSpouseRequest, reply=PlacementCaseAccepted, status=201),
    _step("close_placement_case", "closure", "close a placed, handed-over or forfeited case"),
    Route("register_post_quota", "placement", "POST", "/placement/posts",
          "a unit offers posts for placement", request=RegisterPostQuotaRequest,
          reply=PostQuotaReply, status=201, errors=(400, 422)),
    Route("list_post_quotas", "placement", "GET", "/placement/posts",
          "post quotas with their free positions", query=ListPostsQuery,
          reply=PostQuotaListReply, errors=(400,)),
    Route("placement_rates", "placement", "GET", "/placement/rates",
          "placement rates for a period: placed in time / due, by kind of post",
          query=RatesQuery, reply=PlacementRatesReply, errors=(400,)),
)
