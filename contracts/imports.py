"""The import of existing veteran files over HTTP: the upload, the progress and outcome, the error file."""
from __future__ import annotations

import base64

from marshmallow import Schema, ValidationError, fields, validate

from contracts.routes import Route

STATUSES = ("waiting", "checking", "importing", "done", "failed")
# What the gateway lets through (GATEWAY_MAX_BODY_BYTES, 1 MiB) holds at most this much file
# once base64 has made it a third larger; bigger files go through vetlife-import.
MAX_FILE_BYTES = 760 * 1024
# A CSV of one veteran of 多湖街道, as the examples and the access matrix send it (a dry run).
EXAMPLE_CSV = ("姓名,身份证号,镇街,服务站,入伍时间,退役时间,军种,军衔,退役类别\n"
               "陈志强,330703196805170017,多湖街道,多湖街道退役军人服务站,1986-12-01,1990-12-01,"
               "陆军,上士,退役士兵\n")


class _Whole(validate.Regexp):
    """The whole value must match, as JSON Schema reads a `^...$` pattern (the document states
    these patterns, so a fuzzer's "valid" upload is one the registry accepts)."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


# Text without control characters (contracts.registry.TEXT), ending in .csv or .xlsx.
FILE_NAME = _Whole(r"^[^\x00-\x1f\x7f-\x9f]*\.([cC][sS][vV]|[xX][lL][sS][xX])$",
                   error="must end in .csv or .xlsx, without control characters")
# RFC 4648 base64 with its padding; at most MAX_FILE_BYTES once decoded.
BASE64 = _Whole(r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
                error="must be base64 (RFC 4648)")
MAX_CONTENT = 4 * (MAX_FILE_BYTES // 3)


class StartImportRequest(Schema):
    file_name = fields.String(required=True, validate=[validate.Length(min=5, max=200),
                                                       FILE_NAME],
                              metadata={"description": "the spreadsheet's name, ending in .csv "
                                        "or .xlsx: that says how to read it"})
    content = fields.String(required=True, validate=[validate.Length(min=4, max=MAX_CONTENT),
                                                     BASE64],
                            metadata={"description": "the file itself, base64 (RFC 4648); "
                                      f"at most {MAX_FILE_BYTES // 1024} KiB decoded"})
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "true: check every row and write nothing (do this first)"})

    class Meta:
        example = {"file_name": "veterans.csv", "dry_run": True,
                   "content": base64.b64encode(EXAMPLE_CSV.encode()).decode()}



class RowProblem(Schema):
    row = fields.Integer(required=True, metadata={"description": "行号: as the spreadsheet shows"})
    reason = fields.String(required=True, metadata={"description": "错误原因, per column"})


class RowOnFile(Schema):
    row = fields.Integer(required=True)
    veteran_id = fields.String(required=True, metadata={"description": "the file that has it"})
    status = fields.String(required=True, metadata={"description": "已在档"})


class ImportOutcome(Schema):
    dry_run = fields.Boolean(required=True)
    total = fields.Integer(required=True, metadata={"description": "data rows read"})
    imported = fields.Integer(required=True,
                              metadata={"description": "new files (a dry run: would be)"})
    already_on_file = fields.Integer(required=True, metadata={"description": "已在档"})
    refused = fields.Integer(required=True,
                             metadata={"description": "rows waiting in the error file"})
    problems = fields.List(fields.Nested(RowProblem), required=True,
                           metadata={"description": "the first 200; the error file has all"})
    on_file = fields.List(fields.Nested(RowOnFile), required=True,
                          metadata={"description": "the first 200"})


class ImportReply(Schema):
    import_id = fields.String(required=True)
    file_name = fields.String(required=True)
    dry_run = fields.Boolean(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    processed = fields.Integer(required=True, metadata={"description": "rows done so far"})
    total = fields.Integer(required=True, allow_none=True,
                           metadata={"description": "rows in the file (null: not counted yet)"})
    percent = fields.Float(required=True, allow_none=True)
    outcome = fields.Nested(ImportOutcome, required=True, allow_none=True,
                            metadata={"description": "null until done"})
    failure = fields.String(required=True, allow_none=True,
                            metadata={"description": "why the whole file could not be read"})
    error_file = fields.Boolean(required=True,
                                metadata={"description": "true: rows wait in the error file"})
    created_at = fields.String(required=True)
    finished_at = fields.String(required=True, allow_none=True)


class ImportErrorFileReply(Schema):
    """The rows that wait: the file's own columns, then 行号 and 错误原因; CSV or XLSX as it came."""

    import_id = fields.String(required=True)
    file_name = fields.String(required=True)
    media_type = fields.String(required=True)
    content = fields.String(required=True, metadata={"description": "the file, base64"})


ROUTES = (
    Route("start_import", "registry", "POST", "/imports",
          "bring a spreadsheet of existing veteran files in (dry run first; then import)",
          request=StartImportRequest, reply=ImportReply, status=202, errors=(400, 409, 422)),
    Route("get_import", "registry", "GET", "/imports/{import_id}",
          "an import's progress (processed of total, percent) and outcome", reply=ImportReply,
          errors=(404,)),
    Route("get_import_errors", "registry", "GET", "/imports/{import_id}/errors",
          "the error file: each waiting row with 行号 and 错误原因 (its uploader's role only)",
          reply=ImportErrorFileReply, personal=("content",), errors=(404,)),
)
