"""What a placement decision rests on: the soldier's facts, and how the registry's words map to them."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from .vocabulary import DisabilityNature, HonourKind, RankClass


@dataclass(frozen=True)
class Honour:
    kind: str  # HonourKind
    wartime: bool = False  # 战时: a 3rd-class merit counts for assigned work only in war


@dataclass(frozen=True)
class Disability:
    nature: str  # DisabilityNature
    grade: int  # 1 (most severe) to 10


@dataclass(frozen=True)
class PlacementFacts:
    """The facts of one soldier at discharge, as the case records them (the request, filled in
    from the registry's events where the request is silent)."""

    rank_class: str  # RankClass
    years_of_service: int
    discharge_approved_on: date
    age_at_discharge: int | None = None
    honours: tuple[Honour, ...] = ()
    disability: Disability | None = None
    martyr_child: bool = False  # 烈士子女
    # Art. 35: never assigned work after any of these.
    expelled_from_party: bool = False
    criminal_penalty: bool = False
    discharged_by_force: bool = False
    # Art. 36: one ground for retirement.
    seriously_ill_unable_to_work: bool = False

    def amended(self, **changes) -> PlacementFacts:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def has_honour(self, *kinds: str, wartime_only: bool = False) -> bool:
        return any(h.kind in kinds and (h.wartime or not wartime_only) for h in self.honours)


@dataclass(frozen=True)
class RegistryFacts:
    """What placement keeps of the registry's public events about one veteran."""

    veteran_id: str
    service_station: str | None = None
    township: str | None = None
    rank: str | None = None
    enlisted_year: int | None = None
    discharged_year: int | None = None
    honours: tuple[Honour, ...] = field(default=())
    martyr_child: bool = False

    @property
    def rank_class(self) -> str | None:
        return rank_class_of(self.rank) if self.rank else None

    @property
    def years_of_service(self) -> int | None:
        if self.enlisted_year is None or self.discharged_year is None:
            return None
        return max(self.discharged_year - self.enlisted_year, 0)


# -- the registry's free text, read as placement's facts --------------------------------------------
# The registry records ranks and honours as people write them. These tables read both the ranks
# in use since the 2022 reform (下士 … 一级军士长) and the older 士官 grades.
_RANKS = {
    RankClass.CONSCRIPT: ("列兵", "上等兵"),
    RankClass.JUNIOR_NCO: ("下士", "中士", "一级士官", "二级士官"),
    RankClass.SENIOR_NCO: ("上士", "四级军士长", "三级军士长", "二级军士长", "一级军士长",
                           "三级士官", "四级士官", "五级士官", "六级士官"),
}
_OFFICER_MARKS = ("尉", "校", "将")


def rank_class_of(rank: str) -> str | None:
    """The rank class of a rank as written (上士 -> senior_nco); None when it is not one we know."""
    rank = rank.strip()
    for rank_class, names in _RANKS.items():
        if rank in names:
            return rank_class.value
    if rank.endswith(_OFFICER_MARKS):
        return RankClass.OFFICER.value
    return None


# Looked for in this order: "二等功" must not be read as the "一等功" it does not contain, and a
# 荣誉称号 is recognised before anything else in the same words.
_HONOUR_WORDS = (
    ("勋章", HonourKind.MEDAL),
    ("荣誉称号", HonourKind.HONOUR_TITLE),
    ("一等功", HonourKind.FIRST_CLASS_MERIT),
    ("二等功", HonourKind.SECOND_CLASS_MERIT),
    ("三等功", HonourKind.THIRD_CLASS_MERIT),
    ("一级表彰", HonourKind.FIRST_LEVEL_COMMENDATION),
)


def honour_of(text: str) -> Honour:
    """An honour as the registry wrote it (个人三等功, 战时三等功, 优秀士兵) read as a kind."""
    wartime = "战时" in text
    for word, kind in _HONOUR_WORDS:
        if word in text:
            return Honour(kind.value, wartime)
    return Honour(HonourKind.OTHER.value, wartime)


# The registry's `relation` names who the fallen was to the veteran ("father" in a tie marked
# for the veteran's father), so a martyr who was a parent makes the veteran a martyr's child.
PARENT_RELATIONS = frozenset({"father", "mother", "parent", "父亲", "母亲", "父母", "父", "母"})


def makes_martyr_child(tie: str, relation: str) -> bool:
    return tie == "martyr" and relation.strip().lower() in PARENT_RELATIONS


DISABILITY_NATURES = frozenset(n.value for n in DisabilityNature)
