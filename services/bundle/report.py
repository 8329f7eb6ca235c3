"""The bundle's facts for the bureau's figures: discharged soldiers received through the one-stop bundle."""
from __future__ import annotations

from chassis.envelope import RecordedEvent
from chassis.report_facts import Fact, Homes, day

STOCKS: frozenset[str] = frozenset()


def facts(event: RecordedEvent, homes: Homes) -> list[Fact]:
    if event.event_type != "BundleSubmitted":
        return []
    data = event.data
    return [Fact("bundles_received", day(data["submitted_on"]), 1, subject=data["veteran_id"],
                 station=data.get("station"), township=data.get("township"))]
