"""The whole platform for the department rows: every service, its relay, the gateway, registered veterans."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pika
import requests

from bench import paths
from chassis.migrate import CHASSIS_MIGRATIONS, migrate, service_migrations
from chassis.processes import COMMANDS, SERVICES

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Every service and relay starting at once on two cores takes a while (tests/e2e/conftest.py).
READY_SECONDS = 240
# The station the bench's veterans are registered at (bench.data.registration_requests).
STATION = "多湖街道退役军人服务站"


def fresh(pg: str, name: str, *services: str, chassis: bool = True) -> str:
    """A new, migrated database; the gateway's holds only its own tables (chassis=False)."""
    admin = paths.connect(f"{pg}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()
    url = f"{pg}/{name}"
    migrate(url, [*([CHASSIS_MIGRATIONS] if chassis else []),
                  *[service_migrations(s) for s in services]])
    return url


def databases(pg: str) -> dict[str, str]:
    """A fresh database per service, the gateway's, and one for the ceiling's audit log."""
    urls = {service: fresh(pg, f"vetlife_bench_dept_{service}", service) for service in SERVICES}
    urls["gateway"] = fresh(pg, "vetlife_bench_dept_gateway", "gateway", chassis=False)
    urls["noop_audit"] = fresh(pg, "vetlife_bench_noop_audit", "gateway", chassis=False)
    return urls


def environment(base_env: dict, urls: dict[str, str], keys: Path) -> dict:
    return {**base_env,
            **{f"{service.upper()}_DATABASE_URL": urls[service] for service in SERVICES},
            "GATEWAY_DATABASE_URL": urls["gateway"],
            "NOOP_AUDIT_DATABASE_URL": urls["noop_audit"],
            "NOOP_AUDIT_ANCHOR_PATH": str(keys / "noop-audit-anchors.jsonl"),
            # The bundle's notices go to a file, as make up's do.
            "NOTIFY_SENDER": "local", "NOTIFY_LOG_PATH": str(keys.parent / "notifications.log")}


def start(env: dict, logs: Path) -> dict[str, subprocess.Popen]:
    """Every service and relay and the gateway as make up runs them (not the reference
    departments: the other departments' systems are not ours and do not run beside us), and the
    ceilings: the no-op RPC service and the no-op command behind the gateway's entrypoint."""
    logs.mkdir(parents=True, exist_ok=True)
    names = [*SERVICES, *(f"{s}-relay" for s in SERVICES), "gateway"]
    commands = {name: COMMANDS[name] for name in names}
    commands["noop_rpc"] = [str(BIN / "nameko"), "run", "--config", "bench/noop.yaml",
                            "bench.noop:NoopRpc"]
    commands["noop_command"] = [str(BIN / "nameko"), "run", "--config",
                                "bench/noop_command.yaml", "bench.noop:NoopCommand"]
    return {name: subprocess.Popen([str(c) for c in command], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL,
                                   stderr=open(logs / f"dept-{name}.log", "wb"))
            for name, command in commands.items()}


def wait_consuming(amqp_uri: str, processes: dict, services=(*SERVICES, "noop_rpc")) -> None:
    """Until every service consumes its RPC queue: the gateway's first call to one still
    starting would be a 503."""
    deadline = time.monotonic() + READY_SECONDS
    waiting = set(services)
    while waiting and time.monotonic() < deadline:
        for name in waiting:
            if processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited; see bench/results/logs/dept-{name}.log")
        connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        try:
            for name in sorted(waiting):
                channel = connection.channel()
                try:
                    queue = channel.queue_declare(f"rpc-{name}", passive=True)
                except pika.exceptions.ChannelClosedByBroker:
                    continue
                if queue.method.consumer_count:
                    waiting.discard(name)
        finally:
            connection.close()
        time.sleep(0.5)
    if waiting:
        raise RuntimeError(f"{', '.join(sorted(waiting))} did not consume within "
                           f"{READY_SECONDS} s; see bench/results/logs/")


def register(url: str, bodies: list[str], headers: dict, clients: int = 8) -> list[str]:
    """Registers one veteran per body through the gateway (untimed); their ids, in order."""
    return register_with(url, bodies, headers, "veteran_id", clients)


def register_with(url: str, bodies: list, headers: dict, key: str, clients: int = 8) -> list[str]:
    """POSTs each body (JSON text or a dict) through the gateway, untimed; the `key` of each
    answer, in order."""
    headers = {"Content-Type": "application/json", **headers}

    def one(body) -> str:
        if not isinstance(body, str):
            body = json.dumps(body, ensure_ascii=False)
        for _ in range(20):  # a 503 while the server's connection slots are taken: again
            answer = requests.post(url, data=body.encode(), timeout=30,
                                   headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
            if answer.status_code != 503:
                break
            time.sleep(1.0)
        if answer.status_code != 201:
            raise RuntimeError(f"POST {url}: {answer.status_code} {answer.text[:200]}")
        return answer.json()[key]

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, bodies))


# What each service keeps of a veteran from the registry's events, and where.
FOLLOWERS = {"placement": "registry_facts", "benefits": "benefit_veterans",
             "bundle": "bundle_veterans"}


def wait_followed(urls: dict[str, str], ids: list[str], services, seconds: float = 300) -> None:
    """Until each service has heard of every veteran in `ids` from the registry's events."""
    deadline = time.monotonic() + seconds
    for service in services:
        while True:
            with paths.connect(urls[service]) as conn, conn.cursor() as cur:
                cur.execute(f"SELECT count(*) FROM {FOLLOWERS[service]} "
                            "WHERE veteran_id = ANY(%s)", (ids,))
                known = cur.fetchone()[0]
            conn.close()
            if known == len(ids):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{service} knows {known} of {len(ids)} veterans after "
                                   f"{seconds} s")
            time.sleep(1.0)
