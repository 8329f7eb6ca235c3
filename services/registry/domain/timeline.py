"""The veteran file as it stood on a date: as the bureau knew it that day, or as in effect for the person."""

import copy
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .errors import VeteranNotFound
from .events import (
    ContactAmended,
    DischargeRecorded,
    Event,
    GridWorkerAssigned,
    HonourAdded,
    PartyMembershipRecorded,
    SurvivorTieMarked,
    VeteranRegistered,
    VillageSecretaryRecorded,
)
from .file import VeteranFile

# The bureau's days: "known on 20 November" means recorded before 24:00 that day in Shanghai.
SHANGHAI = ZoneInfo("Asia/Shanghai")

# What each kind of change sets on the file. A change applies only the parts it changed when it
# was recorded, so one recorded for a past day does not carry later values back with it.
_SETS: dict[type[Event], tuple[str, ...]] = {
    ContactAmended: ("phone", "address"),
    DischargeRecorded: ("discharged_on", "discharge_category", "rank", "life_stage"),
    PartyMembershipRecorded: ("party_member", "party_joined_on", "party_branch"),
    GridWorkerAssigned: ("grid_worker",),
    HonourAdded: ("honours",),
    SurvivorTieMarked: ("survivor_ties",),
    VillageSecretaryRecorded: ("village_secretary",),
}


def day_of(instant: datetime) -> date:
    """The Shanghai day an instant falls on (a recorded_at is stored in UTC)."""
    return instant.astimezone(SHANGHAI).date()


def end_of_day(day: date) -> datetime:
    """24:00 of a Shanghai day: everything recorded before it was known that day."""
    return datetime.combine(day + timedelta(days=1), time(), SHANGHAI)


@dataclass(frozen=True)
class Dated:
    """One event of a file with its two times: when the bureau recorded it, and from which day
    it holds for the person (a registration holds from the day it was recorded)."""

    event: Event
    version: int
    recorded_at: datetime
    actor: str

    @property
    def effective_on(self) -> date:
        # A registration states a day only when the file was first registered before it was
        # recorded here (imported from paper, docs/imports.md); else the day it was recorded.
        if self.event.effective_on is None:
            return day_of(self.recorded_at)
        return self.event.effective_on


@dataclass(frozen=True)
class _Change:
    dated: Dated
    sets: dict  # file attribute -> value; for a list, the items it adds


class FileTimeline:
    """A file's events in the order recorded, and the file on any date built from them.

    `file(known_by, in_effect_on)` takes the changes recorded before the end of `known_by` whose
    effective date is on or before `in_effect_on`, and applies them in the order they were
    recorded. So a later correction for a past day counts from that day on, and wins over what
    was recorded before it for the same part of the file (it is the bureau's latest word on that
    period). With neither date it is the file as it is now, exactly as VeteranFile.from_events.
    """

    def __init__(self, dated: list[Dated]):
        dated = sorted(dated, key=lambda d: d.version)
        if not dated:
            raise VeteranNotFound("no veteran file with this veteran id")
        if not isinstance(dated[0].event, VeteranRegistered):
            raise ValueError("a veteran file's history must start with VeteranRegistered")
        self.registration = dated[0]
        self.changes: list[_Change] = []
        known = VeteranFile.from_events([self.registration.event])
        for entry in dated[1:]:
            before = copy.deepcopy(known)
            known.apply(entry.event)
            self.changes.append(_Change(entry, _what_changed(before, known, entry.event)))

    @property
    def registered_on(self) -> date:
        return self.registration.effective_on

    def file(self, known_by: date | None = None, in_effect_on: date | None = None) -> VeteranFile:
        """The file as known at the end of `known_by`, in effect on `in_effect_on` (None: now).

        Raises VeteranNotFound for a day before the file existed: not yet registered then (as
        known), or not yet registered on the effective day.
        """
        cutoff = None if known_by is None else end_of_day(known_by)
        if cutoff is not None and self.registration.recorded_at >= cutoff:
            raise VeteranNotFound("no veteran file with this veteran id on that day")
        if in_effect_on is not None and in_effect_on < self.registered_on:
            raise VeteranNotFound("no veteran file with this veteran id on that day")
        veteran_file = VeteranFile.from_events([self.registration.event])
        version = self.registration.version
        for change in self.changes:
            if cutoff is not None and change.dated.recorded_at >= cutoff:
                continue
            version = max(version, change.dated.version)
            if in_effect_on is None or change.dated.effective_on <= in_effect_on:
                _apply(veteran_file, change.sets)
        # The version the view was built from: what was known then, whatever was in effect.
        veteran_file.version = version
        return veteran_file

    def entries(self) -> list[Dated]:
        return [self.registration, *(change.dated for change in self.changes)]


def _what_changed(before: VeteranFile, after: VeteranFile, event: Event) -> dict:
    names = _SETS[type(event)]
    sets = {}
    for name in names:
        old, new = getattr(before, name), getattr(after, name)
        if isinstance(new, list):
            added = [item for item in new if item not in old]
            if added:
                sets[name] = added
        elif new != old:
            sets[name] = new
    if sets:
        return sets
    # A change that re-dates what the file already shows: all it states counts from its day.
    return {name: _own_items(event, name) if isinstance(getattr(after, name), list)
            else getattr(after, name) for name in names}


def _own_items(event: Event, name: str) -> list[dict]:
    if name == "honours":
        return [{"honour": event.honour, "awarded_on": event.awarded_on}]
    return [{"tie": event.tie, "fallen_name": event.fallen_name, "relation": event.relation}]


def _apply(veteran_file: VeteranFile, sets: dict) -> None:
    for name, value in sets.items():
        current = getattr(veteran_file, name)
        if isinstance(current, list):
            current.extend(item for item in value if item not in current)
        else:
            setattr(veteran_file, name, value)
