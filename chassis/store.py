"""The event store on PostgreSQL: append with an expected version, read a stream, read everything."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg2.extras

from chassis.db import Database
from chassis.envelope import Metadata, NewEvent, RecordedEvent
from chassis.errors import ClaimTaken, IdempotencyKeyReused, StreamVersionConflict

Upcaster = Callable[[RecordedEvent], RecordedEvent]

_COLUMNS = (
    "event_id, event_type, schema_version, stream_id, stream_version, position, occurred_at, "
    "recorded_at, correlation_id, causation_id, actor, data"
)


@dataclass(frozen=True)
class AppendResult:
    """What an append did: the stream's new version, the positions written, or a replay."""

    stream_id: str
    stream_version: int
    last_position: int | None
    replayed: bool = False


@dataclass(frozen=True)
class HandledCommand:
    command_id: str
    request_digest: str | None
    stream_id: str
    stream_version: int
    last_position: int | None


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def request_digest(payload: Any) -> str:
    """A stable digest of a command's payload, to tell a retry from a reused key."""
    return digest(json.dumps(payload, sort_keys=True, default=str))


def _identity(event: RecordedEvent) -> RecordedEvent:
    return event


class PostgresEventStore:
    """One service's event store. `notify_channel` is the LISTEN channel the relay wakes on."""

    def __init__(self, db: Database, notify_channel: str, upcast: Upcaster = _identity):
        self.db = db
        self.notify_channel = notify_channel
        self.upcast = upcast

    def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int,
        metadata: Metadata,
        command_id: str | None = None,
        request: str | None = None,
        claims: Iterable[tuple[str, str]] = (),
        _before_commit: Callable[[], None] | None = None,
    ) -> AppendResult:
        """Append `events` to `stream_id` if it is still at `expected_version` (0: new stream).

        A `command_id` seen before returns the first result and writes nothing; with a different
        `request` digest it raises IdempotencyKeyReused. `claims` are (kind, value) pairs that
        must be unique across streams.
        """
        with self.db.transaction() as cur:
            # The head lock serialises appenders, so positions commit in order (no gaps for
            # readers) and the command, version and claim checks below cannot race.
            cur.execute("SELECT position FROM store_head WHERE only_row FOR UPDATE")
            head = cur.fetchone()[0]
            if command_id is not None:
                seen = self._handled(cur, command_id)
                if seen is not None:
                    if request is not None and seen.request_digest not in (None, request):
                        raise IdempotencyKeyReused(command_id)
                    return AppendResult(
                        seen.stream_id, seen.stream_version, seen.last_position, replayed=True
                    )
            cur.execute(
                "SELECT coalesce(max(stream_version), 0) FROM stored_events WHERE stream_id = %s",
                (stream_id,),
            )
            actual = cur.fetchone()[0]
            if actual != expected_version:
                raise StreamVersionConflict(stream_id, expected_version, actual)
            for kind, value in claims:
                cur.execute(
                    "INSERT INTO unique_claims (kind, digest, stream_id) VALUES (%s, %s, %s) "
                    "ON CONFLICT DO NOTHING RETURNING stream_id",
                    (kind, digest(value), stream_id),
                )
                if cur.fetchone() is None:
                    cur.execute(
                        "SELECT stream_id FROM unique_claims WHERE kind = %s AND digest = %s",
                        (kind, digest(value)),
                    )
                    raise ClaimTaken(kind, cur.fetchone()[0])
            rows = [
                (
                    head + i + 1,
                    event.event_id,
                    stream_id,
                    expected_version + i + 1,
                    event.event_type,
                    event.schema_version,
                    json.dumps(event.data, default=str),
                    event.occurred_at,
                    metadata.correlation_id,
                    metadata.causation_id,
                    metadata.actor,
                )
                for i, event in enumerate(events)
            ]
            if rows:
                psycopg2.extras.execute_values(
                    cur,
                    "INSERT INTO stored_events (position, event_id, stream_id, stream_version, "
                    "event_type, schema_version, data, occurred_at, correlation_id, causation_id, "
                    "actor, recorded_at) VALUES %s",
                    rows,
                    template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())",
                )
                cur.execute("UPDATE store_head SET position = %s", (head + len(rows),))
                # Delivered at commit, so the relay wakes for committed events only.
                cur.execute(f"NOTIFY {self.notify_channel}")
            version = expected_version + len(rows)
            last_position = head + len(rows) if rows else None
            if command_id is not None:
                cur.execute(
                    "INSERT INTO handled_commands (command_id, request_digest, stream_id, "
                    "stream_version, last_position) VALUES (%s, %s, %s, %s, %s)",
                    (command_id, request, stream_id, version, last_position),
                )
            if _before_commit is not None:
                _before_commit()
        return AppendResult(stream_id, version, last_position)

    def handled_command(self, command_id: str) -> HandledCommand | None:
        with self.db.transaction() as cur:
            return self._handled(cur, command_id)

    @staticmethod
    def _handled(cur, command_id: str) -> HandledCommand | None:
        cur.execute(
            "SELECT command_id, request_digest, stream_id, stream_version, last_position "
            "FROM handled_commands WHERE command_id = %s",
            (command_id,),
        )
        row = cur.fetchone()
        return HandledCommand(*row) if row else None

    def read_stream(self, stream_id: str) -> list[RecordedEvent]:
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {_COLUMNS} FROM stored_events WHERE stream_id = %s "
                "ORDER BY stream_version",
                (stream_id,),
            )
            return [self._recorded(row) for row in cur.fetchall()]

    def read_all(
        self, after: int = 0, limit: int = 1000, types: Sequence[str] | None = None
    ) -> list[RecordedEvent]:
        """Events after global position `after`, in order; at most `limit` of them."""
        with self.db.transaction() as cur:
            return self.read_all_in(cur, after, limit, types)

    def read_all_in(self, cur, after: int, limit: int, types: Sequence[str] | None = None):
        if types:
            cur.execute(
                f"SELECT {_COLUMNS} FROM stored_events WHERE position > %s "
                "AND event_type = ANY(%s) ORDER BY position LIMIT %s",
                (after, list(types), limit),
            )
        else:
            cur.execute(
                f"SELECT {_COLUMNS} FROM stored_events WHERE position > %s "
                "ORDER BY position LIMIT %s",
                (after, limit),
            )
        return [self._recorded(row) for row in cur.fetchall()]

    def head(self) -> int:
        """The last committed global position (0 for an empty store)."""
        with self.db.transaction() as cur:
            cur.execute("SELECT position FROM store_head")
            return cur.fetchone()[0]

    def _recorded(self, row) -> RecordedEvent:
        return self.upcast(
            RecordedEvent(
                event_id=str(row[0]),
                event_type=row[1],
                schema_version=row[2],
                stream_id=row[3],
                stream_version=row[4],
                position=row[5],
                occurred_at=row[6],
                recorded_at=row[7],
                correlation_id=row[8],
                causation_id=row[9],
                actor=row[10],
                data=row[11],
            )
        )
