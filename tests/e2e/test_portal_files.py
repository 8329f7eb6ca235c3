"""The staff's veteran files and imports in a real browser: register, amend, list, import.

Register through check-answers with JavaScript off and with the keyboard alone; the error states
(nothing filled in, a bad check character, an ID number already on file); amend with If-Match
and a 409 when someone else changed the file meanwhile; the paged list; an import with bad rows
(行号, 错误原因), its error file, then the good rows imported. axe-core finds 0 violations on every
page, every request stays on our origin and no ID number is in any URL the browser asked for.
The browser runs in its own process (tests/e2e/portal_browser_files.py); no chromium fails.
"""
from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.callers import run_browser
from tests.factories import unique_id_number, veteran_payload

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# The list's files are at one station; what the browser registers goes to another.
STATION = "孝顺镇退役军人服务站"
BROWSER_STATION = "曹宅镇退役军人服务站"
AT_STATION = 17
# What the form's fields take: the payload's own values (the optional sex and birth date left
# out, as a clerk may leave them).
FORM_FIELDS = ("name", "id_number", "phone", "address", "township", "service_station",
               "enlisted_on", "discharged_on", "branch", "rank", "discharge_category")


def run(system, people: dict, scenario: str) -> None:
    run_browser(system, people, "portal_browser_files.py", scenario)


def _answers(station=BROWSER_STATION, **overrides) -> dict:
    payload = veteran_payload(service_station=station, township=station[:3],
                              phone="13812345678", **overrides)
    return {name: payload[name] for name in FORM_FIELDS}


def _bad_check_character(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


@pytest.fixture(scope="module")
def people(system, tmp_path_factory):
    """Files at one station (more than a page of the list), made through the API, and a
    spreadsheet with bad rows made by vetlife-sample."""
    base = f"{system['base']}/api/v1"
    clerk = system["http"]
    ids = []
    existing = _answers(STATION, name="赵国庆")
    for n in range(AT_STATION):
        answers = existing if n == 0 else _answers(STATION)
        reply = clerk.post(f"{base}/veterans", timeout=15, json=answers)
        assert reply.status_code == 201, reply.text
        ids.append(reply.json()["veteran_id"])
    sample = tmp_path_factory.mktemp("import") / "存量档案.csv"
    made = subprocess.run([str(Path(sys.executable).parent / "vetlife-sample"), "veterans", "12",
                           "--bad-share", "0.25", "--seed", "11", "--out", str(sample)],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    with sample.open(encoding="utf-8-sig") as rows:
        body = list(csv.DictReader(rows))
    bad = _answers(name="钱学军")
    bad["id_number"] = _bad_check_character(bad["id_number"])
    return {
        "existing": ids[0], "existing_answers": existing, "station": STATION,
        "at_station": AT_STATION,
        "new_veteran": _answers(name="孙建华"), "keyboard_veteran": _answers(name="周卫东"),
        "shot_veteran": _answers(name="吴志刚", id_number=unique_id_number()),
        "bad_veteran": bad,
        "clerk_token": system["token"](["registry_clerk"], "clerk-elsewhere"),
        "sample": str(sample), "sample_rows": len(body),
        # vetlife-sample says how many rows it made bad ("12 rows, 3 deliberately bad").
        "sample_bad": int(re.search(r"(\d+) deliberately bad", made.stdout).group(1)),
    }


def test_registering_without_javascript_goes_through_check_answers(system, people):
    run(system, people, "register_without_javascript")


def test_registering_with_the_keyboard_alone(system, people):
    run(system, people, "register_with_the_keyboard")


def test_error_states_are_explained_and_other_roles_refused(system, people):
    run(system, people, "error_states")


def test_amending_with_if_match_explains_a_conflict(system, people):
    run(system, people, "amend_with_a_conflict")


def test_the_list_pages_on_the_server(system, people):
    run(system, people, "veteran_list")


def test_importing_a_file_with_bad_rows(system, people):
    run(system, people, "import_a_file")
    # The good rows are files now, each registered once.
    clerk = system["http"]
    listed = clerk.get(f"{system['base']}/api/v1/veterans", timeout=15,
                       params={"page_size": "200"}).json()
    assert listed["total"] >= AT_STATION + 2 + people["sample_rows"] - people["sample_bad"]


def test_a_screenshot_of_the_check_answers_page_for_the_docs(system, people, tmp_path):
    # Written to docs/ only when asked (VETLIFE_PORTAL_SCREENSHOT=1), so a run changes no file.
    target = (ROOT / "docs" / "portal-register.png"
              if os.environ.get("VETLIFE_PORTAL_SCREENSHOT") == "1" else tmp_path / "shot.png")
    run(system, {**people, "path": str(target)}, "screenshot")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_role_without_the_page_gets_nothing_from_a_forged_post(system, people):
    """A veteran's session posting the registration form (with a valid CSRF pair) is refused
    before anything is sent to the API."""
    session = requests.Session()
    session.get(f"{system['base']}/signin", timeout=15)
    csrf = session.cookies["vetlife_csrf"]
    session.post(f"{system['base']}/signin", timeout=15, data={
        "role": "veteran", "subject": "portal-vet-forger", "veteran_id": people["existing"],
        "csrf_token": csrf})
    answers = _answers(name="冒名者")
    reply = session.post(f"{system['base']}/staff/veterans/new", timeout=15, allow_redirects=False,
                         data={**answers, "csrf_token": csrf, "step": "confirm",
                               "idempotency_key": "portal-forged-1"})
    assert reply.status_code == 403
    clerk = system["http"]
    listed = clerk.get(f"{system['base']}/api/v1/veterans", timeout=15,
                       params={"page_size": "200"}).json()["items"]
    assert "冒名者" not in {item["name"] for item in listed}
