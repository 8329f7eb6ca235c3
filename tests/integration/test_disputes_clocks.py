"""Petitions on the real PostgreSQL: their clocks set, met, replaced and fired once, across a restart."""
from dataclasses import replace
from datetime import date, datetime

import pytest
from nameko.containers import ServiceContainer
from nameko.testing.services import entrypoint_hook

from chassis.caller import Caller
from chassis.clock import SHANGHAI, ManualClock
from chassis.db import Database
from chassis.deadlines import DeadlineRunner, Deadlines
from chassis.errors import ClaimTaken
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.projection import ProjectionRunner
from chassis.store import PostgresEventStore
from contracts import disputes as contract
from services.disputes import handlers
from services.disputes.domain import model
from services.disputes.domain.clocks import ClockRules
from services.disputes.domain.errors import CaseNotFound, NotYours, StepRefused
from services.disputes.domain.vocabulary import CaseKind
from services.disputes.projections import PROJECTIONS
from services.disputes.service import DisputesService
from tests.conftest import fresh_database, truncate, wait_until

STATION = "多湖街道退役军人服务站"
OTHER_STATION = "孝顺镇退役军人服务站"
VETERAN = "3f2b9c1e-8a4d-4e6f-9b1a-2c3d4e5f6a7b"
# Monday 2 November 2026, 09:00 in Jinhua: five working days later is Monday 9 November.
MONDAY_MORNING = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)

OFFICER = Caller("officer-wang", ("disputes_officer",), "disputes_officer:officer-wang",
                 district=True)
APPROVER = Caller("approver-zhao", ("approver",), "approver:approver-zhao", district=True)
STATION_WORKER = Caller("worker-li", ("station_worker",), "station_worker:worker-li",
                        stations=(STATION,))
OTHER_WORKER = Caller("worker-xu", ("station_worker",), "station_worker:worker-xu",
                      stations=(OTHER_STATION,))
THE_VETERAN = Caller("vet", ("veteran",), "veteran:vet", veteran_id=VETERAN)


@pytest.fixture(scope="module")
def disputes_database_url():
    return fresh_database("vetlife_disputes_test",
                          [CHASSIS_MIGRATIONS, service_migrations("disputes")])


@pytest.fixture
def db(disputes_database_url):
    db = Database(disputes_database_url)
    truncate(db, "deadlines", "petition_list", "case_index", "disputes_facts",
             "proxy_case_list")
    yield db
    db.close()


@pytest.fixture
def store(db):
    return PostgresEventStore(db, "disputes_events", upcast=contract.upcast)


@pytest.fixture
def clock():
    return ManualClock(MONDAY_MORNING)


RULES = ClockRules()


def ctx(clock, caller=OFFICER, rules=RULES):
    return handlers.Context(clock, rules, handlers.ChassisWorkingDays(), caller, "corr-test")


def lodge(store, clock, caller=OFFICER, **overrides):
    body = dict(service_station=STATION, channel="in_person", petitioner_kind="veteran",
                petitioner_name="陈志强", category="benefits", request="补发定期生活补助",
                facts="2019年起停发", veteran_id=VETERAN)
    body.update(overrides)
    return handlers.lodge_petition(store, model.LodgePetition(**body), body, ctx(clock, caller))


def act(store, clock, petition_id, decide, caller=OFFICER, kind=CaseKind.PETITION, name="step"):
    return handlers.change_case(store, kind, petition_id, name, {"step": name},
                                lambda case: decide(case, ctx(clock, caller)), ctx(clock, caller))


def accept(store, clock, petition_id):
    return act(store, clock, petition_id, lambda p, x: p.decide_intake(
        model.DecideIntake("accept", "已受理"), x.today, x.rules), name="accept")


def assign(store, clock, petition_id, handler="officer-wang"):
    return act(store, clock, petition_id, lambda p, x: p.assign_handler(
        model.AssignHandler(handler), x.today), name="assign")


def views(store, clock, petition_id, caller=OFFICER):
    return handlers.petition_reply(store, petition_id, ctx(clock, caller))


def clocks(reply):
    return {(d["name"], d["generation"]): (d["due_on"], d["state"], d["late"])
            for d in reply["deadlines"]}


def event_types(store, petition_id):
    return [e.event_type for e in store.read_stream(petition_id)]


def overdue_list(store, clock, caller=OFFICER, **query):
    return handlers.petition_list(store, {"overdue": True, "page": 1, "page_size": 50, **query},
                                  ctx(clock, caller))


# -- intake: day 5 and day 6 ------------------------------------------------------------------------

def test_the_intake_decided_on_working_day_5_meets_its_clock_and_nothing_fires(store, clock):
    pid = lodge(store, clock)["case_id"]
    assert clocks(views(store, clock, pid))[("intake", 1)] == (date(2026, 11, 9), "pending",
                                                               False)

    clock.set(datetime(2026, 11, 9, 17, 30, tzinfo=SHANGHAI))  # the fifth working day
    accept(store, clock, pid)
    clock.set(datetime(2026, 11, 12, tzinfo=SHANGHAI))
    assert DeadlineRunner(store, clock).run_due().fired == []

    reply = views(store, clock, pid)
    assert reply["state"] == "accepted" and reply["intake"]["late"] is False
    assert clocks(reply)[("intake", 1)] == (date(2026, 11, 9), "met", False)
    assert clocks(reply)[("opinion", 1)] == (date(2027, 1, 8), "pending", False)
    assert "PetitionIntakeOverdue" not in event_types(store, pid)


def test_no_decision_by_the_end_of_working_day_5_fires_once_and_day_6_is_late(store, clock):
    pid = lodge(store, clock)["case_id"]
    runner = DeadlineRunner(store, clock)
    clock.set(datetime(2026, 11, 9, 23, 59, tzinfo=SHANGHAI))
    assert runner.run_due().fired == [] and overdue_list(store, clock)["total"] == 0

    clock.set(datetime(2026, 11, 10, 0, 0, tzinfo=SHANGHAI))  # 24:00 on the fifth working day
    assert len(runner.run_due().fired) == 1
    assert runner.run_due().fired == []
    listed = overdue_list(store, clock, STATION_WORKER)  # per station, before any escalation
    assert [(i["petition_id"], i["overdue"]) for i in listed["items"]] == [(pid, ["intake"])]
    assert overdue_list(store, clock, OTHER_WORKER)["total"] == 0
    assert views(store, clock, pid)["overdue"] == ["intake"]

    clock.set(datetime(2026, 11, 10, 10, 0, tzinfo=SHANGHAI))  # working day 6
    accept(store, clock, pid)
    reply = views(store, clock, pid)
    assert reply["intake"]["late"] is True and reply["overdue"] == []
    assert clocks(reply)[("intake", 1)] == (date(2026, 11, 9), "met", True)
    assert event_types(store, pid).count("PetitionIntakeOverdue") == 1
    assert overdue_list(store, clock)["total"] == 0


# -- the opinion's clock: extended once, replaced, fired once across a restart ---------------------

def handled(store, clock):
    pid = lodge(store, clock)["case_id"]
    accept(store, clock, pid)
    assign(store, clock, pid)
    return pid


def test_an_approved_extension_replaces_the_opinion_clock_and_the_old_due_never_fires(store,
                                                                                      clock):
    pid = handled(store, clock)
    act(store, clock, pid, lambda p, x: p.request_extension(
        model.RequestExtension(30, "需调取记录"), x.caller.subject, x.today, x.rules))
    with pytest.raises(NotYours):  # the handler asked: they may not approve it
        act(store, clock, pid, lambda p, x: p.decide_extension(
            model.DecideExtension(True), x.caller.subject, x.today))
    act(store, clock, pid, lambda p, x: p.decide_extension(
        model.DecideExtension(True), x.caller.subject, x.today), caller=APPROVER)

    reply = views(store, clock, pid)
    assert reply["opinion_due_on"] == date(2027, 1, 31)
    assert clocks(reply)[("opinion", 2)] == (date(2027, 1, 31), "pending", False)
    assert ("opinion", 1) not in clocks(reply)  # cancelled: replaced
    assert reply["extension"]["petitioner_told_on"] == date(2026, 11, 2)

    clock.set(datetime(2027, 1, 10, tzinfo=SHANGHAI))  # past the first due day
    assert DeadlineRunner(store, clock).run_due().fired == []
    with pytest.raises(StepRefused, match="once"):
        act(store, clock, pid, lambda p, x: p.request_extension(
            model.RequestExtension(5, "再延"), x.caller.subject, x.today, x.rules))
    clock.set(datetime(2027, 2, 1, tzinfo=SHANGHAI))  # 24:00 on 31 January
    assert len(DeadlineRunner(store, clock).run_due().fired) == 1
    assert event_types(store, pid).count("PetitionOpinionOverdue") == 1
    assert [i["petition_id"] for i in overdue_list(store, clock, handler="officer-wang")[
        "items"]] == [pid]
    assert overdue_list(store, clock, handler="officer-li")["total"] == 0


class DisputesWithClock(DisputesService):
    """The disputes service as deployed, its runner on the test's clock."""


def test_the_opinion_overdue_fires_once_across_a_restart_of_the_service_and_its_runner(
        disputes_database_url, amqp_uri, store, db, clock):
    DisputesWithClock.deadlines = Deadlines(interval=0.05, clock=clock)
    config = {"DATABASE_URL": disputes_database_url, "AMQP_URI": amqp_uri}

    first = ServiceContainer(DisputesWithClock, config)
    first.start()
    try:
        with entrypoint_hook(first, "lodge_petition") as lodge_rpc:
            pid = lodge_rpc({}, {"service_station": STATION, "channel": "letter",
                                 "petitioner_kind": "veteran", "petitioner_name": "陈志强",
                                 "category": "pension", "request": "核定抚恤", "facts": "事实",
                                 "veteran_id": VETERAN}, None, OFFICER.as_dict())["case_id"]
        for name, body in (("decide_intake", {"decision": "accept", "notice": "已受理"}),
                           ("assign_handler", {"handler": "officer-wang"})):
            with entrypoint_hook(first, name) as command:
                command({"petition_id": pid}, body, None, OFFICER.as_dict())
    finally:
        first.kill()  # the service and its deadline runner die; the due time passes meanwhile

    clock.set(datetime(2027, 1, 2, 8, 0, tzinfo=SHANGHAI))  # the opinion was due on 1 January
    assert "PetitionOpinionOverdue" not in event_types(store, pid)
    for _ in range(2):  # restarted, and restarted again
        container = ServiceContainer(DisputesWithClock, config)
        container.start()
        try:
            wait_until(lambda: "PetitionOpinionOverdue" in event_types(store, pid),
                       what="the restarted runner to fire the overdue opinion")
            with entrypoint_hook(container, "list_petitions") as listing:
                listed = listing({}, None, {"overdue": "true", "handler": "officer-wang"},
                                 OFFICER.as_dict())
            assert [(i["petition_id"], i["overdue"]) for i in listed["items"]] == [
                (pid, ["opinion"])]
        finally:
            container.stop()
    assert event_types(store, pid).count("PetitionOpinionOverdue") == 1
    (fired,) = [e for e in store.read_stream(pid) if e.event_type == "PetitionOpinionOverdue"]
    assert fired.actor == "system:deadlines" and fired.data == {"petition_id": pid,
                                                                "due_on": "2027-01-01"}


# -- review windows ---------------------------------------------------------------------------------

def answered(store, clock):
    pid = handled(store, clock)
    act(store, clock, pid, lambda p, x: p.issue_opinion(
        model.IssueOpinion("explain", "说明"), x.today, x.rules))
    return pid


def test_an_unused_review_window_makes_the_opinion_final_when_it_runs_out(store, clock):
    pid = answered(store, clock)
    assert clocks(views(store, clock, pid))[("review_window", 1)][0] == date(2026, 12, 2)
    clock.set(datetime(2026, 12, 3, tzinfo=SHANGHAI))
    assert len(DeadlineRunner(store, clock).run_due().fired) == 1
    assert views(store, clock, pid)["state"] == "final"
    with pytest.raises(StepRefused, match="final"):
        act(store, clock, pid, lambda p, x: p.request_review(model.RequestReview("理由"),
                                                             x.today, x.rules),
            caller=THE_VETERAN)


def test_a_review_and_re_review_each_meet_their_window_and_run_their_answer_clock(store, clock):
    pid = answered(store, clock)
    clock.set(datetime(2026, 12, 2, 20, 0, tzinfo=SHANGHAI))  # the 30th day
    act(store, clock, pid, lambda p, x: p.request_review(model.RequestReview("理由"), x.today,
                                                         x.rules), caller=THE_VETERAN)
    reply = views(store, clock, pid, THE_VETERAN)
    assert reply["state"] == "under_review"
    assert clocks(reply)[("review_window", 1)] == (date(2026, 12, 2), "met", False)
    assert clocks(reply)[("review_answer", 1)] == (date(2027, 1, 1), "pending", False)
    clock.set(datetime(2027, 1, 2, tzinfo=SHANGHAI))
    DeadlineRunner(store, clock).run_due()
    assert views(store, clock, pid)["overdue"] == ["review_answer"]
    act(store, clock, pid, lambda p, x: p.answer_review(model.AnswerReview("upheld", "维持"),
                                                        x.today, x.rules))
    reply = views(store, clock, pid)
    assert reply["reviews"][0]["late"] is True and reply["state"] == "reviewed"
    assert clocks(reply)[("re_review_window", 1)] == (date(2027, 2, 1), "pending", False)


# -- one matter, one open petition ----------------------------------------------------------------

def test_the_same_matter_lodged_again_while_open_is_linked_not_opened_twice(store, clock):
    first = lodge(store, clock)
    again = lodge(store, clock, channel="letter", forwarded_from_level="province")
    other_matter = lodge(store, clock, category="housing")

    assert first["first_time"] and not first["linked"]
    assert again["linked"] and again["case_id"] == first["case_id"]
    assert other_matter["case_id"] != first["case_id"] and other_matter["first_time"]
    reply = views(store, clock, first["case_id"])
    assert [r["channel"] for r in reply["repeats"]] == ["letter"]
    assert [(e["level"], e["reason"]) for e in reply["escalations"]] == [
        ("province", "went_higher_while_open")]


def test_two_lodgings_racing_for_one_matter_cannot_both_open_a_petition(store, clock):
    lodge(store, clock)
    stale = model.MatterHistory(f"veteran:{VETERAN}:benefits")  # what a racing lodger read
    decision = model.lodge(model.LodgePetition(
        STATION, "phone", "veteran", "陈志强", "benefits", "同上", "同上", veteran_id=VETERAN),
        "p-racer", date(2026, 11, 2), ClockRules(), handlers.ChassisWorkingDays(), stale)
    with pytest.raises(ClaimTaken):
        handlers._open(store, CaseKind.PETITION, "p-racer", decision, ctx(clock), "r",
                       claims=[(handlers.MATTER_CLAIM, f"{stale.matter_key}#1")])
    assert store.read_stream("p-racer") == []


def test_a_new_petition_on_a_matter_answered_finally_is_flagged(store, clock):
    pid = answered(store, clock)
    clock.set(datetime(2026, 12, 3, tzinfo=SHANGHAI))
    DeadlineRunner(store, clock).run_due()  # the review window ran out: final
    again = lodge(store, clock)
    assert not again["linked"] and again["closed_matter"] and not again["first_time"]
    reply = views(store, clock, again["case_id"])
    assert reply["earlier_petition_id"] == pid
    with pytest.raises(StepRefused, match="Art. 36"):
        accept(store, clock, again["case_id"])


def test_a_retried_lodging_answers_the_first_result(store, clock):
    keyed = replace(OFFICER, command_id="gateway:abc:lodging-1")
    first = lodge(store, clock, keyed)
    retry = lodge(store, clock, keyed)
    assert (retry["case_id"], retry["replayed"], retry["linked"]) == (first["case_id"], True,
                                                                     False)
    linked = lodge(store, clock, replace(OFFICER, command_id="gateway:abc:lodging-2"))
    retried_link = lodge(store, clock, replace(OFFICER, command_id="gateway:abc:lodging-2"))
    assert linked["linked"] and retried_link["linked"] and retried_link["replayed"]
    assert event_types(store, first["case_id"]).count("RepeatPetitionLinked") == 1


# -- reach --------------------------------------------------------------------------------------------

def test_each_caller_reaches_only_their_own_petitions(store, clock):
    pid = lodge(store, clock, STATION_WORKER)["case_id"]
    with pytest.raises(NotYours):
        lodge(store, clock, OTHER_WORKER, category="housing")
    with pytest.raises(CaseNotFound):
        views(store, clock, pid, OTHER_WORKER)
    with pytest.raises(CaseNotFound):
        act(store, clock, pid, lambda p, x: p.decide_intake(
            model.DecideIntake("accept", "x"), x.today, x.rules), caller=OTHER_WORKER)
    # A veteran lodges for their own file, whatever the body names.
    own = lodge(store, clock, THE_VETERAN, veteran_id=None, category="medical")
    assert views(store, clock, own["case_id"], THE_VETERAN)["veteran_id"] == VETERAN
    assert {i["petition_id"] for i in handlers.petition_list(
        store, {"page": 1, "page_size": 20}, ctx(clock, THE_VETERAN))["items"]} == {
        pid, own["case_id"]}
    lodge(store, clock, veteran_id="9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a")  # someone else's
    assert {i["petition_id"] for i in handlers.petition_list(
        store, {"veteran_id": VETERAN, "page": 1, "page_size": 20}, ctx(clock))["items"]} == {
        pid, own["case_id"]}
    stranger = replace(THE_VETERAN, veteran_id="9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a")
    with pytest.raises(CaseNotFound):
        views(store, clock, pid, stranger)
    dispute = handlers.open_dispute(store, model.OpenDispute(
        STATION, "housing", "双方", "纠纷", veteran_id=VETERAN), {"x": 1}, ctx(clock))
    with pytest.raises(CaseNotFound):  # a dispute's id is no petition
        views(store, clock, dispute.case_id)


# -- disputes, legal aid, hardship, figures ----------------------------------------------------------

def test_legal_aid_decision_overdue_fires_on_the_8th_day(store, clock):
    done = handlers.open_dispute(store, model.OpenDispute(
        STATION, "housing", "退役军人与村委会", "宅基地纠纷", veteran_id=VETERAN), {"n": 1},
        ctx(clock))
    act(store, clock, done.case_id, lambda d, x: d.refer_legal_aid(
        model.ReferLegalAid(), x.today, x.rules), kind=CaseKind.DISPUTE)
    clock.set(datetime(2026, 11, 10, tzinfo=SHANGHAI))  # 24:00 on 9 November, the 7th day
    assert len(DeadlineRunner(store, clock).run_due().fired) == 1
    reply = handlers.dispute_reply(store, done.case_id, ctx(clock))
    assert reply["overdue"] == ["legal_aid_decision"]
    assert "LegalAidDecisionOverdue" in event_types(store, done.case_id)


def test_hardship_found_in_a_petition_is_a_referral_on_the_bus_without_the_note(store, clock):
    pid = lodge(store, clock)["case_id"]
    reply = handlers.refer_hardship(store, model.ReferHardship("illness", "妻子重病，无力负担"),
                                    CaseKind.PETITION, pid, {"trigger": "illness"}, ctx(clock))
    (event,) = [e for e in store.read_stream(pid) if e.event_type == "HardshipReferred"]
    public = contract.public_form(event)
    assert public == {"referral_id": reply["referral_id"], "source": "petition",
                      "source_id": pid, "veteran_id": VETERAN, "service_station": STATION,
                      "trigger": "illness", "referred_on": "2026-11-02"}


def test_the_figures_count_the_period_and_show_each_escalation(store, clock):
    pid = handled(store, clock)
    lodge(store, clock, category="housing")
    act(store, clock, pid, lambda p, x: p.record_escalation(
        model.RecordEscalation("province", "dissatisfied", "赴省"), x.today))
    proxy = handlers.open_proxy_case(store, model.OpenProxyCase(
        VETERAN, STATION, "card", "代办优待证", "militia_head", "民兵连长张伟"), {"p": 1}, ctx(clock))
    act(store, clock, proxy.case_id, lambda c, x: c.close(model.CloseProxyCase("completed"),
                                                         x.today), kind=CaseKind.PROXY_CASE)

    figures = handlers.figures(store, {}, ctx(clock))
    assert figures["petitions"]["lodged"] == 2 and figures["petitions"]["first_time"] == 2
    assert figures["petitions"]["accepted"] == 1
    assert figures["proxy_cases"] == {"opened": 1, "completed": 1, "not_completed": 0}
    assert figures["escalations"]["to_province_or_capital"] == 1
    assert figures["escalations"]["target_met"] is False
    assert figures["escalations"]["items"] == [{
        "petition_id": pid, "service_station": STATION, "level": "province",
        "reason": "dissatisfied", "escalated_on": date(2026, 11, 2)}]
    later = handlers.figures(store, {"from_": date(2026, 12, 1), "to": date(2026, 12, 31)},
                             ctx(clock))
    assert later["petitions"]["lodged"] == 0 and later["escalations"]["target_met"]
    other = handlers.figures(store, {}, ctx(clock, OTHER_WORKER))
    assert other["petitions"]["lodged"] == 0
    listed = handlers.proxy_case_list(store, {"veteran_id": VETERAN, "page": 1,
                                              "page_size": 20}, ctx(clock, THE_VETERAN))
    assert [(i["proxy_case_id"], i["state"], i["matter_kind"], i["closed_on"])
            for i in listed["items"]] == [(proxy.case_id, "completed", "card", date(2026, 11, 2))]
    assert "民兵连长张伟" not in str(listed)
    assert handlers.proxy_case_list(store, {"page": 1, "page_size": 20},
                                    ctx(clock, OTHER_WORKER))["total"] == 0
    assert contract.FiguresReply().dump({**figures})["from"] == "2026-01-01"


def test_a_read_model_rebuilt_from_the_store_is_the_one_fed_live(store, clock, db):
    test_the_figures_count_the_period_and_show_each_escalation(store, clock)

    def snapshot():
        with db.transaction() as cur:
            out = {}
            for table in ("petition_list", "case_index", "disputes_facts", "proxy_case_list"):
                cur.execute(f"SELECT * FROM {table} ORDER BY 1, 2")
                out[table] = cur.fetchall()
            return out

    live = snapshot()
    for projection in PROJECTIONS.values():
        ProjectionRunner(store, projection).rebuild(show_progress=False)
    assert snapshot() == live
