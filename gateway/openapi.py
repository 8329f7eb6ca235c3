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

# Schema-level rules marshmallow states in code (@validates_schema) and apispec cannot see.
SCHEMA_RULES = {
    # "give a phone or an address to amend": at least one of them, and not null.
    "AmendContactRequest": {"anyOf": [
        {"required": [name], "properties": {name: {"type": "string"}}}
        for name in ("phone", "address")
    ]},
}

# One valid request per body, so a reader (and a fuzzer) starts from something that works. The
# ID number is made up (Wucheng, 1970-03-12, check character right), unlike any the tests use.
EXAMPLES = {
    "RegisterVeteranRequest": {
        "name": "陈志强", "id_number": "330702197003120016", "sex": "male",
        "birth_date": "1970-03-12", "phone": "13857912345", "address": "金东区多湖街道光南路1号",
        "township": "多湖街道", "service_station": "多湖街道退役军人服务站",
        "enlisted_on": "1988-12-01", "discharged_on": "1992-12-01", "branch": "陆军",
        "rank": "上士", "discharge_category": "discharged_soldier",
    },
    "AmendContactRequest": {"phone": "0579-82345678", "address": "金东区东孝街道孝顺路2号"},
    "RecordDischargeRequest": {"discharged_on": "1998-12-01",
                               "discharge_category": "transferred_nco", "rank": "四级军士长"},
    "RecordPartyMembershipRequest": {"joined_on": "1990-07-01", "party_branch": "多湖街道第三支部"},
    "AssignGridWorkerRequest": {"grid_worker": "网格员周敏"},
    "AddHonourRequest": {"honour": "三等功", "awarded_on": "1991-08-01"},
    "MarkSurvivorTieRequest": {"tie": "martyr", "fallen_name": "陈国栋", "relation": "father"},
}

VETERAN_ID = {"name": "veteran_id", "in": "path", "required": True,
              "schema": {"type": "string", "format": "uuid"}}
# The same patterns gateway/service.py matches whole.
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False,
                   "description": "retrying with the same key returns the first result",
                   "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{8,128}$"}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "description": "the file version the change was decided on (its ETag); stale: 409",
            "schema": {"type": "string", "pattern": '^"?[0-9]{1,18}"?$'}}
X_ACTOR = {"name": "X-Actor", "in": "header", "required": False,
           "description": "who acts, recorded with the events (default: portal; the first 64 "
                          "characters are kept)",
           "schema": {"type": "string", "pattern": contract.TEXT.regex.pattern}}
ETAG = {"ETag": {"description": 'the file\'s version after the request, as "<version>"',
                 "required": True, "schema": {"type": "string", "pattern": '^"[0-9]+"$'}}}
LOCATION = {"Location": {"description": "the new file", "required": True,
                         "schema": {"type": "string"}}}
REPLAYED = {"Idempotent-Replayed": {"description": "true when this answers a retried request",
                                   "required": False,
                                   "schema": {"type": "string", "enum": ["true"]}}}


def _json(schema: str) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    text = {400: "bad input", 404: "no such file", 409: "conflict", 422: "key reused",
            502: "a service failed", 503: "a service is unavailable"}
    retry_after = {"Retry-After": {"description": "seconds to wait before retrying",
                                   "required": True, "schema": {"type": "integer"}}}
    return {str(s): {"description": text[s], **_json("Error"),
                     **({"headers": retry_after} if s == 503 else {})} for s in statuses}


def _file_command(summary: str, request: str, ok_status: str = "200") -> dict:
    return {
        "summary": summary,
        "parameters": [VETERAN_ID, IDEMPOTENCY_KEY, IF_MATCH, X_ACTOR],
        "requestBody": {"required": True, **_json(request)},
        "responses": {ok_status: {"description": "done", "headers": ETAG,
                                  **_json("CommandAccepted")},
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
            "parameters": [IDEMPOTENCY_KEY, X_ACTOR],
            "requestBody": {"required": True, **_json("RegisterVeteranRequest")},
            "responses": {"201": {"description": "registered", "headers": {**LOCATION, **ETAG, **REPLAYED},
                                  **_json("CommandAccepted")},
                          **_errors(400, 409, 422, 502, 503)},
        },
        "get": {
            "summary": "list veteran files (masked ID numbers)",
            # apispec expands the contract into one query parameter per field.
            "parameters": [{"in": "query", "schema": contract.ListVeteransQuery}],
            "responses": {"200": {"description": "a page", **_json("VeteranList")},
                          **_errors(400, 502, 503)},
        },
    },
    "/api/v1/veterans/{veteran_id}": {
        "get": {"summary": "one veteran's file", "parameters": [VETERAN_ID],
                "responses": {"200": {"description": "the file", "headers": ETAG,
                                      **_json("VeteranFile")},
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
        extra = {**SCHEMA_RULES.get(name, {}),
                 **({"example": EXAMPLES[name]} if name in EXAMPLES else {})}
        spec.components.schema(name, extra, schema=schema)
    for path, operations in PATHS.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
