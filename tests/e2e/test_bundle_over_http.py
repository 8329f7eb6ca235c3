"""One discharged soldier's bundle over HTTP, as the veteran, the staff and each department, to complete.

The e2e stack runs the reference departments (examples/departments) with a one-second delay,
no random refusals and the first household registration always refused (tests/e2e/conftest.py):
they follow their matters on bundle.events with their own broker users, read the veteran's
entitled fields through the gateway with their own tokens, acknowledge and answer. The refusal
reaches the veteran and both staff lists; the veteran asks again and it is done. Our own
services do their part from the bundle's commands, and their staff finish what only people do
(the subsidy paid). The veteran leaves the card out of the first bundle and asks for it in a
second one, where benefits takes it (acknowledged): its offices' 30-working-day clock cannot be
counted into a year whose holidays are not published yet, so the card's whole flow, like the
disability pension's (whose yearly figures the shipped table does not hold for every year), is
tested with a moved clock in tests/integration/test_bundle.py.
"""
from datetime import timedelta

from tests.conftest import wait_until
from tests.e2e.callers import session, shanghai_today
from tests.factories import veteran_payload

STATION = "曹宅镇退役军人服务站"
EXTERNAL = {"household_registration": "public_security", "id_card": "public_security",
            "pension_insurance": "hr_social_security", "medical_insurance": "medical_insurance",
            "party_membership": "party_organisation"}


def matters(http, base, bundle_id) -> dict:
    reply = http.get(f"{base}/bundles/{bundle_id}", timeout=15)
    assert reply.status_code == 200, reply.text
    return {m["matter"]: m for m in reply.json()["matters"]}


def wait_for(http, base, bundle_id, matter, *statuses, timeout=90):
    return wait_until(lambda: (m := matters(http, base, bundle_id)[matter])["status"] in statuses
                      and m, timeout=timeout, interval=0.5,
                      what=f"{matter} to be {' or '.join(statuses)}")


def test_one_soldiers_bundle_from_submission_to_complete(system):
    base = f"{system['base']}/api/v1"
    clerk = system["http"]
    registered = clerk.post(f"{base}/veterans", timeout=15,
                            json=veteran_payload(service_station=STATION))
    assert registered.status_code == 201, registered.text
    veteran_id = registered.json()["veteran_id"]
    member = clerk.post(f"{base}/veterans/{veteran_id}/party-membership", timeout=15,
                        json={"joined_on": "2025-07-01", "party_branch": "某部某连党支部"})
    assert member.status_code == 200, member.text

    soldier = session(system, ["veteran"], "soldier-e2e", veteran_id=veteran_id)
    worker = session(system, ["station_worker"], "worker-e2e", stations=[STATION])
    departments = {name: session(system, ["department"], f"{name}-e2e", department=name)
                   for name in set(EXTERNAL.values())}
    today = shanghai_today()

    # -- submission: once; a retry gets the first; a second bundle is refused naming it -------
    form = {"discharge_approved_on": (today - timedelta(days=10)).isoformat(),
            "rank_class": "conscript", "years_of_service": 2,
            "placement_mode": "self_employment",
            "leave_out": [{"matter": "reserve_registration", "reason": "已在原部队驻地办理"},
                          {"matter": "card", "reason": "到服务站现场申领"}]}
    submitted = soldier.post(f"{base}/bundles", json=form, timeout=15,
                             headers={"Idempotency-Key": "bundle-e2e-1"})
    assert submitted.status_code == 201, submitted.text
    bundle_id = submitted.json()["bundle_id"]
    retried = soldier.post(f"{base}/bundles", json=form, timeout=15,
                           headers={"Idempotency-Key": "bundle-e2e-1"})
    assert (retried.json()["bundle_id"], retried.json()["replayed"]) == (bundle_id, True)
    second = worker.post(f"{base}/bundles", json={**form, "veteran_id": veteran_id}, timeout=15)
    assert second.status_code == 409, second.text
    assert second.json()["fields"] == {"bundle_id": [bundle_id]}

    first = matters(soldier, base, bundle_id)
    assert {k for k, m in first.items() if m["chosen"]} == {
        *EXTERNAL, "reporting_in", "veteran_file", "subsidy", "job_seeker"}
    assert first["reserve_registration"]["status"] == "left_out"
    assert first["reserve_registration"]["reason"] == "已在原部队驻地办理"
    assert first["card"]["status"] == "left_out"
    assert first["disability_transfer"]["status"] == "not_applicable"
    assert first["disability_transfer"]["reason_code"] == "not_disabled"
    assert all(m["due_on"] for m in first.values() if m["chosen"] and not m["clock_unknown"])

    # -- the departments: acknowledged, read the fields they may, answered; one refused ---------
    refused = wait_for(soldier, base, bundle_id, "household_registration", "refused")
    assert refused["refusal_reason"] and refused["next_step"] and refused["final"]
    inbox = wait_until(lambda: [n for n in soldier.get(f"{base}/me/notifications",
                                                       timeout=15).json()["items"]
                                if n["kind"] == "matter_refused"], timeout=30, interval=0.5,
                       what="the refusal in the veteran's inbox")
    assert refused["refusal_reason"] in inbox[0]["body"]
    assert refused["next_step"] in inbox[0]["body"]
    assert inbox[0]["bundle_id"] == bundle_id and inbox[0]["matter"] == "household_registration"
    for staff in (worker, departments["public_security"]):
        listed = staff.get(f"{base}/bundles/attention", timeout=15).json()["items"]
        assert ("refused", bundle_id, "household_registration") in {
            (i["kind"], i["bundle_id"], i["matter"]) for i in listed}
    assert all(i["bundle_id"] != bundle_id for i in departments["hr_social_security"].get(
        f"{base}/bundles/attention", timeout=15).json()["items"])
    # a department answers its own matters only, and sees only those
    police = departments["public_security"]
    forbidden = police.post(f"{base}/bundles/{bundle_id}/matters/pension_insurance/outcome",
                            json={"outcome": "done", "reference": "JDGA-X"}, timeout=15)
    assert forbidden.status_code == 403, forbidden.text
    assert set(matters(police, base, bundle_id)) == {"household_registration", "id_card"}
    # the veteran asks again; the department does it this time
    again = soldier.post(f"{base}/bundles/{bundle_id}/matters/household_registration/"
                         "resubmission", json={"note": "已补充入伍通知书复印件"}, timeout=15)
    assert again.status_code == 200, again.text
    done = wait_for(soldier, base, bundle_id, "household_registration", "done")
    assert done["attempt"] == 2 and done["reference"].startswith("JDGA-")
    assert all(i["bundle_id"] != bundle_id for i in worker.get(
        f"{base}/bundles/attention", timeout=15).json()["items"])
    for matter in EXTERNAL:
        answered = wait_for(soldier, base, bundle_id, matter, "done")
        assert answered["acknowledged_on"] and answered["final"]
    # each department read the veteran's file: on the veteran's access log, by department
    log = soldier.get(f"{base}/me/access-log", params={"page_size": 200}, timeout=15).json()
    readers = {e["department"] for e in log["items"] if e["action"] == "read_file"}
    assert set(EXTERNAL.values()) <= readers
    # answering twice changes nothing; a late correction after done is accepted and shown
    hr = departments["hr_social_security"]
    pension = matters(hr, base, bundle_id)["pension_insurance"]
    version = soldier.get(f"{base}/bundles/{bundle_id}", timeout=15).json()["version"]
    twice = hr.post(f"{base}/bundles/{bundle_id}/matters/pension_insurance/outcome",
                    json={"outcome": "done", "reference": pension["reference"]}, timeout=15)
    assert (twice.status_code, twice.json()["version"]) == (200, version)
    corrected = police.post(f"{base}/bundles/{bundle_id}/matters/id_card/outcome",
                            json={"outcome": "done", "reference": "JDGA-CORRECTED-1"}, timeout=15)
    assert corrected.status_code == 200 and corrected.json()["version"] == version + 1
    id_card = matters(soldier, base, bundle_id)["id_card"]
    assert (id_card["reference"], id_card["corrected"]) == ("JDGA-CORRECTED-1", True)

    # -- our own services: reporting in, the file, the mode and its subsidy, the job seeker ----
    reported = wait_for(soldier, base, bundle_id, "reporting_in", "done")
    assert wait_for(soldier, base, bundle_id, "veteran_file", "done")["final"]
    subsidy = wait_for(soldier, base, bundle_id, "subsidy", "acknowledged", "in_progress")
    assert subsidy["reference"] == reported["reference"]  # the placement case
    assert wait_for(soldier, base, bundle_id, "job_seeker", "done")["final"]
    placement_officer = session(system, ["placement_officer"], "placement-e2e")
    paid = placement_officer.post(
        f"{base}/placement/cases/{reported['reference']}/subsidy-payment", timeout=15,
        json={"paid_on": today.isoformat(), "reference": "JD-BZ-2026-0001"})
    assert paid.status_code == 200, paid.text
    wait_for(soldier, base, bundle_id, "subsidy", "done")

    # -- complete: the veteran told, the lists agree, each reader sees what it may -----------
    whole = wait_until(lambda: (b := soldier.get(f"{base}/bundles/{bundle_id}", timeout=15)
                                .json())["status"] == "complete" and b, timeout=60,
                       interval=0.5, what="the bundle to complete")
    assert whole["final"] and whole["completed_on"] == today.isoformat()
    assert whole["history"][-1]["event"] == "BundleCompleted"
    assert all(m["status"] == "done" for m in whole["matters"] if m["chosen"])
    kinds = wait_until(lambda: {n["kind"] for n in soldier.get(
        f"{base}/me/notifications", timeout=15).json()["items"]} >= {"bundle_completed"},
        timeout=30, interval=0.5, what="the completion notice")
    assert kinds
    listed = worker.get(f"{base}/bundles", params={"status": "complete"}, timeout=15).json()
    assert bundle_id in {b["bundle_id"] for b in listed["items"]}
    leader = session(system, ["leader"], "leader-e2e")
    seen = leader.get(f"{base}/bundles/{bundle_id}", timeout=15).json()
    assert seen["notifications"] == [] and "refusal_reason" in seen["withheld"]
    assert all(m["reference"] is None for m in seen["matters"])
    # settled: a new bundle for the card left out; what is done already is done with it
    later = soldier.post(f"{base}/bundles", timeout=15, json={
        "discharge_approved_on": form["discharge_approved_on"],
        "leave_out": [{"matter": m} for m in (*EXTERNAL, "reserve_registration")]})
    assert later.status_code == 201, later.text
    second = later.json()["bundle_id"]
    done_before = matters(soldier, base, second)
    assert {k for k, m in done_before.items() if m["status"] == "done"} == {
        "reporting_in", "veteran_file", "subsidy", "job_seeker"}
    assert done_before["reporting_in"]["reference"] == reported["reference"]
    card = wait_for(soldier, base, second, "card", "acknowledged")
    benefits_officer = session(system, ["benefits_officer"], "benefits-e2e")
    applied = benefits_officer.get(f"{base}/benefits/cards/{card['reference']}", timeout=15)
    assert applied.status_code == 200 and applied.json()["veteran_id"] == veteran_id
