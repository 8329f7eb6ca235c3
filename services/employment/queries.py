"""Reads over the employment read models: matching in both directions, places left, the figures."""
from __future__ import annotations

from datetime import date

from services.employment.domain import matching
from services.employment.domain.matching import GroupRead, PostingFacts, Seeker

# One round trip reads several (township, kind) groups, each newest first after its own keyset
# cursor: an index range scan per group on postings_board (the LATERAL's LIMIT stops each one).
# A group read from its start passes the cursor ('infinity', ''), which every row precedes.
_GROUPS = (
    "SELECT g.i, p.posting_id, p.township, p.kind, p.pay_max_fen, p.requirements, "
    "p.published_on FROM unnest(%s::text[], %s::text[], %s::date[], %s::text[], %s::int[]) "
    "WITH ORDINALITY AS g(township_key, kind, before_on, before_id, n, i) "
    "CROSS JOIN LATERAL (SELECT posting_id, township, kind, pay_max_fen, requirements, "
    "  published_on FROM postings WHERE listed AND township_key = g.township_key "
    "  AND kind = g.kind AND (published_on, posting_id) < (g.before_on, g.before_id) "
    "  ORDER BY published_on DESC, posting_id DESC LIMIT g.n) p"
)


def read_groups(cur, reads: list[GroupRead]) -> dict[matching.Group, list[PostingFacts]]:
    cur.execute(_GROUPS, (
        [r.group[0] for r in reads], [r.group[1] for r in reads],
        [r.after[0] if r.after else "infinity" for r in reads],
        [r.after[1] if r.after else "" for r in reads],
        [r.limit for r in reads]))
    found: dict[matching.Group, list[PostingFacts]] = {r.group: [] for r in reads}
    for i, posting_id, township, kind, pay_max, requirements, published_on in cur.fetchall():
        found[reads[i - 1].group].append(
            PostingFacts(posting_id, township, kind, pay_max, tuple(requirements), published_on))
    return found


def seeker_row(cur, veteran_id: str) -> dict | None:
    cur.execute("SELECT veteran_id, township, service_station, status, kinds, townships, "
                "min_pay_fen, skills FROM job_seekers WHERE veteran_id = %s", (veteran_id,))
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip(("veteran_id", "township", "service_station", "status", "kinds",
                     "townships", "min_pay_fen", "skills"), row, strict=True))


def as_seeker(row: dict) -> Seeker:
    return Seeker(row["veteran_id"], row["township"], frozenset(row["kinds"]),
                  frozenset(row["townships"]), row["min_pay_fen"], frozenset(row["skills"]))


def match_postings(cur, seeker: Seeker, today: date, limit: int) -> list[dict]:
    """The seeker's best open postings, explained, with what a reader needs of each posting."""
    matches = matching.best_postings(seeker, today, lambda reads: read_groups(cur, reads), limit)
    if not matches:
        return []
    cur.execute("SELECT posting_id, title, employer_id, employer_name, township, kind, "
                "pay_min_fen, pay_max_fen, published_on FROM postings "
                "WHERE posting_id = ANY(%s)", ([m.posting_id for m in matches],))
    columns = [d[0] for d in cur.description]
    postings = {row[0]: dict(zip(columns, row, strict=True)) for row in cur.fetchall()}
    return [{"rank": rank, **postings[m.posting_id], "score": m.score,
             "parts": [part.__dict__ for part in m.parts]}
            for rank, m in enumerate(matches, 1)]


def posting_facts(cur, posting_id: str) -> PostingFacts | None:
    cur.execute("SELECT posting_id, township, kind, pay_max_fen, requirements, published_on "
                "FROM postings WHERE posting_id = %s", (posting_id,))
    row = cur.fetchone()
    return None if row is None else PostingFacts(*row[:4], tuple(row[4]), row[5])


def match_seekers(cur, posting: PostingFacts, today: date, limit: int,
                  stations: list[str] | None) -> list[dict]:
    """The job seekers still seeking who fit the posting (matching.fits, here in SQL on the
    kinds_key index), ranked; `stations` limits them to a station worker's stations."""
    where = ["status = 'seeking'", "kinds_key && %s::text[]",
             "(min_pay_fen IS NULL OR min_pay_fen <= %s)"]
    args: list = [[posting.kind, "*"], posting.pay_max_fen]
    if stations is not None:
        where.append("service_station = ANY(%s)")
        args.append(stations)
    cur.execute("SELECT veteran_id, township, service_station, kinds, townships, min_pay_fen, "
                f"skills FROM job_seekers WHERE {' AND '.join(where)}", args)
    stations_of, seekers = {}, []
    for veteran_id, township, station, kinds, townships, min_pay, skills in cur.fetchall():
        stations_of[veteran_id] = station
        seekers.append(Seeker(veteran_id, township, frozenset(kinds), frozenset(townships),
                              min_pay, frozenset(skills)))
    by_id = {s.veteran_id: s for s in seekers}
    return [{"rank": rank, "veteran_id": m.veteran_id, "township": by_id[m.veteran_id].township,
             "service_station": stations_of[m.veteran_id], "score": m.score,
             "parts": [part.__dict__ for part in m.parts]}
            for rank, m in enumerate(matching.best_seekers(posting, seekers, today, limit), 1)]


def places_left(cur, posting_id: str) -> int | None:
    cur.execute("SELECT headcount - hired FROM postings WHERE posting_id = %s", (posting_id,))
    row = cur.fetchone()
    return None if row is None else row[0]


def figures(cur, first: date, last: date) -> dict:
    """Counts and sums over [first, last], each from the day its thing happened."""
    span = (first, last)
    cur.execute("SELECT count(*) FROM employers WHERE registered_on BETWEEN %s AND %s", span)
    employers = cur.fetchone()[0]
    cur.execute("SELECT count(*), coalesce(sum(headcount), 0) FROM postings "
                "WHERE published_on BETWEEN %s AND %s", span)
    postings, posts = cur.fetchone()
    cur.execute("SELECT count(*) FROM postings WHERE published_on <= %s "
                "AND (closed_on IS NULL OR closed_on > %s)", (last, last))
    open_at_end = cur.fetchone()[0]
    cur.execute("SELECT count(*), coalesce(sum(employers_attending), 0), "
                "coalesce(sum(posts_offered), 0), coalesce(sum(veterans_attending), 0), "
                "coalesce(sum(intentions_reached), 0) FROM job_fairs "
                "WHERE held_on BETWEEN %s AND %s", span)
    fairs = dict(zip(("held", "employers_attending", "posts_offered", "veterans_attending",
                      "intentions_reached"), cur.fetchone(), strict=True))
    cur.execute("SELECT count(*), count(*) FILTER (WHERE source = 'placement'), "
                "count(*) FILTER (WHERE source = 'direct') FROM job_seekers "
                "WHERE registered_on BETWEEN %s AND %s", span)
    seekers = dict(zip(("registered", "from_placement", "direct"), cur.fetchone(), strict=True))
    cur.execute("SELECT activity, subkind, count(*), count(*) FILTER (WHERE qualifies), "
                "coalesce(sum(amount_fen), 0), coalesce(sum(subsidy_fen), 0) "
                "FROM employment_activity WHERE on_date BETWEEN %s AND %s "
                "GROUP BY activity, subkind", span)
    activity: dict[tuple, tuple] = {(a, s): rest for a, s, *rest in cur.fetchall()}

    def of(kind: str, subkind: str | None = None) -> tuple:
        return activity.get((kind, subkind), (0, 0, 0, 0))

    return {
        "from_": first, "to": last,
        "employers_registered": employers, "postings_published": postings,
        "posts_published": int(posts), "postings_open_at_end": open_at_end,
        "job_fairs": {k: int(v) for k, v in fairs.items()}, "job_seekers": seekers,
        "employment_intentions": of("intention")[0],
        "hires": of("hire")[0], "hires_qualifying_for_tax_relief": of("hire")[1],
        "training": {kind: of("training", kind)[0] for kind in ("adaptive", "skills", "degree")},
        "startup_loans": {"count": of("loan")[0], "amount_fen": int(of("loan")[2]),
                          "yearly_interest_subsidy_fen": int(of("loan")[3])},
        "contest_awards": {"count": of("award")[0], "amount_fen": int(of("award")[2])},
    }
