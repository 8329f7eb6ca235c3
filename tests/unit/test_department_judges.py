"""The department drills' judges fail on a doubled approval, a lost step, money off, a doubled overdue."""
from faults.department_judges import (
    Step,
    Stored,
    completed_once,
    doubled,
    doubled_by,
    fired_once,
    lost_steps,
    matters_requested_once,
    money_matches,
)
from faults.departments import judge_steps
from faults.invariants import Verdict

RELIEF = ("ReliefApplied", "ReliefReviewed", "ReliefApproved", "ReliefDisbursed")


def relief_ledger(case="case-1", fen=300_000):
    steps = [Step(f"k-{n}", name, expect, case, paid) for n, (name, expect, paid) in enumerate(
        [("apply", "ReliefApplied", 0), ("review", "ReliefReviewed", 0),
         ("approve", "ReliefApproved", 0), ("disburse", "ReliefDisbursed", fen)])]
    for step in steps:
        step.outcome = "acked"
    events = [Stored(n + 1, case, step.expect,
                     {"paid_fen": fen} if step.expect == "ReliefDisbursed" else {})
              for n, step in enumerate(steps)]
    return steps, events


def test_a_clean_relief_ledger_passes_every_check():
    steps, events = relief_ledger()
    verdict = Verdict("7")
    judge_steps(verdict, steps, events, {"case-1"}, RELIEF)
    assert verdict.passed
    assert money_matches(steps, events, {"case-1"}, "ReliefDisbursed", "paid_fen") is None


def test_an_approval_recorded_twice_fails_the_drill():
    steps, events = relief_ledger()
    events.append(Stored(9, "case-1", "ReliefApproved", {}))
    assert doubled(events, {"case-1"}, RELIEF) == {("case-1", "ReliefApproved"): 2}
    verdict = Verdict("7")
    judge_steps(verdict, steps, events, {"case-1"}, RELIEF)
    assert not verdict.passed and verdict.duplicated == 1
    assert "ReliefApproved recorded 2 times in case-1" in verdict.failures


def test_a_grant_paid_twice_is_doubled_and_off_by_the_payment():
    steps, events = relief_ledger(fen=250_000)
    events.append(Stored(9, "case-1", "ReliefDisbursed", {"paid_fen": 250_000}))
    problem = money_matches(steps, events, {"case-1"}, "ReliefDisbursed", "paid_fen")
    assert problem and "difference 250000 fen" in problem
    assert doubled(events, {"case-1"}, RELIEF) == {("case-1", "ReliefDisbursed"): 2}


def test_an_acknowledged_step_missing_from_the_store_is_lost():
    steps, events = relief_ledger()
    events = [e for e in events if e.event_type != "ReliefDisbursed"]
    assert [s.name for s in lost_steps(steps, events)] == ["disburse"]
    verdict = Verdict("7")
    judge_steps(verdict, steps, events, {"case-1"}, RELIEF)
    assert verdict.lost == 1 and not verdict.passed
    # ... and the paid sum no longer matches what the clients were told was paid.
    assert money_matches(steps, events, {"case-1"}, "ReliefDisbursed", "paid_fen")


def test_an_acknowledged_opening_without_its_case_id_is_lost():
    step = Step("k", "apply", "ReliefApplied")
    step.outcome = "acked"
    assert lost_steps([step], []) == [step]


def test_a_soldier_reported_in_twice_is_caught_across_cases():
    events = [Stored(1, "case-a", "ReportedIn", {"veteran_id": "v1"}),
              Stored(2, "case-b", "ReportedIn", {"veteran_id": "v1"}),
              Stored(3, "case-c", "ReportedIn", {"veteran_id": "v2"})]
    assert doubled_by(events, "ReportedIn", "veteran_id") == {"v1": 2}


def test_an_overdue_fired_twice_or_never_is_not_once():
    events = [Stored(1, "p1", "PetitionIntakeOverdue", {}),
              Stored(2, "p2", "PetitionIntakeOverdue", {}),
              Stored(3, "p2", "PetitionIntakeOverdue", {})]
    assert fired_once(events, {"p1", "p2", "p3"}, "PetitionIntakeOverdue") == {"p2": 2, "p3": 0}
    assert fired_once(events[:2], {"p1", "p2"}, "PetitionIntakeOverdue") == {}


def test_a_matter_requested_twice_or_sent_twice_is_reported():
    events = [Stored(1, "b1", "MatterRequested.public_security",
                     {"matter": "id_card", "attempt": 1}),
              Stored(2, "b1", "MatterRequested.public_security",
                     {"matter": "id_card", "attempt": 1}),
              Stored(3, "b1", "MatterRequested.public_security",
                     {"matter": "id_card", "attempt": 2}),
              Stored(4, "b2", "MatterRequested.placement", {"matter": "reporting_in", "attempt": 1})]
    outbox = [("b2", "reporting_in"), ("b2", "reporting_in"), ("b1", "veteran_file")]
    problems = matters_requested_once(events, outbox, {"b1", "b2"})
    assert problems == ["bundle b1 matter id_card attempt 1 requested 2 times",
                        "bundle b2: 2 outbox commands for reporting_in"]
    # A second attempt after a refusal is a new request, not a doubled one.
    assert matters_requested_once([events[0], events[2], events[3]], outbox[:1], {"b1", "b2"}) \
        == []


def test_a_bundle_completed_twice_or_never_is_reported():
    events = [Stored(1, "b1", "BundleCompleted", {}), Stored(2, "b1", "BundleCompleted", {})]
    assert completed_once(events, {"b1", "b2"}) == {"b1": 2, "b2": 0}
