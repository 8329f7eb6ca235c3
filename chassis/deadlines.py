"""Durable deadlines (statutory clocks): set and met with a case's events, fired exactly once by a runner."""
from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import psycopg2
import structlog
from nameko.extensions import DependencyProvider

from chassis.clock import SHANGHAI, SYSTEM_CLOCK, Clock
from chassis.config import database_url
from chassis.days import due_at_end_of, due_day_of
from chassis.db import Database
from chassis.envelope import Metadata, NewEvent
from chassis.errors import ChassisError, StatementFailed, StoreUnavailable
from chassis.store import PostgresEventStore

log = structlog.get_logger("vetlife.deadlines")

FIRING_ACTOR = "system:deadlines"
PENDING_INDEX = "deadlines_one_pending_per_name"
# What a lost (or read-only, recovering) database raises; the runner's loop waits and tries again.
RETRYABLE = (StoreUnavailable, StatementFailed, psycopg2.Error, OSError)


class DeadlineAlreadyPending(ChassisError):
    """Raised when a deadline is set on a stream whose clock of that name is still running."""

    def __init__(self, stream_id: str, names: Sequence[str]):
        super().__init__(f"{stream_id} already has a pending deadline named "
                         f"{' or '.join(names)}: meet or cancel it in the same append first")
        self.stream_id, self.names = stream_id, tuple(names)


@dataclass(frozen=True)
class Deadline:
    """A clock to start: when `due_at` passes while it is pending, `fire_type` is appended to
    the stream with `fire_payload` as its data (valid for the service's event contract)."""

    name: str
    due_at: datetime
    fire_type: str
    fire_payload: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if not self.name or "\x1f" in self.name:
            raise ValueError("a deadline needs a name (no control characters)")
        if self.due_at.tzinfo is None:
            raise ValueError("due_at must be aware: use Deadline.on(...) for a due day")

    @classmethod
    def on(cls, name: str, due_on: date, fire_type: str,
           fire_payload: dict[str, Any] | None = None) -> Deadline:
        """Due at the end (24:00, Asia/Shanghai) of `due_on`: how statutory periods end."""
        return cls(name, due_at_end_of(due_on), fire_type, dict(fire_payload or {}))


@dataclass(frozen=True)
class DeadlineChanges:
    """What an append does to its stream's clocks, applied cancelled, met, then set.

    `met` and `cancelled` name deadlines of the stream: meeting applies to the pending one (and
    to a fired one, which is then met late); cancelling to the pending one; a name with none is
    left alone. Setting a name that is still pending raises DeadlineAlreadyPending. `at` is when
    they were met or cancelled: the service's clock if it has one, else the database's time.
    """

    set: Sequence[Deadline] = ()
    met: Sequence[str] = ()
    cancelled: Sequence[str] = ()
    at: datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.set or self.met or self.cancelled)

    def sql_arguments(self) -> tuple:
        return (
            [d.name for d in self.set], [d.due_at for d in self.set],
            [d.fire_type for d in self.set],
            [json.dumps(d.fire_payload, default=str) for d in self.set],
            list(self.met), list(self.cancelled), self.at,
        )

    def raise_if_already_pending(self, exc: psycopg2.Error, stream_id: str) -> None:
        if getattr(exc.diag, "constraint_name", None) == PENDING_INDEX:
            raise DeadlineAlreadyPending(stream_id, [d.name for d in self.set]) from None


def deadline_id(stream_id: str, name: str, generation: int) -> str:
    """The id the database gives a deadline (004_append_with_deadlines.sql computes the same)."""
    return str(uuid.UUID(hashlib.md5(f"{stream_id}\x1f{name}\x1f{generation}".encode()).hexdigest()))


def firing_command_id(deadline: str) -> str:
    """The idempotency key of a deadline's firing append: a second firing is a replay."""
    return f"deadline:{deadline}"


@dataclass(frozen=True)
class Backoff:
    """Waits between failed firings: first, doubling, capped."""

    first: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(hours=1)

    def after(self, attempts: int) -> timedelta:
        return min(self.first * 2 ** max(attempts - 1, 0), self.cap)


@dataclass(frozen=True)
class Claimed:
    deadline_id: str
    stream_id: str
    name: str
    due_at: datetime
    fire_type: str
    fire_payload: dict[str, Any]
    correlation_id: str
    attempts: int


@dataclass
class RunReport:
    """What one pass did, by deadline id."""

    fired: list[str] = field(default_factory=list)
    replayed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def add(self, other: RunReport) -> None:
        for name in ("fired", "replayed", "skipped", "failed"):
            getattr(self, name).extend(getattr(other, name))


_CLAIM = """
UPDATE deadlines SET claimed_by = %(owner)s, claimed_until = %(until)s
WHERE deadline_id IN (
    SELECT deadline_id FROM deadlines
    WHERE state = 'pending' AND due_at <= %(now)s
      AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
      AND (claimed_until IS NULL OR claimed_until <= %(now)s)
    ORDER BY due_at
    LIMIT %(batch)s
    FOR UPDATE SKIP LOCKED)
RETURNING deadline_id, stream_id, name, due_at, fire_type, fire_payload, correlation_id, attempts
"""


class DeadlineRunner:
    """Fires a service's due deadlines, each exactly once, however many runners poll.

    A pass claims due rows for a lease (`FOR UPDATE SKIP LOCKED`, so runners never wait for each
    other nor take the same row), then fires each in a transaction of its own that takes the
    store's head lock first, like every append, re-checks the row is still pending and still
    ours, appends the firing event with the command id `deadline:<id>` and marks the row fired.
    A runner that dies anywhere leaves either nothing (rolled back) or a fired row; its lease
    runs out and another runner takes the row. A failed firing is recorded (attempts,
    last_error) and retried after a growing wait.
    """

    def __init__(self, store: PostgresEventStore, clock: Clock = SYSTEM_CLOCK,
                 owner: str | None = None, batch: int = 50,
                 lease: timedelta = timedelta(seconds=60), backoff: Backoff = Backoff(),
                 _before_claim_commit: Callable[[list[Claimed]], None] | None = None,
                 _before_fire_commit: Callable[[Claimed], None] | None = None):
        self.store = store
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.batch = batch
        self.lease = lease
        self.backoff = backoff
        self._before_claim_commit = _before_claim_commit
        self._before_fire_commit = _before_fire_commit

    @property
    def db(self) -> Database:
        return self.store.db

    def claim(self) -> list[Claimed]:
        """Lease up to `batch` due, pending deadlines nobody else holds."""
        now = self.clock.now()
        with self.db.transaction() as cur:
            cur.execute(_CLAIM, {"owner": self.owner, "until": now + self.lease, "now": now,
                                 "batch": self.batch})
            claimed = sorted((Claimed(str(r[0]), *r[1:]) for r in cur.fetchall()),
                             key=lambda c: (c.due_at, c.deadline_id))
            if self._before_claim_commit is not None:
                self._before_claim_commit(claimed)
        return claimed

    def fire(self, deadline: Claimed) -> str:
        """Fire one claimed deadline: "fired", "replayed" (its event was already in the stream),
        "skipped" (met, cancelled or taken over since it was claimed) or "failed"."""
        try:
            with self.db.transaction() as cur:
                # The head lock before the row lock: the order every append takes them in
                # (vetlife_append, then vetlife_apply_deadlines), so a command meeting this
                # deadline right now waits for us or we for it, and neither deadlocks.
                cur.execute("SELECT position FROM store_head WHERE only_row FOR UPDATE")
                cur.execute("SELECT state, claimed_by FROM deadlines WHERE deadline_id = %s "
                            "FOR UPDATE", (deadline.deadline_id,))
                row = cur.fetchone()
                if row is None or row != ("pending", self.owner):
                    return "skipped"
                cur.execute("SELECT coalesce(max(stream_version), 0) FROM stored_events "
                            "WHERE stream_id = %s", (deadline.stream_id,))
                (version,) = cur.fetchone()
                result = self.store.append_in(
                    cur, deadline.stream_id, [self._event(deadline)], version,
                    Metadata(correlation_id=deadline.correlation_id,
                             causation_id=firing_command_id(deadline.deadline_id),
                             actor=FIRING_ACTOR),
                    command_id=firing_command_id(deadline.deadline_id),
                )
                cur.execute(
                    "UPDATE deadlines SET state = 'fired', fired_at = %s, "
                    "attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL "
                    "WHERE deadline_id = %s",
                    (self.clock.now(), deadline.deadline_id),
                )
                if self._before_fire_commit is not None:
                    self._before_fire_commit(deadline)
        except Exception as exc:  # noqa: BLE001 - recorded on the row and retried
            self._failed(deadline, exc)
            return "failed"
        log.info("deadline.fired", deadline_id=deadline.deadline_id, name=deadline.name,
                 stream_id=deadline.stream_id, event_type=deadline.fire_type,
                 replayed=result.replayed)
        return "replayed" if result.replayed else "fired"

    @staticmethod
    def _event(deadline: Claimed) -> NewEvent:
        # The event happened when the period ran out, however late the runner got to it; its id
        # is fixed too, so nothing about a second firing differs from the first.
        return NewEvent(deadline.fire_type, deadline.fire_payload,
                        event_id=str(uuid.uuid5(uuid.UUID(deadline.deadline_id), "fired")),
                        occurred_at=deadline.due_at)

    def _failed(self, deadline: Claimed, exc: Exception) -> None:
        attempts = deadline.attempts + 1
        wait = self.backoff.after(attempts)
        log.warning("deadline.fire_failed", deadline_id=deadline.deadline_id,
                    name=deadline.name, attempts=attempts, error=type(exc).__name__,
                    retry_in_s=wait.total_seconds())
        try:
            with self.db.transaction() as cur:
                cur.execute(
                    "UPDATE deadlines SET attempts = attempts + 1, last_error = %s, "
                    "next_attempt_at = %s, claimed_by = NULL, claimed_until = NULL "
                    "WHERE deadline_id = %s AND claimed_by = %s AND state = 'pending'",
                    (f"{type(exc).__name__}: {exc}"[:1000], self.clock.now() + wait,
                     deadline.deadline_id, self.owner),
                )
        except RETRYABLE:
            # Unrecorded, but not lost: the lease runs out and the deadline is claimed again.
            log.warning("deadline.failure_unrecorded", deadline_id=deadline.deadline_id)

    def run_due(self) -> RunReport:
        """Fire everything due now; returns what was done."""
        report = RunReport()
        while True:
            claimed = self.claim()
            if not claimed:
                return report
            for deadline in claimed:
                getattr(report, self.fire(deadline)).append(deadline.deadline_id)

    def run(self, stop: threading.Event, interval: float = 5.0) -> None:
        """Poll every `interval` seconds until `stop` is set; a lost database is waited out."""
        failures = 0
        while not stop.is_set():
            try:
                self.run_due()
                failures = 0
                wait = interval
            except RETRYABLE as exc:
                failures += 1
                wait = min(interval * 2 ** failures, 60.0)
                log.warning("deadline.runner_retrying", error=type(exc).__name__, wait=wait)
            stop.wait(wait)


def deadlines_for(cur_or_db, stream_id: str, clock: Clock = SYSTEM_CLOCK,
                  include_cancelled: bool = False) -> list[dict[str, Any]]:
    """A case's deadlines as its read reply shows them (contracts/deadlines.py DeadlineView),
    earliest first. `overdue`: fired, or past due and not yet fired (the runner has not got to
    it); `late`: met, but after it was due."""
    if hasattr(cur_or_db, "execute"):
        return _deadlines_for(cur_or_db, stream_id, clock, include_cancelled)
    with cur_or_db.transaction() as cur:
        return _deadlines_for(cur, stream_id, clock, include_cancelled)


def _deadlines_for(cur, stream_id, clock, include_cancelled):
    cur.execute(
        "SELECT name, generation, due_at, state, met_at, fired_at FROM deadlines "
        "WHERE stream_id = %s AND (%s OR state <> 'cancelled') ORDER BY due_at, name, generation",
        (stream_id, include_cancelled),
    )
    now = clock.now()
    views = []
    for name, generation, due_at, state, met_at, fired_at in cur.fetchall():
        if state == "fired" or (state == "pending" and due_at <= now):
            state = "overdue"
        late = state == "met" and (fired_at is not None or met_at > due_at)
        views.append({"name": name, "generation": generation, "due_on": due_day_of(due_at),
                      "due_at": _shanghai(due_at), "state": state, "met_at": _shanghai(met_at),
                      "fired_at": _shanghai(fired_at), "late": late})
    return views


def _shanghai(instant: datetime | None) -> datetime | None:
    return instant.astimezone(SHANGHAI) if instant is not None else None


class DeadlineAccess:
    """What a worker gets: its cases' deadlines to show, and a way to fire due ones now."""

    def __init__(self, runner: DeadlineRunner):
        self.runner = runner

    def for_stream(self, stream_id: str, include_cancelled: bool = False) -> list[dict[str, Any]]:
        return deadlines_for(self.runner.db, stream_id, self.runner.clock, include_cancelled)

    def run_due(self) -> RunReport:
        return self.runner.run_due()


class Deadlines(DependencyProvider):
    """Declare `deadlines = Deadlines()` on a nameko service and its due deadlines fire.

    Each container runs a DeadlineRunner every `interval` seconds on a small pool of its own;
    running several instances of the service is safe (see DeadlineRunner). Deadlines are set,
    met and cancelled through the service's EventStore: `store.append(..., deadlines=...)`.
    """

    def __init__(self, interval: float = 5.0, clock: Clock | None = None, batch: int = 50,
                 lease: timedelta = timedelta(seconds=60), backoff: Backoff = Backoff()):
        self.interval = interval
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.backoff = backoff
        self._thread = None

    def setup(self):
        service = self.container.service_name
        url = self.container.config.get("DATABASE_URL") or database_url(service)
        # Two connections: one holds a firing transaction, the other records a failure.
        self.db = Database(url, max_connections=2)
        self.runner = DeadlineRunner(
            PostgresEventStore(self.db, f"{service}_events"), clock=self.clock or SYSTEM_CLOCK,
            batch=self.batch, lease=self.lease, backoff=self.backoff)
        self._stop = threading.Event()

    def start(self):
        self._thread = self.container.spawn_managed_thread(
            lambda: self.runner.run(self._stop, self.interval),
            identifier=f"deadlines {self.container.service_name}")

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            # Between deadlines the loop sees the flag at once; a firing in flight commits first.
            self._thread.wait()
            self._thread = None
        self.db.close()

    def kill(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.kill()
        self.db.close()

    def get_dependency(self, worker_ctx):
        return DeadlineAccess(self.runner)
