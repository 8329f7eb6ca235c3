"""The veteran's own applications on the portal, in a real browser: relief, an offered pension, the bundle.

Each flow runs with JavaScript off (plain form posts) and reaches the confirmation page; relief
also with JavaScript on, to the same page. Every page of the flows is checked with axe-core
(empty, error and confirmation states), every request stays on our origin (tests/e2e/
portal_browser.py's Visit), and what the pages did is then read back through the API: one
application per form however often it is sent, written as the veteran.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.conftest import wait_until
from tests.e2e.callers import run_browser, session, shanghai_today
from tests.factories import veteran_payload

STATION = "孝顺镇退役军人服务站"
ROLES = ("relief_nojs", "relief_js", "relief_twice", "offered_nojs", "offered_js", "bundle_nojs",
         "bundle_js")
OFFERED = ("offered_nojs", "offered_js")


def run(system, people: dict, scenario: str) -> str:
    return run_browser(system, people, "portal_browser_veteran.py", scenario)


@pytest.fixture(scope="module")
def people(system):
    """A veteran with a file for each flow; the one offered a pension has a martyr's tie on file."""
    base = f"{system['base']}/api/v1"
    ids = {}
    for role in ROLES:
        reply = system["http"].post(f"{base}/veterans", timeout=15,
                                    json=veteran_payload(service_station=STATION))
        assert reply.status_code == 201, reply.text
        ids[role] = reply.json()["veteran_id"]
    for role in OFFERED:
        tie = system["http"].post(f"{base}/veterans/{ids[role]}/survivor-ties", timeout=15,
                                  json={"tie": "martyr", "fallen_name": "王建国",
                                        "relation": "father"})
        assert tie.status_code == 200, tie.text
    # A petition lodged for two of them: their 我的事项 lists it beside their relief.
    officer = session(system, ["disputes_officer"], "portal-flows-disputes")
    for role in ("relief_nojs", "relief_js"):
        lodged = officer.post(f"{base}/disputes/petitions", timeout=15, json={
            "veteran_id": ids[role], "service_station": STATION, "channel": "letter",
            "petitioner_kind": "veteran", "petitioner_name": "张卫东",
            "petitioner_phone": "13905791234", "category": "social_insurance",
            "request": "请求核实养老保险缴费年限。", "facts": "转业后工龄认定有误。"})
        assert lodged.status_code == 201, lodged.text
    worker = session(system, ["station_worker"], "portal-flows-worker", stations=[STATION])

    def offered():
        listed = worker.get(f"{base}/benefits/offers", timeout=15, params={"state": "open"})
        return {o["veteran_id"] for o in listed.json()["items"]
                if o["kind"] == "survivors_pension"} >= {ids[role] for role in OFFERED}

    wait_until(offered, timeout=30, what="the survivors' pension offers")
    return {**ids, "station": STATION, "approved_on": (shanghai_today() - timedelta(days=3)).isoformat()}


def _relief_of(system, veteran_id: str) -> list[dict]:
    worker = session(system, ["station_worker"], "portal-flows-reader", stations=[STATION])
    listed = worker.get(f"{system['base']}/api/v1/benefits/veterans/{veteran_id}", timeout=15)
    assert listed.status_code == 200, listed.text
    return listed.json()["relief"]


def test_relief_applied_for_without_javascript_reaches_the_confirmation(system, people):
    run(system, people, "relief_without_javascript")
    [relief] = _relief_of(system, people["relief_nojs"])
    assert (relief["trigger"], relief["amount_asked_fen"], relief["state"]) == (
        "illness", 300_000, "applied")


def test_with_javascript_the_same_flow_reaches_the_same_confirmation(system, people):
    # The scenario checks the same titles, headings and 我的申请 row as without JavaScript.
    out = run(system, people, "relief_with_javascript")
    page = json.loads(out.splitlines()[0])["confirmation"]
    [relief] = _relief_of(system, people["relief_js"])
    assert page.endswith(f"/relief/{relief['application_id']}")


def test_the_submit_form_sent_twice_makes_one_application(system, people):
    run(system, people, "relief_sent_twice")
    assert len(_relief_of(system, people["relief_twice"])) == 1


@pytest.mark.parametrize("mode", ["without_javascript", "with_javascript"])
def test_an_offered_pension_is_answered_from_the_page(system, people, mode):
    run(system, people, f"offer_{mode}")
    who = people["offered_nojs" if mode == "without_javascript" else "offered_js"]
    worker = session(system, ["station_worker"], "portal-flows-offers", stations=[STATION])
    offers = worker.get(f"{system['base']}/api/v1/benefits/veterans/{who}",
                        timeout=15).json()["offers"]
    pension = next(o for o in offers if o["kind"] == "survivors_pension")
    assert pension["state"] == "confirmed"


@pytest.mark.parametrize("mode", ["without_javascript", "with_javascript"])
def test_the_discharge_bundle_is_submitted_from_the_page(system, people, mode):
    run(system, people, f"bundle_{mode}")
    who = people["bundle_nojs" if mode == "without_javascript" else "bundle_js"]
    soldier = session(system, ["veteran"], "portal-flows-bundle", veteran_id=who)
    [bundle] = soldier.get(f"{system['base']}/api/v1/bundles", timeout=15).json()["items"]
    card = next(m for m in soldier.get(f"{system['base']}/api/v1/bundles/{bundle['bundle_id']}",
                                       timeout=15).json()["matters"] if m["matter"] == "card")
    assert card["status"] == "left_out" and card["reason"] == "到服务站现场申领"


def test_a_staff_members_read_shows_on_the_veterans_access_log(system, people):
    run(system, people, "staff_read_on_the_log")
