"""A veteran file as it stood on a date: as known at the end of a day, and as in effect for the person."""
from datetime import UTC, date, datetime, timedelta

import pytest
from stdnum.cn import ric

from chassis.envelope import RecordedEvent
from contracts import registry as contract
from services.registry.domain import model
from services.registry.domain.errors import InvalidVeteranData, VeteranNotFound
from services.registry.domain.timeline import SHANGHAI, Dated, FileTimeline

VETERAN_ID = "3f1c2a9e-5b7d-4e21-9a0c-6d8e1f2b3c4d"
BODY = "33070319680512123"
ID_NUMBER = BODY + ric.calc_check_digit(BODY + "?")


def shanghai(day: str, clock: str = "10:00") -> datetime:
    """An instant in Shanghai, stored as the database stores recorded_at (UTC)."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI).astimezone(UTC)


def registered() -> model.VeteranRegistered:
    cmd = model.RegisterVeteran(
        name="王建国", id_number=ID_NUMBER, township="澧浦镇", service_station="澧浦镇退役军人服务站",
        enlisted_on=date(1986, 12, 1), branch="陆军", rank="中士",
        discharge_category="discharged_soldier", phone="13857900001", address="澧浦镇老街1号",
        discharged_on=date(1990, 12, 1))
    return model.register(cmd, VETERAN_ID, date(2026, 11, 2))[0]


class File:
    """A file's events written one by one, each at a chosen recorded time."""

    def __init__(self, recorded_at: datetime):
        self.dated = [Dated(registered(), 1, recorded_at, "registry_clerk:li")]

    def change(self, event: model.Event, recorded_at: datetime) -> "File":
        self.dated.append(Dated(event, len(self.dated) + 1, recorded_at, "registry_clerk:li"))
        return self

    def on(self, as_of: str | None = None, effective_on: str | None = None) -> model.VeteranFile:
        return FileTimeline(self.dated).file(
            known_by=as_of and date.fromisoformat(as_of),
            in_effect_on=effective_on and date.fromisoformat(effective_on))

    def now(self) -> model.VeteranFile:
        return model.VeteranFile.from_events(d.event for d in self.dated)


def contact(phone, address, effective_on=None) -> model.ContactAmended:
    return model.ContactAmended(VETERAN_ID, phone=phone, address=address,
                                effective_on=effective_on and date.fromisoformat(effective_on))


def test_as_of_each_day_folds_only_what_was_recorded_by_its_end():
    veteran = (File(shanghai("2026-11-02"))
               .change(contact("13857900002", "澧浦镇老街1号"), shanghai("2026-11-05"))
               .change(contact("13857900002", "孝顺镇新街8号"), shanghai("2026-11-09")))
    assert veteran.on(as_of="2026-11-02").phone == "13857900001"
    assert veteran.on(as_of="2026-11-04").phone == "13857900001"
    assert (veteran.on(as_of="2026-11-05").phone, veteran.on(as_of="2026-11-05").address) == (
        "13857900002", "澧浦镇老街1号")
    assert veteran.on(as_of="2026-11-09").address == "孝顺镇新街8号"
    # The version is the file's as known then: an ETag a client could not write against now.
    assert [veteran.on(as_of=day).version for day in ("2026-11-02", "2026-11-05", "2026-11-09")] \
        == [1, 2, 3]
    # Undated changes take effect the day they are recorded, so both views agree (but for the
    # version: the effective view is built from everything known now).
    for day in ("2026-11-02", "2026-11-05", "2026-11-08", "2026-11-09"):
        in_effect, known = veteran.on(effective_on=day).snapshot(), veteran.on(as_of=day).snapshot()
        assert in_effect.pop("version") == 3
        known.pop("version")
        assert in_effect == known


def test_a_late_correction_counts_from_its_past_day_but_was_not_known_before_it_was_recorded():
    veteran = (File(shanghai("2026-11-02"))
               .change(contact("13857900002", "澧浦镇老街1号"), shanghai("2026-11-05"))
               # Recorded on the 10th: the address had changed on the 3rd.
               .change(contact("13857900002", "孝顺镇新街8号", "2026-11-03"), shanghai("2026-11-10")))
    assert veteran.on(effective_on="2026-11-02").address == "澧浦镇老街1号"
    assert veteran.on(effective_on="2026-11-03").address == "孝顺镇新街8号"
    # In effect on the 3rd only: the phone changed on the 5th, and the correction, made when the
    # new phone was on file, does not carry it back to the 3rd.
    assert veteran.on(effective_on="2026-11-03").phone == "13857900001"
    assert veteran.on(effective_on="2026-11-06").phone == "13857900002"
    # What the bureau knew on the 9th about the 4th: nothing of the correction yet.
    assert veteran.on(as_of="2026-11-09", effective_on="2026-11-04").address == "澧浦镇老街1号"
    assert veteran.on(as_of="2026-11-10", effective_on="2026-11-04").address == "孝顺镇新街8号"


def test_a_reversal_undoes_a_wrong_change_from_its_day_and_history_keeps_both():
    veteran = (File(shanghai("2026-11-02"))
               .change(model.DischargeRecorded(VETERAN_ID, discharged_on=date(1991, 3, 1),
                                               discharge_category="transferred_nco", rank="上士"),
                       shanghai("2026-11-04"))
               # A clerk's mistake, reversed on the 8th from the day it was made.
               .change(model.DischargeRecorded(VETERAN_ID, discharged_on=date(1990, 12, 1),
                                               discharge_category="discharged_soldier",
                                               rank="中士", effective_on=date(2026, 11, 4)),
                       shanghai("2026-11-08")))
    wrong = veteran.on(as_of="2026-11-05")
    assert (wrong.discharge_category, wrong.rank) == ("transferred_nco", "上士")
    for day in ("2026-11-04", "2026-11-06"):
        undone = veteran.on(effective_on=day)
        assert (undone.discharge_category, undone.rank, undone.discharged_on) == (
            "discharged_soldier", "中士", date(1990, 12, 1))
    assert veteran.on(effective_on="2026-11-03").discharge_category == "discharged_soldier"
    assert len(FileTimeline(veteran.dated).entries()) == 3


def test_a_day_is_a_shanghai_day_not_a_utc_day():
    # 23:59:59 in Shanghai is 15:59:59 UTC the same day; 00:30 the next day is still 16:30 UTC
    # on the first: a UTC day would put both on the 2nd.
    veteran = (File(shanghai("2026-11-02", "23:59:59"))
               .change(contact("13857900002", "澧浦镇老街1号"), shanghai("2026-11-03", "00:30")))
    assert veteran.dated[1].recorded_at.date() == date(2026, 11, 2)  # UTC
    assert veteran.on(as_of="2026-11-02").phone == "13857900001"
    assert veteran.on(as_of="2026-11-03").phone == "13857900002"
    assert veteran.dated[1].effective_on == date(2026, 11, 3)
    assert veteran.on(effective_on="2026-11-02").phone == "13857900001"
    # Registered at 00:30 on the 3rd in Shanghai (the 2nd in UTC): no file on the 2nd.
    late = File(shanghai("2026-11-03", "00:30"))
    with pytest.raises(VeteranNotFound):
        late.on(as_of="2026-11-02")
    with pytest.raises(VeteranNotFound):
        late.on(effective_on="2026-11-02")
    assert late.on(as_of="2026-11-03").name == "王建国"


def test_before_the_file_existed_there_is_no_file():
    veteran = File(shanghai("2026-11-02"))
    veteran.change(contact("13857900002", "澧浦镇老街1号", "2026-10-01"), shanghai("2026-11-05"))
    with pytest.raises(VeteranNotFound):
        veteran.on(as_of="2026-11-01")
    # The file holds from its registration, even though a change states an earlier day: it
    # shows from the registration on.
    with pytest.raises(VeteranNotFound):
        veteran.on(effective_on="2026-10-15")
    assert veteran.on(effective_on="2026-11-02").phone == "13857900002"


def test_with_no_date_it_is_the_file_now_however_the_changes_are_dated():
    veteran = (File(shanghai("2026-11-02"))
               .change(contact("13857900002", "澧浦镇老街1号"), shanghai("2026-11-05"))
               .change(contact("13857900003", "澧浦镇老街1号", "2026-11-03"), shanghai("2026-11-06"))
               .change(model.HonourAdded(VETERAN_ID, honour="三等功", awarded_on=None),
                       shanghai("2026-11-07"))
               # Re-dates the honour already on file: it held since the 4th.
               .change(model.HonourAdded(VETERAN_ID, honour="三等功", awarded_on=None,
                                         effective_on=date(2026, 11, 4)), shanghai("2026-11-08"))
               .change(model.GridWorkerAssigned(VETERAN_ID, grid_worker="周敏",
                                                effective_on=date(2026, 11, 1)),
                       shanghai("2026-11-08")))
    assert FileTimeline(veteran.dated).file().snapshot() == veteran.now().snapshot()
    assert veteran.now().honours == [{"honour": "三等功", "awarded_on": None}]
    assert veteran.on(effective_on="2026-11-04").honours == [{"honour": "三等功",
                                                               "awarded_on": None}]
    assert veteran.on(as_of="2026-11-07", effective_on="2026-11-04").honours == []


def _file() -> model.VeteranFile:
    return model.VeteranFile.from_events([registered()])


def test_a_change_stated_for_a_past_day_is_recorded_even_when_the_file_already_shows_it():
    today = date(2026, 11, 20)
    same = model.AmendContact(VETERAN_ID, phone="13857900001")
    assert _file().amend_contact(same, today) == []
    dated = model.AmendContact(VETERAN_ID, phone="13857900001", effective_on=date(2026, 11, 3))
    assert _file().amend_contact(dated, today) == [
        model.ContactAmended(VETERAN_ID, phone="13857900001", address="澧浦镇老街1号",
                             effective_on=date(2026, 11, 3))]
    # Stated for today it changes nothing, as an undated change.
    assert _file().amend_contact(
        model.AmendContact(VETERAN_ID, phone="13857900001", effective_on=today), today) == []


def test_an_effective_date_is_a_day_of_the_persons_life_and_not_after_today():
    today = date(2026, 11, 20)
    for effective_on, problem in ((date(2026, 11, 21), "must not be in the future"),
                                  (date(1960, 1, 1), "must not be before the birth date")):
        with pytest.raises(InvalidVeteranData) as refused:
            _file().assign_grid_worker(
                model.AssignGridWorker(VETERAN_ID, "周敏", effective_on=effective_on), today)
        assert refused.value.fields == {"effective_on": [problem]}


def _stored(event_type: str, data: dict, recorded_at: datetime) -> RecordedEvent:
    return RecordedEvent(event_id="e1", event_type=event_type, schema_version=1,
                         stream_id=VETERAN_ID, stream_version=2, position=7,
                         occurred_at=recorded_at, recorded_at=recorded_at, correlation_id="c",
                         causation_id=None, actor="registry_clerk:li", data=data)


def test_an_event_stored_without_an_effective_date_took_effect_its_recorded_shanghai_day():
    stored = _stored("GridWorkerAssigned", {"veteran_id": VETERAN_ID, "grid_worker": "周敏"},
                     shanghai("2026-11-03", "00:30"))
    assert contract.upcast(stored).data["effective_on"] == "2026-11-03"
    dated = _stored("GridWorkerAssigned", {"veteran_id": VETERAN_ID, "grid_worker": "周敏",
                                           "effective_on": "2026-10-01"}, shanghai("2026-11-03"))
    assert contract.upcast(dated).data["effective_on"] == "2026-10-01"
    registration = contract.to_new_event(registered())
    assert "effective_on" not in contract.upcast(
        _stored("VeteranRegistered", registration.data, shanghai("2026-11-03"))).data
    # An undated change is stored as before the field existed; a dated one says its day.
    assert "effective_on" not in contract.to_new_event(contact("13857900002", None)).data
    assert contract.to_new_event(contact("13857900002", None, "2026-11-01")).data[
        "effective_on"] == "2026-11-01"


def test_the_effective_date_is_not_published():
    # When a person moved or was given a grid worker is a fact of their life: departments
    # read it through the gateway, audited, not from the bus.
    for event_type in contract.DATED:
        assert "effective_on" not in contract.PUBLIC_SCHEMAS[event_type]._declared_fields
    stored = _stored("ContactAmended", {"veteran_id": VETERAN_ID, "phone": "13857900002",
                                        "address": None, "effective_on": "2026-11-01"},
                     shanghai("2026-11-03"))
    assert "effective_on" not in contract.public_form(contract.upcast(stored))


def test_a_date_in_the_future_or_malformed_is_refused_by_the_query_contract():
    query = contract.FileOnDateQuery()
    tomorrow = (datetime.now(SHANGHAI).date() + timedelta(days=1)).isoformat()
    assert query.validate({"as_of": tomorrow}) == {
        "as_of": [f"must not be after today ({datetime.now(SHANGHAI).date()}, Asia/Shanghai)"]}
    assert set(query.validate({"effective_on": "2026-13-01", "as_of": "20261101"})) == {
        "effective_on", "as_of"}
    assert query.validate({"as_of": "2026-11-01", "effective_on": "2026-10-01"}) == {}


def test_a_paper_file_imported_later_is_in_effect_from_the_day_it_was_first_registered():
    import dataclasses

    paper = dataclasses.replace(registered(), effective_on=date(2020, 4, 9))
    veteran = File(shanghai("2026-11-27"))
    veteran.dated[0] = dataclasses.replace(veteran.dated[0], event=paper)
    timeline = FileTimeline(veteran.dated)
    assert timeline.registered_on == date(2020, 4, 9)
    assert veteran.on(effective_on="2020-04-09").name == "王建国"   # in effect since 2020
    with pytest.raises(VeteranNotFound):
        veteran.on(effective_on="2020-04-08")
    with pytest.raises(VeteranNotFound):
        veteran.on(as_of="2026-11-26")                 # but not known before it was recorded
    assert not hasattr(veteran.now(), "effective_on")   # the day is not a part of the file
