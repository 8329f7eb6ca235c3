"""The staff workbench's placement queues on the real PostgreSQL: whose step, days waiting, clocks, sort."""
from __future__ import annotations

from datetime import date, timedelta

from contracts import access
from services.placement import handlers
from services.placement.domain.case import PlacementCase, desk_statuses
from tests.integration import test_placement_cases as cases
from tests.integration.test_placement_cases import (
    STANDARDS,
    _list,
    meta,
    post,
    report,
    step,
    waiting_and_scored,
)

placement_database_url = cases.placement_database_url
db, store, clock = cases.db, cases.store, cases.clock

OFFICER = ("placement_officer",)
WORKER = ("station_worker",)


def granted(roles):
    return lambda operation: bool(access.grants(operation, roles))


def queue(store, clock, roles, name, **more):
    return _list(store, clock, queue=name, mine=desk_statuses(granted(roles)), **more)


def ids(listed):
    return [row["case_id"] for row in listed["items"]]


def self_employed(store, clock):
    case = report(store, clock, rank_class="conscript", years_of_service=2)
    handlers.choose_mode(store, case.case_id, "self_employment", STANDARDS, meta(), clock)
    return case.case_id


def test_the_queues_follow_whose_step_it_is(store, clock):
    scored = waiting_and_scored(store, clock)                     # the desk offers a post
    chooses = report(store, clock, rank_class="conscript", years_of_service=2).case_id
    clock.advance(days=3)
    paid_out = self_employed(store, clock)                        # the desk pays the subsidy
    handed = self_employed(store, clock)
    step(store, clock, handed, lambda c: c.pay_subsidy(clock.today(), "转账-001", clock.today()))
    clock.advance(days=4)
    closed = self_employed(store, clock)
    step(store, clock, closed, lambda c: c.pay_subsidy(clock.today(), "转账-002", clock.today()))
    step(store, clock, closed, lambda c: c.hand_over_to_employment(clock.today()))
    lettered = waiting_and_scored(store, clock)
    post_id = post(store).post_id
    handlers.offer_post(store, lettered, post_id, meta(), clock)
    handlers.accept_post(store, lettered, meta(), clock)
    step(store, clock, lettered,
         lambda c: c.issue_referral_letter("金东退役安字〔2026〕7号", clock.today(), clock.today()))

    # The placement officer's queue: the steps only the bureau takes; choosing the mode is the
    # veteran's, handing over to employment is a step their role also runs.
    mine = queue(store, clock, OFFICER, "mine")
    assert set(ids(mine)) == {scored, paid_out, handed, lettered} and mine["total"] == 4
    assert ids(queue(store, clock, OFFICER, "others")) == [chooses]
    assert ids(queue(store, clock, OFFICER, "done")) == [closed]
    # A station worker's: only the hand-over to employment; the rest waits on others.
    assert ids(queue(store, clock, WORKER, "mine")) == [handed]
    assert set(ids(queue(store, clock, WORKER, "others"))) == {scored, chooses, paid_out, lettered}

    rows = {row["case_id"]: row for row in _list(store, clock, mine=desk_statuses(
        granted(OFFICER)))["items"]}
    # Days waiting count from the step that put the case in its status.
    start = cases.START.date()
    assert rows[scored]["state_since"] == start
    assert rows[paid_out]["state_since"] == start + timedelta(days=3)
    assert rows[lettered]["state_since"] == start + timedelta(days=7)
    assert [rows[c]["next_step"] for c in (scored, chooses, paid_out, handed, lettered, closed)] \
        == ["post-offer", "mode", "subsidy-payment", "employment-handover", "on-post", None]
    assert rows[scored]["yours"] and not rows[chooses]["yours"]
    # The clock running now: placement while the soldier waits, on post after the letter.
    assert rows[scored]["due_on"] == date(2027, 3, 18)
    assert rows[lettered]["due_on"] == start + timedelta(days=7 + 30)
    assert rows[paid_out]["due_on"] is None

    # Sorted in SQL, across pages.
    by_wait = _list(store, clock, queue="mine", mine=desk_statuses(granted(OFFICER)),
                    sort="state_since", order="desc", page_size=2)
    assert ids(by_wait)[0] == lettered and by_wait["total"] == 4
    second = _list(store, clock, queue="mine", mine=desk_statuses(granted(OFFICER)),
                   sort="state_since", order="desc", page=2, page_size=2)
    assert ids(second)[-1] == scored
    by_due = _list(store, clock, queue="mine", mine=desk_statuses(granted(OFFICER)),
                   sort="due_on")
    assert ids(by_due)[:2] == [lettered, scored]


def test_a_case_read_names_the_steps_the_caller_may_take(store, clock):
    scored = waiting_and_scored(store, clock)
    case = handlers.load_case(store, scored)
    assert case.next_steps(granted(OFFICER)) == ["post-offer", "score", "prosecution"]
    assert case.next_steps(granted(WORKER)) == []
    late = report(store, clock, approved=clock.today() - timedelta(days=45),
                  rank_class="conscript", years_of_service=2)
    forfeited: PlacementCase = handlers.load_case(store, late.case_id)
    assert forfeited.status == "forfeited"
    assert forfeited.next_steps(granted(OFFICER)) == ["closure", "late-reason"]
    assert forfeited.next_steps(granted(("veteran",))) == []


def test_the_desk_waits_on_every_open_status_but_the_veterans_choices():
    # The veteran chooses the mode and answers an offer; every other open status waits on the
    # placement officer, and closed waits on no one.
    assert desk_statuses(granted(OFFICER)) == sorted(
        ["forfeited", "waiting", "scored", "post_accepted", "letter_issued", "on_post",
         "contracted", "self_employed", "subsidy_paid", "handed_over", "awaiting_assignment",
         "assigned", "placed"])
    assert desk_statuses(granted(WORKER)) == ["subsidy_paid"]
    assert desk_statuses(granted(("veteran",))) == []
