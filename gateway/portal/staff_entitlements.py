"""The workbench's 年度确认超期: entitlements with the yearly confirmation overdue, and confirming one.

Like the other workbench pages it reads and writes only through the API's own handlers: the queue
is the benefits service's `overdue=true` list; the entitlement read offers no `next_steps`, so the
confirmation form is shown to whoever the API's access rule for `confirm_entitlement` grants (the
service still decides: a state or a year that does not allow it answers 409, shown as such).
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
from gateway.portal.veteran import KIND_LABELS

log = structlog.get_logger("vetlife.gateway")

VIEW = "entitlements"
TITLE = "年度确认超期"
PAGE_SIZE = 15
STATES = {"applied": "待审核", "reviewed": "待审批", "active": "享受中", "approved": "已批准",
          "paid": "已发放", "rejected": "未获批准", "suspended": "已中止", "ended": "已终止"}
EVENTS = {"EntitlementApplied": "受理申请", "EntitlementReviewed": "审核",
          "EntitlementApproved": "审批通过", "EntitlementRejected": "审批不予批准",
          "EntitlementConfirmed": "年度确认", "EntitlementConfirmationOverdue": "年度确认超期",
          "EntitlementSuspended": "中止发放", "EntitlementResumed": "恢复发放",
          "EntitlementEnded": "终止", "EntitlementPaid": "发放"}
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def may_open(principal) -> bool:
    """The queue is for whoever may make the yearly confirmation (benefits officers, station
    workers for their stations), by the API's own rule."""
    return bool(access.grants("confirm_entitlement", principal.roles)) and "veteran" not in \
        principal.roles


def query_of(args) -> dict:
    return {"page": formats.page_number(args.get("page"))}


def _link(page: int) -> str:
    return "/staff?" + urlencode({"list": VIEW, "page": page})


def tabs(service, principal, token, current: bool) -> list[dict]:
    if not may_open(principal):
        return []
    status, listed = portal.api_read(service, "list_entitlements", token,
                                     "/api/v1/benefits/entitlements",
                                     {"overdue": "true", "page_size": "1"})
    return [{"label": TITLE, "count": listed.get("total") if status == 200 else None,
             "href": "/staff?list=" + VIEW, "current": current}]


def listing(service, token, query: dict, today: date) -> dict:
    """The queue's part of the workbench's context: one page of the overdue entitlements."""
    page = query["page"]
    status, listed = portal.api_read(service, "list_entitlements", token,
                                     "/api/v1/benefits/entitlements",
                                     {"overdue": "true", "page": str(page),
                                      "page_size": str(PAGE_SIZE)})
    context = {"list_status": status, "title": TITLE, "rows": [], "total": 0, "pager": None}
    if status == 200:
        total = listed["total"]
        context.update(
            rows=[_row(item, today) for item in listed["items"]], total=total,
            pager=formats.pager(page, total, _link, PAGE_SIZE))
    return context


def _overdue_days(due_on: str | None, today: date) -> int | None:
    if not due_on:
        return None
    return max((today - date.fromisoformat(due_on)).days, 0)


def _row(item: dict, today: date) -> dict:
    return {"href": f"/staff/entitlements/{item['entitlement_id']}",
            "short": item["entitlement_id"][:8], "station": item["station"],
            "kind": KIND_LABELS.get(item["kind"], item["kind"]),
            "state": STATES.get(item["state"], item["state"]),
            "amount": formats.yuan(item["amount_fen"]) if item.get("amount_fen") is not None
            else "—",
            "due_on": item.get("confirmation_due_on"),
            "overdue_days": _overdue_days(item.get("confirmation_due_on"), today)}


# -- one entitlement ------------------------------------------------------------------------------

def _signed_in(service, request: Request):
    current = portal.session(service, request)
    if current is None:
        return None, portal.redirect("/signin")
    if not access.page_grants("staff_workbench", current[0].roles):
        return None, portal.refused(request, 403, "此页面不对您的角色开放",
                                    "工作台只对服务站工作人员、业务科室工作人员和审批人开放。")
    return current, None


def _read(service, token, entitlement_id):
    return portal.api_read(service, "get_entitlement", token,
                           f"/api/v1/benefits/entitlements/{entitlement_id}",
                           entitlement_id=entitlement_id)


def _not_found(request):
    return portal.refused(request, 404, "没有找到这项优抚待遇",
                          "这项待遇不存在，或不在您的办理范围内。")


def _due(entitlement: dict) -> str | None:
    """The yearly confirmation's last day: the running clock's, else the read's field."""
    for clock in entitlement.get("deadlines", []):
        if clock.get("name") == "annual_confirmation" and clock.get("state") in (
                "pending", "overdue"):
            return clock.get("due_on") or entitlement.get("confirmation_due_on")
    return entitlement.get("confirmation_due_on")


def entitlement_page(service, request: Request, entitlement_id: str) -> Response:
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    return _page(service, request, current, entitlement_id)


def _page(service, request: Request, current, entitlement_id: str, status: int = 200,
          notice: str | None = None) -> Response:
    principal, token = current
    if not UUID_TEXT.fullmatch(entitlement_id):
        return _not_found(request)
    read, entitlement = _read(service, token, entitlement_id)
    if read in (403, 404):
        return _not_found(request)
    if read != 200:
        return portal.refused(request, 503, "暂时无法读取这项优抚待遇", "请稍后刷新页面。")
    timeline = [{"at": h["at"], "what": EVENTS.get(h["event_type"], h["event_type"]),
                 "who": _actor(h["actor"])} for h in reversed(entitlement.get("history", []))]
    due_on = _due(entitlement)
    today = SYSTEM_CLOCK.today()
    return portal.render(
        request, "staff_entitlement.html", status=status, entitlement=entitlement,
        timeline=timeline, kind=KIND_LABELS.get(entitlement["kind"], entitlement["kind"]),
        state=STATES.get(entitlement["state"], entitlement["state"]),
        amount=formats.yuan(entitlement["amount_fen"])
        if entitlement.get("amount_fen") is not None else None,
        due_on=due_on, overdue_days=_overdue_days(due_on, today)
        if entitlement.get("confirmation_overdue") else None,
        may_confirm=bool(access.grants("confirm_entitlement", principal.roles)),
        notice=notice, idempotency_key=portal.form_key(request))


def _actor(actor: str) -> str:
    role, _, subject = actor.partition(":")
    if role == "system":
        return "系统"
    return f"{formats.ROLE_LABELS.get(role, role)} {subject}".strip()


def confirm(service, request: Request, entitlement_id: str) -> Response:
    """The yearly confirmation posted: the API's own command as the signed-in person with the
    version read as If-Match, then a 303 to the confirmation page; the service's 403 is the 403
    page; a state or year that does not allow it (409) re-renders the page with the notice."""
    if not portal.csrf_ok(request):
        return portal.forged(request)
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    if not UUID_TEXT.fullmatch(entitlement_id):
        return _not_found(request)
    version = request.form.get("version", "").strip()
    status, reply = portal.api_write(
        service, "confirm_entitlement", current[1],
        f"/api/v1/benefits/entitlements/{entitlement_id}/confirmation", {},
        portal.form_key(request), if_match=f'"{version}"' if version.isdigit() else None,
        entitlement_id=entitlement_id)
    if status in (200, 201, 202):
        return portal.redirect(f"/staff/entitlements/{entitlement_id}/done")
    if status == 403:
        log.info("portal.step_refused", path=request.path)
        return portal.refused(request, 403, "您不能办理这项年度确认",
                              "年度确认由优抚科工作人员和待遇所在服务站的工作人员办理。")
    if status == 404:
        return _not_found(request)
    return _page(service, request, current, entitlement_id, 409,
                 notice="这项待遇已被他人确认或状态已经变化（今年已确认的待遇不能再确认），"
                        "请核对后再办理。")


def done(service, request: Request, entitlement_id: str) -> Response:
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    if not UUID_TEXT.fullmatch(entitlement_id):
        return _not_found(request)
    read, entitlement = _read(service, current[1], entitlement_id)
    if read != 200:
        return _not_found(request)
    return portal.render(
        request, "staff_entitlement_done.html", entitlement=entitlement,
        kind=KIND_LABELS.get(entitlement["kind"], entitlement["kind"]),
        state=STATES.get(entitlement["state"], entitlement["state"]),
        amount=formats.yuan(entitlement["amount_fen"])
        if entitlement.get("amount_fen") is not None else None)
