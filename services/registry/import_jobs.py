"""Imports started over the API: kept in veteran_imports, run one at a time by the registry's runner.

POST /api/v1/imports stores the upload and answers at once (202); the registry service's timer
claims the oldest waiting import under a lease (FOR UPDATE SKIP LOCKED, so two registry workers
never run one import twice), runs it (services/registry/imports.py) with its progress written
after every chunk, and records the outcome and the error file. An import whose runner died is
taken up again once its lease ends; the rows it had written are then 已在档, never doubled.
The upload is dropped when the import ends. An import, its progress and its error file are
shown to callers holding the uploader's role only, and of a station worker's import to that
station worker only; to anyone else it does not exist.
"""
from __future__ import annotations

import base64
import uuid
from pathlib import Path

import psycopg2
import psycopg2.extras

from chassis.caller import Caller
from chassis.envelope import Metadata
from chassis.errors import StatementFailed, StoreUnavailable, TransactionConflict
from chassis.store import PostgresEventStore, request_digest
from chassis.wire import ServiceError
from services.registry.import_files import ErrorFile, Sheet, UnreadableFile, format_of
from services.registry.import_rows import missing_columns
from services.registry.imports import import_file

LEASE_SECONDS = 300
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_REPLY_COLUMNS = ("import_id, file_name, dry_run, status, processed, total, outcome, failure, "
                  "error_file IS NOT NULL, created_at, finished_at, uploader, uploader_role")


def _uploader_role(caller: Caller) -> str:
    # The role the upload is allowed by (contracts/access.py): the district-wide one if the
    # caller holds both, since that is the reach the import gets.
    return "registry_clerk" if "registry_clerk" in caller.roles else caller.roles[0]


def start(db, body: dict, caller: Caller) -> dict:
    """Store an upload as a waiting import; a retried upload (same Idempotency-Key, same body)
    answers the import it started."""
    content = base64.b64decode(body["content"])
    file_format = format_of(body["file_name"], content[:4])
    digest = request_digest({"file_name": body["file_name"], "dry_run": body["dry_run"],
                             "content": body["content"]})
    import_id = str(uuid.uuid4())
    stations = None if caller.district else list(caller.stations)
    with db.transaction() as cur:
        if caller.command_id is not None:
            cur.execute("SELECT import_id, request_digest FROM veteran_imports "
                        "WHERE command_id = %s", (caller.command_id,))
            seen = cur.fetchone()
            if seen is not None:
                if seen[1] != digest:
                    raise ServiceError("idempotency_key_reused", "this Idempotency-Key was "
                                       "used for another upload")
                return reply_of(cur, str(seen[0]), caller)
        cur.execute(
            "INSERT INTO veteran_imports (import_id, file_name, file_format, dry_run, uploader, "
            "uploader_role, actor, stations, command_id, request_digest, upload) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (import_id, body["file_name"], file_format, body["dry_run"], caller.subject,
             _uploader_role(caller), caller.actor, stations, caller.command_id, digest,
             psycopg2.Binary(content)))
        return reply_of(cur, import_id, caller)


def reply_of(cur, import_id: str, caller: Caller) -> dict:
    """The import as ImportReply has it, if the caller may see it; else not_found."""
    try:
        import_id = str(uuid.UUID(import_id))
    except ValueError:
        raise ServiceError("not_found", "no import with this id") from None
    cur.execute(f"SELECT {_REPLY_COLUMNS} FROM veteran_imports WHERE import_id = %s",
                (import_id,))
    row = cur.fetchone()
    if row is None or not _may_see(caller, row[11], row[12]):
        raise ServiceError("not_found", "no import with this id")
    (import_id, file_name, dry_run, status, processed, total, outcome, failure, has_errors,
     created_at, finished_at) = row[:11]
    percent = None
    if status == "done":
        percent = 100.0
    elif total:
        percent = round(100.0 * min(processed, total) / total, 1)
    return {"import_id": str(import_id), "file_name": file_name, "dry_run": dry_run,
            "status": status, "processed": processed, "total": total, "percent": percent,
            "outcome": outcome, "failure": failure, "error_file": bool(has_errors),
            "created_at": created_at.isoformat(),
            "finished_at": finished_at.isoformat() if finished_at else None}


def _may_see(caller: Caller, uploader: str, uploader_role: str) -> bool:
    if uploader_role not in caller.roles:
        return False
    # A station worker's import holds their stations' people: theirs alone.
    return uploader_role != "station_worker" or caller.subject == uploader


def get(db, import_id: str, caller: Caller) -> dict:
    with db.transaction() as cur:
        return reply_of(cur, import_id, caller)


def error_file(db, import_id: str, caller: Caller) -> dict:
    with db.transaction() as cur:
        reply = reply_of(cur, import_id, caller)
        cur.execute("SELECT file_format, error_file FROM veteran_imports WHERE import_id = %s",
                    (reply["import_id"],))
        file_format, content = cur.fetchone()
    if content is None:
        raise ServiceError("not_found", "this import has no error file (yet)")
    stem = Path(reply["file_name"]).stem
    return {"import_id": reply["import_id"], "file_name": f"{stem}.错误.{file_format}",
            "media_type": MEDIA_TYPES[file_format],
            "content": base64.b64encode(bytes(content)).decode()}


def claim(db) -> dict | None:
    """The oldest waiting import (or one whose runner's lease ended), now leased to us."""
    with db.transaction() as cur:
        cur.execute(
            "UPDATE veteran_imports SET lease_until = now() + make_interval(secs => %s), "
            "status = CASE WHEN dry_run THEN 'checking' ELSE 'importing' END, processed = 0 "
            "WHERE import_id = (SELECT import_id FROM veteran_imports "
            "  WHERE status = 'waiting' OR (status IN ('checking', 'importing') "
            "        AND lease_until < now()) "
            "  ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
            "RETURNING import_id, file_name, file_format, dry_run, actor, stations, upload",
            (LEASE_SECONDS,))
        row = cur.fetchone()
    if row is None:
        return None
    keys = ("import_id", "file_name", "file_format", "dry_run", "actor", "stations", "upload")
    return dict(zip(keys, row, strict=True))


def run(store: PostgresEventStore, job: dict, scratch: str | None = None) -> None:
    """Run a claimed import to its end: done with its outcome and error file, or failed.

    The database failing is left to raise: the lease ends and the import is run again, its
    written rows then 已在档. Anything else would fail the same way each time, so the import
    ends as failed at once rather than being retried for ever.
    """
    try:
        _run(store, job, scratch)
    except (psycopg2.Error, StoreUnavailable, StatementFailed, TransactionConflict):
        raise
    except Exception:
        _end(store.db, str(job["import_id"]), failure="导入意外中断，未能完成：请联系运维人员")
        raise


def _run(store: PostgresEventStore, job: dict, scratch: str | None) -> None:
    db = store.db
    import_id = str(job["import_id"])
    content = bytes(job["upload"])
    file_format = job["file_format"]
    try:
        with Sheet(content, file_format) as sheet:
            missing = missing_columns(sheet.header())
            header = sheet.original_header()
            total = sheet.count_rows()
            if total is None:
                total = sum(1 for _ in sheet.rows())
    except UnreadableFile as exc:
        return _end(db, import_id, failure=str(exc))
    if missing:
        return _end(db, import_id, failure=f"缺少必需的列：{'、'.join(missing)}")
    with db.transaction() as cur:
        cur.execute("UPDATE veteran_imports SET total = %s WHERE import_id = %s",
                    (total, import_id))
    done = [0]

    def progress(rows: int) -> None:
        done[0] += rows
        with db.transaction() as cur:
            cur.execute("UPDATE veteran_imports SET processed = %s, "
                        "lease_until = now() + make_interval(secs => %s) WHERE import_id = %s",
                        (done[0], LEASE_SECONDS, import_id))

    errors = ErrorFile(header, file_format, directory=scratch)
    try:
        with Sheet(content, file_format) as sheet:
            outcome = import_file(
                store, sheet,
                Metadata(correlation_id=import_id, causation_id=f"import:{import_id}",
                         actor=job["actor"]),
                dry_run=job["dry_run"], errors=errors, progress=progress,
                within_stations=None if job["stations"] is None else frozenset(job["stations"]))
        path = errors.finish()
        error_bytes = Path(path).read_bytes() if errors.count else None
    except UnreadableFile as exc:
        return _end(db, import_id, failure=str(exc))
    finally:
        errors.discard()
    _end(db, import_id, outcome=outcome.as_dict(), error_bytes=error_bytes,
         processed=outcome.total)


def _end(db, import_id: str, failure: str | None = None, outcome: dict | None = None,
         error_bytes: bytes | None = None, processed: int | None = None) -> None:
    with db.transaction() as cur:
        cur.execute(
            "UPDATE veteran_imports SET status = %s, failure = %s, outcome = %s, "
            "error_file = %s, upload = NULL, lease_until = NULL, finished_at = now(), "
            "processed = coalesce(%s, processed), total = coalesce(total, %s) "
            "WHERE import_id = %s",
            ("failed" if failure else "done", failure,
             psycopg2.extras.Json(outcome) if outcome is not None else None,
             psycopg2.Binary(error_bytes) if error_bytes is not None else None,
             processed, processed, import_id))
