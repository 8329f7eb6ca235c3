"""What the HTTP end-to-end tests share: a caller's session with its token, and the bureau's today."""
from __future__ import annotations

from datetime import date

import requests

from chassis.clock import SYSTEM_CLOCK


def session(system, roles, subject, **claims) -> requests.Session:
    """An HTTP session carrying a token for `roles` as `subject` (the system fixture mints it)."""
    http = requests.Session()
    http.headers["Authorization"] = "Bearer " + system["token"](roles, subject, **claims)
    return http


def shanghai_today() -> date:
    """Today in Asia/Shanghai, the day the services count from."""
    return SYSTEM_CLOCK.today()
