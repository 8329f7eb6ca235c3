"""The report projection every service keeps: countable facts by effective date, summed for any period.

Each service turns its own events into facts (services/<name>/report.py, a pure function of one
event and what the projection remembers of earlier ones). A fact is one row: the metric, the day
it counts for (the day it happened for the person: a visit's day, a grant's payment day, a case's
closing day; not the day it was keyed in), its dimensions (station, township, category, kind),
the pseudonymous subject it is about (a veteran id, an employer id) so people can be counted once,
the event's store position, and a delta: +1 or -1 for counts, fen for money. A late correction is
a new event whose facts carry a past effective date; a withdrawal is a negative delta. Nothing is
ever updated in place, so the sums up to a store position are what was known at that position.

Both tables are fed through chassis/projection.py like any read model, so
`vetlife-projections rebuild <service> report_facts` rebuilds them from the store.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import psycopg2.extras

from chassis.checkpoints import read_checkpoint
from chassis.clock import SHANGHAI
from chassis.envelope import RecordedEvent

NAME = "report_facts"
CHECKPOINT = f"projection:{NAME}"


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
    """The projection: a service's rule applied to each of its events, facts appended."""

    name = NAME
    tables = ("report_facts", "report_homes")

    def __init__(self, rule: FactRule, facts: str = "report_facts", homes: str = "report_homes"):
        self.rule = rule
        self.facts, self.homes = facts, homes

    def into(self, tables: Mapping[str, str]) -> ReportFacts:
        return ReportFacts(self.rule, tables[self.facts], tables[self.homes])

    def apply(self, cur, event: RecordedEvent) -> None:
        facts = self.rule(event, _TableHomes(cur, self.homes))
        if not facts:
            return
        rows = [(event.position, seq, event.event_type, f.metric, f.effective_on, f.delta,
                 f.subject, f.station, f.township, f.category, f.kind, recorded_day(event))
                for seq, f in enumerate(facts)]
        psycopg2.extras.execute_values(
            cur, f"INSERT INTO {self.facts} (position, seq, event_type, metric, effective_on, "
            "delta, subject, station, township, category, kind, recorded_on) VALUES %s "
            "ON CONFLICT DO NOTHING", rows)


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
           only: list[str] | None = None, besides: list[str] | None = None) -> dict:
    """Per metric: `sum` (the deltas) and `subjects` (distinct subjects whose deltas sum above
    zero: people visited once however often they were visited, none once a visit is withdrawn).
    `only` / `besides`: just these metrics, or all but these (None: every metric)."""
    where, args = filters.where(stock)
    if only is not None:
        if not only:
            return {}
        where, args = f"metric = ANY(%s) AND {where}", [list(only), *args]
    if besides:
        where, args = f"metric <> ALL(%s) AND {where}", [list(besides), *args]
    cur.execute(f"SELECT metric, sum(delta) FROM {table} WHERE {where} GROUP BY metric", args)
    out = {metric: {"sum": int(total), "subjects": 0} for metric, total in cur.fetchall()}
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
    absent: the district), upto (a store position: the figures as known then; absent: now) and
    after (a store position: list the facts recorded since, that count for the period).
    """
    from chassis.projection import ProjectionRunner  # chassis.projection imports the store's CLI

    ProjectionRunner(store, ReportFacts(rule)).catch_up()
    with store.db.transaction() as cur:
        now = position(cur)
        upto = query.get("upto")
        upto = now if upto is None else min(int(upto), now)
        filters = _filters(query, upto)
        # A caller that names the stock metrics (the gateway does) reads stocks only up to the
        # period's end and flows only within it: summing every flow since the beginning, for
        # figures that never read it, was most of a district read's time.
        stocks = query.get("stock_metrics")
        reply = {"position": upto, "head": now,
                 "period": totals(cur, filters, besides=stocks),
                 "to_date": totals(cur, filters, stock=True, only=stocks)}
        if query.get("after") is not None:
            reply["later"] = later_facts(cur, _filters(query, None), int(query["after"]),
                                         frozenset(query.get("stock_metrics") or ()))
    return reply


def figures_rpc(rule: FactRule):
    """The `report_figures(query)` RPC for a service class whose events `rule` counts."""
    from chassis.rpc import rpc

    def report_figures(self, query: dict) -> dict:
        return read_figures(self.store, rule, query)

    return rpc(report_figures)
