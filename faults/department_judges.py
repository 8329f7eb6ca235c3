"""The department drills' invariants from the stores' rows: nothing done twice, nothing acknowledged lost."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import psycopg2

from faults.portal import Attempt


@dataclass(frozen=True)
class Stored:
    """One stored event, as the drills read it back from a service's store."""

    position: int
    stream_id: str
    event_type: str
    data: dict
    recorded_at: float = 0.0

    @property
    def kind(self) -> str:
        """The type without its routing suffix (`MatterRequested.public_security`)."""
        return self.event_type.split(".", 1)[0]


@dataclass
class Step:
    """One command a drill's client sent, retried with one Idempotency-Key until answered.

    `expect` is the event type the step records in `stream_id` (known before sending, or taken
    from the answer for a step that opens a case); `fen` the money it moves, if any.
    """

    key: str
    name: str
    expect: str
    stream_id: str | None = None
    fen: int = 0
    attempts: list[Attempt] = field(default_factory=list)
    outcome: str = "pending"  # acked | refused | gave_up
    reply: dict = field(default_factory=dict)


def read_events(url: str, types: tuple[str, ...] = ()) -> list[Stored]:
    """Every stored event of the store at `url` (of `types` only, when given), in order."""
    conn = psycopg2.connect(url, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            # A type matches with any routing suffix: MatterRequested.<department>.
            where = "WHERE split_part(event_type, '.', 1) = ANY(%s)" if types else ""
            cur.execute("SELECT position, stream_id, event_type, data, "
                        f"extract(epoch FROM recorded_at) FROM stored_events {where} "
                        "ORDER BY position", (list(types),) if types else None)
            return [Stored(p, s, t, d, float(r)) for p, s, t, d, r in cur]
    finally:
        conn.close()


def doubled(events: list[Stored], streams: set[str], once: tuple[str, ...]) -> dict:
    """(stream, type) -> count, for each step of `once` recorded more than once in a stream."""
    counts = Counter((e.stream_id, e.event_type) for e in events
                     if e.stream_id in streams and e.event_type in once)
    return {k: n for k, n in counts.items() if n > 1}


def doubled_by(events: list[Stored], event_type: str, field_name: str) -> dict:
    """value -> count, for a `field_name` that more than one `event_type` event carries (one
    report-in per veteran: two cases for one soldier are a step done twice)."""
    counts = Counter(e.data.get(field_name) for e in events if e.event_type == event_type)
    return {k: n for k, n in counts.items() if n > 1}


def lost_steps(steps: list[Step], events: list[Stored]) -> list[Step]:
    """Acknowledged steps whose event is not in their stream: a 2xx the store does not back."""
    recorded = {(e.stream_id, e.event_type) for e in events}
    return [s for s in steps if s.outcome == "acked"
            and (s.stream_id is None or (s.stream_id, s.expect) not in recorded)]


def money_matches(steps: list[Step], events: list[Stored], streams: set[str],
                  paid_type: str, amount_field: str) -> str | None:
    """The fen the store says were paid in `streams` equal the fen of the acknowledged payments."""
    stored = sum(int(e.data.get(amount_field) or 0) for e in events
                 if e.event_type == paid_type and e.stream_id in streams)
    acked = sum(s.fen for s in steps if s.outcome == "acked" and s.expect == paid_type)
    if stored != acked:
        return (f"{stored} fen paid in the store, {acked} fen in acknowledged payments "
                f"(difference {stored - acked} fen)")
    return None


def fired_once(events: list[Stored], streams: set[str], fire_type: str) -> dict[str, int]:
    """stream -> how many `fire_type` events it holds, for each stream where that is not 1."""
    counts = Counter(e.stream_id for e in events if e.event_type == fire_type)
    return {s: counts.get(s, 0) for s in streams if counts.get(s, 0) != 1}


def matters_requested_once(events: list[Stored], outbox: list[tuple[str, str]],
                           bundles: set[str]) -> list[str]:
    """Each matter of each bundle requested once in effect: one `MatterRequested` per bundle,
    matter and attempt in the store, and one outbox command per bundle and step."""
    problems = []
    requested = Counter((e.stream_id, e.data.get("matter"), e.data.get("attempt"))
                        for e in events if e.kind == "MatterRequested"
                        and e.stream_id in bundles)
    for (bundle, matter, attempt), n in sorted(requested.items()):
        if n > 1:
            problems.append(f"bundle {bundle} matter {matter} attempt {attempt} requested {n} "
                            "times")
    commands = Counter(row for row in outbox if row[0] in bundles)
    for (bundle, step), n in sorted(commands.items()):
        if n > 1:
            problems.append(f"bundle {bundle}: {n} outbox commands for {step}")
    return problems


def completed_once(events: list[Stored], bundles: set[str]) -> dict[str, int]:
    """bundle -> its number of `BundleCompleted` events, where that is not exactly 1."""
    return fired_once(events, bundles, "BundleCompleted")
