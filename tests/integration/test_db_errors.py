"""Errors of a PostgreSQL that is up are told from one that is down: retried or refused, never a 503."""
import threading

import eventlet
import pytest

from chassis import errors
from chassis.db import Database


@pytest.fixture
def db(registry_database_url):
    db = Database(registry_database_url, max_connections=4)
    with db.transaction() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS db_error_probe (id INT PRIMARY KEY, v INT NOT NULL)")
        cur.execute("TRUNCATE db_error_probe")
        cur.execute("INSERT INTO db_error_probe VALUES (1, 0), (2, 0)")
    yield db
    db.close()


def backend_pid(db) -> int:
    with db.transaction() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def connected(db, pids) -> set[int]:
    """Which of these backends still have a session (a dropped connection ends its backend)."""
    with db.transaction() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),))
        return {pid for (pid,) in cur.fetchall()}


def value(db, row: int) -> int:
    with db.transaction() as cur:
        cur.execute("SELECT v FROM db_error_probe WHERE id = %s", (row,))
        return cur.fetchone()[0]


def crossing_updates(first: int, second: int, mine: threading.Event, theirs: threading.Event,
                     attempts: list, pids: set):
    """A transaction that locks `first`, then waits (first attempt only) for the other to lock
    `second` before taking it too: two of them, crossed, deadlock."""
    def work(cur):
        attempts.append(first)
        cur.execute("SELECT pg_backend_pid()")
        pids.add(cur.fetchone()[0])
        # The detector runs after deadlock_timeout (1 s by default): sooner, for a quick test.
        cur.execute("SET LOCAL deadlock_timeout = '100ms'")
        cur.execute("UPDATE db_error_probe SET v = v + 1 WHERE id = %s", (first,))
        if attempts.count(first) == 1:
            mine.set()
            assert theirs.wait(5)
        cur.execute("UPDATE db_error_probe SET v = v + 1 WHERE id = %s", (second,))
        return first
    return work


def test_a_deadlock_is_retried_and_both_transactions_commit(db):
    a_locked, b_locked = threading.Event(), threading.Event()
    attempts, pids = [], set()
    a = eventlet.spawn(db.run, crossing_updates(1, 2, a_locked, b_locked, attempts, pids))
    b = eventlet.spawn(db.run, crossing_updates(2, 1, b_locked, a_locked, attempts, pids))

    assert (a.wait(), b.wait()) == (1, 2)

    assert len(attempts) == 3  # one of the two was chosen as the victim and ran again
    assert (value(db, 1), value(db, 2)) == (2, 2)  # each committed exactly once
    assert connected(db, pids) == pids  # the victim's connection was kept, not thrown away


def test_a_deadlock_without_retries_is_a_conflict_not_an_outage(db):
    a_locked, b_locked = threading.Event(), threading.Event()
    attempts, pids = [], set()

    def once(work):
        try:
            with db.transaction() as cur:
                return work(cur)
        except Exception as exc:  # noqa: BLE001 - inspected below
            return exc

    a = eventlet.spawn(once, crossing_updates(1, 2, a_locked, b_locked, attempts, pids))
    b = eventlet.spawn(once, crossing_updates(2, 1, b_locked, a_locked, attempts, pids))
    outcomes = [a.wait(), b.wait()]

    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert len(failures) == 1, outcomes
    assert not isinstance(failures[0], errors.StoreUnavailable), repr(failures[0])
    assert isinstance(failures[0], errors.TransactionConflict)
    assert failures[0].pgcode == "40P01" and failures[0].retryable
    assert connected(db, pids) == pids


def test_a_serialization_failure_is_retried_on_a_fresh_snapshot(db):
    attempts = []

    def increment(cur):
        attempts.append(1)
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SELECT v FROM db_error_probe WHERE id = 1")  # the snapshot is taken here
        (seen,) = cur.fetchone()
        if len(attempts) == 1:  # someone else commits a change to the row meanwhile
            with db.transaction() as other:
                other.execute("UPDATE db_error_probe SET v = 10 WHERE id = 1")
        cur.execute("UPDATE db_error_probe SET v = %s WHERE id = 1", (seen + 1,))
        return seen + 1

    assert db.run(increment) == 11
    assert len(attempts) == 2 and value(db, 1) == 11  # the other writer's change is not lost


def test_retries_give_up_with_a_conflict_after_their_attempts(db):
    attempts = []

    def always_conflicting(cur):
        attempts.append(1)
        cur.execute("DO $$ BEGIN RAISE EXCEPTION 'lost a race' "
                    "USING ERRCODE = 'serialization_failure'; END $$")

    with pytest.raises(errors.TransactionConflict) as raised:
        db.run(always_conflicting, retries=2)

    assert len(attempts) == 3 and raised.value.pgcode == "40001"


def test_a_cancelled_statement_is_refused_not_unavailable_and_keeps_its_connection(db):
    pid = backend_pid(db)
    attempts = []

    def slow(cur):
        attempts.append(1)
        cur.execute("SET LOCAL statement_timeout = '50ms'")
        cur.execute("SELECT pg_sleep(2)")

    with pytest.raises(errors.ChassisError) as raised:
        db.run(slow)

    assert not isinstance(raised.value, errors.StoreUnavailable), repr(raised.value)
    assert isinstance(raised.value, errors.StatementFailed)
    assert not isinstance(raised.value, errors.TransactionConflict)
    assert raised.value.pgcode == "57014" and not raised.value.retryable
    assert len(attempts) == 1  # not retried: the same statement would time out again
    assert backend_pid(db) == pid  # the pooled connection is used again


def test_a_lock_that_is_not_available_is_refused_not_unavailable(db):
    pid = backend_pid(db)
    holder = eventlet.spawn(_hold_row, db, 1)
    eventlet.sleep(0.2)
    try:
        with pytest.raises(errors.ChassisError) as raised:
            with db.transaction() as cur:
                cur.execute("SELECT v FROM db_error_probe WHERE id = 1 FOR UPDATE NOWAIT")
    finally:
        holder.kill()
    assert isinstance(raised.value, errors.StatementFailed), repr(raised.value)
    assert raised.value.pgcode == "55P03"
    assert pid in connected(db, {pid})


def _hold_row(db, row):
    with db.transaction() as cur:
        cur.execute("SELECT v FROM db_error_probe WHERE id = %s FOR UPDATE", (row,))
        eventlet.sleep(5)


def test_a_connection_that_died_mid_transaction_is_still_unavailable(db):
    pid = backend_pid(db)

    with pytest.raises(errors.StoreUnavailable):
        db.run(lambda cur: cur.execute("SELECT pg_terminate_backend(pg_backend_pid())"))

    assert backend_pid(db) != pid  # the dead connection was dropped, a new one made
