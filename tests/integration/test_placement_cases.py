"""Placement cases on the real PostgreSQL: report-in, steps and their clocks, offers racing for posts, lists."""
from datetime import date, datetime, timedelta

import eventlet
import pytest

from chassis.clock import SHANGHAI, ManualClock
from chassis.db import Database
from chassis.deadlines import DeadlineRunner, deadlines_for
from chassis.envelope import Metadata, new_id
from chassis.errors import IdempotencyKeyReused, StreamVersionConflict
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.projection import ProjectionRunner
from chassis.store import PostgresEventStore
from chassis.wire import ServiceError
from contracts import placement as contract
from services.placement import handlers, queries
from services.placement.domain.commands import RegisterPostQuota, ReportIn
from services.placement.domain.errors import (
    AlreadyReportedIn,
    BenefitsForfeited,
    CaseNotFound,
    PostUnavailable,
    WrongState,
)
from services.placement.domain.money import Standards, YearStandard
from services.placement.projections import PROJECTIONS, CaseList
from tests.conftest import fresh_database, truncate

STATION = "多湖街道退役军人服务站"
OTHER_STATION = "孝顺镇退役军人服务站"
# Reported on Friday 18 September 2026, 09:00 in Jinhua.
START = datetime(2026, 9, 18, 9, 0, tzinfo=SHANGHAI)
STANDARDS = Standards({2026: YearStandard(2026, 249000, 450000),
                       2027: YearStandard(2027, 262000, 450000)})


@pytest.fixture(scope="module")
def placement_database_url():
    return fresh_database("vetlife_placement_test",
                          [CHASSIS_MIGRATIONS, service_migrations("placement")])


@pytest.fixture
def db(placement_database_url):
    # Few connections, as a service has: the racing offers queue for them and still race.
    db = Database(placement_database_url, max_connections=6)
    truncate(db, "deadlines", "placement_cases", "post_quotas", "post_holders", "registry_facts")
    yield db
    db.close()


@pytest.fixture
def store(db):
    return PostgresEventStore(db, "placement_events", upcast=contract.upcast)


@pytest.fixture
def clock():
    return ManualClock(START)


def meta(actor="placement_officer:officer-1"):
    return Metadata(correlation_id=new_id(), actor=actor)


def report(store, clock, veteran_id=None, approved=date(2026, 9, 1), **facts):
    cmd = ReportIn(veteran_id=veteran_id or new_id(), discharge_approved_on=approved,
                   **{"rank_class": "senior_nco", "years_of_service": 13,
                      "service_station": STATION, "township": "多湖街道", **facts})
    return handlers.report_in(store, cmd, meta("station_worker:worker-1"), clock)


def step(store, clock, case_id, decide, **kwargs):
    return handlers.change_case(store, case_id, "step", decide, meta(), clock, **kwargs)


def waiting_and_scored(store, clock, **facts):
    case = report(store, clock, **facts)
    handlers.choose_mode(store, case.case_id, "assigned_work", STANDARDS, meta(), clock)
    step(store, clock, case.case_id, lambda c: c.score(80, clock.today()))
    return case.case_id


def post(store, positions=1, kind="institution"):
    return handlers.register_post(store, RegisterPostQuota("金华市金东区农业农村局", kind, "综合岗",
                                                           2026, positions), meta())


def deadline_states(store, case_id, clock):
    return {d["name"]: d["state"] for d in deadlines_for(store.db, case_id, clock)}


# -- reporting in ---------------------------------------------------------------------------------

def test_a_retried_report_in_opens_one_case_and_a_second_report_in_is_refused(store, clock):
    veteran = new_id()
    cmd = ReportIn(veteran, date(2026, 9, 1), rank_class="conscript", years_of_service=2,
                   service_station=STATION, township="多湖街道")
    first = handlers.report_in(store, cmd, meta(), clock, command_id="portal:abc-123")
    again = handlers.report_in(store, cmd, meta(), clock, command_id="portal:abc-123")
    assert (again.case_id, again.replayed, first.replayed) == (first.case_id, True, False)
    with pytest.raises(IdempotencyKeyReused):
        handlers.report_in(store, ReportIn(new_id(), date(2026, 9, 1), rank_class="conscript",
                                           years_of_service=2, service_station=STATION,
                                           township="多湖街道"), meta(), clock,
                           command_id="portal:abc-123")
    with pytest.raises(AlreadyReportedIn, match=first.case_id):
        handlers.report_in(store, cmd, meta(), clock, command_id="portal:abc-456")
    assert handlers.case_of_veteran(store, veteran) == first.case_id


def test_a_station_worker_reports_in_only_at_their_own_stations(store, clock):
    cmd = ReportIn(new_id(), date(2026, 9, 1), rank_class="conscript", years_of_service=2,
                   service_station=OTHER_STATION, township="孝顺镇")
    with pytest.raises(ServiceError) as refused:
        handlers.report_in(store, cmd, meta(), clock,
                           reach=lambda veteran_id, station: station == STATION)
    assert refused.value.code == "forbidden"
    assert store.head() == 0


def test_a_late_report_in_opens_the_case_forfeited_and_a_good_reason_lifts_it(store, clock):
    case = report(store, clock, approved=date(2026, 8, 1))  # 48 days earlier
    assert case.status == "forfeited"
    with pytest.raises(BenefitsForfeited, match="Art. 51"):
        handlers.choose_mode(store, case.case_id, "self_employment", STANDARDS, meta(), clock)
    lifted = step(store, clock, case.case_id,
                  lambda c: c.record_late_reason("执行抗洪任务", clock.today()))
    assert lifted.status == "reported"


def test_facts_the_registry_published_fill_in_a_report_in(store, clock):
    veteran = new_id()
    with store.db.transaction() as cur:
        cur.execute("INSERT INTO registry_facts (veteran_id, service_station, township, rank, "
                    "enlisted_year, discharged_year, honours, martyr_child, registry_position) "
                    "VALUES (%s, %s, '多湖街道', '中士', 2020, 2026, %s, true, 7)",
                    (veteran, STATION, ["个人二等功"]))
    case = handlers.report_in(store, ReportIn(veteran, date(2026, 9, 1)), meta(), clock)
    loaded = handlers.load_case(store, case.case_id)
    assert (loaded.facts.rank_class, loaded.facts.years_of_service, loaded.service_station,
            loaded.facts.martyr_child) == ("junior_nco", 6, STATION, True)
    assert "assigned_work" in {m.mode for m in loaded.eligibility() if m.allowed}


# -- assigned work, its clocks, and the clocks running out ----------------------------------------

def test_assigned_work_from_waiting_to_closed_with_its_two_clocks(store, clock):
    case_id = waiting_and_scored(store, clock)
    assert deadline_states(store, case_id, clock) == {"placement": "pending"}
    (due,) = deadlines_for(store.db, case_id, clock)
    assert due["due_on"] == date(2027, 3, 18)  # 6 months from reception (Art. 31)

    post_id = post(store).post_id
    handlers.offer_post(store, case_id, post_id, meta(), clock)
    handlers.accept_post(store, case_id, meta(), clock)
    clock.advance(days=10)
    today = clock.today()
    step(store, clock, case_id, lambda c: c.issue_referral_letter("金东退役安字〔2026〕12号", today,
                                                                 today))
    assert deadline_states(store, case_id, clock) == {"placement": "met", "on_post": "pending"}
    on_post = {d["name"]: d for d in deadlines_for(store.db, case_id, clock)}["on_post"]
    assert on_post["due_on"] == date(2026, 10, 28)  # 30 days from the letter (Art. 75)
    step(store, clock, case_id, lambda c: c.record_on_post(today, today))
    step(store, clock, case_id, lambda c: c.record_contract(today, 3, False, today))
    closed = step(store, clock, case_id, lambda c: c.close(today))
    assert closed.status == "closed"
    assert deadline_states(store, case_id, clock) == {"placement": "met", "on_post": "met"}
    assert handlers.load_quota(store, post_id).holders == {case_id: "filled"}


def test_the_placement_clock_runs_out_once_and_shows_overdue(store, clock):
    case_id = waiting_and_scored(store, clock)
    runner = DeadlineRunner(store, clock)
    clock.set(datetime(2027, 3, 18, 23, 59, tzinfo=SHANGHAI))
    assert runner.run_due().fired == []  # the last day is still the soldier's
    clock.advance(minutes=2)
    assert len(runner.run_due().fired) == 1
    assert runner.run_due().fired == []  # fired once
    case = handlers.load_case(store, case_id)
    assert case.overdue == {"placement"} and case.status == "scored"
    recorded = store.read_stream(case_id)
    assert (recorded[-1].event_type, recorded[-1].actor, recorded[-1].data["due_on"]) == \
        ("PlacementOverdue", "system:deadlines", "2027-03-18")
    assert deadline_states(store, case_id, clock) == {"placement": "overdue"}

    # Placed late: met late, no longer overdue.
    post_id = post(store).post_id
    handlers.offer_post(store, case_id, post_id, meta(), clock)
    handlers.accept_post(store, case_id, meta(), clock)
    today = clock.today()
    step(store, clock, case_id, lambda c: c.issue_referral_letter("L-7", today, today))
    (placement, on_post) = sorted(deadlines_for(store.db, case_id, clock),
                                  key=lambda d: d["name"] != "placement")
    assert (placement["state"], placement["late"]) == ("met", True)
    assert handlers.load_case(store, case_id).overdue == set()


def test_the_units_30_days_run_out_when_the_soldier_is_not_on_post(store, clock):
    case_id = waiting_and_scored(store, clock)
    post_id = post(store).post_id
    handlers.offer_post(store, case_id, post_id, meta(), clock)
    handlers.accept_post(store, case_id, meta(), clock)
    today = clock.today()
    step(store, clock, case_id, lambda c: c.issue_referral_letter("L-8", today, today))
    clock.advance(days=31)
    assert len(DeadlineRunner(store, clock).run_due().fired) == 1
    assert handlers.load_case(store, case_id).overdue == {"on_post"}
    listed = _list(store, clock, overdue=True)
    assert [row["case_id"] for row in listed["items"]] == [case_id]
    assert listed["overdue"] == 1


def test_a_forfeiture_stops_the_clocks_and_releases_the_post(store, clock):
    case_id = waiting_and_scored(store, clock)
    post_id = post(store).post_id
    handlers.offer_post(store, case_id, post_id, meta(), clock)
    handlers.decline_post(store, case_id, None, meta(), clock)
    assert handlers.load_case(store, case_id).status == "forfeited"
    assert handlers.load_quota(store, post_id).free == 1
    clock.advance(days=400)
    assert DeadlineRunner(store, clock).run_due().fired == []
    assert deadlines_for(store.db, case_id, clock) == []  # cancelled, shown only when asked


def test_a_stale_if_match_is_a_conflict(store, clock):
    case = report(store, clock)
    with pytest.raises(StreamVersionConflict):
        handlers.choose_mode(store, case.case_id, "self_employment", STANDARDS, meta(), clock,
                             expected_version=7)
    handlers.choose_mode(store, case.case_id, "self_employment", STANDARDS, meta(), clock,
                         expected_version=case.version)


def test_a_case_outside_the_callers_reach_is_answered_as_none(store, clock):
    case = report(store, clock)
    with pytest.raises(CaseNotFound):
        handlers.choose_mode(store, case.case_id, "self_employment", STANDARDS, meta(), clock,
                             reach=lambda veteran_id, station: station == OTHER_STATION)


# -- posts: one case per position, whatever the concurrency -----------------------------------------

@pytest.mark.parametrize("positions, cases", [(1, 12), (3, 12)])
def test_concurrent_offers_never_offer_a_position_twice(store, clock, positions, cases):
    case_ids = [waiting_and_scored(store, clock) for _ in range(cases)]
    post_id = post(store, positions).post_id

    def offer(case_id):
        try:
            handlers.offer_post(store, case_id, post_id, meta(), clock)
            return "offered"
        except PostUnavailable:
            return "refused"

    pool = eventlet.GreenPool(cases)
    outcomes = list(pool.imap(offer, case_ids))
    assert outcomes.count("offered") == positions
    assert outcomes.count("refused") == cases - positions
    holders = handlers.load_quota(store, post_id).holders
    offered = [c for c in case_ids if handlers.load_case(store, c).status == "post_offered"]
    assert sorted(holders) == sorted(offered) and len(offered) == positions
    held = [e for e in store.read_stream(post_id) if e.event_type == "PostHeld"]
    assert len(held) == positions


def test_a_declined_position_can_be_offered_again_and_a_full_post_refuses(store, clock):
    first, second = waiting_and_scored(store, clock), waiting_and_scored(store, clock)
    post_id = post(store).post_id
    handlers.offer_post(store, first, post_id, meta(), clock)
    with pytest.raises(PostUnavailable, match="every position"):
        handlers.offer_post(store, second, post_id, meta(), clock)
    handlers.decline_post(store, first, "岗位距家过远", meta(), clock)
    handlers.offer_post(store, second, post_id, meta(), clock)
    assert handlers.load_quota(store, post_id).holders == {second: "offered"}
    with pytest.raises(WrongState, match="the case is post_offered"):
        handlers.offer_post(store, second, post_id, meta(), clock)  # a second offer, new key


# -- transfers and spouses ------------------------------------------------------------------------

def test_a_transferred_officer_and_the_spouse_moving_with_them(store, clock):
    officer = report(store, clock, rank_class="officer", years_of_service=18)
    handlers.choose_mode(store, officer.case_id, "officer_transfer", STANDARDS, meta(), clock)
    spouse = handlers.receive_spouse(store, officer.case_id, "王丽", "institution", meta(), clock,
                                     command_id="spouse-key-1")
    again = handlers.receive_spouse(store, officer.case_id, "王丽", "institution", meta(), clock,
                                    command_id="spouse-key-1")
    assert (again.case_id, again.replayed) == (spouse.case_id, True)
    assert spouse.veteran_id == officer.veteran_id and spouse.status == "awaiting_assignment"
    assert handlers.load_case(store, officer.case_id).spouse_case_id == spouse.case_id
    assert deadline_states(store, spouse.case_id, clock) == {"placement": "pending"}
    today = clock.today()
    for case_id, kind in ((officer.case_id, "administrative"), (spouse.case_id, "institution")):
        step(store, clock, case_id, lambda c, k=kind: c.assign_transfer("two_way_selection", k,
                                                                        today))
        placed = step(store, clock, case_id,
                      lambda c, k=kind: c.record_placement(k, "金东区人民检察院", today, today))
        assert placed.status == "placed"
        assert deadline_states(store, case_id, clock) == {"placement": "met"}


# -- the case list, its rebuild, and rates --------------------------------------------------------

def _list(store, clock, **filters):
    for projection in PROJECTIONS.values():
        ProjectionRunner(store, projection).catch_up()
    with store.db.transaction() as cur:
        return queries.list_cases(cur, clock, **filters)


def test_the_case_list_filters_counts_overdue_and_rebuilds_equal(store, clock):
    waiting = waiting_and_scored(store, clock)
    self_employed = report(store, clock, rank_class="conscript", years_of_service=2)
    handlers.choose_mode(store, self_employed.case_id, "self_employment", STANDARDS, meta(), clock)
    elsewhere = report(store, clock, rank_class="conscript", years_of_service=2,
                       service_station=OTHER_STATION, township="孝顺镇")
    assert _list(store, clock)["total"] == 3
    assert [r["case_id"] for r in _list(store, clock, mode="self_employment")["items"]] == \
        [self_employed.case_id]
    assert [r["case_id"] for r in _list(store, clock, within_stations=[OTHER_STATION])["items"]] \
        == [elsewhere.case_id]
    assert [r["status"] for r in _list(store, clock, status="scored")["items"]] == ["scored"]
    clock.advance(days=200)
    DeadlineRunner(store, clock).run_due()
    listed = _list(store, clock)
    assert (listed["total"], listed["overdue"]) == (3, 1)
    assert [r["case_id"] for r in _list(store, clock, overdue=True)["items"]] == [waiting]
    assert _list(store, clock, overdue=False)["total"] == 2

    with store.db.transaction() as cur:
        cur.execute("SELECT * FROM placement_cases ORDER BY case_id")
        live = cur.fetchall()
    ProjectionRunner(store, CaseList()).rebuild(show_progress=False)
    with store.db.transaction() as cur:
        cur.execute("SELECT * FROM placement_cases ORDER BY case_id")
        assert cur.fetchall() == live


def test_placement_rates_for_a_period(store, clock):
    on_time = [waiting_and_scored(store, clock) for _ in range(2)]
    late = waiting_and_scored(store, clock)
    post_id = post(store, positions=3, kind="administrative").post_id
    for case_id in on_time:
        handlers.offer_post(store, case_id, post_id, meta(), clock)
        handlers.accept_post(store, case_id, meta(), clock)
        today = clock.today()
        step(store, clock, case_id, lambda c, t=today: c.issue_referral_letter("L", t, t))
    clock.set(datetime(2027, 4, 2, 10, 0, tzinfo=SHANGHAI))
    handlers.offer_post(store, late, post_id, meta(), clock)
    handlers.accept_post(store, late, meta(), clock)
    today = clock.today()
    step(store, clock, late, lambda c: c.issue_referral_letter("L", today, today))
    _list(store, clock)
    with store.db.transaction() as cur:
        result = queries.rates(cur, date(2027, 1, 1), date(2027, 12, 31))
    rates = {r["kind"]: r for r in result["rates"]}
    assert (rates["administrative"]["due"], rates["administrative"]["placed"],
            rates["administrative"]["percent"]) == (3, 2, "66.7")
    assert result["placed_by_kind"] == {"soldier": 1}  # the late one, placed in 2027
    with store.db.transaction() as cur:
        assert queries.rates(cur, date(2026, 1, 1), date(2026, 12, 31))["reported_in"] == 3


def test_the_case_read_shows_history_clocks_and_the_allowance_in_fen(store, clock):
    case_id = waiting_and_scored(store, clock)
    clock.advance(timedelta(days=20))
    recorded = store.read_stream(case_id)
    view = queries.case_view(handlers.load_case(store, case_id), recorded,
                             deadlines_for(store.db, case_id, clock), STANDARDS, clock.today())
    reply = contract.PlacementCaseReply().dump(view)
    assert [h["event_type"] for h in reply["history"]] == ["ReportedIn", "ModeChosen", "Scored"]
    assert reply["history"][0]["actor"] == "station_worker:worker-1"
    assert reply["deadlines"][0]["name"] == "placement"
    allowance = reply["allowance"]
    # From 18 September to 8 October 2026: 13 days of September, 8 of October, at 2,490 yuan.
    assert [(m["month"], m["days"], m["fen"]) for m in allowance["months"]] == \
        [("2026-09", 13, 107900), ("2026-10", 8, 64258)]
    assert allowance["total_fen"] == 172158 and allowance["complete"]


def test_one_veterans_cases_are_listed_with_a_spouses_and_a_veteran_reaches_only_their_own(
        store, clock):
    officer = report(store, clock, rank_class="officer", years_of_service=18,
                     service_station=OTHER_STATION, township="孝顺镇")
    handlers.choose_mode(store, officer.case_id, "officer_transfer", STANDARDS, meta(), clock)
    spouse = handlers.receive_spouse(store, officer.case_id, "王丽", None, meta(), clock)
    someone_else = report(store, clock)
    mine = _list(store, clock, veteran_id=officer.veteran_id)
    assert {row["case_id"]: row["kind"] for row in mine["items"]} == \
        {officer.case_id: "officer", spouse.case_id: "spouse"}
    # The officer, as a veteran without stations, reaches their own and their spouse's cases.
    own = _list(store, clock, within_stations=[], own_veteran=officer.veteran_id)
    assert {row["case_id"] for row in own["items"]} == {officer.case_id, spouse.case_id}
    assert someone_else.case_id not in {row["case_id"] for row in own["items"]}
