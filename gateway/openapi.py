"""The gateway's OpenAPI 3 document, generated from the contracts' marshmallow schemas by apispec."""
from __future__ import annotations

import functools

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from contracts import registry as contract


class ErrorReply(Schema):
    """Every error the gateway returns."""

    error = fields.String(required=True, metadata={"description": "a stable error code"})
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", required=True,
                          keys=fields.String(), values=fields.List(fields.String()),
                          metadata={"description": "field name -> problems"})


SCHEMAS = {
    "RegisterVeteranRequest": contract.RegisterVeteranRequest,
    "AmendContactRequest": contract.AmendContactRequest,
    "RecordDischargeRequest": contract.RecordDischargeRequest,
    "RecordPartyMembershipRequest": contract.RecordPartyMembershipRequest,
    "AssignGridWorkerRequest": contract.AssignGridWorkerRequest,
    "AddHonourRequest": contract.AddHonourRequest,
    "MarkSurvivorTieRequest": contract.MarkSurvivorTieRequest,
    "CommandAccepted": contract.CommandAccepted,
    "VeteranFile": contract.VeteranFileReply,
    "VeteranList": contract.VeteranListReply,
    "Error": ErrorReply,
}

VETERAN_ID = {"name": "veteran_id", "in": "path", "required": True,
              "schema": {"type": "string", "format": "uuid"}}
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False,
                   "description": "retrying with the same key returns the first result",
                   "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{8,128}$"}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "description": "the file version the change was decided on; stale: 409",
            "schema": {"type": "string", "pattern": '^"?[0-9]+"?$'}}


def _json(schema: str) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    text = {400: "bad input", 404: "no such file", 409: "conflict", 422: "key reused",
            502: "a service failed", 503: "a service is unavailable"}
    return {str(s): {"description": text[s], **_json("Error")} for s in statuses}


def _file_command(summary: str, request: str, ok_status: str = "200") -> dict:
    return {
        "summary": summary,
        "parameters": [VETERAN_ID, IDEMPOTENCY_KEY, IF_MATCH],
        "requestBody": {"required": True, **_json(request)},
        "responses": {ok_status: {"description": "done", **_json("CommandAccepted")},
                      **_errors(400, 404, 409, 422, 502, 503)},
    }


# Path -> operations; tests check this matches the gateway's routes one for one.
PATHS = {
    "/health": {"get": {"summary": "liveness", "responses": {"200": {"description": "up"}}}},
    "/api/v1/openapi.json": {"get": {"summary": "this document",
                                     "responses": {"200": {"description": "OpenAPI 3"}}}},
    "/api/v1/veterans": {
        "post": {
            "summary": "register a veteran (一人一档)",
            "parameters": [IDEMPOTENCY_KEY],
            "requestBody": {"required": True, **_json("RegisterVeteranRequest")},
            "responses": {"201": {"description": "registered", **_json("CommandAccepted")},
                          **_errors(400, 409, 422, 502, 503)},
        },
        "get": {
            "summary": "list veteran files (masked ID numbers)",
            "parameters": [
                {"name": name, "in": "query", "required": False, "schema": schema}
                for name, schema in (
                    ("service_station", {"type": "string", "minLength": 1, "maxLength": 100}),
                    ("discharge_category", {"type": "string",
                                            "enum": list(contract.DISCHARGE_CATEGORIES)}),
                    ("life_stage", {"type": "string", "enum": list(contract.LIFE_STAGES)}),
                    ("page", {"type": "integer", "minimum": 1, "maximum": 100000}),
                    ("page_size", {"type": "integer", "minimum": 1, "maximum": 200}),
                )
            ],
            "responses": {"200": {"description": "a page", **_json("VeteranList")},
                          **_errors(400, 502, 503)},
        },
    },
    "/api/v1/veterans/{veteran_id}": {
        "get": {"summary": "one veteran's file", "parameters": [VETERAN_ID],
                "responses": {"200": {"description": "the file", **_json("VeteranFile")},
                              **_errors(404, 502, 503)}},
    },
    "/api/v1/veterans/{veteran_id}/contact": {
        "patch": _file_command("amend phone and/or address", "AmendContactRequest")},
    "/api/v1/veterans/{veteran_id}/discharge": {
        "post": _file_command("record discharge", "RecordDischargeRequest")},
    "/api/v1/veterans/{veteran_id}/party-membership": {
        "post": _file_command("record party membership", "RecordPartyMembershipRequest")},
    "/api/v1/veterans/{veteran_id}/grid-worker": {
        "put": _file_command("assign a grid worker", "AssignGridWorkerRequest")},
    "/api/v1/veterans/{veteran_id}/honours": {
        "post": _file_command("add an honour", "AddHonourRequest")},
    "/api/v1/veterans/{veteran_id}/survivor-ties": {
        "post": _file_command("mark a survivor family tie (三属)", "MarkSurvivorTieRequest")},
}


@functools.cache
def openapi_document() -> dict:
    spec = APISpec(
        title="vetlife gateway", version="1.0.0", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "The district veterans' affairs bureau's one-stop API."},
    )
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    for path, operations in PATHS.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
