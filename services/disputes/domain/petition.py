"""The petition 信访: the aggregate built from its events, and each step's decision with its clocks.

A petition is registered when lodged (Art. 21); the intake decision (accept, refuse, transfer,
or route out to litigation, arbitration or an administrative procedure) is due within the
intake clock (Art. 23, Zhejiang's 5 working days); an accepted petition gets a handler and an
opinion within 60 days (Art. 32), extendable once by up to 30 with an approver's approval and
the reason told to the petitioner (Art. 34); the petitioner may ask for a review 复查 within 30
days of the opinion, answered within 30 (Art. 35), then a re-review 复核 likewise (Art. 36),
after which the petition is final and the same facts are not taken again.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .clocks import (
    INTAKE,
    OPINION,
    Clock,
    ClockChanges,
    ClockRules,
    Decision,
    WorkingDays,
    answer_clock,
    request_window,
)
from .commands import (
    AnswerReview,
    AssignHandler,
    DecideExtension,
    DecideIntake,
    IssueOpinion,
    LodgePetition,
    RecordEscalation,
    RecordPetitionMediation,
    RequestExtension,
    RequestReview,
)
from .errors import NotYours, Problems, StepRefused, one_of, optional_text, required_text
from .events import (
    Event,
    HandlerAssigned,
    OpinionExtensionApproved,
    OpinionExtensionRefused,
    OpinionExtensionRequested,
    OpinionIssued,
    PetitionAccepted,
    PetitionEscalated,
    PetitionLodged,
    PetitionMediationHeld,
    PetitionRefused,
    PetitionRoutedOut,
    PetitionTransferred,
    RepeatPetitionLinked,
    ReviewAnswered,
    ReviewRequested,
)
from .vocabulary import (
    MAX_REPRESENTATIVES,
    OPEN_STATES,
    Category,
    Channel,
    EscalationReason,
    IntakeDecision,
    Level,
    OpinionOutcome,
    PetitionerKind,
    PetitionState,
    Procedure,
    RefusalGround,
    ReviewOutcome,
    ReviewStage,
    values,
)

S = PetitionState


# -- the matter: one matter, one open petition ----------------------------------------------------

def matter_key_for(petition_id: str, veteran_id: str | None, category: str,
                   separate: bool = False) -> str:
    """The matter a petition is about: the veteran and the category, unless staff say it is a
    separate matter or no veteran is named (then the petition is a matter of its own)."""
    if veteran_id and not separate:
        return f"veteran:{veteran_id}:{category}"
    return f"petition:{petition_id}"


@dataclass(frozen=True)
class MatterHistory:
    """What the bureau already holds on a matter when a petition on it is lodged."""

    matter_key: str
    open_petition_id: str | None = None  # still being dealt with: link, do not open twice
    earlier_petition_id: str | None = None  # the latest one that ended
    earlier_final: bool = False  # ... answered finally: the same facts are not taken again
    earlier_count: int = 0


# -- lodging ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Lodging:
    """A lodging's checked, normalised values."""

    service_station: str
    channel: str
    petitioner_kind: str
    petitioner_name: str
    petitioner_phone: str | None
    petitioner_address: str | None
    relation: str | None
    representatives: tuple[str, ...]
    group_size: int | None
    category: str
    request: str
    facts: str
    received_on: date
    forwarded_from_level: str | None


def _check_lodging(cmd: LodgePetition, today: date) -> _Lodging:
    problems = Problems()
    station = required_text(problems, "service_station", cmd.service_station)
    one_of(problems, "channel", cmd.channel, values(Channel))
    one_of(problems, "petitioner_kind", cmd.petitioner_kind, values(PetitionerKind))
    one_of(problems, "category", cmd.category, values(Category))
    name = required_text(problems, "petitioner_name", cmd.petitioner_name)
    request = required_text(problems, "request", cmd.request)
    facts = required_text(problems, "facts", cmd.facts)
    representatives = tuple(r.strip() for r in cmd.representatives if isinstance(r, str))
    if any(not r for r in representatives) or len(representatives) != len(cmd.representatives):
        problems.add("representatives", "each representative needs a name")
    relation = optional_text(cmd.relation)
    if cmd.petitioner_kind == PetitionerKind.GROUP:
        if not representatives:
            problems.add("representatives", "a group petitions through its representatives")
        elif len(representatives) > MAX_REPRESENTATIVES:
            problems.add("representatives", f"a group sends at most {MAX_REPRESENTATIVES} "
                                            "representatives (Art. 20)")
        if cmd.group_size is not None and cmd.group_size < len(representatives):
            problems.add("group_size", "cannot be fewer than the representatives")
    else:
        if representatives:
            problems.add("representatives", "only a group names representatives")
        if cmd.group_size is not None:
            problems.add("group_size", "only a group has a size")
    if cmd.petitioner_kind == PetitionerKind.FAMILY and relation is None:
        problems.add("relation", "say how the family member is related to the veteran")
    received_on = cmd.received_on or today
    if received_on > today:
        problems.add("received_on", "must not be in the future")
    if cmd.forwarded_from_level is not None:
        one_of(problems, "forwarded_from_level", cmd.forwarded_from_level, values(Level))
    problems.raise_if_any()
    return _Lodging(station, cmd.channel, cmd.petitioner_kind, name,
                    optional_text(cmd.petitioner_phone), optional_text(cmd.petitioner_address),
                    relation, representatives,
                    cmd.group_size if cmd.petitioner_kind == PetitionerKind.GROUP else None,
                    cmd.category, request, facts, received_on, cmd.forwarded_from_level)


def lodge(cmd: LodgePetition, petition_id: str, today: date, rules: ClockRules,
          calendar: WorkingDays, history: MatterHistory) -> Decision:
    """Register a new petition on a matter with no open petition; the intake clock starts.

    First-time (初信初访) when the matter never had a petition; flagged `closed_matter` when the
    last one was answered finally, so it can only be refused (Art. 36). A petition the city,
    province or capital passed down is also an escalation: the petitioner went there first.
    """
    if history.open_petition_id is not None:
        raise ValueError("a matter with an open petition is linked to it, not lodged again")
    lodging = _check_lodging(cmd, today)
    due_on, rule = rules.intake_due(lodging.received_on, calendar)
    events: list[Event] = [PetitionLodged(
        petition_id=petition_id, veteran_id=cmd.veteran_id,
        service_station=lodging.service_station, channel=lodging.channel,
        petitioner_kind=lodging.petitioner_kind, petitioner_name=lodging.petitioner_name,
        petitioner_phone=lodging.petitioner_phone,
        petitioner_address=lodging.petitioner_address, relation=lodging.relation,
        representatives=lodging.representatives, group_size=lodging.group_size,
        category=lodging.category, request=lodging.request, facts=lodging.facts,
        received_on=lodging.received_on, urgent=bool(cmd.urgent),
        matter_key=history.matter_key, first_time=history.earlier_count == 0,
        earlier_petition_id=history.earlier_petition_id, closed_matter=history.earlier_final,
        intake_due_on=due_on, intake_rule=rule,
    )]
    if lodging.forwarded_from_level is not None:
        events.append(PetitionEscalated(petition_id, lodging.forwarded_from_level,
                                        EscalationReason.WENT_HIGHER.value, None,
                                        lodging.received_on))
    return Decision(events, ClockChanges(start=(
        Clock(INTAKE, due_on, "PetitionIntakeOverdue",
              {"petition_id": petition_id, "due_on": due_on.isoformat()}),)))


# -- the aggregate ----------------------------------------------------------------------------------

class Petition:
    """One petition, as its events tell it."""

    def __init__(self):
        self.petition_id = ""
        self.version = 0
        self.state = S.REGISTERED
        self.lodged: PetitionLodged | None = None
        self.handler: str | None = None
        self.intake: dict[str, Any] | None = None
        self.opinion_due_on: date | None = None
        self.extension: dict[str, Any] | None = None
        self.opinion: dict[str, Any] | None = None
        self.reviews: list[dict[str, Any]] = []
        self.request_due_on: date | None = None  # the open review (or re-review) window
        self.mediation: list[dict[str, Any]] = []
        self.escalations: list[dict[str, Any]] = []
        self.repeats: list[dict[str, Any]] = []
        self.referrals: list[dict[str, Any]] = []
        self.overdue: set[str] = set()

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> "Petition":
        petition = cls()
        for event in events:
            petition.apply(event)
            petition.version += 1
        return petition

    # -- reading ----------------------------------------------------------------------------------

    @property
    def veteran_id(self) -> str | None:
        return self.lodged.veteran_id if self.lodged else None

    @property
    def service_station(self) -> str | None:
        return self.lodged.service_station if self.lodged else None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def stage(self) -> str | None:
        """The review stage under way, or the one whose window is open."""
        return {S.ANSWERED: ReviewStage.REVIEW, S.UNDER_REVIEW: ReviewStage.REVIEW,
                S.REVIEWED: ReviewStage.RE_REVIEW,
                S.UNDER_RE_REVIEW: ReviewStage.RE_REVIEW}.get(self.state)

    # -- applying events --------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        handler = getattr(self, f"_on_{event.event_type}", None)
        if handler is not None:
            handler(event)

    def _on_PetitionLodged(self, e):
        self.petition_id, self.lodged, self.state = e.petition_id, e, S.REGISTERED

    def _on_RepeatPetitionLinked(self, e):
        self.repeats.append({"channel": e.channel, "petitioner_kind": e.petitioner_kind,
                             "received_on": e.received_on,
                             "forwarded_from_level": e.forwarded_from_level})

    def _decided(self, e, state, **details):
        self.state = state
        self.intake = {"decision": state.value, "decided_on": e.decided_on, "notice": e.notice,
                       "late": e.intake_late, "ground": None, "reason": None,
                       "transferred_to": None, "procedure": None, **details}
        self.overdue.discard(INTAKE)

    def _on_PetitionAccepted(self, e):
        self._decided(e, S.ACCEPTED)
        self.opinion_due_on = e.opinion_due_on

    def _on_PetitionRefused(self, e):
        self._decided(e, S.REFUSED, ground=e.ground, reason=e.reason)

    def _on_PetitionTransferred(self, e):
        self._decided(e, S.TRANSFERRED, transferred_to=e.transferred_to)

    def _on_PetitionRoutedOut(self, e):
        self._decided(e, S.ROUTED_OUT, procedure=e.procedure)

    def _on_HandlerAssigned(self, e):
        self.handler = e.handler

    def _on_PetitionMediationHeld(self, e):
        self.mediation.append({"held_on": e.held_on, "agreement_reached": e.agreement_reached,
                               "summary": e.summary})

    def _on_OpinionExtensionRequested(self, e):
        self.extension = {"state": "requested", "days": e.days, "reason": e.reason,
                          "requested_by": e.requested_by, "requested_on": e.requested_on,
                          "decided_by": None, "decided_on": None, "previous_due_on": None,
                          "petitioner_told_on": None}

    def _on_OpinionExtensionApproved(self, e):
        self.extension = {**(self.extension or {}), "state": "approved", "days": e.days,
                          "decided_by": e.approved_by, "decided_on": e.approved_on,
                          "previous_due_on": e.previous_due_on,
                          "petitioner_told_on": e.petitioner_told_on}
        self.opinion_due_on = e.opinion_due_on
        self.overdue.discard(OPINION)

    def _on_OpinionExtensionRefused(self, e):
        self.extension = {**(self.extension or {}), "state": "refused",
                          "decided_by": e.refused_by, "decided_on": e.refused_on}

    def _on_OpinionIssued(self, e):
        self.state = S.ANSWERED
        self.opinion = {"outcome": e.outcome, "text": e.opinion, "issued_on": e.issued_on,
                        "late": e.late}
        self.request_due_on = e.review_request_due_on
        self.overdue.discard(OPINION)
        if self.extension and self.extension["state"] == "requested":
            self.extension = {**self.extension, "state": "lapsed"}

    def _on_ReviewRequested(self, e):
        self.state = S.UNDER_REVIEW if e.stage == ReviewStage.REVIEW else S.UNDER_RE_REVIEW
        self.reviews.append({"stage": e.stage, "grounds": e.grounds,
                             "requested_on": e.requested_on, "answer_due_on": e.answer_due_on,
                             "outcome": None, "answer": None, "answered_on": None,
                             "late": None})
        self.request_due_on = None

    def _on_ReviewAnswered(self, e):
        self.reviews[-1].update(outcome=e.outcome, answer=e.answer, answered_on=e.answered_on,
                                late=e.late)
        self.overdue.discard(answer_clock(e.stage))
        if e.stage == ReviewStage.REVIEW:
            self.state, self.request_due_on = S.REVIEWED, e.next_request_due_on
        else:
            self.state = S.FINAL

    def _on_PetitionEscalated(self, e):
        self.escalations.append({"level": e.level, "reason": e.reason_code, "note": e.note,
                                 "escalated_on": e.escalated_on})

    def _on_PetitionIntakeOverdue(self, e):
        if self.state == S.REGISTERED:
            self.overdue.add(INTAKE)

    def _on_PetitionOpinionOverdue(self, e):
        if self.state == S.ACCEPTED:
            self.overdue.add(OPINION)

    def _on_PetitionReviewOverdue(self, e):
        if self.stage == e.stage:
            self.overdue.add(answer_clock(e.stage))

    def _on_ReviewWindowClosed(self, e):
        # The window's clock is met by a review request in the same append, so it only fires
        # while the window is still open; checked anyway, events being forever.
        if self.state in (S.ANSWERED, S.REVIEWED) and self.stage == e.stage:
            self.state, self.request_due_on = S.FINAL, None

    def _on_HardshipReferred(self, e):
        self.referrals.append({"referral_id": e.referral_id, "trigger": e.trigger,
                               "note": e.note, "referred_on": e.referred_on})

    # -- decisions --------------------------------------------------------------------------------

    def _refuse_unless(self, allowed: set[str], what: str) -> None:
        if self.state not in allowed:
            raise StepRefused(f"{what}: the petition is {self.state.value}",
                              {"state": [self.state.value]})

    def link_repeat(self, cmd: LodgePetition, today: date) -> Decision:
        """The same matter lodged again while this petition is open: linked to it (and, if the
        petitioner meanwhile went to the city, province or capital, an escalation)."""
        if not self.is_open:
            raise ValueError("only an open petition takes repeats")
        lodging = _check_lodging(cmd, today)
        events: list[Event] = [RepeatPetitionLinked(self.petition_id, lodging.channel,
                                                    lodging.petitioner_kind, lodging.received_on,
                                                    lodging.forwarded_from_level)]
        if lodging.forwarded_from_level is not None:
            events.append(PetitionEscalated(self.petition_id, lodging.forwarded_from_level,
                                            EscalationReason.WENT_HIGHER_WHILE_OPEN.value, None,
                                            lodging.received_on))
        return Decision(events)

    def decide_intake(self, cmd: DecideIntake, today: date, rules: ClockRules) -> Decision:
        """Accept, refuse, transfer or route out, with the written notice; the intake clock is
        met, late or not, and an accepted petition's opinion clock starts."""
        self._refuse_unless({S.REGISTERED}, "the intake decision was made already")
        problems = Problems()
        one_of(problems, "decision", cmd.decision, values(IntakeDecision))
        notice = required_text(problems, "notice", cmd.notice)
        reason = transferred_to = None
        if cmd.decision == IntakeDecision.REFUSE:
            one_of(problems, "ground", cmd.ground, values(RefusalGround))
            reason = required_text(problems, "reason", cmd.reason)
        elif cmd.decision == IntakeDecision.TRANSFER:
            transferred_to = required_text(problems, "transferred_to", cmd.transferred_to)
        elif cmd.decision == IntakeDecision.ROUTE_OUT:
            one_of(problems, "procedure", cmd.procedure, values(Procedure))
        problems.raise_if_any()
        late = today > self.lodged.intake_due_on
        clocks = ClockChanges(met=(INTAKE,))
        pid = self.petition_id
        if cmd.decision == IntakeDecision.ACCEPT:
            if self.lodged.closed_matter:
                raise StepRefused(
                    f"the same matter was answered finally in petition "
                    f"{self.lodged.earlier_petition_id}: the same facts are not taken again "
                    "(Art. 36); refuse it on the ground same_facts_final",
                    {"decision": ["the matter was answered finally"]})
            due = rules.opinion_due(today)
            return Decision([PetitionAccepted(pid, today, notice, late, due)], ClockChanges(
                met=(INTAKE,), start=(Clock(OPINION, due, "PetitionOpinionOverdue",
                                            {"petition_id": pid, "due_on": due.isoformat()}),)))
        if cmd.decision == IntakeDecision.REFUSE:
            return Decision([PetitionRefused(pid, today, cmd.ground, reason, notice, late)],
                            clocks)
        if cmd.decision == IntakeDecision.TRANSFER:
            return Decision([PetitionTransferred(pid, today, transferred_to, notice, late)],
                            clocks)
        return Decision([PetitionRoutedOut(pid, today, cmd.procedure, notice, late)], clocks)

    def assign_handler(self, cmd: AssignHandler, today: date) -> Decision:
        self._refuse_unless({S.ACCEPTED}, "a handler is assigned to an accepted petition")
        problems = Problems()
        handler = required_text(problems, "handler", cmd.handler)
        problems.raise_if_any()
        if handler == self.handler:
            return Decision()
        return Decision([HandlerAssigned(self.petition_id, handler, today)])

    def record_mediation(self, cmd: RecordPetitionMediation, today: date) -> Decision:
        """Mediation while the petition is handled (Art. 33)."""
        self._refuse_unless({S.ACCEPTED}, "mediation is recorded while a petition is handled")
        problems = Problems()
        summary = required_text(problems, "summary", cmd.summary)
        held_on = cmd.held_on or today
        if held_on > today:
            problems.add("held_on", "must not be in the future")
        elif self.intake and held_on < self.intake["decided_on"]:
            problems.add("held_on", "must not be before the petition was accepted")
        problems.raise_if_any()
        return Decision([PetitionMediationHeld(self.petition_id, held_on,
                                               bool(cmd.agreement_reached), summary)])

    def request_extension(self, cmd: RequestExtension, by: str, today: date,
                          rules: ClockRules) -> Decision:
        """Ask to extend the opinion's clock; once only, and before it runs out (Art. 34)."""
        self._refuse_unless({S.ACCEPTED}, "only a petition being handled can be extended")
        if self.extension and self.extension["state"] == "approved":
            raise StepRefused("the opinion's clock was extended once already: it is extended "
                              "once only (Art. 34)", {"days": ["extended once already"]})
        if self.extension and self.extension["state"] == "requested":
            raise StepRefused("an extension request is already waiting for an approver")
        if today > self.opinion_due_on:
            raise StepRefused(f"the opinion was due on {self.opinion_due_on.isoformat()}: an "
                              "extension must be in place before the clock runs out")
        problems = Problems()
        if not 1 <= cmd.days <= rules.extension_max_days:
            problems.add("days", f"must be 1 to {rules.extension_max_days}")
        reason = required_text(problems, "reason", cmd.reason)
        problems.raise_if_any()
        return Decision([OpinionExtensionRequested(self.petition_id, cmd.days, reason, by,
                                                   today)])

    def decide_extension(self, cmd: DecideExtension, by: str, today: date) -> Decision:
        """An approver approves (or refuses) the waiting request; never for their own case.
        Approved: the opinion's clock is replaced by one `days` later, and the petitioner is
        told the reason the same day."""
        self._refuse_unless({S.ACCEPTED}, "no extension can be decided now")
        if not self.extension or self.extension["state"] != "requested":
            raise StepRefused("no extension request is waiting for a decision")
        if by in (self.handler, self.extension["requested_by"]):
            raise NotYours("an approver may not decide the extension of a case they handle or "
                           "asked to extend")
        pid = self.petition_id
        if not cmd.approve:
            return Decision([OpinionExtensionRefused(pid, by, today, optional_text(cmd.note))])
        if today > self.opinion_due_on:
            raise StepRefused(f"the opinion was due on {self.opinion_due_on.isoformat()}: too "
                              "late to extend it")
        days = self.extension["days"]
        due = date.fromordinal(self.opinion_due_on.toordinal() + days)
        return Decision(
            [OpinionExtensionApproved(pid, days, by, today, self.opinion_due_on, due, today)],
            ClockChanges(cancelled=(OPINION,), start=(Clock(
                OPINION, due, "PetitionOpinionOverdue",
                {"petition_id": pid, "due_on": due.isoformat()}),)))

    def issue_opinion(self, cmd: IssueOpinion, today: date, rules: ClockRules) -> Decision:
        """The written opinion: support, explain or reject (Art. 32). The review window opens."""
        self._refuse_unless({S.ACCEPTED}, "an opinion is issued on an accepted petition, once")
        if self.handler is None:
            raise StepRefused("assign a handler before issuing the opinion",
                              {"handler": ["no handler assigned"]})
        problems = Problems()
        one_of(problems, "outcome", cmd.outcome, values(OpinionOutcome))
        text = required_text(problems, "opinion", cmd.opinion)
        problems.raise_if_any()
        window = rules.request_due(ReviewStage.REVIEW, today)
        pid = self.petition_id
        return Decision(
            [OpinionIssued(pid, cmd.outcome, text, today, today > self.opinion_due_on, window)],
            ClockChanges(met=(OPINION,), start=(self._window(ReviewStage.REVIEW, window),)))

    def _window(self, stage: str, due: date) -> Clock:
        return Clock(request_window(stage), due, "ReviewWindowClosed",
                     {"petition_id": self.petition_id, "stage": str(stage),
                      "due_on": due.isoformat()})

    def request_review(self, cmd: RequestReview, today: date, rules: ClockRules) -> Decision:
        """复查 after the opinion, 复核 after the review: asked within the window, answered
        within its clock (Arts. 35, 36)."""
        if self.state == S.FINAL:
            raise StepRefused("the petition is final: the same facts are not taken again "
                              "(Art. 36)", {"state": ["final"]})
        if self.state in (S.UNDER_REVIEW, S.UNDER_RE_REVIEW):
            raise StepRefused("a review is already under way", {"state": [self.state.value]})
        self._refuse_unless({S.ANSWERED, S.REVIEWED}, "there is no opinion to review")
        stage = self.stage
        if cmd.stage is not None and cmd.stage != stage:
            raise StepRefused(f"the petition is at the {stage.value} stage",
                              {"stage": [f"expected {stage.value}"]})
        if today > self.request_due_on:
            raise StepRefused(f"the window to ask for a {stage.value.replace('_', '-')} closed on "
                              f"{self.request_due_on.isoformat()}",
                              {"stage": ["the window closed"]})
        problems = Problems()
        grounds = required_text(problems, "grounds", cmd.grounds)
        problems.raise_if_any()
        due = rules.answer_due(stage, today)
        pid = self.petition_id
        return Decision([ReviewRequested(pid, stage.value, grounds, today, due)], ClockChanges(
            met=(request_window(stage),),
            start=(Clock(answer_clock(stage), due, "PetitionReviewOverdue",
                         {"petition_id": pid, "stage": stage.value,
                          "due_on": due.isoformat()}),)))

    def answer_review(self, cmd: AnswerReview, today: date, rules: ClockRules) -> Decision:
        """The review's (or re-review's) answer: upheld, varied or revoked. After a review the
        re-review window opens; after a re-review the petition is final."""
        self._refuse_unless({S.UNDER_REVIEW, S.UNDER_RE_REVIEW}, "no review is waiting for "
                                                                 "an answer")
        stage = self.stage
        if cmd.stage is not None and cmd.stage != stage:
            raise StepRefused(f"the petition is at the {stage.value} stage",
                              {"stage": [f"expected {stage.value}"]})
        problems = Problems()
        one_of(problems, "outcome", cmd.outcome, values(ReviewOutcome))
        answer = required_text(problems, "answer", cmd.answer)
        problems.raise_if_any()
        late = today > self.reviews[-1]["answer_due_on"]
        pid = self.petition_id
        if stage == ReviewStage.REVIEW:
            window = rules.request_due(ReviewStage.RE_REVIEW, today)
            return Decision(
                [ReviewAnswered(pid, stage.value, cmd.outcome, answer, today, late, window)],
                ClockChanges(met=(answer_clock(stage),),
                             start=(self._window(ReviewStage.RE_REVIEW, window),)))
        return Decision([ReviewAnswered(pid, stage.value, cmd.outcome, answer, today, late,
                                        None)], ClockChanges(met=(answer_clock(stage),)))

    def record_escalation(self, cmd: RecordEscalation, today: date) -> Decision:
        """An escalation above the district, with its level and reason (零赴省进京 counts)."""
        problems = Problems()
        one_of(problems, "level", cmd.level, values(Level))
        one_of(problems, "reason", cmd.reason, values(EscalationReason))
        on = cmd.escalated_on or today
        if on > today:
            problems.add("escalated_on", "must not be in the future")
        elif on < self.lodged.received_on:
            problems.add("escalated_on", "must not be before the petition was received")
        problems.raise_if_any()
        return Decision([PetitionEscalated(self.petition_id, cmd.level, cmd.reason,
                                           optional_text(cmd.note), on)])
