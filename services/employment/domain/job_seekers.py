"""A job seeker (求职者): one veteran's search, intentions, hires, training and startup support."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from .commands import (
    EnrolTraining,
    GrantContestAward,
    GrantStartupLoan,
    RecordEmploymentIntention,
    RecordHire,
    RegisterJobSeeker,
    StateJobIntention,
)
from .errors import NotFound, Refused
from .events import (
    ContestAwardGranted,
    EmploymentIntentionReached,
    Event,
    Hired,
    JobIntentionStated,
    JobSeekerRegistered,
    StartupLoanGranted,
    TrainingEnrolled,
)
from .postings import Posting
from .rules import Problems, fen, not_in_future, required_text, tags
from .vocabulary import (
    EMPLOYED,
    MAX_AWARD_FEN,
    MAX_CONTRACT_MONTHS,
    MAX_MONTHLY_PAY_FEN,
    MAX_TAGS,
    POSTING_KINDS,
    SEEKING,
    SOURCES,
    TRAINING_KINDS,
)


@dataclass(frozen=True)
class LoanTerms:
    """A year's startup guarantee loan terms (configuration: they change yearly, by province)."""

    year: int
    cap_per_person_fen: int     # outstanding guarantee loans per person
    subsidy_percent: int        # share of the interest the government pays
    max_term_months: int


@dataclass(frozen=True)
class Intention:
    """求职意向 as last stated."""

    kinds: tuple[str, ...] = ()
    townships: tuple[str, ...] = ()
    min_pay_fen: int | None = None
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobSeeker:
    veteran_id: str
    township: str
    service_station: str
    source: str
    registered_on: date
    intention: Intention = Intention()
    status: str = SEEKING
    intentions: tuple[EmploymentIntentionReached, ...] = ()
    hires: tuple[Hired, ...] = ()
    trainings: tuple[TrainingEnrolled, ...] = ()
    loans: tuple[StartupLoanGranted, ...] = ()
    awards: tuple[ContestAwardGranted, ...] = ()
    version: int = field(default=0, compare=False)

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> JobSeeker:
        seeker = None
        for version, event in enumerate(events, 1):
            if isinstance(event, JobSeekerRegistered):
                seeker = cls(event.veteran_id, event.township, event.service_station,
                             event.source, event.registered_on)
            elif seeker is None:
                continue
            elif isinstance(event, JobIntentionStated):
                seeker = replace(seeker, intention=Intention(
                    event.kinds, event.townships, event.min_pay_fen, event.skills))
            elif isinstance(event, EmploymentIntentionReached):
                seeker = replace(seeker, intentions=(*seeker.intentions, event))
            elif isinstance(event, Hired):
                seeker = replace(seeker, hires=(*seeker.hires, event), status=EMPLOYED)
            elif isinstance(event, TrainingEnrolled):
                seeker = replace(seeker, trainings=(*seeker.trainings, event))
            elif isinstance(event, StartupLoanGranted):
                seeker = replace(seeker, loans=(*seeker.loans, event))
            elif isinstance(event, ContestAwardGranted):
                seeker = replace(seeker, awards=(*seeker.awards, event))
            seeker = replace(seeker, version=version)
        if seeker is None:
            raise NotFound("no job seeker with this veteran id")
        return seeker

    def outstanding_loans_fen(self, on: date) -> int:
        """Guarantee loans still running on `on` (granted, term not yet over)."""
        return sum(loan.amount_fen for loan in self.loans
                   if _months_after(loan.granted_on, loan.term_months) > on)


def _months_after(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    # The same day of the month, or the month's last when it has fewer days.
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month + 1, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _intention(problems: Problems, cmd: StateJobIntention) -> Intention:
    kinds = tuple(dict.fromkeys(cmd.kinds))
    wrong = [k for k in kinds if k not in POSTING_KINDS]
    if wrong:
        problems.add("kinds", f"unknown kinds {', '.join(wrong)}; known: {', '.join(POSTING_KINDS)}")
    townships = tuple(dict.fromkeys(t.strip() for t in cmd.townships if t.strip()))
    if len(townships) > MAX_TAGS:
        problems.add("townships", f"must list at most {MAX_TAGS}")
    fen(problems, "min_pay_fen", cmd.min_pay_fen, MAX_MONTHLY_PAY_FEN)
    skills = tags(problems, "skills", cmd.skills, MAX_TAGS)
    return Intention(kinds, townships, cmd.min_pay_fen, skills)


def register_job_seeker(cmd: RegisterJobSeeker, intention: StateJobIntention | None,
                        today: date) -> list[Event]:
    """A new job seeker, with their first stated intention if given. That the veteran is not
    already one is the stream's to say (a new stream only)."""
    problems = Problems()
    township = required_text(problems, "township", cmd.township)
    station = required_text(problems, "service_station", cmd.service_station)
    if cmd.source not in SOURCES:
        problems.add("source", f"must be one of {', '.join(SOURCES)}")
    registered_on = cmd.registered_on or today
    not_in_future(problems, "registered_on", registered_on, today)
    stated = _intention(problems, intention) if intention is not None else None
    problems.raise_if_any("the job seeker cannot be registered as given")
    events: list[Event] = [JobSeekerRegistered(cmd.veteran_id, township, station, cmd.source,
                                               registered_on)]
    if stated is not None and stated != Intention():
        events.append(JobIntentionStated(cmd.veteran_id, stated.kinds, stated.townships,
                                         stated.min_pay_fen, stated.skills))
    return events


def state_job_intention(seeker: JobSeeker, cmd: StateJobIntention) -> list[Event]:
    """Replace the stated intention; the same statement again changes nothing."""
    problems = Problems()
    stated = _intention(problems, cmd)
    problems.raise_if_any("the job intention cannot be stated as given")
    if stated == seeker.intention:
        return []
    return [JobIntentionStated(seeker.veteran_id, stated.kinds, stated.townships,
                               stated.min_pay_fen, stated.skills)]


def _posting_problems(problems: Problems, posting: Posting | None, posting_id: str | None,
                      employer_id: str) -> None:
    if posting_id is None:
        return
    if posting is None:
        problems.add("posting_id", "no posting with this id")
    elif posting.employer_id != employer_id:
        problems.add("posting_id", "is another employer's posting")


def record_employment_intention(seeker: JobSeeker, cmd: RecordEmploymentIntention,
                                intention_id: str, employer_known: bool,
                                posting: Posting | None, fair_known: bool,
                                today: date) -> list[Event]:
    problems = Problems()
    if not employer_known:
        problems.add("employer_id", "no employer with this id is on file")
    _posting_problems(problems, posting, cmd.posting_id, cmd.employer_id)
    if cmd.fair_id is not None and not fair_known:
        problems.add("fair_id", "no job fair with this id")
    reached_on = cmd.reached_on or today
    not_in_future(problems, "reached_on", reached_on, today)
    problems.raise_if_any("the employment intention cannot be recorded as given")
    if posting is not None and not posting.open and posting.closed_on < reached_on:
        raise Refused("the posting was closed before this intention was reached")
    return [EmploymentIntentionReached(seeker.veteran_id, intention_id, cmd.employer_id,
                                       cmd.posting_id, cmd.fair_id, reached_on)]


def record_hire(seeker: JobSeeker, cmd: RecordHire, hire_id: str, employer_known: bool,
                posting: Posting | None, places_left: int | None, today: date) -> list[Event]:
    """A hire. On a posting, it must be open then with a place left; `places_left` is its
    headcount less the hires recorded against it."""
    problems = Problems()
    if not employer_known:
        problems.add("employer_id", "no employer with this id is on file")
    _posting_problems(problems, posting, cmd.posting_id, cmd.employer_id)
    not_in_future(problems, "hired_on", cmd.hired_on, today)
    if not 1 <= cmd.contract_months <= MAX_CONTRACT_MONTHS:
        problems.add("contract_months", f"must be between 1 and {MAX_CONTRACT_MONTHS}")
    fen(problems, "monthly_pay_fen", cmd.monthly_pay_fen, MAX_MONTHLY_PAY_FEN)
    problems.raise_if_any("the hire cannot be recorded as given")
    if posting is not None:
        if not posting.open and posting.closed_on < cmd.hired_on:
            raise Refused("the posting was closed before this hire")
        if places_left is not None and places_left <= 0:
            raise Refused(f"the posting's {posting.headcount} place(s) are all filled")
    return [Hired(seeker.veteran_id, hire_id, cmd.employer_id, cmd.posting_id, cmd.hired_on,
                  cmd.contract_months, cmd.social_insurance, cmd.monthly_pay_fen)]


def enrol_training(seeker: JobSeeker, cmd: EnrolTraining, enrolment_id: str,
                   today: date) -> list[Event]:
    """Adaptive training is once per veteran (it follows discharge); skills and degree courses
    may be many."""
    problems = Problems()
    if cmd.kind not in TRAINING_KINDS:
        problems.add("kind", f"must be one of {', '.join(TRAINING_KINDS)}")
    course = required_text(problems, "course", cmd.course, 200)
    provider = required_text(problems, "provider", cmd.provider, 200)
    problems.raise_if_any("the training enrolment cannot be recorded as given")
    if cmd.kind == "adaptive" and any(t.kind == "adaptive" for t in seeker.trainings):
        raise Refused("adaptive training (适应性培训) is already on file for this veteran")
    return [TrainingEnrolled(seeker.veteran_id, enrolment_id, cmd.kind, course, provider,
                             cmd.starts_on)]


def grant_startup_loan(seeker: JobSeeker, cmd: GrantStartupLoan, loan_id: str,
                       terms: LoanTerms | None, today: date) -> list[Event]:
    """A startup guarantee loan under the terms of the year it is granted in; the veteran's
    outstanding guarantee loans stay within that year's cap."""
    problems = Problems()
    lender = required_text(problems, "lender", cmd.lender, 200)
    not_in_future(problems, "granted_on", cmd.granted_on, today)
    if terms is None:
        problems.add("granted_on", f"no loan terms are configured for {cmd.granted_on.year}")
    else:
        fen(problems, "amount_fen", cmd.amount_fen, terms.cap_per_person_fen, minimum=1)
        if not 1 <= cmd.term_months <= terms.max_term_months:
            problems.add("term_months", f"must be between 1 and {terms.max_term_months}")
    if not 0 <= cmd.annual_rate_bp <= 2400:
        problems.add("annual_rate_bp", "must be between 0 and 2400 basis points (24%)")
    problems.raise_if_any("the loan cannot be recorded as given")
    outstanding = seeker.outstanding_loans_fen(cmd.granted_on)
    if outstanding + cmd.amount_fen > terms.cap_per_person_fen:
        raise Refused(
            f"outstanding guarantee loans would be {outstanding + cmd.amount_fen} fen, over "
            f"{terms.year}'s cap of {terms.cap_per_person_fen} fen per person",
            {"amount_fen": [f"at most {terms.cap_per_person_fen - outstanding} fen"]})
    return [StartupLoanGranted(seeker.veteran_id, loan_id, lender, cmd.amount_fen,
                               cmd.term_months, cmd.annual_rate_bp, terms.subsidy_percent,
                               terms.year, cmd.granted_on)]


def yearly_interest_subsidy_fen(amount_fen: int, annual_rate_bp: int,
                                subsidy_percent: int) -> int:
    """The interest the government pays in a full year of a loan, in fen (rounded down):
    amount x rate (basis points: / 10,000) x share (per cent: / 100)."""
    return amount_fen * annual_rate_bp * subsidy_percent // 1_000_000


def grant_contest_award(seeker: JobSeeker, cmd: GrantContestAward, award_id: str,
                        today: date) -> list[Event]:
    problems = Problems()
    contest = required_text(problems, "contest", cmd.contest, 200)
    award = required_text(problems, "award", cmd.award)
    fen(problems, "amount_fen", cmd.amount_fen, MAX_AWARD_FEN)
    not_in_future(problems, "awarded_on", cmd.awarded_on, today)
    problems.raise_if_any("the award cannot be recorded as given")
    return [ContestAwardGranted(seeker.veteran_id, award_id, contest, award, cmd.amount_fen,
                                cmd.awarded_on)]

