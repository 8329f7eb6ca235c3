"""The leaders' dashboard in a real browser: tables equal to GET /api/v1/figures, charts, exports, reports.

Figures are made through the API (files, a station built and rated, a visit with money, hardship
relief paid by three people), then tests/e2e/portal_browser_dashboard.py drives Debian's chromium
(in a process of its own, as tests/e2e/test_portal_pages.py does): every table's numbers equal the
API's for the same period, the charts are drawn from them with JavaScript on and without a single
CSP violation, the tables and the XLSX export work with JavaScript off, a report published from
the page keeps its numbers while a late correction changes the numbers as now known, and axe-core
finds 0 violations in the empty, populated and error states.
"""
from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tests.e2e.callers import run_browser, session, shanghai_today
from tests.factories import veteran_payload

HERE = Path(__file__).resolve().parent
# A station and a township of this module's own, so the figures filtered by them count only
# what this module made.
_OWN = uuid.uuid4().hex[:6]
TOWNSHIP = f"曹宅镇{_OWN}"
STATION = f"{TOWNSHIP}大黄山村退役军人服务站"
OTHER_STATION = "岭下镇退役军人服务站"


def run(system, people: dict, scenario: str) -> None:
    run_browser(system, people, "portal_browser_dashboard.py", scenario)


def _register(system, base: str) -> str:
    made = system["http"].post(f"{base}/veterans", timeout=15, json=veteran_payload(
        service_station=STATION, township=TOWNSHIP))
    assert made.status_code == 201, made.text
    veteran_id = made.json()["veteran_id"]
    officer = session(system, ["benefits_officer"], "dashboard-wait")
    wait_until(lambda: officer.get(f"{base}/benefits/veterans/{veteran_id}",
                                   timeout=5).status_code == 200,
               timeout=60, what="benefits to learn of the veteran from the registry")
    return veteran_id


def _relief_paid(system, base: str, veteran_id: str, fen: int) -> None:
    """Hardship relief from application to payment, by three people (four eyes)."""
    today = shanghai_today()
    handler = session(system, ["station_worker"], "dashboard-worker", stations=[STATION])
    reviewer = session(system, ["benefits_officer"], "dashboard-officer")
    approver = session(system, ["approver"], "dashboard-approver")
    applied = handler.post(f"{base}/benefits/relief-applications", timeout=15, json={
        "veteran_id": veteran_id, "trigger": "illness", "amount_asked_fen": fen,
        "circumstances": "本人突发重病住院，自付费用较高",
        "received_on": (today - timedelta(days=10)).isoformat()})
    assert applied.status_code == 201, applied.text
    case = f"{base}/benefits/relief-applications/{applied.json()['id']}"
    for http, path, body in (
            (reviewer, "/review", {"opinion": "support", "recommended_fen": fen,
                                   "notes": "经村、镇两级核实，情况属实",
                                   # the public notice ran seven days and has ended
                                   "notice_from": (today - timedelta(days=9)).isoformat(),
                                   "notice_to": (today - timedelta(days=1)).isoformat(),
                                   "objections": False}),
            (approver, "/approval", {"decision": "approve", "approved_fen": fen}),
            (reviewer, "/disbursement", {"paid_fen": fen, "paid_on": today.isoformat(),
                                         "reference": f"JD-{applied.json()['id'][:8]}"})):
        step = http.post(f"{case}{path}", json=body, timeout=15)
        assert step.status_code == 200, step.text


@pytest.fixture(scope="module")
def people(system):
    """The module's station (built this year, rated exemplary), three veterans filed there, a
    festival visit with money, a hardship relief paid; tokens for the checks against the API."""
    base = f"{system['base']}/api/v1"
    today = shanghai_today()
    clerk = session(system, ["registry_clerk"], "dashboard-clerk")
    station = clerk.post(f"{base}/stations", timeout=15, json={
        "name": STATION, "level": "village", "township": TOWNSHIP, "status": "built",
        "planned_on": f"{today.year}-01-02", "built_on": today.isoformat()})
    assert station.status_code == 201, station.text
    rated = clerk.post(f"{base}/stations/{station.json()['station_id']}/rating", timeout=15,
                       json={"rating": "exemplary", "rated_on": today.isoformat()})
    assert rated.status_code == 200, rated.text
    veterans = [_register(system, base) for _ in range(3)]
    officer = session(system, ["benefits_officer"], "dashboard-officer")
    campaign = officer.post(f"{base}/benefits/campaigns", timeout=15, json={
        "name": f"{today.year}年走访慰问{_OWN}", "kind": "festival",
        "starts_on": f"{today.year}-01-01", "ends_on": f"{today.year}-12-31",
        "budget_fen": 10_000_000})
    assert campaign.status_code == 201, campaign.text
    worker = session(system, ["station_worker"], "dashboard-worker", stations=[STATION])
    visits = []
    for veteran_id, fen in ((veterans[0], 50_000), (veterans[1], 30_050)):
        made = worker.post(f"{base}/benefits/visits", timeout=15, json={
            "campaign_id": campaign.json()["id"], "veteran_id": veteran_id,
            "visited_on": today.isoformat(), "visitors": "站长 周敏", "amount_fen": fen})
        assert made.status_code == 201, made.text
        visits.append(made.json()["id"])
    _relief_paid(system, base, veterans[2], 420_000)
    return {
        "station": STATION, "township": TOWNSHIP, "other_station": OTHER_STATION,
        "from": f"{today.year}-01-01", "to": today.isoformat(),
        "campaign_id": campaign.json()["id"], "veterans": veterans, "visits": visits,
        "leader_token": system["token"](["leader"], "dashboard-leader-api", minutes=120),
        "worker_token": system["token"](["station_worker"], "dashboard-worker",
                                        stations=[STATION], minutes=120),
    }


def test_every_table_equals_the_apis_figures_and_the_charts_are_drawn_from_them(system, people):
    run(system, people, "populated")


def test_the_empty_period_and_a_period_ending_before_it_starts_are_accessible(system, people):
    run(system, people, "empty_and_error")


def test_without_javascript_the_tables_and_the_xlsx_and_csv_exports_work(system, people):
    run(system, people, "without_javascript")


def test_a_published_report_keeps_its_numbers_while_a_late_correction_changes_todays(
        system, people):
    run(system, people, "report")


def test_a_station_worker_sees_their_stations_only_and_others_no_dashboard(system, people):
    run(system, people, "reach")


def test_a_screenshot_of_the_dashboard_for_the_docs(system, people, tmp_path):
    # Written to docs/ only when asked (VETLIFE_PORTAL_SCREENSHOT=1), so a test run changes no
    # committed file.
    target = (HERE.parents[1] / "docs" / "portal-dashboard.png"
              if os.environ.get("VETLIFE_PORTAL_SCREENSHOT") == "1" else tmp_path / "shot.png")
    run(system, {**people, "path": str(target)}, "screenshot")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
