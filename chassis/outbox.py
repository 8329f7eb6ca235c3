"""The outbox: commands a service decided to send to others, written with the decision, sent at least once."""
from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from nameko.standalone.rpc import ClusterRpcProxy
from tenacity import RetryCallState, wait_exponential, wait_random

from chassis import logs
from chassis.config import amqp_uri, database_url
from chassis.db import Database
from chassis.nameko_deps import _DatabaseUser
from chassis.pii import mask_text
from chassis.wire import ServiceError

log = structlog.get_logger("vetlife.outbox")

# Fixed forever: changing it would change every command id, and a resend after the change would
# be a new command to its receiver.
NAMESPACE = uuid.UUID("6f0c3e4a-52a4-5b8e-9a63-0d6f1c9b7e21")
# A receiver's refusals that are about the moment, not the command: sent again later.
RETRYABLE_CODES = frozenset({"unavailable"})
STATUSES = ("pending", "sent", "refused", "failed")
NEEDS_A_PERSON = ("refused", "failed")

_COLUMNS = (
    "command_id, case_id, step, target_service, method, args, kwargs, correlation_id, status, "
    "attempts, reply, error, created_at, updated_at"
)


def command_id(service: str, case_id: str, step: str, attempt: int = 1) -> str:
    """The id of a process manager's command: the same service, case, step and attempt give the
    same id on any machine, after any restart, and when the step is decided a second time.

    `attempt` is the process manager's own decision to try a step again (a new command the
    receiver must not take for a resend of the old one), never a resend by the sender.
    """
    return str(uuid.uuid5(NAMESPACE, json.dumps([service, case_id, step, attempt])))


@dataclass(frozen=True)
class OutboxCommand:
    """One command in the outbox, as a sender claimed it or as a person lists it."""

    command_id: str
    case_id: str
    step: str
    target_service: str
    method: str
    args: list
    kwargs: dict
    correlation_id: str | None
    status: str
    attempts: int
    reply: Any
    error: str | None
    created_at: datetime
    updated_at: datetime


# Called in the transaction that records a command's outcome (status sent, refused or failed):
# the place to move the process manager's case on, atomically with the outbox row.
OnOutcome = Callable[[Any, OutboxCommand], None]


class OutboxAccess:
    """A worker's way to add commands to the outbox, in the transaction of its decision."""

    def __init__(self, service: str, correlation_id: str | None = None):
        self.service = service
        self.correlation_id = correlation_id
        self.added = 0

    def command_id(self, case_id: str, step: str, attempt: int = 1) -> str:
        return command_id(self.service, case_id, step, attempt)

    def add(self, cur, target_service: str, method: str, args: Sequence = (),
            kwargs: dict | None = None, command_id: str | None = None, case_id: str = "",
            step: str = "") -> bool:
        """Record `target_service.method(*args, **kwargs, command_id=command_id)` to be sent.

        `cur` is the caller's transaction, the one that records the event the decision answers
        (`self.inbox.once(event)`): the event counts as handled exactly when its commands are in
        the outbox. Returns False when the command id is there already (a step decided twice).
        """
        if not (command_id and case_id and step):
            raise ValueError("an outbox command needs its command_id, case_id and step")
        if kwargs and "command_id" in kwargs:
            raise ValueError("the sender passes command_id itself; give it as command_id=")
        cur.execute(
            "INSERT INTO outbox (command_id, case_id, step, target_service, method, args, kwargs, "
            "correlation_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (command_id) DO NOTHING RETURNING 1",
            (command_id, case_id, step, target_service, method,
             json.dumps(list(args), default=str), json.dumps(kwargs or {}, default=str),
             self.correlation_id),
        )
        added = cur.fetchone() is not None
        self.added += added
        return added


class OutboxSender:
    """Sends pending commands over nameko RPC, each with its command id, and records the outcome.

    At least once: a command is claimed (its attempt counted, a lease set) in one transaction,
    sent, and its outcome recorded in another. A sender killed between the two leaves it pending
    and it is sent again after the lease; the receiver replays the command id. A transient
    failure (no answer, the receiver unavailable) is tried again after a backoff that grows with
    the attempts (tenacity's exponential wait, with jitter); after `attempts` the command is
    `failed`. A refusal is final at once: `refused`, its error kept as the reply.
    """

    def __init__(self, db: Database, config: dict, service: str,
                 on_outcome: OnOutcome | None = None, attempts: int = 12, backoff: float = 2.0,
                 max_backoff: float = 600.0, timeout: float = 30.0, lease: float | None = None,
                 batch: int = 20,
                 _before_send: Callable[[OutboxCommand], None] | None = None,
                 _after_send: Callable[[OutboxCommand, tuple], None] | None = None):
        self.db = db
        self.config = config
        self.service = service
        self.on_outcome = on_outcome
        self.attempts = attempts
        self.timeout = timeout
        # Longer than an answer can take, so a live sender is not raced by a second one.
        self.lease = timeout + 30.0 if lease is None else lease
        self.batch = batch
        self._wait = wait_exponential(multiplier=backoff, max=max_backoff) + wait_random(0, backoff)
        self._before_send = _before_send
        self._after_send = _after_send

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`th attempt failed."""
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
        state.attempt_number = attempts
        return self._wait(state)

    def claim(self, limit: int) -> list[OutboxCommand]:
        """Due pending commands, their attempt counted and leased to this sender."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE outbox SET attempts = attempts + 1, updated_at = now(), "
                "next_attempt_at = now() + make_interval(secs => %s) "
                "WHERE command_id IN (SELECT command_id FROM outbox WHERE status = 'pending' "
                "AND next_attempt_at <= now() ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED) "
                f"RETURNING seq, {_COLUMNS}",
                (self.lease, limit),
            )
            return [OutboxCommand(*row[1:]) for row in sorted(cur.fetchall())]

    def send(self, cluster, context: dict, command: OutboxCommand) -> tuple[str, Any, str | None]:
        """One attempt: ("sent", reply, None), ("refused", error, text) or ("retry", None, text)."""
        context["correlation_id"] = command.correlation_id or command.command_id
        method = getattr(getattr(cluster, command.target_service), command.method)
        try:
            reply = method(*command.args, command_id=command.command_id, **command.kwargs)
        except ServiceError as exc:
            if exc.code in RETRYABLE_CODES:
                return "retry", None, str(exc)
            return "refused", {"code": exc.code, "message": exc.message,
                               "fields": exc.fields}, str(exc)
        except Exception as exc:  # noqa: BLE001 - no answer, no such service, a fault there
            return "retry", None, f"{type(exc).__name__}: {exc}"
        return "sent", reply, None

    def record(self, command: OutboxCommand, status: str, reply: Any, error: str | None) -> None:
        """Write an attempt's outcome, and run `on_outcome` in the same transaction."""
        error = mask_text(error)[:2000] if error else None
        with self.db.transaction() as cur:
            if status == "retry" and command.attempts < self.attempts:
                cur.execute(
                    "UPDATE outbox SET error = %s, updated_at = now(), "
                    "next_attempt_at = now() + make_interval(secs => %s) "
                    "WHERE command_id = %s AND status = 'pending'",
                    (error, self.backoff(command.attempts), command.command_id),
                )
                log.warning("outbox.retrying", command_id=command.command_id,
                            target=f"{command.target_service}.{command.method}",
                            attempts=command.attempts, error=error)
                return
            if status == "retry":
                status = "failed"
            cur.execute(
                "UPDATE outbox SET status = %s, reply = %s, error = %s, updated_at = now(), "
                f"done_at = now() WHERE command_id = %s AND status = 'pending' RETURNING {_COLUMNS}",
                (status, None if reply is None else json.dumps(reply, default=str), error,
                 command.command_id),
            )
            row = cur.fetchone()
            if row is None:
                return  # another sender recorded it first (its lease ran out): theirs stands
            done = OutboxCommand(*row)
            if self.on_outcome is not None:
                self.on_outcome(cur, done)
        if status in NEEDS_A_PERSON:
            # A person has to look at it: `python -m chassis.outbox list <service>` lists it.
            log.error("outbox.needs_a_person", command_id=done.command_id, status=status,
                      case_id=done.case_id, step=done.step,
                      target=f"{done.target_service}.{done.method}",
                      attempts=done.attempts, error=error)

    def send_pending(self) -> int:
        """Send every command that is due now; return how many attempts were made."""
        claimed = self.claim(self.batch)
        if not claimed:
            return 0  # no broker connection for an idle pass
        made = 0
        context: dict = {}
        try:
            proxy = ClusterRpcProxy(self.config, context_data=context, timeout=self.timeout)
            cluster = proxy.start()
        except Exception as exc:
            # Nothing was sent: the broker is away, which is no attempt of the command's.
            self.release(claimed, f"{type(exc).__name__}: {exc}")
            raise
        try:
            while claimed:
                for command in claimed:
                    if self._before_send is not None:
                        self._before_send(command)
                    outcome = self.send(cluster, context, command)
                    if self._after_send is not None:
                        self._after_send(command, outcome)
                    self.record(command, *outcome)
                    made += 1
                claimed = self.claim(self.batch)
        finally:
            proxy.stop()
        return made

    def release(self, commands: Sequence[OutboxCommand], error: str) -> None:
        """Hand back claimed commands that were never sent, their attempt uncounted."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE outbox SET attempts = attempts - 1, error = %s, updated_at = now(), "
                "next_attempt_at = now() + make_interval(secs => %s) "
                "WHERE command_id = ANY(%s) AND status = 'pending'",
                (mask_text(error)[:2000], self.backoff(1), [c.command_id for c in commands]),
            )

    def run(self, stop: threading.Event, wake: threading.Event | None = None,
            poll_every: float = 1.0) -> None:
        """Send until `stop`; between passes sleep `poll_every` or until `wake` is set."""
        wake = wake or threading.Event()
        while not stop.is_set():
            wake.clear()
            try:
                self.send_pending()
            except Exception as exc:  # noqa: BLE001 - broker or database away: next pass
                log.warning("outbox.pass_failed", service=self.service, error=type(exc).__name__)
            wake.wait(poll_every)


class Outbox(_DatabaseUser):
    """Gives handlers `add(cur, ...)`; sends the commands from a thread of the service itself.

    With `OUTBOX_SENDER: false` in the service's config the service only writes its outbox and a
    separate `python -m chassis.outbox run <module:Class>` sends it.
    """

    def __init__(self, on_outcome: OnOutcome | None = None, attempts: int = 12,
                 backoff: float = 2.0, max_backoff: float = 600.0, timeout: float = 30.0,
                 poll_every: float = 1.0):
        self.on_outcome = on_outcome
        self.options = {"attempts": attempts, "backoff": backoff, "max_backoff": max_backoff,
                        "timeout": timeout}
        self.poll_every = poll_every
        self._workers: dict = {}

    def setup(self):
        super().setup()
        # Made here, after nameko's monkey patching: green.
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.sender = self.make_sender(self.db, self.container.config,
                                       self.container.service_name)

    def make_sender(self, db: Database, config: dict, service: str, **overrides) -> OutboxSender:
        return OutboxSender(db, config, service, on_outcome=self.on_outcome,
                            **{**self.options, **overrides})

    def start(self):
        if self.container.config.get("OUTBOX_SENDER", True) not in (False, "false", "off"):
            self.container.spawn_managed_thread(
                lambda: self.sender.run(self._stop, self._wake, self.poll_every),
                identifier=f"outbox sender {self.container.service_name}")

    def stop(self):
        self._stop.set()
        self._wake.set()
        super().stop()

    def kill(self):
        self._stop.set()
        self.db.close()

    def get_dependency(self, worker_ctx):
        access = OutboxAccess(self.container.service_name,
                              worker_ctx.data.get("correlation_id"))
        self._workers[worker_ctx] = access
        return access

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        access = self._workers.pop(worker_ctx, None)
        if access is not None and access.added and exc_info is None:
            self._wake.set()  # committed commands: send now, not at the next poll

    def worker_teardown(self, worker_ctx):
        self._workers.pop(worker_ctx, None)


# -- for a person: list what needs one, send again ------------------------------------------------

def list_commands(db: Database, statuses: Sequence[str] = NEEDS_A_PERSON,
                  case_id: str | None = None) -> list[OutboxCommand]:
    with db.transaction() as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE status = ANY(%s) "
            "AND (%s::text IS NULL OR case_id = %s) ORDER BY seq",
            (list(statuses), case_id, case_id),
        )
        return [OutboxCommand(*row) for row in cur.fetchall()]


def retry_commands(db: Database, command_ids: Sequence[str]) -> int:
    """Put refused or failed commands back to pending, attempts from 0, with the same command id:
    the receiver still replays one it did carry out."""
    with db.transaction() as cur:
        cur.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now(), "
            "done_at = NULL, updated_at = now() WHERE command_id = ANY(%s) "
            "AND status IN ('refused', 'failed')",
            (list(command_ids),),
        )
        return cur.rowcount


def _service_class(target: str):
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A service's outbox: list, retry, send.")
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="commands that need a person (or --status ...)")
    listing.add_argument("service")
    listing.add_argument("--status", nargs="+", choices=STATUSES, default=list(NEEDS_A_PERSON))
    listing.add_argument("--case")
    again = sub.add_parser("retry", help="send refused or failed commands again, same id")
    again.add_argument("service")
    again.add_argument("command_ids", nargs="+")
    run = sub.add_parser("run", help="the sender as its own process (config OUTBOX_SENDER: false)")
    run.add_argument("service_class", help="e.g. services.cases.service:CaseOffice")
    args = parser.parse_args(argv)

    if args.action == "run":
        cls = _service_class(args.service_class)
        # The service's Outbox is chassis.outbox's, not this __main__ module's copy of the class.
        declared = importlib.import_module("chassis.outbox").Outbox
        outbox = next((v for v in vars(cls).values() if isinstance(v, declared)), None)
        if outbox is None:
            print(f"{args.service_class} has no Outbox", file=sys.stderr)
            return 2
        logs.configure(f"{cls.name}-outbox")
        db = Database(database_url(cls.name), max_connections=2)
        sender = outbox.make_sender(db, {"AMQP_URI": amqp_uri()}, cls.name)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        log.info("outbox.started", service=cls.name)
        sender.run(stop, poll_every=outbox.poll_every)
        return 0

    db = Database(database_url(args.service), max_connections=1)
    try:
        if args.action == "list":
            commands = list_commands(db, args.status, args.case)
            for c in commands:
                print(f"{c.updated_at:%Y-%m-%d %H:%M:%S}  {c.status:<8} {c.command_id}  "
                      f"case={c.case_id} step={c.step} -> {c.target_service}.{c.method}  "
                      f"attempts={c.attempts}  {c.error or ''}")
            print(f"{len(commands)} command(s) {'/'.join(args.status)} in {args.service}'s outbox")
        else:
            print(f"{retry_commands(db, args.command_ids)} command(s) pending again")
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
