"""The gateway's per-service circuit breaker: closed → open → half-open → closed, on an injected clock."""
import eventlet
import pytest
from nameko.exceptions import UnknownService

from chassis.wire import ServiceError
from gateway.breaker import CLOSED, HALF_OPEN, OPEN, Breakers, CircuitBreaker
from gateway.overview import Unavailable, guarded


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def breaker(failures=3, cool_down=10.0):
    clock = Clock()
    return CircuitBreaker("employment", failures, cool_down, clock), clock


def test_it_opens_after_the_failures_in_a_row_and_not_before():
    b, _ = breaker(failures=3)
    for _ in range(2):
        assert b.allow()
        b.failed()
        assert b.state == CLOSED
    b.failed()
    assert b.state == OPEN
    assert not b.allow()


def test_a_success_between_failures_starts_the_count_again():
    b, _ = breaker(failures=3)
    b.failed(), b.failed(), b.succeeded(), b.failed(), b.failed()
    assert b.state == CLOSED


def test_open_until_the_cool_down_then_half_open_lets_one_trial_through():
    b, clock = breaker(failures=1, cool_down=10.0)
    b.failed()
    clock.now += 9.99
    assert b.state == OPEN and not b.allow()
    clock.now += 0.01
    assert b.state == HALF_OPEN
    assert b.allow()          # the trial
    assert not b.allow()      # no second call while the trial is out
    b.succeeded()
    assert b.state == CLOSED and b.allow() and b.allow()


def test_a_failed_trial_opens_it_for_a_whole_cool_down_again():
    b, clock = breaker(failures=2, cool_down=5.0)
    b.failed(), b.failed()
    clock.now += 5
    assert b.allow()
    b.failed()                # one failure is enough when half-open
    assert b.state == OPEN and not b.allow()
    clock.now += 4.9
    assert not b.allow()
    clock.now += 0.1
    assert b.allow()
    b.succeeded()
    assert b.state == CLOSED


def test_a_trial_that_never_reports_back_does_not_hold_it_half_open_for_ever():
    b, clock = breaker(failures=1, cool_down=5.0)
    b.failed()
    clock.now += 5
    assert b.allow()
    clock.now += 4
    assert not b.allow()
    clock.now += 1
    assert b.allow()


def test_one_breaker_per_service_made_on_first_use():
    clock = Clock()
    breakers = Breakers(failures=1, cool_down=3, clock=clock)
    breakers["benefits"].failed()
    assert breakers["benefits"] is breakers["benefits"]
    assert breakers.states() == {"benefits": OPEN}
    assert breakers["placement"].state == CLOSED
    with pytest.raises(ValueError):
        CircuitBreaker("x", failures=0)


def test_guarded_counts_timeouts_and_failures_against_it_and_answers_for_it():
    b, clock = breaker(failures=2, cool_down=10.0)

    def slow():
        eventlet.sleep(1)

    with pytest.raises(Unavailable) as caught:
        guarded(b, slow, timeout=0.01)
    assert caught.value.reason == "timeout"

    def down():
        raise ServiceError("unavailable", "its database is down")

    with pytest.raises(Unavailable) as caught:
        guarded(b, down, timeout=1)
    assert caught.value.reason == "error" and b.state == OPEN

    # Open: not called at all.
    calls = []
    with pytest.raises(Unavailable) as caught:
        guarded(b, lambda: calls.append(1), timeout=1)
    assert caught.value.reason == "circuit_open" and calls == []

    # Half-open: a refusal is an answer, so the service is back.
    clock.now += 10

    def missing():
        raise ServiceError("not_found", "no such case")

    with pytest.raises(ServiceError):
        guarded(b, missing, timeout=1)
    assert b.state == CLOSED
    assert guarded(b, lambda: {"ok": 1}, timeout=1) == {"ok": 1}


def test_guarded_names_a_service_the_broker_does_not_know():
    b, _ = breaker(failures=1)

    def unknown():
        raise UnknownService("bundle")

    with pytest.raises(Unavailable) as caught:
        guarded(b, unknown, timeout=1)
    assert caught.value.reason == "not_running" and b.state == OPEN


def test_an_outer_timeout_is_not_taken_for_the_calls_own():
    b, _ = breaker(failures=1)
    with pytest.raises(eventlet.Timeout):
        with eventlet.Timeout(0.01):
            guarded(b, lambda: eventlet.sleep(1), timeout=5)


class Probe:
    """A liveness probe that says what it is told and counts the questions."""

    def __init__(self, answer):
        self.answer, self.asked = answer, []

    def running(self, service):
        self.asked.append(service)
        return self.answer


def test_a_service_nobody_consumes_for_fails_at_once_without_a_call_or_a_wait():
    breakers = Breakers(failures=3, cool_down=10.0, clock=Clock())
    breakers.probe = Probe(False)
    called = []

    def read():
        called.append(1)
        eventlet.sleep(5)   # what a call to a stopped service does: wait for the timeout

    with eventlet.Timeout(1):   # would be the read's 5 s without the probe
        for _ in range(3):
            with pytest.raises(Unavailable) as unavailable:
                guarded(breakers["disputes"], read, timeout=3)
            assert unavailable.value.reason == "not_running"
    assert called == [] and breakers.probe.asked == ["disputes"] * 3
    assert breakers["disputes"].state == OPEN   # counted against it like any failure


def test_a_probe_that_cannot_tell_or_sees_a_consumer_lets_the_call_decide():
    for answer in (None, True):
        breakers = Breakers(failures=3, cool_down=10.0, clock=Clock())
        breakers.probe = Probe(answer)
        assert guarded(breakers["disputes"], lambda: {"ok": 1}, timeout=1) == {"ok": 1}
    # No probe at all (unit tests, another process's breakers): as before.
    assert guarded(Breakers(clock=Clock())["disputes"], lambda: {"ok": 2}, timeout=1) == {"ok": 2}
