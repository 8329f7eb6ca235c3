"""The portal's words and checks without a browser: dates, money, statuses, CSRF, sign-in's switch."""
from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contracts import access
from contracts.bundle import MATTER_STATUSES
from gateway.portal import formats, pages
from gateway.tokens import TokenSettings, ensure_signing_key


def test_dates_and_moments_are_written_the_bureaus_way():
    assert formats.chinese_date("2026-11-07") == "2026年11月7日"
    assert formats.chinese_date(dt.date(2026, 1, 1)) == "2026年1月1日"
    assert formats.chinese_date(None) == ""
    # The audit log's UTC moment, shown in Beijing time: past midnight it is the next day.
    assert formats.chinese_moment("2026-11-27T16:30:00+00:00") == "2026年11月28日 00:30"


def test_money_is_integer_fen_written_in_yuan():
    assert formats.yuan(123456) == "¥1,234.56"
    assert formats.yuan(5) == "¥0.05"
    assert formats.yuan(-100) == "-¥1.00"
    with pytest.raises(TypeError):
        formats.yuan(12.5)


def test_matter_statuses_are_at_most_six_and_submitted_is_never_done():
    assert len(formats.TASK_STATUSES) <= 6
    labels = {status: formats.matter_status(status)[1] for status in formats.MATTER_LABELS}
    assert labels["requested"] == "已提交" and labels["done"] == "已办结"
    assert [s for s, label in labels.items() if label == "已办结"] == ["done"]
    # Every status the bundle can show is either a task or listed apart as not one.
    assert set(MATTER_STATUSES) - set(formats.MATTER_LABELS) == {"not_applicable", "left_out"}


def test_pages_fail_closed():
    assert access.page_grants("veteran_home", ["veteran"])
    assert not access.page_grants("veteran_home", ["registry_clerk", "leader"])
    # The workbench: the people who work cases on it, and no one else.
    staff = {"station_worker", "benefits_officer", "disputes_officer", "approver",
             "placement_officer"}
    assert set(access.page_grants("staff_workbench", list(access.ROLES))) == staff
    assert not access.page_grants("staff_workbench", list(access.ROLES - staff))


def _post(form: dict, cookies: dict, headers: dict | None = None) -> Request:
    builder = EnvironBuilder(path="/signout", method="POST", data=form, headers=headers or {},
                             base_url="http://localhost:8000")
    for name, value in cookies.items():
        builder.headers.add("Cookie", f"{name}={value}")
    return Request(builder.get_environ())


def test_csrf_needs_the_form_token_to_match_the_cookie_from_our_own_origin():
    token = "a" * 43
    assert pages.csrf_ok(_post({"csrf_token": token}, {"vetlife_csrf": token}))
    assert not pages.csrf_ok(_post({}, {"vetlife_csrf": token}))
    assert not pages.csrf_ok(_post({"csrf_token": token}, {}))
    assert not pages.csrf_ok(_post({"csrf_token": "b" * 43}, {"vetlife_csrf": token}))
    assert not pages.csrf_ok(_post({"csrf_token": token}, {"vetlife_csrf": token},
                                   {"Origin": "http://evil.example"}))
    assert pages.csrf_ok(_post({"csrf_token": token}, {"vetlife_csrf": token},
                               {"Origin": "http://localhost:8000"}))


def test_development_sign_in_exists_only_with_the_development_key(tmp_path):
    settings = TokenSettings.from_env({"VETLIFE_KEY_DIR": str(tmp_path)})
    assert not pages.dev_sign_in_enabled(settings)
    ensure_signing_key(settings)
    assert pages.dev_sign_in_enabled(settings)
    # Production: the identity provider's keys by URL; a key file left around changes nothing.
    production = TokenSettings.from_env({"VETLIFE_KEY_DIR": str(tmp_path),
                                         "VETLIFE_JWKS_URL": "https://idp.example/jwks"})
    assert not pages.dev_sign_in_enabled(production)


def test_templates_escape_what_they_show():
    request = Request(EnvironBuilder(path="/signin").get_environ())
    html = pages.refused(request, 403, "<script>x</script>", "a & b").get_data(as_text=True)
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert '<html lang="zh-CN"' in html


def test_a_files_coded_values_are_shown_in_chinese():
    assert formats.file_value("sex", "female") == "女"
    assert formats.file_value("discharge_category", "discharged_soldier") == "退役士兵"
    assert formats.file_value("discharged_on", "1990-12-01") == "1990年12月1日"
    assert formats.file_value("party_member", True) == "是"


def test_the_workbench_pager_says_which_rows_of_how_many_and_links_only_where_there_are_more():
    link = "/staff?page={}".format
    assert formats.pager(1, 21, link) == {"text": "第1–15条，共21条", "previous": None,
                                          "next": "/staff?page=2"}
    assert formats.pager(2, 21, link) == {"text": "第16–21条，共21条", "previous": "/staff?page=1",
                                          "next": None}
    assert formats.pager(1, 0, link)["text"] == "第0–0条，共0条"
    assert [formats.page_number(v) for v in ("3", "0", "-1", "x", None, "100001")] == [
        3, 1, 1, 1, 1, 1]
