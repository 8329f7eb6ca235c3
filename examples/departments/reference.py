"""A REFERENCE department system for its discharge-bundle matters: follow, read, acknowledge, answer.

What a department builds, in order (docs/bundle.md, "For a department"):

1. Follow its own matters: a durable queue in its namespace (`dept.<department>.bundle-matters`)
   bound to `bundle.events` with the routing keys `MatterRequested.<department>` and
   `MatterWithdrawn.<department>` (the broker lets it bind nothing else there), consumed with
   its own RabbitMQ user. The events carry the bundle id, the matter and its term, never whose
   it is. Deduplicate on the CloudEvent `id`.
2. Catch up after being down: `bundle.events_after` from its own checkpoint, for its two types
   (chassis/catchup_client.py), at start and every minute.
3. Read what it needs through the gateway with its own bearer token: the bundle
   (`GET /api/v1/bundles/{bundle_id}`: its own matters only, and the veteran's id), then the
   veteran's file (`GET /api/v1/veterans/{veteran_id}`: only the fields it is entitled to,
   audited, with `X-Purpose`).
4. Acknowledge at once (`POST …/matters/{matter}/outcome` `acknowledged` with its case number),
   then answer: `done` with its reference, or `refused` with the reason and what the veteran
   should do next. Every answer carries an Idempotency-Key, so a retry is never a second one.

This one answers after `delay` seconds and refuses a share of first attempts (decided by a stable
hash, so a restart decides the same; `refuse_matters` always refuses a first attempt of those
matters, for demonstrations); a second attempt is always done. Its state is a small SQLite file.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pika
import requests
import structlog

from chassis.catchup_client import CatchupError, events_after
from examples.departments.profiles import PROFILES, Profile
from gateway.tokens import TokenSettings, mint

log = structlog.get_logger("vetlife.reference_department")
EXCHANGE = "bundle.events"
OPEN = ("requested", "acknowledged", "in_progress", "overdue")
PURPOSE = "军人退役一件事 matter handling (reference system)"


def would_refuse(bundle_id: str, matter: str, attempt: int, share: float,
                 refuse_matters: frozenset[str] = frozenset()) -> bool:
    """Whether this reference refuses the matter: only first attempts, a stable share of them."""
    if attempt != 1:
        return False
    if matter in refuse_matters:
        return True
    digest = hashlib.sha256(f"{bundle_id}:{matter}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def department_uri(amqp_uri: str, department: str) -> str:
    """The broker URI with the department's own user (its password from the environment, as
    scripts/bus-users.sh sets it; the fallback is a developer machine's only)."""
    password = os.environ.get(f"VETLIFE_DEPT_PASSWORD_{department.upper()}", f"dept-{department}")
    parts = urlsplit(amqp_uri)
    host = parts.hostname or "127.0.0.1"
    netloc = f"dept-{department}:{quote(password, safe='')}@{host}:{parts.port or 5672}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


@dataclass
class Settings:
    department: str
    amqp_uri: str
    gateway: str
    state_dir: Path
    delay: float = 20.0
    refuse_share: float = 0.1
    refuse_matters: frozenset[str] = field(default_factory=frozenset)
    catch_up_every: float = 60.0

    @classmethod
    def from_env(cls, department: str, env=os.environ) -> Settings:
        port = env.get("GATEWAY_PORT", "8000")
        return cls(
            department=department,
            amqp_uri=env.get(f"VETLIFE_DEPT_AMQP_URI_{department.upper()}")
            or department_uri(env.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
                              department),
            gateway=env.get("VETLIFE_GATEWAY_URL", f"http://127.0.0.1:{port}"),
            state_dir=Path(env.get("VETLIFE_DEPARTMENTS_DIR")
                           or Path(env.get("VETLIFE_RUN_DIR", ".run")) / "departments"),
            delay=float(env.get("VETLIFE_DEPT_DELAY_SECONDS", "20")),
            refuse_share=float(env.get("VETLIFE_DEPT_REFUSE_SHARE", "0.1")),
            refuse_matters=frozenset(m.strip() for m in
                                     env.get("VETLIFE_DEPT_REFUSE_MATTERS", "").split(",")
                                     if m.strip()))


class State:
    """What the department remembers: events seen, matters to answer, the catch-up checkpoint."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.executescript("""
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY, position INTEGER);
            CREATE TABLE IF NOT EXISTS tasks (
                bundle_id TEXT NOT NULL, matter TEXT NOT NULL, attempt INTEGER NOT NULL,
                state TEXT NOT NULL, due_at REAL NOT NULL, case_number TEXT,
                last_error TEXT, PRIMARY KEY (bundle_id, matter, attempt));
            CREATE TABLE IF NOT EXISTS checkpoint (only INTEGER PRIMARY KEY, position INTEGER);
        """)

    def take(self, event: dict) -> bool:
        """Record an event once; False for one seen before (a redelivery, a catch-up repeat)."""
        cur = self.db.execute("INSERT OR IGNORE INTO seen (event_id, position) VALUES (?, ?)",
                              (event["id"], event.get("position")))
        if cur.rowcount == 0:
            return False
        data, kind = event["data"], event["type"].split(".", 1)[0]
        key = (data["bundle_id"], data["matter"], int(data["attempt"]))
        if kind == "MatterRequested":
            self.db.execute("INSERT OR IGNORE INTO tasks (bundle_id, matter, attempt, state, "
                            "due_at) VALUES (?, ?, ?, 'new', ?)", (*key, time.time()))
        elif kind == "MatterWithdrawn":
            self.db.execute("UPDATE tasks SET state = 'withdrawn' WHERE bundle_id = ? AND "
                            "matter = ? AND attempt = ?", key)
        return True

    def due(self, limit: int = 20) -> list[tuple]:
        return self.db.execute(
            "SELECT bundle_id, matter, attempt, state, case_number FROM tasks WHERE state IN "
            "('new', 'acknowledged') AND due_at <= ? ORDER BY due_at LIMIT ?",
            (time.time(), limit)).fetchall()

    def move(self, key: tuple, state: str, due_at: float | None = None,
             case_number: str | None = None, error: str | None = None) -> None:
        self.db.execute("UPDATE tasks SET state = ?, due_at = coalesce(?, due_at), "
                        "case_number = coalesce(?, case_number), last_error = ? "
                        "WHERE bundle_id = ? AND matter = ? AND attempt = ?",
                        (state, due_at, case_number, error, *key))

    def position(self) -> int:
        row = self.db.execute("SELECT position FROM checkpoint WHERE only = 1").fetchone()
        return row[0] if row else 0

    def save_position(self, position: int) -> None:
        self.db.execute("INSERT INTO checkpoint (only, position) VALUES (1, ?) ON CONFLICT (only)"
                        " DO UPDATE SET position = excluded.position", (position,))


class ReferenceDepartment:
    """One department's reference system: `run()` until stopped."""

    def __init__(self, settings: Settings, profile: Profile | None = None,
                 tokens: TokenSettings | None = None):
        self.settings = settings
        self.profile = profile or PROFILES[settings.department]
        self.state = State(settings.state_dir / f"{settings.department}.sqlite")
        self.tokens = tokens or TokenSettings.from_env()
        self.http = requests.Session()
        self._token_until = 0.0
        self.types = [f"MatterRequested.{settings.department}",
                      f"MatterWithdrawn.{settings.department}"]
        self.queue = f"dept.{settings.department}.bundle-matters"
        self._connection = None
        self._next_catch_up = 0.0
        self.stopped = False

    # -- the bus --------------------------------------------------------------------------------

    def _connect(self) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self.settings.amqp_uri))
        channel = connection.channel()
        # Never declared by a department (it may not): the bundle's relay declares it.
        channel.exchange_declare(EXCHANGE, exchange_type="topic", passive=True)
        channel.queue_declare(self.queue, durable=True)
        for routing_key in self.types:
            channel.queue_bind(self.queue, EXCHANGE, routing_key=routing_key)
        channel.basic_qos(prefetch_count=50)
        channel.basic_consume(self.queue, self._on_message)
        self._connection = connection
        log.info("department.following", department=self.settings.department, queue=self.queue)

    def _on_message(self, channel, method, properties, body) -> None:
        try:
            event = json.loads(body)
            if event.get("type") in self.types:
                self.state.take(event)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("department.unreadable_event", error=type(exc).__name__)
        channel.basic_ack(method.delivery_tag)

    def catch_up(self) -> int:
        """Read bundle.events_after from the checkpoint: what came while this system was down."""
        taken = 0
        while True:
            after = self.state.position()
            page = events_after(self.settings.amqp_uri, self.settings.department, "bundle",
                                after, 500, self.types)
            for event in page["events"]:
                taken += self.state.take(event)
            if not page["events"]:
                if page["head"] > after:
                    self.state.save_position(page["head"])
                return taken
            self.state.save_position(page["events"][-1]["position"])

    # -- the gateway ----------------------------------------------------------------------------

    def _headers(self, key: str | None = None) -> dict:
        if time.time() > self._token_until:
            token = mint(self.tokens, ["department"], f"{self.settings.department}-reference",
                         department=self.settings.department, minutes=60)
            self.http.headers["Authorization"] = f"Bearer {token}"
            self._token_until = time.time() + 50 * 60
        # HTTP headers travel as ISO-8859-1: the UTF-8 bytes, as the gateway reads them back.
        headers = {"X-Purpose": PURPOSE.encode().decode("latin-1")}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def _matter(self, bundle_id: str, matter: str) -> tuple[dict | None, str | None]:
        response = self.http.get(f"{self.settings.gateway}/api/v1/bundles/{bundle_id}",
                                 headers=self._headers(), timeout=10)
        if response.status_code == 404:
            return None, None
        response.raise_for_status()
        bundle = response.json()
        found = next((m for m in bundle["matters"] if m["matter"] == matter), None)
        return found, bundle["veteran_id"]

    def _answer(self, key: tuple, body: dict) -> int:
        bundle_id, matter, attempt = key
        response = self.http.post(
            f"{self.settings.gateway}/api/v1/bundles/{bundle_id}/matters/{matter}/outcome",
            json=body, timeout=10,
            headers=self._headers(f"{self.settings.department}-{bundle_id}-{matter}-{attempt}-"
                                  f"{body['outcome']}"))
        if response.status_code >= 500:
            response.raise_for_status()
        return response.status_code

    def _case_number(self, key: tuple) -> str:
        digest = hashlib.sha256(":".join(map(str, key)).encode()).hexdigest()[:6]
        return f"{self.profile.prefix}-{datetime.now(UTC):%Y%m%d}-{digest}"

    def work(self) -> int:
        """Acknowledge what is new, answer what is due; a failed call waits and is tried again."""
        handled = 0
        for bundle_id, matter, attempt, state, case_number in self.state.due():
            key = (bundle_id, matter, attempt)
            try:
                handled += self._work_one(key, state, case_number)
            except requests.RequestException as exc:
                self.state.move(key, state, due_at=time.time() + 10,
                                error=f"{type(exc).__name__}")
                log.warning("department.gateway_unavailable", error=type(exc).__name__)
        return handled

    def _work_one(self, key: tuple, state: str, case_number: str | None) -> int:
        bundle_id, matter, attempt = key
        found, veteran_id = self._matter(bundle_id, matter)
        if found is None or found["attempt"] != attempt or found["status"] not in OPEN:
            self.state.move(key, "skipped")  # withdrawn, answered, or asked again since
            return 0
        if state == "new":
            # The fields this department is entitled to, read when the work needs them (and
            # never kept here): the gateway records the read on the veteran's access log.
            file = self.http.get(f"{self.settings.gateway}/api/v1/veterans/{veteran_id}",
                                 headers=self._headers(), timeout=10)
            file.raise_for_status()
            shown = sorted(k for k in file.json() if k not in ("withheld", "veteran_id",
                                                                "version"))
            case_number = self._case_number(key)
            self._answer(key, {"outcome": "acknowledged", "reference": case_number})
            self.state.move(key, "acknowledged", due_at=time.time() + self.settings.delay,
                            case_number=case_number)
            log.info("department.acknowledged", department=self.settings.department,
                     bundle_id=bundle_id, matter=matter, attempt=attempt, fields_read=shown)
            return 1
        if would_refuse(bundle_id, matter, attempt, self.settings.refuse_share,
                        self.settings.refuse_matters):
            reason, next_step = self.profile.refusal(matter)
            status = self._answer(key, {"outcome": "refused", "reason": reason,
                                        "next_step": next_step})
        else:
            status = self._answer(key, {"outcome": "done", "reference": case_number})
        self.state.move(key, "answered" if status < 400 else "skipped",
                        error=None if status < 400 else f"HTTP {status}")
        log.info("department.answered", department=self.settings.department,
                 bundle_id=bundle_id, matter=matter, attempt=attempt, status=status)
        return 1

    # -- the loop -------------------------------------------------------------------------------

    def run_once(self) -> None:
        if self._connection is None or not self._connection.is_open:
            self._connection = None
            self._connect()
        self._connection.process_data_events(time_limit=1.0)
        if time.time() >= self._next_catch_up:
            try:
                self.catch_up()
            except (CatchupError, TimeoutError, pika.exceptions.AMQPError) as exc:
                # The bundle service may be down: the bus still brings what is new, and the
                # next round reads what was missed.
                log.warning("department.catch_up_failed", error=f"{type(exc).__name__}: "
                            f"{str(exc)[:200]}")
            self._next_catch_up = time.time() + self.settings.catch_up_every
        self.work()

    def run(self) -> None:
        while not self.stopped:
            try:
                self.run_once()
            except (pika.exceptions.AMQPError, OSError) as exc:
                # The broker away, or bundle.events not declared yet (its relay starting).
                log.warning("department.bus_unavailable", department=self.settings.department,
                            error=type(exc).__name__)
                self._connection = None
                time.sleep(2)
        if self._connection is not None and self._connection.is_open:
            self._connection.close()
