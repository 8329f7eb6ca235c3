"""The placement clocks: report in within 30 days (Art. 51), placed in 6 months (31), on post in 30 days (75)"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from . import events as ev
from .vocabulary import ON_POST_CLOCK as ON_POST
from .vocabulary import PLACEMENT_CLOCK as PLACEMENT

REPORT_IN_DAYS = 30
PLACEMENT_MONTHS = 6
ON_POST_DAYS = 30


def add_days(start: date, n: int) -> date:
    """n calendar days after `start`; the start day does not count."""
    return start + timedelta(days=n)


def add_months(start: date, n: int) -> date:
    """The same day n months later, or that month's last day when it has none."""
    index = start.month - 1 + n
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def report_in_due(discharge_approved_on: date) -> date:
    return add_days(discharge_approved_on, REPORT_IN_DAYS)


def days_late(discharge_approved_on: date, reported_on: date) -> int:
    """Days past the report-in period; 0 when on time."""
    return max((reported_on - report_in_due(discharge_approved_on)).days, 0)


def placement_due(received_on: date) -> date:
    return add_months(received_on, PLACEMENT_MONTHS)


def on_post_due(letter_issued_on: date) -> date:
    return add_days(letter_issued_on, ON_POST_DAYS)


@dataclass(frozen=True)
class ClockChanges:
    """What a step does to the case's clocks: set (name -> last day), met, cancelled."""

    set: dict[str, date] = field(default_factory=dict)
    met: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.set or self.met or self.cancelled)


def clock_changes(received_on: date | None, new_events) -> ClockChanges:
    """The clocks the new events of a case start, meet or stop.

    Assigned work, and an officer's transfer, start the placement clock: 6 months from
    reception (Art. 31; the bureau holds transfers and spouses to the same six months). The
    placement meets it and starts the unit's 30 days to put the soldier on post (Art. 75), which
    going on post meets. A forfeiture or a closing stops whatever still runs.
    """
    set_, met, cancelled = {}, [], []
    for event in new_events:
        match event:
            case ev.ModeChosen(mode="assigned_work" | "officer_transfer"):
                set_[PLACEMENT] = placement_due(received_on)
            case ev.SpouseReceived():
                set_[PLACEMENT] = placement_due(event.received_on)
            case ev.Placed():
                met.append(PLACEMENT)
            case ev.ReferralLetterIssued():
                set_[ON_POST] = event.on_post_due_on
            case ev.OnPostRecorded():
                met.append(ON_POST)
            case ev.PlacementForfeited() | ev.CaseClosed():
                cancelled += [PLACEMENT, ON_POST]
    return ClockChanges(set_, tuple(met), tuple(cancelled))
