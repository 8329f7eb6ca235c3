"""The report projection every service keeps: countable facts by effective date, summed for any period.

Each service turns its own events into facts (services/<name>/report.py, a pure function of one
event and what the projection remembers of earlier ones). A fact is one row: the metric, the day
it counts for (the day it happened for the person: a visit's day, a grant's payment day, a case's
closing day; not the day it was keyed in), its dimensions (station, township, category, kind),
the pseudonymous subject it is about (a veteran id, an employer id) so people can be counted once,
the event's store position, and a delta: +1 or -1 for counts, fen for money. A late correction is
a new event whose facts carry a past effective date; a withdrawal is a negative delta. Nothing is
ever updated in place, so the sums up to a store position are what was known at that position.

The projection also keeps `report_sums`, the facts' deltas summed per metric, day, station,
township, category and kind, in the same statement as the facts it adds: the live figures sum a
period from it (a few thousand rows for a year, not every fact). The sums keep no positions, so
the figures as known at an earlier position (published reports) sum the facts themselves; and
how many distinct people a figure counts is always read from the facts.

The three tables are fed through chassis/projection.py like any read model, so
`vetlife-projections rebuild <service> report_facts` rebuilds them from the store.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol

import psycopg2.extras
import structlog

from chassis.checkpoints import read_checkpoint
from chassis.clock import SHANGHAI
from chassis.envelope import RecordedEvent

NAME = "report_facts"
CHECKPOINT = f"projection:{NAME}"
# The key, in report_homes, of the position the sums include every fact up to: homes are swapped
# with the facts and sums by a rebuild, a checkpoint would not be. No rule's key lacks a colon.
SUMS_MARK = "report_sums"
_DIMENSIONS = "metric, effective_on, station, township, category, kind"

log = structlog.get_logger("vetlife.report_facts")


@dataclass(frozen=True)
class Fact:
    """One countable fact an event adds (or, with a negative delta, takes back)."""

    metric: str
    effective_on: date
    delta: int = 1
    subject: str | None = None
    station: str | None = None
    township: str | None = None
    category: str | None = None
    kind: str | None = None


class Homes(Protocol):
    """What the projection remembers per key (a case's station, a visit's day and amount):
    later events of a stream often do not repeat the facts their first event stated."""

    def get(self, key: str) -> dict | None: ...

    def put(self, key: str, value: dict) -> None: ...


FactRule = Callable[[RecordedEvent, Homes], list[Fact]]


def day(value: Any) -> date:
    """A stored date (ISO text in the payload) as a date."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def recorded_day(event: RecordedEvent) -> date:
    """The day an event was recorded, in Asia/Shanghai: for events that state no day of their own."""
    at = event.recorded_at
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.astimezone(SHANGHAI).date()


class MemoryHomes:
    """Homes in a dict: for unit tests of a service's rule."""

    def __init__(self):
        self.values: dict[str, dict] = {}

    def get(self, key: str) -> dict | None:
        return self.values.get(key)

    def put(self, key: str, value: dict) -> None:
        self.values[key] = dict(value)


class _TableHomes:
    """Homes in the projection's own table, read and written in the projection's transaction."""

    def __init__(self, cur, table: str):
        self.cur, self.table = cur, table

    def get(self, key: str) -> dict | None:
        self.cur.execute(f"SELECT value FROM {self.table} WHERE key = %s", (key,))
        row = self.cur.fetchone()
        return row[0] if row else None

    def put(self, key: str, value: dict) -> None:
        self.cur.execute(f"INSERT INTO {self.table} (key, value) VALUES (%s, %s) ON CONFLICT (key) "
                         "DO UPDATE SET value = EXCLUDED.value",
                         (key, psycopg2.extras.Json(value)))


class ReportFacts:
    """The projection: a service's rule applied to each of its events, facts appended and the
    day's sums moved by them."""

    name = NAME
    tables = ("report_facts", "report_homes", "report_sums")

    def __init__(self, rule: FactRule, facts: str = "report_facts", homes: str = "report_homes",
                 sums: str = "report_sums"):
        self.rule = rule
        self.facts, self.homes, self.sums = facts, homes, sums

    def into(self, tables: Mapping[str, str]) -> ReportFacts:
        return ReportFacts(self.rule, tables[self.facts], tables[self.homes], tables[self.sums])

    def apply(self, cur, event: RecordedEvent) -> None:
        self.apply_batch(cur, [event])

    def apply_batch(self, cur, events: list[RecordedEvent]) -> None:
        homes = _TableHomes(cur, self.homes)
        rows = []
        for event in events:   # in order: a rule reads what earlier events put in the homes
            rows += [(event.position, seq, event.event_type, f.metric, f.effective_on, f.delta,
                      f.subject, f.station, f.township, f.category, f.kind, recorded_day(event))
                     for seq, f in enumerate(self.rule(event, homes))]
        if rows:
            # The sums move by the facts this statement added, and only those: a fact already
            # kept (ON CONFLICT) is not counted twice.
            psycopg2.extras.execute_values(
                cur, f"WITH added AS (INSERT INTO {self.facts} (position, seq, event_type, "
                "metric, effective_on, delta, subject, station, township, category, kind, "
                f"recorded_on) VALUES %s ON CONFLICT DO NOTHING RETURNING {_DIMENSIONS}, delta) "
                f"INSERT INTO {self.sums} AS s ({_DIMENSIONS}, delta) "
                f"SELECT {_DIMENSIONS}, sum(delta) FROM added GROUP BY {_DIMENSIONS} "
                f"ON CONFLICT ({_DIMENSIONS}) DO UPDATE SET delta = s.delta + EXCLUDED.delta",
                rows, page_size=len(rows))
        homes.put(SUMS_MARK, {"position": events[-1].position})


def fold_in_facts(cur, since: int, upto: int, facts: str = "report_facts",
                  sums: str = "report_sums") -> None:
    """Add to the sums the facts after position `since` up to `upto` and mark them included:
    facts an older version of the service appended without its sums (while a deploy was under
    way) are counted from the facts themselves, exactly once."""
    cur.execute(f"INSERT INTO {sums} AS s ({_DIMENSIONS}, delta) SELECT {_DIMENSIONS}, sum(delta) "
                f"FROM {facts} WHERE position > %s AND position <= %s GROUP BY {_DIMENSIONS} "
                f"ON CONFLICT ({_DIMENSIONS}) DO UPDATE SET delta = s.delta + EXCLUDED.delta",
                (since, upto))
    _TableHomes(cur, "report_homes").put(SUMS_MARK, {"position": upto})


def sums_mark(cur) -> int:
    """The position the sums include every fact up to (0: none yet)."""
    value = _TableHomes(cur, "report_homes").get(SUMS_MARK)
    return 0 if value is None else int(value["position"])


# -- reading ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """Which facts count: the period, a station or township, the caller's reach, a cutoff."""

    first: date
    last: date
    station: str | None = None
    township: str | None = None
    stations: tuple[str, ...] | None = None   # None: the whole district
    upto: int | None = None                   # a store position: what was known then

    def where(self, stock: bool) -> tuple[str, list]:
        # A stock (files, party members) counts everything effective up to the period's end; a
        # flow (visits, grants) only what is effective within it.
        clauses, args = (["effective_on <= %s"], [self.last]) if stock else (
            ["effective_on BETWEEN %s AND %s"], [self.first, self.last])
        for column, value in (("station", self.station), ("township", self.township)):
            if value is not None:
                clauses.append(f"{column} = %s")
                args.append(value)
        if self.stations is not None:
            clauses.append("station = ANY(%s)")
            args.append(list(self.stations))
        if self.upto is not None:
            clauses.append("position <= %s")
            args.append(self.upto)
        return " AND ".join(clauses), args


def totals(cur, filters: Filters, stock: bool = False, table: str = "report_facts",
           only: list[str] | None = None, besides: list[str] | None = None,
           sums: str | None = None, counted: list[str] | None = None) -> dict:
    """Per metric: `sum` (the deltas) and `subjects` (distinct subjects whose deltas sum above
    zero: people visited once however often they were visited, none once a visit is withdrawn).
    `only` / `besides`: just these metrics, or all but these (None: every metric). `sums`: the
    daily sums to read the deltas from instead of the facts (they keep no positions: only for
    filters without a cutoff). `counted`: the metrics whose subjects are wanted (None: every
    metric; the others' `subjects` are 0)."""
    def restricted(where: str, args: list) -> tuple[str, list]:
        if only is not None:
            where, args = f"metric = ANY(%s) AND {where}", [list(only), *args]
        if besides:
            where, args = f"metric <> ALL(%s) AND {where}", [list(besides), *args]
        return where, args

    if only is not None and not only:
        return {}
    if sums is not None and filters.upto is not None:
        raise ValueError("the daily sums keep no positions: sum the facts for a cutoff")
    where, args = restricted(*filters.where(stock))
    cur.execute(f"SELECT metric, sum(delta) FROM {sums or table} WHERE {where} GROUP BY metric",
                args)
    out = {metric: {"sum": int(total), "subjects": 0} for metric, total in cur.fetchall()}
    if counted is not None:
        if not counted:
            return out
        where, args = f"metric = ANY(%s) AND {where}", [list(counted), *args]
    # Distinct people need the facts: one person's deltas may fall on many days.
    cur.execute(f"SELECT metric, count(*) FROM (SELECT metric, subject FROM {table} WHERE {where} "
                "AND subject IS NOT NULL GROUP BY metric, subject HAVING sum(delta) > 0) s "
                "GROUP BY metric", args)
    for metric, count in cur.fetchall():
        out.setdefault(metric, {"sum": 0, "subjects": 0})["subjects"] = int(count)
    return out


def later_facts(cur, filters: Filters, after: int, stock_metrics=frozenset(),
                table: str = "report_facts") -> list[dict]:
    """The facts recorded after position `after` (up to the filters' cutoff, if any) that count
    for the period: the corrections that explain why a published figure changed."""
    flow_where, flow_args = filters.where(False)
    stock_where, stock_args = filters.where(True)
    cur.execute(
        f"SELECT position, event_type, metric, effective_on, delta, recorded_on FROM {table} "
        f"WHERE position > %s AND ((metric <> ALL(%s) AND {flow_where}) OR "
        f"(metric = ANY(%s) AND {stock_where})) ORDER BY position, seq",
        [after, list(stock_metrics), *flow_args, list(stock_metrics), *stock_args])
    return [{"position": p, "event_type": t, "metric": m, "effective_on": e.isoformat(),
             "delta": int(d), "recorded_on": r.isoformat()} for p, t, m, e, d, r in cur.fetchall()]


def position(cur) -> int:
    """How far the report projection has read its store."""
    return read_checkpoint(cur, CHECKPOINT)


# -- the service's side: one RPC, the same in every service ------------------------------------------

def _filters(query: dict, upto: int | None) -> Filters:
    stations = query.get("stations")
    return Filters(first=day(query["from"]), last=day(query["to"]),
                   station=query.get("station"), township=query.get("township"),
                   stations=None if stations is None else tuple(stations), upto=upto)


def read_figures(store, rule: FactRule, query: dict) -> dict:
    """A service's part of the bureau's figures: its facts caught up, then summed for the query.

    `query`: from, to (ISO days), station, township (or absent), stations (the caller's reach;
    absent: the district), upto (a store position: the figures as known then; absent: now),
    after (a store position: list the facts recorded since, that count for the period),
    stock_metrics (the metrics summed up to the period's end) and subject_metrics (the metrics
    whose distinct subjects are wanted; absent: every metric's).
    """
    from chassis.projection import ProjectionRunner  # chassis.projection imports the store's CLI

    ProjectionRunner(store, ReportFacts(rule)).catch_up()
    reply = _answer(store, query, lagging_sums_ok=False)
    if reply is None:
        _settle_sums(store)
        reply = _answer(store, query, lagging_sums_ok=True)
    return reply


def _answer(store, query: dict, lagging_sums_ok: bool) -> dict | None:
    """The sums for the query, or None if the daily sums lag the facts and that is not ok."""
    with store.db.transaction() as cur:
        # One snapshot for every statement: the position answered is the one the sums and facts
        # read stand at, even while another request's catch-up commits in between.
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        now = position(cur)
        upto = query.get("upto")
        upto = now if upto is None else min(int(upto), now)
        filters = _filters(query, upto)
        # The live figures (the hot path) sum the daily sums; as known at an earlier position
        # (a published report, rarely read) they sum the facts, which keep their positions.
        sums = None
        if upto == now:
            if sums_mark(cur) == now:
                sums, filters = "report_sums", replace(filters, upto=None)
            elif not lagging_sums_ok:
                return None
        # A caller that names the stock metrics (the gateway does) reads stocks only up to the
        # period's end and flows only within it: summing every flow since the beginning, for
        # figures that never read it, was most of a district read's time.
        stocks = query.get("stock_metrics")
        counted = query.get("subject_metrics")
        reply = {"position": upto, "head": now,
                 "period": totals(cur, filters, besides=stocks, sums=sums, counted=counted),
                 "to_date": totals(cur, filters, stock=True, only=stocks, sums=sums,
                                   counted=counted)}
        if query.get("after") is not None:
            reply["later"] = later_facts(cur, _filters(query, None), int(query["after"]),
                                         frozenset(query.get("stock_metrics") or ()))
    return reply


def _settle_sums(store) -> None:
    """Fold into the daily sums the facts appended without them (by an older version of the
    service while a deploy was under way), under the projection's feeding lock."""
    with store.db.transaction() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (CHECKPOINT,))
        mark, now = sums_mark(cur), position(cur)
        if mark < now:
            log.warning("report_facts.sums_folded_in", since=mark, upto=now)
            fold_in_facts(cur, mark, now)


def figures_rpc(rule: FactRule):
    """The `report_figures(query)` RPC for a service class whose events `rule` counts."""
    from chassis.rpc import rpc

    def report_figures(self, query: dict) -> dict:
        return read_figures(self.store, rule, query)

    return rpc(report_figures)
