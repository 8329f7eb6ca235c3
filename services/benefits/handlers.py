"""The benefits use cases: load a case, decide, append with its clocks; registry facts in; reads out."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

import structlog

from chassis.caller import Caller
from chassis.clock import SYSTEM_CLOCK, Clock
from chassis.commands import NotVisible, change_stream, replayed
from chassis.days import CalendarUnknown, WorkingCalendar, default_calendar
from chassis.deadlines import Deadline, DeadlineChanges, deadlines_for
from chassis.envelope import Metadata, NewEvent, RecordedEvent, new_id
from chassis.errors import ClaimTaken, StreamVersionConflict
from chassis.on_a_day import OnADay
from chassis.projection import ProjectionRunner
from chassis.store import PostgresEventStore, request_digest
from contracts import access
from contracts import benefits as contract
from services.benefits import projections, views
from services.benefits.domain import card as cards
from services.benefits.domain import entitlement as entitlements
from services.benefits.domain import offer as offers
from services.benefits.domain import relief, social_care
from services.benefits.domain import visits as visiting
from services.benefits.domain.case import Actor, Case, Clocks, VeteranFacts
from services.benefits.domain.errors import InvalidRequest, NotFound, WrongState
from services.benefits.domain.events import EVENT_TYPES, Event, SurvivorTieNoted
from services.benefits.domain.rules import (
    CARD,
    HARDSHIP_REFERRAL_RULE,
    RELIEF,
    RELIEF_TRIGGER_OF_REFERRAL,
    EntitlementBasis,
    offers_for_registry_event,
)
from services.benefits.domain.standards import StandardsTable
from services.benefits.domain.vocabulary import PERIODIC_KINDS, SURVIVORS_PENSION

log = structlog.get_logger("vetlife.benefits")

# Fixed forever: the ids of a veteran's card, periodic entitlements and offers are derived from
# it, so that two requests at once land on one stream and its expected version decides.
NAMESPACE = uuid.UUID("0b6f4a8e-7c1d-5e29-a3f4-2d8c9e1b6a57")
SYSTEM_ACTOR = "system:benefits"
PAYMENT_REFERENCE = "payment_reference"
# The registry's event types benefits follows: all of them, so one handler sees a veteran's
# stream whole and in order (no gaps to wait out), though most change nothing here.
REGISTRY_EVENT_TYPES = ("VeteranRegistered", "ContactAmended", "DischargeRecorded",
                        "PartyMembershipRecorded", "GridWorkerAssigned", "HonourAdded",
                        "SurvivorTieMarked")


def card_id_for(veteran_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"card:{veteran_id}"))


def entitlement_id_for(veteran_id: str, kind: str) -> str:
    """One stream per veteran and periodic kind; a one-time benefit gets a new stream each."""
    return str(uuid.uuid5(NAMESPACE, f"entitlement:{veteran_id}:{kind}"))


def family_id_for(veteran_id: str) -> str:
    """The stream of the survivor ties benefits has heard of for a veteran's family."""
    return str(uuid.uuid5(NAMESPACE, f"family:{veteran_id}"))


def offer_id_for(veteran_id: str, kind: str) -> str:
    """Each veteran is offered each kind once: a second fact for it finds the stream there."""
    return str(uuid.uuid5(NAMESPACE, f"offer:{veteran_id}:{kind}"))


def working_days(start: date, n: int, calendar: WorkingCalendar | None = None) -> date | None:
    """China's working days; None for a count reaching a year whose holidays nobody has told us
    yet: the step is recorded, its clock waits for the calendar (`set_card_clocks`) and the card
    says so, rather than count a guessed calendar or refuse the office's work."""
    try:
        return (calendar or default_calendar()).add_working_days(start, n)
    except CalendarUnknown as exc:
        log.warning("benefits.calendar_unknown", year=exc.year)
        return None


def canonical_id(value: str, what: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"no {what} with this id") from None


CASES: dict[str, type[Case]] = {
    "ReliefApplied": relief.ReliefApplication, "EntitlementApplied": entitlements.Entitlement,
    "CardApplied": cards.Card, "OfferOpened": offers.Offer,
    "CampaignOpened": visiting.Campaign, "VisitRecorded": visiting.Visit,
    "SocialCareProvided": social_care.SocialCare,
}


def domain_event(recorded: RecordedEvent) -> Event:
    return EVENT_TYPES[recorded.event_type](**contract.load_data(recorded))


@dataclass(frozen=True)
class Accepted:
    id: str
    veteran_id: str | None
    state: str | None
    version: int
    replayed: bool = False


@dataclass
class Benefits:
    """The use cases over one store; `clock` says what day it is (tests move it)."""

    store: PostgresEventStore
    standards: StandardsTable
    clock: Clock = SYSTEM_CLOCK
    working_days: Callable[[date, int], date] = working_days
    runners: dict = field(default_factory=dict)

    @property
    def db(self):
        return self.store.db

    def today(self) -> date:
        return self.clock.today()

    # -- loading and appending -------------------------------------------------------------------

    def read(self, cls: type[Case], stream_id: str) -> tuple[Case, list[RecordedEvent]]:
        recorded = self.store.read_stream(stream_id)
        if recorded and CASES.get(recorded[0].event_type) is not cls:
            recorded = []  # another kind of case: as good as none here
        return cls.from_events(stream_id, (domain_event(r) for r in recorded)), recorded

    def load(self, cls: type[Case], stream_id: str) -> Case:
        return self.read(cls, stream_id)[0]

    def deadline_changes(self, clocks: Clocks) -> DeadlineChanges | None:
        if not clocks:
            return None
        return DeadlineChanges(
            set=[Deadline.on(d.name, d.due_on, d.fire_type, d.payload) for d in clocks.set],
            met=list(clocks.met), cancelled=list(clocks.cancelled), at=self.clock.now())

    @staticmethod
    def meta(caller: Caller) -> Metadata:
        return Metadata(correlation_id=caller.correlation_id or new_id(),
                        causation_id=caller.command_id, actor=caller.actor)

    @staticmethod
    def actor(caller: Caller) -> Actor:
        return Actor(caller.subject, tuple(caller.roles))

    @staticmethod
    def to_new_events(events: list[Event]) -> list[NewEvent]:
        return [contract.to_new_event(e) for e in events]

    def change(self, operation: str, cls: type[Case], stream_id: str,
               decide: Callable[[Case], list[Event]], caller: Caller, payload: dict,
               reach: bool = True,
               claims: Callable[[list], Iterable[tuple[str, str]]] | None = None) -> Accepted:
        """Decide on the case's current state and append with its clocks; a lost race decides
        again. Out of the caller's reach is answered as not there."""
        def visible(case: Case) -> bool:
            if not reach:
                return True
            return case.exists and (case.veteran_id is None
                                    or caller.reaches(case.veteran_id, case.station))

        try:
            accepted = change_stream(
                self.store, stream_id, load=lambda store, sid: self.load(cls, sid),
                decide=decide, to_new_events=self.to_new_events, meta=self.meta(caller),
                command_id=caller.command_id,
                request=request_digest({"operation": operation, "stream": stream_id, **payload}),
                expected_version=caller.expected_version, visible=visible,
                deadlines=lambda state, events: self.deadline_changes(state.clocks(events)),
                claims=claims)
        except NotVisible:
            raise NotFound(f"no {cls.what} with this id") from None
        except ClaimTaken:
            raise WrongState("this payment reference was used for another payment") from None
        case = self.load(cls, stream_id)
        return Accepted(stream_id, case.veteran_id, case.state, accepted.version,
                        accepted.replayed)

    def create(self, operation: str, cls: type[Case], events_for: Callable[[str], list[Event]],
               caller: Caller, payload: dict) -> Accepted:
        """Open a new case on a new stream; a retried command id answers with the first one."""
        request = request_digest({"operation": operation, **payload})
        if (first := replayed(self.store, caller.command_id, request)) is not None:
            case = self.load(cls, first.stream_id)
            return Accepted(first.stream_id, case.veteran_id, case.state, first.version, True)
        stream_id = new_id()
        events = events_for(stream_id)
        clocks = cls(stream_id).clocks(events)
        result = self.store.append(stream_id, self.to_new_events(events), 0, self.meta(caller),
                                   command_id=caller.command_id, request=request,
                                   deadlines=self.deadline_changes(clocks))
        case = self.load(cls, result.stream_id)
        return Accepted(result.stream_id, case.veteran_id, case.state, result.stream_version,
                        result.replayed)

    # -- the veterans benefits knows (registry facts) -----------------------------------------------

    def veteran(self, veteran_id: str, caller: Caller | None = None) -> VeteranFacts:
        """What benefits knows of a veteran; unknown, or out of the caller's reach, is not there."""
        veteran_id = canonical_id(veteran_id, "veteran file")
        with self.db.transaction() as cur:
            facts = self._facts(cur, veteran_id)
        if facts is None or (caller is not None
                             and not caller.reaches(facts.veteran_id, facts.station)):
            raise NotFound("no veteran file with this id (benefits learns of a file from the "
                           "registry's events, within seconds of its registration)")
        return facts

    @staticmethod
    def _facts(cur, veteran_id: str) -> VeteranFacts | None:
        cur.execute("SELECT veteran_id, station, township, discharged, ties FROM benefit_veterans "
                    "WHERE veteran_id = %s", (veteran_id,))
        row = cur.fetchone()
        return VeteranFacts(row[0], row[1], row[2], row[3], tuple(row[4])) if row else None

    def take_registry_event(self, cur, event: RecordedEvent) -> list[str]:
        """Keep what benefits needs of a registry event and open the offers it makes; in the
        subscriber's transaction (its inbox row), so an event is taken exactly once. Returns the
        offers opened."""
        d = event.data
        if event.event_type == "VeteranRegistered":
            cur.execute(
                "INSERT INTO benefit_veterans (veteran_id, station, township, discharged, "
                "registry_position) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (veteran_id) DO "
                "UPDATE SET station = EXCLUDED.station, township = EXCLUDED.township",
                (d["veteran_id"], d["service_station"], d["township"],
                 d.get("discharged_year") is not None, event.position))
            return []
        if event.event_type == "DischargeRecorded":
            cur.execute("UPDATE benefit_veterans SET discharged = true, registry_position = %s "
                        "WHERE veteran_id = %s", (event.position, d["veteran_id"]))
        elif event.event_type == "SurvivorTieMarked":
            before = self._facts(cur, d["veteran_id"])
            new_tie = before is not None and d["tie"] not in before.ties
            cur.execute("UPDATE benefit_veterans SET ties = CASE WHEN %s = ANY(ties) THEN ties "
                        "ELSE array_append(ties, %s) END, registry_position = %s "
                        "WHERE veteran_id = %s",
                        (d["tie"], d["tie"], event.position, d["veteran_id"]))
        else:
            return []
        facts = self._facts(cur, d["veteran_id"])
        if facts is None:
            # Ordered handling hands a file's registration over first; a file registered before
            # benefits existed arrives through catch-up, in order, all the same.
            log.warning("benefits.unknown_veteran", event_type=event.event_type)
            return []
        # Everything read first, then only appends on this cursor: once an append holds the
        # store's head lock, nothing here waits for a pooled connection (which, under eventlet,
        # could wait on a worker that itself waits for that lock).
        rules = [rule for rule in offers_for_registry_event(
                     event.event_type, d, facts, self._open_kinds(facts.veteran_id))
                 if not self.store.read_stream(offer_id_for(facts.veteran_id, rule.kind))]
        family = None
        if event.event_type == "SurvivorTieMarked" and new_tie:
            # A tie benefits had not heard of is kept in its own store too: its report facts
            # (a visit to a martyr's family) are rebuilt from its events alone.
            family = family_id_for(facts.veteran_id)
            family_version = len(self.store.read_stream(family))
        meta = Metadata(correlation_id=event.correlation_id or new_id(),
                        causation_id=event.event_id, actor=SYSTEM_ACTOR)
        if family is not None:
            self.store.append_in(cur, family, self.to_new_events([SurvivorTieNoted(
                family, facts.veteran_id, d["tie"], self.today(), event.event_id)]),
                family_version, meta)
        opened = []
        for rule in rules:
            offer_id = offer_id_for(facts.veteran_id, rule.kind)
            events = offers.open_offer(offer_id, rule, facts, event.event_type, event.event_id,
                                       self.today())
            self.store.append_in(cur, offer_id, self.to_new_events(events), 0, meta,
                                 deadlines=self.deadline_changes(
                                     offers.Offer(offer_id).clocks(events)))
            opened.append(offer_id)
        return opened

    def take_hardship_referral(self, cur, event: RecordedEvent) -> str | None:
        """A case in the disputes service found the family in hardship: open a relief offer for
        the station, once per referral, in the subscriber's transaction. Returns the offer."""
        d = event.data
        offer_id = str(uuid.uuid5(NAMESPACE, f"offer:relief:{d['referral_id']}"))
        # A veteran benefits has not yet heard of from the registry is placed at the station
        # the referral names; the township follows with the registry's event.
        facts = self._facts(cur, d["veteran_id"]) or VeteranFacts(
            d["veteran_id"], d["service_station"], "")
        if self.store.read_stream(offer_id):
            return None
        events = offers.open_offer(
            offer_id, HARDSHIP_REFERRAL_RULE, facts, event.event_type, event.event_id,
            self.today(), relief_trigger=RELIEF_TRIGGER_OF_REFERRAL.get(d["trigger"], "other"))
        meta = Metadata(correlation_id=event.correlation_id or new_id(),
                        causation_id=event.event_id, actor=SYSTEM_ACTOR)
        self.store.append_in(cur, offer_id, self.to_new_events(events), 0, meta,
                             deadlines=self.deadline_changes(
                                 offers.Offer(offer_id).clocks(events)))
        return offer_id

    def _open_kinds(self, veteran_id: str) -> set[str]:
        """The kinds the veteran has a case for (applied, held, suspended): not offered again."""
        kinds = set()
        if self.load(cards.Card, card_id_for(veteran_id)).open:
            kinds.add(CARD)
        for kind in PERIODIC_KINDS:
            if self.load(entitlements.Entitlement, entitlement_id_for(veteran_id, kind)).open:
                kinds.add(kind)
        return kinds

    # -- hardship relief ---------------------------------------------------------------------------

    def apply_relief(self, body: dict, caller: Caller) -> Accepted:
        facts = self.veteran(body["veteran_id"], caller)
        command = relief.ApplyForRelief(facts, body["trigger"], body["amount_asked_fen"],
                                        body["circumstances"], self.actor(caller),
                                        body.get("received_on"))
        return self.create("apply_relief", relief.ReliefApplication,
                           lambda sid: relief.apply_for_relief(command, sid, self.today()),
                           caller, body)

    def review_relief(self, application_id: str, body: dict, caller: Caller) -> Accepted:
        command = relief.ReviewRelief(actor=self.actor(caller), objections=body.get("objections", False),
                                      **{k: body[k] for k in ("opinion", "recommended_fen",
                                                              "notes", "notice_from",
                                                              "notice_to")})
        return self.change("review_relief", relief.ReliefApplication,
                           canonical_id(application_id, "relief application"),
                           lambda case: case.review(command, self.today()), caller, body)

    def decide_relief(self, application_id: str, body: dict, caller: Caller) -> Accepted:
        command = relief.DecideRelief(body["decision"], self.actor(caller),
                                      approved_fen=body.get("approved_fen"),
                                      special=bool(body.get("special")),
                                      special_reason=body.get("special_reason"),
                                      reason=body.get("reason"))
        return self.change("decide_relief", relief.ReliefApplication,
                           canonical_id(application_id, "relief application"),
                           lambda case: case.decide(command, self.standards, self.today()),
                           caller, body)

    def disburse_relief(self, application_id: str, body: dict, caller: Caller) -> Accepted:
        command = relief.DisburseRelief(body["paid_fen"], body["paid_on"],
                                        body["reference"], self.actor(caller))
        return self.change("disburse_relief", relief.ReliefApplication,
                           canonical_id(application_id, "relief application"),
                           lambda case: case.disburse(command, self.today()), caller, body,
                           claims=_payment_claims)

    def close_relief(self, application_id: str, body: dict, caller: Caller) -> Accepted:
        command = relief.CloseRelief(self.actor(caller), body.get("note"))
        return self.change("close_relief", relief.ReliefApplication,
                           canonical_id(application_id, "relief application"),
                           lambda case: case.close(command, self.today()), caller, body)

    # -- entitlements ------------------------------------------------------------------------------

    def apply_entitlement(self, body: dict, caller: Caller, offer_id: str | None = None
                          ) -> Accepted:
        facts = self.veteran(body["veteran_id"], caller)
        basis = EntitlementBasis(**{k: body.get(k) for k in (
            "nature", "grade", "tie", "relation", "living_category", "honour",
            "monthly_pay_fen")}, mental_disorder=bool(body.get("mental_disorder")))
        command = entitlements.ApplyForEntitlement(facts, body["kind"], basis,
                                                   self.actor(caller), offer_id)
        if body["kind"] in PERIODIC_KINDS:
            return self.change("apply_entitlement", entitlements.Entitlement,
                               entitlement_id_for(facts.veteran_id, body["kind"]),
                               lambda case: case.apply_for(command, self.today()), caller,
                               body, reach=False)
        return self.create(
            "apply_entitlement", entitlements.Entitlement,
            lambda sid: entitlements.Entitlement(sid).apply_for(command, self.today()),
            caller, body)

    def _entitlement(self, operation, entitlement_id, decide, caller, body, **kw) -> Accepted:
        return self.change(operation, entitlements.Entitlement,
                           canonical_id(entitlement_id, "entitlement"), decide, caller, body,
                           **kw)

    def review_entitlement(self, entitlement_id, body, caller) -> Accepted:
        command = entitlements.ReviewEntitlement(body["opinion"], body["notes"],
                                                 self.actor(caller))
        return self._entitlement("review_entitlement", entitlement_id,
                                 lambda case: case.review(command, self.today()), caller, body)

    def decide_entitlement(self, entitlement_id, body, caller) -> Accepted:
        command = entitlements.DecideEntitlement(body["decision"], self.actor(caller),
                                                 body.get("reason"))
        return self._entitlement(
            "decide_entitlement", entitlement_id,
            lambda case: case.decide(command, self.standards, self.today()), caller, body)

    def confirm_entitlement(self, entitlement_id, body, caller) -> Accepted:
        command = entitlements.ConfirmEntitlement(self.actor(caller))
        return self._entitlement(
            "confirm_entitlement", entitlement_id,
            lambda case: case.confirm(command, self.standards, self.today()), caller, body)

    def suspend_entitlement(self, entitlement_id, body, caller) -> Accepted:
        command = entitlements.SuspendEntitlement(body["reason"], self.actor(caller),
                                                  body.get("note"))
        return self._entitlement("suspend_entitlement", entitlement_id,
                                 lambda case: case.suspend(command, self.today()), caller, body)

    def resume_entitlement(self, entitlement_id, body, caller) -> Accepted:
        command = entitlements.ResumeEntitlement(self.actor(caller))
        return self._entitlement("resume_entitlement", entitlement_id,
                                 lambda case: case.resume(command, self.today()), caller, body)

    def end_entitlement(self, entitlement_id, body, caller) -> Accepted:
        command = entitlements.EndEntitlement(body["reason"], self.actor(caller),
                                              body.get("note"), bool(body.get("died_of_illness")),
                                              body.get("recover_fen", 0))
        return self._entitlement("end_entitlement", entitlement_id,
                                 lambda case: case.end(command, self.today()), caller, body)

    def pay_entitlement(self, entitlement_id, body, caller) -> Accepted:
        command = entitlements.PayEntitlement(body["paid_fen"], body["paid_on"],
                                              body["reference"], self.actor(caller))
        return self._entitlement("pay_entitlement", entitlement_id,
                                 lambda case: case.pay(command, self.today()), caller, body,
                                 claims=_payment_claims)

    # -- the card ------------------------------------------------------------------------------------

    def apply_card(self, body: dict, caller: Caller, offer_id: str | None = None) -> Accepted:
        facts = self.veteran(body["veteran_id"], caller)
        command = cards.ApplyForCard(facts, body["category"], self.actor(caller), offer_id)
        return self.change("apply_card", cards.Card, card_id_for(facts.veteran_id),
                           lambda case: case.apply_for(command, self.today()), caller, body,
                           reach=False)

    def record_card_step(self, card_id, body, caller) -> Accepted:
        command = cards.RecordCardStep(body["step"], body["done_on"], self.actor(caller))
        return self.change("record_card_step", cards.Card, canonical_id(card_id, "card"),
                           lambda case: case.record_step(command, self.working_days,
                                                         self.today()), caller, body)

    def set_card_clocks(self, limit: int = 500) -> int:
        """Count the card clocks their steps could not (the calendar did not know the year
        then); the service runs this every hour and at start. Returns how many were set."""
        self.catch_up("card_list")
        with self.db.transaction() as cur:
            cur.execute("SELECT card_id FROM card_list WHERE (filing_due_on IS NULL AND state IN "
                        "('county_checked', 'bureau_approved', 'city_reviewed')) OR "
                        "(handout_due_on IS NULL AND state = 'made') ORDER BY card_id LIMIT %s",
                        (limit,))
            pending = [row[0] for row in cur.fetchall()]
        system = Caller(subject="benefits", roles=(), actor=SYSTEM_ACTOR, district=True)
        set_ = 0
        for card_id in pending:
            case = self.load(cards.Card, str(card_id))
            if not case.set_clocks(self.working_days):
                continue
            self.change("set_card_clocks", cards.Card, str(card_id),
                        lambda case: case.set_clocks(self.working_days), system, {})
            set_ += 1
        return set_

    def refuse_card(self, card_id, body, caller) -> Accepted:
        command = cards.RefuseCard(body["reason"], self.actor(caller), body.get("note"))
        return self.change("refuse_card", cards.Card, canonical_id(card_id, "card"),
                           lambda case: case.refuse(command, self.today()), caller, body)

    # -- offers ----------------------------------------------------------------------------------

    def answer_offer(self, offer_id: str, body: dict, caller: Caller) -> Accepted:
        """Confirming opens the application the offer was for (or links the one already open)
        in the same transaction as the answer: both or neither."""
        offer_id = canonical_id(offer_id, "offer")
        request = request_digest({"operation": "answer_offer", "stream": offer_id, **body})
        if (first := replayed(self.store, caller.command_id, request)) is not None:
            offer = self.load(offers.Offer, offer_id)
            return Accepted(offer_id, offer.veteran_id, offer.state, first.version, True)
        for _ in range(5):
            offer = self.load(offers.Offer, offer_id)
            if not offer.exists or not caller.reaches(offer.veteran_id, offer.station):
                raise NotFound("no offer with this id")
            try:
                if caller.expected_version not in (None, offer.version):
                    raise StreamVersionConflict(offer_id, caller.expected_version, offer.version)
                command = offers.AnswerOffer(body["answer"], self.actor(caller),
                                             body.get("reason"))
                target = None
                if command.answer == "confirm" and offer.state == offers.OPEN:
                    target = self._application_for(offer, body, caller)
                offer_events = offer.answer(command, target[0] if target else None,
                                            self.today())
            except Exception:
                # The same answer may be running twice at once (a client retried with its key
                # while the first copy still waited in the queue): if that copy recorded it
                # since the check above, the state refused here is its work, so answer as its
                # replay (as chassis.commands.change_stream does for every other step).
                if (first := replayed(self.store, caller.command_id, request)) is not None:
                    offer = self.load(offers.Offer, offer_id)
                    return Accepted(offer_id, offer.veteran_id, offer.state, first.version, True)
                raise
            try:
                with self.db.transaction() as cur:
                    result = self.store.append_in(
                        cur, offer_id, self.to_new_events(offer_events), offer.version,
                        self.meta(caller), command_id=caller.command_id, request=request,
                        deadlines=self.deadline_changes(offer.clocks(offer_events)))
                    if target and target[2] and not result.replayed:
                        case_id, case, events = target
                        self.store.append_in(
                            cur, case_id, self.to_new_events(events), case.version,
                            self.meta(caller),
                            deadlines=self.deadline_changes(case.clocks(events)))
            except StreamVersionConflict:
                continue  # someone answered or applied meanwhile: decide again
            offer = self.load(offers.Offer, offer_id)
            return Accepted(offer_id, offer.veteran_id, offer.state, result.stream_version,
                            result.replayed)
        raise WrongState("this offer kept changing while it was answered; try again")

    def _application_for(self, offer: offers.Offer, body: dict, caller: Caller):
        """(case id, its state, the events that apply for it): none when it is already open."""
        actor = self.actor(caller)
        if offer.kind == RELIEF:
            # The application is opened with the answer: what it asks and why, the trigger the
            # referral named unless the answer says otherwise.
            case_id = str(uuid.uuid5(NAMESPACE, f"relief:{offer.case_id}"))
            case = relief.ReliefApplication(case_id)
            facts = VeteranFacts(offer.veteran_id, offer.station, offer.township)
            problems = {name: ["is required to confirm a relief offer"]
                        for name in ("amount_asked_fen", "circumstances") if not body.get(name)}
            if problems:
                raise InvalidRequest("say what the application asks and why", problems)
            events = relief.apply_for_relief(relief.ApplyForRelief(
                facts, body.get("trigger") or offer.relief_trigger or "other",
                body["amount_asked_fen"], body["circumstances"], actor), case_id, self.today())
            return case_id, case, events
        facts = self.veteran(offer.veteran_id)
        if offer.for_card:
            case_id = card_id_for(offer.veteran_id)
            case = self.load(cards.Card, case_id)
            category = "survivor" if offer.rule.startswith("survivor_tie") else "veteran"
            events = [] if case.open else case.apply_for(
                cards.ApplyForCard(facts, category, actor, offer.case_id), self.today())
            return case_id, case, events
        if offer.kind not in PERIODIC_KINDS:
            raise InvalidRequest(f"a {offer.kind} offer is applied for with its own form")
        case_id = entitlement_id_for(offer.veteran_id, offer.kind)
        case = self.load(entitlements.Entitlement, case_id)
        if case.open:
            return case_id, case, []
        tie = body.get("tie") or (facts.ties[0] if len(facts.ties) == 1 else None)
        basis = EntitlementBasis(tie=tie, relation=body.get("relation"))
        if offer.kind == SURVIVORS_PENSION and not body.get("relation"):
            raise InvalidRequest("say the survivor's relation to the fallen to confirm",
                                 {"relation": ["is required to confirm a survivors' pension"]})
        events = case.apply_for(entitlements.ApplyForEntitlement(
            facts, offer.kind, basis, actor, offer.case_id), self.today())
        return case_id, case, events

    # -- campaigns and visits -----------------------------------------------------------------------

    def open_campaign(self, body: dict, caller: Caller) -> Accepted:
        command = visiting.OpenCampaign(actor=self.actor(caller), **{k: body[k] for k in (
            "name", "kind", "starts_on", "ends_on", "budget_fen")})
        return self.create("open_campaign", visiting.Campaign,
                           lambda sid: visiting.open_campaign(command, sid), caller, body)

    def close_campaign(self, campaign_id, body, caller) -> Accepted:
        return self.change("close_campaign", visiting.Campaign,
                           canonical_id(campaign_id, "campaign"),
                           lambda case: case.close(self.actor(caller), self.today()), caller,
                           body)

    def record_visit(self, body: dict, caller: Caller) -> Accepted:
        """A visit is a new stream: the campaign is read, never written, so visits recorded at
        the same moment in one campaign never conflict."""
        facts = self.veteran(body["veteran_id"], caller)
        campaign = self.load(visiting.Campaign, canonical_id(body["campaign_id"], "campaign"))
        command = visiting.RecordVisit(
            facts, body["visited_on"], body["visitors"], body["amount_fen"], self.actor(caller),
            body.get("goods"), body.get("goods_value_fen", 0), bool(body.get("hardship_found")),
            body.get("notes"))
        return self.create("record_visit", visiting.Visit,
                           lambda sid: campaign.record_visit(command, sid, self.today()),
                           caller, body)

    def withdraw_visit(self, visit_id, body, caller) -> Accepted:
        command = visiting.WithdrawVisit(body["reason"], self.actor(caller))
        return self.change("withdraw_visit", visiting.Visit, canonical_id(visit_id, "visit"),
                           lambda case: case.withdraw(command, self.today()), caller, body)

    # -- social care services ------------------------------------------------------------------------

    def record_social_care(self, body: dict, caller: Caller) -> Accepted:
        """Each service received is a new stream, as a visit is: nothing shared is written."""
        facts = self.veteran(body["veteran_id"], caller)
        command = social_care.RecordSocialCare(facts, body["service"], body["provided_on"],
                                               body["provider"], self.actor(caller))
        return self.create("record_social_care", social_care.SocialCare,
                           lambda sid: social_care.record_social_care(command, sid, self.today()),
                           caller, body)

    # -- reads ----------------------------------------------------------------------------------------

    def case(self, cls: type[Case], case_id: str, caller: Caller, what: str):
        case, recorded = self.read(cls, canonical_id(case_id, what))
        if not recorded or (case.veteran_id is not None
                            and not caller.reaches(case.veteran_id, case.station)):
            raise NotFound(f"no {what} with this id")
        return case, recorded

    def deadlines(self, stream_id: str) -> list[dict]:
        return deadlines_for(self.db, stream_id, self.clock)

    @staticmethod
    def show_personal(caller: Caller) -> bool:
        """Leaders read without personal fields; everyone else allowed to read sees them."""
        return any(role != "leader" for role in caller.roles)

    def get_relief(self, application_id: str, caller: Caller) -> dict:
        case, recorded = self.case(relief.ReliefApplication, application_id, caller,
                                   "relief application")
        view = views.relief_view(recorded, self.deadlines(case.case_id),
                                 self.show_personal(caller))
        # What the caller may do next, by the rule the step itself applies (a page shows only
        # these controls: the approve button is absent for the case's handler and reviewer).
        view["next_steps"] = case.next_steps(Actor(caller.subject, caller.roles),
                                             lambda operation: bool(access.grants(operation,
                                                                                  caller.roles)))
        return view

    def list_relief(self, caller: Caller, **params) -> dict:
        """The relief list, with which rows' next step is the caller's (the staff queues)."""
        steps = {state: relief.BARRED_HANDS.get(step, ())
                 for state, (step, operation) in relief.STEPS.items()
                 if access.grants(operation, caller.roles)}
        return self.listing("relief_list", projections.list_relief, caller,
                            subject=caller.subject, steps=steps, **params)

    def get_entitlement(self, entitlement_id: str, caller: Caller) -> dict:
        case, recorded = self.case(entitlements.Entitlement, entitlement_id, caller,
                                   "entitlement")
        return views.entitlement_view(recorded, self.deadlines(case.case_id),
                                      self.show_personal(caller))

    def get_card(self, card_id: str, caller: Caller) -> dict:
        case, recorded = self.case(cards.Card, card_id, caller, "card application")
        return views.card_view(recorded, self.deadlines(case.case_id), self.show_personal(caller))

    def get_offer(self, offer_id: str, caller: Caller) -> dict:
        case, recorded = self.case(offers.Offer, offer_id, caller, "offer")
        return views.offer_view(recorded, self.deadlines(case.case_id),
                                self.show_personal(caller))

    def get_visit(self, visit_id: str, caller: Caller) -> dict:
        _, recorded = self.case(visiting.Visit, visit_id, caller, "visit")
        return views.visit_view(recorded, self.show_personal(caller))

    def get_campaign(self, campaign_id: str, caller: Caller) -> dict:
        case, recorded = self.case(visiting.Campaign, campaign_id, caller, "campaign")
        self.catch_up("visit_list")
        with self.db.transaction() as cur:
            totals = projections.campaign_totals(cur, case.case_id)
        return views.campaign_view(recorded, totals)

    def catch_up(self, *names: str) -> None:
        """Bring read models up to date before a read: commands stay one commit each, and a
        caller who just recorded something finds it listed."""
        for name in names or projections.PROJECTIONS:
            runner = self.runners.get(name)
            if runner is None:
                runner = self.runners[name] = ProjectionRunner(self.store,
                                                               projections.PROJECTIONS[name])
            runner.catch_up()

    @staticmethod
    def stations(caller: Caller) -> list[str] | None:
        return None if caller.district else list(caller.stations)

    def listing(self, projection: str, query: Callable, caller: Caller, **params) -> dict:
        self.catch_up(projection)
        with self.db.transaction() as cur:
            return query(cur, self.stations(caller), **params)

    def veteran_benefits(self, veteran_id: str, caller: Caller, day: OnADay | None = None) -> dict:
        """What the veteran holds now, or as it stood on `day` (docs/history.md): then each of
        their cases is its events up to that day, shown as its own read shows it."""
        facts = self.veteran(veteran_id, caller)
        self.catch_up()
        with self.db.transaction() as cur:
            if day is None:
                overview = projections.veteran_overview(cur, facts.veteran_id, self.today())
            else:
                overview = self._overview_on(cur, facts.veteran_id, day)
        cards_ = overview.pop("cards")
        # On a day, where the veteran stood then as their cases recorded it (the latest kept
        # event stating it); with no case by then, the registry's facts (only a registration
        # sets a file's station and township).
        station, township = overview.pop("place", None) or (facts.station, facts.township)
        return {"veteran_id": facts.veteran_id, "station": station, "township": township,
                "card": cards_[-1] if cards_ else None, **overview}

    def _overview_on(self, cur, veteran_id: str, day: OnADay) -> dict:
        """veteran_overview's rows as they stood on `day`: every case of the veteran the read
        models name, cut to the events kept that day; one not opened by then is left out."""
        out: dict = {}
        placed: list[RecordedEvent] = []  # the kept events that say where the veteran stood
        for key, cls, view, summary in _SUMMARIES:
            rows = []
            for stream_id in projections.veteran_streams(cur, key, veteran_id):
                recorded = day.events(self.store.read_stream_in(cur, stream_id))
                if not recorded or CASES.get(recorded[0].event_type) is not cls:
                    continue
                # The command's own fold says whether the case was open; its read, what it showed.
                if not cls.from_events(stream_id, (domain_event(r) for r in recorded)).exists:
                    continue
                rows.append(summary(view(recorded), day.day))
                placed += [r for r in recorded
                           if r.data.get("station") and r.data.get("township")]
            out[key] = rows
        out["priority_beneficiary"] = any(
            e["state"] == "active" and e["kind"] in PERIODIC_KINDS for e in out["entitlements"])
        if placed:
            latest = max(placed, key=lambda r: (r.recorded_at, r.position))
            out["place"] = (latest.data["station"], latest.data["township"])
        return out

    def figures(self, first: date, last: date) -> dict:
        """A period that ends before it starts holds nothing: every figure is 0."""
        self.catch_up()
        with self.db.transaction() as cur:
            return projections.figures(cur, first, last)


def _payment_claims(events: list[Event]) -> list[tuple[str, str]]:
    """A payment reference pays one grant once: claimed across every case."""
    return [(PAYMENT_REFERENCE, e.reference) for e in events if hasattr(e, "reference")]


def _fields(schema, view: dict, **computed) -> dict:
    return {name: computed[name] if name in computed else view.get(name)
            for name in schema._declared_fields}


# Per part of veteran_benefits: the read model that names the veteran's cases, the case's class,
# its read's view (services/benefits/views.py) and the list row made from it on a day.
_SUMMARIES = (
    ("relief", relief.ReliefApplication,
     lambda r: views.relief_view(r, [], True),
     lambda v, day: _fields(contract.ReliefSummary, v)),
    ("entitlements", entitlements.Entitlement,
     lambda r: views.entitlement_view(r, [], True),
     lambda v, day: _fields(contract.EntitlementSummary, v)),
    ("cards", cards.Card,
     lambda r: views.card_view(r, [], True),
     lambda v, day: _fields(contract.CardSummary, v,
                            overdue=v["filing_overdue"] or v["handout_overdue"])),
    ("offers", offers.Offer,
     lambda r: views.offer_view(r, [], True),
     lambda v, day: _fields(contract.OfferSummary, v, overdue=v["state"] == "open" and (
         v["unanswered"] or v["answer_due_on"] < day))),
    ("visits", visiting.Visit,
     lambda r: views.visit_view(r, True),
     lambda v, day: _fields(contract.VisitSummary, v)),
)
