"""The relay's benchmark path and its ceiling: store -> RabbitMQ, persistent, confirmed, checkpointed."""
from __future__ import annotations

import time

import pika

from bench import paths
from chassis.relay import Relay
from chassis.store import PostgresEventStore
from contracts import registry as contract

SINK = "bench-sink"
CEILING_CHECKPOINT = "bench-ceiling"


def bind_sink(amqp_uri: str, queue: str = SINK) -> None:
    """A durable queue that takes every registry event, emptied.

    Durable, as a department's queue is: the relay's messages are persistent, so the broker
    confirms each only once it is on disk, for ours and for the ceiling alike (a transient
    queue would confirm from memory and measure neither path as it runs).
    """
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare("registry.events", exchange_type="topic", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, "registry.events", routing_key="#")
    channel.queue_purge(queue)
    connection.close()


def forget_subscribers(amqp_uri: str, queues: list[str]) -> None:
    """Delete queues an earlier run left behind: the relay benchmark publishes tens of
    thousands of events to registry.events, and a durable subscriber queue would take them all."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    for queue in queues:
        channel.queue_delete(queue)
    connection.close()


def ours_relay(relay: Relay, amqp_uri: str, count: int) -> float:
    """chassis.relay from checkpoint 0 to the head: read, public form, CloudEvent, publish,
    confirm, checkpoint per batch. The sink is emptied (untimed) afterwards."""
    with relay.store.db.transaction() as cur:
        cur.execute("DELETE FROM checkpoints WHERE name = %s", (relay.checkpoint,))
    relay.publisher.open()  # connecting is not publishing
    try:
        started = time.perf_counter()
        published = relay.relay_pending()
        elapsed = time.perf_counter() - started
    finally:
        relay.close()
        bind_sink(amqp_uri)
    if published != count:
        raise RuntimeError(f"the relay published {published} of {count} events")
    return count / elapsed


def checkpoint_connection(url: str):
    """The ceiling's connection for its checkpoints: autocommit, and, as the relay commits its
    checkpoints, without waiting for the WAL flush."""
    conn = paths.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
    return conn


def outgoing_messages(store: PostgresEventStore, amqp_uri: str, count: int) -> list:
    """The very messages the relay sends, built once, untimed, for the ceiling."""
    relay = Relay("registry", store, amqp_uri, contract.public_form)
    messages = []
    while len(messages) < count:
        events = store.read_all(len(messages), 5000)
        messages.extend(relay.outgoing(e) for e in events)
    return messages


def raw_pika_relay(conn, amqp_uri: str, messages: list, batch_size: int = 500) -> float:
    """Plain pika and psycopg2: the same messages, ready-made, sent in batches of the relay's
    size without ever waiting between batches, each batch's confirms collected as they come,
    and a checkpoint row committed for each batch once all of it is confirmed (without waiting
    for the WAL flush, as the relay's).

    The same durable work as the relay (every message on disk, a commit per batch) with none
    of its reading or building, and no limit on how many batches are unconfirmed at once.
    """
    batches = [messages[i:i + batch_size] for i in range(0, len(messages), batch_size)]
    ends = []  # the last delivery tag of each batch
    for batch in batches:
        ends.append((ends[-1] if ends else 0) + len(batch))
    cur = conn.cursor()
    state = {"confirmed": 0, "unconfirmed": set(), "ready": False, "error": None, "done": 0}

    def on_confirm(frame):
        method = frame.method
        if isinstance(method, pika.spec.Basic.Nack):
            state["error"] = "nack"
        tag = method.delivery_tag
        unconfirmed = state["unconfirmed"]
        if method.multiple:
            unconfirmed.difference_update(range(state["confirmed"] + 1, tag + 1))
        else:
            unconfirmed.discard(tag)
        while state["confirmed"] + 1 <= ends[-1] and state["confirmed"] + 1 not in unconfirmed \
                and state["confirmed"] + 1 <= state["sent"]:
            state["confirmed"] += 1
        while state["done"] < len(ends) and ends[state["done"]] <= state["confirmed"]:
            cur.execute("INSERT INTO checkpoints (name, position) VALUES (%s, %s) "
                        "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
                        (CEILING_CHECKPOINT, ends[state["done"]]))
            state["done"] += 1

    def on_channel(channel):
        state["channel"] = channel
        channel.confirm_delivery(on_confirm, callback=lambda _: state.update(ready=True))

    connection = pika.SelectConnection(
        pika.URLParameters(amqp_uri),
        on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
        on_open_error_callback=lambda _c, e: state.update(error=e),
        on_close_callback=lambda _c, e: state.update(error=e))
    loop = connection.ioloop
    loop.activate_poller()

    def run_until(done):
        deadline = time.monotonic() + 60
        while not done():
            if state["error"] is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the pika ceiling failed: {state['error']}")
            loop.poll()
            loop.process_timeouts()

    run_until(lambda: state["ready"])
    channel = state["channel"]
    state["sent"] = 0
    started = time.perf_counter()
    for batch in batches:
        for message in batch:
            channel.basic_publish("registry.events", message.routing_key, message.body,
                                  message.properties, mandatory=True)
            state["sent"] += 1
            state["unconfirmed"].add(state["sent"])
        run_until(lambda: connection._get_write_buffer_size() == 0)  # on the wire, as ours
    run_until(lambda: state["done"] == len(batches))
    elapsed = time.perf_counter() - started
    connection.close()
    run_until(lambda: connection.is_closed or state["error"] is not None)
    cur.close()
    bind_sink(amqp_uri)
    return len(messages) / elapsed
