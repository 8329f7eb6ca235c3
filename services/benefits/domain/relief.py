"""Hardship relief 困难帮扶: apply → review on the notice → decide (four eyes, capped) → pay once → close."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from .case import Actor, Case, Clocks, VeteranFacts, not_after, one_of, second_person, text
from .errors import InvalidRequest, NotYourStep, Problems
from .events import (
    Event,
    ReliefApplied,
    ReliefApproved,
    ReliefClosed,
    ReliefDisbursed,
    ReliefRejected,
    ReliefReviewed,
)
from .standards import StandardsTable, relief_cap
from .vocabulary import DECISIONS, OPINIONS, RELIEF_TRIGGERS

# Zhejiang's temporary aid is publicly noticed for 7 days before the county approves it.
PUBLIC_NOTICE_DAYS = 7
# A paper application is recorded within this many days of being received.
RECEIVED_WITHIN_DAYS = 90
APPLIED, REVIEWED, APPROVED, REJECTED, DISBURSED, CLOSED = (
    "applied", "reviewed", "approved", "rejected", "disbursed", "closed")
STATES = (APPLIED, REVIEWED, APPROVED, REJECTED, DISBURSED, CLOSED)
# Each step of an application: the state it needs and the operation that takes it (whose roles
# contracts/access.py names). The decision alone is barred to the case's earlier hands (four
# eyes); a staff list and a case read say who may take the next step with this same table.
STEPS = {APPLIED: ("review", "review_relief"), REVIEWED: ("decide", "decide_relief"),
         APPROVED: ("disburse", "disburse_relief"), DISBURSED: ("close", "close_relief")}
# Four eyes: the hands whose subject may not take a step, and where the case keeps each.
BARRED_HANDS = {"decide": ("handler", "reviewer")}
HAND_SUBJECTS = {"handler": "handled_by", "reviewer": "reviewed_by"}


@dataclass(frozen=True)
class ApplyForRelief:
    veteran: VeteranFacts
    trigger: str
    amount_asked_fen: int
    circumstances: str
    actor: Actor
    # The day the application was received (a station records a paper one after): the public
    # notice may start from it. None: today.
    received_on: date | None = None


@dataclass(frozen=True)
class ReviewRelief:
    opinion: str
    recommended_fen: int
    notes: str
    notice_from: date
    notice_to: date
    objections: bool
    actor: Actor


@dataclass(frozen=True)
class DecideRelief:
    decision: str
    actor: Actor
    approved_fen: int | None = None
    special: bool = False
    special_reason: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class DisburseRelief:
    paid_fen: int
    paid_on: date
    reference: str
    actor: Actor


@dataclass(frozen=True)
class CloseRelief:
    actor: Actor
    note: str | None = None


def apply_for_relief(cmd: ApplyForRelief, application_id: str, today: date) -> list[Event]:
    """Open an application. Whoever records it is its handler, and may not approve it."""
    problems = Problems()
    trigger = one_of(problems, "trigger", cmd.trigger, RELIEF_TRIGGERS)
    if cmd.amount_asked_fen <= 0:
        problems.add("amount_asked_fen", "must be more than 0 fen")
    circumstances = text(problems, "circumstances", cmd.circumstances)
    received_on = not_after(problems, "received_on", cmd.received_on or today, today)
    if received_on < today - timedelta(days=RECEIVED_WITHIN_DAYS):
        problems.add("received_on", f"must be within the last {RECEIVED_WITHIN_DAYS} days")
    problems.raise_if_any()
    return [ReliefApplied(
        application_id=application_id, veteran_id=cmd.veteran.veteran_id,
        station=cmd.veteran.station, township=cmd.veteran.township, trigger=trigger,
        amount_asked_fen=cmd.amount_asked_fen, circumstances=circumstances,
        applied_on=received_on, handled_by=cmd.actor.subject)]


class ReliefApplication(Case):
    """One application for hardship relief, its own stream."""

    what = "relief application"

    def __init__(self, case_id: str):
        super().__init__(case_id)
        self.township: str | None = None
        self.trigger: str | None = None
        self.amount_asked_fen = 0
        self.applied_on: date | None = None
        self.handled_by: str | None = None
        self.reviewed_by: str | None = None
        self.recommended_fen: int | None = None
        self.approved_by: str | None = None
        self.approved_fen: int | None = None
        self.cap_fen: int | None = None
        self.decided_on: date | None = None
        self.paid_fen: int | None = None
        self.paid_on: date | None = None
        self.reference: str | None = None

    # -- how each event changes it -------------------------------------------------------------

    def _on_ReliefApplied(self, e: ReliefApplied) -> None:
        self.state = APPLIED
        self.veteran_id, self.station, self.township = e.veteran_id, e.station, e.township
        self.trigger, self.amount_asked_fen = e.trigger, e.amount_asked_fen
        self.applied_on, self.handled_by = e.applied_on, e.handled_by

    def _on_ReliefReviewed(self, e: ReliefReviewed) -> None:
        self.state, self.reviewed_by, self.recommended_fen = REVIEWED, e.reviewed_by, \
            e.recommended_fen

    def _on_ReliefApproved(self, e: ReliefApproved) -> None:
        self.state, self.approved_by, self.approved_fen = APPROVED, e.approved_by, e.approved_fen
        self.cap_fen, self.decided_on = e.cap_fen, e.decided_on

    def _on_ReliefRejected(self, e: ReliefRejected) -> None:
        self.state, self.approved_by, self.decided_on = REJECTED, e.rejected_by, e.decided_on

    def _on_ReliefDisbursed(self, e: ReliefDisbursed) -> None:
        self.state, self.paid_fen, self.paid_on, self.reference = (
            DISBURSED, e.paid_fen, e.paid_on, e.reference)

    def _on_ReliefClosed(self, e: ReliefClosed) -> None:
        self.state = CLOSED

    # -- decisions -------------------------------------------------------------------------------

    def review(self, cmd: ReviewRelief, today: date) -> list[Event]:
        """The benefits officer's review, resting on the 7-day public notice that has ended."""
        self.require_state("review", APPLIED)
        problems = Problems()
        opinion = one_of(problems, "opinion", cmd.opinion, OPINIONS)
        if not 0 <= cmd.recommended_fen <= self.amount_asked_fen:
            problems.add("recommended_fen", "must be between 0 and the amount asked "
                                            f"({self.amount_asked_fen} fen)")
        notes = text(problems, "notes", cmd.notes)
        if cmd.notice_to < cmd.notice_from:
            problems.add("notice_to", "must not be before notice_from")
        elif (cmd.notice_to - cmd.notice_from).days + 1 < PUBLIC_NOTICE_DAYS:
            problems.add("notice_to", f"the public notice must run at least "
                                      f"{PUBLIC_NOTICE_DAYS} days")
        if cmd.notice_from < self.applied_on:
            problems.add("notice_from", "must not be before the application "
                                        f"({self.applied_on.isoformat()})")
        if cmd.notice_to >= today:
            problems.add("notice_to", "the public notice must have ended before the review")
        problems.raise_if_any()
        return [ReliefReviewed(
            application_id=self.case_id, veteran_id=self.veteran_id,
            reviewed_by=cmd.actor.subject, opinion=opinion, recommended_fen=cmd.recommended_fen,
            notes=notes, notice_from=cmd.notice_from, notice_to=cmd.notice_to,
            objections=cmd.objections, reviewed_on=today)]

    def decide(self, cmd: DecideRelief, standards: StandardsTable, today: date) -> list[Event]:
        """Approve (within the cap) or reject: an approver who neither handled nor reviewed it."""
        self.require_state("a decision", REVIEWED)
        second_person(cmd.actor, "decide", **self.earlier_hands("decide"))
        problems = Problems()
        decision = one_of(problems, "decision", cmd.decision, DECISIONS)
        problems.raise_if_any()
        if decision == "reject":
            reason = text(problems, "reason", cmd.reason)
            problems.raise_if_any()
            return [ReliefRejected(application_id=self.case_id, veteran_id=self.veteran_id,
                                   rejected_by=cmd.actor.subject, reason=reason,
                                   decided_on=today)]
        special_reason = text(problems, "special_reason", cmd.special_reason,
                              required=cmd.special)
        if cmd.approved_fen is None:
            problems.add("approved_fen", "is required to approve")
        elif not 0 < cmd.approved_fen <= self.amount_asked_fen:
            problems.add("approved_fen", "must be more than 0 and at most the amount asked "
                                         f"({self.amount_asked_fen} fen)")
        problems.raise_if_any()
        cap = relief_cap(standards.for_year(today.year), cmd.special)
        if cmd.approved_fen > cap.fen:
            raise InvalidRequest(
                f"over the cap: a grant may be at most {cap.basis}",
                {"approved_fen": [f"must be at most {cap.fen} fen ({cap.basis})"]})
        return [ReliefApproved(
            application_id=self.case_id, veteran_id=self.veteran_id,
            approved_by=cmd.actor.subject, approved_fen=cmd.approved_fen, cap_fen=cap.fen,
            cap_basis=cap.basis, special=cmd.special,
            special_reason=special_reason if cmd.special else None, decided_on=today)]

    def disburse(self, cmd: DisburseRelief, today: date) -> list[Event]:
        """Pay the approved grant, exactly and once; the reference is the payment's own."""
        self.require_state("disbursement", APPROVED)
        problems = Problems()
        if cmd.paid_fen != self.approved_fen:
            problems.add("paid_fen", f"must be the approved amount ({self.approved_fen} fen)")
        not_after(problems, "paid_on", cmd.paid_on, today)
        if cmd.paid_on < self.decided_on:
            problems.add("paid_on", "must not be before the approval "
                                    f"({self.decided_on.isoformat()})")
        reference = text(problems, "reference", cmd.reference)
        problems.raise_if_any()
        return [ReliefDisbursed(application_id=self.case_id, veteran_id=self.veteran_id,
                                paid_fen=cmd.paid_fen, paid_on=cmd.paid_on, reference=reference,
                                disbursed_by=cmd.actor.subject)]

    def close(self, cmd: CloseRelief, today: date) -> list[Event]:
        self.require_state("closing", DISBURSED)
        problems = Problems()
        note = text(problems, "note", cmd.note, required=False)
        problems.raise_if_any()
        return [ReliefClosed(application_id=self.case_id, veteran_id=self.veteran_id,
                             closed_by=cmd.actor.subject, note=note, closed_on=today)]

    def earlier_hands(self, step: str) -> dict[str, str | None]:
        """Who may not take `step` because they took an earlier one (BARRED_HANDS)."""
        return {hand: getattr(self, HAND_SUBJECTS[hand]) for hand in BARRED_HANDS.get(step, ())}

    def next_steps(self, actor: Actor, may_run: Callable[[str], bool]) -> list[str]:
        """The steps this person may take now: the state's step, if their roles run its
        operation (`may_run`) and the four-eyes check the step itself makes lets them."""
        step = STEPS.get(self.state or "")
        if step is None or not may_run(step[1]):
            return []
        try:
            second_person(actor, step[0], **self.earlier_hands(step[0]))
        except NotYourStep:
            return []
        return [step[0]]

    @staticmethod
    def clocks(events: list[Event]) -> Clocks:
        """Relief runs no statutory clock here: the public notice ends before the review."""
        return Clocks()
