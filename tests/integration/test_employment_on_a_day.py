"""Employment's dated read on the real PostgreSQL: a job seeker as they stood each day."""
import uuid

import pytest
from nameko.testing.services import worker_factory

from chassis.caller import Caller
from chassis.db import Database
from chassis.envelope import Metadata
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.projection import ProjectionRunner
from chassis.store import PostgresEventStore
from contracts import employment as contract
from services.employment import handlers
from services.employment.domain import commands as cmds
from services.employment.projections import TABLES, EmploymentViews
from services.employment.service import EmploymentService
from tests.conftest import fresh_database, truncate
from tests.dated import assert_bad_dates_refused_as_the_file_refuses, days_ago, moved, refused
from tests.integration.test_employment_service import credit_code

STATION = "孝顺镇退役军人服务站"
# Registered 10 days ago (day 0), an intention stated on 2, hired on 4.
D = {n: days_ago(10 - n) for n in range(6)}
BEFORE = days_ago(11)


def caller(*roles, stations=(), veteran_id=None) -> dict:
    return Caller(subject="t", roles=roles, actor=f"{roles[0]}:t",
                  district="employment_officer" in roles, stations=tuple(stations),
                  veteran_id=veteran_id).as_dict()


OFFICER = caller("employment_officer")
WORKER = caller("station_worker", stations=[STATION])
ELSEWHERE = caller("station_worker", stations=["岭下镇退役军人服务站"])


@pytest.fixture(scope="module")
def database_url():
    return fresh_database("vetlife_employment_on_a_day_test",
                          [CHASSIS_MIGRATIONS, service_migrations("employment")])


@pytest.fixture
def store(database_url):
    db = Database(database_url)
    truncate(db, *TABLES, "placement_cases", "stream_progress", "parked_events", "dead_lettered")
    yield PostgresEventStore(db, "employment_events", upcast=contract.upcast)
    db.close()


@pytest.fixture
def service(store):
    """The service's own commands and read, on the real store."""
    return worker_factory(EmploymentService, store=store,
                          context={"correlation_id": "corr-dated"})


@pytest.fixture
def seeker(store, service):
    veteran_id = str(uuid.uuid4())
    handlers.register_seeker(store, cmds.RegisterJobSeeker(veteran_id, "孝顺镇", STATION), None,
                             Metadata(actor="station_worker:t"), None, D[0])
    moved(store.db, veteran_id, D[0])
    service.state_job_intention({"veteran_id": veteran_id}, {
        "kinds": ["logistics"], "townships": ["孝顺镇"], "skills": ["叉车证"]}, None, WORKER)
    moved(store.db, veteran_id, D[2], versions=(2, 2))
    employer = service.register_employer({}, {"name": "金华市金东区顺达物流有限公司",
                                              "credit_code": credit_code(), "township": "孝顺镇"},
                                         None, OFFICER)["employer_id"]
    service.record_hire({"veteran_id": veteran_id}, {
        "employer_id": employer, "hired_on": D[4].isoformat(), "contract_months": 24,
        "social_insurance": True}, None, WORKER)
    moved(store.db, veteran_id, D[4], versions=(3, 3))
    ProjectionRunner(store, EmploymentViews()).catch_up()
    return veteran_id


def read(service, veteran_id, who=OFFICER, **dates):
    return service.get_job_seeker({"veteran_id": veteran_id}, None, None, who, **dates)


def test_the_job_seeker_as_they_stood_each_day(service, seeker):
    expected = {0: (1, [], 0), 1: (1, [], 0), 2: (2, ["logistics"], 0), 3: (2, ["logistics"], 0),
                4: (3, ["logistics"], 1), 5: (3, ["logistics"], 1)}
    for n, (version, kinds, hires) in expected.items():
        for dates in ({"as_of": D[n].isoformat()}, {"effective_on": D[n].isoformat()}):
            reply = read(service, seeker, **dates)
            assert (reply["version"], reply["intention"]["kinds"], len(reply["hires"])) == (
                version, kinds, hires), (n, dates)
            assert reply["registered_on"] == D[0].isoformat()
    assert read(service, seeker, as_of=D[3].isoformat())["status"] != read(
        service, seeker, as_of=D[4].isoformat())["status"] == read(service, seeker)["status"]
    assert read(service, seeker, as_of=D[5].isoformat()) == read(service, seeker)


def test_not_yet_registered_out_of_reach_and_bad_dates(service, seeker):
    for dates in ({"as_of": BEFORE.isoformat()}, {"effective_on": BEFORE.isoformat()}):
        assert refused(read, service, seeker, **dates).code == "not_found"
    assert read(service, seeker, WORKER, as_of=D[2].isoformat())["version"] == 2
    mine = caller("veteran", veteran_id=seeker)
    assert read(service, seeker, mine, as_of=D[2].isoformat())["version"] == 2
    undated = refused(read, service, seeker, ELSEWHERE)
    on_a_day = refused(read, service, seeker, ELSEWHERE, as_of=D[2].isoformat())
    assert (on_a_day.code, on_a_day.message) == (undated.code, undated.message)
    assert on_a_day.code == "not_found"
    assert_bad_dates_refused_as_the_file_refuses(
        lambda **dates: read(service, seeker, **dates))
