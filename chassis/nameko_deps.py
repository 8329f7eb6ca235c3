"""nameko dependency providers: the service's database, event store and inbox, and a worker logger."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg2.errors
import structlog
from nameko.extensions import DependencyProvider

from chassis.config import database_url
from chassis.db import Database
from chassis.envelope import RecordedEvent
from chassis.errors import StoreUnavailable
from chassis.store import PostgresEventStore, Upcaster, _identity

log = structlog.get_logger("vetlife.worker")


class _DatabaseUser(DependencyProvider):
    """Builds the service's connection pool once per container, sized to its workers."""

    db: Database

    def setup(self):
        url = self.container.config.get("DATABASE_URL") or database_url(
            self.container.service_name
        )
        self.db = Database(url, max_connections=self.container.max_workers + 2)

    def stop(self):
        self.db.close()


class EventStore(_DatabaseUser):
    """Hands each worker the service's event store."""

    def __init__(self, upcast: Upcaster = _identity):
        self.upcast = upcast

    def setup(self):
        super().setup()
        self.store = PostgresEventStore(
            self.db, f"{self.container.service_name}_events", upcast=self.upcast
        )

    def get_dependency(self, worker_ctx):
        return self.store


@dataclass
class Delivery:
    """One hand-over of an event to a handler by a Subscription, and what `once` made of it.

    `kind` says where the event came from: "bus" (the events exchange), "requeued" (a person
    moved it back from the dead letters), "log" (catch-up read it from the producer's log, in
    log order) or "drain" (it waited in parked_events and its turn came).
    """

    cloudevent: dict
    kind: str = "bus"
    ordered: bool = True  # False: `once` only deduplicates (@subscribe(..., ordered=False))
    origin: str | None = None  # for "drain": how the parked event first arrived
    outcome: str | None = None  # handled | duplicate | parked | dead_lettered, once committed
    parked_behind: bool = False  # handled, and later events of its stream wait in parked_events

    @property
    def arrived_by(self) -> str | None:
        """bus, catch-up or requeued: the path this event first reached the consumer by."""
        if self.kind == "drain":
            return self.origin
        return {"bus": "bus", "log": "catch-up", "requeued": "requeued"}.get(self.kind)


# What `once` needs to know, read in one round trip under the stream's lock: handled before?
# already waiting (and behind which version)? dead-lettered? and, for an event read from the
# producer's log, the highest version below it that this consumer knows of in any state.
_FACTS = (
    "SELECT EXISTS (SELECT 1 FROM inbox WHERE consumer = %(c)s AND event_id = %(e)s), "
    "(SELECT prev_version FROM parked_events WHERE consumer = %(c)s AND event_id = %(e)s), "
    "EXISTS (SELECT 1 FROM dead_lettered WHERE consumer = %(c)s AND event_id = %(e)s), "
    "(SELECT max(v) FROM (SELECT stream_version AS v FROM parked_events "
    "   WHERE consumer = %(c)s AND stream_id = %(s)s AND stream_version < %(v)s "
    " UNION ALL SELECT stream_version FROM dead_lettered "
    "   WHERE consumer = %(c)s AND stream_id = %(s)s AND stream_version < %(v)s) AS known)"
)
# Handling: the inbox row, the stream's new last version, the event out of the waiting room and
# the dead letters; and whether any later event of the stream waits (then the entrypoint drains).
_HANDLE = (
    "WITH recorded AS (INSERT INTO inbox (consumer, event_id, source, position) "
    "  VALUES (%(c)s, %(e)s, %(source)s, %(p)s) ON CONFLICT DO NOTHING), "
    "advanced AS (UPDATE stream_progress SET last_version = %(v)s, last_position = %(p)s, "
    "  updated_at = now() WHERE consumer = %(c)s AND stream_id = %(s)s), "
    "unparked AS (DELETE FROM parked_events WHERE consumer = %(c)s AND event_id = %(e)s), "
    "revived AS (DELETE FROM dead_lettered WHERE consumer = %(c)s AND event_id = %(e)s) "
    "SELECT EXISTS (SELECT 1 FROM parked_events WHERE consumer = %(c)s AND stream_id = %(s)s "
    "  AND event_id <> %(e)s)"
)
_PARK = (
    "INSERT INTO parked_events (consumer, event_id, stream_id, stream_version, position, "
    "prev_version, cloudevent, arrived_by) "
    "VALUES (%(c)s, %(e)s, %(s)s, %(v)s, %(p)s, %(prev)s, %(ce)s, %(by)s) "
    "ON CONFLICT (consumer, event_id) DO UPDATE "
    "SET prev_version = coalesce(EXCLUDED.prev_version, parked_events.prev_version)"
)
# A person's requeue of a dead letter that still has to wait: it is parked now, which is what
# blocks its stream from here on (a dead_lettered row would make catch-up skip it for good).
_UNDEAD = "DELETE FROM dead_lettered WHERE consumer = %(c)s AND event_id = %(e)s"
_UNPARK = "DELETE FROM parked_events WHERE consumer = %(c)s AND event_id = %(e)s"


def lock_stream(cur, consumer: str, stream_id: str, patience: float = 60.0) -> int:
    """Lock the consumer's progress row for `stream_id` for this transaction; its last version.

    NOWAIT and a pause instead of a plain FOR UPDATE: psycopg2 waits for a lock inside libpq,
    which eventlet cannot switch away from, so a worker waiting for a lock that another worker of
    the same process holds would stop the whole process, the holder included.
    """
    waited, pause = 0.0, 0.002
    cur.execute("SAVEPOINT vetlife_stream_lock")
    while True:
        try:
            cur.execute(
                "SELECT last_version FROM stream_progress WHERE consumer = %s AND stream_id = %s "
                "FOR UPDATE NOWAIT",
                (consumer, stream_id),
            )
            return cur.fetchone()[0]
        except psycopg2.errors.LockNotAvailable:
            cur.execute("ROLLBACK TO SAVEPOINT vetlife_stream_lock")
        if waited >= patience:
            # Transient for the subscriber: the message goes back to the queue.
            raise StoreUnavailable(f"stream {stream_id} stayed locked for {patience:.0f}s")
        time.sleep(pause)  # green under nameko: the lock holder runs meanwhile
        waited += pause
        pause = min(pause * 2, 0.05)


class InboxAccess:
    """A handler's way to run its effects once per event, in one transaction with the record.

    Given a `delivery` (a Subscription hands one over unless told `ordered=False`), `once` also
    keeps one stream's events in stream order: see docs/process-managers.md, "Ordered handling".
    """

    def __init__(self, db: Database, consumer: str, delivery: Delivery | None = None):
        self.db = db
        self.consumer = consumer
        self.delivery = delivery

    @property
    def arrived_by(self) -> str | None:
        """How the event this worker handles reached the consumer: "bus", "catch-up" (read
        from the producer's log) or "requeued" (from the dead letters); None outside a
        Subscription."""
        return self.delivery.arrived_by if self.delivery is not None else None

    @contextmanager
    def once(self, event: RecordedEvent, source: str = "") -> Iterator[object | None]:
        """Yields a cursor for an event whose turn it is, or None for a repeat or one that must
        wait for an earlier event of its stream (it is kept and handed over again in turn)."""
        if self.delivery is None or not self.delivery.ordered:
            with self._unordered(event, source) as cur:
                yield cur
        else:
            with self._ordered(event, source, self.delivery) as cur:
                yield cur

    @contextmanager
    def _unordered(self, event: RecordedEvent, source: str) -> Iterator[object | None]:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO inbox (consumer, event_id, source, position) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING RETURNING 1",
                (self.consumer, event.event_id, source or event.stream_id, event.position),
            )
            yield cur if cur.fetchone() else None

    @contextmanager
    def _ordered(self, event: RecordedEvent, source: str,
                 delivery: Delivery) -> Iterator[object | None]:
        delivery.outcome, delivery.parked_behind = None, False  # a retry starts afresh
        behind = False
        params = {"c": self.consumer, "e": event.event_id, "s": event.stream_id,
                  "v": event.stream_version, "p": event.position,
                  "source": source or event.stream_id}
        # Its own statement, before the transaction: an insert racing another transaction's
        # uncommitted insert of the same row would wait inside libpq (see lock_stream).
        with self.db.statement() as cur:
            cur.execute("INSERT INTO stream_progress (consumer, stream_id) VALUES (%s, %s) "
                        "ON CONFLICT DO NOTHING", (self.consumer, event.stream_id))
        with self.db.transaction() as cur:
            last = lock_stream(cur, self.consumer, event.stream_id)
            cur.execute(_FACTS, params)
            handled_before, parked_prev, dead, known_below = cur.fetchone()
            if event.stream_version <= last:
                cur.execute(_UNPARK, params)
                outcome = "duplicate"
                yield None
            elif dead and delivery.kind != "requeued":
                # Already among the dead letters: a second copy there would help nobody.
                cur.execute(_UNPARK, params)
                outcome = "dead_lettered"
                yield None
            else:
                if delivery.kind == "log":
                    # The log is read in order, so every earlier event of the consumer's types
                    # in this stream is known here in some state: the highest below is the
                    # previous one, whatever the versions between were.
                    prev = max(last, known_below or 0)
                else:
                    prev = parked_prev  # what a catch-up once said about it, if it did
                ready = event.stream_version == last + 1 or prev == last
                if not ready and handled_before:
                    # Handled before ordering was switched on (an inbox row, no progress yet):
                    # nothing to wait for, and catch-up would never come back to it.
                    outcome = "duplicate"
                    yield None
                elif not ready:
                    params["prev"] = prev
                    params["ce"] = json.dumps(delivery.cloudevent, default=str)
                    params["by"] = delivery.arrived_by
                    cur.execute(_PARK, params)
                    cur.execute(_UNDEAD, params)
                    outcome = "parked"
                    yield None
                else:
                    cur.execute(_HANDLE, params)
                    behind = cur.fetchone()[0]
                    if handled_before:
                        # Handled before ordering was switched on: its turn only moves the
                        # stream on.
                        outcome = "duplicate"
                        yield None
                    else:
                        outcome = "handled"
                        yield cur
        # Only once committed: a handler that raised handled nothing.
        delivery.outcome, delivery.parked_behind = outcome, behind


class Inbox(_DatabaseUser):
    """Gives handlers `once(event)`; the record of handled events lives in the service's own DB."""

    def kill(self):
        self.db.close()  # a killed container's idle connections are not left to the GC

    def get_dependency(self, worker_ctx):
        entrypoint = worker_ctx.entrypoint
        delivery_of = getattr(entrypoint, "delivery_of", None)
        delivery = delivery_of(worker_ctx.args[0]) if delivery_of and worker_ctx.args else None
        return InboxAccess(self.db, f"{self.container.service_name}.{entrypoint.method_name}",
                           delivery)


class WorkerLog(DependencyProvider):
    """One log line per handled command, event or request, with its correlation id and outcome."""

    def __init__(self):
        self._started: dict = {}

    def get_dependency(self, worker_ctx):
        # Set here, before the worker runs, so RPC calls and events it makes carry it on.
        # worker_ctx.data, not the context_data copy, is what nameko forwards on RPC and events.
        correlation_id = worker_ctx.data.setdefault("correlation_id", worker_ctx.call_id)
        self._started[worker_ctx] = time.perf_counter()
        return log.bind(correlation_id=correlation_id)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, time.perf_counter())
        fields = {
            "service": self.container.service_name,
            "entrypoint": worker_ctx.entrypoint.method_name,
            "correlation_id": worker_ctx.data.get("correlation_id"),
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "outcome": "ok" if exc_info is None else type(exc_info[1]).__name__,
        }
        if exc_info is None:
            log.info("handled", **fields)
        else:
            # The message may be a domain error meant for the caller; the masker still runs.
            log.warning("handled", error=str(exc_info[1]), **fields)


class CallContext(DependencyProvider):
    """The caller's context for a worker: correlation id and actor, as nameko carries them."""

    def get_dependency(self, worker_ctx):
        worker_ctx.data.setdefault("correlation_id", worker_ctx.call_id)
        return worker_ctx.data
