"""The staff workbench: the signed-in person's queues, a relief case with its timeline, and its steps.

Like every page it reads and writes only through the API's own handlers (pages.api_read and
pages.api_write), so the access rules, the four-eyes check and the audit entries are the API's.
Which step controls a case page shows comes from the benefits service's `next_steps` for the
caller, the rule the step itself applies: the approve button is absent for the case's handler and
reviewer, and if they post the form anyway the service answers 403.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlencode

import structlog
from werkzeug.wrappers import Request, Response

from chassis.clock import SYSTEM_CLOCK
from chassis.days import CalendarUnknown, is_working_day
from contracts import access
from contracts import benefits as benefits_contract
from gateway.portal import formats, staff_attention, staff_entitlements, staff_placement, staff_proxy
from gateway.portal import pages as portal

log = structlog.get_logger("vetlife.gateway")

PAGE_SIZE = 15
# Two working days or fewer left: the case stands out as 即将到期.
NEAR_DEADLINE_WORKING_DAYS = 2

QUEUES = {"mine": "待我办理", "others": "待他人处理", "done": "已办结"}
SORTS = {"state_since": "等待天数", "applied_on": "申请日期", "amount_asked_fen": "申请金额"}
TRIGGERS = {"illness": "患重病", "long_unemployment": "长期失业", "recurring_wound": "旧伤复发",
            "disaster": "灾害或意外", "other": "其他原因"}
# A relief application's state as staff say it: what waits on whom.
STATES = {"applied": "待审核", "reviewed": "待审批", "approved": "已批准，待发放",
          "rejected": "未获批准", "disbursed": "已发放，待结案", "closed": "已办结"}
STEPS = {"review": "审核", "decide": "审批", "disburse": "发放", "close": "结案"}
EVENTS = {"ReliefApplied": "受理申请", "ReliefReviewed": "审核（公示期满）",
          "ReliefApproved": "审批通过", "ReliefRejected": "审批不予批准",
          "ReliefDisbursed": "发放救助金", "ReliefClosed": "结案"}
PETITION_CATEGORIES = {"placement": "安置", "benefits": "优抚待遇", "pension": "抚恤",
                       "social_insurance": "社会保险", "employment": "就业创业", "medical": "医疗",
                       "housing": "住房", "honours": "褒扬", "other": "其他"}
# The API's operation behind each step's form, and the path it posts to.
STEP_ROUTES = {"review": ("review_relief", "review"), "decide": ("decide_relief", "approval"),
               "disburse": ("disburse_relief", "disbursement"), "close": ("close_relief",
                                                                        "closure")}
AMOUNT = re.compile(r"(\d{1,8})(?:\.(\d{1,2}))?")
UUID_TEXT = re.compile(r"[0-9a-fA-F-]{36}")
TEXT_MAX = 500


def _signed_in(service, request: Request):
    """(principal, token) of a person PAGES lets open the workbench, or a response to send."""
    current = portal.session(service, request)
    if current is None:
        return None, portal.redirect("/signin")
    if not access.page_grants("staff_workbench", current[0].roles):
        return None, portal.refused(request, 403, "此页面不对您的角色开放",
                                    "工作台只对服务站工作人员、业务科室工作人员和审批人开放。")
    return current, None


def _may(principal, operation: str) -> bool:
    return bool(access.grants(operation, principal.roles))


# -- deadlines in working days ---------------------------------------------------------------

def deadline(due_on, today: date) -> dict | None:
    """剩余N个工作日 / 今天到期 / 已超期N天 for a last day, counted on the bureau's working-day
    calendar (China's holidays and make-up days); `near` marks two working days or fewer."""
    if not due_on:
        return None
    due = date.fromisoformat(due_on) if isinstance(due_on, str) else due_on
    if due < today:
        days = (today - due).days
        return {"key": "overdue", "label": f"已超期{days}天", "near": False, "overdue": True}
    if due == today:
        return {"key": "near", "label": "今天到期", "near": True, "overdue": False}
    try:
        left = sum(1 for n in range(1, (due - today).days + 1)
                   if is_working_day(today + timedelta(days=n)))
    except CalendarUnknown:
        # A year whose holidays are not published yet: the day, never a guessed count.
        return {"key": "open", "label": f"{formats.chinese_date(due)}前", "near": False,
                "overdue": False}
    near = left <= NEAR_DEADLINE_WORKING_DAYS
    return {"key": "near" if near else "open",
            "label": f"剩余{left}个工作日" + ("（即将到期）" if near else ""),
            "near": near, "overdue": False}


# -- the workbench ---------------------------------------------------------------------------

def _choice(value: str | None, allowed) -> str | None:
    return value if value in allowed else None


def workbench(service, request: Request) -> Response:
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    principal, token = current
    today = SYSTEM_CLOCK.today()
    args = request.args
    view = _choice(args.get("list"), ("relief", "petitions", staff_proxy.VIEW,
                                      staff_placement.VIEW, staff_attention.VIEW,
                                      staff_entitlements.VIEW))
    may_relief, may_petitions = _may(principal, "list_relief"), _may(principal, "list_petitions")
    may_placement = staff_placement.may_open(principal)
    may_proxy = staff_proxy.may_open(principal)
    may_attention = staff_attention.may_open(principal)
    may_entitlements = staff_entitlements.may_open(principal)
    view = view or ("relief" if may_relief else "petitions" if may_petitions
                    else staff_proxy.VIEW if may_proxy
                    else staff_placement.VIEW if may_placement
                    else staff_attention.VIEW if may_attention else None)
    proxy_query = staff_proxy.query_of(args)
    placement_query = staff_placement.query_of(args)
    query = {"queue": _choice(args.get("queue"), QUEUES) or "mine",
             "sort": _choice(args.get("sort"), SORTS) or "state_since",
             "order": _choice(args.get("order"), ("asc", "desc")) or "asc",
             "trigger": _choice(args.get("trigger"), TRIGGERS) or "",
             "station": (args.get("station") or "").strip()[:100],
             "page": formats.page_number(args.get("page"))}
    tabs, counts = [], {}
    if may_relief:
        for queue in QUEUES:
            status, listed = portal.api_read(service, "list_relief", token,
                                             "/api/v1/benefits/relief-applications",
                                             _relief_query(query, queue=queue, page=1,
                                                           page_size=1))
            counts[queue] = listed.get("total") if status == 200 else None
            tabs.append({"label": QUEUES[queue], "count": counts[queue],
                         "href": "/staff?" + urlencode({"list": "relief", "queue": queue}),
                         "current": view == "relief" and query["queue"] == queue})
    if may_petitions:
        status, listed = portal.api_read(service, "list_petitions", token, "/api/v1/disputes/petitions",
                                         {"state": "registered", "page_size": "1"})
        tabs.append({"label": "信访待受理", "count": listed.get("total") if status == 200 else None,
                     "href": "/staff?list=petitions", "current": view == "petitions"})
    tabs += staff_proxy.tabs(service, principal, token, view == staff_proxy.VIEW, proxy_query)
    tabs += staff_placement.tabs(service, principal, token, view == staff_placement.VIEW,
                                 placement_query)
    tabs += staff_attention.tabs(service, principal, token, view == staff_attention.VIEW)
    tabs += staff_entitlements.tabs(service, principal, token, view == staff_entitlements.VIEW)
    context = {"principal": principal, "role_labels": formats.ROLE_LABELS, "tabs": tabs,
               "view": view, "query": query, "queues": QUEUES, "sorts": SORTS,
               "triggers": TRIGGERS, "list_status": 200, "rows": [], "total": 0, "pager": None}
    if view == "relief":
        status, listed = portal.api_read(service, "list_relief", token,
                                         "/api/v1/benefits/relief-applications",
                                         _relief_query(query, page_size=PAGE_SIZE))
        context.update(list_status=status, title=f"困难帮扶 · {QUEUES[query['queue']]}",
                       sort_links=_sort_links(query))
        if status == 200:
            context.update(rows=[_relief_row(item, today) for item in listed["items"]],
                           total=listed["total"],
                           pager=_pager(query, listed["total"], {"list": "relief"}))
    elif view == "petitions":
        page = query["page"]
        status, listed = portal.api_read(service, "list_petitions", token, "/api/v1/disputes/petitions",
                                         {"state": "registered", "page": str(page),
                                          "page_size": str(PAGE_SIZE)})
        context.update(list_status=status, title="信访事项 · 待受理")
        if status == 200:
            context.update(rows=[_petition_row(item, today) for item in listed["items"]],
                           total=listed["total"],
                           pager=_pager({"page": page}, listed["total"], {"list": "petitions"}))
    elif view == staff_proxy.VIEW and may_proxy:
        context.update(staff_proxy.listing(service, token, proxy_query, today))
    elif view == staff_placement.VIEW and may_placement:
        context.update(staff_placement.listing(service, token, placement_query, today))
    elif view == staff_attention.VIEW and may_attention:
        context.update(staff_attention.listing(service, token, staff_attention.query_of(args),
                                               today))
    elif view == staff_entitlements.VIEW and may_entitlements:
        context.update(staff_entitlements.listing(
            service, token, staff_entitlements.query_of(args), today))
    # A query the API refused (a bad station name, say) is shown as the error it is.
    code = 400 if context["list_status"] == 400 else 200
    return portal.render(request, "staff.html", status=code, **context)


def _relief_query(query: dict, **overrides) -> dict:
    sent = {"queue": query["queue"], "sort": query["sort"], "order": query["order"],
            "page": str(query["page"]), "page_size": str(PAGE_SIZE)}
    if query["trigger"]:
        sent["trigger"] = query["trigger"]
    if query["station"]:
        sent["station"] = query["station"]
    sent.update({key: str(value) for key, value in overrides.items()})
    return sent


def _link(query: dict, **changes) -> str:
    merged = {"list": "relief", "queue": query["queue"], "sort": query["sort"],
              "order": query["order"], "trigger": query["trigger"], "station": query["station"],
              "page": query["page"], **changes}
    return "/staff?" + urlencode({k: v for k, v in merged.items() if v not in ("", None)})


def _sort_links(query: dict) -> dict:
    """Per column: the link that sorts by it (again: the other way), and how it is sorted now."""
    links = {}
    for column in SORTS:
        current = query["sort"] == column
        order = ("desc" if query["order"] == "asc" else "asc") if current else "asc"
        links[column] = {"href": _link(query, sort=column, order=order, page=1),
                         "aria": ("ascending" if query["order"] == "asc" else "descending")
                         if current else None}
    return links


def _pager(query: dict, total: int, base: dict) -> dict:
    def href(number):
        if base.get("list") == "relief":
            return _link(query, page=number)
        return "/staff?" + urlencode({**base, "page": number})

    return formats.pager(query["page"], total, href, PAGE_SIZE)


def _relief_row(item: dict, today: date) -> dict:
    since = item.get("state_since")
    waited = (today - date.fromisoformat(since)).days if since else None
    return {"href": f"/staff/relief/{item['application_id']}",
            "short": item["application_id"][:8], "station": item["station"],
            "trigger": TRIGGERS.get(item["trigger"], item["trigger"]),
            "amount": formats.yuan(item["amount_asked_fen"]),
            "state": STATES.get(item["state"], item["state"]),
            "next_step": STEPS.get(item.get("next_step") or "", "—"),
            "yours": item.get("yours"), "applied_on": item["applied_on"],
            "waited": waited}


def _petition_row(item: dict, today: date) -> dict:
    return {"short": item["petition_id"][:8], "station": item["service_station"],
            "category": PETITION_CATEGORIES.get(item["category"], item["category"]),
            "received_on": item["received_on"], "due_on": item["intake_due_on"],
            "deadline": deadline(item["intake_due_on"], today)}


# -- one relief case -------------------------------------------------------------------------

def relief_case(service, request: Request, application_id: str) -> Response:
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    return _case_page(service, request, current, application_id)


def _case_page(service, request: Request, current, application_id: str, status: int = 200,
               errors: dict | None = None, form: dict | None = None,
               failed_step: str | None = None) -> Response:
    principal, token = current
    if not UUID_TEXT.fullmatch(application_id):
        return portal.refused(request, 404, "没有找到这件申请", "请从工作台重新打开。")
    read, case = portal.api_read(service, "get_relief", token,
                                 f"/api/v1/benefits/relief-applications/{application_id}",
                                 application_id=application_id)
    if read in (403, 404):
        return portal.refused(request, 404, "没有找到这件申请",
                              "这件申请不存在，或不在您的办理范围内。")
    if read != 200:
        return portal.refused(request, 503, "暂时无法读取这件申请", "请稍后刷新页面。")
    timeline = [{"at": h["at"], "what": EVENTS.get(h["event_type"], h["event_type"]),
                 "who": _actor(h["actor"])} for h in reversed(case.get("history", []))]
    return portal.render(
        request, "staff_relief.html", status=status, case=case, timeline=timeline,
        states=STATES, triggers=TRIGGERS, steps=STEPS, next_steps=case.get("next_steps", []),
        errors=errors or {}, form=form or {}, failed_step=failed_step,
        idempotency_key=portal.form_key(request), today=SYSTEM_CLOCK.today().isoformat())


def _actor(actor: str) -> str:
    role, _, subject = actor.partition(":")
    return f"{formats.ROLE_LABELS.get(role, role)} {subject}".strip()


def relief_step(service, request: Request, application_id: str, step: str) -> Response:
    """One step's form posted: the API's own command as the signed-in person, then a 303 to the
    confirmation page; field errors re-render the case page with its 错误摘要; the service's 403
    (four eyes, or a step not theirs) is the 403 page."""
    if not portal.csrf_ok(request):
        return portal.forged(request)
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    if step not in STEP_ROUTES or not UUID_TEXT.fullmatch(application_id):
        return portal.refused(request, 404, "没有这个办理步骤", "请从工作台重新打开。")
    form = {key: request.form.get(key, "").strip() for key in request.form if key not in (
        "csrf_token",)}
    body, errors = _step_body(step, form)
    if errors:
        return _case_page(service, request, current, application_id, 400, errors, form, step)
    handler, path = STEP_ROUTES[step]
    status, reply = portal.api_write(
        service, handler, current[1],
        f"/api/v1/benefits/relief-applications/{application_id}/{path}", body,
        portal.form_key(request), application_id=application_id)
    if status in (200, 201, 202):
        return portal.redirect(f"/staff/relief/{application_id}/done?step={step}")
    if status == 403:
        log.info("portal.step_refused", path=request.path)
        return portal.refused(request, 403, "您不能办理这一步",
                              _refusal_text(reply) or "这一步须由其他人办理。")
    if status == 400:
        return _case_page(service, request, current, application_id, 400,
                          _api_errors(reply), form, step)
    if status == 404:
        return portal.refused(request, 404, "没有找到这件申请",
                              "这件申请不存在，或不在您的办理范围内。")
    return _case_page(service, request, current, application_id, 409,
                      {"step": "这件申请的状态已经变化，请刷新后再办理。"}, form, step)


def _refusal_text(reply: dict) -> str:
    message = reply.get("message") or "" if isinstance(reply, dict) else ""
    if "four eyes" in message:
        return "按照双人审核（四眼原则）规定，经办或审核过这件申请的人不能审批，须由其他审批人办理。"
    return ""


def _api_errors(reply: dict) -> dict:
    fields = reply.get("fields") or {}
    names = {"recommended_fen": "recommended", "approved_fen": "approved", "paid_fen": "paid"}
    named = ({names.get(name, name): "请检查这一项：" + "；".join(map(str, problems))
              for name, problems in fields.items()} if isinstance(fields, dict) else {})
    return named or {"step": "提交的内容没有通过检查，请核对后再提交。"}


def _fen(text: str) -> int | None:
    matched = AMOUNT.fullmatch(text.replace(",", "").replace("，", ""))
    if not matched:
        return None
    return int(matched.group(1)) * 100 + int((matched.group(2) or "0").ljust(2, "0"))


def _day(text: str) -> str | None:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _step_body(step: str, form: dict) -> tuple[dict, dict]:
    """The API request for a step's form, or the fields to fix (each with its message)."""
    errors: dict[str, str] = {}

    def money(name: str, label: str):
        value = _fen(form.get(name, ""))
        if value is None:
            errors[name] = f"请填写{label}，以元为单位，例如 3000 或 3000.50。"
        return value

    def day(name: str, label: str):
        value = _day(form.get(name, ""))
        if value is None:
            errors[name] = f"请填写{label}，格式为 2026-11-27。"
        return value

    def words(name: str, label: str, required: bool = True):
        value = form.get(name, "")
        if required and not value:
            errors[name] = f"请填写{label}。"
        elif len(value) > TEXT_MAX:
            errors[name] = f"{label}最多{TEXT_MAX}个字。"
        return value or None

    if step == "review":
        opinion = form.get("opinion")
        if opinion not in benefits_contract.OPINIONS:
            errors["opinion"] = "请选择审核意见。"
        body = {"opinion": opinion, "recommended_fen": money("recommended", "建议金额"),
                "notes": words("notes", "审核说明"),
                "notice_from": day("notice_from", "公示开始日期"),
                "notice_to": day("notice_to", "公示结束日期"),
                "objections": form.get("objections") == "yes"}
    elif step == "decide":
        decision = form.get("decision")
        if decision not in benefits_contract.DECISIONS:
            errors["decision"] = "请选择批准或不予批准。"
        body = {"decision": decision, "special": False}
        if decision == "approve":
            body["approved_fen"] = money("approved", "批准金额")
        if decision == "reject":
            body["reason"] = words("reason", "不予批准的理由")
        elif form.get("reason"):
            body["reason"] = words("reason", "理由", required=False)
    elif step == "disburse":
        body = {"paid_fen": money("paid", "发放金额"), "paid_on": day("paid_on", "发放日期"),
                "reference": words("reference", "支付凭证号")}
    else:
        body = {"note": words("note", "结案说明", required=False)}
    return body, errors


def relief_done(service, request: Request, application_id: str) -> Response:
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    if not UUID_TEXT.fullmatch(application_id):
        return portal.refused(request, 404, "没有找到这件申请", "请从工作台重新打开。")
    read, case = portal.api_read(service, "get_relief", current[1],
                                 f"/api/v1/benefits/relief-applications/{application_id}",
                                 application_id=application_id)
    if read != 200:
        return portal.refused(request, 404, "没有找到这件申请",
                              "这件申请不存在，或不在您的办理范围内。")
    step = _choice(request.args.get("step"), STEPS)
    return portal.render(request, "staff_done.html", case=case, step=STEPS.get(step or "", "办理"),
                         state=STATES.get(case["state"], case["state"]))
