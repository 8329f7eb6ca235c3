"""The dashboard's browser scenarios, run by tests/e2e/test_portal_dashboard.py in a process of their own.

`python tests/e2e/portal_browser_dashboard.py <scenario> '<json: base, people>'`; a failed check
raises (exit 1, the traceback on stderr), exit 0 means every check of the scenario held. The page's
numbers are compared with GET /api/v1/figures (and /api/v1/reports/{id}) asked directly with a
token of the same role, for the same period and filters.
"""
from __future__ import annotations

import io
import re
from urllib.parse import urlencode

import openpyxl
import requests

from tests.e2e.portal_browser import TITLE, Visit, check_axe, main

MONEY = re.compile(r"(-?)¥([\d,]+)\.(\d{2})")
RATE = re.compile(r"(\d+\.\d{2})%（(\d+)/(\d+)）")
NO_RATE = re.compile(r"无法计算（(\d+)/(\d+)，分母为0）")
SECTIONS = 6
FIGURE_COUNT = 28


class Dashboard(Visit):
    """A visit that also records every CSP violation its pages report, from the page itself
    (securitypolicyviolation events) and from the browser's console."""

    def __init__(self, browser, base: str, javascript: bool = True):
        super().__init__(browser, base, javascript)
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.context.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation', function (e) {"
            "  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI); });")

    def check_no_csp_violation(self) -> None:
        spoken = [line for line in self.console if "Content Security Policy" in line]
        assert spoken == [], f"CSP violations in the console: {spoken}"
        if self.context.pages and self.page.evaluate("typeof window.__violations") != "undefined":
            seen = self.page.evaluate("window.__violations")
            assert seen == [], f"CSP violations on the page: {seen}"

    def close(self):
        self.check_no_csp_violation()
        super().close()


def api(base: str, token: str, path: str, **params) -> dict:
    reply = requests.get(f"{base}/api/v1{path}", params=params, timeout=60,
                         headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text
    return reply.json()


def cell_value(key: str, text: str, like):
    """A table cell's text back as the API's value: a count, fen, a rate or null."""
    if text.startswith("暂无数据（") and text.endswith("）"):
        return None
    if isinstance(like, dict):
        if (match := RATE.fullmatch(text)) is not None:
            return {"numerator": int(match[2]), "denominator": int(match[3]), "percent": match[1]}
        match = NO_RATE.fullmatch(text)
        assert match is not None, f"{key}: {text!r} is not a rate"
        return {"numerator": int(match[1]), "denominator": int(match[2]), "percent": None}
    if key.endswith("_fen"):
        match = MONEY.fullmatch(text)
        assert match is not None, f"{key}: {text!r} is not money"
        fen = int(match[2].replace(",", "")) * 100 + int(match[3])
        return -fen if match[1] else fen
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", text), f"{key}: {text!r} is not a count"
    return int(text.replace(",", ""))


def expected(value):
    if isinstance(value, dict):
        return {"numerator": value["numerator"], "denominator": value["denominator"],
                "percent": None if value["rate"] is None else f"{value['rate'] * 100:.2f}"}
    return value


def tables(page, selector: str = "table.figures") -> dict[str, str]:
    """Every figure's cell text on the page, by its key."""
    return dict(page.eval_on_selector_all(
        f"{selector} tbody tr[data-figure]",
        "rows => rows.map(r => [r.dataset.figure, r.querySelector('td').textContent.trim()])"))


def check_tables_equal_the_api(page, reply: dict) -> None:
    shown = tables(page)
    assert page.locator("table.figures").count() == SECTIONS
    assert set(shown) == set(reply["figures"]) and len(shown) == FIGURE_COUNT, sorted(shown)
    for key, value in reply["figures"].items():
        assert cell_value(key, shown[key], value) == expected(value), (key, shown[key], value)
        if value is None:
            assert reply["reasons"][key] and "（" in shown[key]


def check_charts_equal_the_tables(page) -> None:
    """Each chart exists as a canvas and draws exactly its table's numbers and labels."""
    assert page.locator(".chart canvas").count() >= SECTIONS
    drawn = page.evaluate("""() => Array.from(document.querySelectorAll('[data-chart-for]'))
        .map(box => {
          const chart = echarts.getInstanceByDom(box);
          const table = document.getElementById(box.dataset.chartFor);
          return {hidden: box.hidden, height: box.clientHeight,
                  rows: Array.from(table.querySelectorAll('tbody tr')).map(tr =>
                    [tr.dataset.kind, tr.dataset.number, tr.querySelector('td').textContent]),
                  series: chart.getOption().series.map(s => [s.data[0].value,
                                                             s.label.formatter()])};
        })""")
    assert len(drawn) == SECTIONS
    for chart in drawn:
        assert not chart["hidden"] and chart["height"] > 100, chart
        assert len(chart["series"]) == len(chart["rows"])
        for (kind, number, text), (value, label) in zip(chart["rows"], chart["series"],
                                                        strict=True):
            assert label == text
            assert value == (float(number) if number else 0), (kind, number, value)


def query(people: dict, **more) -> str:
    return urlencode({"from": people["from"], "to": people["to"], **more})


def populated(browser, base, people):
    visit = Dashboard(browser, base)
    visit.sign_in("leader", "dashboard-leader")
    page = visit.page
    # A leader starts on the dashboard; with no query it shows this year so far, the district.
    assert page.url == f"{base}/dashboard", page.url
    assert page.title() == "数据看板" + TITLE
    assert page.input_value("#from") == people["from"] and page.input_value("#to") == people["to"]
    check_tables_equal_the_api(page, api(base, people["leader_token"], "/figures",
                                         **{"from": people["from"], "to": people["to"]}))
    # The module's own station, chosen in the form as a person would.
    page.select_option("#station", people["station"])
    with page.expect_navigation():
        page.click(".figures-query button")
    reply = api(base, people["leader_token"], "/figures", **{
        "from": people["from"], "to": people["to"], "station": people["station"]})
    check_tables_equal_the_api(page, reply)
    figures = reply["figures"]
    assert (figures["files_total"], figures["visits_people"], figures["visits_amount_fen"],
            figures["relief_grants"], figures["relief_amount_fen"]) == (3, 2, 80_050, 1, 420_000)
    shown = tables(page)
    assert shown["visits_amount_fen"] == "¥800.50" and shown["relief_amount_fen"] == "¥4,200.00"
    assert shown["stations_exemplary_share"] == "100.00%（1/1）"
    # What a station does not keep is null with its reason in Chinese, never a zero.
    assert shown["postings"] == "暂无数据（该项不按服务站统计）"
    check_charts_equal_the_tables(page)
    # Each chart has its sentence, for screen readers and print, saying its numbers.
    caption = page.inner_text("#description-2")
    assert "¥800.50" in caption and "¥4,200.00" in caption
    assert page.get_attribute("#chart-2", "aria-label") == caption
    check_axe(page, "dashboard, populated")
    page.click(".text-size button")
    page.wait_for_selector("html.large-text")
    if "/dashboard" in page.url:
        check_axe(page, "dashboard, large text")
    visit.close()


def empty_and_error(browser, base, people):
    visit = Dashboard(browser, base)
    visit.sign_in("leader", "dashboard-leader-empty")
    page = visit.page
    # Empty: a period before anything was recorded, even in a whole make test run where other
    # tests' veterans bring honours and memberships from the 2000s. Every figure is a zero or a
    # reason.
    page.goto(f"{base}/dashboard?from=1901-01-01&to=1901-12-31")
    reply = api(base, people["leader_token"], "/figures", **{"from": "1901-01-01",
                                                             "to": "1901-12-31"})
    check_tables_equal_the_api(page, reply)
    assert "还没有任何记录" in page.inner_text("main")
    check_charts_equal_the_tables(page)
    check_axe(page, "dashboard, empty period")
    # Error: a period that ends before it starts. A summary links to the field; no figures.
    response = page.goto(f"{base}/dashboard?from={people['to']}&to=1901-01-01")
    assert response.status == 400
    assert page.title() == "数据看板" + TITLE
    summary = page.locator(".error-summary a")
    assert summary.count() == 1 and summary.get_attribute("href") == "#to"
    assert "结束日期不能早于开始日期" in summary.inner_text()
    assert page.get_attribute("#to", "aria-invalid") == "true"
    assert page.locator("table.figures").count() == 0
    check_axe(page, "dashboard, error")
    # A date that is not one: the same, on the start date.
    assert page.goto(f"{base}/dashboard?from=2026-02-30&to=2026-03-01").status == 400
    assert page.locator(".error-summary a").get_attribute("href") == "#from"
    visit.close()


def without_javascript(browser, base, people):
    visit = Dashboard(browser, base, javascript=False)
    visit.sign_in("leader", "dashboard-leader-nojs")
    page = visit.page
    page.goto(f"{base}/dashboard?{query(people, station=people['station'])}")
    reply = api(base, people["leader_token"], "/figures", **{
        "from": people["from"], "to": people["to"], "station": people["station"]})
    check_tables_equal_the_api(page, reply)
    # No script: the chart boxes stay hidden and empty, the tables carry everything.
    assert page.locator(".chart canvas").count() == 0
    assert page.locator(".chart:visible").count() == 0
    # The query form is a plain GET.
    page.fill("#from", "1901-01-01")
    page.fill("#to", "1901-12-31")
    with page.expect_navigation():
        page.click(".figures-query button")
    assert "from=1901-01-01" in page.url and "还没有任何记录" in page.inner_text("main")
    page.goto(f"{base}/dashboard?{query(people, station=people['station'])}")
    # The XLSX export: the same numbers in a workbook, a sheet per section.
    with page.expect_download() as download:
        page.click("text=下载本期数据（Excel 表格，XLSX）")
    path = download.value.path()
    assert download.value.suggested_filename == f"figures-{people['from']}-{people['to']}.xlsx"
    # The download keeps no file name extension on disk, which openpyxl looks at: read the bytes.
    workbook = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    assert len(workbook.sheetnames) == SECTIONS
    cells = {row[1]: row for sheet in workbook.worksheets
             for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert set(cells) == set(reply["figures"])
    for key, value in reply["figures"].items():
        title, _, number, numerator, denominator, rate, reason = cells[key]
        if value is None:
            assert number is None and reason, (key, cells[key])
        elif isinstance(value, dict):
            assert (numerator, denominator) == (value["numerator"], value["denominator"]), key
        elif key.endswith("_fen"):
            assert round(number * 100) == value, (key, number, value)
        else:
            assert number == value, (key, number, value)
    # The CSV: the same, as text (money as exact yuan).
    with page.expect_download() as download:
        page.click("text=下载本期数据（CSV）")
    text = open(download.value.path(), encoding="utf-8-sig").read()
    fen = reply["figures"]["visits_amount_fen"]
    assert f"慰问金额(元),visits_amount_fen,{fen // 100}.{fen % 100:02d}" in text, text[:500]
    # One section's chart as a picture for print.
    with page.expect_download() as download:
        page.click("text=下载优抚帮扶图表（PNG，用于打印）")
    assert open(download.value.path(), "rb").read()[:8] == b"\x89PNG\r\n\x1a\n"
    # Without a session the export is no file: back to sign-in.
    anonymous = requests.get(f"{base}/dashboard/export?{query(people)}&format=xlsx", timeout=30,
                             allow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["Location"] == "/signin"
    visit.close()


def report(browser, base, people):
    """Publish from the page (JavaScript off: a plain form post), correct late through the API,
    and the report page keeps what was published while today's numbers change."""
    visit = Dashboard(browser, base, javascript=False)
    visit.sign_in("leader", "dashboard-leader-report")
    page = visit.page
    page.goto(f"{base}/dashboard?{query(people, station=people['station'])}")
    form = {name: page.get_attribute(f"form[action='/dashboard/reports'] [name={name}]", "value")
            for name in ("csrf_token", "idempotency_key", "from", "to", "station", "township")}
    with page.expect_navigation():
        page.click("#publish")
    match = re.fullmatch(re.escape(base) + r"/dashboard/reports/([0-9a-f-]{36})\?published=1",
                         page.url)
    assert match, page.url
    report_id = match[1]
    assert "报告已发布" in page.inner_text(".confirmation")
    assert page.title().startswith("统计报告") and page.title().endswith(TITLE)
    # axe needs script in the page: the same pages are checked in a second browser with it on.
    checker = Dashboard(browser, base)
    checker.sign_in("leader", "dashboard-leader-report-axe")
    checker.page.goto(page.url)
    check_axe(checker.page, "report, just published")
    # The same form sent again (a double click, a reload): the same report, not a second one.
    again = visit.context.request.post(f"{base}/dashboard/reports", form=form, max_redirects=0)
    assert again.status == 303, again.status
    assert again.headers["location"] == f"/dashboard/reports/{report_id}?published=1"
    # Without the CSRF token: refused.
    forged = visit.context.request.post(f"{base}/dashboard/reports", max_redirects=0,
                                        form={**form, "csrf_token": "x" * 43})
    assert forged.status == 403
    before = tables(page, "table.report-figures")

    # Late corrections through the API, for a day within the period: one visit withdrawn
    # (-¥300.50) and another, made today, recorded only now (+¥120.00).
    worker = {"Authorization": f"Bearer {people['worker_token']}"}
    withdrawn = requests.post(f"{base}/api/v1/benefits/visits/{people['visits'][1]}/withdrawal",
                              json={"reason": "重复登记"}, headers=worker, timeout=30)
    assert withdrawn.status_code == 200, withdrawn.text
    late = requests.post(f"{base}/api/v1/benefits/visits", headers=worker, timeout=30, json={
        "campaign_id": people["campaign_id"], "veteran_id": people["veterans"][2],
        "visited_on": people["to"], "visitors": "站长 周敏", "amount_fen": 12_000})
    assert late.status_code == 201, late.text

    page.goto(f"{base}/dashboard/reports/{report_id}")
    assert page.locator(".confirmation").count() == 0
    reply = api(base, people["leader_token"], f"/reports/{report_id}")
    published = dict(page.eval_on_selector_all(
        "table.report-figures tbody tr",
        "rows => rows.map(r => [r.dataset.figure, r.querySelector('.as-published').textContent])"))
    now = dict(page.eval_on_selector_all(
        "table.report-figures tbody tr",
        "rows => rows.map(r => [r.dataset.figure, r.querySelector('.as-now-known').textContent])"))
    for key, value in reply["as_published"]["figures"].items():
        assert cell_value(key, published[key], value) == expected(value), key
    for key, value in reply["as_now_known"]["figures"].items():
        assert cell_value(key, now[key], value) == expected(value), key
    # As published: unchanged since publication. As now known: the corrections in it.
    assert published == {key: text for key, text in before.items()}
    assert published["visits_amount_fen"] == "¥800.50"
    assert now["visits_amount_fen"] == "¥620.00"
    assert "有变化" in page.inner_text("tr[data-figure=visits_amount_fen]")
    assert "无变化" in page.inner_text("tr[data-figure=files_total]")
    assert "一致" in page.inner_text(".report-facts")
    corrections = page.inner_text("section[aria-labelledby=corrections-title]")
    assert "走访慰问撤回" in corrections and "-¥300.50" in corrections
    assert "走访慰问登记" in corrections and "+¥120.00" in corrections
    checker.page.goto(page.url)
    assert tables(checker.page, "table.report-figures") == published
    check_axe(checker.page, "report with corrections")
    checker.close()
    # A report that does not exist is a 404 page, not an error.
    assert page.goto(f"{base}/dashboard/reports/00000000-0000-4000-8000-000000000000").status \
        == 404
    visit.close()


def reach(browser, base, people):
    # A station worker: their own station's figures only, as the API gives them.
    visit = Dashboard(browser, base)
    visit.sign_in("station_worker", "dashboard-worker-page", station=people["station"])
    page = visit.page
    page.goto(f"{base}/dashboard?{query(people)}")
    assert page.title() == "数据看板" + TITLE
    options = page.eval_on_selector_all("#station option", "os => os.map(o => o.value)")
    assert options == ["", people["station"]], options
    check_tables_equal_the_api(page, api(base, people["worker_token"], "/figures", **{
        "from": people["from"], "to": people["to"]}))
    assert f"我的服务站（{people['station']}）" in page.inner_text("#summary-title")
    check_charts_equal_the_tables(page)
    # Another station's figures: refused by the API's rule, shown as a notice.
    page.goto(f"{base}/dashboard?{query(people, station=people['other_station'])}")
    assert page.locator("table.figures").count() == 0
    assert "只能查看您所在服务站" in page.inner_text("main")
    check_axe(page, "dashboard, another station refused")
    visit.close()
    # A veteran and a registry clerk have no dashboard.
    for role, fields in (("veteran", {"veteran_id": people["veterans"][0]}),
                         ("registry_clerk", {})):
        visit = Dashboard(browser, base)
        visit.sign_in(role, f"dashboard-{role}", **fields)
        response = visit.page.goto(f"{base}/dashboard?{query(people)}")
        assert response.status == 403, (role, response.status)
        assert visit.page.title() == "此页面不对您的角色开放" + TITLE
        assert visit.context.request.get(f"{base}/dashboard/export?{query(people)}",
                                         max_redirects=0).status == 403
        visit.close()


def screenshot(browser, base, people):
    visit = Dashboard(browser, base)
    visit.context.close()
    visit.context = browser.new_context(locale="zh-CN", viewport={"width": 1000, "height": 900})
    visit.context.on("request", lambda request: visit.requests.append(request.url))
    visit.page = visit.context.new_page()
    visit.sign_in("leader", "dashboard-leader-shot")
    visit.page.goto(f"{base}/dashboard?{query(people, station=people['station'])}")
    visit.page.wait_for_selector(".chart canvas")
    visit.page.screenshot(path=people["path"], full_page=True)
    visit.close()


SCENARIOS = {f.__name__: f for f in (populated, empty_and_error, without_javascript, report,
                                      reach, screenshot)}

if __name__ == "__main__":
    main(SCENARIOS)
