"""The workbench's 需要跟进 (the bundle's attention list): the tab, a page per item, its follow-up and retry.

It reads and writes only through the API's own handlers: the list is `bundle_attention` in the
caller's reach; an item's page reads the bundle (`get_bundle`) for the matter or notification it
is about; the follow-up form is `follow_up_matter` (what was done takes the matter off the
lists) and a failed notice's button is `retry_notification`. Each form posts plainly, with its
CSRF token and idempotency key, and ends on a confirmation page.
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

VIEW = "attention"
PAGE_SIZE = 15
KINDS = {"refused": "被退回", "overdue": "已超期", "command_failed": "系统未能下达",
         "clock_unknown": "期限无法计算", "notification_failed": "通知未送达"}
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MATTER_KEY = re.compile(r"[a-z_]{1,40}")
NOTE_MAX = 500


def may_open(principal) -> bool:
    return bool(access.grants("bundle_attention", principal.roles)) and "department" not in \
        principal.roles


def query_of(args) -> dict:
    return {"page": formats.page_number(args.get("page"))}


def tabs(service, principal, token, current: bool) -> list[dict]:
    if not may_open(principal):
        return []
    status, listed = portal.api_read(service, "bundle_attention", token,
                                     "/api/v1/bundles/attention", {"page_size": "1"})
    return [{"label": "需要跟进", "count": listed.get("total") if status == 200 else None,
             "href": "/staff?list=attention", "current": current}]


def _overdue_days(due_on, today: date) -> int | None:
    if not due_on:
        return None
    days = (today - date.fromisoformat(due_on)).days
    return days if days > 0 else None


def _href(item: dict) -> str | None:
    if not item.get("bundle_id"):
        return None
    if item["kind"] == "notification_failed" and item.get("notification_id"):
        return f"/staff/attention/{item['bundle_id']}/notifications/{item['notification_id']}"
    if item.get("matter"):
        return f"/staff/attention/{item['bundle_id']}/{item['matter']}"
    return None


def listing(service, token, query: dict, today: date) -> dict:
    page = query["page"]
    status, listed = portal.api_read(service, "bundle_attention", token,
                                     "/api/v1/bundles/attention",
                                     {"page": str(page), "page_size": str(PAGE_SIZE)})
    context = {"list_status": status, "title": "需要跟进", "rows": [], "total": 0,
               "pager": None}
    if status == 200:
        total = listed["total"]

        def link(number):
            return "/staff?" + urlencode({"list": VIEW, "page": number})

        context.update(
            rows=[{"kind": KINDS.get(i["kind"], i["kind"]), "key": i["kind"],
                   "href": _href(i), "short": (i.get("bundle_id") or "")[:8],
                   "station": i.get("station") or "—",
                   "matter": formats.matter_titles().get(i.get("matter") or "", i.get("matter") or "—"),
                   "since": i.get("since"), "due_on": i.get("due_on"),
                   "overdue_days": _overdue_days(i.get("due_on"), today),
                   "attempts": i.get("attempts")} for i in listed["items"]],
            total=total,
            pager=formats.pager(page, total, link, PAGE_SIZE))
    return context


# -- one item ---------------------------------------------------------------------------------------

def _signed_in(service, request: Request):
    current = portal.session(service, request)
    if current is None:
        return None, portal.redirect("/signin")
    if not access.page_grants("staff_workbench", current[0].roles):
        return None, portal.refused(request, 403, "此页面不对您的角色开放",
                                    "工作台只对服务站工作人员、业务科室工作人员和审批人开放。")
    return current, None


def _not_found(request):
    return portal.refused(request, 404, "没有找到这一事项", "这一事项不存在，或不在您的办理范围内。")


def _bundle(service, token, bundle_id):
    return portal.api_read(service, "get_bundle", token, f"/api/v1/bundles/{bundle_id}",
                           bundle_id=bundle_id)


def matter_page(service, request: Request, bundle_id: str, matter: str, status: int = 200,
                error: str | None = None, note: str = "", current=None) -> Response:
    if current is None:
        current, response = _signed_in(service, request)
        if response is not None:
            return response
    if not UUID_TEXT.fullmatch(bundle_id) or not MATTER_KEY.fullmatch(matter):
        return _not_found(request)
    read, bundle = _bundle(service, current[1], bundle_id)
    found = [m for m in bundle.get("matters", []) if m["matter"] == matter] if read == 200 else []
    if not found:
        return _not_found(request)
    m = found[0]
    today = SYSTEM_CLOCK.today()
    return portal.render(
        request, "staff_attention_item.html", status=status, bundle=bundle, matter=m,
        kinds=KINDS, overdue_days=_overdue_days(m.get("due_on"), today) if m.get("overdue")
        else None, error=error, note=note, notification=None,
        idempotency_key=portal.form_key(request))


def follow_up(service, request: Request, bundle_id: str, matter: str) -> Response:
    """The follow-up form posted: follow_up_matter as the signed-in person, a 303 to the
    confirmation page; an empty note re-renders the page with its 错误摘要."""
    if not portal.csrf_ok(request):
        return portal.forged(request)
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    if not UUID_TEXT.fullmatch(bundle_id) or not MATTER_KEY.fullmatch(matter):
        return _not_found(request)
    note = request.form.get("note", "").strip()
    if not note or len(note) > NOTE_MAX:
        message = "请填写做了什么。" if not note else f"做了什么最多{NOTE_MAX}个字。"
        return matter_page(service, request, bundle_id, matter, 400, message, note, current)
    status, reply = portal.api_write(
        service, "follow_up_matter", current[1],
        f"/api/v1/bundles/{bundle_id}/matters/{matter}/follow-up", {"note": note},
        portal.form_key(request), bundle_id=bundle_id, matter=matter)
    if status in (200, 201, 202):
        return portal.redirect(f"/staff/attention/{bundle_id}/{matter}/done")
    if status == 403:
        log.info("portal.step_refused", path=request.path)
        return portal.refused(request, 403, "您不能跟进这一事项", "这一事项不在您的办理范围内。")
    if status == 404:
        return _not_found(request)
    return matter_page(service, request, bundle_id, matter, 409 if status == 409 else 400,
                       "这一事项现在不能跟进（状态已经变化），请核对后再办理。", note, current)


def notification_page(service, request: Request, bundle_id: str, notification_id: str,
                      status: int = 200, error: str | None = None, current=None) -> Response:
    if current is None:
        current, response = _signed_in(service, request)
        if response is not None:
            return response
    if not UUID_TEXT.fullmatch(bundle_id) or not re.fullmatch(r"[0-9a-zA-Z_-]{1,80}",
                                                              notification_id):
        return _not_found(request)
    read, bundle = _bundle(service, current[1], bundle_id)
    found = [n for n in bundle.get("notifications", [])
             if n["notification_id"] == notification_id] if read == 200 else []
    if not found:
        return _not_found(request)
    return portal.render(request, "staff_attention_item.html", status=status, bundle=bundle,
                         matter=None, notification=found[0], kinds=KINDS, error=error,
                         note="", overdue_days=None, idempotency_key=portal.form_key(request))


def retry(service, request: Request, bundle_id: str, notification_id: str) -> Response:
    if not portal.csrf_ok(request):
        return portal.forged(request)
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    if not UUID_TEXT.fullmatch(bundle_id):
        return _not_found(request)
    status, reply = portal.api_write(
        service, "retry_notification", current[1],
        f"/api/v1/notifications/{notification_id}/retry", {}, portal.form_key(request),
        notification_id=notification_id)
    if status in (200, 201, 202):
        return portal.redirect(f"/staff/attention/{bundle_id}/notifications/{notification_id}"
                               "/done")
    if status == 403:
        return portal.refused(request, 403, "您不能重发这条通知", "这条通知不在您的办理范围内。")
    if status == 404:
        return _not_found(request)
    return notification_page(service, request, bundle_id, notification_id, 409,
                             "这条通知现在不能重发（可能已经重发或已送达）。", current)


def done(service, request: Request, bundle_id: str, what: str) -> Response:
    current, response = _signed_in(service, request)
    if response is not None:
        return response
    if not UUID_TEXT.fullmatch(bundle_id):
        return _not_found(request)
    return portal.render(request, "staff_attention_done.html", bundle_id=bundle_id,
                         heading="通知已重新发送" if what == "notification" else "跟进已记录",
                         matter=formats.matter_titles().get(what, "") if what != "notification" else "")
