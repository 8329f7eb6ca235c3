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
