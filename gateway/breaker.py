"""One circuit breaker per service the gateway reads for a page of many parts: a down service costs nothing.

The veteran's overview (gateway/overview.py) and the bundle stream (gateway/stream.py) read
several services at once. A service that is stopped does not refuse a call: the request waits in
its queue and the caller waits for its timeout. The breaker remembers: after `failures` failures
in a row (timeouts, broker errors, a service's own "unavailable") it opens, and calls are not
made at all (the caller shows that part as unavailable at once); after `cool_down` seconds it
lets one trial call through (half-open): its success closes the breaker, its failure opens it
for another cool-down. The state is per gateway process (every replica learns on its own, which
costs each replica `failures` slow calls), kept in memory, never shared.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

DEFAULT_FAILURES = 3
DEFAULT_COOL_DOWN_SECONDS = 10.0


class CircuitBreaker:
    """closed → open after `failures` failures in a row → half-open after `cool_down` → closed
    on the trial's success (open again on its failure)."""

    def __init__(self, name: str, failures: int = DEFAULT_FAILURES,
                 cool_down: float = DEFAULT_COOL_DOWN_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 running: Callable[[], bool | None] = lambda: None):
        if failures < 1 or cool_down <= 0:
            raise ValueError("a breaker needs failures >= 1 and a positive cool-down")
        self.name = name
        # Is anyone consuming the service's queue (gateway/liveness.py)? False: a call would only
        # wait for its timeout; None: unknown, call.
        self.running = running
        self.failures = failures
        self.cool_down = cool_down
        self.clock = clock
        self._state = CLOSED
        self._failed = 0            # failures in a row while closed
        self._opened_at = 0.0
        self._trial_at: float | None = None  # when the half-open trial call was let through

    @property
    def state(self) -> str:
        if self._state == OPEN and self.clock() - self._opened_at >= self.cool_down:
            return HALF_OPEN
        return self._state

    def allow(self) -> bool:
        """May a call be made now? Half-open lets one trial through at a time."""
        state = self.state
        if state == CLOSED:
            return True
        if state == OPEN:
            return False
        now = self.clock()
        # A trial whose outcome never came back (its caller was killed) does not keep the
        # breaker half-open for ever: after a cool-down another trial may go.
        if self._trial_at is not None and now - self._trial_at < self.cool_down:
            return False
        self._state = HALF_OPEN
        self._trial_at = now
        return True

    def succeeded(self) -> None:
        self._state = CLOSED
        self._failed = 0
        self._trial_at = None

    def failed(self) -> None:
        if self.state == CLOSED:
            self._failed += 1
            if self._failed < self.failures:
                return
        # The threshold reached, or the half-open trial failed: open for a whole cool-down.
        self._state = OPEN
        self._opened_at = self.clock()
        self._failed = 0
        self._trial_at = None

    def as_dict(self) -> dict:
        return {"service": self.name, "state": self.state}


class Breakers:
    """The gateway process's breakers, one per service, made on first use."""

    def __init__(self, failures: int | None = None, cool_down: float | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.failures = failures or int(os.environ.get("GATEWAY_BREAKER_FAILURES",
                                                       DEFAULT_FAILURES))
        self.cool_down = cool_down or float(os.environ.get("GATEWAY_BREAKER_COOL_DOWN_SECONDS",
                                                           DEFAULT_COOL_DOWN_SECONDS))
        self.clock = clock
        # Set by the gateway (gateway/liveness.py LivenessProbe): asks the broker whether a
        # service has a consumer, so a stopped one fails at once instead of after a timeout.
        self.probe = None
        self._breakers: dict[str, CircuitBreaker] = {}

    def __getitem__(self, service: str) -> CircuitBreaker:
        breaker = self._breakers.get(service)
        if breaker is None:
            breaker = self._breakers[service] = CircuitBreaker(
                service, self.failures, self.cool_down, self.clock,
                running=lambda: None if self.probe is None else self.probe.running(service))
        return breaker

    def states(self) -> dict[str, str]:
        return {name: breaker.state for name, breaker in sorted(self._breakers.items())}


# Per process: every worker of the gateway sees the same breakers (green threads, one OS thread,
# so no lock is needed: nothing here blocks between reading and writing the state).
BREAKERS = Breakers()
