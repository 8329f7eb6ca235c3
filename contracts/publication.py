"""Publishing events without identity: per event type an allow-list, and payloads built from it alone."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema

from chassis.envelope import RecordedEvent

Payload = dict[str, Any]
# A public fact computed from the stored payload (a year from a date, a boolean from a value),
# for when the stored field itself must stay private.
Derivation = Callable[[Payload], Any]


class NotPublishable(LookupError):
    """An event type with no public schema: a programming error, never a reason to publish it as
    stored. The relay stops on it (it is not a retryable error) rather than leak."""


class Publication:
    """A service's public forms: what its relay and its catch-up RPC put in `data`.

    `schemas` maps each event type to its public marshmallow schema. The fields that schema
    declares are the allow-list: nothing else in the stored payload is published, so a field
    added to an event stays private until someone adds it to the public schema in review. The
    same schemas are what the AsyncAPI catalogue documents (contracts/catalogue.py).

    `derived` maps an event type to {public field: function of the stored payload} for facts
    computed from private fields; every other public field is copied by its name. `stored`, when
    given, is the event type -> stored schema table, so a copied field the stored event does not
    have is refused at import instead of being published as null forever.

    `versions` is each event type's current schema version, the `v<n>` its CloudEvent's
    `dataschema` names (chassis/envelope.py): the public form is versioned with its event, so an
    incompatible change to a public form after a department subscribed needs a new version of the
    event (and an upcaster); adding a field is compatible.

    Calling it with a recorded event returns the public payload; an event type missing from
    `schemas` raises NotPublishable.
    """

    def __init__(self, service: str, schemas: Mapping[str, type[Schema]],
                 derived: Mapping[str, Mapping[str, Derivation]] | None = None,
                 stored: Mapping[str, type[Schema]] | None = None,
                 versions: Mapping[str, int] | None = None):
        self.service = service
        self.schemas = dict(schemas)
        self.versions = {event_type: (versions or {}).get(event_type, 1) for event_type in schemas}
        derived = derived or {}
        problems = [f"{event_type} has derivations but no public schema"
                    for event_type in derived if event_type not in schemas]
        # Per event type, its public fields in order, each with its derivation or None (copied).
        self._plans: dict[str, tuple[tuple[str, Derivation | None], ...]] = {}
        for event_type, schema in schemas.items():
            public = tuple(schema._declared_fields)
            derivations = derived.get(event_type, {})
            problems += [f"{event_type} derives {name!r}, which its public schema does not declare"
                         for name in derivations if name not in public]
            if stored is not None and event_type in stored:
                problems += [f"{event_type} publishes {name!r}, which it neither stores nor "
                             "derives" for name in public
                             if name not in derivations and name not in stored[event_type]
                             ._declared_fields]
            self._plans[event_type] = tuple((name, derivations.get(name)) for name in public)
        if problems:
            raise ValueError(f"{service} publication: " + "; ".join(problems))

    def __call__(self, event: RecordedEvent) -> Payload:
        plan = self._plans.get(event.event_type)
        if plan is None:
            raise NotPublishable(
                f"{self.service} has no public schema for {event.event_type}: declare one (its "
                f"allow-list) before the event can be published; stored payloads never go out")
        stored = event.data
        # The relay calls this for every event it sends: a plain selection, no load or dump.
        return {name: stored.get(name) if derive is None else derive(stored)
                for name, derive in plan}

    def unpublished(self, event_types) -> set[str]:
        """The event types among `event_types` that have no public schema."""
        return set(event_types) - set(self.schemas)


def year_of(field: str) -> Derivation:
    """The year of a stored ISO date (YYYY-MM-DD), or None when the date is: coarse enough to
    publish where the whole date (a birth date, a day of service) would help identify someone."""

    def year(data: Payload) -> int | None:
        value = data.get(field)
        return int(value[:4]) if value else None

    return year


def present(field: str) -> Derivation:
    """Whether the stored field holds a value, without the value."""

    def is_present(data: Payload) -> bool:
        return data.get(field) not in (None, "")

    return is_present
