"""The gateway's OpenAPI 3 document, generated from the contracts' marshmallow schemas by apispec."""
from __future__ import annotations

import copy
import functools

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from contracts import api_routes
from contracts import audit as audit_contract
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
    **{command.schema_name: command.request for command in contract.FILE_COMMANDS},
    "CommandAccepted": contract.CommandAccepted,
    "Error": ErrorReply,
    "Me": audit_contract.Me,
    "AuditPage": audit_contract.AuditPage,
    "AuditVerification": audit_contract.AuditVerification,
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
    "RecordVillageSecretaryRequest": {"village": "多湖街道驿头社区", "since": "2020-11-01",
                                      "until": None},
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
X_PURPOSE = {"name": "X-Purpose", "in": "header", "required": False,
             "description": "why you read this (free text, recorded in the audit log and shown "
                            "to the veteran); UTF-8",
             "schema": {"type": "string", "minLength": 1, "maxLength": 200,
                        "pattern": contract.TEXT.regex.pattern}}
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
    text = {400: "bad input", 401: "no valid bearer token", 403: "your role may not do this",
            404: "no such file (or not yours to see)", 409: "conflict", 413: "body too large",
            422: "key reused", 502: "a service failed", 503: "a service is unavailable",
            504: "the database refused or timed out; try again later"}
    retry_after = {"Retry-After": {"description": "seconds to wait before retrying",
                                   "required": True, "schema": {"type": "integer"}}}
    return {str(s): {"description": text[s], **_json("Error"),
                     **({"headers": retry_after} if s == 503 else {})} for s in statuses}


# Every protected operation can answer these.
_GUARDED = (401, 403, 503, 504)


def _file_command(operation_id: str, summary: str, request: str) -> dict:
    return {
        "operationId": operation_id,
        "summary": summary,
        "parameters": [VETERAN_ID, IDEMPOTENCY_KEY, IF_MATCH],
        "requestBody": {"required": True, **_json(request)},
        "responses": {"200": {"description": "done", "headers": ETAG,
                              **_json("CommandAccepted")},
                      **_errors(400, 404, 409, 413, 422, 502, *_GUARDED)},
    }


_PUBLIC = {"security": []}

# Path -> operations; tests check this matches the gateway's routes one for one, and that every
# operationId has a rule in contracts/access.py.
PATHS = {
    "/health": {"get": {"operationId": "health", "summary": "liveness", **_PUBLIC,
                        "responses": {"200": {"description": "up"}}}},
    "/api/v1/openapi.json": {"get": {"operationId": "openapi", "summary": "this document",
                                     **_PUBLIC,
                                     "responses": {"200": {"description": "OpenAPI 3"}}}},
    "/api/v1/docs": {"get": {"operationId": "docs", "summary": "this document, to read and try",
                             **_PUBLIC, "responses": {"200": {
                                 "description": "Swagger UI",
                                 "content": {"text/html": {"schema": {"type": "string"}}}}}}},
    "/api/v1/docs/{asset}": {"get": {
        "operationId": "docs_asset", "summary": "the docs page's scripts and styles", **_PUBLIC,
        "parameters": [{"name": "asset", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {"200": {"description": "a file"}, **_errors(404)}}},
    "/api/v1/me": {"get": {
        "operationId": "me", "summary": "who the token says you are, and what you may do",
        "responses": {"200": {"description": "you", **_json("Me")}, **_errors(*_GUARDED)}}},
    "/api/v1/me/access-log": {"get": {
        "operationId": "my_access_log",
        "summary": "谁查看了我的档案: who read or changed my file, newest first",
        "parameters": [{"in": "query", "schema": audit_contract.AccessLogQuery}],
        "responses": {"200": {"description": "a page", **_json("AuditPage")},
                      **_errors(400, *_GUARDED)}}},
    "/api/v1/veterans": {
        "post": {
            "operationId": "register_veteran",
            "summary": "register a veteran (一人一档)",
            "parameters": [IDEMPOTENCY_KEY],
            "requestBody": {"required": True, **_json("RegisterVeteranRequest")},
            "responses": {"201": {"description": "registered", "headers": {**LOCATION, **ETAG, **REPLAYED},
                                  **_json("CommandAccepted")},
                          **_errors(400, 409, 413, 422, 502, *_GUARDED)},
        },
        "get": {
            "operationId": "list_veterans",
            "summary": "list veteran files (masked ID numbers; the fields your role may see)",
            # apispec expands the contract into one query parameter per field.
            "parameters": [{"in": "query", "schema": contract.ListVeteransQuery}, X_PURPOSE],
            "responses": {"200": {"description": "a page", **_json("VeteranList")},
                          **_errors(400, 502, *_GUARDED)},
        },
    },
    "/api/v1/veterans/{veteran_id}": {
        "get": {"operationId": "get_veteran",
                "summary": "one veteran's file: the fields your role may see, the rest named in "
                           "`withheld`; with `as_of` as known at the end of that day, with "
                           "`effective_on` as in effect for the person that day, or both "
                           "(docs/history.md); a day before the file existed is a 404",
                "parameters": [VETERAN_ID, {"in": "query", "schema": contract.FileOnDateQuery},
                               X_PURPOSE],
                "responses": {"200": {"description": "the file", "headers": ETAG,
                                      **_json("VeteranFile")},
                              **_errors(400, 404, 502, *_GUARDED)}},
    },
    **{f"/api/v1/veterans/{{veteran_id}}{command.path}": {
        command.method.lower(): _file_command(command.name, command.summary, command.schema_name)}
       for command in contract.FILE_COMMANDS},
    "/api/v1/audit": {"get": {
        "operationId": "search_audit", "summary": "the audit log, for auditors",
        "parameters": [{"in": "query", "schema": audit_contract.AuditQuery}, X_PURPOSE],
        "responses": {"200": {"description": "a page", **_json("AuditPage")},
                      **_errors(400, *_GUARDED)}}},
    "/api/v1/audit/verification": {"get": {
        "operationId": "verify_audit",
        "summary": "recompute the audit log's hash chain and check its anchors",
        "responses": {"200": {"description": "the result", **_json("AuditVerification")},
                      **_errors(*_GUARDED)}}},
}


def _route_operation(route) -> dict:
    """The document's entry for one line of a service's ROUTES (contracts/routes.py)."""
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in route.params]
    if route.query is not None:
        parameters.append({"in": "query", "schema": route.query})
    if route.changes:
        parameters += [IDEMPOTENCY_KEY, IF_MATCH]
    else:
        parameters.append(X_PURPOSE)
    answer = {"description": "done" if route.changes else "the answer"}
    if route.reply is not None:
        answer.update(_json(route.reply.__name__))
    operation = {"operationId": route.name, "summary": route.summary, "parameters": parameters,
                 "responses": {str(route.status): answer,
                               # 400: a malformed header (X-Purpose, Idempotency-Key, If-Match)
                               **_errors(*sorted({400, *route.errors,
                                                  *((413,) if route.request else ())}),
                                         502, *_GUARDED)}}
    if route.request is not None:
        operation["requestBody"] = {"required": True, **_json(route.request.__name__)}
    return operation


def _route_paths() -> dict:
    paths: dict = {}
    for route in api_routes.ROUTES:
        paths.setdefault(f"/api/v1{route.path}", {})[route.method.lower()] = _route_operation(route)
    return paths


def _route_schemas() -> dict:
    return {schema.__name__: schema for route in api_routes.ROUTES
            for schema in (route.request, route.reply) if schema is not None}


def _all_optional(schema: type[Schema], name: str, keep: tuple[str, ...], **extra) -> type[Schema]:
    """A reply filtered by field entitlement: any field may be withheld except `keep`."""
    declared = {}
    for field_name, field in schema._declared_fields.items():
        field = copy.deepcopy(field)
        field.required = field_name in keep
        declared[field_name] = field
    return Schema.from_dict({**declared, **extra}, name=name)


_WITHHELD = fields.List(fields.String(), required=True,
                        metadata={"description": "fields your role may not see"})
VeteranFileView = _all_optional(
    contract.VeteranFileReply, "VeteranFileView", ("veteran_id", "version"), withheld=_WITHHELD,
    # A read on a day says which: the day it was asked for, as the query gave it.
    as_of=fields.Date(metadata={"description": "the file as known at the end of this day"}),
    effective_on=fields.Date(metadata={"description": "the file as in effect on this day"}))
VeteranSummaryView = _all_optional(contract.VeteranSummary, "VeteranSummaryView", ("veteran_id",))
VeteranListView = Schema.from_dict({
    "items": fields.List(fields.Nested(VeteranSummaryView), required=True),
    "page": fields.Integer(required=True), "page_size": fields.Integer(required=True),
    "total": fields.Integer(required=True), "withheld": copy.deepcopy(_WITHHELD),
}, name="VeteranListView")


@functools.cache
def openapi_document() -> dict:
    spec = APISpec(
        title="vetlife gateway", version="1.0.0", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "The district veterans' affairs bureau's one-stop API."},
    )
    spec.components.security_scheme("bearer", {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "an OIDC access token (ES256 or RS256) from the identity provider; "
                       "locally, `vetlife-token ROLE` prints one"})
    # Imported here: they import this module for its pieces.
    from gateway import figures, overview, stream

    schemas = {**SCHEMAS, **_route_schemas(), "VeteranFile": VeteranFileView,
               "VeteranList": VeteranListView, **overview.openapi_schemas(VeteranFileView),
               **figures.openapi_schemas()}
    for name, schema in schemas.items():
        # A department service's request states its own example (`class Meta: example`), so
        # a reader, the fuzzer and the access matrix start from a body that works.
        example = EXAMPLES.get(name, getattr(getattr(schema, "Meta", None), "example", None))
        extra = {**SCHEMA_RULES.get(name, {}),
                 **({"example": example} if example is not None else {})}
        spec.components.schema(name, extra, schema=schema)
    one_stop = {**overview.openapi_paths(_errors, _json, [VETERAN_ID, X_PURPOSE]),
                **stream.openapi_paths(_errors, [X_PURPOSE]),
                **figures.openapi_paths(_errors, _json, X_PURPOSE)}
    for path, operations in {**PATHS, **_route_paths(), **one_stop}.items():
        spec.path(path=path, operations=copy.deepcopy(operations))
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    return document
