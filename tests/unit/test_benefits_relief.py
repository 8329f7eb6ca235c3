"""Hardship relief table-wise: the lifecycle, wrong states, four eyes, the cap, the notice, paying once."""
from dataclasses import replace
from datetime import date, timedelta

import pytest

from services.benefits.domain.case import Actor
from services.benefits.domain.errors import InvalidRequest, NotYourStep, StandardMissing, WrongState
from services.benefits.domain.events import ReliefApproved, ReliefRejected
from services.benefits.domain.relief import (
    ApplyForRelief,
    CloseRelief,
    DecideRelief,
    DisburseRelief,
    ReliefApplication,
    ReviewRelief,
    apply_for_relief,
)
from tests.benefits_fixtures import APPROVER, HANDLER, OFFICER, STANDARDS, TODAY, veteran

ASKED = 800_000
NOTICE = {"notice_from": TODAY - timedelta(days=8), "notice_to": TODAY - timedelta(days=2)}


def applied(amount=ASKED, actor=HANDLER):
    case = ReliefApplication("r-1")
    for e in apply_for_relief(ApplyForRelief(veteran(), "illness", amount, "住院", actor), "r-1",
                              TODAY - timedelta(days=10)):
        case.apply(e)
    return case


def step(case, events):
    for e in events:
        case.apply(e)
    return case


def review(actor=OFFICER, **overrides):
    return ReviewRelief(**{"opinion": "support", "recommended_fen": 600_000, "notes": "核实",
                           "objections": False, "actor": actor, **NOTICE, **overrides})


def reviewed(**kw):
    case = applied(**kw)
    return step(case, case.review(review(), TODAY))


def approve(amount=600_000, actor=APPROVER, **kw):
    return DecideRelief("approve", actor, approved_fen=amount, **kw)


def approved():
    case = reviewed()
    return step(case, case.decide(approve(), STANDARDS, TODAY))


def disbursed():
    case = approved()
    return step(case, case.disburse(DisburseRelief(600_000, TODAY, "JD-1", OFFICER), TODAY))


def test_the_whole_lifecycle_to_closed():
    case = disbursed()
    case = step(case, case.close(CloseRelief(OFFICER, "回访"), TODAY))
    assert (case.state, case.handled_by, case.reviewed_by, case.approved_by, case.paid_fen) == (
        "closed", "station-worker-1", "officer-1", "approver-1", 600_000)


def test_a_rejection_is_final_and_carries_its_reason():
    case = reviewed()
    events = case.decide(DecideRelief("reject", APPROVER, reason="收入高于标准"), STANDARDS, TODAY)
    assert isinstance(events[0], ReliefRejected) and events[0].reason == "收入高于标准"
    case = step(case, events)
    for decision in (lambda c: c.disburse(DisburseRelief(1, TODAY, "x", OFFICER), TODAY),
                     lambda c: c.close(CloseRelief(OFFICER), TODAY),
                     lambda c: c.decide(approve(), STANDARDS, TODAY)):
        with pytest.raises(WrongState):
            decision(case)


@pytest.mark.parametrize("build, decide", [
    (applied, lambda c: c.decide(approve(), STANDARDS, TODAY)),
    (applied, lambda c: c.disburse(DisburseRelief(600_000, TODAY, "x", OFFICER), TODAY)),
    (applied, lambda c: c.close(CloseRelief(OFFICER), TODAY)),
    (reviewed, lambda c: c.review(review(), TODAY)),
    (reviewed, lambda c: c.disburse(DisburseRelief(600_000, TODAY, "x", OFFICER), TODAY)),
    (approved, lambda c: c.review(review(), TODAY)),
    (approved, lambda c: c.decide(approve(), STANDARDS, TODAY)),
    (approved, lambda c: c.close(CloseRelief(OFFICER), TODAY)),
    (disbursed, lambda c: c.disburse(DisburseRelief(600_000, TODAY, "x", OFFICER), TODAY)),
    (disbursed, lambda c: c.decide(approve(), STANDARDS, TODAY)),
])
def test_every_step_in_the_wrong_state_is_refused(build, decide):
    with pytest.raises(WrongState):
        decide(build())


def test_nothing_happens_to_an_application_that_does_not_exist():
    from services.benefits.domain.errors import NotFound
    with pytest.raises(NotFound):
        ReliefApplication("nope").review(review(), TODAY)


@pytest.mark.parametrize("who, refused", [
    (APPROVER, False),
    (Actor("station-worker-1", ("approver",)), True),   # the handler
    (Actor("officer-1", ("approver",)), True),          # the reviewer
])
def test_four_eyes_the_approver_neither_handled_nor_reviewed_it(who, refused):
    case = reviewed()
    for decision in ("approve", "reject"):
        command = DecideRelief(decision, who, approved_fen=600_000, reason="不符合")
        if refused:
            with pytest.raises(NotYourStep):
                case.decide(command, STANDARDS, TODAY)
        else:
            assert case.decide(command, STANDARDS, TODAY)


@pytest.mark.parametrize("amount, special, allowed", [
    (660_000, False, True),     # exactly 6 × 1,100.00 yuan
    (660_001, False, False),    # one fen over
    (800_000, True, True),      # the special cap is 12 ×
    (1_320_001, True, False),
])
def test_the_cap_is_months_of_the_minimum_living_standard(amount, special, allowed):
    case = applied(amount=2_000_000)
    case = step(case, case.review(review(recommended_fen=0), TODAY))
    command = approve(amount, special=special, special_reason="重大疾病" if special else None)
    if allowed:
        (event,) = case.decide(command, STANDARDS, TODAY)
        assert isinstance(event, ReliefApproved)
        assert event.cap_fen == (1_320_000 if special else 660_000)
        assert "1,100.00" in event.cap_basis
    else:
        with pytest.raises(InvalidRequest) as refused:
            case.decide(command, STANDARDS, TODAY)
        assert "approved_fen" in refused.value.fields and "over the cap" in refused.value.message


def test_the_cap_comes_from_the_year_decided_in_and_a_missing_year_is_refused():
    case = reviewed()
    (event,) = case.decide(approve(600_000), STANDARDS, date(2027, 1, 5))
    assert event.cap_fen == 720_000
    with pytest.raises(StandardMissing):
        case.decide(approve(), STANDARDS, date(2028, 1, 5))


@pytest.mark.parametrize("command, field", [
    (approve(None), "approved_fen"),
    (approve(0), "approved_fen"),
    (approve(ASKED + 1), "approved_fen"),
    (approve(600_000, special=True), "special_reason"),
    (DecideRelief("reject", APPROVER), "reason"),
    (DecideRelief("maybe", APPROVER), "decision"),
])
def test_a_decision_missing_what_it_needs_is_refused(command, field):
    with pytest.raises(InvalidRequest) as refused:
        reviewed().decide(command, STANDARDS, TODAY)
    assert field in refused.value.fields


@pytest.mark.parametrize("overrides, field", [
    ({"notice_from": TODAY - timedelta(days=7), "notice_to": TODAY - timedelta(days=2)},
     "notice_to"),                                                  # six days only
    ({"notice_to": TODAY}, "notice_to"),                            # still running today
    ({"notice_from": TODAY - timedelta(days=20)}, "notice_from"),   # before the application
    ({"recommended_fen": ASKED + 1}, "recommended_fen"),
    ({"opinion": "maybe"}, "opinion"),
    ({"notes": "  "}, "notes"),
])
def test_a_review_needs_the_public_notice_to_have_run_seven_days(overrides, field):
    with pytest.raises(InvalidRequest) as refused:
        applied().review(review(**overrides), TODAY)
    assert field in refused.value.fields


@pytest.mark.parametrize("command, field", [
    (DisburseRelief(599_999, TODAY, "JD-1", OFFICER), "paid_fen"),
    (DisburseRelief(600_001, TODAY, "JD-1", OFFICER), "paid_fen"),
    (DisburseRelief(600_000, TODAY + timedelta(days=1), "JD-1", OFFICER), "paid_on"),
    (DisburseRelief(600_000, TODAY - timedelta(days=1), "JD-1", OFFICER), "paid_on"),
    (DisburseRelief(600_000, TODAY, " ", OFFICER), "reference"),
])
def test_disbursement_pays_exactly_the_approved_amount(command, field):
    with pytest.raises(InvalidRequest) as refused:
        approved().disburse(command, TODAY)
    assert field in refused.value.fields


@pytest.mark.parametrize("trigger, amount, circumstances, field", [
    ("lottery", 100, "x", "trigger"),
    ("illness", 0, "x", "amount_asked_fen"),
    ("illness", -5, "x", "amount_asked_fen"),
    ("illness", 100, "", "circumstances"),
    ("illness", 100, "长" * 501, "circumstances"),
])
def test_an_application_is_refused_with_every_problem_named(trigger, amount, circumstances,
                                                              field):
    with pytest.raises(InvalidRequest) as refused:
        apply_for_relief(ApplyForRelief(veteran(), trigger, amount, circumstances, HANDLER),
                         "r-2", TODAY)
    assert field in refused.value.fields


def test_the_handler_is_whoever_recorded_it_even_the_veteran():
    me = Actor("veteran-7", ("veteran",))
    case = applied(actor=me)
    case = step(case, case.review(review(), TODAY))
    with pytest.raises(NotYourStep):
        case.decide(approve(actor=replace(me, roles=("approver",))), STANDARDS, TODAY)


@pytest.mark.parametrize("received_on, allowed", [
    (TODAY, True), (TODAY - timedelta(days=90), True), (TODAY - timedelta(days=91), False),
    (TODAY + timedelta(days=1), False),
])
def test_a_paper_application_is_dated_the_day_it_was_received(received_on, allowed):
    command = ApplyForRelief(veteran(), "disaster", 100, "台风", HANDLER, received_on)
    if allowed:
        assert apply_for_relief(command, "r-3", TODAY)[0].applied_on == received_on
    else:
        with pytest.raises(InvalidRequest) as refused:
            apply_for_relief(command, "r-3", TODAY)
        assert "received_on" in refused.value.fields


def runs(*operations):
    return lambda operation: operation in operations


@pytest.mark.parametrize("case, actor, operations, expected", [
    (applied, OFFICER, ("review_relief",), ["review"]),
    (applied, APPROVER, ("decide_relief",), []),
    (reviewed, APPROVER, ("decide_relief",), ["decide"]),
    # Four eyes, by the decision's own check: the reviewer and the handler never see it.
    (reviewed, OFFICER, ("decide_relief", "review_relief"), []),
    (reviewed, Actor(HANDLER.subject, ("approver",)), ("decide_relief",), []),
    (approved, OFFICER, ("disburse_relief",), ["disburse"]),
    (approved, APPROVER, ("decide_relief",), []),
    (disbursed, OFFICER, ("close_relief",), ["close"]),
])
def test_next_steps_are_the_steps_the_person_may_take_now(case, actor, operations, expected):
    built = case()
    assert built.next_steps(actor, runs(*operations)) == expected
    if expected == [] and built.state == "reviewed" and "decide_relief" in operations:
        with pytest.raises(NotYourStep):
            built.decide(approve(actor=actor), STANDARDS, TODAY)
