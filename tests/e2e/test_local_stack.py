"""make up's stack under supervisord: a process killed with kill -9 comes back, make up stays idempotent."""
import os
import subprocess
from pathlib import Path

import psycopg2
import pytest
import requests

from chassis.processes import STACK
from gateway.tokens import TokenSettings, mint
from tests.conftest import fresh_database, wait_until
from tests.factories import veteran_payload

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("VETLIFE_E2E_PORT", "8765")) + 100  # clear of other runs' e2e ports


def _own_vhost(amqp_uri: str) -> str:
    """A vhost of the stack's own: the e2e system's registry, on the test vhost, would take half
    of the stack's RPC requests from the shared queue."""
    base, _, vhost = amqp_uri.rpartition("/")
    name = f"{vhost}_stack"
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    for args in (["add_vhost", name], ["set_permissions", "-p", name, "guest", ".*", ".*", ".*"]):
        done = subprocess.run([*sudo, "rabbitmqctl", "-q", *args], capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        if done.returncode != 0 and "already_exists" not in done.stderr + done.stdout:
            pytest.fail(f"rabbitmqctl {' '.join(args)} failed: {done.stderr.strip()}")
    return f"{base}/{name}"


@pytest.fixture(scope="module")
def stack(amqp_uri, tmp_path_factory):
    amqp_uri = _own_vhost(amqp_uri)
    run_dir = tmp_path_factory.mktemp("stack")
    registry = fresh_database("vetlife_registry_stack", [])
    gateway = fresh_database("vetlife_gateway_stack", [])
    env = {**os.environ, "VETLIFE_RUN_DIR": str(run_dir), "GATEWAY_PORT": str(PORT),
           "GATEWAY_ADDRESS": "127.0.0.1", "AMQP_URI": amqp_uri,
           "REGISTRY_DATABASE_URL": registry, "GATEWAY_DATABASE_URL": gateway}
    for name in ("VETLIFE_KEY_DIR", "AUDIT_ANCHOR_PATH", "VETLIFE_JWKS_PATH",
                 "VETLIFE_SIGNING_KEY_PATH"):
        env.pop(name, None)
    up = subprocess.run(["scripts/up.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                        timeout=180)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        yield {"env": env, "run": run_dir, "registry": registry, "up": up.stdout}
    finally:
        subprocess.run(["scripts/down.sh"], cwd=ROOT, env=env, timeout=120)


def _pid(stack, name) -> int:
    out = subprocess.run([str(ROOT / ".venv/bin/supervisorctl"), "-c",
                          str(stack["run"] / "supervisord.conf"), "pid", name],
                         capture_output=True, text=True, timeout=30).stdout.strip()
    return int(out) if out.isdigit() else 0


def test_a_relay_killed_mid_burst_is_restarted_and_nothing_waits_unpublished(stack):
    settings = TokenSettings.from_env({"VETLIFE_KEY_DIR": str(stack["run"] / "keys")})
    http = requests.Session()
    http.headers["Authorization"] = "Bearer " + mint(settings, ["registry_clerk"], "stack")
    base = f"http://127.0.0.1:{PORT}/api/v1/veterans"
    first = _pid(stack, "registry-relay")
    assert first > 0
    for n in range(30):
        assert http.post(base, json=veteran_payload(), timeout=15).status_code == 201
        if n == 10:
            os.kill(first, 9)
    wait_until(lambda: _pid(stack, "registry-relay") not in (0, first), timeout=30,
               what="supervisord to restart the relay")

    def published_all():
        with psycopg2.connect(stack["registry"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT (SELECT position FROM store_head), "
                        "(SELECT position FROM checkpoints WHERE name = 'relay')")
            head, relayed = cur.fetchone()
        return head >= 30 and relayed == head

    wait_until(published_all, timeout=60, what="the restarted relay to publish every event")


def test_make_up_again_changes_nothing_that_runs(stack):
    before = {name: _pid(stack, name) for name in ("registry", "gateway")}
    again = subprocess.run(["scripts/up.sh"], cwd=ROOT, env=stack["env"], capture_output=True,
                           text=True, timeout=180)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already running" in again.stdout
    assert {name: _pid(stack, name) for name in before} == before
    status = subprocess.run(["make", "-s", "status"], cwd=ROOT, capture_output=True, text=True,
                            env=stack["env"], timeout=60)
    assert status.returncode == 0
    assert [line.split()[:2] for line in status.stdout.splitlines()] == [
        [name, "RUNNING"] for name in sorted(STACK)]
