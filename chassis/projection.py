"""Projections (read models) fed from the store: caught up incrementally, rebuildable from position 0."""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Protocol

from tqdm import tqdm

from chassis.checkpoints import read_checkpoint, save_checkpoint
from chassis.config import database_url
from chassis.db import Database
from chassis.envelope import RecordedEvent
from chassis.store import PostgresEventStore


class Projection(Protocol):
    """A read model: its name, the tables it owns, and how one event changes them."""

    name: str
    tables: tuple[str, ...]

    def apply(self, cur, event: RecordedEvent) -> None: ...

    # Optional: `apply_batch(cur, events)`, used when present, for projections that can write
    # a batch of events in fewer statements than one each.


class ProjectionRunner:
    """Feeds one projection from the store, its checkpoint written with its rows."""

    def __init__(self, store: PostgresEventStore, projection: Projection, batch_size: int = 1000):
        self.store = store
        self.projection = projection
        self.batch_size = batch_size
        self.checkpoint = f"projection:{projection.name}"

    def _lock(self, cur) -> None:
        # One feeder at a time per projection, or two workers would apply the same batch.
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.checkpoint,))

    def _feed(self, cur, progress=None) -> int:
        applied = 0
        while True:
            position = read_checkpoint(cur, self.checkpoint)
            events = self.store.read_all_in(cur, position, self.batch_size)
            if not events:
                return applied
            apply_batch = getattr(self.projection, "apply_batch", None)
            if apply_batch is not None:
                apply_batch(cur, events)
            else:
                for event in events:
                    self.projection.apply(cur, event)
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
        """Drop the read model and replay the whole store into it, in one transaction, so readers
        see the old rows until the new ones are complete."""
        head = self.store.head()
        with self.store.db.transaction() as cur:
            self._lock(cur)
            cur.execute(f"TRUNCATE {', '.join(self.projection.tables)}")
            cur.execute("DELETE FROM checkpoints WHERE name = %s", (self.checkpoint,))
            with tqdm(total=head, unit="event", desc=f"rebuild {self.projection.name}",
                      disable=not show_progress) as progress:
                return self._feed(cur, progress)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild a service's projection from its events.")
    parser.add_argument("action", choices=["rebuild", "list"])
    parser.add_argument("service", help="e.g. registry")
    parser.add_argument("projection", nargs="?", help="e.g. veteran_list (default: all)")
    args = parser.parse_args(argv)
    module = importlib.import_module(f"services.{args.service}.projections")
    projections = module.PROJECTIONS
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
