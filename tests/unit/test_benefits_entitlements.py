"""Entitlements table-wise: conditions per kind, amounts from the yearly table, lifecycle and refusals."""
from datetime import date, timedelta

import pytest

from services.benefits.domain.case import Actor, Clocks
from services.benefits.domain.entitlement import (
    CONFIRMATION,
    ApplyForEntitlement,
    ConfirmEntitlement,
    DecideEntitlement,
    EndEntitlement,
    Entitlement,
    PayEntitlement,
    ResumeEntitlement,
    ReviewEntitlement,
    SuspendEntitlement,
)
from services.benefits.domain.errors import (
    InvalidRequest,
    NotYourStep,
    StandardMissing,
    WrongState,
)
from services.benefits.domain.rules import EntitlementBasis
from services.benefits.domain.standards import nursing_share_percent
from tests.benefits_fixtures import APPROVER, HANDLER, OFFICER, STANDARDS, TODAY, veteran


def step(case, events):
    for e in events:
        case.apply(e)
    return case


def applied(kind="disability_pension", ties=("martyr",), **basis):
    basis = basis or {"nature": "combat", "grade": 1}
    case = Entitlement("e-1")
    return step(case, case.apply_for(ApplyForEntitlement(
        veteran(ties=ties), kind, EntitlementBasis(**basis), HANDLER), TODAY))


def reviewed(**kw):
    case = applied(**kw)
    return step(case, case.review(ReviewEntitlement("support", "材料齐全", OFFICER), TODAY))


def decided(on=TODAY, **kw):
    case = reviewed(**kw)
    return step(case, case.decide(DecideEntitlement("approve", APPROVER), STANDARDS, on))


@pytest.mark.parametrize("kind, basis, fen", [
    ("disability_pension", {"nature": "combat", "grade": 1}, 8_815_000),
    ("disability_pension", {"nature": "duty", "grade": 1}, 8_537_000),
    ("disability_pension", {"nature": "illness", "grade": 1}, 8_257_000),
    ("survivors_pension", {"tie": "martyr", "relation": "parent"}, 2_798_000),
    ("living_allowance", {"living_category": "rural_over_60"}, 600_000),
    # 50% of 9,000.01 yuan is 4,500.005: rounded half up to 4,500.01 a month, × 12.
    ("nursing_allowance", {"nature": "combat", "grade": 2}, 12 * 450_001),
    ("nursing_allowance", {"nature": "duty", "grade": 4}, 12 * 360_000),
    ("nursing_allowance", {"nature": "illness", "grade": 3}, 12 * 270_000),
    ("nursing_allowance", {"nature": "combat", "grade": 6, "mental_disorder": True},
     12 * 225_000),
    ("martyr_commendation", {"tie": "martyr"}, 30 * 5_418_800),
    ("death_pension", {"tie": "martyr", "monthly_pay_fen": 800_000},
     20 * 5_418_800 + 40 * 800_000),
    ("death_pension", {"tie": "died_on_duty", "monthly_pay_fen": 800_000},
     20 * 5_418_800 + 40 * 800_000),
    ("death_pension", {"tie": "died_of_illness", "monthly_pay_fen": 800_000},
     2 * 5_418_800 + 40 * 800_000),
    # raised 15% for a first-class merit: 140,376,000 × 1.15 = 161,432,400 fen
    ("death_pension", {"tie": "martyr", "monthly_pay_fen": 800_000,
                       "honour": "first_class_merit"}, 161_432_400),
])
def test_each_kind_is_worth_what_the_table_and_the_formula_say(kind, basis, fen):
    ties = ("martyr", "died_on_duty", "died_of_illness")
    (event,) = reviewed(kind=kind, ties=ties, **basis).decide(
        DecideEntitlement("approve", APPROVER), STANDARDS, TODAY)
    assert event.amount_fen == fen
    assert event.standards_year == 2026 and event.effective_from == date(2026, 11, 1)
    assert (event.confirmation_due_on is None) == (kind in ("martyr_commendation",
                                                            "death_pension"))


@pytest.mark.parametrize("nature, grade, mental, share", [
    ("combat", 1, False, 50), ("duty", 2, False, 50), ("combat", 3, False, 40),
    ("duty", 4, False, 40), ("combat", 5, False, None), ("illness", 1, False, 30),
    ("illness", 4, False, 30), ("illness", 5, False, None), ("illness", 5, True, 25),
    ("combat", 6, True, 25), ("duty", 7, True, None), ("combat", 10, False, None),
])
def test_the_nursing_allowance_share_of_article_34(nature, grade, mental, share):
    assert nursing_share_percent(nature, grade, mental) == share


@pytest.mark.parametrize("kind, basis, ties, field", [
    ("disability_pension", {"nature": "combat", "grade": 11}, (), "grade"),
    ("disability_pension", {"nature": "combat"}, (), "grade"),
    ("disability_pension", {"nature": "illness", "grade": 7}, (), "grade"),   # Arts. 25, 27
    ("disability_pension", {"nature": "bravery", "grade": 2}, (), "nature"),
    ("nursing_allowance", {"nature": "combat", "grade": 5}, (), "grade"),     # Art. 34
    ("survivors_pension", {"tie": "martyr", "relation": "parent"}, (), "tie"),  # none on file
    ("survivors_pension", {"tie": "martyr", "relation": "cousin"}, ("martyr",), "relation"),
    ("survivors_pension", {"relation": "parent"}, ("martyr",), "tie"),
    ("living_allowance", {}, (), "living_category"),
    ("martyr_commendation", {"tie": "died_on_duty"}, ("died_on_duty",), "tie"),
    ("death_pension", {"tie": "martyr"}, ("martyr",), "monthly_pay_fen"),
    ("pocket_money", {}, (), "kind"),
])
def test_an_application_the_conditions_do_not_allow_is_refused(kind, basis, ties, field):
    with pytest.raises(InvalidRequest) as refused:
        Entitlement("e-1").apply_for(ApplyForEntitlement(
            veteran(ties=ties), kind, EntitlementBasis(**basis), HANDLER), TODAY)
    assert field in refused.value.fields


def test_only_the_facts_a_kind_needs_are_kept():
    case = applied(kind="living_allowance", living_category="rural_over_60", nature="combat",
                   grade=3)
    assert (case.basis.nature, case.basis.grade, case.basis.living_category) == (
        None, None, "rural_over_60")


def test_a_periodic_kind_is_applied_for_once_until_rejected_or_ended():
    case = decided()
    again = ApplyForEntitlement(veteran(), "disability_pension",
                                EntitlementBasis(nature="combat", grade=1), HANDLER)
    with pytest.raises(WrongState):
        case.apply_for(again, TODAY)
    case = step(case, case.end(EndEntitlement("no_longer_eligible", OFFICER), TODAY))
    case = step(case, case.apply_for(again, TODAY))
    assert (case.state, case.reviewed_by, case.amount_fen) == ("applied", None, None)


@pytest.mark.parametrize("who", [Actor("station-worker-1", ("approver",)),
                                 Actor("officer-1", ("approver",))])
def test_four_eyes_on_entitlements(who):
    with pytest.raises(NotYourStep):
        reviewed().decide(DecideEntitlement("approve", who), STANDARDS, TODAY)


def test_a_missing_figure_is_refused_never_guessed():
    with pytest.raises(StandardMissing):
        reviewed(nature="combat", grade=2).decide(DecideEntitlement("approve", APPROVER),
                                                   STANDARDS, TODAY)
    with pytest.raises(StandardMissing):
        reviewed().decide(DecideEntitlement("approve", APPROVER), STANDARDS, date(2030, 1, 2))


def test_approval_starts_the_yearly_confirmation_clock():
    case = reviewed()
    events = case.decide(DecideEntitlement("approve", APPROVER), STANDARDS, TODAY)
    clocks = case.clocks(events)
    assert [(d.name, d.due_on, d.fire_type) for d in clocks.set] == [
        (CONFIRMATION, date(2027, 11, 27), "EntitlementConfirmationOverdue")]
    assert clocks.set[0].payload == {"entitlement_id": "e-1", "veteran_id": "v-1",
                                     "due_on": "2027-11-27"}


def test_the_yearly_confirmation_follows_the_new_table_or_keeps_the_amount():
    case = decided()
    with pytest.raises(WrongState):  # the approval was this year's confirmation
        case.confirm(ConfirmEntitlement(OFFICER), STANDARDS, TODAY)
    next_year = date(2027, 11, 20)
    events = case.confirm(ConfirmEntitlement(OFFICER), STANDARDS, next_year)
    assert (events[0].amount_fen, events[0].next_due_on) == (9_000_000, date(2028, 11, 20))
    assert case.clocks(events) == Clocks(set=case.clocks(events).set, met=(CONFIRMATION,))
    case = step(case, events)
    kept = case.confirm(ConfirmEntitlement(OFFICER), STANDARDS, date(2028, 11, 1))
    assert kept[0].amount_fen == 9_000_000 and "kept" in kept[0].basis


def test_suspension_and_resumption_stop_and_restart_the_clock():
    case = decided()
    events = case.suspend(SuspendEntitlement("imprisoned", OFFICER), TODAY)
    assert case.clocks(events) == Clocks(cancelled=(CONFIRMATION,))
    case = step(case, events)
    for refused in (lambda c: c.confirm(ConfirmEntitlement(OFFICER), STANDARDS, TODAY),
                    lambda c: c.suspend(SuspendEntitlement("wanted", OFFICER), TODAY)):
        with pytest.raises(WrongState):
            refused(case)
    later = TODAY + timedelta(days=40)
    events = case.resume(ResumeEntitlement(OFFICER), later)
    assert case.clocks(events).set[0].due_on == date(2028, 1, 6)
    assert step(case, events).state == "active"


@pytest.mark.parametrize("kind, basis, died_of_illness, months, aid", [
    ("survivors_pension", {"tie": "martyr", "relation": "spouse"}, False, 6, 1_399_000),
    ("disability_pension", {"nature": "combat", "grade": 1}, True, 12, 8_815_000),
    ("disability_pension", {"nature": "combat", "grade": 1}, False, 0, 0),
    ("living_allowance", {"living_category": "rural_over_60"}, False, 0, 0),
])
def test_funeral_aid_on_death(kind, basis, died_of_illness, months, aid):
    case = decided(kind=kind, **basis)
    (event,) = case.end(EndEntitlement("death", OFFICER, died_of_illness=died_of_illness), TODAY)
    assert (event.funeral_aid_months, event.funeral_aid_fen) == (months, aid)
    assert case.clocks([event]) == Clocks(cancelled=(CONFIRMATION,))


@pytest.mark.parametrize("command, field", [
    (EndEntitlement("fraud", OFFICER, note="冒领"), "recover_fen"),
    (EndEntitlement("fraud", OFFICER, recover_fen=100), "note"),
    (EndEntitlement("death", OFFICER, recover_fen=100), "recover_fen"),
    (EndEntitlement("life_sentence", OFFICER, died_of_illness=True), "died_of_illness"),
    (EndEntitlement("bored", OFFICER), "reason"),
])
def test_an_ending_says_why_and_only_fraud_recovers_money(command, field):
    with pytest.raises(InvalidRequest) as refused:
        decided().end(command, TODAY)
    assert field in refused.value.fields


def test_a_fraud_ending_records_the_sum_to_recover():
    (event,) = decided().end(EndEntitlement("fraud", OFFICER, note="冒领", recover_fen=123_456),
                             TODAY)
    assert (event.reason, event.recover_fen) == ("fraud", 123_456)


def test_a_one_time_benefit_is_approved_then_paid_once():
    case = decided(kind="martyr_commendation", tie="martyr")
    assert case.state == "approved"
    with pytest.raises(InvalidRequest):
        case.pay(PayEntitlement(case.amount_fen - 1, TODAY, "JD-9", OFFICER), TODAY)
    case = step(case, case.pay(PayEntitlement(case.amount_fen, TODAY, "JD-9", OFFICER), TODAY))
    assert case.state == "paid"
    with pytest.raises(WrongState):
        case.pay(PayEntitlement(case.amount_fen, TODAY, "JD-9", OFFICER), TODAY)
    with pytest.raises(WrongState):
        decided().pay(PayEntitlement(1, TODAY, "x", OFFICER), TODAY)  # a periodic one


@pytest.mark.parametrize("build, decide", [
    (applied, lambda c: c.decide(DecideEntitlement("approve", APPROVER), STANDARDS, TODAY)),
    (applied, lambda c: c.confirm(ConfirmEntitlement(OFFICER), STANDARDS, TODAY)),
    (applied, lambda c: c.suspend(SuspendEntitlement("wanted", OFFICER), TODAY)),
    (applied, lambda c: c.end(EndEntitlement("death", OFFICER), TODAY)),
    (reviewed, lambda c: c.review(ReviewEntitlement("support", "x", OFFICER), TODAY)),
    (reviewed, lambda c: c.resume(ResumeEntitlement(OFFICER), TODAY)),
    (decided, lambda c: c.decide(DecideEntitlement("approve", APPROVER), STANDARDS, TODAY)),
    (decided, lambda c: c.resume(ResumeEntitlement(OFFICER), TODAY)),
])
def test_every_step_in_the_wrong_state_is_refused(build, decide):
    with pytest.raises(WrongState):
        decide(build())


def test_a_rejection_needs_a_reason():
    with pytest.raises(InvalidRequest):
        reviewed().decide(DecideEntitlement("reject", APPROVER), STANDARDS, TODAY)
    (event,) = reviewed().decide(DecideEntitlement("reject", APPROVER, reason="不符合条件"),
                                 STANDARDS, TODAY)
    assert event.event_type == "EntitlementRejected"
