"""What happened in employment, in the past tense: stored forever, so never changed."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar


@dataclass(frozen=True)
class Event:
    """Something that happened; `stream` names the field holding the id of its stream."""

    event_type: ClassVar[str] = "Event"
    schema_version: ClassVar[int] = 1
    stream: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.event_type = cls.__name__

    @property
    def stream_id(self) -> str:
        return getattr(self, self.stream)


# -- employers, postings, fairs: organisations' data, one stream each ----------------------------

@dataclass(frozen=True)
class EmployerRegistered(Event):
    stream: ClassVar[str] = "employer_id"
    employer_id: str
    name: str
    credit_code: str
    individual_business: bool
    township: str
    industry: str | None
    # The person to call at the employer: personal data, kept out of reprs and off the bus.
    contact_name: str | None = field(repr=False)
    contact_phone: str | None = field(repr=False)
    registered_on: date


@dataclass(frozen=True)
class PostingPublished(Event):
    stream: ClassVar[str] = "posting_id"
    posting_id: str
    employer_id: str
    title: str
    kind: str
    township: str
    pay_min_fen: int
    pay_max_fen: int
    requirements: tuple[str, ...]
    headcount: int
    published_on: date


@dataclass(frozen=True)
class PostingClosed(Event):
    stream: ClassVar[str] = "posting_id"
    posting_id: str
    closed_on: date
    reason: str


@dataclass(frozen=True)
class JobFairRecorded(Event):
    """招聘会: a held fair and what the day produced, as counted at the door."""

    stream: ClassVar[str] = "fair_id"
    fair_id: str
    name: str
    held_on: date
    township: str
    employer_ids: tuple[str, ...]   # the attending employers on file (others are counted only)
    employers_attending: int
    posts_offered: int
    veterans_attending: int
    intentions_reached: int


# -- a job seeker: one stream per veteran, holding everything about their search ----------------

@dataclass(frozen=True)
class JobSeekerRegistered(Event):
    stream: ClassVar[str] = "veteran_id"
    veteran_id: str
    township: str
    service_station: str
    source: str                   # placement | direct
    registered_on: date


@dataclass(frozen=True)
class JobIntentionStated(Event):
    """求职意向: what work the veteran wants, where, for how much, and what they can do. Each
    statement replaces the one before."""

    stream: ClassVar[str] = "veteran_id"
    veteran_id: str
    kinds: tuple[str, ...]
    townships: tuple[str, ...]
    min_pay_fen: int | None
    skills: tuple[str, ...]


@dataclass(frozen=True)
class EmploymentIntentionReached(Event):
    """达成就业意向: the veteran and an employer agreed to pursue a hire (often at a fair)."""

    stream: ClassVar[str] = "veteran_id"
    veteran_id: str
    intention_id: str
    employer_id: str
    posting_id: str | None
    fair_id: str | None
    reached_on: date


@dataclass(frozen=True)
class Hired(Event):
    stream: ClassVar[str] = "veteran_id"
    veteran_id: str
    hire_id: str
    employer_id: str
    posting_id: str | None
    hired_on: date
    contract_months: int
    social_insurance: bool
    monthly_pay_fen: int | None = field(repr=False)


@dataclass(frozen=True)
class TrainingEnrolled(Event):
    stream: ClassVar[str] = "veteran_id"
    veteran_id: str
    enrolment_id: str
    kind: str                     # adaptive | skills | degree
    course: str
    provider: str
    starts_on: date


@dataclass(frozen=True)
class StartupLoanGranted(Event):
    """创业担保贷款 with its interest subsidy: the subsidy share and cap of the year it was granted."""

    stream: ClassVar[str] = "veteran_id"
    veteran_id: str
    loan_id: str
    lender: str
    amount_fen: int = field(repr=False)
    term_months: int
    annual_rate_bp: int           # basis points: 3.45% is 345
    subsidy_percent: int
    terms_year: int
    granted_on: date


@dataclass(frozen=True)
class ContestAwardGranted(Event):
    """An entrepreneurship contest award (创业大赛)."""

    stream: ClassVar[str] = "veteran_id"
    veteran_id: str
    award_id: str
    contest: str
    award: str
    amount_fen: int
    awarded_on: date


EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type: cls for cls in (
        EmployerRegistered, PostingPublished, PostingClosed, JobFairRecorded,
        JobSeekerRegistered, JobIntentionStated, EmploymentIntentionReached, Hired,
        TrainingEnrolled, StartupLoanGranted, ContestAwardGranted)
}
