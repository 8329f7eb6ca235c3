"""The workbench's other queues in chromium: proxy cases, 需要跟进, overdue yearly confirmations.

Data is built through the API: a disputes officer opens proxy cases for veterans of one station
and closes one. Each scenario runs in its own browser process
(tests/e2e/portal_browser_staff_more.py); a machine without chromium fails, never skips.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import wait_until
from tests.e2e.callers import run_browser, session, shanghai_today
from tests.factories import resident_id_number, veteran_payload

STATION = "黄田畈镇退役军人服务站"
PROXY_OPEN = 3


def run(system, people: dict, scenario: str) -> None:
    run_browser(system, people, "portal_browser_staff_more.py", scenario)


def _veteran(system, base: str, n: int) -> str:
    payload = veteran_payload(service_station=STATION, township="黄田畈镇",
                              id_number=resident_id_number(born=date(1980, 5, 1 + n)))
    reply = system["http"].post(f"{base}/veterans", json=payload, timeout=15)
    assert reply.status_code == 201, reply.text
    return reply.json()["veteran_id"]


@pytest.fixture(scope="module")
def people(system):
    base = f"{system['base']}/api/v1"
    officer = session(system, ["disputes_officer"], "h10-disputes")
    proxies = []
    for n in range(PROXY_OPEN + 1):
        reply = officer.post(f"{base}/disputes/proxy-cases", timeout=15, json={
            "veteran_id": _veteran(system, base, n), "service_station": STATION,
            "matter_kind": "social_insurance", "matter": f"代办养老保险关系转移接续{n}",
            "agent_kind": "militia_head", "agent": "民兵连长张伟"},
            headers={"Idempotency-Key": f"h10-proxy-{n}"})
        assert reply.status_code == 201, reply.text
        proxies.append(reply.json()["case_id"])
    closed = officer.post(f"{base}/disputes/proxy-cases/{proxies[-1]}/outcome", timeout=15,
                          json={"outcome": "completed"},
                          headers={"Idempotency-Key": "h10-proxy-close"})
    assert closed.status_code == 200, closed.text
    # A bundle whose pension insurance the department refuses: on the station's 需要跟进.
    worker = session(system, ["station_worker"], "h10-worker", stations=[STATION])
    hr = session(system, ["department"], "h10-hr", department="hr_social_security")
    veteran_id = _veteran(system, base, 20)
    form = {"veteran_id": veteran_id,
            "discharge_approved_on": (shanghai_today() - timedelta(days=10)).isoformat(),
            "rank_class": "conscript", "years_of_service": 2, "placement_mode": "self_employment"}
    submitted = worker.post(f"{base}/bundles", json=form, timeout=15,
                            headers={"Idempotency-Key": "h10-bundle"})
    assert submitted.status_code == 201, submitted.text
    bundle_id = submitted.json()["bundle_id"]

    def refused():
        reply = hr.post(f"{base}/bundles/{bundle_id}/matters/pension_insurance/outcome",
                        timeout=15, json={"outcome": "refused", "reason": "缺少参保缴费凭证",
                                          "next_step": "请到原参保地开具缴费凭证后再申请"})
        return reply.status_code == 200

    wait_until(refused, timeout=60, interval=0.5, what="the department refusing the matter")
    wait_until(lambda: any(i["bundle_id"] == bundle_id for i in worker.get(
        f"{base}/bundles/attention", timeout=15).json()["items"]), timeout=60, interval=0.5,
        what="the refusal on the attention list")
    return {"disputes": "h10-disputes", "station": STATION, "proxy_open": PROXY_OPEN,
            "proxy_step": proxies[0], "proxy_close": proxies[1], "proxy_closed": proxies[-1],
            "worker": "h10-worker", "bundle": bundle_id}


def test_proxy_case_queues_and_their_marks(system, people):
    run(system, people, "proxy_queues")


def test_a_proxy_step_works_without_javascript(system, people):
    run(system, people, "proxy_step_without_javascript")


def test_a_proxy_case_closed_with_the_keyboard_alone(system, people):
    run(system, people, "proxy_close_with_the_keyboard")


def test_the_attention_list_and_a_follow_up_without_javascript(system, people):
    run(system, people, "attention_follow_up")
