"""A stream's events as they stood on a day: known by the end of `as_of`, in effect on `effective_on`.

Every service answers "as it stood on a day" the same way (docs/history.md): it keeps the events
of a case that pass `OnADay.keeps` and folds them with its own domain code, the code a command
loads the case with. Days are the bureau's days (Asia/Shanghai).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from chassis.clock import SHANGHAI
from chassis.envelope import RecordedEvent


def day_of(instant: datetime) -> date:
    """The Shanghai day an instant falls on (a recorded_at is stored in UTC)."""
    return instant.astimezone(SHANGHAI).date()


def end_of_day(day: date) -> datetime:
    """24:00 of a Shanghai day: everything recorded before it was known that day."""
    return datetime.combine(day + timedelta(days=1), time(), SHANGHAI)


def effective_day(event: RecordedEvent) -> date:
    """From which day an event holds: its own `effective_on` if it states one (the registry's
    file changes), else the day it was recorded."""
    stated = event.data.get("effective_on")
    if stated is None:
        return day_of(event.recorded_at)
    return stated if isinstance(stated, date) else date.fromisoformat(str(stated))


@dataclass(frozen=True)
class OnADay:
    """The day(s) a read is asked for; at least one is given.

    `as_of`: as known at the end of that day (recorded before 24:00). `effective_on`: as in
    effect for the person that day (effective on or before it). Both: what was known on
    `as_of` about `effective_on`.
    """

    as_of: date | None = None
    effective_on: date | None = None

    def __post_init__(self):
        if self.as_of is None and self.effective_on is None:
            raise ValueError("a day is as_of, effective_on or both")

    @property
    def day(self) -> date:
        """The day the view stands on, for what a read counts from "today" (a term run out, an
        allowance so far): the person's day if given, else the day known."""
        return self.effective_on if self.effective_on is not None else self.as_of

    def keeps(self, event: RecordedEvent) -> bool:
        if self.as_of is not None and event.recorded_at >= end_of_day(self.as_of):
            return False
        return self.effective_on is None or effective_day(event) <= self.effective_on

    def events(self, recorded: Iterable[RecordedEvent]) -> list[RecordedEvent]:
        """The events kept, in the stream's order. A stream none of whose events is kept did
        not exist yet on the day: the caller answers it as one that does not exist.

        A department's events state no effective date of their own, so what is kept is always
        the stream's first events, as far as the day: a fold never sees a step without the
        steps before it."""
        return [event for event in recorded if self.keeps(event)]
