"""The workbench's proxy cases (代理案件): the queues, a case's page with its timeline, and its steps.

Like the other workbench pages it reads and writes only through the API's own handlers: the
queues are the disputes service's `queue=mine|done`; which step forms a case page shows is the
read's `next_steps` for the caller; each step is the API's own command, sent with the case's
version as If-Match (a case changed meanwhile is a 409, shown as such).
"""
from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode

import structlog
from werkzeug.wrappers import Request, Response

from chassis.clock import SYSTEM_CLOCK
from contracts import access
from gateway.portal import formats
from gateway.portal import pages as portal

log = structlog.get_logger("vetlife.gateway")

VIEW = "proxy"
PAGE_SIZE = 15
QUEUES = {"mine": "待我办理", "done": "已办结"}
MATTER_KINDS = {"benefits_application": "优抚待遇申请", "card": "优待证", "social_insurance": "社会保险",
                "household_registration": "户籍", "medical": "医疗", "employment": "就业",
                "legal": "法律事务", "other": "其他"}
AGENT_KINDS = {"staff": "工作人员", "militia_head": "民兵连长"}
STATES = {"open": "办理中", "completed": "已办结（办成）", "not_completed": "已办结（未办成）"}
OUTCOMES = {"completed": "办成", "not_completed": "未办成"}
EVENTS = {"ProxyCaseOpened": "开办代理案件", "ProxyStepRecorded": "记录办理步骤",
          "ProxyCaseClosed": "结案", "HardshipReferred": "转介困难帮扶"}
# Each step's form: its title, its button, the API operation and its fields (name, label, kind,
# required). The step's name is its API route's last path segment (next_steps says which).
STEP_FORMS = {
    "steps": ("记录办理步骤", "记录这一步", "record_proxy_step", [
        ("note", "做了什么（如 到区社保中心递交转移申请）", "textarea", True),
        ("taken_on", "办理日期（如 2026-11-27，不填为今天）", "date", False)]),
    "outcome": ("结案", "确认结案", "close_proxy_case", [
        ("outcome", "结果", "radio", True),
        ("note", "说明（可不填）", "textarea", False)]),
}
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TEXT_MAX = 2000


def may_open(principal) -> bool:
    return bool(access.grants("list_proxy_cases", principal.roles)) and "veteran" not in \
        principal.roles


def query_of(args) -> dict:
    queue = args.get("queue")
    # One station's cases (the service checks the name; a bad one is its 400, shown as such).
    station = (args.get("station") or "").strip()
    return {"queue": queue if queue in QUEUES else "mine", "page": formats.page_number(args.get("page")),
            "station": station or None}


def _link(query: dict, **changes) -> str:
    station = {"station": query["station"]} if query.get("station") else {}
    return "/staff?" + urlencode({"list": VIEW, "queue": query["queue"], "page": query["page"],
                                  **station, **changes})


def tabs(service, principal, token, current: bool, query: dict) -> list[dict]:
    """A tab per proxy case queue with its count, for whoever reads the proxy case list."""
    if not may_open(principal):
        return []
    out = []
    for queue, label in QUEUES.items():
        status, listed = portal.api_read(service, "list_proxy_cases", token,
                                         "/api/v1/disputes/proxy-cases",
                                         {"queue": queue, "page_size": "1"})
        out.append({"label": f"代理案件 · {label}",
                    "count": listed.get("total") if status == 200 else None,
                    "href": "/staff?" + urlencode({"list": VIEW, "queue": queue}),
                    "current": current and query["queue"] == queue})
    return out


def listing(service, token, query: dict, today: date) -> dict:
    """The proxy case part of the workbench's context: one page of the chosen queue."""
    page = query["page"]
    status, listed = portal.api_read(service, "list_proxy_cases", token,
                                     "/api/v1/disputes/proxy-cases",
                                     {"queue": query["queue"], "page": str(page),
                                      "page_size": str(PAGE_SIZE),
                                      **({"station": query["station"]} if query["station"]
                                         else {})})
    context = {"list_status": status, "title": f"代理案件 · {QUEUES[query['queue']]}",
               "xq": query, "proxy_queues": QUEUES, "rows": [], "total": 0, "pager": None}
    if status == 200:
        total = listed["total"]
        context.update(
            rows=[_row(item, today) for item in listed["items"]], total=total,
            pager=formats.pager(page, total, lambda number: _link(query, page=number),
                                PAGE_SIZE))
    return context


def _row(item: dict, today: date) -> dict:
    opened = date.fromisoformat(item["opened_on"])
    return {"href": f"/staff/proxy/{item['proxy_case_id']}", "short": item["proxy_case_id"][:8],
            "station": item["service_station"],
            "matter_kind": MATTER_KINDS.get(item["matter_kind"], item["matter_kind"]),
            "agent_kind": AGENT_KINDS.get(item["agent_kind"], item["agent_kind"]),
            "state": STATES.get(item["state"], item["state"]), "opened_on": item["opened_on"],
            "closed_on": item.get("closed_on"), "steps": item["steps"],
            "days_open": (today - opened).days}


# -- one case -------------------------------------------------------------------------------------

def _signed_in(service, request: Request):
    current = portal.session(service, request)
    if current is None:
        return None, portal.redirect("/signin")
    if not access.page_grants("staff_workbench", current[0].roles):
        return None, portal.refused(request, 403, "此页面不对您的角色开放",
                                    "工作台只对服务站工作人员、业务科室工作人员和审批人开放。")
    return current, None


def _read(service, token, case_id):
    return portal.api_read(service, "get_proxy_case", token,
                           f"/api/v1/disputes/proxy-cases/{case_id}", proxy_case_id=case_id)


def case_page(service, request: Request, case_id: str) -> Response:
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    return _case_page(service, request, current, case_id)


def _not_found(request):
    return portal.refused(request, 404, "没有找到这件代理案件",
                          "这件案件不存在，或不在您的办理范围内。")


def _case_page(service, request: Request, current, case_id: str, status: int = 200,
               errors: dict | None = None, form: dict | None = None,
               failed_step: str | None = None, notice: str | None = None) -> Response:
    principal, token = current
    if not UUID_TEXT.fullmatch(case_id):
        return _not_found(request)
    read, case = _read(service, token, case_id)
    if read in (403, 404):
        return _not_found(request)
    if read != 200:
        return portal.refused(request, 503, "暂时无法读取这件代理案件", "请稍后刷新页面。")
    timeline = [{"at": h["at"], "what": EVENTS.get(h["event_type"], h["event_type"]),
                 "who": _actor(h["actor"])} for h in reversed(case.get("history", []))]
    forms = [{"step": step, "title": STEP_FORMS[step][0], "button": STEP_FORMS[step][1],
              "fields": [{"name": name, "label": label, "kind": kind, "required": required,
                          "choices": OUTCOMES if kind == "radio" else None}
                         for name, label, kind, required in STEP_FORMS[step][3]]}
             for step in case.get("next_steps", []) if step in STEP_FORMS]
    return portal.render(
        request, "staff_proxy_case.html", status=status, case=case, timeline=timeline,
        forms=forms, states=STATES, matter_kinds=MATTER_KINDS, agent_kinds=AGENT_KINDS,
        outcomes=OUTCOMES, errors=errors or {}, form=form or {}, failed_step=failed_step,
        notice=notice, idempotency_key=portal.form_key(request),
        today=SYSTEM_CLOCK.today().isoformat())


def _actor(actor: str) -> str:
    role, _, subject = actor.partition(":")
    if role == "system":
        return "系统"
    return f"{formats.ROLE_LABELS.get(role, role)} {subject}".strip()


def _body(step: str, form: dict) -> tuple[dict, dict]:
    """The API request for a step's form, or the fields to fix (each with its message)."""
    errors: dict[str, str] = {}
    body: dict = {}
    for name, label, kind, required in STEP_FORMS[step][3]:
        value = form.get(name, "")
        bare = label.split("（")[0]
        if not value:
            if required:
                errors[name] = f"请{'选择' if kind == 'radio' else '填写'}{bare}。"
            continue
        if kind == "date":
            try:
                body[name] = date.fromisoformat(value).isoformat()
            except ValueError:
                errors[name] = f"{bare}须为日期，格式如 2026-11-27。"
        elif kind == "radio":
            if value in OUTCOMES:
                body[name] = value
            else:
                errors[name] = f"请选择{bare}。"
        elif len(value) > TEXT_MAX:
            errors[name] = f"{bare}最多{TEXT_MAX}个字。"
        else:
            body[name] = value
    return body, errors


def step(service, request: Request, case_id: str, step_name: str) -> Response:
    """One step's form posted: the API's own command as the signed-in person with the case's
    version as If-Match, then a 303 to the confirmation page; field errors re-render the case
    page with its 错误摘要; the service's 403 is the 403 page; a changed case a 409 notice."""
    if not portal.csrf_ok(request):
        return portal.forged(request)
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    if step_name not in STEP_FORMS or not UUID_TEXT.fullmatch(case_id):
        return portal.refused(request, 404, "没有这个办理步骤", "请从工作台重新打开。")
    form = {key: request.form.get(key, "").strip() for key in request.form
            if key != "csrf_token"}
    body, errors = _body(step_name, form)
    if errors:
        return _case_page(service, request, current, case_id, 400, errors, form, step_name)
    version = form.get("version", "")
    status, reply = portal.api_write(
        service, STEP_FORMS[step_name][2], current[1],
        f"/api/v1/disputes/proxy-cases/{case_id}/{step_name}", body, portal.form_key(request),
        if_match=f'"{version}"' if version.isdigit() else None, proxy_case_id=case_id)
    if status in (200, 201, 202):
        return portal.redirect(f"/staff/proxy/{case_id}/done?step={step_name}")
    if status == 403:
        log.info("portal.step_refused", path=request.path)
        return portal.refused(request, 403, "您不能办理这一步",
                              "代理案件由信访科工作人员和案件所在服务站的工作人员办理。")
    if status == 404:
        return _not_found(request)
    if status in (400, 422):
        fields = reply.get("fields") if isinstance(reply, dict) else None
        named = {name: "请检查这一项：" + "；".join(map(str, problems))
                 for name, problems in (fields or {}).items()
                 if any(name == f[0] for f in STEP_FORMS[step_name][3])}
        return _case_page(service, request, current, case_id, 400,
                          named or {"step": "提交的内容没有通过检查，请核对后再提交。"}, form,
                          step_name)
    return _case_page(service, request, current, case_id, 409, None, form, step_name,
                      notice="这件案件已被他人办理或状态已经变化，请核对后再办理。")


def done(service, request: Request, case_id: str) -> Response:
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    if not UUID_TEXT.fullmatch(case_id):
        return _not_found(request)
    read, case = _read(service, current[1], case_id)
    if read != 200:
        return _not_found(request)
    step_name = request.args.get("step")
    title = STEP_FORMS[step_name][0] if step_name in STEP_FORMS else "办理"
    return portal.render(request, "staff_proxy_done.html", case=case, step=title,
                         state=STATES.get(case["state"], case["state"]))
