"""The whole system as real processes (registry, its relay, the gateway) on a test port and vhost."""
import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.processes import COMMANDS, stop
from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("VETLIFE_E2E_PORT", "8765"))


# Package scope: the processes stop when the e2e tests end, before other tests share the vhost.
@pytest.fixture(scope="package")
def system(amqp_uri, tmp_path_factory):
    """Starts the processes as `make up` does, with their logs in files the tests can read."""
    logs = tmp_path_factory.mktemp("logs")
    db_url = fresh_database("vetlife_registry_e2e",
                            [CHASSIS_MIGRATIONS, service_migrations("registry")])
    env = {**os.environ, "AMQP_URI": amqp_uri, "REGISTRY_DATABASE_URL": db_url,
           "GATEWAY_PORT": str(PORT), "GATEWAY_ADDRESS": "127.0.0.1", "PYTHONPATH": str(ROOT)}
    processes = {
        name: subprocess.Popen(COMMANDS[name], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL,
                               stderr=open(logs / f"{name}.log", "wb"))
        for name in ("registry", "registry-relay", "gateway")
    }
    base = f"http://127.0.0.1:{PORT}"
    try:
        _wait_ready(base, processes, logs)
        yield {"base": base, "logs": logs, "processes": processes, "db_url": db_url}
    finally:
        stop(processes.values())


def _wait_ready(base, processes, logs):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                pytest.fail(f"{name} exited: {(logs / f'{name}.log').read_text()[-2000:]}")
        try:
            # The list answers only when the gateway and the registry behind it are both up.
            if requests.get(f"{base}/api/v1/veterans", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    pytest.fail("the system did not become ready within 60 s")
