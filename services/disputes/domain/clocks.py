"""The statutory clocks of petitions and legal aid: their lengths (configuration) and due days.

The lengths default to the law (docs/disputes.md gives each with its article); a deployment
may set them otherwise in services/disputes/config.yaml. Counting days is pure date arithmetic
here; counting working days needs China's calendar, which the application hands in as a
`WorkingDays` (the chassis's), so this module stays free of it.
"""

from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any, Protocol


class WorkingDays(Protocol):
    def add_working_days(self, start: date, n: int) -> date | None:
        """The n-th working day after `start`; None when the calendar of those days is not
        known yet (the State Council has not published the year's holidays)."""


@dataclass(frozen=True)
class ClockRules:
    """How long each step may take, in days. Defaults: the national 信访工作条例 with
    Zhejiang's intake rule, and the 法律援助法."""

    # Intake (Art. 23): a written notice within 15 days nationally; Zhejiang's own regulation
    # asks for the decision within 5 working days. The earlier of the two is the due day.
    intake_working_days: int | None = 5
    intake_days_cap: int = 15
    # The opinion within 60 days of acceptance, extendable once by up to 30 (Arts. 32, 34).
    opinion_days: int = 60
    extension_max_days: int = 30
    # 复查 asked within 30 days of the opinion and answered within 30 (Art. 35); 复核 likewise
    # (Art. 36).
    review_request_days: int = 30
    review_answer_days: int = 30
    re_review_request_days: int = 30
    re_review_answer_days: int = 30
    # Legal aid (法律援助法 Art. 43): the decision within 7 days of the application, a lawyer
    # within 3 days of the decision to grant.
    legal_aid_decision_days: int = 7
    lawyer_assignment_days: int = 3

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.name == "intake_working_days":
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"clock {f.name} must be a whole number of days, 1 or more")

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> "ClockRules":
        """From the service's CLOCKS configuration: names as above, missing ones defaulted."""
        known = {f.name for f in fields(cls)}
        given = dict(config or {})
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(f"unknown clocks in configuration: {', '.join(unknown)}")
        values = {}
        for name, value in given.items():
            if value in (None, "", "none") and name == "intake_working_days":
                values[name] = None
            else:
                values[name] = int(value)
        return cls(**values)

    # -- due days -----------------------------------------------------------------------------

    def intake_due(self, received_on: date, calendar: WorkingDays) -> tuple[date, str]:
        """The last day for the intake decision, and which rule set it.

        The national cap always holds; the working-day rule is earlier unless a long holiday
        falls inside it. If the calendar of those days is not known yet, the national cap is
        the due day, and the petition says so (`intake_rule`), rather than refuse to register
        a petition until someone types in next year's holidays.
        """
        cap = received_on + timedelta(days=self.intake_days_cap)
        if self.intake_working_days is None:
            return cap, "days"
        working = calendar.add_working_days(received_on, self.intake_working_days)
        if working is None:
            return cap, "days_calendar_unknown"
        return (working, "working_days") if working <= cap else (cap, "days")

    def opinion_due(self, accepted_on: date) -> date:
        return accepted_on + timedelta(days=self.opinion_days)

    def request_due(self, stage: str, answered_on: date) -> date:
        days = self.review_request_days if stage == "review" else self.re_review_request_days
        return answered_on + timedelta(days=days)

    def answer_due(self, stage: str, requested_on: date) -> date:
        days = self.review_answer_days if stage == "review" else self.re_review_answer_days
        return requested_on + timedelta(days=days)

    def legal_aid_decision_due(self, referred_on: date) -> date:
        return referred_on + timedelta(days=self.legal_aid_decision_days)

    def lawyer_due(self, granted_on: date) -> date:
        return granted_on + timedelta(days=self.lawyer_assignment_days)


@dataclass(frozen=True)
class Clock:
    """A clock a decision starts: due at the end of `due_on`; if it runs out first, an event
    of `fire_type` with `fire_payload` is recorded on the case."""

    name: str
    due_on: date
    fire_type: str
    fire_payload: dict[str, Any]


@dataclass(frozen=True)
class ClockChanges:
    """What a decision does to its case's clocks: stopped (met), cancelled, started."""

    start: tuple[Clock, ...] = ()
    met: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.start or self.met or self.cancelled)


@dataclass(frozen=True)
class Decision:
    """What a command decided: the events to record and what they do to the clocks."""

    events: list = field(default_factory=list)
    clocks: ClockChanges = field(default_factory=ClockChanges)


# The names of the clocks, as case reads show them.
INTAKE = "intake"
OPINION = "opinion"
LEGAL_AID_DECISION = "legal_aid_decision"
LAWYER_ASSIGNMENT = "lawyer_assignment"


def request_window(stage: str) -> str:
    """The petitioner's window to ask for a review (or a re-review)."""
    return f"{stage}_window"


def answer_clock(stage: str) -> str:
    return f"{stage}_answer"
