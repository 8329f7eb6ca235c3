"""The staff portal's spreadsheet import: upload, dry run with its row errors, import, progress.

The file goes to the API's own import routes (start_import, get_import, get_import_errors) as
the signed-in person. The dry run comes first; its result page carries the file in a hidden
field of the confirm form (a POST body, never a URL), because the registry drops an upload once
its run ends, so 确认导入 sends the same file again, this time to be imported. Nothing of the
file is logged: log lines name the import id only.
"""
from __future__ import annotations

import base64
import json
import uuid
from urllib.parse import quote

import eventlet
import structlog
from werkzeug.wrappers import Request, Response

from contracts import access
from gateway.portal import pages
from gateway.portal.staff_files import field_errors, staff_session

log = structlog.get_logger("vetlife.gateway")

PAGE = "staff_imports"
API = "/api/v1"
# The confirm form carries the file base64-encoded (a third larger) within the gateway's 1 MiB
# body limit; larger files are the operator's (vetlife-import, docs/imports.md).
MAX_FILE_BYTES = 700 * 1024
# How long the upload's answer waits for a small file's dry run before showing 刷新进度 instead.
DRY_RUN_WAIT_SECONDS = 15
POLL_SECONDS = 0.5
RUNNING = ("waiting", "checking", "importing")
STATUS_LABELS = {"waiting": "排队中", "checking": "正在检查", "importing": "正在导入",
                 "done": "已完成", "failed": "未能完成"}


def _render(request, template, principal, status=200, **context) -> Response:
    return pages.render(request, template, status=status, principal=principal,
                        status_labels=STATUS_LABELS, running=RUNNING,
                        max_kib=MAX_FILE_BYTES // 1024, **context)


def _failed(request, status: int) -> Response:
    if status == 403:
        return pages.refused(request, 403, "此操作不对您开放", "您的角色不允许导入档案。")
    if status == 404:
        return pages.refused(request, 404, "没有找到这次导入", "导入不存在，或不是您上传的。")
    return pages.refused(request, 503, "暂时无法完成", "系统暂时无法处理，请稍后重试。")


def upload_form(service, request: Request) -> Response:
    current, refusal = staff_session(service, request, PAGE)
    if refusal:
        return refusal
    return _upload_page(request, current[0], {})


def _upload_page(request, principal, errors, status=200) -> Response:
    return _render(request, "imports.html", principal, status=status, errors=errors,
                   idempotency_key=pages.form_key(request))


def upload(service, request: Request) -> Response:
    """The multipart upload: start the dry run, wait a little for it, show what it found."""
    current, refusal = staff_session(service, request, PAGE)
    if refusal:
        return refusal
    if not pages.csrf_ok(request):
        return pages.forged(request)
    principal, token = current
    sent = request.files.get("file")
    name = (sent.filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1] if sent else ""
    content = sent.read(MAX_FILE_BYTES + 1) if sent else b""
    problem = None
    if not name or not content:
        problem = "请选择要导入的文件（CSV 或 XLSX）。"
    elif not name.lower().endswith((".csv", ".xlsx")):
        problem = "文件须为 CSV 或 XLSX（文件名以 .csv 或 .xlsx 结尾）。"
    elif len(content) > MAX_FILE_BYTES:
        problem = (f"文件超过{MAX_FILE_BYTES // 1024} KB。更大的文件请交运维人员用"
                   "批量导入工具导入。")
    if problem:
        return _upload_page(request, principal, {"file": problem}, status=400)
    return _start_dry_run(service, request, principal, token, name,
                          base64.b64encode(content).decode())


def _start_dry_run(service, request, principal, token, name, encoded) -> Response:
    status, reply = pages.api_write(
        service, "start_import", token, f"{API}/imports",
        {"file_name": name, "content": encoded, "dry_run": True}, pages.form_key(request))
    if status in (400, 422):
        errors = field_errors(reply.get("fields")) or {"file": "文件无法导入。"}
        return _upload_page(request, principal, {"file": "；".join(errors.values())},
                            status=status)
    if status != 202:
        return _failed(request, status)
    return _dry_run_page(service, request, principal, token, reply, name, encoded)


def _dry_run_page(service, request, principal, token, reply, name, encoded) -> Response:
    import_id = reply["import_id"]
    log.info("portal.import_checking", import_id=import_id)
    waited = 0.0
    while reply["status"] in RUNNING and waited < DRY_RUN_WAIT_SECONDS:
        eventlet.sleep(POLL_SECONDS)
        waited += POLL_SECONDS
        status, reply = pages.api_read(service, "get_import", token,
                                       f"{API}/imports/{import_id}", import_id=import_id)
        if status != 200:
            return _failed(request, status)
    return _render(request, "import.html", principal, job=reply, file_name=name,
                   content=encoded, confirm_key=f"portal-{uuid.uuid4()}")


def dry_run_progress(service, request: Request, import_id: str) -> Response:
    """刷新进度 for a dry run still checking: the form carries the file on, for the confirm."""
    current, refusal = staff_session(service, request, PAGE)
    if refusal:
        return refusal
    if not pages.csrf_ok(request):
        return pages.forged(request)
    principal, token = current
    status, reply = pages.api_read(service, "get_import", token, f"{API}/imports/{import_id}",
                                   import_id=import_id)
    if status != 200:
        return _failed(request, status)
    return _dry_run_page(service, request, principal, token, reply,
                         request.form.get("file_name", ""), request.form.get("content", ""))


def confirm(service, request: Request) -> Response:
    """确认导入: the same file again, this time imported; then its progress page."""
    current, refusal = staff_session(service, request, PAGE)
    if refusal:
        return refusal
    if not pages.csrf_ok(request):
        return pages.forged(request)
    principal, token = current
    status, reply = pages.api_write(
        service, "start_import", token, f"{API}/imports",
        {"file_name": request.form.get("file_name", ""),
         "content": request.form.get("content", ""), "dry_run": False},
        pages.form_key(request))
    if status == 202:
        log.info("portal.import_started", import_id=reply["import_id"])
        return pages.redirect(f"/staff/imports/{reply['import_id']}")
    if status in (400, 422):
        return _upload_page(request, principal,
                            {"file": "文件无法导入，请重新上传。"}, status=status)
    return _failed(request, status)


def import_page(service, request: Request, import_id: str) -> Response:
    current, refusal = staff_session(service, request, PAGE)
    if refusal:
        return refusal
    principal, token = current
    status, reply = pages.api_read(service, "get_import", token, f"{API}/imports/{import_id}",
                                   import_id=import_id)
    if status != 200:
        return _failed(request, status)
    return _render(request, "import.html", principal, job=reply, file_name=reply["file_name"],
                   content=None, confirm_key=None)


def import_progress(service, request: Request, import_id: str) -> Response:
    """The import's progress as JSON for the page's script (static/imports.js): the API's own
    read, with the session's token."""
    current = pages.session(service, request)
    if current is None or not access.page_grants(PAGE, current[0].roles):
        return Response("", status=403)
    status, reply = pages.api_read(service, "get_import", current[1],
                                   f"{API}/imports/{import_id}", import_id=import_id)
    if status != 200:
        return Response("", status=status)
    body = {key: reply.get(key) for key in ("status", "processed", "total", "percent")}
    response = Response(json.dumps(body), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def error_file(service, request: Request, import_id: str) -> Response:
    """The error file, downloaded as the signed-in person (the API's audited personal read)."""
    current, refusal = staff_session(service, request, PAGE)
    if refusal:
        return refusal
    status, reply = pages.api_read(service, "get_import_errors", current[1],
                                   f"{API}/imports/{import_id}/errors", import_id=import_id)
    if status != 200:
        return _failed(request, status)
    response = Response(base64.b64decode(reply["content"]), mimetype="application/octet-stream")
    response.headers["Content-Type"] = reply["media_type"]
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"errors.{reply['file_name'].rsplit('.', 1)[-1]}\"; "
        f"filename*=UTF-8''{quote(reply['file_name'])}")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
