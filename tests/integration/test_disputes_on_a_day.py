"""Disputes' dated reads on the real PostgreSQL: a veteran's petitions and proxy cases as they stood."""
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
from tests.dated import (
    assert_bad_dates_refused_as_the_file_refuses,
    clock_on,
    days_ago,
    moved,
    refused,
)

STATION = "多湖街道退役军人服务站"
OTHER_STATION = "孝顺镇退役军人服务站"
OFFICER = Caller("officer-wang", ("disputes_officer",), "disputes_officer:officer-wang",
                 district=True)
WORKER = Caller("worker-li", ("station_worker",), "station_worker:worker-li",
                stations=(STATION,))
OTHER_WORKER = Caller("worker-xu", ("station_worker",), "station_worker:worker-xu",
                      stations=(OTHER_STATION,))
RULES = ClockRules()
# A petition lodged 12 days ago (day 0), accepted on 1, its handler assigned on 2; a proxy case
# opened on 1, a step taken on 3, closed on 5; a second petition lodged on 4.
D = {n: days_ago(12 - n) for n in range(7)}
BEFORE = days_ago(13)


@pytest.fixture(scope="module")
def database_url():
    return fresh_database("vetlife_disputes_on_a_day_test",
                          [CHASSIS_MIGRATIONS, service_migrations("disputes")])


@pytest.fixture
def store(database_url):
    db = Database(database_url)
    truncate(db, "deadlines", "petition_list", "case_index", "disputes_facts", "proxy_case_list")
    yield PostgresEventStore(db, "disputes_events", upcast=contract.upcast)
    db.close()


@pytest.fixture
def service(store):
    """The service's own reads, on the real store; its clock is the deployed one."""
    return worker_factory(DisputesService, store=store, rules=RULES,
                          deadlines=SimpleNamespace(runner=SimpleNamespace(clock=SYSTEM_CLOCK)),
                          context={"correlation_id": "corr-dated"})


def ctx(n: int, caller=OFFICER):
    return handlers.Context(clock_on(D[n]), RULES, handlers.ChassisWorkingDays(), caller,
                            "corr-dated")


def act(store, n, case_id, decide, kind=CaseKind.PETITION, name="step"):
    handlers.change_case(store, kind, case_id, name, {"step": name},
                         lambda case: decide(case, ctx(n)), ctx(n))
    moved(store.db, case_id, D[n], versions=(len(store.read_stream(case_id)),) * 2)


def lodge(store, n, veteran_id, category, request):
    body = dict(service_station=STATION, channel="in_person", petitioner_kind="veteran",
                petitioner_name="陈志强", category=category, request=request,
                facts="2019年起停发", veteran_id=veteran_id)
    lodged = handlers.lodge_petition(store, model.LodgePetition(**body), body, ctx(n))
    assert len(store.read_stream(lodged["case_id"])) == 1  # a new petition, not a repeat
    moved(store.db, lodged["case_id"], D[n])
    return lodged["case_id"]


@pytest.fixture
def cases(store):
    veteran_id = new_id()
    first = lodge(store, 0, veteran_id, "benefits", "补发定期生活补助")
    act(store, 1, first, lambda p, x: p.decide_intake(
        model.DecideIntake("accept", "已受理"), x.today, x.rules), name="accept")
    act(store, 2, first, lambda p, x: p.assign_handler(model.AssignHandler("officer-wang"),
                                                        x.today), name="assign")
    proxy = handlers.open_proxy_case(store, model.OpenProxyCase(
        veteran_id, STATION, "card", "代办优待证", "militia_head", "民兵连长张伟"), {"p": 1}, ctx(1))
    moved(store.db, proxy.case_id, D[1])
    act(store, 3, proxy.case_id, lambda c, x: c.record_step(
        model.RecordProxyStep("已递交材料", x.today), x.today), kind=CaseKind.PROXY_CASE)
    act(store, 5, proxy.case_id, lambda c, x: c.close(model.CloseProxyCase("completed"),
                                                      x.today), kind=CaseKind.PROXY_CASE)
    second = lodge(store, 4, veteran_id, "housing", "危房改造")
    return {"veteran_id": veteran_id, "first": first, "second": second,
            "proxy": proxy.case_id}


def petitions(service, cases, caller=OFFICER, **dates):
    return service.list_petitions({}, None, {"veteran_id": cases["veteran_id"]},
                                  caller.as_dict(), **dates)


def proxies(service, cases, caller=OFFICER, **dates):
    return service.list_proxy_cases({}, None, {"veteran_id": cases["veteran_id"]},
                                    caller.as_dict(), **dates)


def test_petitions_as_they_stood_each_day(service, cases):
    first, second = cases["first"], cases["second"]
    expected = {0: [(first, "registered", None)], 1: [(first, "accepted", None)],
                2: [(first, "accepted", "officer-wang")], 3: [(first, "accepted", "officer-wang")],
                4: [(first, "accepted", "officer-wang"), (second, "registered", None)]}
    for n, rows in expected.items():
        for dates in ({"as_of": D[n].isoformat()}, {"effective_on": D[n].isoformat()}):
            listed = petitions(service, cases, **dates)
            assert [(i["petition_id"], i["state"], i["handler"])
                    for i in listed["items"]] == rows, (n, dates)
            assert listed["total"] == len(rows)
    # Accepted on day 1: the opinion's clock ran from then, as the list of today says.
    on_1 = petitions(service, cases, as_of=D[1].isoformat())["items"][0]
    now = {i["petition_id"]: i for i in petitions(service, cases)["items"]}
    assert on_1["opinion_due_on"] == now[first]["opinion_due_on"] is not None
    assert petitions(service, cases, as_of=D[0].isoformat())["items"][0]["opinion_due_on"] is None
    assert petitions(service, cases, as_of=BEFORE.isoformat())["items"] == []


def test_a_proxy_case_as_it_stood_each_day(service, cases):
    proxy = cases["proxy"]
    expected = {0: [], 1: [(proxy, "open", 0, None)], 2: [(proxy, "open", 0, None)],
                3: [(proxy, "open", 1, None)], 4: [(proxy, "open", 1, None)],
                5: [(proxy, "completed", 1, D[5].isoformat())]}
    for n, rows in expected.items():
        for dates in ({"as_of": D[n].isoformat()}, {"effective_on": D[n].isoformat()}):
            listed = proxies(service, cases, **dates)
            assert [(i["proxy_case_id"], i["state"], i["steps"], i["closed_on"])
                    for i in listed["items"]] == rows, (n, dates)
    # The last day equals the list of today, row for row.
    assert proxies(service, cases, as_of=D[6].isoformat())["items"] == proxies(
        service, cases)["items"]


def test_out_of_reach_bad_dates_and_a_list_on_a_day_without_a_veteran(service, cases):
    assert [i["petition_id"] for i in petitions(service, cases, WORKER,
                                                as_of=D[0].isoformat())["items"]] == [
        cases["first"]]
    # Another station's worker: the list of today shows them nothing, and so does a day.
    for listing in (petitions, proxies):
        assert listing(service, cases, OTHER_WORKER)["items"] == []
        assert listing(service, cases, OTHER_WORKER, as_of=D[5].isoformat())["items"] == []
        assert_bad_dates_refused_as_the_file_refuses(
            lambda listing=listing, **dates: listing(service, cases, **dates))
    for call in (service.list_petitions, service.list_proxy_cases):
        error = refused(call, {}, None, {}, OFFICER.as_dict(), as_of=D[3].isoformat())
        assert (error.code, list(error.fields)) == ("invalid_input", ["veteran_id"])
