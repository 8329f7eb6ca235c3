"""The staff workbench's browser scenarios, run by tests/e2e/test_portal_staff.py in their own process.

`python tests/e2e/portal_browser_staff.py <scenario> '<json: base, people>'`; exit 0 means every
check of the scenario held (see tests/e2e/portal_browser.py for why a process of its own).
"""
from __future__ import annotations

import re

from tests.e2e.portal_browser import TITLE, Visit, check_axe, main

STATION = "曹宅镇退役军人服务站"


def _yuan(text: str) -> float:
    return float(text.replace("¥", "").replace(",", ""))


def queue_paging_and_sort(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("approver", people["approver"])
    page = visit.page
    assert page.url == f"{base}/staff", page.url
    assert page.title().startswith("工作台") and page.title().endswith(TITLE), (
        page.title(), page.content()[-3000:])
    total = people["awaiting_decision"]
    tab = page.locator('.tabs a[aria-current="page"]').inner_text()
    assert tab == f"待我办理（{total}件）", tab
    assert page.locator(".pager p").inner_text() == f"第1–15条，共{total}条"
    assert page.locator("tbody tr").count() == 15
    check_axe(page, "workbench, populated")
    with page.expect_navigation():
        page.click('a[rel="next"]')
    assert page.locator(".pager p").inner_text() == f"第16–{total}条，共{total}条"
    assert page.locator("tbody tr").count() == total - 15
    # Sorted by the amount asked, by the service, across pages: then the other way.
    with page.expect_navigation():
        page.click("th >> text=申请金额")
    amounts = [_yuan(t) for t in page.locator("tbody tr td:nth-child(4)").all_inner_texts()]
    assert amounts == sorted(amounts) and len(amounts) == 15, amounts
    assert page.locator('th[aria-sort="ascending"]').inner_text().startswith("申请金额")
    assert page.locator(".pager p").inner_text() == f"第1–15条，共{total}条"
    with page.expect_navigation():
        page.click("th >> text=申请金额")
    down = [_yuan(t) for t in page.locator("tbody tr td:nth-child(4)").all_inner_texts()]
    assert down == sorted(down, reverse=True) and down[0] > amounts[-1], down
    # The other queues are links with their counts.
    labels = page.locator(".tabs a").all_inner_texts()
    assert any(label.startswith("待他人处理（") for label in labels), labels
    visit.close()


def empty_and_error(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("approver", people["approver"])
    page = visit.page
    page.goto(f"{base}/staff?list=relief&queue=mine&trigger=disaster")
    assert "这个队列里没有申请" in page.inner_text("main")
    check_axe(page, "workbench, empty")
    response = page.goto(f"{base}/staff?list=relief&queue=mine&station=%01")
    assert response.status == 400
    assert "筛选条件有误" in page.inner_text(".error-summary")
    check_axe(page, "workbench, error")
    visit.close()


def deadlines(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("station_worker", "h4-worker", station=STATION)
    page = visit.page
    page.goto(f"{base}/staff?list=petitions")
    rows = page.locator("tbody tr")
    texts = rows.all_inner_texts()
    near = [t for t in texts if "即将到期" in t or "今天到期" in t]
    overdue = [t for t in texts if re.search(r"已超期\d+天", t)]
    assert near and overdue, texts
    assert page.locator("tr.row-overdue strong").count() >= 1
    check_axe(page, "petitions with deadlines")
    visit.close()


def _open_case(page, base, application_id):
    page.goto(f"{base}/staff/relief/{application_id}")
    assert page.locator("#decide-step").count() == 1, page.inner_text("main")


def approve_without_javascript(browser, base, people):
    visit = Visit(browser, base, javascript=False)
    visit.page.set_default_timeout(30_000)
    visit.sign_in("approver", people["approver"])
    page = visit.page
    _open_case(page, base, people["to_approve"][0])
    # An error first: approve with no amount, re-rendered by the server with its summary.
    page.check("#decide-decision")
    with page.expect_navigation():
        page.click("#approve-button")
    assert "批准金额" in page.inner_text(".error-summary")
    assert page.title().startswith("错误：")
    page.fill("#decide-approved", "3000")
    with page.expect_navigation():
        page.click("#approve-button")
    assert re.search(r"/staff/relief/[0-9a-f-]+/done", page.url), page.url
    assert "审批已完成" in page.inner_text("h1")
    assert "已批准，待发放" in page.inner_text("main")
    page.goto(f"{base}/staff/relief/{people['to_approve'][0]}")
    timeline = page.inner_text("section[aria-labelledby=timeline-title]")
    assert "审批通过" in timeline and people["approver"] in timeline, timeline
    visit.close()


def _tab_to(page, element_id: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} never took the focus with Tab")


def approve_with_the_keyboard(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("approver", people["approver"])
    page = visit.page
    page.goto(f"{base}/staff/relief/{people['to_approve'][1]}")
    check_axe(page, "case page")
    # The error state (axe needs JavaScript, so here rather than in the no-script flow).
    _tab_to(page, "approve-button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "请选择批准或不予批准" in page.inner_text(".error-summary")
    check_axe(page, "case page, error")
    _tab_to(page, "decide-decision")
    page.keyboard.press("Space")
    assert page.is_checked("#decide-decision")
    _tab_to(page, "decide-approved")
    page.keyboard.type("2500.50")
    _tab_to(page, "approve-button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "审批已完成" in page.inner_text("h1"), page.inner_text("main")
    # Back to the workbench from the confirmation, by the keyboard too.
    _tab_to(page, "back-to-workbench")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.startswith(f"{base}/staff")
    visit.close()


def four_eyes(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("approver", people["submitter"])
    page = visit.page
    page.goto(f"{base}/staff/relief/{people['own']}")
    assert page.locator("#decide-step").count() == 0
    assert page.locator("#approve-button").count() == 0
    assert "双人审核" in page.inner_text("section[aria-labelledby=steps-title]")
    # The form sent anyway, with a valid CSRF token, from the page's own context: the service
    # refuses it (403) and the page says so.
    csrf = next(c["value"] for c in visit.context.cookies() if c["name"] == "vetlife_csrf")
    forged = visit.context.request.post(
        f"{base}/staff/relief/{people['own']}/decide",
        form={"csrf_token": csrf, "idempotency_key": "h4-forged-approval-1",
              "decision": "approve", "approved": "1000"})
    assert forged.status == 403, forged.status
    assert "四眼原则" in forged.text()
    # Nothing changed: still waiting for a decision.
    page.goto(f"{base}/staff/relief/{people['own']}")
    assert "待审批" in page.inner_text("section[aria-labelledby=facts-title]")
    visit.close()


def screenshot(browser, base, people):
    visit = Visit(browser, base)
    visit.context.close()
    visit.context = browser.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
    visit.context.on("request", lambda request: visit.requests.append(request.url))
    visit.page = visit.context.new_page()
    visit.sign_in("approver", people["approver"])
    visit.page.screenshot(path=people["path"], full_page=True)
    visit.close()


SCENARIOS = {f.__name__: f for f in (queue_paging_and_sort, empty_and_error, deadlines,
                                      approve_without_javascript, approve_with_the_keyboard,
                                      four_eyes, screenshot)}

if __name__ == "__main__":
    main(SCENARIOS)
