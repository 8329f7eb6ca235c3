"""What someone asks of the registry: commands, which a decision may refuse."""

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class RegisterVeteran:
    name: str
    id_number: str = field(repr=False)
    township: str
    service_station: str
    enlisted_on: date
    branch: str
    rank: str
    discharge_category: str
    phone: str | None = field(default=None, repr=False)
    address: str | None = field(default=None, repr=False)
    discharged_on: date | None = None
    # What the clerk read off the papers; checked against what the ID number encodes.
    declared_sex: str | None = None
    declared_birth_date: date | None = None
    # The day the file was first registered (a paper file brought in years later); None: the
    # day it is recorded.
    effective_on: date | None = None


@dataclass(frozen=True)
class AmendContact:
    veteran_id: str
    phone: str | None = field(default=None, repr=False)
    address: str | None = field(default=None, repr=False)
    # The day the change took effect for the person; None: the day it is recorded.
    effective_on: date | None = None


@dataclass(frozen=True)
class RecordDischarge:
    veteran_id: str
    discharged_on: date
    discharge_category: str
    rank: str | None = None
    # The day the change took effect for the person; None: the day it is recorded.
    effective_on: date | None = None


@dataclass(frozen=True)
class RecordPartyMembership:
    veteran_id: str
    joined_on: date
    party_branch: str
    # The day the change took effect for the person; None: the day it is recorded.
    effective_on: date | None = None


@dataclass(frozen=True)
class AssignGridWorker:
    veteran_id: str
    grid_worker: str
    # The day the change took effect for the person; None: the day it is recorded.
    effective_on: date | None = None


@dataclass(frozen=True)
class AddHonour:
    veteran_id: str
    honour: str
    awarded_on: date | None = None
    # The day the change took effect for the person; None: the day it is recorded.
    effective_on: date | None = None


@dataclass(frozen=True)
class MarkSurvivorTie:
    veteran_id: str
    tie: str
    fallen_name: str
    relation: str
    # The day the change took effect for the person; None: the day it is recorded.
    effective_on: date | None = None


@dataclass(frozen=True)
class RecordVillageSecretary:
    veteran_id: str
    village: str
    since: date
    until: date | None = None
    # The day the change took effect for the person; None: the day it is recorded.
    effective_on: date | None = None
