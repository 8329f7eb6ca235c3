"""Who may hold what, as the law says it: each entitlement's conditions, and the offers registry facts open.

Articles: 抚恤优待条例 (decree 788, in force 2024-10-01) unless another statute is named; 保障法 is
the Veterans Protection Law (2021). docs/benefits.md explains each rule in the bureau's words.
"""

from dataclasses import dataclass, replace

from .case import VeteranFacts
from .errors import Problems
from .standards import nursing_share_percent
from .vocabulary import (
    DEATH_PENSION,
    DISABILITY_PENSION,
    LIVING_ALLOWANCE,
    LIVING_CATEGORIES,
    MARTYR_COMMENDATION,
    NATURES,
    NURSING_ALLOWANCE,
    RELATIONS,
    SURVIVORS_PENSION,
    TIES,
)

CARD = "card"
RELIEF = "relief"
# Days a veteran has to answer an offer before it goes on the station's list.
OFFER_ANSWER_DAYS = 30
# Grades a disability by illness may have (Arts. 25, 27: conscripts and junior NCOs, 1-6).
ILLNESS_MAX_GRADE = 6


@dataclass(frozen=True)
class EntitlementBasis:
    """The facts an entitlement rests on; only those its kind needs are kept."""

    nature: str | None = None
    grade: int | None = None
    tie: str | None = None
    relation: str | None = None
    living_category: str | None = None
    mental_disorder: bool = False
    honour: str | None = None
    monthly_pay_fen: int | None = None


def _tie_on_file(problems: Problems, basis: EntitlementBasis, veteran: VeteranFacts,
                 allowed: tuple[str, ...] = TIES) -> None:
    if basis.tie is None:
        problems.add("tie", "is required")
    elif basis.tie not in allowed:
        problems.add("tie", f"must be one of: {', '.join(allowed)}")
    elif basis.tie not in veteran.ties:
        problems.add("tie", f"the registry records no {basis.tie} tie for this veteran: "
                            "mark the survivor tie on the file first")


def _disability(problems: Problems, basis: EntitlementBasis) -> None:
    if basis.nature not in NATURES:
        problems.add("nature", f"must be one of: {', '.join(NATURES)}")
    if basis.grade is None or not 1 <= basis.grade <= 10:
        problems.add("grade", "must be a grade from 1 to 10")
    elif basis.nature == "illness" and basis.grade > ILLNESS_MAX_GRADE:
        problems.add("grade", f"a disability by illness is graded 1 to {ILLNESS_MAX_GRADE} "
                              "only (Arts. 25, 27)")


def check_basis(kind: str, basis: EntitlementBasis, veteran: VeteranFacts,
                problems: Problems) -> EntitlementBasis:
    """Check what `kind` needs from `basis` and return only that; problems go to `problems`."""
    if kind == DISABILITY_PENSION:
        _disability(problems, basis)
        return EntitlementBasis(nature=basis.nature, grade=basis.grade)
    if kind == NURSING_ALLOWANCE:
        _disability(problems, basis)
        if not problems.fields and nursing_share_percent(
                basis.nature, basis.grade, basis.mental_disorder) is None:
            problems.add("grade", "a nursing allowance is for combat or duty grades 1-4, "
                                  "illness grades 1-4, or a mental disorder graded 5-6 (Art. 34)")
        return EntitlementBasis(nature=basis.nature, grade=basis.grade,
                                mental_disorder=basis.mental_disorder)
    if kind == SURVIVORS_PENSION:
        _tie_on_file(problems, basis, veteran)
        if basis.relation not in RELATIONS:
            problems.add("relation", f"must be one of: {', '.join(RELATIONS)} (Art. 19)")
        return EntitlementBasis(tie=basis.tie, relation=basis.relation)
    if kind == LIVING_ALLOWANCE:
        if basis.living_category not in LIVING_CATEGORIES:
            problems.add("living_category",
                         f"must be one of: {', '.join(LIVING_CATEGORIES)} (Arts. 61-62)")
        return EntitlementBasis(living_category=basis.living_category)
    if kind == MARTYR_COMMENDATION:
        _tie_on_file(problems, basis, veteran, allowed=("martyr",))
        return EntitlementBasis(tie=basis.tie)
    if kind == DEATH_PENSION:
        _tie_on_file(problems, basis, veteran)
        if basis.monthly_pay_fen is None or basis.monthly_pay_fen <= 0:
            problems.add("monthly_pay_fen", "the fallen's monthly pay is required: the pension "
                                            "includes 40 months of it (Art. 16)")
        return replace(EntitlementBasis(tie=basis.tie, monthly_pay_fen=basis.monthly_pay_fen),
                       honour=basis.honour)
    problems.add("kind", "is not an entitlement")
    return basis


# -- proactive offers: the rule that opened each one ----------------------------------------------

@dataclass(frozen=True)
class OfferRule:
    """Why an offer was opened: its rule's code, what it offers, the article, in words."""

    code: str
    kind: str
    article: str
    explanation: str


SURVIVOR_PENSION_RULE = OfferRule(
    "survivor_tie.survivors_pension", SURVIVORS_PENSION, "抚恤优待条例 Art. 19",
    "A survivor family's parents (or carers) and spouse without work capacity or income, "
    "children under 18 (or older and studying or disabled) and dependent siblings under 18 "
    "receive a periodic pension from the month it is confirmed. Confirm to apply; the review "
    "checks which of these applies.")
SURVIVOR_CARD_RULE = OfferRule(
    "survivor_tie.card", CARD, "Zhejiang 2021 preferential-card measures",
    "Survivor families are issued the preferential-treatment card 优待证.")
DISCHARGE_CARD_RULE = OfferRule(
    "discharge.card", CARD, "保障法 Art. 15",
    "A discharged veteran is issued the preferential-treatment card 优待证 on reception.")
DISABILITY_PENSION_RULE = OfferRule(
    "disability.disability_pension", DISABILITY_PENSION, "抚恤优待条例 Arts. 25, 30",
    "A veteran discharged with a disability transfers the disability pension in within 60 "
    "days of discharge, at the county of household registration.")
NURSING_RULE = OfferRule(
    "disability.nursing_allowance", NURSING_ALLOWANCE, "抚恤优待条例 Art. 34",
    "A disability of this nature and grade carries a nursing allowance, a share of the local "
    "average wage.")


HARDSHIP_REFERRAL_RULE = OfferRule(
    "hardship_referral.relief", RELIEF, "Zhejiang 社会救助条例 Arts. 39-40",
    "A petition, dispute or proxy case found this family in hardship: help them apply for "
    "temporary relief, up to 6 months of the local minimum-living standard (12 in special "
    "cases). Confirm with the amount asked and the circumstances to open the application.")
# The disputes service's words for what brought the hardship on, in ours.
RELIEF_TRIGGER_OF_REFERRAL = {"illness": "illness", "disability_costs": "illness",
                              "long_unemployment": "long_unemployment",
                              "old_wound": "recurring_wound",
                              "disaster_or_accident": "disaster", "other": "other"}


def offers_for_registry_event(event_type: str, data: dict, veteran: VeteranFacts,
                              open_kinds: set[str]) -> list[OfferRule]:
    """The offers a registry event opens for a veteran who holds none of them yet.

    `open_kinds` are the kinds (an entitlement kind or "card") the veteran already has a case
    for that is not refused or ended: nobody is offered what they have or have asked for.
    """
    if event_type == "SurvivorTieMarked":
        rules = [SURVIVOR_PENSION_RULE, SURVIVOR_CARD_RULE]
    elif event_type == "DischargeRecorded":
        rules = [DISCHARGE_CARD_RULE]
    else:
        rules = []
    return [rule for rule in rules if rule.kind not in open_kinds]


def offers_for_disability(nature: str, grade: int, mental_disorder: bool = False) -> list[OfferRule]:
    """The offers a disability recorded at discharge opens (for the placement service's report-in
    facts, once it publishes them): the pension transfer, and nursing where Art. 34 gives it."""
    if nature not in NATURES or not 1 <= grade <= 10 or (
            nature == "illness" and grade > ILLNESS_MAX_GRADE):
        return []
    rules = [DISABILITY_PENSION_RULE]
    if nursing_share_percent(nature, grade, mental_disorder) is not None:
        rules.append(NURSING_RULE)
    return rules
