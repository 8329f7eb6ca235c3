"""The store's benchmark paths and their ceilings: appends, concurrent writers, rebuild, file loads."""
from __future__ import annotations

import io
import json
import threading
import time
import uuid

import psycopg2
import psycopg2.extras

from bench.data import id_numbers, registered_event_data
from bench.stats import rate
from chassis.envelope import Metadata, NewEvent
from chassis.projection import ProjectionRunner
from chassis.store import PostgresEventStore
from services.registry import handlers
from services.registry.projections import VeteranList

# The ceilings write rows shaped exactly as ours (same columns, same unique indexes), so a ratio
# is the price of what our append adds (head lock, version check, the function call), not of
# a leaner table. Positions come from a sequence: no head, no lock.
RAW_TABLES = """
CREATE SEQUENCE IF NOT EXISTS raw_positions;
CREATE TABLE IF NOT EXISTS raw_events (LIKE stored_events INCLUDING ALL);
ALTER TABLE raw_events ALTER COLUMN position SET DEFAULT nextval('raw_positions');
CREATE TABLE IF NOT EXISTS raw_commands (LIKE handled_commands INCLUDING ALL);
CREATE TABLE IF NOT EXISTS raw_veteran_list (LIKE veteran_list INCLUDING ALL);
"""
_EVENT_COLUMNS = ("event_id, stream_id, stream_version, event_type, schema_version, data, "
                  "occurred_at, recorded_at, correlation_id, causation_id, actor")
# One statement, so in autocommit one round trip and one commit, as our append is.
_RAW_SINGLE = (
    "WITH event AS (INSERT INTO raw_events (" + _EVENT_COLUMNS + ") VALUES "
    "(%s, %s, 1, %s, 1, %s, %s, now(), %s, NULL, %s) RETURNING position) "
    "INSERT INTO raw_commands (command_id, request_digest, stream_id, stream_version, "
    "last_position) SELECT %s, NULL, %s, 1, position FROM event"
)
_RAW_COPY = "COPY raw_events (" + _EVENT_COLUMNS + ") FROM STDIN"


def connect(url: str, patience: float = 120.0):
    """psycopg2.connect, waiting while the server has no connection slot free: other test
    suites share it, and a run should wait for a slot rather than die halfway."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return psycopg2.connect(url)
        except psycopg2.OperationalError as exc:
            if "too many clients" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def raw_connection(url: str):
    """A plain psycopg2 connection in autocommit: each statement its own transaction."""
    conn = connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(RAW_TABLES)
    return conn


def sample_data(count: int) -> list[dict]:
    return [registered_event_data(str(uuid.uuid4()), number, n)
            for n, number in enumerate(id_numbers(count))]


# -- 1. one event per command ------------------------------------------------------------------

def ours_append_single(store: PostgresEventStore, data: list[dict]) -> float:
    tag = uuid.uuid4().hex[:8]

    def work():
        for n, payload in enumerate(data):
            store.append(f"{tag}-{n}", [NewEvent("VeteranRegistered", payload)], 0, Metadata(),
                         command_id=f"{tag}-{n}")

    return rate(len(data), work)


def raw_insert_single(conn, data: list[dict]) -> float:
    """The same event row and command row in one autocommit statement; both paths start from
    the same Python dicts, so both pay for the event's id, time and JSON."""
    tag = uuid.uuid4().hex[:8]

    def work():
        with conn.cursor() as cur:
            for n, payload in enumerate(data):
                event = NewEvent("VeteranRegistered", payload)
                meta = Metadata()
                cur.execute(_RAW_SINGLE, (event.event_id, f"{tag}-{n}", event.event_type,
                                          json.dumps(event.data, default=str), event.occurred_at,
                                          meta.correlation_id, meta.actor, f"{tag}-{n}",
                                          f"{tag}-{n}"))

    return rate(len(data), work)


# -- 2. batches of 100 events -------------------------------------------------------------------

def ours_append_batch(store: PostgresEventStore, data: list[dict], size: int = 100) -> float:
    tag = uuid.uuid4().hex[:8]
    batches = [data[i:i + size] for i in range(0, len(data), size)]

    def work():
        for n, batch in enumerate(batches):
            store.append(f"{tag}-{n}", [NewEvent("VeteranRegistered", d) for d in batch], 0,
                         Metadata())

    return rate(len(data), work)


def raw_insert_batch(conn, data: list[dict], size: int = 100) -> float:
    """The same 100 event rows by COPY, each batch its own transaction (autocommit).

    COPY, not execute_values or an INSERT over unnest(): of the three it was the fastest
    here (8.7k, 7.2k and 7.9k rows/s in a trial), and a ceiling is the fastest plain way.
    """
    tag = uuid.uuid4().hex[:8]
    batches = [data[i:i + size] for i in range(0, len(data), size)]

    def work():
        with conn.cursor() as cur:
            for n, batch in enumerate(batches):
                meta = Metadata()
                rows = io.StringIO()
                for version, payload in enumerate(batch, start=1):
                    event = NewEvent("VeteranRegistered", payload)
                    # COPY's text format: JSON escapes tabs and newlines itself, so only its
                    # backslashes need doubling.
                    body = json.dumps(event.data, default=str).replace("\\", "\\\\")
                    at = event.occurred_at.isoformat()
                    rows.write(f"{event.event_id}\t{tag}-{n}\t{version}\t{event.event_type}\t1\t"
                               f"{body}\t{at}\t{at}\t{meta.correlation_id}\t\\N\t{meta.actor}\n")
                rows.seek(0)
                cur.copy_expert(_RAW_COPY, rows)

    return rate(len(data), work)


# -- 3. concurrent writers on different streams ------------------------------------------------

def writers_rate(store: PostgresEventStore, payload: dict, writers: int, seconds: float) -> float:
    """Appends per second, all writers together, each appending one event per command to its
    own new streams for `seconds` on its own connection."""
    tag = uuid.uuid4().hex[:8]
    counts = [0] * writers
    start = threading.Barrier(writers + 1)
    stop = threading.Event()

    def writer(w: int) -> None:
        start.wait()
        n = 0
        while not stop.is_set():
            key = f"{tag}-{w}-{n}"
            store.append(key, [NewEvent("VeteranRegistered", payload)], 0, Metadata(),
                         command_id=key)
            n += 1
        counts[w] = n

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


# -- 4. projection rebuild --------------------------------------------------------------------

def ours_rebuild(store: PostgresEventStore) -> float:
    runner = ProjectionRunner(store, VeteranList())
    counted = []
    elapsed = rate(1, lambda: counted.append(runner.rebuild(show_progress=False)))
    return counted[0] * elapsed


def raw_rebuild(url: str, batch: int = 1000) -> float:
    """Plain psycopg2: read the same rows in batches, insert the same columns in batches, one
    transaction (as the rebuild fills its table in one)."""
    conn = raw_connection(url)
    conn.autocommit = False
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


# -- 5. a veteran file's load time as the store grows ------------------------------------------

def grow_store(url: str, until: int, chunk: int = 100_000) -> None:
    """Bulk-load realistic streams (registered, then two contact changes) up to `until` events."""
    conn = connect(url)
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
    # As autovacuum would leave a store that grew over years: hint bits set and statistics
    # known, so the first reads of each page are not what gets measured.
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE stored_events")
    conn.close()


def registered_streams(store: PostgresEventStore) -> list[str]:
    """Every file's stream id, in a stable order (so a seeded sample picks the same files)."""
    with store.db.transaction() as cur:
        cur.execute("SELECT stream_id FROM stored_events WHERE event_type = 'VeteranRegistered' "
                    "ORDER BY stream_id")
        return [row[0] for row in cur.fetchall()]


def load_times_ms(store: PostgresEventStore, streams: list[str]) -> list[float]:
    times = []
    for stream in streams:
        started = time.perf_counter()
        handlers.load_file(store, stream)
        times.append((time.perf_counter() - started) * 1000)
    return times
