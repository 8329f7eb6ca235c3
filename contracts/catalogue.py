"""The event catalogue: every published event and its public payload, as an AsyncAPI 2.6 document."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from chassis.envelope import CLOUDEVENTS_CONTENT_TYPE
from contracts import benefits, bundle, disputes, employment, placement, registry
from contracts.publication import Publication

DOCUMENT = Path(__file__).with_name("asyncapi.json")

# Per service (its exchange is `<service>.events`), what its relay publishes: the public schema
# of every event type, the very allow-lists `public_form` builds payloads from, never the stored
# schemas. A new service adds its Publication here.
PUBLISHED: dict[str, Publication] = {
    "registry": registry.public_form,
    "employment": employment.public_form,
    "placement": placement.public_form,
    "disputes": disputes.public_form,
    "benefits": benefits.public_form,
    "bundle": bundle.public_form,
}

ENVELOPE = {
    "type": "object",
    "description": "CloudEvents 1.0, structured JSON mode; our attributes are extensions.",
    "required": ["specversion", "id", "source", "type", "subject", "time", "data", "position"],
    "properties": {
        "specversion": {"type": "string", "const": "1.0"},
        "id": {"type": "string", "format": "uuid", "description": "the event id: deduplicate on it"},
        "source": {"type": "string", "example": "/vetlife/registry"},
        "type": {"type": "string", "description": "the event type, also the routing key"},
        "subject": {"type": "string", "description": "the stream: the veteran id"},
        "time": {"type": "string", "format": "date-time", "description": "occurred at"},
        "dataschema": {"type": "string", "example": "urn:vetlife:registry:VeteranRegistered:v1",
                       "description": "names the payload's schema: <service>.<type>.v<n> below"},
        "datacontenttype": {"type": "string", "const": "application/json"},
        "position": {"type": "integer", "description": "the producer's gap-free global position"},
        "streamversion": {"type": "integer"},
        "schemaversion": {"type": "integer"},
        "recordedat": {"type": "string", "format": "date-time"},
        "correlationid": {"type": "string"},
        "causationid": {"type": "string"},
        "actor": {"type": "string",
                  "description": "the role that acted (station_worker, veteran, system...), "
                                 "never who"},
    },
}


def schema_key(service: str, event_type: str) -> str:
    """The component name of a public payload schema, with the version its dataschema names."""
    return f"{service}.{event_type}.v{PUBLISHED[service].versions[event_type]}"


def payload_schemas() -> dict:
    """JSON schemas of every public payload, converted from the marshmallow allow-lists."""
    spec = APISpec(title="payloads", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()])
    for service, publication in PUBLISHED.items():
        for event_type, schema in publication.schemas.items():
            spec.components.schema(schema_key(service, event_type), schema=schema)
    return spec.to_dict()["components"]["schemas"]


def document() -> dict:
    schemas = payload_schemas()
    channels, messages = {}, {}
    for service, publication in PUBLISHED.items():
        for event_type in publication.schemas:
            key = f"{service}.{event_type}"
            version = publication.versions[event_type]
            messages[key] = {
                "name": event_type,
                "contentType": CLOUDEVENTS_CONTENT_TYPE,
                "payload": {**ENVELOPE, "properties": {
                    **ENVELOPE["properties"],
                    "dataschema": {"type": "string", "const": f"urn:vetlife:{service}:"
                                                              f"{event_type}:v{version}"},
                    "data": {"$ref": f"#/components/schemas/{schema_key(service, event_type)}"}}},
            }
            channels[f"{service}.events/{event_type}"] = {
                "description": f"{event_type} events of the {service} service",
                "subscribe": {"message": {"$ref": f"#/components/messages/{key}"}},
                "bindings": {"amqp": {
                    "is": "routingKey",
                    "exchange": {"name": f"{service}.events", "type": "topic", "durable": True,
                                 "autoDelete": False, "vhost": "/"},
                    "bindingVersion": "0.2.0"}},
            }
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "vetlife events", "version": "1.0.0",
                 "description": "What departments can subscribe to: bind a queue to the "
                                "exchange with the event type as routing key (README). "
                                "Payloads carry pseudonymous ids and non-identifying facts "
                                "only, never identity; a field not listed here is not "
                                "published. Entitled departments read identity through the "
                                "gateway, audited."},
        "defaultContentType": CLOUDEVENTS_CONTENT_TYPE,
        "channels": channels,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write (or check) contracts/asyncapi.json.")
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text() != render():
            print("contracts/asyncapi.json is out of date: run vetlife-catalogue", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(render())
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
