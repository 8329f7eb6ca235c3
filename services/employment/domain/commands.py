"""What staff, veterans and other services ask the employment service to do."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class RegisterEmployer:
    name: str
    credit_code: str
    township: str
    industry: str | None = None
    contact_name: str | None = field(default=None, repr=False)
    contact_phone: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PublishPosting:
    employer_id: str
    title: str
    kind: str
    township: str
    pay_min_fen: int
    pay_max_fen: int
    headcount: int
    requirements: tuple[str, ...] = ()
    published_on: date | None = None   # None: today


@dataclass(frozen=True)
class ClosePosting:
    reason: str
    closed_on: date | None = None


@dataclass(frozen=True)
class RecordJobFair:
    name: str
    held_on: date
    township: str
    employers_attending: int
    posts_offered: int
    veterans_attending: int
    intentions_reached: int
    employer_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegisterJobSeeker:
    veteran_id: str
    township: str
    service_station: str
    source: str = "direct"
    registered_on: date | None = None


@dataclass(frozen=True)
class StateJobIntention:
    kinds: tuple[str, ...] = ()
    townships: tuple[str, ...] = ()
    min_pay_fen: int | None = None
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordEmploymentIntention:
    employer_id: str
    posting_id: str | None = None
    fair_id: str | None = None
    reached_on: date | None = None


@dataclass(frozen=True)
class RecordHire:
    employer_id: str
    hired_on: date
    contract_months: int
    social_insurance: bool
    posting_id: str | None = None
    monthly_pay_fen: int | None = field(default=None, repr=False)


@dataclass(frozen=True)
class EnrolTraining:
    kind: str
    course: str
    provider: str
    starts_on: date


@dataclass(frozen=True)
class GrantStartupLoan:
    lender: str
    amount_fen: int = field(repr=False)
    term_months: int
    annual_rate_bp: int
    granted_on: date


@dataclass(frozen=True)
class GrantContestAward:
    contest: str
    award: str
    amount_fen: int
    awarded_on: date
