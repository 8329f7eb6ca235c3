"""Injected time: the system clock in services, a manual clock that tests move forward instead of sleeping."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# Statutory days are the bureau's days: a deadline "on 8 October" ends at 24:00 in Shanghai, not UTC.
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    """What time it is. Everything that asks (the deadline runner, "today" for the calendar)
    takes one, so a test can own time."""

    def now(self) -> datetime:
        raise NotImplementedError

    def today(self) -> date:
        """Today's date in Asia/Shanghai."""
        return self.now().astimezone(SHANGHAI).date()


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock(Clock):
    """A clock that stands still until told: `advance(days=31)` or `set(instant)`."""

    def __init__(self, start: datetime):
        self._now = _aware(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move forward by `delta` or by timedelta keywords (`days=`, `seconds=`, ...)."""
        step = (delta or timedelta()) + timedelta(**parts)
        if step < timedelta():
            raise ValueError("a clock does not go back; use set() to start elsewhere")
        self._now += step
        return self._now

    def set(self, instant: datetime) -> datetime:
        self._now = _aware(instant)
        return self._now


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("give the clock an aware datetime (e.g. tzinfo=SHANGHAI)")
    return instant


SYSTEM_CLOCK = SystemClock()
