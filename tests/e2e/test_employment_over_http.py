"""Over HTTP: a veteran reports in and chooses self-employment, becomes a job seeker by the event, and is
matched to postings, each match explained; the hire shows in the leaders' figures."""
import json
import time
import uuid
from datetime import date, timedelta

import pika
import pytest
import requests
from stdnum.cn import uscc

from chassis.envelope import CLOUDEVENTS_CONTENT_TYPE
from tests.factories import veteran_payload

STATION = "孝顺镇退役军人服务站"
API = "/api/v1"


class Client:
    """One caller's session: a token of its own, JSON in and out."""

    def __init__(self, system, roles, subject, **claims):
        self.base = system["base"]
        self.http = requests.Session()
        self.http.headers["Authorization"] = "Bearer " + system["token"](
            roles, subject, minutes=60, **claims)

    def call(self, method, path, body=None, **params):
        response = self.http.request(method, self.base + API + path, json=body, params=params,
                                     timeout=15)
        return response.status_code, response.json()


def until(what, call, ok=lambda status, body: status in (200, 201), timeout=45.0):
    """Retry a call until it answers as `ok` says: services start and events travel."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = call()
        if ok(status, body):
            return body
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still {status} {body} after {timeout:.0f} s")
        time.sleep(0.3)


def credit_code(seed: str) -> str:
    # Hex digits are all in the code's alphabet (which leaves out I, O, Z, S and V).
    body = "91330703MA" + uuid.uuid5(uuid.NAMESPACE_DNS, seed).hex.upper()[:7]
    return body + uscc.calc_check_digit(body)


def _through_placement(system, veteran_id):
    """报到 and self-employment through placement's own routes."""
    desk = Client(system, ["placement_officer"], "placement-e2e")
    report = {"veteran_id": veteran_id,
              "discharge_approved_on": (date.today() - timedelta(days=10)).isoformat(),
              "rank_class": "conscript", "years_of_service": 2, "age_at_discharge": 21,
              "service_station": STATION, "township": "孝顺镇"}
    case = until("report in", lambda: desk.call("POST", "/placement/reports", report))
    case_id = case.get("case_id") or case.get("id")
    until("choose self-employment", lambda: desk.call(
        "POST", f"/placement/cases/{case_id}/mode", {"mode": "self_employment"}))


def _on_the_bus(system, amqp_uri, veteran_id):
    """What placement's relay would publish, when there is no placement service to ask."""
    case_id = str(uuid.uuid4())
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    events = [("ReportedIn", {"case_id": case_id, "veteran_id": veteran_id,
                              "service_station": STATION, "township": "孝顺镇",
                              "reported_on": date.today().isoformat()}),
              ("ModeChosen", {"case_id": case_id, "veteran_id": veteran_id,
                              "mode": "self_employment", "on": date.today().isoformat()})]
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.exchange_declare("placement.events", "topic", durable=True)
        for version, (event_type, data) in enumerate(events, 1):
            channel.basic_publish("placement.events", event_type, json.dumps({
                "specversion": "1.0", "id": str(uuid.uuid4()), "source": "/vetlife/placement",
                "type": event_type, "subject": case_id, "time": now, "recordedat": now,
                "datacontenttype": "application/json", "schemaversion": 1,
                "streamversion": version, "position": version, "correlationid": "e2e",
                "causationid": "", "actor": "placement_officer", "data": data}).encode(),
                pika.BasicProperties(content_type=CLOUDEVENTS_CONTENT_TYPE, delivery_mode=2))
    finally:
        connection.close()


def test_a_veteran_reported_in_is_registered_by_the_event_and_matched_to_postings(
        system, amqp_uri):
    http = system["http"]
    response = http.post(f"{system['base']}{API}/veterans",
                         json=veteran_payload(service_station=STATION, township="孝顺镇"),
                         timeout=15)
    assert response.status_code == 201, response.text
    veteran_id = response.json()["veteran_id"]
    officer = Client(system, ["employment_officer"], "employment-e2e")
    veteran = Client(system, ["veteran"], "veteran-e2e", veteran_id=veteran_id)

    document = http.get(f"{system['base']}{API}/openapi.json", timeout=5).json()
    operations = {op["operationId"] for ops in document["paths"].values() for op in ops.values()}
    if "report_in" in operations:
        _through_placement(system, veteran_id)
    else:
        _on_the_bus(system, amqp_uri, veteran_id)

    # The job seeker exists because of placement's events: nobody registered them here.
    record = until("the job seeker registered from placement's events",
                   lambda: officer.call("GET", f"/employment/job-seekers/{veteran_id}"))
    assert (record["source"], record["township"], record["service_station"]) == (
        "placement", "孝顺镇", STATION)

    # Employers and their postings.
    employers = {}
    for name in ("金华市金东区顺达物流有限公司", "金华市金东区安泰保安服务有限公司"):
        body = {"name": name, "credit_code": credit_code(name + veteran_id), "township": "孝顺镇"}
        made = until("register employer", lambda b=body: officer.call(
            "POST", "/employment/employers", b))
        employers[name] = made["employer_id"]
    status, refused = officer.call("POST", "/employment/employers", {
        "name": "重复", "credit_code": credit_code("金华市金东区顺达物流有限公司" + veteran_id),
        "township": "孝顺镇"})
    assert (status, refused["error"]) == (409, "already_registered")
    status, refused = officer.call("POST", "/employment/employers", {
        "name": "错码", "credit_code": "91330703MA2E7RLK08", "township": "孝顺镇"})
    assert status == 400 and "credit_code" in refused["fields"]

    logistics, security = employers.values()
    postings = {}
    for label, employer_id, kind, township, pay, requirements in (
            ("forklift-here", logistics, "logistics", "孝顺镇", 650_000, ["叉车证"]),
            ("driver-far", logistics, "logistics", "澧浦镇", 650_000, ["驾驶证c1"]),
            ("guard-here", security, "security", "孝顺镇", 420_000, ["安保员证"])):
        status, made = officer.call("POST", "/employment/postings", {
            "employer_id": employer_id, "title": label, "kind": kind, "township": township,
            "pay_min_fen": pay - 100_000, "pay_max_fen": pay, "headcount": 1,
            "requirements": requirements})
        assert status == 201, made
        postings[label] = made["posting_id"]

    # The veteran states what they want, on their own record.
    status, stated = veteran.call("PUT", f"/employment/job-seekers/{veteran_id}/job-intention",
                                  {"kinds": ["logistics"], "min_pay_fen": 500_000,
                                   "skills": ["叉车证"]})
    assert status == 200, stated

    status, matches = veteran.call("GET", f"/employment/job-seekers/{veteran_id}/matches",
                                   limit=50)
    assert status == 200, matches
    ranked = [m for m in matches["items"] if m["posting_id"] in postings.values()]
    assert [m["title"] for m in ranked] == ["forklift-here", "driver-far", "guard-here"]
    best = ranked[0]
    assert best["rank"] == 1 and best["score"] == 100
    assert {p["name"]: p["points"] for p in best["parts"]} == {
        "place": 30, "requirements": 30, "kind": 15, "pay": 10, "freshness": 15}
    why = {p["name"]: p["why"] for p in ranked[1]["parts"]}
    assert why["place"] == "澧浦镇 is 20 km from 孝顺镇"
    assert why["requirements"] == "meets 0 of 1 requirement(s); missing: 驾驶证c1"
    assert "not among the kinds wanted" in {p["name"]: p["why"] for p in ranked[2]["parts"]}["kind"]

    # Another veteran cannot see these matches: the same answer as for nobody.
    stranger = Client(system, ["veteran"], "stranger-e2e", veteran_id=str(uuid.uuid4()))
    status, _ = stranger.call("GET", f"/employment/job-seekers/{veteran_id}/matches")
    assert status == 404

    # The other way: the posting finds the veteran among those who fit.
    status, fits = officer.call("GET", f"/employment/postings/{postings['forklift-here']}/matches")
    assert status == 200 and veteran_id in [m["veteran_id"] for m in fits["items"]]

    # A hire, and the leaders' figures: counts only.
    status, hired = officer.call("POST", f"/employment/job-seekers/{veteran_id}/hires", {
        "employer_id": logistics, "posting_id": postings["forklift-here"],
        "hired_on": date.today().isoformat(), "contract_months": 24, "social_insurance": True})
    assert status == 201 and hired["record_id"], hired
    leader = Client(system, ["leader"], "leader-e2e")
    status, figures = leader.call("GET", "/employment/figures")
    assert status == 200, figures
    assert figures["hires"] >= 1 and figures["job_seekers"]["from_placement"] >= 1
    assert figures["postings_published"] >= 3 and figures["employers_registered"] >= 2
    assert veteran_id not in json.dumps(figures)
    status, _ = leader.call("GET", f"/employment/job-seekers/{veteran_id}")
    assert status == 403
