"""The veteran list projection: fed live after each command, and a rebuild from position 0 equals it."""
import threading
import time

import pytest

from chassis.envelope import Metadata, NewEvent
from chassis.projection import ProjectionRunner
from contracts import registry as contract
from services.registry import handlers
from services.registry.domain import model
from services.registry.projections import VeteranList, list_veterans
from tests.factories import STATIONS, veteran_payload


def rows(db):
    with db.transaction() as cur:
        cur.execute("SELECT * FROM veteran_list ORDER BY veteran_id")
        return cur.fetchall()


def test_a_rebuilt_veteran_list_equals_the_live_one(registry_store, registry_db, capsys):
    runner = ProjectionRunner(registry_store, VeteranList(), batch_size=7)
    ids = []
    for n in range(30):
        data = contract.RegisterVeteranRequest().load(veteran_payload(
            service_station=STATIONS[n % 2], discharged_on=None))
        ids.append(handlers.register_veteran(
            registry_store, model.RegisterVeteran(**data), Metadata()).veteran_id)
        runner.catch_up()
    for veteran_id in ids[:10]:  # ten of them are discharged later
        enlisted = handlers.load_file(registry_store, veteran_id).enlisted_on
        cmd = model.RecordDischarge(veteran_id, enlisted.replace(year=enlisted.year + 4),
                                    "transferred_nco", "四级军士长")
        handlers.change_file(
            registry_store, veteran_id, cmd,
            lambda f, cmd=cmd: f.record_discharge(cmd, handlers.shanghai_today()), Metadata())
        runner.catch_up()
    live = rows(registry_db)

    replayed = runner.rebuild(show_progress=True)

    assert replayed == 40
    assert rows(registry_db) == live
    assert len(live) == 30
    with registry_db.transaction() as cur:
        page = list_veterans(cur, discharge_category="transferred_nco", page_size=50)
    assert page["total"] == 10 and {i["life_stage"] for i in page["items"]} == {"discharge"}
    assert all("*" in item["id_number_masked"] for item in page["items"])
    assert "rebuild veteran_list" in capsys.readouterr().err  # the progress bar


def test_catch_up_applies_only_what_is_new(registry_store):
    runner = ProjectionRunner(registry_store, VeteranList())
    data = contract.RegisterVeteranRequest().load(veteran_payload())
    handlers.register_veteran(registry_store, model.RegisterVeteran(**data), Metadata())

    assert runner.catch_up() == 1
    assert runner.catch_up() == 0


# -- a rebuild next to the live table ------------------------------------------------------------

def a_registration(n: int) -> NewEvent:
    return NewEvent("VeteranRegistered", {
        "veteran_id": f"bulk-{n:05d}", "name": "陈志强", "id_number": "330703196805170011",
        "sex": "male", "township": "多湖街道", "service_station": STATIONS[n % len(STATIONS)],
        "discharge_category": "discharged_soldier", "life_stage": "discharge",
        "area_code_known": True})


def a_discharge(n: int) -> NewEvent:
    return NewEvent("DischargeRecorded", {"veteran_id": f"bulk-{n:05d}",
                                          "discharge_category": "transferred_nco"})


class Slowed:
    """A projection that pauses after each batch, so a rebuild surely overlaps the reads."""

    def __init__(self, inner, pause: float, started: threading.Event):
        self.inner, self.pause, self.started = inner, pause, started
        self.name, self.tables = inner.name, inner.tables

    def into(self, tables):
        return Slowed(self.inner.into(tables), self.pause, self.started)

    def apply(self, cur, event):
        self.inner.apply(cur, event)

    def apply_batch(self, cur, events):
        self.inner.apply_batch(cur, events)
        self.started.set()
        time.sleep(self.pause)


def index_names(db) -> list[str]:
    with db.transaction() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'veteran_list' "
                    "ORDER BY indexname")
        return [name for (name,) in cur.fetchall()]


def test_the_list_stays_readable_while_a_rebuild_runs(registry_store, registry_db):
    total = 20_000
    for first in range(0, total, 100):
        registry_store.append(f"bulk-{first}", [a_registration(n) for n in range(first, first + 100)],
                              0, Metadata())
    registry_store.append("bulk-discharges", [a_discharge(n) for n in range(0, total, 7)], 0, Metadata())
    live_runner = ProjectionRunner(registry_store, VeteranList())
    live_runner.catch_up()
    indexes = index_names(registry_db)
    started = threading.Event()
    rebuilder = ProjectionRunner(registry_store, Slowed(VeteranList(), 0.05, started), batch_size=500)
    outcome = {}

    def rebuild():
        try:
            outcome["replayed"] = rebuilder.rebuild(show_progress=False)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = exc

    thread = threading.Thread(target=rebuild, daemon=True)
    began = time.monotonic()
    thread.start()
    assert started.wait(10), "the rebuild never started"
    reads, slowest, totals = 0, 0.0, set()
    while thread.is_alive():
        if reads == 5:  # commands go on during a rebuild; their rows must survive the swap
            registry_store.append("late-1", [a_registration(total + 1)], 0, Metadata())
            registry_store.append("late-2", [a_registration(total + 2)], 0, Metadata())
        t0 = time.monotonic()
        live_runner.catch_up()  # a list request catches up first (RegistryService._project)
        with registry_db.transaction() as cur:
            page = list_veterans(cur, page_size=20)
        slowest = max(slowest, time.monotonic() - t0)
        totals.add(page["total"])
        reads += 1
        time.sleep(0.05)
    took = time.monotonic() - began
    thread.join()

    assert "error" not in outcome, outcome
    assert slowest < 1.0, f"a list request waited {slowest:.2f}s during the rebuild"
    assert took > 3 and reads > 20, (took, reads)
    # The old rows, then the old rows and the late registrations: never an empty or partial list.
    assert totals <= {total, total + 2} and total in totals, totals
    swapped = rows(registry_db)
    assert outcome["replayed"] == registry_store.head() == total + (total + 6) // 7 + 2
    assert live_runner.catch_up() == 0  # the checkpoint was swapped in with the table
    assert len(swapped) == total + 2
    assert index_names(registry_db) == indexes  # a later migration can still name them
    with registry_db.transaction() as cur:
        cur.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'veteran\\_list\\_\\_%%'")
        assert cur.fetchone()[0] == 0
    # What the rebuild swapped in equals the list built incrementally from position 0.
    fresh = ProjectionRunner(registry_store, VeteranList(), batch_size=333)
    with registry_db.transaction() as cur:
        cur.execute("TRUNCATE veteran_list")
        cur.execute("DELETE FROM checkpoints WHERE name = %s", (fresh.checkpoint,))
    fresh.catch_up()
    assert rows(registry_db) == swapped


def test_the_swap_gives_way_to_a_long_reader_and_tries_again(registry_store, registry_db):
    registry_store.append("bulk-0", [a_registration(n) for n in range(50)], 0, Metadata())
    ProjectionRunner(registry_store, VeteranList()).catch_up()
    runner = ProjectionRunner(registry_store, VeteranList(), swap_lock_timeout=0.2)
    reader_in, reader_done = threading.Event(), threading.Event()

    def long_reader():  # a report that keeps its transaction on the list open for a while
        with registry_db.transaction() as cur:
            cur.execute("SELECT count(*) FROM veteran_list")
            reader_in.set()
            time.sleep(1.5)
        reader_done.set()

    thread = threading.Thread(target=long_reader, daemon=True)
    thread.start()
    assert reader_in.wait(5)
    rebuilt = {}
    rebuild = threading.Thread(target=lambda: rebuilt.setdefault("n", runner.rebuild(False)),
                               daemon=True)
    rebuild.start()
    slowest = 0.0
    while rebuild.is_alive():
        t0 = time.monotonic()
        with registry_db.transaction() as cur:
            assert list_veterans(cur)["total"] == 50
        slowest = max(slowest, time.monotonic() - t0)
        time.sleep(0.05)

    assert reader_done.is_set()  # the swap waited for the long reader to finish, in short tries
    assert rebuilt["n"] == 50 and slowest < 0.5, slowest


def test_a_failed_rebuild_leaves_the_live_list_as_it_was(registry_store, registry_db):
    registry_store.append("bulk-0", [a_registration(n) for n in range(30)], 0, Metadata())
    ProjectionRunner(registry_store, VeteranList()).catch_up()
    live = rows(registry_db)

    class Failing(VeteranList):
        def into(self, tables):
            return Failing(tables[self.table])

        def apply_batch(self, cur, events):
            super().apply_batch(cur, events)
            if self.table != "veteran_list":  # only while rebuilding
                raise RuntimeError("a projection bug")

    with pytest.raises(RuntimeError):
        ProjectionRunner(registry_store, Failing(), batch_size=10).rebuild(show_progress=False)

    assert rows(registry_db) == live
    with registry_db.transaction() as cur:
        cur.execute("SELECT to_regclass('veteran_list__rebuild')")
        assert cur.fetchone()[0] is None
