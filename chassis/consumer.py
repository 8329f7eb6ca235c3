"""The subscriber entrypoint: each event once, one stream's events in order; retries, dead letters, catch-up."""
from __future__ import annotations

import json
import threading
from collections import Counter
from functools import partial

import eventlet
import eventlet.event
import kombu.serialization
import pika
import psycopg2
import structlog
from kombu import Queue, binding
from nameko.containers import ContainerBeingKilled
from nameko.events import SERVICE_POOL, EventHandler, get_event_exchange
from nameko.messaging import Consumer
from nameko.standalone.rpc import ClusterRpcProxy
from tenacity import Retrying, stop_after_attempt, wait_exponential

from chassis import deadletters
from chassis.checkpoints import read_checkpoint, save_checkpoint
from chassis.envelope import CLOUDEVENTS_CONTENT_TYPE, RecordedEvent
from chassis.errors import StoreUnavailable
from chassis.nameko_deps import Delivery, Inbox, lock_stream
from chassis.pii import mask_text

log = structlog.get_logger("vetlife.subscriber")
# Failures of the subscriber's own infrastructure, not of the event: retried, never poison.
TRANSIENT = (StoreUnavailable, psycopg2.OperationalError, psycopg2.InterfaceError)

# Register the CloudEvents content type with kombu, so nameko decodes our events. A department's
# own nameko service does the same with the SERIALIZERS/ACCEPT config shown in the README.
kombu.serialization.register(
    "cloudevents", json.dumps, json.loads, content_type=CLOUDEVENTS_CONTENT_TYPE,
    content_encoding="utf-8",
)
NAMEKO_SERIALIZER_CONFIG = {"ACCEPT": ["json", "cloudevents"]}

# A parked event whose turn has come: the next version of its stream, or the one a catch-up
# found to follow the last handled one.
_READY = (
    "FROM parked_events p JOIN stream_progress s "
    "ON s.consumer = p.consumer AND s.stream_id = p.stream_id "
    "WHERE p.consumer = %s AND (p.stream_version = s.last_version + 1 "
    "OR p.prev_version = s.last_version)"
)


class Subscription(EventHandler):
    """Handle `event_types` events of `source_service`: each once, one stream's in stream order.

    `event_types` is one type or several; one handler for several types of a stream sees them
    all in that stream's order (VeteranRegistered before ContactAmended). With `ordered` (the
    default) and the handler's `self.inbox.once(event)`, an event that comes before an earlier
    one of its stream waits in parked_events and is handed over again in its turn; a repeat
    is dropped (docs/process-managers.md, "Ordered handling").

    A failing handler is retried `attempts` times with exponential backoff, then its message is
    dead-lettered with the reason and acked: never acked away silently, never blocking the queue
    (later events of that one stream wait for it). Every `catch_up_every` seconds, at start, and
    `gap_wait` seconds after an event had to wait, the subscription also reads the producer's log
    through its `events_after` RPC from its own checkpoint, so events lost with a queue, or
    published before it existed, still arrive. `catch_up_every=0` switches catch-up off.
    """

    def __init__(self, source_service, event_types, attempts=5, backoff=0.1,
                 catch_up_every=30.0, requeue_pause=2.0, ordered=True, gap_wait=1.0, **kwargs):
        types = (event_types,) if isinstance(event_types, str) else tuple(event_types)
        if not types:
            raise ValueError("subscribe to at least one event type")
        # One type keeps nameko's queue name (evt-<source>-<type>--<service>.<method>).
        super().__init__(source_service, "+".join(types), handler_type=SERVICE_POOL,
                         reliable_delivery=True, requeue_on_error=False, **kwargs)
        self.event_types = types
        self.attempts = attempts
        self.requeue_pause = requeue_pause
        self.backoff = backoff
        self.catch_up_every = catch_up_every
        self.ordered = ordered
        self.gap_wait = gap_wait
        self.stats: Counter = Counter()  # outcomes (handled, duplicate, parked, ...) and acks
        self._deliveries: dict[int, Delivery] = {}

    @property
    def consumer_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def setup(self):
        # Made here, after nameko's monkey patching: green.
        self._gap = threading.Event()
        self._dead_lettering = threading.Lock()
        exchange = get_event_exchange(self.source_service, self.container.config)
        self.queue = Queue(
            f"evt-{self.source_service}-{self.event_type}--{self.container.service_name}."
            f"{self.method_name}",
            bindings=[binding(exchange, routing_key=t) for t in self.event_types],
            durable=True, auto_delete=False, exclusive=False,
        )
        Consumer.setup(self)  # nameko's EventHandler.setup would bind one routing key only
        connection = pika.BlockingConnection(pika.URLParameters(self._amqp_uri))
        try:
            deadletters.declare(connection.channel(), self.queue.name)
        finally:
            connection.close()

    def start(self):
        super().start()
        if self.catch_up_every:
            self.container.spawn_managed_thread(self._catch_up_forever,
                                                identifier=f"catch-up {self.consumer_name}")

    @property
    def _amqp_uri(self) -> str:
        return self.container.config["AMQP_URI"]

    def delivery_of(self, event) -> Delivery | None:
        """What the Inbox needs to know of the hand-over of `event` to its worker: where the
        event came from, and whether to keep order."""
        return self._deliveries.get(id(event))

    # -- the broker path ---------------------------------------------------------------------

    def handle_message(self, body, message):
        try:
            cloudevent = body if isinstance(body, dict) else json.loads(body)
            event = RecordedEvent.from_cloudevent(cloudevent)
        except (KeyError, TypeError, ValueError) as exc:
            self._dead_letter(message.body, message.properties.get("content_type"),
                              f"not a vetlife CloudEvent: {type(exc).__name__}: {exc}", 0)
            self.queue_consumer.ack_message(message)
            return
        context_data = self.unpack_message_headers(message)
        context_data["correlation_id"] = event.correlation_id or context_data.get("correlation_id")
        # The dead-letter CLI re-queues through the default exchange; the relay publishes to
        # <service>.events. Only a person's re-queue may hand a dead-lettered event over again.
        kind = "requeued" if message.delivery_info.get("exchange") == "" else "bus"
        self.container.spawn_managed_thread(
            partial(self._deliver, event, Delivery(cloudevent, kind), context_data, message),
            identifier=f"deliver {event.event_type} to {self.consumer_name}",
        )

    def _deliver(self, event, delivery, context_data, message):
        try:
            self.handle_with_retries(event, context_data, delivery)
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)
            return
        except TRANSIENT as exc:
            # Our own database is away: the event is fine, so it goes back to the queue (after a
            # pause, not to spin) instead of among the poison.
            log.warning("subscriber.requeued", consumer=self.consumer_name,
                        error=type(exc).__name__)
            eventlet.sleep(self.requeue_pause)
            self.queue_consumer.requeue_message(message)
            return
        except Exception as exc:  # noqa: BLE001 - any other handler failure is poison
            try:
                self._dead_letter(message.body, message.properties.get("content_type"),
                                  f"{type(exc).__name__}: {exc}", self.attempts, event,
                                  requeued=delivery.kind == "requeued")
            except Exception as broker_exc:  # noqa: BLE001 - never ack what was not parked
                log.warning("subscriber.dead_letter_failed", consumer=self.consumer_name,
                            error=type(broker_exc).__name__)
                self.queue_consumer.requeue_message(message)
                return
        self.queue_consumer.ack_message(message)
        self.stats["acked"] += 1
        self._after(event, delivery)

    def handle_with_retries(self, event: RecordedEvent, context_data: dict,
                            delivery: Delivery | None = None) -> None:
        for attempt in Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.backoff, max=5),
            reraise=True,
        ):
            with attempt:
                self._run_worker(event, context_data, delivery)

    def _run_worker(self, event, context_data, delivery):
        done = eventlet.event.Event()

        def handle_result(worker_ctx, result=None, exc_info=None):
            done.send(exc_info)
            return result, exc_info

        if delivery is not None:
            delivery.ordered = self.ordered
            self._deliveries[id(event)] = delivery
        try:
            self.container.spawn_worker(self, (event,), {}, context_data=dict(context_data),
                                        handle_result=handle_result)
            exc_info = done.wait()
        finally:
            self._deliveries.pop(id(event), None)
        if exc_info is not None:
            raise exc_info[1]

    def _after(self, event: RecordedEvent, delivery: Delivery) -> None:
        """Count what the handler's `once` did; wake catch-up for a gap, drain a closed one."""
        if delivery.outcome:
            self.stats[delivery.outcome] += 1
        if delivery.outcome == "parked" and delivery.kind != "log":
            # The missing event may be one the bus lost: ask the log soon, not in 30 s. (One
            # that waits although the log was read up to it waits for a dead letter: the log
            # has nothing more to say about it.)
            self._gap.set()
        if delivery.parked_behind:
            self._drain_closed_gap(event.stream_id)

    def _drain_closed_gap(self, stream_id: str, tries: int = 10) -> None:
        """Drain after the event that closed a gap, through a database hiccup or two.

        An exception here would end the managed thread, and nameko kills the whole container
        for that; a drain given up on waits for the next catch-up round or the stream's next
        event.
        """
        for _ in range(tries):
            try:
                self.drain(stream_id)
                return
            except Exception as exc:  # noqa: BLE001 - see above
                log.warning("subscriber.drain_failed", consumer=self.consumer_name,
                            error=type(exc).__name__)
                eventlet.sleep(self.requeue_pause)

    def _dead_letter(self, body, content_type, reason: str, attempts: int,
                     event: RecordedEvent | None = None, requeued: bool = False) -> None:
        if event is None:
            self._publish_dead_letter(body, content_type, reason, attempts)
            return
        # One at a time, so two copies of one poison event failing together leave one letter.
        with self._dead_lettering:
            if not requeued and self._is_dead_lettered(event):
                log.info("subscriber.dead_letter_exists", consumer=self.consumer_name,
                         event_id=event.event_id)
                return
            self._publish_dead_letter(body, content_type, reason, attempts)
            self._record_dead_letter(event, reason)

    def _publish_dead_letter(self, body, content_type, reason: str, attempts: int) -> None:
        log.error("subscriber.dead_lettered", consumer=self.consumer_name, reason=reason,
                  attempts=attempts)
        connection = pika.BlockingConnection(pika.URLParameters(self._amqp_uri))
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            channel.basic_publish(
                deadletters.EXCHANGE, self.queue.name,
                body if isinstance(body, bytes) else str(body).encode(),
                pika.BasicProperties(
                    content_type=content_type or CLOUDEVENTS_CONTENT_TYPE,
                    delivery_mode=pika.DeliveryMode.Persistent,
                    headers=deadletters.dead_letter_headers(self.queue.name, reason, attempts),
                ),
                mandatory=True,
            )
        finally:
            connection.close()
        self.stats["dead_letters"] += 1

    def _is_dead_lettered(self, event: RecordedEvent) -> bool:
        try:
            with self._inbox_db().transaction() as cur:
                cur.execute("SELECT 1 FROM dead_lettered WHERE consumer = %s AND event_id = %s",
                            (self.consumer_name, event.event_id))
                return cur.fetchone() is not None
        except Exception:  # noqa: BLE001 - cannot tell: a second letter beats none
            return False

    def _record_dead_letter(self, event: RecordedEvent, reason: str) -> None:
        """Remember the dead letter in our database, so catch-up does not make a second one.

        After the publish, never before: a crash between the two then costs a second dead
        letter at worst, while the other order could lose the event (recorded, never parked).
        Its own transaction: the handler's rolled back with the failure.
        """
        db = self._inbox_db()
        try:
            with db.statement() as cur:
                cur.execute("INSERT INTO stream_progress (consumer, stream_id) VALUES (%s, %s) "
                            "ON CONFLICT DO NOTHING", (self.consumer_name, event.stream_id))
            with db.transaction() as cur:
                # Under the stream's lock, as `once` works: never a wait inside libpq.
                lock_stream(cur, self.consumer_name, event.stream_id)
                cur.execute(
                    "INSERT INTO dead_lettered (consumer, event_id, stream_id, stream_version, "
                    "position, reason) VALUES (%s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (consumer, event_id) DO UPDATE SET reason = EXCLUDED.reason, "
                    "dead_lettered_at = now()",
                    (self.consumer_name, event.event_id, event.stream_id, event.stream_version,
                     event.position, mask_text(reason)[:1000]),
                )
                # A parked event that failed its turn is now the dead letter's to keep.
                cur.execute("DELETE FROM parked_events WHERE consumer = %s AND event_id = %s",
                            (self.consumer_name, event.event_id))
        except Exception as exc:  # noqa: BLE001 - the dead letter itself is safe in the broker
            log.warning("subscriber.dead_letter_unrecorded", consumer=self.consumer_name,
                        error=type(exc).__name__)

    # -- the waiting room (parked events) ------------------------------------------------------

    def drain(self, stream_id: str) -> int:
        """Hand over, in order, the parked events of `stream_id` whose turn has come."""
        db = self._inbox_db()
        handed = 0
        while True:
            with db.transaction() as cur:
                cur.execute(f"SELECT p.cloudevent, p.arrived_by {_READY} AND p.stream_id = %s "
                            "ORDER BY p.stream_version LIMIT 1",
                            (self.consumer_name, stream_id))
                row = cur.fetchone()
            if row is None:
                return handed
            cloudevent, arrived_by = row
            event = RecordedEvent.from_cloudevent(cloudevent)
            delivery = Delivery(cloudevent, "drain", origin=arrived_by)
            try:
                self.handle_with_retries(event, {"correlation_id": event.correlation_id},
                                         delivery)
            except (ContainerBeingKilled, *TRANSIENT) as exc:
                # Still parked: the next catch-up round drains it.
                log.warning("subscriber.drain_paused", consumer=self.consumer_name,
                            error=type(exc).__name__)
                return handed
            except Exception as exc:  # noqa: BLE001 - poison, as on the broker path
                self._dead_letter(json.dumps(cloudevent).encode(), CLOUDEVENTS_CONTENT_TYPE,
                                  f"{type(exc).__name__}: {exc}", self.attempts, event)
                return handed
            if delivery.outcome:
                self.stats[delivery.outcome] += 1
            if delivery.outcome not in ("handled", "duplicate", "dead_lettered"):
                return handed  # it has to wait after all (a race with another worker)
            handed += 1

    def drain_ready(self) -> int:
        """Drain every stream with a parked event whose turn has come (after a crash, say)."""
        with self._inbox_db().transaction() as cur:
            cur.execute(f"SELECT DISTINCT p.stream_id {_READY}", (self.consumer_name,))
            streams = [row[0] for row in cur.fetchall()]
        return sum(self.drain(stream_id) for stream_id in streams)

    # -- the log path (catch-up) -------------------------------------------------------------

    def _inbox_db(self):
        for dependency in self.container.dependencies:
            if isinstance(dependency, Inbox):
                return dependency.db
        raise LookupError(f"{self.consumer_name} needs an Inbox dependency to catch up")

    def _checkpoint(self, db) -> int:
        with db.transaction() as cur:
            return read_checkpoint(cur, f"catch-up:{self.consumer_name}")

    def _save_checkpoint(self, db, position: int) -> None:
        with db.transaction() as cur:
            save_checkpoint(cur, f"catch-up:{self.consumer_name}", position)

    def _settled(self, db, event_ids: list[str]) -> set[str]:
        """Which of these events were handled or dead-lettered already: catch-up skips them."""
        with db.transaction() as cur:
            cur.execute(
                "SELECT event_id::text FROM inbox WHERE consumer = %(c)s "
                "AND event_id = ANY(%(ids)s::uuid[]) UNION SELECT event_id::text "
                "FROM dead_lettered WHERE consumer = %(c)s AND event_id = ANY(%(ids)s::uuid[])",
                {"c": self.consumer_name, "ids": event_ids},
            )
            return {row[0] for row in cur.fetchall()}

    def catch_up(self, page: int = 500) -> int:
        """Read the producer's log after our checkpoint and hand over what it holds; return how
        many events were handed over (repeats included)."""
        db = self._inbox_db()
        handed = 0
        with ClusterRpcProxy(self.container.config, timeout=30) as cluster:
            producer = getattr(cluster, self.source_service)
            while True:
                after = self._checkpoint(db)
                page_events = producer.events_after(after, page, list(self.event_types))
                if not page_events["events"]:
                    if page_events["head"] > after:
                        self._save_checkpoint(db, page_events["head"])
                    break
                settled = self._settled(db, [raw["id"] for raw in page_events["events"]])
                for raw in page_events["events"]:
                    if raw["id"] in settled:
                        continue  # handled, or dead-lettered once already: never a second time
                    event = RecordedEvent.from_cloudevent(raw)
                    delivery = Delivery(raw, "log")
                    try:
                        self.handle_with_retries(event, {"correlation_id": event.correlation_id},
                                                 delivery)
                    except TRANSIENT:
                        raise  # stop here, checkpoint unmoved: the next round tries again
                    except Exception as exc:  # noqa: BLE001
                        self._dead_letter(json.dumps(raw).encode(), CLOUDEVENTS_CONTENT_TYPE,
                                          f"{type(exc).__name__}: {exc}", self.attempts, event)
                    else:
                        self._after(event, delivery)
                    handed += 1
                self._save_checkpoint(db, page_events["events"][-1]["position"])
        if self.ordered:
            handed += self.drain_ready()
        return handed

    def _catch_up_forever(self):
        while True:
            try:
                count = self.catch_up()
                if count:
                    log.info("subscriber.caught_up", consumer=self.consumer_name, events=count)
            except Exception as exc:  # noqa: BLE001 - the producer may be down; try again later
                log.warning("subscriber.catch_up_failed", consumer=self.consumer_name,
                            error=type(exc).__name__)
            if self._gap.wait(self.catch_up_every):
                # A burst of early events makes one catch-up, and the bus gets a moment to
                # bring the missing one itself.
                eventlet.sleep(self.gap_wait)
                self._gap.clear()


subscribe = Subscription.decorator
