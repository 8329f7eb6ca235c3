"""The placement case: built from its events, and the decisions each step of its lifecycle makes."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from . import events as ev
from .clocks import on_post_due
from .commands import AmendFacts
from .eligibility import ModeEligibility, eligibility
from .errors import BenefitsForfeited, InvalidPlacementData, ModeBarred, WrongState
from .facts import PlacementFacts
from .money import Standards, one_time_subsidy
from .reporting import amended_facts, facts_fields
from .vocabulary import (
    FORFEITURE_ARTICLES,
    NCO_CLASSES,
    CaseKind,
    Forfeiture,
    Mode,
    PostKind,
    Status,
    TransferMethod,
)

MIN_CONTRACT_YEARS = 3  # Art. 32
OPEN_ENDED_AFTER_YEARS = 10  # Art. 32: an enterprise taking an NCO with 10+ years
MAX_POINTS = 100_000
POST_KINDS = frozenset(k.value for k in PostKind)
TRANSFER_METHODS = frozenset(m.value for m in TransferMethod)
# Where choosing each mode leads.
AFTER_CHOICE = {Mode.ASSIGNED_WORK: Status.WAITING, Mode.SELF_EMPLOYMENT: Status.SELF_EMPLOYED,
                Mode.OFFICER_TRANSFER: Status.AWAITING_ASSIGNMENT}
# Art. 34: prosecution cancels assigned work while the soldier waits for a post.
WAITING_FOR_A_POST = frozenset({Status.WAITING, Status.SCORED, Status.POST_OFFERED,
                                Status.POST_ACCEPTED})
CLOSABLE = {Status.CONTRACTED: "placed", Status.PLACED: "placed",
            Status.HANDED_OVER: "handed_over", Status.FORFEITED: "forfeited"}
# What a case in each open status waits for: its steps (each named as its route's last path
# segment) and the API operation that runs each. The first is the step the case waits on (a staff
# queue's 下一步); the others may be taken too (prosecution ends a wait, an offer may be declined).
_CLOSE = ("closure", "close_placement_case")
_PROSECUTION = ("prosecution", "forfeit_for_prosecution")
NEXT_STEPS: dict[str, tuple[tuple[str, str], ...]] = {
    Status.REPORTED: (("mode", "choose_placement_mode"),),
    Status.FORFEITED: (_CLOSE, ("late-reason", "record_late_reason")),
    Status.WAITING: (("score", "score_placement_case"), _PROSECUTION),
    Status.SCORED: (("post-offer", "offer_post"), ("score", "score_placement_case"), _PROSECUTION),
    Status.POST_OFFERED: (("post-acceptance", "accept_post"),
                          ("post-declination", "decline_post"), _PROSECUTION),
    Status.POST_ACCEPTED: (("referral-letter", "issue_referral_letter"), _PROSECUTION),
    Status.LETTER_ISSUED: (("on-post", "record_on_post"),),
    Status.ON_POST: (("contract", "record_contract"),),
    Status.CONTRACTED: (_CLOSE,),
    Status.SELF_EMPLOYED: (("subsidy-payment", "pay_subsidy"),),
    Status.SUBSIDY_PAID: (("employment-handover", "hand_over_to_employment"),),
    Status.HANDED_OVER: (_CLOSE,),
    Status.AWAITING_ASSIGNMENT: (("assignment", "assign_transfer"),),
    Status.ASSIGNED: (("placement", "record_placement"),),
    Status.PLACED: (_CLOSE,),
}
# The veteran's own choices (the mode, the answer to an offer): a case waiting on one waits on
# the veteran, not on the desk, even though the desk may record the answer the veteran gives it.
VETERANS_CHOICE = frozenset({Status.REPORTED, Status.POST_OFFERED})


def desk_statuses(may: Callable[[str], bool]) -> list[str]:
    """The statuses whose awaited step is the desk's and that `may` (the caller's roles running
    an operation) lets the caller take: the caller's queue 待我办理."""
    return sorted(status for status, steps in NEXT_STEPS.items()
                  if status not in VETERANS_CHOICE and may(steps[0][1]))


@dataclass
class PlacementCase:
    case_id: str
    veteran_id: str
    kind: str
    status: str
    version: int = 0
    service_station: str = ""
    township: str = ""
    facts: PlacementFacts | None = None
    reported_on: date | None = None
    report_in_due_on: date | None = None
    late_reason: str | None = None
    forfeiture: ev.PlacementForfeited | None = None
    mode: str | None = None
    mode_chosen_on: date | None = None
    subsidy: ev.SubsidyAssessed | None = None
    subsidy_paid: ev.SubsidyPaid | None = None
    points: int | None = None
    post: ev.PostOffered | None = None
    post_accepted_on: date | None = None
    declined: list[ev.PostDeclined] = field(default_factory=list)
    letter: ev.ReferralLetterIssued | None = None
    placed: ev.Placed | None = None
    on_post_on: date | None = None
    contract: ev.ContractRecorded | None = None
    transfer: ev.TransferAssigned | None = None
    officer_case_id: str | None = None
    spouse_case_id: str | None = None
    spouse_name: str | None = None
    employed_as: str | None = None
    overdue: set[str] = field(default_factory=set)
    closed: ev.CaseClosed | None = None

    # -- building from events ----------------------------------------------------------------

    @classmethod
    def from_events(cls, events: Iterable[ev.Event]) -> PlacementCase:
        case = None
        for event in events:
            if case is None:
                case = cls._opened(event)
            else:
                case._apply(event)
            case.version += 1
        if case is None:
            raise ValueError("a case needs at least its first event")
        return case

    @classmethod
    def _opened(cls, event: ev.Event) -> PlacementCase:
        if isinstance(event, ev.ReportedIn):
            return cls(event.case_id, event.veteran_id, event.case_kind, Status.REPORTED,
                       service_station=event.service_station, township=event.township,
                       facts=_facts(event, event.discharge_approved_on),
                       reported_on=event.reported_on, report_in_due_on=event.report_in_due_on,
                       late_reason=event.late_reason)
        if isinstance(event, ev.SpouseReceived):
            return cls(event.case_id, event.veteran_id, CaseKind.SPOUSE, Status.AWAITING_ASSIGNMENT,
                       service_station=event.service_station, township=event.township,
                       reported_on=event.received_on, officer_case_id=event.officer_case_id,
                       spouse_name=event.spouse_name, employed_as=event.employed_as)
        raise ValueError(f"a case cannot start with {event.event_type}")

    def _apply(self, event: ev.Event) -> None:
        self.status = next_status(self.kind, event) or self.status
        match event:
            case ev.FactsAmended():
                self.facts = _facts(event, self.facts.discharge_approved_on)
            case ev.PlacementForfeited():
                # A post it held is released with the forfeiture (the handler writes that).
                self.forfeiture, self.post = event, None
            case ev.LateReasonRecorded():
                self.forfeiture, self.late_reason = None, event.reason
            case ev.ModeChosen():
                self.mode, self.mode_chosen_on = event.mode, event.on
            case ev.SubsidyAssessed():
                self.subsidy = event
            case ev.SubsidyPaid():
                self.subsidy_paid = event
            case ev.Scored():
                self.points = event.points
            case ev.PostOffered():
                self.post, self.post_accepted_on = event, None
            case ev.PostAccepted():
                self.post_accepted_on = event.on
            case ev.PostDeclined():
                self.declined.append(event)
                self.post = None
            case ev.ReferralLetterIssued():
                self.letter = event
            case ev.Placed():
                self.placed = event
                self.overdue.discard("placement")
            case ev.OnPostRecorded():
                self.on_post_on = event.on_post_on
                self.overdue.discard("on_post")
            case ev.ContractRecorded():
                self.contract = event
            case ev.TransferAssigned():
                self.transfer = event
            case ev.SpouseLinked():
                self.spouse_case_id = event.spouse_case_id
            case ev.PlacementOverdue():
                self.overdue.add("placement")
            case ev.OnPostOverdue():
                self.overdue.add("on_post")
            case ev.CaseClosed():
                self.closed = event

    # -- reads ---------------------------------------------------------------------------------

    def eligibility(self) -> tuple[ModeEligibility, ...]:
        if self.facts is None:
            return ()
        return eligibility(self.facts, self.forfeiture.reason if self.forfeiture else None)

    def next_steps(self, may: Callable[[str], bool]) -> list[str]:
        """The steps the caller may take now: those the case's status allows (NEXT_STEPS) whose
        operation `may` grants. A late-report reason only lifts a late report-in's forfeiture."""
        return [step for step, operation in NEXT_STEPS.get(self.status, ())
                if may(operation) and not (step == "late-reason" and self.forfeiture.reason
                                           != Forfeiture.LATE_REPORT_IN)]

    @property
    def holds_post(self) -> str | None:
        """The post this case holds a position of (offered or accepted, not yet placed away)."""
        return self.post.post_id if self.post is not None else None

    # -- guards ----------------------------------------------------------------------------------

    def _require(self, step: str, *statuses: str, kinds: tuple[str, ...] | None = None) -> None:
        if self.status == Status.FORFEITED and Status.FORFEITED not in statuses:
            reason = self.forfeiture.reason
            raise BenefitsForfeited(step, reason.replace("_", " "), self.forfeiture.article)
        if self.status not in statuses:
            raise WrongState(step, self.status, statuses)
        if kinds is not None and self.kind not in kinds:
            raise WrongState(step, f"a {self.kind} case", {f"a {k} case" for k in kinds})

    def _ids(self) -> dict:
        return {"case_id": self.case_id, "veteran_id": self.veteran_id}

    # -- decisions -------------------------------------------------------------------------------

    def amend_facts(self, cmd: AmendFacts) -> list[ev.Event]:
        open_ = [s for s in Status if s not in (Status.CLOSED, Status.FORFEITED)]
        self._require("amend the facts", *open_, kinds=(CaseKind.SOLDIER, CaseKind.OFFICER))
        new = amended_facts(self.facts, cmd)
        if new == self.facts:
            return []
        if (new.rank_class == "officer") != (self.kind == CaseKind.OFFICER):
            raise InvalidPlacementData("the facts cannot be amended", {"rank_class": [
                "an officer's case and a soldier's case cannot change into each other"]})
        return [ev.FactsAmended(**self._ids(), **facts_fields(new))]

    def record_late_reason(self, reason: str, today: date) -> list[ev.Event]:
        self._require("record a reason for reporting late", Status.FORFEITED)
        if self.forfeiture.reason != Forfeiture.LATE_REPORT_IN:
            raise WrongState("record a reason for reporting late",
                             f"forfeited for {self.forfeiture.reason}", {"forfeited for late_report_in"})
        return [ev.LateReasonRecorded(**self._ids(), on=today, reason=_required(reason, "reason"))]

    def choose_mode(self, mode: str, today: date, standards: Standards) -> list[ev.Event]:
        self._require("choose a placement mode", Status.REPORTED,
                      kinds=(CaseKind.SOLDIER, CaseKind.OFFICER))
        verdict = {m.mode: m for m in self.eligibility()}.get(mode)
        if verdict is None:
            raise InvalidPlacementData("unknown mode", {"mode": ["not a placement mode"]})
        if not verdict.allowed:
            raise ModeBarred(mode, verdict.explanation)
        chosen = [ev.ModeChosen(**self._ids(), mode=mode, on=today)]
        if mode == Mode.SELF_EMPLOYMENT:
            subsidy = one_time_subsidy(standards, self.facts.discharge_approved_on,
                                       self.facts.years_of_service)
            chosen.append(ev.SubsidyAssessed(
                **self._ids(), standard_year=subsidy.standard_year,
                years_of_service=subsidy.years_of_service, fen_per_year=subsidy.fen_per_year,
                amount_fen=subsidy.amount_fen))
        return chosen

    def pay_subsidy(self, paid_on: date, reference: str, today: date) -> list[ev.Event]:
        self._require("record the subsidy paid", Status.SELF_EMPLOYED)
        _on_or_after(paid_on, self.mode_chosen_on, today, "paid_on", "self-employment was chosen")
        return [ev.SubsidyPaid(**self._ids(), amount_fen=self.subsidy.amount_fen,
                               paid_on=paid_on, reference=_required(reference, "reference"))]

    def hand_over_to_employment(self, today: date) -> list[ev.Event]:
        self._require("hand over to employment", Status.SUBSIDY_PAID)
        return [ev.HandedToEmployment(**self._ids(), on=today),
                ev.CaseClosed(**self._ids(), outcome="handed_to_employment", on=today)]

    def score(self, points: int, today: date) -> list[ev.Event]:
        self._require("score the case", Status.WAITING, Status.SCORED)
        if not 0 <= points <= MAX_POINTS:
            raise InvalidPlacementData("invalid score", {"points": [f"must be 0 to {MAX_POINTS}"]})
        return [ev.Scored(**self._ids(), points=points, on=today)]

    def offer_post(self, post_id: str, post_kind: str, unit: str, today: date) -> list[ev.Event]:
        self._require("offer a post", Status.SCORED)
        return [ev.PostOffered(**self._ids(), post_id=post_id, post_kind=post_kind, unit=unit,
                               on=today)]

    def accept_post(self, today: date) -> list[ev.Event]:
        self._require("accept the post", Status.POST_OFFERED)
        return [ev.PostAccepted(**self._ids(), post_id=self.post.post_id, on=today)]

    def decline_post(self, good_reason: str | None, today: date) -> list[ev.Event]:
        """Declining with a good reason keeps the case waiting for another post; without one,
        it gives up the placement (Art. 34)."""
        self._require("decline the post", Status.POST_OFFERED)
        reason = good_reason.strip() if good_reason and good_reason.strip() else None
        declined = [ev.PostDeclined(**self._ids(), post_id=self.post.post_id, on=today,
                                    good_reason=reason)]
        if reason is None:
            declined.append(self._forfeited(Forfeiture.DECLINED_POST, today,
                                            f"declined the post at {self.post.unit}"))
        return declined

    def forfeit_for_prosecution(self, detail: str | None, today: date) -> list[ev.Event]:
        self._require("cancel the placement for prosecution", *WAITING_FOR_A_POST)
        return [self._forfeited(Forfeiture.PROSECUTED_WHILE_WAITING, today, detail)]

    def _forfeited(self, reason: Forfeiture, today: date, detail: str | None):
        return ev.PlacementForfeited(**self._ids(), reason=reason.value,
                                     article=FORFEITURE_ARTICLES[reason], on=today, detail=detail)

    def issue_referral_letter(self, letter_number: str, issued_on: date,
                              today: date) -> list[ev.Event]:
        self._require("issue the referral letter", Status.POST_ACCEPTED)
        _on_or_after(issued_on, self.post_accepted_on, today, "issued_on", "the post was accepted")
        return [ev.ReferralLetterIssued(**self._ids(),
                                        letter_number=_required(letter_number, "letter_number"),
                                        issued_on=issued_on, on_post_due_on=on_post_due(issued_on)),
                ev.Placed(**self._ids(), post_kind=self.post.post_kind, unit=self.post.unit,
                          placed_on=issued_on)]

    def record_on_post(self, on_post_on: date, today: date) -> list[ev.Event]:
        self._require("record the soldier on post", Status.LETTER_ISSUED)
        _on_or_after(on_post_on, self.letter.issued_on, today, "on_post_on",
                     "the referral letter was issued")
        return [ev.OnPostRecorded(**self._ids(), on_post_on=on_post_on)]

    def record_contract(self, signed_on: date, term_years: int | None, open_ended: bool,
                        today: date) -> list[ev.Event]:
        """Art. 32: a contract of 3 years or more; open-ended when an enterprise takes an NCO
        with 10 or more years of service."""
        self._require("record the contract", Status.ON_POST)
        _on_or_after(signed_on, self.on_post_on, today, "signed_on", "the soldier went on post")
        if not open_ended and (term_years is None or term_years < MIN_CONTRACT_YEARS):
            raise InvalidPlacementData("the contract is too short", {"term_years": [
                f"a fixed-term contract runs {MIN_CONTRACT_YEARS} years or more (Art. 32)"]})
        if (self.post.post_kind == PostKind.ENTERPRISE and not open_ended
                and self.facts.rank_class in NCO_CLASSES
                and self.facts.years_of_service >= OPEN_ENDED_AFTER_YEARS):
            raise InvalidPlacementData("the contract must be open-ended", {"open_ended": [
                f"an enterprise taking an NCO with {OPEN_ENDED_AFTER_YEARS} or more years of "
                "service signs an open-ended contract (Art. 32)"]})
        return [ev.ContractRecorded(**self._ids(), signed_on=signed_on,
                                    term_years=None if open_ended else term_years,
                                    open_ended=open_ended)]

    def assign_transfer(self, method: str, planned_kind: str, today: date) -> list[ev.Event]:
        self._require("assign the transfer", Status.AWAITING_ASSIGNMENT,
                      kinds=(CaseKind.OFFICER, CaseKind.SPOUSE))
        problems = {}
        if method not in TRANSFER_METHODS:
            problems["method"] = ["must be one of " + ", ".join(sorted(TRANSFER_METHODS))]
        if planned_kind not in POST_KINDS:
            problems["planned_kind"] = ["must be one of " + ", ".join(sorted(POST_KINDS))]
        if problems:
            raise InvalidPlacementData("the assignment is not valid", problems)
        return [ev.TransferAssigned(**self._ids(), method=method, planned_kind=planned_kind,
                                    on=today)]

    def record_placement(self, post_kind: str, unit: str, placed_on: date,
                         today: date) -> list[ev.Event]:
        self._require("record the placement", Status.ASSIGNED,
                      kinds=(CaseKind.OFFICER, CaseKind.SPOUSE))
        if post_kind not in POST_KINDS:
            raise InvalidPlacementData("unknown post kind", {"post_kind": [
                "must be one of " + ", ".join(sorted(POST_KINDS))]})
        _on_or_after(placed_on, self.transfer.on, today, "placed_on", "the transfer was assigned")
        return [ev.Placed(**self._ids(), post_kind=post_kind, unit=_required(unit, "unit"),
                          placed_on=placed_on)]

    def link_spouse(self, spouse_case_id: str) -> list[ev.Event]:
        """Art. 57: a spouse moving with a transferred officer is received with them."""
        self._require("receive a spouse", Status.AWAITING_ASSIGNMENT, Status.ASSIGNED,
                      Status.PLACED, kinds=(CaseKind.OFFICER,))
        if self.spouse_case_id is not None:
            raise WrongState("receive a spouse", "linked to a spouse's case already",
                             {"without a spouse's case"})
        return [ev.SpouseLinked(**self._ids(), spouse_case_id=spouse_case_id)]

    def receive_spouse(self, spouse_case_id: str, spouse_name: str, employed_as: str | None,
                       today: date) -> ev.SpouseReceived:
        """The first event of the spouse's own case (see link_spouse for the officer's)."""
        if employed_as is not None and employed_as not in POST_KINDS:
            raise InvalidPlacementData("unknown post kind", {"employed_as": [
                "must be one of " + ", ".join(sorted(POST_KINDS))]})
        return ev.SpouseReceived(case_id=spouse_case_id, veteran_id=self.veteran_id,
                                 officer_case_id=self.case_id,
                                 spouse_name=_required(spouse_name, "spouse_name"),
                                 received_on=today, service_station=self.service_station,
                                 township=self.township, employed_as=employed_as)

    def close(self, today: date) -> list[ev.Event]:
        self._require("close the case", *CLOSABLE)
        return [ev.CaseClosed(**self._ids(), outcome=CLOSABLE[self.status], on=today)]


def next_status(kind: str, event: ev.Event) -> str | None:
    """Where an event takes a case of this kind; None: it stays where it is. The case list
    (services/placement/projections.py) follows the same function."""
    match event:
        case ev.ReportedIn():
            return Status.REPORTED
        case ev.SpouseReceived():
            return Status.AWAITING_ASSIGNMENT
        case ev.PlacementForfeited():
            return Status.FORFEITED
        case ev.LateReasonRecorded():
            return Status.REPORTED
        case ev.ModeChosen():
            return AFTER_CHOICE.get(Mode(event.mode), Status.HANDED_OVER)
        case ev.SubsidyPaid():
            return Status.SUBSIDY_PAID
        case ev.Scored() | ev.PostDeclined():
            return Status.SCORED
        case ev.PostOffered():
            return Status.POST_OFFERED
        case ev.PostAccepted():
            return Status.POST_ACCEPTED
        case ev.ReferralLetterIssued():
            return Status.LETTER_ISSUED
        case ev.Placed():
            # A soldier's placement is the referral letter; they go on post after it.
            return None if kind == CaseKind.SOLDIER else Status.PLACED
        case ev.OnPostRecorded():
            return Status.ON_POST
        case ev.ContractRecorded():
            return Status.CONTRACTED
        case ev.TransferAssigned():
            return Status.ASSIGNED
        case ev.CaseClosed():
            return Status.CLOSED
    return None


def _facts(event, discharge_approved_on: date) -> PlacementFacts:
    return PlacementFacts(discharge_approved_on=discharge_approved_on, **{
        name: getattr(event, name) for name in PlacementFacts.__dataclass_fields__
        if name != "discharge_approved_on"})


def _required(value: str | None, name: str) -> str:
    if value is None or not value.strip():
        raise InvalidPlacementData(f"{name} is required", {name: ["is required"]})
    return value.strip()


def _on_or_after(day: date, earliest: date | None, today: date, name: str, since: str) -> None:
    if day > today:
        raise InvalidPlacementData(f"{name} is in the future", {name: ["must not be in the future"]})
    if earliest is not None and day < earliest:
        raise InvalidPlacementData(f"{name} is too early", {name: [
            f"must not be before {earliest.isoformat()}, when {since}"]})
