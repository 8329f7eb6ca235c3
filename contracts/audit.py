"""The audit log's contracts: the queries a veteran and an auditor may make, and the replies."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from contracts.registry import TEXT, _Date, _QueryInteger


class AccessLogQuery(Schema):
    page = _QueryInteger(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = _QueryInteger(load_default=20, validate=validate.Range(min=1, max=200))



class AuditQuery(Schema):
    veteran_id = fields.UUID(metadata={"description": "whose file"})
    actor = fields.String(validate=[validate.Length(min=1, max=100), TEXT],
                          metadata={"description": "the token subject who acted"})
    from_ = _Date(data_key="from", metadata={"description": "first day (Asia/Shanghai), inclusive"})
    to = _Date(metadata={"description": "last day (Asia/Shanghai), inclusive"})
    page = _QueryInteger(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = _QueryInteger(load_default=50, validate=validate.Range(min=1, max=500))

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError({"from": ["must not be after 'to'"]})

    def load(self, *args, **kwargs):
        data = super().load(*args, **kwargs)
        if "veteran_id" in data:
            data["veteran_id"] = str(data["veteran_id"])
        return data


class AuditRecord(Schema):
    """One entry: who did what to whose file, when, why, and how it ended."""

    seq = fields.Integer(required=True)
    at = fields.String(required=True, metadata={"description": "ISO 8601 with time zone"})
    subject = fields.String(required=True, metadata={"description": "the token's subject"})
    role = fields.String(required=True)
    stations = fields.List(fields.String(), required=True)
    department = fields.String(allow_none=True)
    action = fields.String(required=True)
    veteran_id = fields.String(allow_none=True)
    fields_ = fields.List(fields.String(), data_key="fields", required=True,
                          metadata={"description": "the personal fields read or changed"})
    purpose = fields.String(allow_none=True)
    outcome = fields.String(required=True)
    correlation_id = fields.String(allow_none=True)
    as_of = fields.Date(metadata={"description": "a read of the file as known at the end of "
                                                 "this day (only such reads have it)"})
    effective_on = fields.Date(metadata={"description": "a read of the file as in effect on this "
                                                        "day (only such reads have it)"})


class AuditPage(Schema):
    items = fields.List(fields.Nested(AuditRecord), required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True)


class AuditVerification(Schema):
    ok = fields.Boolean(required=True)
    entries = fields.Integer(required=True)
    head_seq = fields.Integer(allow_none=True)
    problem = fields.String(allow_none=True)
    first_bad_seq = fields.Integer(allow_none=True)


class Me(Schema):
    subject = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    stations = fields.List(fields.String(), required=True)
    veteran_id = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    may = fields.List(fields.String(), required=True,
                      metadata={"description": "the operations this caller may run"})
    file_fields = fields.List(fields.String(), required=True,
                              metadata={"description": "the file fields this caller may see"})
