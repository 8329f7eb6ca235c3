"""The registry's stored payloads: to_new_event reads a flat event field by field, with asdict's result."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import pytest

from contracts import instance
from contracts import registry as contract
from tests.unit.test_event_privacy import GENERATORS, SEED, People


@pytest.mark.parametrize("event_type", sorted(GENERATORS))
def test_every_event_is_stored_as_its_schema_dumps_asdict(event_type):
    people = People(SEED + 7)
    for _ in range(50):
        event = GENERATORS[event_type](people, people.person())
        schema = instance(contract.EVENT_SCHEMAS[event.event_type])
        expected = schema.dump(contract._plain(asdict(event)))
        expected = {k: v for k, v in expected.items()
                    if not (k == "effective_on" and v is None)}
        assert contract.to_new_event(event).data == expected


@dataclass(frozen=True)
class _Nested:
    items: tuple
    inner: dict


def test_a_field_holding_more_than_a_plain_value_is_copied_as_asdict_copies_it():
    inner = {"a": [1, 2]}
    values = contract._values(_Nested(items=({"x": 1},), inner=inner))
    assert values == asdict(_Nested(items=({"x": 1},), inner=inner))
    assert values["inner"] is not inner and values["inner"]["a"] is not inner["a"]
