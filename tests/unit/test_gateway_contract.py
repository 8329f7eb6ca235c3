"""The gateway's routes and its OpenAPI document describe the same API, one for one."""
import re

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from chassis.wire import ServiceError
from gateway.errors import STATUS, to_response
from gateway.openapi import openapi_document
from gateway.service import GatewayService


def routes():
    found = set()
    for attribute in vars(GatewayService).values():
        for entrypoint in getattr(attribute, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if not hasattr(entrypoint, "url"):
                continue  # not an HTTP route: the audit log's anchoring timer
            if attribute.__name__.startswith("portal_"):
                continue  # the portal's HTML pages (docs/portals.md), not the API
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", entrypoint.url)
            found.add((entrypoint.method.lower(), path))
    return found


def test_every_route_is_documented_and_every_documented_path_is_served():
    documented = {(verb, path) for path, ops in openapi_document()["paths"].items()
                  for verb in ops}
    assert routes() == documented


def test_the_document_is_openapi_3_with_every_schema_resolved():
    document = openapi_document()
    assert document["openapi"] == "3.0.3"
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', str(document).replace("'", '"')))
    assert refs and refs <= set(document["components"]["schemas"])


def test_every_service_error_code_has_one_status_and_a_json_body():
    for code, status in STATUS.items():
        response = to_response(ServiceError(code, "message", {"field": ["problem"]}))
        assert response.status_code == status
        assert response.json == {"error": code, "message": "message",
                                 "fields": {"field": ["problem"]}}


def test_an_unexpected_error_is_a_500_without_a_traceback():
    response = to_response(RuntimeError("secret internals 330703196805170011"))
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_broker_outage_is_a_503_with_a_clear_message_not_a_500():
    import kombu.exceptions

    for outage in (kombu.exceptions.OperationalError("connection refused"),
                   ConnectionResetError("reset by peer"), TimeoutError("timed out")):
        response = to_response(outage)
        assert response.status_code == 503, outage
        assert response.json["error"] == "unavailable"
        assert "broker" in response.json["message"]
        assert response.headers["Retry-After"]


def test_every_file_command_has_its_decision_its_route_its_rpc_and_its_rule():
    """One line in contracts.registry.FILE_COMMANDS is all a new file command needs on the wire."""
    from nameko.rpc import Rpc

    from contracts import access
    from contracts import registry as contract
    from services.registry.service import DECISIONS, RegistryService

    names = {command.name for command in contract.FILE_COMMANDS}
    assert set(DECISIONS) == names
    rpcs = {name for name, attribute in vars(RegistryService).items()
            if any(isinstance(e, Rpc) for e in getattr(attribute, ENTRYPOINT_EXTENSIONS_ATTR, ()))}
    assert names <= rpcs
    served = {(verb, path) for verb, path in routes()}
    for command in contract.FILE_COMMANDS:
        assert (command.method.lower(), f"/api/v1/veterans/{{veteran_id}}{command.path}") in served
        assert command.name in access.OPERATIONS  # else refused to everyone (and the matrix fails)
