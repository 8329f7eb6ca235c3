"""Placement's reads: a case with its history and clocks, eligibility, the case list, post quotas and rates."""
from __future__ import annotations

from datetime import date, timedelta

from chassis.clock import Clock
from services.placement.domain.case import NEXT_STEPS, PlacementCase
from services.placement.domain.clocks import days_late
from services.placement.domain.money import Standards, waiting_allowance
from services.placement.domain.rates import CaseOutcome, placed_in_period, placement_rates
from services.placement.domain.reporting import facts_fields


def case_view(case: PlacementCase, recorded, deadlines: list[dict], standards: Standards,
              today: date) -> dict:
    """The case as its read reply shows it (contracts.placement.CaseReply)."""
    facts = None
    if case.facts is not None:
        facts = {**facts_fields(case.facts),
                 "discharge_approved_on": case.facts.discharge_approved_on}
    post = case.post
    return {
        "case_id": case.case_id, "veteran_id": case.veteran_id, "version": case.version,
        "kind": case.kind, "status": case.status, "service_station": case.service_station,
        "township": case.township, "facts": facts,
        "report_in": {
            "reported_on": case.reported_on, "due_on": case.report_in_due_on,
            "days_late": days_late(case.facts.discharge_approved_on, case.reported_on)
            if case.facts else 0,
            "late_reason": case.late_reason},
        "allowed_modes": [m.mode for m in case.eligibility() if m.allowed],
        "forfeiture": _fields(case.forfeiture, "reason", "article", "on", "detail"),
        "mode": case.mode, "mode_chosen_on": case.mode_chosen_on, "points": case.points,
        "post": None if post is None else {
            "post_id": post.post_id, "post_kind": post.post_kind, "unit": post.unit,
            "offered_on": post.on, "accepted_on": case.post_accepted_on},
        "declined": [_fields(d, "post_id", "on", "good_reason") for d in case.declined],
        "referral_letter": _fields(case.letter, "letter_number", "issued_on", "on_post_due_on"),
        "on_post_on": case.on_post_on,
        "contract": _fields(case.contract, "signed_on", "term_years", "open_ended"),
        "allowance": allowance(case, standards, today),
        "subsidy": None if case.subsidy is None else {
            **_fields(case.subsidy, "standard_year", "years_of_service", "fen_per_year",
                      "amount_fen"),
            "paid_on": case.subsidy_paid.paid_on if case.subsidy_paid else None,
            "reference": case.subsidy_paid.reference if case.subsidy_paid else None},
        "transfer": _fields(case.transfer, "method", "planned_kind", "on"),
        "placed": _fields(case.placed, "post_kind", "unit", "placed_on"),
        "officer_case_id": case.officer_case_id, "spouse_case_id": case.spouse_case_id,
        "spouse_name": case.spouse_name, "employed_as": case.employed_as,
        "overdue": sorted(case.overdue),
        "closed": _fields(case.closed, "outcome", "on"),
        "deadlines": deadlines,
        "history": [{"version": e.stream_version, "event_type": e.event_type,
                     "at": e.recorded_at.isoformat(), "actor": e.actor} for e in recorded],
    }


def _fields(record, *names) -> dict | None:
    return None if record is None else {name: getattr(record, name) for name in names}


def allowance(case: PlacementCase, standards: Standards, today: date) -> dict | None:
    """While waiting for assigned work: from the choice until the day before going on post (or
    the forfeiture, the closing, or today)."""
    if case.mode != "assigned_work" or case.mode_chosen_on is None:
        return None
    ends = [today]
    if case.on_post_on is not None:
        ends.append(case.on_post_on - timedelta(days=1))
    if case.forfeiture is not None:
        ends.append(case.forfeiture.on)
    if case.closed is not None:
        ends.append(case.closed.on)
    until = min(ends)
    months = waiting_allowance(standards, case.mode_chosen_on, until)
    return {"since": case.mode_chosen_on, "until": until,
            "months": [{"month": m.month, "days": m.days, "fen": m.fen} for m in months],
            "total_fen": sum(m.fen or 0 for m in months),
            "complete": all(m.fen is not None for m in months)}


def eligibility_view(case: PlacementCase) -> dict:
    return {
        "veteran_id": case.veteran_id, "case_id": case.case_id, "version": case.version,
        "rank_class": case.facts.rank_class,
        "forfeited": case.forfeiture.reason if case.forfeiture else None,
        "modes": [{"mode": m.mode, "allowed": m.allowed, "explanation": m.explanation,
                   "grounds": [{"article": g.article, "rule": g.rule, "effect": g.effect,
                                "holds": g.holds} for g in m.grounds]}
                  for m in case.eligibility()],
    }


_OVERDUE = ("EXISTS (SELECT 1 FROM deadlines d WHERE d.stream_id = c.case_id AND "
            "(d.state = 'fired' OR (d.state = 'pending' AND d.due_at <= %s)))")
# The step each open status waits on (domain.case.NEXT_STEPS' first), in SQL.
_NEXT_STEP = ("CASE c.status " + " ".join(f"WHEN '{status}' THEN '{steps[0][0]}'"
                                         for status, steps in NEXT_STEPS.items()) + " END")
# The clock running now: on post after the referral letter; else the placement clock while it
# runs (from choosing assigned work or a transfer, or receiving a spouse, until placed).
_PLACEMENT_RUNS = ("waiting", "scored", "post_offered", "post_accepted", "awaiting_assignment",
                   "assigned")
_DUE_ON = ("(CASE WHEN c.status = 'letter_issued' THEN c.on_post_due_on WHEN c.status IN ("
           + ", ".join(f"'{s}'" for s in _PLACEMENT_RUNS) + ") THEN c.placement_due_on END)")
_SORTS = {"state_since": "c.state_since", "reported_on": "c.reported_on", "due_on": _DUE_ON}


def list_cases(cur, clock: Clock, status=None, mode=None, kind=None, station=None, overdue=None,
               page=1, page_size=20, veteran_id=None, within_stations=None,
               own_veteran=None, queue=None, sort=None, order="asc", mine=()) -> dict:
    """`within_stations` and `own_veteran` are the caller's reach when it is not the district:
    their stations' cases, and their own (a spouse's case is reached through the officer).
    `mine` is the statuses whose awaited step is the caller's (domain.case.desk_statuses): the
    queues mine (open, in one of them), others (open, not) and done (closed), and `yours`."""
    where, args = [], []
    if within_stations is not None or own_veteran is not None:
        where.append("(c.service_station = ANY(%s) OR c.veteran_id = %s)")
        args += [list(within_stations or ()), own_veteran]
    for column, value in (("status", status), ("mode", mode), ("kind", kind),
                          ("service_station", station), ("veteran_id", veteran_id)):
        if value is not None:
            where.append(f"c.{column} = %s")
            args.append(value)
    if queue is not None:
        where.append({"mine": "c.status = ANY(%s)",
                      "others": "c.status <> 'closed' AND NOT (c.status = ANY(%s))",
                      "done": "c.status = 'closed'"}[queue])
        if queue != "done":
            args.append(list(mine))
    now = clock.now()
    base = f"FROM placement_cases c {'WHERE ' + ' AND '.join(where) if where else ''}"
    cur.execute(f"SELECT count(*), count(*) FILTER (WHERE {_OVERDUE}) {base}", [now, *args])
    total, overdue_count = cur.fetchone()
    if overdue is not None:
        base += (" AND " if where else " WHERE ") + ("" if overdue else "NOT ") + _OVERDUE
        args.append(now)
        cur.execute(f"SELECT count(*) {base}", args)
        (total,) = cur.fetchone()
    # The sort column is one of the contract's names, never the caller's text.
    ordering = (f"{_SORTS[sort]} {'DESC' if order == 'desc' else 'ASC'} NULLS LAST, c.case_id"
                if sort in _SORTS else "c.reported_on, c.case_id")
    cur.execute(
        f"SELECT c.case_id, c.veteran_id, c.kind, c.status, c.mode, c.service_station, "
        f"c.reported_on, c.placement_due_on, {_OVERDUE}, c.state_since, {_NEXT_STEP}, "
        f"{_DUE_ON}, c.status = ANY(%s) {base} "
        f"ORDER BY {ordering} LIMIT %s OFFSET %s",
        [now, list(mine), *args, page_size, (page - 1) * page_size])
    columns = ("case_id", "veteran_id", "kind", "status", "mode", "service_station",
               "reported_on", "placement_due_on", "overdue", "state_since", "next_step", "due_on",
               "yours")
    items = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    return {"items": items, "page": page, "page_size": page_size, "total": total,
            "overdue": overdue_count}


def list_posts(cur, post_kind=None, year=None, open=None) -> dict:  # noqa: A002 - the query's name
    where, args = [], []
    for column, value in (("post_kind", post_kind), ("year", year)):
        if value is not None:
            where.append(f"q.{column} = %s")
            args.append(value)
    cur.execute(
        "SELECT q.post_id, q.version, q.unit, q.post_kind, q.title, q.year, q.positions, "
        "count(h.case_id) FILTER (WHERE h.state = 'offered'), "
        "count(h.case_id) FILTER (WHERE h.state = 'filled') "
        "FROM post_quotas q LEFT JOIN post_holders h ON h.post_id = q.post_id "
        f"{'WHERE ' + ' AND '.join(where) if where else ''} "
        "GROUP BY q.post_id ORDER BY q.year DESC, q.post_kind, q.unit, q.post_id", args)
    items = []
    for post_id, version, unit, kind, title, year_, positions, offered, filled in cur.fetchall():
        free = positions - offered - filled
        if open is None or (free > 0) == open:
            items.append({"post_id": post_id, "version": version, "unit": unit,
                          "post_kind": kind, "title": title, "year": year_,
                          "positions": positions, "offered": offered, "filled": filled,
                          "free": free})
    return {"items": items}


def rates(cur, start: date, end: date) -> dict:
    cur.execute("SELECT kind, placement_due_on, planned_kind, placed_on, placed_kind "
                "FROM placement_cases WHERE placement_due_on BETWEEN %s AND %s "
                "OR placed_on BETWEEN %s AND %s", (start, end, start, end))
    cases = [CaseOutcome(*row) for row in cur.fetchall()]
    cur.execute("SELECT count(*) FROM placement_cases WHERE kind <> 'spouse' AND "
                "reported_on BETWEEN %s AND %s", (start, end))
    (reported,) = cur.fetchone()
    return {"from_": start, "to": end,
            "rates": [{"kind": r.kind, "due": r.due, "placed": r.placed, "percent": r.percent}
                      for r in placement_rates(cases, start, end)],
            "placed_by_kind": placed_in_period(cases, start, end), "reported_in": reported}

