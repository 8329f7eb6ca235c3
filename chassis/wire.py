"""Errors on the wire between services: a code, a message and field problems, typed on both ends."""
from __future__ import annotations

from nameko.exceptions import deserialize_to_instance


@deserialize_to_instance
class ServiceError(Exception):
    """Raised when a service refuses a request; the gateway maps `code` to an HTTP status."""

    def __init__(self, code: str, message: str, fields: dict | None = None):
        super().__init__(code, message, fields or {})
        self.code = code
        self.message = message
        self.fields = fields or {}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
