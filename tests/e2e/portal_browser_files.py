"""Browser scenarios for the staff's veteran files and imports, run by tests/e2e/test_portal_files.py.

Each runs in a plain Python process (Playwright hangs under the test session's eventlet patching),
as tests/e2e/portal_browser.py's do: `python tests/e2e/portal_browser_files.py <scenario> '<json>'`.
Every page is checked with axe-core (in a visit with JavaScript on: axe runs as a script, so the
JavaScript-off visit checks the flow and the on visits the same pages' accessibility), every
request must stay on our origin, and no ID number may appear in any URL the browser asked for.
"""
from __future__ import annotations

import re

import requests

from tests.e2e.portal_browser import TITLE, Visit, check_axe, main

CLERK = ("registry_clerk", "portal-clerk-files")
ID_NUMBER = re.compile(r"[0-9]{17}[0-9Xx]")


def _clerk(browser, base, javascript=True) -> Visit:
    visit = Visit(browser, base, javascript=javascript)
    visit.sign_in(*CLERK)
    return visit


def _done(visit: Visit, people: dict, *numbers: str) -> None:
    """Same origin only, and no ID number (these or any) in a URL the browser requested."""
    leaked = [url for url in visit.requests
              if ID_NUMBER.search(url) or any(n in url for n in numbers if n)]
    assert leaked == [], f"ID numbers in URLs: {leaked}"
    visit.close()


def _fill(page, answers: dict) -> None:
    for name, value in answers.items():
        if page.locator(f"select#{name}").count():
            page.select_option(f"#{name}", value)
        else:
            page.fill(f"#{name}", value)


def register_without_javascript(browser, base, people):
    visit = _clerk(browser, base, javascript=False)
    page = visit.page
    page.goto(f"{base}/staff/veterans/new")
    assert page.title() == "登记退役军人" + TITLE
    answers = people["new_veteran"]
    _fill(page, answers)
    with page.expect_navigation():
        page.click("button.primary")
    assert page.title() == "请核对登记信息" + TITLE, page.title()
    assert page.url == f"{base}/staff/veterans/new"
    shown = page.inner_text("dl.check-answers")
    assert answers["name"] in shown and answers["id_number"] in shown and "退役士兵" in shown
    # 修改 brings the form back with every value kept.
    with page.expect_navigation():
        page.click("button[value='change:name']")
    assert page.title() == "登记退役军人" + TITLE
    for name, value in answers.items():
        assert page.locator(f"#{name}").input_value() == value, name
    page.fill("#name", answers["name"] + "华")
    with page.expect_navigation():
        page.click("button.primary")
    assert answers["name"] + "华" in page.inner_text("dl.check-answers")
    with page.expect_navigation():
        page.click("button[value='confirm']")
    assert page.title() == "登记成功" + TITLE, page.title()
    veteran_id = page.inner_text(".file-number").strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", veteran_id), veteran_id
    with page.expect_navigation():
        page.click(f"a[href='/staff/veterans/{veteran_id}']")
    assert answers["name"] + "华" in page.inner_text("main"), (page.title(), page.url)
    assert "建立档案" in page.inner_text("section[aria-labelledby=history-title]")
    _done(visit, people, answers["id_number"])


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Tab until the element matching `selector` has the focus (keyboard only, no clicks)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def register_with_the_keyboard(browser, base, people):
    visit = _clerk(browser, base)
    page = visit.page
    page.goto(f"{base}/staff/veterans/new")
    check_axe(page, "register, empty form")
    answers = people["keyboard_veteran"]
    for name, value in answers.items():
        _tab_to(page, f"#{name}")
        if name == "discharge_category":
            page.keyboard.press("ArrowDown")  # the first category: 退役士兵
        else:
            page.keyboard.type(value)
    assert page.locator("#discharge_category").input_value() == "discharged_soldier"
    _tab_to(page, "main button.primary")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.title() == "请核对登记信息" + TITLE, page.title()
    check_axe(page, "register, check answers")
    _tab_to(page, "button[value='confirm']")
    # The focused element is visibly outlined (focus visible).
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", outline
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.title() == "登记成功" + TITLE, page.title()
    check_axe(page, "register, confirmation")
    _tab_to(page, "main ul a")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # 查看这份档案
    assert answers["name"] in page.inner_text("main"), (page.title(), page.url)
    assert "建立档案" in page.inner_text("section[aria-labelledby=history-title]")
    check_axe(page, "the file with its history")
    _done(visit, people, answers["id_number"])


def error_states(browser, base, people):
    visit = _clerk(browser, base)
    page = visit.page
    page.goto(f"{base}/staff/veterans/new")
    # Nothing filled in: the contract's errors, before the check page.
    with page.expect_navigation():
        page.click("button.primary")
    summary = page.locator(".error-summary")
    assert page.title() == "错误：登记退役军人" + TITLE
    assert "姓名：必填" in summary.inner_text()
    assert summary.locator("a[href='#name']").count() == 1
    assert page.locator("#name[aria-invalid=true]").count() == 1
    check_axe(page, "register, required fields missing")
    # A bad check character: passes the form's pattern, refused by the registry (the API's 400).
    bad = people["bad_veteran"]
    _fill(page, bad)
    with page.expect_navigation():
        page.click("button.primary")
    assert page.title() == "请核对登记信息" + TITLE
    with page.expect_navigation():
        page.click("button[value='confirm']")
    assert "校验码不正确" in page.locator(".error-summary").inner_text()
    assert "校验码不正确" in page.inner_text("#id_number-error")
    assert page.locator("#id_number").input_value() == bad["id_number"]  # values kept
    assert page.locator("#name").input_value() == bad["name"]
    check_axe(page, "register, bad ID number")
    # The summary's link takes the focus to the field.
    page.click(".error-summary a[href='#id_number']")
    assert page.evaluate("document.activeElement.id") == "id_number"
    # An ID number that already has a file: explained, with a way to find it.
    _fill(page, people["existing_answers"])
    with page.expect_navigation():
        page.click("button.primary")
    with page.expect_navigation():
        page.click("button[value='confirm']")
    assert "已有档案" in page.inner_text(".error-summary")
    assert page.locator(f"a[href='/staff/veterans/{people['existing']}']").count() == 1
    assert page.locator("a[href='/staff/veterans']").count() >= 1
    check_axe(page, "register, already registered")
    _done(visit, people, bad["id_number"], people["existing_answers"]["id_number"])
    # A role without the page is refused (fails closed), as is a veteran.
    for role, fields in (("veteran", {"veteran_id": people["existing"]}),
                         ("benefits_officer", {})):
        visit = Visit(browser, base)
        visit.sign_in(role, f"portal-{role}-files", **fields)
        for path in ("/staff/veterans/new", "/staff/veterans", "/staff/imports",
                     f"/staff/veterans/{people['existing']}"):
            response = visit.page.goto(f"{base}{path}")
            assert response.status == 403, (role, path, response.status)
            assert visit.page.title() == "此页面不对您的角色开放" + TITLE
        check_axe(visit.page, "refused")
        visit.close()


def amend_with_a_conflict(browser, base, people):
    visit = _clerk(browser, base)
    page = visit.page
    veteran_id = people["existing"]
    page.goto(f"{base}/staff/veterans/{veteran_id}")
    with page.expect_navigation():
        page.click(f"a[href='/staff/veterans/{veteran_id}/amend']")
    assert page.title() == "修改联系方式" + TITLE
    check_axe(page, "amend, form")
    page.fill("#phone", "13900001111")
    with page.expect_navigation():
        page.click("button.primary")
    assert page.title() == "请核对修改内容" + TITLE, (page.title(), page.inner_text("main")[:300])
    assert "原为" in page.inner_text("dl.check-answers")
    # Meanwhile someone else changes the file over the API.
    other = requests.patch(f"{base}/api/v1/veterans/{veteran_id}/contact", timeout=15,
                           json={"address": "金东区多湖街道光南路1号"},
                           headers={"Authorization": f"Bearer {people['clerk_token']}"})
    assert other.status_code == 200, other.text
    with page.expect_navigation():
        page.click("button[value='confirm']")
    assert page.title() == "错误：修改联系方式" + TITLE, page.title()
    summary = page.inner_text(".error-summary")
    assert "档案已被他人修改，请核对后重新提交" in summary
    assert "金东区多湖街道光南路1号" in summary  # what the file holds now
    assert page.locator("#phone").input_value() == "13900001111"  # what was typed, kept
    check_axe(page, "amend, conflict")
    with page.expect_navigation():
        page.click("button.primary")
    with page.expect_navigation():
        page.click("button[value='confirm']")
    assert page.title() == "修改成功" + TITLE, page.title()
    check_axe(page, "amend, done")
    page.goto(f"{base}/staff/veterans/{veteran_id}")
    history = page.inner_text("section[aria-labelledby=history-title]")
    assert history.count("修改联系方式") == 2, history
    assert "13900001111" in page.inner_text("section[aria-labelledby=file-title]")
    _done(visit, people)


def veteran_list(browser, base, people):
    visit = _clerk(browser, base)
    page = visit.page
    station = people["station"]
    page.goto(f"{base}/staff/veterans")
    page.fill("#service_station", station)
    with page.expect_navigation():
        page.click(".filters button")
    # Other tests register files too: the total is the API's own count at this moment.
    total = requests.get(f"{base}/api/v1/veterans", timeout=15,
                         params={"service_station": station, "page_size": "1"},
                         headers={"Authorization": f"Bearer {people['clerk_token']}"}
                         ).json()["total"]
    assert total >= people["at_station"]
    assert f"第1–15条，共{total}条" in page.inner_text(".count"), page.inner_text(".count")
    assert page.locator("tbody tr").count() == 15
    # Never the full ID number in a list: the masked one only.
    assert ID_NUMBER.search(page.inner_text("table")) is None
    check_axe(page, "list, populated")
    with page.expect_navigation():
        page.click("a[rel=next]")
    assert f"第16–{min(total, 30)}条，共{total}条" in page.inner_text(".count")
    assert page.title() == "退役军人档案（第2页）" + TITLE
    page.goto(f"{base}/staff/veterans?service_station=没有这个服务站")
    assert "没有符合条件的档案" in page.inner_text("main")
    check_axe(page, "list, empty")
    page.goto(f"{base}/staff/veterans?discharge_category=nonsense")
    assert page.locator(".error-summary").count() == 1
    check_axe(page, "list, error")
    _done(visit, people)


def import_a_file(browser, base, people):
    visit = _clerk(browser, base)
    page = visit.page
    page.goto(f"{base}/staff/imports")
    check_axe(page, "import, upload form")
    with page.expect_navigation():
        page.click("button.primary")  # no file chosen
    assert "请选择要导入的文件" in page.inner_text(".error-summary")
    check_axe(page, "import, no file")
    page.set_input_files("#file", people["sample"])
    with page.expect_navigation(timeout=60_000):
        page.click("button.primary")
    assert page.title().startswith("试运行结果"), page.title()
    counts = page.inner_text("dl.counts")
    assert f"{people['sample_rows']} 行" in counts
    problems = page.locator("table.problems tbody tr")
    assert problems.count() == people["sample_bad"], problems.count()
    assert page.locator("table.problems th").all_inner_texts() == ["行号", "错误原因"]
    assert re.search(r"\d", problems.first.locator("td").first.inner_text())
    check_axe(page, "import, dry run with errors")
    with page.expect_download() as download:
        page.click("a[href$='/errors']")
    assert "错误原因" in download.value.path().read_text(encoding="utf-8-sig")
    with page.expect_navigation():
        page.click("button.primary")  # 确认导入
    assert page.title().startswith("导入进度"), page.title()
    good = people["sample_rows"] - people["sample_bad"]
    # The page follows the import by itself (static/imports.js) until the outcome is shown.
    page.wait_for_selector("dl.counts", timeout=60_000)
    assert f"{good} 行" in page.inner_text("dl.counts")
    assert page.locator("progress").get_attribute("value") in ("100", "100.0")
    check_axe(page, "import, done")
    _done(visit, people)


def screenshot(browser, base, people):
    visit = Visit(browser, base)
    visit.context.close()
    visit.context = browser.new_context(locale="zh-CN", viewport={"width": 1000, "height": 900})
    visit.context.on("request", lambda request: visit.requests.append(request.url))
    visit.page = visit.context.new_page()
    visit.sign_in(*CLERK)
    page = visit.page
    page.goto(f"{base}/staff/veterans/new")
    _fill(page, people["shot_veteran"])
    with page.expect_navigation():
        page.click("button.primary")
    assert page.title() == "请核对登记信息" + TITLE
    page.screenshot(path=people["path"], full_page=True)
    _done(visit, people)


SCENARIOS = {f.__name__: f for f in (register_without_javascript, register_with_the_keyboard,
                                      error_states, amend_with_a_conflict, veteran_list,
                                      import_a_file, screenshot)}

if __name__ == "__main__":
    main(SCENARIOS)
