"""Benefits' dated read on the real PostgreSQL: relief, entitlement and card as they stood each day."""
from __future__ import annotations

import pytest
from nameko.testing.services import worker_factory

from chassis.caller import Caller
from chassis.envelope import new_id
from chassis.store import PostgresEventStore
from contracts import benefits as contract
from services.benefits import handlers
from services.benefits.service import BenefitsService
from tests import benefits_fixtures
from tests.benefits_fixtures import STANDARDS, STATION
from tests.dated import (
    TODAY,
    assert_bad_dates_refused_as_the_file_refuses,
    clock_on,
    days_ago,
    moved,
    refused,
)

benefits_database_url = benefits_fixtures.benefits_database_url
benefits_db = benefits_fixtures.benefits_db
OTHER_STATION = "孝顺镇退役军人服务站"
# Twenty days ago to eight days ago: the relief's notice runs days 0-7, so its review is on 8.
D = {n: days_ago(20 - n) for n in range(13)}
BEFORE = days_ago(21)


def person(role, subject, stations=(), district=True) -> Caller:
    return Caller(subject=subject, roles=(role,), actor=f"{role}:{subject}", district=district,
                  stations=tuple(stations))


WORKER = person("station_worker", "worker-1", stations=(STATION,), district=False)
WORKER_THERE = person("station_worker", "worker-2", stations=(OTHER_STATION,), district=False)
OFFICER = person("benefits_officer", "officer-1")
APPROVER = person("approver", "approver-1")


@pytest.fixture
def store(benefits_db):
    return PostgresEventStore(benefits_db, "benefits_events", upcast=contract.upcast)


@pytest.fixture
def service(store):
    """The service's own read, on the real store and the test's standards."""
    return worker_factory(BenefitsService, store=store, standards_table=STANDARDS)


def on(store, n: int) -> handlers.Benefits:
    """The handlers as on day n, for a command's "today"."""
    return handlers.Benefits(store, STANDARDS, clock=clock_on(D[n]))


@pytest.fixture
def picture(store, benefits_db, service):
    """A martyr's parent at 多湖街道: relief applied on day 0, reviewed on 8, approved on 9, paid
    on 10; a survivors' pension applied on 2, reviewed on 4, approved on 6; the card applied on 3,
    checked by the county on 5. Each case's recorded times moved onto its days. What the
    undated read said each day, right after that day's steps, is kept to compare with."""
    veteran_id = new_id()
    with benefits_db.transaction() as cur:
        cur.execute("INSERT INTO benefit_veterans (veteran_id, station, township, discharged, "
                    "ties, registry_position) VALUES (%s, %s, '多湖街道', true, %s, 0)",
                    (veteran_id, STATION, ["martyr"]))
    steps = {
        0: lambda b: b.apply_relief({"veteran_id": veteran_id, "trigger": "illness",
                                     "amount_asked_fen": 800_000, "circumstances": "住院"}, WORKER),
        2: lambda b: b.apply_entitlement({"veteran_id": veteran_id, "kind": "survivors_pension",
                                          "tie": "martyr", "relation": "parent"}, WORKER),
        3: lambda b: b.apply_card({"veteran_id": veteran_id, "category": "veteran"}, WORKER),
        4: lambda b: b.review_entitlement(ids["entitlement"], {"opinion": "support",
                                                               "notes": "无劳动能力"}, OFFICER),
        5: lambda b: b.record_card_step(ids["card"], {"step": "county_check",
                                                      "done_on": D[5]}, OFFICER),
        6: lambda b: b.decide_entitlement(ids["entitlement"], {"decision": "approve"}, APPROVER),
        8: lambda b: b.review_relief(ids["relief"], {
            "opinion": "support", "recommended_fen": 600_000, "notes": "属实",
            "objections": False, "notice_from": D[0], "notice_to": D[7]}, OFFICER),
        9: lambda b: b.decide_relief(ids["relief"], {"decision": "approve",
                                                     "approved_fen": 600_000, "special": False},
                                     APPROVER),
        10: lambda b: b.disburse_relief(ids["relief"], {"paid_fen": 600_000, "paid_on": D[10],
                                                        "reference": "JD-0101"}, OFFICER),
    }
    names = {0: "relief", 2: "entitlement", 3: "card"}
    ids, said, last = {}, {}, {}
    for n, step in steps.items():
        accepted = step(on(store, n))
        if n in names:
            ids[names[n]] = accepted.id
        # The events this step appended, onto its day.
        moved(store.db, accepted.id, D[n], versions=(last.get(accepted.id, 0) + 1,
                                                     accepted.version))
        last[accepted.id] = accepted.version
        said[n] = service.veteran_benefits({"veteran_id": veteran_id}, None, None,
                                           OFFICER.as_dict())
    return {"veteran_id": veteran_id, "ids": ids, "said": said}


def dated(service, picture, caller=OFFICER, **dates):
    return service.veteran_benefits({"veteran_id": picture["veteran_id"]}, None, None,
                                    caller.as_dict(), **dates)


def parts(reply) -> dict:
    return {"relief": [(r["state"], r["approved_fen"], r["paid_fen"]) for r in reply["relief"]],
            "entitlements": [(e["kind"], e["state"], e["amount_fen"])
                             for e in reply["entitlements"]],
            "card": None if reply["card"] is None else reply["card"]["state"],
            "priority": reply["priority_beneficiary"]}


def test_each_day_shows_the_cases_as_they_stood_and_as_they_were_read_then(service, picture):
    expected = {
        0: {"relief": [("applied", None, None)], "entitlements": [], "card": None,
            "priority": False},
        2: {"relief": [("applied", None, None)],
            "entitlements": [("survivors_pension", "applied", None)], "card": None,
            "priority": False},
        3: {"relief": [("applied", None, None)],
            "entitlements": [("survivors_pension", "applied", None)], "card": "applied",
            "priority": False},
        6: {"relief": [("applied", None, None)],
            "entitlements": [("survivors_pension", "active", 2_798_000)],
            "card": "county_checked", "priority": True},
        9: {"relief": [("approved", 600_000, None)],
            "entitlements": [("survivors_pension", "active", 2_798_000)],
            "card": "county_checked", "priority": True},
        10: {"relief": [("disbursed", 600_000, 600_000)],
             "entitlements": [("survivors_pension", "active", 2_798_000)],
             "card": "county_checked", "priority": True},
    }
    for n, then in expected.items():
        for dates in ({"as_of": D[n].isoformat()}, {"effective_on": D[n].isoformat()}):
            assert parts(dated(service, picture, **dates)) == then, (n, dates)
    # Every day: exactly what the read of today said that day, right after its steps (the
    # lists' own fields aside: a list row says the caller's next step, this read does not).
    today_only = ("state_since", "next_step", "yours")
    for n, said in picture["said"].items():
        reply = dated(service, picture, as_of=D[n].isoformat())
        for key in ("relief", "entitlements", "offers", "visits"):
            assert [{k: v for k, v in row.items() if k not in today_only}
                    for row in reply[key]] == [
                {k: v for k, v in row.items() if k not in today_only}
                for row in said[key]], (n, key)
        assert (reply["card"], reply["priority_beneficiary"]) == (
            said["card"], said["priority_beneficiary"]), n
    # Days 1 and 7: as the day before.
    assert parts(dated(service, picture, as_of=D[1].isoformat())) == expected[0]
    assert parts(dated(service, picture, as_of=D[7].isoformat())) == expected[6]


def test_before_any_case_there_is_nothing_and_the_veteran_is_still_known(service, picture):
    for dates in ({"as_of": BEFORE.isoformat()}, {"effective_on": BEFORE.isoformat()}):
        reply = dated(service, picture, **dates)
        assert (reply["relief"], reply["entitlements"], reply["card"], reply["offers"],
                reply["priority_beneficiary"]) == ([], [], None, [], False)
        assert (reply["station"], reply["township"]) == (STATION, "多湖街道")


def test_station_and_township_on_a_day_are_the_ones_the_cases_recorded(service, picture,
                                                                         benefits_db):
    # Today benefits holds the file at another station and township (a registration taken
    # again): the read of today says so, a past day says where the cases were opened.
    with benefits_db.transaction() as cur:
        cur.execute("UPDATE benefit_veterans SET station = %s, township = '孝顺镇' "
                    "WHERE veteran_id = %s", (OTHER_STATION, picture["veteran_id"]))
    now = dated(service, picture)
    assert (now["station"], now["township"]) == (OTHER_STATION, "孝顺镇")
    then = dated(service, picture, as_of=D[4].isoformat())
    assert (then["station"], then["township"]) == (STATION, "多湖街道")
    # Before any case, nothing recorded it: the registry's facts.
    before = dated(service, picture, as_of=BEFORE.isoformat())
    assert (before["station"], before["township"]) == (OTHER_STATION, "孝顺镇")
    # Reach is today's station's, dated or not: the old station's worker is refused as today.
    undated = refused(dated, service, picture, WORKER)
    on_a_day = refused(dated, service, picture, WORKER, as_of=D[4].isoformat())
    assert (on_a_day.code, on_a_day.message) == (undated.code, undated.message)
    assert on_a_day.code == "not_found"
    assert dated(service, picture, WORKER_THERE, as_of=D[4].isoformat())["relief"]


def test_out_of_reach_and_bad_dates_are_refused_as_the_undated_read_refuses(service, picture):
    assert parts(dated(service, picture, WORKER, as_of=D[3].isoformat()))["card"] == "applied"
    undated = refused(dated, service, picture, WORKER_THERE)
    on_a_day = refused(dated, service, picture, WORKER_THERE, as_of=D[3].isoformat())
    assert (on_a_day.code, on_a_day.message) == (undated.code, undated.message)
    assert on_a_day.code == "not_found"
    assert_bad_dates_refused_as_the_file_refuses(
        lambda **dates: dated(service, picture, **dates))
    assert TODAY > D[12]
