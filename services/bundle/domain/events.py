"""What happened to a discharge bundle and its matters, in the past tense: stored forever, so never changed.

A matter's request and withdrawal are stored under a type that names the department
(`MatterRequested.public_security`): the type is the routing key on bundle.events, so each
department binds its own matters and nothing else (docs/bundle.md, "Departments on the bus").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "Event"
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.kind = cls.__name__

    @property
    def event_type(self) -> str:
        return self.kind


@dataclass(frozen=True)
class MatterChoice:
    """One catalogue matter as the submission settled it: does it apply, was it chosen, why not."""

    matter: str
    department: str
    applies: bool
    chosen: bool
    reason_code: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class BundleSubmitted(Event):
    bundle_id: str
    veteran_id: str
    station: str
    township: str
    submitted_on: date
    matters: tuple[MatterChoice, ...]
    # What the veteran stated (told once): the facts the internal commands carry onward.
    form: dict
    # The facts applicability was decided on.
    facts: dict


@dataclass(frozen=True)
class _MatterEvent(Event):
    bundle_id: str
    matter: str


@dataclass(frozen=True)
class MatterRequested(_MatterEvent):
    department: str
    attempt: int
    requested_on: date
    due_on: date | None
    # No deadline could be counted (a year whose holidays are not known yet): on a staff list.
    clock_unknown: bool = False
    note: str | None = None
    # Facts the veteran corrected when asking again (told once more, kept with the bundle).
    form_changes: dict = field(default_factory=dict)

    @property
    def event_type(self) -> str:
        return f"MatterRequested.{self.department}"


@dataclass(frozen=True)
class MatterAcknowledged(_MatterEvent):
    attempt: int
    on: date
    reference: str | None = None
    before_bundle: bool = False


@dataclass(frozen=True)
class MatterProgressed(_MatterEvent):
    attempt: int
    step: str
    on: date


@dataclass(frozen=True)
class MatterDone(_MatterEvent):
    attempt: int
    reference: str
    on: date
    correction: bool = False
    before_bundle: bool = False


@dataclass(frozen=True)
class MatterRefused(_MatterEvent):
    attempt: int
    reason: str
    next_step: str
    on: date
    code: str | None = None
    correction: bool = False


@dataclass(frozen=True)
class MatterWithdrawn(_MatterEvent):
    department: str
    attempt: int
    reason: str
    on: date

    @property
    def event_type(self) -> str:
        return f"MatterWithdrawn.{self.department}"


@dataclass(frozen=True)
class MatterOverdue(_MatterEvent):
    """Appended by the deadline runner when a matter's term runs out unmet (its payload is the
    deadline's fire payload)."""

    attempt: int
    due_on: date


@dataclass(frozen=True)
class MatterTermSet(_MatterEvent):
    """The term of a matter requested without one (its year's holidays were not known then),
    counted from the day it was requested once the calendar knows them."""

    attempt: int
    due_on: date


@dataclass(frozen=True)
class MatterFollowedUp(_MatterEvent):
    """Someone acted on a refused or overdue matter: it leaves the staff lists."""

    note: str
    on: date


@dataclass(frozen=True)
class MatterCommandFailed(_MatterEvent):
    """The command to our own service could not be delivered after every attempt."""

    attempt: int
    error: str
    on: date


@dataclass(frozen=True)
class BundleCompleted(Event):
    bundle_id: str
    outcome: str  # complete: every matter done; closed: done or withdrawn
    on: date


EVENT_CLASSES: dict[str, type[Event]] = {cls.kind: cls for cls in (
    BundleSubmitted, MatterRequested, MatterAcknowledged, MatterProgressed, MatterDone,
    MatterRefused, MatterWithdrawn, MatterOverdue, MatterTermSet, MatterFollowedUp,
    MatterCommandFailed, BundleCompleted)}


def kind_of(event_type: str) -> str:
    """The class name of a stored type: `MatterRequested.public_security` -> MatterRequested."""
    return event_type.split(".", 1)[0]
