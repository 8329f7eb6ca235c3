"""The audit log on the real PostgreSQL: recording, queries, one chain under concurrency, tampering found."""
import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import eventlet
import psycopg2
import psycopg2.extensions
import pytest

from chassis.db import Database
from chassis.migrate import service_migrations
from gateway.audit import (
    GENESIS,
    SHANGHAI,
    Audit,
    AuditEntry,
    AuditLog,
    AuditUnavailable,
    entry_text,
)
from tests.conftest import fresh_database

CLI = Path(sys.executable).parent / "vetlife-audit"


@pytest.fixture
def audit_url() -> str:
    # A database per test: tampering tests leave triggers off and chains broken behind them.
    return fresh_database("vetlife_gateway_audit_test", [service_migrations("gateway")])


@pytest.fixture
def anchors(tmp_path) -> Path:
    return tmp_path / "anchors.jsonl"


@pytest.fixture
def audit(audit_url, anchors):
    log = AuditLog(Database(audit_url, max_connections=24), anchor_path=anchors)
    yield log
    log.close()


def read(veteran_id="v-1", subject="staff-1", action="read_file", **more) -> AuditEntry:
    return AuditEntry(subject=subject, role="station_worker", action=action, outcome="ok",
                      veteran_id=veteran_id, fields=("phone", "address"),
                      stations=("多湖街道退役军人服务站",), purpose="年度走访核对", **more)


def record(audit: AuditLog, count: int) -> list[int]:
    return [audit.record(read(veteran_id=f"v-{n}", subject=f"staff-{n % 3}")) for n in range(count)]


def sql(url: str, statement: str, params=()):
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            rows = cur.fetchall() if cur.description else None
        conn.commit()
        return rows
    finally:
        conn.close()


class Attacker:
    """Someone with database administrator rights who first turns the triggers off, as any
    superuser or owner can; what they leave behind is what verify must find."""

    def __init__(self, url: str):
        self.conn = psycopg2.connect(url)
        self.conn.autocommit = True
        self.cur = self.conn.cursor()
        for table in ("audit_log", "audit_head", "audit_anchors"):
            self.cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")

    def run(self, statement: str, params=()):
        self.cur.execute(statement, params)
        return self.cur.fetchall() if self.cur.description else None

    def rehash_from(self, seq: int) -> None:
        """Recompute every hash from `seq` on, and the head, so the chain is consistent again."""
        prev = GENESIS
        if seq > 1:
            (prev,) = self.run("SELECT hash FROM audit_log WHERE seq = %s", (seq - 1,))[0]
        for row_seq, body in self.run("SELECT seq, body FROM audit_log WHERE seq >= %s ORDER BY seq",
                                      (seq,)):
            new = hashlib.sha256((prev + body).encode()).hexdigest()
            self.run("UPDATE audit_log SET prev_hash = %s, hash = %s WHERE seq = %s",
                     (prev, new, row_seq))
            prev = new
        self.reset_head()

    def reset_head(self) -> None:
        self.run("UPDATE audit_head SET (seq, hash) = (SELECT seq, hash FROM audit_log "
                 "ORDER BY seq DESC LIMIT 1)")

    def rewrite_purpose(self, seq: int, purpose: str) -> None:
        (body,) = self.run("SELECT body FROM audit_log WHERE seq = %s", (seq,))[0]
        doc = json.loads(body)
        doc["entry"]["purpose"] = purpose
        self.run("UPDATE audit_log SET body = %s WHERE seq = %s",
                 (json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False), seq))

    def close(self):
        self.conn.close()


@pytest.fixture
def attacker(audit_url):
    made = []

    def make() -> Attacker:
        made.append(Attacker(audit_url))
        return made[-1]

    yield make
    for one in made:
        one.close()


# -- recording and reading ---------------------------------------------------------------


def test_an_entry_is_recorded_hashed_as_python_hashes_it_and_read_back(audit, audit_url):
    entry = AuditEntry(subject="staff-李红", role="station_worker", action="read_file", outcome="ok",
                       veteran_id="v-1", fields=("phone", "address"), stations=("多湖", "光南"),
                       purpose="走访 🎖 核对", correlation_id="corr-1")

    assert audit.record(entry) == 1

    ((at, body, prev_hash, hash_, subject),) = sql(
        audit_url, "SELECT at, body, prev_hash, hash, subject FROM audit_log")
    # The body is the entry's canonical text wrapped with seq and at, itself canonical JSON ...
    doc = json.loads(body)
    assert body == f'{{"at":"{doc["at"]}","entry":{entry_text(entry)},"seq":1}}'
    assert body == json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert datetime.fromisoformat(doc["at"]) == at and doc["at"].endswith("Z")
    # ... and the database hashed exactly the UTF-8 bytes Python's verify hashes.
    assert prev_hash == GENESIS
    assert hash_ == hashlib.sha256((GENESIS + body).encode("utf-8")).hexdigest()
    assert subject == "staff-李红"

    page = audit.access_log("v-1")
    assert page["total"] == 1 and (page["page"], page["page_size"]) == (1, 20)
    (item,) = page["items"]
    assert item == {"seq": 1, "at": doc["at"], "subject": "staff-李红", "role": "station_worker",
                    "stations": ["多湖", "光南"], "department": None, "action": "read_file",
                    "fields": ["phone", "address"], "purpose": "走访 🎖 核对", "outcome": "ok",
                    "correlation_id": "corr-1"}
    assert datetime.fromisoformat(item["at"]).tzinfo is not None
    assert audit.verify().ok


class CountingCursor(psycopg2.extensions.cursor):
    statements: list = []

    def execute(self, query, vars=None):
        CountingCursor.statements.append((query, self.connection.autocommit))
        return super().execute(query, vars)


class CountingDatabase(Database):
    def _connect(self):
        conn = super()._connect()
        conn.cursor_factory = CountingCursor
        return conn


def test_record_and_record_many_are_one_statement_each_without_begin_or_commit(audit_url):
    audit = AuditLog(CountingDatabase(audit_url))
    CountingCursor.statements = []

    first = audit.record(read())
    listed = audit.record_many([read(veteran_id=f"v-{n}", action="list_veterans")
                                for n in range(20)])

    # Autocommit: psycopg2 sends no BEGIN and no COMMIT, so each call is one round trip.
    assert [autocommit for _, autocommit in CountingCursor.statements] == [True, True]
    assert first == 1 and listed == list(range(2, 22))  # one chain segment
    assert audit.verify().ok
    audit.close()


def test_an_empty_log_verifies_and_has_nothing_to_anchor(audit, anchors):
    assert audit.anchor() is None and not anchors.exists()
    result = audit.verify()
    assert (result.ok, result.entries, result.head_seq) == (True, 0, None)
    assert audit.record_many([]) == []


def test_the_access_log_is_newest_first_and_paged(audit):
    for n in range(25):
        audit.record(read(veteran_id="v-1", correlation_id=f"c-{n}"))
        audit.record(read(veteran_id="v-2"))

    first = audit.access_log("v-1", page=1, page_size=10)
    last = audit.access_log("v-1", page=3, page_size=10)
    beyond = audit.access_log("v-1", page=4, page_size=10)

    assert first["total"] == last["total"] == beyond["total"] == 25
    assert [i["correlation_id"] for i in first["items"]] == [f"c-{n}" for n in range(24, 14, -1)]
    assert [i["seq"] for i in first["items"]] == list(range(49, 29, -2))
    assert [i["correlation_id"] for i in last["items"]] == [f"c-{n}" for n in range(4, -1, -1)]
    assert beyond["items"] == []
    assert audit.access_log("v-unknown") == {"items": [], "page": 1, "page_size": 20, "total": 0}
    with pytest.raises(ValueError):
        audit.access_log("v-1", page=0)
    with pytest.raises(ValueError):
        audit.access_log("v-1", page_size=1000)


def test_search_by_veteran_actor_and_time(audit):
    audit.record(read(veteran_id="v-1", subject="staff-1"))
    audit.record(read(veteran_id="v-2", subject="staff-1"))
    audit.record(read(veteran_id="v-1", subject="staff-2"))
    audit.record(AuditEntry("auditor-1", "auditor", "read_audit", "ok"))
    everything = audit.search()["items"]
    at = {item["seq"]: datetime.fromisoformat(item["at"]) for item in everything}
    day = at[1].astimezone(SHANGHAI).date()

    def seqs(**query):
        return [item["seq"] for item in audit.search(**query)["items"]]

    assert [item["seq"] for item in everything] == [4, 3, 2, 1]
    assert everything[1]["veteran_id"] == "v-1" and everything[0]["veteran_id"] is None
    assert seqs(veteran_id="v-1") == [3, 1]
    assert seqs(actor="staff-1") == [2, 1]
    assert seqs(veteran_id="v-1", actor="staff-1") == [1]
    # Datetimes are inclusive bounds.
    assert seqs(from_=at[2]) == [4, 3, 2]
    assert seqs(to=at[2]) == [2, 1]
    assert seqs(from_=at[2], to=at[3]) == [3, 2]
    # Dates are whole days in Asia/Shanghai, both ends included; a naive datetime is Shanghai time.
    assert seqs(from_=day, to=day) == [4, 3, 2, 1]
    assert seqs(to=day - timedelta(days=1)) == []
    assert seqs(from_=day + timedelta(days=1)) == []
    assert seqs(to=at[2].astimezone(SHANGHAI).replace(tzinfo=None)) == [2, 1]
    paged = audit.search(page=2, page_size=3)
    assert (paged["total"], [i["seq"] for i in paged["items"]]) == (4, [1])


def test_twenty_concurrent_recorders_make_one_gap_free_chain(audit, audit_url):
    results: list[list[int]] = []

    def worker(n):
        for i in range(10):
            if i % 2:
                results.append(audit.record_many([read(veteran_id=f"v-{n}-{i}-{k}") for k in range(3)]))
            else:
                results.append([audit.record(read(veteran_id=f"v-{n}-{i}"))])

    pool = eventlet.GreenPool(20)
    for n in range(20):
        pool.spawn(worker, n)
    pool.waitall()

    seqs = sorted(seq for segment in results for seq in segment)
    assert seqs == list(range(1, 20 * (5 + 5 * 3) + 1))
    assert all(segment == list(range(segment[0], segment[0] + len(segment))) for segment in results)
    # Several connections were open at once: the writers really did overlap.
    assert len(audit.db._idle) > 1
    at = [row[0] for row in sql(audit_url, "SELECT at FROM audit_log ORDER BY seq")]
    assert at == sorted(at)  # time never goes backwards along the chain
    audit.verify_batch = 64  # several batches through the server-side cursor
    result = audit.verify()
    assert (result.ok, result.entries, result.head_seq) == (True, 400, 400), result.problem


def test_verify_is_not_fooled_by_entries_and_anchors_recorded_while_it_runs(audit):
    audit.verify_batch = 16  # many round trips, so the writer gets in between them
    record(audit, 50)
    audit.anchor()

    def write():
        for n in range(200):
            audit.record(read(veteran_id=f"v-{n}"))
            if n % 10 == 0:
                audit.anchor()

    writer = eventlet.spawn(write)
    results = []
    while not writer.dead:
        results.append(audit.verify())
    writer.wait()
    results.append(audit.verify())

    assert len(results) > 2 and all(r.ok for r in results), [r.problem for r in results]
    assert results[-1].entries == 250


# -- append-only ---------------------------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET subject = 'someone-else' WHERE seq = 2",
    "DELETE FROM audit_log WHERE seq = 2",
    "DELETE FROM audit_log WHERE seq = 999",  # refused even when nothing matches
    "TRUNCATE audit_log",
    "UPDATE audit_head SET seq = 1",
    "DELETE FROM audit_head",
    "UPDATE audit_anchors SET seq = 1",
    "TRUNCATE audit_anchors",
])
def test_edits_are_refused_even_to_the_superuser_while_the_triggers_are_on(audit, audit_url,
                                                                            statement):
    record(audit, 3)
    audit.anchor()

    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="refused"):
        sql(audit_url, statement)
    # ENABLE ALWAYS: replication mode does not switch them off either.
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="refused"):
        sql(audit_url, f"SET session_replication_role = replica; {statement}")
    assert audit.verify().ok and audit.verify().entries == 3


def test_the_writer_role_can_append_only_through_the_function(audit, audit_url):
    record(audit, 2)
    as_writer = "SET ROLE vetlife_audit_writer; "

    (seq,) = sql(audit_url, as_writer + "SELECT vetlife_audit_append(%s::text[])",
                 ([entry_text(read())],))[0]
    assert seq == 3
    assert sql(audit_url, as_writer + "SELECT count(*) FROM audit_log") == [(3,)]
    for statement in ("INSERT INTO audit_log SELECT * FROM audit_log WHERE seq = 1",
                      "UPDATE audit_head SET seq = 0",
                      "INSERT INTO audit_anchors (seq, hash, at) VALUES (1, 'x', now())"):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied"):
            sql(audit_url, as_writer + statement)
    assert audit.verify().ok


# -- tampering, each found with the entry it starts at --------------------------------------


def test_an_intact_log_with_anchors_verifies(audit, anchors):
    record(audit, 5)
    audit.anchor()
    record(audit, 3)
    audit.anchor()

    result = audit.verify()

    assert (result.ok, result.entries, result.head_seq, result.problem) == (True, 8, 8, None)
    assert result.anchors_checked == 4  # two in the file, two in the table
    assert [json.loads(line)["seq"] for line in anchors.read_text().splitlines()] == [5, 8]


def test_an_edited_body_is_found(audit, attacker):
    record(audit, 8)
    attacker().rewrite_purpose(5, "无")  # purpose is in no column: only the hash can tell

    result = audit.verify()

    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert result.problem == "entry 5 was edited (its hash does not match its content)"


def test_an_edited_query_column_is_found(audit, attacker):
    record(audit, 8)
    attacker().run("UPDATE audit_log SET subject = 'staff-9' WHERE seq = 5")  # body and hash untouched

    result = audit.verify()

    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "entry 5 was edited (its subject column says 'staff-9'" in result.problem


def test_an_edited_time_column_is_found(audit, attacker):
    record(audit, 8)
    # Moved out of a searched day: the body and hash still say when it happened.
    attacker().run("UPDATE audit_log SET at = at - interval '3 days' WHERE seq = 5")

    result = audit.verify()

    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert result.problem.startswith("entry 5 was edited (its at column says")


def test_a_deleted_entry_is_found(audit, attacker):
    record(audit, 8)
    attacker().run("DELETE FROM audit_log WHERE seq = 5")

    result = audit.verify()

    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert result.problem == "entry 5 is missing (deleted)"


def test_swapped_entries_are_found(audit, attacker):
    record(audit, 8)
    evil = attacker()
    evil.run("UPDATE audit_log SET seq = -5 WHERE seq = 5")
    evil.run("UPDATE audit_log SET seq = 5 WHERE seq = 6")
    evil.run("UPDATE audit_log SET seq = 6 WHERE seq = -5")

    result = audit.verify()

    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert result.problem == "entry 5 holds the entry recorded as 6 (reordered)"


def test_an_entry_replaced_and_hashed_afresh_is_found_by_the_next_link(audit, attacker):
    record(audit, 8)
    evil = attacker()
    evil.rewrite_purpose(5, "无")
    (prev, body) = evil.run("SELECT prev_hash, body FROM audit_log WHERE seq = 5")[0]
    evil.run("UPDATE audit_log SET hash = %s WHERE seq = 5",
             (hashlib.sha256((prev + body).encode()).hexdigest(),))

    result = audit.verify()

    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert result.problem.startswith("entry 5 was replaced (entry 6 does not follow it")


def test_a_rewrite_with_every_later_hash_recomputed_is_found_only_by_the_anchor_file(
        audit, audit_url, attacker):
    record(audit, 6)
    audit.anchor()
    record(audit, 4)
    audit.anchor()
    record(audit, 2)
    evil = attacker()
    evil.rewrite_purpose(8, "无")
    evil.rehash_from(8)
    # A thorough attacker fixes the anchors kept in the same database too.
    evil.run("UPDATE audit_anchors a SET hash = l.hash FROM audit_log l WHERE l.seq = a.seq")

    result = audit.verify()
    without_the_file = AuditLog(Database(audit_url)).verify()

    assert (result.ok, result.first_bad_seq) == (False, 10)
    assert result.problem.startswith("the log was rewritten and re-hashed: anchor file line 2 says "
                                     "entry 10 has hash")
    assert result.problem.endswith("(the change is in entries 7 to 10)")
    # The chain itself is consistent again: only the anchor kept elsewhere tells.
    assert without_the_file.ok


def test_a_tail_cut_after_an_anchor_is_found_by_the_anchor_file(audit, audit_url, attacker):
    record(audit, 12)
    audit.anchor()
    evil = attacker()
    evil.run("DELETE FROM audit_log WHERE seq > 10")
    evil.reset_head()
    evil.run("DELETE FROM audit_anchors")

    result = audit.verify()
    without_the_file = AuditLog(Database(audit_url)).verify()

    assert (result.ok, result.entries, result.head_seq, result.first_bad_seq) == (False, 10, 10, 11)
    assert result.problem.startswith("the log ends at 10 but anchor file line 1 says 12 with hash")
    assert result.problem.endswith("(tail cut)")
    assert without_the_file.ok


def test_a_tail_cut_is_found_by_the_anchor_table_when_the_attacker_forgot_it(audit_url, attacker):
    audit = AuditLog(Database(audit_url))  # no anchor file at all
    record(audit, 12)
    audit.anchor()
    evil = attacker()
    evil.run("DELETE FROM audit_log WHERE seq > 10")
    evil.reset_head()

    result = audit.verify()

    assert (result.ok, result.first_bad_seq) == (False, 11)
    assert result.problem.startswith("the log ends at 10 but anchor table row 1 says 12")
    audit.close()


def test_a_tail_cut_that_leaves_the_head_is_found_without_anchors(audit, attacker):
    record(audit, 12)
    attacker().run("DELETE FROM audit_log WHERE seq > 10")

    result = audit.verify()

    assert (result.ok, result.first_bad_seq) == (False, 11)
    assert result.problem.startswith("the head says entry 12 with hash")


def test_a_damaged_anchor_file_fails_verification(audit, anchors):
    record(audit, 3)
    audit.anchor()
    with anchors.open("a") as f:
        f.write("not an anchor\n")

    result = audit.verify()

    assert not result.ok and result.first_bad_seq is None
    assert "line 2 is not an anchor" in result.problem


# -- the CLI ------------------------------------------------------------------------------------


def cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GATEWAY_DATABASE_URL": url}
    return subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True, timeout=60)


def test_the_cli_verifies_anchors_and_shows(audit, audit_url, anchors):
    record(audit, 4)
    audit.record(read(veteran_id="v-42", subject="staff-7"))

    anchored = cli(audit_url, "anchor", "--anchors", str(anchors))
    verified = cli(audit_url, "verify", "--anchors", str(anchors))
    shown = cli(audit_url, "show", "--veteran-id", "v-42")

    assert anchored.returncode == 0 and "anchored entry 5" in anchored.stdout
    assert json.loads(anchors.read_text())["seq"] == 5
    assert verified.returncode == 0, verified.stdout + verified.stderr
    head = sql(audit_url, "SELECT hash FROM audit_head")[0][0]
    assert verified.stdout.strip() == (
        f"audit log verified: 5 entries, head 5 {head[:16]}, 2 anchors checked")
    assert shown.returncode == 0 and "staff-7" in shown.stdout and "v-42" in shown.stdout
    assert len(shown.stdout.strip().splitlines()) == 1


def test_the_cli_exits_1_naming_the_first_bad_entry(audit, audit_url, anchors, attacker):
    record(audit, 6)
    audit.anchor()
    attacker().rewrite_purpose(3, "无")

    verified = cli(audit_url, "verify", "--anchors", str(anchors))

    assert verified.returncode == 1
    assert "entry 3 was edited" in verified.stdout and "first bad entry: 3" in verified.stdout


def test_the_cli_refuses_a_missing_anchor_file_it_was_pointed_at(audit_url, tmp_path):
    verified = cli(audit_url, "verify", "--anchors", str(tmp_path / "nowhere.jsonl"))

    assert verified.returncode == 2 and "no anchor file" in verified.stderr


# -- unavailable ----------------------------------------------------------------------------------


def test_recording_without_the_database_raises_audit_unavailable():
    audit = AuditLog(Database("postgresql://postgres@127.0.0.1:1/x", connect_timeout=1))

    with pytest.raises(AuditUnavailable):
        audit.record(read())
    with pytest.raises(AuditUnavailable):
        audit.record_many([read(), read()])
    with pytest.raises(AuditUnavailable):
        audit.access_log("v-1")


def test_a_failing_write_raises_audit_unavailable(audit_url):
    # Reachable, but the audit log was never migrated there: the write fails all the same.
    audit = AuditLog(Database(audit_url.rsplit("/", 1)[0] + "/postgres"))

    with pytest.raises(AuditUnavailable):
        audit.record(read())
    audit.close()


def test_the_dependency_provider_builds_the_log_from_config(audit_url, anchors):
    provider = Audit()
    provider.container = SimpleNamespace(
        config={"GATEWAY_DATABASE_URL": audit_url, "AUDIT_ANCHOR_PATH": str(anchors)}, max_workers=20)

    provider.setup()
    log = provider.get_dependency(worker_ctx=None)
    log.record(read())
    log.anchor()
    provider.stop()

    assert isinstance(log, AuditLog) and log.db.max_connections == 22
    assert json.loads(anchors.read_text())["seq"] == 1
