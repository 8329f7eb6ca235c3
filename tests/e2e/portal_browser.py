"""The portal's browser scenarios, run by tests/e2e/test_portal_pages.py in a process of their own.

Playwright's sync API hangs under eventlet's monkey patching, which the test session applies for
nameko; so each scenario runs here, in a plain Python process, against the running e2e system:
`python tests/e2e/portal_browser.py <scenario> '<json: base, people>'`. A failed check raises
(exit 1 with the traceback on stderr); exit 0 means every check of the scenario held.
"""
from __future__ import annotations

import json
import sys
import time
from urllib.parse import urlsplit

import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# axe-core's rules for WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                              "wcag22aa"]},
        "resultTypes": ["violations"]}
TITLE = " - 退役军人服务平台"
STATUS_LABELS = {"已提交", "办理中", "已超期", "已办结", "被退回", "已撤回"}


class Visit:
    """One browser context (its own cookies) that records every request its pages make."""

    def __init__(self, browser, base: str, javascript: bool = True):
        self.base = base
        self.context = browser.new_context(java_script_enabled=javascript, locale="zh-CN")
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()

    def sign_in(self, role: str, subject: str, **fields) -> None:
        page = self.page
        page.goto(f"{self.base}/signin")
        page.select_option("#role", role)
        page.fill("#subject", subject)
        for name, value in fields.items():
            if name == "department":
                page.select_option("#department", value)
            else:
                page.fill(f"#{name}", value)
        with page.expect_navigation():
            page.click("button.primary")

    def check_same_origin(self) -> None:
        ours = urlsplit(self.base)[:2]
        others = [url for url in self.requests if urlsplit(url)[:2] != ours]
        assert self.requests and others == [], f"requests to other origins: {others}"

    def close(self):
        self.check_same_origin()
        self.context.close()


def check_axe(page, state: str) -> None:
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, f"{state}: {results.generate_report()}"


def sign_in_page(browser, base, people):
    visit = Visit(browser, base)
    page = visit.page
    response = page.goto(f"{base}/signin")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.title() == "开发环境登录" + TITLE
    assert "仅限开发环境" in page.inner_text(".dev-warning")
    check_axe(page, "sign-in")
    # The error state: a veteran without their file's id.
    page.select_option("#role", "veteran")
    page.fill("#subject", "vet-no-id")
    with page.expect_navigation():
        page.click("button.primary")
    assert "档案编号" in page.inner_text(".error-summary")
    check_axe(page, "sign-in with an error")
    visit.close()


def populated(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("veteran", "portal-vet-1", veteran_id=people["with_bundle"])
    page = visit.page
    assert page.url == f"{base}/", page.url
    assert page.title() == "我的主页" + TITLE
    assert people["names"][0] in page.inner_text("section[aria-labelledby=file-title]")
    tasks = page.locator(".task")
    assert tasks.count() >= 5, tasks.count()
    statuses = set(page.locator(".task .status").all_inner_texts())
    assert statuses <= STATUS_LABELS and "已办结" in statuses, statuses
    assert "更新于" in tasks.first.inner_text()
    # The left-out card is not a task; it is listed apart with the veteran's reason.
    assert "到服务站现场申领" in page.inner_text("section[aria-labelledby=bundle-title]")
    log = page.inner_text("section[aria-labelledby=log-title]")
    assert "户籍核查" in log and "部门系统" in log, log
    # Dates are the bureau's (2026年11月27日), never ISO.
    updated = tasks.first.locator("dd").nth(1).inner_text()
    assert "年" in updated and "-" not in updated, updated
    check_axe(page, "veteran page, populated")
    # The session is HttpOnly: no script on the page can read the token.
    assert "vetlife_session" not in page.evaluate("document.cookie")
    cookie = next(c for c in visit.context.cookies() if c["name"] == "vetlife_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    # Elder mode, then the same checks at the larger size.
    page.click(".text-size button")
    page.wait_for_selector("html.large-text")
    check_axe(page, "veteran page, large text")
    visit.close()


def empty_and_error(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("veteran", "portal-vet-2", veteran_id=people["without"])
    page = visit.page
    assert "还没有提交" in page.inner_text("section[aria-labelledby=bundle-title]")
    check_axe(page, "veteran page, empty")
    visit.close()
    visit = Visit(browser, base)
    # Error: a veteran whose file does not exist.
    visit.sign_in("veteran", "portal-vet-none", veteran_id="00000000-0000-4000-8000-000000000000")
    page = visit.page
    assert "没有找到您的档案" in page.inner_text("section[aria-labelledby=file-title]")
    check_axe(page, "veteran page, error")
    visit.close()


def without_javascript(browser, base, people):
    visit = Visit(browser, base, javascript=False)
    visit.sign_in("veteran", "portal-vet-nojs", veteran_id=people["with_bundle"])
    page = visit.page
    assert page.url == f"{base}/" and page.locator(".task").count() >= 5
    # Elder mode by a plain form post and a cookie.
    with page.expect_navigation():
        page.click(".text-size button")
    assert page.locator("html.large-text").count() == 1
    assert page.title() == "我的主页" + TITLE
    # Sign-out; the page is then closed to this browser.
    with page.expect_navigation():
        page.click(".sign-out button")
    assert page.url == f"{base}/signin", page.url
    page.goto(f"{base}/")
    assert page.url == f"{base}/signin", page.url
    visit.close()


def forged_posts(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("veteran", "portal-vet-csrf", veteran_id=people["with_bundle"])
    # Forms posted without the token, or with a wrong one: refused, and still signed in.
    assert visit.context.request.post(f"{base}/signout", form={"back": "/"}).status == 403
    assert visit.context.request.post(f"{base}/signout",
                                      form={"csrf_token": "x" * 43}).status == 403
    assert visit.page.goto(f"{base}/").url == f"{base}/"
    # A sign-in forged without the token mints nothing.
    forged = requests.post(f"{base}/signin", timeout=15, allow_redirects=False,
                           data={"role": "registry_clerk", "subject": "forger"})
    assert forged.status_code == 403 and "vetlife_session" not in forged.cookies
    # The right pair sent from another origin is refused too.
    csrf = next(c["value"] for c in visit.context.cookies() if c["name"] == "vetlife_csrf")
    crossed = requests.post(f"{base}/preferences/text-size", timeout=15, allow_redirects=False,
                            cookies={"vetlife_csrf": csrf},
                            headers={"Origin": "http://evil.example"},
                            data={"csrf_token": csrf, "size": "large"})
    assert crossed.status_code == 403
    # And from our own page it works: the form's token is the cookie's.
    allowed = requests.post(f"{base}/preferences/text-size", timeout=15, allow_redirects=False,
                            cookies={"vetlife_csrf": csrf}, data={"csrf_token": csrf})
    assert allowed.status_code == 303
    visit.close()


def other_veteran(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("veteran", "portal-vet-other", veteran_id=people["without"])
    page = visit.page
    text = page.inner_text("main")
    assert people["names"][1] in text
    assert people["names"][0] not in text and "户籍核查" not in text
    assert page.url == f"{base}/"  # no id in the URL to change
    visit.close()
    # A role with no page of its own (the auditor works through the API) gets none of the
    # veteran's: refused, as the API refuses. Staff and leaders are sent to their own start page.
    visit = Visit(browser, base)
    visit.sign_in("auditor", "portal-auditor")
    assert visit.page.title() == "此页面不对您的角色开放" + TITLE
    assert people["names"][0] not in visit.page.inner_text("main")
    visit.close()


def sign_in_only(browser, base, people):
    visit = Visit(browser, base)
    visit.sign_in("veteran", "portal-vet-audit", veteran_id=people["without"])
    assert visit.page.url == f"{base}/"
    visit.close()


def screenshot(browser, base, people):
    visit = Visit(browser, base)
    visit.context.close()
    visit.context = browser.new_context(locale="zh-CN", viewport={"width": 1000, "height": 900})
    visit.context.on("request", lambda request: visit.requests.append(request.url))
    visit.page = visit.context.new_page()
    visit.sign_in("veteran", "portal-vet-shot", veteran_id=people["with_bundle"])
    visit.page.screenshot(path=people["path"], full_page=True)
    visit.close()


def live(browser, base, people):
    """The refused household registration is done after all: the police record it while the
    page is open, and its status changes on the page (被退回 to 已办结) within 3 s of their answer,
    without a reload, from the bundle's stream."""
    visit = Visit(browser, base)
    visit.sign_in("veteran", "portal-vet-live", veteran_id=people["with_bundle"])
    page = visit.page
    status = page.locator('[data-matter="household_registration"] .status')
    assert status.inner_text() == "被退回", status.inner_text()
    page.evaluate("window.notReloaded = true")
    # The page's stream is open before the answer is given (the script marks the list).
    expect(page.locator("#bundle-status[data-live=open]")).to_have_count(1, timeout=15_000)
    answered = requests.post(
        f"{base}/api/v1/bundles/{people['bundle_id']}/matters/household_registration/outcome",
        json={"outcome": "done", "reference": "JDGA-HJ-LIVE-1"}, timeout=15,
        headers={"Authorization": f"Bearer {people['police_token']}"})
    assert answered.status_code == 200, answered.text
    started = time.monotonic()
    expect(status).to_have_text("已办结", timeout=3_000)
    print(f"live: 已办结 on the page {time.monotonic() - started:.2f} s after the answer")
    assert page.evaluate("window.notReloaded") is True
    assert "status-done" in status.get_attribute("class")
    visit.close()


SCENARIOS = {f.__name__: f for f in (sign_in_page, populated, empty_and_error, without_javascript,
                                      forged_posts, other_veteran, sign_in_only, screenshot,
                                      live)}

def main(scenarios: dict) -> None:
    """Run the scenario named on the command line (python <module> <scenario> '<json>') in
    Debian's chromium; a failed check raises, and "<scenario>: ok" is the last line when all held.
    Every portal_browser_*.py module ends with main(SCENARIOS)."""
    scenario, arguments = sys.argv[1], json.loads(sys.argv[2])
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            scenarios[scenario](chromium, arguments["base"], arguments["people"])
        finally:
            chromium.close()
    print(f"{scenario}: ok")


if __name__ == "__main__":
    main(SCENARIOS)
