"""Petitions 信访 on their clocks, table-wise: every transition and refusal, working days and holidays."""
from datetime import date, timedelta

import pytest

from chassis.days import WorkingCalendar
from contracts import disputes as contract
from services.disputes.domain import model
from services.disputes.domain.clocks import ClockRules
from services.disputes.domain.errors import InvalidRequest, NotYours, StepRefused
from services.disputes.domain.vocabulary import (
    AgentKind,
    CaseKind,
    Category,
    Channel,
    DisputeOutcome,
    EscalationReason,
    HardshipTrigger,
    IntakeDecision,
    Level,
    MatterKind,
    OpinionOutcome,
    PetitionerKind,
    PetitionState,
    Procedure,
    ProxyOutcome,
    RefusalGround,
    ReviewOutcome,
    ReviewStage,
    values,
)

RULES = ClockRules()
VETERAN = "3f2b9c1e-8a4d-4e6f-9b1a-2c3d4e5f6a7b"
PID = "0b5c7f3e-1d2a-4c8b-9e6f-7a8b9c0d1e2f"
STATION = "多湖街道退役军人服务站"
# Monday 2 November 2026: five working days later is Monday 9 November.
MONDAY = date(2026, 11, 2)


class Calendar:
    """China's calendar as the service hands it to the domain (chassis/days.py)."""

    def __init__(self):
        self.calendar = WorkingCalendar()

    def add_working_days(self, start, n):
        return self.calendar.add_working_days(start, n)


class UnknownYear:
    def add_working_days(self, start, n):
        return None


CALENDAR = Calendar()


def lodging(**overrides) -> model.LodgePetition:
    values_ = dict(service_station=STATION, channel="in_person", petitioner_kind="veteran",
                   petitioner_name="陈志强", category="benefits", request="补发定期生活补助",
                   facts="2019年起停发", veteran_id=VETERAN)
    values_.update(overrides)
    return model.LodgePetition(**values_)


def history(**overrides) -> model.MatterHistory:
    return model.MatterHistory(**{"matter_key": f"veteran:{VETERAN}:benefits", **overrides})


def lodged(received=MONDAY, rules=RULES, **overrides):
    decision = model.lodge(lodging(received_on=received, **overrides), PID, received, rules,
                           CALENDAR, history())
    return replay(decision.events), decision


def replay(events):
    """The petition from its events; the test keeps the events on it to add more later."""
    petition = model.Petition.from_events(events)
    petition._events = list(events)
    return petition


def step(petition, decision):
    """The petition after a decision's events."""
    return replay(petition._events + decision.events)


def accepted(on=MONDAY, **overrides):
    petition, _ = lodged(**overrides)
    return step(petition, petition.decide_intake(
        model.DecideIntake("accept", "已受理"), on, RULES))


def handled(on=MONDAY):
    petition = accepted(on)
    return step(petition, petition.assign_handler(model.AssignHandler("officer-wang"), on))


def answered(on=MONDAY):
    petition = handled(on)
    return step(petition, petition.issue_opinion(model.IssueOpinion("explain", "说明"), on, RULES))


def started(decision):
    return {c.name: c for c in decision.clocks.start}


# -- lodging --------------------------------------------------------------------------------------

def test_a_petition_is_registered_first_time_with_its_intake_clock_on_working_days():
    petition, decision = lodged()
    assert petition.state == PetitionState.REGISTERED
    event = decision.events[0]
    assert event.first_time and not event.closed_matter
    assert (event.intake_due_on, event.intake_rule) == (date(2026, 11, 9), "working_days")
    clock = started(decision)["intake"]
    assert clock.due_on == date(2026, 11, 9) and clock.fire_type == "PetitionIntakeOverdue"
    assert clock.fire_payload == {"petition_id": PID, "due_on": "2026-11-09"}


@pytest.mark.parametrize("received, due, why", [
    (date(2026, 11, 2), date(2026, 11, 9), "Monday: five working days to the next Monday"),
    (date(2026, 11, 6), date(2026, 11, 13), "Friday: the weekend does not count"),
    # 1-7 October are National Day; Saturday 10 October is a make-up working day (调休).
    (date(2026, 9, 30), date(2026, 10, 13), "across National Day, counting the make-up Saturday"),
    # Spring Festival 2026: 15-23 February off, Saturday 14 and 28 February worked.
    (date(2026, 2, 13), date(2026, 2, 27), "across the Spring Festival"),
])
def test_the_intake_clock_counts_china_s_working_days(received, due, why):
    _, decision = lodged(received)
    assert decision.events[0].intake_due_on == due, why


def test_the_national_15_days_cap_the_working_day_count():
    rules = ClockRules(intake_working_days=12)
    _, decision = lodged(date(2026, 9, 30), rules=rules)
    # 12 working days from 30 September end on 19 October, past the 15 calendar days.
    assert CALENDAR.add_working_days(date(2026, 9, 30), 12) > date(2026, 10, 15)
    assert (decision.events[0].intake_due_on, decision.events[0].intake_rule) == (
        date(2026, 10, 15), "days")


def test_a_year_whose_holidays_are_unknown_falls_back_to_the_national_cap():
    decision = model.lodge(lodging(), PID, MONDAY, RULES, UnknownYear(), history())
    assert (decision.events[0].intake_due_on, decision.events[0].intake_rule) == (
        date(2026, 11, 17), "days_calendar_unknown")


@pytest.mark.parametrize("overrides, field", [
    (dict(petitioner_kind="group", representatives=("甲", "乙", "丙", "丁", "戊", "己")),
     "representatives"),
    (dict(petitioner_kind="group"), "representatives"),
    (dict(representatives=("甲",)), "representatives"),
    (dict(petitioner_kind="group", representatives=("甲", " ")), "representatives"),
    (dict(petitioner_kind="group", representatives=("甲", "乙"), group_size=1), "group_size"),
    (dict(petitioner_kind="family"), "relation"),
    (dict(group_size=30), "group_size"),
    (dict(channel="fax"), "channel"),
    (dict(category="lottery"), "category"),
    (dict(request="  "), "request"),
    (dict(petitioner_name=""), "petitioner_name"),
    (dict(received_on=MONDAY + timedelta(days=1)), "received_on"),
    (dict(forwarded_from_level="county"), "forwarded_from_level"),
])
def test_a_lodging_is_refused_with_every_problem_named(overrides, field):
    with pytest.raises(InvalidRequest) as refused:
        model.lodge(lodging(**overrides), PID, MONDAY, RULES, CALENDAR, history())
    assert field in refused.value.fields


def test_a_group_sends_at_most_five_representatives():
    petition, _ = lodged(petitioner_kind="group", representatives=("甲", "乙", "丙", "丁", "戊"),
                         group_size=40)
    assert petition.lodged.representatives == ("甲", "乙", "丙", "丁", "戊")


def test_a_petition_passed_down_from_the_province_is_an_escalation():
    _, decision = lodged(forwarded_from_level="province")
    escalation = decision.events[1]
    assert (escalation.level, escalation.reason_code) == ("province", "went_higher")


def test_a_new_petition_on_a_matter_answered_finally_is_flagged_and_can_only_be_refused():
    decision = model.lodge(lodging(), PID, MONDAY, RULES, CALENDAR, history(
        earlier_petition_id="earlier", earlier_final=True, earlier_count=1))
    event = decision.events[0]
    assert (event.first_time, event.closed_matter, event.earlier_petition_id) == (
        False, True, "earlier")
    petition = replay(decision.events)
    with pytest.raises(StepRefused, match="Art. 36"):
        petition.decide_intake(model.DecideIntake("accept", "受理"), MONDAY, RULES)
    refused = petition.decide_intake(model.DecideIntake(
        "refuse", "不予受理", ground="same_facts_final", reason="同一事实已复核终结"), MONDAY, RULES)
    assert step(petition, refused).state == PetitionState.REFUSED


def test_a_matter_with_an_open_petition_is_linked_not_lodged():
    with pytest.raises(ValueError):
        model.lodge(lodging(), PID, MONDAY, RULES, CALENDAR, history(open_petition_id=PID))
    petition, _ = lodged()
    link = petition.link_repeat(lodging(channel="letter", forwarded_from_level="city"), MONDAY)
    assert [e.event_type for e in link.events] == ["RepeatPetitionLinked", "PetitionEscalated"]
    assert link.events[1].reason_code == "went_higher_while_open"
    assert not link.clocks


def test_the_matter_is_the_veteran_and_the_category_unless_staff_say_otherwise():
    assert model.matter_key_for(PID, VETERAN, "benefits") == f"veteran:{VETERAN}:benefits"
    assert model.matter_key_for(PID, VETERAN, "benefits", separate=True) == f"petition:{PID}"
    assert model.matter_key_for(PID, None, "benefits") == f"petition:{PID}"


# -- the intake decision --------------------------------------------------------------------------

@pytest.mark.parametrize("decided_on, late", [
    (date(2026, 11, 9), False),   # the fifth working day: on time
    (date(2026, 11, 10), True),   # the sixth: late
])
def test_the_intake_decision_on_working_day_5_is_on_time_and_on_day_6_late(decided_on, late):
    petition, _ = lodged()
    decision = petition.decide_intake(model.DecideIntake("accept", "已受理"), decided_on, RULES)
    assert decision.events[0].intake_late is late
    assert decision.clocks.met == ("intake",)


def test_acceptance_starts_the_60_day_opinion_clock():
    petition, _ = lodged()
    decision = petition.decide_intake(model.DecideIntake("accept", "已受理"), MONDAY, RULES)
    assert decision.events[0].opinion_due_on == date(2027, 1, 1)
    clock = started(decision)["opinion"]
    assert (clock.due_on, clock.fire_type) == (date(2027, 1, 1), "PetitionOpinionOverdue")
    assert step(petition, decision).state == PetitionState.ACCEPTED


@pytest.mark.parametrize("intake, state", [
    (model.DecideIntake("refuse", "告知", ground="not_within_remit", reason="不属本机关"),
     PetitionState.REFUSED),
    (model.DecideIntake("transfer", "告知", transferred_to="区人力社保局"), PetitionState.TRANSFERRED),
    (model.DecideIntake("route_out", "告知", procedure="arbitration"), PetitionState.ROUTED_OUT),
])
def test_refused_transferred_or_routed_out_with_a_written_notice_and_no_opinion_clock(intake,
                                                                                      state):
    petition, _ = lodged()
    decision = petition.decide_intake(intake, MONDAY, RULES)
    assert decision.clocks.met == ("intake",) and not decision.clocks.start
    after = step(petition, decision)
    assert after.state == state and not after.is_open


@pytest.mark.parametrize("intake, field", [
    (model.DecideIntake("accept", " "), "notice"),
    (model.DecideIntake("refuse", "告知"), "ground"),
    (model.DecideIntake("refuse", "告知", ground="other"), "reason"),
    (model.DecideIntake("transfer", "告知"), "transferred_to"),
    (model.DecideIntake("route_out", "告知", procedure="prayer"), "procedure"),
    (model.DecideIntake("postpone", "告知"), "decision"),
])
def test_an_intake_decision_missing_what_it_needs_is_refused(intake, field):
    petition, _ = lodged()
    with pytest.raises(InvalidRequest) as refused:
        petition.decide_intake(intake, MONDAY, RULES)
    assert field in refused.value.fields


def test_the_intake_is_decided_once():
    petition = accepted()
    with pytest.raises(StepRefused):
        petition.decide_intake(model.DecideIntake("accept", "已受理"), MONDAY, RULES)


# -- handling, mediation ----------------------------------------------------------------------------

def test_a_handler_is_assigned_to_an_accepted_petition_only():
    petition, _ = lodged()
    with pytest.raises(StepRefused):
        petition.assign_handler(model.AssignHandler("officer-wang"), MONDAY)
    petition = handled()
    assert petition.handler == "officer-wang"
    assert petition.assign_handler(model.AssignHandler("officer-wang"), MONDAY).events == []
    assert petition.assign_handler(model.AssignHandler("officer-li"), MONDAY).events


def test_mediation_is_recorded_while_the_petition_is_handled():
    petition = handled()
    decision = petition.record_mediation(model.RecordPetitionMediation(True, "达成一致"), MONDAY)
    assert decision.events[0].agreement_reached
    with pytest.raises(InvalidRequest):
        petition.record_mediation(model.RecordPetitionMediation(
            True, "x", held_on=MONDAY - timedelta(days=1)), MONDAY)
    with pytest.raises(StepRefused):
        answered().record_mediation(model.RecordPetitionMediation(True, "x"), MONDAY)


# -- the opinion's extension: once, up to 30 days, approved by someone else --------------------------

def requested(days=30, by="officer-wang", on=MONDAY):
    petition = handled()
    return step(petition, petition.request_extension(model.RequestExtension(days, "需调取记录"),
                                                     by, on, RULES))


def test_an_extension_approved_moves_the_opinion_clock_and_tells_the_petitioner():
    petition = requested(days=30)
    decision = petition.decide_extension(model.DecideExtension(True), "approver-zhao",
                                         MONDAY + timedelta(days=10))
    event = decision.events[0]
    assert (event.previous_due_on, event.opinion_due_on) == (date(2027, 1, 1), date(2027, 1, 31))
    assert event.petitioner_told_on == MONDAY + timedelta(days=10)
    assert decision.clocks.cancelled == ("opinion",)
    assert started(decision)["opinion"].due_on == date(2027, 1, 31)
    after = step(petition, decision)
    assert after.opinion_due_on == date(2027, 1, 31) and after.extension["state"] == "approved"


def test_an_opinion_is_extended_once_only():
    petition = requested()
    petition = step(petition, petition.decide_extension(model.DecideExtension(True),
                                                        "approver-zhao", MONDAY))
    with pytest.raises(StepRefused, match="once"):
        petition.request_extension(model.RequestExtension(5, "再延"), "officer-wang", MONDAY,
                                   RULES)


def test_a_refused_extension_can_be_asked_again_but_not_two_at_once():
    petition = requested()
    with pytest.raises(StepRefused, match="waiting"):
        petition.request_extension(model.RequestExtension(5, "再延"), "officer-wang", MONDAY,
                                   RULES)
    petition = step(petition, petition.decide_extension(model.DecideExtension(False, "不必"),
                                                        "approver-zhao", MONDAY))
    assert petition.extension["state"] == "refused" and petition.opinion_due_on == date(2027, 1, 1)
    assert petition.request_extension(model.RequestExtension(10, "确需"), "officer-wang", MONDAY,
                                      RULES).events


@pytest.mark.parametrize("approver", ["officer-wang", "officer-li"])
def test_an_approver_never_decides_their_own_case(approver):
    petition = requested(by="officer-li")  # the handler is officer-wang
    with pytest.raises(NotYours):
        petition.decide_extension(model.DecideExtension(True), approver, MONDAY)


@pytest.mark.parametrize("days", [0, 31])
def test_an_extension_is_1_to_30_days(days):
    with pytest.raises(InvalidRequest):
        handled().request_extension(model.RequestExtension(days, "理由"), "officer-wang", MONDAY,
                                    RULES)


def test_an_extension_must_be_asked_and_approved_before_the_clock_runs_out():
    with pytest.raises(StepRefused, match="due on 2027-01-01"):
        handled().request_extension(model.RequestExtension(10, "理由"), "officer-wang",
                                    date(2027, 1, 2), RULES)
    petition = requested(on=date(2027, 1, 1))  # the last day is still in time
    with pytest.raises(StepRefused, match="too late"):
        petition.decide_extension(model.DecideExtension(True), "approver-zhao", date(2027, 1, 2))


def test_an_extension_needs_a_petition_being_handled_and_a_waiting_request():
    petition, _ = lodged()
    with pytest.raises(StepRefused):
        petition.request_extension(model.RequestExtension(10, "理由"), "officer-wang", MONDAY,
                                   RULES)
    with pytest.raises(StepRefused, match="no extension request"):
        handled().decide_extension(model.DecideExtension(True), "approver-zhao", MONDAY)


# -- the opinion ----------------------------------------------------------------------------------

def test_the_opinion_needs_a_handler_meets_its_clock_and_opens_the_review_window():
    with pytest.raises(StepRefused, match="handler"):
        accepted().issue_opinion(model.IssueOpinion("support", "支持"), MONDAY, RULES)
    petition = handled()
    decision = petition.issue_opinion(model.IssueOpinion("support", "支持"), date(2026, 12, 1),
                                      RULES)
    assert decision.clocks.met == ("opinion",)
    window = started(decision)["review_window"]
    assert (window.due_on, window.fire_type) == (date(2026, 12, 31), "ReviewWindowClosed")
    assert not decision.events[0].late
    after = step(petition, decision)
    assert after.state == PetitionState.ANSWERED and after.request_due_on == date(2026, 12, 31)


def test_an_opinion_after_its_due_day_is_late():
    decision = handled().issue_opinion(model.IssueOpinion("reject", "不予支持"), date(2027, 1, 2),
                                       RULES)
    assert decision.events[0].late


def test_an_opinion_lapses_a_waiting_extension_request():
    petition = requested()
    petition = step(petition, petition.issue_opinion(model.IssueOpinion("support", "支持"),
                                                     MONDAY, RULES))
    assert petition.extension["state"] == "lapsed"


# -- review 复查 and re-review 复核 ------------------------------------------------------------------

@pytest.mark.parametrize("asked_on, allowed", [
    (MONDAY + timedelta(days=30), True),   # the 30th day after the opinion
    (MONDAY + timedelta(days=31), False),  # the window has closed
])
def test_a_review_is_asked_within_30_days_of_the_opinion(asked_on, allowed):
    petition = answered()
    ask = model.RequestReview("计算有误")
    if not allowed:
        with pytest.raises(StepRefused, match="closed on 2026-12-02"):
            petition.request_review(ask, asked_on, RULES)
        return
    decision = petition.request_review(ask, asked_on, RULES)
    assert decision.events[0].stage == "review"
    assert decision.clocks.met == ("review_window",)
    clock = started(decision)["review_answer"]
    assert (clock.due_on, clock.fire_type) == (asked_on + timedelta(days=30),
                                               "PetitionReviewOverdue")


def test_review_then_re_review_then_final():
    petition = answered()
    petition = step(petition, petition.request_review(model.RequestReview("理由"), MONDAY, RULES))
    assert petition.state == PetitionState.UNDER_REVIEW
    with pytest.raises(StepRefused, match="already under way"):
        petition.request_review(model.RequestReview("理由"), MONDAY, RULES)
    answer = petition.answer_review(model.AnswerReview("upheld", "维持"), MONDAY + timedelta(31),
                                    RULES)
    assert answer.events[0].late  # due on the 30th day
    assert answer.clocks.met == ("review_answer",)
    assert started(answer)["re_review_window"].due_on == MONDAY + timedelta(61)
    petition = step(petition, answer)
    assert petition.state == PetitionState.REVIEWED
    with pytest.raises(StepRefused, match="re_review stage"):
        petition.request_review(model.RequestReview("理由", stage="review"), MONDAY, RULES)
    petition = step(petition, petition.request_review(model.RequestReview("理由", "re_review"),
                                                      MONDAY + timedelta(40), RULES))
    assert petition.state == PetitionState.UNDER_RE_REVIEW
    final = petition.answer_review(model.AnswerReview("varied", "变更"), MONDAY + timedelta(50),
                                   RULES)
    assert not final.clocks.start and not final.events[0].late
    petition = step(petition, final)
    assert petition.state == PetitionState.FINAL and not petition.is_open
    with pytest.raises(StepRefused, match="final"):
        petition.request_review(model.RequestReview("理由"), MONDAY + timedelta(51), RULES)


def test_an_unused_review_window_makes_the_opinion_final():
    petition = answered()
    closed = model.ReviewWindowClosed(PID, "review", MONDAY + timedelta(30))
    petition = replay(petition._events + [closed])
    assert petition.state == PetitionState.FINAL
    with pytest.raises(StepRefused, match="final"):
        petition.request_review(model.RequestReview("理由"), MONDAY + timedelta(30), RULES)


def test_a_review_answer_needs_a_review_under_way():
    with pytest.raises(StepRefused):
        answered().answer_review(model.AnswerReview("upheld", "维持"), MONDAY, RULES)


# -- overdue and escalation -------------------------------------------------------------------------

def test_overdue_clocks_show_until_met():
    petition = handled()
    overdue = model.PetitionOpinionOverdue(PID, date(2027, 1, 1))
    petition = replay(petition._events + [overdue])
    assert petition.overdue == {"opinion"}
    petition = step(petition, petition.issue_opinion(model.IssueOpinion("support", "支持"),
                                                     date(2027, 1, 5), RULES))
    assert petition.overdue == set() and petition.opinion["late"]


def test_an_escalation_is_recorded_with_its_level_and_reason():
    petition = accepted()
    decision = petition.record_escalation(model.RecordEscalation("capital", "dissatisfied",
                                                                 "赴京"), MONDAY)
    petition = step(petition, decision)
    assert petition.escalations[0]["level"] == "capital"
    for bad in (model.RecordEscalation("county", "other"),
                model.RecordEscalation("city", "bored"),
                model.RecordEscalation("city", "other", escalated_on=MONDAY + timedelta(1)),
                model.RecordEscalation("city", "other", escalated_on=MONDAY - timedelta(1))):
        with pytest.raises(InvalidRequest):
            petition.record_escalation(bad, MONDAY)


# -- disputes, legal aid, proxy cases, hardship -----------------------------------------------------

DID = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"


def dispute(**overrides):
    cmd = model.OpenDispute(**{"service_station": STATION, "category": "housing",
                               "parties": "退役军人与村委会", "summary": "宅基地纠纷",
                               "veteran_id": VETERAN, **overrides})
    return model.open_dispute(cmd, DID, MONDAY)


def dispute_after(*decisions):
    events = list(dispute().events)
    for decide in decisions:
        case = model.Dispute.from_events(events)
        events += decide(case).events
    return model.Dispute.from_events(events)


def test_mediation_sessions_are_numbered_agreement_or_not():
    case = dispute_after(
        lambda d: d.record_mediation(model.RecordMediation("老兵调解员", False, "未果"), MONDAY),
        lambda d: d.record_mediation(model.RecordMediation("老兵调解员", True, "达成"), MONDAY))
    assert [(s["session"], s["agreement_reached"]) for s in case.sessions] == [(1, False),
                                                                               (2, True)]


def test_legal_aid_decision_within_7_days_and_a_lawyer_within_3():
    referral = model.Dispute.from_events(dispute().events).refer_legal_aid(
        model.ReferLegalAid(martyr_family_defending_name=True), MONDAY, RULES)
    assert referral.events[0].means_test_waived
    assert started(referral)["legal_aid_decision"].due_on == date(2026, 11, 9)
    case = dispute_after(lambda d: referral)
    with pytest.raises(StepRefused, match="already under way"):
        case.refer_legal_aid(model.ReferLegalAid(), MONDAY, RULES)
    with pytest.raises(InvalidRequest):
        case.decide_legal_aid(model.DecideLegalAid(False), MONDAY, RULES)
    granted = case.decide_legal_aid(model.DecideLegalAid(True), date(2026, 11, 10), RULES)
    assert granted.events[0].late and granted.clocks.met == ("legal_aid_decision",)
    assert started(granted)["lawyer_assignment"].due_on == date(2026, 11, 13)
    case = dispute_after(lambda d: referral, lambda d: granted)
    lawyer = case.assign_lawyer(model.AssignLawyer("李律师"), date(2026, 11, 13))
    assert not lawyer.events[0].late and lawyer.clocks.met == ("lawyer_assignment",)
    case = dispute_after(lambda d: referral, lambda d: granted, lambda d: lawyer)
    with pytest.raises(StepRefused):
        case.assign_lawyer(model.AssignLawyer("王律师"), MONDAY)


def test_resolving_a_dispute_stops_its_running_legal_aid_clock_and_closes_it():
    case = dispute_after(lambda d: d.refer_legal_aid(model.ReferLegalAid(), MONDAY, RULES))
    decision = case.resolve(model.ResolveDispute("resolved", "已化解"), MONDAY)
    assert decision.clocks.cancelled == ("legal_aid_decision",)
    case = dispute_after(lambda d: d.refer_legal_aid(model.ReferLegalAid(), MONDAY, RULES),
                         lambda d: decision)
    assert case.state == "resolved"
    with pytest.raises(StepRefused):
        case.record_mediation(model.RecordMediation("调解员", True, "x"), MONDAY)
    with pytest.raises(StepRefused):
        case.resolve(model.ResolveDispute("unresolved", "x"), MONDAY)


def test_a_proxy_case_records_what_for_whom_by_whom_its_steps_and_outcome():
    cmd = model.OpenProxyCase(VETERAN, STATION, "card", "代办优待证", "militia_head", "民兵连长张伟")
    events = list(model.open_proxy_case(cmd, DID, MONDAY).events)
    case = model.ProxyCase.from_events(events)
    events += case.record_step(model.RecordProxyStep("递交材料"), MONDAY).events
    events += model.ProxyCase.from_events(events).close(model.CloseProxyCase("completed"),
                                                         MONDAY).events
    case = model.ProxyCase.from_events(events)
    assert case.state == "completed" and case.steps[0]["step"] == 1
    with pytest.raises(StepRefused):
        case.record_step(model.RecordProxyStep("再办"), MONDAY)
    with pytest.raises(InvalidRequest) as refused:
        model.open_proxy_case(model.OpenProxyCase(VETERAN, STATION, "card", "x", "neighbour", ""),
                              DID, MONDAY)
    assert set(refused.value.fields) == {"agent_kind", "agent"}


def test_a_hardship_referral_names_the_veteran_of_the_case():
    petition = accepted()
    decision = model.refer_hardship(model.ReferHardship("illness", "因病致贫"), "r-1",
                                    CaseKind.PETITION, petition, MONDAY)
    event = decision.events[0]
    assert (event.source, event.source_id, event.veteran_id, event.service_station) == (
        "petition", PID, VETERAN, STATION)
    nobody, _ = lodged(veteran_id=None)
    with pytest.raises(InvalidRequest):
        model.refer_hardship(model.ReferHardship("illness"), "r-2", CaseKind.PETITION, nobody,
                             MONDAY)
    with pytest.raises(InvalidRequest):
        model.refer_hardship(model.ReferHardship("illness", veteran_id="someone-else"), "r-3",
                             CaseKind.PETITION, petition, MONDAY)


# -- configuration and words ------------------------------------------------------------------------

def test_the_clocks_are_configuration_with_the_law_as_default():
    assert ClockRules.from_config(None) == ClockRules()
    rules = ClockRules.from_config({"intake_working_days": "none", "opinion_days": "30"})
    assert rules.intake_working_days is None and rules.opinion_days == 30
    assert rules.intake_due(MONDAY, CALENDAR) == (date(2026, 11, 17), "days")
    with pytest.raises(ValueError, match="unknown"):
        ClockRules.from_config({"opinion_weeks": 8})
    with pytest.raises(ValueError):
        ClockRules.from_config({"opinion_days": 0})


@pytest.mark.parametrize("enum, words", [
    (Channel, contract.CHANNELS), (PetitionerKind, contract.PETITIONER_KINDS),
    (Category, contract.CATEGORIES), (PetitionState, contract.PETITION_STATES),
    (IntakeDecision, contract.INTAKE_DECISIONS), (Procedure, contract.PROCEDURES),
    (RefusalGround, contract.REFUSAL_GROUNDS), (OpinionOutcome, contract.OPINION_OUTCOMES),
    (ReviewStage, contract.REVIEW_STAGES), (ReviewOutcome, contract.REVIEW_OUTCOMES),
    (Level, contract.LEVELS), (EscalationReason, contract.ESCALATION_REASONS),
    (DisputeOutcome, contract.DISPUTE_OUTCOMES), (MatterKind, contract.MATTER_KINDS),
    (AgentKind, contract.AGENT_KINDS), (ProxyOutcome, contract.PROXY_OUTCOMES),
    (HardshipTrigger, contract.HARDSHIP_TRIGGERS), (CaseKind, contract.CASE_KINDS),
])
def test_the_contract_and_the_domain_use_the_same_words(enum, words):
    assert values(enum) == words


def test_every_domain_event_has_a_stored_and_a_public_schema():
    assert set(model.EVENT_TYPES) == set(contract.EVENT_SCHEMAS) == set(contract.PUBLIC_SCHEMAS)
