"""Hardship relief over HTTP, from application to disbursement by three people; an offer from a survivor tie."""
import json
from datetime import timedelta

import pika
import pytest

from tests.conftest import wait_until
from tests.e2e.callers import session, shanghai_today
from tests.factories import veteran_payload

STATION = "澧浦镇退役军人服务站"
CIRCUMSTANCES = "妻子患尿毒症，每周透析三次，自付医疗费用较高"


@pytest.fixture
def probe(system, amqp_uri):
    """A queue bound to benefits.events, as a department's subscription would be."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare("benefits.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "benefits.events", routing_key="#")
    yield channel, queue
    connection.close()


def register(system, base) -> str:
    registered = system["http"].post(f"{base}/veterans", timeout=15,
                                     json=veteran_payload(service_station=STATION))
    assert registered.status_code == 201, registered.text
    veteran_id = registered.json()["veteran_id"]
    officer = session(system, ["benefits_officer"], "officer-wait")
    wait_until(lambda: officer.get(f"{base}/benefits/veterans/{veteran_id}",
                                   timeout=5).status_code == 200,
               timeout=30, what="benefits to learn of the veteran from the registry")
    return veteran_id


def test_one_relief_from_application_to_disbursement_by_three_people(system, probe):
    base = f"{system['base']}/api/v1"
    veteran_id = register(system, base)
    handler = session(system, ["station_worker"], "worker-e2e", stations=[STATION])
    reviewer = session(system, ["benefits_officer"], "officer-e2e")
    approver = session(system, ["approver"], "approver-e2e")
    today = shanghai_today()

    applied = handler.post(f"{base}/benefits/relief-applications", timeout=15, json={
        "veteran_id": veteran_id, "trigger": "illness", "amount_asked_fen": 800_000,
        "circumstances": CIRCUMSTANCES,
        "received_on": (today - timedelta(days=10)).isoformat()})
    assert applied.status_code == 201, applied.text
    assert applied.json()["state"] == "applied"
    case = f"{base}/benefits/relief-applications/{applied.json()['id']}"

    def step(http, path, body, status=200):
        response = http.post(f"{case}{path}", json=body, timeout=15)
        assert response.status_code == status, response.text
        return response.json()

    step(reviewer, "/review", {
        "opinion": "support", "recommended_fen": 600_000, "notes": "经村、镇两级核实，情况属实",
        "notice_from": (today - timedelta(days=9)).isoformat(),
        "notice_to": (today - timedelta(days=1)).isoformat(), "objections": False})
    # Four eyes: the reviewer or the handler holding the approver's role still may not decide.
    for own in ("officer-e2e", "worker-e2e"):
        refused = step(session(system, ["approver"], own), "/approval",
                       {"decision": "approve", "approved_fen": 600_000}, status=403)
        assert refused["error"] == "forbidden" and "four eyes" in refused["message"]
    # Over the cap (6 × the monthly minimum-living standard) by one fen.
    over = step(approver, "/approval", {"decision": "approve", "approved_fen": 660_001},
                status=400)
    assert "approved_fen" in over["fields"]
    decided = step(approver, "/approval", {"decision": "approve", "approved_fen": 600_000})
    assert decided["state"] == "approved"
    step(approver, "/approval", {"decision": "reject", "reason": "再议"}, status=409)
    paid = step(reviewer, "/disbursement", {"paid_fen": 600_000, "paid_on": today.isoformat(),
                                            "reference": f"JD-{applied.json()['id'][:8]}"})
    assert paid["state"] == "disbursed"
    # Never twice.
    step(reviewer, "/disbursement", {"paid_fen": 600_000, "paid_on": today.isoformat(),
                                     "reference": "JD-again"}, status=409)

    read = reviewer.get(case, timeout=15).json()
    assert (read["state"], read["paid_fen"], read["approved_fen"], read["cap_fen"]) == (
        "disbursed", 600_000, 600_000, 660_000)
    assert read["circumstances"] == CIRCUMSTANCES and read["withheld"] == []
    assert [(h["event_type"], h["actor"]) for h in read["history"]] == [
        ("ReliefApplied", "station_worker:worker-e2e"),
        ("ReliefReviewed", "benefits_officer:officer-e2e"),
        ("ReliefApproved", "approver:approver-e2e"),
        ("ReliefDisbursed", "benefits_officer:officer-e2e")]
    assert read["deadlines"] == []
    leader = session(system, ["leader"], "leader-e2e").get(case, timeout=15).json()
    assert leader["circumstances"] is None and "circumstances" in leader["withheld"]
    # The staff's read of the circumstances is on the veteran's access log.
    veteran = session(system, ["veteran"], "veteran-e2e", veteran_id=veteran_id)
    log = veteran.get(f"{base}/me/access-log", timeout=15).json()
    assert any(entry["action"] == "get_relief" for entry in log["items"]), log

    # On the bus: the money and the states, never the circumstances, nor who acted.
    channel, queue = probe
    seen = {}

    def drain():
        while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
            event = json.loads(message[2])
            if event["subject"] == applied.json()["id"]:
                seen[event["type"]] = event
        return "ReliefDisbursed" in seen

    wait_until(drain, timeout=20, what="the relief's events on benefits.events")
    assert seen["ReliefDisbursed"]["data"]["paid_fen"] == 600_000
    assert seen["ReliefApproved"]["actor"] == "approver"
    text = json.dumps(seen, ensure_ascii=False)
    assert CIRCUMSTANCES not in text and "approver-e2e" not in text and "officer-e2e" not in text

    figures = reviewer.get(f"{base}/benefits/figures", timeout=15,
                           params={"from": today.isoformat(), "to": today.isoformat()}).json()
    assert figures["relief_grants"] >= 1 and figures["relief_paid_fen"] >= 600_000


def test_a_survivor_tie_offers_a_pension_the_station_confirms(system):
    base = f"{system['base']}/api/v1"
    veteran_id = register(system, base)
    tie = system["http"].post(f"{base}/veterans/{veteran_id}/survivor-ties", timeout=15,
                              json={"tie": "martyr", "fallen_name": "王建国", "relation": "father"})
    assert tie.status_code == 200, tie.text
    worker = session(system, ["station_worker"], "worker-offer", stations=[STATION])

    def offers():
        listed = worker.get(f"{base}/benefits/offers", params={"state": "open"}, timeout=15)
        return [o for o in listed.json()["items"] if o["veteran_id"] == veteran_id]

    found = wait_until(lambda: len(offers()) == 2 and offers(), timeout=30,
                       what="the offers a survivor tie opens")
    pension = next(o for o in found if o["kind"] == "survivors_pension")
    assert pension["article"] == "抚恤优待条例 Art. 19" and not pension["overdue"]
    offer = worker.get(f"{base}/benefits/offers/{pension['offer_id']}", timeout=15).json()
    assert offer["deadlines"][0]["name"] == "answer"
    answered = worker.post(f"{base}/benefits/offers/{pension['offer_id']}/answer", timeout=15,
                           json={"answer": "confirm", "relation": "child"})
    assert answered.status_code == 200, answered.text
    entitlement_id = worker.get(f"{base}/benefits/offers/{pension['offer_id']}",
                                timeout=15).json()["case_id"]
    entitlement = worker.get(f"{base}/benefits/entitlements/{entitlement_id}", timeout=15).json()
    assert (entitlement["kind"], entitlement["state"], entitlement["tie"]) == (
        "survivors_pension", "applied", "martyr")
    overview = worker.get(f"{base}/benefits/veterans/{veteran_id}", timeout=15).json()
    assert [e["kind"] for e in overview["entitlements"]] == ["survivors_pension"]
    assert not overview["priority_beneficiary"]
