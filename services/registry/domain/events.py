"""What happened to a veteran file, in the past tense: stored forever, so never changed."""

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar


@dataclass(frozen=True)
class Event:
    """Something that happened to a veteran file."""

    event_type: ClassVar[str] = "Event"
    # Bump in a subclass when its fields change, so stored old versions can be upcast.
    schema_version: ClassVar[int] = 1

    veteran_id: str

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.event_type = cls.__name__


# Personal data is left out of the reprs below, so logging an event or command cannot leak it.
# Every change after the registration carries `effective_on`, the day it took effect for the
# person: a late correction is a new event with a past effective date, never an edit. None means
# the day it was recorded (Asia/Shanghai), which is also how events stored before the field are read.


@dataclass(frozen=True)
class VeteranRegistered(Event):
    name: str
    id_number: str = field(repr=False)
    sex: str
    birth_date: date
    phone: str | None = field(repr=False)
    address: str | None = field(repr=False)
    township: str
    service_station: str
    enlisted_on: date
    discharged_on: date | None
    branch: str
    rank: str
    discharge_category: str
    area_code_known: bool
    life_stage: str
    # The day the file was first registered, when that was before it was recorded here (a paper
    # file imported later); None: the day it was recorded.
    effective_on: date | None = None


@dataclass(frozen=True)
class ContactAmended(Event):
    # Both fields hold the contact after the change, so a reader needs no earlier event.
    phone: str | None = field(repr=False)
    address: str | None = field(repr=False)
    effective_on: date | None = None


@dataclass(frozen=True)
class DischargeRecorded(Event):
    discharged_on: date
    discharge_category: str
    rank: str
    effective_on: date | None = None


@dataclass(frozen=True)
class PartyMembershipRecorded(Event):
    joined_on: date
    party_branch: str
    effective_on: date | None = None


@dataclass(frozen=True)
class GridWorkerAssigned(Event):
    grid_worker: str
    effective_on: date | None = None


@dataclass(frozen=True)
class HonourAdded(Event):
    honour: str
    awarded_on: date | None
    effective_on: date | None = None


@dataclass(frozen=True)
class SurvivorTieMarked(Event):
    """The veteran's family is the survivor family of ``fallen_name``."""

    tie: str
    fallen_name: str
    relation: str
    effective_on: date | None = None


@dataclass(frozen=True)
class VillageSecretaryRecorded(Event):
    """The veteran serves (from `since`, until `until` if the term has ended) as the party
    secretary of a village or community, a 兵支书."""

    village: str
    since: date
    until: date | None
    effective_on: date | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in (
        VeteranRegistered,
        ContactAmended,
        DischargeRecorded,
        PartyMembershipRecorded,
        GridWorkerAssigned,
        HonourAdded,
        SurvivorTieMarked,
        VillageSecretaryRecorded,
    )
}
