"""What departments receive: the public contract of each registry event, without personal data."""
from datetime import UTC, datetime

from chassis.envelope import RecordedEvent
from contracts import registry as contract


def recorded(event_type, data):
    now = datetime.now(UTC)
    return RecordedEvent("e1", event_type, 1, "v1", 1, 1, now, now, "c", None, "staff", data)


def test_a_registration_is_published_with_its_public_fields_only():
    stored = {
        "veteran_id": "v1", "name": "陈志强", "id_number": "33070319680517001X",
        "sex": "male", "birth_date": "1968-05-17", "phone": "13857912345",
        "address": "金东区多湖街道光南路1号", "township": "多湖街道",
        "service_station": "多湖街道退役军人服务站", "enlisted_on": "1986-12-01",
        "discharged_on": None, "branch": "陆军", "rank": "上士",
        "discharge_category": "discharged_soldier", "area_code_known": True,
        "life_stage": "service",
    }
    public = contract.public_form(recorded("VeteranRegistered", stored))

    assert set(public) == set(contract.VeteranRegisteredPublicV1._declared_fields)
    assert public["id_number_masked"] == "3307**********001X"
    assert public["birth_date"] == "1968-05-17" and public["discharged_on"] is None
    assert not {"id_number", "phone", "address"} & set(public)
    # The public form is valid against its own published schema.
    assert contract.VeteranRegisteredPublicV1().validate(public) == {}


def test_a_contact_change_says_what_changed_not_the_new_values():
    public = contract.public_form(recorded(
        "ContactAmended", {"veteran_id": "v1", "phone": "13857912345", "address": None}))
    assert public == {"veteran_id": "v1", "phone_changed": True, "address_changed": False}
