"""The one table that turns every error into an HTTP status and a JSON body {error, message, fields}."""
from __future__ import annotations

import json

import structlog
from marshmallow import ValidationError
from nameko.exceptions import RemoteError, UnknownService
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from chassis.rpc import BROKER_ERRORS
from chassis.wire import ServiceError

log = structlog.get_logger("vetlife.gateway")

# Service error code -> HTTP status. A code missing here is a bug in this table, served as 500.
STATUS = {
    "invalid_input": 400,
    "invalid_id_number": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "already_registered": 409,
    "conflict": 409,
    "idempotency_key_reused": 422,
    # The database is up but refused or timed out the statement: not a 503 (that says the
    # database cannot be reached), a 504 the client may retry later.
    "database_refused": 504,
    "unavailable": 503,
}


class GatewayError(Exception):
    """Raised when the gateway itself refuses a request (bad JSON, bad header, unknown id)."""

    def __init__(self, code: str, message: str, fields: dict | None = None, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.fields, self.status = code, message, fields or {}, status


class Forbidden(GatewayError):
    """Raised when the caller is known but their roles do not allow the operation."""

    def __init__(self, message: str = "your role does not allow this operation"):
        super().__init__("forbidden", message, status=403)


class ServiceUnavailable(GatewayError):
    """Raised when a service does not answer in time or is not running."""

    def __init__(self, service: str):
        super().__init__("unavailable",
                         f"the {service} service is not answering; try again shortly",
                         status=503)


class BrokerUnavailable(GatewayError):
    """Raised when the request cannot even be sent: RabbitMQ is down or restarting."""

    def __init__(self):
        super().__init__("unavailable", "the message broker cannot be reached; try again shortly",
                         status=503)


def error_response(status: int, code: str, message: str, fields: dict | None = None) -> Response:
    body = {"error": code, "message": message, "fields": fields or {}}
    headers = {"Retry-After": "5"} if status == 503 else {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="vetlife"'
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json", headers=headers)


def to_response(exc: Exception) -> Response:
    """The table's lookup: every exception becomes exactly one response, never a traceback."""
    # Imported here: gateway.tokens needs the contracts, which must not need the gateway.
    from gateway.tokens import Unauthenticated

    if isinstance(exc, GatewayError):
        return error_response(exc.status, exc.code, exc.message, exc.fields)
    if isinstance(exc, Unauthenticated):
        return error_response(401, "unauthenticated", str(exc))
    if isinstance(exc, RequestEntityTooLarge):
        return error_response(413, "payload_too_large", "the request body is too large")
    if isinstance(exc, HTTPException):
        return error_response(exc.code or 400, "invalid_request", exc.description or "")
    if isinstance(exc, ServiceError):
        status = STATUS.get(exc.code, 500)
        return error_response(status, exc.code, exc.message, exc.fields)
    if isinstance(exc, ValidationError):
        return error_response(400, "invalid_input", "the request is not valid",
                              exc.messages_dict)
    if isinstance(exc, BROKER_ERRORS):
        log.warning("gateway.broker_unavailable", error=type(exc).__name__)
        return to_response(BrokerUnavailable())
    if isinstance(exc, UnknownService):
        return error_response(503, "unavailable", "a service needed for this request is not "
                              "running; try again shortly")
    if isinstance(exc, RemoteError):
        log.error("gateway.remote_error", remote_type=exc.exc_type)
        return error_response(502, "upstream_error", "a service failed to answer this request")
    log.exception("gateway.unexpected_error")
    return error_response(500, "internal_error", "the request failed; it has been logged")
