"""Imports started over the API as the registry keeps and runs them: progress, outcome, error file, access."""
import base64
import csv
import io
from datetime import date

import pytest

from chassis.caller import Caller
from chassis.wire import ServiceError
from services.registry import import_jobs
from services.registry.import_rows import OUTSIDE_REACH
from services.registry.sample import Sampler, write

pytestmark = pytest.mark.infra
TODAY = date(2026, 11, 27)
STATION = "多湖街道退役军人服务站"


@pytest.fixture
def jobs(registry_store):
    with registry_store.db.transaction() as cur:
        cur.execute("TRUNCATE veteran_imports")
    return registry_store


def clerk(subject="clerk-1", command_id=None) -> Caller:
    return Caller(subject=subject, roles=("registry_clerk",), actor=f"registry_clerk:{subject}",
                  district=True, command_id=command_id)


def station_worker(subject="worker-1", station=STATION) -> Caller:
    return Caller(subject=subject, roles=("station_worker",), actor=f"station_worker:{subject}",
                  stations=(station,))


def upload(tmp_path, good=40, bad_share=0.1, seed=3) -> dict:
    path = tmp_path / "veterans.csv"
    write(path, Sampler(seed, TODAY).rows(good, bad_share))
    return {"file_name": "veterans.csv", "dry_run": False,
            "content": base64.b64encode(path.read_bytes()).decode()}


def run_next(store) -> None:
    job = import_jobs.claim(store.db)
    assert job is not None
    import_jobs.run(store, job)


def test_an_import_runs_to_its_outcome_and_error_file_and_drops_the_upload(jobs, tmp_path):
    body = upload(tmp_path)
    started = import_jobs.start(jobs.db, body, clerk())
    assert (started["status"], started["processed"], started["outcome"]) == ("waiting", 0, None)
    run_next(jobs)
    assert import_jobs.claim(jobs.db) is None, "nothing else waits"

    done = import_jobs.get(jobs.db, started["import_id"], clerk())
    assert (done["status"], done["percent"], done["processed"], done["total"]) == (
        "done", 100.0, 40, 40)
    outcome = done["outcome"]
    assert (outcome["total"], outcome["imported"], outcome["refused"]) == (40, 36, 4)
    assert done["error_file"] is True
    errors = import_jobs.error_file(jobs.db, started["import_id"], clerk())
    assert errors["file_name"] == "veterans.错误.csv"
    table = list(csv.reader(io.StringIO(base64.b64decode(errors["content"]).decode("utf-8-sig"))))
    assert table[0][-2:] == ["行号", "错误原因"] and len(table) == 5
    assert {int(r[-2]) for r in table[1:]} == {p["row"] for p in outcome["problems"]}
    with jobs.db.transaction() as cur:
        cur.execute("SELECT upload IS NULL FROM veteran_imports")
        assert cur.fetchone()[0] is True, "the upload (personal data) is gone once imported"

    # The same file again, as another clerk: nobody doubled.
    again = import_jobs.start(jobs.db, body, clerk("clerk-2"))
    run_next(jobs)
    outcome = import_jobs.get(jobs.db, again["import_id"], clerk("clerk-2"))["outcome"]
    assert (outcome["imported"], outcome["already_on_file"], outcome["refused"]) == (0, 36, 4)
    assert outcome["on_file"][0]["status"] == "已在档"


def test_a_dry_run_writes_nothing(jobs, tmp_path):
    started = import_jobs.start(jobs.db, {**upload(tmp_path), "dry_run": True}, clerk())
    run_next(jobs)
    done = import_jobs.get(jobs.db, started["import_id"], clerk())
    assert done["outcome"]["dry_run"] is True and done["outcome"]["imported"] == 36
    assert jobs.head() == 0


def test_only_the_uploaders_role_sees_an_import_and_a_station_workers_only_they(jobs, tmp_path):
    by_clerk = import_jobs.start(jobs.db, upload(tmp_path), clerk())
    by_worker = import_jobs.start(jobs.db, upload(tmp_path, seed=4), station_worker())
    for caller, import_id in ((station_worker(), by_clerk["import_id"]),
                              (station_worker("worker-2"), by_worker["import_id"]),
                              (clerk(), by_worker["import_id"])):
        for read in (import_jobs.get, import_jobs.error_file):
            with pytest.raises(ServiceError) as refused:
                read(jobs.db, import_id, caller)
            assert refused.value.code == "not_found"
    assert import_jobs.get(jobs.db, by_clerk["import_id"], clerk("clerk-2"))
    assert import_jobs.get(jobs.db, by_worker["import_id"], station_worker())


def test_a_station_workers_rows_of_other_stations_wait_with_the_reason(jobs, tmp_path):
    started = import_jobs.start(jobs.db, upload(tmp_path, bad_share=0), station_worker())
    run_next(jobs)
    outcome = import_jobs.get(jobs.db, started["import_id"], station_worker())["outcome"]
    assert outcome["imported"] + outcome["refused"] == 40 and 0 < outcome["imported"] < 40
    assert all(OUTSIDE_REACH in p["reason"] for p in outcome["problems"])
    assert all(e.data["service_station"] == STATION for e in jobs.read_all(0, 100))


def test_a_retried_upload_is_one_import_and_a_reused_key_is_refused(jobs, tmp_path):
    body = upload(tmp_path)
    first = import_jobs.start(jobs.db, body, clerk(command_id="gateway:c:key-0001"))
    assert import_jobs.start(jobs.db, body, clerk(command_id="gateway:c:key-0001"))[
        "import_id"] == first["import_id"]
    with pytest.raises(ServiceError) as refused:
        import_jobs.start(jobs.db, {**body, "dry_run": True},
                          clerk(command_id="gateway:c:key-0001"))
    assert refused.value.code == "idempotency_key_reused"


def test_an_import_whose_runner_died_is_taken_up_again_when_its_lease_ends(jobs, tmp_path):
    started = import_jobs.start(jobs.db, upload(tmp_path), clerk())
    assert import_jobs.claim(jobs.db) is not None  # a runner that then dies
    assert import_jobs.claim(jobs.db) is None, "leased: nobody else runs it meanwhile"
    with jobs.db.transaction() as cur:
        cur.execute("UPDATE veteran_imports SET lease_until = now() - interval '1 second'")
    run_next(jobs)
    assert import_jobs.get(jobs.db, started["import_id"], clerk())["status"] == "done"


def test_a_file_without_the_required_columns_fails_whole_with_the_reason(jobs):
    body = {"file_name": "x.csv", "dry_run": False,
            "content": base64.b64encode("姓名,身份证号\n陈志强,330703196805170017\n".encode()).decode()}
    started = import_jobs.start(jobs.db, body, clerk())
    run_next(jobs)
    failed = import_jobs.get(jobs.db, started["import_id"], clerk())
    assert failed["status"] == "failed"
    assert failed["failure"] == "缺少必需的列：镇街、服务站、入伍时间、军种、军衔、退役类别"


@pytest.mark.parametrize("name, content", [("x.csv", b"\x00\x00\x00"),
                                           ("x.xlsx", b"PK\x03\x04 not a workbook")])
def test_a_file_that_is_no_spreadsheet_fails_once_and_is_not_retried(jobs, name, content):
    started = import_jobs.start(jobs.db, {"file_name": name, "dry_run": False,
                                          "content": base64.b64encode(content).decode()}, clerk())
    run_next(jobs)
    failed = import_jobs.get(jobs.db, started["import_id"], clerk())
    assert failed["status"] == "failed" and failed["failure"].startswith(("无法读取", "缺少"))
    assert import_jobs.claim(jobs.db) is None


def test_an_import_that_breaks_for_another_reason_than_the_database_fails_not_loops(
        jobs, tmp_path, monkeypatch):
    started = import_jobs.start(jobs.db, upload(tmp_path), clerk())

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(import_jobs, "import_file", broken)
    with pytest.raises(KeyError):
        run_next(jobs)
    assert import_jobs.get(jobs.db, started["import_id"], clerk())["status"] == "failed"
    assert import_jobs.claim(jobs.db) is None
