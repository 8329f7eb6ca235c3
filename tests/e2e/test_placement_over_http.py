"""One soldier over HTTP, from registration through reporting in to a placement, each step by who takes it."""
import json
import random
import uuid
from datetime import date, timedelta

import pika
import pytest
import requests

from chassis.clock import SYSTEM_CLOCK
from tests.conftest import wait_until
from tests.factories import resident_id_number, veteran_payload

STATION = "多湖街道退役军人服务站"
TODAY = SYSTEM_CLOCK.today()


class Session:
    """One person at the portal or the bureau: their token, and a key for each command."""

    def __init__(self, system, roles, subject, **claims):
        self.base = system["base"] + "/api/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = "Bearer " + system["token"](roles, subject,
                                                                         **claims)

    def get(self, path, **params):
        return self.http.get(self.base + path, params=params, timeout=15)

    def post(self, path, body=None, key=None):
        headers = {"Content-Type": "application/json",
                   "Idempotency-Key": key or f"e2e-{uuid.uuid4().hex}"}
        return self.http.post(self.base + path, data=json.dumps(body or {}), headers=headers,
                              timeout=15)


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def placement_events(system, amqp_uri):
    """A queue bound to placement.events, as the employment service's subscription is."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare("placement.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "placement.events", routing_key="#")
    received = []

    def drain():
        while True:
            method, _, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return received
            received.append(json.loads(body))

    yield drain
    connection.close()


def test_a_soldier_registered_reports_in_and_is_placed_in_an_institution(system,
                                                                           placement_events):
    # The registry files the soldier: 上士, twelve years, a 2nd-class merit.
    born = date(1995, 1, 1) + timedelta(days=random.randrange(365))
    payload = veteran_payload(service_station=STATION, rank="上士", enlisted_on="2014-09-01",
                              id_number=resident_id_number(born=born,
                                                           sequence=random.randrange(999)),
                              discharged_on=(TODAY - timedelta(days=12)).isoformat())
    veteran_id = ok(system["http"].post(system["base"] + "/api/v1/veterans", json=payload,
                                        timeout=15), 201)["veteran_id"]
    ok(system["http"].post(f"{system['base']}/api/v1/veterans/{veteran_id}/honours",
                           json={"honour": "个人二等功"}, timeout=15))
    worker = Session(system, ["station_worker"], "worker-duohu", stations=[STATION])
    soldier = Session(system, ["veteran"], "soldier-1", veteran_id=veteran_id)
    officer = Session(system, ["placement_officer"], "officer-zhang")
    leader = Session(system, ["leader"], "leader-1")

    # 报到 at the station, ten days after the discharge approval. The request names only the
    # soldier and the date: rank, years, station and honours are the registry's, so the station
    # waits until placement has heard them (a 400 names what is still missing).
    report = {"veteran_id": veteran_id,
              "discharge_approved_on": (TODAY - timedelta(days=10)).isoformat()}
    reported = wait_until(lambda: (r := worker.post("/placement/reports", report, key="e2e-report"))
                          .status_code == 201 and r.json(), timeout=30,
                          what="the registry's facts reached placement")
    case_id = reported["case_id"]
    assert reported["status"] == "reported" and reported["veteran_id"] == veteran_id
    # The same key again is the same case; another key is a second report-in, refused.
    assert ok(worker.post("/placement/reports", report, key="e2e-report"), 201)["replayed"]
    assert worker.post("/placement/reports", report).status_code == 409

    # The soldier sees what they may choose, and why.
    eligibility = ok(soldier.get(f"/veterans/{veteran_id}/placement-eligibility"))
    modes = {m["mode"]: m for m in eligibility["modes"]}
    assert modes["assigned_work"]["allowed"] and "Art. 25" in modes["assigned_work"]["explanation"]
    assert not modes["officer_transfer"]["allowed"]
    assert ok(soldier.post(f"/placement/cases/{case_id}/mode",
                           {"mode": "assigned_work"}))["status"] == "waiting"

    # The bureau scores, a unit offers a post, the bureau offers it, the soldier accepts.
    post = ok(officer.post("/placement/posts", {
        "unit": "金华市金东区农业农村局", "post_kind": "institution", "title": "农村经营管理岗",
        "year": TODAY.year, "positions": 1}), 201)
    ok(officer.post(f"/placement/cases/{case_id}/score", {"points": 92}))
    ok(officer.post(f"/placement/cases/{case_id}/post-offer", {"post_id": post["post_id"]}))
    assert ok(soldier.post(f"/placement/cases/{case_id}/post-acceptance"))["status"] == \
        "post_accepted"
    full = {p["post_id"]: p for p in ok(officer.get("/placement/posts", open="false"))["items"]}
    assert (full[post["post_id"]]["filled"], full[post["post_id"]]["free"]) == (1, 0)

    # The letter, the soldier on post, the contract, the case closed.
    today = TODAY.isoformat()
    ok(officer.post(f"/placement/cases/{case_id}/referral-letter",
                    {"letter_number": "金东退役安字〔2026〕99号", "issued_on": today}))
    ok(officer.post(f"/placement/cases/{case_id}/on-post", {"on_post_on": today}))
    ok(officer.post(f"/placement/cases/{case_id}/contract",
                    {"signed_on": today, "term_years": 3, "open_ended": False}))
    closed = ok(officer.post(f"/placement/cases/{case_id}/closure"))
    assert closed["status"] == "closed"

    case = ok(officer.get(f"/placement/cases/{case_id}"))
    assert (case["placed"]["post_kind"], case["contract"]["term_years"], case["closed"]["outcome"]) \
        == ("institution", 3, "placed")
    actors = [entry["actor"] for entry in case["history"]]
    assert actors[0] == "station_worker:worker-duohu"
    assert "veteran:soldier-1" in actors and actors[-1] == "placement_officer:officer-zhang"
    assert {d["name"]: d["state"] for d in case["deadlines"]} == \
        {"placement": "met", "on_post": "met"}
    assert case["allowance"]["since"] == today and case["allowance"]["complete"]

    listed = ok(worker.get("/placement/cases", status="closed", station=STATION))
    assert case_id in [row["case_id"] for row in listed["items"]]
    rates = ok(leader.get("/placement/rates"))
    assert rates["placed_by_kind"].get("soldier", 0) >= 1
    # The leader sees figures, never a case; another station's worker finds no such case.
    assert leader.get(f"/placement/cases/{case_id}").status_code == 403
    other = Session(system, ["station_worker"], "worker-xiaoshun", stations=["孝顺镇退役军人服务站"])
    assert other.get(f"/placement/cases/{case_id}").status_code == 404

    # What went out on placement.events: each step, the soldier's pseudonymous id, no letter.
    published = wait_until(lambda: [e for e in placement_events()
                                    if e["data"].get("case_id") == case_id
                                    and e["type"] == "CaseClosed"] and placement_events(),
                           timeout=20, what="the case's events published")
    types = [e["type"] for e in published if e["data"].get("case_id") == case_id]
    assert types[:3] == ["ReportedIn", "ModeChosen", "Scored"] and types[-1] == "CaseClosed"
    assert "金东退役安字" not in json.dumps(published, ensure_ascii=False)
    assert all(e["actor"] in ("station_worker", "veteran", "placement_officer")
               for e in published if e["data"].get("case_id") == case_id)
