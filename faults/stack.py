"""Every process of the platform for the department drills, each killable and restartable by name."""
from __future__ import annotations

import random
import threading
import time
from datetime import date, timedelta

import requests

from chassis.clock import SYSTEM_CLOCK
from chassis.migrate import CHASSIS_MIGRATIONS, migrate, service_migrations
from chassis.processes import COMMANDS as PROCESSES
from chassis.processes import REFERENCE_DEPARTMENTS, SERVICES
from faults.bureau import Bureau
from faults.infrastructure import BASE, PrivatePostgres, PrivateRabbit
from gateway.tokens import TokenSettings, mint
from tests.factories import resident_id_number, veteran_payload

# A second disputes process: the deadline runner's claims are meant to allow replicas, so the
# deadline drill runs two at once.
DISPUTES_REPLICA = "disputes-2"
# One station for everything the drills file: a station worker's token names it.
STATION = "曹宅镇退役军人服务站"


def shanghai_today() -> date:
    return SYSTEM_CLOCK.today()


class Stack(Bureau):
    """Starts, kills and restarts every process of the platform by name, on the private instances.

    Its databases are its own (`vetlife_dept_*`), so the registry drills' thousands of files are
    not caught up by every service at start. The reference departments use the private node's
    guest user: the drills test delivery, not the broker's per-department permissions.
    """

    def __init__(self, pg: PrivatePostgres, rabbit: PrivateRabbit, gateway_port: int):
        super().__init__(pg, rabbit, gateway_port)
        self.db_urls = {service: pg.url(f"vetlife_dept_{service}") for service in SERVICES}
        self.registry_url = self.db_urls["registry"]
        self.gateway_db_url = pg.url("vetlife_dept_gateway")
        self.logs = BASE / "logs" / "departments"
        self.anchor_path = self.keys / "dept-audit-anchors.jsonl"
        self.notice_log = self.logs / "notifications.log"
        names = [*SERVICES, *(f"{s}-relay" for s in SERVICES), "gateway",
                 *(f"dept-{d}" for d in REFERENCE_DEPARTMENTS)]
        self.order = names
        self.commands = {name: PROCESSES[name] for name in names}
        self.commands[DISPUTES_REPLICA] = PROCESSES["disputes"]
        self.env.update({
            **{f"{service.upper()}_DATABASE_URL": url for service, url in self.db_urls.items()},
            "DATABASE_URL": "",
            "HR_DATABASE_URL": "", "HR_DEPARTMENT_DATABASE_URL": "",
            "GATEWAY_DATABASE_URL": self.gateway_db_url,
            "AUDIT_ANCHOR_PATH": str(self.anchor_path),
            "NOTIFY_SENDER": "local",
            "NOTIFY_LOG_PATH": str(self.notice_log),
            "VETLIFE_REFERENCE_DEPARTMENTS": "1",
            # Quick, deterministic departments: answers after a second, no refusals.
            "VETLIFE_DEPARTMENTS_DIR": str(BASE / "departments"),
            "VETLIFE_DEPT_DELAY_SECONDS": "1", "VETLIFE_DEPT_REFUSE_SHARE": "0",
            "VETLIFE_DEPT_REFUSE_MATTERS": "",
            **{f"VETLIFE_DEPT_AMQP_URI_{d.upper()}": rabbit.uri for d in REFERENCE_DEPARTMENTS},
        })

    def migrate(self) -> None:
        for service, url in self.db_urls.items():
            migrate(url, [CHASSIS_MIGRATIONS, service_migrations(service)])
        migrate(self.gateway_db_url, [service_migrations("gateway")])

    def token(self, roles: list[str], subject: str, **claims) -> dict[str, str]:
        """Request headers of one person (4 hours: longer than the drills)."""
        settings = TokenSettings.from_env(self.env)
        return {"Authorization": "Bearer " + mint(settings, roles, subject, minutes=240,
                                                  **claims)}

    def start_all(self) -> None:
        self.issue_token()
        self.logs.mkdir(parents=True, exist_ok=True)
        for name in self.order:
            self.start(name)
        self.wait_ready(timeout=300)
        if not self._watching.is_set():
            self._watching.set()
            threading.Thread(target=self._watch, name="supervisor", daemon=True).start()

    def consumers(self) -> dict[str, int]:
        """Every queue of the private node and its consumer count, in one rabbitmqctl call."""
        result = self.rabbit.ctl("-q", "list_queues", "name", "consumers", "--no-table-headers",
                                 timeout=30, check=False)
        found = {}
        for line in result.stdout.splitlines():
            parts = line.split("\t")
            if len(parts) == 2 and parts[1].isdigit():
                found[parts[0]] = int(parts[1])
        return found

    def serving(self, service: str, queues: dict[str, int] | None = None) -> bool:
        queues = self.consumers() if queues is None else queues
        return queues.get(f"rpc-{service}", 0) > 0

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        waiting = ["nothing checked yet"]
        while time.monotonic() < deadline:
            if gone := {n: c for n, c in self.exited().items() if n not in self._killed}:
                name = next(iter(gone))
                raise RuntimeError(f"{name} exited at start: {self.log_tail(name)}")
            queues = self.consumers()
            waiting = [s for s in SERVICES if not self.serving(s, queues)]
            waiting += [f"{s}-relay" for s in SERVICES
                        if "relay.started" not in self.log_tail(f"{s}-relay", 100_000)]
            waiting += [f"dept-{d}" for d in REFERENCE_DEPARTMENTS
                        if not any(q.startswith(f"dept.{d}.") and n > 0
                                   for q, n in queues.items())]
            if not self.api_answers():
                waiting.append("gateway")
            if not waiting:
                return
            time.sleep(1.0)
        raise RuntimeError(f"not ready after {timeout:.0f} s: {', '.join(waiting)}")

    def wait_serving(self, service: str, timeout: float = 120) -> float:
        """Seconds until `service` consumes its RPC queue again (after a restart)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.serving(service):
                return time.monotonic() - started
            time.sleep(0.5)
        raise RuntimeError(f"{service} did not consume rpc-{service} within {timeout:.0f} s")

    def register(self, count: int, discharged_on: date | None = None) -> list[str]:
        """File `count` veterans at the drills' station through the gateway, as a clerk; with
        `discharged_on`, young soldiers just discharged (placement's rules take them)."""
        ids = []
        http = requests.Session()
        for _ in range(count):
            for _attempt in range(20):
                overrides = {}
                if discharged_on is not None:
                    born = date(1996, 1, 1) + timedelta(days=random.randrange(1500))
                    overrides = {"id_number": resident_id_number(
                        born=born, sequence=random.randrange(999)),
                        "enlisted_on": f"{born.year + 18}-09-01",
                        "discharged_on": discharged_on.isoformat()}
                try:
                    reply = http.post(f"{self.base_url}/api/v1/veterans", headers=self.auth,
                                      json=veteran_payload(service_station=STATION, **overrides),
                                      timeout=15)
                except requests.RequestException:
                    time.sleep(1)
                    continue
                if reply.status_code == 201:
                    ids.append(reply.json()["veteran_id"])
                    break
                time.sleep(1)
            else:
                raise RuntimeError("could not register the drills' veterans")
        return ids
