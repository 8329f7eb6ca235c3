"""A department service's HTTP operations, declared once: the gateway serves them and documents them.

A service lists its operations as `Route` lines in its contracts module (e.g. contracts/placement.py
`ROUTES`). From each line the gateway makes the route, checks the caller against the line of the
same name in contracts/access.py, validates the body and the query with the line's schemas, calls
the service's RPC method of the same name and writes the audit entry; the API document gets the
operation with its schemas. The service's side is one RPC method per line, with the convention
below, and nothing about HTTP.

The RPC convention: `method(params, body, query, caller)`: `params` the path's values, `body` and
`query` already validated against the line's schemas (as JSON-ready dicts), `caller` the verified
caller (chassis.caller.Caller.as_dict()): subject, roles, actor, the reach (the veteran's own id,
the stations, or the whole district), the department, the command id from Idempotency-Key and the
expected version from If-Match. It answers a JSON-ready dict, or raises chassis.wire.ServiceError.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from marshmallow import Schema

_PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Route:
    name: str                         # operationId, RPC method, access rule key
    service: str                      # the nameko service that answers
    method: str                       # GET, POST, PUT, PATCH
    path: str                         # under /api/v1, e.g. "/placement/cases/{case_id}"
    summary: str
    request: type[Schema] | None = None   # the JSON body's contract
    query: type[Schema] | None = None     # the query string's contract
    reply: type[Schema] | None = None     # the answer's contract (documented)
    status: int = 200                     # 201 for what creates
    # Reply fields that are personal data: a read showing any of them is audited as such.
    personal: tuple[str, ...] = ()
    # The refusals the service may answer, besides 401/403/503 which every route may.
    errors: tuple[int, ...] = field(default=(400, 404, 409, 422))

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    @property
    def changes(self) -> bool:
        """Commands change something and are always audited; reads only when personal."""
        return self.method != "GET"

    @property
    def werkzeug_path(self) -> str:
        return _PARAM.sub(r"<string:\1>", self.path)
