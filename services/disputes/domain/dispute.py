"""The dispute 矛盾纠纷: mediation sessions, legal-aid referral on its clocks, and its resolution.

Legal aid (法律援助法 Art. 43): the legal aid centre decides within 7 days of the referral and,
having granted it, assigns a lawyer within 3 days; a martyr's relatives defending the martyr's
name are not means-tested (Art. 32).
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from .clocks import LAWYER_ASSIGNMENT, LEGAL_AID_DECISION, Clock, ClockChanges, ClockRules, Decision
from .commands import AssignLawyer, DecideLegalAid, OpenDispute, RecordMediation, ReferLegalAid, ResolveDispute
from .errors import Problems, StepRefused, one_of, optional_text, required_text
from .events import (
    DisputeOpened,
    DisputeResolved,
    Event,
    LawyerAssigned,
    LegalAidDecided,
    LegalAidReferred,
    MediationSessionHeld,
)
from .vocabulary import Category, DisputeOutcome, DisputeState, LegalAidState, values

L = LegalAidState


def open_dispute(cmd: OpenDispute, dispute_id: str, today: date) -> Decision:
    problems = Problems()
    station = required_text(problems, "service_station", cmd.service_station)
    one_of(problems, "category", cmd.category, values(Category))
    parties = required_text(problems, "parties", cmd.parties)
    summary = required_text(problems, "summary", cmd.summary)
    problems.raise_if_any()
    return Decision([DisputeOpened(dispute_id, cmd.veteran_id, station, cmd.category, parties,
                                   summary, today, cmd.petition_id)])


class Dispute:
    """One dispute, as its events tell it."""

    def __init__(self):
        self.dispute_id = ""
        self.version = 0
        self.opened: DisputeOpened | None = None
        self.state = DisputeState.OPEN
        self.sessions: list[dict[str, Any]] = []
        self.legal_aid: dict[str, Any] = {"state": L.NONE.value}
        self.resolution: dict[str, Any] | None = None
        self.referrals: list[dict[str, Any]] = []
        self.overdue: set[str] = set()

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> "Dispute":
        dispute = cls()
        for event in events:
            dispute.apply(event)
            dispute.version += 1
        return dispute

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

    def _on_DisputeOpened(self, e):
        self.dispute_id, self.opened = e.dispute_id, e

    def _on_MediationSessionHeld(self, e):
        self.sessions.append({"session": e.session, "held_on": e.held_on, "mediator": e.mediator,
                              "agreement_reached": e.agreement_reached, "summary": e.summary})

    def _on_LegalAidReferred(self, e):
        self.legal_aid = {"state": L.REFERRED.value, "referred_on": e.referred_on,
                          "means_test_waived": e.means_test_waived,
                          "decision_due_on": e.decision_due_on, "granted": None,
                          "decided_on": None, "decision_late": None, "reason": None,
                          "lawyer_due_on": None, "lawyer": None, "firm": None,
                          "assigned_on": None, "assignment_late": None}

    def _on_LegalAidDecided(self, e):
        self.legal_aid.update(state=(L.GRANTED if e.granted else L.REFUSED).value,
                              granted=e.granted, decided_on=e.decided_on, decision_late=e.late,
                              reason=e.reason, lawyer_due_on=e.lawyer_due_on)
        self.overdue.discard(LEGAL_AID_DECISION)

    def _on_LawyerAssigned(self, e):
        self.legal_aid.update(state=L.LAWYER_ASSIGNED.value, lawyer=e.lawyer, firm=e.firm,
                              assigned_on=e.assigned_on, assignment_late=e.late)
        self.overdue.discard(LAWYER_ASSIGNMENT)

    def _on_LegalAidDecisionOverdue(self, e):
        if self.legal_aid["state"] == L.REFERRED:
            self.overdue.add(LEGAL_AID_DECISION)

    def _on_LawyerAssignmentOverdue(self, e):
        if self.legal_aid["state"] == L.GRANTED:
            self.overdue.add(LAWYER_ASSIGNMENT)

    def _on_DisputeResolved(self, e):
        self.state = DisputeState(e.outcome)
        self.resolution = {"outcome": e.outcome, "resolved_on": e.resolved_on,
                           "summary": e.summary}

    def _on_HardshipReferred(self, e):
        self.referrals.append({"referral_id": e.referral_id, "trigger": e.trigger,
                               "note": e.note, "referred_on": e.referred_on})

    # -- decisions --------------------------------------------------------------------------------

    def _refuse_unless_open(self, what: str) -> None:
        if self.state != DisputeState.OPEN:
            raise StepRefused(f"{what}: the dispute is closed ({self.state.value})",
                              {"state": [self.state.value]})

    def record_mediation(self, cmd: RecordMediation, today: date) -> Decision:
        self._refuse_unless_open("no more mediation")
        problems = Problems()
        mediator = required_text(problems, "mediator", cmd.mediator)
        summary = required_text(problems, "summary", cmd.summary)
        held_on = cmd.held_on or today
        if held_on > today:
            problems.add("held_on", "must not be in the future")
        elif held_on < self.opened.opened_on:
            problems.add("held_on", "must not be before the dispute was opened")
        problems.raise_if_any()
        return Decision([MediationSessionHeld(self.dispute_id, len(self.sessions) + 1, held_on,
                                              mediator, bool(cmd.agreement_reached), summary)])

    def refer_legal_aid(self, cmd: ReferLegalAid, today: date, rules: ClockRules) -> Decision:
        """Refer the veteran to the legal aid centre: its 7-day decision clock starts."""
        self._refuse_unless_open("no legal aid referral")
        if self.legal_aid["state"] not in (L.NONE, L.REFUSED):
            raise StepRefused(f"legal aid is already under way ({self.legal_aid['state']})")
        due = rules.legal_aid_decision_due(today)
        return Decision(
            [LegalAidReferred(self.dispute_id, today, bool(cmd.martyr_family_defending_name),
                              due)],
            ClockChanges(start=(Clock(LEGAL_AID_DECISION, due, "LegalAidDecisionOverdue",
                                      {"dispute_id": self.dispute_id,
                                       "due_on": due.isoformat()}),)))

    def decide_legal_aid(self, cmd: DecideLegalAid, today: date, rules: ClockRules) -> Decision:
        """The centre's decision, met on its clock; granted, the lawyer's 3-day clock starts."""
        if self.legal_aid["state"] != L.REFERRED:
            raise StepRefused("no legal aid referral is waiting for a decision")
        problems = Problems()
        reason = optional_text(cmd.reason)
        if not cmd.granted and reason is None:
            problems.add("reason", "say why legal aid was refused")
        problems.raise_if_any()
        late = today > self.legal_aid["decision_due_on"]
        if not cmd.granted:
            return Decision([LegalAidDecided(self.dispute_id, False, today, late, reason, None)],
                            ClockChanges(met=(LEGAL_AID_DECISION,)))
        due = rules.lawyer_due(today)
        return Decision(
            [LegalAidDecided(self.dispute_id, True, today, late, reason, due)],
            ClockChanges(met=(LEGAL_AID_DECISION,), start=(Clock(
                LAWYER_ASSIGNMENT, due, "LawyerAssignmentOverdue",
                {"dispute_id": self.dispute_id, "due_on": due.isoformat()}),)))

    def assign_lawyer(self, cmd: AssignLawyer, today: date) -> Decision:
        if self.legal_aid["state"] != L.GRANTED:
            raise StepRefused("a lawyer is assigned once legal aid is granted, once")
        problems = Problems()
        lawyer = required_text(problems, "lawyer", cmd.lawyer)
        problems.raise_if_any()
        late = today > self.legal_aid["lawyer_due_on"]
        return Decision([LawyerAssigned(self.dispute_id, lawyer, optional_text(cmd.firm), today,
                                        late)], ClockChanges(met=(LAWYER_ASSIGNMENT,)))

    def resolve(self, cmd: ResolveDispute, today: date) -> Decision:
        """Close the dispute, resolved or not; legal-aid clocks still running stop with it."""
        self._refuse_unless_open("it cannot be closed again")
        problems = Problems()
        one_of(problems, "outcome", cmd.outcome, values(DisputeOutcome))
        summary = required_text(problems, "summary", cmd.summary)
        problems.raise_if_any()
        running = {L.REFERRED: (LEGAL_AID_DECISION,),
                   L.GRANTED: (LAWYER_ASSIGNMENT,)}.get(L(self.legal_aid["state"]), ())
        return Decision([DisputeResolved(self.dispute_id, cmd.outcome, today, summary)],
                        ClockChanges(cancelled=running))
