"""What departments receive: each registry event's allow-listed public form, and nothing else."""
from datetime import UTC, datetime

import pytest
from marshmallow import Schema, fields

from chassis.envelope import RecordedEvent
from contracts import registry as contract
from contracts.publication import NotPublishable, Publication, year_of

REGISTERED = {
    "veteran_id": "v1", "name": "陈志强", "id_number": "33070319680517001X",
    "sex": "male", "birth_date": "1968-05-17", "phone": "13857912345",
    "address": "金东区多湖街道光南路1号", "township": "多湖街道",
    "service_station": "多湖街道退役军人服务站", "enlisted_on": "1986-12-01",
    "discharged_on": None, "branch": "陆军", "rank": "上士",
    "discharge_category": "discharged_soldier", "area_code_known": True,
    "life_stage": "service",
}

# One stored payload per event type, and exactly what goes out for it.
EXPECTED = {
    "VeteranRegistered": (REGISTERED, {
        "veteran_id": "v1", "sex": "male", "birth_year": 1968, "township": "多湖街道",
        "service_station": "多湖街道退役军人服务站", "enlisted_year": 1986,
        "discharged_year": None, "branch": "陆军", "rank": "上士",
        "discharge_category": "discharged_soldier", "life_stage": "service",
        "area_code_known": True}),
    "ContactAmended": (
        {"veteran_id": "v1", "phone": "13857912345", "address": None},
        {"veteran_id": "v1", "phone_on_file": True, "address_on_file": False}),
    "DischargeRecorded": (
        {"veteran_id": "v1", "discharged_on": "1990-12-01",
         "discharge_category": "discharged_soldier", "rank": None},
        {"veteran_id": "v1", "discharged_year": 1990,
         "discharge_category": "discharged_soldier", "rank": None}),
    "PartyMembershipRecorded": (
        {"veteran_id": "v1", "joined_on": "1988-07-01", "party_branch": "中共多湖街道第一支部"},
        {"veteran_id": "v1", "joined_year": 1988, "party_branch": "中共多湖街道第一支部"}),
    "GridWorkerAssigned": (
        {"veteran_id": "v1", "grid_worker": "王丽"},
        {"veteran_id": "v1", "grid_worker_assigned": True}),
    "HonourAdded": (
        {"veteran_id": "v1", "honour": "个人三等功", "awarded_on": None},
        {"veteran_id": "v1", "honour": "个人三等功", "awarded_year": None}),
    "SurvivorTieMarked": (
        {"veteran_id": "v1", "tie": "martyr", "fallen_name": "陈志刚", "relation": "兄弟"},
        {"veteran_id": "v1", "tie": "martyr", "relation": "兄弟"}),
    "VillageSecretaryRecorded": (
        {"veteran_id": "v1", "village": "多湖街道驿头社区", "since": "2020-11-01", "until": None},
        {"veteran_id": "v1", "village": "多湖街道驿头社区", "since_year": 2020,
         "until_year": None}),
    # Service stations are organisations (contracts/stations.py): published whole.
    **{event_type: (station, station) for event_type, station in (
        ("StationRegistered", {"station_id": "s1", "station_name": "多湖街道退役军人服务站",
                               "level": "township", "parent_id": None, "township": "多湖街道",
                               "status": "built", "planned_on": "2020-03-01",
                               "built_on": "2020-10-15"}),
        ("StationBuildRecorded", {"station_id": "s1", "status": "built", "on": "2020-10-15"}),
        ("StationRated", {"station_id": "s1", "rating": "exemplary", "rated_on": "2020-12-01"}))},
}


def recorded(event_type, data):
    now = datetime.now(UTC)
    return RecordedEvent("e1", event_type, 1, "v1", 1, 1, now, now, "c", None, "staff", data)


def test_every_event_type_has_an_expected_public_form_here():
    assert set(EXPECTED) == set(contract.EVENT_SCHEMAS)


@pytest.mark.parametrize("event_type", sorted(EXPECTED))
def test_each_event_is_published_as_its_allow_list_says(event_type):
    stored, expected = EXPECTED[event_type]
    # The stored payload is what the registry's own contract writes.
    assert contract.EVENT_SCHEMAS[event_type]().validate(stored) == {}
    public = contract.public_form(recorded(event_type, stored))
    assert public == expected
    # Valid against the very schema the catalogue documents.
    assert set(public) == set(contract.PUBLIC_SCHEMAS[event_type]._declared_fields)
    assert contract.PUBLIC_SCHEMAS[event_type]().validate(public) == {}


def test_a_registration_carries_no_identity():
    public = contract.public_form(recorded("VeteranRegistered", REGISTERED))
    assert not {"name", "id_number", "id_number_masked", "birth_date", "phone", "address",
                "area_code", "enlisted_on", "discharged_on"} & set(public)
    assert not {"陈志强", "001X", "1968-05-17", "13857912345"} & {str(v) for v in public.values()}


def test_a_field_added_to_a_stored_event_stays_private_until_it_is_allow_listed():
    stored = {**EXPECTED["SurvivorTieMarked"][0], "fallen_unit": "某部三连", "notes": "遗属住址"}
    public = contract.public_form(recorded("SurvivorTieMarked", stored))
    assert public == EXPECTED["SurvivorTieMarked"][1]


def test_an_event_type_without_an_allow_list_is_never_published_as_stored():
    with pytest.raises(NotPublishable, match="no public schema for VeteranExhumed"):
        contract.public_form(recorded("VeteranExhumed", {"veteran_id": "v1", "name": "陈志强"}))


class _Stored(Schema):
    veteran_id = fields.String()
    born_on = fields.Date()


class _Public(Schema):
    veteran_id = fields.String()
    born_year = fields.Integer()


def test_a_publication_table_that_does_not_add_up_is_refused_at_import():
    Publication("demo", {"Born": _Public}, {"Born": {"born_year": year_of("born_on")}},
                stored={"Born": _Stored})
    with pytest.raises(ValueError, match="neither stores nor derives"):
        Publication("demo", {"Born": _Public}, stored={"Born": _Stored})
    with pytest.raises(ValueError, match="does not declare"):
        Publication("demo", {"Born": _Stored}, {"Born": {"born_year": year_of("born_on")}})
    with pytest.raises(ValueError, match="no public schema"):
        Publication("demo", {}, {"Born": {"born_year": year_of("born_on")}})


def test_the_published_envelope_names_the_role_that_acted_not_the_person():
    now = datetime.now(UTC)
    event = RecordedEvent("e1", "GridWorkerAssigned", 1, "v1", 2, 7, now, now, "c",
                          "gateway:0123456789abcdef:key-1", "station_worker:zhou.min",
                          {"veteran_id": "v1", "grid_worker": "网格员周敏"})
    published = event.to_cloudevent(contract.SOURCE, contract.public_form(event))
    assert published["actor"] == "station_worker"
    assert "zhou.min" not in str(published) and "周敏" not in str(published)
    # The store's own (full) form keeps who it was.
    assert event.to_cloudevent(contract.SOURCE)["actor"] == "station_worker:zhou.min"


def test_the_gateways_command_id_carries_no_subject():
    from gateway.service import command_id_from
    from gateway.tokens import Principal

    class Request:
        headers = {"Idempotency-Key": "portal-0001"}

    command_id = command_id_from(Request(), Principal("vet-chen-13857912345", ("veteran",)))
    assert command_id.endswith(":portal-0001") and "chen" not in command_id
    assert "13857912345" not in command_id
