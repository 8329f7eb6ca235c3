"""A petition over HTTP: lodged, accepted, extended, answered, reviewed; on the bus without its contents."""
import json
from datetime import date, timedelta

import pika
import pytest

from tests.conftest import wait_until
from tests.e2e.callers import session, shanghai_today
from tests.factories import veteran_payload

STATION = "东孝街道退役军人服务站"
PETITIONER = "周卫国"
REQUEST = "请求核实1998年转业时的工龄认定，补缴养老保险"


@pytest.fixture
def probe(system, amqp_uri):
    """A queue bound to disputes.events, as the benefits service's subscription would be."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare("disputes.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "disputes.events", routing_key="#")
    yield channel, queue
    connection.close()


def test_a_petition_lodged_accepted_extended_answered_and_reviewed(system, probe):
    base = f"{system['base']}/api/v1"
    registered = system["http"].post(f"{base}/veterans", timeout=15,
                                     json=veteran_payload(service_station=STATION))
    assert registered.status_code == 201, registered.text
    veteran_id = registered.json()["veteran_id"]
    officer = session(system, ["disputes_officer"], "officer-e2e")
    approver = session(system, ["approver"], "approver-e2e")
    veteran = session(system, ["veteran"], "veteran-e2e", veteran_id=veteran_id)
    today = shanghai_today()

    lodged = officer.post(f"{base}/disputes/petitions", timeout=15, json={
        "veteran_id": veteran_id, "service_station": STATION, "channel": "letter",
        "petitioner_kind": "veteran", "petitioner_name": PETITIONER,
        "petitioner_phone": "13905791234", "category": "social_insurance", "request": REQUEST,
        "facts": "1998年转业，工龄认定少计三年。"})
    assert lodged.status_code == 201, lodged.text
    assert lodged.json()["first_time"] and not lodged.json()["linked"]
    petition = f"{base}/disputes/petitions/{lodged.json()['case_id']}"

    read = officer.get(petition, timeout=15).json()
    assert read["state"] == "registered" and read["petitioner"]["name"] == PETITIONER
    (intake,) = read["deadlines"]
    assert intake["name"] == "intake" and intake["state"] == "pending"
    assert date.fromisoformat(intake["due_on"]) <= today + timedelta(days=15)

    def step(http, method, path, body, status=200):
        response = http.request(method, f"{petition}{path}", json=body, timeout=15)
        assert response.status_code == status, response.text
        return response

    step(officer, "POST", "/acceptance", {"decision": "accept",
                                          "notice": "您的来信已受理，将于60日内书面答复。"})
    step(officer, "PUT", "/handler", {"handler": "officer-e2e"})
    step(officer, "POST", "/extension", {"days": 30, "reason": "需向市社保中心调取档案。"})
    # The handler holding the approver's role still may not approve their own case.
    own_case = session(system, ["approver"], "officer-e2e")
    refused = step(own_case, "POST", "/extension/decision", {"approve": True}, status=403)
    assert refused.json()["error"] == "forbidden"
    step(approver, "POST", "/extension/decision", {"approve": True})
    again = step(officer, "POST", "/extension", {"days": 5, "reason": "再延"}, status=409)
    assert "once" in again.json()["message"]
    step(officer, "POST", "/opinion", {"outcome": "support",
                                       "opinion": "经核实，工龄应补计三年，予以补缴。"})
    step(veteran, "POST", "/review-requests", {"grounds": "补缴基数计算有误。"})

    read = veteran.get(petition, timeout=15)
    assert read.status_code == 200, read.text
    reply = read.json()
    assert reply["state"] == "under_review"
    assert reply["opinion_due_on"] == (today + timedelta(days=90)).isoformat()
    assert reply["extension"]["state"] == "approved"
    assert [h["event_type"] for h in reply["history"]] == [
        "PetitionLodged", "PetitionAccepted", "HandlerAssigned", "OpinionExtensionRequested",
        "OpinionExtensionApproved", "OpinionIssued", "ReviewRequested"]
    clocks = {(d["name"], d["generation"]): d["state"] for d in reply["deadlines"]}
    assert clocks == {("intake", 1): "met", ("opinion", 2): "met", ("review_window", 1): "met",
                      ("review_answer", 1): "pending"}
    assert read.headers["ETag"] == f'"{reply["version"]}"'

    listed = officer.get(f"{base}/disputes/petitions", timeout=15,
                         params={"handler": "officer-e2e", "overdue": "false"}).json()
    assert lodged.json()["case_id"] in [i["petition_id"] for i in listed["items"]]
    assert PETITIONER not in json.dumps(listed, ensure_ascii=False)

    # The veteran sees who read their petition: its reads are personal, so they are on record.
    log = veteran.get(f"{base}/me/access-log", timeout=15).json()
    reads = [entry for entry in log["items"] if entry["action"] == "get_petition"]
    assert {entry["subject"] for entry in reads} == {"officer-e2e", "veteran-e2e"}, log
    assert "petitioner" in reads[-1]["fields"] and "request" in reads[-1]["fields"]

    channel, queue = probe

    def published():
        seen = []
        while True:
            method, _, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return seen
            seen.append(json.loads(body))

    events = []
    wait_until(lambda: events.extend(published()) or len(events) >= 7,
               what="the petition's events on disputes.events")
    types = [e["type"] for e in events if e["subject"] == lodged.json()["case_id"]]
    assert types[:7] == [h["event_type"] for h in reply["history"]]
    text = json.dumps(events, ensure_ascii=False)
    for secret in (PETITIONER, REQUEST, "13905791234", "officer-e2e", "approver-e2e",
                   "需向市社保中心调取档案", "补缴基数计算有误"):
        assert secret not in text
