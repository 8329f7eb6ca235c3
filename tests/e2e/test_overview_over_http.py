"""Over HTTP: one veteran's whole picture from every service, each section on its own; a service stopped is
one section unavailable within 2 s (then not called while its breaker is open), and back when it
returns; a bundle's status streamed as Server-Sent Events, and open streams holding no worker.

The test that stops a service is the last in this module, and restarts the service with its own
command and environment, so the package's shared system is whole again for later modules.
"""
import json
import statistics
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pika
import pytest
import requests

from chassis.processes import COMMANDS
from tests.factories import veteran_payload

ROOT = Path(__file__).resolve().parents[2]
STATION = "多湖街道退役军人服务站"
OTHER_STATION = "孝顺镇退役军人服务站"
API = "/api/v1"
SECTIONS = ("file", "placement", "benefits", "petitions", "proxy_cases", "employment", "bundles")


def session(system, roles, subject, **claims):
    http = requests.Session()
    http.headers["Authorization"] = "Bearer " + system["token"](roles, subject, minutes=60,
                                                                **claims)
    return http


def until(what, call, ok, timeout=45.0):
    deadline = time.monotonic() + timeout
    while True:
        value = call()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still {getattr(value, 'status_code', value)} "
                        f"{getattr(value, 'text', '')[:300]} after {timeout:.0f} s")
        time.sleep(0.3)


def overview(http, system, veteran_id):
    started = time.monotonic()
    response = http.get(f"{system['base']}{API}/veterans/{veteran_id}/overview", timeout=15)
    return response, time.monotonic() - started


@pytest.fixture(scope="module")
def veteran(system):
    """A veteran known to every service: reported in and self-employed (so a job seeker), on
    benefits' books, with a petition lodged."""
    base = system["base"] + API
    registered = system["http"].post(f"{base}/veterans", timeout=15,
                                     json=veteran_payload(service_station=STATION))
    assert registered.status_code == 201, registered.text
    veteran_id = registered.json()["veteran_id"]
    desk = session(system, ["placement_officer"], "placement-ov")
    report = {"veteran_id": veteran_id,
              "discharge_approved_on": (date.today() - timedelta(days=10)).isoformat(),
              "rank_class": "conscript", "years_of_service": 2, "age_at_discharge": 21,
              "service_station": STATION, "township": "多湖街道"}
    case = until("report in", lambda: desk.post(f"{base}/placement/reports", json=report,
                                                timeout=15),
                 lambda r: r.status_code == 201).json()
    until("choose self-employment", lambda: desk.post(
        f"{base}/placement/cases/{case['case_id']}/mode", json={"mode": "self_employment"},
        timeout=15), lambda r: r.status_code == 200)
    employment = session(system, ["employment_officer"], "employment-ov")
    until("the job seeker from placement's events", lambda: employment.get(
        f"{base}/employment/job-seekers/{veteran_id}", timeout=15),
        lambda r: r.status_code == 200)
    benefits = session(system, ["benefits_officer"], "benefits-ov")
    until("benefits to learn of the file", lambda: benefits.get(
        f"{base}/benefits/veterans/{veteran_id}", timeout=15), lambda r: r.status_code == 200)
    own = session(system, ["veteran"], "veteran-ov", veteran_id=veteran_id)
    lodged = own.post(f"{base}/disputes/petitions", timeout=15, json={
        "veteran_id": veteran_id, "service_station": STATION, "channel": "online",
        "petitioner_kind": "veteran", "petitioner_name": "陈志强",
        "petitioner_phone": "13857912345", "category": "benefits",
        "request": "请求核实定期生活补助", "facts": "2019年起停发。"})
    assert lodged.status_code == 201, lodged.text
    return {"veteran_id": veteran_id, "case_id": case["case_id"],
            "petition_id": lodged.json()["case_id"]}


def test_the_whole_picture_with_every_service_up(system, veteran):
    veteran_id = veteran["veteran_id"]
    station = session(system, ["station_worker"], "station-ov", stations=[STATION])
    timings = []
    for _ in range(10):
        response, seconds = overview(station, system, veteran_id)
        assert response.status_code == 200, response.text
        timings.append(seconds)
    body = response.json()
    assert response.headers["Cache-Control"] == "no-store"
    assert set(body) == {"veteran_id", "as_of", *SECTIONS}
    for name in SECTIONS:
        assert (body[name]["status"], body[name]["reason"]) == ("ok", None), (name, body[name])
        assert body[name]["as_of"]
    assert body["file"]["file"]["veteran_id"] == veteran_id and body["file"]["file"]["name"]
    assert body["placement"]["case"]["case_id"] == veteran["case_id"]
    assert body["placement"]["eligibility"]["case_id"] == veteran["case_id"]
    assert body["benefits"]["benefits"]["veteran_id"] == veteran_id
    assert [p["petition_id"] for p in body["petitions"]["items"]] == [veteran["petition_id"]]
    assert body["petitions"]["complete"] is True
    assert body["employment"]["job_seeker"]["veteran_id"] == veteran_id
    assert body["employment"]["matches"]["veteran_id"] == veteran_id
    assert body["proxy_cases"] == {"status": "ok", "as_of": body["proxy_cases"]["as_of"],
                                   "reason": None, "items": [], "complete": True}
    assert (body["bundles"]["status"], body["bundles"]["items"]) == ("ok", [])
    assert max(timings) < 2.0, timings
    print(f"\noverview, all up: p50 {statistics.median(timings) * 1000:.0f} ms, "
          f"max {max(timings) * 1000:.0f} ms over {len(timings)}")


def test_each_role_sees_the_sections_its_own_operations_allow_and_the_reads_are_on_record(
        system, veteran):
    veteran_id = veteran["veteran_id"]
    own = session(system, ["veteran"], "veteran-ov", veteran_id=veteran_id)
    body = overview(own, system, veteran_id)[0].json()
    assert body["file"]["file"]["id_number"]  # their own file, whole
    assert all(body[name]["status"] == "ok" for name in SECTIONS)
    assert body["petitions"]["items"][0]["petition_id"] == veteran["petition_id"]

    clerk = session(system, ["registry_clerk"], "clerk-ov")
    body = overview(clerk, system, veteran_id)[0].json()
    assert body["file"]["status"] == "ok"
    for name in ("placement", "benefits", "petitions", "proxy_cases", "employment"):
        assert (body[name]["status"], body[name]["as_of"]) == ("forbidden", None), name
    assert body["bundles"]["status"] == "ok"  # a registry clerk follows bundles

    employment = session(system, ["employment_officer"], "employment-ov")
    body = overview(employment, system, veteran_id)[0].json()
    assert "id_number" not in body["file"]["file"]
    assert "id_number" in body["file"]["file"]["withheld"]

    other = session(system, ["station_worker"], "other-ov", stations=[OTHER_STATION])
    response, _ = overview(other, system, veteran_id)
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    stranger = session(system, ["veteran"], "stranger-ov", veteran_id=str(uuid.uuid4()))
    assert overview(stranger, system, veteran_id)[0].status_code == 404
    department = session(system, ["department"], "dept-ov", department="public_security")
    assert overview(department, system, veteran_id)[0].status_code == 403

    # The veteran sees who looked, section by section, with the personal fields shown.
    log = own.get(f"{system['base']}{API}/me/access-log", params={"page_size": 200},
                  timeout=15).json()["items"]
    actions = {(item["subject"], item["action"]) for item in log}
    assert ("station-ov", "veteran_overview.file") in actions
    assert ("employment-ov", "veteran_overview.employment") in actions
    assert ("other-ov", "veteran_overview") in actions  # the refusal too
    file_read = next(item for item in log if item["subject"] == "employment-ov"
                     and item["action"] == "veteran_overview.file")
    assert "name" in file_read["fields"] and "id_number" not in file_read["fields"]


@pytest.fixture(scope="module")
def bundled(system):
    """Another veteran, with a discharge bundle submitted by themself."""
    base = system["base"] + API
    registered = system["http"].post(f"{base}/veterans", timeout=15,
                                     json=veteran_payload(service_station=STATION))
    assert registered.status_code == 201, registered.text
    veteran_id = registered.json()["veteran_id"]
    own = session(system, ["veteran"], "bundled-ov", veteran_id=veteran_id)
    submitted = until("submit the bundle", lambda: own.post(f"{base}/bundles", timeout=15, json={
        "discharge_approved_on": (date.today() - timedelta(days=5)).isoformat(),
        "placement_mode": "self_employment"}), lambda r: r.status_code == 201).json()
    return {"veteran_id": veteran_id, "bundle_id": submitted["bundle_id"], "http": own}


class EventStream:
    """A Server-Sent Events client, enough for the test: each event a dict, comments too."""

    def __init__(self, response):
        self.response = response
        self.lines = response.iter_lines(decode_unicode=True, chunk_size=1)

    def next(self) -> dict:
        event = {}
        for line in self.lines:
            if line == "":
                if event:
                    return event
                continue
            name, _, value = line.partition(":")
            event[name or "comment"] = value.lstrip(" ")
        raise AssertionError("the stream ended")

    def bundle_until(self, condition, timeout=10.0) -> dict:
        """Bundle events until one whose data meets `condition` (departments change bundles
        too, so other versions may come first); each id higher than the one before."""
        deadline, last = time.monotonic() + timeout, -1
        while time.monotonic() < deadline:
            event = self.next()
            if event.get("event") != "bundle":
                continue
            assert int(event["id"]) > last
            last = int(event["id"])
            data = json.loads(event["data"])
            assert data["version"] == last
            if condition(data):
                return data
        pytest.fail(f"no such bundle event within {timeout} s")

    def close(self):
        self.response.close()


def _stream(http, system, bundle_id, **headers):
    return http.get(f"{system['base']}{API}/bundles/{bundle_id}/stream", stream=True,
                    timeout=(5, 20), headers=headers)


def _withdraw(bundled, system, bundle: dict) -> str:
    """The veteran withdraws an open matter: the bundle's version grows."""
    for matter in [m["matter"] for m in bundle["matters"]
                   if m["applies"] and m["chosen"] and not m["final"]]:
        response = bundled["http"].post(
            f"{system['base']}{API}/bundles/{bundled['bundle_id']}/matters/{matter}/withdrawal",
            json={"reason": "已自行办理"}, timeout=15)
        if response.status_code == 200:
            return matter
    pytest.fail(f"no open matter could be withdrawn: {bundle['matters']}")


def _withdrawn(matter):
    return lambda data: any(m["matter"] == matter and m["status"] == "withdrawn"
                            for m in data["matters"])


def test_a_bundle_streamed_from_its_current_state_through_each_change(system, bundled):
    own, bundle_id = bundled["http"], bundled["bundle_id"]
    response = _stream(own, system, bundle_id)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Cache-Control"] == "no-store"
    events = EventStream(response)
    assert events.next() == {"retry": "3000"}
    first = events.next()
    assert first["event"] == "bundle"
    current = json.loads(first["data"])
    assert (current["bundle_id"], str(current["version"])) == (bundle_id, first["id"])
    matter = _withdraw(bundled, system, current)
    started = time.monotonic()
    current = events.bundle_until(_withdrawn(matter))
    assert time.monotonic() - started < 5  # polled every second
    events.close()

    # Reconnecting with the last id seen: nothing older again, the next change when it comes.
    events = EventStream(_stream(own, system, bundle_id,
                                 **{"Last-Event-ID": str(current["version"])}))
    assert events.next() == {"retry": "3000"}
    matter = _withdraw(bundled, system, current)
    newer = events.bundle_until(_withdrawn(matter))
    assert newer["version"] > current["version"]
    events.close()

    # As open as reading the bundle: another veteran or station finds none; an auditor may not.
    stranger = session(system, ["veteran"], "stranger-ov", veteran_id=str(uuid.uuid4()))
    assert _stream(stranger, system, bundle_id).status_code == 404
    other = session(system, ["station_worker"], "other-ov", stations=[OTHER_STATION])
    assert _stream(other, system, bundle_id).status_code == 404
    auditor = session(system, ["auditor"], "auditor-ov")
    assert _stream(auditor, system, bundle_id).status_code == 403
    assert _stream(own, system, "not-a-bundle").status_code == 404
    log = own.get(f"{system['base']}{API}/me/access-log", timeout=15).json()["items"]
    assert any(item["action"] == "bundle_stream" for item in log)

    # The overview shows the bundle with its matters.
    body = overview(own, system, bundled["veteran_id"])[0].json()
    assert body["bundles"]["status"] == "ok"
    (shown,) = body["bundles"]["items"]
    assert shown["bundle_id"] == bundle_id and shown["matters"]


def test_streams_beyond_the_worker_pool_leave_normal_requests_answering(system, bundled):
    """The gateway has 20 workers; 30 open streams hold none of them."""
    station = session(system, ["station_worker"], "station-ov", stations=[STATION])
    streams, latest = [], None
    try:
        for _ in range(30):
            http = session(system, ["station_worker"], "station-ov", stations=[STATION])
            response = _stream(http, system, bundled["bundle_id"])
            assert response.status_code == 200, response.text
            streams.append(EventStream(response))
            streams[-1].next()  # retry
            latest = json.loads(streams[-1].next()["data"])
        # Were the streams holding workers, all 20 would be taken and these would wait.
        me = f"{system['base']}{API}/me"

        def ask(_):
            started = time.monotonic()
            return station.get(me, timeout=15).status_code, time.monotonic() - started

        with ThreadPoolExecutor(10) as pool:
            answered = list(pool.map(ask, range(30)))
        assert [status for status, _ in answered] == [200] * 30
        assert max(seconds for _, seconds in answered) < 2.0
        response, seconds = overview(station, system, bundled["veteran_id"])
        assert response.status_code == 200 and seconds < 2.0
        matter = _withdraw(bundled, system, latest)
        for stream in streams:
            stream.bundle_until(_withdrawn(matter))
    finally:
        for stream in streams:
            stream.close()


# -- last in the module: a service stopped, then started again ---------------------------------

def _environ(process) -> dict:
    """The environment a process was started with (the package fixture's own)."""
    raw = Path(f"/proc/{process.pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


def _wait_consuming(amqp_uri, service, process, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{service} exited: {Path(log_path).read_text()[-2000:]}")
        connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        try:
            queue = connection.channel().queue_declare(f"rpc-{service}", passive=True)
            if queue.method.consumer_count:
                return
        except pika.exceptions.ChannelClosedByBroker:
            pass
        finally:
            connection.close()
        time.sleep(0.3)
    pytest.fail(f"{service} did not start consuming within {timeout} s")


def test_zz_one_service_stopped_is_one_section_unavailable_within_two_seconds(
        system, veteran, amqp_uri):
    veteran_id = veteran["veteran_id"]
    station = session(system, ["station_worker"], "station-ov", stations=[STATION])
    process = system["processes"]["employment"]
    env = _environ(process)
    process.terminate()
    process.wait(15)
    try:
        answers = [overview(station, system, veteran_id) for _ in range(8)]
    finally:
        log_path = system["logs"] / "employment.log"
        system["processes"]["employment"] = restarted = subprocess.Popen(
            COMMANDS["employment"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=open(log_path, "ab"))
        _wait_consuming(amqp_uri, "employment", restarted, log_path)
    reasons = []
    for response, seconds in answers:
        assert response.status_code == 200, response.text
        assert seconds < 2.0, [s for _, s in answers]
        body = response.json()
        assert body["employment"]["status"] == "unavailable"
        assert body["employment"]["as_of"] is None
        for name in ("file", "placement", "benefits", "petitions"):
            assert body[name]["status"] == "ok", (name, body[name])
        reasons.append(body["employment"]["reason"])
    # Nobody consumes employment's queue: known from the broker at once (not_running, no wait
    # for the timeout), which opens the breaker; then employment is not asked about at all.
    assert reasons[0] == "not_running" and reasons[-1] == "circuit_open", reasons
    assert "timeout" not in reasons, reasons
    timings = [seconds for _, seconds in answers]
    open_timings = [s for (_, s), reason in zip(answers, reasons, strict=True)
                    if reason == "circuit_open"]
    print(f"\noverview, employment stopped: max {max(timings) * 1000:.0f} ms, "
          f"p50 with the breaker open {statistics.median(open_timings) * 1000:.0f} ms")
    # Back: after the cool-down one trial call closes the breaker again.
    until("the employment section back after the restart",
          lambda: overview(station, system, veteran_id)[0].json()["employment"]["status"],
          lambda status: status == "ok", timeout=40)
