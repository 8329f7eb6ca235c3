"""The registry's contracts: its events (stored and public forms), its requests and its replies."""
from __future__ import annotations

import functools
import re
from dataclasses import asdict, replace
from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from chassis.envelope import NewEvent, RecordedEvent
from chassis.on_a_day import OnADay
from contracts import instance, stations
from contracts.commands import StreamCommand
from contracts.publication import Derivation, Publication, present, year_of
from contracts.routes import Route
from contracts.versioning import Upcasters

SOURCE = "/vetlife/registry"
DISCHARGE_CATEGORIES = ("discharged_soldier", "transferred_officer", "transferred_nco",
                        "retired_officer", "demobilised")
LIFE_STAGES = ("enlistment", "service", "discharge", "employment", "preferential")
SURVIVOR_TIES = ("martyr", "died_on_duty", "died_of_illness")
SHANGHAI = ZoneInfo("Asia/Shanghai")


# -- events, version 1 --------------------------------------------------------------------------


def _stored_effective_on() -> fields.Date:
    # Added to the changes after the registration without a new version: optional, and absent
    # from events stored before it (and from changes effective the day they were recorded). The
    # upcaster below fills it in on read: the Shanghai day the event was recorded.
    return fields.Date(allow_none=True, metadata={
        "description": "the day the change took effect for the person (docs/history.md)"})

class VeteranRegisteredV1(Schema):
    veteran_id = fields.String(required=True)
    name = fields.String(required=True)
    id_number = fields.String(required=True)
    sex = fields.String(required=True, validate=validate.OneOf(["male", "female"]))
    birth_date = fields.Date(required=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    township = fields.String(required=True)
    service_station = fields.String(required=True)
    enlisted_on = fields.Date(required=True)
    discharged_on = fields.Date(allow_none=True)
    branch = fields.String(required=True)
    rank = fields.String(required=True)
    discharge_category = fields.String(required=True)
    area_code_known = fields.Boolean(required=True)
    life_stage = fields.String(required=True)
    # The day the file was first registered, stated only when that was before it was recorded
    # (a paper file imported later, 建档日期); absent: the day recorded. Not published.
    effective_on = fields.Date(allow_none=True, metadata={
        "description": "the day the file was first registered (docs/imports.md)"})


class ContactAmendedV1(Schema):
    veteran_id = fields.String(required=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    effective_on = _stored_effective_on()


class DischargeRecordedV1(Schema):
    veteran_id = fields.String(required=True)
    discharged_on = fields.Date(required=True)
    discharge_category = fields.String(required=True)
    rank = fields.String(allow_none=True)
    effective_on = _stored_effective_on()


class PartyMembershipRecordedV1(Schema):
    veteran_id = fields.String(required=True)
    joined_on = fields.Date(required=True)
    party_branch = fields.String(required=True)
    effective_on = _stored_effective_on()


class GridWorkerAssignedV1(Schema):
    veteran_id = fields.String(required=True)
    grid_worker = fields.String(required=True)
    effective_on = _stored_effective_on()


class HonourAddedV1(Schema):
    veteran_id = fields.String(required=True)
    honour = fields.String(required=True)
    awarded_on = fields.Date(allow_none=True)
    effective_on = _stored_effective_on()


class SurvivorTieMarkedV1(Schema):
    veteran_id = fields.String(required=True)
    tie = fields.String(required=True)
    fallen_name = fields.String(required=True)
    relation = fields.String(required=True)
    effective_on = _stored_effective_on()


class VillageSecretaryRecordedV1(Schema):
    veteran_id = fields.String(required=True)
    village = fields.String(required=True)
    since = fields.Date(required=True)
    until = fields.Date(allow_none=True)
    effective_on = _stored_effective_on()


EVENT_SCHEMAS: dict[str, type[Schema]] = {
    "VeteranRegistered": VeteranRegisteredV1,
    "ContactAmended": ContactAmendedV1,
    "DischargeRecorded": DischargeRecordedV1,
    "PartyMembershipRecorded": PartyMembershipRecordedV1,
    "GridWorkerAssigned": GridWorkerAssignedV1,
    "HonourAdded": HonourAddedV1,
    "SurvivorTieMarked": SurvivorTieMarkedV1,
    "VillageSecretaryRecorded": VillageSecretaryRecordedV1,
}
# The district's service stations are kept in the registry's store too (contracts/stations.py).
EVENT_SCHEMAS.update(stations.EVENT_SCHEMAS)


class _RegistryUpcasters(Upcasters):
    """The version steps, then every change's effective date made explicit: an event stored
    without one took effect the day it was recorded, in Asia/Shanghai."""

    def __call__(self, event: RecordedEvent) -> RecordedEvent:
        event = super().__call__(event)
        if event.event_type not in DATED or event.data.get("effective_on") is not None:
            return event
        recorded_on = event.recorded_at.astimezone(SHANGHAI).date()
        return replace(event, data={**event.data, "effective_on": recorded_on.isoformat()})


# The events that carry an effective date: every change after the registration (a file holds
# from the day it was registered, docs/history.md).
DATED = frozenset(EVENT_SCHEMAS) - {"VeteranRegistered"} - set(stations.EVENT_SCHEMAS)
upcast = _RegistryUpcasters({event_type: 1 for event_type in EVENT_SCHEMAS})


# -- what departments see: pseudonymous ids and facts, never identity ----------------------------
# The allow-list (contracts/publication.py): a stored field reaches the bus only if its event
# type's public schema below declares it, copied or derived. These public forms replace the
# first ones (which carried the name, a masked ID number, the birth date, the fallen's name and
# the grid worker's name) before any department subscribed, so they are still version 1.
# A department entitled to identity reads it through the gateway, audited (README).

_NULLABLE = {"required": True, "allow_none": True}


class VeteranRegisteredPublicV1(Schema):
    """A new veteran file as departments receive it: the pseudonymous id and coarse facts.

    Never the name, the ID number or any part of it (not even the area code: no department
    needs the birthplace county, and it narrows a township's veterans further), the birth date,
    the phone or the address. Dates of service are published as years.
    """

    veteran_id = fields.String(required=True, metadata={"description": "pseudonymous id"})
    sex = fields.String(required=True, validate=validate.OneOf(["male", "female"]))
    birth_year = fields.Integer(required=True, metadata={"description": "year of birth only"})
    township = fields.String(required=True)
    service_station = fields.String(required=True)
    enlisted_year = fields.Integer(required=True)
    discharged_year = fields.Integer(**_NULLABLE, metadata={"description": "null: in service"})
    branch = fields.String(required=True)
    rank = fields.String(required=True)
    discharge_category = fields.String(required=True,
                                       validate=validate.OneOf(DISCHARGE_CATEGORIES))
    life_stage = fields.String(required=True, validate=validate.OneOf(LIFE_STAGES))
    area_code_known = fields.Boolean(required=True,
                                     metadata={"description": "false: flagged for review"})


class ContactAmendedPublicV1(Schema):
    """The contact on file changed; never the new phone or address.

    The stored event holds the contact after the change, not which part changed, so what is
    published is whether a phone and an address are now on file.
    """

    veteran_id = fields.String(required=True)
    phone_on_file = fields.Boolean(required=True)
    address_on_file = fields.Boolean(required=True)


class DischargeRecordedPublicV1(Schema):
    veteran_id = fields.String(required=True)
    discharged_year = fields.Integer(required=True)
    discharge_category = fields.String(required=True,
                                       validate=validate.OneOf(DISCHARGE_CATEGORIES))
    rank = fields.String(**_NULLABLE)


class PartyMembershipRecordedPublicV1(Schema):
    veteran_id = fields.String(required=True)
    joined_year = fields.Integer(required=True)
    party_branch = fields.String(required=True, metadata={"description": "an organisation"})


class GridWorkerAssignedPublicV1(Schema):
    """A grid worker now looks after the veteran; the worker's name is a person's, so it stays
    in the registry."""

    veteran_id = fields.String(required=True)
    grid_worker_assigned = fields.Boolean(required=True)


class HonourAddedPublicV1(Schema):
    veteran_id = fields.String(required=True)
    honour = fields.String(required=True)
    awarded_year = fields.Integer(**_NULLABLE)


class SurvivorTieMarkedPublicV1(Schema):
    """The veteran's family is a survivor family; never the name of the one who died."""

    veteran_id = fields.String(required=True)
    tie = fields.String(required=True, validate=validate.OneOf(SURVIVOR_TIES))
    relation = fields.String(required=True)


class VillageSecretaryRecordedPublicV1(Schema):
    """A veteran serves as a village's party secretary (兵支书): the village and the years."""

    veteran_id = fields.String(required=True)
    village = fields.String(required=True, metadata={"description": "a village or community"})
    since_year = fields.Integer(required=True)
    until_year = fields.Integer(**_NULLABLE, metadata={"description": "null: serving"})


PUBLIC_SCHEMAS: dict[str, type[Schema]] = {
    "VeteranRegistered": VeteranRegisteredPublicV1,
    "ContactAmended": ContactAmendedPublicV1,
    "DischargeRecorded": DischargeRecordedPublicV1,
    "PartyMembershipRecorded": PartyMembershipRecordedPublicV1,
    "GridWorkerAssigned": GridWorkerAssignedPublicV1,
    "HonourAdded": HonourAddedPublicV1,
    "SurvivorTieMarked": SurvivorTieMarkedPublicV1,
    "VillageSecretaryRecorded": VillageSecretaryRecordedPublicV1,
}
PUBLIC_SCHEMAS.update(stations.PUBLIC_SCHEMAS)
# Public facts computed from private fields; every other public field is copied by name.
DERIVED: dict[str, dict[str, Derivation]] = {
    "VeteranRegistered": {"birth_year": year_of("birth_date"),
                          "enlisted_year": year_of("enlisted_on"),
                          "discharged_year": year_of("discharged_on")},
    "ContactAmended": {"phone_on_file": present("phone"), "address_on_file": present("address")},
    "DischargeRecorded": {"discharged_year": year_of("discharged_on")},
    "PartyMembershipRecorded": {"joined_year": year_of("joined_on")},
    "GridWorkerAssigned": {"grid_worker_assigned": present("grid_worker")},
    "HonourAdded": {"awarded_year": year_of("awarded_on")},
    "VillageSecretaryRecorded": {"since_year": year_of("since"),
                                 "until_year": year_of("until")},
}

public_form = Publication("registry", PUBLIC_SCHEMAS, DERIVED, stored=EVENT_SCHEMAS,
                          versions=upcast.current)
"""The payload a subscriber receives for a stored event (the relay's and events_after's `data`);
raises NotPublishable for an event type without a public schema."""


# -- domain events <-> stored payloads ------------------------------------------------------------

def to_new_event(domain_event) -> NewEvent:
    """Serialise a domain event (a frozen dataclass) with its schema."""
    schema = instance(EVENT_SCHEMAS[domain_event.event_type])
    data = schema.dump(_plain(_values(domain_event)))
    if data.get("effective_on", "") is None:
        # Effective the day it is recorded: left out, as before the field existed, and read
        # back as that day (upcast); the store, not the deciding process, knows which day it is.
        del data["effective_on"]
    return NewEvent(
        event_type=domain_event.event_type,
        schema_version=domain_event.schema_version,
        data=data,
    )


# Values asdict hands back as they are (it deep-copies each, and a copy of one of these is the
# value itself), so an event holding only these is read field by field: asdict's recursion cost
# an import more than the schema's dump (22 us a registration).
_AS_THEY_ARE = frozenset({str, int, float, bool, type(None), date, datetime})


@functools.cache
def _field_names(event_class: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclass_fields(event_class))


def _values(domain_event) -> dict:
    """asdict(domain_event), without its deep copy when every field holds a plain value."""
    values = {name: getattr(domain_event, name) for name in _field_names(type(domain_event))}
    if all(type(v) in _AS_THEY_ARE for v in values.values()):
        return values
    return asdict(domain_event)


def _plain(values: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def load_data(event: RecordedEvent) -> dict[str, Any]:
    """A stored payload as Python values (dates as dates), ready to build the domain event."""
    return instance(EVENT_SCHEMAS[event.event_type]).load(event.data, unknown=EXCLUDE)


# -- requests and replies (HTTP and RPC) ---------------------------------------------------------

class _Pattern(validate.Regexp):
    """The whole value must match, exactly as JSON Schema reads a `^...$` pattern.

    `Regexp` uses `re.match`, where `$` also matches before a final newline; apispec copies the
    pattern into the OpenAPI document, so the server and the document must read it the same way.
    """

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


# C0 and C1 control characters: PostgreSQL cannot store NUL, and no person types the others.
_CONTROL = r"\x00-\x1f\x7f-\x9f"
# What Python's str.strip() removes once controls are refused: the domain's "is required" test.
# Spelled out, because JSON Schema's \s and Python's disagree (U+FEFF, U+0085, U+001C-U+001F).
_SPACE = r" \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TEXT = _Pattern(rf"^[^{_CONTROL}]*$", error="must not contain control characters")
NONBLANK = _Pattern(rf"^[^{_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$",
                    error="is required and must not contain control characters")
# A mainland mobile (11 digits, 13-19) or a landline with its area code, spaces allowed between
# digits: what the domain accepts once it has removed the spaces.
PHONE = _Pattern(r"^ *(1 *[3-9]( *[0-9]){9}|0( *[0-9]){2,3} *-?( *[0-9]){7,8}) *$",
                 error="must be a mainland mobile number (11 digits starting 13-19) or a "
                       "landline with its area code, like 0579-82345678")
ID_NUMBER = _Pattern(r"^[0-9]{17}[0-9Xx]$", error="must be 17 digits and a check digit or X")
_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_QUERY_INTEGER = re.compile(r"-?[0-9]+")


def _text(max_length: int = 100, *, required: bool = False, blank: bool = False,
          **kwargs) -> fields.String:
    """A line of text a person typed: no control characters; blank only where `blank` says so."""
    return fields.String(required=required, validate=[validate.Length(max=max_length),
                                                      TEXT if blank else NONBLANK], **kwargs)


class _Date(fields.Date):
    """An RFC 3339 full-date (YYYY-MM-DD), as `format: date` says; Python's date.fromisoformat
    alone also takes 19900101 and 1990-W01-1."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not _FULL_DATE.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class _QueryInteger(fields.Integer):
    """An integer as a query string carries it: ASCII digits only, where int() would also take
    ' 1', '１' and '٣'."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not _QUERY_INTEGER.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


EFFECTIVE_ON = ("the day the change took effect for the person, not after today (Asia/Shanghai); "
                "null or missing: the day it is recorded. A late correction states its past day "
                "(docs/history.md)")


class RegisterVeteranRequest(Schema):
    name = _text(required=True)
    id_number = fields.String(required=True, validate=ID_NUMBER,
                              metadata={"description": "resident ID number (18 characters)"})
    sex = fields.String(validate=validate.OneOf(["male", "female"]),
                        metadata={"description": "optional; checked against the ID number"})
    birth_date = _Date(metadata={"description": "optional; checked against the ID number"})
    phone = fields.String(allow_none=True, validate=[validate.Length(max=20), PHONE])
    # Blank is allowed here and means no address on file.
    address = _text(200, blank=True, allow_none=True)
    township = _text(required=True)
    service_station = _text(required=True)
    enlisted_on = _Date(required=True)
    discharged_on = _Date(allow_none=True)
    branch = _text(required=True)
    rank = _text(required=True)
    discharge_category = fields.String(required=True,
                                       validate=validate.OneOf(DISCHARGE_CATEGORIES))
    effective_on = _Date(allow_none=True, metadata={
        "description": "建档日期: the day the file was first registered, for a file kept on "
                       "paper before; not after today (Asia/Shanghai), not before the birth "
                       "date; null or missing: the day it is recorded. The figures count the "
                       "file from this day (docs/imports.md)"})


class AmendContactRequest(Schema):
    """A null or missing field keeps what is on file; at least one must be given."""

    phone = fields.String(allow_none=True, validate=[validate.Length(max=20), PHONE])
    address = _text(200, allow_none=True)
    effective_on = _Date(allow_none=True, metadata={"description": EFFECTIVE_ON})

    @validates_schema
    def _something_to_amend(self, data, **kwargs):
        if data.get("phone") is None and data.get("address") is None:
            problem = ["give a phone or an address to amend"]
            raise ValidationError({"phone": problem, "address": problem})


class RecordDischargeRequest(Schema):
    discharged_on = _Date(required=True)
    discharge_category = fields.String(required=True,
                                       validate=validate.OneOf(DISCHARGE_CATEGORIES))
    rank = _text(allow_none=True, metadata={"description": "null or missing: the rank on file"})
    effective_on = _Date(allow_none=True, metadata={"description": EFFECTIVE_ON})


class RecordPartyMembershipRequest(Schema):
    joined_on = _Date(required=True)
    party_branch = _text(required=True)
    effective_on = _Date(allow_none=True, metadata={"description": EFFECTIVE_ON})


class RecordVillageSecretaryRequest(Schema):
    village = _text(required=True, metadata={"description": "the village or community, e.g. "
                                             "多湖街道驿头社区"})
    since = _Date(required=True, metadata={"description": "the day the term began"})
    until = _Date(allow_none=True, metadata={"description": "the day it ended; null: serving"})
    effective_on = _Date(allow_none=True, metadata={"description": EFFECTIVE_ON})


class AssignGridWorkerRequest(Schema):
    grid_worker = _text(required=True)
    effective_on = _Date(allow_none=True, metadata={"description": EFFECTIVE_ON})


class AddHonourRequest(Schema):
    honour = _text(required=True)
    awarded_on = _Date(allow_none=True)
    effective_on = _Date(allow_none=True, metadata={"description": EFFECTIVE_ON})


class MarkSurvivorTieRequest(Schema):
    tie = fields.String(required=True, validate=validate.OneOf(SURVIVOR_TIES))
    fallen_name = _text(required=True)
    relation = _text(required=True)
    effective_on = _Date(allow_none=True, metadata={"description": EFFECTIVE_ON})


class FileOnDateQuery(Schema):
    """A veteran's file as it stood on a day (docs/history.md); both may be given at once."""

    as_of = _Date(metadata={"description": "the file as the bureau knew it at the end of this day "
                                           "(Asia/Shanghai): changes recorded by 24:00 that day"})
    effective_on = _Date(metadata={"description": "the file as in effect for the person on this "
                                                  "day: changes effective on or before it, a late "
                                                  "correction from its own effective day"})

    @validates_schema
    def _not_in_the_future(self, data, **kwargs):
        today = datetime.now(SHANGHAI).date()
        problems = {name: [f"must not be after today ({today.isoformat()}, Asia/Shanghai)"]
                    for name in ("as_of", "effective_on")
                    if data.get(name) is not None and data[name] > today}
        if problems:
            raise ValidationError(problems)


def on_a_day(as_of: str | None = None, effective_on: str | None = None) -> OnADay | None:
    """The day(s) a service's read is asked for (the overview passes them on), checked as the
    file's dated read checks them: a 400 naming the parameter. None: no day, today's read."""
    given = {name: value for name, value in (("as_of", as_of), ("effective_on", effective_on))
             if value is not None}
    if not given:
        return None
    return OnADay(**instance(FileOnDateQuery).load(given))


class ListVeteransQuery(Schema):
    service_station = fields.String(validate=[validate.Length(min=1, max=100), TEXT])
    discharge_category = fields.String(validate=validate.OneOf(DISCHARGE_CATEGORIES))
    life_stage = fields.String(validate=validate.OneOf(LIFE_STAGES))
    page = _QueryInteger(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = _QueryInteger(load_default=20, validate=validate.Range(min=1, max=200))


class CommandAccepted(Schema):
    veteran_id = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "the file's stream version"})
    replayed = fields.Boolean(required=True,
                              metadata={"description": "true when this was a retried request"})


class Honour(Schema):
    honour = fields.String()
    awarded_on = fields.Date(allow_none=True)


class VillageSecretary(Schema):
    """The veteran's term as a village's party secretary (兵支书)."""

    village = fields.String(required=True)
    since = fields.Date(required=True)
    until = fields.Date(allow_none=True, metadata={"description": "null: serving"})


class SurvivorTie(Schema):
    tie = fields.String()
    fallen_name = fields.String()
    relation = fields.String()


class VeteranFileReply(Schema):
    """One veteran's file as staff see it."""

    veteran_id = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    id_number = fields.String(required=True)
    sex = fields.String(required=True)
    birth_date = fields.Date(required=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    township = fields.String(required=True)
    service_station = fields.String(required=True)
    enlisted_on = fields.Date(required=True)
    discharged_on = fields.Date(allow_none=True)
    branch = fields.String(required=True)
    rank = fields.String(required=True)
    discharge_category = fields.String(required=True)
    life_stage = fields.String(required=True)
    area_code_known = fields.Boolean(required=True,
                                     metadata={"description": "false: flagged for review"})
    party_member = fields.Boolean(required=True)
    party_branch = fields.String(allow_none=True)
    village_secretary = fields.Nested(VillageSecretary, allow_none=True, metadata={
        "description": "兵支书: the village whose party secretary the veteran is or was; null: "
                       "none recorded"})
    grid_worker = fields.String(allow_none=True)
    honours = fields.List(fields.Nested(Honour), required=True)
    survivor_ties = fields.List(fields.Nested(SurvivorTie), required=True)


class VeteranSummary(Schema):
    """A row of the veteran list: never the full ID number."""

    veteran_id = fields.String(required=True)
    name = fields.String(required=True)
    id_number_masked = fields.String(required=True)
    sex = fields.String(required=True)
    township = fields.String(required=True)
    service_station = fields.String(required=True)
    discharge_category = fields.String(required=True)
    life_stage = fields.String(required=True)
    area_code_known = fields.Boolean(required=True)


class VeteranListReply(Schema):
    items = fields.List(fields.Nested(VeteranSummary), required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True)


# -- the file commands: one line each (contracts/commands.py says what comes from a line) ---------

FILE_COMMANDS = (
    StreamCommand("amend_contact", "PATCH", "/contact", "amend phone and/or address",
                  AmendContactRequest),
    StreamCommand("record_discharge", "POST", "/discharge", "record discharge",
                  RecordDischargeRequest),
    StreamCommand("record_party_membership", "POST", "/party-membership",
                  "record party membership", RecordPartyMembershipRequest),
    StreamCommand("assign_grid_worker", "PUT", "/grid-worker", "assign a grid worker",
                  AssignGridWorkerRequest),
    StreamCommand("add_honour", "POST", "/honours", "add an honour", AddHonourRequest),
    StreamCommand("mark_survivor_tie", "POST", "/survivor-ties",
                  "mark a survivor family tie (三属)", MarkSurvivorTieRequest),
    StreamCommand("record_village_secretary", "PUT", "/village-secretary",
                  "record that the veteran serves as a village party secretary (兵支书)",
                  RecordVillageSecretaryRequest),
)


# -- operations served through the gateway's generic routes (contracts/routes.py) -----------------

class HistoryEntry(Schema):
    version = fields.Integer(required=True)
    event_type = fields.String(required=True)
    at = fields.String(required=True, metadata={"description": "when it was recorded (the same "
                                                             "as recorded_at)"})
    recorded_at = fields.String(required=True, metadata={
        "description": "when the bureau recorded it (ISO 8601 with time zone)"})
    effective_on = fields.Date(required=True, metadata={
        "description": "from which day it holds for the person (a registration: the day it "
                       "was recorded, Asia/Shanghai)"})
    actor = fields.String(required=True, metadata={"description": "who: <role>:<subject>"})


class FileHistoryReply(Schema):
    """Who did what to a file, when: every change, oldest first."""

    veteran_id = fields.String(required=True)
    version = fields.Integer(required=True)
    history = fields.List(fields.Nested(HistoryEntry), required=True)


ROUTES = (
    Route("file_history", "registry", "GET", "/veterans/{veteran_id}/history",
          "who changed this file, what and when (oldest first)", reply=FileHistoryReply,
          errors=(404,)),
)
