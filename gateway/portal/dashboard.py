"""The leaders' dashboard (/dashboard): the figures of a period as tables, charts and files; reports.

Everything here reads and writes through the API's own handlers (pages.api_read, pages.api_write):
GET /api/v1/figures, /api/v1/figures/export, /api/v1/stations, POST /api/v1/reports and
GET /api/v1/reports/{id}, with the signed-in person's token, under the same rules and audit
entries. The tables are the page's content; the charts (static/dashboard.js, the vendored
ECharts) are drawn from the tables' own numbers, so a chart never says what its table does not,
and without JavaScript the tables and the exports work alone.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from chassis.clock import SYSTEM_CLOCK
from contracts import access
from gateway.figures import FIGURES, SECTION_NAMES
from gateway.portal import formats, pages

PAGE = "leader_dashboard"
FILTER_MAX = 100
STATION_LIST_SIZE = 200
EXPORT_FORMATS = ("xlsx", "csv", "png")

# The sections as the dashboard's headings say them (the exports' sheets keep the short names).
SECTION_HEADINGS = {"档案": "档案建设", "优抚": "优抚帮扶", "权益": "权益维护", "安置": "移交安置",
                    "就业": "就业创业", "服务站": "服务站建设"}

SERVICE_LABELS = {"registry": "档案", "benefits": "优抚", "disputes": "权益维护",
                  "employment": "就业创业", "placement": "移交安置", "bundle": "退役一件事"}

# The events behind a correction, in the bureau's words; an event type not listed is shown as is.
EVENT_LABELS = {
    "VeteranRegistered": "建档", "DischargeRecorded": "登记退役信息",
    "GridWorkerAssigned": "指定网格员", "PartyMembershipRecorded": "登记党员信息",
    "VillageSecretaryRecorded": "登记兵支书", "StationRegistered": "登记服务站",
    "StationBuildRecorded": "登记服务站建设", "StationRated": "服务站评定",
    "VisitRecorded": "走访慰问登记", "VisitWithdrawn": "走访慰问撤回",
    "SocialCareProvided": "社会化服务登记", "ReliefDisbursed": "困难帮扶发放",
    "ProxyCaseClosed": "代办结案", "DisputeResolved": "矛盾纠纷化解", "PetitionEscalated": "信访上行",
    "BundleSubmitted": "退役一件事提交", "Placed": "安置落实", "PostingPublished": "发布岗位",
    "JobFairRecorded": "登记招聘会",
}


# -- the words and numbers -------------------------------------------------------------------------

def reason_in_chinese(reason: str | None) -> str:
    """Why a figure is null, as the page says it (the API gives its reasons in English)."""
    reason = reason or ""
    if reason.startswith("not kept by service station"):
        return "该项不按服务站统计"
    if reason.startswith("not kept by township"):
        return "该项不按镇街统计"
    down = [part.split(" unavailable", 1)[0] for part in reason.split("; ")
            if " unavailable" in part]
    if down:
        return "、".join(SERVICE_LABELS.get(s, s) for s in down) + "业务暂时无法读取，请稍后刷新"
    return "平台尚未记录该项"


def percent(rate: float) -> str:
    return f"{rate * 100:.2f}%"


def figure_cell(figure, value, reason: str | None) -> dict:
    """One figure as the table shows it (text) and as the chart draws it (kind, number)."""
    if value is None:
        return {"kind": "null", "text": f"暂无数据（{reason_in_chinese(reason)}）", "number": ""}
    if figure.rate:
        numerator, denominator, rate = value["numerator"], value["denominator"], value["rate"]
        if rate is None:
            return {"kind": "rate", "text": f"无法计算（{numerator}/{denominator}，分母为0）",
                    "number": ""}
        return {"kind": "rate", "text": f"{percent(rate)}（{numerator}/{denominator}）",
                "number": f"{rate * 100:.2f}"}
    if figure.money:
        # The chart's number is the same yuan, exactly: two decimals from integer fen.
        whole, cents = divmod(value, 100)
        return {"kind": "money", "text": formats.yuan(value), "number": f"{whole}.{cents:02d}"}
    return {"kind": "count", "text": f"{value:,}", "number": str(value)}


def period_words(first: str, last: str) -> str:
    return f"{formats.chinese_date(first)}至{formats.chinese_date(last)}"


def where_words(reply: dict) -> str:
    """What the figures are of: a station, a township, the caller's stations or the district."""
    parts = [reply[name] for name in ("station", "township") if reply.get(name)]
    if parts:
        return "，".join(parts)
    if reply.get("stations") is not None:
        return "我的服务站（" + "、".join(reply["stations"]) + "）"
    return "全区"


def sections(figures: dict, reasons: dict, period: str, where: str) -> list[dict]:
    """The figures grouped as the exports' sheets are, each with its rows and a sentence saying
    what its chart shows (for screen readers and for print)."""
    out = []
    for number, name in enumerate(SECTION_NAMES, start=1):
        rows = [{"key": f.key, "title": f.title, **figure_cell(f, figures.get(f.key),
                                                               reasons.get(f.key))}
                for f in FIGURES if f.section == name]
        heading = SECTION_HEADINGS.get(name, name)
        said = "；".join(f"{row['title']}{'：' if row['kind'] == 'null' else '为'}{row['text']}"
                        for row in rows)
        out.append({"number": number, "name": name, "heading": heading, "rows": rows,
                    "description": f"{heading}（{period}，{where}）共{len(rows)}项指标，每项一条横条，"
                                   f"各用自己的刻度：{said}。"})
    return out


def all_empty(figures: dict) -> bool:
    """Nothing recorded for the period: every figure that could be given is zero."""
    for value in figures.values():
        if isinstance(value, dict) and (value["numerator"] or value["denominator"]):
            return False
        if isinstance(value, int) and value:
            return False
    return True


# -- the query form --------------------------------------------------------------------------------

def read_form(values, today: dt.date) -> tuple[dict, dict]:
    """(form, errors) from the query or a posted form: the period (this year so far when not
    given) and the optional station and township."""
    form = {name: (values.get(name) or "").strip() for name in ("station", "township")}
    form["from"] = (values.get("from") or "").strip() if "from" in values \
        else dt.date(today.year, 1, 1).isoformat()
    form["to"] = (values.get("to") or "").strip() if "to" in values else today.isoformat()
    errors = {}
    days = {}
    for name, label in (("from", "开始日期"), ("to", "结束日期")):
        try:
            days[name] = dt.date.fromisoformat(form[name])
        except ValueError:
            errors[name] = f"请按“年-月-日”填写{label}，例如 {today.year}-01-01。"
    if not errors and days["from"] > days["to"]:
        errors["to"] = "结束日期不能早于开始日期。"
    for name, label in (("station", "服务站"), ("township", "镇街")):
        if len(form[name]) > FILTER_MAX or not form[name].isprintable():
            errors[name] = f"请从列表中选择{label}。"
    return form, errors


def api_query(form: dict) -> dict:
    query = {"from": form["from"], "to": form["to"]}
    query.update({name: form[name] for name in ("station", "township") if form[name]})
    return query


def _api_errors(body: dict) -> dict:
    """The API's field errors (a 400) on the form's fields."""
    fields = body.get("fields") or {}
    errors = {}
    for name, label in (("from", "开始日期"), ("to", "结束日期"), ("station", "服务站"),
                        ("township", "镇街")):
        if name in fields:
            errors[name] = f"{label}有误，请检查后重新查询。"
    return errors or {"from": "查询条件有误，请检查后重新查询。"}


# -- the pages -------------------------------------------------------------------------------------

def _signed_in(service, request: Request):
    """(principal, token), or the response to send instead: sign in, or this page is not yours."""
    current = pages.session(service, request)
    if current is None:
        return None, pages.redirect("/signin")
    if not access.page_grants(PAGE, current[0].roles):
        return None, pages.refused(request, 403, "此页面不对您的角色开放",
                                   "数据看板只对局领导和服务站工作人员开放。")
    return current, None


def _choices(service, token: str, form: dict) -> dict:
    """The stations the caller may choose (their own, for a station worker) and the townships
    those stations are in; a filter given in the query is kept even when not listed."""
    status, listed = pages.api_read(service, "list_stations", token, "/api/v1/stations",
                                    {"page_size": str(STATION_LIST_SIZE)})
    items = listed.get("items", []) if status == 200 else []
    stations = [item["name"] for item in items]
    townships = sorted({item["township"] for item in items if item.get("township")})
    for name, known in (("station", stations), ("township", townships)):
        if form[name] and form[name] not in known:
            known.append(form[name])
    return {"stations": stations, "townships": townships, "stations_status": status}


def dashboard(service, request: Request) -> Response:
    """GET /dashboard: the query form, then each section's chart, table and sentence."""
    current, refusal = _signed_in(service, request)
    if refusal is not None:
        return refusal
    form, errors = read_form(request.args, SYSTEM_CLOCK.today())
    return _render(service, request, current, form, errors)


def _render(service, request: Request, current, form: dict, errors: dict, status: int = 200,
            publish_error: str | None = None) -> Response:
    principal, token = current
    grants = access.page_grants(PAGE, principal.roles)
    reply, figures_status = None, None
    if not errors:
        figures_status, reply = pages.api_read(service, "bureau_figures", token,
                                               "/api/v1/figures", api_query(form))
        if figures_status == 400:
            errors = _api_errors(reply)
    if errors:
        status = 400
    shown = reply if figures_status == 200 else None
    period = period_words(form["from"], form["to"]) if shown else ""
    where = where_words(shown) if shown else ""
    query = api_query(form)
    return pages.render(
        request, "dashboard.html", status=status, principal=principal, form=form,
        errors=errors, publish_error=publish_error,
        station_worker=access.DISTRICT not in grants.values(),
        choices=_choices(service, token, form), figures_status=figures_status,
        sections=sections(shown["figures"], shown["reasons"], period, where) if shown else [],
        empty=all_empty(shown["figures"]) if shown else False,
        as_of=shown.get("as_of") if shown else None, period=period, where=where,
        export={kind: "/dashboard/export?" + urlencode({**query, "format": kind})
                for kind in ("xlsx", "csv")},
        charts={name: "/dashboard/export?" + urlencode({**query, "format": "png",
                                                        "section": name})
                for name in SECTION_NAMES},
        here="/dashboard?" + urlencode(query), idempotency_key=pages.form_key(request))


def export(service, request: Request) -> Response:
    """GET /dashboard/export: the API's export handler run as the signed-in person (the export
    route wants a bearer token, which a link cannot send), its file passed on as it is."""
    current, refusal = _signed_in(service, request)
    if refusal is not None:
        return refusal
    # Only the export's own parameters travel on; anything else in the link is dropped.
    query = {name: request.args[name] for name in ("from", "to", "station", "township", "format",
                                                   "section") if request.args.get(name)}
    environ = EnvironBuilder(path="/api/v1/figures/export", method="GET", query_string=query,
                             headers={"Authorization": f"Bearer {current[1]}"}).get_environ()
    response = service.export_figures(Request(environ))
    if response.status_code == 200:
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
    if response.status_code == 400:
        return pages.refused(request, 400, "无法导出",
                             "导出的条件有误。请返回数据看板，检查期间和筛选后再导出。")
    if response.status_code == 403:
        return pages.refused(request, 403, "无法导出", "您只能导出您所在服务站的数据。")
    return pages.refused(request, 503, "暂时无法导出", "有业务系统暂时没有答复，请稍后再试。")


def publish(service, request: Request) -> Response:
    """POST /dashboard/reports: publish the figures shown as a report, through the API's own
    publish handler (the form's idempotency key: a form sent twice publishes one report)."""
    current, refusal = _signed_in(service, request)
    if refusal is not None:
        return refusal
    if not pages.csrf_ok(request):
        return pages.forged(request)
    form, errors = read_form(request.form, SYSTEM_CLOCK.today())
    if errors:
        return _render(service, request, current, form, errors)
    status, reply = pages.api_write(service, "publish_report", current[1], "/api/v1/reports",
                                    api_query(form), pages.form_key(request))
    if status in (200, 201):
        return pages.redirect(f"/dashboard/reports/{reply['report_id']}?published=1")
    if status == 400:
        return _render(service, request, current, form, _api_errors(reply))
    if status == 403:
        return pages.refused(request, 403, "无法发布", "您只能发布您所在服务站的数据。")
    why = ("这个表单已经发布过另一期的报告。请重新打开数据看板后再发布。" if status == 422 else
           "有业务系统暂时没有答复，报告只在数字完整时发布。请稍后再试。")
    return _render(service, request, current, form, {}, status=422 if status == 422 else 503,
                   publish_error=why)


def report(service, request: Request, report_id: str) -> Response:
    """GET /dashboard/reports/<id>: a published report as published and as now known, side by
    side, with the corrections recorded since that explain each difference."""
    current, refusal = _signed_in(service, request)
    if refusal is not None:
        return refusal
    status, body = pages.api_read(service, "get_report", current[1],
                                  f"/api/v1/reports/{report_id}", report_id=report_id)
    if status == 404:
        return pages.refused(request, 404, "没有找到这份报告", "报告编号不存在，或不在您可查看的范围内。")
    if status != 200:
        return pages.refused(request, 503, "暂时无法读取报告", "有业务系统暂时没有答复，请稍后刷新。")
    published, now = body["as_published"], body["as_now_known"]
    by_key = {f.key: f for f in FIGURES}
    changed = {d["figure"] for d in body["differences"]}
    rows_by_section = []
    for number, name in enumerate(SECTION_NAMES, start=1):
        rows = []
        for figure in (f for f in FIGURES if f.section == name):
            rows.append({
                "key": figure.key, "title": figure.title, "changed": figure.key in changed,
                "published": figure_cell(figure, published["figures"].get(figure.key),
                                         published["reasons"].get(figure.key))["text"],
                "now": figure_cell(figure, now["figures"].get(figure.key),
                                   now["reasons"].get(figure.key))["text"]})
        rows_by_section.append({"number": number, "heading": SECTION_HEADINGS.get(name, name),
                                "rows": rows})
    differences = []
    for difference in body["differences"]:
        figure = by_key.get(difference["figure"])
        differences.append({
            "title": figure.title if figure else difference["figure"],
            "published": rows_text(figure, difference["published"]),
            "now": rows_text(figure, difference["now"]),
            "corrections": [correction_row(c) for c in difference["corrections"]]})
    query = {"from": body["from"], "to": body["to"]}
    query.update({name: body[name] for name in ("station", "township") if body.get(name)})
    return pages.render(
        request, "dashboard_report.html", report=body, rows_by_section=rows_by_section,
        differences=differences, period=period_words(body["from"], body["to"]),
        where=where_words(body), hash_matches=published.get("hash_matches"),
        just_published=request.args.get("published") == "1",
        back="/dashboard?" + urlencode(query))


def rows_text(figure, value) -> str:
    if figure is None:
        return "—" if value is None else str(value)
    return figure_cell(figure, value, None)["text"] if value is not None else "暂无数据"


# The metrics behind the figures, for a correction's line: the first figure that uses each.
METRIC_TITLES: dict[tuple[str, str], tuple[str, bool]] = {}
for _figure in FIGURES:
    for _measure in _figure.measures:
        METRIC_TITLES.setdefault((_measure.service, _measure.metric),
                                 (_figure.title, _figure.money))


def correction_row(correction: dict) -> dict:
    """One fact recorded after publication, as the report page lists it."""
    title, money = METRIC_TITLES.get((correction["service"], correction["metric"]),
                                     (correction["metric"], False))
    delta = correction["delta"]
    sign = "+" if delta > 0 else ""
    return {"service": SERVICE_LABELS.get(correction["service"], correction["service"]),
            "event": EVENT_LABELS.get(correction["event_type"], correction["event_type"]),
            "metric": title, "effective_on": formats.chinese_date(correction["effective_on"]),
            "recorded_on": formats.chinese_date(correction["recorded_on"]),
            "delta": f"{sign}{formats.yuan(delta)}" if money else f"{sign}{delta}"}
