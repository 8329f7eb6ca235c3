"""The portal in a real browser (Playwright driving Debian's chromium): sign-in, the veteran's page.

Every page is checked with axe-core (WCAG 2.x A and AA: 0 violations) in its empty, populated
and error states (and in elder mode); every request a page makes stays on our own origin; the
veteran's page works with JavaScript off; a form posted without its CSRF token is a 403; one
veteran never sees another's file; opening the page is on the audit record as the API's read.
The browser runs in a process of its own (tests/e2e/portal_browser.py: Playwright hangs under
the eventlet patching this test session needs); a machine without chromium fails, never skips.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.conftest import wait_until
from tests.e2e.callers import run_browser
from tests.factories import veteran_payload

HERE = Path(__file__).resolve().parent
STATION = "曹宅镇退役军人服务站"
NAMES = ("李卫国", "王建军")


def run(system, people: dict, scenario: str) -> None:
    run_browser(system, people, "portal_browser.py", scenario)


@pytest.fixture(scope="module")
def people(system):
    """Two veterans with files; the first has a bundle under way and a department's read of
    their file on record, the second has neither."""
    base = f"{system['base']}/api/v1"
    clerk = system["http"]
    ids = []
    for name in NAMES:
        reply = clerk.post(f"{base}/veterans", timeout=15,
                           json=veteran_payload(service_station=STATION, name=name))
        assert reply.status_code == 201, reply.text
        ids.append(reply.json()["veteran_id"])
    soldier = requests.Session()
    soldier.headers["Authorization"] = "Bearer " + system["token"](
        ["veteran"], "portal-vet-1", veteran_id=ids[0])
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    submitted = soldier.post(f"{base}/bundles", timeout=15, headers={
        "Idempotency-Key": "portal-bundle-1"}, json={
        "discharge_approved_on": (today - timedelta(days=5)).isoformat(),
        "rank_class": "conscript", "years_of_service": 2, "placement_mode": "self_employment",
        "leave_out": [{"matter": "card", "reason": "到服务站现场申领"}]})
    assert submitted.status_code == 201, submitted.text
    bundle_id = submitted.json()["bundle_id"]
    # The departments have answered (so the list shows their "已办结"), and read the file while
    # doing so; the police's read below is then among the newest lines of the access log.
    wait_until(lambda: all(m["final"] for m in soldier.get(
        f"{base}/bundles/{bundle_id}", timeout=15).json()["matters"]
        if not m["internal"] and m["status"] not in ("not_applicable", "left_out")),
        timeout=120, interval=0.5, what="the departments' answers")
    police = requests.Session()
    police.headers["Authorization"] = "Bearer " + system["token"](
        ["department"], "gongan-portal", department="public_security")
    read = police.get(f"{base}/veterans/{ids[0]}", timeout=15,
                      headers={"X-Purpose": "户籍核查".encode().decode("latin-1")})
    assert read.status_code == 200, read.text
    return {"with_bundle": ids[0], "without": ids[1], "names": list(NAMES),
            "bundle_id": bundle_id,
            "veteran_token": system["token"](["veteran"], "portal-vet-1", veteran_id=ids[0]),
            "police_token": system["token"](["department"], "gongan-portal",
                                            department="public_security")}


def test_the_sign_in_page_and_its_error_state_are_accessible(system, people):
    run(system, people, "sign_in_page")


def test_the_veterans_page_shows_their_file_bundle_and_who_read_it(system, people):
    run(system, people, "populated")


def test_the_empty_and_error_states_are_accessible(system, people):
    run(system, people, "empty_and_error")


def test_the_veterans_page_works_without_javascript(system, people):
    run(system, people, "without_javascript")


def test_a_form_posted_without_its_csrf_token_is_refused(system, people):
    run(system, people, "forged_posts")


def test_one_veteran_never_sees_anothers_file_and_staff_get_no_veteran_page(system, people):
    run(system, people, "other_veteran")


def test_opening_the_page_is_the_apis_audited_read(system, people):
    run(system, people, "sign_in_only")
    auditor = requests.Session()
    auditor.headers["Authorization"] = "Bearer " + system["token"](["auditor"], "portal-audit")
    entries = auditor.get(f"{system['base']}/api/v1/audit", timeout=15,
                          params={"actor": "portal-vet-audit"}).json()["items"]
    reads = [e for e in entries if e["action"] == "read_file"]
    assert reads and reads[0]["veteran_id"] == people["without"]
    assert reads[0]["role"] == "veteran" and "name" in reads[0]["fields"]


def test_a_screenshot_of_the_veterans_page_for_the_docs(system, people, tmp_path):
    # Written to docs/ only when asked (VETLIFE_PORTAL_SCREENSHOT=1), so a test run changes no
    # committed file.
    target = (HERE.parents[1] / "docs" / "portal-veteran.png"
              if os.environ.get("VETLIFE_PORTAL_SCREENSHOT") == "1" else tmp_path / "shot.png")
    run(system, {**people, "path": str(target)}, "screenshot")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_bundles_status_updates_live_on_the_open_page(system, people):
    run(system, people, "live")
