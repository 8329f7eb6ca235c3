"""The figures bench's year of events: exactly as many as it claims, accepted by the contracts, counted."""
from __future__ import annotations

import importlib
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from bench import figures
from chassis.envelope import RecordedEvent
from chassis.report_facts import MemoryHomes

TODAY = date(2026, 11, 27)
AT = datetime(2026, 11, 27, 8, tzinfo=UTC)


@pytest.fixture(scope="module")
def year():
    return figures.year_of_events(TODAY.year, TODAY)


def test_the_year_holds_exactly_the_events_the_row_names(year):
    assert sum(len(events) for part in year.values() for _, events, _ in part) == figures.EVENTS
    streams = [stream for part in year.values() for stream, _, _ in part]
    assert len(streams) == len(set(streams))


def test_every_payload_is_one_its_services_contract_accepts(year):
    figures.check_against_contracts(year)


def test_a_payload_the_contract_refuses_stops_the_run(year):
    broken = {"benefits": [("v", [("VisitRecorded", {"visit_id": "v"})], ())]}
    with pytest.raises(ValueError, match="VisitRecorded"):
        figures.check_against_contracts(broken)


def test_each_service_counts_the_seeded_events_within_the_year_and_at_several_stations(year):
    for service, part in year.items():
        report = importlib.import_module(f"services.{service}.report")
        rule = report.facts
        homes, counted, stations = MemoryHomes(), Counter(), set()
        position = 0
        for stream, events, _ in part:
            for version, (event_type, data) in enumerate(events, start=1):
                position += 1
                event = RecordedEvent(
                    event_id=f"e{position}", event_type=event_type, schema_version=1,
                    stream_id=stream, stream_version=version, position=position,
                    occurred_at=AT, recorded_at=AT,
                    correlation_id="c", causation_id=None, actor="bench", data=data)
                for fact in rule(event, homes):
                    # A stock (party members) counts from whenever it began; a flow in the year.
                    first = date.min if fact.metric in report.STOCKS else date(TODAY.year, 1, 1)
                    assert first <= fact.effective_on <= TODAY, fact
                    counted[fact.metric] += fact.delta
                    stations.add(fact.station or fact.township)
        assert counted and all(total > 0 for total in counted.values()), (service, counted)
        assert len(stations) >= 8, (service, stations)
