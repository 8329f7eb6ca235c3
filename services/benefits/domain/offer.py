"""Proactive offers: opened by registry facts with the rule behind them, answered, listed if unanswered."""

from dataclasses import dataclass
from datetime import date, timedelta

from .case import Actor, Case, Clocks, Due, VeteranFacts, one_of, text
from .errors import Problems
from .events import Event, OfferConfirmed, OfferDeclined, OfferOpened, OfferUnanswered
from .rules import CARD, OFFER_ANSWER_DAYS, OfferRule
from .vocabulary import OFFER_ANSWERS

OPEN, CONFIRMED, DECLINED = "open", "confirmed", "declined"
STATES = (OPEN, CONFIRMED, DECLINED)
ANSWER = "answer"


@dataclass(frozen=True)
class AnswerOffer:
    answer: str
    actor: Actor
    reason: str | None = None


def open_offer(offer_id: str, rule: OfferRule, veteran: VeteranFacts, source_event_type: str,
               source_event_id: str, today: date, relief_trigger: str | None = None
               ) -> list[Event]:
    """An offer nobody asked for: the rule that opened it, and 30 days to answer it."""
    return [OfferOpened(
        offer_id=offer_id, veteran_id=veteran.veteran_id, station=veteran.station,
        township=veteran.township, kind=rule.kind, rule=rule.code, article=rule.article,
        explanation=rule.explanation, source_event_type=source_event_type,
        source_event_id=source_event_id, opened_on=today,
        answer_due_on=today + timedelta(days=OFFER_ANSWER_DAYS), relief_trigger=relief_trigger)]


class Offer(Case):
    what = "offer"

    def __init__(self, case_id: str):
        super().__init__(case_id)
        self.township: str | None = None
        self.kind: str | None = None
        self.rule: str | None = None
        self.opened_on: date | None = None
        self.answer_due_on: date | None = None
        self.unanswered = False
        self.case_opened: str | None = None
        self.relief_trigger: str | None = None

    @property
    def for_card(self) -> bool:
        return self.kind == CARD

    def _on_OfferOpened(self, e: OfferOpened) -> None:
        self.state, self.veteran_id, self.station, self.township = (
            OPEN, e.veteran_id, e.station, e.township)
        self.kind, self.rule, self.opened_on, self.answer_due_on = (
            e.kind, e.rule, e.opened_on, e.answer_due_on)
        self.relief_trigger = e.relief_trigger

    def _on_OfferConfirmed(self, e: OfferConfirmed) -> None:
        self.state, self.case_opened = CONFIRMED, e.case_id

    def _on_OfferDeclined(self, e: OfferDeclined) -> None:
        self.state = DECLINED

    def _on_OfferUnanswered(self, e: OfferUnanswered) -> None:
        self.unanswered = True

    def answer(self, cmd: AnswerOffer, case_id: str | None, today: date) -> list[Event]:
        """The veteran's answer (or a station worker's for them). Confirming names the
        application it opens, `case_id`; an answer after 30 days is still taken."""
        self.require_state("an answer", OPEN)
        problems = Problems()
        answer = one_of(problems, "answer", cmd.answer, OFFER_ANSWERS)
        problems.raise_if_any()
        if answer == "confirm":
            return [OfferConfirmed(offer_id=self.case_id, veteran_id=self.veteran_id,
                                   answered_by=cmd.actor.subject, answered_on=today,
                                   case_id=case_id)]
        reason = text(problems, "reason", cmd.reason, required=False)
        problems.raise_if_any()
        return [OfferDeclined(offer_id=self.case_id, veteran_id=self.veteran_id,
                              answered_by=cmd.actor.subject, answered_on=today, reason=reason)]

    def clocks(self, events: list[Event]) -> Clocks:
        """Answer within 30 days: started when opened, met by any answer."""
        for e in events:
            if isinstance(e, OfferOpened):
                return Clocks(set=(Due(ANSWER, e.answer_due_on, "OfferUnanswered",
                                       {"offer_id": e.offer_id, "veteran_id": e.veteran_id,
                                        "due_on": e.answer_due_on.isoformat()}),))
            if isinstance(e, OfferConfirmed | OfferDeclined):
                return Clocks(met=(ANSWER,))
        return Clocks()
