"""For the dated reads' tests: past days, a stream's recorded times moved onto them, the refusals."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from chassis.clock import SHANGHAI, ManualClock
from chassis.db import Database
from chassis.wire import ServiceError

TODAY = datetime.now(SHANGHAI).date()
TOMORROW = TODAY + timedelta(days=1)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def at(day: date, clock: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day.isoformat()}T{clock}").replace(tzinfo=SHANGHAI)


def clock_on(day: date, clock: str = "10:00") -> ManualClock:
    """A command's "today" on a past day (the store still records now(): see `moved`)."""
    return ManualClock(at(day, clock))


def moved(db: Database, stream_id: str, day: date, clock: str = "10:00",
          versions: tuple[int, int] = (1, 10**6)) -> None:
    """Move a stream's recorded times onto a past day: the store writes now(), and a test cannot
    wait a week. Stream order is unchanged; only what a day keeps depends on these times."""
    with db.transaction() as cur:
        cur.execute("UPDATE stored_events SET recorded_at = %s WHERE stream_id = %s "
                    "AND stream_version BETWEEN %s AND %s", (at(day, clock), stream_id, *versions))
        assert cur.rowcount >= 1, stream_id


def refused(call, *args, **kwargs) -> ServiceError:
    """The ServiceError a read answers with (what the gateway turns into its status)."""
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    return caught.value


# The dates the file's dated read refuses with a 400 naming the parameter (invalid_input).
BAD_DATES = ((dict(as_of=TOMORROW.isoformat()), "as_of"),
             (dict(effective_on="2026-2-30"), "effective_on"),
             (dict(as_of="20261101"), "as_of"),
             (dict(effective_on="yesterday"), "effective_on"))


def assert_bad_dates_refused_as_the_file_refuses(call, *args) -> None:
    for dates, field in BAD_DATES:
        error = refused(call, *args, **dates)
        assert (error.code, list(error.fields)) == ("invalid_input", [field]), (dates, error)
