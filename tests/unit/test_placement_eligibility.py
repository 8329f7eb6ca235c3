"""The placement eligibility table: each condition of the rules a row (Arts. 5, 20, 25, 34, 35, 36, 38, 51)."""
from datetime import date

import pytest

from services.placement.domain.eligibility import allowed_modes, eligibility
from services.placement.domain.facts import Disability, Honour, PlacementFacts

APPROVED = date(2026, 9, 1)
ALL_MODES = {"self_employment", "assigned_work", "retirement", "support",
             "monthly_retirement_pay", "officer_transfer", "demobilisation"}


def soldier(rank_class="junior_nco", years=5, **facts) -> PlacementFacts:
    return PlacementFacts(rank_class=rank_class, years_of_service=years,
                          discharge_approved_on=APPROVED, **facts)


def combat(grade):
    return Disability("combat", grade)


def verdict(facts, mode, forfeited=None):
    return {m.mode: m for m in eligibility(facts, forfeited)}[mode]


# -- Art. 5: which modes a rank has at all ------------------------------------------------------

@pytest.mark.parametrize("rank_class, open_by_rank", [
    # An officer with nothing else recorded: the army's approval decides among these four.
    ("officer", {"retirement", "officer_transfer", "monthly_retirement_pay", "demobilisation"}),
    # An NCO with nothing else recorded: self-employment and monthly retirement pay.
    ("junior_nco", {"self_employment", "monthly_retirement_pay"}),
    ("senior_nco", {"self_employment", "monthly_retirement_pay"}),
    # A conscript with nothing else recorded: self-employment only.
    ("conscript", {"self_employment"}),
])
def test_modes_by_rank_with_no_other_ground(rank_class, open_by_rank):
    assert allowed_modes(soldier(rank_class)) == open_by_rank


@pytest.mark.parametrize("rank_class, barred_by_rank", [
    ("officer", {"self_employment", "assigned_work", "support"}),
    ("junior_nco", {"officer_transfer", "demobilisation"}),
    ("senior_nco", {"officer_transfer", "demobilisation"}),
    ("conscript", {"retirement", "monthly_retirement_pay", "officer_transfer", "demobilisation"}),
])
def test_art_5_bars_the_modes_a_rank_does_not_have(rank_class, barred_by_rank):
    # Even with every ground of every other article holding.
    facts = soldier(rank_class, years=35, age_at_discharge=56, martyr_child=True,
                    disability=combat(2), honours=(Honour("medal"),),
                    seriously_ill_unable_to_work=True)
    for mode in barred_by_rank:
        result = verdict(facts, mode)
        assert not result.allowed, mode
        assert "安置条例 Art. 5" in result.explanation


# -- Art. 20: self-employment, the default --------------------------------------------------------

@pytest.mark.parametrize("facts", [
    soldier("junior_nco"), soldier("senior_nco", years=30), soldier("conscript", years=2),
    # Art. 35 bars assigned work only, never self-employment.
    soldier("conscript", expelled_from_party=True, criminal_penalty=True, discharged_by_force=True),
])
def test_self_employment_is_always_open_to_ncos_and_conscripts(facts):
    result = verdict(facts, "self_employment")
    assert result.allowed and "Art. 20" in result.explanation


# -- Art. 25: assigned work, any one ground; Art. 35: never with a bar -----------------------------

@pytest.mark.parametrize("facts, allowed, why", [
    (soldier("senior_nco", years=12), True, "12 or more years"),
    (soldier("junior_nco", years=12), True, "12 or more years"),
    (soldier("senior_nco", years=11), False, "none of these holds"),
    (soldier("conscript", years=12), False, "none of these holds"),  # 12 years counts for NCOs
    (soldier(honours=(Honour("medal"),)), True, "medal or an honour title"),
    (soldier(honours=(Honour("honour_title"),)), True, "medal or an honour title"),
    (soldier(honours=(Honour("second_class_merit"),)), True, "2nd-class merit or higher"),
    (soldier(honours=(Honour("first_class_merit"),)), True, "2nd-class merit or higher"),
    (soldier(honours=(Honour("third_class_merit"),)), False, "none of these holds"),
    (soldier(honours=(Honour("third_class_merit", wartime=True),)), True, "in wartime"),
    (soldier(honours=(Honour("first_level_commendation"),)), True, "1st-level commendation"),
    (soldier(honours=(Honour("other"),)), False, "none of these holds"),
    (soldier(disability=combat(5)), True, "disabled in combat, grade 5 to 8"),
    (soldier(disability=combat(8)), True, "disabled in combat, grade 5 to 8"),
    (soldier(disability=combat(4)), False, "none of these holds"),
    (soldier(disability=combat(9)), False, "none of these holds"),
    (soldier(disability=Disability("duty", 6)), False, "none of these holds"),
    (soldier(disability=Disability("illness", 6)), False, "none of these holds"),
    (soldier("conscript", martyr_child=True), True, "a martyr's child"),
    (soldier("conscript", honours=(Honour("medal"),)), True, "medal"),
    (soldier("conscript", disability=combat(6)), True, "disabled in combat"),
])
def test_assigned_work_art_25(facts, allowed, why):
    result = verdict(facts, "assigned_work")
    assert result.allowed is allowed
    assert why in result.explanation
    assert "安置条例 Art. 25" in result.explanation


@pytest.mark.parametrize("bar, words", [
    ({"expelled_from_party": True}, "expelled from the Party"),
    ({"criminal_penalty": True}, "criminal penalty"),
    ({"discharged_by_force": True}, "discharged by force"),
])
def test_assigned_work_never_after_an_art_35_bar(bar, words):
    # Every Art. 25 ground holds, and still the bar decides.
    facts = soldier("senior_nco", years=16, martyr_child=True, disability=combat(6),
                    honours=(Honour("first_class_merit"),), **bar)
    result = verdict(facts, "assigned_work")
    assert not result.allowed
    assert result.explanation == f"barred: {result.decisive[0].rule} (安置条例 Art. 35)"
    assert words in result.explanation


# -- Art. 36: retirement, mid-grade NCOs and above ------------------------------------------------

@pytest.mark.parametrize("facts, allowed, why", [
    (soldier("senior_nco", age_at_discharge=55), True, "55 or older"),
    (soldier("senior_nco", age_at_discharge=54), False, "none of these holds"),
    (soldier("senior_nco"), False, "age at discharge not recorded"),
    (soldier("senior_nco", years=30), True, "30 or more years"),
    (soldier("senior_nco", years=29), False, "none of these holds"),
    (soldier("senior_nco", disability=combat(6)), True, "combat or on duty, grade 1 to 6"),
    (soldier("senior_nco", disability=Disability("duty", 1)), True, "grade 1 to 6"),
    (soldier("senior_nco", disability=combat(7)), False, "none of these holds"),
    (soldier("senior_nco", disability=Disability("illness", 2)), False, "none of these holds"),
    (soldier("senior_nco", seriously_ill_unable_to_work=True), True, "seriously ill"),
    (soldier("junior_nco", age_at_discharge=58, years=31), False, "mid-grade NCOs and above"),
])
def test_retirement_art_36(facts, allowed, why):
    result = verdict(facts, "retirement")
    assert result.allowed is allowed
    assert why in result.explanation
    assert "Art. 36" in result.explanation


def test_an_officer_retires_as_the_discharge_approval_decides():
    result = verdict(soldier("officer", years=8), "retirement")
    assert result.allowed and "Art. 5" in result.explanation


# -- Art. 38: support, junior NCOs and conscripts disabled grade 1-4 ------------------------------

@pytest.mark.parametrize("facts, allowed, why", [
    (soldier("junior_nco", disability=combat(4)), True, "grade 1 to 4"),
    (soldier("conscript", disability=Disability("illness", 1)), True, "grade 1 to 4"),
    (soldier("conscript", disability=Disability("duty", 3)), True, "grade 1 to 4"),
    (soldier("conscript", disability=combat(5)), False, "none of these holds"),
    (soldier("conscript"), False, "none of these holds"),
    (soldier("senior_nco", disability=combat(1)), False, "junior NCOs and conscripts"),
])
def test_support_art_38(facts, allowed, why):
    result = verdict(facts, "support")
    assert result.allowed is allowed
    assert why in result.explanation
    assert "Art. 38" in result.explanation


def test_a_senior_nco_disabled_grade_1_in_combat_retires_rather_than_being_supported():
    facts = soldier("senior_nco", disability=combat(1))
    assert {"retirement", "self_employment", "monthly_retirement_pay"} <= allowed_modes(facts)
    assert "support" not in allowed_modes(facts)


# -- Arts. 34 and 51: forfeited benefits bar every mode ---------------------------------------------

@pytest.mark.parametrize("reason, article", [
    ("late_report_in", "安置条例 Art. 51"),
    ("declined_post", "安置条例 Art. 34"),
    ("prosecuted_while_waiting", "安置条例 Art. 34"),
])
def test_forfeited_benefits_bar_every_mode(reason, article):
    facts = soldier("senior_nco", years=14, age_at_discharge=56)
    results = eligibility(facts, forfeited=reason)
    assert {m.mode for m in results} == ALL_MODES
    for result in results:
        assert not result.allowed
        assert article in result.explanation


def test_every_mode_is_answered_with_every_ground_checked():
    results = eligibility(soldier("junior_nco", years=12))
    assert [m.mode for m in results] == ["self_employment", "assigned_work", "retirement",
                                         "support", "monthly_retirement_pay",
                                         "officer_transfer", "demobilisation"]
    assigned = {m.mode: m for m in results}["assigned_work"]
    # Six grounds of Art. 25, three bars of Art. 35, and the rank line of Art. 5.
    assert len(assigned.grounds) == 10
    assert [g.rule for g in assigned.decisive] == ["an NCO with 12 or more years of service"]
