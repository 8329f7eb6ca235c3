"""The elder-mode switch sends the browser back to one of our own pages, never elsewhere."""
from __future__ import annotations

import pytest

from gateway.portal.pages import RETURN_PATH


@pytest.mark.parametrize("path", ["/", "/signin", "/staff", "/staff/veterans/new",
                                  "/relief/6a1f0c2e-2b4d-4f7e-9a41-0c1d2e3f4a5b/"])
def test_our_own_page_paths_are_where_it_returns(path):
    assert RETURN_PATH.fullmatch(path)


@pytest.mark.parametrize("path", ["//evil.example", "/\\evil.example", "https://evil.example/",
                                  "evil", "/staff?next=//evil", "/a//b", "/a/../b", "",
                                  "/%2F%2Fevil", "/staff#x", "/ staff"])
def test_anything_else_is_not(path):
    assert not RETURN_PATH.fullmatch(path)
