"""What the end-to-end tests share: a caller's session, the bureau's today, a browser scenario's run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import requests

from chassis.clock import SYSTEM_CLOCK


def session(system, roles, subject, **claims) -> requests.Session:
    """An HTTP session carrying a token for `roles` as `subject` (the system fixture mints it)."""
    http = requests.Session()
    http.headers["Authorization"] = "Bearer " + system["token"](roles, subject, **claims)
    return http


def shanghai_today() -> date:
    """Today in Asia/Shanghai, the day the services count from."""
    return SYSTEM_CLOCK.today()


CHROMIUM = "/usr/bin/chromium"
# One browser scenario's whole run, sign-in included, on a loaded 2-core machine.
SCENARIO_SECONDS = 300


def run_browser(system, people: dict, script: str, scenario: str) -> str:
    """Run one scenario of tests/e2e/<script> (a portal_browser_*.py module) in its own process:
    Playwright's sync API hangs under the eventlet patching this test session needs. A machine
    without chromium fails, never skips. Returns what the scenario printed."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no browser at {CHROMIUM}: run scripts/infra.sh --test-vhost (make test "
                    "does), which installs Debian's chromium")
    here = Path(__file__).resolve().parent
    done = subprocess.run(
        [sys.executable, str(here / script), scenario,
         json.dumps({"base": system["base"], "people": people}, ensure_ascii=False)],
        capture_output=True, text=True, timeout=SCENARIO_SECONDS,
        env={**os.environ, "PYTHONPATH": str(here.parents[1])})
    assert done.returncode == 0, f"{scenario} failed:\n{done.stderr[-6000:]}"
    assert done.stdout.strip().endswith(f"{scenario}: ok")
    return done.stdout
