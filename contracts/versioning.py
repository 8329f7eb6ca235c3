"""Schema versions of events: upcasting old payloads to the current version when they are read."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chassis.envelope import RecordedEvent

Payload = dict[str, Any]


class Upcasters:
    """Per event type, the step from version n to n+1; an event read is stepped to `current`.

    A breaking change adds a version and a step here; stored events are never edited.
    """

    def __init__(self, current: dict[str, int]):
        self.current = current
        self.steps: dict[tuple[str, int], Callable[[Payload], Payload]] = {}

    def step(self, event_type: str, from_version: int):
        def register(fn: Callable[[Payload], Payload]):
            self.steps[(event_type, from_version)] = fn
            return fn
        return register

    def __call__(self, event: RecordedEvent) -> RecordedEvent:
        target = self.current.get(event.event_type, event.schema_version)
        data, version = event.data, event.schema_version
        while version < target:
            data = self.steps[(event.event_type, version)](dict(data))
            version += 1
        if version == event.schema_version:
            return event
        return replace(event, data=data, schema_version=version)
