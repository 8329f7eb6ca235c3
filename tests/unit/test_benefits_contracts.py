"""The benefits contracts hold together: stored schemas match the domain events; routes have rules, examples."""
import dataclasses

from contracts import access, benefits
from services.benefits.domain.events import EVENT_TYPES


def test_every_domain_event_has_a_stored_schema_field_for_field():
    assert set(EVENT_TYPES) == set(benefits.EVENT_SCHEMAS)
    for event_type, cls in EVENT_TYPES.items():
        fields = {f.name for f in dataclasses.fields(cls)}
        assert fields == set(benefits.EVENT_SCHEMAS[event_type]._declared_fields), event_type


def test_every_event_type_has_a_public_form():
    assert benefits.public_form.unpublished(EVENT_TYPES) == set()


def test_every_route_has_an_access_rule_and_every_request_an_example():
    for route in benefits.ROUTES:
        assert route.name in access.OPERATIONS, route.name
        assert route.service == "benefits" and route.path.startswith("/benefits/")
        if route.request is not None:
            example = benefits.EXAMPLES[route.request.__name__]
            assert route.request().validate(example) == {}, route.name


def test_money_on_the_wire_is_integer_fen():
    for route in benefits.ROUTES:
        for schema in (route.request, route.reply):
            for name, field in (schema._declared_fields.items() if schema else ()):
                if name.endswith("_fen"):
                    assert type(field).__name__ == "Integer", (route.name, name)
