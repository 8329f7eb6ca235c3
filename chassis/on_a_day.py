"""A stream's events as they stood on a day: known by the end of `as_of`, in effect on `effective_on`.

Every service answers "as it stood on a day" the same way (docs/history.md): it keeps the events
of a case that pass `OnADay.keeps` and folds them with its own domain code, the code a command
loads the case with. Days are the bureau's days (Asia/Shanghai).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from chassis.clock import SHANGHAI
from chassis.days import due_day_of
from chassis.deadlines import DeadlineChanges
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

    def instant(self, now: datetime) -> datetime:
        """The moment a dated view stands at, for a clock's state: the last moment of its day
        (a term whose last day it is has not run out yet, as "overdue" counts from the day
        after everywhere), or `now` if the day has not ended yet (today)."""
        return min(end_of_day(self.day) - timedelta(microseconds=1), now)

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


@dataclass(frozen=True)
class ClockStep:
    """What one kept event did to its case's clocks: `changes` as its append applied them (with
    `at`, when it was recorded), `fired` the clocks whose running out it records."""

    changes: DeadlineChanges
    fired: tuple[str, ...] = ()


def clocks_on(steps: Iterable[ClockStep], at: datetime) -> list[dict[str, Any]]:
    """A case's deadlines as they stood at `at`, replayed from its own events the way the store
    applied them (cancelled, met, then set; a firing marks the pending clock fired), shown as
    chassis.deadlines.deadlines_for shows the deadlines table now. Why: that table holds each
    clock's state now only; a clock started by an event with its term is known from that event
    on, so the case's events are enough to say what it was on any later day."""
    rows: list[dict[str, Any]] = []
    for step in steps:
        when = step.changes.at
        for row in rows:
            if row["name"] in step.changes.cancelled and row["state"] == "pending":
                row["state"] = "cancelled"
        for row in rows:
            if row["name"] in step.changes.met and row["state"] in ("pending", "fired"):
                row["state"], row["met_at"] = "met", when
        for deadline in step.changes.set:
            generation = 1 + max((r["generation"] for r in rows if r["name"] == deadline.name),
                                 default=0)
            rows.append({"name": deadline.name, "generation": generation,
                         "due_at": deadline.due_at, "state": "pending", "met_at": None,
                         "fired_at": None})
        for row in rows:
            if row["name"] in step.fired and row["state"] == "pending":
                row["state"], row["fired_at"] = "fired", when
    views = []
    for row in sorted(rows, key=lambda r: (r["due_at"], r["name"], r["generation"])):
        state = row["state"]
        if state == "cancelled":
            continue  # as deadlines_for shows them: a replaced or stopped clock is left out
        if state == "fired" or (state == "pending" and row["due_at"] <= at):
            state = "overdue"
        views.append({**row, "due_on": due_day_of(row["due_at"]), "state": state,
                      "due_at": row["due_at"].astimezone(SHANGHAI),
                      "met_at": _shanghai(row["met_at"]), "fired_at": _shanghai(row["fired_at"]),
                      "late": state == "met" and (row["fired_at"] is not None
                                                  or row["met_at"] > row["due_at"])})
    return views


def _shanghai(instant: datetime | None) -> datetime | None:
    return None if instant is None else instant.astimezone(SHANGHAI)
