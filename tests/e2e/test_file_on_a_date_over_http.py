"""A file and the whole picture over HTTP on a day: as known (?as_of=), as in effect (?effective_on=)."""
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg2
import pytest
import requests

from tests.factories import veteran_payload

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATION = "塘雅镇退役军人服务站"
TODAY = datetime.now(SHANGHAI).date()
# Days in the past, so every effective date is allowed; the store's recorded times are moved
# onto them below (the store writes now(), and a test cannot wait a week).
D = [TODAY - timedelta(days=12 - n) for n in range(10)]
PHONES = ("13857911001", "13857911002", "13857911003")


def _as(system, roles, subject, **claims) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + system["token"](roles, subject, **claims)
    return session


def _recorded(system, veteran_id, version, day: date, clock: str) -> None:
    at = datetime.fromisoformat(f"{day.isoformat()}T{clock}").replace(tzinfo=SHANGHAI)
    with psycopg2.connect(system["db_url"]) as conn, conn.cursor() as cur:
        cur.execute("UPDATE stored_events SET recorded_at = %s "
                    "WHERE stream_id = %s AND stream_version = %s", (at, veteran_id, version))
        assert cur.rowcount == 1


@pytest.fixture(scope="module")
def veteran(system):
    """Registered on D0; phone changed on D2; moved house on D6 (recorded at 00:30, still D5 in
    UTC); on D8 a late correction: the phone had changed on D1 already, to another number."""
    clerk = _as(system, ["registry_clerk"], "clerk-asof")
    base = system["base"]
    created = clerk.post(f"{base}/api/v1/veterans", json=veteran_payload(
        service_station=STATION, township="塘雅镇", phone=PHONES[0], address="塘雅镇老街1号"),
        timeout=15)
    assert created.status_code == 201, created.text
    veteran_id = created.json()["veteran_id"]
    url = f"{base}/api/v1/veterans/{veteran_id}/contact"
    for body, (day, clock) in (
            ({"phone": PHONES[1], "effective_on": D[2].isoformat()}, (D[2], "10:00")),
            ({"address": "塘雅镇新街8号", "effective_on": D[6].isoformat()}, (D[6], "00:30")),
            ({"phone": PHONES[2], "effective_on": D[1].isoformat()}, (D[8], "10:00"))):
        changed = clerk.patch(url, json=body, timeout=15)
        assert changed.status_code == 200, changed.text
        _recorded(system, veteran_id, changed.json()["version"], day, clock)
    _recorded(system, veteran_id, 1, D[0], "09:00")
    return veteran_id


def _read(session, system, veteran_id, **dates):
    return session.get(f"{system['base']}/api/v1/veterans/{veteran_id}", params=dates, timeout=15)


def test_as_known_at_the_end_of_each_day(system, veteran):
    clerk = _as(system, ["registry_clerk"], "clerk-asof-reader")
    expected = {0: (PHONES[0], "塘雅镇老街1号", 1), 1: (PHONES[0], "塘雅镇老街1号", 1),
                2: (PHONES[1], "塘雅镇老街1号", 2), 5: (PHONES[1], "塘雅镇老街1号", 2),
                6: (PHONES[1], "塘雅镇新街8号", 3), 7: (PHONES[1], "塘雅镇新街8号", 3),
                8: (PHONES[2], "塘雅镇新街8号", 4), 9: (PHONES[2], "塘雅镇新街8号", 4)}
    for n, (phone, address, version) in expected.items():
        reply = _read(clerk, system, veteran, as_of=D[n].isoformat())
        assert reply.status_code == 200, (n, reply.text)
        body = reply.json()
        assert (body["phone"], body["address"], body["version"]) == (phone, address, version), n
        assert body["as_of"] == D[n].isoformat() and reply.headers["ETag"] == f'"{version}"'
    assert _read(clerk, system, veteran, as_of=D[0] - timedelta(days=1)).status_code == 404


def test_as_in_effect_on_each_day_with_the_late_correction_from_its_own_day(system, veteran):
    clerk = _as(system, ["registry_clerk"], "clerk-asof-reader")
    # The correction recorded on D8 says the phone was PHONES[2] from D1; the change recorded
    # on D2 came before it, so the correction is the bureau's latest word from D1 on.
    expected = {0: (PHONES[0], "塘雅镇老街1号"), 1: (PHONES[2], "塘雅镇老街1号"),
                2: (PHONES[2], "塘雅镇老街1号"), 5: (PHONES[2], "塘雅镇老街1号"),
                6: (PHONES[2], "塘雅镇新街8号"), 9: (PHONES[2], "塘雅镇新街8号")}
    for n, (phone, address) in expected.items():
        body = _read(clerk, system, veteran, effective_on=D[n].isoformat()).json()
        assert (body["phone"], body["address"], body["version"]) == (phone, address, 4), n
    # Both at once: on D7 the bureau did not know of the correction yet.
    both = _read(clerk, system, veteran, as_of=D[7].isoformat(), effective_on=D[3].isoformat())
    assert (both.json()["phone"], both.json()["version"]) == (PHONES[1], 3)
    assert _read(clerk, system, veteran, effective_on=D[0] - timedelta(days=1)).status_code == 404
    now = _read(clerk, system, veteran).json()
    assert (now["phone"], now["address"]) == (PHONES[2], "塘雅镇新街8号")
    assert "as_of" not in now and "effective_on" not in now


def test_a_bad_or_future_date_is_a_400_naming_the_parameter(system, veteran):
    clerk = _as(system, ["registry_clerk"], "clerk-asof-reader")
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    for dates, field in (({"as_of": tomorrow}, "as_of"), ({"effective_on": "2026-2-30"},
                                                           "effective_on"),
                         ({"as_of": "20261101"}, "as_of"), ({"effective_on": "yesterday"},
                                                            "effective_on")):
        reply = _read(clerk, system, veteran, **dates)
        assert reply.status_code == 400, (dates, reply.text)
        assert reply.json()["error"] == "invalid_input" and list(reply.json()["fields"]) == [field]
    # A change may not take effect after today either.
    future = clerk.patch(f"{system['base']}/api/v1/veterans/{veteran}/contact",
                         json={"phone": "13857911009", "effective_on": tomorrow}, timeout=15)
    assert future.status_code == 400 and "effective_on" in future.json()["fields"]


def test_the_same_reach_and_fields_and_the_read_is_on_record_with_its_day(system, veteran):
    other = _as(system, ["station_worker"], "worker-elsewhere", stations=["江东镇退役军人服务站"])
    assert _read(other, system, veteran, as_of=D[3].isoformat()).status_code == 404
    leader = _as(system, ["leader"], "leader-asof")
    seen = _read(leader, system, veteran, effective_on=D[3].isoformat()).json()
    assert "phone" not in seen and "phone" in seen["withheld"] and "name" in seen["withheld"]
    worker = _as(system, ["station_worker"], "worker-asof", stations=[STATION])
    assert _read(worker, system, veteran, as_of=D[4].isoformat(),
                 effective_on=D[3].isoformat()).status_code == 200
    me = _as(system, ["veteran"], "veteran-asof", veteran_id=veteran)
    log = me.get(f"{system['base']}/api/v1/me/access-log", params={"page_size": 100},
                 timeout=15).json()
    read = next(e for e in log["items"] if e["subject"] == "worker-asof")
    assert (read["action"], read["as_of"], read["effective_on"]) == (
        "read_file", D[4].isoformat(), D[3].isoformat())
    assert "phone" in read["fields"]
    auditor = _as(system, ["auditor"], "auditor-asof")
    found = auditor.get(f"{system['base']}/api/v1/audit",
                        params={"actor": "worker-asof", "veteran_id": veteran}, timeout=15).json()
    assert [(e["as_of"], e["effective_on"]) for e in found["items"]] == [
        (D[4].isoformat(), D[3].isoformat())]
    # A plain read's entry carries neither.
    assert _read(worker, system, veteran).status_code == 200
    again = auditor.get(f"{system['base']}/api/v1/audit",
                        params={"actor": "worker-asof", "veteran_id": veteran}, timeout=15).json()
    assert "as_of" not in again["items"][0] and len(again["items"]) == 2
    assert auditor.get(f"{system['base']}/api/v1/audit/verification",
                       timeout=60).json()["ok"] is True


def test_the_history_lists_both_times_and_the_actor(system, veteran):
    clerk = _as(system, ["registry_clerk"], "clerk-asof-reader")
    history = clerk.get(f"{system['base']}/api/v1/veterans/{veteran}/history",
                        timeout=15).json()["history"]
    assert [(h["event_type"], h["effective_on"]) for h in history] == [
        ("VeteranRegistered", D[0].isoformat()), ("ContactAmended", D[2].isoformat()),
        ("ContactAmended", D[6].isoformat()), ("ContactAmended", D[1].isoformat())]
    recorded = [datetime.fromisoformat(h["recorded_at"]).astimezone(SHANGHAI) for h in history]
    assert [r.date() for r in recorded] == [D[0], D[2], D[6], D[8]]
    assert {h["actor"] for h in history} == {"registry_clerk:clerk-asof"}


def test_an_undated_change_is_stored_without_a_day_and_takes_effect_the_day_it_was_recorded(
        system):
    clerk = _as(system, ["registry_clerk"], "clerk-asof")
    base = system["base"]
    created = clerk.post(f"{base}/api/v1/veterans", json=veteran_payload(
        service_station=STATION, township="塘雅镇"), timeout=15)
    veteran_id = created.json()["veteran_id"]
    changed = clerk.put(f"{base}/api/v1/veterans/{veteran_id}/grid-worker",
                        json={"grid_worker": "网格员赵敏"}, timeout=15)
    assert changed.status_code == 200, changed.text
    _recorded(system, veteran_id, 1, D[0], "09:00")
    # Recorded at 00:10 on D3 in Shanghai: still D2 in UTC.
    _recorded(system, veteran_id, 2, D[3], "00:10")
    with psycopg2.connect(system["db_url"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT data FROM stored_events WHERE stream_id = %s AND stream_version = 2",
                    (veteran_id,))
        assert "effective_on" not in cur.fetchone()[0]
    assert _read(clerk, system, veteran_id,
                 effective_on=D[2].isoformat()).json()["grid_worker"] is None
    assert _read(clerk, system, veteran_id,
                 effective_on=D[3].isoformat()).json()["grid_worker"] == "网格员赵敏"
    history = clerk.get(f"{base}/api/v1/veterans/{veteran_id}/history", timeout=15).json()
    assert [h["effective_on"] for h in history["history"]] == [D[0].isoformat(),
                                                               D[3].isoformat()]


# -- the overview on a day: every section as it stood then ------------------------------------------

OVERVIEW_STATION = "多湖街道退役军人服务站"


def _moved(system, service: str, stream_id: str, day: date, clock: str,
           from_version: int = 1, to_version: int = 10**6) -> None:
    """Move a stream's recorded times onto a past day in a service's own store."""
    at = datetime.fromisoformat(f"{day.isoformat()}T{clock}").replace(tzinfo=SHANGHAI)
    with psycopg2.connect(system["databases"][service]) as conn, conn.cursor() as cur:
        cur.execute("UPDATE stored_events SET recorded_at = %s WHERE stream_id = %s "
                    "AND stream_version BETWEEN %s AND %s", (at, stream_id, from_version,
                                                             to_version))
        assert cur.rowcount >= 1, (service, stream_id)


def _until(what, call, ok, timeout=45.0):
    deadline = time.monotonic() + timeout
    while True:
        value = call()
        if ok(value):
            return value
        assert time.monotonic() < deadline, f"{what}: {value.status_code} {value.text}"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def picture(system):
    """Registered on D0; reported in to placement on D1, self-employment chosen on D3 (so a job
    seeker in employment from D3); a petition lodged on D5. Each store's recorded times are
    moved onto those days."""
    base = system["base"] + "/api/v1"
    clerk = _as(system, ["registry_clerk"], "clerk-asof-picture")
    created = clerk.post(f"{base}/veterans", json=veteran_payload(
        service_station=OVERVIEW_STATION, township="多湖街道"), timeout=15)
    assert created.status_code == 201, created.text
    veteran_id = created.json()["veteran_id"]
    desk = _as(system, ["placement_officer"], "placement-asof")
    report = {"veteran_id": veteran_id,
              "discharge_approved_on": (D[1] - timedelta(days=5)).isoformat(),
              "rank_class": "conscript", "years_of_service": 2, "age_at_discharge": 21,
              "service_station": OVERVIEW_STATION, "township": "多湖街道"}
    case = _until("report in", lambda: desk.post(f"{base}/placement/reports", json=report,
                                                 timeout=15),
                  lambda r: r.status_code == 201).json()
    _until("choose self-employment", lambda: desk.post(
        f"{base}/placement/cases/{case['case_id']}/mode", json={"mode": "self_employment"},
        timeout=15), lambda r: r.status_code == 200)
    employment = _as(system, ["employment_officer"], "employment-asof")
    _until("the job seeker from placement's events", lambda: employment.get(
        f"{base}/employment/job-seekers/{veteran_id}", timeout=15),
        lambda r: r.status_code == 200)
    benefits = _as(system, ["benefits_officer"], "benefits-asof")
    _until("benefits to learn of the file", lambda: benefits.get(
        f"{base}/benefits/veterans/{veteran_id}", timeout=15), lambda r: r.status_code == 200)
    own = _as(system, ["veteran"], "veteran-asof-picture", veteran_id=veteran_id)
    lodged = own.post(f"{base}/disputes/petitions", timeout=15, json={
        "veteran_id": veteran_id, "service_station": OVERVIEW_STATION, "channel": "online",
        "petitioner_kind": "veteran", "petitioner_name": "陈志强",
        "petitioner_phone": "13857912345", "category": "benefits",
        "request": "请求核实定期生活补助", "facts": "2019年起停发。"})
    assert lodged.status_code == 201, lodged.text
    _recorded(system, veteran_id, 1, D[0], "09:00")
    _moved(system, "placement", case["case_id"], D[1], "10:00", 1, 1)
    _moved(system, "placement", case["case_id"], D[3], "10:00", 2)
    _moved(system, "employment", veteran_id, D[3], "11:00")
    _moved(system, "disputes", lodged.json()["case_id"], D[5], "10:00")
    return {"veteran_id": veteran_id, "case_id": case["case_id"],
            "petition_id": lodged.json()["case_id"]}


def _overview(session, system, veteran_id, **dates):
    reply = session.get(f"{system['base']}/api/v1/veterans/{veteran_id}/overview", params=dates,
                        timeout=15)
    assert reply.status_code == 200, (dates, reply.text)
    return reply.json()


def test_the_overview_on_a_past_day_shows_every_section_as_it_stood(system, picture):
    worker = _as(system, ["station_worker"], "worker-asof-picture", stations=[OVERVIEW_STATION])
    veteran_id = picture["veteran_id"]
    sections = ("file", "placement", "benefits", "petitions", "proxy_cases", "employment",
                "bundles")
    pages = {n: _overview(worker, system, veteran_id, as_of=D[n].isoformat()) for n in (2, 4)}
    pages["today"] = _overview(worker, system, veteran_id)
    for key, body in pages.items():
        for name in sections:
            assert (body[name]["status"], body[name]["reason"]) == ("ok", None), (key, name,
                                                                                   body[name])
    # D2: reported in, no mode yet; not a job seeker; no petition.
    on_2 = pages[2]
    assert on_2["placement"]["case"]["case_id"] == picture["case_id"]
    assert on_2["placement"]["case"]["mode"] is None
    assert on_2["placement"]["case"]["version"] == 1
    assert on_2["placement"]["eligibility"]["case_id"] == picture["case_id"]
    assert on_2["employment"]["job_seeker"] is None and on_2["employment"]["matches"] is None
    assert on_2["petitions"]["items"] == [] and on_2["benefits"]["benefits"]["veteran_id"]
    # D4: self-employed, a job seeker since D3; the petition (D5) not yet.
    on_4 = pages[4]
    assert on_4["placement"]["case"]["mode"] == "self_employment"
    assert on_4["employment"]["job_seeker"]["veteran_id"] == veteran_id
    assert on_4["employment"]["matches"] is None
    assert on_4["petitions"]["items"] == []
    # Today: all of it, the matches included.
    now = pages["today"]
    assert now["placement"]["case"]["mode"] == "self_employment"
    assert [p["petition_id"] for p in now["petitions"]["items"]] == [picture["petition_id"]]
    assert now["employment"]["matches"]["veteran_id"] == veteran_id
    # In effect on D4 as known now is the same as known at the end of D4 here: no step of
    # these cases states a day of its own.
    in_effect = _overview(worker, system, veteran_id, effective_on=D[4].isoformat())
    assert in_effect["placement"]["case"] == on_4["placement"]["case"]
    assert in_effect["petitions"]["items"] == []
    # The page on a day is on record with its day, for each section shown.
    auditor = _as(system, ["auditor"], "auditor-asof-picture")
    found = auditor.get(f"{system['base']}/api/v1/audit",
                        params={"actor": "worker-asof-picture", "veteran_id": veteran_id},
                        timeout=15).json()["items"]
    assert {e["as_of"] for e in found if "as_of" in e} == {D[2].isoformat(), D[4].isoformat()}
