"""The bureau's processes under drill: registry, relay, gateway and HR's subscriber, as real subprocesses."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from chassis.migrate import CHASSIS_MIGRATIONS, migrate, service_migrations
from chassis.processes import COMMANDS as PROCESSES
from faults.infrastructure import BASE, PrivatePostgres, PrivateRabbit
from faults.portal import PORTAL_SUBJECT
from gateway.tokens import TokenSettings, ensure_signing_key, mint

ROOT = Path(__file__).resolve().parents[1]
HR_QUEUE = "evt-registry-VeteranRegistered--hr_department.on_veteran_registered"

COMMANDS = {"registry": PROCESSES["registry"], "relay": PROCESSES["registry-relay"],
            "gateway": PROCESSES["gateway"], "hr_department": PROCESSES["hr_department"]}


@dataclass(frozen=True)
class Crash:
    """A process that ended without a drill killing it."""

    name: str
    at: float
    returncode: int
    last_words: str


class Bureau:
    """Starts, kills and restarts the bureau's processes, all pointed at the private instances.

    Like the deployment's supervisor (Kubernetes restarts a pod whose process exits), a watchdog
    restarts any process that ends by itself; each such crash is recorded, since "service
    resumes by itself" means no process should need it.
    """

    def __init__(self, pg: PrivatePostgres, rabbit: PrivateRabbit, gateway_port: int):
        self.pg = pg
        self.rabbit = rabbit
        self.gateway_port = gateway_port
        self.base_url = f"http://127.0.0.1:{gateway_port}"
        self.registry_url = pg.url("vetlife_registry")
        self.hr_url = pg.url("vetlife_hr_department")
        self.gateway_db_url = pg.url("vetlife_gateway")
        self.logs = BASE / "logs"
        # The drills' own signing key and audit anchors: a key or anchor file of `make up`'s
        # (.run/) is never read or written.
        self.keys = BASE / "keys"
        self.anchor_path = self.keys / "audit-anchors.jsonl"
        # Request headers of a registry clerk (the portal's and the readiness checks'); set once
        # the signing key exists (start_all).
        self.auth: dict[str, str] = {}
        self.processes: dict[str, subprocess.Popen] = {}
        # What each name starts; the department drills' stack (faults/stack.py) adds its own.
        self.commands: dict[str, list[str]] = dict(COMMANDS)
        self.crashes: list[Crash] = []
        self._lock = threading.RLock()
        self._killed: set[str] = set()
        self._watching = threading.Event()
        # Every variable a process could read the shared instances from is set explicitly, so
        # nothing here can reach the shared PostgreSQL or RabbitMQ by falling back to a default.
        self.env = {
            **os.environ,
            "AMQP_URI": rabbit.uri,
            "REGISTRY_DATABASE_URL": self.registry_url,
            "HR_DATABASE_URL": self.hr_url,
            "HR_DEPARTMENT_DATABASE_URL": self.hr_url,
            "DATABASE_URL": self.hr_url,
            "GATEWAY_DATABASE_URL": self.gateway_db_url,
            "AUDIT_ANCHOR_PATH": str(self.anchor_path),
            # Tokens verify against this run's key only: no JWKS URL, no key path from outside.
            "VETLIFE_KEY_DIR": str(self.keys),
            "VETLIFE_JWKS_URL": "",
            "VETLIFE_JWKS_PATH": str(self.keys / "jwks.json"),
            "VETLIFE_SIGNING_KEY_PATH": str(self.keys / "signing-key.pem"),
            "VETLIFE_TOKEN_ISSUER": "vetlife-faults",
            "VETLIFE_TOKEN_AUDIENCE": "vetlife-gateway",
            "GATEWAY_PORT": str(gateway_port),
            "GATEWAY_ADDRESS": "127.0.0.1",
            "PYTHONPATH": str(ROOT),
            "LOG_LEVEL": "INFO",
        }

    def migrate(self) -> None:
        migrate(self.registry_url, [CHASSIS_MIGRATIONS, service_migrations("registry")])
        migrate(self.hr_url, [CHASSIS_MIGRATIONS, service_migrations("hr_department")])
        migrate(self.gateway_db_url, [service_migrations("gateway")])

    def issue_token(self) -> None:
        """Create this run's signing key and a registry clerk's token for the portal (4 hours:
        longer than a whole run, so no drill fails on an expired token)."""
        settings = TokenSettings.from_env(self.env)
        ensure_signing_key(settings)
        token = mint(settings, ["registry_clerk"], PORTAL_SUBJECT, minutes=240)
        self.auth = {"Authorization": f"Bearer {token}"}

    def start(self, name: str) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        with self._lock:
            # Appended, so a restarted process's log follows its killed predecessor's.
            with open(self.logs / f"{name}.log", "ab") as log:
                self.processes[name] = subprocess.Popen(
                    self.commands[name], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                    stderr=log, start_new_session=True,
                )
            self._killed.discard(name)

    def start_all(self) -> None:
        self.issue_token()
        for name in ("registry", "relay", "hr_department", "gateway"):
            self.start(name)
        self.wait_ready()
        self._watching.set()
        threading.Thread(target=self._watch, name="supervisor", daemon=True).start()

    def _watch(self) -> None:
        while self._watching.is_set():
            with self._lock:
                for name, process in list(self.processes.items()):
                    if name in self._killed or process.poll() is None:
                        continue
                    self.crashes.append(Crash(name, time.time(), process.returncode,
                                              self.log_tail(name, 400)))
                    self.start(name)
            time.sleep(0.5)

    def take_crashes(self) -> list[Crash]:
        with self._lock:
            crashes, self.crashes = self.crashes, []
        return crashes

    def kill(self, name: str) -> None:
        """kill -9: no shutdown hooks, no acks, no goodbye to the broker."""
        with self._lock:
            self._killed.add(name)
            process = self.processes[name]
            process.send_signal(signal.SIGKILL)
        process.wait(10)

    def suspend(self, name: str) -> None:
        self.processes[name].send_signal(signal.SIGSTOP)

    def resume(self, name: str) -> None:
        self.processes[name].send_signal(signal.SIGCONT)

    def exited(self) -> dict[str, int]:
        return {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}

    def log_tail(self, name: str, chars: int = 1500) -> str:
        try:
            return (self.logs / f"{name}.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def api_answers(self) -> bool:
        try:
            # The list answers 200 only when the token verifies, the registry behind the gateway
            # is up and the audit log takes the read.
            return requests.get(f"{self.base_url}/api/v1/veterans", headers=self.auth,
                                timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if gone := self.exited():
                name = next(iter(gone))
                raise RuntimeError(f"{name} exited at start: {self.log_tail(name)}")
            if self.api_answers() and self.rabbit.consumers(HR_QUEUE) > 0 and \
                    "relay.started" in self.log_tail("relay", 100_000):
                return
            time.sleep(0.5)
        raise RuntimeError("the bureau's processes did not become ready in time")

    def stop_all(self) -> None:
        self._watching.clear()
        with self._lock:
            self._killed.update(self.processes)
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.kill(process.pid, signal.SIGCONT)  # a suspended relay cannot stop
                    process.terminate()
                except ProcessLookupError:
                    pass
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
