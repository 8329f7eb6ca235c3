"""The report projection's daily sums: the facts summed, through corrections, rebuilds and deploys."""
from __future__ import annotations

import importlib
import uuid

import pytest

from chassis.db import Database
from chassis.envelope import Metadata, NewEvent
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.projection import ProjectionRunner
from chassis.report_facts import (
    CHECKPOINT,
    Filters,
    ReportFacts,
    _TableHomes,
    day,
    read_figures,
    recorded_day,
    sums_mark,
    totals,
)
from chassis.store import PostgresEventStore
from tests.conftest import fresh_database

STATION = "多湖街道退役军人服务站"
OTHER = "澧浦镇退役军人服务站"
YEAR = {"from": "2020-01-01", "to": "2020-12-31"}
DIMENSIONS = "metric, effective_on, station, township, category, kind"


def _visit(veteran: str, on: str, fen: int, station: str = STATION) -> tuple:
    visit = str(uuid.uuid4())
    return visit, "VisitRecorded", {
        "visit_id": visit, "campaign_id": "c", "veteran_id": veteran, "station": station,
        "township": "多湖街道" if station == STATION else "澧浦镇", "visited_on": on,
        "visitors": "x", "amount_fen": fen, "goods": None, "goods_value_fen": 0,
        "hardship_found": False, "notes": None, "recorded_by": "w"}


def _withdrawn(visit: tuple) -> tuple:
    stream, _, data = visit
    return stream, "VisitWithdrawn", {"visit_id": data["visit_id"], "campaign_id": "c",
                                      "veteran_id": data["veteran_id"], "reason": "duplicate",
                                      "withdrawn_by": "w", "withdrawn_on": "2021-01-04"}


def _benefits():
    v1, v2, v3 = (str(uuid.uuid4()) for _ in range(3))
    first = [_visit(v1, "2020-03-02", 50000), _visit(v1, "2020-03-02", 30000),
             _visit(v2, "2020-03-02", 80000, OTHER), _visit(v3, "2020-11-30", 50000)]
    # Recorded later: a January visit keyed in in March (a past day), a duplicate taken back
    # (-1 and -fen on its own day), one more person at the other station.
    later = [_visit(v2, "2020-01-15", 20000), _withdrawn(first[1]),
             _visit(str(uuid.uuid4()), "2020-03-02", 10000, OTHER)]
    then = [_withdrawn(first[3]), _visit(v3, "2020-12-31", 60000)]
    return first, later, then


def _registry():
    reg = {"name": "x", "id_number": "x", "sex": "male", "birth_date": "1968-05-17",
           "phone": None, "address": None, "township": "多湖街道", "enlisted_on": "1986-12-01",
           "discharged_on": "1990-12-01", "branch": "陆军", "rank": "上士",
           "discharge_category": "discharged_soldier", "area_code_known": True,
           "life_stage": "discharge"}
    v1, v2 = str(uuid.uuid4()), str(uuid.uuid4())

    def joined(veteran, on):
        return veteran, "PartyMembershipRecorded", {"veteran_id": veteran, "joined_on": on,
                                                    "party_branch": "b"}

    first = [(v1, "VeteranRegistered", {**reg, "veteran_id": v1, "service_station": STATION}),
             (v2, "VeteranRegistered", {**reg, "veteran_id": v2, "service_station": OTHER}),
             joined(v1, "2020-07-01")]
    # The day joined corrected: -1 on the old day, +1 on the new one.
    later = [joined(v1, "1988-07-01"), joined(v2, "2020-02-01"),
             (v2, "GridWorkerAssigned", {"veteran_id": v2, "grid_worker": "王"})]
    then = [joined(v2, "2019-05-04")]
    return first, later, then


CASES = {"benefits": _benefits, "registry": _registry}


@pytest.fixture(params=sorted(CASES))
def service(request):
    name = request.param
    url = fresh_database(f"vetlife_{name}_sums_test",
                         [CHASSIS_MIGRATIONS, service_migrations(name)])
    db = Database(url)
    contract = importlib.import_module(f"contracts.{name}")
    store = PostgresEventStore(db, f"{name}_events", upcast=contract.upcast)
    yield name, store, importlib.import_module(f"services.{name}.report").facts
    db.close()


def _append(store, events) -> None:
    for stream, event_type, data in events:
        store.append(stream, [NewEvent(event_type, data)], len(store.read_stream(stream)),
                     Metadata())


def _rows(cur, sql: str) -> list[tuple]:
    cur.execute(sql)
    return sorted(cur.fetchall(), key=repr)


def _sums_and_facts(store) -> tuple[list, list]:
    """The sums as kept, and the facts summed directly by the same dimensions."""
    with store.db.transaction() as cur:
        kept = _rows(cur, f"SELECT {DIMENSIONS}, delta FROM report_sums")
        summed = _rows(cur, f"SELECT {DIMENSIONS}, sum(delta)::bigint FROM report_facts "
                            f"GROUP BY {DIMENSIONS}")
    return kept, summed


def _assert_sums_are_the_facts(store) -> list:
    kept, summed = _sums_and_facts(store)
    assert kept == summed
    assert any(row[-1] > 0 for row in kept)
    with store.db.transaction() as cur:
        cur.execute("SELECT position FROM checkpoints WHERE name = %s", (CHECKPOINT,))
        (fed_to,) = cur.fetchone()
        assert sums_mark(cur) == fed_to == store.head()
    return kept


def _from_the_facts(store, query: dict) -> dict:
    """What read_figures answers, summed from the facts alone (every metric's subjects)."""
    stations = query.get("stations")
    filters = Filters(day(query["from"]), day(query["to"]),
                      stations=None if stations is None else tuple(stations))
    with store.db.transaction() as cur:
        return {"period": totals(cur, filters), "to_date": totals(cur, filters, stock=True)}


def _assert_figures_are_the_facts(store, rule) -> None:
    for reach in ({}, {"stations": [STATION]}, {"stations": [OTHER]}):
        query = {**YEAR, **reach}
        answer = read_figures(store, rule, query)      # caught up first
        facts = _from_the_facts(store, query)
        assert {k: v for k, v in answer.items() if k in ("period", "to_date")} == facts
        # The gateway names the metrics whose people it counts: theirs are the same, the
        # others' are not counted (0), their sums unchanged.
        named = read_figures(store, rule, {**query, "subject_metrics": ["visits",
                                                                        "party_members"]})
        for section, by_metric in facts.items():
            assert named[section] == {metric: {
                "sum": both["sum"],
                "subjects": both["subjects"] if metric in ("visits", "party_members") else 0}
                for metric, both in by_metric.items()}


class _FactsOnly(ReportFacts):
    """The projection as the service's previous version kept it: facts, no sums."""

    def apply_batch(self, cur, events) -> None:
        for event in events:
            facts = self.rule(event, _TableHomes(cur, self.homes))
            for seq, f in enumerate(facts):
                cur.execute(
                    f"INSERT INTO {self.facts} (position, seq, event_type, metric, effective_on, "
                    "delta, subject, station, township, category, kind, recorded_on) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (event.position, seq, event.event_type, f.metric, f.effective_on, f.delta,
                     f.subject, f.station, f.township, f.category, f.kind, recorded_day(event)))


def test_the_daily_sums_are_the_facts_summed_through_corrections_reversals_and_a_rebuild(service):
    name, store, rule = service
    first, later, then = CASES[name]()
    _append(store, first)
    read_figures(store, rule, YEAR)                   # catches the projection up
    _assert_sums_are_the_facts(store)

    _append(store, later)                             # a late correction and a reversal
    read_figures(store, rule, YEAR)
    before = _assert_sums_are_the_facts(store)
    with store.db.transaction() as cur:               # the reversal is in the facts
        cur.execute("SELECT count(*) FROM report_facts WHERE delta < 0")
        assert cur.fetchone()[0] > 0
    _assert_figures_are_the_facts(store, rule)

    ProjectionRunner(store, ReportFacts(rule)).rebuild(show_progress=False)
    assert _assert_sums_are_the_facts(store) == before
    _append(store, then)                              # the rebuilt tables keep being fed
    _assert_figures_are_the_facts(store, rule)
    _assert_sums_are_the_facts(store)


def test_facts_an_older_version_kept_without_sums_are_folded_in_once(service):
    name, store, rule = service
    first, later, then = CASES[name]()
    _append(store, first)
    read_figures(store, rule, YEAR)
    published = read_figures(store, rule, YEAR)["position"]
    # Mid-deploy: the previous version, still running, feeds facts and no sums.
    _append(store, later)
    ProjectionRunner(store, _FactsOnly(rule)).catch_up()
    with store.db.transaction() as cur:
        assert sums_mark(cur) == published < store.head()
    _assert_figures_are_the_facts(store, rule)        # folded in by the first read
    _assert_sums_are_the_facts(store)
    _append(store, then)
    _assert_figures_are_the_facts(store, rule)        # and never twice
    _assert_sums_are_the_facts(store)


def test_the_migration_sums_the_facts_a_deployed_service_already_keeps(service):
    name, store, rule = service
    first, later, _ = CASES[name]()
    _append(store, first + later)
    read_figures(store, rule, YEAR)
    kept = _assert_sums_are_the_facts(store)
    with store.db.transaction() as cur:               # as before the migration ran
        cur.execute("TRUNCATE report_sums")
        cur.execute("DELETE FROM report_homes WHERE key = 'report_sums'")
        cur.execute((CHASSIS_MIGRATIONS / "010_report_sums.sql").read_text())
    assert _assert_sums_are_the_facts(store) == kept
    _assert_figures_are_the_facts(store, rule)
