"""The veteran file (一人一档): the aggregate, built from its events, and the decisions it makes."""

import copy
from collections.abc import Iterable
from datetime import date

from .commands import (
    AddHonour,
    AmendContact,
    AssignGridWorker,
    MarkSurvivorTie,
    RecordDischarge,
    RecordPartyMembership,
    RecordVillageSecretary,
    RegisterVeteran,
)
from .errors import InvalidIdNumber, VeteranNotFound
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
from .id_number import parse_id_number
from .rules import (
    _check_category,
    _check_effective_on,
    _is_past_date,
    _later_stage,
    _normalised_phone,
    _optional_text,
    _Problems,
    _redates,
    _required_text,
    _years_after,
)
from .vocabulary import MIN_ENLISTMENT_AGE, MIN_PARTY_AGE, SEXES, SURVIVOR_TIES, LifeStage, SurvivorTie


def register(cmd: RegisterVeteran, veteran_id: str, today: date) -> list[Event]:
    """Open a veteran file. Sex and birth date come from the resident ID number.

    Raises InvalidIdNumber if the number is bad (its ``fields`` also list any other problems),
    otherwise InvalidVeteranData listing every problem found.
    """
    problems = _Problems()
    try:
        id_number = parse_id_number(cmd.id_number, today)
        id_error = None
    except InvalidIdNumber as error:
        id_number, id_error = None, error
    name = _required_text(problems, "name", cmd.name)
    township = _required_text(problems, "township", cmd.township)
    service_station = _required_text(problems, "service_station", cmd.service_station)
    branch = _required_text(problems, "branch", cmd.branch)
    rank = _required_text(problems, "rank", cmd.rank)
    _check_category(problems, cmd.discharge_category)
    phone = _normalised_phone(problems, cmd.phone)
    address = _optional_text(cmd.address)
    if cmd.declared_sex is not None and cmd.declared_sex not in SEXES:
        problems.add("declared_sex", "must be male or female")
    elif id_number and cmd.declared_sex not in (None, id_number.sex):
        problems.add("declared_sex", "does not match the sex encoded in the resident ID number")
    if id_number and cmd.declared_birth_date not in (None, id_number.birth_date):
        problems.add(
            "declared_birth_date", "does not match the birth date encoded in the resident ID number"
        )
    enlisted = _is_past_date(problems, "enlisted_on", cmd.enlisted_on, today)
    if (
        enlisted
        and id_number
        and cmd.enlisted_on < _years_after(id_number.birth_date, MIN_ENLISTMENT_AGE)
    ):
        problems.add("enlisted_on", f"must be on or after the {MIN_ENLISTMENT_AGE}th birthday")
    if cmd.discharged_on is not None:
        discharged = _is_past_date(problems, "discharged_on", cmd.discharged_on, today)
        if discharged and enlisted and cmd.discharged_on < cmd.enlisted_on:
            problems.add("discharged_on", "must not be before the enlistment date")
    _check_effective_on(problems, cmd.effective_on, today, id_number and id_number.birth_date)
    if id_error:
        raise InvalidIdNumber(id_error.message, {**problems.fields, **id_error.fields})
    problems.raise_if_any()
    return [
        VeteranRegistered(
            veteran_id=veteran_id,
            name=name,
            id_number=id_number.number,
            sex=id_number.sex,
            birth_date=id_number.birth_date,
            phone=phone,
            address=address,
            township=township,
            service_station=service_station,
            enlisted_on=cmd.enlisted_on,
            discharged_on=cmd.discharged_on,
            branch=branch,
            rank=rank,
            discharge_category=cmd.discharge_category,
            area_code_known=id_number.area_code_known,
            life_stage=LifeStage.DISCHARGE.value if cmd.discharged_on else LifeStage.SERVICE.value,
            effective_on=cmd.effective_on,
        )
    ]


class VeteranFile:
    """One veteran's file, rebuilt from its events; its methods decide what may happen next.

    Decisions return new events and change nothing: the caller stores them, then applies them.
    A repeated request that would change nothing returns no events, so redelivered messages
    and double-clicks are harmless.
    """

    def __init__(self, veteran_id: str):
        self.veteran_id = veteran_id
        self.version = 0
        self.name = ""
        self.id_number = ""
        self.sex = ""
        self.birth_date: date | None = None
        self.phone: str | None = None
        self.address: str | None = None
        self.township = ""
        self.service_station = ""
        self.enlisted_on: date | None = None
        self.discharged_on: date | None = None
        self.branch = ""
        self.rank = ""
        self.discharge_category = ""
        self.area_code_known = False
        self.life_stage = LifeStage.ENLISTMENT.value
        self.party_member = False
        self.party_joined_on: date | None = None
        self.party_branch: str | None = None
        self.grid_worker: str | None = None
        self.honours: list[dict] = []
        self.survivor_ties: list[dict] = []
        # 兵支书: the village or community whose party secretary the veteran is (or was), and when.
        self.village_secretary: dict | None = None

    def __repr__(self) -> str:
        return f"VeteranFile(veteran_id={self.veteran_id!r}, version={self.version})"

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> "VeteranFile":
        events = list(events)
        if not events:
            raise VeteranNotFound("no veteran file with this veteran id")
        if not isinstance(events[0], VeteranRegistered):
            raise ValueError("a veteran file's history must start with VeteranRegistered")
        veteran_file = cls(events[0].veteran_id)
        for event in events:
            veteran_file.apply(event)
        return veteran_file

    def apply(self, event: Event) -> None:
        """Bring the state up to date with an event; never refuses, the decision was made."""
        if event.veteran_id != self.veteran_id:
            raise ValueError(f"event for {event.veteran_id} applied to file {self.veteran_id}")
        match event:
            case VeteranRegistered():
                # The registration carries the whole initial state, field for field.
                for name, value in vars(event).items():
                    if name != "effective_on":  # when the file holds from, not a part of it
                        setattr(self, name, value)
            case ContactAmended():
                self.phone, self.address = event.phone, event.address
            case DischargeRecorded():
                self.discharged_on = event.discharged_on
                self.discharge_category = event.discharge_category
                self.rank = event.rank
                self.life_stage = _later_stage(self.life_stage, LifeStage.DISCHARGE.value)
            case PartyMembershipRecorded():
                self.party_member = True
                self.party_joined_on = event.joined_on
                self.party_branch = event.party_branch
            case GridWorkerAssigned():
                self.grid_worker = event.grid_worker
            # A list holds each honour and tie once: a change re-dating one (docs/history.md)
            # repeats it, and adds nothing to the file.
            case HonourAdded():
                _add_once(self.honours, {"honour": event.honour, "awarded_on": event.awarded_on})
            case SurvivorTieMarked():
                _add_once(
                    self.survivor_ties,
                    {"tie": event.tie, "fallen_name": event.fallen_name, "relation": event.relation},
                )
            case VillageSecretaryRecorded():
                self.village_secretary = {"village": event.village, "since": event.since,
                                          "until": event.until}
            case _:
                raise ValueError(f"a veteran file cannot apply {event.event_type}")
        self.version += 1

    def snapshot(self) -> dict:
        """The current state as a plain dict; it holds personal data, so only for the entitled."""
        return copy.deepcopy(vars(self))

    def amend_contact(self, cmd: AmendContact, today: date) -> list[Event]:
        self._check_addressed_to_me(cmd)
        problems = _Problems()
        if cmd.phone is None and cmd.address is None:
            problems.add("phone", "give a phone or an address to amend")
            problems.add("address", "give a phone or an address to amend")
        phone = self.phone if cmd.phone is None else _normalised_phone(problems, cmd.phone)
        address = (
            self.address
            if cmd.address is None
            else _required_text(problems, "address", cmd.address)
        )
        _check_effective_on(problems, cmd.effective_on, today, self.birth_date)
        problems.raise_if_any()
        if (phone, address) == (self.phone, self.address) and not _redates(cmd.effective_on, today):
            return []
        return [ContactAmended(self.veteran_id, phone=phone, address=address,
                               effective_on=cmd.effective_on)]

    def record_discharge(self, cmd: RecordDischarge, today: date) -> list[Event]:
        """Record or correct the discharge; a rank left out keeps the rank on file."""
        self._check_addressed_to_me(cmd)
        problems = _Problems()
        _check_category(problems, cmd.discharge_category)
        if (
            _is_past_date(problems, "discharged_on", cmd.discharged_on, today)
            and cmd.discharged_on < self.enlisted_on
        ):
            problems.add("discharged_on", "must not be before the enlistment date")
        rank = self.rank if cmd.rank is None else _required_text(problems, "rank", cmd.rank)
        _check_effective_on(problems, cmd.effective_on, today, self.birth_date)
        problems.raise_if_any()
        recorded = (self.discharged_on, self.discharge_category, self.rank)
        if (cmd.discharged_on, cmd.discharge_category, rank) == recorded and not _redates(
            cmd.effective_on, today
        ):
            return []
        return [
            DischargeRecorded(
                self.veteran_id,
                discharged_on=cmd.discharged_on,
                discharge_category=cmd.discharge_category,
                rank=rank,
                effective_on=cmd.effective_on,
            )
        ]

    def record_party_membership(self, cmd: RecordPartyMembership, today: date) -> list[Event]:
        self._check_addressed_to_me(cmd)
        problems = _Problems()
        coming_of_age = _years_after(self.birth_date, MIN_PARTY_AGE)
        if _is_past_date(problems, "joined_on", cmd.joined_on, today) and (
            cmd.joined_on < coming_of_age
        ):
            problems.add("joined_on", f"must be on or after the {MIN_PARTY_AGE}th birthday")
        party_branch = _required_text(problems, "party_branch", cmd.party_branch)
        _check_effective_on(problems, cmd.effective_on, today, self.birth_date)
        problems.raise_if_any()
        recorded = (self.party_joined_on, self.party_branch)
        if (
            self.party_member
            and (cmd.joined_on, party_branch) == recorded
            and not _redates(cmd.effective_on, today)
        ):
            return []
        return [
            PartyMembershipRecorded(
                self.veteran_id, joined_on=cmd.joined_on, party_branch=party_branch,
                effective_on=cmd.effective_on,
            )
        ]

    def assign_grid_worker(self, cmd: AssignGridWorker, today: date) -> list[Event]:
        self._check_addressed_to_me(cmd)
        problems = _Problems()
        grid_worker = _required_text(problems, "grid_worker", cmd.grid_worker)
        _check_effective_on(problems, cmd.effective_on, today, self.birth_date)
        problems.raise_if_any()
        if grid_worker == self.grid_worker and not _redates(cmd.effective_on, today):
            return []
        return [GridWorkerAssigned(self.veteran_id, grid_worker=grid_worker,
                                   effective_on=cmd.effective_on)]

    def record_village_secretary(self, cmd: RecordVillageSecretary, today: date) -> list[Event]:
        self._check_addressed_to_me(cmd)
        problems = _Problems()
        village = _required_text(problems, "village", cmd.village)
        if _is_past_date(problems, "since", cmd.since, today) and cmd.since < _years_after(
            self.birth_date, MIN_PARTY_AGE
        ):
            problems.add("since", f"must be on or after the {MIN_PARTY_AGE}th birthday")
        if cmd.until is not None and _is_past_date(problems, "until", cmd.until, today) and (
            cmd.until < cmd.since
        ):
            problems.add("until", "must not be before the term began")
        _check_effective_on(problems, cmd.effective_on, today, self.birth_date)
        problems.raise_if_any()
        post = {"village": village, "since": cmd.since, "until": cmd.until}
        if post == self.village_secretary and not _redates(cmd.effective_on, today):
            return []
        return [VillageSecretaryRecorded(self.veteran_id, village=village, since=cmd.since,
                                         until=cmd.until, effective_on=cmd.effective_on)]

    def add_honour(self, cmd: AddHonour, today: date) -> list[Event]:
        self._check_addressed_to_me(cmd)
        problems = _Problems()
        honour = _required_text(problems, "honour", cmd.honour)
        if (
            cmd.awarded_on is not None
            and _is_past_date(problems, "awarded_on", cmd.awarded_on, today)
            and cmd.awarded_on < self.birth_date
        ):
            problems.add("awarded_on", "must not be before the birth date")
        _check_effective_on(problems, cmd.effective_on, today, self.birth_date)
        problems.raise_if_any()
        if {"honour": honour, "awarded_on": cmd.awarded_on} in self.honours and not _redates(
            cmd.effective_on, today
        ):
            return []
        return [HonourAdded(self.veteran_id, honour=honour, awarded_on=cmd.awarded_on,
                            effective_on=cmd.effective_on)]

    def mark_survivor_tie(self, cmd: MarkSurvivorTie, today: date) -> list[Event]:
        self._check_addressed_to_me(cmd)
        problems = _Problems()
        if cmd.tie not in SURVIVOR_TIES:
            problems.add("tie", f"must be one of: {', '.join(t.value for t in SurvivorTie)}")
        fallen_name = _required_text(problems, "fallen_name", cmd.fallen_name)
        relation = _required_text(problems, "relation", cmd.relation)
        _check_effective_on(problems, cmd.effective_on, today, self.birth_date)
        problems.raise_if_any()
        tie = {"tie": cmd.tie, "fallen_name": fallen_name, "relation": relation}
        if tie in self.survivor_ties and not _redates(cmd.effective_on, today):
            return []
        return [SurvivorTieMarked(self.veteran_id, **tie, effective_on=cmd.effective_on)]

    def _check_addressed_to_me(self, cmd) -> None:
        # A command for another file is a bug in the caller, not bad input from a person.
        if cmd.veteran_id != self.veteran_id:
            raise ValueError(f"command for {cmd.veteran_id} sent to file {self.veteran_id}")


def _add_once(items: list[dict], item: dict) -> None:
    if item not in items:
        items.append(item)
