"""The employment use cases: load a stream from its events, decide, append; and placement's handover."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from chassis.commands import NotVisible, change_stream
from chassis.envelope import Metadata, RecordedEvent, new_id
from chassis.errors import ClaimTaken, StreamVersionConflict
from chassis.on_a_day import OnADay
from chassis.store import PostgresEventStore, request_digest
from contracts import employment as contract
from services.employment.domain import commands as cmds
from services.employment.domain.employers import register_employer as decide_employer
from services.employment.domain.errors import AlreadyRegistered, NotFound
from services.employment.domain.events import EVENT_TYPES, Event
from services.employment.domain.job_fairs import record_job_fair as decide_fair
from services.employment.domain.job_seekers import JobSeeker, register_job_seeker
from services.employment.domain.postings import Posting
from services.employment.domain.postings import publish_posting as decide_posting
from services.employment.domain.townships import TOWNSHIPS

SHANGHAI = ZoneInfo("Asia/Shanghai")
CREDIT_CODE_CLAIM = "employer_credit_code"
# Ids of what a command creates are derived from its command id (the Idempotency-Key), so a
# retried request answers with the same id it did the first time.
_IDS = uuid.UUID("5d0c7e52-3a51-4f5e-9d4e-0b1f0c6d2a77")


def shanghai_today() -> date:
    return datetime.now(SHANGHAI).date()


def id_for(command_id: str | None, what: str) -> str:
    return str(uuid.uuid5(_IDS, f"{what}:{command_id}")) if command_id else new_id()


@dataclass(frozen=True)
class Accepted:
    stream_id: str
    version: int
    replayed: bool = False
    record_id: str | None = None


def _to_new(events: Iterable[Event]):
    return [contract.to_new_event(e) for e in events]


def domain_events(recorded: Iterable[RecordedEvent]) -> list[Event]:
    return [EVENT_TYPES[r.event_type](**contract.load_data(r)) for r in recorded]


def _first_events(store: PostgresEventStore, ids: list[str], event_type: str) -> set[str]:
    """Which of `ids` are streams that began with `event_type` (read from the store: no lag)."""
    if not ids:
        return set()
    with store.db.transaction() as cur:
        cur.execute("SELECT stream_id FROM stored_events WHERE stream_id = ANY(%s) "
                    "AND stream_version = 1 AND event_type = %s", (list(ids), event_type))
        return {row[0] for row in cur.fetchall()}


def employer_exists(store: PostgresEventStore, employer_id: str) -> bool:
    return bool(_first_events(store, [employer_id], "EmployerRegistered"))


def fair_exists(store: PostgresEventStore, fair_id: str) -> bool:
    return bool(_first_events(store, [fair_id], "JobFairRecorded"))


def load_posting(store: PostgresEventStore, posting_id: str) -> Posting:
    return Posting.from_events(domain_events(store.read_stream(posting_id)))


def find_posting(store: PostgresEventStore, posting_id: str | None) -> Posting | None:
    if posting_id is None:
        return None
    try:
        return load_posting(store, posting_id)
    except NotFound:
        return None


def load_seeker(store: PostgresEventStore, veteran_id: str, day: OnADay | None = None) -> JobSeeker:
    """The job seeker now, or as they stood on `day` (registered by then, or none)."""
    recorded = store.read_stream(veteran_id)
    return JobSeeker.from_events(domain_events(recorded if day is None else day.events(recorded)))


def _digest(name: str, cmd) -> str:
    return request_digest({"command": name, **asdict(cmd)})


# -- new streams: employers, postings, fairs, job seekers ------------------------------------------

def register_employer(store: PostgresEventStore, cmd: cmds.RegisterEmployer, meta: Metadata,
                      command_id: str | None, today: date) -> Accepted:
    employer_id = id_for(command_id, "employer")
    events = decide_employer(cmd, employer_id, today)
    try:
        result = store.append(employer_id, _to_new(events), 0, meta, command_id=command_id,
                              request=_digest("register_employer", cmd),
                              claims=[(CREDIT_CODE_CLAIM, events[0].credit_code)])
    except ClaimTaken as taken:
        # The employer id is an internal key, not personal: naming it lets staff use the
        # employer on file instead of registering it twice.
        raise AlreadyRegistered(
            f"an employer with this unified social credit code is already on file: "
            f"{taken.stream_id}",
            {"credit_code": ["already on file"]}) from None
    return Accepted(result.stream_id, result.stream_version, result.replayed)


def publish_posting(store: PostgresEventStore, cmd: cmds.PublishPosting, meta: Metadata,
                    command_id: str | None, today: date) -> Accepted:
    posting_id = id_for(command_id, "posting")
    events = decide_posting(cmd, posting_id, employer_exists(store, cmd.employer_id), today)
    result = store.append(posting_id, _to_new(events), 0, meta, command_id=command_id,
                          request=_digest("publish_posting", cmd))
    return Accepted(result.stream_id, result.stream_version, result.replayed)


def record_job_fair(store: PostgresEventStore, cmd: cmds.RecordJobFair, meta: Metadata,
                    command_id: str | None, today: date) -> Accepted:
    fair_id = id_for(command_id, "fair")
    known = _first_events(store, list(cmd.employer_ids), "EmployerRegistered")
    events = decide_fair(cmd, fair_id, known, today)
    result = store.append(fair_id, _to_new(events), 0, meta, command_id=command_id,
                          request=_digest("record_job_fair", cmd))
    return Accepted(result.stream_id, result.stream_version, result.replayed)


def register_seeker(store: PostgresEventStore, cmd: cmds.RegisterJobSeeker,
                    intention: cmds.StateJobIntention | None, meta: Metadata,
                    command_id: str | None, today: date) -> Accepted:
    """A job seeker's stream is the veteran's id: registering one twice loses the race for
    version 0, whoever (staff, placement's handover) came first."""
    events = register_job_seeker(cmd, intention, today)
    try:
        result = store.append(cmd.veteran_id, _to_new(events), 0, meta, command_id=command_id,
                              request=request_digest({"command": "register_job_seeker",
                                                      **asdict(cmd),
                                                      "intention": asdict(intention)
                                                      if intention else None}))
    except StreamVersionConflict:
        raise AlreadyRegistered("this veteran is already registered as a job seeker",
                                {"veteran_id": ["already a job seeker"]}) from None
    return Accepted(result.stream_id, result.stream_version, result.replayed)


# -- changes to a stream --------------------------------------------------------------------------

def change_posting(store: PostgresEventStore, posting_id: str, name: str, cmd,
                   decide: Callable[[Posting], list], meta: Metadata, command_id: str | None,
                   expected_version: int | None) -> Accepted:
    accepted = change_stream(
        store, posting_id, load=load_posting, decide=decide, to_new_events=_to_new, meta=meta,
        command_id=command_id, request=request_digest({"command": name, "posting_id": posting_id,
                                                       **asdict(cmd)}),
        expected_version=expected_version)
    return Accepted(accepted.stream_id, accepted.version, accepted.replayed)


def change_seeker(store: PostgresEventStore, veteran_id: str, name: str, cmd,
                  decide: Callable[[JobSeeker], list], meta: Metadata, command_id: str | None,
                  expected_version: int | None, visible: Callable[[JobSeeker], bool],
                  record_id: str | None = None) -> Accepted:
    """Run a decision on the job seeker's current record. One outside the caller's reach is
    answered exactly as one that does not exist."""
    try:
        accepted = change_stream(
            store, veteran_id, load=load_seeker, decide=decide, to_new_events=_to_new,
            meta=meta, command_id=command_id,
            request=request_digest({"command": name, "veteran_id": veteran_id, **asdict(cmd)}),
            expected_version=expected_version, visible=visible)
    except NotVisible:
        raise NotFound("no job seeker with this veteran id") from None
    return Accepted(accepted.stream_id, accepted.version, accepted.replayed, record_id)


# -- placement hands self-employed veterans over ----------------------------------------------------

SELF_EMPLOYMENT = "self_employment"
_STATION_SUFFIX = "退役军人服务站"


def _township_of(data: dict) -> str | None:
    township = (data.get("township") or "").strip()
    if township:
        return township
    # A station is named after its township (多湖街道退役军人服务站): enough when the event
    # carries only the station.
    station = (data.get("service_station") or "").strip()
    for name in TOWNSHIPS:
        if station.startswith(name):
            return name
    return None


def follow_placement(cur, store: PostgresEventStore, event: RecordedEvent,
                     today: date) -> str | None:
    """One placement case event, in its case's order, inside the subscriber's inbox transaction.

    ReportedIn: remember where the veteran reported in. ModeChosen self-employment (自主就业) or
    HandedToEmployment: register them as a job seeker (source placement) from what was
    remembered, unless they already are one. Returns the veteran id registered, if any.
    """
    data = event.data
    case_id = event.stream_id
    if event.event_type == "ReportedIn":
        cur.execute(
            "INSERT INTO placement_cases (case_id, veteran_id, township, service_station, "
            "reported_on) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (case_id) DO UPDATE SET "
            "township = EXCLUDED.township, service_station = EXCLUDED.service_station",
            (case_id, data["veteran_id"], _township_of(data), data.get("service_station"),
             data.get("reported_on")))
        return None
    if event.event_type == "ModeChosen" and data.get("mode") != SELF_EMPLOYMENT:
        return None
    if event.event_type not in ("ModeChosen", "HandedToEmployment"):
        return None
    cur.execute("SELECT veteran_id, township, service_station, job_seeker FROM placement_cases "
                "WHERE case_id = %s FOR UPDATE", (case_id,))
    row = cur.fetchone()
    if row is None:
        # Handled in case order, so ReportedIn came first unless this case began before
        # employment followed placement: nothing to register from.
        raise NotFound(f"placement case {case_id} was never seen reporting in")
    veteran_id, township, station, already = row
    if already:
        return None
    on = date.fromisoformat(data["on"]) if data.get("on") else today
    cmd = cmds.RegisterJobSeeker(veteran_id=veteran_id, township=township or "",
                                 service_station=station or "", source="placement",
                                 registered_on=min(on, today))
    events = register_job_seeker(cmd, None, today)
    meta = Metadata(correlation_id=event.correlation_id or new_id(), causation_id=event.event_id,
                    actor="system")
    cur.execute("UPDATE placement_cases SET job_seeker = TRUE WHERE case_id = %s", (case_id,))
    try:
        store.append_in(cur, veteran_id, _to_new(events), 0, meta,
                        command_id=f"placement:{event.event_id}",
                        request=request_digest({"command": "follow_placement",
                                                "event_id": event.event_id}))
    except StreamVersionConflict:
        return None  # registered directly by staff before placement handed them over
    return veteran_id
