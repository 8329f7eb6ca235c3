"""The veteran's own applications on the portal: hardship relief, an offered entitlement, the discharge bundle.

Each flow is plain HTML forms, so it works with JavaScript off: the form, a 请核对 page with every
answer and a 修改 link (values kept), then 确认提交, which runs the API's own write handler as the
signed-in veteran (pages.api_write: the same contract, rules and audit) and answers with a 303 to
a confirmation page that reads the new case back through the API. Each form carries its CSRF
token and an idempotency key minted when it was first rendered, so sending it twice (a double
click, a reload) makes one application.
"""
from __future__ import annotations

import re
import uuid
from datetime import date

import structlog
from werkzeug.wrappers import Request, Response

from chassis.clock import SYSTEM_CLOCK
from contracts import access
from gateway.portal import formats
from gateway.portal import pages as portal

log = structlog.get_logger("vetlife.gateway")

RELIEF_TRIGGERS = {"illness": "本人或家庭成员患重病", "long_unemployment": "长期失业",
                   "recurring_wound": "旧伤复发", "disaster": "遭受自然灾害或意外",
                   "other": "其他原因"}
# The benefits service's case states as the veteran reads them: what they did ("已提交") is never
# what the bureau did ("已办结").
RELIEF_STATES = {"applied": "已提交", "reviewed": "审批中", "approved": "已批准，待发放",
                 "rejected": "未获批准", "disbursed": "已发放", "closed": "已办结"}
ENTITLEMENT_STATES = {"applied": "已提交", "reviewed": "审批中", "approved": "已批准",
                      "active": "享受中", "paid": "已发放", "rejected": "未获批准",
                      "suspended": "已暂停", "ended": "已终止"}
CARD_STATES = {"applied": "已提交", "county_checked": "审核中", "bureau_approved": "审核中",
               "city_reviewed": "审核中", "province_filed": "制作中", "made": "待领取",
               "handed_out": "已领取", "refused": "未获批准"}
KIND_LABELS = {"disability_pension": "残疾抚恤金", "survivors_pension": "定期抚恤金",
               "living_allowance": "定期生活补助", "nursing_allowance": "护理费",
               "martyr_commendation": "烈士褒扬金", "death_pension": "一次性抚恤金",
               "card": "优待证", "relief": "困难帮扶"}
RELATIONS = {"parent": "父母", "spouse": "配偶", "child": "子女", "sibling": "兄弟姐妹"}
RANK_CLASSES = {"conscript": "义务兵", "junior_nco": "初级士官", "senior_nco": "中高级士官",
                "officer": "军官"}
PLACEMENT_MODES = {"self_employment": "自主就业", "assigned_work": "安排工作",
                   "retirement": "退休", "support": "供养", "monthly_retirement_pay": "逐月领取退役金",
                   "officer_transfer": "军官转业", "demobilisation": "复员"}
PLACEMENT_STATUSES = {
    "reported": "已报到", "forfeited": "不再安排安置", "waiting": "待安置", "scored": "已赋分",
    "post_offered": "已提供岗位，待您答复", "post_accepted": "已接受岗位", "letter_issued": "已开具介绍信",
    "on_post": "已上岗", "contracted": "已签订劳动合同", "self_employed": "自主就业",
    "subsidy_paid": "一次性经济补助已发放", "handed_over": "已移交", "awaiting_assignment": "待分配",
    "assigned": "已分配", "placed": "已安置", "closed": "已办结"}
PETITION_STATES = {
    "registered": "已登记，待受理", "accepted": "已受理，办理中", "refused": "不予受理",
    "transferred": "已转送有关部门", "routed_out": "已告知向有关机关提出", "answered": "已书面答复",
    "under_review": "复查中", "reviewed": "已复查", "under_re_review": "复核中", "final": "已办结"}
PETITION_CATEGORIES = {"placement": "安置", "benefits": "优抚", "pension": "抚恤",
                       "social_insurance": "社会保险", "employment": "就业", "medical": "医疗",
                       "housing": "住房", "honours": "荣誉", "other": "其他"}
PROXY_STATES = {"open": "代办中", "completed": "已办结", "not_completed": "未能办成"}
PROXY_MATTERS = {"benefits_application": "优抚待遇申请", "card": "优待证", "social_insurance": "社会保险",
                 "household_registration": "户口登记", "medical": "医疗", "employment": "就业",
                 "legal": "法律事务", "other": "其他事项"}
AMOUNT = re.compile(r"(\d{1,7})(?:\.(\d{1,2}))?")
CIRCUMSTANCES_MAX = 500
REASON_MAX = 200

# The API's field messages (marshmallow's English) as a form shows them, by the form's labels.
_MISSING = ("Missing data for required field.", "Field may not be null.")


def _catalogue() -> tuple[dict, ...]:
    """The bundle's matters, for the leave-out choices (a key the service does not know is
    refused by its contract, never silently dropped)."""
    return tuple({"key": key, "title": title} for key, title in formats.matter_titles().items())


# -- shared ---------------------------------------------------------------------------------------

def _signed_in(service, request: Request, page: str):
    """(principal, token) of a veteran who may open `page`, or the response to send instead."""
    current = portal.session(service, request)
    if current is None:
        return None, portal.redirect("/signin")
    if not access.page_grants(page, current[0].roles):
        return None, portal.refused(request, 403, "此页面不对您的角色开放",
                                    "这是退役军人本人办理的页面。")
    return current, None


def fen_from(text: str) -> int | None:
    """An amount typed in yuan ("2000", "2,000.5", "¥2000.50") as integer fen; None if it is not one."""
    cleaned = text.strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
    match = AMOUNT.fullmatch(cleaned)
    if match is None:
        return None
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def api_field_errors(reply: dict, labels: dict[str, str]) -> dict[str, str]:
    """The API's refusal as one Chinese message per form field (the rest under "form")."""
    errors: dict[str, str] = {}
    for name, messages in (reply.get("fields") or {}).items():
        key = name if name in labels else "form"
        label = labels.get(name, "")
        text = " ".join(messages) if isinstance(messages, list) else str(messages)
        errors[key] = f"请填写{label}。" if text in _MISSING else f"{label}填写有误，请核对。"
    if not errors:
        errors["form"] = "提交没有成功，请核对后重新提交。"
    return errors


def _refusal(request: Request, status: int, reply: dict) -> Response:
    if status == 403:
        return portal.refused(request, 403, "您不能办理此事项", "您的账号不能办理这个事项。")
    if status == 404:
        return portal.refused(request, 404, "没有找到", "没有找到这个事项，或者它不属于您。")
    if status in (503, 504):
        return portal.refused(request, 503, "暂时无法办理",
                              "系统暂时无法办理，请稍后重试。您的申请没有提交。")
    log.warning("portal.write_refused", status=status, error=reply.get("error"))
    return portal.refused(request, 409, "无法办理", "这个事项现在无法办理，请返回查看最新状态。")


# -- hardship relief 困难帮扶 ----------------------------------------------------------------------

RELIEF_LABELS = {"trigger": "申请原因", "amount": "申请金额", "amount_asked_fen": "申请金额",
                 "circumstances": "困难情况说明"}


def _relief_form(request: Request) -> tuple[dict, dict]:
    form = {key: request.form.get(key, "").strip() for key in ("trigger", "amount", "circumstances")}
    errors = {}
    if form["trigger"] not in RELIEF_TRIGGERS:
        errors["trigger"] = "请选择申请原因。"
    fen = fen_from(form["amount"])
    if fen is None or fen < 100:
        errors["amount"] = "请填写申请金额，以元为单位，例如 2000 或 2000.50，不少于1元。"
    if not form["circumstances"]:
        errors["circumstances"] = "请说明困难情况。"
    elif len(form["circumstances"]) > CIRCUMSTANCES_MAX:
        errors["circumstances"] = f"困难情况说明不能超过{CIRCUMSTANCES_MAX}字。"
    form["amount_fen"] = fen
    return form, errors


def relief_new(service, request: Request) -> Response:
    """GET /relief/new, and POST it: the form, then the 请核对 page."""
    current, refusal = _signed_in(service, request, "veteran_relief")
    if refusal:
        return refusal
    if request.method == "GET":
        return portal.render(request, "relief_form.html", form={}, errors={},
                             triggers=RELIEF_TRIGGERS, key=portal.form_key(request))
    if not portal.csrf_ok(request):
        return portal.forged(request)
    form, errors = _relief_form(request)
    key = portal.form_key(request)
    if errors or request.form.get("step") == "change":
        return portal.render(request, "relief_form.html", status=400 if errors else 200,
                             form=form, errors=errors, triggers=RELIEF_TRIGGERS, key=key)
    return portal.render(request, "relief_check.html", form=form, triggers=RELIEF_TRIGGERS,
                         key=key)


def relief_submit(service, request: Request) -> Response:
    """POST /relief/submit: the checked answers, to the API's apply_relief."""
    current, refusal = _signed_in(service, request, "veteran_relief")
    if refusal:
        return refusal
    if not portal.csrf_ok(request):
        return portal.forged(request)
    principal, token = current
    form, errors = _relief_form(request)
    key = portal.form_key(request)
    if errors:
        return portal.render(request, "relief_form.html", status=400, form=form, errors=errors,
                             triggers=RELIEF_TRIGGERS, key=key)
    status, reply = portal.api_write(service, "apply_relief", token,
                                     "/api/v1/benefits/relief-applications", {
                                         "veteran_id": principal.veteran_id,
                                         "trigger": form["trigger"],
                                         "amount_asked_fen": form["amount_fen"],
                                         "circumstances": form["circumstances"]}, key)
    if status in (400, 422):
        return portal.render(request, "relief_form.html", status=400, form=form,
                             errors=api_field_errors(reply, RELIEF_LABELS),
                             triggers=RELIEF_TRIGGERS, key=key)
    if status not in (200, 201):
        return _refusal(request, status, reply)
    log.info("portal.relief_applied", replayed=reply.get("replayed", False))
    return portal.redirect(f"/relief/{reply['id']}")


def relief_page(service, request: Request, application_id: str) -> Response:
    """GET /relief/<id>: the confirmation and, later, where the application stands."""
    current, refusal = _signed_in(service, request, "veteran_relief")
    if refusal:
        return refusal
    _, token = current
    try:
        application_id = str(uuid.UUID(application_id))
    except ValueError:
        return portal.refused(request, 404, "没有找到", "没有找到这个申请。")
    status, relief = portal.api_read(service, "get_relief", token,
                                     f"/api/v1/benefits/relief-applications/{application_id}",
                                     application_id=application_id)
    if status != 200:
        return _refusal(request, status, relief)
    return portal.render(request, "relief_page.html", relief=relief, triggers=RELIEF_TRIGGERS,
                         state=RELIEF_STATES.get(relief["state"], relief["state"]))


# -- an offered entitlement 主动告知的待遇 ----------------------------------------------------------

OFFER_LABELS = {"answer": "您的答复", "reason": "不需要的原因", "relation": "与烈士（牺牲、病故军人）的关系",
                "trigger": "申请原因", "amount_asked_fen": "申请金额", "amount": "申请金额",
                "circumstances": "困难情况说明"}


def _offer_form(request: Request, offer: dict) -> tuple[dict, dict, dict]:
    """(form as typed, errors, the API body)."""
    form = {key: request.form.get(key, "").strip()
            for key in ("answer", "reason", "relation", "trigger", "amount", "circumstances")}
    errors: dict[str, str] = {}
    body: dict = {}
    if form["answer"] not in ("confirm", "decline"):
        errors["answer"] = "请选择需要或不需要。"
    body["answer"] = form["answer"]
    if form["answer"] == "decline":
        if len(form["reason"]) > REASON_MAX:
            errors["reason"] = f"原因不能超过{REASON_MAX}字。"
        body["reason"] = form["reason"] or None
    elif form["answer"] == "confirm" and offer["kind"] == "survivors_pension":
        if form["relation"] not in RELATIONS:
            errors["relation"] = "请选择您与烈士（牺牲、病故军人）的关系。"
        body["relation"] = form["relation"]
    elif form["answer"] == "confirm" and offer["kind"] == "relief":
        if form["trigger"] not in RELIEF_TRIGGERS:
            errors["trigger"] = "请选择申请原因。"
        fen = fen_from(form["amount"])
        if fen is None or fen < 100:
            errors["amount"] = "请填写申请金额，以元为单位，例如 2000 或 2000.50，不少于1元。"
        if not form["circumstances"] or len(form["circumstances"]) > CIRCUMSTANCES_MAX:
            errors["circumstances"] = f"请说明困难情况（{CIRCUMSTANCES_MAX}字以内）。"
        body.update(trigger=form["trigger"], amount_asked_fen=fen,
                    circumstances=form["circumstances"])
    return form, errors, body


def _read_offer(service, request, token, offer_id):
    try:
        offer_id = str(uuid.UUID(offer_id))
    except ValueError:
        return None, portal.refused(request, 404, "没有找到", "没有找到这项待遇告知。")
    status, offer = portal.api_read(service, "get_offer", token,
                                    f"/api/v1/benefits/offers/{offer_id}", offer_id=offer_id)
    if status != 200:
        return None, _refusal(request, status, offer)
    return offer, None


def offer_page(service, request: Request, offer_id: str) -> Response:
    """GET /offers/<id>: what is offered and why, the answer form (or the answer given)."""
    current, refusal = _signed_in(service, request, "veteran_offer")
    if refusal:
        return refusal
    offer, refusal = _read_offer(service, request, current[1], offer_id)
    if refusal:
        return refusal
    return _offer_render(request, offer, {}, {}, portal.form_key(request))


def _offer_render(request, offer, form, errors, key, status=200):
    return portal.render(request, "offer_page.html", status=status, offer=offer, form=form,
                         errors=errors, key=key, kind=KIND_LABELS.get(offer["kind"], offer["kind"]),
                         relations=RELATIONS, triggers=RELIEF_TRIGGERS)


def offer_answer(service, request: Request, offer_id: str) -> Response:
    """POST /offers/<id>: the answer, to the API's answer_offer; then the same page, answered."""
    current, refusal = _signed_in(service, request, "veteran_offer")
    if refusal:
        return refusal
    if not portal.csrf_ok(request):
        return portal.forged(request)
    offer, refusal = _read_offer(service, request, current[1], offer_id)
    if refusal:
        return refusal
    form, errors, body = _offer_form(request, offer)
    key = portal.form_key(request)
    if errors:
        return _offer_render(request, offer, form, errors, key, status=400)
    status, reply = portal.api_write(service, "answer_offer", current[1],
                                     f"/api/v1/benefits/offers/{offer['offer_id']}/answer", body,
                                     key, offer_id=offer["offer_id"])
    if status in (400, 422):
        return _offer_render(request, offer, form, api_field_errors(reply, OFFER_LABELS), key,
                             status=400)
    if status == 409:
        # Answered already (by the station, or in another tab): the page shows the answer.
        return portal.redirect(f"/offers/{offer['offer_id']}")
    if status not in (200, 201):
        return _refusal(request, status, reply)
    log.info("portal.offer_answered", answer=body["answer"], replayed=reply.get("replayed", False))
    return portal.redirect(f"/offers/{offer['offer_id']}")


# -- the discharge bundle 军人退役一件事 ------------------------------------------------------------

BUNDLE_LABELS = {"discharge_approved_on": "退役批准日期", "rank_class": "退役时的身份",
                 "years_of_service": "服役年限", "placement_mode": "安置方式",
                 "leave_out": "不在此办理的事项", "reason": "不在此办理的原因"}


def _bundle_form(request: Request, matters: list[dict]) -> tuple[dict, dict]:
    form = {key: request.form.get(key, "").strip()
            for key in ("discharge_approved_on", "rank_class", "years_of_service",
                        "placement_mode", "reason")}
    keys = {m["key"] for m in matters}
    form["leave_out"] = [k for k in request.form.getlist("leave_out") if k in keys]
    errors = {}
    try:
        approved = date.fromisoformat(form["discharge_approved_on"])
        if approved > SYSTEM_CLOCK.today():
            errors["discharge_approved_on"] = "退役批准日期不能晚于今天。"
    except ValueError:
        errors["discharge_approved_on"] = "请按“年-月-日”填写退役批准日期，例如 2026-11-02。"
    if form["rank_class"] not in RANK_CLASSES:
        errors["rank_class"] = "请选择退役时的身份。"
    if not (form["years_of_service"].isdigit() and 0 <= int(form["years_of_service"]) <= 50):
        errors["years_of_service"] = "请填写服役年限（0至50的整数）。"
    if form["placement_mode"] not in PLACEMENT_MODES:
        errors["placement_mode"] = "请选择安置方式。"
    if len(form["reason"]) > REASON_MAX:
        errors["reason"] = f"原因不能超过{REASON_MAX}字。"
    return form, errors


def _bundle_render(request, template, form, errors, key, status=200):
    matters = _catalogue()
    return portal.render(request, template, status=status, form=form, errors=errors, key=key,
                         matters=matters, titles={m["key"]: m["title"] for m in matters},
                         ranks=RANK_CLASSES, modes=PLACEMENT_MODES)


def bundle_new(service, request: Request) -> Response:
    """GET /bundle/new, and POST it: the form, then the 请核对 page."""
    current, refusal = _signed_in(service, request, "veteran_bundle")
    if refusal:
        return refusal
    if request.method == "GET":
        return _bundle_render(request, "bundle_form.html", {"leave_out": []}, {},
                              portal.form_key(request))
    if not portal.csrf_ok(request):
        return portal.forged(request)
    form, errors = _bundle_form(request, _catalogue())
    key = portal.form_key(request)
    if errors or request.form.get("step") == "change":
        return _bundle_render(request, "bundle_form.html", form, errors, key,
                              status=400 if errors else 200)
    return _bundle_render(request, "bundle_check.html", form, {}, key)


def bundle_submit(service, request: Request) -> Response:
    """POST /bundle/submit: the checked answers, to the API's submit_bundle; then the home page's
    task list, which shows each matter as the departments take it up."""
    current, refusal = _signed_in(service, request, "veteran_bundle")
    if refusal:
        return refusal
    if not portal.csrf_ok(request):
        return portal.forged(request)
    form, errors = _bundle_form(request, _catalogue())
    key = portal.form_key(request)
    if errors:
        return _bundle_render(request, "bundle_form.html", form, errors, key, status=400)
    body = {"discharge_approved_on": form["discharge_approved_on"],
            "rank_class": form["rank_class"], "years_of_service": int(form["years_of_service"]),
            "placement_mode": form["placement_mode"],
            "leave_out": [{"matter": k, "reason": form["reason"] or None}
                          for k in form["leave_out"]]}
    status, reply = portal.api_write(service, "submit_bundle", current[1], "/api/v1/bundles",
                                     body, key)
    if status in (400, 422):
        return _bundle_render(request, "bundle_form.html", form,
                              api_field_errors(reply, BUNDLE_LABELS), key, status=400)
    if status == 409:
        return portal.refused(request, 409, "已经提交过申请",
                              "您已有一份办理中的“军人退役一件事”申请，请在首页查看进度。")
    if status not in (200, 201):
        return _refusal(request, status, reply)
    log.info("portal.bundle_submitted", replayed=reply.get("replayed", False))
    return portal.redirect(f"/bundle/{reply['bundle_id']}/submitted")


def bundle_submitted(service, request: Request, bundle_id: str) -> Response:
    """GET /bundle/<id>/submitted: the receipt, with the bundle's number and what happens next."""
    current, refusal = _signed_in(service, request, "veteran_bundle")
    if refusal:
        return refusal
    try:
        bundle_id = str(uuid.UUID(bundle_id))
    except ValueError:
        return portal.refused(request, 404, "没有找到", "没有找到这份申请。")
    status, bundle = portal.api_read(service, "get_bundle", current[1],
                                     f"/api/v1/bundles/{bundle_id}", bundle_id=bundle_id)
    if status != 200:
        return _refusal(request, status, bundle)
    matters = [m for m in bundle.get("matters", []) if m["status"] in formats.MATTER_LABELS]
    return portal.render(request, "bundle_submitted.html", bundle=bundle, matters=matters)


# -- what the home page shows of them -----------------------------------------------------------

def applications(service, token: str, veteran_id: str) -> dict:
    """The veteran's cases in every service and what they must do, for the home page. Each
    service's part fails on its own, as the rest of the page does: `unavailable` names the parts
    that could not be read, and the rest is shown."""
    cases, actions, unavailable = [], [], []
    for part, read in (("优抚和困难帮扶", _benefits_cases), ("安置", _placement_cases),
                       ("信访", _petition_cases), ("代办", _proxy_cases)):
        found = read(service, token, veteran_id)
        if found is None:
            unavailable.append(part)
            continue
        cases += found[0]
        actions += found[1]
    return {"status": 200, "cases": cases, "actions": actions, "unavailable": unavailable}


def _next_deadline(deadlines: list[dict]) -> dict | None:
    """The earliest clock still running or run out unmet: what the case waits on next."""
    open_ = [d for d in deadlines if d["state"] in ("pending", "overdue")]
    return min(open_, key=lambda d: d["due_on"]) if open_ else None


def _placement_cases(service, token, veteran_id):
    status, eligibility = portal.api_read(
        service, "placement_eligibility", token,
        f"/api/v1/veterans/{veteran_id}/placement-eligibility", veteran_id=veteran_id)
    if status == 404:
        return [], []
    if status != 200:
        return None
    case_id = eligibility["case_id"]
    status, case = portal.api_read(service, "get_placement_case", token,
                                   f"/api/v1/placement/cases/{case_id}", case_id=case_id)
    if status != 200:
        return None
    due = _next_deadline(case.get("deadlines", []))
    return [{"title": "退役安置", "state": PLACEMENT_STATUSES.get(case["status"], case["status"]),
             "applied_on": case["report_in"]["reported_on"],
             "due_on": due["due_on"] if due else None,
             "overdue": bool(case.get("overdue")) or bool(due and due["state"] == "overdue"),
             "href": None, "amount": None}], []


def _petition_cases(service, token, veteran_id):
    status, listed = portal.api_read(service, "list_petitions", token, "/api/v1/disputes/petitions",
                                     {"veteran_id": veteran_id, "page_size": "50"})
    if status != 200:
        return None
    cases = []
    for row in listed["items"]:
        due = row["intake_due_on"] if row["state"] == "registered" else row.get("opinion_due_on")
        cases.append({
            "title": f"信访（{PETITION_CATEGORIES.get(row['category'], row['category'])}）",
            "state": PETITION_STATES.get(row["state"], row["state"]),
            "applied_on": row["received_on"], "due_on": None if row["state"] == "final" else due,
            "overdue": bool(row.get("overdue")), "href": None, "amount": None})
    return cases, []


def _proxy_cases(service, token, veteran_id):
    status, listed = portal.api_read(service, "list_proxy_cases", token,
                                     "/api/v1/disputes/proxy-cases",
                                     {"veteran_id": veteran_id, "page_size": "50"})
    if status != 200:
        return None
    return [{"title": f"代办（{PROXY_MATTERS.get(row['matter_kind'], row['matter_kind'])}）",
             "state": PROXY_STATES.get(row["state"], row["state"]), "applied_on": row["opened_on"],
             "due_on": None, "overdue": False, "href": None, "amount": None}
            for row in listed["items"] if row["veteran_id"] == veteran_id], []


def _benefits_cases(service, token, veteran_id):
    status, benefits = portal.api_read(service, "veteran_benefits", token,
                                       f"/api/v1/benefits/veterans/{veteran_id}",
                                       veteran_id=veteran_id)
    if status == 404:
        return [], []
    if status != 200:
        return None
    cases = [{"title": f"困难帮扶（{RELIEF_TRIGGERS.get(r['trigger'], r['trigger'])}）",
              "state": RELIEF_STATES.get(r["state"], r["state"]), "applied_on": r["applied_on"],
              "due_on": None, "overdue": False, "href": f"/relief/{r['application_id']}",
              "amount": r.get("paid_fen") or r.get("approved_fen") or r["amount_asked_fen"]}
             for r in benefits.get("relief", [])]
    cases += [{"title": KIND_LABELS.get(e["kind"], e["kind"]),
               "state": ENTITLEMENT_STATES.get(e["state"], e["state"]),
               "applied_on": e["applied_on"], "due_on": e.get("confirmation_due_on"),
               "overdue": e.get("confirmation_overdue", False), "href": None,
               "amount": e.get("amount_fen")} for e in benefits.get("entitlements", [])]
    card = benefits.get("card")
    if card:
        cases.append({"title": "优待证", "state": CARD_STATES.get(card["state"], card["state"]),
                      "applied_on": card["applied_on"],
                      "due_on": card.get("handout_due_on") or card.get("filing_due_on"),
                      "overdue": card.get("overdue", False), "href": None, "amount": None})
    actions = [{"what": f"答复是否需要{KIND_LABELS.get(o['kind'], o['kind'])}",
                "due_on": o["answer_due_on"], "overdue": o.get("overdue", False),
                "href": f"/offers/{o['offer_id']}"}
               for o in benefits.get("offers", []) if o["state"] == "open"]
    return cases, actions
