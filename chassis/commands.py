"""Running a command on one stream: decide on its current state, append, and decide again after a race."""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chassis.envelope import Metadata
from chassis.errors import IdempotencyKeyReused, StreamVersionConflict
from chassis.store import PostgresEventStore

if TYPE_CHECKING:  # chassis.deadlines imports the store, which this module needs first
    from chassis.deadlines import DeadlineChanges

# A blind write (no If-Match) retries a lost race until this much time has passed: well inside
# the gateway's 10 s wait for an answer, so the client hears the outcome rather than a 503.
BLIND_WRITE_BUDGET_SECONDS = 6.0
_BACKOFF_BASE_SECONDS = 0.005
_BACKOFF_CAP_SECONDS = 0.25


@dataclass(frozen=True)
class Accepted:
    """What a command did to a stream: its id, its version after, and whether this was a retry."""

    stream_id: str
    version: int
    replayed: bool = False


class NotVisible(Exception):
    """Raised by `change_stream` when the caller's reach does not include the stream."""


def replayed(store: PostgresEventStore, command_id: str | None, request: str) -> Accepted | None:
    """The first result of a command id seen before; a different request under it is refused."""
    if command_id is None:
        return None
    seen = store.handled_command(command_id)
    if seen is None:
        return None
    if seen.request_digest not in (None, request):
        raise IdempotencyKeyReused(command_id)
    return Accepted(seen.stream_id, seen.stream_version, replayed=True)


def change_stream(store: PostgresEventStore, stream_id: str, *, load: Callable, decide: Callable,
                  to_new_events: Callable, meta: Metadata, command_id: str | None,
                  request: str, expected_version: int | None = None,
                  visible: Callable | None = None,
                  deadlines: Callable[..., DeadlineChanges | None] | None = None,
                  claims: Callable[[list], Iterable[tuple[str, str]]] | None = None,
                  budget_seconds: float = BLIND_WRITE_BUDGET_SECONDS,
                  clock: Callable[[], float] = time.monotonic,
                  sleep: Callable[[float], None] = time.sleep) -> Accepted:
    """Load the stream's state, run `decide` on it, append what it decided.

    With `expected_version` (the client's If-Match) a stale state is the client's conflict to
    resolve. Without it, losing a race to another writer means deciding again on the fresh
    state, after a jittered pause so racing writers spread out, until `budget_seconds` have
    passed: the decision is re-run, so nothing is lost, and a blind write succeeds under
    realistic contention. A command that changes nothing still records its command id, so the
    same key cannot later be used for a different request. `deadlines(state, events)`, when
    given, says what the decided events do to the stream's clocks (chassis/deadlines.py); they
    are applied in the same append, on every attempt from that attempt's decision. `claims(events)`
    gives the unique values the events claim (a payment reference used once), in the same append.
    """
    if (first := replayed(store, command_id, request)) is not None:
        return first
    deadline = clock() + budget_seconds
    attempt = 0
    while True:
        state = load(store, stream_id)
        if visible is not None and not visible(state):
            raise NotVisible(stream_id)
        try:
            if expected_version is not None and state.version != expected_version:
                raise StreamVersionConflict(stream_id, expected_version, state.version)
            events = decide(state)
        except Exception:
            # The same command may be running twice at once: a gateway timed out and the client
            # sent it again while the first copy still waited in the service's queue. If the
            # other copy recorded it since our check above, the state we refused is its work:
            # answer with its result, as any retry, not with a refusal of a step that was done
            # (nor with a version conflict its own copy caused, for a client's If-Match).
            if (first := replayed(store, command_id, request)) is not None:
                return first
            raise
        if not events and command_id is None:
            return Accepted(stream_id, state.version)
        try:
            # With no events this only records the command id (checked against the version).
            result = store.append(stream_id, to_new_events(events), state.version, meta,
                                  command_id=command_id, request=request,
                                  claims=claims(events) if claims else (),
                                  deadlines=deadlines(state, events) if deadlines else None)
            return Accepted(stream_id, result.stream_version, result.replayed)
        except StreamVersionConflict:
            if expected_version is not None or clock() >= deadline:
                raise
        attempt += 1
        # Full jitter (a random pause up to an exponentially growing cap): writers that collided
        # once do not collide again in lockstep.
        sleep(random.uniform(0, min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2 ** attempt)))
