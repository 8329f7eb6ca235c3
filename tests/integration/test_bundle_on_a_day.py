"""The bundle's dated read on the real PostgreSQL: one veteran's bundle with each matter's status then."""
from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory

from chassis.caller import Caller
from chassis.db import Database
from chassis.envelope import Metadata
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.outbox import OutboxAccess
from chassis.store import PostgresEventStore
from contracts import bundle as contract
from contracts import instance
from services.bundle import handlers
from services.bundle.catalogue import load
from services.bundle.service import BundleService
from tests.conftest import fresh_database, truncate
from tests.dated import (
    assert_bad_dates_refused_as_the_file_refuses,
    clock_on,
    days_ago,
    moved,
    refused,
)
from tests.integration.test_bundle import (
    OTHER_STATION,
    STATION,
    department,
    register,
    station_worker,
    veteran,
)

# Submitted 10 days ago (day 0); the police acknowledge the ID card on 1 and finish it on 3;
# the household registration is refused on 2.
D = {n: days_ago(10 - n) for n in range(5)}
BEFORE = days_ago(11)
OFFICER = Caller(subject="officer", roles=("benefits_officer",), actor="benefits_officer:x",
                 district=True)


@pytest.fixture(scope="module")
def database_url():
    return fresh_database("vetlife_bundle_on_a_day_test",
                          [CHASSIS_MIGRATIONS, service_migrations("bundle")])


@pytest.fixture
def store(database_url):
    db = Database(database_url)
    truncate(db, "deadlines", "outbox", "notifications", "notification_deliveries",
             "bundle_veterans", "bundle_list", "bundle_matters")
    yield PostgresEventStore(db, "bundle_events", upcast=contract.upcast)
    db.close()


@pytest.fixture
def service(store):
    """The service's own read, on the real store."""
    return worker_factory(BundleService, store=store)


def ctx(store, n: int) -> handlers.Context:
    return handlers.Context(store, load(), clock_on(D[n]))


def on_its_day(store, bundle_id, n, write):
    before = len(store.read_stream(bundle_id))
    written = write(ctx(store, n))
    moved(store.db, bundle_id, D[n], versions=(before + 1, 10**6))
    return written


@pytest.fixture
def bundle(store):
    veteran_id = register(ctx(store, 0), store.db)

    def submit(c):
        request = {"discharge_approved_on": (D[0] - timedelta(days=5)).isoformat(),
                   "veteran_id": veteran_id}
        schema = instance(contract.SubmitBundleRequest)
        data = schema.load(request)
        caller = veteran(veteran_id)
        return handlers.submit(c, data, schema.dump(data), caller, Metadata(actor=caller.actor),
                               lambda _: None, OutboxAccess("bundle"))

    def answer(matter, name, **body):
        data = instance(contract.MatterOutcomeRequest).load(body)
        return lambda c: handlers.record_outcome(c, bundle_id, matter, data, department(name),
                                                 Metadata(actor=f"department:{name}"),
                                                 OutboxAccess("bundle"))

    bundle_id = submit(ctx(store, 0)).bundle_id
    moved(store.db, bundle_id, D[0])
    on_its_day(store, bundle_id, 1, answer("id_card", "public_security", outcome="acknowledged"))
    on_its_day(store, bundle_id, 2, answer(
        "household_registration", "public_security", outcome="refused", reason="材料不全",
        next_step="补交户口迁移证"))
    on_its_day(store, bundle_id, 3, answer("id_card", "public_security", outcome="done",
                                           reference="GA-0001"))
    return {"veteran_id": veteran_id, "bundle_id": bundle_id}


def listed(service, bundle, caller=OFFICER, **dates):
    return service.list_bundles({}, None, {"veteran_id": bundle["veteran_id"]},
                                caller.as_dict(), **dates)


def statuses(reply) -> dict:
    (item,) = reply["items"]
    return {m["matter"]: m["status"] for m in item["matters"]
            if m["matter"] in ("id_card", "household_registration")}


def test_on_an_earlier_day_the_matters_show_their_status_then(service, bundle):
    expected = {0: {"id_card": "requested", "household_registration": "requested"},
                1: {"id_card": "acknowledged", "household_registration": "requested"},
                2: {"id_card": "acknowledged", "household_registration": "refused"},
                3: {"id_card": "done", "household_registration": "refused"}}
    for n, then in expected.items():
        for dates in ({"as_of": D[n].isoformat()}, {"effective_on": D[n].isoformat()}):
            reply = listed(service, bundle, **dates)
            assert statuses(reply) == then, (n, dates)
            assert reply["items"][0]["bundle_id"] == bundle["bundle_id"]
    versions = [listed(service, bundle, as_of=D[n].isoformat())["items"][0]["version"]
                for n in range(4)]
    assert versions == sorted(versions) and len(set(versions)) == 4
    # The last day is the list of today.
    assert listed(service, bundle, as_of=D[4].isoformat()) == listed(service, bundle)


def test_before_the_submission_there_is_no_bundle(service, bundle):
    for dates in ({"as_of": BEFORE.isoformat()}, {"effective_on": BEFORE.isoformat()}):
        reply = listed(service, bundle, **dates)
        assert (reply["items"], reply["total"]) == ([], 0)


def test_out_of_reach_and_bad_dates_are_refused_as_the_undated_read_refuses(service, bundle):
    mine = veteran(bundle["veteran_id"])
    assert statuses(listed(service, bundle, mine, as_of=D[1].isoformat()))["id_card"] == \
        "acknowledged"
    assert listed(service, bundle, station_worker(STATION), as_of=D[1].isoformat())["total"] == 1
    elsewhere = station_worker(OTHER_STATION)
    assert listed(service, bundle, elsewhere)["items"] == []
    assert listed(service, bundle, elsewhere, as_of=D[3].isoformat())["items"] == []
    # A department sees only its own matters, on a day too.
    police = listed(service, bundle, department("public_security"), as_of=D[2].isoformat())
    assert {m["department"] for m in police["items"][0]["matters"]} == {"public_security"}
    assert_bad_dates_refused_as_the_file_refuses(
        lambda **dates: listed(service, bundle, **dates))
    error = refused(service.list_bundles, {}, None, {}, OFFICER.as_dict(),
                    as_of=D[2].isoformat())
    assert (error.code, list(error.fields)) == ("invalid_input", ["veteran_id"])
