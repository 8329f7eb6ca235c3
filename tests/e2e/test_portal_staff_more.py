"""The workbench's other queues in chromium: proxy cases, 需要跟进, overdue yearly confirmations.

Data is built through the API: a disputes officer opens proxy cases for veterans of one station
and closes one. Each scenario runs in its own browser process
(tests/e2e/portal_browser_staff_more.py); a machine without chromium fails, never skips.
"""
from __future__ import annotations

from datetime import date

import pytest

from tests.e2e.callers import run_browser, session
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
    return {"disputes": "h10-disputes", "station": STATION, "proxy_open": PROXY_OPEN,
            "proxy_step": proxies[0], "proxy_close": proxies[1], "proxy_closed": proxies[-1]}


def test_proxy_case_queues_and_their_marks(system, people):
    run(system, people, "proxy_queues")


def test_a_proxy_step_works_without_javascript(system, people):
    run(system, people, "proxy_step_without_javascript")


def test_a_proxy_case_closed_with_the_keyboard_alone(system, people):
    run(system, people, "proxy_close_with_the_keyboard")
