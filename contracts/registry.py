"""The registry's contracts: its events (stored and public forms), its requests and its replies."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from chassis.envelope import NewEvent, RecordedEvent
from contracts.versioning import Upcasters

SOURCE = "/vetlife/registry"
DISCHARGE_CATEGORIES = ("discharged_soldier", "transferred_officer", "transferred_nco",
                        "retired_officer", "demobilised")
LIFE_STAGES = ("enlistment", "service", "discharge", "employment", "preferential")
SURVIVOR_TIES = ("martyr", "died_on_duty", "died_of_illness")


def _mask(number: str | None) -> str | None:
    if not number:
        return number
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


# -- events, version 1 --------------------------------------------------------------------------

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


class ContactAmendedV1(Schema):
    veteran_id = fields.String(required=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)


class DischargeRecordedV1(Schema):
    veteran_id = fields.String(required=True)
    discharged_on = fields.Date(required=True)
    discharge_category = fields.String(required=True)
    rank = fields.String(allow_none=True)


class PartyMembershipRecordedV1(Schema):
    veteran_id = fields.String(required=True)
    joined_on = fields.Date(required=True)
    party_branch = fields.String(required=True)


class GridWorkerAssignedV1(Schema):
    veteran_id = fields.String(required=True)
    grid_worker = fields.String(required=True)


class HonourAddedV1(Schema):
    veteran_id = fields.String(required=True)
    honour = fields.String(required=True)
    awarded_on = fields.Date(allow_none=True)


class SurvivorTieMarkedV1(Schema):
    veteran_id = fields.String(required=True)
    tie = fields.String(required=True)
    fallen_name = fields.String(required=True)
    relation = fields.String(required=True)


EVENT_SCHEMAS: dict[str, type[Schema]] = {
    "VeteranRegistered": VeteranRegisteredV1,
    "ContactAmended": ContactAmendedV1,
    "DischargeRecorded": DischargeRecordedV1,
    "PartyMembershipRecorded": PartyMembershipRecordedV1,
    "GridWorkerAssigned": GridWorkerAssignedV1,
    "HonourAdded": HonourAddedV1,
    "SurvivorTieMarked": SurvivorTieMarkedV1,
}
upcast = Upcasters({event_type: 1 for event_type in EVENT_SCHEMAS})


# -- what departments see: personal data stays in the registry (ARCHITECTURE.md invariant 7) ----

class VeteranRegisteredPublicV1(Schema):
    """VeteranRegistered as published: no ID number, phone or address; a masked ID number."""

    veteran_id = fields.String()
    name = fields.String()
    id_number_masked = fields.String()
    sex = fields.String()
    birth_date = fields.Date()
    township = fields.String()
    service_station = fields.String()
    enlisted_on = fields.Date()
    discharged_on = fields.Date(allow_none=True)
    branch = fields.String()
    rank = fields.String()
    discharge_category = fields.String()
    life_stage = fields.String()


class ContactAmendedPublicV1(Schema):
    veteran_id = fields.String()
    phone_changed = fields.Boolean()
    address_changed = fields.Boolean()


def public_form(event: RecordedEvent) -> dict[str, Any]:
    """The payload a subscriber receives for a stored event."""
    data = event.data
    if event.event_type == "VeteranRegistered":
        return VeteranRegisteredPublicV1().dump(
            {**load_data(event), "id_number_masked": _mask(data.get("id_number"))}
        )
    if event.event_type == "ContactAmended":
        return ContactAmendedPublicV1().dump({
            "veteran_id": data["veteran_id"],
            "phone_changed": data.get("phone") is not None,
            "address_changed": data.get("address") is not None,
        })
    return dict(data)


# -- domain events <-> stored payloads ------------------------------------------------------------

def to_new_event(domain_event) -> NewEvent:
    """Serialise a domain event (a frozen dataclass) with its schema."""
    schema = EVENT_SCHEMAS[domain_event.event_type]()
    return NewEvent(
        event_type=domain_event.event_type,
        schema_version=domain_event.schema_version,
        data=schema.dump(_plain(asdict(domain_event))),
    )


def _plain(values: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def load_data(event: RecordedEvent) -> dict[str, Any]:
    """A stored payload as Python values (dates as dates), ready to build the domain event."""
    return EVENT_SCHEMAS[event.event_type]().load(event.data, unknown=EXCLUDE)


# -- requests and replies (HTTP and RPC) ---------------------------------------------------------

_nonblank = validate.Length(min=1, max=100)


class RegisterVeteranRequest(Schema):
    name = fields.String(required=True, validate=_nonblank)
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=30),
                              metadata={"description": "resident ID number (18 characters)"})
    sex = fields.String(validate=validate.OneOf(["male", "female"]),
                        metadata={"description": "optional; checked against the ID number"})
    birth_date = fields.Date(metadata={"description": "optional; checked against the ID number"})
    phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    address = fields.String(allow_none=True, validate=validate.Length(max=200))
    township = fields.String(required=True, validate=_nonblank)
    service_station = fields.String(required=True, validate=_nonblank)
    enlisted_on = fields.Date(required=True)
    discharged_on = fields.Date(allow_none=True)
    branch = fields.String(required=True, validate=_nonblank)
    rank = fields.String(required=True, validate=_nonblank)
    discharge_category = fields.String(required=True,
                                       validate=validate.OneOf(DISCHARGE_CATEGORIES))


class AmendContactRequest(Schema):
    phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    address = fields.String(allow_none=True, validate=validate.Length(max=200))


class RecordDischargeRequest(Schema):
    discharged_on = fields.Date(required=True)
    discharge_category = fields.String(required=True,
                                       validate=validate.OneOf(DISCHARGE_CATEGORIES))
    rank = fields.String(allow_none=True, validate=validate.Length(max=100))


class RecordPartyMembershipRequest(Schema):
    joined_on = fields.Date(required=True)
    party_branch = fields.String(required=True, validate=_nonblank)


class AssignGridWorkerRequest(Schema):
    grid_worker = fields.String(required=True, validate=_nonblank)


class AddHonourRequest(Schema):
    honour = fields.String(required=True, validate=_nonblank)
    awarded_on = fields.Date(allow_none=True)


class MarkSurvivorTieRequest(Schema):
    tie = fields.String(required=True, validate=validate.OneOf(SURVIVOR_TIES))
    fallen_name = fields.String(required=True, validate=_nonblank)
    relation = fields.String(required=True, validate=_nonblank)


class ListVeteransQuery(Schema):
    service_station = fields.String(validate=_nonblank)
    discharge_category = fields.String(validate=validate.OneOf(DISCHARGE_CATEGORIES))
    life_stage = fields.String(validate=validate.OneOf(LIFE_STAGES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class CommandAccepted(Schema):
    veteran_id = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "the file's stream version"})
    replayed = fields.Boolean(required=True,
                              metadata={"description": "true when this was a retried request"})


class Honour(Schema):
    honour = fields.String()
    awarded_on = fields.Date(allow_none=True)


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
