"""The workbench's 年度确认超期 queue in chromium: overdue yearly confirmations and confirming one.

Data is built through the API: a station worker applies for a veteran's nursing allowance, a
benefits officer reviews and an approver approves it. The approval and its yearly
clock are then moved a year back in the benefits database (as if approved last year and not
confirmed since), and the service's own deadline runner records the confirmation overdue. Each
scenario runs in its own browser process (tests/e2e/portal_browser_staff_entitlements.py); a
machine without chromium fails, never skips.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import psycopg
import pytest

from chassis.clock import SHANGHAI
from tests.conftest import wait_until
from tests.e2e.callers import run_browser, session, shanghai_today
from tests.factories import veteran_payload

STATION = "琅琊镇退役军人服务站"
OTHER_STATION = "岩头镇退役军人服务站"
OVERDUE_DAYS = 20
# The populated queue, for docs/portals.md.
SHOT = Path(__file__).resolve().parents[2] / "docs" / "portal-staff-entitlements.png"


def run(system, people: dict, scenario: str) -> None:
    run_browser(system, people, "portal_browser_staff_entitlements.py", scenario)


def _active_allowance(system, base: str, n: int, worker, officer, approver) -> str:
    """A nursing allowance applied for at the station, reviewed and approved."""
    registered = system["http"].post(f"{base}/veterans", timeout=15,
                                     json=veteran_payload(service_station=STATION))
    assert registered.status_code == 201, registered.text
    veteran_id = registered.json()["veteran_id"]
    wait_until(lambda: officer.get(f"{base}/benefits/veterans/{veteran_id}",
                                   timeout=5).status_code == 200,
               timeout=60, what="benefits to learn of the veteran from the registry")
    # (Of the yearly kinds, only the nursing allowance has its 2026 figure in the standards
    # table the services run with.)
    applied = worker.post(f"{base}/benefits/entitlements", timeout=15,
                          json={"veteran_id": veteran_id, "kind": "nursing_allowance",
                                "nature": "combat", "grade": 1},
                          headers={"Idempotency-Key": f"h12-apply-{n}"})
    assert applied.status_code == 201, applied.text
    entitlement_id = applied.json()["id"]
    path = f"{base}/benefits/entitlements/{entitlement_id}"
    reviewed = officer.post(f"{path}/review", json={"opinion": "support", "notes": "一级伤残，需护理"},
                            timeout=15, headers={"Idempotency-Key": f"h12-review-{n}"})
    assert reviewed.status_code == 200, reviewed.text
    approved = approver.post(f"{path}/approval", json={"decision": "approve"}, timeout=15,
                             headers={"Idempotency-Key": f"h12-approve-{n}"})
    assert approved.status_code == 200, approved.text
    assert officer.get(path, timeout=15).json()["state"] == "active"
    return entitlement_id


def _a_year_back(system, entitlement_id: str, due) -> None:
    """As if approved a year and some weeks ago and never confirmed since: the approval's day and
    its yearly clock moved back; the deadline runner then records the confirmation overdue."""
    approved_on = due - timedelta(days=365)
    with psycopg.connect(system["databases"]["benefits"], autocommit=True) as connection:
        changed = connection.execute(
            "UPDATE stored_events SET data = jsonb_set(jsonb_set(data, '{decided_on}', "
            "to_jsonb(%s::text)), '{confirmation_due_on}', to_jsonb(%s::text)) "
            "WHERE stream_id = %s AND event_type = 'EntitlementApproved'",
            (approved_on.isoformat(), due.isoformat(), entitlement_id)).rowcount
        assert changed == 1
        due_at = datetime.combine(due + timedelta(days=1), time(0), tzinfo=SHANGHAI)
        changed = connection.execute(
            "UPDATE deadlines SET due_at = %s, fire_payload = jsonb_set(fire_payload, "
            "'{due_on}', to_jsonb(%s::text)) WHERE stream_id = %s "
            "AND name = 'annual_confirmation' AND state = 'pending'",
            (due_at, due.isoformat(), entitlement_id)).rowcount
        assert changed == 1
        connection.execute("UPDATE entitlement_list SET confirmation_due_on = %s "
                           "WHERE entitlement_id = %s", (due, entitlement_id))


@pytest.fixture(scope="module")
def people(system):
    base = f"{system['base']}/api/v1"
    worker = session(system, ["station_worker"], "h12-worker", stations=[STATION])
    officer = session(system, ["benefits_officer"], "h12-officer")
    approver = session(system, ["approver"], "h12-approver")
    pensions = [_active_allowance(system, base, n, worker, officer, approver) for n in range(2)]
    due = shanghai_today() - timedelta(days=OVERDUE_DAYS)
    for entitlement_id in pensions:
        _a_year_back(system, entitlement_id, due)

    def all_overdue():
        listed = officer.get(f"{base}/benefits/entitlements", timeout=15,
                             params={"overdue": "true", "page_size": "100"}).json()
        return set(pensions) <= {i["entitlement_id"] for i in listed["items"]}

    wait_until(all_overdue, timeout=60, interval=0.5, what="the confirmations recorded overdue")
    return {"officer": "h12-officer", "worker": "h12-worker", "approver": "h12-approver",
            "station": STATION, "other_station": OTHER_STATION, "overdue_days": OVERDUE_DAYS,
            "due_on": due.isoformat(), "to_confirm": pensions[0], "stays": pensions[1],
            "shot": str(SHOT)}


def test_the_overdue_queue_its_rows_and_marks(system, people):
    run(system, people, "overdue_queue")


def test_a_yearly_confirmation_without_javascript(system, people):
    run(system, people, "confirm_without_javascript")
