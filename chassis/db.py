"""PostgreSQL connections for a service: a small pool and a transaction context manager."""
from __future__ import annotations

import select
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar
from urllib.parse import urlparse, urlunparse

import psycopg2
import psycopg2.errorcodes
import psycopg2.extensions
import psycopg2.extras
import structlog
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from chassis.errors import ChassisError, StatementFailed, StoreUnavailable, TransactionConflict

psycopg2.extras.register_uuid()
log = structlog.get_logger("vetlife.db")
T = TypeVar("T")

# A transaction that failed with one of these lost a race with another transaction; PostgreSQL
# rolled it back, and the same work run again from its start may well succeed.
RETRYABLE_SQLSTATES = frozenset({
    psycopg2.errorcodes.SERIALIZATION_FAILURE,  # 40001
    psycopg2.errorcodes.DEADLOCK_DETECTED,  # 40P01
})
# The server is going away, starting, or out of resources: the database is unavailable to us,
# whatever the statement was. Class 08 (connection exceptions) is told by its prefix.
_UNAVAILABLE_SQLSTATES = frozenset({
    psycopg2.errorcodes.ADMIN_SHUTDOWN,  # 57P01: terminated by an administrator or a restart
    psycopg2.errorcodes.CRASH_SHUTDOWN,  # 57P02
    psycopg2.errorcodes.CANNOT_CONNECT_NOW,  # 57P03: starting up or shutting down
})
DEFAULT_RETRIES = 3


def classify(exc: psycopg2.Error, conn: psycopg2.extensions.connection | None) -> ChassisError:
    """What a psycopg2 error means for the caller: the database is unreachable (a 503), the
    transaction lost a race (retry it), or the statement was refused (the connection is fine)."""
    code = exc.pgcode
    if (conn is None or conn.closed or isinstance(exc, psycopg2.InterfaceError) or code is None
            or code.startswith(("08", "53")) or code in _UNAVAILABLE_SQLSTATES):
        # No SQLSTATE means the client lost the server (a reset socket, EOF); class 53 is the
        # server out of disk, memory or connection slots.
        return StoreUnavailable("the service's database connection failed")
    name = psycopg2.errorcodes.lookup(code) or "unknown"
    if code in RETRYABLE_SQLSTATES:
        return TransactionConflict(f"the transaction lost a race with another ({code} {name})", code)
    return StatementFailed(f"the database refused the statement ({code} {name})", code)


def retry_conflicts(call: Callable[[], T], retries: int = DEFAULT_RETRIES) -> T:
    """`call()`, called again after a jittered, growing pause each time it raises
    TransactionConflict, at most `retries` more times; then the last TransactionConflict.

    For work of several transactions (load, decide, append) that is safe to repeat whole. The
    jitter keeps two transactions that deadlocked from meeting again in step.
    """
    for attempt in Retrying(
        retry=retry_if_exception_type(TransactionConflict),
        stop=stop_after_attempt(retries + 1),
        wait=wait_random_exponential(multiplier=0.02, max=0.5),
        before_sleep=lambda state: log.warning(
            "db.retrying", pgcode=state.outcome.exception().pgcode, attempt=state.attempt_number),
        reraise=True,
    ):
        with attempt:
            return call()
    raise AssertionError("unreachable: tenacity either returns or reraises")


def _alive(conn: psycopg2.extensions.connection) -> bool:
    """Whether an idle pooled connection is still usable, told without a round trip.

    An idle connection has nothing to read; if it has, it is PostgreSQL's goodbye (a restart
    terminated the session) or EOF, and the connection is dead although psycopg2 does not know.
    """
    if conn.closed:
        return False
    try:
        readable, _, _ = select.select([conn], [], [], 0)
    except OSError:
        return False
    except ValueError:  # a descriptor past select's limit: cannot tell, so trust it as before
        return True
    return not readable


class Database:
    """A pool of connections to one service's database.

    The pool is hand-sized rather than psycopg2.pool because a connection that broke (PostgreSQL
    restarted) must be dropped, not handed to the next worker.
    """

    def __init__(self, url: str, max_connections: int = 10, connect_timeout: int = 5):
        self.url = url
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self._idle: list[psycopg2.extensions.connection] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_connections)

    def _connect(self) -> psycopg2.extensions.connection:
        try:
            conn = psycopg2.connect(self.url, connect_timeout=self.connect_timeout)
        except psycopg2.OperationalError as exc:
            raise StoreUnavailable("the service's database cannot be reached") from exc
        conn.autocommit = False
        return conn

    @contextmanager
    def connection(self) -> Iterator[psycopg2.extensions.connection]:
        self._slots.acquire()
        conn = None
        try:
            conn = self._checkout()
            yield conn
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            failure = classify(exc, conn)
            if isinstance(failure, StoreUnavailable) and conn is not None:
                conn.close()
            # Otherwise the connection is fine: rolled back below and pooled again, since a
            # deadlock or a timeout says nothing about it and a new one costs a round trip or three.
            raise failure from exc
        finally:
            try:
                if conn is not None and not conn.closed:
                    if conn.status != psycopg2.extensions.STATUS_READY:
                        conn.rollback()
                    with self._lock:
                        self._idle.append(conn)
            except psycopg2.Error:
                conn.close()  # broken while being put back: dropped, never pooled
            finally:
                # Always, or a connection that failed on its way back would leak its slot
                # and, after max_connections such failures, every caller would wait forever.
                self._slots.release()

    def _checkout(self) -> psycopg2.extensions.connection:
        """An idle connection that is still alive, else a new one.

        After PostgreSQL restarts, every idle connection is dead; handing one out would fail
        the first request to use it with a 503 although the database is back.
        """
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connect()
            if _alive(conn):
                return conn
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[psycopg2.extensions.cursor]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.connection() as conn:
            try:
                with conn.cursor() as cur:
                    yield cur
                conn.commit()
            except BaseException:
                if not conn.closed:
                    conn.rollback()
                raise

    @contextmanager
    def statement(self) -> Iterator[psycopg2.extensions.cursor]:
        """A cursor whose every statement is its own transaction.

        For work that is one statement (an append is one function call), this is one round
        trip instead of three: psycopg2 otherwise sends BEGIN and COMMIT separately.
        """
        with self.connection() as conn:
            conn.autocommit = True
            try:
                with conn.cursor() as cur:
                    yield cur
            finally:
                if not conn.closed:
                    conn.autocommit = False

    def run(self, work: Callable[[psycopg2.extensions.cursor], T], retries: int = DEFAULT_RETRIES,
            autocommit: bool = False) -> T:
        """`work(cur)` in one transaction, its result returned; run again whole when the
        transaction lost a race (deadlock, serialization failure), as retry_conflicts says.

        A `with` block cannot be run twice, hence a function rather than transaction(retries=).
        `work` must do nothing outside this database that it cannot do twice. With `autocommit`
        each statement is its own transaction (Database.statement): for work of one statement,
        such as an append; work of several would be repeated from its first, committed one.
        """
        def attempt() -> T:
            with (self.statement() if autocommit else self.transaction()) as cur:
                return work(cur)

        return retry_conflicts(attempt, retries)

    def close(self) -> None:
        with self._lock:
            for conn in self._idle:
                conn.close()
            self._idle.clear()


def server_url(url: str) -> tuple[str, str]:
    """Split a database URL into (URL of the maintenance database, database name)."""
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    return urlunparse(parts._replace(path="/postgres")), name


def ensure_database(url: str) -> bool:
    """Create the database named in `url` if it is missing; True if it was created."""
    admin_url, name = server_url(url)
    conn = psycopg2.connect(admin_url, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone():
                return False
            cur.execute(f'CREATE DATABASE "{name}"')
            return True
    finally:
        conn.close()
