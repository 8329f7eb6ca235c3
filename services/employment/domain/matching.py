"""Matching job seekers and postings: a stated score in parts, and the top-k search that uses it.

The score (0-100) is the sum of five parts, each with the reason for its points:

    place         30  same township, or one the veteran wants to work in; else one point fewer
                      per km between township seats; 0 outside the district's distance table
    requirements  30  the share of the posting's requirements among the veteran's skills
    kind          15  the kind of work is one the veteran wants (5 when they stated none)
    pay           10  the top of the pay range reaches the veteran's minimum (or none stated)
    freshness     15  published within 7 days; falling to 0 at 90 days

`best_postings` finds a seeker's top postings without scoring every open one: postings come in
groups of one township and one kind, newest first, and a group is read further only while the
best score its unread postings could still reach beats the current k-th best (the threshold
algorithm). Place and kind are fixed within a group and freshness only falls along it, so that
bound is exact; the work depends on how the top scores are spread, not on how many postings
there are.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from .townships import ELSEWHERE, TOWNSHIPS, distance_km
from .vocabulary import POSTING_KINDS

PLACE, REQUIREMENTS, KIND, PAY, FRESHNESS = 30, 30, 15, 10, 15
KIND_UNSTATED = 5
FRESH_DAYS, STALE_DAYS = 7, 90


@dataclass(frozen=True)
class Seeker:
    """What matching knows of a job seeker: where they live and what they stated."""

    veteran_id: str
    township: str
    kinds: frozenset[str] = frozenset()
    townships: frozenset[str] = frozenset()
    min_pay_fen: int | None = None
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PostingFacts:
    """What matching knows of a posting."""

    posting_id: str
    township: str
    kind: str
    pay_max_fen: int
    requirements: tuple[str, ...]
    published_on: date


@dataclass(frozen=True)
class Part:
    name: str
    points: int
    out_of: int
    why: str


@dataclass(frozen=True)
class Match:
    posting_id: str
    veteran_id: str
    score: int
    parts: tuple[Part, ...] = field(default=())


def _yuan(fen: int) -> str:
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen / 100:.2f}"


# -- the parts: each gives its points; `explain` adds the reasons --------------------------------

def place_points(seeker: Seeker, township: str) -> int:
    if township == seeker.township or township in seeker.townships:
        return PLACE
    km = distance_km(seeker.township, township)
    return 0 if km is None else max(0, PLACE - km)


def _place_why(seeker: Seeker, township: str) -> str:
    if township == seeker.township:
        return f"same township ({township})"
    if township in seeker.townships:
        return f"in {township}, a township the veteran wants to work in"
    km = distance_km(seeker.township, township)
    if km is None:
        return f"{township} is outside the district's distance table"
    return f"{township} is {km} km from {seeker.township}"


def requirements_points(seeker: Seeker, requirements: Sequence[str]) -> int:
    if not requirements:
        return REQUIREMENTS
    met = sum(1 for r in requirements if r in seeker.skills)
    return round(REQUIREMENTS * met / len(requirements))


def _requirements_why(seeker: Seeker, requirements: Sequence[str]) -> str:
    if not requirements:
        return "the posting states no requirements"
    missing = [r for r in requirements if r not in seeker.skills]
    met = len(requirements) - len(missing)
    why = f"meets {met} of {len(requirements)} requirement(s)"
    return why + (f"; missing: {', '.join(missing)}" if missing else "")


def kind_points(seeker: Seeker, kind: str) -> int:
    if not seeker.kinds:
        return KIND_UNSTATED
    return KIND if kind in seeker.kinds else 0


def _kind_why(seeker: Seeker, kind: str) -> str:
    if not seeker.kinds:
        return "the veteran stated no kind of work"
    if kind in seeker.kinds:
        return f"{kind} is a kind of work the veteran wants"
    return f"{kind} is not among the kinds wanted ({', '.join(sorted(seeker.kinds))})"


def pay_points(seeker: Seeker, pay_max_fen: int) -> int:
    if seeker.min_pay_fen is None or pay_max_fen >= seeker.min_pay_fen:
        return PAY
    return 0


def _pay_why(seeker: Seeker, pay_max_fen: int) -> str:
    if seeker.min_pay_fen is None:
        return "the veteran stated no minimum pay"
    relation = "reaches" if pay_max_fen >= seeker.min_pay_fen else "is below"
    return (f"pays up to {_yuan(pay_max_fen)} yuan a month, which {relation} the "
            f"{_yuan(seeker.min_pay_fen)} wanted")


def freshness_points(published_on: date, today: date) -> int:
    age = (today - published_on).days
    if age <= FRESH_DAYS:
        return FRESHNESS
    if age >= STALE_DAYS:
        return 0
    return round(FRESHNESS * (STALE_DAYS - age) / (STALE_DAYS - FRESH_DAYS))


def _freshness_why(published_on: date, today: date) -> str:
    age = (today - published_on).days
    return "published today" if age <= 0 else f"published {age} day(s) ago"


def points(seeker: Seeker, posting: PostingFacts, today: date) -> int:
    """The score alone, for ranking many; `explain` gives the same total with its reasons."""
    return (place_points(seeker, posting.township)
            + requirements_points(seeker, posting.requirements)
            + kind_points(seeker, posting.kind) + pay_points(seeker, posting.pay_max_fen)
            + freshness_points(posting.published_on, today))


def explain(seeker: Seeker, posting: PostingFacts, today: date) -> Match:
    parts = (
        Part("place", place_points(seeker, posting.township), PLACE,
             _place_why(seeker, posting.township)),
        Part("requirements", requirements_points(seeker, posting.requirements), REQUIREMENTS,
             _requirements_why(seeker, posting.requirements)),
        Part("kind", kind_points(seeker, posting.kind), KIND, _kind_why(seeker, posting.kind)),
        Part("pay", pay_points(seeker, posting.pay_max_fen), PAY,
             _pay_why(seeker, posting.pay_max_fen)),
        Part("freshness", freshness_points(posting.published_on, today), FRESHNESS,
             _freshness_why(posting.published_on, today)),
    )
    return Match(posting.posting_id, seeker.veteran_id, sum(p.points for p in parts), parts)


def _order(score: int, posting: PostingFacts) -> tuple:
    # Higher score first; on a tie the newer posting, then the id, so the order is stable.
    return (score, posting.published_on.toordinal(), posting.posting_id)


# -- the search: one seeker, many postings -------------------------------------------------------

Group = tuple[str, str]   # (township key, kind)


@dataclass(frozen=True)
class GroupRead:
    """Read up to `limit` postings of one group, newest first, after `after` (published_on,
    posting_id) when given."""

    group: Group
    after: tuple[date, str] | None
    limit: int


Fetch = Callable[[list[GroupRead]], dict[Group, list[PostingFacts]]]


def _place_bound(seeker: Seeker, township_key: str) -> int:
    if township_key != ELSEWHERE:
        return place_points(seeker, township_key)
    # Postings outside the table score place points only where the veteran lives or wants to go.
    outside = {seeker.township, *seeker.townships} - set(TOWNSHIPS)
    return PLACE if outside else 0


def group_bound(seeker: Seeker, group: Group, newest: date, today: date) -> int:
    """The highest score any posting of `group` published on or before `newest` can reach."""
    township_key, kind = group
    return (_place_bound(seeker, township_key) + kind_points(seeker, kind) + PAY + REQUIREMENTS
            + freshness_points(newest, today))


def all_groups() -> list[Group]:
    return [(key, kind) for key in (*TOWNSHIPS, ELSEWHERE) for kind in POSTING_KINDS]


@dataclass
class _Frontier:
    group: Group
    bound: int
    after: tuple[date, str] | None = None
    limit: int = 0


def best_postings(seeker: Seeker, today: date, fetch: Fetch, limit: int = 20,
                  groups_per_read: int = 6, first_read: int | None = None,
                  max_read: int = 400) -> list[Match]:
    """The seeker's `limit` best postings, best first, each explained.

    Exact for the score: a posting left unread could not have scored above the k-th best found
    (one scoring exactly as much may be left out in favour of one found first). `fetch` reads
    several groups at once (one database round trip per call).
    """
    first_read = first_read or limit
    frontier = {g: _Frontier(g, group_bound(seeker, g, today, today), None, first_read)
                for g in all_groups()}
    top: list[tuple] = []   # a min-heap of (_order..., posting): the worst kept on top
    while frontier:
        threshold = top[0][0] if len(top) >= limit else -1
        live = sorted((f for f in frontier.values() if f.bound > threshold),
                      key=lambda f: -f.bound)[:groups_per_read]
        if not live:
            break
        got = fetch([GroupRead(f.group, f.after, f.limit) for f in live])
        for state in live:
            rows = got.get(state.group, [])
            for posting in rows:
                entry = (*_order(points(seeker, posting, today), posting), posting)
                if len(top) < limit:
                    heapq.heappush(top, entry)
                elif entry[:3] > top[0][:3]:
                    heapq.heapreplace(top, entry)
            if len(rows) < state.limit:
                del frontier[state.group]   # read to its end
                continue
            last = rows[-1]
            state.after = (last.published_on, last.posting_id)
            state.bound = group_bound(seeker, state.group, last.published_on, today)
            state.limit = min(state.limit * 2, max_read)
    ranked = sorted(top, key=lambda entry: entry[:3], reverse=True)
    return [explain(seeker, entry[3], today) for entry in ranked]


def rank_all(seeker: Seeker, postings: Iterable[PostingFacts], today: date,
             limit: int = 20) -> list[Match]:
    """Score every posting and keep the best: what best_postings must agree with."""
    ranked = heapq.nlargest(limit, postings, key=lambda p: _order(points(seeker, p, today), p))
    return [explain(seeker, p, today) for p in ranked]


# -- the other way: one posting, the job seekers who fit it --------------------------------------

def fits(seeker: Seeker, posting: PostingFacts) -> bool:
    """A job seeker fits a posting when it is a kind of work they want (or they named none) and
    its pay reaches their minimum (or they named none). The service filters on the same two
    conditions in SQL; the rest only ranks."""
    return ((not seeker.kinds or posting.kind in seeker.kinds)
            and (seeker.min_pay_fen is None or posting.pay_max_fen >= seeker.min_pay_fen))


def best_seekers(posting: PostingFacts, seekers: Iterable[Seeker], today: date,
                 limit: int = 20) -> list[Match]:
    """The job seekers who fit the posting, best first, each explained."""
    candidates = [s for s in seekers if fits(s, posting)]
    ranked = heapq.nlargest(
        limit, candidates,
        key=lambda s: (points(s, posting, today), s.township == posting.township, s.veteran_id))
    return [explain(s, posting, today) for s in ranked]
