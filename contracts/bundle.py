"""The discharge bundle's contracts: its events (stored and public forms), requests, replies and routes."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from chassis.envelope import NewEvent, RecordedEvent
from contracts import instance
from contracts.access import DEPARTMENTS as EXTERNAL
from contracts.placement import MODES, RANK_CLASSES, DisabilityRequest, HonourRequest
from contracts.publication import Publication
from contracts.registry import NONBLANK, TEXT
from contracts.registry import _Date as FullDate
from contracts.registry import _QueryInteger as QueryInteger
from contracts.routes import Route
from contracts.versioning import Upcasters

SOURCE = "/vetlife/bundle"
INTERNAL = ("registry", "placement", "benefits", "employment")
DEPARTMENTS = INTERNAL + tuple(sorted(EXTERNAL))
MATTER_STATUSES = ("requested", "acknowledged", "in_progress", "overdue", "done", "refused",
                   "withdrawn", "not_applicable", "left_out")
BUNDLE_STATUSES = ("open", "action_needed", "complete", "closed")
OUTCOMES = ("acknowledged", "in_progress", "done", "refused")
ATTENTION_KINDS = ("refused", "overdue", "command_failed", "clock_unknown",
                   "notification_failed")
NOTIFICATION_STATUSES = ("pending", "sent", "failed")
MATTER_KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$", error="a matter key: a-z, 0-9 and _")
_UUID = validate.Regexp(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                        error="must be a lower-case UUID")
_NULLABLE = {"required": True, "allow_none": True}


def _s(**kw):
    return fields.String(required=True, **kw)


def _ns(**kw):
    return fields.String(**_NULLABLE, **kw)


def _i(**kw):
    return fields.Integer(required=True, **kw)


def _b(**kw):
    return fields.Boolean(required=True, **kw)


def _d(**kw):
    return fields.Date(required=True, **kw)


def _nd(**kw):
    return fields.Date(**_NULLABLE, **kw)


def _text(max_length: int = 500, **kwargs) -> fields.String:
    """A line a person typed: no control characters, not blank."""
    return fields.String(validate=[validate.Length(max=max_length), NONBLANK], **kwargs)


# -- stored events, version 1 ------------------------------------------------------------------------

class MatterChoiceV1(Schema):
    matter, department, applies, chosen = _s(), _s(), _b(), _b()
    reason_code, reason = _ns(), _ns()


class BundleSubmittedV1(Schema):
    bundle_id, veteran_id, station, township, submitted_on = _s(), _s(), _s(), _s(), _d()
    matters = fields.List(fields.Nested(MatterChoiceV1), required=True)
    form = fields.Dict(required=True)
    facts = fields.Dict(required=True)


class MatterRequestedV1(Schema):
    bundle_id, matter, department, attempt = _s(), _s(), _s(), _i()
    requested_on, due_on, clock_unknown, note = _d(), _nd(), _b(), _ns()
    form_changes = fields.Dict(load_default=dict, dump_default=dict)


class MatterAcknowledgedV1(Schema):
    bundle_id, matter, attempt, on, reference, before_bundle = _s(), _s(), _i(), _d(), _ns(), _b()


class MatterProgressedV1(Schema):
    bundle_id, matter, attempt, step, on = _s(), _s(), _i(), _s(), _d()


class MatterDoneV1(Schema):
    bundle_id, matter, attempt, reference, on = _s(), _s(), _i(), _s(), _d()
    correction, before_bundle = _b(), _b()


class MatterRefusedV1(Schema):
    bundle_id, matter, attempt, reason, next_step, on = _s(), _s(), _i(), _s(), _s(), _d()
    code, correction = _ns(), _b()


class MatterWithdrawnV1(Schema):
    bundle_id, matter, department, attempt, reason, on = _s(), _s(), _s(), _i(), _s(), _d()


class MatterOverdueV1(Schema):
    bundle_id, matter, attempt, due_on = _s(), _s(), _i(), _d()


class MatterTermSetV1(Schema):
    bundle_id, matter, attempt, due_on = _s(), _s(), _i(), _d()


class MatterFollowedUpV1(Schema):
    bundle_id, matter, note, on = _s(), _s(), _s(), _d()


class MatterCommandFailedV1(Schema):
    bundle_id, matter, attempt, error, on = _s(), _s(), _i(), _s(), _d()


class BundleCompletedV1(Schema):
    bundle_id, outcome, on = _s(), _s(validate=validate.OneOf(("complete", "closed"))), _d()


# A matter's request and withdrawal carry the department in their type: the routing key.
EVENT_SCHEMAS: dict[str, type[Schema]] = {
    "BundleSubmitted": BundleSubmittedV1,
    **{f"MatterRequested.{d}": MatterRequestedV1 for d in DEPARTMENTS},
    "MatterAcknowledged": MatterAcknowledgedV1,
    "MatterProgressed": MatterProgressedV1,
    "MatterDone": MatterDoneV1,
    "MatterRefused": MatterRefusedV1,
    **{f"MatterWithdrawn.{d}": MatterWithdrawnV1 for d in DEPARTMENTS},
    "MatterOverdue": MatterOverdueV1,
    "MatterTermSet": MatterTermSetV1,
    "MatterFollowedUp": MatterFollowedUpV1,
    "MatterCommandFailed": MatterCommandFailedV1,
    "BundleCompleted": BundleCompletedV1,
}
upcast = Upcasters({event_type: 1 for event_type in EVENT_SCHEMAS})


# -- what goes on bundle.events: the bundle's id, the matter, dates; never the veteran ---------------
# No veteran id, no form, no free text (a reason, a next step, a note, a reference can name
# someone), no applicability (a disability or a party membership is the person's). A department
# learns whose matter it is by reading the bundle through the gateway with its own token, which
# shows it its own matters only, and the veteran's fields it is entitled to, audited.

_BUNDLE = {"bundle_id": _s(metadata={"description": "the bundle (its stream); pseudonymous"})}
_MATTER = {**_BUNDLE, "matter": _s(metadata={"description": "the catalogue's matter key"}),
           "attempt": _i(metadata={"description": "1, or more once asked again after a "
                                                  "refusal"})}


def _public(name: str, /, **declared) -> type[Schema]:
    return Schema.from_dict(declared, name=name)


def _requested_public(department: str) -> type[Schema]:
    return _public(f"MatterRequested{_camel(department)}PublicV1", **_MATTER, department=_s(),
                   requested_on=_d(),
                   due_on=_nd(metadata={"description": "the last day; null: no clock yet"}))


def _withdrawn_public(department: str) -> type[Schema]:
    return _public(f"MatterWithdrawn{_camel(department)}PublicV1", **_MATTER, department=_s(),
                   on=_d())


def _camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


PUBLIC_SCHEMAS: dict[str, type[Schema]] = {
    "BundleSubmitted": _public(
        "BundleSubmittedPublicV1", **_BUNDLE, station=_s(), township=_s(), submitted_on=_d(),
        matters_requested=_i(metadata={"description": "how many matters were requested"})),
    **{f"MatterRequested.{d}": _requested_public(d) for d in DEPARTMENTS},
    "MatterAcknowledged": _public("MatterAcknowledgedPublicV1", **_MATTER, on=_d()),
    "MatterProgressed": _public("MatterProgressedPublicV1", **_MATTER, on=_d()),
    "MatterDone": _public("MatterDonePublicV1", **_MATTER, on=_d(), correction=_b()),
    "MatterRefused": _public("MatterRefusedPublicV1", **_MATTER, on=_d(), correction=_b()),
    **{f"MatterWithdrawn.{d}": _withdrawn_public(d) for d in DEPARTMENTS},
    "MatterOverdue": _public("MatterOverduePublicV1", **_MATTER, due_on=_d()),
    "MatterTermSet": _public("MatterTermSetPublicV1", **_MATTER, due_on=_d()),
    "MatterFollowedUp": _public("MatterFollowedUpPublicV1", **_BUNDLE, matter=_s(), on=_d()),
    "MatterCommandFailed": _public("MatterCommandFailedPublicV1", **_MATTER, on=_d()),
    "BundleCompleted": _public("BundleCompletedPublicV1", **_BUNDLE, outcome=_s(), on=_d()),
}
DERIVED = {"BundleSubmitted": {"matters_requested": lambda data: sum(
    1 for m in data.get("matters", ()) if m.get("applies") and m.get("chosen"))}}

public_form = Publication("bundle", PUBLIC_SCHEMAS, DERIVED, stored=EVENT_SCHEMAS,
                          versions=upcast.current)
"""The payload a subscriber receives for a stored event (relay and events_after)."""


# -- domain events <-> stored payloads ---------------------------------------------------------------

def to_new_event(domain_event) -> NewEvent:
    schema = instance(EVENT_SCHEMAS[domain_event.event_type])
    return NewEvent(event_type=domain_event.event_type,
                    schema_version=domain_event.schema_version,
                    data=schema.dump(_plain(asdict(domain_event))))


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def load_data(event: RecordedEvent) -> dict[str, Any]:
    return instance(EVENT_SCHEMAS[event.event_type]).load(event.data, unknown=EXCLUDE)


# -- requests ---------------------------------------------------------------------------------------

class LeaveOutRequest(Schema):
    matter = fields.String(required=True, validate=MATTER_KEY)
    reason = _text(200, allow_none=True, metadata={"description": "optional: why (recorded)"})


class _FormFields(Schema):
    """What the veteran states once: the facts placement's report-in and the applicability rules
    need. Facts left out are taken from what the registry and placement published."""

    discharge_approved_on = FullDate(metadata={"description": "the day the discharge was "
                                                              "approved (reporting in is due "
                                                              "30 days after)"})
    discharged_on = FullDate(metadata={"description": "the day of discharge, if the file does "
                                                      "not hold it yet (default: the approval)"})
    rank_class = fields.String(validate=validate.OneOf(RANK_CLASSES))
    years_of_service = fields.Integer(validate=validate.Range(0, 50))
    age_at_discharge = fields.Integer(allow_none=True, validate=validate.Range(16, 80))
    honours = fields.List(fields.Nested(HonourRequest), validate=validate.Length(max=20))
    disability = fields.Nested(DisabilityRequest, allow_none=True, metadata={
        "description": "a disability graded in service: the disability pension transfer applies"})
    martyr_child = fields.Boolean()
    placement_mode = fields.String(validate=validate.OneOf(MODES), metadata={
        "description": "the placement mode chosen (sent on to placement after reporting in); "
                       "self-employment brings the one-time subsidy and job-seeker registration"})
    party_member = fields.Boolean(metadata={
        "description": "a party member whose membership the registry does not hold yet"})


class SubmitBundleRequest(_FormFields):
    """军人退役一件事: one application for every matter of the catalogue that applies."""

    class Meta:
        example = {"veteran_id": "8c0c5f38-6f3e-4a8e-9d8e-2f1f5c8a1b2c",
                   "discharge_approved_on": "2026-11-02", "placement_mode": "self_employment",
                   "leave_out": [{"matter": "reserve_registration",
                                  "reason": "已在原部队驻地办理"}]}

    veteran_id = fields.String(validate=_UUID, metadata={
        "description": "the registry's veteran id; a veteran may leave it out (their own)"})
    discharge_approved_on = FullDate(required=True, metadata={
        "description": "the day the discharge was approved (reporting in is due 30 days after)"})
    leave_out = fields.List(fields.Nested(LeaveOutRequest), load_default=list,
                            validate=validate.Length(max=20), metadata={
                                "description": "matters that apply which the veteran does not "
                                               "want handled here (recorded with the reason)"})

    @validates_schema
    def _once_each(self, data, **kwargs):
        keys = [item["matter"] for item in data.get("leave_out", ())]
        if len(keys) != len(set(keys)):
            raise ValidationError({"leave_out": ["a matter is listed twice"]})


class MatterOutcomeRequest(Schema):
    """A department's answer for one of its own matters: acknowledged, in progress, done with its
    reference, or refused with the reason and what the veteran should do next. The same answer
    again changes nothing; a different one after done or refused is a correction (shown)."""

    class Meta:
        example = {"outcome": "done", "reference": "JD-HJ-2026-001234"}

    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reference = _text(100, allow_none=True, metadata={
        "description": "the department's own reference: required for done"})
    step = _text(100, allow_none=True, metadata={"description": "in progress: which step"})
    reason = _text(500, allow_none=True, metadata={"description": "required for refused"})
    next_step = _text(500, allow_none=True, metadata={
        "description": "required for refused: what the veteran should do next"})

    @validates_schema
    def _complete(self, data, **kwargs):
        if data["outcome"] == "done" and not data.get("reference"):
            raise ValidationError({"reference": ["required for done"]})
        if data["outcome"] == "refused":
            missing = {name: ["required for refused"] for name in ("reason", "next_step")
                       if not data.get(name)}
            if missing:
                raise ValidationError(missing)


class WithdrawMatterRequest(Schema):
    class Meta:
        example = {"reason": "已自行到派出所办理"}

    reason = _text(500, required=True)


class ResubmitMatterRequest(_FormFields):
    """Ask again after a refusal or a withdrawal (or for a matter left out): a new attempt,
    with a new term. Facts given correct what was stated before."""

    class Meta:
        example = {"note": "已补充退役证明复印件"}

    note = _text(500, allow_none=True)


class FollowUpRequest(Schema):
    class Meta:
        example = {"note": "已电话联系户籍窗口，承诺本周内办结"}

    note = _text(500, required=True)


class BundleEmptyRequest(Schema):
    """Nothing but the path: send {}."""

    class Meta:
        example = {}


def _page():
    return QueryInteger(load_default=1, validate=validate.Range(min=1, max=100000))


def _page_size():
    return QueryInteger(load_default=20, validate=validate.Range(min=1, max=200))


class _Boolean(fields.Boolean):
    """true or false, as a query string spells them (and as the gateway passes them on, loaded
    and dumped: a JSON boolean)."""

    truthy, falsy = {"true", True}, {"false", False}


_STATION = fields.String(validate=[validate.Length(min=1, max=100), TEXT])


class ListBundlesQuery(Schema):
    status = fields.String(validate=validate.OneOf(BUNDLE_STATUSES))
    station = fields.String(validate=[validate.Length(min=1, max=100), TEXT])
    department = fields.String(validate=validate.OneOf(DEPARTMENTS))
    overdue = _Boolean(metadata={"description": "true: only bundles with an overdue matter"})
    veteran_id = fields.String(validate=_UUID)
    page = _page()
    page_size = _page_size()


class AttentionQuery(Schema):
    station = fields.String(validate=[validate.Length(min=1, max=100), TEXT])
    department = fields.String(validate=validate.OneOf(DEPARTMENTS))
    kind = fields.String(validate=validate.OneOf(ATTENTION_KINDS))
    page = _page()
    page_size = _page_size()


class NotificationsQuery(Schema):
    page = _page()
    page_size = _page_size()


# -- replies ----------------------------------------------------------------------------------------

class BundleAccepted(Schema):
    bundle_id = _s()
    veteran_id = _s()
    version = _i(metadata={"description": "the bundle's stream version: grows with every change"})
    status = _s(validate=validate.OneOf(BUNDLE_STATUSES))
    replayed = _b(metadata={"description": "true when this was a retried request"})


class BundleMatterReply(Schema):
    matter = _s()
    title = _s()
    department = _s(validate=validate.OneOf(DEPARTMENTS))
    department_name = _s()
    internal = _b(metadata={"description": "one of our services; else another department"})
    applies = _b()
    chosen = _b()
    reason_code = _ns(metadata={"description": "why it does not apply or was left out"})
    reason = _ns()
    status = _s(validate=validate.OneOf(MATTER_STATUSES))
    final = _b(metadata={"description": "done, refused or withdrawn: no further step expected "
                                        "(a department may still correct its answer)"})
    attempt = _i()
    requested_on, acknowledged_on, answered_on, due_on = _nd(), _nd(), _nd(), _nd()
    clock_unknown = _b(metadata={"description": "no term could be counted yet (the year's "
                                                "holidays are not known)"})
    overdue = _b(metadata={"description": "its term ran out while it was open"})
    late = _b(metadata={"description": "answered after it was overdue"})
    reference = _ns(metadata={"description": "the department's reference (done) or case id"})
    refusal_reason = _ns()
    refusal_code = _ns()
    next_step = _ns(metadata={"description": "what the veteran should do next"})
    corrected = _b(metadata={"description": "the department corrected an earlier answer"})
    withdrawal_reason = _ns()
    steps = fields.List(fields.String(), required=True)
    attention = _ns(metadata={"description": "why it is on the staff lists, until someone acts"})
    attention_since = _nd()


class BundleHistoryEntry(Schema):
    version = _i()
    at = _ns()
    event = _s()
    actor = _ns(metadata={"description": "the role that acted"})
    matter = _ns()
    status = _ns()
    detail = fields.Dict(required=True)


class BundleNotificationView(Schema):
    notification_id = _s()
    kind = _s()
    title = _s()
    body = _s()
    bundle_id = _ns()
    matter = _ns()
    status = _s(validate=validate.OneOf(NOTIFICATION_STATUSES))
    attempts = _i()
    channel = _s()
    created_at = _s()
    sent_at = _ns()


class BundleReply(Schema):
    """One bundle: every matter with its department, status, dates, term, reference or reason,
    final flag; the history; the notifications sent about it; `version` grows with each change."""

    bundle_id = _s()
    veteran_id = _s()
    version = _i()
    status = _s(validate=validate.OneOf(BUNDLE_STATUSES))
    final = _b()
    overdue = _b()
    station, township = _s(), _s()
    submitted_on = _d()
    completed_on = _nd()
    matters = fields.List(fields.Nested(BundleMatterReply), required=True)
    history = fields.List(fields.Nested(BundleHistoryEntry), required=True)
    notifications = fields.List(fields.Nested(BundleNotificationView), required=True)
    withheld = fields.List(fields.String(), required=True,
                           metadata={"description": "what your role may not see"})


class BundleMatterSummary(Schema):
    matter, department, status = _s(), _s(), _s()
    due_on = _nd()
    overdue = _b()
    attention = _ns()


class BundleSummary(Schema):
    bundle_id, veteran_id, station, township = _s(), _s(), _s(), _s()
    submitted_on = _d()
    status = _s(validate=validate.OneOf(BUNDLE_STATUSES))
    overdue = _b()
    version = _i()
    completed_on = _nd()
    matters = fields.List(fields.Nested(BundleMatterSummary), required=True, metadata={
        "description": "a department sees its own matters only"})


class BundleList(Schema):
    items = fields.List(fields.Nested(BundleSummary), required=True)
    total, page, page_size = _i(), _i(), _i()


class AttentionItem(Schema):
    kind = _s(validate=validate.OneOf(ATTENTION_KINDS))
    bundle_id = _ns()
    veteran_id = _ns()
    station = _ns()
    matter = _ns()
    department = _ns()
    status = _ns()
    since = _ns()
    due_on = _nd()
    reason = _ns()
    next_step = _ns()
    notification_id = _ns()
    attempts = fields.Integer(**_NULLABLE)


class AttentionList(Schema):
    """What waits for a person: refused and overdue matters, commands our services could not
    take, clocks that could not be set, notifications that could not be delivered."""

    items = fields.List(fields.Nested(AttentionItem), required=True)
    total, page, page_size = _i(), _i(), _i()


class NotificationList(Schema):
    items = fields.List(fields.Nested(BundleNotificationView), required=True)
    total, page, page_size = _i(), _i(), _i()


class NotificationAccepted(Schema):
    notification_id = _s()
    status = _s(validate=validate.OneOf(NOTIFICATION_STATUSES))


# -- routes -----------------------------------------------------------------------------------------

_BUNDLE_PATH = "/bundles/{bundle_id}"
_MATTER_PATH = f"{_BUNDLE_PATH}/matters/{{matter}}"
_STEP_ERRORS = (400, 403, 404, 409, 422)


def _matter_step(name: str, path: str, summary: str, request) -> Route:
    return Route(name, "bundle", "POST", f"{_MATTER_PATH}/{path}", summary, request=request,
                 reply=BundleAccepted, errors=_STEP_ERRORS)


ROUTES = (
    Route("submit_bundle", "bundle", "POST", "/bundles",
          "submit the discharge bundle 军人退役一件事: one application, every matter that "
          "applies fanned out to its department (a second open one: 409 naming it)",
          request=SubmitBundleRequest, reply=BundleAccepted, status=201,
          errors=(400, 404, 409, 422)),
    Route("list_bundles", "bundle", "GET", "/bundles",
          "bundles in your reach (status, station, department, overdue=true)",
          query=ListBundlesQuery, reply=BundleList, errors=(400,), personal=("matters",)),
    Route("bundle_attention", "bundle", "GET", "/bundles/attention",
          "the staff list: refused and overdue matters, failed commands and notifications, "
          "until someone acts (a station's, a department's)", query=AttentionQuery,
          reply=AttentionList, errors=(400,), personal=("reason", "next_step")),
    Route("get_bundle", "bundle", "GET", _BUNDLE_PATH,
          "one bundle: every matter (department, status, dates, term, reference or reason, "
          "final flag), its history and notifications", reply=BundleReply, errors=(404,),
          personal=("matters",)),
    _matter_step("record_matter_outcome", "outcome",
                 "a department answers its own matter: acknowledged, in progress, done with its "
                 "reference, refused with reason and next step (idempotent; corrections shown)",
                 MatterOutcomeRequest),
    _matter_step("withdraw_matter", "withdrawal",
                 "withdraw a matter (its department is told)", WithdrawMatterRequest),
    _matter_step("resubmit_matter", "resubmission",
                 "ask again after a refusal or withdrawal, or ask for a matter left out",
                 ResubmitMatterRequest),
    _matter_step("follow_up_matter", "follow-up",
                 "record what was done about a refused or overdue matter: it leaves the staff "
                 "lists", FollowUpRequest),
    Route("my_notifications", "bundle", "GET", "/me/notifications",
          "your notifications (the portal's inbox), newest first, with their delivery",
          query=NotificationsQuery, reply=NotificationList, errors=(400,)),
    Route("retry_notification", "bundle", "POST", "/notifications/{notification_id}/retry",
          "send a notification that could not be delivered again", request=BundleEmptyRequest,
          reply=NotificationAccepted, errors=(404, 409)),
)
