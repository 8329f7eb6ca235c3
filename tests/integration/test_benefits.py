"""Benefits on the real PostgreSQL: lifecycles, history, deadlines, races, moved clocks, sums to the fen."""
from __future__ import annotations

import functools
import json
import random
from datetime import date, datetime

import eventlet
import pytest

from chassis.caller import Caller
from chassis.clock import SHANGHAI, ManualClock
from chassis.days import WorkingCalendar
from chassis.db import Database
from chassis.deadlines import DeadlineRunner
from chassis.envelope import Metadata, RecordedEvent, new_id
from chassis.projection import ProjectionRunner
from chassis.store import PostgresEventStore
from contracts import benefits as contract
from services.benefits import handlers, projections
from services.benefits.domain import offer as offers
from services.benefits.domain.errors import (
    InvalidRequest,
    NotFound,
    NotYourStep,
    WrongState,
)
from services.benefits.domain.events import ReliefApplied, ReliefApproved, ReliefDisbursed
from tests import benefits_fixtures
from tests.benefits_fixtures import STANDARDS, STATION

# The shared database fixtures, by name, for pytest to find here.
benefits_database_url = benefits_fixtures.benefits_database_url
benefits_db = benefits_fixtures.benefits_db
OTHER_STATION = "孝顺镇退役军人服务站"
START = datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
def store(benefits_db):
    return PostgresEventStore(benefits_db, "benefits_events", upcast=contract.upcast)


@pytest.fixture
def benefits(store, clock):
    return handlers.Benefits(store, STANDARDS, clock=clock)


def person(role: str, subject: str, stations=(), district=True, veteran_id=None,
           command_id=None) -> Caller:
    return Caller(subject=subject, roles=(role,), actor=f"{role}:{subject}", district=district,
                  stations=tuple(stations), veteran_id=veteran_id, command_id=command_id)


WORKER = person("station_worker", "worker-1", stations=(STATION,), district=False)
OFFICER = person("benefits_officer", "officer-1")
APPROVER = person("approver", "approver-1")
SECOND_APPROVER = person("approver", "approver-2")
LEADER = person("leader", "leader-1")


def known_veteran(db, station=STATION, ties=(), discharged=True) -> str:
    veteran_id = new_id()
    with db.transaction() as cur:
        cur.execute("INSERT INTO benefit_veterans (veteran_id, station, township, discharged, "
                    "ties, registry_position) VALUES (%s, %s, '多湖街道', %s, %s, 0)",
                    (veteran_id, station, discharged, list(ties)))
    return veteran_id


NOTICE = {"notice_from": date(2026, 11, 18), "notice_to": date(2026, 11, 25)}


def relief_to_approval(benefits, db, clock, amount=600_000):
    veteran_id = known_veteran(db)
    clock.set(datetime(2026, 11, 17, 9, 0, tzinfo=SHANGHAI))
    applied = benefits.apply_relief({"veteran_id": veteran_id, "trigger": "illness",
                                     "amount_asked_fen": 800_000,
                                     "circumstances": "住院手术"}, WORKER)
    clock.set(START)
    benefits.review_relief(applied.id, {"opinion": "support", "recommended_fen": amount,
                                        "notes": "属实", "objections": False, **NOTICE}, OFFICER)
    return applied.id, veteran_id


def test_relief_from_application_to_closure_with_who_did_what_when(benefits, benefits_db, clock):
    application_id, veteran_id = relief_to_approval(benefits, benefits_db, clock)
    decided = benefits.decide_relief(application_id, {"decision": "approve",
                                                      "approved_fen": 600_000, "special": False},
                                     APPROVER)
    assert (decided.state, decided.version, decided.veteran_id) == ("approved", 3, veteran_id)
    benefits.disburse_relief(application_id, {"paid_fen": 600_000, "paid_on": date(2026, 11, 27),
                                              "reference": "JD-0001"}, OFFICER)
    closed = benefits.close_relief(application_id, {"note": "回访"}, OFFICER)
    assert closed.state == "closed"

    view = benefits.get_relief(application_id, OFFICER)
    assert (view["state"], view["paid_fen"], view["cap_fen"], view["handled_by"],
            view["reviewed_by"], view["decided_by"]) == (
        "closed", 600_000, 660_000, "worker-1", "officer-1", "approver-1")
    assert [(h["event_type"], h["actor"]) for h in view["history"]] == [
        ("ReliefApplied", "station_worker:worker-1"), ("ReliefReviewed", "benefits_officer:officer-1"),
        ("ReliefApproved", "approver:approver-1"), ("ReliefDisbursed", "benefits_officer:officer-1"),
        ("ReliefClosed", "benefits_officer:officer-1")]
    assert view["deadlines"] == [] and view["withheld"] == []
    # A leader reads the facts, not the family's circumstances.
    seen = benefits.get_relief(application_id, LEADER)
    assert seen["circumstances"] is None and "circumstances" in seen["withheld"]
    assert seen["paid_fen"] == 600_000
    listed = benefits.listing("relief_list", projections.list_relief, WORKER)
    assert [(i["application_id"], i["state"], i["paid_fen"]) for i in listed["items"]] == [
        (application_id, "closed", 600_000)]


def test_out_of_reach_is_not_there(benefits, benefits_db, clock):
    application_id, _ = relief_to_approval(benefits, benefits_db, clock)
    elsewhere = person("station_worker", "worker-9", stations=(OTHER_STATION,), district=False)
    with pytest.raises(NotFound):
        benefits.get_relief(application_id, elsewhere)
    with pytest.raises(NotFound):
        benefits.close_relief(application_id, {}, elsewhere)
    assert benefits.listing("relief_list", projections.list_relief, elsewhere)["items"] == []
    far = known_veteran(benefits_db, station=OTHER_STATION)
    with pytest.raises(NotFound):
        benefits.apply_relief({"veteran_id": far, "trigger": "disaster", "amount_asked_fen": 1,
                               "circumstances": "台风"}, WORKER)
    with pytest.raises(NotFound):
        benefits.get_relief(new_id(), OFFICER)


@pytest.mark.parametrize("who", [person("approver", "worker-1"), person("approver", "officer-1")])
def test_the_handler_or_the_reviewer_may_not_approve(benefits, benefits_db, clock, who):
    application_id, _ = relief_to_approval(benefits, benefits_db, clock)
    with pytest.raises(NotYourStep):
        benefits.decide_relief(application_id, {"decision": "approve", "approved_fen": 1,
                                                "special": False}, who)
    assert benefits.get_relief(application_id, OFFICER)["state"] == "reviewed"


def _pause_before_appending(store, seconds=0.05):
    """Every writer loads, then waits here: racing commands all decide on the same version."""
    append = store.append

    def slow_append(*args, **kwargs):
        eventlet.sleep(seconds)
        return append(*args, **kwargs)

    store.append = slow_append


def _race(*calls):
    threads = [eventlet.spawn(call) for call in calls]
    outcomes = []
    for thread in threads:
        try:
            outcomes.append(thread.wait())
        except Exception as exc:  # noqa: BLE001 - the loser's refusal is the point
            outcomes.append(exc)
    return outcomes


def test_two_approvals_at_once_one_wins(benefits_database_url, benefits, benefits_db, clock):
    application_id, _ = relief_to_approval(benefits, benefits_db, clock)
    # Two replicas of the service: their own pools, the same database.
    replicas = [handlers.Benefits(PostgresEventStore(Database(benefits_database_url),
                                                     "benefits_events", contract.upcast),
                                  STANDARDS, clock=clock) for _ in range(2)]
    for replica in replicas:
        _pause_before_appending(replica.store)
    outcomes = _race(*(lambda r=r, a=a, n=n: r.decide_relief(application_id, {
        "decision": "approve", "approved_fen": n, "special": False}, a)
        for r, a, n in zip(replicas, (APPROVER, SECOND_APPROVER), (600_000, 500_000),
                           strict=True)))
    won = [o for o in outcomes if isinstance(o, handlers.Accepted)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], WrongState)
    events = benefits.store.read_stream(application_id)
    assert [e.event_type for e in events].count("ReliefApproved") == 1
    for replica in replicas:
        replica.db.close()


def test_a_grant_is_paid_once_even_when_paid_twice_at_once(benefits_database_url, benefits,
                                                          benefits_db, clock):
    application_id, _ = relief_to_approval(benefits, benefits_db, clock)
    benefits.decide_relief(application_id, {"decision": "approve", "approved_fen": 600_000,
                                            "special": False}, APPROVER)
    replicas = [handlers.Benefits(PostgresEventStore(Database(benefits_database_url),
                                                     "benefits_events", contract.upcast),
                                  STANDARDS, clock=clock) for _ in range(2)]
    for replica in replicas:
        _pause_before_appending(replica.store)
    outcomes = _race(*(lambda r=r, ref=ref: r.disburse_relief(application_id, {
        "paid_fen": 600_000, "paid_on": date(2026, 11, 27), "reference": ref}, OFFICER)
        for r, ref in zip(replicas, ("JD-A", "JD-B"), strict=True)))
    assert sorted(type(o).__name__ for o in outcomes) == ["Accepted", "WrongState"]
    events = benefits.store.read_stream(application_id)
    assert [e.event_type for e in events].count("ReliefDisbursed") == 1
    # The same retried request (its Idempotency-Key) answers with the first payment.
    again = person("benefits_officer", "officer-1", command_id="key-1")
    other_id, _ = relief_to_approval(benefits, benefits_db, clock)
    benefits.decide_relief(other_id, {"decision": "approve", "approved_fen": 600_000,
                                      "special": False}, APPROVER)
    body = {"paid_fen": 600_000, "paid_on": date(2026, 11, 27), "reference": "JD-C"}
    first = benefits.disburse_relief(other_id, body, again)
    assert benefits.disburse_relief(other_id, body, again) == handlers.Accepted(
        other_id, first.veteran_id, "disbursed", first.version, replayed=True)
    # A payment reference pays one grant: another case may not reuse it.
    third, _ = relief_to_approval(benefits, benefits_db, clock)
    benefits.decide_relief(third, {"decision": "approve", "approved_fen": 600_000,
                                   "special": False}, APPROVER)
    with pytest.raises(WrongState):
        benefits.disburse_relief(third, {**body, "reference": "JD-C"}, OFFICER)
    for replica in replicas:
        replica.db.close()


def test_the_cap_refuses_one_fen_over(benefits, benefits_db, clock):
    application_id, _ = relief_to_approval(benefits, benefits_db, clock)
    with pytest.raises(InvalidRequest):
        benefits.decide_relief(application_id, {"decision": "approve", "approved_fen": 660_001,
                                                "special": False}, APPROVER)
    assert benefits.decide_relief(application_id, {"decision": "approve",
                                                   "approved_fen": 660_000, "special": False},
                                  APPROVER).state == "approved"


# -- clocks moved -----------------------------------------------------------------------------------

def registry_event(event_type, veteran_id, **data) -> RecordedEvent:
    return RecordedEvent(event_id=new_id(), event_type=event_type, schema_version=1,
                         stream_id=veteran_id, stream_version=1, position=1,
                         occurred_at=START, recorded_at=START, correlation_id=new_id(),
                         causation_id=None, actor="registry_clerk",
                         data={"veteran_id": veteran_id, **data})


def take(benefits, event):
    with benefits.db.transaction() as cur:
        return benefits.take_registry_event(cur, event)


def test_a_survivor_tie_opens_offers_that_go_on_the_station_list_after_30_days(
        benefits, benefits_db, clock):
    veteran_id = new_id()
    take(benefits, registry_event("VeteranRegistered", veteran_id, service_station=STATION,
                                  township="多湖街道", discharged_year=None))
    opened = take(benefits, registry_event("SurvivorTieMarked", veteran_id, tie="martyr",
                                           relation="father"))
    assert len(opened) == 2
    kinds = {benefits.get_offer(o, OFFICER)["kind"]: o for o in opened}
    assert set(kinds) == {"survivors_pension", "card"}
    offer = benefits.get_offer(kinds["survivors_pension"], WORKER)
    assert (offer["rule"], offer["article"], offer["answer_due_on"]) == (
        "survivor_tie.survivors_pension", "抚恤优待条例 Art. 19", date(2026, 12, 27))
    assert [d["state"] for d in offer["deadlines"]] == ["pending"]
    # A repeat of the fact (another tie) offers nothing twice.
    assert take(benefits, registry_event("SurvivorTieMarked", veteran_id, tie="martyr",
                                         relation="mother")) == []

    overdue = {"overdue": True}
    listed = benefits.listing("offer_list", projections.list_offers, WORKER,
                              today=clock.today(), **overdue)
    assert listed["items"] == []
    clock.advance(days=31)
    report = DeadlineRunner(benefits.store, clock=clock).run_due()
    assert len(report.fired) == 2
    listed = benefits.listing("offer_list", projections.list_offers, WORKER,
                              today=clock.today(), **overdue)
    assert {i["offer_id"] for i in listed["items"]} == set(opened)
    offer = benefits.get_offer(kinds["survivors_pension"], WORKER)
    assert offer["unanswered"] and offer["deadlines"][0]["state"] == "overdue"
    # Answered late, it is still taken, and opens the application it offered.
    with pytest.raises(InvalidRequest):
        benefits.answer_offer(kinds["survivors_pension"], {"answer": "confirm"}, WORKER)
    answered = benefits.answer_offer(kinds["survivors_pension"],
                                     {"answer": "confirm", "relation": "child"}, WORKER)
    assert answered.state == "confirmed"
    offer = benefits.get_offer(kinds["survivors_pension"], WORKER)
    assert offer["deadlines"][0]["late"] is True
    entitlement = benefits.get_entitlement(offer["case_id"], WORKER)
    assert (entitlement["kind"], entitlement["state"], entitlement["tie"], entitlement["offer_id"]) \
        == ("survivors_pension", "applied", "martyr", kinds["survivors_pension"])
    card = benefits.answer_offer(kinds["card"], {"answer": "confirm"}, WORKER)
    assert benefits.get_card(benefits.get_offer(card.id, OFFICER)["case_id"], OFFICER)[
        "category"] == "survivor"


def test_hardship_a_petition_found_becomes_a_relief_offer_then_an_application(
        benefits, benefits_db, clock):
    veteran_id = known_veteran(benefits_db)
    referral = registry_event("HardshipReferred", veteran_id, referral_id=new_id(),
                              source="petition", source_id=new_id(), service_station=STATION,
                              trigger="old_wound", referred_on="2026-11-27")
    offer_id = take_referral(benefits, referral)
    assert take_referral(benefits, referral) is None  # once per referral
    offer = benefits.get_offer(offer_id, WORKER)
    assert (offer["kind"], offer["rule"], offer["relief_trigger"]) == (
        "relief", "hardship_referral.relief", "recurring_wound")
    with pytest.raises(InvalidRequest) as refused:
        benefits.answer_offer(offer_id, {"answer": "confirm"}, WORKER)
    assert set(refused.value.fields) == {"amount_asked_fen", "circumstances"}
    benefits.answer_offer(offer_id, {"answer": "confirm", "amount_asked_fen": 300_000,
                                     "circumstances": "旧伤复发住院"}, WORKER)
    application = benefits.get_relief(benefits.get_offer(offer_id, WORKER)["case_id"], OFFICER)
    assert (application["state"], application["trigger"], application["amount_asked_fen"],
            application["handled_by"], application["veteran_id"]) == (
        "applied", "recurring_wound", 300_000, "worker-1", veteran_id)


def take_referral(benefits, event):
    with benefits.db.transaction() as cur:
        return benefits.take_hardship_referral(cur, event)


def test_a_discharge_offers_the_card_once(benefits, benefits_db, clock):
    veteran_id = new_id()
    take(benefits, registry_event("VeteranRegistered", veteran_id, service_station=STATION,
                                  township="多湖街道", discharged_year=None))
    (offer_id,) = take(benefits, registry_event("DischargeRecorded", veteran_id,
                                                discharged_year=2026,
                                                discharge_category="discharged_soldier",
                                                rank="上士"))
    declined = benefits.answer_offer(offer_id, {"answer": "decline", "reason": "已有"}, WORKER)
    assert declined.state == "declined"
    assert take(benefits, registry_event("DischargeRecorded", veteran_id, discharged_year=2026,
                                         discharge_category="transferred_nco", rank="上士")) == []


def test_the_card_filing_clock_counts_working_days_and_fires_once(benefits, benefits_db, clock):
    veteran_id = known_veteran(benefits_db)
    clock.set(datetime(2026, 9, 24, 9, 0, tzinfo=SHANGHAI))
    card = benefits.apply_card({"veteran_id": veteran_id, "category": "veteran"}, WORKER)
    benefits.record_card_step(card.id, {"step": "county_check", "done_on": date(2026, 9, 24)},
                              OFFICER)
    view = benefits.get_card(card.id, OFFICER)
    # 30 working days from Thursday 24 September 2026: Mid-Autumn (25-27 September) and
    # National Day (1-7 October) are off, Saturday 10 October is a make-up working day.
    assert view["filing_due_on"] == date(2026, 11, 12)
    assert [(d["name"], d["due_on"]) for d in view["deadlines"]] == [
        ("province_filing", date(2026, 11, 12))]
    clock.set(datetime(2026, 11, 12, 23, 59, tzinfo=SHANGHAI))
    assert DeadlineRunner(benefits.store, clock=clock).run_due().fired == []
    clock.advance(minutes=2)
    runner = DeadlineRunner(benefits.store, clock=clock)
    assert len(runner.run_due().fired) == 1
    assert runner.run_due().fired == []
    overdue = benefits.listing("card_list", projections.list_cards, OFFICER, overdue=True)
    assert [i["card_id"] for i in overdue["items"]] == [card.id]
    with pytest.raises(NotYourStep):  # a station hands the card out, nothing more
        benefits.record_card_step(card.id, {"step": "bureau_approval",
                                            "done_on": date(2026, 11, 12)}, WORKER)


def test_a_year_whose_holidays_are_not_known_waits_for_them_rather_than_guess(
        benefits, benefits_db, clock, tmp_path):
    clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI))
    card = benefits.apply_card({"veteran_id": known_veteran(benefits_db),
                                "category": "veteran"}, WORKER)
    # 30 working days from 27 November 2026 run into 2027, whose holidays are not published:
    # the county's check is recorded (the office's work is not refused), its clock waits.
    benefits.record_card_step(card.id, {"step": "county_check", "done_on": date(2026, 11, 27)},
                              OFFICER)
    view = benefits.get_card(card.id, OFFICER)
    assert (view["state"], view["filing_due_on"]) == ("county_checked", None)
    assert view["clocks_waiting_for_calendar"] == ["province_filing"]
    assert view["deadlines"] == []
    assert benefits.set_card_clocks() == 0  # still unknown: nothing guessed, nothing written
    assert benefits.get_card(card.id, OFFICER)["version"] == view["version"]
    benefits.record_card_step(card.id, {"step": "bureau_approval",
                                        "done_on": date(2026, 11, 27)}, OFFICER)
    # The notice is published: the clock counts from the county's check, once.
    (tmp_path / "2027.json").write_text(json.dumps({
        "year": 2027, "source": "a test calendar", "holidays": ["2027-01-01"],
        "workdays": []}), encoding="utf-8")
    benefits.working_days = functools.partial(handlers.working_days,
                                              calendar=WorkingCalendar(tmp_path))
    assert benefits.set_card_clocks() == 1
    assert benefits.set_card_clocks() == 0
    view = benefits.get_card(card.id, OFFICER)
    # 27 November 2026 + 30 working days: 24 in December 2026 (Mon-Fri), 1 January off, then
    # 4-8 January 2027 and Monday 11 January.
    assert view["filing_due_on"] == date(2027, 1, 11)
    assert view["clocks_waiting_for_calendar"] == []
    assert [(d["name"], d["due_on"]) for d in view["deadlines"]] == [
        ("province_filing", date(2027, 1, 11))]
    assert view["history"][-1]["event_type"] == "CardClockSet"
    listed = benefits.listing("card_list", projections.list_cards, OFFICER)
    assert [i["filing_due_on"] for i in listed["items"] if i["card_id"] == card.id] == [
        date(2027, 1, 11)]


def test_the_yearly_confirmation_falls_due_and_is_met_late(benefits, benefits_db, clock):
    veteran_id = known_veteran(benefits_db, ties=("martyr",))
    applied = benefits.apply_entitlement({"veteran_id": veteran_id, "kind": "survivors_pension",
                                          "tie": "martyr", "relation": "parent"}, WORKER)
    benefits.review_entitlement(applied.id, {"opinion": "support", "notes": "无劳动能力"}, OFFICER)
    approved = benefits.decide_entitlement(applied.id, {"decision": "approve"}, APPROVER)
    assert approved.state == "active"
    clock.advance(days=366)
    assert len(DeadlineRunner(benefits.store, clock=clock).run_due().fired) == 1
    view = benefits.get_entitlement(applied.id, OFFICER)
    assert view["confirmation_overdue"] and view["deadlines"][0]["state"] == "overdue"
    benefits.confirm_entitlement(applied.id, {}, WORKER)
    view = benefits.get_entitlement(applied.id, OFFICER)
    assert not view["confirmation_overdue"] and view["confirmed_year"] == 2027
    assert [(d["generation"], d["state"], d["late"]) for d in view["deadlines"]] == [
        (1, "met", True), (2, "pending", False)]
    priority = benefits.listing("entitlement_list", projections.priority_beneficiaries, WORKER)
    assert [(i["veteran_id"], i["kinds"]) for i in priority["items"]] == [
        (veteran_id, ["survivors_pension"])]
    ended = benefits.end_entitlement(applied.id, {"reason": "death", "died_of_illness": False,
                                                  "recover_fen": 0}, OFFICER)
    assert ended.state == "ended"
    assert benefits.get_entitlement(applied.id, OFFICER)["funeral_aid_fen"] == 1_399_000
    assert benefits.listing("entitlement_list", projections.priority_beneficiaries,
                            WORKER)["items"] == []


# -- money and visits --------------------------------------------------------------------------------

def test_thousands_of_grants_sum_exactly_to_the_fen(benefits, benefits_db, store):
    """2,000 grants written as the service writes them, then the figures from the read model."""
    rng = random.Random(435)
    paid = []
    meta = Metadata(actor="benefits_officer:officer-1")
    for n in range(2_000):
        application_id, veteran_id = new_id(), new_id()
        amount = rng.randrange(1, 1_320_001)
        paid.append(amount)
        events = [
            ReliefApplied(application_id, veteran_id, STATION, "多湖街道", "illness", amount,
                          "x", date(2026, 1, 5), "worker-1"),
            ReliefApproved(application_id, veteran_id, "approver-1", amount, 1_320_000, "cap",
                           True, "重大疾病", date(2026, 2, 1)),
            ReliefDisbursed(application_id, veteran_id, amount, date(2026, 3, 1 + n % 28),
                            f"JD-{n}", "officer-1"),
        ]
        store.append(application_id, [contract.to_new_event(e) for e in events], 0, meta)
    figures = benefits.figures(date(2026, 1, 1), date(2026, 12, 31))
    assert (figures["relief_grants"], figures["relief_paid_fen"]) == (2_000, sum(paid))
    assert figures["relief_people"] == 2_000
    march_first = benefits.figures(date(2026, 3, 1), date(2026, 3, 1))
    assert march_first["relief_paid_fen"] == sum(p for n, p in enumerate(paid) if n % 28 == 0)


def test_concurrent_visits_to_one_campaign_never_conflict_and_total_exactly(
        benefits, benefits_db, clock):
    campaign = benefits.open_campaign({"name": "2026年冬季走访慰问", "kind": "festival",
                                       "starts_on": date(2026, 11, 1), "ends_on": date(2026, 12, 31),
                                       "budget_fen": 5_000_000}, OFFICER)
    veterans = [known_veteran(benefits_db, ties=("martyr",) if n % 5 == 0 else ())
                for n in range(40)]
    _pause_before_appending(benefits.store, 0.01)
    amounts = [random.Random(n).randrange(10_000, 100_000) for n in range(60)]
    outcomes = _race(*(lambda n=n: benefits.record_visit({
        "campaign_id": campaign.id, "veteran_id": veterans[n % 40], "visited_on": date(2026, 11, 27),
        "visitors": "区委书记、站长", "amount_fen": amounts[n], "goods": "米、油",
        "goods_value_fen": 15_000, "hardship_found": False}, OFFICER) for n in range(60)))
    assert all(isinstance(o, handlers.Accepted) for o in outcomes), outcomes
    view = benefits.get_campaign(campaign.id, LEADER)
    assert (view["visits"], view["people"], view["amount_fen"], view["goods_value_fen"]) == (
        60, 40, sum(amounts), 60 * 15_000)
    assert view["spent_fen"] == sum(amounts) + 900_000
    assert view["remaining_fen"] == 5_000_000 - view["spent_fen"]
    assert sum(s["amount_fen"] for s in view["by_station"]) == sum(amounts)
    # A visit recorded in error leaves the totals.
    benefits.withdraw_visit(outcomes[0].id, {"reason": "重复登记"}, OFFICER)
    view = benefits.get_campaign(campaign.id, LEADER)
    assert (view["visits"], view["amount_fen"]) == (59, sum(amounts) - amounts[0])
    figures = benefits.figures(date(2026, 11, 1), date(2026, 11, 30))
    assert (figures["visits"], figures["people_visited"], figures["survivor_families_visited"]) \
        == (59, 40, 8)
    benefits.close_campaign(campaign.id, {}, OFFICER)
    with pytest.raises(WrongState):
        benefits.record_visit({"campaign_id": campaign.id, "veteran_id": veterans[0],
                               "visited_on": date(2026, 11, 27), "visitors": "站长",
                               "amount_fen": 0, "goods_value_fen": 0,
                               "hardship_found": False}, OFFICER)


def test_the_read_models_rebuild_to_what_they_were(benefits, benefits_db, clock):
    application_id, _ = relief_to_approval(benefits, benefits_db, clock)
    benefits.decide_relief(application_id, {"decision": "reject", "reason": "不符合"}, APPROVER)
    veteran_id = known_veteran(benefits_db)
    clock.set(datetime(2026, 9, 24, 9, 0, tzinfo=SHANGHAI))
    card = benefits.apply_card({"veteran_id": veteran_id, "category": "veteran"}, WORKER)
    benefits.record_card_step(card.id, {"step": "county_check", "done_on": date(2026, 9, 24)},
                              OFFICER)
    benefits.catch_up()

    def snapshot():
        with benefits_db.transaction() as cur:
            out = {}
            for table in ("relief_list", "entitlement_list", "card_list", "offer_list",
                          "campaign_list", "visit_list"):
                cur.execute(f"SELECT * FROM {table} ORDER BY 1")
                out[table] = cur.fetchall()
            return out

    before = snapshot()
    for projection in projections.PROJECTIONS.values():
        ProjectionRunner(benefits.store, projection).rebuild(show_progress=False)
    assert snapshot() == before


def test_every_stored_event_loads_and_publishes(benefits, benefits_db, clock):
    """Whatever the lifecycles above wrote reads back through the stored schemas and the
    public forms: no event type stored that the relay could not publish."""
    veteran_id = known_veteran(benefits_db, ties=("martyr",))
    applied = benefits.apply_entitlement({"veteran_id": veteran_id, "kind": "martyr_commendation",
                                          "tie": "martyr"}, OFFICER)
    benefits.review_entitlement(applied.id, {"opinion": "support", "notes": "烈士证"}, OFFICER)
    with pytest.raises(Exception) as missing:  # the test table has the figure; 2028 does not
        clock.set(datetime(2028, 1, 3, 9, 0, tzinfo=SHANGHAI))
        benefits.decide_entitlement(applied.id, {"decision": "approve"}, APPROVER)
    assert missing.value.code == "conflict"
    clock.set(START)
    benefits.decide_entitlement(applied.id, {"decision": "approve"}, APPROVER)
    amount = benefits.get_entitlement(applied.id, OFFICER)["amount_fen"]
    assert amount == 30 * 5_418_800
    benefits.pay_entitlement(applied.id, {"paid_fen": amount, "paid_on": date(2026, 11, 27),
                                          "reference": "JD-褒扬-1"}, OFFICER)
    for event in benefits.store.read_all(0, 1000):
        contract.load_data(event)
        assert set(contract.public_form(event)) == set(
            contract.PUBLIC_SCHEMAS[event.event_type]._declared_fields)


def test_an_answer_running_twice_at_once_is_a_replay_not_a_refusal(benefits, benefits_db, clock):
    veteran_id = new_id()
    take(benefits, registry_event("VeteranRegistered", veteran_id, service_station=STATION,
                                  township="多湖街道", discharged_year=None))
    (offer_id,) = take(benefits, registry_event("DischargeRecorded", veteran_id,
                                                discharged_year=2026,
                                                discharge_category="discharged_soldier",
                                                rank="上士"))
    keyed = person("station_worker", "zhou.min", stations=(STATION,), district=False,
                   command_id="gateway:station_worker:answer-1")
    body = {"answer": "confirm"}
    plain_load, first = benefits.load, []

    def load_after_the_other_copy(cls, stream_id):
        # The interleaving a retried request meets: this copy found no record of the key,
        # then the other copy (the first request, still queued) answered; then this one loads.
        if cls is offers.Offer and not first:
            first.append(None)
            first[0] = benefits.answer_offer(offer_id, dict(body), keyed)
        return plain_load(cls, stream_id)

    benefits.load = load_after_the_other_copy
    second = benefits.answer_offer(offer_id, dict(body), keyed)
    benefits.load = plain_load
    assert (first[0].replayed, second.replayed) == (False, True)
    assert (second.state, second.version) == ("confirmed", first[0].version)
    assert [e.event_type for e in benefits.store.read_stream(offer_id)].count(
        "OfferConfirmed") == 1
