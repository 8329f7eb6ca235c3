"""The audit log: who did or read what through the gateway, append-only, hash-chained and anchored."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import threading
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2
from nameko.extensions import DependencyProvider
from tqdm import tqdm

from chassis.config import database_url
from chassis.db import Database
from chassis.errors import StatementFailed, StoreUnavailable

GENESIS = "0" * 64
DEFAULT_ANCHOR_PATH = ".run/audit-anchors.jsonl"
# Days people ask about ("what happened on 3 May") are days in the bureau's time zone.
SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_PAGE_SIZE = 200
VERIFY_BATCH = 10_000  # rows fetched per round trip while verifying; memory stays flat
PROGRESS_FROM = 100_000  # entries; a smaller log verifies before a progress bar is worth drawing
# Columns copied from the entry for queries; verify checks each still equals the hashed body.
COPIED = ("subject", "role", "action", "outcome", "veteran_id", "department", "correlation_id")
ITEM_KEYS = ("subject", "role", "stations", "department", "action", "fields", "purpose",
             "outcome", "correlation_id")
# A read of a file as it stood on a day (docs/history.md) says which day; only such entries
# carry these keys, so every other entry's hashed text is what it was before they existed.
DATED_KEYS = ("as_of", "effective_on")


@dataclass(frozen=True)
class AuditEntry:
    """One command or read of personal data, as the gateway saw it."""

    subject: str            # the token's subject (staff id, veteran id, department system)
    role: str               # e.g. station_worker, veteran, department, auditor
    action: str             # e.g. "read_file", "list_veterans", "amend_contact", "read_audit"
    outcome: str            # "ok" or an error code ("not_found", "forbidden", "conflict", ...)
    veteran_id: str | None = None
    fields: tuple[str, ...] = ()     # the personal fields read or changed
    stations: tuple[str, ...] = ()   # the staff member's stations, if any
    department: str | None = None
    purpose: str | None = None       # free text from header X-Purpose (<= 200 chars, validated)
    correlation_id: str | None = None
    as_of: str | None = None         # YYYY-MM-DD: the file as known at the end of that day
    effective_on: str | None = None  # YYYY-MM-DD: the file as in effect on that day


@dataclass
class VerifyResult:
    """What verify found: ok, or the first problem and the first entry it makes untrustworthy."""

    ok: bool
    entries: int
    head_seq: int | None
    problem: str | None
    first_bad_seq: int | None
    head_hash: str | None = None
    anchors_checked: int = 0


class AuditUnavailable(Exception):
    """Raised when the audit log cannot be written or read: the gateway answers 503 rather than
    serve anything it could not record."""


def canonical(value) -> str:
    """The one JSON spelling that is hashed: keys sorted, no whitespace, UTF-8 (not \\u-escaped)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _text(value: str) -> str:
    # PostgreSQL cannot store a lone surrogate (not UTF-8) or, in jsonb, the escaped NUL; both are
    # replaced rather than letting one odd header make the whole record fail.
    value = value.replace("\x00", "\ufffd")
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def entry_text(entry: AuditEntry) -> str:
    """The entry's canonical JSON, without seq and at (the database adds those)."""
    body: dict = {}
    for name in ("subject", "role", "action", "outcome"):
        value = getattr(entry, name)
        if not isinstance(value, str):
            raise TypeError(f"AuditEntry.{name} must be a string, not {type(value).__name__}")
        body[name] = _text(value)
    for name in ("veteran_id", "department", "purpose", "correlation_id"):
        value = getattr(entry, name)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"AuditEntry.{name} must be a string or None")
        body[name] = None if value is None else _text(value)
    for name in DATED_KEYS:
        value = getattr(entry, name)
        if value is not None:
            if not isinstance(value, str):
                raise TypeError(f"AuditEntry.{name} must be a string or None")
            body[name] = _text(value)
    for name in ("fields", "stations"):
        values = getattr(entry, name)
        if isinstance(values, str) or not all(isinstance(v, str) for v in values):
            raise TypeError(f"AuditEntry.{name} must be a tuple of strings")
        body[name] = [_text(v) for v in values]
    return canonical(body)


def chain_hash(prev_hash: str, body: str) -> str:
    """sha256 over the UTF-8 bytes of prev_hash || body, in hex: what the database computes."""
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@contextmanager
def _unavailable(what: str) -> Iterator[None]:
    try:
        yield
    except (StoreUnavailable, StatementFailed, psycopg2.Error) as exc:
        raise AuditUnavailable(f"the audit log cannot {what}: {exc}".strip()) from exc


def _check_page(page: int, page_size: int) -> None:
    if not isinstance(page, int) or page < 1:
        raise ValueError("page must be a whole number from 1")
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}")


def _moment(value, end: bool) -> tuple[str, datetime]:
    """A search bound as SQL and a moment: a date covers its whole day in Asia/Shanghai."""
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)
        return ("at <= %s" if end else "at >= %s"), moment
    if isinstance(value, date):
        day = value + timedelta(days=1) if end else value
        return ("at < %s" if end else "at >= %s"), datetime.combine(day, time(), SHANGHAI)
    raise TypeError(f"a search bound is a date or a datetime, not {type(value).__name__}")


def _item(body: str, with_veteran: bool) -> dict:
    # Built from the hashed body, not the copied columns: the body is what verify vouches for.
    doc = json.loads(body)
    entry = doc["entry"]
    item = {"seq": doc["seq"], "at": doc["at"]}
    item.update({key: entry.get(key) for key in ITEM_KEYS})
    item.update({key: entry[key] for key in DATED_KEYS if key in entry})
    if with_veteran:
        item["veteran_id"] = entry.get("veteran_id")
    return item


class _Problems:
    """The problems verify found; the one reported is the one at the lowest seq."""

    def __init__(self):
        self.best: tuple[int, int, str] | None = None  # (seq, rank, message)

    def add(self, seq: int | None, message: str, rank: int) -> None:
        # rank breaks ties: a chain problem explains more than an anchor, an anchor than the head.
        key = (sys.maxsize if seq is None else seq, rank, message)
        if self.best is None or key < self.best:
            self.best = key

    @property
    def first(self) -> tuple[str | None, int | None]:
        if self.best is None:
            return None, None
        seq, _, message = self.best
        return message, None if seq == sys.maxsize else seq


class AuditLog:
    """Records audit entries and answers the access-log and auditor queries; verifies the chain."""

    def __init__(self, db: Database, anchor_path: str | Path | None = None):
        self.db = db
        # None: anchors go to the audit_anchors table only.
        self.anchor_path = Path(anchor_path) if anchor_path is not None else None
        self.verify_batch = VERIFY_BATCH
        self._file_lock = threading.Lock()

    # -- writing -------------------------------------------------------------------------

    def record(self, entry: AuditEntry) -> int:
        """Append one entry; returns its seq. One round trip."""
        return self.record_many([entry])[0]

    def record_many(self, entries: list[AuditEntry]) -> list[int]:
        """Append entries as one chain segment (consecutive seqs); one round trip."""
        texts = [entry_text(entry) for entry in entries]
        if not texts:
            return []
        with _unavailable("record"), self.db.statement() as cur:
            # One statement in autocommit: no BEGIN/COMMIT round trips; the function takes the
            # head lock, so concurrent workers still form one line.
            cur.execute("SELECT vetlife_audit_append(%s::text[])", (texts,))
            seqs = [seq for (seq,) in cur.fetchall()]
        if len(seqs) != len(texts):
            raise AuditUnavailable(f"the audit log recorded {len(seqs)} of {len(texts)} entries")
        return seqs

    def anchor(self) -> dict | None:
        """Record the head ({"seq", "hash", "at"}) in audit_anchors and the anchor file (fsynced)."""
        with _unavailable("anchor"), self.db.statement() as cur:
            cur.execute("SELECT seq, hash, at FROM vetlife_audit_anchor()")
            row = cur.fetchone()
        if row is None:
            return None
        anchor = {"seq": row[0], "hash": row[1], "at": row[2]}
        if self.anchor_path is not None:
            self._append_line(self.anchor_path, canonical(anchor) + "\n")
        return anchor

    def _append_line(self, path: Path, line: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._file_lock:
            created = not path.exists()
            # O_APPEND and one write: lines from several processes never interleave.
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:  # the new file's name must survive a crash too
                dir_fd = os.open(path.parent, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)

    # -- reading -------------------------------------------------------------------------

    def access_log(self, veteran_id: str, page: int = 1, page_size: int = 20) -> dict:
        """Who read or changed this veteran's file, newest first."""
        return self._page(["veteran_id = %s"], [veteran_id], page, page_size, with_veteran=False)

    def search(self, veteran_id: str | None = None, actor: str | None = None, from_=None, to=None,
               page: int = 1, page_size: int = 50) -> dict:
        """The auditor's query, newest first. `actor` is a subject; `from_`/`to` are datetimes
        (naive: Asia/Shanghai) or dates (whole days in Asia/Shanghai, both ends included)."""
        where, params = [], []
        if veteran_id is not None:
            where.append("veteran_id = %s")
            params.append(veteran_id)
        if actor is not None:
            where.append("subject = %s")
            params.append(actor)
        for value, end in ((from_, False), (to, True)):
            if value is not None:
                clause, moment = _moment(value, end)
                where.append(clause)
                params.append(moment)
        return self._page(where, params, page, page_size, with_veteran=True)

    def _page(self, where: list[str], params: list, page: int, page_size: int,
              with_veteran: bool) -> dict:
        _check_page(page, page_size)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with _unavailable("be read"), self.db.transaction() as cur:
            cur.execute(f"SELECT count(*) FROM audit_log{clause}", params)
            (total,) = cur.fetchone()
            cur.execute(f"SELECT body FROM audit_log{clause} ORDER BY seq DESC LIMIT %s OFFSET %s",
                        [*params, page_size, (page - 1) * page_size])
            items = [_item(body, with_veteran) for (body,) in cur.fetchall()]
        return {"items": items, "page": page, "page_size": page_size, "total": total}

    # -- verifying -----------------------------------------------------------------------

    def verify(self, *, progress: bool = False) -> VerifyResult:
        """Recompute the whole chain from seq 1 and check every anchor (file and table).

        Streams the log through a server-side cursor, `verify_batch` rows at a time, inside one
        read-only snapshot, so a log of millions of rows needs no more memory than one batch and
        entries recorded meanwhile cannot make it look broken.
        """
        problems = _Problems()
        # The file's length is taken before the snapshot, and only that much is read: every
        # anchor read then names a head the snapshot contains, even while the gateway keeps
        # recording and anchoring.
        path = self.anchor_path
        file_length = path.stat().st_size if path is not None and path.exists() else 0
        with _unavailable("be verified"), self.db.connection() as conn:
            try:
                with conn.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    cur.execute("SELECT count(*) FROM audit_log")
                    (entries,) = cur.fetchone()
                    cur.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                    last_seq, last_hash = cur.fetchone() or (None, None)
                    cur.execute("SELECT seq, hash FROM audit_head")
                    head = cur.fetchone()
                self._check_chain(conn, entries, problems, progress)
                checked = self._check_anchors(conn, file_length, last_seq, problems)
                self._check_head(head, last_seq, last_hash, problems)
            finally:
                conn.rollback()
        problem, first_bad = problems.first
        return VerifyResult(ok=problem is None, entries=entries, head_seq=last_seq,
                            problem=problem, first_bad_seq=first_bad, head_hash=last_hash,
                            anchors_checked=checked)

    def _check_chain(self, conn, entries: int, problems: _Problems, progress: bool) -> None:
        """Walk the chain from seq 1; stop at its first problem."""
        expected, prev = 1, GENESIS
        sha256, loads, fromiso = hashlib.sha256, json.loads, datetime.fromisoformat
        bar = tqdm(total=entries, unit="entry", desc="verify", file=sys.stderr,
                   disable=not progress or entries < PROGRESS_FROM)
        with bar, conn.cursor(name="vetlife_audit_verify") as cur:
            cur.itersize = self.verify_batch
            cur.execute(f"SELECT seq, at, body, prev_hash, hash, {', '.join(COPIED)} "
                        "FROM audit_log ORDER BY seq")
            for row in cur:
                seq, at, body, prev_hash, hash_, *copied = row
                problem = None
                if seq != expected:
                    problem = (expected, f"entry {expected} is missing (deleted)" if seq == expected + 1
                               else f"entries {expected} to {seq - 1} are missing (deleted)")
                elif sha256((prev_hash + body).encode("utf-8")).hexdigest() != hash_:
                    problem = (seq, f"entry {seq} was edited (its hash does not match its content)")
                else:
                    try:
                        doc = loads(body)
                        entry = doc["entry"]
                        body_seq, body_at = doc["seq"], fromiso(doc["at"])
                        if not isinstance(entry, dict):
                            raise TypeError
                    except (ValueError, KeyError, TypeError):
                        problem = (seq, f"entry {seq} is not an audit entry (its body is malformed)")
                    else:
                        if body_seq != seq:
                            problem = (seq, f"entry {seq} holds the entry recorded as {body_seq} "
                                            "(reordered)")
                        elif prev_hash != prev:
                            # Its own hash is right, so it was not edited; the one before it was
                            # replaced by an entry hashed afresh (or this one was moved here).
                            problem = ((seq - 1, f"entry {seq - 1} was replaced (entry {seq} does "
                                                 f"not follow it: the chain breaks there)")
                                       if seq > 1 else
                                       (1, "entry 1 does not start the chain (its prev_hash is "
                                           "not the genesis value)"))
                        elif body_at != at:
                            problem = (seq, f"entry {seq} was edited (its at column says "
                                            f"{at.isoformat()}, its hashed body {doc['at']})")
                        else:
                            for name, value in zip(COPIED, copied, strict=True):
                                if entry.get(name) != value:
                                    problem = (seq, f"entry {seq} was edited (its {name} column "
                                                    f"says {value!r}, its hashed body "
                                                    f"{entry.get(name)!r})")
                                    break
                if problem is not None:
                    problems.add(problem[0], problem[1], rank=0)
                    return
                expected, prev = seq + 1, hash_
                if seq % 10_000 == 0:
                    bar.update(seq - bar.n)
            bar.update(expected - 1 - bar.n)

    def _file_anchors(self, length: int, problems: _Problems) -> Iterator[list[tuple[int, str, str]]]:
        """The anchor file's first `length` bytes as batches of (seq, hash, where)."""
        if length == 0:
            return
        batch: list[tuple[int, str, str]] = []
        read = 0
        with self.anchor_path.open("rb") as lines:
            for number, line in enumerate(lines, 1):
                read += len(line)
                if read > length:  # being written as the snapshot was taken: newer than it
                    break
                if not line.strip():
                    continue
                try:
                    doc = json.loads(line)
                    seq, hash_ = doc["seq"], doc["hash"]
                    if not isinstance(seq, int) or seq < 1 or not isinstance(hash_, str):
                        raise ValueError
                except (ValueError, KeyError, TypeError):
                    problems.add(None, f"anchor file {self.anchor_path} line {number} is not an "
                                       "anchor (the file was damaged or edited)", rank=3)
                    continue
                batch.append((seq, hash_, f"anchor file line {number}"))
                if len(batch) == self.verify_batch:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def _check_anchors(self, conn, file_length: int, last_seq: int | None,
                       problems: _Problems) -> int:
        """Compare every anchor with the row it names; returns how many were checked.

        Anchors are read in batches and the database looks their rows up by primary key, so a
        file of years of anchors needs no more memory than a batch (and 8 bytes per anchor).
        """
        end = last_seq or 0
        good = array("q")  # seqs of anchors that match: 8 bytes each, for the report's range
        bad: list[tuple[int, str]] = []
        checked = 0

        def judge(rows) -> None:
            nonlocal checked
            for seq, anchored, actual, where in rows:
                checked += 1
                if actual == anchored:
                    good.append(seq)
                elif seq > end:
                    ends = f"the log ends at {end}" if end else "the log is empty"
                    problems.add(end + 1, f"{ends} but {where} says {seq} with hash "
                                          f"{anchored[:16]}… (tail cut)", rank=1)
                elif actual is None:
                    problems.add(seq, f"entry {seq} is missing (deleted); {where} names it", rank=1)
                else:
                    bad.append((seq, f"{where} says entry {seq} has hash {anchored[:16]}…, the log "
                                     f"has {actual[:16]}…"))

        with conn.cursor(name="vetlife_audit_anchors") as cur:
            cur.itersize = self.verify_batch
            cur.execute("SELECT a.seq, a.hash, l.hash, 'anchor table row ' || a.id "
                        "FROM audit_anchors a LEFT JOIN audit_log l ON l.seq = a.seq")
            judge(cur)
        with conn.cursor() as cur:
            for batch in self._file_anchors(file_length, problems):
                cur.execute("SELECT t.seq, t.hash, l.hash, t.place FROM unnest(%s::bigint[], "
                            "%s::text[], %s::text[]) AS t(seq, hash, place) "
                            "LEFT JOIN audit_log l ON l.seq = t.seq",
                            ([a[0] for a in batch], [a[1] for a in batch], [a[2] for a in batch]))
                judge(cur.fetchall())
        if bad:
            seq, message = min(bad)
            below = max((s for s in good if s < seq), default=0)
            problems.add(seq, f"the log was rewritten and re-hashed: {message} (the change is in "
                              f"entries {below + 1} to {seq})", rank=1)
        return checked

    @staticmethod
    def _check_head(head, last_seq: int | None, last_hash: str | None, problems: _Problems) -> None:
        # The head only ever moves with the last row, in the same call; any difference is an edit.
        if head is None:
            problems.add(None, "the head row was deleted (the log can take no more entries)", rank=2)
            return
        head_seq, head_hash = head
        end = last_seq or 0
        if head_seq == end and (end == 0 or head_hash == last_hash):
            return
        first = end + 1 if head_seq > end else head_seq + 1 if head_seq < end else end
        problems.add(first, f"the head says entry {head_seq} with hash {head_hash[:16]}… but the log "
                            f"ends at {end} (rows were cut or the head was reset)", rank=2)

    def close(self) -> None:
        self.db.close()


class Audit(DependencyProvider):
    """Hands each gateway worker the audit log; one pool per container, sized to its workers."""

    def setup(self):
        config = self.container.config
        url = config.get("GATEWAY_DATABASE_URL") or database_url("gateway")
        self.audit = AuditLog(Database(url, max_connections=self.container.max_workers + 2),
                              anchor_path=config.get("AUDIT_ANCHOR_PATH") or default_anchor_path())

    def stop(self):
        self.audit.close()

    def get_dependency(self, worker_ctx):
        return self.audit


def default_anchor_path() -> str:
    return os.environ.get("AUDIT_ANCHOR_PATH") or DEFAULT_ANCHOR_PATH


def _show(log: AuditLog, veteran_id: str | None, actor: str | None, limit: int) -> None:
    for item in log.search(veteran_id=veteran_id, actor=actor, page_size=limit)["items"]:
        stations = f" [{','.join(item['stations'])}]" if item["stations"] else ""
        department = f" dept={item['department']}" if item["department"] else ""
        # A read of the file on a day (docs/history.md) names the day(s).
        days = "".join(f" {key}={item[key]}" for key in DATED_KEYS if key in item)
        print(f"{item['seq']:>8} {item['at']} {item['subject']} ({item['role']}{stations}{department}) "
              f"{item['action']}{days} -> {item['outcome']} veteran={item['veteran_id'] or '-'} "
              f"fields={','.join(item['fields']) or '-'} purpose={item['purpose'] or '-'} "
              f"correlation={item['correlation_id'] or '-'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vetlife-audit", description="Verify, anchor and read the gateway's audit log "
        "(database: GATEWAY_DATABASE_URL, else the local vetlife_gateway).")
    commands = parser.add_subparsers(dest="command", required=True)
    anchors_help = f"the anchor file (default: $AUDIT_ANCHOR_PATH, else {DEFAULT_ANCHOR_PATH})"
    verify = commands.add_parser("verify", help="recompute the chain and check every anchor; "
                                 "exit 0 when intact, 1 naming the first bad entry")
    verify.add_argument("--anchors", help=anchors_help)
    anchor = commands.add_parser("anchor", help="append the current head to the anchor file")
    anchor.add_argument("--anchors", help=anchors_help)
    show = commands.add_parser("show", help="print recent entries, newest first")
    show.add_argument("--veteran-id", help="only entries about this veteran")
    show.add_argument("--actor", help="only entries by this subject")
    show.add_argument("--limit", type=int, default=20, help=f"how many (1-{MAX_PAGE_SIZE}; default 20)")
    args = parser.parse_args(argv)

    path = Path(getattr(args, "anchors", None) or default_anchor_path())
    if args.command == "verify" and not path.exists():
        if args.anchors:
            print(f"vetlife-audit: no anchor file at {path}", file=sys.stderr)
            return 2
        print(f"vetlife-audit: no anchor file at {path}; checking the anchor table only",
              file=sys.stderr)
    log = AuditLog(Database(database_url("gateway"), max_connections=2), anchor_path=path)
    try:
        if args.command == "verify":
            result = log.verify(progress=sys.stderr.isatty())
            if not result.ok:
                print(f"audit log NOT verified: {result.problem}")
                if result.first_bad_seq is not None:
                    print(f"first bad entry: {result.first_bad_seq}")
                return 1
            head = (f"{result.head_seq} {result.head_hash[:16]}" if result.head_seq is not None
                    else "none (the log is empty)")
            print(f"audit log verified: {result.entries} entries, head {head}, "
                  f"{result.anchors_checked} anchors checked")
        elif args.command == "anchor":
            anchored = log.anchor()
            print(f"anchored entry {anchored['seq']} {anchored['hash'][:16]} at {anchored['at']} "
                  f"to {path} and the anchor table" if anchored else "the log is empty: nothing to anchor")
        else:
            if not 1 <= args.limit <= MAX_PAGE_SIZE:
                parser.error(f"--limit must be from 1 to {MAX_PAGE_SIZE}")
            _show(log, args.veteran_id, args.actor, args.limit)
    except AuditUnavailable as exc:
        print(f"vetlife-audit: {exc}", file=sys.stderr)
        return 2
    finally:
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
