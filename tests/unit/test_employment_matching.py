"""The match score on hand-built cases, part by part, and the top-k search against scoring everything."""
import random
from datetime import date, timedelta

import pytest

from services.employment.domain import matching as m
from services.employment.domain.townships import DISTANCE_KM, TOWNSHIPS, distance_km, township_key
from services.employment.domain.vocabulary import POSTING_KINDS

TODAY = date(2026, 6, 1)


def seeker(township="多湖街道", kinds=(), townships=(), min_pay=None, skills=(), vid="v1"):
    return m.Seeker(vid, township, frozenset(kinds), frozenset(townships), min_pay,
                    frozenset(skills))


def posting(township="多湖街道", kind="logistics", pay_max=600_000, requirements=(),
            age_days=0, pid="p1"):
    return m.PostingFacts(pid, township, kind, pay_max, tuple(requirements),
                          TODAY - timedelta(days=age_days))


def parts(match):
    return {p.name: p.points for p in match.parts}


# -- the parts, table-wise --------------------------------------------------------------------------

@pytest.mark.parametrize("home, wanted, where, points, why", [
    ("多湖街道", (), "多湖街道", 30, "same township (多湖街道)"),
    ("多湖街道", (), "东孝街道", 26, "东孝街道 is 4 km from 多湖街道"),
    ("多湖街道", (), "源东乡", 5, "源东乡 is 25 km from 多湖街道"),
    ("澧浦镇", (), "傅村镇", 2, "傅村镇 is 28 km from 澧浦镇"),
    ("澧浦镇", ("傅村镇",), "傅村镇", 30, "in 傅村镇, a township the veteran wants to work in"),
    ("多湖街道", (), "义乌市", 0, "义乌市 is outside the district's distance table"),
    ("多湖街道", ("义乌市",), "义乌市", 30, "in 义乌市, a township the veteran wants to work in"),
    ("义乌市", (), "义乌市", 30, "same township (义乌市)"),
    ("义乌市", (), "多湖街道", 0, "多湖街道 is outside the district's distance table"),
])
def test_place(home, wanted, where, points, why):
    part = m.explain(seeker(home, townships=wanted), posting(where), TODAY).parts[0]
    assert (part.name, part.points, part.out_of, part.why) == ("place", points, 30, why)


@pytest.mark.parametrize("skills, requirements, points, why", [
    ((), (), 30, "the posting states no requirements"),
    (("驾驶证c1",), ("驾驶证c1",), 30, "meets 1 of 1 requirement(s)"),
    (("驾驶证c1",), ("驾驶证c1", "电工证"), 15, "meets 1 of 2 requirement(s); missing: 电工证"),
    (("驾驶证c1",), ("驾驶证c1", "电工证", "高中"), 10,
     "meets 1 of 3 requirement(s); missing: 电工证, 高中"),
    ((), ("电工证",), 0, "meets 0 of 1 requirement(s); missing: 电工证"),
    (("驾驶证c1", "电工证", "叉车证"), ("叉车证",), 30, "meets 1 of 1 requirement(s)"),
])
def test_requirements_met_by_skills(skills, requirements, points, why):
    part = m.explain(seeker(skills=skills), posting(requirements=requirements), TODAY).parts[1]
    assert (part.name, part.points, part.why) == ("requirements", points, why)


@pytest.mark.parametrize("kinds, kind, points", [
    ((), "logistics", 5),
    (("logistics",), "logistics", 15),
    (("logistics", "security"), "security", 15),
    (("security",), "logistics", 0),
])
def test_kind_of_work_wanted(kinds, kind, points):
    assert parts(m.explain(seeker(kinds=kinds), posting(kind=kind), TODAY))["kind"] == points


@pytest.mark.parametrize("min_pay, pay_max, points, why", [
    (None, 300_000, 10, "the veteran stated no minimum pay"),
    (500_000, 500_000, 10, "pays up to 5000 yuan a month, which reaches the 5000 wanted"),
    (500_000, 499_950, 0, "pays up to 4999.50 yuan a month, which is below the 5000 wanted"),
])
def test_pay(min_pay, pay_max, points, why):
    part = m.explain(seeker(min_pay=min_pay), posting(pay_max=pay_max), TODAY).parts[3]
    assert (part.points, part.why) == (points, why)


@pytest.mark.parametrize("age, points", [(0, 15), (7, 15), (8, 15), (20, 13), (48, 8),
                                         (89, 0), (90, 0), (400, 0)])
def test_freshness_falls_from_a_week_to_ninety_days(age, points):
    assert m.freshness_points(TODAY - timedelta(days=age), TODAY) == points


def test_a_score_is_the_sum_of_its_parts_and_each_part_says_why():
    s = seeker("孝顺镇", kinds=("logistics",), min_pay=500_000, skills=("驾驶证c1",))
    match = m.explain(s, posting("傅村镇", "logistics", 700_000, ("驾驶证c1", "叉车证"), 30), TODAY)
    assert parts(match) == {"place": 22, "requirements": 15, "kind": 15, "pay": 10,
                            "freshness": 11}
    assert match.score == 73 == m.points(s, posting("傅村镇", "logistics", 700_000,
                                                    ("驾驶证c1", "叉车证"), 30), TODAY)
    assert sum(p.out_of for p in match.parts) == 100
    assert all(p.why for p in match.parts)


def test_hand_built_ranking_says_why_each_ranks_where_it_does():
    s = seeker("多湖街道", kinds=("security",), min_pay=450_000, skills=("安保员证",))
    board = [
        posting("多湖街道", "security", 500_000, ("安保员证",), 2, pid="near-fit-fresh"),
        posting("多湖街道", "security", 400_000, ("安保员证",), 2, pid="near-underpaid"),
        posting("源东乡", "security", 500_000, ("安保员证",), 2, pid="far-fit"),
        posting("多湖街道", "manufacturing", 500_000, (), 2, pid="near-other-kind"),
        posting("多湖街道", "security", 500_000, ("安保员证",), 80, pid="near-fit-stale"),
    ]
    ranked = m.rank_all(s, board, TODAY, limit=5)
    assert [(r.posting_id, r.score) for r in ranked] == [
        ("near-fit-fresh", 100), ("near-underpaid", 90), ("near-fit-stale", 87),
        ("near-other-kind", 85), ("far-fit", 75)]
    why = {r.posting_id: {p.name: p.why for p in r.parts} for r in ranked}
    assert why["near-underpaid"]["pay"].endswith("is below the 4500 wanted")
    assert why["far-fit"]["place"] == "源东乡 is 25 km from 多湖街道"
    assert why["near-other-kind"]["kind"] == "manufacturing is not among the kinds wanted (security)"


# -- the distance table ---------------------------------------------------------------------------

def test_the_distance_table_covers_every_pair_symmetrically():
    assert len(TOWNSHIPS) == 11
    for a in TOWNSHIPS:
        assert distance_km(a, a) == 0
        for b in TOWNSHIPS:
            assert distance_km(a, b) == distance_km(b, a)
            assert a == b or 0 < distance_km(a, b) <= 30
    assert len(DISTANCE_KM) == 121
    assert township_key("义乌市") == "" and township_key("岭下镇") == "岭下镇"


# -- the search: exact against scoring every posting ------------------------------------------------

SKILLS = ("驾驶证c1", "电工证", "叉车证", "高中", "大专", "安保员证", "焊工证", "会计证")
PLACES = (*TOWNSHIPS, "义乌市", "婺城区")


def _board(rng, n):
    return [m.PostingFacts(f"p{i:06d}", rng.choice(PLACES), rng.choice(POSTING_KINDS),
                           rng.randrange(300_000, 1_200_000, 10_000),
                           tuple(rng.sample(SKILLS, rng.randrange(0, 4))),
                           TODAY - timedelta(days=rng.randrange(0, 200))) for i in range(n)]


class _Groups:
    """The database's part, in memory: each (township key, kind) group newest first."""

    def __init__(self, board):
        self.groups = {}
        for p in board:
            self.groups.setdefault((township_key(p.township), p.kind), []).append(p)
        for rows in self.groups.values():
            rows.sort(key=lambda p: (p.published_on, p.posting_id), reverse=True)
        self.reads = self.rows = 0

    def __call__(self, reads):
        self.reads += 1
        found = {}
        for read in reads:
            rows = self.groups.get(read.group, [])
            if read.after:
                rows = [p for p in rows if (p.published_on, p.posting_id) < read.after]
            found[read.group] = rows[:read.limit]
            self.rows += len(found[read.group])
        return found


def _seekers(rng, n):
    return [m.Seeker(f"v{i}", rng.choice(PLACES),
                     frozenset(rng.sample(POSTING_KINDS, rng.randrange(0, 3))),
                     frozenset(rng.sample(PLACES, rng.randrange(0, 2))),
                     rng.choice((None, 400_000, 800_000)),
                     frozenset(rng.sample(SKILLS, rng.randrange(0, 5)))) for i in range(n)]


@pytest.mark.parametrize("size", [50, 3000])
def test_the_search_finds_the_same_scores_as_scoring_everything(size):
    rng = random.Random(size)
    board = _board(rng, size)
    groups = _Groups(board)
    for s in _seekers(rng, 40):
        for limit in (1, 10):
            found = m.best_postings(s, TODAY, groups, limit=limit)
            expected = m.rank_all(s, board, TODAY, limit=limit)
            assert [r.score for r in found] == [r.score for r in expected]
            assert [r.score for r in found] == sorted((r.score for r in found), reverse=True)


def test_the_search_reads_about_as_much_at_ten_times_the_postings():
    rng = random.Random(7)
    seekers = _seekers(rng, 30)
    rows = {}
    for size in (2000, 20000):
        groups = _Groups(_board(random.Random(size), size))
        for s in seekers:
            m.best_postings(s, TODAY, groups, limit=10)
        rows[size] = groups.rows / len(seekers)
    assert rows[20000] <= 2 * rows[2000], rows


def test_a_groups_bound_is_never_below_a_score_in_it():
    rng = random.Random(3)
    for s in _seekers(rng, 30):
        for p in _board(rng, 200):
            group = (township_key(p.township), p.kind)
            assert m.group_bound(s, group, p.published_on, TODAY) >= m.points(s, p, TODAY)


def test_an_empty_board_matches_nothing():
    assert m.best_postings(seeker(), TODAY, lambda reads: {}, limit=5) == []


# -- the other way: the job seekers who fit a posting ---------------------------------------------

def test_seekers_who_fit_a_posting_ranked_by_the_same_score():
    job = posting("孝顺镇", "logistics", 600_000, ("驾驶证c1",), 1)
    people = [
        seeker("孝顺镇", kinds=("logistics",), skills=("驾驶证c1",), vid="near-licensed"),
        seeker("澧浦镇", kinds=("logistics",), skills=("驾驶证c1",), vid="far-licensed"),
        seeker("孝顺镇", skills=(), vid="near-any-kind"),
        seeker("孝顺镇", kinds=("security",), vid="wants-other-kind"),
        seeker("孝顺镇", kinds=("logistics",), min_pay=700_000, vid="wants-more-pay"),
    ]
    ranked = m.best_seekers(job, people, TODAY, limit=10)
    assert [(r.veteran_id, r.score) for r in ranked] == [
        ("near-licensed", 100), ("far-licensed", 80), ("near-any-kind", 60)]
    assert not m.fits(people[3], job) and not m.fits(people[4], job)
