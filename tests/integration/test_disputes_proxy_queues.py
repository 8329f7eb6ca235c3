"""Proxy case queues on the real PostgreSQL: the workbench's 待我办理 and 已办结, and a read's next steps."""
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from chassis.caller import Caller
from chassis.clock import SYSTEM_CLOCK
from chassis.db import Database
from chassis.envelope import new_id
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.store import PostgresEventStore
from contracts import disputes as contract
from services.disputes import handlers
from services.disputes.domain import model
from services.disputes.domain.clocks import ClockRules
from services.disputes.domain.vocabulary import CaseKind
from services.disputes.service import DisputesService
from tests.conftest import fresh_database, truncate
from tests.dated import refused

STATION = "多湖街道退役军人服务站"
OTHER_STATION = "孝顺镇退役军人服务站"
OFFICER = Caller("officer-wang", ("disputes_officer",), "disputes_officer:officer-wang",
                 district=True)
WORKER = Caller("worker-li", ("station_worker",), "station_worker:worker-li",
                stations=(STATION,))
RULES = ClockRules()


@pytest.fixture(scope="module")
def database_url():
    return fresh_database("vetlife_disputes_proxy_queues_test",
                          [CHASSIS_MIGRATIONS, service_migrations("disputes")])


@pytest.fixture
def store(database_url):
    db = Database(database_url)
    truncate(db, "deadlines", "petition_list", "case_index", "disputes_facts", "proxy_case_list")
    yield PostgresEventStore(db, "disputes_events", upcast=contract.upcast)
    db.close()


@pytest.fixture
def service(store):
    return worker_factory(DisputesService, store=store, rules=RULES,
                          deadlines=SimpleNamespace(runner=SimpleNamespace(clock=SYSTEM_CLOCK)),
                          context={"correlation_id": "corr-queues"})


def ctx(caller=OFFICER):
    return handlers.Context(SYSTEM_CLOCK, RULES, handlers.ChassisWorkingDays(), caller,
                            "corr-queues")


def open_case(store, station, n) -> str:
    return handlers.open_proxy_case(store, model.OpenProxyCase(
        new_id(), station, "card", f"代办优待证{n}", "staff", "工作人员李明"), {"n": n},
        ctx()).case_id


def step(store, case_id, name, decide):
    handlers.change_case(store, CaseKind.PROXY_CASE, case_id, name, {"step": name},
                         lambda case: decide(case, ctx()), ctx())


@pytest.fixture
def cases(store):
    open_here, stepped, closed = (open_case(store, STATION, n) for n in range(3))
    elsewhere = open_case(store, OTHER_STATION, 3)
    step(store, stepped, "step", lambda c, x: c.record_step(
        model.RecordProxyStep("已递交材料", x.today), x.today))
    step(store, closed, "close", lambda c, x: c.close(model.CloseProxyCase("not_completed"),
                                                      x.today))
    return {"open": open_here, "stepped": stepped, "closed": closed, "elsewhere": elsewhere}


def listed(service, caller, **query):
    reply = service.list_proxy_cases({}, None, query, caller.as_dict())
    return reply["total"], {item["proxy_case_id"] for item in reply["items"]}


def test_mine_holds_the_open_cases_in_reach_and_done_the_closed(service, cases):
    assert listed(service, OFFICER, queue="mine") == (
        3, {cases["open"], cases["stepped"], cases["elsewhere"]})
    assert listed(service, OFFICER, queue="done") == (1, {cases["closed"]})
    # A station worker's queues hold their stations' cases only.
    assert listed(service, WORKER, queue="mine") == (2, {cases["open"], cases["stepped"]})
    assert listed(service, WORKER, queue="done") == (1, {cases["closed"]})
    assert listed(service, OFFICER, queue="mine", station=OTHER_STATION) == (
        1, {cases["elsewhere"]})
    assert listed(service, OFFICER, queue="mine", page_size=1)[0] == 3
    error = refused(service.list_proxy_cases, {}, None, {"queue": "others"},
                    OFFICER.as_dict())
    assert (error.code, list(error.fields)) == ("invalid_input", ["queue"])


def test_a_read_gives_the_steps_the_caller_may_take(service, cases):
    def next_steps(case_id, caller=OFFICER):
        return service.get_proxy_case({"proxy_case_id": case_id}, None, {},
                                      caller.as_dict())["next_steps"]

    assert next_steps(cases["open"]) == ["steps", "outcome"]
    assert next_steps(cases["stepped"], WORKER) == ["steps", "outcome"]
    # Closed: nothing more to do, for anyone.
    assert next_steps(cases["closed"]) == []
    assert next_steps(cases["closed"], WORKER) == []
