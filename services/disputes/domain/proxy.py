"""The proxy case 权益维护代办: a staff member or village militia head handles a matter for a veteran.

What (the matter), for whom (the veteran), by whom (the agent), the steps taken and the outcome;
the bureau counts the cases completed (保障法 Arts. 66, 70; 抚恤优待条例 Art. 38).
"""

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from .clocks import Decision
from .commands import CloseProxyCase, OpenProxyCase, RecordProxyStep
from .errors import Problems, StepRefused, one_of, optional_text, required_text
from .events import Event, ProxyCaseClosed, ProxyCaseOpened, ProxyStepRecorded
from .vocabulary import AgentKind, MatterKind, ProxyOutcome, ProxyState, values

# What an open proxy case waits for: another step taken, or its outcome; each named as its
# route's last path segment, with the API operation that runs it. A closed case waits for nothing.
NEXT_STEPS = (("steps", "record_proxy_step"), ("outcome", "close_proxy_case"))


def open_proxy_case(cmd: OpenProxyCase, proxy_case_id: str, today: date) -> Decision:
    problems = Problems()
    veteran_id = required_text(problems, "veteran_id", cmd.veteran_id)
    station = required_text(problems, "service_station", cmd.service_station)
    one_of(problems, "matter_kind", cmd.matter_kind, values(MatterKind))
    matter = required_text(problems, "matter", cmd.matter)
    one_of(problems, "agent_kind", cmd.agent_kind, values(AgentKind))
    agent = required_text(problems, "agent", cmd.agent)
    problems.raise_if_any()
    return Decision([ProxyCaseOpened(proxy_case_id, veteran_id, station, cmd.matter_kind, matter,
                                     cmd.agent_kind, agent, today)])


class ProxyCase:
    """One proxy case, as its events tell it."""

    def __init__(self):
        self.proxy_case_id = ""
        self.version = 0
        self.opened: ProxyCaseOpened | None = None
        self.state = ProxyState.OPEN
        self.steps: list[dict[str, Any]] = []
        self.closure: dict[str, Any] | None = None
        self.referrals: list[dict[str, Any]] = []

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> "ProxyCase":
        case = cls()
        for event in events:
            case.apply(event)
            case.version += 1
        return case

    @property
    def veteran_id(self) -> str | None:
        return self.opened.veteran_id if self.opened else None

    @property
    def service_station(self) -> str | None:
        return self.opened.service_station if self.opened else None

    def apply(self, event: Event) -> None:
        handler = getattr(self, f"_on_{event.event_type}", None)
        if handler is not None:
            handler(event)

    def _on_ProxyCaseOpened(self, e):
        self.proxy_case_id, self.opened = e.proxy_case_id, e

    def _on_ProxyStepRecorded(self, e):
        self.steps.append({"step": e.step, "taken_on": e.taken_on, "note": e.note})

    def _on_ProxyCaseClosed(self, e):
        self.state = ProxyState(e.outcome)
        self.closure = {"outcome": e.outcome, "closed_on": e.closed_on, "note": e.note}

    def _on_HardshipReferred(self, e):
        self.referrals.append({"referral_id": e.referral_id, "trigger": e.trigger,
                               "note": e.note, "referred_on": e.referred_on})

    def next_steps(self, may: Callable[[str], bool]) -> list[str]:
        """The steps the caller may take now: the open case's (NEXT_STEPS) whose operation `may`
        (the caller's roles) grants."""
        if self.state != ProxyState.OPEN:
            return []
        return [step for step, operation in NEXT_STEPS if may(operation)]

    def _refuse_unless_open(self, what: str) -> None:
        if self.state != ProxyState.OPEN:
            raise StepRefused(f"{what}: the proxy case is closed ({self.state.value})",
                              {"state": [self.state.value]})

    def record_step(self, cmd: RecordProxyStep, today: date) -> Decision:
        self._refuse_unless_open("no more steps")
        problems = Problems()
        note = required_text(problems, "note", cmd.note)
        taken_on = cmd.taken_on or today
        if taken_on > today:
            problems.add("taken_on", "must not be in the future")
        elif taken_on < self.opened.opened_on:
            problems.add("taken_on", "must not be before the case was opened")
        problems.raise_if_any()
        return Decision([ProxyStepRecorded(self.proxy_case_id, len(self.steps) + 1, taken_on,
                                           note)])

    def close(self, cmd: CloseProxyCase, today: date) -> Decision:
        self._refuse_unless_open("it cannot be closed again")
        problems = Problems()
        one_of(problems, "outcome", cmd.outcome, values(ProxyOutcome))
        problems.raise_if_any()
        return Decision([ProxyCaseClosed(self.proxy_case_id, cmd.outcome, today,
                                         optional_text(cmd.note))])
