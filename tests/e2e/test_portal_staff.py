"""The staff workbench in a real browser: queues paged and sorted by the service, deadlines, four eyes.

Data is built through the API: two veterans at one station, relief applications recorded by a
station worker and reviewed by a benefits officer (so they wait for an approver's decision), one
recorded by a person who is also an approver (four eyes keeps it from them), petitions received
days ago (one near its intake deadline, one past it). Each scenario runs in its own browser
process (tests/e2e/portal_browser_staff.py); a machine without chromium fails, never skips.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from chassis.days import add_working_days
from tests.conftest import wait_until
from tests.e2e.callers import run_browser, shanghai_today
from tests.factories import veteran_payload

HERE = Path(__file__).resolve().parent
STATION = "曹宅镇退役军人服务站"
AWAITING = 21


def run(system, people: dict, scenario: str) -> None:
    run_browser(system, people, "portal_browser_staff.py", scenario)


def _session(system, roles, subject, **claims) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + system["token"](roles, subject, **claims)
    return session


@pytest.fixture(scope="module")
def people(system):
    base = f"{system['base']}/api/v1"
    veterans = []
    for name in ("赵志刚", "钱海东"):
        reply = system["http"].post(f"{base}/veterans", timeout=15,
                                    json=veteran_payload(service_station=STATION, name=name))
        assert reply.status_code == 201, reply.text
        veterans.append(reply.json()["veteran_id"])
    worker = _session(system, ["station_worker"], "h4-worker", stations=[STATION])
    officer = _session(system, ["benefits_officer"], "h4-officer")
    # Someone who records an application as an officer and also holds the approver's role.
    submitter = _session(system, ["benefits_officer"], "h4-submitter")
    today = shanghai_today()
    received = (today - timedelta(days=20)).isoformat()

    def apply(session, n: int) -> str:
        body = {"veteran_id": veterans[n % 2], "trigger": "illness",
                "amount_asked_fen": 300_000 + n * 10_000, "circumstances": "住院手术，家庭困难",
                "received_on": received}
        replies = []

        def accepted():
            replies.append(session.post(f"{base}/benefits/relief-applications", json=body,
                                        timeout=15, headers={"Idempotency-Key": f"h4-apply-{n}"}))
            return replies[-1].status_code == 201

        # Benefits learns of the veterans from the registry's events.
        wait_until(accepted, timeout=60, interval=0.5, what="benefits knowing the veterans")
        return replies[-1].json()["id"]

    def review(application_id: str) -> None:
        reply = officer.post(
            f"{base}/benefits/relief-applications/{application_id}/review", timeout=15,
            headers={"Idempotency-Key": f"h4-review-{application_id}"},
            json={"opinion": "support", "recommended_fen": 300_000, "notes": "入户核实属实",
                  "notice_from": (today - timedelta(days=15)).isoformat(),
                  "notice_to": (today - timedelta(days=8)).isoformat(), "objections": False})
        assert reply.status_code == 200, reply.text

    awaiting = [apply(worker, n) for n in range(AWAITING - 1)]
    own = apply(submitter, 99)
    for application_id in [*awaiting, own]:
        review(application_id)
    # Petitions awaiting intake: one whose 5 working days end within two, one long past.
    near_received = today - timedelta(days=1)
    while add_working_days(near_received, 5) > add_working_days(today, 1):
        near_received -= timedelta(days=1)
    # Different matters (the same matter while open would be linked to the first).
    for n, (day, category) in enumerate(((near_received, "benefits"),
                                         (today - timedelta(days=30), "housing"),
                                         (today, "employment"))):
        reply = worker.post(f"{base}/disputes/petitions", timeout=15,
                            headers={"Idempotency-Key": f"h4-petition-{n}"},
                            json={"veteran_id": veterans[n % 2], "service_station": STATION,
                                  "channel": "letter", "petitioner_kind": "veteran",
                                  "petitioner_name": "赵志刚", "category": category,
                                  "request": f"请求核实第{n + 1}件事", "facts": "情况说明",
                                  "received_on": day.isoformat()})
        assert reply.status_code == 201, reply.text
    return {"approver": "h4-approver", "submitter": "h4-submitter", "own": own,
            "to_approve": awaiting[:2], "awaiting_decision": AWAITING}


def test_queues_page_and_sort_on_the_service(system, people):
    run(system, people, "queue_paging_and_sort")


def test_empty_and_error_states_are_accessible(system, people):
    run(system, people, "empty_and_error")


def test_near_deadline_and_overdue_cases_are_marked_in_text(system, people):
    run(system, people, "deadlines")


def test_the_approval_flow_works_without_javascript(system, people):
    run(system, people, "approve_without_javascript")


def test_the_approval_flow_works_with_the_keyboard_alone(system, people):
    run(system, people, "approve_with_the_keyboard")


def test_the_submitter_sees_no_approve_control_and_a_forged_post_is_refused(system, people):
    run(system, people, "four_eyes")


def test_a_screenshot_of_the_workbench(system, people, tmp_path):
    # Written into docs/ only when asked (VETLIFE_PORTAL_SCREENSHOT=1), else to a scratch file.
    path = (HERE.parents[1] / "docs" / "portal-staff.png"
            if os.environ.get("VETLIFE_PORTAL_SCREENSHOT") == "1" else tmp_path / "staff.png")
    run(system, {**people, "path": str(path)}, "screenshot")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
