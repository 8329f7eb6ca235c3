"""nameko dependency providers: the service's database, event store and inbox, and a worker logger."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from nameko.extensions import DependencyProvider

from chassis.config import database_url
from chassis.db import Database
from chassis.envelope import RecordedEvent
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


class InboxAccess:
    """A handler's way to run its effects once per event, in one transaction with the record."""

    def __init__(self, db: Database, consumer: str):
        self.db = db
        self.consumer = consumer

    @contextmanager
    def once(self, event: RecordedEvent, source: str = "") -> Iterator[object | None]:
        """Yields a cursor for an event not handled before, or None for a repeat."""
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO inbox (consumer, event_id, source, position) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING RETURNING 1",
                (self.consumer, event.event_id, source or event.stream_id, event.position),
            )
            yield cur if cur.fetchone() else None


class Inbox(_DatabaseUser):
    """Gives handlers `once(event)`; the record of handled events lives in the service's own DB."""

    def get_dependency(self, worker_ctx):
        entrypoint = worker_ctx.entrypoint
        return InboxAccess(self.db, f"{self.container.service_name}.{entrypoint.method_name}")


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
