"""The registry's use cases: load a veteran file from its events, decide, append; and its queries."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from chassis.commands import NotVisible, change_stream
from chassis.envelope import Metadata, new_id
from chassis.errors import ClaimTaken
from chassis.store import PostgresEventStore, request_digest
from contracts import instance
from contracts import registry as contract
from services.registry.domain import model
from services.registry.domain.errors import AlreadyRegistered, VeteranNotFound
from services.registry.domain.timeline import Dated, FileTimeline

SHANGHAI = ZoneInfo("Asia/Shanghai")
ID_NUMBER_CLAIM = "resident_id_number"


def shanghai_today() -> date:
    """Dates people mean ("not in the future") are dates in Asia/Shanghai, not UTC."""
    return datetime.now(SHANGHAI).date()


@dataclass(frozen=True)
class Accepted:
    """What a command did to a file: its id, its version after, and whether this was a retry."""

    veteran_id: str
    version: int
    replayed: bool = False


def load_file(store: PostgresEventStore, veteran_id: str) -> model.VeteranFile:
    recorded = store.read_stream(veteran_id)
    if not recorded:
        raise VeteranNotFound("no veteran file with this veteran id")
    return model.VeteranFile.from_events(
        model.EVENT_TYPES[r.event_type](**contract.load_data(r)) for r in recorded
    )


def load_timeline(store: PostgresEventStore, veteran_id: str) -> FileTimeline:
    """The file's events with their recorded and effective times (docs/history.md)."""
    recorded = store.read_stream(veteran_id)
    if not recorded:
        raise VeteranNotFound("no veteran file with this veteran id")
    return FileTimeline([
        Dated(model.EVENT_TYPES[r.event_type](**contract.load_data(r)), r.stream_version,
              r.recorded_at, r.actor)
        for r in recorded
    ])


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
    resolve; without it a lost race is decided again on the fresh file (chassis.commands).
    `within_stations` is the caller's reach (a station worker's stations): a file outside it is
    answered exactly as a file that does not exist, so nobody learns which ids are in use.
    """
    try:
        accepted = change_stream(
            store, veteran_id, load=load_file, decide=decide,
            to_new_events=lambda events: [contract.to_new_event(e) for e in events],
            meta=meta, command_id=command_id,
            request=request_digest({"veteran_id": veteran_id, **asdict(cmd)}),
            expected_version=expected_version,
            visible=None if within_stations is None
            else lambda f: f.service_station in within_stations,
        )
    except NotVisible:
        raise VeteranNotFound("no veteran file with this veteran id") from None
    return Accepted(accepted.stream_id, accepted.version, accepted.replayed)


def file_reply(veteran_file: model.VeteranFile) -> dict:
    state = veteran_file.snapshot()
    state["veteran_id"] = veteran_file.veteran_id
    state["version"] = veteran_file.version
    return instance(contract.VeteranFileReply).dump(state)
