"""PostgreSQL connections for a service: a small pool and a transaction context manager."""
from __future__ import annotations

import select
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from chassis.errors import StoreUnavailable

psycopg2.extras.register_uuid()


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
            if conn is not None:
                conn.close()
            raise StoreUnavailable("the service's database connection failed") from exc
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
