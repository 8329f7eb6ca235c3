"""The AsyncAPI event catalogue departments read is complete and never stale."""
import json

from contracts import catalogue, registry


def test_the_committed_catalogue_is_what_the_contracts_generate():
    assert catalogue.DOCUMENT.read_text() == catalogue.render(), "run vetlife-catalogue"


def test_every_registry_event_has_a_channel_with_its_public_payload():
    document = json.loads(catalogue.render())
    channels = {name.split("/")[1] for name in document["channels"]}
    assert channels == set(registry.EVENT_SCHEMAS)
    published = document["components"]["schemas"]["registry.VeteranRegistered.v1"]["properties"]
    assert "id_number_masked" in published
    assert not {"id_number", "phone", "address"} & set(published)
    binding = document["channels"]["registry.events/VeteranRegistered"]["bindings"]["amqp"]
    assert binding["exchange"]["name"] == "registry.events"
