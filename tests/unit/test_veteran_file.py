"""Stories about the veteran file (一人一档): opening it and keeping it up to date."""

import dataclasses
from datetime import date

import pytest
from faker import Faker
from stdnum.cn import ric

from services.registry.domain.errors import (
    AlreadyRegistered,
    InvalidIdNumber,
    InvalidVeteranData,
    RegistryError,
    VeteranNotFound,
)
from services.registry.domain.model import (
    EVENT_TYPES,
    AddHonour,
    AmendContact,
    AssignGridWorker,
    ContactAmended,
    DischargeRecorded,
    GridWorkerAssigned,
    HonourAdded,
    MarkSurvivorTie,
    PartyMembershipRecorded,
    RecordDischarge,
    RecordPartyMembership,
    RecordVillageSecretary,
    RegisterVeteran,
    SurvivorTieMarked,
    VeteranFile,
    VeteranRegistered,
    VillageSecretaryRecorded,
    register,
)

TODAY = date(2020, 12, 31)
VETERAN_ID = "vet-0001"

fake = Faker("zh_CN")
fake.seed_instance(11588)
ADDRESS = fake.address()


def id_number(area: str = "330703", birth: str = "19680512", sequence: str = "123") -> str:
    body = area + birth + sequence
    return body + ric.calc_check_digit(body + "?")


def registration(**changes) -> RegisterVeteran:
    """A discharged soldier from 澧浦镇, born 1968, as a clerk would enter him."""
    cmd = RegisterVeteran(
        name="王建国",
        id_number=id_number(),
        township="澧浦镇",
        service_station="澧浦镇退役军人服务站",
        enlisted_on=date(1986, 12, 1),
        branch="陆军",
        rank="中士",
        discharge_category="discharged_soldier",
        phone="138 0579 2345",
        address=ADDRESS,
        discharged_on=date(1990, 12, 1),
    )
    return dataclasses.replace(cmd, **changes)


def registered_file(**changes) -> VeteranFile:
    return VeteranFile.from_events(register(registration(**changes), VETERAN_ID, TODAY))


def carry_out(veteran_file: VeteranFile, events: list) -> list:
    for event in events:
        veteran_file.apply(event)
    return events


def problems_of(error: RegistryError) -> str:
    return str(error) + repr(error) + repr(error.fields)


# --- registering --------------------------------------------------------------------------------


def test_a_jindong_discharged_soldier_is_registered_with_sex_and_birth_date_from_his_id():
    cmd = registration()

    [event] = register(cmd, VETERAN_ID, TODAY)

    assert isinstance(event, VeteranRegistered)
    assert event.veteran_id == VETERAN_ID
    assert event.name == "王建国"
    assert event.id_number == cmd.id_number
    assert event.sex == "male"
    assert event.birth_date == date(1968, 5, 12)
    assert event.phone == "13805792345"
    assert event.address == cmd.address.strip()
    assert event.area_code_known is True
    assert event.discharge_category == "discharged_soldier"
    assert event.life_stage == "discharge"


def test_the_registered_file_holds_the_veteran_s_state():
    veteran_file = registered_file(name="  王建国 ")

    state = veteran_file.snapshot()
    assert veteran_file.version == 1
    assert state["veteran_id"] == VETERAN_ID
    assert state["name"] == "王建国"
    assert state["township"] == "澧浦镇"
    assert state["enlisted_on"] == date(1986, 12, 1)
    assert state["discharged_on"] == date(1990, 12, 1)
    assert state["party_member"] is False
    assert state["grid_worker"] is None
    assert state["honours"] == []
    assert state["survivor_ties"] == []


def test_someone_still_serving_is_in_the_service_stage():
    [event] = register(registration(discharged_on=None), VETERAN_ID, TODAY)

    assert event.discharged_on is None
    assert event.life_stage == "service"


def test_an_even_sequence_digit_makes_the_veteran_female():
    [event] = register(
        registration(name=fake.name_female(), id_number=id_number(sequence="246")),
        VETERAN_ID,
        TODAY,
    )

    assert event.sex == "female"


def test_an_unknown_area_code_is_registered_and_flagged_for_review():
    [event] = register(registration(id_number=id_number(area="999999")), VETERAN_ID, TODAY)

    assert event.area_code_known is False


def test_contact_details_are_optional():
    [event] = register(registration(phone=None, address=None), VETERAN_ID, TODAY)

    assert (event.phone, event.address) == (None, None)


def test_declarations_that_match_the_id_number_are_accepted():
    cmd = registration(declared_sex="male", declared_birth_date=date(1968, 5, 12))

    assert len(register(cmd, VETERAN_ID, TODAY)) == 1


def test_a_declared_birth_date_that_differs_from_the_id_number_is_refused():
    with pytest.raises(InvalidVeteranData) as caught:
        register(registration(declared_birth_date=date(1968, 5, 21)), VETERAN_ID, TODAY)

    assert caught.value.code == "invalid_input"
    assert list(caught.value.fields) == ["declared_birth_date"]


def test_a_declared_sex_that_differs_from_the_id_number_is_refused():
    with pytest.raises(InvalidVeteranData) as caught:
        register(registration(declared_sex="female"), VETERAN_ID, TODAY)

    assert list(caught.value.fields) == ["declared_sex"]


def test_a_discharge_before_enlistment_is_refused():
    with pytest.raises(InvalidVeteranData) as caught:
        register(registration(discharged_on=date(1985, 1, 1)), VETERAN_ID, TODAY)

    assert caught.value.fields == {"discharged_on": ["must not be before the enlistment date"]}


@pytest.mark.parametrize("field_name", ["enlisted_on", "discharged_on"])
def test_dates_in_the_future_are_refused(field_name):
    with pytest.raises(InvalidVeteranData) as caught:
        register(registration(**{field_name: date(2021, 1, 1)}), VETERAN_ID, TODAY)

    assert caught.value.fields[field_name] == ["must not be in the future"]


def test_enlisting_before_the_sixteenth_birthday_is_refused():
    with pytest.raises(InvalidVeteranData) as caught:
        register(registration(enlisted_on=date(1984, 5, 11)), VETERAN_ID, TODAY)

    assert "enlisted_on" in caught.value.fields


def test_enlisting_on_the_sixteenth_birthday_is_accepted():
    [event] = register(registration(enlisted_on=date(1984, 5, 12)), VETERAN_ID, TODAY)

    assert event.enlisted_on == date(1984, 5, 12)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13805792345", "13805792345"),
        ("199 0579 2345", "19905792345"),
        ("0579-82345678", "0579-82345678"),
        ("0579 - 8234 5678", "0579-82345678"),
        ("010-12345678", "010-12345678"),
    ],
)
def test_a_mobile_or_landline_phone_is_stored_without_spaces(typed, stored):
    [event] = register(registration(phone=typed), VETERAN_ID, TODAY)

    assert event.phone == stored


@pytest.mark.parametrize(
    "phone", ["12805792345", "1380579234", "138057923456", "66668888", "0571-123", "电话", ""]
)
def test_a_phone_that_is_neither_mobile_nor_landline_is_refused_without_echoing_it(phone):
    with pytest.raises(InvalidVeteranData) as caught:
        register(registration(phone=phone), VETERAN_ID, TODAY)

    assert list(caught.value.fields) == ["phone"]
    if phone:
        assert phone not in problems_of(caught.value)


def test_an_unknown_discharge_category_is_refused():
    with pytest.raises(InvalidVeteranData) as caught:
        register(registration(discharge_category="deserter"), VETERAN_ID, TODAY)

    assert "discharge_category" in caught.value.fields


def test_every_problem_is_reported_at_once_without_personal_data():
    cmd = registration(
        name="  ",
        township="",
        discharge_category="unknown",
        phone="12345",
        enlisted_on=date(2021, 3, 1),
        declared_sex="female",
    )

    with pytest.raises(InvalidVeteranData) as caught:
        register(cmd, VETERAN_ID, TODAY)

    error = caught.value
    assert set(error.fields) == {
        "name",
        "township",
        "discharge_category",
        "phone",
        "enlisted_on",
        "declared_sex",
    }
    for personal in (cmd.id_number, cmd.phone, cmd.address):
        assert personal not in problems_of(error)


def test_a_bad_id_number_is_reported_together_with_the_other_problems():
    good_number = id_number()
    bad_number = good_number[:-1] + ("1" if good_number[-1] != "1" else "2")

    with pytest.raises(InvalidIdNumber) as caught:
        register(registration(id_number=bad_number, name=""), VETERAN_ID, TODAY)

    error = caught.value
    assert error.code == "invalid_id_number"
    assert set(error.fields) == {"id_number", "name"}
    assert "check character does not match" in error.fields["id_number"][0]
    assert bad_number not in problems_of(error)


def test_commands_and_events_never_show_personal_data_in_their_repr():
    cmd = registration()
    [event] = register(cmd, VETERAN_ID, TODAY)

    for shown in (repr(cmd), repr(event), repr(VeteranFile.from_events([event]))):
        for personal in (cmd.id_number, "13805792345", cmd.phone, cmd.address):
            assert personal not in shown


def test_a_second_file_for_the_same_id_number_names_the_existing_one():
    error = AlreadyRegistered("vet-0001")

    assert error.code == "already_registered"
    assert error.existing_veteran_id == "vet-0001"
    assert str(error) == "a file for this resident ID number already exists: vet-0001"
    assert "id_number" in error.fields


def test_each_event_knows_its_type_and_schema_version():
    assert EVENT_TYPES == {
        cls.__name__: cls
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
    for name, cls in EVENT_TYPES.items():
        assert cls.event_type == name
        assert cls.schema_version == 1


# --- rebuilding ---------------------------------------------------------------------------------


def test_a_file_without_events_does_not_exist():
    with pytest.raises(VeteranNotFound) as caught:
        VeteranFile.from_events([])

    assert caught.value.code == "not_found"


def test_a_file_rebuilt_from_its_history_equals_one_kept_up_to_date():
    kept = registered_file(discharged_on=None)
    history = list(register(registration(discharged_on=None), VETERAN_ID, TODAY))
    for decide in (
        lambda f: f.assign_grid_worker(AssignGridWorker(VETERAN_ID, "李网格"), TODAY),
        lambda f: f.record_discharge(
            RecordDischarge(VETERAN_ID, date(1990, 12, 1), "discharged_soldier"), TODAY
        ),
        lambda f: f.add_honour(AddHonour(VETERAN_ID, "三等功", date(1989, 8, 1)), TODAY),
    ):
        history += carry_out(kept, decide(kept))

    rebuilt = VeteranFile.from_events(history)

    assert rebuilt.version == kept.version == 4
    assert rebuilt.snapshot() == kept.snapshot()


def test_a_snapshot_is_a_copy():
    veteran_file = registered_file()

    veteran_file.snapshot()["honours"].append({"honour": "forged"})

    assert veteran_file.honours == []


def test_a_command_for_another_veteran_is_a_caller_bug():
    with pytest.raises(ValueError):
        registered_file().assign_grid_worker(AssignGridWorker("vet-9999", "李网格"), TODAY)


# --- keeping the file up to date ----------------------------------------------------------------


def test_a_veteran_who_moved_amends_only_the_address():
    veteran_file = registered_file()
    new_address = fake.address()

    cmd = AmendContact(VETERAN_ID, address=new_address)

    events = carry_out(veteran_file, veteran_file.amend_contact(cmd, TODAY))

    assert events == [ContactAmended(VETERAN_ID, phone="13805792345", address=new_address)]
    assert (veteran_file.phone, veteran_file.address) == ("13805792345", new_address)
    assert veteran_file.version == 2


def test_a_new_phone_is_normalised_and_amending_it_again_changes_nothing():
    veteran_file = registered_file()
    cmd = AmendContact(VETERAN_ID, phone="0579-8234 5678")

    [event] = carry_out(veteran_file, veteran_file.amend_contact(cmd, TODAY))

    assert event.phone == "0579-82345678"
    assert veteran_file.phone == "0579-82345678"
    assert veteran_file.amend_contact(cmd, TODAY) == []


def test_an_amendment_needs_a_phone_or_an_address():
    with pytest.raises(InvalidVeteranData) as caught:
        registered_file().amend_contact(AmendContact(VETERAN_ID), TODAY)

    assert set(caught.value.fields) == {"phone", "address"}


def test_an_amendment_with_a_bad_phone_is_refused():
    with pytest.raises(InvalidVeteranData) as caught:
        registered_file().amend_contact(AmendContact(VETERAN_ID, phone="110"), TODAY)

    assert list(caught.value.fields) == ["phone"]


def test_recording_the_discharge_of_a_serving_soldier_moves_him_to_the_discharge_stage():
    veteran_file = registered_file(discharged_on=None)
    cmd = RecordDischarge(VETERAN_ID, date(2020, 9, 1), "transferred_nco", rank="四级军士长")

    events = carry_out(veteran_file, veteran_file.record_discharge(cmd, TODAY))

    assert events == [
        DischargeRecorded(VETERAN_ID, date(2020, 9, 1), "transferred_nco", "四级军士长")
    ]
    assert veteran_file.discharged_on == date(2020, 9, 1)
    assert veteran_file.discharge_category == "transferred_nco"
    assert veteran_file.rank == "四级军士长"
    assert veteran_file.life_stage == "discharge"


def test_a_discharge_without_a_rank_keeps_the_rank_on_file():
    veteran_file = registered_file(discharged_on=None)
    cmd = RecordDischarge(VETERAN_ID, date(1990, 12, 1), "discharged_soldier")

    [event] = carry_out(veteran_file, veteran_file.record_discharge(cmd, TODAY))

    assert event.rank == "中士"


def test_recording_the_same_discharge_again_changes_nothing():
    veteran_file = registered_file()
    cmd = RecordDischarge(VETERAN_ID, date(1990, 12, 1), "discharged_soldier", rank="中士")

    assert veteran_file.record_discharge(cmd, TODAY) == []


@pytest.mark.parametrize(
    ("discharged_on", "category", "field_name"),
    [
        (date(1986, 11, 30), "discharged_soldier", "discharged_on"),
        (date(2021, 1, 1), "discharged_soldier", "discharged_on"),
        (date(1990, 12, 1), "retired", "discharge_category"),
    ],
    ids=["before enlistment", "in the future", "unknown category"],
)
def test_an_impossible_discharge_is_refused(discharged_on, category, field_name):
    veteran_file = registered_file(discharged_on=None)

    with pytest.raises(InvalidVeteranData) as caught:
        veteran_file.record_discharge(RecordDischarge(VETERAN_ID, discharged_on, category), TODAY)

    assert list(caught.value.fields) == [field_name]
    assert veteran_file.version == 1


def test_a_veteran_who_joined_the_party_is_counted_as_a_member():
    veteran_file = registered_file()
    cmd = RecordPartyMembership(VETERAN_ID, date(1989, 7, 1), "澧浦镇第一党支部")

    [event] = carry_out(veteran_file, veteran_file.record_party_membership(cmd, TODAY))

    assert event == PartyMembershipRecorded(VETERAN_ID, date(1989, 7, 1), "澧浦镇第一党支部")
    assert veteran_file.party_member is True
    assert veteran_file.party_joined_on == date(1989, 7, 1)
    assert veteran_file.party_branch == "澧浦镇第一党支部"
    assert veteran_file.record_party_membership(cmd, TODAY) == []


@pytest.mark.parametrize(
    ("joined_on", "branch", "field_name"),
    [
        (date(1985, 7, 1), "澧浦镇第一党支部", "joined_on"),
        (date(2021, 7, 1), "澧浦镇第一党支部", "joined_on"),
        (date(1989, 7, 1), " ", "party_branch"),
    ],
    ids=["before eighteen", "in the future", "no branch"],
)
def test_an_impossible_party_membership_is_refused(joined_on, branch, field_name):
    with pytest.raises(InvalidVeteranData) as caught:
        registered_file().record_party_membership(
            RecordPartyMembership(VETERAN_ID, joined_on, branch), TODAY
        )

    assert list(caught.value.fields) == [field_name]


def test_a_grid_worker_is_assigned_and_reassigning_the_same_one_changes_nothing():
    veteran_file = registered_file()
    worker = fake.name()

    [event] = carry_out(
        veteran_file, veteran_file.assign_grid_worker(AssignGridWorker(VETERAN_ID, worker), TODAY)
    )

    assert event == GridWorkerAssigned(VETERAN_ID, worker)
    assert veteran_file.grid_worker == worker
    assert veteran_file.assign_grid_worker(AssignGridWorker(VETERAN_ID, worker), TODAY) == []
    assert len(veteran_file.assign_grid_worker(AssignGridWorker(VETERAN_ID, "李网格"), TODAY)) == 1


def test_a_village_party_secretary_is_recorded_with_the_term_and_a_repeat_changes_nothing():
    veteran_file = registered_file()
    cmd = RecordVillageSecretary(VETERAN_ID, "多湖街道驿头社区", date(2020, 11, 1))
    [event] = carry_out(veteran_file, veteran_file.record_village_secretary(cmd, TODAY))
    assert event == VillageSecretaryRecorded(VETERAN_ID, village="多湖街道驿头社区",
                                             since=date(2020, 11, 1), until=None)
    assert veteran_file.village_secretary["since"] == date(2020, 11, 1)
    assert veteran_file.record_village_secretary(cmd, TODAY) == []
    with pytest.raises(InvalidVeteranData) as caught:
        veteran_file.record_village_secretary(RecordVillageSecretary(
            VETERAN_ID, "", date(2021, 1, 1), until=date(2020, 1, 1)), TODAY)
    assert set(caught.value.fields) == {"village", "since", "until"}   # since after today
    with pytest.raises(InvalidVeteranData) as caught:
        veteran_file.record_village_secretary(RecordVillageSecretary(
            VETERAN_ID, "中柔村", date(2020, 1, 1), until=date(2019, 1, 1)), TODAY)
    assert list(caught.value.fields) == ["until"]


def test_a_grid_worker_needs_a_name():
    with pytest.raises(InvalidVeteranData) as caught:
        registered_file().assign_grid_worker(AssignGridWorker(VETERAN_ID, ""), TODAY)

    assert list(caught.value.fields) == ["grid_worker"]


def test_honours_accumulate_and_a_repeated_one_is_not_added_twice():
    veteran_file = registered_file()
    merit = AddHonour(VETERAN_ID, "三等功", date(1989, 8, 1))
    model = AddHonour(VETERAN_ID, "优秀退役军人")

    carry_out(veteran_file, veteran_file.add_honour(merit, TODAY))
    [event] = carry_out(veteran_file, veteran_file.add_honour(model, TODAY))

    assert event == HonourAdded(VETERAN_ID, "优秀退役军人", None)
    assert veteran_file.honours == [
        {"honour": "三等功", "awarded_on": date(1989, 8, 1)},
        {"honour": "优秀退役军人", "awarded_on": None},
    ]
    assert veteran_file.add_honour(merit, TODAY) == []


@pytest.mark.parametrize(
    ("honour", "awarded_on", "field_name"),
    [
        ("三等功", date(2021, 1, 1), "awarded_on"),
        ("三等功", date(1960, 1, 1), "awarded_on"),
        ("", None, "honour"),
    ],
    ids=["in the future", "before birth", "no honour"],
)
def test_an_impossible_honour_is_refused(honour, awarded_on, field_name):
    with pytest.raises(InvalidVeteranData) as caught:
        registered_file().add_honour(AddHonour(VETERAN_ID, honour, awarded_on), TODAY)

    assert list(caught.value.fields) == [field_name]


def test_a_martyr_s_family_is_marked_once():
    veteran_file = registered_file()
    cmd = MarkSurvivorTie(VETERAN_ID, "martyr", "王志强", "father")

    [event] = carry_out(veteran_file, veteran_file.mark_survivor_tie(cmd, TODAY))

    assert event == SurvivorTieMarked(VETERAN_ID, "martyr", "王志强", "father")
    assert veteran_file.survivor_ties == [
        {"tie": "martyr", "fallen_name": "王志强", "relation": "father"}
    ]
    assert veteran_file.mark_survivor_tie(cmd, TODAY) == []


@pytest.mark.parametrize("tie", ["martyr", "died_on_duty", "died_of_illness"])
def test_each_of_the_three_survivor_ties_is_known(tie):
    events = registered_file().mark_survivor_tie(
        MarkSurvivorTie(VETERAN_ID, tie, "王志强", "brother"), TODAY
    )

    assert events[0].tie == tie


def test_an_unknown_survivor_tie_is_refused():
    with pytest.raises(InvalidVeteranData) as caught:
        registered_file().mark_survivor_tie(
            MarkSurvivorTie(VETERAN_ID, "hero", "王志强", "father"), TODAY
        )

    assert list(caught.value.fields) == ["tie"]


def test_the_file_read_shows_the_village_secretary_term_to_whom_it_is_entitled():
    from contracts import access, instance
    from contracts.registry import VeteranFileReply

    veteran_file = registered_file()
    assert instance(VeteranFileReply).dump(veteran_file)["village_secretary"] is None
    carry_out(veteran_file, veteran_file.record_village_secretary(RecordVillageSecretary(
        VETERAN_ID, "多湖街道驿头社区", date(2020, 11, 1)), TODAY))
    assert instance(VeteranFileReply).dump(veteran_file)["village_secretary"] == {
        "village": "多湖街道驿头社区", "since": "2020-11-01", "until": None}
    # Not personal (a public office), so the leaders' figures may count it; a department sees
    # it only where its line says so.
    assert "village_secretary" in access.ROLE_FIELDS["leader"]
    assert "village_secretary" in access.DEPARTMENT_FIELDS["party_organisation"]
    assert "village_secretary" not in access.DEPARTMENT_FIELDS["public_security"]
