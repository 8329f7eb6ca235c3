"""The AsyncAPI event catalogue departments read is complete, lists only public forms, never stale."""
import json
from datetime import UTC, datetime

import pytest

from chassis.envelope import RecordedEvent
from contracts import catalogue, registry
from contracts.publication import NotPublishable


def test_the_committed_catalogue_is_what_the_contracts_generate():
    assert catalogue.DOCUMENT.read_text() == catalogue.render(), "run vetlife-catalogue"


def test_every_stored_event_type_has_an_allow_list():
    # An event type without one could not be published at all: the relay would stop on it.
    assert registry.public_form.unpublished(registry.EVENT_SCHEMAS) == set()
    assert set(registry.PUBLIC_SCHEMAS) == set(registry.EVENT_SCHEMAS)


def test_the_public_form_of_an_unknown_event_type_raises():
    now = datetime.now(UTC)
    event = RecordedEvent("e1", "NotDeclared", 1, "v1", 1, 1, now, now, "c", None, "staff",
                          {"veteran_id": "v1", "name": "陈志强"})
    with pytest.raises(NotPublishable):
        registry.public_form(event)


def test_every_registry_event_has_a_channel_with_its_public_payload_only():
    document = json.loads(catalogue.render())
    # Other services' channels and schemas are theirs: only the registry's are looked at here.
    channels = {name.split("/")[1] for name in document["channels"]
                if name.startswith("registry.events/")}
    assert channels == set(registry.EVENT_SCHEMAS)
    schemas = {key: schema for key, schema in document["components"]["schemas"].items()
               if key.startswith("registry.")}
    assert set(schemas) == {f"registry.{t}.v1" for t in registry.EVENT_SCHEMAS}
    for event_type, schema in registry.PUBLIC_SCHEMAS.items():
        assert set(schemas[f"registry.{event_type}.v1"]["properties"]) == set(
            schema._declared_fields)
    everything = {name for s in schemas.values() for name in s["properties"]}
    assert not {"name", "id_number", "id_number_masked", "birth_date", "phone", "address",
                "fallen_name", "grid_worker"} & everything
    binding = document["channels"]["registry.events/VeteranRegistered"]["bindings"]["amqp"]
    assert binding["exchange"]["name"] == "registry.events"


def test_the_catalogue_names_the_dataschema_the_relay_sends():
    document = json.loads(catalogue.render())
    now = datetime.now(UTC)
    for event_type in registry.EVENT_SCHEMAS:
        message = document["components"]["messages"][f"registry.{event_type}"]
        event = RecordedEvent("e1", event_type, registry.upcast.current[event_type], "v1", 1, 1,
                              now, now, "c", None, "staff", {})
        sent = event.to_cloudevent(registry.SOURCE)["dataschema"]
        assert message["payload"]["properties"]["dataschema"]["const"] == sent
        version = sent.rsplit(":v", 1)[1]
        assert message["payload"]["properties"]["data"]["$ref"].endswith(
            f"registry.{event_type}.v{version}")
