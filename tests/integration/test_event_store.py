"""The event store against the real PostgreSQL: versions, idempotency, claims, gap-free order, upcasting."""
import threading
import time
import uuid

import eventlet
import psycopg2
import pytest

from chassis.envelope import Metadata, NewEvent
from chassis.errors import ClaimTaken, IdempotencyKeyReused, StreamVersionConflict
from chassis.store import PostgresEventStore
from contracts.versioning import Upcasters
from tests.conftest import wait_until


def registered(name="王建国"):
    return NewEvent("VeteranRegistered", {"veteran_id": "v", "name": name})


def amended(phone="13800000000"):
    return NewEvent("ContactAmended", {"veteran_id": "v", "phone": phone})


def test_a_file_read_back_carries_the_whole_envelope(registry_store):
    meta = Metadata(correlation_id="corr-1", causation_id="cmd-1", actor="staff:李红")
    result = registry_store.append("file-1", [registered(), amended()], 0, meta)

    events = registry_store.read_stream("file-1")

    assert result.stream_version == 2 and result.last_position == 2
    assert [(e.event_type, e.stream_version, e.position) for e in events] == [
        ("VeteranRegistered", 1, 1), ("ContactAmended", 2, 2)]
    first = events[0]
    assert (first.correlation_id, first.causation_id, first.actor) == (
        "corr-1", "cmd-1", "staff:李红")
    assert first.schema_version == 1 and first.stream_id == "file-1"
    assert first.recorded_at.tzinfo is not None and first.occurred_at.tzinfo is not None
    uuid.UUID(first.event_id)


def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(registry_store):
    registry_store.append("file-1", [registered()], 0, Metadata())
    registry_store.append("file-1", [amended("13811111111")], 1, Metadata())

    with pytest.raises(StreamVersionConflict) as conflict:
        registry_store.append("file-1", [amended("13922222222")], 1, Metadata())

    assert (conflict.value.expected, conflict.value.actual) == (1, 2)
    assert [e.data.get("phone") for e in registry_store.read_stream("file-1")] == [
        None, "13811111111"]
    assert registry_store.head() == 2


def test_a_retried_command_returns_the_first_result_and_writes_nothing(registry_store):
    first = registry_store.append("file-1", [registered()], 0, Metadata(),
                                  command_id="key-1", request="digest-a")
    retry = registry_store.append("file-2", [registered()], 0, Metadata(),
                                  command_id="key-1", request="digest-a")

    assert retry.replayed and not first.replayed
    assert retry.stream_id == "file-1" and retry.stream_version == 1
    assert registry_store.read_stream("file-2") == []
    assert registry_store.head() == 1


def test_a_key_reused_for_a_different_request_is_refused(registry_store):
    registry_store.append("file-1", [registered()], 0, Metadata(),
                          command_id="key-1", request="digest-a")
    with pytest.raises(IdempotencyKeyReused):
        registry_store.append("file-2", [registered()], 0, Metadata(),
                              command_id="key-1", request="digest-b")
    assert registry_store.head() == 1


def test_a_second_claim_on_an_id_number_names_the_first_file(registry_store):
    claim = [("resident_id_number", "330703196805170011")]
    registry_store.append("file-1", [registered()], 0, Metadata(), claims=claim)

    with pytest.raises(ClaimTaken) as taken:
        registry_store.append("file-2", [registered()], 0, Metadata(), claims=claim)

    assert taken.value.stream_id == "file-1"
    assert registry_store.read_stream("file-2") == [] and registry_store.head() == 1


def test_claims_are_stored_as_digests_not_id_numbers(registry_store, registry_db):
    registry_store.append("file-1", [registered()], 0, Metadata(),
                          claims=[("resident_id_number", "330703196805170011")])
    with registry_db.transaction() as cur:
        cur.execute("SELECT digest FROM unique_claims")
        (digest,) = cur.fetchone()
    assert "330703196805170011" not in digest and len(digest) == 64


# The advisory lock the test holds the slow append on (the chassis keys its own by hashtext()).
HOLD_KEY = 774_100


def test_a_late_commit_is_never_skipped_by_a_reader(registry_store, registry_db):
    """Two appends on the production path (one autocommit statement each): the first to start
    takes position 1 and is held just before it commits; the second has then provably sent its
    append and is waiting behind the first. A reader that follows the store by position must
    see neither yet, then both, in order: never position 2 with position 1 still to come."""
    gate = psycopg2.connect(registry_db.url)
    gate.autocommit = True
    cur = gate.cursor()
    # Test scaffolding in the database, not in the code under test: the slow append's own
    # insert waits on a lock this test holds, inside vetlife_append, after it took the head.
    cur.execute(
        "CREATE OR REPLACE FUNCTION test_hold_slow_append() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN IF NEW.stream_id = 'slow' THEN PERFORM pg_advisory_xact_lock_shared(%s); "
        "END IF; RETURN NEW; END $$", (HOLD_KEY,))
    cur.execute("CREATE TRIGGER test_hold_slow_append AFTER INSERT ON stored_events "
                "FOR EACH ROW EXECUTE FUNCTION test_hold_slow_append()")
    cur.execute("SELECT pg_advisory_lock(%s)", (HOLD_KEY,))
    try:
        slow = eventlet.spawn(registry_store.append, "slow", [registered("慢")], 0, Metadata())
        slow_pid = wait_until(lambda: _waiting_on_advisory_lock(cur), timeout=10,
                              what="the slow append to hold position 1 before its commit")
        fast = eventlet.spawn(registry_store.append, "fast", [registered("快")], 0, Metadata())
        wait_until(lambda: _blocked_by(cur, slow_pid), timeout=10,
                   what="the fast append to wait behind the slow one")
        assert not slow.dead and not fast.dead  # neither has committed

        seen_while_slow_is_open = registry_store.read_all(after=0)
        head_while_slow_is_open = registry_store.head()

        cur.execute("SELECT pg_advisory_unlock(%s)", (HOLD_KEY,))
        slow_result, fast_result = slow.wait(), fast.wait()  # both have committed
        seen_after = registry_store.read_all(after=0)
    finally:
        cur.execute("SELECT pg_advisory_unlock_all()")
        cur.execute("DROP TRIGGER IF EXISTS test_hold_slow_append ON stored_events")
        cur.execute("DROP FUNCTION IF EXISTS test_hold_slow_append()")
        gate.close()

    assert seen_while_slow_is_open == [] and head_while_slow_is_open == 0
    assert (slow_result.last_position, fast_result.last_position) == (1, 2)
    assert [(e.position, e.stream_id) for e in seen_after] == [(1, "slow"), (2, "fast")]


def _waiting_on_advisory_lock(cur):
    cur.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND objid = %s", (HOLD_KEY,))
    row = cur.fetchone()
    return row[0] if row else None


def _blocked_by(cur, pid):
    cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid <> %s "
                "AND %s = ANY(pg_blocking_pids(pid))", (pid, pid))
    return cur.fetchone()[0] > 0


def test_concurrent_appenders_and_a_tailing_reader_see_every_position_once(registry_store):
    writers, per_writer = 4, 40
    done = threading.Event()
    seen = []

    def write(n):
        for i in range(per_writer):
            registry_store.append(f"w{n}-{i}", [registered(), amended()], 0, Metadata())

    def tail():
        position = 0
        while True:
            finished = done.is_set()
            batch = registry_store.read_all(after=position, limit=50)
            for event in batch:
                # A tailing reader only ever sees the next position: no gap to skip over.
                assert event.position == position + 1
                position = event.position
                seen.append(position)
            if finished and not batch:
                return
            eventlet.sleep(0)

    reader = eventlet.spawn(tail)
    pool = eventlet.GreenPool()
    for n in range(writers):
        pool.spawn(write, n)
    pool.waitall()
    done.set()
    reader.wait()

    assert seen == list(range(1, writers * per_writer * 2 + 1))


def test_an_old_event_version_is_upcast_when_read(registry_db):
    upcasters = Upcasters({"HonourAdded": 2})

    @upcasters.step("HonourAdded", 1)
    def level_added(data):
        return {**data, "level": "county"}

    store = PostgresEventStore(registry_db, "registry_events", upcast=upcasters)
    store.append("file-1", [NewEvent("HonourAdded", {"honour": "三等功"}, schema_version=1)], 0,
                 Metadata())

    (event,) = store.read_stream("file-1")
    assert event.schema_version == 2
    assert event.data == {"honour": "三等功", "level": "county"}
    with registry_db.transaction() as cur:
        cur.execute("SELECT schema_version, data FROM stored_events")
        assert cur.fetchone() == (1, {"honour": "三等功"})  # the stored event is never edited


def test_a_refused_claim_leaves_no_other_claim_behind(registry_store, registry_db):
    registry_store.append("file-1", [registered()], 0, Metadata(),
                          claims=[("resident_id_number", "330703196805170011")])

    with pytest.raises(ClaimTaken):
        registry_store.append("file-2", [registered()], 0, Metadata(), claims=[
            ("grid_worker_badge", "A-001"), ("resident_id_number", "330703196805170011")])

    with registry_db.transaction() as cur:
        cur.execute("SELECT kind, stream_id FROM unique_claims ORDER BY kind")
        assert cur.fetchall() == [("resident_id_number", "file-1")]


def test_a_connection_postgresql_dropped_is_not_handed_out_again(registry_db):
    """After a restart every pooled connection is dead; the next request must still work."""
    with registry_db.transaction() as cur:
        cur.execute("SELECT pg_backend_pid()")
        (pooled_pid,) = cur.fetchone()
    admin = psycopg2.connect(registry_db.url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (pooled_pid,))
    admin.close()
    time.sleep(0.2)  # PostgreSQL's goodbye reaches the idle socket

    with registry_db.transaction() as cur:
        cur.execute("SELECT pg_backend_pid()")
        (new_pid,) = cur.fetchone()
    assert new_pid != pooled_pid
