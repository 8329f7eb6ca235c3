"""The workbench's placement queues (安置) and a placement case's page with its timeline and steps.

Like the relief pages (gateway/portal/staff.py) it reads and writes only through the API's own
handlers: the queues are placement's `queue=mine|others|done`, sorted and paged by the service;
which step forms a case page shows is the case read's `next_steps` for the caller; each step is
the API's own command, sent with the case's version as If-Match (a case changed meanwhile is a
409, shown as such). The statutory clocks here run in calendar days (six months, thirty days:
docs/placement.md), so the marks count days, not working days.
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

VIEW = "placement"
PAGE_SIZE = 15
# Seven calendar days or fewer left on a clock: the case stands out as 即将到期.
NEAR_DEADLINE_DAYS = 7
QUEUES = {"mine": "待我办理", "others": "待他人处理", "done": "已办结"}
SORTS = {"state_since": "等待天数", "reported_on": "报到日期", "due_on": "期限"}
KINDS = {"soldier": "退役士兵", "officer": "退役军官", "spouse": "随调配偶"}
MODES = {"self_employment": "自主就业", "assigned_work": "安排工作", "retirement": "退休",
         "support": "供养", "monthly_retirement_pay": "逐月领取退役金",
         "officer_transfer": "军官转业", "demobilisation": "复员"}
# A case's status as the placement desk says it: what it waits on.
STATUSES = {
    "reported": "已报到，待选择安置方式", "forfeited": "已丧失安置待遇，待结案",
    "waiting": "待安排，待赋分", "scored": "已赋分，待提供岗位", "post_offered": "已提供岗位，待本人答复",
    "post_accepted": "已接受岗位，待开具介绍信", "letter_issued": "已开具介绍信，待上岗",
    "on_post": "已上岗，待签订合同", "contracted": "已签订合同，待结案",
    "self_employed": "自主就业，待发放一次性经济补助", "subsidy_paid": "补助已发放，待移交就业部门",
    "handed_over": "已移交，待结案", "awaiting_assignment": "待分配", "assigned": "已分配，待安置",
    "placed": "已安置，待结案", "closed": "已办结"}
POST_KINDS = {"administrative": "行政机关", "institution": "事业单位", "enterprise": "国有企业"}
METHODS = {"examination_and_assessment": "考试考核", "two_way_selection": "双向选择",
           "direct_selection": "直接选调", "score_based_choice": "赋分选岗"}
CLOCKS = {"placement": "安置期限（6个月，条例第31条）", "on_post": "上岗期限（30日，条例第75条）"}
CLOCK_STATES = {"pending": "计时中", "met": "已完成", "overdue": "已超期", "cancelled": "已取消"}
EVENTS = {
    "ReportedIn": "报到", "FactsAmended": "修改安置依据", "PlacementForfeited": "丧失安置待遇",
    "LateReasonRecorded": "记录逾期报到的正当理由", "ModeChosen": "选择安置方式",
    "SubsidyAssessed": "核定一次性经济补助", "SubsidyPaid": "发放一次性经济补助",
    "HandedToEmployment": "移交就业部门", "Scored": "赋分", "PostOffered": "提供岗位",
    "PostAccepted": "接受岗位", "PostDeclined": "拒绝岗位", "ReferralLetterIssued": "开具介绍信",
    "Placed": "安置完成", "OnPostRecorded": "上岗", "ContractRecorded": "签订劳动（聘用）合同",
    "TransferAssigned": "确定转业安置方式", "SpouseReceived": "接收随调配偶",
    "SpouseLinked": "关联随调配偶", "PlacementOverdue": "安置期限已过（系统）",
    "OnPostOverdue": "上岗期限已过（系统）", "CaseClosed": "结案"}

# Each step's form: its title, its button, and its fields (name, label, kind, choices,
# required). The step's name is its API route's last path segment; `may` is the API operation.
STEP_FORMS = {
    "mode": ("记录安置方式", "确认安置方式", [("mode", "安置方式（本人选择，只列出条件允许的方式）",
                                         "radio", "allowed_modes", True)]),
    "late-reason": ("记录逾期报到的正当理由", "记录理由", [
        ("reason", "正当理由（记录后恢复安置待遇）", "textarea", None, True)]),
    "score": ("赋分", "提交赋分", [("points", "分数（0–100000）", "integer", None, True)]),
    "post-offer": ("提供岗位", "提供这个岗位", [("post_id", "岗位（只列出有空缺的岗位）", "select", "posts",
                                          True)]),
    "post-acceptance": ("记录：本人接受岗位", "记录接受", []),
    "post-declination": ("记录：本人拒绝岗位", "记录拒绝", [
        ("good_reason", "正当理由（没有正当理由拒绝的，视为放弃安置，条例第34条）", "textarea", None,
         False)]),
    "prosecution": ("待安排期间被依法追究刑事责任", "取消安排工作", [
        ("detail", "情况说明（可不填）", "textarea", None, False)]),
    "referral-letter": ("开具介绍信", "确认已开具", [
        ("letter_number", "介绍信编号", "text", None, True),
        ("issued_on", "开具日期（如 2026-11-27）", "date", None, True)]),
    "on-post": ("记录上岗", "确认已上岗", [("on_post_on", "上岗日期（如 2026-11-27）", "date", None,
                                        True)]),
    "contract": ("记录劳动（聘用）合同", "确认合同", [
        ("signed_on", "签订日期（如 2026-11-27）", "date", None, True),
        ("term_years", "合同期限（年，不少于3年；无固定期限的不填）", "integer", None, False),
        ("open_ended", "无固定期限合同", "checkbox", None, False)]),
    "subsidy-payment": ("发放一次性经济补助", "确认已发放", [
        ("paid_on", "发放日期（如 2026-11-27）", "date", None, True),
        ("reference", "支付凭证号", "text", None, True)]),
    "employment-handover": ("移交就业部门", "确认移交并结案", []),
    "assignment": ("确定转业安置方式", "确认分配", [
        ("method", "安置方式（条例第15条）", "select", "methods", True),
        ("planned_kind", "拟安置岗位类别", "select", "post_kinds", True)]),
    "placement": ("记录安置完成", "确认已安置", [
        ("post_kind", "岗位类别", "select", "post_kinds", True),
        ("unit", "接收单位", "text", None, True),
        ("placed_on", "到岗日期（如 2026-11-27）", "date", None, True)]),
    "closure": ("结案", "结案", []),
}
STEP_DONE = {step: title for step, (title, _, _) in STEP_FORMS.items()}
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TEXT_MAX = 500


def _choice(value, allowed):
    return value if value in allowed else None


def _may_list(principal) -> bool:
    return bool(access.grants("list_placement_cases", principal.roles))


# -- marks --------------------------------------------------------------------------------------

def calendar_deadline(due_on, today: date) -> dict | None:
    """剩余N天 / 今天到期 / 已超期N天 for a clock counted in calendar days; `near` marks seven
    days or fewer."""
    if not due_on:
        return None
    due = date.fromisoformat(due_on) if isinstance(due_on, str) else due_on
    if due < today:
        return {"key": "overdue", "label": f"已超期{(today - due).days}天", "near": False,
                "overdue": True}
    if due == today:
        return {"key": "near", "label": "今天到期", "near": True, "overdue": False}
    left = (due - today).days
    near = left <= NEAR_DEADLINE_DAYS
    return {"key": "near" if near else "open",
            "label": f"剩余{left}天" + ("（即将到期）" if near else ""), "near": near,
            "overdue": False}


# -- the queues on the workbench ----------------------------------------------------------------

def query_of(args) -> dict:
    return {"queue": _choice(args.get("queue"), QUEUES) or "mine",
            "sort": _choice(args.get("sort"), SORTS) or "due_on",
            "order": _choice(args.get("order"), ("asc", "desc")) or "asc",
            "kind": _choice(args.get("kind"), KINDS) or "",
            "station": (args.get("station") or "").strip()[:100],
            "page": formats.page_number(args.get("page"))}


def _api_query(query: dict, **overrides) -> dict:
    sent = {"queue": query["queue"], "sort": query["sort"], "order": query["order"],
            "page": str(query["page"]), "page_size": str(PAGE_SIZE)}
    for name in ("kind", "station"):
        if query[name]:
            sent[name] = query[name]
    sent.update({key: str(value) for key, value in overrides.items()})
    return sent


def _link(query: dict, **changes) -> str:
    merged = {"list": VIEW, **{k: query[k] for k in ("queue", "sort", "order", "kind", "station",
                                                      "page")}, **changes}
    return "/staff?" + urlencode({k: v for k, v in merged.items() if v not in ("", None)})


def tabs(service, principal, token, current: bool, query: dict) -> list[dict]:
    """A tab per placement queue with its count, for whoever reads the placement list."""
    if not _may_list(principal):
        return []
    out = []
    for queue, label in QUEUES.items():
        status, listed = portal.api_read(service, "list_placement_cases", token,
                                         "/api/v1/placement/cases",
                                         {"queue": queue, "page_size": "1"})
        out.append({"label": f"安置 · {label}",
                    "count": listed.get("total") if status == 200 else None,
                    "href": "/staff?" + urlencode({"list": VIEW, "queue": queue}),
                    "current": current and query["queue"] == queue})
    return out


def may_open(principal) -> bool:
    return _may_list(principal)


def listing(service, token, query: dict, today: date) -> dict:
    """The placement part of the workbench's context: one page of the chosen queue."""
    status, listed = portal.api_read(service, "list_placement_cases", token,
                                     "/api/v1/placement/cases", _api_query(query))
    links = {}
    for column in SORTS:
        on = query["sort"] == column
        order = ("desc" if query["order"] == "asc" else "asc") if on else "asc"
        links[column] = {"href": _link(query, sort=column, order=order, page=1),
                         "aria": ("ascending" if query["order"] == "asc" else "descending")
                         if on else None}
    context = {"list_status": status, "title": f"安置 · {QUEUES[query['queue']]}",
               "pq": query, "placement_queues": QUEUES, "placement_sorts": SORTS,
               "placement_kinds": KINDS, "placement_links": links, "rows": [], "total": 0,
               "pager": None}
    if status == 200:
        total, page = listed["total"], query["page"]
        context.update(
            rows=[_row(item, today) for item in listed["items"]], total=total,
            pager=formats.pager(page, total, lambda number: _link(query, page=number),
                                PAGE_SIZE))
    return context


def _row(item: dict, today: date) -> dict:
    since = item.get("state_since")
    waited = (today - date.fromisoformat(since)).days if since else None
    mark = calendar_deadline(item.get("due_on"), today)
    if mark is None and item.get("overdue"):
        mark = {"key": "overdue", "label": "有期限已超期", "near": False, "overdue": True}
    next_step = item.get("next_step")
    return {"href": f"/staff/placement/{item['case_id']}", "short": item["case_id"][:8],
            "kind": KINDS.get(item["kind"], item["kind"]), "station": item["service_station"],
            "mode": MODES.get(item.get("mode") or "", "—"),
            "status": STATUSES.get(item["status"], item["status"]),
            "next_step": STEP_FORMS[next_step][0] if next_step in STEP_FORMS else "—",
            "yours": item.get("yours"), "reported_on": item["reported_on"], "waited": waited,
            "due_on": item.get("due_on"), "deadline": mark}


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
    return portal.api_read(service, "get_placement_case", token,
                           f"/api/v1/placement/cases/{case_id}", case_id=case_id)


def case_page(service, request: Request, case_id: str) -> Response:
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    return _case_page(service, request, current, case_id)


def _case_page(service, request: Request, current, case_id: str, status: int = 200,
               errors: dict | None = None, form: dict | None = None,
               failed_step: str | None = None, notice: str | None = None) -> Response:
    principal, token = current
    if not UUID_TEXT.fullmatch(case_id):
        return portal.refused(request, 404, "没有找到这件安置案件", "请从工作台重新打开。")
    read, case = _read(service, token, case_id)
    if read in (403, 404):
        return portal.refused(request, 404, "没有找到这件安置案件",
                              "这件案件不存在，或不在您的办理范围内。")
    if read != 200:
        return portal.refused(request, 503, "暂时无法读取这件安置案件", "请稍后刷新页面。")
    today = SYSTEM_CLOCK.today()
    next_steps = [step for step in case.get("next_steps", []) if step in STEP_FORMS]
    choices = {"allowed_modes": {m: MODES.get(m, m) for m in case.get("allowed_modes", [])},
               "methods": METHODS, "post_kinds": POST_KINDS, "posts": {}}
    if "post-offer" in next_steps:
        choices["posts"] = _free_posts(service, token)
    timeline = [{"at": h["at"], "what": EVENTS.get(h["event_type"], h["event_type"]),
                 "who": _actor(h["actor"])} for h in reversed(case.get("history", []))]
    clocks = [{"name": CLOCKS.get(d["name"], d["name"]), "due_on": d["due_on"],
               "state": CLOCK_STATES.get(d["state"], d["state"]),
               "mark": calendar_deadline(d["due_on"], today) if d["state"] in (
                   "pending", "overdue") else None}
              for d in case.get("deadlines", []) if d["state"] != "cancelled"]
    forms = [{"step": step, "title": STEP_FORMS[step][0], "button": STEP_FORMS[step][1],
              "fields": [{"name": name, "label": label, "kind": kind,
                          "choices": choices.get(source, {}) if source else None,
                          "required": required}
                         for name, label, kind, source, required in STEP_FORMS[step][2]]}
             for step in next_steps]
    return portal.render(
        request, "staff_placement_case.html", status=status, case=case, timeline=timeline,
        clocks=clocks, forms=forms, statuses=STATUSES, kinds=KINDS, modes=MODES,
        post_kinds=POST_KINDS, errors=errors or {}, form=form or {}, failed_step=failed_step,
        notice=notice, idempotency_key=portal.form_key(request), today=today.isoformat())


def _free_posts(service, token) -> dict:
    status, listed = portal.api_read(service, "list_post_quotas", token,
                                     "/api/v1/placement/posts", {"open": "true"})
    if status != 200:
        return {}
    return {p["post_id"]: f"{p['unit']} · {p['title']}（{POST_KINDS.get(p['post_kind'], '')}，"
                          f"{p['year']}年，空缺{p['free']}个）" for p in listed["items"]}


def _actor(actor: str) -> str:
    role, _, subject = actor.partition(":")
    if role == "system":
        return "系统"
    return f"{formats.ROLE_LABELS.get(role, role)} {subject}".strip()


def _body(step: str, form: dict) -> tuple[dict, dict]:
    """The API request for a step's form, or the fields to fix (each with its message)."""
    errors: dict[str, str] = {}
    body: dict = {}
    for name, label, kind, _, required in STEP_FORMS[step][2]:
        value = form.get(name, "")
        bare = label.split("（")[0]
        if kind == "checkbox":
            body[name] = value == "yes"
            continue
        if not value:
            if required:
                errors[name] = f"请{'选择' if kind in ('radio', 'select') else '填写'}{bare}。"
            continue
        if kind == "date":
            try:
                body[name] = date.fromisoformat(value).isoformat()
            except ValueError:
                errors[name] = f"{bare}须为日期，格式如 2026-11-27。"
        elif kind == "integer":
            if value.isdigit() and len(value) <= 6:
                body[name] = int(value)
            else:
                errors[name] = f"{bare}须为整数。"
        elif len(value) > TEXT_MAX:
            errors[name] = f"{bare}最多{TEXT_MAX}个字。"
        else:
            body[name] = value
    if step == "contract" and not body.get("open_ended") and "term_years" not in body \
            and "term_years" not in errors:
        errors["term_years"] = "请填写合同期限，或选择无固定期限合同。"
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
        service, _HANDLERS[step_name], current[1],
        f"/api/v1/placement/cases/{case_id}/{step_name}", body, portal.form_key(request),
        if_match=f'"{version}"' if version.isdigit() else None, case_id=case_id)
    if status in (200, 201, 202):
        return portal.redirect(f"/staff/placement/{case_id}/done?step={step_name}")
    if status == 403:
        log.info("portal.step_refused", path=request.path)
        return portal.refused(request, 403, "您不能办理这一步", "这一步须由安置科工作人员办理。")
    if status == 404:
        return portal.refused(request, 404, "没有找到这件安置案件",
                              "这件案件不存在，或不在您的办理范围内。")
    if status in (400, 422):
        fields = reply.get("fields") if isinstance(reply, dict) else None
        named = {name: "请检查这一项：" + "；".join(map(str, problems))
                 for name, problems in (fields or {}).items()
                 if any(name == f[0] for f in STEP_FORMS[step_name][2])}
        return _case_page(service, request, current, case_id, 400,
                          named or {"step": "提交的内容没有通过检查，请核对后再提交。"}, form,
                          step_name)
    return _case_page(service, request, current, case_id, 409, None, form, step_name,
                      notice="这件案件已被他人办理或状态已经变化，请核对后再办理。")


# The gateway handler behind each step route (contracts/placement.py ROUTES).
_HANDLERS = {
    "mode": "choose_placement_mode", "late-reason": "record_late_reason",
    "score": "score_placement_case", "post-offer": "offer_post", "post-acceptance": "accept_post",
    "post-declination": "decline_post", "prosecution": "forfeit_for_prosecution",
    "referral-letter": "issue_referral_letter", "on-post": "record_on_post",
    "contract": "record_contract", "subsidy-payment": "pay_subsidy",
    "employment-handover": "hand_over_to_employment", "assignment": "assign_transfer",
    "placement": "record_placement", "closure": "close_placement_case"}


def done(service, request: Request, case_id: str) -> Response:
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    if not UUID_TEXT.fullmatch(case_id):
        return portal.refused(request, 404, "没有找到这件安置案件", "请从工作台重新打开。")
    read, case = _read(service, current[1], case_id)
    if read != 200:
        return portal.refused(request, 404, "没有找到这件安置案件",
                              "这件案件不存在，或不在您的办理范围内。")
    step_name = _choice(request.args.get("step"), STEP_FORMS)
    return portal.render(request, "staff_placement_done.html", case=case,
                         step=STEP_DONE.get(step_name or "", "办理"),
                         state=STATUSES.get(case["status"], case["status"]))
