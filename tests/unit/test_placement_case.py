"""A placement case's lifecycle in pure Python: every step, every refusal, and the clocks each step moves."""
from datetime import date

import pytest

from services.placement.domain import events as ev
from services.placement.domain.case import PlacementCase
from services.placement.domain.clocks import clock_changes
from services.placement.domain.commands import AmendFacts, RegisterPostQuota, ReportIn
from services.placement.domain.errors import (
    BenefitsForfeited,
    InvalidPlacementData,
    ModeBarred,
    PostUnavailable,
    WrongState,
)
from services.placement.domain.facts import Disability, Honour, RegistryFacts
from services.placement.domain.money import Standards, YearStandard
from services.placement.domain.posts import PostQuota, register_post_quota
from services.placement.domain.reporting import report_in

APPROVED = date(2026, 9, 1)
TODAY = date(2026, 9, 20)
STATION = "多湖街道退役军人服务站"
STANDARDS = Standards({2026: YearStandard(2026, 262000, 480000)})
VETERAN = "0f5c3c1e-6a39-4d32-9d5e-2f1a8c9b7e10"


def reported(**overrides) -> list[ev.Event]:
    cmd = dict(veteran_id=VETERAN, discharge_approved_on=APPROVED, rank_class="senior_nco",
               years_of_service=13, service_station=STATION, township="多湖街道")
    cmd.update(overrides)
    today = cmd.pop("today", TODAY)
    return report_in(ReportIn(**cmd), "case-1", today)


class Story:
    """A case and the events it has so far; each step appends what the decision returned."""

    def __init__(self, events):
        self.events = list(events)

    @property
    def case(self) -> PlacementCase:
        return PlacementCase.from_events(self.events)

    def do(self, step, *args, **kwargs):
        new = getattr(self.case, step)(*args, **kwargs)
        self.events += new
        return new


def assigned_work_until(status: str) -> Story:
    story = Story(reported())
    steps = [
        ("waiting", "choose_mode", ("assigned_work", TODAY, STANDARDS)),
        ("scored", "score", (87, TODAY)),
        ("post_offered", "offer_post", ("post-1", "institution", "金东区农业农村局", TODAY)),
        ("post_accepted", "accept_post", (TODAY,)),
        ("letter_issued", "issue_referral_letter", ("金东退役安字〔2026〕12号", TODAY, TODAY)),
        ("on_post", "record_on_post", (TODAY, TODAY)),
        ("contracted", "record_contract", (TODAY, 3, False, TODAY)),
        ("closed", "close", (TODAY,)),
    ]
    for reached, step, args in steps:
        if story.case.status == status:
            return story
        story.do(step, *args)
        assert story.case.status == reached
    return story


# -- reporting in ---------------------------------------------------------------------------------

def test_reporting_in_on_time_opens_the_case():
    (opened,) = reported(today=date(2026, 10, 1))
    assert (opened.case_kind, opened.report_in_due_on, opened.reported_on) == \
        ("soldier", date(2026, 10, 1), date(2026, 10, 1))


def test_reporting_in_late_without_a_good_reason_gives_up_the_benefits_art_51():
    opened, forfeited = reported(today=date(2026, 10, 5))
    assert (forfeited.reason, forfeited.article) == ("late_report_in", "安置条例 Art. 51")
    assert "reported 4 day(s) after" in forfeited.detail
    case = PlacementCase.from_events([opened, forfeited])
    assert case.status == "forfeited"
    with pytest.raises(BenefitsForfeited, match="Art. 51"):
        case.choose_mode("self_employment", TODAY, STANDARDS)


def test_reporting_in_late_with_a_good_reason_recorded_keeps_the_benefits():
    (opened,) = reported(today=date(2026, 10, 5), late_reason="住院治疗")
    assert opened.late_reason == "住院治疗"


def test_a_good_reason_recorded_later_lifts_the_forfeiture():
    story = Story(reported(today=date(2026, 10, 5)))
    story.do("record_late_reason", "抢险救灾期间无法报到", date(2026, 10, 6))
    assert story.case.status == "reported"
    assert story.case.late_reason == "抢险救灾期间无法报到"


def test_facts_come_from_the_registry_where_the_request_is_silent():
    registry = RegistryFacts(VETERAN, service_station=STATION, township="多湖街道", rank="上士",
                             enlisted_year=2012, discharged_year=2026,
                             honours=(Honour("second_class_merit"),), martyr_child=True)
    (opened,) = report_in(ReportIn(VETERAN, APPROVED), "case-1", TODAY, registry)
    assert (opened.rank_class, opened.years_of_service, opened.service_station,
            opened.martyr_child, opened.honours) == \
        ("senior_nco", 14, STATION, True, (Honour("second_class_merit"),))


def test_a_report_in_without_the_facts_names_each_missing_one():
    with pytest.raises(InvalidPlacementData) as refused:
        report_in(ReportIn(VETERAN, date(2026, 12, 1)), "case-1", TODAY)
    assert set(refused.value.fields) == {"service_station", "township", "rank_class",
                                         "years_of_service", "discharge_approved_on"}


@pytest.mark.parametrize("overrides, field", [
    ({"rank_class": "general"}, "rank_class"),
    ({"years_of_service": 51}, "years_of_service"),
    ({"age_at_discharge": 12}, "age_at_discharge"),
    ({"disability": Disability("combat", 11)}, "disability"),
    ({"disability": Disability("accident", 3)}, "disability"),
    ({"honours": (Honour("medal_of_honour"),)}, "honours"),
])
def test_facts_the_rules_cannot_read_are_refused(overrides, field):
    with pytest.raises(InvalidPlacementData) as refused:
        reported(**overrides)
    assert field in refused.value.fields


def test_an_officer_reports_in_to_an_officers_case():
    (opened,) = reported(rank_class="officer", years_of_service=16)
    assert opened.case_kind == "officer"


# -- choosing a mode --------------------------------------------------------------------------------

def test_a_barred_mode_is_refused_with_the_rule_that_bars_it():
    story = Story(reported(rank_class="junior_nco", years_of_service=5))
    with pytest.raises(ModeBarred, match="Art. 25") as refused:
        story.do("choose_mode", "assigned_work", TODAY, STANDARDS)
    assert "none of these holds" in refused.value.fields["mode"][0]


def test_self_employment_assesses_the_one_time_subsidy_in_fen():
    story = Story(reported(rank_class="junior_nco", years_of_service=5))
    chosen, assessed = story.do("choose_mode", "self_employment", TODAY, STANDARDS)
    assert (assessed.standard_year, assessed.fen_per_year, assessed.amount_fen) == \
        (2026, 480000, 2400000)
    assert story.case.status == "self_employed"
    story.do("pay_subsidy", TODAY, "金东财付2026-0917", TODAY)
    assert story.case.subsidy_paid.amount_fen == 2400000
    handed, closed = story.do("hand_over_to_employment", TODAY)
    assert closed.outcome == "handed_to_employment" and story.case.status == "closed"


@pytest.mark.parametrize("mode, rank_class, extra", [
    ("retirement", "senior_nco", {"age_at_discharge": 56}),
    ("support", "conscript", {"disability": Disability("combat", 2)}),
    ("monthly_retirement_pay", "senior_nco", {}),
])
def test_retirement_support_and_monthly_pay_are_handed_over_then_closed(mode, rank_class, extra):
    story = Story(reported(rank_class=rank_class, **extra))
    story.do("choose_mode", mode, TODAY, STANDARDS)
    assert story.case.status == "handed_over"
    (closed,) = story.do("close", TODAY)
    assert closed.outcome == "handed_over"


# -- assigned work ------------------------------------------------------------------------------

def test_the_assigned_work_lifecycle_from_waiting_to_closed():
    story = assigned_work_until("closed")
    case = story.case
    assert (case.mode, case.points, case.post.unit, case.placed.post_kind, case.contract.term_years,
            case.closed.outcome) == \
        ("assigned_work", 87, "金东区农业农村局", "institution", 3, "placed")
    assert [e.event_type for e in story.events] == [
        "ReportedIn", "ModeChosen", "Scored", "PostOffered", "PostAccepted",
        "ReferralLetterIssued", "Placed", "OnPostRecorded", "ContractRecorded", "CaseClosed"]


# Every step refused from every state it does not follow from.
STEPS = {
    "choose_mode": ("assigned_work", TODAY, STANDARDS),
    "score": (90, TODAY),
    "offer_post": ("post-2", "administrative", "金东区人民政府办公室", TODAY),
    "accept_post": (TODAY,),
    "decline_post": ("家中老人需照顾", TODAY),
    "issue_referral_letter": ("金东退役安字〔2026〕13号", TODAY, TODAY),
    "record_on_post": (TODAY, TODAY),
    "record_contract": (TODAY, 5, False, TODAY),
    "close": (TODAY,),
    "pay_subsidy": (TODAY, "ref-1", TODAY),
    "hand_over_to_employment": (TODAY,),
    "assign_transfer": ("two_way_selection", "administrative", TODAY),
    "record_placement": ("administrative", "金东区审计局", TODAY, TODAY),
    "forfeit_for_prosecution": ("公安机关立案侦查", TODAY),
}
FOLLOWS = {
    "reported": {"choose_mode"},
    "waiting": {"score", "forfeit_for_prosecution"},
    "scored": {"score", "offer_post", "forfeit_for_prosecution"},
    "post_offered": {"accept_post", "decline_post", "forfeit_for_prosecution"},
    "post_accepted": {"issue_referral_letter", "forfeit_for_prosecution"},
    "letter_issued": {"record_on_post"},
    "on_post": {"record_contract"},
    "contracted": {"close"},
    "closed": set(),
}


@pytest.mark.parametrize("status", sorted(FOLLOWS))
@pytest.mark.parametrize("step", sorted(STEPS))
def test_every_step_is_refused_where_it_does_not_follow(status, step):
    story = assigned_work_until(status)
    if step in FOLLOWS[status]:
        assert story.do(step, *STEPS[step])
    else:
        with pytest.raises(WrongState, match=f"the case is {status}"):
            story.do(step, *STEPS[step])


def test_declining_with_a_good_reason_waits_for_another_post():
    story = assigned_work_until("post_offered")
    (declined,) = story.do("decline_post", "离家过远, 父母年迈", TODAY)
    assert story.case.status == "scored" and story.case.holds_post is None
    story.do("offer_post", "post-2", "administrative", "金东区人民政府办公室", TODAY)
    assert story.case.status == "post_offered"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_declining_without_a_good_reason_gives_up_the_placement_art_34(reason):
    story = assigned_work_until("post_offered")
    declined, forfeited = story.do("decline_post", reason, TODAY)
    assert (forfeited.reason, forfeited.article) == ("declined_post", "安置条例 Art. 34")
    assert story.case.status == "forfeited"
    with pytest.raises(BenefitsForfeited, match="declined post"):
        story.do("offer_post", "post-2", "administrative", "金东区人民政府办公室", TODAY)
    with pytest.raises(WrongState, match="forfeited for declined_post"):
        story.do("record_late_reason", "迟到理由", TODAY)
    (closed,) = story.do("close", TODAY)
    assert closed.outcome == "forfeited"


def test_prosecution_while_waiting_cancels_the_placement_art_34():
    story = assigned_work_until("scored")
    (forfeited,) = story.do("forfeit_for_prosecution", "公安机关立案侦查", TODAY)
    assert forfeited.reason == "prosecuted_while_waiting"
    assert story.case.status == "forfeited"


@pytest.mark.parametrize("kind, years, term, open_ended, field", [
    ("institution", 13, 2, False, "term_years"),
    ("institution", 13, None, False, "term_years"),
    ("enterprise", 10, 5, False, "open_ended"),
])
def test_contracts_follow_art_32(kind, years, term, open_ended, field):
    # A martyr's child, so assigned work is open whatever the years.
    story = Story(reported(years_of_service=years, martyr_child=True))
    story.do("choose_mode", "assigned_work", TODAY, STANDARDS)
    story.do("score", 70, TODAY)
    story.do("offer_post", "post-9", kind, "金华市金东城市建设投资集团", TODAY)
    story.do("accept_post", TODAY)
    story.do("issue_referral_letter", "L-1", TODAY, TODAY)
    story.do("record_on_post", TODAY, TODAY)
    with pytest.raises(InvalidPlacementData) as refused:
        story.do("record_contract", TODAY, term, open_ended, TODAY)
    assert field in refused.value.fields
    story.do("record_contract", TODAY, None, True, TODAY)
    assert story.case.contract.open_ended


def test_dates_in_the_future_or_before_the_step_they_follow_are_refused():
    story = assigned_work_until("post_accepted")
    with pytest.raises(InvalidPlacementData, match="issued_on is in the future"):
        story.do("issue_referral_letter", "L-1", date(2026, 9, 21), TODAY)
    with pytest.raises(InvalidPlacementData, match="issued_on is too early"):
        story.do("issue_referral_letter", "L-1", date(2026, 9, 19), TODAY)


def test_amended_facts_change_what_the_rules_allow():
    story = Story(reported(rank_class="junior_nco", years_of_service=4))
    assert "assigned_work" not in {m.mode for m in story.case.eligibility() if m.allowed}
    story.do("amend_facts", AmendFacts(disability=Disability("combat", 6)))
    assert "assigned_work" in {m.mode for m in story.case.eligibility() if m.allowed}
    assert story.do("amend_facts", AmendFacts(disability=Disability("combat", 6))) == []
    story.do("amend_facts", AmendFacts(no_disability=True))
    assert story.case.facts.disability is None
    with pytest.raises(InvalidPlacementData, match="cannot be amended"):
        story.do("amend_facts", AmendFacts(rank_class="officer"))


# -- transferred officers and their spouses ---------------------------------------------------------

def test_a_transferred_officer_and_a_spouse_moving_with_them():
    officer = Story(reported(rank_class="officer", years_of_service=18))
    officer.do("choose_mode", "officer_transfer", TODAY, STANDARDS)
    assert officer.case.status == "awaiting_assignment"
    (linked,) = officer.do("link_spouse", "case-2")
    received = officer.case.receive_spouse("case-2", "王丽", "institution", TODAY)
    with pytest.raises(WrongState, match="linked to a spouse's case already"):
        officer.do("link_spouse", "case-3")
    spouse = Story([received])
    assert (spouse.case.kind, spouse.case.status, spouse.case.officer_case_id,
            spouse.case.veteran_id) == ("spouse", "awaiting_assignment", "case-1", VETERAN)
    for story, kind in ((officer, "administrative"), (spouse, "institution")):
        story.do("assign_transfer", "examination_and_assessment", kind, TODAY)
        story.do("record_placement", kind, "金东区人民检察院", TODAY, TODAY)
        assert story.case.status == "placed"
        story.do("close", TODAY)
    with pytest.raises(WrongState):
        Story(reported()).do("assign_transfer", "two_way_selection", "administrative", TODAY)


def test_an_unknown_assignment_method_or_post_kind_is_refused():
    officer = Story(reported(rank_class="officer", years_of_service=18))
    officer.do("choose_mode", "officer_transfer", TODAY, STANDARDS)
    with pytest.raises(InvalidPlacementData) as refused:
        officer.do("assign_transfer", "lottery", "palace", TODAY)
    assert set(refused.value.fields) == {"method", "planned_kind"}


# -- the clocks each step moves -------------------------------------------------------------------

def test_assigned_work_starts_the_six_month_clock_from_reception():
    story = assigned_work_until("reported")
    new = story.do("choose_mode", "assigned_work", TODAY, STANDARDS)
    assert clock_changes(story.case.reported_on, new).set == {"placement": date(2027, 3, 20)}


def test_the_letter_meets_the_placement_clock_and_starts_the_units_30_days():
    story = assigned_work_until("post_accepted")
    changes = clock_changes(TODAY, story.do("issue_referral_letter", "L-1", TODAY, TODAY))
    assert changes.met == ("placement",)
    assert changes.set == {"on_post": date(2026, 10, 20)}
    assert clock_changes(TODAY, story.do("record_on_post", TODAY, TODAY)).met == ("on_post",)


def test_a_forfeiture_or_a_closing_stops_the_clocks():
    story = assigned_work_until("scored")
    changes = clock_changes(TODAY, story.do("forfeit_for_prosecution", None, TODAY))
    assert set(changes.cancelled) == {"placement", "on_post"}


def test_overdue_events_are_facts_in_any_state():
    story = assigned_work_until("scored")
    story.events.append(ev.PlacementOverdue("case-1", VETERAN, due_on=date(2027, 3, 20)))
    assert story.case.overdue == {"placement"} and story.case.status == "scored"
    story.do("offer_post", "post-1", "institution", "金东区农业农村局", TODAY)
    story.do("accept_post", TODAY)
    story.do("issue_referral_letter", "L-1", TODAY, TODAY)
    assert story.case.overdue == set()


# -- post quotas ----------------------------------------------------------------------------------

def test_a_post_position_is_offered_to_one_case_at_a_time():
    events = register_post_quota(RegisterPostQuota("金东区农业农村局", "institution", "综合岗",
                                                   2026, 1), "post-1")
    quota = PostQuota.from_events(events)
    events += quota.hold("case-1")
    quota = PostQuota.from_events(events)
    with pytest.raises(PostUnavailable, match="every position"):
        quota.hold("case-2")
    events += quota.release("case-1", "declined")
    events += PostQuota.from_events(events).hold("case-2")
    events += PostQuota.from_events(events).fill("case-2")
    quota = PostQuota.from_events(events)
    assert (quota.holders, quota.free) == ({"case-2": "filled"}, 0)
    assert quota.release("case-9", "declined") == []


def test_a_post_quota_must_be_usable():
    with pytest.raises(InvalidPlacementData) as refused:
        register_post_quota(RegisterPostQuota(" ", "palace", "", 1999, 0), "post-1")
    assert set(refused.value.fields) == {"unit", "title", "post_kind", "positions", "year"}
