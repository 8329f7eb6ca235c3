"""Which placement modes a soldier may choose, with the rules that allow or bar each (Arts. 5, 20, 25, 35-38)"""
from __future__ import annotations

from dataclasses import dataclass

from .facts import PlacementFacts
from .vocabulary import (
    FORFEITURE_ARTICLES,
    MODES_BY_RANK,
    NCO_CLASSES,
    DisabilityNature,
    HonourKind,
    Mode,
    RankClass,
    article,
)

ASSIGNED_WORK_YEARS = 12  # Art. 25: an NCO with 12 or more years of service
RETIREMENT_AGE = 55  # Art. 36
RETIREMENT_YEARS = 30  # Art. 36
RANK_WORDS = {RankClass.OFFICER: "an officer", RankClass.SENIOR_NCO: "a mid-grade or senior NCO",
              RankClass.JUNIOR_NCO: "a junior NCO", RankClass.CONSCRIPT: "a conscript"}
FORFEITURE_WORDS = {"late_report_in": "reported in more than 30 days after the discharge "
                                      "approval without a good reason",
                    "declined_post": "declined the post offered without a good reason",
                    "prosecuted_while_waiting": "prosecuted while waiting for a post"}


@dataclass(frozen=True)
class Ground:
    """One rule checked: it `allows` or `bars` the mode, and it `holds` for this soldier or not."""

    article: str
    rule: str
    effect: str  # "allows" | "bars"
    holds: bool


@dataclass(frozen=True)
class ModeEligibility:
    """A mode is allowed when no bar holds and at least one ground allowing it holds."""

    mode: str
    grounds: tuple[Ground, ...]

    @property
    def allowed(self) -> bool:
        return (not any(g.holds for g in self.grounds if g.effect == "bars")
                and any(g.holds for g in self.grounds if g.effect == "allows"))

    @property
    def decisive(self) -> tuple[Ground, ...]:
        """The grounds that decide: the bars that hold, else the allowances that hold, else
        every allowance checked (none held)."""
        bars = tuple(g for g in self.grounds if g.effect == "bars" and g.holds)
        if bars:
            return bars
        allows = tuple(g for g in self.grounds if g.effect == "allows")
        return tuple(g for g in allows if g.holds) or allows

    @property
    def explanation(self) -> str:
        if self.allowed:
            return "allowed: " + "; ".join(f"{g.rule} ({g.article})" for g in self.decisive)
        bars = [g for g in self.decisive if g.effect == "bars"]
        if bars:
            return "barred: " + "; ".join(f"{g.rule} ({g.article})" for g in bars)
        return "barred: none of these holds: " + "; ".join(
            f"{g.rule} ({g.article})" for g in self.decisive)


def eligibility(facts: PlacementFacts, forfeited: str | None = None) -> tuple[ModeEligibility, ...]:
    """Every placement mode, allowed or barred, with the grounds for it. `forfeited` is the
    case's forfeiture reason (vocabulary.Forfeiture), which bars every mode."""
    rank = RankClass(facts.rank_class)
    common = []
    if forfeited is not None:
        common.append(Ground(FORFEITURE_ARTICLES[forfeited],
                             "placement benefits given up: " + FORFEITURE_WORDS[forfeited],
                             "bars", True))
    checks = {
        Mode.SELF_EMPLOYMENT: _self_employment,
        Mode.ASSIGNED_WORK: _assigned_work,
        Mode.RETIREMENT: _retirement,
        Mode.SUPPORT: _support,
        Mode.MONTHLY_RETIREMENT_PAY: _monthly_retirement_pay,
        Mode.OFFICER_TRANSFER: _officer_only("transferred to civilian work (转业)"),
        Mode.DEMOBILISATION: _officer_only("demobilised (复员)"),
    }
    result = []
    for mode, check in checks.items():
        by_rank = Ground(article(5), f"not a mode the regulation gives {RANK_WORDS[rank]}",
                         "bars", mode not in MODES_BY_RANK[rank])
        result.append(ModeEligibility(mode.value, (by_rank, *common, *check(facts, rank))))
    return tuple(result)


def allowed_modes(facts: PlacementFacts, forfeited: str | None = None) -> frozenset[str]:
    return frozenset(m.mode for m in eligibility(facts, forfeited) if m.allowed)


def _self_employment(facts: PlacementFacts, rank: RankClass) -> list[Ground]:
    return [Ground(article(20), "self-employment is open to every discharged NCO and conscript",
                   "allows", rank in NCO_CLASSES or rank is RankClass.CONSCRIPT)]


def _assigned_work(facts: PlacementFacts, rank: RankClass) -> list[Ground]:
    disability = facts.disability
    a25, a35 = article(25), article(35)
    return [
        Ground(a25, f"an NCO with {ASSIGNED_WORK_YEARS} or more years of service", "allows",
               rank in NCO_CLASSES and facts.years_of_service >= ASSIGNED_WORK_YEARS),
        Ground(a25, "holds a medal or an honour title", "allows",
               facts.has_honour(HonourKind.MEDAL, HonourKind.HONOUR_TITLE)),
        Ground(a25, "a 2nd-class merit or higher, or a 3rd-class merit in wartime", "allows",
               facts.has_honour(HonourKind.FIRST_CLASS_MERIT, HonourKind.SECOND_CLASS_MERIT)
               or facts.has_honour(HonourKind.THIRD_CLASS_MERIT, wartime_only=True)),
        Ground(a25, "a 1st-level commendation", "allows",
               facts.has_honour(HonourKind.FIRST_LEVEL_COMMENDATION)),
        Ground(a25, "disabled in combat, grade 5 to 8", "allows",
               disability is not None and disability.nature == DisabilityNature.COMBAT
               and 5 <= disability.grade <= 8),
        Ground(a25, "a martyr's child (烈士子女)", "allows", facts.martyr_child),
        Ground(a35, "expelled from the Party", "bars", facts.expelled_from_party),
        Ground(a35, "sentenced to a criminal penalty", "bars", facts.criminal_penalty),
        Ground(a35, "discharged by force", "bars", facts.discharged_by_force),
    ]


def _retirement(facts: PlacementFacts, rank: RankClass) -> list[Ground]:
    a36 = article(36)
    if rank is RankClass.OFFICER:
        # The regulation's retirement conditions for officers are the army's to apply: an
        # officer arrives with the discharge approval already saying how they are placed.
        return [Ground(article(5), "an officer may retire, as the army's discharge approval "
                                   "decides", "allows", True)]
    disability = facts.disability
    age = facts.age_at_discharge
    return [
        Ground(a36, "retirement is for mid-grade NCOs and above", "bars",
               rank is not RankClass.SENIOR_NCO),
        Ground(a36, f"{RETIREMENT_AGE} or older at discharge"
               + (" (age at discharge not recorded)" if age is None else ""), "allows",
               age is not None and age >= RETIREMENT_AGE),
        Ground(a36, f"{RETIREMENT_YEARS} or more years of service", "allows",
               facts.years_of_service >= RETIREMENT_YEARS),
        Ground(a36, "disabled in combat or on duty, grade 1 to 6", "allows",
               disability is not None
               and disability.nature in (DisabilityNature.COMBAT, DisabilityNature.DUTY)
               and 1 <= disability.grade <= 6),
        Ground(a36, "seriously ill and unable to work", "allows",
               facts.seriously_ill_unable_to_work),
    ]


def _support(facts: PlacementFacts, rank: RankClass) -> list[Ground]:
    a38 = article(38)
    disability = facts.disability
    return [
        Ground(a38, "support is for junior NCOs and conscripts", "bars",
               rank not in (RankClass.JUNIOR_NCO, RankClass.CONSCRIPT)),
        Ground(a38, "disabled, grade 1 to 4", "allows",
               disability is not None and 1 <= disability.grade <= 4),
    ]


def _monthly_retirement_pay(facts: PlacementFacts, rank: RankClass) -> list[Ground]:
    # The service-length conditions are the army's, applied before discharge; the bureau
    # receives the decision with the soldier.
    return [Ground(article(5), "officers and NCOs may take monthly retirement pay, as the "
                               "army's discharge approval decides", "allows",
                   rank is RankClass.OFFICER or rank in NCO_CLASSES)]


def _officer_only(words: str):
    def check(facts: PlacementFacts, rank: RankClass) -> list[Ground]:
        return [Ground(article(5), f"an officer may be {words}", "allows",
                       rank is RankClass.OFFICER)]
    return check
