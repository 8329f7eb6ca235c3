"""Entitlements: applied → reviewed → approved (four eyes) → active, confirmed yearly → suspended or ended."""

from dataclasses import dataclass
from datetime import date

from .case import (
    Actor,
    Case,
    Clocks,
    Due,
    VeteranFacts,
    first_of_month,
    months_later,
    not_after,
    one_of,
    second_person,
    text,
)
from .errors import Problems, StandardMissing, WrongState
from .events import (
    EntitlementApplied,
    EntitlementApproved,
    EntitlementConfirmationOverdue,
    EntitlementConfirmed,
    EntitlementEnded,
    EntitlementPaid,
    EntitlementRejected,
    EntitlementResumed,
    EntitlementReviewed,
    EntitlementSuspended,
    Event,
)
from .rules import EntitlementBasis, check_basis
from .standards import Amount, StandardsTable, funeral_aid, one_time_amount, yearly_amount
from .vocabulary import (
    DECISIONS,
    DISABILITY_PENSION,
    END_REASONS,
    ENTITLEMENT_KINDS,
    ONE_TIME_KINDS,
    OPINIONS,
    PERIODIC_KINDS,
    SURVIVORS_PENSION,
    SUSPENSION_REASONS,
)

APPLIED, REVIEWED, ACTIVE, APPROVED, PAID, REJECTED, SUSPENDED, ENDED = (
    "applied", "reviewed", "active", "approved", "paid", "rejected", "suspended", "ended")
STATES = (APPLIED, REVIEWED, ACTIVE, APPROVED, PAID, REJECTED, SUSPENDED, ENDED)
# States from which a new application may start on the same stream.
REOPENABLE = (None, REJECTED, ENDED)
CONFIRMATION = "annual_confirmation"
# Funeral aid on death: a survivors' pension runs on 6 months (Art. 22); a disabled veteran who
# dies of illness is paid 12 months of the disability pension (Art. 32).
SURVIVORS_FUNERAL_MONTHS = 6
DISABLED_ILLNESS_FUNERAL_MONTHS = 12


@dataclass(frozen=True)
class ApplyForEntitlement:
    veteran: VeteranFacts
    kind: str
    basis: EntitlementBasis
    actor: Actor
    offer_id: str | None = None


@dataclass(frozen=True)
class ReviewEntitlement:
    opinion: str
    notes: str
    actor: Actor


@dataclass(frozen=True)
class DecideEntitlement:
    decision: str
    actor: Actor
    reason: str | None = None


@dataclass(frozen=True)
class ConfirmEntitlement:
    actor: Actor


@dataclass(frozen=True)
class SuspendEntitlement:
    reason: str
    actor: Actor
    note: str | None = None


@dataclass(frozen=True)
class ResumeEntitlement:
    actor: Actor


@dataclass(frozen=True)
class EndEntitlement:
    reason: str
    actor: Actor
    note: str | None = None
    died_of_illness: bool = False
    recover_fen: int = 0


@dataclass(frozen=True)
class PayEntitlement:
    paid_fen: int
    paid_on: date
    reference: str
    actor: Actor


class Entitlement(Case):
    """One entitlement of one veteran. A periodic kind has one stream per veteran and kind, so
    nobody holds two at once; a new application after a rejection or an end reopens it."""

    what = "entitlement"

    def __init__(self, case_id: str):
        super().__init__(case_id)
        self._fresh()

    def _fresh(self) -> None:
        """Everything an application decides; a new application on the stream starts from here."""
        self.township: str | None = None
        self.kind: str | None = None
        self.basis = EntitlementBasis()
        self.applied_on: date | None = None
        self.handled_by: str | None = None
        self.reviewed_by: str | None = None
        self.approved_by: str | None = None
        self.amount_fen: int | None = None
        self.basis_text: str | None = None
        self.decided_on: date | None = None
        self.effective_from: date | None = None
        self.confirmed_year: int | None = None
        self.confirmation_due_on: date | None = None
        self.confirmation_overdue = False
        self.suspension_reason: str | None = None
        self.end_reason: str | None = None
        self.offer_id: str | None = None

    @property
    def periodic(self) -> bool:
        return self.kind in PERIODIC_KINDS

    @property
    def open(self) -> bool:
        """Applied for, in force or suspended: the veteran has this entitlement or asked for it."""
        return self.state not in REOPENABLE and self.state != PAID

    # -- how each event changes it -------------------------------------------------------------

    def _on_EntitlementApplied(self, e: EntitlementApplied) -> None:
        self._fresh()
        self.state, self.veteran_id, self.station, self.township = (
            APPLIED, e.veteran_id, e.station, e.township)
        self.kind, self.applied_on, self.handled_by, self.offer_id = (
            e.kind, e.applied_on, e.handled_by, e.offer_id)
        self.basis = EntitlementBasis(
            nature=e.nature, grade=e.grade, tie=e.tie, relation=e.relation,
            living_category=e.living_category, mental_disorder=e.mental_disorder,
            honour=e.honour, monthly_pay_fen=e.monthly_pay_fen)

    def _on_EntitlementReviewed(self, e: EntitlementReviewed) -> None:
        self.state, self.reviewed_by = REVIEWED, e.reviewed_by

    def _on_EntitlementApproved(self, e: EntitlementApproved) -> None:
        self.state = ACTIVE if self.periodic else APPROVED
        self.approved_by, self.amount_fen, self.basis_text = e.approved_by, e.amount_fen, e.basis
        self.decided_on, self.effective_from = e.decided_on, e.effective_from
        self.confirmed_year = e.decided_on.year if self.periodic else None
        self.confirmation_due_on = e.confirmation_due_on

    def _on_EntitlementRejected(self, e: EntitlementRejected) -> None:
        self.state, self.approved_by, self.decided_on = REJECTED, e.rejected_by, e.decided_on

    def _on_EntitlementConfirmed(self, e: EntitlementConfirmed) -> None:
        self.confirmed_year, self.amount_fen, self.basis_text = e.year, e.amount_fen, e.basis
        self.confirmation_due_on, self.confirmation_overdue = e.next_due_on, False

    def _on_EntitlementConfirmationOverdue(self, e: EntitlementConfirmationOverdue) -> None:
        self.confirmation_overdue = True

    def _on_EntitlementSuspended(self, e: EntitlementSuspended) -> None:
        self.state, self.suspension_reason = SUSPENDED, e.reason
        self.confirmation_due_on, self.confirmation_overdue = None, False

    def _on_EntitlementResumed(self, e: EntitlementResumed) -> None:
        self.state, self.suspension_reason = ACTIVE, None
        self.confirmation_due_on = e.confirmation_due_on

    def _on_EntitlementEnded(self, e: EntitlementEnded) -> None:
        self.state, self.end_reason = ENDED, e.reason
        self.confirmation_due_on, self.confirmation_overdue = None, False

    def _on_EntitlementPaid(self, e: EntitlementPaid) -> None:
        self.state = PAID

    # -- decisions -------------------------------------------------------------------------------

    def apply_for(self, cmd: ApplyForEntitlement, today: date) -> list[Event]:
        """Apply (or confirm an offer). A periodic kind already applied for or held is refused."""
        problems = Problems()
        kind = one_of(problems, "kind", cmd.kind, ENTITLEMENT_KINDS)
        problems.raise_if_any()
        if self.state not in REOPENABLE:
            raise WrongState(f"this veteran's {kind.replace('_', ' ')} is already {self.state}: "
                             "a new application waits until it is rejected or ended")
        basis = check_basis(kind, cmd.basis, cmd.veteran, problems)
        problems.raise_if_any()
        return [EntitlementApplied(
            entitlement_id=self.case_id, veteran_id=cmd.veteran.veteran_id,
            station=cmd.veteran.station, township=cmd.veteran.township, kind=kind,
            nature=basis.nature, grade=basis.grade, tie=basis.tie, relation=basis.relation,
            living_category=basis.living_category, mental_disorder=basis.mental_disorder,
            honour=basis.honour, monthly_pay_fen=basis.monthly_pay_fen, applied_on=today,
            handled_by=cmd.actor.subject, offer_id=cmd.offer_id)]

    def review(self, cmd: ReviewEntitlement, today: date) -> list[Event]:
        """The county's review (Art. 8's first step)."""
        self.require_state("review", APPLIED)
        problems = Problems()
        opinion = one_of(problems, "opinion", cmd.opinion, OPINIONS)
        notes = text(problems, "notes", cmd.notes)
        problems.raise_if_any()
        return [EntitlementReviewed(entitlement_id=self.case_id, veteran_id=self.veteran_id,
                                    reviewed_by=cmd.actor.subject, opinion=opinion, notes=notes,
                                    reviewed_on=today)]

    def amount(self, standards: StandardsTable, year: int) -> Amount:
        """What this entitlement is worth under `year`'s table: computed, never typed."""
        table = standards.for_year(year)
        b = self.basis
        if self.periodic:
            return yearly_amount(table, self.kind, nature=b.nature, grade=b.grade, tie=b.tie,
                                 living_category=b.living_category,
                                 mental_disorder=b.mental_disorder)
        return one_time_amount(table, self.kind, tie=b.tie, monthly_pay_fen=b.monthly_pay_fen,
                               honour=b.honour)

    def decide(self, cmd: DecideEntitlement, standards: StandardsTable,
               today: date) -> list[Event]:
        """Approve with the amount of this year's table, or reject: never the reviewer or handler."""
        self.require_state("a decision", REVIEWED)
        second_person(cmd.actor, "decide", handler=self.handled_by, reviewer=self.reviewed_by)
        problems = Problems()
        decision = one_of(problems, "decision", cmd.decision, DECISIONS)
        problems.raise_if_any()
        if decision == "reject":
            reason = text(problems, "reason", cmd.reason)
            problems.raise_if_any()
            return [EntitlementRejected(entitlement_id=self.case_id, veteran_id=self.veteran_id,
                                        rejected_by=cmd.actor.subject, reason=reason,
                                        decided_on=today)]
        amount = self.amount(standards, today.year)
        return [EntitlementApproved(
            entitlement_id=self.case_id, veteran_id=self.veteran_id,
            approved_by=cmd.actor.subject, amount_fen=amount.fen, basis=amount.basis,
            standards_year=today.year, effective_from=first_of_month(today), decided_on=today,
            confirmation_due_on=months_later(today, 12) if self.periodic else None)]

    def confirm(self, cmd: ConfirmEntitlement, standards: StandardsTable,
                today: date) -> list[Event]:
        """The yearly confirmation (Art. 8): the amount follows this year's table when there is
        one; until a new table is configured, last year's amount stands."""
        self.require_state("the yearly confirmation", ACTIVE)
        if self.confirmed_year is not None and self.confirmed_year >= today.year:
            raise WrongState(f"already confirmed for {self.confirmed_year}; the next "
                             f"confirmation is due by {self.confirmation_due_on}")
        try:
            amount = self.amount(standards, today.year)
        except StandardMissing:
            amount = Amount(self.amount_fen, f"{self.basis_text} (kept: no {today.year} table "
                                             "is configured yet)")
        return [EntitlementConfirmed(
            entitlement_id=self.case_id, veteran_id=self.veteran_id,
            confirmed_by=cmd.actor.subject, year=today.year, amount_fen=amount.fen,
            basis=amount.basis, confirmed_on=today, next_due_on=months_later(today, 12))]

    def suspend(self, cmd: SuspendEntitlement, today: date) -> list[Event]:
        """Stop paying while imprisoned, deprived of political rights or wanted (Art. 59)."""
        self.require_state("suspension", ACTIVE)
        problems = Problems()
        reason = one_of(problems, "reason", cmd.reason, SUSPENSION_REASONS)
        note = text(problems, "note", cmd.note, required=False)
        problems.raise_if_any()
        return [EntitlementSuspended(entitlement_id=self.case_id, veteran_id=self.veteran_id,
                                     reason=reason, note=note, suspended_on=today,
                                     suspended_by=cmd.actor.subject)]

    def resume(self, cmd: ResumeEntitlement, today: date) -> list[Event]:
        self.require_state("resumption", SUSPENDED)
        return [EntitlementResumed(entitlement_id=self.case_id, veteran_id=self.veteran_id,
                                   resumed_on=today, resumed_by=cmd.actor.subject,
                                   confirmation_due_on=months_later(today, 12))]

    def end(self, cmd: EndEntitlement, today: date) -> list[Event]:
        """End for good (Arts. 58-59), with funeral aid on death (Arts. 22, 32) and, for fraud,
        the sum to recover."""
        self.require_state("ending", ACTIVE, SUSPENDED)
        problems = Problems()
        reason = one_of(problems, "reason", cmd.reason, END_REASONS)
        note = text(problems, "note", cmd.note, required=reason == "fraud")
        if reason == "fraud" and cmd.recover_fen <= 0:
            problems.add("recover_fen", "fraud: give the sum obtained, to be recovered (Art. 58)")
        if reason != "fraud" and cmd.recover_fen:
            problems.add("recover_fen", "only a fraud recovers money")
        if cmd.died_of_illness and reason != "death":
            problems.add("died_of_illness", "only for an ending by death")
        problems.raise_if_any()
        months = 0
        if reason == "death" and self.kind == SURVIVORS_PENSION:
            months = SURVIVORS_FUNERAL_MONTHS
        elif reason == "death" and self.kind == DISABILITY_PENSION and cmd.died_of_illness:
            months = DISABLED_ILLNESS_FUNERAL_MONTHS
        aid = funeral_aid(self.amount_fen, months).fen if months else 0
        return [EntitlementEnded(entitlement_id=self.case_id, veteran_id=self.veteran_id,
                                 reason=reason, note=note, ended_on=today,
                                 ended_by=cmd.actor.subject, funeral_aid_months=months,
                                 funeral_aid_fen=aid, recover_fen=cmd.recover_fen)]

    def pay(self, cmd: PayEntitlement, today: date) -> list[Event]:
        """Pay a one-time benefit: the approved sum, exactly and once."""
        self.require_exists()
        if self.kind not in ONE_TIME_KINDS:
            raise WrongState("a periodic entitlement is paid by the yearly payment run, not "
                             "case by case")
        self.require_state("payment", APPROVED)
        problems = Problems()
        if cmd.paid_fen != self.amount_fen:
            problems.add("paid_fen", f"must be the approved amount ({self.amount_fen} fen)")
        not_after(problems, "paid_on", cmd.paid_on, today)
        if cmd.paid_on < self.decided_on:
            problems.add("paid_on", "must not be before the approval")
        reference = text(problems, "reference", cmd.reference)
        problems.raise_if_any()
        return [EntitlementPaid(entitlement_id=self.case_id, veteran_id=self.veteran_id,
                                paid_fen=cmd.paid_fen, paid_on=cmd.paid_on, reference=reference,
                                paid_by=cmd.actor.subject)]

    def clocks(self, events: list[Event]) -> Clocks:
        """The yearly confirmation's clock: started on approval, confirmation and resumption;
        met by a confirmation; cancelled by a suspension or an end."""
        changes = Clocks()
        for e in events:
            due = None
            if isinstance(e, EntitlementApproved) and e.confirmation_due_on is not None:
                due = e.confirmation_due_on
            elif isinstance(e, EntitlementConfirmed):
                changes = Clocks(met=(CONFIRMATION,))
                due = e.next_due_on
            elif isinstance(e, EntitlementResumed):
                due = e.confirmation_due_on
            elif isinstance(e, EntitlementSuspended | EntitlementEnded):
                changes = Clocks(cancelled=(CONFIRMATION,))
            if due is not None:
                changes = Clocks(set=(Due(CONFIRMATION, due, "EntitlementConfirmationOverdue",
                                          {"entitlement_id": self.case_id,
                                           "veteran_id": self.veteran_id,
                                           "due_on": due.isoformat()}),),
                                 met=changes.met)
        return changes

