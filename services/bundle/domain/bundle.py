"""The discharge bundle aggregate: its matters' lifecycles, the derived bundle status, and every decision on it.

A matter goes requested → acknowledged → in progress → done | refused | withdrawn. Overdue is
not a step of its own: the term ran out while the matter was open, which the matter keeps
(`overdue`) and shows as its status until it is answered (then `late`). A refused matter may be
requested again (a new attempt); a department may correct an answer after it gave one (an error
after success, or a new reference), and the correction is kept and shown. The bundle's status is
derived from its matters and is never complete while any matter is open or refused.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from . import events as ev
from .catalogue import Catalogue, Facts, MatterSpec, applicability
from .errors import BundleNotFound, InvalidBundle, WrongMatterState

OPEN = ("requested", "acknowledged", "in_progress")
SETTLED = ("done", "refused", "withdrawn")
NOT_REQUESTED = ("not_applicable", "left_out")
MATTER_STATUSES = OPEN + SETTLED + NOT_REQUESTED
# What a reader sees: an open matter whose term ran out shows as overdue.
SHOWN_STATUSES = MATTER_STATUSES + ("overdue",)
BUNDLE_STATUSES = ("open", "action_needed", "complete", "closed")
FINAL_BUNDLE_STATUSES = ("complete", "closed")
ATTENTION = ("refused", "overdue", "command_failed", "clock_unknown")
MAX_TEXT = 500


@dataclass
class HistoryItem:
    version: int
    at: datetime | None
    event: str
    actor: str | None
    matter: str | None = None
    status: str | None = None
    detail: dict = field(default_factory=dict)


@dataclass
class Matter:
    key: str
    department: str
    applies: bool
    chosen: bool
    reason_code: str | None = None
    reason: str | None = None
    status: str = "not_applicable"
    attempt: int = 0
    requested_on: date | None = None
    due_on: date | None = None
    clock_unknown: bool = False
    acknowledged_on: date | None = None
    answered_on: date | None = None
    overdue: bool = False
    late: bool = False
    reference: str | None = None
    refusal_reason: str | None = None
    refusal_code: str | None = None
    next_step: str | None = None
    corrected: bool = False
    withdrawal_reason: str | None = None
    steps: list[str] = field(default_factory=list)
    attention: str | None = None
    attention_since: date | None = None
    followed_up: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def final(self) -> bool:
        """Settled: no step is expected any more (a department may still correct its answer)."""
        return self.status in SETTLED

    @property
    def shown_status(self) -> str:
        return "overdue" if self.is_open and self.overdue else self.status

    def _attend(self, why: str | None, on: date | None) -> None:
        self.attention = why
        self.attention_since = on if why else None


class Bundle:
    """One veteran's discharge bundle, folded from its events."""

    def __init__(self, bundle_id: str):
        self.bundle_id = bundle_id
        self.version = 0
        self.veteran_id: str | None = None
        self.station: str | None = None
        self.township: str | None = None
        self.submitted_on: date | None = None
        self.form: dict = {}
        self.facts: dict = {}
        self.matters: dict[str, Matter] = {}
        self.completed_on: date | None = None
        self.completed_as: str | None = None
        self.history: list[HistoryItem] = []

    @property
    def exists(self) -> bool:
        return self.veteran_id is not None

    @classmethod
    def from_events(cls, bundle_id: str, recorded: Iterable[tuple[ev.Event, int, datetime | None,
                                                                  str | None]]) -> Bundle:
        bundle = cls(bundle_id)
        for event, version, at, actor in recorded:
            bundle.apply(event, version, at, actor)
        return bundle

    # -- the derived status -------------------------------------------------------------------

    @property
    def requested(self) -> list[Matter]:
        return [m for m in self.matters.values() if m.status not in NOT_REQUESTED]

    @property
    def status(self) -> str:
        requested = self.requested
        if any(m.is_open for m in requested):
            return "open"
        if any(m.status == "refused" for m in requested):
            return "action_needed"
        if requested and all(m.status == "done" for m in requested):
            return "complete"
        return "closed"

    @property
    def final(self) -> bool:
        return self.status in FINAL_BUNDLE_STATUSES

    @property
    def overdue(self) -> bool:
        return any(m.is_open and m.overdue for m in self.matters.values())

    def matter(self, key: str) -> Matter:
        found = self.matters.get(key)
        if found is None:
            raise BundleNotFound(f"this bundle has no matter {key!r}")
        return found

    # -- folding --------------------------------------------------------------------------------

    def apply(self, event: ev.Event, version: int | None = None, at: datetime | None = None,
              actor: str | None = None) -> None:
        self.version = version if version is not None else self.version + 1
        item = HistoryItem(self.version, at, event.kind, actor)
        match event:
            case ev.BundleSubmitted():
                self.veteran_id, self.station = event.veteran_id, event.station
                self.township, self.submitted_on = event.township, event.submitted_on
                self.form, self.facts = dict(event.form), dict(event.facts)
                for choice in event.matters:
                    self.matters[choice.matter] = Matter(
                        choice.matter, choice.department, choice.applies, choice.chosen,
                        choice.reason_code, choice.reason,
                        status="not_applicable" if not choice.applies else
                        "left_out" if not choice.chosen else "requested")
                item.detail = {"matters": sum(1 for c in event.matters
                                              if c.applies and c.chosen)}
            case ev.BundleCompleted():
                self.completed_on, self.completed_as = event.on, event.outcome
                item.status = event.outcome
            case _:
                if isinstance(event, ev.MatterRequested) and event.form_changes:
                    self.form = {**self.form, **event.form_changes}
                m = self.matters.get(event.matter)
                if m is not None:
                    self._apply_to_matter(m, event, item)
                item.matter = event.matter
                item.status = m.shown_status if m is not None else None
        self.history.append(item)

    @staticmethod
    def _apply_to_matter(m: Matter, event: ev.Event, item: HistoryItem) -> None:
        match event:
            case ev.MatterRequested():
                m.status, m.attempt = "requested", event.attempt
                m.requested_on, m.due_on = event.requested_on, event.due_on
                m.clock_unknown = event.clock_unknown
                m.acknowledged_on = m.answered_on = None
                m.overdue = m.late = m.corrected = False
                m.reference = m.refusal_reason = m.refusal_code = m.next_step = None
                m.withdrawal_reason, m.steps = None, []
                m._attend("clock_unknown" if event.clock_unknown else None, event.requested_on)
                item.detail = {"attempt": event.attempt, "due_on": event.due_on}
            case ev.MatterAcknowledged():
                if m.status == "requested":
                    m.status = "acknowledged"
                m.acknowledged_on = m.acknowledged_on or event.on
                m.reference = event.reference or m.reference
                item.detail = {"reference": event.reference}
            case ev.MatterProgressed():
                if m.status in ("requested", "acknowledged"):
                    m.status = "in_progress"
                m.steps.append(event.step)
                item.detail = {"step": event.step}
            case ev.MatterDone():
                m.late = m.late or m.overdue
                m.status, m.reference, m.answered_on = "done", event.reference, event.on
                m.refusal_reason = m.refusal_code = m.next_step = None
                m.corrected = m.corrected or event.correction
                m._attend(None, None)
                item.detail = {"reference": event.reference, "correction": event.correction,
                               "before_bundle": event.before_bundle}
            case ev.MatterRefused():
                m.late = m.late or m.overdue
                m.status, m.answered_on = "refused", event.on
                m.refusal_reason, m.refusal_code = event.reason, event.code
                m.next_step = event.next_step
                m.corrected = m.corrected or event.correction
                m._attend("refused", event.on)
                item.detail = {"reason": event.reason, "next_step": event.next_step,
                               "code": event.code, "correction": event.correction}
            case ev.MatterWithdrawn():
                m.status, m.withdrawal_reason = "withdrawn", event.reason
                m._attend(None, None)
                item.detail = {"reason": event.reason}
            case ev.MatterOverdue():
                if m.is_open and event.attempt == m.attempt:
                    m.overdue = True
                    m._attend("overdue", event.due_on)
                item.detail = {"due_on": event.due_on, "attempt": event.attempt}
            case ev.MatterTermSet():
                if event.attempt == m.attempt:
                    m.due_on, m.clock_unknown = event.due_on, False
                    if m.attention == "clock_unknown":
                        m._attend(None, None)
                item.detail = {"due_on": event.due_on, "attempt": event.attempt}
            case ev.MatterFollowedUp():
                m.followed_up = event.note
                m._attend(None, None)
                item.detail = {"note": event.note}
            case ev.MatterCommandFailed():
                if event.attempt == m.attempt:
                    m._attend("command_failed", event.on)
                item.detail = {"error": event.error}

    # -- decisions ------------------------------------------------------------------------------

    def submit(self, *, veteran_id: str, station: str, township: str, today: date,
               catalogue: Catalogue, facts: Facts, leave_out: Mapping[str, str | None],
               form: dict, term: Callable[[MatterSpec], tuple[date | None, bool]],
               already: Mapping[str, tuple[str, str]] | None = None) -> list[ev.Event]:
        """The submission: every catalogue matter settled (applies? chosen? why not?), and each
        chosen one requested. `already` names internal matters the owning service shows done
        or under way before the bundle: {matter: ("done" | "acknowledged", reference)}."""
        if self.exists:
            raise WrongMatterState("this bundle was submitted already")
        unknown = sorted(set(leave_out) - set(catalogue.keys))
        if unknown:
            raise InvalidBundle("no such matter in the catalogue: " + ", ".join(unknown),
                                {"leave_out": [f"unknown matter {k}" for k in unknown]})
        choices = []
        for spec in catalogue.matters:
            verdict = applicability(spec, facts)
            if not verdict.applies:
                choices.append(ev.MatterChoice(spec.key, spec.department, False, False,
                                               verdict.reason_code, verdict.reason))
            elif spec.key in leave_out:
                why = (leave_out[spec.key] or "").strip() or None
                choices.append(ev.MatterChoice(spec.key, spec.department, True, False,
                                               "left_out", _text(why) if why else
                                               "left out by the veteran"))
            else:
                choices.append(ev.MatterChoice(spec.key, spec.department, True, True))
        if not any(c.chosen for c in choices):
            raise InvalidBundle("choose at least one matter: every matter that applies was "
                                "left out", {"leave_out": ["leaves nothing to request"]})
        out: list[ev.Event] = [ev.BundleSubmitted(
            self.bundle_id, veteran_id, station, township, today, tuple(choices), form,
            {"discharge_category": facts.discharge_category, "party_member": facts.party_member,
             "disabled": facts.disabled, "placement_mode": facts.placement_mode})]
        for choice in choices:
            if choice.chosen:
                spec = catalogue.get(choice.matter)
                out += self._request(spec, 1, today, term)
                step, reference = (already or {}).get(spec.key, (None, None))
                if step == "done":
                    out.append(ev.MatterDone(self.bundle_id, spec.key, 1, reference, today,
                                             before_bundle=True))
                elif step == "acknowledged":
                    out.append(ev.MatterAcknowledged(self.bundle_id, spec.key, 1, today,
                                                     reference, before_bundle=True))
        return out

    def _request(self, spec: MatterSpec, attempt: int, today: date,
                 term: Callable[[MatterSpec], tuple[date | None, bool]],
                 note: str | None = None, form_changes: dict | None = None) -> list[ev.Event]:
        due_on, unknown = term(spec)
        return [ev.MatterRequested(self.bundle_id, spec.key, spec.department, attempt, today,
                                   due_on, unknown, note, dict(form_changes or {}))]

    def request_again(self, spec: MatterSpec, facts: Facts, today: date,
                      term: Callable[[MatterSpec], tuple[date | None, bool]],
                      note: str | None = None, form_changes: dict | None = None
                      ) -> list[ev.Event]:
        """Ask again after a refusal or a withdrawal, or ask for a matter left out or not
        applicable before (its facts are checked again: a placement mode chosen since)."""
        self._must_exist()
        m = self.matter(spec.key)
        if m.is_open and m.attention != "command_failed":
            raise WrongMatterState(f"{spec.key} is still open ({m.status}): nothing to ask again",
                                   {"status": [m.shown_status]})
        if m.status == "done":
            raise WrongMatterState(f"{spec.key} is done: a correction comes from the department",
                                   {"status": ["done"]})
        if m.status in NOT_REQUESTED and self.final:
            raise WrongMatterState("this bundle is closed: submit a new one",
                                   {"status": [self.status]})
        if m.status == "not_applicable":
            verdict = applicability(spec, facts)
            if not verdict.applies:
                raise InvalidBundle(f"{spec.key} still does not apply: {verdict.reason}",
                                    {"matter": [verdict.reason_code or "not applicable"]})
        return self._request(spec, m.attempt + 1, today, term, _text(note) if note else None,
                             form_changes)

    def answer(self, key: str, outcome: str, today: date, *, reference: str | None = None,
               step: str | None = None, reason: str | None = None,
               next_step: str | None = None, code: str | None = None,
               strict: bool = True) -> list[ev.Event]:
        """A step reported by the owning department (its answer) or service (its events).

        `strict`: a department answering a matter that was withdrawn or never requested is told
        so (409); a service's event about it is simply not the bundle's business (no events).
        Repeating an answer changes nothing; a different answer after one was given is a
        correction, kept and shown.
        """
        self._must_exist()
        m = self.matter(key)
        if m.status in NOT_REQUESTED or m.status == "withdrawn":
            if strict:
                raise WrongMatterState(
                    f"{key} is {m.status}: there is nothing to answer",
                    {"status": [m.status]})
            return []
        b, attempt = self.bundle_id, m.attempt
        if outcome == "acknowledged":
            if m.status != "requested" and not (reference and m.reference is None
                                                and m.is_open):
                return []
            return [ev.MatterAcknowledged(b, key, attempt, today, reference)]
        if outcome == "in_progress":
            step = _text(step, 100) or "in_progress"
            if not m.is_open or (m.steps and m.steps[-1] == step):
                return []
            return [ev.MatterProgressed(b, key, attempt, step, today)]
        if outcome == "done":
            if not reference:
                raise InvalidBundle("done needs the department's reference",
                                    {"reference": ["required for done"]})
            if m.status == "done" and m.reference == reference:
                return []
            correction = m.status in ("done", "refused")
            return [ev.MatterDone(b, key, attempt, _text(reference, 100), today, correction)]
        if outcome == "refused":
            if not reason or not next_step:
                raise InvalidBundle("refused needs the reason and what the veteran should do "
                                    "next", {"reason": ["required for refused"],
                                             "next_step": ["required for refused"]})
            reason, next_step = _text(reason), _text(next_step)
            if m.status == "refused" and (m.refusal_reason, m.next_step) == (reason, next_step):
                return []
            correction = m.status in ("done", "refused")
            return [ev.MatterRefused(b, key, attempt, reason, next_step, today, code,
                                     correction)]
        raise InvalidBundle(f"unknown outcome {outcome!r}", {"outcome": ["unknown"]})

    def withdraw(self, key: str, reason: str, today: date) -> list[ev.Event]:
        self._must_exist()
        m = self.matter(key)
        if m.status == "withdrawn":
            return []
        if m.status == "done":
            raise WrongMatterState(f"{key} is done: it cannot be withdrawn",
                                   {"status": ["done"]})
        if m.status in NOT_REQUESTED:
            raise WrongMatterState(f"{key} was never requested ({m.status})",
                                   {"status": [m.status]})
        return [ev.MatterWithdrawn(self.bundle_id, key, m.department, m.attempt,
                                   _text(reason), today)]

    def follow_up(self, key: str, note: str, today: date) -> list[ev.Event]:
        self._must_exist()
        m = self.matter(key)
        if m.status in NOT_REQUESTED:
            raise WrongMatterState(f"{key} was never requested ({m.status})",
                                   {"status": [m.status]})
        return [ev.MatterFollowedUp(self.bundle_id, key, _text(note), today)]

    def set_term(self, spec: MatterSpec,
                 term: Callable[[MatterSpec], tuple[date | None, bool]]) -> list[ev.Event]:
        """The term of an open matter requested without one, once it can be counted (`term`
        counts from the day the matter was requested)."""
        m = self.matters.get(spec.key)
        if m is None or not m.is_open or not m.clock_unknown:
            return []
        due_on, unknown = term(spec)
        if unknown or due_on is None:
            return []
        return [ev.MatterTermSet(self.bundle_id, spec.key, m.attempt, due_on)]

    def command_failed(self, key: str, attempt: int, error: str, today: date) -> list[ev.Event]:
        m = self.matters.get(key)
        if m is None or attempt != m.attempt or not m.is_open:
            return []
        return [ev.MatterCommandFailed(self.bundle_id, key, attempt, _text(error), today)]

    def completion(self, new: list[ev.Event], today: date) -> list[ev.Event]:
        """BundleCompleted when `new` settles the last matter (said once per settling)."""
        if not new:
            return []
        before = self.final
        after = copy.deepcopy(self)
        for event in new:
            after.apply(event)
        if after.final and not (before and self.completed_as == after.status):
            return [ev.BundleCompleted(self.bundle_id, after.status, today)]
        return []

    def _must_exist(self) -> None:
        if not self.exists:
            raise BundleNotFound("no bundle with this id")


def _text(value: str | None, limit: int = MAX_TEXT) -> str:
    """Free text as given, trimmed; the contract already refused control characters."""
    return (value or "").strip()[:limit]
