"""The event envelope: what every stored event carries, and its CloudEvents 1.0 wire form."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"
SPEC_VERSION = "1.0"


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Metadata:
    """Who and what caused an event: carried from the command to every event it produced."""

    correlation_id: str = field(default_factory=new_id)
    causation_id: str | None = None
    actor: str = "system"


@dataclass(frozen=True)
class NewEvent:
    """An event decided by a command, not yet in the store."""

    event_type: str
    data: dict[str, Any]
    schema_version: int = 1
    event_id: str = field(default_factory=new_id)
    occurred_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class RecordedEvent:
    """An event as the store holds it: the full envelope (docs/architecture.md, invariant 6)."""

    event_id: str
    event_type: str
    schema_version: int
    stream_id: str
    stream_version: int
    position: int
    occurred_at: datetime
    recorded_at: datetime
    correlation_id: str
    causation_id: str | None
    actor: str
    data: dict[str, Any]

    def to_cloudevent(self, source: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """The structured-mode CloudEvents 1.0 JSON object for this event.

        `data` lets the publisher send the public form of the payload (personal data removed)
        while the store keeps the full one.
        """
        return {
            "specversion": SPEC_VERSION,
            "id": self.event_id,
            "source": source,
            "type": self.event_type,
            "subject": self.stream_id,
            "time": self.occurred_at.isoformat(),
            "datacontenttype": "application/json",
            "dataschema": f"urn:{source.strip('/').replace('/', ':')}:"
            f"{self.event_type}:v{self.schema_version}",
            "schemaversion": self.schema_version,
            "streamversion": self.stream_version,
            "position": self.position,
            "recordedat": self.recorded_at.isoformat(),
            "correlationid": self.correlation_id,
            "causationid": self.causation_id or "",
            # A public form names the role that acted, not the person: who exactly stays in the
            # store and in the gateway's audit log.
            "actor": self.actor if data is None else public_actor(self.actor),
            "data": self.data if data is None else data,
        }

    @classmethod
    def from_cloudevent(cls, ce: dict[str, Any]) -> RecordedEvent:
        return cls(
            event_id=ce["id"],
            event_type=ce["type"],
            schema_version=int(ce.get("schemaversion", 1)),
            stream_id=ce["subject"],
            stream_version=int(ce["streamversion"]),
            position=int(ce["position"]),
            occurred_at=datetime.fromisoformat(ce["time"]),
            recorded_at=datetime.fromisoformat(ce["recordedat"]),
            correlation_id=ce.get("correlationid", ""),
            causation_id=ce.get("causationid") or None,
            actor=ce.get("actor", ""),
            data=ce.get("data") or {},
        )


def public_actor(actor: str) -> str:
    """`station_worker:zhou.min` -> `station_worker`: the role, never the subject."""
    return actor.split(":", 1)[0]
