"""The event store on PostgreSQL: append with an expected version, read a stream, read everything."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg2.errors

from chassis.db import Database
from chassis.envelope import Metadata, NewEvent, RecordedEvent
from chassis.errors import ClaimTaken, IdempotencyKeyReused, StreamVersionConflict

if TYPE_CHECKING:  # chassis.deadlines imports this module
    from chassis.deadlines import DeadlineChanges

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


_APPEND = (
    "SELECT * FROM vetlife_append(%s, %s, %s, %s, %s::text[], %s::text[], "
    "%s::uuid[], %s::text[], %s::int[], %s::jsonb[], %s::timestamptz[], "
    "%s, %s, %s, %s)"
)
_APPEND_WITH_DEADLINES = (
    f"WITH appended AS ({_APPEND}) "
    "SELECT appended.*, vetlife_apply_deadlines(appended.outcome, %s, %s, %s::text[], "
    "%s::timestamptz[], %s::text[], %s::jsonb[], %s::text[], %s::text[], %s::timestamptz) "
    "FROM appended"
)


_OPEN_STREAMS = (
    "SELECT * FROM vetlife_open_streams(%s::text[], %s, %s::text[], %s::uuid[], %s::text[], "
    "%s::int[], %s::jsonb[], %s::timestamptz[], %s, %s, %s, %s)"
)


@dataclass(frozen=True)
class OpenedStream:
    """One stream of an `open_streams` call: opened, or refused because its claim is held by
    `stream_id` (then `position` is None)."""

    opened: bool
    stream_id: str
    position: int | None


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
        deadlines: DeadlineChanges | None = None,
    ) -> AppendResult:
        """Append `events` to `stream_id` if it is still at `expected_version` (0: new stream).

        A `command_id` seen before returns the first result and writes nothing; with a different
        `request` digest it raises IdempotencyKeyReused. `claims` are (kind, value) pairs that
        must be unique across streams. `deadlines` (chassis/deadlines.py) are set, met and
        cancelled on this stream with the events, or not at all.
        """
        # One statement, so it can run as its own transaction (one round trip); the test hook
        # needs a transaction it can hold open before the commit. A deadlock (say with the
        # deadline runner) rolled the statement back whole, so it is simply run again
        # (Database.run); the command id would make even a doubled run harmless.
        def write(cur) -> AppendResult:
            result = self.append_in(cur, stream_id, events, expected_version, metadata,
                                    command_id, request, claims, deadlines)
            if _before_commit is not None and not result.replayed:
                _before_commit()
            return result

        return self.db.run(write, autocommit=_before_commit is None)

    def append_in(
        self,
        cur,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int,
        metadata: Metadata,
        command_id: str | None = None,
        request: str | None = None,
        claims: Iterable[tuple[str, str]] = (),
        deadlines: DeadlineChanges | None = None,
    ) -> AppendResult:
        """`append` on the caller's cursor, inside the caller's transaction (the deadline runner
        marks a deadline fired in the transaction that appends its event)."""
        claims = list(claims)
        arguments = (
            stream_id, expected_version, command_id, request,
            [kind for kind, _ in claims], [digest(value) for _, value in claims],
            [e.event_id for e in events], [e.event_type for e in events],
            [e.schema_version for e in events],
            [json.dumps(e.data, default=str) for e in events],
            [e.occurred_at for e in events],
            metadata.correlation_id, metadata.causation_id, metadata.actor,
            self.notify_channel,
        )
        if deadlines:
            # Still one statement: the deadline writes see the append's outcome and abort it
            # with themselves if they fail.
            try:
                cur.execute(_APPEND_WITH_DEADLINES, arguments + (
                    stream_id, metadata.correlation_id) + deadlines.sql_arguments())
            except psycopg2.errors.UniqueViolation as exc:
                deadlines.raise_if_already_pending(exc, stream_id)
                raise
        else:
            cur.execute(_APPEND, arguments)
        outcome, owner, version, last_position, detail = cur.fetchone()[:5]
        if outcome == "conflict":
            raise StreamVersionConflict(stream_id, expected_version, version)
        if outcome == "claim_taken":
            raise ClaimTaken(detail, owner)
        if outcome == "key_reused":
            raise IdempotencyKeyReused(command_id)
        if outcome == "replayed":
            return AppendResult(owner, version, last_position, replayed=True)
        return AppendResult(stream_id, version, last_position)

    def open_streams(
        self,
        streams: Sequence[tuple[str, NewEvent, str | None]],
        metadata: Metadata,
        claim_kind: str | None = None,
    ) -> list[OpenedStream]:
        """Open many new streams of one event each in one statement (an import of files).

        `streams` are (stream id, its first event, its claim value or None). Each is opened with
        its claim of `claim_kind`, or refused alone if the claim is held (by an older stream or
        an earlier one of this call): the outcome per stream, in order. Everything else is the
        single append's: the head lock, gap-free positions, NOTIFY at commit, one transaction.
        An event's `data` may come as JSON text already (made where the events were decided,
        in another process, so it crosses over as one string).
        """
        if not streams:
            return []
        arguments = (
            [s for s, _, _ in streams], claim_kind,
            [digest(value) if value is not None else None for _, _, value in streams],
            [e.event_id for _, e, _ in streams], [e.event_type for _, e, _ in streams],
            [e.schema_version for _, e, _ in streams],
            [e.data if isinstance(e.data, str) else json.dumps(e.data, default=str)
             for _, e, _ in streams],
            [e.occurred_at for _, e, _ in streams],
            metadata.correlation_id, metadata.causation_id, metadata.actor, self.notify_channel,
        )

        def write(cur) -> list[OpenedStream]:
            cur.execute(_OPEN_STREAMS, arguments)
            return [OpenedStream(outcome == "appended", stream_id, position)
                    for _, outcome, stream_id, position in cur.fetchall()]

        return self.db.run(write, autocommit=True)

    def claimed(self, kind: str, values: Sequence[str]) -> dict[str, str]:
        """Which of `values` are claimed under `kind`, and by which stream (value -> stream id).
        Reads only: a dry run asks it, the append decides."""
        digests = {digest(value): value for value in values}
        with self.db.transaction() as cur:
            cur.execute("SELECT digest, stream_id FROM unique_claims WHERE kind = %s "
                        "AND digest = ANY(%s)", (kind, list(digests)))
            return {digests[d]: stream_id for d, stream_id in cur.fetchall()}

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
            return self.read_stream_in(cur, stream_id)

    def read_stream_in(self, cur, stream_id: str) -> list[RecordedEvent]:
        """`read_stream` on the caller's cursor: a decision made under the caller's lock reads
        the stream in the same transaction it appends in."""
        cur.execute(
            f"SELECT {_COLUMNS} FROM stored_events WHERE stream_id = %s ORDER BY stream_version",
            (stream_id,),
        )
        return [self._recorded(row) for row in cur.fetchall()]

    @staticmethod
    def release_claims_in(cur, stream_id: str, kind: str, value: str | None = None) -> int:
        """Give up `stream_id`'s unique claims of `kind` (only `value`'s, if given), in the
        caller's transaction.

        For a claim that holds while something is open (one open bundle per veteran): call it in
        the transaction that appends the closing event, after the append, which holds the
        store's head lock until the commit, so no other append checks the claim in between.
        """
        if value is None:
            cur.execute("DELETE FROM unique_claims WHERE kind = %s AND stream_id = %s",
                        (kind, stream_id))
        else:
            cur.execute("DELETE FROM unique_claims WHERE kind = %s AND digest = %s "
                        "AND stream_id = %s", (kind, digest(value), stream_id))
        return cur.rowcount

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
