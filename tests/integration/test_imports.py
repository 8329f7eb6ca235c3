"""Importing a spreadsheet of existing veteran files into the real store: once, corrected, and again."""
import csv
from datetime import date

import pytest
from openpyxl import load_workbook

from chassis.envelope import Metadata
from contracts import registry as contract
from services.registry import handlers
from services.registry.import_files import ErrorFile, Sheet
from services.registry.imports import import_file
from services.registry.sample import BAD_KINDS, Sampler, write

pytestmark = pytest.mark.infra
TODAY = date(2026, 11, 27)
FIELDS = ["name", "id_number", "sex", "birth_date", "phone", "address", "township",
          "service_station", "enlisted_on", "discharged_on", "branch", "rank",
          "discharge_category", "effective_on"]


def sample_file(tmp_path, suffix: str, good: int = 120):
    """`good` good rows and two bad rows of every kind; the good version of each bad row by its
    row number (what a clerk corrects it to)."""
    sampler = Sampler(seed=11, today=TODAY)
    rows = [sampler.good() for _ in range(good)]
    sampler.recent = list(rows)
    corrected = {}
    for kind in BAD_KINDS * 2:
        original = sampler.good()
        spoiled = sampler.spoil(original, kind)
        # A duplicate is the same person typed twice: corrected, it is still that person.
        corrected[len(rows) + 2] = spoiled if kind == "duplicate_id_number" else original
        rows.append(spoiled)
    path = tmp_path / f"veterans.{suffix}"
    write(path, rows)
    return path, rows, corrected


def run(store, path, dry_run=False):
    suffix = path.suffix.lstrip(".")
    with Sheet(path, suffix) as sheet:
        errors = ErrorFile(sheet.original_header(), suffix, str(path.parent))
        outcome = import_file(store, sheet, Metadata(actor="registry_clerk:test"),
                              dry_run=dry_run, errors=errors, today=TODAY, chunk=50)
    return outcome, errors.finish()


def read_table(path) -> list[list]:
    if str(path).endswith(".csv"):
        with open(path, encoding="utf-8-sig", newline="") as f:
            return list(csv.reader(f))
    return [list(r) for r in load_workbook(path, read_only=True).active.iter_rows(values_only=True)]


def registered(store) -> list:
    return [e for e in store.read_all(0, 100_000) if e.event_type == "VeteranRegistered"]


def claims(store) -> int:
    with store.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM unique_claims WHERE kind = %s",
                    (handlers.ID_NUMBER_CLAIM,))
        return cur.fetchone()[0]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_import_once_then_the_corrected_error_file_then_the_same_file_again(registry_store,
                                                                            tmp_path, suffix):
    path, rows, corrected = sample_file(tmp_path, suffix)
    good = len(rows) - len(corrected)

    checked, _ = run(registry_store, path, dry_run=True)
    assert (checked.imported, checked.refused, checked.already_on_file) == (
        good, len(corrected), 0)
    assert registered(registry_store) == [], "a dry run writes nothing"

    outcome, error_path = run(registry_store, path)
    assert (outcome.total, outcome.imported, outcome.refused, outcome.already_on_file) == (
        len(rows), good, len(corrected), 0)
    events = registered(registry_store)
    assert len(events) == good and claims(registry_store) == good
    assert sorted(e.data["id_number"] for e in events) == sorted(
        r["id_number"] for n, r in enumerate(rows, start=2) if n not in corrected)
    # Each file is a stream of its own, written as a registration writes it, gap-free.
    assert [e.position for e in events] == list(range(1, good + 1))
    assert all(e.stream_version == 1 and e.stream_id == e.data["veteran_id"] for e in events)
    first = handlers.load_file(registry_store, events[0].stream_id)
    assert first.name == rows[0]["name"] and first.enlisted_on == rows[0]["enlisted_on"]
    assert all(contract.public_form(e)["veteran_id"] == e.stream_id for e in events)
    assert events[0].actor == "registry_clerk:test"

    table = read_table(error_path)
    assert table[0][-2:] == ["行号", "错误原因"]
    assert {int(r[-2]) for r in table[1:]} == set(corrected)
    assert all(r[-1] for r in table[1:]), "every waiting row says why"

    # The clerk corrects the error file in place (行号 and 错误原因 left in) and imports it.
    fixed_path = tmp_path / f"fixed.{suffix}"
    header = table[0]
    fixed_rows = []
    for row in table[1:]:
        good_version = corrected[int(row[-2])]
        fixed_rows.append([*(good_version[f] for f in FIELDS), row[-2], row[-1]])
    write_raw(fixed_path, header, fixed_rows)
    duplicates = 2  # two duplicate rows: the same people as rows already imported
    again, _ = run(registry_store, fixed_path)
    assert (again.imported, again.already_on_file, again.refused) == (
        len(corrected) - duplicates, duplicates, 0)
    assert len(registered(registry_store)) == good + len(corrected) - duplicates
    assert claims(registry_store) == good + len(corrected) - duplicates

    # The original file once more: nobody doubled, every good row already on file.
    rerun, _ = run(registry_store, path)
    assert (rerun.imported, rerun.already_on_file, rerun.refused) == (0, good, len(corrected))
    assert len(registered(registry_store)) == good + len(corrected) - duplicates
    held = {e.data["id_number"]: e.stream_id for e in registered(registry_store)}
    assert all(held[rows[n - 2]["id_number"]] == v for n, v in rerun.on_file)


def write_raw(path, header, rows):
    if str(path).endswith(".csv"):
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows([header, *rows])
        return
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    book.save(path)


def test_a_registration_over_the_api_and_an_import_hold_one_claim(registry_store, tmp_path):
    path, rows, corrected = sample_file(tmp_path, "csv", good=5)
    first = rows[0]
    from services.registry.domain import model

    handlers.register_veteran(registry_store, model.RegisterVeteran(
        name=first["name"], id_number=first["id_number"], township=first["township"],
        service_station=first["service_station"], enlisted_on=first["enlisted_on"],
        branch=first["branch"], rank=first["rank"], discharge_category="discharged_soldier"),
        Metadata(), today=TODAY)
    outcome, _ = run(registry_store, path)
    assert outcome.already_on_file == 1 and outcome.imported == 4
    assert len(registered(registry_store)) == 5


def test_the_command_line_imports_with_worker_processes_and_again_doubles_no_one(
        registry_store, registry_database_url, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    path, rows, corrected = sample_file(tmp_path, "xlsx")
    good = len(rows) - len(corrected)
    env = {**os.environ, "REGISTRY_DATABASE_URL": registry_database_url}
    command = [str(Path(sys.executable).parent / "vetlife-import"), "veterans", str(path)]
    first = subprocess.run([*command, "--workers", "2"], env=env, capture_output=True, text=True,
                           timeout=300)
    assert first.returncode == 3, first.stderr[-2000:]  # rows wait in the error file
    assert f"导入：共 {len(rows)} 行：已导入 {good}，已在档 0，有误待更正 {len(corrected)}" in first.stdout
    assert len(registered(registry_store)) == good and claims(registry_store) == good
    error_path = tmp_path / "veterans.错误.xlsx"
    assert {int(r[-2]) for r in read_table(error_path)[1:]} == set(corrected)
    assert oct(error_path.stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob("*.prepared"))  # the check's events, personal data: deleted
    again = subprocess.run([*command, "--workers", "0"], env=env, capture_output=True, text=True,
                           timeout=300)
    assert f"检查：共 {len(rows)} 行：可导入 0，已在档 {good}，有误待更正 {len(corrected)}" in again.stdout
    assert len(registered(registry_store)) == good
    missing = tmp_path / "missing.csv"
    missing.write_text("姓名,身份证号\n陈志强,330703196805170017\n", encoding="utf-8")
    refused = subprocess.run([*command[:2], str(missing)], env=env, capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 2 and "缺少必需的列：镇街、服务站" in refused.stderr


def test_the_import_writes_what_its_check_prepared_and_a_file_made_meanwhile_is_on_file(
        registry_store, tmp_path):
    import os

    from services.registry.domain import model
    from services.registry.import_rows import check_row
    from services.registry.imports import Prepared, import_prepared

    path, rows, corrected = sample_file(tmp_path, "csv", good=30)
    prepared = Prepared(str(tmp_path))
    try:
        assert oct(os.stat(prepared.path).st_mode & 0o777) == "0o600"
        with Sheet(path, "csv") as sheet:
            checked = import_file(registry_store, sheet, Metadata(actor="registry_clerk:test"),
                                  dry_run=True, today=TODAY, chunk=7,
                                  prepare=prepared)
        assert registered(registry_store) == []  # the check writes nothing
        good = len(rows) - len(corrected)
        assert checked.imported == good
        # The first good row is registered over the API between the check and the import.
        first = rows[0]
        handlers.register_veteran(registry_store, model.RegisterVeteran(
            name=first["name"], id_number=first["id_number"], township=first["township"],
            service_station=first["service_station"], enlisted_on=first["enlisted_on"],
            branch=first["branch"], rank=first["rank"],
            discharge_category="discharged_soldier"), Metadata(), today=TODAY)
        outcome = import_prepared(registry_store, prepared, Metadata(actor="registry_clerk:test"),
                                  batch=10)
    finally:
        prepared.discard()
    assert not os.path.exists(prepared.path)
    assert (outcome.total, outcome.imported, outcome.already_on_file, outcome.refused) == \
        (len(rows), good - 1, 1, len(corrected))
    assert outcome.on_file[0][0] == 2 and outcome.problems == checked.problems
    events = registered(registry_store)
    assert len(events) == good and claims(registry_store) == good
    # Each file holds the event its row's registration makes, as a one-pass import writes it.
    by_number = {e.data["id_number"]: e for e in events}
    for row in rows[1:good]:
        event = by_number[row["id_number"]]
        cells = {k: v for k, v in row.items() if v not in (None, "")}
        expected = contract.to_new_event(check_row(cells, event.stream_id, TODAY).event).data
        assert event.data == expected and event.actor == "registry_clerk:test"


def test_a_paper_file_counts_in_the_figures_and_its_history_from_the_day_first_registered(
        registry_store, tmp_path):
    import uuid

    from nameko.testing.services import worker_factory

    from chassis.caller import Caller
    from chassis.report_facts import read_figures
    from chassis.wire import ServiceError
    from services.registry import report
    from services.registry.service import RegistryService

    sampler = Sampler(seed=5, today=TODAY)
    paper, undated = sampler.good(), sampler.good()
    paper["effective_on"] = date(2020, 4, 9)          # 建档日期: on paper since 2020
    undated["effective_on"] = None                    # left blank: the import day
    path = tmp_path / "veterans.csv"
    write(path, [paper, undated])
    with open(path, encoding="utf-8-sig") as f:
        assert "建档日期" in f.readline()
    outcome, _ = run(registry_store, path)
    assert outcome.imported == 2
    held = {e.data["id_number"]: e for e in registered(registry_store)}
    imported_day = held[undated["id_number"]].recorded_at.astimezone(handlers.SHANGHAI).date()

    def files(first, last):
        """files_total (a stock: up to the period's end), and the files new within the period."""
        query = {"from": first, "to": last}
        stock = read_figures(registry_store, report.facts, {**query, "stock_metrics": ["files"]})
        flow = read_figures(registry_store, report.facts, query)
        return (stock["to_date"].get("files") or {"sum": 0})["sum"], \
            (flow["period"].get("files") or {"sum": 0})["sum"]

    assert files("2020-01-01", "2020-12-31") == (1, 1)   # 2020 counts the paper file
    assert files("2019-01-01", "2020-04-08") == (0, 0)   # not before its day
    # This year to date: both files on record, and only the undated one new this year.
    assert files(f"{imported_day.year}-01-01", imported_day.isoformat()) == (2, 1)

    service = worker_factory(RegistryService, store=registry_store)
    service.context = {"correlation_id": str(uuid.uuid4())}
    clerk = Caller("li", ("registry_clerk",), "registry_clerk:li", district=True).as_dict()
    paper_id = held[paper["id_number"]].stream_id
    history = service.file_history({"veteran_id": paper_id}, None, {}, clerk)["history"]
    assert [(h["event_type"], h["effective_on"]) for h in history] == [
        ("VeteranRegistered", "2020-04-09")]
    assert history[0]["recorded_at"].startswith(held[paper["id_number"]].recorded_at.isoformat())
    timeline = handlers.load_timeline(registry_store, paper_id)
    assert timeline.file(in_effect_on=date(2020, 4, 9)).name == paper["name"]
    undated_id = held[undated["id_number"]].stream_id
    assert service.file_history({"veteran_id": undated_id}, None, {}, clerk)["history"][0][
        "effective_on"] == imported_day.isoformat()
    # Typed in by hand over the API, the same day holds; a day before the birth is refused.
    row = sampler.good()
    body = {"name": row["name"], "id_number": row["id_number"], "township": row["township"],
            "service_station": row["service_station"],
            "enlisted_on": row["enlisted_on"].isoformat(), "branch": row["branch"],
            "rank": row["rank"], "discharge_category": "discharged_soldier"}
    with pytest.raises(ServiceError) as refused:
        service.register_veteran({**body, "effective_on": "1900-01-01"})
    assert list(refused.value.fields) == ["effective_on"]
    typed = service.register_veteran({**body, "effective_on": "2019-06-01"})
    assert service.file_history({"veteran_id": typed["veteran_id"]}, None, {}, clerk)[
        "history"][0]["effective_on"] == "2019-06-01"
