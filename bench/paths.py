"""Each benchmark pair: our path and its ceiling, measured back to back on the same machine."""
from __future__ import annotations

import io
import itertools
import json
import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pika
import psycopg2
import psycopg2.extras
import requests

from bench.data import id_numbers, registered_event_data
from bench.stats import rate
from chassis.envelope import Metadata, NewEvent
from chassis.projection import ProjectionRunner
from chassis.relay import Relay
from chassis.store import PostgresEventStore
from contracts import registry as contract
from services.registry import handlers
from services.registry.projections import VeteranList

RAW_TABLES = """
CREATE TABLE IF NOT EXISTS raw_events (id BIGSERIAL PRIMARY KEY, stream_id TEXT, data JSONB);
CREATE TABLE IF NOT EXISTS raw_veteran_list (LIKE veteran_list INCLUDING ALL);
"""


def raw_connection(url: str):
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(RAW_TABLES)
    return conn


def sample_data(count: int) -> list[dict]:
    return [registered_event_data(str(uuid.uuid4()), number, n)
            for n, number in enumerate(id_numbers(count))]


# -- 1. one event per command transaction -----------------------------------------------------

def ours_append_single(store: PostgresEventStore, data: list[dict]) -> float:
    tag = uuid.uuid4().hex[:8]

    def work():
        for n, payload in enumerate(data):
            store.append(f"{tag}-{n}", [NewEvent("VeteranRegistered", payload)], 0, Metadata(),
                         command_id=f"{tag}-{n}")

    return rate(len(data), work)


def raw_insert_single(url: str, data: list[dict]) -> float:
    """Both paths start from the same Python dicts, so both pay for turning them into JSON."""
    conn = raw_connection(url)

    def work():
        with conn.cursor() as cur:
            for n, payload in enumerate(data):
                cur.execute("INSERT INTO raw_events (stream_id, data) VALUES (%s, %s)",
                            (str(n), json.dumps(payload)))
                conn.commit()

    try:
        return rate(len(data), work)
    finally:
        conn.close()


# -- 2. batches of 100 events -------------------------------------------------------------------

def ours_append_batch(store: PostgresEventStore, data: list[dict], size: int = 100) -> float:
    tag = uuid.uuid4().hex[:8]
    batches = [data[i:i + size] for i in range(0, len(data), size)]

    def work():
        for n, batch in enumerate(batches):
            store.append(f"{tag}-{n}", [NewEvent("VeteranRegistered", d) for d in batch], 0,
                         Metadata())

    return rate(len(data), work)


def raw_insert_batch(url: str, data: list[dict], size: int = 100) -> float:
    conn = raw_connection(url)
    batches = [data[i:i + size] for i in range(0, len(data), size)]

    def work():
        with conn.cursor() as cur:
            for n, batch in enumerate(batches):
                psycopg2.extras.execute_values(
                    cur, "INSERT INTO raw_events (stream_id, data) VALUES %s",
                    [(str(n), json.dumps(payload)) for payload in batch], page_size=size)
                conn.commit()

    try:
        return rate(len(data), work)
    finally:
        conn.close()


# -- 3. relay: store -> RabbitMQ, confirmed ----------------------------------------------------

def bind_sink(amqp_uri: str, queue: str = "bench-sink") -> None:
    """A queue that takes every registry event, so published messages are routable."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare("registry.events", exchange_type="topic", durable=True)
    channel.queue_declare(queue, durable=False, arguments={"x-max-length": 1_000_000})
    channel.queue_bind(queue, "registry.events", routing_key="#")
    channel.queue_purge(queue)
    connection.close()


def forget_subscribers(amqp_uri: str, queues: list[str]) -> None:
    """Delete queues an earlier run left behind: the relay benchmark publishes 120 thousand
    events to registry.events, and a durable subscriber queue would take them all."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    for queue in queues:
        channel.queue_delete(queue)
    connection.close()


def ours_relay(store: PostgresEventStore, amqp_uri: str, count: int) -> float:
    relay = Relay("registry", store, amqp_uri, contract.public_form, checkpoint="bench-relay")
    with store.db.transaction() as cur:
        cur.execute("DELETE FROM checkpoints WHERE name = 'bench-relay'")
    try:
        relay.publisher.open()  # connecting is not publishing
        published = []
        return rate(count, lambda: published.append(relay.relay_pending()))
    finally:
        relay.close()
        bind_sink(amqp_uri)


def raw_pika_publish(store: PostgresEventStore, amqp_uri: str, count: int) -> float:
    """Plain pika: the same message bodies, published at once, every confirm awaited."""
    relay = Relay("registry", store, amqp_uri, contract.public_form)
    messages = [relay.outgoing(e) for e in store.read_all(0, count)]
    state = {"outstanding": set(), "started": 0.0, "finished": 0.0, "channel": None}

    def on_open(connection):
        connection.channel(on_open_callback=on_channel)

    def on_channel(channel):
        state["channel"] = channel
        channel.confirm_delivery(on_confirm, callback=lambda _: publish_all(channel))

    def publish_all(channel):
        state["started"] = time.perf_counter()
        for tag, message in enumerate(messages, start=1):
            channel.basic_publish("registry.events", message.routing_key, message.body,
                                  message.properties, mandatory=True)
            state["outstanding"].add(tag)

    def on_confirm(frame):
        tag, outstanding = frame.method.delivery_tag, state["outstanding"]
        if frame.method.multiple:
            outstanding.difference_update([t for t in outstanding if t <= tag])
        else:
            outstanding.discard(tag)
        if not outstanding:
            state["finished"] = time.perf_counter()
            connection.close()

    connection = pika.SelectConnection(pika.URLParameters(amqp_uri), on_open_callback=on_open,
                                       on_close_callback=lambda *_: connection.ioloop.stop())
    connection.ioloop.start()
    bind_sink(amqp_uri)
    return len(messages) / (state["finished"] - state["started"])


# -- 4. HTTP through the gateway, 8 concurrent clients ------------------------------------------

def _closed_loop(send, clients: int, seconds: float) -> float:
    """Calls per second of `send(session)` from `clients` threads, each waiting for its answer."""
    lock = threading.Lock()
    done = [0]
    deadline = time.monotonic() + seconds

    def client():
        session = requests.Session()
        while time.monotonic() < deadline:
            send(session)
            with lock:
                done[0] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return done[0] / (time.perf_counter() - started)


def _expect(response, status: int) -> None:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.url}: {response.status_code} "
                           f"{response.text[:200]}")


def http_load(url: str, bodies: list[str], headers: dict | None = None, clients: int = 8,
              seconds: float = 6.0) -> float:
    """POSTs per second that got a 201, from `clients` threads for `seconds`."""
    feed = iter(bodies)
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", **(headers or {})}

    def send(session):
        with lock:
            body = next(feed)
        _expect(session.post(url, data=body.encode(), headers=headers, timeout=30), 201)

    return _closed_loop(send, clients, seconds)


def http_read_load(urls: list[str], headers: dict | None = None, clients: int = 8,
                   seconds: float = 6.0) -> float:
    """GETs per second that got a 200, from `clients` threads for `seconds`, going round `urls`."""
    feed = itertools.cycle(urls)
    lock = threading.Lock()

    def send(session):
        with lock:
            url = next(feed)
        _expect(session.get(url, headers=headers, timeout=30), 200)

    return _closed_loop(send, clients, seconds)


def register_files(url: str, bodies: list[str], headers: dict, clients: int = 8) -> list[str]:
    """Registers one file per body through the gateway; returns their veteran ids, in order."""
    headers = {"Content-Type": "application/json", **headers}

    def register(body: str) -> str:
        response = requests.post(url, data=body.encode(), headers=headers, timeout=30)
        _expect(response, 201)
        return response.json()["veteran_id"]

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(register, bodies))


# -- 5. projection rebuild --------------------------------------------------------------------

def ours_rebuild(store: PostgresEventStore) -> float:
    runner = ProjectionRunner(store, VeteranList())
    counted = []
    elapsed = rate(1, lambda: counted.append(runner.rebuild(show_progress=False)))
    return counted[0] * elapsed


def raw_rebuild(url: str, batch: int = 1000) -> float:
    """Plain psycopg2: read the same rows in batches, insert the same columns in batches."""
    conn = raw_connection(url)
    count = [0]

    def work():
        with conn.cursor() as cur:
            cur.execute("TRUNCATE raw_veteran_list")
            after = 0
            while True:
                cur.execute("SELECT position, data FROM stored_events WHERE position > %s "
                            "ORDER BY position LIMIT %s", (after, batch))
                rows = cur.fetchall()
                if not rows:
                    break
                after = rows[-1][0]
                registered = [(d["veteran_id"], d["name"], d["id_number"][:4] + "*" * 10
                               + d["id_number"][-4:], d["sex"], d["township"],
                               d["service_station"], d["discharge_category"], d["life_stage"],
                               d["area_code_known"], p) for p, d in rows]
                psycopg2.extras.execute_values(
                    cur, "INSERT INTO raw_veteran_list VALUES %s", registered, page_size=batch)
                count[0] += len(rows)
            conn.commit()

    try:
        elapsed_rate = rate(1, work)
        return count[0] * elapsed_rate
    finally:
        conn.close()


# -- 6. the eventsourcing library saving the same aggregate ------------------------------------

def eventsourcing_app(dbname: str):
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class VeteranFile(Aggregate):
        """The same veteran file, as the eventsourcing library models an aggregate."""

        @event("Registered")
        def __init__(self, veteran_id, name, id_number, sex, birth_date, phone, address,
                     township, service_station, enlisted_on, discharged_on, branch, rank,
                     discharge_category, area_code_known, life_stage):
            self.name, self.id_number, self.sex = name, id_number, sex
            self.birth_date, self.phone, self.address = birth_date, phone, address
            self.township, self.service_station = township, service_station
            self.enlisted_on, self.discharged_on = enlisted_on, discharged_on
            self.branch, self.rank, self.category = branch, rank, discharge_category
            self.area_code_known, self.life_stage = area_code_known, life_stage

    os.environ.update({
        "PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "5432", "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "unused-trust-auth", "CREATE_TABLE": "y",
    })
    return Application(), VeteranFile


def eventsourcing_save(app_and_class, data: list[dict]) -> float:
    app, veteran_file = app_and_class

    def work():
        for payload in data:
            app.save(veteran_file(**payload))

    return rate(len(data), work)


# -- 7. latency: command commit -> reference subscriber commit ---------------------------------

def paced_commands(url: str, bodies: list[str], per_second: int, seconds: float,
                   headers: dict | None = None) -> int:
    """Open loop: each command leaves at its scheduled time, whatever the others are doing."""
    total = int(per_second * seconds)
    start = time.monotonic() + 0.2
    failures = []
    headers = {"Content-Type": "application/json", **(headers or {})}

    def send(n: int):
        time.sleep(max(0.0, start + n / per_second - time.monotonic()))
        response = requests.post(url, data=bodies[n].encode(), headers=headers, timeout=30)
        if response.status_code != 201:
            failures.append(response.status_code)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(send, range(total)))
    if failures:
        raise RuntimeError(f"{len(failures)} paced commands failed: {failures[:5]}")
    return total


def commit_to_subscriber_ms(registry_url: str, hr_url: str, since_position: int) -> list[float]:
    with psycopg2.connect(registry_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT stream_id, recorded_at FROM stored_events WHERE position > %s "
                    "AND event_type = 'VeteranRegistered'", (since_position,))
        committed = dict(cur.fetchall())
    with psycopg2.connect(hr_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT veteran_id, filed_at FROM hr_veterans WHERE veteran_id = ANY(%s)",
                    (list(committed),))
        filed = dict(cur.fetchall())
    return [(filed[v] - committed[v]).total_seconds() * 1000 for v in committed if v in filed]


# -- 8. a veteran file's load time as the store grows ------------------------------------------

def grow_store(url: str, until: int, chunk: int = 100_000) -> None:
    """Bulk-load realistic streams (registered, then two contact changes) up to `until` events."""
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT position FROM store_head")
        head = cur.fetchone()[0]
        numbers = id_numbers(until // 3 + 1, area="330702")
        position = head
        while position < until:
            buffer = io.StringIO()
            for _ in range(-(-min(chunk, until - position) // 3)):  # whole streams, rounding up
                number = next(numbers)
                stream = str(uuid.uuid4())
                payloads = [("VeteranRegistered", registered_event_data(stream, number)),
                            ("ContactAmended", {"veteran_id": stream, "phone": "13900000000",
                                                "address": "金东区东孝街道"}),
                            ("ContactAmended", {"veteran_id": stream, "phone": "13900000001",
                                                "address": "金东区孝顺镇"})]
                for version, (event_type, data) in enumerate(payloads, start=1):
                    position += 1
                    body = json.dumps(data, ensure_ascii=False).replace("\\", "\\\\")
                    buffer.write(f"{position}\t{uuid.uuid4()}\t{stream}\t{version}\t{event_type}"
                                 f"\t1\t{body}\t2020-12-31 00:00:00+00\t2020-12-31 00:00:00+00"
                                 f"\tbench\t\\N\tbench\n")
            buffer.seek(0)
            cur.copy_expert("COPY stored_events (position, event_id, stream_id, stream_version, "
                            "event_type, schema_version, data, occurred_at, recorded_at, "
                            "correlation_id, causation_id, actor) FROM STDIN", buffer)
            cur.execute("UPDATE store_head SET position = %s", (position,))
            conn.commit()
        cur.execute("ANALYZE stored_events")
        conn.commit()
    conn.close()


def load_times_ms(store: PostgresEventStore, samples: int = 400) -> list[float]:
    with store.db.transaction() as cur:
        cur.execute("SELECT stream_id FROM stored_events WHERE event_type = 'VeteranRegistered' "
                    "ORDER BY random() LIMIT %s", (samples,))
        streams = [row[0] for row in cur.fetchall()]
    random.shuffle(streams)
    times = []
    for stream in streams:
        started = time.perf_counter()
        handlers.load_file(store, stream)
        times.append((time.perf_counter() - started) * 1000)
    return times

