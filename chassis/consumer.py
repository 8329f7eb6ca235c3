"""The idempotent subscriber entrypoint: retries with backoff, dead-letters poison, catches up from the log."""
from __future__ import annotations

import json
from functools import partial

import eventlet
import eventlet.event
import kombu.serialization
import pika
import psycopg2
import structlog
from nameko.containers import ContainerBeingKilled
from nameko.events import SERVICE_POOL, EventHandler
from nameko.standalone.rpc import ClusterRpcProxy
from tenacity import Retrying, stop_after_attempt, wait_exponential

from chassis import deadletters
from chassis.checkpoints import read_checkpoint, save_checkpoint
from chassis.envelope import CLOUDEVENTS_CONTENT_TYPE, RecordedEvent
from chassis.errors import StoreUnavailable
from chassis.nameko_deps import Inbox

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


class Subscription(EventHandler):
    """Handle `event_type` events of `source_service`, each effectively once.

    A failing handler is retried `attempts` times with exponential backoff, then its message is
    dead-lettered with the reason and acked: never acked away silently, never blocking the queue.
    Every `catch_up_every` seconds (and at start) the subscription also reads the producer's log
    through its `events_after` RPC from its own checkpoint, so events lost with a queue, or
    published before it existed, still arrive.
    """

    def __init__(self, source_service, event_type, attempts=5, backoff=0.1,
                 catch_up_every=30.0, requeue_pause=2.0, **kwargs):
        super().__init__(source_service, event_type, handler_type=SERVICE_POOL,
                         reliable_delivery=True, requeue_on_error=False, **kwargs)
        self.attempts = attempts
        self.requeue_pause = requeue_pause
        self.backoff = backoff
        self.catch_up_every = catch_up_every

    @property
    def consumer_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def setup(self):
        super().setup()
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

    # -- the broker path ---------------------------------------------------------------------

    def handle_message(self, body, message):
        try:
            event = RecordedEvent.from_cloudevent(body if isinstance(body, dict) else json.loads(body))
        except (KeyError, TypeError, ValueError) as exc:
            self._dead_letter(message.body, message.properties.get("content_type"),
                              f"not a vetlife CloudEvent: {type(exc).__name__}: {exc}", 0)
            self.queue_consumer.ack_message(message)
            return
        context_data = self.unpack_message_headers(message)
        context_data["correlation_id"] = event.correlation_id or context_data.get("correlation_id")
        self.container.spawn_managed_thread(
            partial(self._deliver, event, context_data, message),
            identifier=f"deliver {event.event_type} to {self.consumer_name}",
        )

    def _deliver(self, event, context_data, message):
        try:
            self.handle_with_retries(event, context_data)
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
                                  f"{type(exc).__name__}: {exc}", self.attempts)
            except Exception as broker_exc:  # noqa: BLE001 - never ack what was not parked
                log.warning("subscriber.dead_letter_failed", consumer=self.consumer_name,
                            error=type(broker_exc).__name__)
                self.queue_consumer.requeue_message(message)
                return
        self.queue_consumer.ack_message(message)

    def handle_with_retries(self, event: RecordedEvent, context_data: dict) -> None:
        for attempt in Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.backoff, max=5),
            reraise=True,
        ):
            with attempt:
                self._run_worker(event, context_data)

    def _run_worker(self, event, context_data):
        done = eventlet.event.Event()

        def handle_result(worker_ctx, result=None, exc_info=None):
            done.send(exc_info)
            return result, exc_info

        self.container.spawn_worker(self, (event,), {}, context_data=dict(context_data),
                                    handle_result=handle_result)
        exc_info = done.wait()
        if exc_info is not None:
            raise exc_info[1]

    def _dead_letter(self, body, content_type, reason: str, attempts: int) -> None:
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

    def catch_up(self, page: int = 500) -> int:
        """Read the producer's log after our checkpoint and handle what it holds; return count."""
        db = self._inbox_db()
        handled = 0
        with ClusterRpcProxy(self.container.config, timeout=30) as cluster:
            producer = getattr(cluster, self.source_service)
            while True:
                after = self._checkpoint(db)
                page_events = producer.events_after(after, page, [self.event_type])
                if not page_events["events"]:
                    if page_events["head"] > after:
                        self._save_checkpoint(db, page_events["head"])
                    return handled
                for raw in page_events["events"]:
                    event = RecordedEvent.from_cloudevent(raw)
                    try:
                        self.handle_with_retries(event, {"correlation_id": event.correlation_id})
                    except TRANSIENT:
                        raise  # stop here, checkpoint unmoved: the next round tries again
                    except Exception as exc:  # noqa: BLE001
                        self._dead_letter(json.dumps(raw).encode(), CLOUDEVENTS_CONTENT_TYPE,
                                          f"{type(exc).__name__}: {exc}", self.attempts)
                    handled += 1
                self._save_checkpoint(db, page_events["events"][-1]["position"])

    def _catch_up_forever(self):
        while True:
            try:
                count = self.catch_up()
                if count:
                    log.info("subscriber.caught_up", consumer=self.consumer_name, events=count)
            except Exception as exc:  # noqa: BLE001 - the producer may be down; try again later
                log.warning("subscriber.catch_up_failed", consumer=self.consumer_name,
                            error=type(exc).__name__)
            eventlet.sleep(self.catch_up_every)


subscribe = Subscription.decorator
