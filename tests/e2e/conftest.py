"""The whole system as real processes (registry, its relay, the gateway) on a test port and vhost."""
import functools
import os
import subprocess
import time
from pathlib import Path

import pika
import pytest
import requests

from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.processes import COMMANDS, SERVICES, STACK, stop
from gateway.tokens import TokenSettings, ensure_signing_key, mint
from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("VETLIFE_E2E_PORT", "8765"))
# Every service, relay, reference department and the gateway start at once: on a loaded
# 2-core machine that takes well over a minute.
READY_SECONDS = 240


# Package scope: the processes stop when the e2e tests end, before other tests share the vhost.
@pytest.fixture(scope="package")
def system(amqp_uri, tmp_path_factory):
    """Starts the processes as `make up` does, with their logs in files the tests can read."""
    logs = tmp_path_factory.mktemp("logs")
    keys = tmp_path_factory.mktemp("keys")
    databases = {service: fresh_database(f"vetlife_{service}_e2e",
                                         [CHASSIS_MIGRATIONS, service_migrations(service)])
                 for service in SERVICES}
    db_url = databases["registry"]
    gateway_db_url = fresh_database("vetlife_gateway_e2e", [service_migrations("gateway")])
    env = {**os.environ, "AMQP_URI": amqp_uri,
           **{f"{service.upper()}_DATABASE_URL": url for service, url in databases.items()},
           "GATEWAY_DATABASE_URL": gateway_db_url, "VETLIFE_KEY_DIR": str(keys),
           "AUDIT_ANCHOR_PATH": str(keys / "audit-anchors.jsonl"),
           "GATEWAY_PORT": str(PORT), "GATEWAY_ADDRESS": "127.0.0.1", "PYTHONPATH": str(ROOT),
           # The reference departments (examples/departments): quick, no random refusals, the
           # first household registration refused (tests/e2e/test_bundle_over_http.py).
           "VETLIFE_DEPARTMENTS_DIR": str(tmp_path_factory.mktemp("departments")),
           "VETLIFE_DEPT_DELAY_SECONDS": "1", "VETLIFE_DEPT_REFUSE_SHARE": "0",
           "VETLIFE_DEPT_REFUSE_MATTERS": "household_registration",
           "NOTIFY_LOG_PATH": str(logs / "notifications.log")}
    for name in ("VETLIFE_JWKS_URL", "VETLIFE_JWKS_PATH", "VETLIFE_SIGNING_KEY_PATH",
                 "VETLIFE_TOKEN_ISSUER", "VETLIFE_TOKEN_AUDIENCE"):
        env.pop(name, None)
    settings = TokenSettings.from_env(env)
    ensure_signing_key(settings)
    token = functools.partial(mint, settings)
    processes = {
        name: subprocess.Popen(COMMANDS[name], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL,
                               stderr=open(logs / f"{name}.log", "wb"))
        for name in STACK
    }
    base = f"http://127.0.0.1:{PORT}"
    try:
        clerk = requests.Session()
        clerk.headers["Authorization"] = "Bearer " + token(["registry_clerk"], "clerk-e2e",
                                                          minutes=240)
        _wait_ready(base, processes, logs, clerk)
        _wait_consuming(amqp_uri, processes, logs)
        yield {"base": base, "logs": logs, "processes": processes, "db_url": db_url,
               "databases": databases,
               "gateway_db_url": gateway_db_url, "anchors": keys / "audit-anchors.jsonl",
               "token": token, "http": clerk}
    finally:
        stop(processes.values())


def _wait_consuming(amqp_uri, processes, logs):
    """Every service answers RPC: the gateway's first call to a service still starting would be
    a 503 (the registry answering says nothing about the others)."""
    deadline = time.monotonic() + READY_SECONDS
    waiting = set(SERVICES)
    while waiting and time.monotonic() < deadline:
        connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        try:
            for service in sorted(waiting):
                if processes[service].poll() is not None:
                    pytest.fail(f"{service} exited: "
                                f"{(logs / f'{service}.log').read_text()[-2000:]}")
                channel = connection.channel()
                try:
                    queue = channel.queue_declare(f"rpc-{service}", passive=True)
                except pika.exceptions.ChannelClosedByBroker:
                    continue  # not declared yet
                if queue.method.consumer_count:
                    waiting.discard(service)
        finally:
            connection.close()
        time.sleep(0.3)
    if waiting:
        pytest.fail(f"{', '.join(sorted(waiting))} did not start consuming within {READY_SECONDS} s")


def _wait_ready(base, processes, logs, http):
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                pytest.fail(f"{name} exited: {(logs / f'{name}.log').read_text()[-2000:]}")
        try:
            # The list answers only when the gateway and the registry behind it are both up.
            if http.get(f"{base}/api/v1/veterans", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    pytest.fail(f"the system did not become ready within {READY_SECONDS} s")
