"""The bundle's read model: a row per bundle and per matter, for staff lists and the attention list.

Each row is what the bundle aggregate itself derives (domain.bundle), recomputed from the
bundle's stream when any of its events arrives, so the list never disagrees with the bundle.
"""
from __future__ import annotations

from collections.abc import Mapping

from chassis.envelope import RecordedEvent
from chassis.store import PostgresEventStore
from contracts import bundle as contract
from services.bundle.domain import events as ev
from services.bundle.domain.bundle import NOT_REQUESTED, Bundle

# Reads streams on the projection's own cursor; never appends.
_READER = PostgresEventStore(None, "bundle_events", upcast=contract.upcast)


def to_domain(event: RecordedEvent) -> ev.Event:
    """A stored event as the domain's event (dates as dates, choices as MatterChoice)."""
    data = contract.load_data(event)
    cls = ev.EVENT_CLASSES[ev.kind_of(event.event_type)]
    if cls is ev.BundleSubmitted:
        data["matters"] = tuple(ev.MatterChoice(**m) for m in data["matters"])
    return cls(**data)


def fold(bundle_id: str, recorded: list[RecordedEvent]) -> Bundle:
    return Bundle.from_events(bundle_id, ((to_domain(e), e.stream_version, e.recorded_at,
                                           e.actor) for e in recorded))


def load_in(cur, bundle_id: str) -> tuple[Bundle, list[RecordedEvent]]:
    recorded = _READER.read_stream_in(cur, bundle_id)
    return fold(bundle_id, recorded), recorded


class BundleList:
    name = "bundle_list"
    tables = ("bundle_list", "bundle_matters")

    def __init__(self, bundles: str = "bundle_list", matters: str = "bundle_matters"):
        self.bundles, self.matters = bundles, matters

    def into(self, tables: Mapping[str, str]) -> BundleList:
        return BundleList(tables[self.bundles], tables[self.matters])

    def apply(self, cur, event: RecordedEvent) -> None:
        self.apply_batch(cur, [event])

    def apply_batch(self, cur, events: list[RecordedEvent]) -> None:
        last: dict[str, int] = {}
        for event in events:
            last[event.stream_id] = event.position
        for bundle_id, position in last.items():
            bundle, _ = load_in(cur, bundle_id)
            if bundle.exists:
                self.write(cur, bundle, position)

    def write(self, cur, bundle: Bundle, position: int) -> None:
        cur.execute(
            f"INSERT INTO {self.bundles} (bundle_id, veteran_id, station, township, "
            "submitted_on, status, overdue, version, completed_on, last_position) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (bundle_id) DO UPDATE "
            "SET status = EXCLUDED.status, overdue = EXCLUDED.overdue, version = "
            "EXCLUDED.version, completed_on = EXCLUDED.completed_on, last_position = "
            "EXCLUDED.last_position",
            (bundle.bundle_id, bundle.veteran_id, bundle.station, bundle.township,
             bundle.submitted_on, bundle.status, bundle.overdue, bundle.version,
             bundle.completed_on if bundle.final else None, position))
        for m in bundle.matters.values():
            if m.status in NOT_REQUESTED:
                continue
            cur.execute(
                f"INSERT INTO {self.matters} (bundle_id, matter, department, status, attempt, "
                "overdue, due_on, attention, attention_since, refusal_reason, next_step) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (bundle_id, matter) DO UPDATE SET status = EXCLUDED.status, "
                "attempt = EXCLUDED.attempt, overdue = EXCLUDED.overdue, due_on = "
                "EXCLUDED.due_on, attention = EXCLUDED.attention, attention_since = "
                "EXCLUDED.attention_since, refusal_reason = EXCLUDED.refusal_reason, "
                "next_step = EXCLUDED.next_step",
                (bundle.bundle_id, m.key, m.department, m.shown_status, m.attempt,
                 m.is_open and m.overdue, m.due_on, m.attention, m.attention_since,
                 m.refusal_reason, m.next_step))


PROJECTIONS = {BundleList.name: BundleList()}
