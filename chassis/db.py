"""PostgreSQL connections for a service: a small pool and a transaction context manager."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from chassis.errors import StoreUnavailable

psycopg2.extras.register_uuid()


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
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None or conn.closed:
                conn = self._connect()
            yield conn
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            if conn is not None:
                conn.close()
            raise StoreUnavailable("the service's database connection failed") from exc
        finally:
            if conn is not None and not conn.closed:
                if conn.status != psycopg2.extensions.STATUS_READY:
                    conn.rollback()
                with self._lock:
                    self._idle.append(conn)
            self._slots.release()

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
