"""The staff portal's veteran files: register and amend with check-answers, the list, one file.

Registering and amending follow the check-answers pattern: the form, then a 请核对信息 page
listing every answer, then 确认提交. The answers travel from one step to the next as hidden
fields of POST forms, never in a URL (the resident ID number is personal), and 修改 on the
check page is a button of that same form, which brings the form back with every value kept.
Every read and write goes through the API's own handlers (pages.api_read / api_write): the same
contracts, reach, audit entries and If-Match as the API.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

import structlog
from marshmallow import ValidationError
from werkzeug.wrappers import Request, Response

from contracts import access, instance
from contracts import registry as contract
from gateway.portal import formats, pages
from services.registry.import_rows import in_chinese

log = structlog.get_logger("vetlife.gateway")

PAGE = "staff_register"
PAGE_SIZE = 15
API = "/api/v1"

# The registration form's fields, in the order the form and the check page show them.
REGISTER_FIELDS = ("name", "id_number", "sex", "birth_date", "phone", "address", "township",
                   "service_station", "enlisted_on", "discharged_on", "branch", "rank",
                   "discharge_category")
REQUIRED = frozenset(name for name, field in contract.RegisterVeteranRequest().fields.items()
                     if field.required)
AMEND_FIELDS = ("phone", "address", "effective_on")
LABELS = {**formats.FIELD_LABELS, "effective_on": "生效日期"}
HINTS = {"id_number": "18位，末位可为X", "birth_date": "选填；与身份证号核对，如 1990-12-01",
         "sex": "选填；与身份证号核对", "phone": "手机号或带区号的固定电话",
         "enlisted_on": "如 2010-09-01", "discharged_on": "如 2015-09-01；仍在服役可不填",
         "effective_on": "选填；不填即今天生效。补登以前的变更时写当时的日期"}
DATE_FIELDS = frozenset({"birth_date", "enlisted_on", "discharged_on", "effective_on"})
EVENT_LABELS = {"VeteranRegistered": "建立档案", "ContactAmended": "修改联系方式",
                "DischargeRecorded": "登记退役", "PartyMembershipRecorded": "登记党员身份",
                "GridWorkerAssigned": "指定网格员", "HonourAdded": "增加荣誉",
                "SurvivorTieMarked": "登记遗属关系", "VillageSecretaryRecorded": "登记兵支书"}
CONFLICT = "档案已被他人修改，请核对后重新提交"
_FILE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def staff_session(service, request: Request, page: str = PAGE):
    """(principal, token), or the response to send instead: sign-in, or the 403 page."""
    current = pages.session(service, request)
    if current is None:
        return None, pages.redirect("/signin")
    if not access.page_grants(page, current[0].roles):
        return None, pages.refused(request, 403, "此页面不对您的角色开放",
                                   "您的角色不能打开这个页面。")
    return current, None


def _render(request, template, principal, status=200, **context) -> Response:
    return pages.render(request, template, status=status, principal=principal,
                        labels=LABELS, hints=HINTS, value_labels=formats.VALUE_LABELS,
                        **context)


def _failed(request, status: int) -> Response:
    if status == 403:
        return pages.refused(request, 403, "此操作不对您开放", "您的角色或服务站范围不允许这个操作。")
    if status == 404:
        return pages.refused(request, 404, "没有找到这份档案", "档案不存在，或不在您的服务站范围内。")
    return pages.refused(request, 503 if status >= 500 else status, "暂时无法完成",
                         "系统暂时无法处理，请稍后重试。您填写的内容没有提交。")


def field_errors(fields: dict) -> dict[str, str]:
    """The API's (or the contract's) {field: [problems]} as one Chinese sentence per field."""
    errors = {}
    for name, problems in (fields or {}).items():
        if isinstance(problems, dict):
            problems = [p for ps in problems.values() for p in ps]
        column = {"declared_sex": "sex", "declared_birth_date": "birth_date"}.get(name, name)
        text = "，".join(dict.fromkeys(in_chinese(name, str(p)) for p in problems))
        errors[column] = f"{LABELS.get(column, column)}：{text}"
    return errors


def _answers(request: Request, names) -> dict[str, str]:
    return {name: request.form.get(name, "").strip() for name in names}


def _body(answers: dict, names) -> dict:
    """The request body from the answers: what was left blank is left out, as the API expects."""
    body = {}
    for name in names:
        value = answers.get(name, "")
        if value:
            body[name] = value.upper() if name == "id_number" else value
    return body


def _check(schema, body: dict) -> dict[str, str]:
    """The request contract's verdict before the check page (the API checks it again)."""
    try:
        instance(schema).load(body)
    except ValidationError as refused:
        return field_errors(refused.messages_dict)
    return {}


def _shown(name: str, value: str) -> str:
    if not value:
        return "（未填写）"
    if name in formats.VALUE_LABELS:
        return formats.VALUE_LABELS[name].get(value, value)
    if name in DATE_FIELDS:
        try:
            return formats.chinese_date(value)
        except ValueError:
            return value
    return value


# -- register ----------------------------------------------------------------------------------

def register_form(service, request: Request) -> Response:
    current, refusal = staff_session(service, request)
    if refusal:
        return refusal
    principal = current[0]
    answers = {name: "" for name in REGISTER_FIELDS}
    if len(principal.stations) == 1:
        answers["service_station"] = principal.stations[0]
    return _register_page(request, principal, answers, {})


def _register_page(request, principal, answers, errors, status=200, existing=None) -> Response:
    return _render(request, "register.html", principal, status=status,
                   fields=REGISTER_FIELDS, required=REQUIRED, answers=answers, errors=errors,
                   existing=existing, idempotency_key=pages.form_key(request),
                   categories=contract.DISCHARGE_CATEGORIES)


def register(service, request: Request) -> Response:
    """One POST for the three steps: `step` says which (check, change:<field>, confirm)."""
    current, refusal = staff_session(service, request)
    if refusal:
        return refusal
    if not pages.csrf_ok(request):
        return pages.forged(request)
    principal, token = current
    answers = _answers(request, REGISTER_FIELDS)
    body = _body(answers, REGISTER_FIELDS)
    step = request.form.get("step", "check")
    if step.startswith("change"):
        return _register_page(request, principal, answers, {})
    errors = _check(contract.RegisterVeteranRequest, body)
    if errors:
        return _register_page(request, principal, answers, errors, status=400)
    if step != "confirm":
        return _render(request, "check_answers.html", principal, title="请核对登记信息",
                       action="/staff/veterans/new", back="/staff/veterans/new",
                       rows=[(n, _shown(n, answers[n])) for n in REGISTER_FIELDS],
                       answers=answers, idempotency_key=pages.form_key(request),
                       confirm="确认提交")
    status, reply = pages.api_write(service, "register_veteran", token, f"{API}/veterans",
                                    body, pages.form_key(request))
    if status == 201:
        log.info("portal.veteran_registered", veteran_id=reply["veteran_id"])
        return pages.redirect(f"/staff/veterans/{reply['veteran_id']}/registered")
    if status == 409 and reply.get("error") == "already_registered":
        found = _FILE_ID.search(reply.get("message", ""))
        errors = {"id_number": "公民身份号码：这个身份证号已有档案，不能重复登记"}
        return _register_page(request, principal, answers, errors, status=409,
                              existing=found.group(0) if found else None)
    if status in (400, 422) and reply.get("fields"):
        return _register_page(request, principal, answers, field_errors(reply["fields"]),
                              status=status)
    return _failed(request, status)


def registered(service, request: Request, veteran_id: str) -> Response:
    current, refusal = staff_session(service, request)
    if refusal:
        return refusal
    if not _FILE_ID.fullmatch(veteran_id):
        return _failed(request, 404)
    return _render(request, "file_done.html", current[0], title="登记成功",
                   message="退役军人档案已建立。", veteran_id=veteran_id)


# -- one file and its history ------------------------------------------------------------------

def file_page(service, request: Request, veteran_id: str) -> Response:
    current, refusal = staff_session(service, request)
    if refusal:
        return refusal
    principal, token = current
    status, file = pages.api_read(service, "get_veteran", token, f"{API}/veterans/{veteran_id}",
                                  veteran_id=veteran_id)
    if status != 200:
        return _failed(request, status)
    history_status, history = pages.api_read(
        service, "file_history", token, f"{API}/veterans/{veteran_id}/history",
        veteran_id=veteran_id)
    rows = [(label, formats.file_value(name, file.get(name)))
            for name, label in formats.FIELD_LABELS.items() if name in file]
    withheld = [LABELS.get(name, name) for name in file.get("withheld", ())]
    changes = [{"what": EVENT_LABELS.get(e["event_type"], e["event_type"]),
                "effective_on": e.get("effective_on"), "recorded_at": e.get("recorded_at"),
                "actor": e.get("actor"), "version": e.get("version")}
               for e in history.get("history", [])] if history_status == 200 else []
    return _render(request, "veteran_file.html", principal, file=file, rows=rows,
                   withheld=withheld, history_status=history_status, changes=changes,
                   may_amend=bool(access.grants("amend_contact", principal.roles)))


# -- amend the contact, with If-Match ----------------------------------------------------------

def amend_form(service, request: Request, veteran_id: str) -> Response:
    current, refusal = staff_session(service, request)
    if refusal:
        return refusal
    principal, token = current
    status, file = pages.api_read(service, "get_veteran", token, f"{API}/veterans/{veteran_id}",
                                  veteran_id=veteran_id)
    if status != 200:
        return _failed(request, status)
    answers = {"phone": file.get("phone") or "", "address": file.get("address") or "",
               "effective_on": ""}
    return _amend_page(request, principal, file, answers, {}, str(file["version"]))


def _amend_page(request, principal, file, answers, errors, version, status=200,
                conflict=False) -> Response:
    return _render(request, "amend.html", principal, status=status, file=file,
                   fields=AMEND_FIELDS, answers=answers, errors=errors, version=version,
                   conflict=conflict, conflict_message=CONFLICT,
                   idempotency_key=pages.form_key(request))


def amend(service, request: Request, veteran_id: str) -> Response:
    current, refusal = staff_session(service, request)
    if refusal:
        return refusal
    if not pages.csrf_ok(request):
        return pages.forged(request)
    principal, token = current
    path = f"{API}/veterans/{veteran_id}"
    read_status, file = pages.api_read(service, "get_veteran", token, path,
                                       veteran_id=veteran_id)
    if read_status != 200:
        return _failed(request, read_status)
    answers = _answers(request, AMEND_FIELDS)
    # The version the person read when the form was first shown: sent as If-Match, so a change
    # made by someone else since is a conflict, never silently overwritten.
    version = request.form.get("version", "")
    if not version.isdigit():
        version = str(file["version"])
    body = _body(answers, AMEND_FIELDS)
    step = request.form.get("step", "check")
    if step.startswith("change"):
        return _amend_page(request, principal, file, answers, {}, version)
    errors = _check(contract.AmendContactRequest, body)
    if errors:
        return _amend_page(request, principal, file, answers, errors, version, status=400)
    if step != "confirm":
        rows = [(n, _shown(n, answers[n]) if n != "effective_on" or answers[n] else "今天")
                for n in AMEND_FIELDS]
        return _render(request, "check_answers.html", principal, title="请核对修改内容",
                       action=f"/staff/veterans/{veteran_id}/amend",
                       back=f"/staff/veterans/{veteran_id}", rows=rows,
                       answers={**answers, "version": version},
                       idempotency_key=pages.form_key(request), confirm="确认修改",
                       before={"phone": file.get("phone") or "（无）",
                               "address": file.get("address") or "（无）"})
    status, reply = pages.api_write(service, "amend_contact", token, f"{path}/contact", body,
                                    pages.form_key(request), method="PATCH",
                                    if_match=f'"{version}"', veteran_id=veteran_id)
    if status == 200:
        return pages.redirect(f"/staff/veterans/{veteran_id}/amended")
    if status == 409:
        # Someone changed the file meanwhile: show what it holds now, keep what this person
        # typed, and take the new version, so a second 确认 is a deliberate one.
        return _amend_page(request, principal, file, answers, {}, str(file["version"]),
                           status=409, conflict=True)
    if status in (400, 422) and reply.get("fields"):
        return _amend_page(request, principal, file, answers, field_errors(reply["fields"]),
                           version, status=status)
    return _failed(request, status)


def amended(service, request: Request, veteran_id: str) -> Response:
    current, refusal = staff_session(service, request)
    if refusal:
        return refusal
    if not _FILE_ID.fullmatch(veteran_id):
        return _failed(request, 404)
    return _render(request, "file_done.html", current[0], title="修改成功",
                   message="联系方式已更新，修改记录已写入档案历史。", veteran_id=veteran_id)


# -- the list ----------------------------------------------------------------------------------

def list_page(service, request: Request) -> Response:
    current, refusal = staff_session(service, request)
    if refusal:
        return refusal
    principal, token = current
    filters = {name: request.args.get(name, "").strip()
               for name in ("service_station", "discharge_category", "life_stage")}
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) <= 100000 else 1
    query = {k: v for k, v in filters.items() if v}
    status, reply = pages.api_read(service, "list_veterans", token, f"{API}/veterans",
                                   {**query, "page": str(page), "page_size": str(PAGE_SIZE)})
    errors = field_errors(reply.get("fields")) if status == 400 else {}
    items = reply.get("items", []) if status == 200 else []
    total = reply.get("total", 0) if status == 200 else 0
    first = (page - 1) * PAGE_SIZE + 1
    last = first + len(items) - 1
    pages_count = max(1, -(-total // PAGE_SIZE))

    def link(to_page: int) -> str:
        return "/staff/veterans?" + urlencode({**query, "page": to_page})

    return _render(request, "veterans.html", principal, status=status if status in (
        200, 400) else 503, list_status=status, items=items, total=total, first=first,
                   last=last, page=page, pages_count=pages_count, filters=filters,
                   errors=errors, categories=contract.DISCHARGE_CATEGORIES,
                   life_stages=contract.LIFE_STAGES,
                   previous=link(page - 1) if page > 1 else None,
                   next=link(page + 1) if page < pages_count else None)
