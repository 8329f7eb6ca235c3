"""The veteran list projection: fed live after each command, and a rebuild from position 0 equals it."""
from chassis.envelope import Metadata
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
