"""Bringing existing veteran files in from a spreadsheet: the dry run, the import and its jobs.

Each good row becomes a veteran file exactly as a registration over the API makes one: the same
checks (services/registry/import_rows.py), the same VeteranRegistered event on a new stream of
its own, the same resident ID number claim. Rows are written in chunks through the store's
`open_streams` (one statement per chunk), and the claim is what makes an import safe to run
again: a row whose ID number already has a file is reported as 已在档 and writes nothing.
A bad row writes nothing either; it goes to the error file with its reason, to be corrected
and imported again.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import tempfile
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import NamedTuple

from chassis.envelope import Metadata, NewEvent
from chassis.store import OpenedStream, PostgresEventStore
from contracts import registry as contract
from services.registry.handlers import ID_NUMBER_CLAIM, shanghai_today
from services.registry.import_files import ErrorFile, Row, Sheet
from services.registry.import_rows import RowProblems, check_row, duplicate_reason

CHUNK = 500
# Rows per statement when the import writes what its check prepared: one statement of 2,000
# streams wrote 95,000 files some 40 % faster than statements of 500 (the store's per-call
# work, the commit), and nothing waits on a progress report in between.
WRITE_BATCH = 2000
# How many rows of each kind an outcome names (the error file has every refused row).
LISTED = 200
ALREADY_ON_FILE = "已在档"


@dataclass
class Outcome:
    """What a dry run found or an import did, row by row counted."""

    dry_run: bool
    total: int = 0
    imported: int = 0  # a dry run: the rows that would be imported
    already_on_file: int = 0
    refused: int = 0
    # (row, reason) and (row, the veteran id that holds the ID number), the first LISTED.
    problems: list[tuple[int, str]] = field(default_factory=list)
    on_file: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, "total": self.total, "imported": self.imported,
                "already_on_file": self.already_on_file, "refused": self.refused,
                "problems": [{"row": r, "reason": why} for r, why in self.problems],
                "on_file": [{"row": r, "veteran_id": v, "status": ALREADY_ON_FILE}
                            for r, v in self.on_file]}


def _new_ids(count: int) -> list[str]:
    """`count` random (version 4) UUIDs, as uuid.uuid4 makes them, from one read of the
    system's randomness rather than one each: the calls cost more than the bytes."""
    randomness = os.urandom(16 * count)
    return [str(uuid.UUID(bytes=randomness[n:n + 16], version=4)) for n in range(0, 16 * count, 16)]


def _id_key(number: str) -> int:
    # The ID numbers seen so far, kept as ints: a million of them as strings would cost twice.
    return int(number[:17]) * 11 + (10 if number[17] == "X" else int(number[17]))


class _Run:
    def __init__(self, store: PostgresEventStore, meta: Metadata, outcome: Outcome,
                 errors: ErrorFile | None, today: date, within_stations):
        self.store, self.meta, self.outcome, self.errors = store, meta, outcome, errors
        self.today, self.within_stations = today, within_stations
        self.seen: dict[int, int] = {}

    def refuse(self, row: Row, reason: str) -> None:
        self.outcome.refused += 1
        if len(self.outcome.problems) < LISTED:
            self.outcome.problems.append((row.number, reason))
        if self.errors is not None:
            self.errors.add(row, reason)

    def on_file(self, number: int, veteran_id: str) -> None:
        self.outcome.already_on_file += 1
        if len(self.outcome.on_file) < LISTED:
            self.outcome.on_file.append((number, veteran_id))

    def sort(self, rows: list[Row], checked: list[_Checked]) -> list[tuple[int, _Checked]]:
        """The chunk's good rows; the refused ones and second rows of an ID number refused."""
        good = []
        for row, result in zip(rows, checked, strict=True):
            if result.reason is not None:
                self.refuse(row, result.reason)
                continue
            first = self.seen.setdefault(result.key, row.number)
            if first != row.number:
                self.refuse(row, RowProblems(duplicate_reason(first)).reason)
                continue
            good.append((row.number, result))
        return good

    def write(self, good: list[tuple[int, _Checked]]) -> list[OpenedStream]:
        return self.store.open_streams([(c.veteran_id, c.event, c.id_number) for _, c in good],
                                       self.meta, claim_kind=ID_NUMBER_CLAIM)

    def written(self, good: list[tuple[int, _Checked]], opened: list[OpenedStream]) -> None:
        for (number, checked), result in zip(good, opened, strict=True):
            # A claim held by this very stream: a retried statement whose first run committed
            # (the connection lost after the commit) opened it.
            if result.opened or result.stream_id == checked.veteran_id:
                self.outcome.imported += 1
            else:
                self.on_file(number, result.stream_id)

    def looked_up(self, good: list[tuple[int, _Checked]]) -> None:
        holders = self.store.claimed(ID_NUMBER_CLAIM, [c.id_number for _, c in good])
        for number, checked in good:
            holder = holders.get(checked.id_number)
            if holder is None:
                self.outcome.imported += 1
            else:
                self.on_file(number, holder)


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while chunk := list(islice(rows, size)):
        yield chunk


class _Checked(NamedTuple):
    """One row checked: refused with its reason, or the event its registration writes (its
    stored payload as JSON text: a plain tuple of strings crosses between processes cheaply)."""

    reason: str | None = None
    veteran_id: str | None = None
    id_number: str | None = None
    key: int = 0
    event_type: str | None = None
    schema_version: int = 1
    data: str | None = None
    event_id: str | None = None

    @property
    def event(self) -> NewEvent:
        return NewEvent(self.event_type, self.data, self.schema_version, self.event_id)


def _check_cells(cells: list[dict], today: date, within_stations, serialise: bool
                 ) -> list[_Checked]:
    """Check a chunk's rows (in a worker process, or here); the stored event made too unless
    `serialise` is False (a dry run writes none)."""
    out = []
    ids = _new_ids(2 * len(cells))
    for n, one in enumerate(cells):
        veteran_id = ids[2 * n]
        try:
            checked = check_row(one, veteran_id, today, within_stations)
        except RowProblems as refused:
            out.append(_Checked(reason=refused.reason))
            continue
        number = checked.event.id_number
        if not serialise:
            out.append(_Checked(veteran_id=veteran_id, id_number=number, key=_id_key(number)))
            continue
        event = contract.to_new_event(checked.event)
        out.append(_Checked(None, veteran_id, number, _id_key(number), event.event_type,
                            event.schema_version, json.dumps(event.data, default=str),
                            ids[2 * n + 1]))
    return out


def _checked_chunks(rows: Iterator[Row], size: int, today: date, within_stations,
                    serialise: bool, workers: int) -> Iterator[tuple[list[Row], list[_Checked]]]:
    """Each chunk of rows with its rows checked, in order. With `workers`, that many processes
    check chunks ahead of the one handed out, at most two each (so a million rows are never read
    ahead into memory)."""
    chunks = _chunks(rows, size)
    if workers <= 0:
        for chunk in chunks:
            yield chunk, _check_cells([r.cells for r in chunk], today, within_stations, serialise)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        ahead: deque = deque()
        for chunk in chunks:
            ahead.append((chunk, pool.apply_async(
                _check_cells, ([r.cells for r in chunk], today, within_stations, serialise))))
            if len(ahead) >= 2 * workers:
                done, result = ahead.popleft()
                yield done, result.get()
        while ahead:
            done, result = ahead.popleft()
            yield done, result.get()


class Prepared:
    """What a check decided, kept for the import that follows it: each chunk's good rows with
    the stream, event and claim their registration writes, so the import writes them without
    checking every row a second time (the command line's check, then its import).

    Kept in a temporary file of the operator's alone (mkstemp: mode 600), written as the check
    goes and read back through the same open file, so a million rows never sit in memory and
    nobody can swap the file in between; it holds personal data, so `discard` deletes it, and
    the command line does that however the import ends. Each chunk is pickled and compressed
    (zlib, fastest level: the payloads are JSON text, about a third of their size)."""

    def __init__(self, directory: str | None = None):
        handle, self.path = tempfile.mkstemp(prefix="vetlife-import-", suffix=".prepared",
                                             dir=directory)
        self._file = os.fdopen(handle, "w+b")
        self.outcome: Outcome | None = None  # the check's, once it has finished

    def add(self, rows: int, good: list[tuple[int, _Checked]]) -> None:
        """A checked chunk of `rows` rows: its good rows (row number, what it writes)."""
        blob = zlib.compress(pickle.dumps((rows, good), pickle.HIGHEST_PROTOCOL), 1)
        self._file.write(len(blob).to_bytes(8, "big"))
        self._file.write(blob)

    def chunks(self) -> Iterator[tuple[int, list[tuple[int, _Checked]]]]:
        """The chunks as they were added: (rows, good rows)."""
        self._file.flush()
        self._file.seek(0)
        while size := self._file.read(8):
            yield pickle.loads(zlib.decompress(self._file.read(int.from_bytes(size, "big"))))

    def discard(self) -> None:
        try:
            self._file.close()
        finally:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


def _write_all(run: _Run, batches: Iterator[tuple[int, list[tuple[int, _Checked]]]],
               progress: Callable[[int], None]) -> None:
    """Write each batch of good rows (after the rows it stands for, counted for `progress`),
    the next one made ready while the last one is written: a thread of its own writes, since
    the driver waits for PostgreSQL without holding the interpreter, so the import runs at the
    pace of the slower of the two, not of both added up."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer") as writer:
        pending: tuple[list, Future, int] | None = None
        for rows, good in batches:
            if pending is not None:
                run.written(pending[0], pending[1].result())
                progress(pending[2])
            pending = (good, writer.submit(run.write, good), rows)
        if pending is not None:
            run.written(pending[0], pending[1].result())
            progress(pending[2])


def import_rows(store: PostgresEventStore, rows: Iterator[Row], meta: Metadata, *,
                dry_run: bool, errors: ErrorFile | None = None, today: date | None = None,
                within_stations: frozenset[str] | None = None,
                progress: Callable[[int], None] = lambda n: None,
                chunk: int = CHUNK, workers: int = 0, prepare: Prepared | None = None) -> Outcome:
    """Check every row and, unless `dry_run`, import the good ones; `progress(n)` after each
    chunk of n rows. A dry run writes nothing to the store: it finds the rows already on file
    by the claims as they stand; given `prepare`, it also makes every good row's event and
    keeps them there for `import_prepared`.

    Checking the next chunk overlaps writing the last one (`_write_all`). `workers` processes
    check rows in parallel (the command line's choice; a service, which runs green threads,
    checks in its own).
    """
    outcome = Outcome(dry_run=dry_run)
    run = _Run(store, meta, outcome, errors, today or shanghai_today(), within_stations)
    checked_chunks = _checked_chunks(rows, chunk, run.today, within_stations,
                                     not dry_run or prepare is not None, workers)
    if dry_run:
        for rows_chunk, checked in checked_chunks:
            outcome.total += len(rows_chunk)
            good = run.sort(rows_chunk, checked)
            if good:
                run.looked_up(good)
            if prepare is not None:
                prepare.add(len(rows_chunk), good)
            progress(len(rows_chunk))
        if prepare is not None:
            prepare.outcome = outcome
        return outcome

    def sorted_chunks() -> Iterator[tuple[int, list[tuple[int, _Checked]]]]:
        for rows_chunk, checked in checked_chunks:
            outcome.total += len(rows_chunk)
            yield len(rows_chunk), run.sort(rows_chunk, checked)

    _write_all(run, sorted_chunks(), progress)
    return outcome


def import_prepared(store: PostgresEventStore, prepared: Prepared, meta: Metadata, *,
                    progress: Callable[[int], None] = lambda n: None,
                    batch: int = WRITE_BATCH) -> Outcome:
    """Import what a check prepared (`import_rows(..., dry_run=True, prepare=...)`): its good
    rows written in statements of about `batch` streams, each refused alone if its ID number
    has found a file since (已在档). The rows the check refused stay refused, with its reasons
    (its error file has them); `progress(n)` counts every row, refused ones included."""
    checked = prepared.outcome
    if checked is None:
        raise ValueError("the check that prepares the import has not finished")
    outcome = Outcome(dry_run=False, total=checked.total, refused=checked.refused,
                      problems=list(checked.problems))
    run = _Run(store, meta, outcome, None, shanghai_today(), None)

    def batches() -> Iterator[tuple[int, list[tuple[int, _Checked]]]]:
        rows, good = 0, []
        for chunk_rows, chunk_good in prepared.chunks():
            rows, good = rows + chunk_rows, good + chunk_good
            if len(good) >= batch:
                yield rows, good
                rows, good = 0, []
        if rows:
            yield rows, good

    _write_all(run, batches(), progress)
    return outcome


def import_file(store: PostgresEventStore, sheet: Sheet, meta: Metadata, *, dry_run: bool,
                errors: ErrorFile | None = None, **kwargs) -> Outcome:
    """`import_rows` over every row of an open sheet."""
    return import_rows(store, sheet.rows(), meta, dry_run=dry_run, errors=errors, **kwargs)
