"""The card 优待证: applied → county check → bureau → city → province filing → made → handed out, or refused."""

from dataclasses import dataclass
from datetime import date

from .case import Actor, AddWorkingDays, Case, Clocks, Due, VeteranFacts, not_after, one_of, text
from .errors import NotYourStep, Problems, WrongState
from .events import (
    CardApplied,
    CardBureauApproved,
    CardCityReviewed,
    CardClockSet,
    CardCountyChecked,
    CardFilingOverdue,
    CardHandedOut,
    CardHandoutOverdue,
    CardMade,
    CardProvinceFiled,
    CardRefused,
    CardStep,
    Event,
)
from .vocabulary import CARD_BARS, CARD_CATEGORIES

# The province files a card within 30 working days of the first review (the county's check);
# the card is handed out within 10 working days of being made (Zhejiang's 2021 measures).
FILING_WORKING_DAYS = 30
HANDOUT_WORKING_DAYS = 10
FILING, HANDOUT = "province_filing", "handout"

APPLIED, REFUSED = "applied", "refused"


@dataclass(frozen=True)
class Step:
    """One step of the card's way: its name on the wire, the state it needs and the one it makes."""

    name: str
    needs: str
    makes: str
    event: type[CardStep]
    # Only the station hands the card over; every office's step is a benefits officer's record.
    station_may: bool = False


STEPS = (
    Step("county_check", APPLIED, "county_checked", CardCountyChecked),
    Step("bureau_approval", "county_checked", "bureau_approved", CardBureauApproved),
    Step("city_review", "bureau_approved", "city_reviewed", CardCityReviewed),
    Step("province_filing", "city_reviewed", "province_filed", CardProvinceFiled),
    Step("made", "province_filed", "made", CardMade),
    Step("hand_out", "made", "handed_out", CardHandedOut, station_may=True),
)
STEP_NAMES = tuple(step.name for step in STEPS)
_BY_NAME = {step.name: step for step in STEPS}
_BY_EVENT = {step.event.event_type: step for step in STEPS}
STATES = (APPLIED, *(step.makes for step in STEPS), REFUSED)
# The filing clock runs from the county's check until the province files.
FILING_RUNS = ("county_checked", "bureau_approved", "city_reviewed")
# A card may be refused at any office until it is made.
REFUSABLE = (APPLIED, "county_checked", "bureau_approved", "city_reviewed", "province_filed")


@dataclass(frozen=True)
class ApplyForCard:
    veteran: VeteranFacts
    category: str
    actor: Actor
    offer_id: str | None = None


@dataclass(frozen=True)
class RecordCardStep:
    step: str
    done_on: date
    actor: Actor


@dataclass(frozen=True)
class RefuseCard:
    reason: str
    actor: Actor
    note: str | None = None


class Card(Case):
    """A veteran's card: one stream per veteran, so nobody holds or applies for two at once."""

    what = "card application"

    def __init__(self, case_id: str):
        super().__init__(case_id)
        self._fresh()

    def _fresh(self) -> None:
        """Everything an application decides; applying again after a refusal starts here."""
        self.township: str | None = None
        self.category: str | None = None
        self.applied_on: date | None = None
        self.last_step_on: date | None = None
        self.filing_due_on: date | None = None
        self.handout_due_on: date | None = None
        # The day each clock counts from, once its step is recorded.
        self.filing_from: date | None = None
        self.handout_from: date | None = None
        self.filing_overdue = False
        self.handout_overdue = False
        self.refusal_reason: str | None = None
        self.offer_id: str | None = None

    @property
    def open(self) -> bool:
        """Applied for or issued: nobody is offered or applies for a second card."""
        return self.state not in (None, REFUSED)

    def _on_CardApplied(self, e: CardApplied) -> None:
        self._fresh()
        self.state, self.veteran_id, self.station, self.township = (
            APPLIED, e.veteran_id, e.station, e.township)
        self.category, self.applied_on, self.last_step_on, self.offer_id = (
            e.category, e.applied_on, e.applied_on, e.offer_id)

    def _step(self, e: CardStep) -> None:
        self.state, self.last_step_on = _BY_EVENT[e.event_type].makes, e.done_on
        if isinstance(e, CardCountyChecked):
            self.filing_due_on, self.filing_from = e.filing_due_on, e.done_on
        if isinstance(e, CardMade):
            self.handout_due_on, self.handout_from = e.handout_due_on, e.done_on

    _on_CardCountyChecked = _on_CardBureauApproved = _on_CardCityReviewed = _step
    _on_CardProvinceFiled = _on_CardMade = _on_CardHandedOut = _step

    def _on_CardRefused(self, e: CardRefused) -> None:
        self.state, self.refusal_reason, self.last_step_on = REFUSED, e.reason, e.done_on

    def _on_CardFilingOverdue(self, e: CardFilingOverdue) -> None:
        self.filing_overdue = True

    def _on_CardHandoutOverdue(self, e: CardHandoutOverdue) -> None:
        self.handout_overdue = True

    def _on_CardClockSet(self, e: CardClockSet) -> None:
        if e.clock == FILING:
            self.filing_due_on = e.due_on
        else:
            self.handout_due_on = e.due_on

    def pending_clocks(self) -> list[tuple[str, date]]:
        """The clocks that run but have no last day yet: (clock, the day it counts from)."""
        pending = []
        if self.state in FILING_RUNS and self.filing_due_on is None:
            pending.append((FILING, self.filing_from))
        if self.state == "made" and self.handout_due_on is None:
            pending.append((HANDOUT, self.handout_from))
        return pending

    # -- decisions -------------------------------------------------------------------------------

    def apply_for(self, cmd: ApplyForCard, today: date) -> list[Event]:
        """Apply for the card: a discharged veteran, or a survivor family (保障法 Art. 15)."""
        if self.open:
            raise WrongState(f"this veteran's card is already {self.state}")
        problems = Problems()
        category = one_of(problems, "category", cmd.category, CARD_CATEGORIES)
        if category == "veteran" and not cmd.veteran.discharged:
            problems.add("category", "the registry records no discharge for this veteran")
        if category == "survivor" and not cmd.veteran.ties:
            problems.add("category", "the registry records no survivor tie for this veteran")
        problems.raise_if_any()
        return [CardApplied(card_id=self.case_id, veteran_id=cmd.veteran.veteran_id,
                            station=cmd.veteran.station, township=cmd.veteran.township,
                            category=category, applied_on=today, handled_by=cmd.actor.subject,
                            offer_id=cmd.offer_id)]

    def record_step(self, cmd: RecordCardStep, add_working_days: AddWorkingDays,
                    today: date) -> list[Event]:
        """Record that an office did its step, on the day it did it; steps go in order."""
        self.require_exists()
        problems = Problems()
        name = one_of(problems, "step", cmd.step, STEP_NAMES)
        problems.raise_if_any()
        step = _BY_NAME[name]
        if not step.station_may and not cmd.actor.has("benefits_officer"):
            raise NotYourStep(f"{name} is recorded by a benefits officer; a station hands the "
                              "card out")
        self.require_state(name.replace("_", " "), step.needs)
        not_after(problems, "done_on", cmd.done_on, today)
        if cmd.done_on < self.last_step_on:
            problems.add("done_on", f"must not be before the previous step "
                                    f"({self.last_step_on.isoformat()})")
        problems.raise_if_any()
        common = {"card_id": self.case_id, "veteran_id": self.veteran_id,
                  "recorded_by": cmd.actor.subject, "done_on": cmd.done_on}
        if step.event is CardCountyChecked:
            return [CardCountyChecked(
                **common, filing_due_on=add_working_days(cmd.done_on, FILING_WORKING_DAYS))]
        if step.event is CardMade:
            return [CardMade(**common,
                             handout_due_on=add_working_days(cmd.done_on, HANDOUT_WORKING_DAYS))]
        return [step.event(**common)]

    def set_clocks(self, add_working_days: AddWorkingDays) -> list[Event]:
        """Count the clocks a step could not count when it was recorded, from that step's day,
        now that the calendar may know the year; still unknown, nothing happens."""
        lengths = {FILING: FILING_WORKING_DAYS, HANDOUT: HANDOUT_WORKING_DAYS}
        events: list[Event] = []
        for clock, counted_from in self.pending_clocks():
            due_on = add_working_days(counted_from, lengths[clock])
            if due_on is not None:
                events.append(CardClockSet(card_id=self.case_id, veteran_id=self.veteran_id,
                                           clock=clock, counted_from=counted_from,
                                           due_on=due_on))
        return events

    def refuse(self, cmd: RefuseCard, today: date) -> list[Event]:
        """Refuse where the rules bar the card: struck off or expelled, deprived of political
        rights, imprisoned, wanted."""
        self.require_state("refusal", *REFUSABLE)
        problems = Problems()
        reason = one_of(problems, "reason", cmd.reason, CARD_BARS)
        note = text(problems, "note", cmd.note, required=False)
        problems.raise_if_any()
        return [CardRefused(card_id=self.case_id, veteran_id=self.veteran_id,
                            at_state=self.state, reason=reason, note=note,
                            recorded_by=cmd.actor.subject, done_on=today)]

    def clocks(self, events: list[Event]) -> Clocks:
        """Filing: from the county check to the province filing. Hand-out: from made to handed
        out. A refusal stops both."""
        set_, met, cancelled = [], [], []
        for e in events:
            payload = {"card_id": self.case_id, "veteran_id": self.veteran_id}
            due = None
            if isinstance(e, CardCountyChecked):
                due = (FILING, e.filing_due_on)
            elif isinstance(e, CardMade):
                due = (HANDOUT, e.handout_due_on)
            elif isinstance(e, CardClockSet):
                due = (e.clock, e.due_on)
            if due is not None and due[1] is not None:
                name, due_on = due
                fires = "CardFilingOverdue" if name == FILING else "CardHandoutOverdue"
                set_.append(Due(name, due_on, fires, {**payload, "due_on": due_on.isoformat()}))
            elif isinstance(e, CardProvinceFiled):
                met.append(FILING)
            elif isinstance(e, CardHandedOut):
                met.append(HANDOUT)
            elif isinstance(e, CardRefused):
                cancelled += [FILING, HANDOUT]
        return Clocks(tuple(set_), tuple(met), tuple(cancelled))
