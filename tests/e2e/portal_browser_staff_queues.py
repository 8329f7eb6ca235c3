"""The workbench's placement queue scenarios, run by tests/e2e/test_portal_staff_queues.py in their own process.

`python tests/e2e/portal_browser_staff_queues.py <scenario> '<json: base, people>'`; exit 0 means
every check of the scenario held (see tests/e2e/portal_browser.py for why a process of its own).
axe-core is a script: it runs in the JavaScript-on browsers only.
"""
from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

from tests.e2e.portal_browser import TITLE, Visit, check_axe, main

DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


def _queue(base, people, **more) -> str:
    query = "&".join(f"{k}={quote(str(v))}" for k, v in {"list": "placement", "queue": "mine",
                                                         "station": people["station"],
                                                         **more}.items())
    return f"{base}/staff?{query}"


def _days(texts) -> list[date]:
    return [date(*map(int, DATE.search(t).groups())) for t in texts]


def placement_paging_and_sort(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("placement_officer", people["officer"])
    page = visit.page
    # A placement officer starts on the workbench, on their placement queue.
    assert page.url == f"{base}/staff", page.url
    assert page.title().startswith("工作台") and page.title().endswith(TITLE), page.title()
    labels = page.locator(".tabs a").all_inner_texts()
    # (A placement officer owns bundle matters too: 需要跟进 follows, test_portal_staff_more.py.)
    assert [label.split("（")[0] for label in labels] == ["安置 · 待我办理", "安置 · 待他人处理",
                                                          "安置 · 已办结", "需要跟进"], labels
    assert page.locator('.tabs a[aria-current="page"]').inner_text().startswith("安置 · 待我办理（")
    total = people["mine"]
    page.goto(_queue(base, people))
    assert page.locator(".pager p").inner_text() == f"第1–15条，共{total}条"
    assert page.locator("tbody tr").count() == 15
    check_axe(page, "placement queue, populated")
    with page.expect_navigation():
        page.click('a[rel="next"]')
    assert page.locator(".pager p").inner_text() == f"第16–{total}条，共{total}条"
    assert page.locator("tbody tr").count() == total - 15
    # Sorted by the clock's last day on the service (the default): the overdue case first.
    page.goto(_queue(base, people))
    first = page.locator("tbody tr").first.inner_text()
    assert re.search(r"已超期5天", first), first
    # Then by it the other way, across pages: the cases with no clock last.
    with page.expect_navigation():
        page.click("th >> text=期限")
    assert page.locator('th[aria-sort="descending"]').inner_text().startswith("期限")
    with page.expect_navigation():
        page.click("th >> text=期限")
    assert page.locator('th[aria-sort="ascending"]').inner_text().startswith("期限")
    dues = _days(t for t in page.locator("tbody tr td:nth-child(9)").all_inner_texts()
                 if DATE.search(t))
    assert dues == sorted(dues) and len(dues) == 3, dues
    # By the report-in day, and the rows say whose step it is.
    with page.expect_navigation():
        page.click("th >> text=报到日期")
    assert page.locator(".pager p").inner_text() == f"第1–15条，共{total}条"
    steps = set(page.locator("tbody tr td:nth-child(6)").all_inner_texts())
    # (Other scenarios may have taken a case one step on: scored, or its subsidy paid.)
    assert steps <= {"发放一次性经济补助（由我办理）", "赋分（由我办理）", "提供岗位（由我办理）",
                     "移交就业部门（由我办理）"}, steps
    visit.close()


def placement_deadlines(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("placement_officer", people["officer"])
    page = visit.page
    page.goto(_queue(base, people, sort="due_on"))
    texts = page.locator("tbody tr").all_inner_texts()
    near = [t for t in texts if "剩余3天（即将到期）" in t]
    overdue = [t for t in texts if "已超期5天" in t]
    running = [t for t in texts if re.search(r"剩余1\d\d天", t)]
    assert len(near) == 1 and len(overdue) == 1 and len(running) == 1, texts
    assert page.locator("tr.row-overdue strong").inner_text() == "已超期5天"
    assert page.locator("tr.row-near strong").inner_text() == "剩余3天（即将到期）"
    # Days waiting, from the step that put each case in its status (all of them today).
    assert all("已等待0天" in t for t in texts), texts
    check_axe(page, "placement queue with clocks")
    # The case page says the same of its clock.
    page.goto(f"{base}/staff/placement/{people['overdue']}")
    clocks = page.inner_text("section[aria-labelledby=clocks-title]")
    assert "安置期限" in clocks and "已超期5天" in clocks, clocks
    check_axe(page, "placement case, overdue")
    visit.close()


def placement_empty_and_error(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("placement_officer", people["officer"])
    page = visit.page
    page.goto(_queue(base, people, queue="done"))
    assert "这个队列里没有安置案件" in page.inner_text("main")
    assert page.title() == "工作台 · 安置 · 已办结" + TITLE, page.title()
    check_axe(page, "placement queue, empty")
    response = page.goto(f"{base}/staff?list=placement&queue=mine&station=%01")
    assert response.status == 400
    assert "筛选条件有误" in page.inner_text(".error-summary")
    check_axe(page, "placement queue, error")
    # Waiting on the veteran's own choice: in 待他人处理, with no form for the officer but the
    # mode the desk may record.
    page.goto(_queue(base, people, queue="others"))
    assert page.locator("tbody tr").count() == 1
    assert "待选择安置方式" in page.locator("tbody tr").inner_text()
    visit.close()


def score_without_javascript(browser, base, people):
    visit = Visit(browser, base, javascript=False)
    visit.page.set_default_timeout(30_000)
    visit.sign_in("placement_officer", people["officer"])
    page = visit.page
    page.goto(f"{base}/staff/placement/{people['to_score']}")
    assert page.locator("#score-step").count() == 1, page.inner_text("main")
    assert page.locator("#post-offer-step").count() == 0
    # An error first: no points, re-rendered by the server with its summary.
    with page.expect_navigation():
        page.click("#score-button")
    assert page.title().startswith("错误："), page.title()
    assert "请填写分数" in page.inner_text(".error-summary")
    assert page.get_attribute("#score-points", "aria-invalid") == "true"
    page.fill("#score-points", "86")
    with page.expect_navigation():
        page.click("#score-button")
    assert re.search(r"/staff/placement/[0-9a-f-]+/done\?step=score$", page.url), page.url
    assert "赋分已完成" in page.inner_text("h1")
    assert "已赋分，待提供岗位" in page.inner_text("main")
    page.goto(f"{base}/staff/placement/{people['to_score']}")
    timeline = page.inner_text("section[aria-labelledby=timeline-title]")
    assert "赋分" in timeline and people["officer"] in timeline, timeline
    assert "86分" in page.inner_text("section[aria-labelledby=facts-title]")
    visit.close()


def _tab_to(page, element_id: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} never took the focus with Tab")


def subsidy_with_the_keyboard(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("placement_officer", people["officer"])
    page = visit.page
    page.goto(f"{base}/staff/placement/{people['to_pay']}")
    check_axe(page, "placement case")
    _tab_to(page, "subsidy-payment-button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "请填写发放日期" in page.inner_text(".error-summary")
    check_axe(page, "placement case, error")
    today = page.evaluate("new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10)")
    _tab_to(page, "subsidy-payment-paid_on")
    page.keyboard.type(today)
    _tab_to(page, "subsidy-payment-reference")
    page.keyboard.type("金东财-2026-0042")
    _tab_to(page, "subsidy-payment-button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "发放一次性经济补助已完成" in page.inner_text("h1"), page.inner_text("main")
    assert "补助已发放，待移交就业部门" in page.inner_text("main")
    check_axe(page, "placement step done")
    _tab_to(page, "back-to-workbench")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.startswith(f"{base}/staff?list=placement")
    visit.close()


def placement_steps_by_role(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("station_worker", people["worker"], station=people["station"])
    page = visit.page
    page.goto(f"{base}/staff/placement/{people['near']}")
    assert page.locator("form.step").count() == 0, page.inner_text("main")
    assert "没有需要您办理的步骤" in page.inner_text("section[aria-labelledby=steps-title]")
    csrf = next(c["value"] for c in visit.context.cookies() if c["name"] == "vetlife_csrf")
    forged = visit.context.request.post(
        f"{base}/staff/placement/{people['near']}/score",
        form={"csrf_token": csrf, "idempotency_key": "h9-forged-score-1", "points": "99"})
    assert forged.status == 403, forged.status
    assert "您不能办理这一步" in forged.text()
    # Nothing changed: still waiting to be scored.
    page.goto(f"{base}/staff/placement/{people['near']}")
    assert "待安排，待赋分" in page.inner_text("section[aria-labelledby=facts-title]")
    visit.close()


def placement_screenshot(browser, base, people):
    visit = Visit(browser, base)
    visit.context.close()
    visit.context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
    visit.context.on("request", lambda request: visit.requests.append(request.url))
    visit.page = visit.context.new_page()
    visit.sign_in("placement_officer", people["officer"])
    visit.page.goto(_queue(base, people, sort="due_on"))
    visit.page.screenshot(path=people["path"], full_page=True)
    visit.close()


SCENARIOS = {f.__name__: f for f in (placement_paging_and_sort, placement_deadlines,
                                      placement_empty_and_error, score_without_javascript,
                                      subsidy_with_the_keyboard, placement_steps_by_role,
                                      placement_screenshot)}

if __name__ == "__main__":
    main(SCENARIOS)
