"""Projections (read models) fed from the store: caught up incrementally, rebuilt beside the live tables."""
from __future__ import annotations

import argparse
import importlib
import re
import sys
import time
from collections.abc import Mapping
from typing import Protocol

import psycopg2.errors
import structlog
from psycopg2.extensions import quote_ident
from tqdm import tqdm

from chassis.checkpoints import read_checkpoint, save_checkpoint
from chassis.config import database_url
from chassis.db import Database
from chassis.envelope import RecordedEvent
from chassis.errors import ChassisError
from chassis.store import PostgresEventStore

log = structlog.get_logger("vetlife.projection")


class Projection(Protocol):
    """A read model: its name, the tables it owns, and how one event changes them."""

    name: str
    tables: tuple[str, ...]

    def apply(self, cur, event: RecordedEvent) -> None: ...

    def into(self, tables: Mapping[str, str]) -> Projection:
        """The same read model writing into other tables: `tables` maps each of `self.tables`
        to the name to write instead (a rebuild fills new tables beside the live ones)."""
        ...

    # Optional: `apply_batch(cur, events)`, used when present, for projections that can write
    # a batch of events in fewer statements than one each.


REBUILD_SUFFIX = "__rebuild"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
# An index definition without its own name and its table's: what the live table's index and
# its copy on the rebuilt table have in common.
_INDEX_NAME_AND_TABLE = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ ")


class ProjectionRunner:
    """Feeds one projection from the store, its checkpoint written with its rows."""

    def __init__(self, store: PostgresEventStore, projection: Projection, batch_size: int = 1000,
                 swap_lock_timeout: float = 1.0, swap_attempts: int = 10):
        self.store = store
        self.projection = projection
        self.batch_size = batch_size
        self.checkpoint = f"projection:{projection.name}"
        # How long the swap at the end of a rebuild may wait for the live tables: requests queue
        # behind a waiting ACCESS EXCLUSIVE lock, so better to give up and try again shortly.
        self.swap_lock_timeout = swap_lock_timeout
        self.swap_attempts = swap_attempts

    def _lock(self, cur) -> None:
        # One feeder at a time per projection, or two workers would apply the same batch.
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.checkpoint,))

    def _apply(self, projection: Projection, cur, events: list[RecordedEvent]) -> None:
        apply_batch = getattr(projection, "apply_batch", None)
        if apply_batch is not None:
            apply_batch(cur, events)
        else:
            for event in events:
                projection.apply(cur, event)

    def _feed(self, cur, progress=None) -> int:
        applied = 0
        while True:
            position = read_checkpoint(cur, self.checkpoint)
            events = self.store.read_all_in(cur, position, self.batch_size)
            if not events:
                return applied
            self._apply(self.projection, cur, events)
            save_checkpoint(cur, self.checkpoint, events[-1].position)
            applied += len(events)
            if progress is not None:
                progress.update(events[-1].position - position)

    def catch_up(self) -> int:
        """Apply every event after the checkpoint; return how many were applied."""
        with self.store.db.transaction() as cur:
            self._lock(cur)
            return self._feed(cur)

    def rebuild(self, show_progress: bool = True) -> int:
        """Replay the whole store into new tables beside the live ones, then swap them in; return
        how many events the new tables were built from.

        Meanwhile requests read the live tables and catch_up keeps feeding them: the fill takes
        no lock of theirs. Only the swap locks them, in one short transaction that applies what
        was committed since the fill's last batch, replaces each live table by its new one (the
        index names kept, for later migrations) and sets the checkpoint to where the new tables
        stand. Runs as the tables' owner (it drops them); one rebuild per projection at a time.
        """
        names = {table: table + REBUILD_SUFFIX for table in self.projection.tables}
        for name in [*names, *names.values()]:
            if not _IDENTIFIER.fullmatch(name):
                raise ChassisError(f"cannot rebuild a table named {name!r}: not a plain identifier")
        if getattr(self.projection, "into", None) is None:
            raise ChassisError(f"{self.projection.name} cannot be rebuilt beside its live tables: "
                               "it has no into()")
        target = self.projection.into(names)
        rebuild_lock = f"rebuild:{self.checkpoint}"
        with self.store.db.connection() as conn:
            cur = conn.cursor()
            cur.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (rebuild_lock,))
            if not cur.fetchone()[0]:
                conn.rollback()
                raise ChassisError(f"a rebuild of {self.projection.name} is already running")
            try:
                return self._rebuild(conn, cur, target, names, show_progress)
            except BaseException:
                _drop_quietly(conn, names.values())
                raise
            finally:
                # The connection goes back to the pool: it must not keep the lock.
                try:
                    if not conn.closed:
                        conn.rollback()
                        cur.execute("SELECT pg_advisory_unlock(hashtext(%s))", (rebuild_lock,))
                        conn.commit()
                except psycopg2.Error:
                    conn.close()  # a session that ends lets go of its locks

    def _rebuild(self, conn, cur, target: Projection, names: dict[str, str],
                 show_progress: bool) -> int:
        for live, new in names.items():
            cur.execute(f"DROP TABLE IF EXISTS {new}")  # left by a rebuild that was killed
            cur.execute(f"CREATE TABLE {new} (LIKE {live} INCLUDING ALL)")
        conn.commit()
        position = applied = 0
        with tqdm(total=self.store.head(), unit="event", desc=f"rebuild {self.projection.name}",
                  disable=not show_progress) as progress:
            while True:
                # A transaction per batch: a long one would hold back vacuum on the whole
                # database for as long as the rebuild runs.
                events = self.store.read_all_in(cur, position, self.batch_size)
                if not events:
                    break
                self._apply(target, cur, events)
                conn.commit()
                progress.update(events[-1].position - position)
                position = events[-1].position
                applied += len(events)
            for new in names.values():
                cur.execute(f"ANALYZE {new}")  # the planner's statistics, before readers use it
            conn.commit()
            return applied + self._swap(conn, cur, target, names, position, progress)

    def _swap(self, conn, cur, target: Projection, names: dict[str, str], filled_to: int,
              progress) -> int:
        for attempt in range(1, self.swap_attempts + 1):
            try:
                cur.execute("SELECT set_config('lock_timeout', %s, true)",
                            (f"{int(self.swap_lock_timeout * 1000)}ms",))
                self._lock(cur)  # no catch_up feeds the live tables until the swap commits
                position, applied = filled_to, 0
                while True:  # what was committed since the fill read its last batch
                    events = self.store.read_all_in(cur, position, self.batch_size)
                    if not events:
                        break
                    self._apply(target, cur, events)
                    position, applied = events[-1].position, applied + len(events)
                for live, new in names.items():
                    _replace(cur, live, new)
                save_checkpoint(cur, self.checkpoint, position)
                conn.commit()
                progress.update(position - filled_to)
                return applied
            except psycopg2.errors.LockNotAvailable:
                conn.rollback()
                log.warning("projection.swap_waiting", projection=self.projection.name,
                            attempt=attempt)
                time.sleep(min(0.1 * attempt, 1.0))
        raise ChassisError(f"could not swap in the rebuilt {self.projection.name}: its tables "
                           f"stayed locked through {self.swap_attempts} attempts")


def _drop_quietly(conn, tables) -> None:
    """Drop a failed rebuild's tables, if the connection still can."""
    if conn.closed:
        return
    try:
        conn.rollback()
        with conn.cursor() as cur:
            for table in tables:
                cur.execute(f"DROP TABLE IF EXISTS {table}")
        conn.commit()
    except psycopg2.Error:
        conn.rollback()  # the next rebuild drops them first anyway


def _indexes(cur, table: str) -> dict[str, list[str]]:
    """A table's index names by what they index (and what constraint they back, if any)."""
    cur.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid), coalesce(k.contype, '') "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid "
        "WHERE i.indrelid = %s::regclass ORDER BY c.relname",
        (table,),
    )
    shapes: dict[str, list[str]] = {}
    for name, definition, constraint in cur.fetchall():
        shape = _INDEX_NAME_AND_TABLE.sub(r"CREATE \1INDEX ON ", definition) + constraint
        shapes.setdefault(shape, []).append(name)
    return shapes


def _replace(cur, live: str, new: str) -> None:
    """Put table `new` in the place of `live`, with its name, index names, owner and grants."""
    old_indexes, new_indexes = _indexes(cur, live), _indexes(cur, new)
    cur.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = %s::regclass", (live,))
    (owner,) = cur.fetchone()
    cur.execute(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) "
        "END, a.privilege_type, a.is_grantable FROM pg_class c, aclexplode(c.relacl) a "
        "WHERE c.oid = %s::regclass AND a.grantee <> c.relowner",
        (live,),
    )
    grants = cur.fetchall()
    # A serial column's sequence belongs to the live table and would go with it; the new
    # table's default still draws from it.
    cur.execute(
        "SELECT d.objid::regclass::text, a.attname FROM pg_depend d "
        "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
        "WHERE d.refobjid = %s::regclass AND d.classid = 'pg_class'::regclass "
        "AND d.deptype = 'a' AND (SELECT relkind FROM pg_class WHERE oid = d.objid) = 'S'",
        (live,),
    )
    for sequence, column in cur.fetchall():
        cur.execute(f"ALTER SEQUENCE {sequence} OWNED BY {new}.{quote_ident(column, cur)}")
    # No CASCADE: a view or foreign key on the live table fails the swap (rolled back, the
    # live table untouched) rather than vanish with it.
    cur.execute(f"DROP TABLE {live}")
    cur.execute(f"ALTER TABLE {new} RENAME TO {live}")
    for shape, names in new_indexes.items():
        for name, old_name in zip(names, old_indexes.get(shape, []), strict=False):
            cur.execute(f"ALTER INDEX {quote_ident(name, cur)} RENAME TO {quote_ident(old_name, cur)}")
    cur.execute(f"ALTER TABLE {live} OWNER TO {quote_ident(owner, cur)}")
    for grantee, privilege, grantable in grants:
        cur.execute(f"GRANT {privilege} ON {live} TO {grantee}"
                    + (" WITH GRANT OPTION" if grantable else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild a service's projection from its events.")
    parser.add_argument("action", choices=["rebuild", "list"])
    parser.add_argument("service", help="e.g. registry")
    parser.add_argument("projection", nargs="?", help="e.g. veteran_list (default: all)")
    args = parser.parse_args(argv)
    module = importlib.import_module(f"services.{args.service}.projections")
    projections = dict(module.PROJECTIONS)
    # Every service's facts for the bureau's figures (chassis/report_facts.py), by its own rule.
    from chassis.report_facts import NAME, ReportFacts
    try:
        rule = importlib.import_module(f"services.{args.service}.report").facts
        projections.setdefault(NAME, ReportFacts(rule))
    except ModuleNotFoundError:
        pass
    if args.action == "list":
        print("\n".join(projections))
        return 0
    chosen = [args.projection] if args.projection else list(projections)
    unknown = [name for name in chosen if name not in projections]
    if unknown:
        print(f"unknown projection(s): {', '.join(unknown)}; known: {', '.join(projections)}",
              file=sys.stderr)
        return 2
    contracts = importlib.import_module(f"contracts.{args.service}")
    store = PostgresEventStore(Database(database_url(args.service)), f"{args.service}_events",
                               upcast=contracts.upcast)
    for name in chosen:
        count = ProjectionRunner(store, projections[name]).rebuild()
        print(f"{args.service}.{name}: rebuilt from {count} event(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
