"""vetlife-import: an operator's tool that brings a spreadsheet of existing veteran files into the registry.

    vetlife-import veterans FILE [--dry-run] [--errors OUT] [--actor NAME]

It reads FILE (CSV or XLSX), checks every row first (the dry run: nothing written), then
imports the good rows straight into the registry's event store (REGISTRY_DATABASE_URL), the
way the registry service writes a registration: the events the check made, kept meanwhile in
a private temporary file beside the error file, so no row is checked twice. The relay
publishes the new files' events as it publishes any. Rows that wait go to an error file
beside FILE (the original columns, 行号 and 错误原因), which can be corrected and imported
again: rows already on file are reported as 已在档 and never doubled. Exit status: 0 when
every row is on file, 3 when some rows wait in the error file, 2 when the file cannot be
read, 4 when the registry's database cannot be reached (nothing was written then).
"""
from __future__ import annotations

import argparse
import getpass
import os
import shutil
import sys
from pathlib import Path

from chassis.config import database_url
from chassis.db import Database
from chassis.envelope import Metadata, new_id
from chassis.errors import StoreUnavailable
from chassis.store import PostgresEventStore
from contracts import registry as contract
from services.registry.import_files import ErrorFile, Sheet, UnreadableFile, format_of
from services.registry.import_rows import missing_columns
from services.registry.imports import Outcome, Prepared, import_file, import_prepared

# Processes that check rows while this one reads the file and writes: one per core.
WORKERS = os.cpu_count() or 1
ROWS_WAIT = 3
UNREADABLE = 2
NO_DATABASE = 4


def _summary(outcome: Outcome) -> str:
    doing = "可导入" if outcome.dry_run else "已导入"
    return (f"共 {outcome.total} 行：{doing} {outcome.imported}，已在档 {outcome.already_on_file}，"
            f"有误待更正 {outcome.refused}")


def _check(store, path: Path, file_format: str, meta: Metadata, total: int,
           errors: ErrorFile, workers: int, prepare: Prepared | None) -> Outcome:
    from tqdm import tqdm

    with Sheet(path, file_format) as sheet, \
            tqdm(total=total, unit="行", desc="检查", file=sys.stderr) as bar:
        return import_file(store, sheet, meta, dry_run=True, errors=errors,
                           progress=bar.update, workers=workers, prepare=prepare)


def _import(store, prepared: Prepared, meta: Metadata) -> Outcome:
    from tqdm import tqdm

    with tqdm(total=prepared.outcome.total, unit="行", desc="导入", file=sys.stderr) as bar:
        return import_prepared(store, prepared, meta, progress=bar.update)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vetlife-import", description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["veterans"])
    parser.add_argument("file", type=Path, help="a .csv or .xlsx file with a header row")
    parser.add_argument("--dry-run", action="store_true",
                        help="check every row and write the error file; import nothing")
    parser.add_argument("--errors", type=Path,
                        help="where the error file goes (default: FILE's name + .错误)")
    parser.add_argument("--workers", type=int, default=WORKERS,
                        help=f"processes checking rows (default: one per core, {WORKERS}; 0: none)")
    parser.add_argument("--actor", default=None,
                        help="who imports, as the events record it (default: operator:<login>)")
    args = parser.parse_args(argv)
    try:
        with open(args.file, "rb") as probe:
            file_format = format_of(args.file.name, probe.read(4))
        with Sheet(args.file, file_format) as sheet:
            missing = missing_columns(sheet.header())
            total = sheet.count_rows()
    except (OSError, UnreadableFile) as exc:
        print(f"vetlife-import: {exc}", file=sys.stderr)
        return UNREADABLE
    if missing:
        print(f"vetlife-import: 缺少必需的列：{'、'.join(missing)}", file=sys.stderr)
        return UNREADABLE
    errors_path = args.errors or args.file.with_name(f"{args.file.stem}.错误.{file_format}")
    import_id = new_id()
    actor = args.actor or f"operator:{getpass.getuser()}"
    meta = Metadata(correlation_id=import_id, causation_id=f"import:{import_id}",
                    actor=actor[:128])
    store = PostgresEventStore(Database(database_url("registry")), "registry_events",
                               upcast=contract.upcast)
    try:
        with Sheet(args.file, file_format) as sheet:
            header = sheet.original_header()
        errors = ErrorFile(header, file_format, directory=str(errors_path.parent))
        prepared = None
        try:
            if not args.dry_run:
                prepared = Prepared(directory=str(errors_path.parent))
            checked = _check(store, args.file, file_format, meta, total, errors, args.workers,
                             prepared)
            print(f"检查：{_summary(checked)}")
            outcome = checked
            if prepared is not None and checked.imported:
                # The check's error file stays the import's: the import writes the rows the
                # check accepted and refuses none (a row on file meanwhile is 已在档).
                outcome = _import(store, prepared, meta)
                print(f"导入：{_summary(outcome)}")
            if errors.count:
                shutil.move(errors.finish(), errors_path)
                os.chmod(errors_path, 0o600)  # personal data: the operator's alone
                print(f"有误的 {errors.count} 行已写入 {errors_path}（含 行号 与 错误原因，更正后可再次导入）")
            else:
                errors.finish()
                errors.discard()
        except BaseException:
            errors.discard()
            raise
        finally:
            if prepared is not None:
                prepared.discard()
    except StoreUnavailable:
        print("vetlife-import: 无法连接登记库（REGISTRY_DATABASE_URL），未导入任何行",
              file=sys.stderr)
        return NO_DATABASE
    finally:
        store.db.close()
    return ROWS_WAIT if outcome.refused else 0


if __name__ == "__main__":
    sys.exit(main())
