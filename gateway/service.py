"""The gateway's nameko HTTP service: validates requests, calls the services over RPC, maps errors."""
from __future__ import annotations

import functools
import json
import re
import uuid

import eventlet
from marshmallow import ValidationError
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from chassis.nameko_deps import CallContext, WorkerLog
from chassis.rpc import BROKER_ERRORS, service_proxy
from contracts import instance
from contracts import registry as contract
from gateway.errors import (
    BrokerUnavailable,
    GatewayError,
    ServiceUnavailable,
    to_response,
)
from gateway.openapi import openapi_document

RPC_TIMEOUT_SECONDS = 10
# Matched whole (fullmatch), as the document's patterns are: `re.match` with `$` would also let a
# final newline through. gateway/openapi.py states the same patterns.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,128}")
IF_MATCH = re.compile(r'"?([0-9]{1,18})"?')
VETERAN_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
API = "/api/v1"

# Each file-changing route: the RPC it calls and the contract its body must meet.
FILE_COMMANDS = {
    "amend_contact": contract.AmendContactRequest,
    "record_discharge": contract.RecordDischargeRequest,
    "record_party_membership": contract.RecordPartyMembershipRequest,
    "assign_grid_worker": contract.AssignGridWorkerRequest,
    "add_honour": contract.AddHonourRequest,
    "mark_survivor_tie": contract.MarkSurvivorTieRequest,
}


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json", headers=headers or {})


def answered(handler):
    """Every route answers JSON: its result, or the error table's response, never a traceback."""

    @functools.wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        try:
            return handler(self, request, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the table decides what each error means
            return to_response(exc)

    return wrapper


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def json_body(request: Request) -> dict:
    """The body as a JSON object, or a 400: JSON as RFC 8259 has it, UTF-8 and Unicode text."""
    try:
        # Strict UTF-8: get_data(as_text=True) would quietly turn bad bytes into U+FFFD.
        text = request.get_data().decode("utf-8")
        # json.loads also takes NaN and Infinity, which are not JSON.
        body = json.loads(text or "null", parse_constant=_not_json)
        # "\ud800" parses to a lone surrogate, which is not text: PostgreSQL cannot store it.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise GatewayError("invalid_json", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise GatewayError("invalid_json", "the request body must be a JSON object")
    return body


def veteran_id_from(path_value: str) -> str:
    # Only the canonical form: uuid.UUID also takes braces, "urn:uuid:" and hyphens anywhere,
    # which would give one file many URLs.
    if not VETERAN_ID.fullmatch(path_value):
        raise GatewayError("not_found", "no veteran file with this veteran id", status=404)
    return str(uuid.UUID(path_value))


def query_from(request: Request) -> dict:
    try:
        return request.args.to_dict()
    except UnicodeDecodeError:  # werkzeug decodes the query string strictly, on first access
        raise GatewayError("invalid_input", "the query string is not valid UTF-8") from None


def command_id_from(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise GatewayError("invalid_input", "Idempotency-Key must be 8-128 characters of "
                           "letters, digits, '_', '-', '.' or ':'",
                           {"Idempotency-Key": ["invalid format"]})
    return f"gateway:{key}"


def expected_version_from(request: Request) -> int | None:
    value = request.headers.get("If-Match")
    if value is None:
        return None
    # ASCII digits only: str.isdigit() also takes '²', which int() then refuses.
    version = IF_MATCH.fullmatch(value.strip())
    if version is None:
        raise GatewayError("invalid_input", "If-Match must be a file version number",
                           {"If-Match": ["not a version number"]})
    return int(version.group(1))


def actor_from(request: Request) -> str:
    actor = request.headers.get("X-Actor", "portal")
    # Recorded with every event: PostgreSQL cannot store NUL, and controls have no place in it.
    try:
        contract.TEXT(actor)
    except ValidationError:
        raise GatewayError("invalid_input", "X-Actor must not contain control characters",
                           {"X-Actor": ["must not contain control characters"]}) from None
    return actor[:64]


class GatewayService:
    """The one front door for portals and departments."""

    name = "gateway"

    registry = service_proxy("registry")
    context = CallContext()
    log = WorkerLog()

    def _call(self, service: str, method: str, *args, **kwargs):
        """Call a service and wait at most RPC_TIMEOUT_SECONDS: a slow or absent service is a
        503 the client can retry (commands are idempotent), never a hung connection."""
        proxy = getattr(self, service)
        try:
            # Sending is inside the timeout too: with RabbitMQ down, kombu retries the connection
            # for about 20 s before it gives up, longer than a client waits.
            with eventlet.Timeout(RPC_TIMEOUT_SECONDS):
                return getattr(proxy, method).call_async(*args, **kwargs).result()
        except eventlet.Timeout:
            raise ServiceUnavailable(service) from None
        except BROKER_ERRORS:
            raise BrokerUnavailable() from None

    def _actor(self, request: Request) -> str:
        return actor_from(request)

    @http("GET", "/health")
    def health(self, request):
        return json_response({"status": "ok"})

    @http("GET", f"{API}/openapi.json")
    @answered
    def openapi(self, request):
        return json_response(openapi_document())

    @http("POST", f"{API}/veterans")
    @answered
    def register_veteran(self, request):
        payload = json_body(request)
        instance(contract.RegisterVeteranRequest).load(payload)
        accepted = self._call("registry", "register_veteran", payload,
                              command_id=command_id_from(request), actor=self._actor(request))
        headers = {"Location": f"{API}/veterans/{accepted['veteran_id']}",
                   "ETag": f'"{accepted["version"]}"'}
        if accepted["replayed"]:
            headers["Idempotent-Replayed"] = "true"
        return json_response(accepted, 201, headers)

    @http("GET", f"{API}/veterans/<string:veteran_id>")
    @answered
    def get_veteran(self, request, veteran_id):
        reply = self._call("registry", "get_veteran", veteran_id_from(veteran_id))
        return json_response(reply, headers={"ETag": f'"{reply["version"]}"'})

    @http("GET", f"{API}/veterans")
    @answered
    def list_veterans(self, request):
        query = instance(contract.ListVeteransQuery).load(query_from(request))
        return json_response(self._call("registry", "list_veterans",
                                        instance(contract.ListVeteransQuery).dump(query)))

    def _file_command(self, request, command: str, veteran_id: str):
        payload = json_body(request)
        instance(FILE_COMMANDS[command]).load(payload)
        accepted = self._call(
            "registry", command, veteran_id_from(veteran_id), payload,
            command_id=command_id_from(request), expected_version=expected_version_from(request),
            actor=self._actor(request),
        )
        return json_response(accepted, headers={"ETag": f'"{accepted["version"]}"'})

    @http("PATCH", f"{API}/veterans/<string:veteran_id>/contact")
    @answered
    def amend_contact(self, request, veteran_id):
        return self._file_command(request, "amend_contact", veteran_id)

    @http("POST", f"{API}/veterans/<string:veteran_id>/discharge")
    @answered
    def record_discharge(self, request, veteran_id):
        return self._file_command(request, "record_discharge", veteran_id)

    @http("POST", f"{API}/veterans/<string:veteran_id>/party-membership")
    @answered
    def record_party_membership(self, request, veteran_id):
        return self._file_command(request, "record_party_membership", veteran_id)

    @http("PUT", f"{API}/veterans/<string:veteran_id>/grid-worker")
    @answered
    def assign_grid_worker(self, request, veteran_id):
        return self._file_command(request, "assign_grid_worker", veteran_id)

    @http("POST", f"{API}/veterans/<string:veteran_id>/honours")
    @answered
    def add_honour(self, request, veteran_id):
        return self._file_command(request, "add_honour", veteran_id)

    @http("POST", f"{API}/veterans/<string:veteran_id>/survivor-ties")
    @answered
    def mark_survivor_tie(self, request, veteran_id):
        return self._file_command(request, "mark_survivor_tie", veteran_id)
