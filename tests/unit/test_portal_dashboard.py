"""The leaders' dashboard without a browser: the vendored chart library, the figures' words."""
from __future__ import annotations

import hashlib
from pathlib import Path

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.portal import pages

STATIC = Path(pages.__file__).resolve().parent / "static"

# Apache ECharts 6.1.0, dist/echarts.min.js from `npm pack echarts@6.1.0` (docs/portals.md). A
# changed file is a changed dependency: vendor the new version on purpose and update both.
ECHARTS_VERSION = "6.1.0"
ECHARTS_SHA256 = "b66b25aeb4df84e33199dc21694014d336d222cbd9deb0e5a7c14bd6aa0d0fd0"


def _get(path: str):
    return pages.asset(Request(EnvironBuilder(path=f"/static/{path}").get_environ()), path)


def test_the_vendored_echarts_is_the_pinned_version_byte_for_byte():
    body = (STATIC / "echarts.min.js").read_bytes()
    assert hashlib.sha256(body).hexdigest() == ECHARTS_SHA256
    assert f'version="{ECHARTS_VERSION}"'.encode() in body


def test_its_licence_and_notice_travel_with_it_and_are_served_as_text():
    assert "Apache License" in (STATIC / "echarts-LICENSE.txt").read_text()
    assert "Apache ECharts" in (STATIC / "echarts-NOTICE.txt").read_text()
    for name in ("echarts-LICENSE.txt", "echarts-NOTICE.txt", "echarts-LICENSE-d3.txt"):
        served = _get(name)
        assert served.status_code == 200, name
        assert served.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert _get("echarts.min.js").headers["Content-Type"].startswith("text/javascript")


def test_the_asset_route_still_serves_only_files_directly_in_static():
    assert _get("../pages.py").status_code == 404
    assert _get("nothing.txt").status_code == 404
    assert _get("../templates/base.html").status_code == 404


# -- the figures as the dashboard writes them ------------------------------------------------------

def test_each_kind_of_figure_is_written_as_the_bureau_reads_it_and_null_is_never_zero():
    from gateway.figures import BY_KEY
    from gateway.portal import dashboard

    assert dashboard.figure_cell(BY_KEY["files_total"], 11588, None)["text"] == "11,588"
    money = dashboard.figure_cell(BY_KEY["visits_amount_fen"], 227_100_005, None)
    assert (money["text"], money["number"]) == ("¥2,271,000.05", "2271000.05")
    rate = dashboard.figure_cell(BY_KEY["officer_admin_post_rate"],
                                 {"numerator": 14, "denominator": 20, "rate": 0.7}, None)
    assert (rate["text"], rate["number"]) == ("70.00%（14/20）", "70.00")
    assert dashboard.figure_cell(BY_KEY["officer_admin_post_rate"],
                                 {"numerator": 0, "denominator": 0, "rate": None},
                                 None)["text"] == "无法计算（0/0，分母为0）"
    missing = dashboard.figure_cell(BY_KEY["postings"], None,
                                    "not kept by service station: these facts are the district's")
    assert missing == {"kind": "null", "text": "暂无数据（该项不按服务站统计）", "number": ""}
    assert dashboard.reason_in_chinese("benefits unavailable (timeout); registry unavailable "
                                       "(open)") == "优抚、档案业务暂时无法读取，请稍后刷新"


def test_the_period_defaults_to_this_year_so_far_and_a_reversed_one_is_an_error():
    import datetime as dt

    from gateway.portal import dashboard

    today = dt.date(2026, 11, 27)
    form, errors = dashboard.read_form({}, today)
    assert (form["from"], form["to"], errors) == ("2026-01-01", "2026-11-27", {})
    _, errors = dashboard.read_form({"from": "2026-05-01", "to": "2026-04-30"}, today)
    assert set(errors) == {"to"}
    _, errors = dashboard.read_form({"from": "2026-02-30", "to": ""}, today)
    assert set(errors) == {"from", "to"}


def test_every_figure_is_in_one_section_with_a_sentence_that_says_its_numbers():
    from gateway.figures import FIGURES
    from gateway.portal import dashboard

    figures = {f.key: ({"numerator": 1, "denominator": 2, "rate": 0.5} if f.rate else 7)
               for f in FIGURES}
    shown = dashboard.sections(figures, {}, "2026年1月1日至2026年11月27日", "全区")
    assert [row["key"] for s in shown for row in s["rows"]] == [f.key for f in FIGURES]
    for section in shown:
        for row in section["rows"]:
            assert row["text"] in section["description"]
    assert not dashboard.all_empty(figures)
    assert dashboard.all_empty({f.key: ({"numerator": 0, "denominator": 0, "rate": None}
                                        if f.rate else 0) for f in FIGURES})


def test_a_correction_says_what_was_recorded_late_and_by_how_much():
    from gateway.portal import dashboard

    row = dashboard.correction_row({"service": "benefits", "position": 9,
                                    "event_type": "VisitWithdrawn",
                                    "metric": "visits_amount_fen", "effective_on": "2026-01-20",
                                    "delta": -30_050, "recorded_on": "2026-03-02"})
    assert row == {"service": "优抚", "event": "走访慰问撤回", "metric": "慰问金额(元)",
                   "effective_on": "2026年1月20日", "recorded_on": "2026年3月2日",
                   "delta": "-¥300.50"}
