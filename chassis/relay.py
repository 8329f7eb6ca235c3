"""The relay: publishes a service's stored events to RabbitMQ in global order, confirmed, never lost."""
from __future__ import annotations

import argparse
import importlib
import json
import select
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import pika
import pika.exceptions
import psycopg2
import structlog

from chassis import logs
from chassis.checkpoints import read_checkpoint, save_checkpoint
from chassis.config import amqp_uri, database_url
from chassis.db import Database
from chassis.envelope import CLOUDEVENTS_CONTENT_TYPE, RecordedEvent
from chassis.errors import StatementFailed, StoreUnavailable
from chassis.publisher import ConfirmedPublisher, Outgoing, Sent
from chassis.store import PostgresEventStore

log = structlog.get_logger("vetlife.relay")
# What a lost broker or database raises; the relay reconnects and re-publishes from its checkpoint.
# A refused statement (a timeout, a lost race) is retried too: nothing was published for it.
RETRYABLE = (pika.exceptions.AMQPError, StoreUnavailable, StatementFailed, psycopg2.Error, OSError)

# The service's public form (contracts/publication.py): allow-listed fields only. It raises for
# an event type with no allow-list, which is not retryable: the relay stops before the batch that
# holds the event rather than publish a stored payload, and resumes from its checkpoint once the
# contract declares one.
PublicForm = Callable[[RecordedEvent], dict[str, Any]]


def events_exchange(service: str) -> str:
    """The topic exchange a service's events go to: nameko's `<service>.events` convention."""
    return f"{service}.events"


def notify_channel(service: str) -> str:
    return f"{service}_events"


def message_properties(event: RecordedEvent) -> pika.BasicProperties:
    return pika.BasicProperties(
        content_type=CLOUDEVENTS_CONTENT_TYPE,
        content_encoding="utf-8",
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=event.event_id,
        correlation_id=event.correlation_id,
        type=event.event_type,
        # nameko turns `nameko.*` headers into the worker's context data, so a nameko
        # subscriber's logs carry our correlation id without reading the body.
        headers={"nameko.correlation_id": event.correlation_id, "position": event.position},
    )


class Relay:
    """Reads the store after its checkpoint and publishes with confirms and `mandatory`.

    The checkpoint moves only after the broker confirmed, so a crash at any instant re-publishes
    (consumers are idempotent) rather than loses. `run` declares the exchange when it starts,
    before there is anything to publish, so departments can bind to it on a fresh broker.

    Batches are pipelined: the next one is read and built while the broker still writes the two
    before it to disk; then the older of those is awaited and checkpointed, and only then is
    the new one sent. At most two batches are unconfirmed, so a crash re-publishes at most two.
    """

    def __init__(
        self,
        service: str,
        store: PostgresEventStore,
        amqp_url: str,
        public_form: PublicForm,
        batch_size: int = 500,
        checkpoint: str = "relay",
    ):
        self.service = service
        self.store = store
        self.amqp_url = amqp_url
        self.public_form = public_form
        self.batch_size = batch_size
        self.checkpoint = checkpoint
        self.exchange = events_exchange(service)
        self.source = f"/vetlife/{service}"
        self.publisher = ConfirmedPublisher(amqp_url, self.exchange)
        self.published = 0
        self.unroutable = 0
        self.listening = threading.Event()
        self._failures = 0

    def close(self) -> None:
        self.publisher.close()

    def position(self) -> int:
        with self.store.db.transaction() as cur:
            return read_checkpoint(cur, self.checkpoint)

    def _save_position(self, position: int) -> None:
        with self.store.db.transaction() as cur:
            # Committed without waiting for the WAL flush: a checkpoint a database crash loses
            # only moves back, and the relay publishes again what it covered (consumers are
            # idempotent). It never gets ahead of the events: they were committed, flushed,
            # before the relay could read them, and the WAL is replayed in order.
            cur.execute("SET LOCAL synchronous_commit = off")
            save_checkpoint(cur, self.checkpoint, position)

    def outgoing(self, event: RecordedEvent) -> Outgoing:
        body = json.dumps(
            event.to_cloudevent(self.source, self.public_form(event)), default=str
        ).encode()
        return Outgoing(event.event_type, body, message_properties(event))

    def relay_pending(self) -> int:
        """Publish everything committed after the checkpoint; return how many were published."""
        total = 0
        after = self.position()  # only this relay moves it, so it is read once per pass
        in_flight: deque[tuple[Sent, int, int]] = deque()  # batches sent: last position, size
        while True:
            # Read and built while the broker writes what is in flight: our work and its
            # disk overlap instead of taking turns.
            events = self.store.read_all(after=after, limit=self.batch_size)
            try:
                messages = [self.outgoing(event) for event in events]
            except Exception:
                # An event the contract cannot publish: what was sent before it is still
                # confirmed and checkpointed, so the relay stops just before its batch.
                while in_flight:
                    total += self._settle(*in_flight.popleft())
                raise
            if not messages:
                while in_flight:
                    total += self._settle(*in_flight.popleft())
                return total
            if len(in_flight) == 2:
                total += self._settle(*in_flight.popleft())  # never three unconfirmed
            after = events[-1].position
            in_flight.append((self.publisher.send(messages), after, len(events)))

    def _settle(self, sent: Sent, position: int, count: int) -> int:
        """Wait for a sent batch's confirms, then (never before) move the checkpoint past it."""
        unroutable = self.publisher.confirmed(sent)
        if unroutable:
            # Nobody subscribes to these types yet. The store keeps them: a department
            # that joins later replays them through catch-up (docs/architecture.md, invariant 4).
            self.unroutable += unroutable
            log.info("relay.unroutable", count=unroutable, position=position)
        self._save_position(position)
        self.published += count
        log.info("relay.published", count=count, position=position)
        return count

    def run(self, stop: threading.Event, idle_wait: float = 5.0) -> None:
        """Publish, then sleep until PostgreSQL NOTIFYs a commit (or `idle_wait` passes).

        When the broker or the database goes away, reconnect after a backoff that grows while
        the failures go on and starts small again once a pass has worked: a hiccup after a
        long healthy run waits 0.2 s, not the 5 s an earlier outage had reached.
        """
        self._failures = 0
        while not stop.is_set():
            try:
                self._run_connected(stop, idle_wait)
            except RETRYABLE as exc:
                wait = min(0.2 * 2 ** self._failures, 5.0)
                self._failures += 1
                log.warning("relay.retrying", error=type(exc).__name__, wait=wait)
                stop.wait(wait)

    def _run_connected(self, stop: threading.Event, idle_wait: float) -> None:
        self.close()
        # Opening declares the exchange (ConfirmedPublisher._on_channel_open), before any event:
        # a department that binds its queue to `<service>.events` on a fresh broker, before the
        # service's first event, must find it there, not get 404 NOT_FOUND. The relay is always
        # deployed with its service, so the service itself need not declare it too.
        self.publisher.open()
        listener = psycopg2.connect(self.store.db.url, connect_timeout=5)
        listener.autocommit = True
        try:
            with listener.cursor() as cur:
                cur.execute(f"LISTEN {self.store.notify_channel}")
            self.listening.set()
            while not stop.is_set():
                self.relay_pending()
                self._failures = 0
                ready, _, _ = select.select([listener], [], [], idle_wait)
                if ready:
                    listener.poll()
                    listener.notifies.clear()
        finally:
            self.listening.clear()
            listener.close()
            self.close()


def build_relay(service: str) -> Relay:
    contracts = importlib.import_module(f"contracts.{service}")
    db = Database(database_url(service), max_connections=2)
    store = PostgresEventStore(db, notify_channel(service), upcast=contracts.upcast)
    return Relay(service, store, amqp_uri(), contracts.public_form)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Publish a service's stored events to RabbitMQ.")
    parser.add_argument("service", help="e.g. registry")
    args = parser.parse_args(argv)
    logs.configure(f"{args.service}-relay")
    relay = build_relay(args.service)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    log.info("relay.started", service=args.service, exchange=relay.exchange)
    relay.run(stop)
    log.info("relay.stopped", published=relay.published)
    return 0


if __name__ == "__main__":
    sys.exit(main())
