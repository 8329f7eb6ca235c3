"""The card's way through the offices on working days, offers and the rule behind each, campaigns and visits."""
from datetime import date, timedelta

import pytest

from chassis.days import WorkingCalendar
from services.benefits.domain.card import (
    FILING,
    HANDOUT,
    STEP_NAMES,
    ApplyForCard,
    Card,
    RecordCardStep,
    RefuseCard,
)
from services.benefits.domain.case import Actor, Clocks
from services.benefits.domain.errors import InvalidRequest, NotFound, NotYourStep, WrongState
from services.benefits.domain.offer import ANSWER, AnswerOffer, Offer, open_offer
from services.benefits.domain.rules import (
    DISCHARGE_CARD_RULE,
    SURVIVOR_CARD_RULE,
    SURVIVOR_PENSION_RULE,
    offers_for_disability,
    offers_for_registry_event,
)
from services.benefits.domain.visits import (
    Campaign,
    OpenCampaign,
    RecordVisit,
    Visit,
    WithdrawVisit,
    open_campaign,
)
from tests.benefits_fixtures import HANDLER, OFFICER, TODAY, veteran

CALENDAR = WorkingCalendar()
STATION_WORKER = Actor("station-worker-1", ("station_worker",))


def step(case, events):
    for e in events:
        case.apply(e)
    return case


def card_at(state_index: int, start=date(2026, 9, 1)):
    """A card taken through the first `state_index` steps, one day apart from `start`."""
    card = Card("c-1")
    card = step(card, card.apply_for(ApplyForCard(veteran(), "veteran", HANDLER), start))
    for i, name in enumerate(STEP_NAMES[:state_index]):
        day = start + timedelta(days=i + 1)
        card = step(card, card.record_step(RecordCardStep(name, day, OFFICER),
                                           CALENDAR.add_working_days, TODAY))
    return card


def test_the_card_goes_through_every_office_to_the_veteran():
    card = card_at(len(STEP_NAMES))
    assert card.state == "handed_out"


def test_the_filing_clock_counts_30_working_days_over_the_national_day_holiday():
    card = card_at(0, start=date(2026, 9, 28))
    (checked,) = card.record_step(RecordCardStep("county_check", date(2026, 9, 29), OFFICER),
                                  CALENDAR.add_working_days, TODAY)
    # 30 working days from Tuesday 29 September 2026: 1-7 October are holidays, and the
    # make-up working days of that autumn count (chinese_calendar knows them).
    assert checked.filing_due_on == CALENDAR.add_working_days(date(2026, 9, 29), 30)
    assert checked.filing_due_on > date(2026, 9, 29) + timedelta(days=42)
    clocks = card.clocks([checked])
    assert [(d.name, d.due_on, d.fire_type) for d in clocks.set] == [
        (FILING, checked.filing_due_on, "CardFilingOverdue")]


def test_made_starts_the_10_working_day_hand_out_clock_and_handing_out_meets_it():
    card = card_at(4)
    (made,) = card.record_step(RecordCardStep("made", date(2026, 9, 30), OFFICER),
                               CALENDAR.add_working_days, TODAY)
    assert made.handout_due_on == date(2026, 10, 20)  # 10 working days past the holiday week
    assert card.clocks([made]).set[0].name == HANDOUT
    card = step(card, [made])
    handed = card.record_step(RecordCardStep("hand_out", date(2026, 10, 9), STATION_WORKER),
                              CALENDAR.add_working_days, TODAY)
    assert card.clocks(handed) == Clocks(met=(HANDOUT,))


@pytest.mark.parametrize("at, step_name", [
    (0, "bureau_approval"), (1, "county_check"), (2, "province_filing"), (3, "made"),
    (4, "hand_out"), (6, "county_check"),
])
def test_steps_go_in_order(at, step_name):
    with pytest.raises(WrongState):
        card_at(at).record_step(RecordCardStep(step_name, TODAY, OFFICER),
                                CALENDAR.add_working_days, TODAY)


@pytest.mark.parametrize("at, step_name", [(0, "county_check"), (4, "made")])
def test_a_station_worker_only_hands_the_card_out(at, step_name):
    with pytest.raises(NotYourStep):
        card_at(at).record_step(RecordCardStep(step_name, TODAY, STATION_WORKER),
                                CALENDAR.add_working_days, TODAY)


@pytest.mark.parametrize("done_on, field", [(TODAY + timedelta(days=1), "done_on"),
                                            (date(2026, 9, 1), "done_on")])
def test_a_step_is_dated_between_the_previous_step_and_today(done_on, field):
    with pytest.raises(InvalidRequest) as refused:
        card_at(2).record_step(RecordCardStep("city_review", done_on, OFFICER),
                               CALENDAR.add_working_days, TODAY)
    assert field in refused.value.fields


@pytest.mark.parametrize("at", range(0, 5))
def test_a_card_is_refused_with_the_reason_until_it_is_made(at):
    card = card_at(at)
    (refused,) = card.refuse(RefuseCard("deprived_of_political_rights", OFFICER), TODAY)
    assert refused.at_state == card.state
    assert card.clocks([refused]) == Clocks(cancelled=(FILING, HANDOUT))
    card = step(card, [refused])
    with pytest.raises(WrongState):
        card.record_step(RecordCardStep("county_check", TODAY, OFFICER),
                         CALENDAR.add_working_days, TODAY)
    # A refused application may be made again later (the bar may have lifted).
    assert card.apply_for(ApplyForCard(veteran(), "veteran", HANDLER), TODAY)


@pytest.mark.parametrize("at", [5, 6])
def test_a_made_card_is_not_refused(at):
    with pytest.raises(WrongState):
        card_at(at).refuse(RefuseCard("wanted", OFFICER), TODAY)


def test_card_refusal_reasons_are_the_rules_bars():
    with pytest.raises(InvalidRequest):
        card_at(1).refuse(RefuseCard("rude", OFFICER), TODAY)


@pytest.mark.parametrize("facts, category, allowed", [
    (veteran(discharged=True), "veteran", True),
    (veteran(discharged=False), "veteran", False),
    (veteran(discharged=False, ties=("martyr",)), "survivor", True),
    (veteran(discharged=True), "survivor", False),
    (veteran(), "tourist", False),
])
def test_who_may_apply_for_a_card(facts, category, allowed):
    command = ApplyForCard(facts, category, HANDLER)
    if allowed:
        assert Card("c-1").apply_for(command, TODAY)[0].category == category
    else:
        with pytest.raises(InvalidRequest):
            Card("c-1").apply_for(command, TODAY)


def test_nobody_applies_for_a_second_card():
    with pytest.raises(WrongState):
        card_at(3).apply_for(ApplyForCard(veteran(), "veteran", HANDLER), TODAY)


# -- offers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("event_type, open_kinds, rules", [
    ("SurvivorTieMarked", set(), [SURVIVOR_PENSION_RULE, SURVIVOR_CARD_RULE]),
    ("SurvivorTieMarked", {"card"}, [SURVIVOR_PENSION_RULE]),
    ("SurvivorTieMarked", {"card", "survivors_pension"}, []),
    ("DischargeRecorded", set(), [DISCHARGE_CARD_RULE]),
    ("DischargeRecorded", {"card"}, []),
    ("VeteranRegistered", set(), []),
    ("ContactAmended", set(), []),
])
def test_which_registry_facts_open_which_offers(event_type, open_kinds, rules):
    assert offers_for_registry_event(event_type, {}, veteran(), open_kinds) == rules


@pytest.mark.parametrize("nature, grade, mental, kinds", [
    ("combat", 1, False, ["disability_pension", "nursing_allowance"]),
    ("duty", 5, False, ["disability_pension"]),
    ("illness", 4, False, ["disability_pension", "nursing_allowance"]),
    ("illness", 6, True, ["disability_pension", "nursing_allowance"]),
    ("illness", 7, False, []),
    ("combat", 11, False, []),
])
def test_which_disabilities_open_which_offers(nature, grade, mental, kinds):
    assert [r.kind for r in offers_for_disability(nature, grade, mental)] == kinds


def test_every_offer_rule_names_its_article():
    for rule in (SURVIVOR_PENSION_RULE, SURVIVOR_CARD_RULE, DISCHARGE_CARD_RULE,
                 *offers_for_disability("combat", 1)):
        assert rule.article and rule.explanation and rule.code.endswith(rule.kind)


def opened():
    offer = Offer("o-1")
    return step(offer, open_offer("o-1", SURVIVOR_PENSION_RULE, veteran(ties=("martyr",)),
                                  "SurvivorTieMarked", "ev-1", TODAY))


def test_an_offer_says_which_rule_made_it_and_waits_30_days_for_an_answer():
    events = open_offer("o-1", SURVIVOR_PENSION_RULE, veteran(), "SurvivorTieMarked", "ev-1",
                        TODAY)
    assert (events[0].rule, events[0].article, events[0].answer_due_on) == (
        "survivor_tie.survivors_pension", "抚恤优待条例 Art. 19", date(2026, 12, 27))
    clocks = Offer("o-1").clocks(events)
    assert [(d.name, d.due_on, d.fire_type) for d in clocks.set] == [
        (ANSWER, date(2026, 12, 27), "OfferUnanswered")]


@pytest.mark.parametrize("answer, state", [("confirm", "confirmed"), ("decline", "declined")])
def test_an_answer_meets_the_clock_and_is_given_once(answer, state):
    offer = opened()
    events = offer.answer(AnswerOffer(answer, HANDLER, reason="暂不需要"), "e-9", TODAY)
    assert offer.clocks(events) == Clocks(met=(ANSWER,))
    offer = step(offer, events)
    assert offer.state == state
    with pytest.raises(WrongState):
        offer.answer(AnswerOffer("confirm", HANDLER), "e-9", TODAY)


def test_an_offer_answered_late_is_still_taken():
    from services.benefits.domain.events import OfferUnanswered
    offer = step(opened(), [OfferUnanswered("o-1", "v-1", date(2026, 12, 27))])
    assert offer.unanswered
    assert offer.answer(AnswerOffer("confirm", HANDLER), "e-9", date(2027, 1, 5))


# -- campaigns and visits ------------------------------------------------------------------------

def campaign(**kw):
    command = OpenCampaign(**{"name": "2026年春节走访慰问", "kind": "festival",
                              "starts_on": date(2026, 11, 1), "ends_on": date(2026, 12, 31),
                              "budget_fen": 227_100_000, "actor": OFFICER, **kw})
    return step(Campaign("k-1"), open_campaign(command, "k-1"))


def visit(**kw):
    return RecordVisit(**{"veteran": veteran(), "visited_on": TODAY, "visitors": "区委书记",
                          "amount_fen": 50_000, "actor": STATION_WORKER, **kw})


def test_a_visit_records_who_by_whom_money_and_goods():
    (event,) = campaign().record_visit(visit(goods="米、油", goods_value_fen=15_000), "w-1", TODAY)
    assert (event.veteran_id, event.visitors, event.amount_fen, event.goods_value_fen,
            event.station) == ("v-1", "区委书记", 50_000, 15_000, "多湖街道退役军人服务站")


@pytest.mark.parametrize("overrides, field", [
    ({"visited_on": date(2026, 10, 31)}, "visited_on"),
    ({"visited_on": TODAY + timedelta(days=1)}, "visited_on"),
    ({"amount_fen": -1}, "amount_fen"),
    ({"goods_value_fen": 100}, "goods"),
    ({"visitors": ""}, "visitors"),
])
def test_a_visit_outside_the_rules_is_refused(overrides, field):
    with pytest.raises(InvalidRequest) as refused:
        campaign().record_visit(visit(**overrides), "w-1", TODAY)
    assert field in refused.value.fields


def test_no_visit_in_a_closed_or_unknown_campaign():
    closed = campaign()
    closed = step(closed, closed.close(OFFICER, TODAY))
    with pytest.raises(WrongState):
        closed.record_visit(visit(), "w-1", TODAY)
    with pytest.raises(NotFound):
        Campaign("nope").record_visit(visit(), "w-1", TODAY)


@pytest.mark.parametrize("overrides, field", [
    ({"ends_on": date(2026, 10, 1)}, "ends_on"), ({"budget_fen": 0}, "budget_fen"),
    ({"kind": "party"}, "kind"), ({"name": " "}, "name"),
])
def test_a_campaign_needs_a_period_a_budget_and_a_kind(overrides, field):
    with pytest.raises(InvalidRequest) as refused:
        campaign(**overrides)
    assert field in refused.value.fields


def test_a_visit_is_withdrawn_once_with_a_reason():
    v = step(Visit("w-1"), campaign().record_visit(visit(), "w-1", TODAY))
    with pytest.raises(InvalidRequest):
        v.withdraw(WithdrawVisit("", OFFICER), TODAY)
    v = step(v, v.withdraw(WithdrawVisit("重复登记", OFFICER), TODAY))
    with pytest.raises(WrongState):
        v.withdraw(WithdrawVisit("重复登记", OFFICER), TODAY)


def test_every_trigger_the_disputes_service_refers_has_one_of_ours():
    from contracts import disputes
    from services.benefits.domain.rules import RELIEF_TRIGGER_OF_REFERRAL
    from services.benefits.domain.vocabulary import RELIEF_TRIGGERS

    assert set(RELIEF_TRIGGER_OF_REFERRAL) == set(disputes.HARDSHIP_TRIGGERS)
    assert set(RELIEF_TRIGGER_OF_REFERRAL.values()) <= set(RELIEF_TRIGGERS)
