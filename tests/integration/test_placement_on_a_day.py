"""Placement's dated reads on the real PostgreSQL: a case, its clocks and allowance as they stood each day."""
from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory

from chassis.caller import Caller
from chassis.db import Database
from chassis.deadlines import DeadlineRunner, deadlines_for
from chassis.envelope import Metadata, new_id
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.store import PostgresEventStore
from contracts import placement as contract
from services.placement import handlers
from services.placement.domain.clocks import placement_due
from services.placement.domain.commands import RegisterPostQuota, ReportIn
from services.placement.domain.money import Standards, YearStandard, waiting_allowance
from services.placement.service import PlacementService
from tests.conftest import fresh_database, truncate
from tests.dated import (
    TODAY,
    assert_bad_dates_refused_as_the_file_refuses,
    at,
    clock_on,
    days_ago,
    moved,
    refused,
)

STATION = "多湖街道退役军人服务站"
STANDARDS = Standards({year: YearStandard(year, 249000, 450000)
                       for year in range(TODAY.year - 1, TODAY.year + 1)})
OFFICER = Caller("officer-1", ("placement_officer",), "placement_officer:officer-1",
                 district=True).as_dict()
WORKER = Caller("worker-1", ("station_worker",), "station_worker:worker-1",
                stations=(STATION,)).as_dict()
ELSEWHERE = Caller("worker-2", ("station_worker",), "station_worker:worker-2",
                   stations=("孝顺镇退役军人服务站",)).as_dict()
# Reported in 45 days ago; assigned work chosen on day 2, scored on 3, a post offered and
# accepted on 4, the referral letter issued on 5 (placed; the unit's 30 days start), the unit's
# term runs out on 35 and fires on 36, the soldier goes on post on 38 (met late).
D = {n: days_ago(45 - n) for n in (0, 1, 2, 3, 4, 5, 35, 36, 37, 38)}
BEFORE = days_ago(46)


@pytest.fixture(scope="module")
def database_url():
    return fresh_database("vetlife_placement_on_a_day_test",
                          [CHASSIS_MIGRATIONS, service_migrations("placement")])


@pytest.fixture
def store(database_url):
    db = Database(database_url)
    truncate(db, "deadlines", "placement_cases", "post_quotas", "post_holders", "registry_facts")
    yield PostgresEventStore(db, "placement_events", upcast=contract.upcast)
    db.close()


@pytest.fixture
def service(store):
    """The service's own read methods, on the real store and the test's standards."""
    return worker_factory(PlacementService, store=store, standards=lambda: STANDARDS)


def meta():
    return Metadata(correlation_id=new_id(), actor="placement_officer:officer-1")


def step_on(store, case_id, n, decide):
    clock = clock_on(D[n])
    return handlers.change_case(store, case_id, "step", lambda c: decide(c, clock.today()),
                                meta(), clock)


@pytest.fixture
def case(store):
    """One assigned-work case through its days, each step's recorded time moved onto its day."""
    veteran_id = new_id()
    opened = handlers.report_in(store, ReportIn(
        veteran_id=veteran_id, discharge_approved_on=D[0] - timedelta(days=10),
        rank_class="senior_nco", years_of_service=13, service_station=STATION,
        township="多湖街道"), meta(), clock_on(D[0]))
    case_id = opened.case_id
    moved(store.db, case_id, D[0], versions=(1, 1))
    handlers.choose_mode(store, case_id, "assigned_work", STANDARDS, meta(), clock_on(D[2]))
    moved(store.db, case_id, D[2], versions=(2, 2))
    step_on(store, case_id, 3, lambda c, today: c.score(80, today))
    moved(store.db, case_id, D[3], versions=(3, 3))
    post_id = handlers.register_post(store, RegisterPostQuota(
        "金华市金东区农业农村局", "institution", "综合岗", TODAY.year, 1), meta()).post_id
    handlers.offer_post(store, case_id, post_id, meta(), clock_on(D[4]))
    handlers.accept_post(store, case_id, meta(), clock_on(D[4]))
    moved(store.db, case_id, D[4], versions=(4, 5))
    step_on(store, case_id, 5, lambda c, today: c.issue_referral_letter("L-1", today, today))
    moved(store.db, case_id, D[5], versions=(6, 7))
    # The runner fires the unit's term the morning after its last day.
    fired = DeadlineRunner(store, clock_on(D[36], "08:00")).run_due().fired
    assert len(fired) == 1
    moved(store.db, case_id, D[36], "08:00", versions=(8, 8))
    step_on(store, case_id, 38, lambda c, today: c.record_on_post(today, today))
    moved(store.db, case_id, D[38], versions=(9, 9))
    assert [e.event_type for e in store.read_stream(case_id)] == [
        "ReportedIn", "ModeChosen", "Scored", "PostOffered", "PostAccepted",
        "ReferralLetterIssued", "Placed", "OnPostOverdue", "OnPostRecorded"]
    return {"case_id": case_id, "veteran_id": veteran_id}


def read(service, case, caller=OFFICER, **dates):
    return service.get_placement_case({"case_id": case["case_id"]}, None, None, caller, **dates)


def clocks(reply) -> dict:
    return {d["name"]: (d["state"], d["due_on"], d["late"]) for d in reply["deadlines"]}


def test_the_case_as_it_stood_each_day_with_its_clocks_then(service, case):
    placement_on = placement_due(D[0]).isoformat()
    on_post_on = (D[5] + timedelta(days=30)).isoformat()
    expected = {  # day: (status, version, mode, clocks, overdue)
        1: ("reported", 1, None, {}, []),
        2: ("waiting", 2, "assigned_work",
            {"placement": ("pending", placement_on, False)}, []),
        4: ("post_accepted", 5, "assigned_work",
            {"placement": ("pending", placement_on, False)}, []),
        5: ("letter_issued", 7, "assigned_work",
            {"placement": ("met", placement_on, False), "on_post": ("pending", on_post_on, False)},
            []),
        # The unit's last day: not run out yet.
        35: ("letter_issued", 7, "assigned_work",
             {"placement": ("met", placement_on, False),
              "on_post": ("pending", on_post_on, False)}, []),
        36: ("letter_issued", 8, "assigned_work",
             {"placement": ("met", placement_on, False),
              "on_post": ("overdue", on_post_on, False)}, ["on_post"]),
        38: ("on_post", 9, "assigned_work",
             {"placement": ("met", placement_on, False), "on_post": ("met", on_post_on, True)},
             []),
    }
    for n, (status, version, mode, clocks_then, overdue) in expected.items():
        for dates in ({"as_of": D[n].isoformat()}, {"effective_on": D[n].isoformat()}):
            reply = read(service, case, **dates)
            assert (reply["status"], reply["version"], reply["mode"]) == (status, version, mode), \
                (n, dates)
            assert clocks(reply) == clocks_then, (n, dates)
            assert reply["overdue"] == overdue, (n, dates)
            assert len(reply["history"]) == version
    on_36 = {d["name"]: d for d in read(service, case, as_of=D[36].isoformat())["deadlines"]}
    assert on_36["on_post"]["fired_at"] == at(D[36], "08:00").isoformat()
    on_38 = {d["name"]: d for d in read(service, case, as_of=D[38].isoformat())["deadlines"]}
    assert on_38["on_post"]["met_at"] == at(D[38]).isoformat()
    assert on_38["placement"]["met_at"] == at(D[5]).isoformat()


def test_the_clocks_replayed_up_to_today_are_the_deadlines_table(service, case, store):
    """The replay is the deadlines table's own bookkeeping: read today, the two agree."""
    now = read(service, case)
    dated = read(service, case, as_of=TODAY.isoformat())
    table = deadlines_for(store.db, case["case_id"])

    def shown(views):
        return [(d["name"], d["generation"], str(d["due_on"]), d["state"], d["late"])
                for d in views]
    assert shown(dated["deadlines"]) == shown(now["deadlines"]) == shown(table)
    assert len(table) == 2
    # The rest of the case reads alike; a case on a day takes no step (next_steps empty).
    today_only = ("allowance", "next_steps")
    assert {k: v for k, v in dated.items() if k not in today_only} == {
        k: v for k, v in now.items() if k not in today_only}
    assert dated["next_steps"] == []


def test_the_waiting_allowance_runs_to_the_day(service, case):
    for n in (2, 3, 4):
        allowance = read(service, case, as_of=D[n].isoformat())["allowance"]
        months = waiting_allowance(STANDARDS, D[2], D[n])
        assert (allowance["since"], allowance["until"]) == (D[2].isoformat(), D[n].isoformat())
        assert [(m["month"], m["days"], m["fen"]) for m in allowance["months"]] == [
            (m.month, m.days, m.fen) for m in months]
        assert allowance["total_fen"] == sum(m.fen for m in months) > 0
        assert sum(m["days"] for m in allowance["months"]) == n - 1
    # On post on day 38: the allowance ends the day before, however late the day read.
    late = read(service, case, as_of=D[38].isoformat())["allowance"]
    assert late["until"] == (D[38] - timedelta(days=1)).isoformat()
    assert read(service, case, as_of=D[1].isoformat())["allowance"] is None


def test_eligibility_on_a_day_and_a_case_not_yet_opened(service, case):
    params = {"veteran_id": case["veteran_id"]}
    then = service.placement_eligibility(params, None, None, OFFICER, as_of=D[1].isoformat())
    assert (then["case_id"], then["version"], then["forfeited"]) == (case["case_id"], 1, None)
    assert service.placement_eligibility(params, None, None, OFFICER,
                                         as_of=D[5].isoformat())["version"] == 7
    for dates in ({"as_of": BEFORE.isoformat()}, {"effective_on": BEFORE.isoformat()}):
        assert refused(read, service, case, **dates).code == "not_found"
        assert refused(service.placement_eligibility, params, None, None, OFFICER,
                       **dates).code == "not_found"


def test_out_of_reach_and_bad_dates_are_refused_as_the_undated_read_refuses(service, case):
    assert read(service, case, WORKER, as_of=D[2].isoformat())["status"] == "waiting"
    undated = refused(read, service, case, ELSEWHERE)
    dated = refused(read, service, case, ELSEWHERE, as_of=D[2].isoformat())
    assert (dated.code, dated.message) == (undated.code, undated.message) == (
        "not_found", "no placement case with this id")
    params = {"veteran_id": case["veteran_id"]}
    assert refused(service.placement_eligibility, params, None, None, ELSEWHERE,
                   as_of=D[2].isoformat()).code == "not_found"
    assert_bad_dates_refused_as_the_file_refuses(
        lambda **dates: read(service, case, **dates))
    assert_bad_dates_refused_as_the_file_refuses(
        lambda **dates: service.placement_eligibility(params, None, None, OFFICER, **dates))
