"""The veteran's own applications in a real browser (run by tests/e2e/test_portal_veteran_flows.py).

Each scenario runs in a plain Python process, as tests/e2e/portal_browser.py's do:
`python tests/e2e/portal_browser_veteran.py <scenario> '<json: base, people>'`; exit 0 means every
check of the scenario held.
"""
from __future__ import annotations

import json

from tests.e2e.portal_browser import TITLE, Visit, check_axe, main


def _visit(browser, base, javascript: bool = True) -> Visit:
    visit = Visit(browser, base, javascript=javascript)
    # A step that cannot happen fails within seconds, with its selector, not at the scenario's end.
    visit.context.set_default_timeout(15_000)
    return visit


def _axe(page, state: str, javascript: bool) -> None:
    """axe-core is a script: it runs in each flow's JavaScript-on run, over the same pages."""
    if javascript:
        check_axe(page, state)


def _submit(page, selector: str = "form button.primary") -> None:
    with page.expect_navigation():
        page.click(selector)


def relief(browser, base, people, javascript: bool):
    """Apply for hardship relief: the error state, 请核对 with 修改 (answers kept), 确认提交, the
    confirmation page; then the application is on the home page under 我的事项."""
    visit = _visit(browser, base, javascript)
    visit.sign_in("veteran", f"portal-relief-{javascript}",
                  veteran_id=people["relief_js" if javascript else "relief_nojs"])
    page = visit.page
    page.click("a[href='/relief/new']")
    page.wait_for_url(f"{base}/relief/new")
    assert page.title() == "申请困难帮扶" + TITLE
    _axe(page, "relief form, empty", javascript)
    _submit(page)
    assert page.title() == "错误：申请困难帮扶" + TITLE
    summary = page.inner_text(".error-summary")
    assert "请选择申请原因" in summary and "申请金额" in summary, summary
    _axe(page, "relief form, errors", javascript)
    page.check("#trigger")
    page.fill("#amount", "2,000.5")
    page.fill("#circumstances", "妻子住院治疗，家庭收入中断。")
    _submit(page)
    assert page.title() == "请核对困难帮扶申请" + TITLE
    check = page.inner_text("dl.check")
    assert "¥2,000.50" in check and "妻子住院治疗" in check, check
    _axe(page, "relief check answers", javascript)
    # 修改 goes back to the form with every answer kept.
    _submit(page, "form.inline button")
    assert page.input_value("#amount") == "2,000.5"
    assert page.is_checked("#trigger")
    page.fill("#amount", "3000")
    _submit(page)
    assert "¥3,000.00" in page.inner_text("dl.check")
    _submit(page)
    assert page.title() == "困难帮扶申请" + TITLE
    assert page.inner_text(".confirmation h1") == "申请已提交"
    assert "/relief/" in page.url
    confirmation = page.url
    _axe(page, "relief confirmation", javascript)
    # The confirmation is a page of its own: a reload shows it again, it does not apply again.
    page.reload()
    assert page.inner_text(".confirmation h1") == "申请已提交"
    page.goto(f"{base}/")
    mine = page.inner_text("section[aria-labelledby=applications-title]")
    assert "困难帮扶" in mine and "已提交" in mine and "¥3,000.00" in mine, mine
    # Cases in other services too, each with its next deadline: the petition lodged for them.
    assert "信访（社会保险）" in mine and "已登记，待受理" in mine, mine
    petition = page.locator("section[aria-labelledby=applications-title] tr",
                            has_text="信访（社会保险）")
    assert "年" in petition.locator("td").nth(4).inner_text(), petition.inner_text()
    print(json.dumps({"confirmation": confirmation}))
    visit.close()


def relief_sent_twice(browser, base, people):
    """The 确认提交 form sent twice (a double click, a resubmitted page): one application."""
    visit = _visit(browser, base, False)
    visit.sign_in("veteran", "portal-relief-twice", veteran_id=people["relief_twice"])
    page = visit.page
    page.goto(f"{base}/relief/new")
    page.check("#trigger")
    page.fill("#amount", "1500")
    page.fill("#circumstances", "房屋受台风损坏。")
    _submit(page)
    form = {name: page.locator(f"form[action='/relief/submit'] input[name='{name}']")
            .input_value() for name in ("csrf_token", "idempotency_key", "trigger", "amount",
                                        "circumstances")}
    first = visit.context.request.post(f"{base}/relief/submit", form=form, max_redirects=0)
    second = visit.context.request.post(f"{base}/relief/submit", form=form, max_redirects=0)
    assert first.status == second.status == 303, (first.status, second.status)
    assert first.headers["location"] == second.headers["location"]
    visit.close()


def offer(browser, base, people, javascript: bool):
    """An offered survivors' pension: listed under 需要您处理 with its deadline; answered with
    JavaScript off (the relation missing first: the error state), then the answer shown."""
    visit = _visit(browser, base, javascript)
    visit.sign_in("veteran", f"portal-offer-{javascript}",
                  veteran_id=people["offered_js" if javascript else "offered_nojs"])
    page = visit.page
    actions = page.inner_text("section[aria-labelledby=actions-title]")
    assert "答复是否需要定期抚恤金" in actions and "截止" in actions, actions
    with page.expect_navigation():
        page.click("section[aria-labelledby=actions-title] a:has-text('定期抚恤金')")
    assert page.title() == "定期抚恤金告知" + TITLE
    _axe(page, "offer, open", javascript)
    page.check("#answer")
    _submit(page)
    assert page.title() == "错误：定期抚恤金告知" + TITLE
    assert "关系" in page.inner_text(".error-summary")
    _axe(page, "offer, error", javascript)
    page.check("#answer")
    page.select_option("#relation", "child")
    _submit(page)
    assert page.inner_text(".confirmation h1") == "您已确认需要定期抚恤金"
    assert "已提交" in page.inner_text("main")
    _axe(page, "offer, answered", javascript)
    page.goto(f"{base}/")
    mine = page.inner_text("section[aria-labelledby=applications-title]")
    assert "定期抚恤金" in mine and "已提交" in mine, mine
    assert "定期抚恤金" not in page.inner_text("section[aria-labelledby=actions-title]")
    visit.close()


def bundle(browser, base, people, javascript: bool):
    """Submit the discharge bundle with JavaScript off: 请核对, 确认提交, the receipt listing the
    matters sent; the home page then shows them as a task list."""
    visit = _visit(browser, base, javascript)
    visit.sign_in("veteran", f"portal-bundle-{javascript}",
                  veteran_id=people["bundle_js" if javascript else "bundle_nojs"])
    page = visit.page
    with page.expect_navigation():
        page.click("a[href='/bundle/new']")
    _axe(page, "bundle form", javascript)
    page.fill("#discharge_approved_on", "2026-02-30")
    _submit(page)
    assert "年-月-日" in page.inner_text(".error-summary")
    _axe(page, "bundle form, errors", javascript)
    page.fill("#discharge_approved_on", people["approved_on"])
    page.select_option("#rank_class", "conscript")
    page.fill("#years_of_service", "2")
    page.select_option("#placement_mode", "self_employment")
    page.check("#leave_out-card")
    page.fill("#reason", "到服务站现场申领")
    _submit(page)
    assert page.title() == "请核对军人退役一件事申请" + TITLE
    assert "优待证" in page.inner_text("dl.check")
    _axe(page, "bundle check answers", javascript)
    _submit(page)
    assert page.inner_text(".confirmation h1") == "申请已提交"
    assert page.locator("main ul li").count() >= 5
    _axe(page, "bundle receipt", javascript)
    page.goto(f"{base}/")
    assert page.locator(".task").count() >= 5
    # Reporting in, a matter of the bundle, opens the placement case: 我的事项 shows it once
    # placement has it (within seconds), with its state in the veteran's words.
    mine = "section[aria-labelledby=applications-title]"
    for _ in range(20):
        if "退役安置" in page.inner_text(mine):
            break
        page.wait_for_timeout(500)
        page.reload()
    assert "退役安置" in page.inner_text(mine), page.inner_text(mine)
    _axe(page, "veteran page with cases in several services", javascript)
    visit.close()


def staff_read_on_the_log(browser, base, people):
    """A station worker opens the veteran's file on the staff pages; the veteran's own page then
    lists that read under 谁查看了我的档案, with who and what."""
    staff = _visit(browser, base)
    staff.sign_in("station_worker", "portal-reader-worker", station=people["station"])
    response = staff.page.goto(f"{base}/staff/veterans/{people['relief_twice']}")
    assert response.status == 200, response.status
    staff.close()
    visit = _visit(browser, base)
    visit.sign_in("veteran", "portal-reader-vet", veteran_id=people["relief_twice"])
    log = visit.page.locator("section[aria-labelledby=log-title] tbody tr",
                             has_text="服务站工作人员")
    assert log.count() >= 1, visit.page.inner_text("section[aria-labelledby=log-title]")
    assert "查看档案" in log.first.inner_text(), log.first.inner_text()
    visit.close()


SCENARIOS = {
    "relief_without_javascript": lambda b, base, p: relief(b, base, p, javascript=False),
    "relief_with_javascript": lambda b, base, p: relief(b, base, p, javascript=True),
    "relief_sent_twice": relief_sent_twice,
    "staff_read_on_the_log": staff_read_on_the_log,
    "offer_without_javascript": lambda b, base, p: offer(b, base, p, javascript=False),
    "offer_with_javascript": lambda b, base, p: offer(b, base, p, javascript=True),
    "bundle_without_javascript": lambda b, base, p: bundle(b, base, p, javascript=False),
    "bundle_with_javascript": lambda b, base, p: bundle(b, base, p, javascript=True),
}

if __name__ == "__main__":
    main(SCENARIOS)
