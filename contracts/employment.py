"""The employment service's contracts: its events (stored and public forms), requests, replies, routes."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from chassis.envelope import NewEvent, RecordedEvent
from contracts import instance
from contracts.publication import Publication

# The registry's field rules for text people type and for dates and query integers, so every
# service refuses the same input the same way (and the API document states it the same way).
from contracts.registry import NONBLANK, PHONE, TEXT
from contracts.registry import _Date as FullDate
from contracts.registry import _QueryInteger as QueryInteger
from contracts.routes import Route
from contracts.versioning import Upcasters

SOURCE = "/vetlife/employment"
# The domain's vocabulary, repeated here as the wire's enums (a test holds them equal).
POSTING_KINDS = ("manufacturing", "logistics", "security", "construction", "services",
                 "technical", "public_welfare", "public_sector", "other")
TRAINING_KINDS = ("adaptive", "skills", "degree")
CLOSE_REASONS = ("filled", "withdrawn", "expired")
SOURCES = ("placement", "direct")
STATUSES = ("seeking", "employed")
MAX_MONTHLY_PAY_FEN = 10_000_000
MAX_AWARD_FEN = 100_000_000
MAX_LOAN_FEN = 100_000_000
MAX_COUNT = 1_000_000

_NULLABLE = {"required": True, "allow_none": True}


# -- events, version 1: the stored forms ---------------------------------------------------------

class EmployerRegisteredV1(Schema):
    employer_id = fields.String(required=True)
    name = fields.String(required=True)
    credit_code = fields.String(required=True)
    individual_business = fields.Boolean(required=True)
    township = fields.String(required=True)
    industry = fields.String(allow_none=True)
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    registered_on = fields.Date(required=True)


class PostingPublishedV1(Schema):
    posting_id = fields.String(required=True)
    employer_id = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    township = fields.String(required=True)
    pay_min_fen = fields.Integer(required=True)
    pay_max_fen = fields.Integer(required=True)
    requirements = fields.List(fields.String(), required=True)
    headcount = fields.Integer(required=True)
    published_on = fields.Date(required=True)


class PostingClosedV1(Schema):
    posting_id = fields.String(required=True)
    closed_on = fields.Date(required=True)
    reason = fields.String(required=True)


class JobFairRecordedV1(Schema):
    fair_id = fields.String(required=True)
    name = fields.String(required=True)
    held_on = fields.Date(required=True)
    township = fields.String(required=True)
    employer_ids = fields.List(fields.String(), required=True)
    employers_attending = fields.Integer(required=True)
    posts_offered = fields.Integer(required=True)
    veterans_attending = fields.Integer(required=True)
    intentions_reached = fields.Integer(required=True)


class JobSeekerRegisteredV1(Schema):
    veteran_id = fields.String(required=True)
    township = fields.String(required=True)
    service_station = fields.String(required=True)
    source = fields.String(required=True)
    registered_on = fields.Date(required=True)


class JobIntentionStatedV1(Schema):
    veteran_id = fields.String(required=True)
    kinds = fields.List(fields.String(), required=True)
    townships = fields.List(fields.String(), required=True)
    min_pay_fen = fields.Integer(allow_none=True)
    skills = fields.List(fields.String(), required=True)


class EmploymentIntentionReachedV1(Schema):
    veteran_id = fields.String(required=True)
    intention_id = fields.String(required=True)
    employer_id = fields.String(required=True)
    posting_id = fields.String(allow_none=True)
    fair_id = fields.String(allow_none=True)
    reached_on = fields.Date(required=True)


class HiredV1(Schema):
    veteran_id = fields.String(required=True)
    hire_id = fields.String(required=True)
    employer_id = fields.String(required=True)
    posting_id = fields.String(allow_none=True)
    hired_on = fields.Date(required=True)
    contract_months = fields.Integer(required=True)
    social_insurance = fields.Boolean(required=True)
    monthly_pay_fen = fields.Integer(allow_none=True)


class TrainingEnrolledV1(Schema):
    veteran_id = fields.String(required=True)
    enrolment_id = fields.String(required=True)
    kind = fields.String(required=True)
    course = fields.String(required=True)
    provider = fields.String(required=True)
    starts_on = fields.Date(required=True)


class StartupLoanGrantedV1(Schema):
    veteran_id = fields.String(required=True)
    loan_id = fields.String(required=True)
    lender = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    term_months = fields.Integer(required=True)
    annual_rate_bp = fields.Integer(required=True)
    subsidy_percent = fields.Integer(required=True)
    terms_year = fields.Integer(required=True)
    granted_on = fields.Date(required=True)


class ContestAwardGrantedV1(Schema):
    veteran_id = fields.String(required=True)
    award_id = fields.String(required=True)
    contest = fields.String(required=True)
    award = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    awarded_on = fields.Date(required=True)


EVENT_SCHEMAS: dict[str, type[Schema]] = {
    "EmployerRegistered": EmployerRegisteredV1,
    "PostingPublished": PostingPublishedV1,
    "PostingClosed": PostingClosedV1,
    "JobFairRecorded": JobFairRecordedV1,
    "JobSeekerRegistered": JobSeekerRegisteredV1,
    "JobIntentionStated": JobIntentionStatedV1,
    "EmploymentIntentionReached": EmploymentIntentionReachedV1,
    "Hired": HiredV1,
    "TrainingEnrolled": TrainingEnrolledV1,
    "StartupLoanGranted": StartupLoanGrantedV1,
    "ContestAwardGranted": ContestAwardGrantedV1,
}
upcast = Upcasters({event_type: 1 for event_type in EVENT_SCHEMAS})


# -- what departments see -------------------------------------------------------------------------
# Allow-lists (contracts/publication.py): a stored field reaches the bus only when declared below.
# Employers are organisations: their name and unified social credit code are published, because
# the departments that act on a hire (human resources and social security for the employer's
# subsidy, tax for its relief) must know which organisation hired, and both are public in the
# national enterprise credit register anyway. Not so for an individual business (个体工商户):
# its name is often its owner's name and its code identifies one person's business, so both go
# out as null. The employer's contact person and phone never go out. For veterans: the
# pseudonymous veteran id and facts about the search; never pay, loan or award amounts (a
# person's money), nor the free-text skills and minimum pay they stated.

def _organisation(field: str):
    def value(stored: dict) -> Any:
        return None if stored.get("individual_business") else stored.get(field)
    return value


def _tax_relief(stored: dict) -> bool:
    return bool(stored.get("social_insurance")) and (stored.get("contract_months") or 0) >= 12


class EmployerRegisteredPublicV1(Schema):
    """An employer on file. Name and credit code are null for an individual business."""

    employer_id = fields.String(required=True)
    name = fields.String(**_NULLABLE, metadata={"description": "null: an individual business"})
    credit_code = fields.String(**_NULLABLE,
                                metadata={"description": "统一社会信用代码; null: an individual "
                                                         "business"})
    individual_business = fields.Boolean(required=True)
    township = fields.String(required=True)
    industry = fields.String(**_NULLABLE)
    registered_on = fields.Date(required=True)


class PostingPublishedPublicV1(Schema):
    posting_id = fields.String(required=True)
    employer_id = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(POSTING_KINDS))
    township = fields.String(required=True)
    pay_min_fen = fields.Integer(required=True, metadata={"description": "monthly, in fen"})
    pay_max_fen = fields.Integer(required=True, metadata={"description": "monthly, in fen"})
    requirements = fields.List(fields.String(), required=True)
    headcount = fields.Integer(required=True)
    published_on = fields.Date(required=True)


class PostingClosedPublicV1(Schema):
    posting_id = fields.String(required=True)
    closed_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(CLOSE_REASONS))


class JobFairRecordedPublicV1(Schema):
    fair_id = fields.String(required=True)
    name = fields.String(required=True)
    held_on = fields.Date(required=True)
    township = fields.String(required=True)
    employer_ids = fields.List(fields.String(), required=True)
    employers_attending = fields.Integer(required=True)
    posts_offered = fields.Integer(required=True)
    veterans_attending = fields.Integer(required=True)
    intentions_reached = fields.Integer(required=True)


class JobSeekerRegisteredPublicV1(Schema):
    veteran_id = fields.String(required=True, metadata={"description": "pseudonymous id"})
    township = fields.String(required=True)
    service_station = fields.String(required=True)
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    registered_on = fields.Date(required=True)


class JobIntentionStatedPublicV1(Schema):
    """The kinds of work and the townships wanted; skills and minimum pay stay here."""

    veteran_id = fields.String(required=True)
    kinds = fields.List(fields.String(validate=validate.OneOf(POSTING_KINDS)), required=True)
    townships = fields.List(fields.String(), required=True)


class EmploymentIntentionReachedPublicV1(Schema):
    veteran_id = fields.String(required=True)
    intention_id = fields.String(required=True)
    employer_id = fields.String(required=True)
    posting_id = fields.String(**_NULLABLE)
    fair_id = fields.String(**_NULLABLE)
    reached_on = fields.Date(required=True)


class HiredPublicV1(Schema):
    """A hire, without the pay."""

    veteran_id = fields.String(required=True)
    hire_id = fields.String(required=True)
    employer_id = fields.String(required=True)
    posting_id = fields.String(**_NULLABLE)
    hired_on = fields.Date(required=True)
    contract_months = fields.Integer(required=True)
    social_insurance = fields.Boolean(required=True)
    employer_tax_relief_eligible = fields.Boolean(
        required=True, metadata={"description": "a contract of 12+ months with social insurance: "
                                                "what the employer's tax relief needs"})


class TrainingEnrolledPublicV1(Schema):
    veteran_id = fields.String(required=True)
    enrolment_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(TRAINING_KINDS))
    course = fields.String(required=True)
    provider = fields.String(required=True)
    starts_on = fields.Date(required=True)


class StartupLoanGrantedPublicV1(Schema):
    """A startup guarantee loan was granted; the amount and rate stay here."""

    veteran_id = fields.String(required=True)
    loan_id = fields.String(required=True)
    lender = fields.String(required=True)
    term_months = fields.Integer(required=True)
    subsidy_percent = fields.Integer(required=True)
    terms_year = fields.Integer(required=True)
    granted_on = fields.Date(required=True)


class ContestAwardGrantedPublicV1(Schema):
    """An entrepreneurship contest award; the prize money stays here."""

    veteran_id = fields.String(required=True)
    award_id = fields.String(required=True)
    contest = fields.String(required=True)
    award = fields.String(required=True)
    awarded_on = fields.Date(required=True)


PUBLIC_SCHEMAS: dict[str, type[Schema]] = {
    "EmployerRegistered": EmployerRegisteredPublicV1,
    "PostingPublished": PostingPublishedPublicV1,
    "PostingClosed": PostingClosedPublicV1,
    "JobFairRecorded": JobFairRecordedPublicV1,
    "JobSeekerRegistered": JobSeekerRegisteredPublicV1,
    "JobIntentionStated": JobIntentionStatedPublicV1,
    "EmploymentIntentionReached": EmploymentIntentionReachedPublicV1,
    "Hired": HiredPublicV1,
    "TrainingEnrolled": TrainingEnrolledPublicV1,
    "StartupLoanGranted": StartupLoanGrantedPublicV1,
    "ContestAwardGranted": ContestAwardGrantedPublicV1,
}
DERIVED = {
    "EmployerRegistered": {"name": _organisation("name"),
                           "credit_code": _organisation("credit_code")},
    "Hired": {"employer_tax_relief_eligible": _tax_relief},
}

public_form = Publication("employment", PUBLIC_SCHEMAS, DERIVED, stored=EVENT_SCHEMAS,
                          versions=upcast.current)
"""The payload a subscriber receives for a stored event; NotPublishable for an undeclared type."""


# -- domain events <-> stored payloads ------------------------------------------------------------

def to_new_event(domain_event) -> NewEvent:
    schema = instance(EVENT_SCHEMAS[domain_event.event_type])
    data = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(domain_event).items()}
    return NewEvent(event_type=domain_event.event_type,
                    schema_version=domain_event.schema_version, data=schema.dump(data))


def load_data(event: RecordedEvent) -> dict[str, Any]:
    """A stored payload as Python values (dates as dates, lists as tuples) for the domain."""
    data = instance(EVENT_SCHEMAS[event.event_type]).load(event.data, unknown=EXCLUDE)
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


# -- requests -------------------------------------------------------------------------------------

class _List(fields.List):
    """A list whose items' problems are reported under the list's own name, as one list of
    messages (`{"skills": ["item 2: ..."]}`): the API's error shape is field -> problems, and
    marshmallow would nest them by index."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as error:
            if not isinstance(error.messages, dict):
                raise
            raise ValidationError([
                f"item {int(index) + 1}: {message}"
                for index, messages in sorted(error.messages.items(), key=lambda kv: int(kv[0]))
                for message in (messages if isinstance(messages, list) else [messages])
            ]) from None


def _text(max_length: int = 100, *, required: bool = False, **kwargs) -> fields.String:
    return fields.String(required=required, validate=[validate.Length(max=max_length), NONBLANK],
                         **kwargs)


def _fen(maximum: int, *, required: bool = False, minimum: int = 0, **kwargs) -> fields.Integer:
    # strict: 1.5 is not a number of fen, and neither is "150".
    return fields.Integer(required=required, strict=True,
                          validate=validate.Range(min=minimum, max=maximum), **kwargs)


def _count(maximum: int = MAX_COUNT, *, required: bool = True, minimum: int = 0,
           **kwargs) -> fields.Integer:
    return fields.Integer(required=required, strict=True,
                          validate=validate.Range(min=minimum, max=maximum), **kwargs)


def _tags(description: str, max_items: int = 20) -> fields.List:
    return _List(fields.String(validate=[validate.Length(min=1, max=40), NONBLANK]),
                       load_default=list, validate=validate.Length(max=max_items),
                       metadata={"description": description})


def _kinds() -> fields.List:
    return _List(fields.String(validate=validate.OneOf(POSTING_KINDS)), load_default=list,
                       validate=validate.Length(max=len(POSTING_KINDS)),
                       metadata={"description": "kinds of work wanted; none: any"})


def _townships() -> fields.List:
    return _List(fields.String(validate=[validate.Length(min=1, max=100), NONBLANK]),
                       load_default=list, validate=validate.Length(max=20),
                       metadata={"description": "townships the veteran wants to work in, "
                                                "besides their own"})


class RegisterEmployerRequest(Schema):
    class Meta:
        example = {"name": "金华市金东区顺达物流有限公司", "credit_code": "91330703MA2E7RLK07",
                   "township": "孝顺镇", "industry": "物流", "contact_name": "王丽",
                   "contact_phone": "0579-82345678"}

    name = _text(200, required=True)
    credit_code = fields.String(
        required=True, validate=[validate.Length(min=18, max=24), TEXT],
        metadata={"description": "统一社会信用代码, 18 characters (spaces and hyphens ignored); "
                                 "checked, and one employer per code"})
    township = _text(required=True)
    industry = _text(allow_none=True)
    contact_name = _text(allow_none=True, metadata={"description": "personal: never published"})
    contact_phone = fields.String(allow_none=True, validate=[validate.Length(max=20), PHONE],
                                  metadata={"description": "personal: never published"})


class PublishPostingRequest(Schema):
    class Meta:
        example = {"employer_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "title": "仓储管理员",
                   "kind": "logistics", "township": "孝顺镇", "pay_min_fen": 450000,
                   "pay_max_fen": 600000, "headcount": 2, "requirements": ["叉车证", "高中"]}

    employer_id = fields.UUID(required=True)
    title = _text(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(POSTING_KINDS))
    township = _text(required=True)
    pay_min_fen = _fen(MAX_MONTHLY_PAY_FEN, required=True,
                       metadata={"description": "monthly pay, lowest, in fen"})
    pay_max_fen = _fen(MAX_MONTHLY_PAY_FEN, required=True,
                       metadata={"description": "monthly pay, highest, in fen"})
    headcount = _count(10_000, minimum=1)
    requirements = _tags("what the post needs, as tags staff and veterans share (驾驶证C1, 电工证)")
    published_on = FullDate(metadata={"description": "default: today"})

    @validates_schema
    def _pay_range(self, data, **kwargs):
        if data.get("pay_min_fen", 0) > data.get("pay_max_fen", MAX_MONTHLY_PAY_FEN):
            raise ValidationError({"pay_max_fen": ["must not be below pay_min_fen"]})


class ClosePostingRequest(Schema):
    class Meta:
        example = {"reason": "filled"}

    reason = fields.String(required=True, validate=validate.OneOf(CLOSE_REASONS))
    closed_on = FullDate(metadata={"description": "default: today"})


class RecordJobFairRequest(Schema):
    class Meta:
        example = {"name": "金东区退役军人专场招聘会", "held_on": "2026-05-18",
                   "township": "多湖街道", "employer_ids": [], "employers_attending": 40,
                   "posts_offered": 900, "veterans_attending": 31, "intentions_reached": 15}

    name = _text(200, required=True)
    held_on = FullDate(required=True)
    township = _text(required=True)
    employer_ids = _List(fields.UUID(), load_default=list,
                               validate=validate.Length(max=1000),
                               metadata={"description": "attending employers on file"})
    employers_attending = _count()
    posts_offered = _count()
    veterans_attending = _count()
    intentions_reached = _count()


class RegisterJobSeekerRequest(Schema):
    """A job seeker registered directly (staff); the intention fields are optional."""

    class Meta:
        example = {"veteran_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                   "township": "多湖街道", "service_station": "多湖街道退役军人服务站",
                   "kinds": ["logistics", "security"], "townships": ["东孝街道"],
                   "min_pay_fen": 450000, "skills": ["驾驶证c1", "安保员证"]}

    veteran_id = fields.UUID(required=True, metadata={"description": "the registry's veteran id"})
    township = _text(required=True)
    service_station = _text(required=True)
    registered_on = FullDate(metadata={"description": "default: today"})
    kinds = _kinds()
    townships = _townships()
    min_pay_fen = _fen(MAX_MONTHLY_PAY_FEN, allow_none=True)
    skills = _tags("what the veteran can do, as the same tags postings require")


class StateJobIntentionRequest(Schema):
    """求职意向: replaces the one stated before."""

    class Meta:
        example = {"kinds": ["logistics"], "townships": ["孝顺镇"], "min_pay_fen": 500000,
                   "skills": ["驾驶证c1", "叉车证"]}

    kinds = _kinds()
    townships = _townships()
    min_pay_fen = _fen(MAX_MONTHLY_PAY_FEN, allow_none=True,
                       metadata={"description": "the lowest monthly pay wanted, in fen"})
    skills = _tags("what the veteran can do, as the same tags postings require")


class RecordEmploymentIntentionRequest(Schema):
    """达成就业意向 with an employer, for one of its postings and at a fair if so."""

    class Meta:
        example = {"employer_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                   "reached_on": "2026-05-18"}

    employer_id = fields.UUID(required=True)
    posting_id = fields.UUID(allow_none=True)
    fair_id = fields.UUID(allow_none=True)
    reached_on = FullDate(metadata={"description": "default: today"})


class RecordHireRequest(Schema):
    class Meta:
        example = {"employer_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                   "hired_on": "2026-06-01", "contract_months": 24, "social_insurance": True,
                   "monthly_pay_fen": 520000}

    employer_id = fields.UUID(required=True)
    posting_id = fields.UUID(allow_none=True)
    hired_on = FullDate(required=True)
    contract_months = _count(600, minimum=1)
    social_insurance = fields.Boolean(required=True)
    monthly_pay_fen = _fen(MAX_MONTHLY_PAY_FEN, allow_none=True)


class EnrolTrainingRequest(Schema):
    class Meta:
        example = {"kind": "skills", "course": "叉车司机", "provider": "金华技师学院",
                   "starts_on": "2026-07-01"}

    kind = fields.String(required=True, validate=validate.OneOf(TRAINING_KINDS),
                         metadata={"description": "adaptive 适应性培训 (once), skills 技能培训, "
                                                  "degree 学历教育"})
    course = _text(200, required=True)
    provider = _text(200, required=True)
    starts_on = FullDate(required=True)


class GrantStartupLoanRequest(Schema):
    class Meta:
        example = {"lender": "金华银行金东支行", "amount_fen": 20000000, "term_months": 36,
                   "annual_rate_bp": 345, "granted_on": "2026-03-01"}

    lender = _text(200, required=True)
    amount_fen = _fen(MAX_LOAN_FEN, required=True, minimum=1)
    term_months = _count(120, minimum=1)
    annual_rate_bp = _count(2400, metadata={"description": "basis points: 3.45% is 345"})
    granted_on = FullDate(required=True)


class GrantContestAwardRequest(Schema):
    class Meta:
        example = {"contest": "金华市退役军人创业创新大赛", "award": "二等奖",
                   "amount_fen": 1000000, "awarded_on": "2026-05-01"}

    contest = _text(200, required=True)
    award = _text(required=True)
    amount_fen = _fen(MAX_AWARD_FEN, required=True)
    awarded_on = FullDate(required=True)


class EmploymentMatchQuery(Schema):
    limit = QueryInteger(load_default=10, validate=validate.Range(min=1, max=50))


class EmploymentFiguresQuery(Schema):
    from_ = FullDate(data_key="from", metadata={"description": "first day; default: 1 January"})
    to = FullDate(metadata={"description": "last day (inclusive); default: today"})

    @validates_schema
    def _ordered(self, data, **kwargs):
        if "from_" in data and "to" in data and data["from_"] > data["to"]:
            raise ValidationError({"to": ["must not be before from"]})


# -- replies --------------------------------------------------------------------------------------

class EmployerAccepted(Schema):
    employer_id = fields.String(required=True)
    version = fields.Integer(required=True)
    replayed = fields.Boolean(required=True)


class PostingAccepted(Schema):
    posting_id = fields.String(required=True)
    version = fields.Integer(required=True)
    replayed = fields.Boolean(required=True)


class JobFairAccepted(Schema):
    fair_id = fields.String(required=True)
    version = fields.Integer(required=True)
    replayed = fields.Boolean(required=True)


class JobSeekerAccepted(Schema):
    veteran_id = fields.String(required=True)
    version = fields.Integer(required=True)
    replayed = fields.Boolean(required=True)
    record_id = fields.String(**_NULLABLE,
                              metadata={"description": "the id of what was recorded (a hire, "
                                                       "a loan...), if anything"})


class JobIntentionView(Schema):
    kinds = fields.List(fields.String(), required=True)
    townships = fields.List(fields.String(), required=True)
    min_pay_fen = fields.Integer(**_NULLABLE)
    skills = fields.List(fields.String(), required=True)


class EmploymentIntentionView(Schema):
    intention_id = fields.String(required=True)
    employer_id = fields.String(required=True)
    posting_id = fields.String(**_NULLABLE)
    fair_id = fields.String(**_NULLABLE)
    reached_on = fields.Date(required=True)


class JobSeekerHire(Schema):
    hire_id = fields.String(required=True)
    employer_id = fields.String(required=True)
    posting_id = fields.String(**_NULLABLE)
    hired_on = fields.Date(required=True)
    contract_months = fields.Integer(required=True)
    social_insurance = fields.Boolean(required=True)
    monthly_pay_fen = fields.Integer(**_NULLABLE)


class JobSeekerTraining(Schema):
    enrolment_id = fields.String(required=True)
    kind = fields.String(required=True)
    course = fields.String(required=True)
    provider = fields.String(required=True)
    starts_on = fields.Date(required=True)


class JobSeekerLoan(Schema):
    loan_id = fields.String(required=True)
    lender = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    term_months = fields.Integer(required=True)
    annual_rate_bp = fields.Integer(required=True)
    subsidy_percent = fields.Integer(required=True)
    yearly_interest_subsidy_fen = fields.Integer(required=True)
    granted_on = fields.Date(required=True)


class JobSeekerAward(Schema):
    award_id = fields.String(required=True)
    contest = fields.String(required=True)
    award = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    awarded_on = fields.Date(required=True)


class JobSeekerReply(Schema):
    """One job seeker's record: the search, and what came of it."""

    veteran_id = fields.String(required=True)
    version = fields.Integer(required=True)
    township = fields.String(required=True)
    service_station = fields.String(required=True)
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    registered_on = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    intention = fields.Nested(JobIntentionView, required=True)
    intentions = fields.List(fields.Nested(EmploymentIntentionView), required=True)
    hires = fields.List(fields.Nested(JobSeekerHire), required=True)
    trainings = fields.List(fields.Nested(JobSeekerTraining), required=True)
    loans = fields.List(fields.Nested(JobSeekerLoan), required=True)
    awards = fields.List(fields.Nested(JobSeekerAward), required=True)


class MatchScorePart(Schema):
    name = fields.String(required=True, validate=validate.OneOf(
        ["place", "requirements", "kind", "pay", "freshness"]))
    points = fields.Integer(required=True)
    out_of = fields.Integer(required=True)
    why = fields.String(required=True)


class PostingMatch(Schema):
    rank = fields.Integer(required=True)
    posting_id = fields.String(required=True)
    title = fields.String(required=True)
    employer_id = fields.String(required=True)
    employer_name = fields.String(**_NULLABLE)
    township = fields.String(required=True)
    kind = fields.String(required=True)
    pay_min_fen = fields.Integer(required=True)
    pay_max_fen = fields.Integer(required=True)
    published_on = fields.Date(required=True)
    score = fields.Integer(required=True, metadata={"description": "0-100, the parts' sum"})
    parts = fields.List(fields.Nested(MatchScorePart), required=True)


class MatchesReply(Schema):
    """Open postings ranked for one job seeker, each with its score's parts."""

    veteran_id = fields.String(required=True)
    as_of = fields.Date(required=True, metadata={"description": "the day freshness counts from"})
    seeker = fields.Nested(JobIntentionView, required=True,
                           metadata={"description": "the stated intention scored against"})
    township = fields.String(required=True)
    items = fields.List(fields.Nested(PostingMatch), required=True)


class SeekerMatch(Schema):
    rank = fields.Integer(required=True)
    veteran_id = fields.String(required=True)
    township = fields.String(required=True)
    service_station = fields.String(required=True)
    score = fields.Integer(required=True)
    parts = fields.List(fields.Nested(MatchScorePart), required=True)


class PostingMatchesReply(Schema):
    """The job seekers who fit a posting (the kind they want, the pay they want), ranked."""

    posting_id = fields.String(required=True)
    as_of = fields.Date(required=True)
    items = fields.List(fields.Nested(SeekerMatch), required=True)


class JobFairFigures(Schema):
    held = fields.Integer(required=True)
    employers_attending = fields.Integer(required=True)
    posts_offered = fields.Integer(required=True)
    veterans_attending = fields.Integer(required=True)
    intentions_reached = fields.Integer(required=True)


class JobSeekerFigures(Schema):
    registered = fields.Integer(required=True)
    from_placement = fields.Integer(required=True)
    direct = fields.Integer(required=True)


class EmploymentTrainingFigures(Schema):
    adaptive = fields.Integer(required=True)
    skills = fields.Integer(required=True)
    degree = fields.Integer(required=True)


class EmploymentMoneyFigures(Schema):
    count = fields.Integer(required=True)
    amount_fen = fields.Integer(required=True)


class StartupLoanFigures(EmploymentMoneyFigures):
    yearly_interest_subsidy_fen = fields.Integer(required=True)


class EmploymentFiguresReply(Schema):
    """就业创业 in numbers for a period (both days inclusive): counts and sums, no person."""

    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    employers_registered = fields.Integer(required=True)
    postings_published = fields.Integer(required=True)
    posts_published = fields.Integer(required=True,
                                     metadata={"description": "places in those postings"})
    postings_open_at_end = fields.Integer(required=True)
    job_fairs = fields.Nested(JobFairFigures, required=True)
    job_seekers = fields.Nested(JobSeekerFigures, required=True)
    employment_intentions = fields.Integer(
        required=True, metadata={"description": "达成就业意向 recorded one by one (fairs report "
                                                 "their own count in job_fairs)"})
    hires = fields.Integer(required=True)
    hires_qualifying_for_tax_relief = fields.Integer(required=True)
    training = fields.Nested(EmploymentTrainingFigures, required=True)
    startup_loans = fields.Nested(StartupLoanFigures, required=True)
    contest_awards = fields.Nested(EmploymentMoneyFigures, required=True)


# -- the operations (contracts/routes.py): one line each ------------------------------------------

_SEEKER = "/employment/job-seekers/{veteran_id}"
_PERSONAL_RECORD = ("intention", "intentions", "hires", "trainings", "loans", "awards")

ROUTES = (
    Route("register_employer", "employment", "POST", "/employment/employers",
          "register an employer (用人单位) by its unified social credit code",
          request=RegisterEmployerRequest, reply=EmployerAccepted, status=201,
          errors=(400, 409, 422)),
    Route("publish_posting", "employment", "POST", "/employment/postings",
          "publish a job posting (招聘岗位) of an employer on file",
          request=PublishPostingRequest, reply=PostingAccepted, status=201,
          errors=(400, 422)),
    Route("close_posting", "employment", "POST", "/employment/postings/{posting_id}/closure",
          "close a posting (filled, withdrawn, expired)", request=ClosePostingRequest,
          reply=PostingAccepted),
    Route("match_job_seekers", "employment", "GET", "/employment/postings/{posting_id}/matches",
          "the job seekers who fit a posting, ranked, each score in its parts",
          query=EmploymentMatchQuery, reply=PostingMatchesReply, personal=("parts",), errors=(400, 404)),
    Route("record_job_fair", "employment", "POST", "/employment/job-fairs",
          "record a job fair (招聘会) held, with the day's counts",
          request=RecordJobFairRequest, reply=JobFairAccepted, status=201, errors=(400, 422)),
    Route("register_job_seeker", "employment", "POST", "/employment/job-seekers",
          "register a veteran as a job seeker (就业创业登记) directly",
          request=RegisterJobSeekerRequest, reply=JobSeekerAccepted, status=201,
          errors=(400, 409, 422)),
    Route("get_job_seeker", "employment", "GET", _SEEKER,
          "a job seeker's record: intention, intentions reached, hires, training, loans, awards",
          reply=JobSeekerReply, personal=_PERSONAL_RECORD, errors=(404,)),
    Route("state_job_intention", "employment", "PUT", f"{_SEEKER}/job-intention",
          "state the job seeker's 求职意向 (kinds, townships, minimum pay, skills)",
          request=StateJobIntentionRequest, reply=JobSeekerAccepted),
    Route("match_postings", "employment", "GET", f"{_SEEKER}/matches",
          "open postings ranked for the job seeker, each score in its parts",
          query=EmploymentMatchQuery, reply=MatchesReply, personal=("seeker",), errors=(400, 404)),
    Route("record_employment_intention", "employment", "POST", f"{_SEEKER}/intentions",
          "record an employment intention reached (达成就业意向) with an employer",
          request=RecordEmploymentIntentionRequest, reply=JobSeekerAccepted, status=201),
    Route("record_hire", "employment", "POST", f"{_SEEKER}/hires", "record a hire",
          request=RecordHireRequest, reply=JobSeekerAccepted, status=201),
    Route("enrol_training", "employment", "POST", f"{_SEEKER}/training",
          "enrol in adaptive, skills or degree training", request=EnrolTrainingRequest,
          reply=JobSeekerAccepted, status=201),
    Route("grant_startup_loan", "employment", "POST", f"{_SEEKER}/loans",
          "record a startup guarantee loan (创业担保贷款) and its interest subsidy",
          request=GrantStartupLoanRequest, reply=JobSeekerAccepted, status=201),
    Route("grant_contest_award", "employment", "POST", f"{_SEEKER}/awards",
          "record an entrepreneurship contest award", request=GrantContestAwardRequest,
          reply=JobSeekerAccepted, status=201),
    Route("employment_figures", "employment", "GET", "/employment/figures",
          "就业创业 figures for a period: employers, postings, fairs, intentions, hires...",
          query=EmploymentFiguresQuery, reply=EmploymentFiguresReply, errors=(400,)),
)
