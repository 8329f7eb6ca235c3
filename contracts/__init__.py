"""The wire: versioned marshmallow schemas for every event, command and reply, and the event catalogue."""
from __future__ import annotations

import functools

from marshmallow import Schema


@functools.cache
def instance(schema_class: type[Schema]) -> Schema:
    """One shared instance per schema: building one deep-copies its fields and costs more than
    a load or dump, which do not change the instance, so every caller can share it."""
    return schema_class()
