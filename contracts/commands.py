"""A service's stream commands, declared once: from each line come its RPC, route and API entry."""
from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema


@dataclass(frozen=True)
class StreamCommand:
    """One command on one stream (a veteran's file, later a case).

    `name` is the RPC method, the gateway route's handler and the API document's operationId,
    and the key of its rule in contracts/access.py (a command without a rule is refused to
    everyone). The service pairs the name with its domain decision.
    """

    name: str
    method: str          # HTTP method
    path: str            # below the stream's resource, e.g. "/contact"
    summary: str
    request: type[Schema]

    @property
    def schema_name(self) -> str:
        return self.request.__name__
