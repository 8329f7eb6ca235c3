"""The workbench's placement queues in a real browser: paged and sorted by the service, clocks marked, steps.

Data is built through the API: twenty soldiers of one station registered and reported in; the
placement officer records sixteen choosing self-employment (waiting on the subsidy), three
assigned work (waiting to be scored) and leaves one to choose. Two of the assigned-work cases have
their six-month clock moved (in the placement database, as time passing would) to three days
from now and to five days ago. Each scenario runs in its own browser process
(tests/e2e/portal_browser_staff_queues.py); a machine without chromium fails, never skips.
"""
from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import psycopg
import pytest
import requests

from chassis.clock import SHANGHAI
from tests.conftest import wait_until
from tests.e2e.callers import run_browser, shanghai_today
from tests.factories import resident_id_number, veteran_payload

HERE = Path(__file__).resolve().parent
STATION = "赤松镇退役军人服务站"
SELF_EMPLOYED, ASSIGNED = 16, 3


def run(system, people: dict, scenario: str) -> None:
    run_browser(system, people, "portal_browser_staff_queues.py", scenario)


def _session(system, roles, subject, **claims) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + system["token"](roles, subject, **claims)
    return session


def _move_placement_clock(system, case_id: str, due: date) -> None:
    """The six-month clock's last day moved, as if the case had been reported in long ago."""
    with psycopg.connect(system["databases"]["placement"], autocommit=True) as connection:
        due_at = datetime.combine(due + timedelta(days=1), time(0), tzinfo=SHANGHAI)
        changed = connection.execute(
            "UPDATE deadlines SET due_at = %s, fire_payload = jsonb_set(fire_payload, "
            "'{due_on}', to_jsonb(%s::text)) WHERE stream_id = %s AND name = 'placement' "
            "AND state = 'pending'", (due_at, due.isoformat(), case_id)).rowcount
        assert changed == 1
        connection.execute("UPDATE placement_cases SET placement_due_on = %s WHERE case_id = %s",
                           (due, case_id))


def _report_in(worker, base: str, n: int, report: dict) -> str:
    replies = []

    def reported():
        replies.append(worker.post(f"{base}/placement/reports", json=report, timeout=15,
                                   headers={"Idempotency-Key": f"h9-report-{n}"}))
        return replies[-1].status_code == 201

    # Placement learns of the soldier from the registry's events.
    wait_until(reported, timeout=60, interval=0.5, what="placement knowing the soldier")
    return replies[-1].json()["case_id"]


@pytest.fixture(scope="module")
def people(system):
    base = f"{system['base']}/api/v1"
    today = shanghai_today()
    worker = _session(system, ["station_worker"], "h9-worker", stations=[STATION])
    officer = _session(system, ["placement_officer"], "h9-officer")
    cases = []
    for n in range(SELF_EMPLOYED + ASSIGNED + 1):
        # 上士 of twenty years: every soldier's mode is open to them (assigned work: 12 years).
        payload = veteran_payload(service_station=STATION, township="赤松镇",
                                  id_number=resident_id_number(born=date(1986, 3, 1 + n % 28)),
                                  enlisted_on="2005-09-01",
                                  discharged_on=(today - timedelta(days=12)).isoformat())
        reply = system["http"].post(f"{base}/veterans", json=payload, timeout=15)
        assert reply.status_code == 201, reply.text
        veteran_id = reply.json()["veteran_id"]
        cases.append(_report_in(worker, base, n, {
            "veteran_id": veteran_id,
            "discharge_approved_on": (today - timedelta(days=10)).isoformat()}))
    for n, case_id in enumerate(cases[:-1]):
        mode = "self_employment" if n < SELF_EMPLOYED else "assigned_work"
        reply = officer.post(f"{base}/placement/cases/{case_id}/mode", json={"mode": mode},
                             timeout=15, headers={"Idempotency-Key": f"h9-mode-{n}"})
        assert reply.status_code == 200, reply.text
    near, overdue, to_score = cases[SELF_EMPLOYED:SELF_EMPLOYED + ASSIGNED]
    # The list is brought up to date when read: read it before moving its rows' clocks.
    listed = officer.get(f"{base}/placement/cases", params={"station": STATION}, timeout=15)
    assert listed.status_code == 200 and listed.json()["total"] == len(cases), listed.text
    _move_placement_clock(system, near, today + timedelta(days=3))
    _move_placement_clock(system, overdue, today - timedelta(days=5))
    return {"officer": "h9-officer", "worker": "h9-worker", "station": STATION,
            "mine": SELF_EMPLOYED + ASSIGNED, "near": near, "overdue": overdue,
            "to_score": to_score, "to_pay": cases[0], "choosing": cases[-1]}


def test_the_placement_queue_pages_and_sorts_on_the_service(system, people):
    run(system, people, "placement_paging_and_sort")


def test_placement_clocks_are_marked_in_text(system, people):
    run(system, people, "placement_deadlines")


def test_placement_empty_and_error_states_are_accessible(system, people):
    run(system, people, "placement_empty_and_error")


def test_a_placement_step_works_without_javascript(system, people):
    run(system, people, "score_without_javascript")


def test_a_placement_step_works_with_the_keyboard_alone(system, people):
    run(system, people, "subsidy_with_the_keyboard")


def test_a_station_worker_gets_no_bureau_step_and_a_forged_post_is_refused(system, people):
    run(system, people, "placement_steps_by_role")


def test_a_screenshot_of_the_placement_queue(system, people, tmp_path):
    # Written into docs/ only when asked (VETLIFE_PORTAL_SCREENSHOT=1), else to a scratch file.
    path = (HERE.parents[1] / "docs" / "portal-staff-placement.png"
            if os.environ.get("VETLIFE_PORTAL_SCREENSHOT") == "1" else tmp_path / "queue.png")
    run(system, {**people, "path": str(path)}, "placement_screenshot")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
