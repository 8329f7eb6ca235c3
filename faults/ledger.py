"""What the private databases hold: the registry's store and read model, HR's copy and the audit log."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import psycopg2

from chassis.db import Database, server_url
from chassis.migrate import CHASSIS_MIGRATIONS, migrate, service_migrations
from chassis.projection import ProjectionRunner
from chassis.store import PostgresEventStore
from contracts import registry as contract
from gateway.audit import AuditLog, AuditUnavailable
from services.registry.projections import VeteranList

HR_CONSUMER = "hr_department.on_veteran_registered"
REBUILD_DATABASE = "vetlife_registry_rebuild"


@dataclass(frozen=True)
class StoredRegistration:
    position: int
    event_id: str
    veteran_id: str
    id_number: str
    recorded_at: float


@dataclass
class RegistryLedger:
    """The registry's store as it stands: events, handled commands, claims and head."""

    head: int
    positions: list[int]
    registrations: list[StoredRegistration]
    other_event_types: dict[str, int]
    commands: dict[str, tuple[str, int | None]]  # command id -> (stream id, last position)
    claims: dict[str, str]  # digest of the ID number -> stream id
    relay_checkpoint: int
    projection_checkpoint: int


@dataclass
class HrLedger:
    """HR's copy: one row per veteran it filed, its inbox of handled event ids, and how each
    event reached it: every handling (append-only, no unique key) and every delivery the inbox
    turned away, each with the path it came by (bus, catch-up or requeued)."""

    veterans: dict[str, tuple[int, float]]  # veteran id -> (registry position, filed at)
    inbox: dict[str, tuple[int | None, float]]  # event id -> (position, handled at)
    handlings: dict[str, list[str]] = field(default_factory=dict)  # event id -> paths handled by
    repeats: dict[str, list[str]] = field(default_factory=dict)  # event id -> paths turned away

    def paths(self, event_id: str) -> set[str]:
        """Every path the event came to HR by, handled or turned away."""
        return {*self.handlings.get(event_id, ()), *self.repeats.get(event_id, ())}


@dataclass
class AuditLedger:
    """The gateway's audit log: whether its chain and anchors verify, and the registrations in it."""

    verified: bool
    problem: str | None
    entries: int
    anchors_checked: int
    registered: dict[str, int]  # veteran id -> its register_veteran entries with outcome ok


def _connect(url: str):
    conn = psycopg2.connect(url, connect_timeout=5)
    conn.set_session(readonly=True, autocommit=True)
    return conn


def read_registry(url: str) -> RegistryLedger:
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            # One snapshot for every table, so the checks compare a consistent picture.
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cur.execute("SELECT position FROM store_head")
            head = cur.fetchone()[0]
            cur.execute("SELECT position, event_id::text, stream_id, event_type, "
                        "data->>'id_number', extract(epoch FROM recorded_at) "
                        "FROM stored_events ORDER BY position")
            positions, registrations, others = [], [], {}
            for position, event_id, stream_id, event_type, id_number, recorded in cur:
                positions.append(position)
                if event_type == "VeteranRegistered":
                    registrations.append(StoredRegistration(position, event_id, stream_id,
                                                            id_number, float(recorded)))
                else:
                    others[event_type] = others.get(event_type, 0) + 1
            cur.execute("SELECT command_id, stream_id, last_position FROM handled_commands")
            commands = {row[0]: (row[1], row[2]) for row in cur}
            cur.execute("SELECT digest, stream_id FROM unique_claims "
                        "WHERE kind = 'resident_id_number'")
            claims = dict(cur.fetchall())
            cur.execute("SELECT name, position FROM checkpoints")
            checkpoints = dict(cur.fetchall())
            cur.execute("COMMIT")
    finally:
        conn.close()
    return RegistryLedger(head, positions, registrations, others, commands, claims,
                          checkpoints.get("relay", 0),
                          checkpoints.get("projection:veteran_list", 0))


def read_hr(url: str) -> HrLedger:
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cur.execute("SELECT veteran_id, registry_position, extract(epoch FROM filed_at) "
                        "FROM hr_veterans")
            veterans = {row[0]: (row[1], float(row[2])) for row in cur}
            cur.execute("SELECT event_id::text, position, extract(epoch FROM handled_at) "
                        "FROM inbox WHERE consumer = %s", (HR_CONSUMER,))
            inbox = {row[0]: (row[1], float(row[2])) for row in cur}
            handlings: dict[str, list[str]] = {}
            cur.execute("SELECT event_id::text, arrived_by FROM hr_handlings ORDER BY handled_at")
            for event_id, arrived_by in cur:
                handlings.setdefault(event_id, []).append(arrived_by)
            repeats: dict[str, list[str]] = {}
            cur.execute("SELECT event_id::text, arrived_by FROM hr_repeats ORDER BY seen_at")
            for event_id, arrived_by in cur:
                repeats.setdefault(event_id, []).append(arrived_by)
            cur.execute("COMMIT")
    finally:
        conn.close()
    return HrLedger(veterans, inbox, handlings, repeats)


def read_audit(url: str, anchor_path) -> AuditLedger:
    """Verify the log as `vetlife-audit verify` does (chain, head, table and file anchors), then
    read which veterans it records as registered."""
    log = AuditLog(Database(url, max_connections=2), anchor_path=anchor_path)
    try:
        result = log.verify()
    except AuditUnavailable as exc:
        return AuditLedger(False, str(exc), 0, 0, {})
    finally:
        log.close()
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            # The copied columns may be queried: verify has just checked each equals its body.
            cur.execute("SELECT veteran_id, count(*) FROM audit_log WHERE action = "
                        "'register_veteran' AND outcome = 'ok' AND veteran_id IS NOT NULL "
                        "GROUP BY veteran_id")
            registered = dict(cur.fetchall())
    finally:
        conn.close()
    return AuditLedger(result.ok, result.problem, result.entries, result.anchors_checked,
                       registered)


_LIST_COLUMNS = ("veteran_id, name, id_number_masked, sex, township, service_station, "
                 "discharge_category, life_stage, area_code_known, registered_at")


def veteran_list_rows(url: str) -> set[tuple]:
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT {_LIST_COLUMNS} FROM veteran_list")
            return set(cur.fetchall())
    finally:
        conn.close()


def rebuilt_veteran_list(registry_url: str) -> set[tuple]:
    """The veteran list as a rebuild from the events would make it, on a copy of the store.

    The copy lives in a scratch database next to the registry's, so the live read model the
    registry serves is never touched by the check.
    """
    admin_url, _ = server_url(registry_url)
    scratch_url = admin_url.rsplit("/", 1)[0] + f"/{REBUILD_DATABASE}"
    admin = psycopg2.connect(admin_url, connect_timeout=5)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{REBUILD_DATABASE}" WITH (FORCE)')
    admin.close()
    migrate(scratch_url, [CHASSIS_MIGRATIONS, service_migrations("registry")])
    buffer = io.StringIO()
    source = psycopg2.connect(registry_url, connect_timeout=5)
    try:
        with source.cursor() as cur:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cur.copy_expert("COPY stored_events TO STDOUT", buffer)
            cur.execute("SELECT position FROM store_head")
            head = cur.fetchone()[0]
            cur.execute("COMMIT")
    finally:
        source.close()
    buffer.seek(0)
    target = psycopg2.connect(scratch_url, connect_timeout=5)
    try:
        with target, target.cursor() as cur:
            cur.copy_expert("COPY stored_events FROM STDIN", buffer)
            cur.execute("UPDATE store_head SET position = %s", (head,))
    finally:
        target.close()
    db = Database(scratch_url, max_connections=2)
    try:
        store = PostgresEventStore(db, "registry_events", upcast=contract.upcast)
        ProjectionRunner(store, VeteranList()).rebuild(show_progress=False)
    finally:
        db.close()
    return veteran_list_rows(scratch_url)
