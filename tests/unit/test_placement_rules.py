"""Placement's pure rules besides eligibility: the registry's words, the clocks, money in fen, the rates."""
from datetime import date

import pytest

from chassis import days
from services.placement.domain import clocks
from services.placement.domain.errors import StandardMissing
from services.placement.domain.facts import Honour, honour_of, makes_martyr_child, rank_class_of
from services.placement.domain.money import (
    Standards,
    YearStandard,
    one_time_subsidy,
    waiting_allowance,
    yuan,
)
from services.placement.domain.rates import CaseOutcome, placed_in_period, placement_rates

STANDARDS = Standards({
    2025: YearStandard(2025, minimum_wage_fen_per_month=249000,
                       subsidy_fen_per_year_of_service=450000),
    2026: YearStandard(2026, minimum_wage_fen_per_month=262000,
                       subsidy_fen_per_year_of_service=480000),
})


@pytest.mark.parametrize("rank, rank_class", [
    ("列兵", "conscript"), ("上等兵", "conscript"), ("下士", "junior_nco"), ("中士", "junior_nco"),
    ("二级士官", "junior_nco"), ("上士", "senior_nco"), ("四级军士长", "senior_nco"),
    ("一级军士长", "senior_nco"), ("三级士官", "senior_nco"), ("少尉", "officer"),
    ("上校", "officer"), (" 中尉 ", "officer"), ("文职人员", None), ("", None),
])
def test_ranks_as_the_registry_writes_them(rank, rank_class):
    assert rank_class_of(rank) == rank_class


@pytest.mark.parametrize("text, honour", [
    ("个人三等功", Honour("third_class_merit")), ("战时三等功", Honour("third_class_merit", True)),
    ("二等功", Honour("second_class_merit")), ("一等功", Honour("first_class_merit")),
    ("八一勋章", Honour("medal")), ("“抗洪勇士”荣誉称号", Honour("honour_title")),
    ("优秀士兵", Honour("other")), ("一级表彰", Honour("first_level_commendation")),
])
def test_honours_as_the_registry_writes_them(text, honour):
    assert honour_of(text) == honour


@pytest.mark.parametrize("tie, relation, child", [
    ("martyr", "father", True), ("martyr", "母亲", True), ("martyr", "spouse", False),
    ("died_on_duty", "father", False),
])
def test_a_martyr_who_was_a_parent_makes_a_martyrs_child(tie, relation, child):
    assert makes_martyr_child(tie, relation) is child


# -- the clocks -------------------------------------------------------------------------------------

@pytest.mark.parametrize("approved, reported, late", [
    (date(2026, 9, 1), date(2026, 10, 1), 0),   # the 30th day
    (date(2026, 9, 1), date(2026, 10, 2), 1),
    (date(2026, 1, 31), date(2026, 3, 2), 0),
    (date(2026, 1, 31), date(2026, 3, 3), 1),
])
def test_the_report_in_period_is_30_calendar_days(approved, reported, late):
    assert clocks.days_late(approved, reported) == late


def test_the_domains_months_agree_with_the_chassis_calendar():
    start = date(2024, 1, 1)
    for offset in range(0, 1100, 7):
        day = days.add_days(start, offset)
        for months in (1, 6, 13):
            assert clocks.add_months(day, months) == days.add_months(day, months)
    assert clocks.placement_due(date(2026, 8, 31)) == date(2027, 2, 28)
    assert clocks.on_post_due(date(2026, 12, 15)) == date(2027, 1, 14)


# -- money, in fen --------------------------------------------------------------------------------

def test_the_one_time_subsidy_is_the_discharge_years_amount_per_year_of_service():
    subsidy = one_time_subsidy(STANDARDS, date(2025, 12, 1), 5)
    assert (subsidy.standard_year, subsidy.fen_per_year, subsidy.amount_fen) == \
        (2025, 450000, 2250000)
    assert yuan(subsidy.amount_fen) == "22500.00"


def test_a_year_without_a_standard_is_refused_with_the_fix():
    with pytest.raises(StandardMissing, match="no placement standard is configured for 2031"):
        one_time_subsidy(STANDARDS, date(2031, 1, 5), 3)


def test_the_waiting_allowance_is_each_months_minimum_wage_in_proportion_to_days_waited():
    months = waiting_allowance(STANDARDS, date(2025, 11, 16), date(2026, 1, 10))
    assert [(m.month, m.days, m.fen) for m in months] == [
        ("2025-11", 15, 124500),          # half of 2,490.00 yuan
        ("2025-12", 31, 249000),          # a whole month
        ("2026-01", 10, 84516),           # 2,620.00 × 10/31 = 845.161… -> 845.16
    ]


def test_the_allowance_for_a_year_not_configured_is_unknown_not_zero():
    (month,) = waiting_allowance(STANDARDS, date(2027, 3, 1), date(2027, 3, 31))
    assert month.fen is None


def test_money_sums_stay_exact_in_fen_over_many_months():
    months = waiting_allowance(STANDARDS, date(2025, 1, 1), date(2026, 12, 31))
    assert sum(m.fen for m in months) == 12 * 249000 + 12 * 262000
    assert yuan(-5) == "-0.05" and yuan(100) == "1.00"


# -- rates ----------------------------------------------------------------------------------------

def outcome(kind="soldier", due=date(2026, 6, 30), planned="administrative", placed=None,
            placed_kind=None):
    return CaseOutcome(kind, due, planned, placed, placed_kind)


def test_placement_rates_count_what_fell_due_in_the_period_by_kind():
    cases = [
        outcome(planned="administrative", placed=date(2026, 5, 1), placed_kind="administrative"),
        outcome(planned="administrative", placed=date(2026, 6, 30), placed_kind="administrative"),
        outcome(planned="institution", placed=date(2026, 3, 1), placed_kind="institution"),
        outcome(planned="institution", placed=date(2026, 7, 2), placed_kind="institution"),  # late
        outcome(planned="institution"),                                                # not placed
        outcome(planned=None),                                               # never offered a post
        outcome(due=date(2027, 1, 5), planned="institution"),                    # due next period
    ]
    rates = {r.kind: r for r in placement_rates(cases, date(2026, 1, 1), date(2026, 12, 31))}
    assert (rates["administrative"].due, rates["administrative"].placed,
            rates["administrative"].percent) == (2, 2, "100.0")
    assert (rates["institution"].due, rates["institution"].placed,
            rates["institution"].percent) == (3, 1, "33.3")
    assert (rates["unplanned"].due, rates["all"].due, rates["all"].placed) == (1, 6, 3)
    assert rates["enterprise"].percent is None


def test_placed_in_a_period_by_case_kind():
    cases = [outcome("officer", placed=date(2026, 4, 1)), outcome("spouse", placed=date(2026, 4, 2)),
             outcome("soldier", placed=date(2026, 5, 1)), outcome("soldier", placed=date(2025, 5, 1)),
             outcome("soldier")]
    assert placed_in_period(cases, date(2026, 1, 1), date(2026, 12, 31)) == \
        {"officer": 1, "spouse": 1, "soldier": 1}
