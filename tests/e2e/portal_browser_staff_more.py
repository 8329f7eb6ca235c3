"""The workbench's proxy case, 需要跟进 and 年度确认超期 scenarios, run by tests/e2e/test_portal_staff_more.py.

`python tests/e2e/portal_browser_staff_more.py <scenario> '<json: base, people>'`; exit 0 means
every check of the scenario held (see tests/e2e/portal_browser.py for why a process of its own).
axe-core is a script: it runs in the JavaScript-on browsers only (it hangs with JavaScript off),
over the same pages the JavaScript-off scenarios walk.
"""
from __future__ import annotations

from tests.e2e.portal_browser import TITLE, Visit, check_axe, main


def proxy_queues(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("disputes_officer", people["disputes"])
    page = visit.page
    assert page.url == f"{base}/staff", page.url
    labels = [t.split("（")[0] for t in page.locator(".tabs a").all_inner_texts()]
    assert labels[:3] == ["信访待受理", "代理案件 · 待我办理", "代理案件 · 已办结"], labels
    page.click("text=代理案件 · 待我办理")
    page.wait_for_url(f"{base}/staff?list=proxy&queue=mine")
    assert page.title() == "工作台 · 代理案件 · 待我办理" + TITLE, page.title()
    assert page.locator('.tabs a[aria-current="page"]').inner_text().startswith("代理案件 · 待我办理（")
    # A whole test run holds many proxy cases (the fuzzer's among them): this station's only.
    page.goto(f"{base}/staff?list=proxy&queue=mine&station={people['station']}")
    rows = page.locator("tbody tr").all_inner_texts()
    ours = [r for r in rows if people["station"] in r]
    assert ours == rows and len(ours) >= people["proxy_open"] - 2, rows  # others may close one
    assert all("办理中，已开办0天" in r and "社会保险" in r and "民兵连长" in r for r in ours), ours
    assert people["proxy_closed"][:8] not in " ".join(rows)
    check_axe(page, "proxy queue, populated")
    page.goto(f"{base}/staff?list=proxy&queue=done&station={people['station']}")
    done = page.locator("tbody tr").all_inner_texts()
    assert any(people["proxy_closed"][:8] in r and "已办结（办成）" in r and "结案" in r
               for r in done), done
    check_axe(page, "proxy queue, done")
    # A closed case's page: its timeline, no step left.
    page.goto(f"{base}/staff/proxy/{people['proxy_closed']}")
    assert page.title() == f"代理案件 {people['proxy_closed'][:8]}" + TITLE
    assert "这件案件目前没有需要您办理的步骤" in page.inner_text("main")
    assert "开办代理案件" in page.inner_text("section[aria-labelledby=timeline-title]")
    check_axe(page, "proxy case, closed")
    # Empty: a station worker of another station has no proxy cases.
    other = Visit(browser, base)
    other.sign_in("station_worker", "h10-empty-worker", station="岩头镇退役军人服务站")
    other.page.goto(f"{base}/staff?list=proxy&queue=mine")
    assert "这个队列里没有代理案件" in other.page.inner_text("main")
    check_axe(other.page, "proxy queue, empty")
    other.close()
    visit.close()


def proxy_step_without_javascript(browser, base, people):
    visit = Visit(browser, base, javascript=False)
    visit.page.set_default_timeout(30_000)
    visit.sign_in("disputes_officer", people["disputes"])
    page = visit.page
    case = f"{base}/staff/proxy/{people['proxy_step']}"
    page.goto(case)
    # The error state first: no note.
    with page.expect_navigation():
        page.click("#steps-button")
    assert page.title().startswith("错误：代理案件"), page.title()
    summary = page.inner_text(".error-summary")
    assert "请填写做了什么" in summary, summary
    assert page.locator("#steps-note").get_attribute("aria-invalid") == "true"
    page.fill("#steps-note", "到区社保中心递交转移申请")
    with page.expect_navigation():
        page.click("#steps-button")
    assert page.url.startswith(f"{case}/done"), page.url
    assert page.inner_text("h1") == "记录办理步骤已完成"
    assert "办理中" in page.inner_text(".confirmation")
    page.goto(case)
    assert "到区社保中心递交转移申请" in page.inner_text("section[aria-labelledby=done-steps-title]")
    visit.close()
    # The same pages' states, checked by axe in a JavaScript-on browser.
    checked = Visit(browser, base)
    checked.sign_in("disputes_officer", people["disputes"])
    checked.page.goto(case)
    check_axe(checked.page, "proxy case, open")
    with checked.page.expect_navigation():
        checked.page.click("#outcome-button")
    assert "请选择结果" in checked.page.inner_text(".error-summary")
    check_axe(checked.page, "proxy case, error")
    checked.page.goto(f"{case}/done?step=steps")
    check_axe(checked.page, "proxy step, done")
    checked.close()


def proxy_close_with_the_keyboard(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("disputes_officer", people["disputes"])
    page = visit.page
    page.goto(f"{base}/staff/proxy/{people['proxy_close']}")
    # Tab to the outcome's first choice, pick it, then on to the button and Enter.
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "outcome-outcome":
            break
    else:
        raise AssertionError("the outcome choice is not reachable by Tab")
    page.keyboard.press("Space")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "outcome-button":
            break
    else:
        raise AssertionError("the close button is not reachable by Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.inner_text("h1") == "结案已完成", page.inner_text("main")
    assert "已办结（办成）" in page.inner_text(".confirmation")
    visit.close()


def attention_follow_up(browser, base, people):
    checked = Visit(browser, base)
    checked.sign_in("station_worker", people["worker"], station=people["station"])
    page = checked.page
    page.goto(f"{base}/staff?list=attention")
    assert page.title() == "工作台 · 需要跟进" + TITLE, page.title()
    # (The reference departments may refuse the household registration of it too.)
    rows = [r for r in page.locator("tbody tr").all_inner_texts()
            if people["bundle"][:8] in r and "养老保险关系转移接续" in r]
    assert len(rows) == 1 and rows[0].startswith("被退回"), rows
    check_axe(page, "attention, populated")
    item = f"{base}/staff/attention/{people['bundle']}/pension_insurance"
    page.goto(item)
    assert "缺少参保缴费凭证" in page.inner_text("main")
    check_axe(page, "attention item")
    with page.expect_navigation():
        page.click("#follow-up-button")
    assert "请填写做了什么" in page.inner_text(".error-summary")
    check_axe(page, "attention item, error")
    checked.close()
    # The follow-up itself with JavaScript off.
    visit = Visit(browser, base, javascript=False)
    visit.page.set_default_timeout(30_000)
    visit.sign_in("station_worker", people["worker"], station=people["station"])
    page = visit.page
    page.goto(item)
    page.fill("#note", "已电话联系社保窗口，约定下周补交凭证")
    with page.expect_navigation():
        page.click("#follow-up-button")
    assert page.url == f"{item}/done", page.url
    assert page.inner_text("h1") == "跟进已记录"
    page.goto(f"{base}/staff?list=attention")
    assert not [r for r in page.locator("tbody tr").all_inner_texts()
                if people["bundle"][:8] in r and "养老保险关系转移接续" in r]
    visit.close()
    again = Visit(browser, base)
    again.sign_in("station_worker", people["worker"], station=people["station"])
    again.page.goto(f"{item}/done")
    check_axe(again.page, "attention, done")
    again.close()


SCENARIOS = {f.__name__: f for f in (proxy_queues, proxy_step_without_javascript,
                                      proxy_close_with_the_keyboard, attention_follow_up)}

if __name__ == "__main__":
    main(SCENARIOS)
