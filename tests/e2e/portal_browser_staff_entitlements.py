"""The workbench's 年度确认超期 scenarios, run by tests/e2e/test_portal_staff_entitlements.py.

`python tests/e2e/portal_browser_staff_entitlements.py <scenario> '<json: base, people>'`; exit 0
means every check of the scenario held (see tests/e2e/portal_browser.py for why a process of its
own). axe-core is a script: it runs in the JavaScript-on browsers only (it hangs with JavaScript
off), over the same pages the JavaScript-off scenario walks.
"""
from __future__ import annotations

from tests.e2e.portal_browser import TITLE, Visit, check_axe, main


def _chinese(day: str) -> str:
    year, month, dom = day.split("-")
    return f"{int(year)}年{int(month)}月{int(dom)}日"


def overdue_queue(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("benefits_officer", people["officer"])
    page = visit.page
    labels = [t.split("（")[0] for t in page.locator(".tabs a").all_inner_texts()]
    assert "年度确认超期" in labels, labels
    page.click("text=年度确认超期")
    page.wait_for_url(f"{base}/staff?list=entitlements")
    assert page.title() == "工作台 · 年度确认超期" + TITLE, page.title()
    assert page.locator('.tabs a[aria-current="page"]').inner_text().startswith("年度确认超期（")
    rows = [r for r in page.locator("tbody tr").all_inner_texts()
            if people["stays"][:8] in r]
    assert len(rows) == 1, page.locator("tbody tr").all_inner_texts()
    row = rows[0]
    assert people["station"] in row and "护理费" in row and "¥" in row, row
    assert _chinese(people["due_on"]) in row, row
    assert f"已超期{people['overdue_days']}天" in row, row
    assert "第1–" in page.inner_text(".pager") and "条，共" in page.inner_text(".pager")
    check_axe(page, "overdue queue, populated")
    # The entitlement's page: state, amount, the overdue mark, its history, the form.
    page.click(f"text={people['stays'][:8]}")
    page.wait_for_url(f"{base}/staff/entitlements/{people['stays']}")
    assert page.title() == f"优抚待遇 {people['stays'][:8]}" + TITLE, page.title()
    facts = page.inner_text("section[aria-labelledby=facts-title]")
    assert "享受中" in facts and "¥" in facts and f"已超期{people['overdue_days']}天" in facts, facts
    timeline = page.inner_text("section[aria-labelledby=timeline-title]")
    assert "审批通过" in timeline and "年度确认超期" in timeline, timeline
    assert page.locator("#confirm-button").count() == 1
    check_axe(page, "entitlement page")
    page.goto(f"{base}/staff?list=entitlements")
    page.set_viewport_size({"width": 1000, "height": 900})
    page.screenshot(path=people["shot"], full_page=True)
    visit.close()
    # An approver may read it but not confirm it: no form (contracts/access.py says so).
    approver = Visit(browser, base)
    approver.sign_in("approver", people["approver"])
    approver.page.goto(f"{base}/staff/entitlements/{people['stays']}")
    assert approver.page.locator("#confirm-button").count() == 0
    assert "没有需要您办理的年度确认" in approver.page.inner_text("main")
    approver.close()
    # Empty: a station worker of another station has no overdue confirmations.
    other = Visit(browser, base)
    other.sign_in("station_worker", "h12-empty-worker", station=people["other_station"])
    other.page.goto(f"{base}/staff?list=entitlements")
    assert "没有年度确认超期的优抚待遇" in other.page.inner_text("main")
    assert other.page.locator('.tabs a[aria-current="page"]').inner_text() == "年度确认超期（0件）"
    check_axe(other.page, "overdue queue, empty")
    other.close()


def confirm_without_javascript(browser, base, people):
    visit = Visit(browser, base, javascript=False)
    visit.page.set_default_timeout(30_000)
    visit.sign_in("station_worker", people["worker"], station=people["station"])
    page = visit.page
    page.goto(f"{base}/staff?list=entitlements")
    assert people["to_confirm"][:8] in page.inner_text("tbody")
    page.click(f"text={people['to_confirm'][:8]}")
    page.wait_for_url(f"{base}/staff/entitlements/{people['to_confirm']}")
    with page.expect_navigation():
        page.click("#confirm-button")
    assert page.url == f"{base}/staff/entitlements/{people['to_confirm']}/done", page.url
    assert page.inner_text("h1") == "年度确认已完成"
    confirmation = page.inner_text(".confirmation")
    assert "享受中" in confirmation and "¥" in confirmation, confirmation
    page.goto(f"{base}/staff?list=entitlements")
    assert people["to_confirm"][:8] not in page.inner_text("main")
    assert people["stays"][:8] in page.inner_text("tbody")
    visit.close()
    # The same pages' states, checked by axe in a JavaScript-on browser; confirming it again
    # this year is the service's 409, shown as such.
    checked = Visit(browser, base)
    checked.sign_in("station_worker", people["worker"], station=people["station"])
    page = checked.page
    page.goto(f"{base}/staff/entitlements/{people['to_confirm']}/done")
    check_axe(page, "confirmation done")
    page.goto(f"{base}/staff/entitlements/{people['to_confirm']}")
    assert "年度确认" in page.inner_text("section[aria-labelledby=timeline-title]")
    with page.expect_navigation() as answer:
        page.click("#confirm-button")
    assert answer.value.status == 409, answer.value.status
    assert "今年已确认的待遇不能再确认" in page.inner_text(".notice")
    check_axe(page, "entitlement page, 409")
    checked.close()


SCENARIOS = {f.__name__: f for f in (overdue_queue, confirm_without_javascript)}

if __name__ == "__main__":
    main(SCENARIOS)
