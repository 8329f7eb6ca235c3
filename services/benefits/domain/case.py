"""What every benefits case shares: who acts, what is known of the veteran, states, four eyes, clocks."""

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .errors import NotFound, NotYourStep, Problems, WrongState
from .events import Event

# How the working-day calendar (China's holidays and make-up days) reaches the domain: the
# service passes the chassis calendar's function, tests a plain one.
# None: the calendar of the year the count reaches is not published yet (never a guess).
AddWorkingDays = Callable[[date, int], date | None]

# The text fields people type are trimmed and bounded; the contract also refuses control
# characters before a request gets here.
TEXT_LIMIT = 500


@dataclass(frozen=True)
class Actor:
    """Who takes a step: the verified subject and the roles that allowed the operation."""

    subject: str
    roles: tuple[str, ...] = ()

    def has(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class VeteranFacts:
    """What benefits keeps of a veteran from the registry's events: no name, no ID number."""

    veteran_id: str
    station: str
    township: str
    discharged: bool = False
    # The survivor ties on file (martyr, died_on_duty, died_of_illness).
    ties: tuple[str, ...] = ()


@dataclass(frozen=True)
class Due:
    """A clock to start with the events: when `due_on` ends unmet, `fire_type` is recorded."""

    name: str
    due_on: date
    fire_type: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Clocks:
    """What a decision does to its case's clocks: met, cancelled, then set."""

    set: tuple[Due, ...] = ()
    met: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.set or self.met or self.cancelled)


class Case:
    """A case rebuilt from its events; decisions return new events and change nothing.

    A subclass names its events' handlers `_on_<EventType>`; `state` is the lifecycle state
    (None before the first event).
    """

    what = "case"

    def __init__(self, case_id: str):
        self.case_id = case_id
        self.version = 0
        self.state: str | None = None
        self.veteran_id: str | None = None
        self.station: str | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.case_id!r}, state={self.state!r}, v{self.version})"

    @classmethod
    def from_events(cls, case_id: str, events: Iterable[Event]):
        case = cls(case_id)
        for event in events:
            case.apply(event)
        return case

    def apply(self, event: Event) -> None:
        """Bring the state up to date with an event; never refuses: it was decided."""
        handler = getattr(self, f"_on_{event.event_type}", None)
        if handler is None:
            raise ValueError(f"a {self.what} cannot apply {event.event_type}")
        handler(event)
        self.version += 1

    @property
    def exists(self) -> bool:
        return self.version > 0

    def require_exists(self) -> None:
        if not self.exists:
            raise NotFound(f"no {self.what} with this id")

    def require_state(self, step: str, *states: str) -> None:
        """Refuse a step the case's state does not allow, saying which states would."""
        self.require_exists()
        if self.state not in states:
            raise WrongState(f"this {self.what} is {self.state}: {step} needs it "
                             f"{' or '.join(states)}")


def second_person(actor: Actor, step: str, **earlier: str | None) -> None:
    """Four eyes: whoever takes `step` must be none of the people who took the `earlier` steps."""
    for role, subject in earlier.items():
        if subject is not None and subject == actor.subject:
            raise NotYourStep(f"four eyes: you were this case's {role.replace('_', ' ')}, so "
                              f"someone else must {step} it")


def text(problems: Problems, name: str, value: str | None, required: bool = True) -> str | None:
    """A typed text: trimmed, bounded; blank is missing."""
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            problems.add(name, "is required")
        return None
    if len(cleaned) > TEXT_LIMIT:
        problems.add(name, f"must be at most {TEXT_LIMIT} characters")
    return cleaned


def one_of(problems: Problems, name: str, value: str | None, allowed: tuple[str, ...],
           required: bool = True) -> str | None:
    if value is None:
        if required:
            problems.add(name, "is required")
        return None
    if value not in allowed:
        problems.add(name, f"must be one of: {', '.join(allowed)}")
        return None
    return value


def not_after(problems: Problems, name: str, day: date | None, today: date) -> date | None:
    """A day something was done: never in the future (Asia/Shanghai's today)."""
    if day is not None and day > today:
        problems.add(name, "must not be in the future")
    return day


def months_later(start: date, months: int) -> date:
    """The same day `months` later, or that month's last day (six months from 31 August is
    28 February): how periods in months end."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def first_of_month(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a case's history as a read shows it."""

    version: int
    event_type: str
    at: str
    actor: str
    summary: dict = field(default_factory=dict)
