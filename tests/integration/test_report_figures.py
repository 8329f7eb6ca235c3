"""Each service's report_figures against its real database: caught up, summed, cut off, rebuilt."""
from __future__ import annotations

import importlib
import uuid

import pytest

from chassis.db import Database
from chassis.envelope import Metadata, NewEvent
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.projection import ProjectionRunner
from chassis.report_facts import ReportFacts, read_figures
from chassis.store import PostgresEventStore
from tests.conftest import fresh_database

STATION = "多湖街道退役军人服务站"
OTHER = "澧浦镇退役军人服务站"
YEAR = {"from": "2020-01-01", "to": "2020-12-31"}


def _ids():
    return str(uuid.uuid4()), str(uuid.uuid4())


def _registry():
    v1, v2 = _ids()
    reg = {"name": "x", "id_number": "x", "sex": "male", "birth_date": "1968-05-17",
           "phone": None, "address": None, "township": "多湖街道", "enlisted_on": "1986-12-01",
           "discharged_on": "1990-12-01", "branch": "陆军", "rank": "上士",
           "discharge_category": "discharged_soldier", "area_code_known": True,
           "life_stage": "discharge"}
    return (
        [(v1, "VeteranRegistered", {**reg, "veteran_id": v1, "service_station": STATION}),
         (v2, "VeteranRegistered", {**reg, "veteran_id": v2, "service_station": OTHER}),
         (v1, "PartyMembershipRecorded", {"veteran_id": v1, "joined_on": "2021-07-01",
                                          "party_branch": "b"})],
        # the correction: the day joined was 1988
        [(v1, "PartyMembershipRecorded", {"veteran_id": v1, "joined_on": "1988-07-01",
                                          "party_branch": "b"})],
        # published, then now; station-only; a metric with its measure
        ("party_members", "subjects", "to_date", 0, 1, 1, "party_members", "sum", 1))


def _benefits():
    visit = {"campaign_id": "c", "station": STATION, "township": "多湖街道", "visitors": "x",
             "goods": None, "goods_value_fen": 0, "hardship_found": False, "notes": None,
             "recorded_by": "w"}
    v1, v2 = _ids()
    return (
        [(v1, "VisitRecorded", {**visit, "visit_id": v1, "veteran_id": v1,
                                "visited_on": "2020-07-31", "amount_fen": 50000}),
         (v2, "VisitRecorded", {**visit, "visit_id": v2, "veteran_id": v2, "station": OTHER,
                                "visited_on": "2020-08-01", "amount_fen": 30000})],
        [(v1, "VisitWithdrawn", {"visit_id": v1, "campaign_id": "c", "veteran_id": v1,
                                 "reason": "duplicate", "withdrawn_by": "w",
                                 "withdrawn_on": "2021-01-04"})],
        ("visits_amount_fen", "sum", "period", 80000, 30000, 0, "visits", "subjects", 1))


def _disputes():
    p1, p2 = _ids()
    return (
        [(p1, "ProxyCaseOpened", {"proxy_case_id": p1, "veteran_id": "v",
                                  "service_station": STATION}),
         (p2, "ProxyCaseOpened", {"proxy_case_id": p2, "veteran_id": "v",
                                  "service_station": OTHER}),
         (p2, "ProxyCaseClosed", {"proxy_case_id": p2, "outcome": "completed",
                                  "closed_on": "2020-03-01"})],
        # closed in 2021's first days, but recorded as closed on its real day in 2020
        [(p1, "ProxyCaseClosed", {"proxy_case_id": p1, "outcome": "completed",
                                  "closed_on": "2020-12-30"})],
        ("proxy_cases_completed", "sum", "period", 1, 2, 1, "proxy_cases_completed", "sum", 2))


def _employment():
    p1, p2 = _ids()
    return (
        [(p1, "PostingPublished", {"posting_id": p1, "employer_id": "e1", "township": "多湖街道",
                                   "published_on": "2020-02-01"})],
        [(p2, "PostingPublished", {"posting_id": p2, "employer_id": "e2", "township": "多湖街道",
                                   "published_on": "2020-11-01"})],
        ("postings", "subjects", "period", 1, 2, None, "postings", "sum", 2))


def _placement():
    c1, c2 = _ids()
    return (
        [(c1, "ReportedIn", {"case_id": c1, "veteran_id": c1, "case_kind": "officer",
                             "rank_class": "officer", "service_station": STATION,
                             "township": "多湖街道"}),
         (c2, "ReportedIn", {"case_id": c2, "veteran_id": c2, "case_kind": "officer",
                             "rank_class": "officer", "service_station": OTHER,
                             "township": "澧浦镇"}),
         (c1, "Placed", {"case_id": c1, "veteran_id": c1, "post_kind": "administrative",
                         "unit": "u", "placed_on": "2020-09-01"})],
        [(c2, "Placed", {"case_id": c2, "veteran_id": c2, "post_kind": "enterprise",
                         "unit": "u", "placed_on": "2020-10-01"})],
        ("placed_officer", "sum", "period", 1, 2, 1, "placed_officer_administrative", "sum", 1))


def _bundle():
    b1, b2 = _ids()
    return (
        [(b1, "BundleSubmitted", {"bundle_id": b1, "veteran_id": b1, "station": STATION,
                                  "township": "多湖街道", "submitted_on": "2020-05-01"})],
        [(b2, "BundleSubmitted", {"bundle_id": b2, "veteran_id": b2, "station": OTHER,
                                  "township": "澧浦镇", "submitted_on": "2020-12-31"})],
        ("bundles_received", "subjects", "period", 1, 2, 1, "bundles_received", "sum", 2))


CASES = {"registry": _registry, "benefits": _benefits, "disputes": _disputes,
         "employment": _employment, "placement": _placement, "bundle": _bundle}


@pytest.fixture(params=sorted(CASES))
def service(request):
    name = request.param
    url = fresh_database(f"vetlife_{name}_figures_test",
                         [CHASSIS_MIGRATIONS, service_migrations(name)])
    db = Database(url)
    contract = importlib.import_module(f"contracts.{name}")
    store = PostgresEventStore(db, f"{name}_events", upcast=contract.upcast)
    yield name, store, importlib.import_module(f"services.{name}.report").facts
    db.close()


def _append(store, events):
    versions: dict[str, int] = {}
    for stream, event_type, data in events:
        if stream not in versions:
            versions[stream] = store.stream_version(stream) if hasattr(
                store, "stream_version") else len(store.read_stream(stream))
        store.append(stream, [NewEvent(event_type, data)], versions[stream], Metadata())
        versions[stream] += 1


def _value(reply, metric, measure, section):
    totals = reply[section].get(metric)
    return 0 if totals is None else totals["sum" if measure == "sum" else "subjects"]


def test_figures_are_summed_cut_off_at_a_position_corrected_later_and_rebuilt(service):
    name, store, rule = service
    first, later, expected = CASES[name]()
    metric, measure, section, published, now, at_station, other, other_measure, other_now = \
        expected
    _append(store, first)

    reply = read_figures(store, rule, YEAR)
    assert _value(reply, metric, measure, section) == published
    cutoff = reply["position"]
    assert cutoff == store.head()

    _append(store, later)   # a late correction: recorded after publication, counting for 2020
    now_reply = read_figures(store, rule, {**YEAR, "after": cutoff,
                                           "stock_metrics": ["party_members", "files"]})
    assert _value(now_reply, metric, measure, section) == now
    assert _value(now_reply, other, other_measure, section) == other_now
    if name == "registry":
        # A file counts from the day it was recorded (today), up to the end of any period.
        today = read_figures(store, rule, {"from": "2020-01-01", "to": "2099-12-31"})
        assert _value(today, "files", "sum", "to_date") == 2
        assert _value(now_reply, "files", "sum", "to_date") == 0
    assert now_reply["later"] and all(f["position"] > cutoff for f in now_reply["later"])
    assert metric in {f["metric"] for f in now_reply["later"]}
    # As published: the same figure recomputed up to the cutoff position.
    again = read_figures(store, rule, {**YEAR, "upto": cutoff})
    assert _value(again, metric, measure, section) == published
    # A station worker's reach: their station's facts only (employment's have no station).
    if at_station is not None:
        mine = read_figures(store, rule, {**YEAR, "stations": [STATION]})
        assert _value(mine, metric, measure, section) == at_station
    # Rebuilt from the store, the same facts.
    with store.db.transaction() as cur:
        cur.execute("SELECT * FROM report_facts ORDER BY position, seq")
        live = cur.fetchall()
    ProjectionRunner(store, ReportFacts(rule)).rebuild(show_progress=False)
    with store.db.transaction() as cur:
        cur.execute("SELECT * FROM report_facts ORDER BY position, seq")
        assert cur.fetchall() == live and live


def test_a_visit_to_a_family_the_registry_marked_a_martyrs_counts_and_is_rebuilt_alike():
    url = fresh_database("vetlife_benefits_figures_test",
                         [CHASSIS_MIGRATIONS, service_migrations("benefits")])
    db = Database(url)
    try:
        contract = importlib.import_module("contracts.benefits")
        store = PostgresEventStore(db, "benefits_events", upcast=contract.upcast)
        rule = importlib.import_module("services.benefits.report").facts
        visit = {"campaign_id": "c", "station": STATION, "township": "多湖街道", "visitors": "x",
                 "goods": None, "goods_value_fen": 0, "hardship_found": False, "notes": None,
                 "recorded_by": "w", "amount_fen": 10000}
        martyr, other = _ids()
        w0, w1, w2 = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        _append(store, [
            (w0, "VisitRecorded", {**visit, "visit_id": w0, "veteran_id": martyr,
                                   "visited_on": "2020-02-01"}),   # before benefits knew
            (martyr, "SurvivorTieNoted", {"family_id": martyr, "veteran_id": martyr,
                                          "tie": "martyr", "noted_on": "2020-03-01",
                                          "source_event_id": "r"}),
            (other, "SurvivorTieNoted", {"family_id": other, "veteran_id": other,
                                         "tie": "died_of_illness", "noted_on": "2020-03-01",
                                         "source_event_id": "r"}),
            (w1, "VisitRecorded", {**visit, "visit_id": w1, "veteran_id": martyr,
                                   "visited_on": "2020-04-01"}),
            (w2, "VisitRecorded", {**visit, "visit_id": w2, "veteran_id": other,
                                   "visited_on": "2020-04-01"})])
        query = {**YEAR, "subject_metrics": ["martyr_family_visits", "visits"]}
        reply = read_figures(store, rule, query)
        assert reply["period"]["martyr_family_visits"] == {"sum": 1, "subjects": 1}
        assert reply["period"]["visits"]["subjects"] == 2
        ProjectionRunner(store, ReportFacts(rule)).rebuild(show_progress=False)
        assert read_figures(store, rule, query)["period"] == reply["period"]
    finally:
        db.close()
