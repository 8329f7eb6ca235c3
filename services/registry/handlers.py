"""The registry's use cases: load a veteran file from its events, decide, append; and its queries."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from chassis.envelope import Metadata, new_id
from chassis.errors import ClaimTaken, IdempotencyKeyReused, StreamVersionConflict
from chassis.store import PostgresEventStore, request_digest
from contracts import instance
from contracts import registry as contract
from services.registry.domain import model
from services.registry.domain.errors import AlreadyRegistered, VeteranNotFound

SHANGHAI = ZoneInfo("Asia/Shanghai")
ID_NUMBER_CLAIM = "resident_id_number"
CONFLICT_RETRIES = 3


def shanghai_today() -> date:
    """Dates people mean ("not in the future") are dates in Asia/Shanghai, not UTC."""
    return datetime.now(SHANGHAI).date()


@dataclass(frozen=True)
class Accepted:
    """What a command did to a file: its id, its version after, and whether this was a retry."""

    veteran_id: str
    version: int
    replayed: bool = False


def _replay(store: PostgresEventStore, command_id: str | None, request: str) -> Accepted | None:
    if command_id is None:
        return None
    seen = store.handled_command(command_id)
    if seen is None:
        return None
    if seen.request_digest not in (None, request):
        raise IdempotencyKeyReused(command_id)
    return Accepted(seen.stream_id, seen.stream_version, replayed=True)


def load_file(store: PostgresEventStore, veteran_id: str) -> model.VeteranFile:
    recorded = store.read_stream(veteran_id)
    if not recorded:
        raise VeteranNotFound("no veteran file with this veteran id")
    return model.VeteranFile.from_events(
        model.EVENT_TYPES[r.event_type](**contract.load_data(r)) for r in recorded
    )


def register_veteran(store: PostgresEventStore, cmd: model.RegisterVeteran, meta: Metadata,
                     command_id: str | None = None, today: date | None = None) -> Accepted:
    # No separate replay check: the append itself answers a retried command id with the first
    # result (before it looks at claims), and the decision below is pure, so re-running it is
    # harmless. That keeps a registration to one database call.
    request = request_digest(asdict(cmd))
    veteran_id = new_id()
    events = model.register(cmd, veteran_id, today or shanghai_today())
    try:
        result = store.append(
            veteran_id, [contract.to_new_event(e) for e in events], 0, meta,
            command_id=command_id, request=request,
            claims=[(ID_NUMBER_CLAIM, events[0].id_number)],
        )
    except ClaimTaken as taken:
        raise AlreadyRegistered(taken.stream_id) from None
    return Accepted(result.stream_id, result.stream_version, result.replayed)


def change_file(store: PostgresEventStore, veteran_id: str, cmd,
                decide: Callable[[model.VeteranFile], list], meta: Metadata,
                command_id: str | None = None, expected_version: int | None = None,
                within_stations: list[str] | None = None) -> Accepted:
    """Run a decision on the file's current state and append what it decided.

    With `expected_version` (the client's If-Match) a stale file is a conflict for the client to
    resolve. Without it, a concurrent write makes us decide again on the fresh state: the
    decision is re-run, so nothing is lost, and it is bounded so it cannot spin.

    `within_stations` is the caller's reach (a station worker's stations): a file outside it is
    answered exactly as a file that does not exist, so nobody learns which ids are in use.
    """
    request = request_digest({"veteran_id": veteran_id, **asdict(cmd)})
    if (replayed := _replay(store, command_id, request)) is not None:
        return replayed
    attempts = 1 if expected_version is not None else CONFLICT_RETRIES
    for attempt in range(1, attempts + 1):
        veteran_file = load_file(store, veteran_id)
        if within_stations is not None and \
                veteran_file.service_station not in within_stations:
            raise VeteranNotFound("no veteran file with this veteran id")
        if expected_version is not None and veteran_file.version != expected_version:
            raise StreamVersionConflict(veteran_id, expected_version, veteran_file.version)
        events = decide(veteran_file)
        if not events:
            return Accepted(veteran_id, veteran_file.version)
        try:
            result = store.append(
                veteran_id, [contract.to_new_event(e) for e in events], veteran_file.version,
                meta, command_id=command_id, request=request,
            )
            return Accepted(veteran_id, result.stream_version, result.replayed)
        except StreamVersionConflict:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def file_reply(veteran_file: model.VeteranFile) -> dict:
    state = veteran_file.snapshot()
    state["veteran_id"] = veteran_file.veteran_id
    state["version"] = veteran_file.version
    return instance(contract.VeteranFileReply).dump(state)
