"""make bench's import row: 100,000 spreadsheet rows imported against the store's batch append, and peak memory.

Ours: `vetlife-import`'s work on a 100,000-row CSV from vetlife-sample (5 % bad rows), in a child
process of its own so its peak resident memory is its own (its high-water mark plus its
checking workers' peak from resource.getrusage, the largest counted once per worker): the check
pass (the dry run: every row read, checked by the registration's contract and decision, its
event made, refused rows to the error file, the events kept for the import) and the import pass
(those events written with their claims through open_streams), each timed, as the command runs
them. The row's figure is the import pass, in rows per second; the check pass and the two
together are reported beside it. Afterwards the store is counted: it must hold one event and
one claim per good row. The ceiling: the same good rows' VeteranRegistered events appended
through the store's batch append (PostgresEventStore.append, as many events per call as the
import writes per statement, WRITE_BATCH, so both make the same round trips; one stream per call:
no claim, no per-stream version check, no reading or checking), in events per second. Each
side gets a fresh database of this run's own per slice; the two alternate
(bench.stats.interleaved). Run alone: `python -m bench.imports` (VETLIFE_BENCH_IMPORT_ROWS).
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg2

from bench.stats import interleaved, row
from chassis.db import Database
from chassis.envelope import Metadata, NewEvent
from chassis.migrate import CHASSIS_MIGRATIONS, migrate, service_migrations
from chassis.store import PostgresEventStore
from contracts import registry as contract
from services.registry.imports import WRITE_BATCH

ROWS = int(os.environ.get("VETLIFE_BENCH_IMPORT_ROWS", "100000"))
REPS = int(os.environ.get("VETLIFE_BENCH_IMPORT_REPS", "2"))
SLICES = 2
BAD_SHARE = 0.05
TARGET = 0.5
MEMORY_CEILING_MB = 300
# The same number of events per round trip as the import's statements (see the docstring).
BATCH = WRITE_BATCH
TODAY = date(2026, 11, 27)
ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / "results" / "logs"  # ignored by git: the sample holds made-up people


def drop_database(pg: str, name: str) -> None:
    admin = psycopg2.connect(f"{pg}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def fresh_registry(pg: str, name: str) -> str:
    drop_database(pg, name)
    url = f"{pg}/{name}"
    migrate(url, [CHASSIS_MIGRATIONS, service_migrations("registry")])
    return url


def sample(rows: int) -> Path:
    from services.registry.sample import Sampler, write

    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"import-{rows}.csv"
    if not path.exists():
        write(path, Sampler(20201231, TODAY).rows(rows, BAD_SHARE))
    return path


def good_payloads(path: Path) -> list[dict]:
    """The stored payloads the import writes for the file's good rows, made once, untimed."""
    from services.registry.import_files import Sheet
    from services.registry.import_rows import RowProblems, check_row

    payloads, seen = [], set()
    with Sheet(path, "csv") as sheet:
        for r in sheet.rows():
            try:
                checked = check_row(r.cells, str(uuid.uuid4()), TODAY)
            except RowProblems:
                continue
            if checked.event.id_number not in seen:
                seen.add(checked.event.id_number)
                payloads.append(contract.to_new_event(checked.event).data)
    return payloads


def ceiling_append(url: str, payloads: list[dict]) -> float:
    """Events per second through the store's batch append of BATCH events per call."""
    store = PostgresEventStore(Database(url), "registry_events", upcast=contract.upcast)
    tag = uuid.uuid4().hex[:8]
    try:
        started = time.perf_counter()
        for n in range(0, len(payloads), BATCH):
            store.append(f"{tag}-{n}", [NewEvent("VeteranRegistered", d)
                                        for d in payloads[n:n + BATCH]], 0, Metadata())
        return len(payloads) / (time.perf_counter() - started)
    finally:
        store.db.close()


def ours_import(url: str, path: Path) -> dict:
    """The import in a child process: its figures as JSON on its last line of output."""
    done = subprocess.run([sys.executable, "-m", "bench.imports", "child", url, str(path)],
                          cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        raise RuntimeError(f"the import's child process failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(url: str, path: str) -> None:
    from services.registry.handlers import ID_NUMBER_CLAIM
    from services.registry.import_cli import WORKERS
    from services.registry.import_files import ErrorFile, Sheet
    from services.registry.imports import Prepared, import_file, import_prepared

    store = PostgresEventStore(Database(url), "registry_events", upcast=contract.upcast)
    meta = Metadata(actor="operator:bench")
    figures = {}
    # As vetlife-import does it: the check (its events kept for the import), then the import.
    prepared = Prepared(str(WORK))
    try:
        with Sheet(path, "csv") as sheet:
            errors = ErrorFile(sheet.original_header(), "csv", str(WORK))
            started = time.perf_counter()
            checked = import_file(store, sheet, meta, dry_run=True, errors=errors, today=TODAY,
                                  workers=WORKERS, prepare=prepared)
            check_seconds = time.perf_counter() - started
            errors.discard()
        started = time.perf_counter()
        imported = import_prepared(store, prepared, meta)
        import_seconds = time.perf_counter() - started
    finally:
        prepared.discard()
    for name, outcome, seconds in (("check", checked, check_seconds),
                                   ("import", imported, import_seconds)):
        figures[name] = {
            "rows": outcome.total, "seconds": round(seconds, 2),
            "rows_per_s": round(outcome.total / seconds, 1), "imported": outcome.imported,
            "refused": outcome.refused, "already_on_file": outcome.already_on_file}
    # What the store holds, not what the import counted: a row lost on the way shows here.
    with store.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM stored_events WHERE event_type = 'VeteranRegistered'")
        figures["events_in_store"] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM unique_claims WHERE kind = %s", (ID_NUMBER_CLAIM,))
        figures["claims_in_store"] = cur.fetchone()[0]
    # The worker processes' peaks too: the largest of them (all getrusage tells) once per
    # worker, on top of this process's own, which bounds their sum from above. This process's
    # own peak is its address space's high-water mark (VmHWM): getrusage's would be at least
    # the bench's own, which started it (Linux keeps the peak of the memory a process replaced
    # at exec, and subprocess starts a child in its parent's memory with vfork).
    own = _high_water_mb()
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures["peak_rss_mb"] = round(own + WORKERS * workers, 1)
    figures["peak_rss_own_mb"], figures["workers"] = round(own, 1), WORKERS
    store.db.close()
    print(json.dumps(figures))


def _high_water_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: as before


def import_row(pg: str, say) -> dict:
    """The row for bench/results/latest.json."""
    say(f"import: writing a {ROWS:,}-row sample and its events")
    path = sample(ROWS)
    payloads = good_payloads(path)
    runs: list[dict] = []

    # Databases of this run's own: a second run started meanwhile (another make bench) would
    # otherwise drop the one this run's import is writing to, and its import's claims would
    # turn up in the other's as 已在档, counted short.
    run = os.getpid()

    def ours(k: int) -> float:
        figures = ours_import(fresh_registry(pg, f"vetlife_bench_import_{run}"), path)
        counts = (figures["import"]["imported"], figures["events_in_store"],
                  figures["claims_in_store"])
        if counts != (len(payloads),) * 3:
            raise RuntimeError(f"the import counted {counts[0]} files, the store holds "
                               f"{counts[1]} events and {counts[2]} claims; expected "
                               f"{len(payloads)} each")
        runs.append(figures)
        return figures["import"]["rows_per_s"]

    def ceiling(k: int) -> float:
        return ceiling_append(fresh_registry(pg, f"vetlife_bench_import_ceiling_{run}"),
                              payloads)

    try:
        ours_runs, ceiling_runs = interleaved(ours, ceiling, REPS, SLICES, say, "import",
                                              "rows/s")
    finally:
        drop_database(pg, f"vetlife_bench_import_{run}")
        drop_database(pg, f"vetlife_bench_import_ceiling_{run}")
    result = row(f"vetlife-import, {ROWS:,} CSV rows ({BAD_SHARE:.0%} bad): the import pass",
                 f"store batch append of the same {len(payloads):,} events, {BATCH} per call",
                 ours_runs, ceiling_runs, TARGET, "rows/s", SLICES)
    peak = max(r["peak_rss_mb"] for r in runs)
    result.update({
        "rows": ROWS, "imported": len(payloads), "peak_rss_mb": peak,
        "peak_rss_ceiling_mb": MEMORY_CEILING_MB,
        "check_rows_per_s": [r["check"]["rows_per_s"] for r in runs],
        "import_seconds": [r["import"]["seconds"] for r in runs],
        "check_seconds": [r["check"]["seconds"] for r in runs],
        # The whole command, check and import, for the operator's wait.
        "command_rows_per_s": [round(ROWS / (r["check"]["seconds"] + r["import"]["seconds"]), 1)
                               for r in runs],
        "met": result["met"] and peak < MEMORY_CEILING_MB,
    })
    say(f"import: peak memory {peak} MB (ceiling {MEMORY_CEILING_MB} MB); check pass "
        f"{result['check_rows_per_s']} rows/s; check and import together "
        f"{result['command_rows_per_s']} rows/s")
    return result


def main() -> int:
    pg = os.environ.get("VETLIFE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
    result = import_row(pg, lambda text: print(f"[bench {time.strftime('%H:%M:%S')}] {text}",
                                               flush=True))
    out = ROOT / "bench" / "results" / "imports.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
