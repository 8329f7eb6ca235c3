"""Placement's use cases: load a case or a post quota, decide, append with its clocks, to one or two streams."""
from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass

from chassis.clock import SYSTEM_CLOCK, Clock
from chassis.commands import BLIND_WRITE_BUDGET_SECONDS, replayed
from chassis.deadlines import Deadline, DeadlineChanges
from chassis.envelope import Metadata, new_id
from chassis.errors import ClaimTaken, StreamVersionConflict
from chassis.on_a_day import ClockStep
from chassis.store import AppendResult, PostgresEventStore, digest, request_digest
from chassis.wire import ServiceError
from contracts import placement as contract
from services.placement.domain import events as ev
from services.placement.domain.case import PlacementCase
from services.placement.domain.clocks import ClockChanges, clock_changes
from services.placement.domain.commands import AmendFacts, RegisterPostQuota, ReportIn
from services.placement.domain.errors import AlreadyReportedIn, CaseNotFound, PostNotFound
from services.placement.domain.facts import RegistryFacts, honour_of
from services.placement.domain.money import Standards
from services.placement.domain.posts import PostQuota, register_post_quota
from services.placement.domain.reporting import report_in as decide_report_in
from services.placement.domain.vocabulary import ON_POST_CLOCK, PLACEMENT_CLOCK

# One placement case per veteran: the claim's value is the veteran id (stored as a digest).
CASE_CLAIM = "placement_case"
# Each clock's event when it runs out (the deadline runner appends it to the case).
FIRE_TYPES = {PLACEMENT_CLOCK: "PlacementOverdue", ON_POST_CLOCK: "OnPostOverdue"}
_BACKOFF_BASE_SECONDS, _BACKOFF_CAP_SECONDS = 0.005, 0.25

Reach = Callable[[str | None, str | None], bool]


@dataclass(frozen=True)
class Accepted:
    """What a command did: the case (or post) it answered for, its version after, its status."""

    case_id: str
    veteran_id: str
    version: int
    status: str
    replayed: bool = False


@dataclass(frozen=True)
class Write:
    """Events for one stream, decided on its `expected_version`, with the clocks they move."""

    stream_id: str
    events: Sequence[ev.Event]
    expected_version: int
    deadlines: DeadlineChanges | None = None
    claims: tuple[tuple[str, str], ...] = field(default=())


# -- loading --------------------------------------------------------------------------------------

def domain_events(recorded) -> list[ev.Event]:
    return [ev.EVENT_TYPES[r.event_type](**contract.load_data(r)) for r in recorded]


def load_case(store: PostgresEventStore, case_id: str) -> PlacementCase:
    return case_from(store.read_stream(case_id))


def case_from(recorded) -> PlacementCase:
    """The case a stream's events make; a stream that is not a case (a post quota) is none."""
    if not recorded or recorded[0].event_type not in ("ReportedIn", "SpouseReceived"):
        raise CaseNotFound("no placement case with this id")
    return PlacementCase.from_events(domain_events(recorded))


def load_quota(store: PostgresEventStore, post_id: str) -> PostQuota:
    recorded = store.read_stream(post_id)
    if not recorded or recorded[0].event_type != "PostQuotaRegistered":
        raise PostNotFound("no post quota with this id", {"post_id": ["no such post"]})
    return PostQuota.from_events(domain_events(recorded))


def case_of_veteran(store: PostgresEventStore, veteran_id: str) -> str | None:
    """The veteran's placement case, read from the claim the report-in made: no lag."""
    with store.db.transaction() as cur:
        cur.execute("SELECT stream_id FROM unique_claims WHERE kind = %s AND digest = %s",
                    (CASE_CLAIM, digest(veteran_id)))
        row = cur.fetchone()
    return row[0] if row else None


def registry_facts(store: PostgresEventStore, veteran_id: str) -> RegistryFacts | None:
    """What the registry published about the veteran, as the subscriber kept it."""
    with store.db.transaction() as cur:
        cur.execute("SELECT service_station, township, rank, enlisted_year, discharged_year, "
                    "honours, martyr_child FROM registry_facts WHERE veteran_id = %s",
                    (veteran_id,))
        row = cur.fetchone()
    if row is None:
        return None
    return RegistryFacts(veteran_id, row[0], row[1], row[2], row[3], row[4],
                         tuple(honour_of(text) for text in row[5]), row[6])


# -- writing ------------------------------------------------------------------------------------------

def deadline_changes(case: PlacementCase | ev.SpouseReceived, changes: ClockChanges,
                     clock: Clock) -> DeadlineChanges | None:
    if not changes:
        return None
    ids = {"case_id": case.case_id, "veteran_id": case.veteran_id}
    return DeadlineChanges(
        set=[Deadline.on(name, due, FIRE_TYPES[name], {**ids, "due_on": due.isoformat()})
             for name, due in changes.set.items()],
        met=changes.met, cancelled=changes.cancelled, at=clock.now())


def clock_steps(recorded) -> list[ClockStep]:
    """What each of a case's events did to its clocks, worked out as its append worked it out
    (case_write, receive_spouse), with the time it was recorded: the case's deadlines on a past
    day are replayed from these (chassis.on_a_day.clocks_on), the deadlines table holding only
    their state now. Taken event by event: no step of a case sets and stops one clock at once."""
    fired_by = {fire_type: name for name, fire_type in FIRE_TYPES.items()}
    events = domain_events(recorded)
    steps = []
    for n, (stored, event) in enumerate(zip(recorded, events, strict=True)):
        received = PlacementCase.from_events(events[:n]).reported_on if n else None
        changes = clock_changes(received, [event])
        steps.append(ClockStep(DeadlineChanges(
            set=[Deadline.on(name, due, FIRE_TYPES[name]) for name, due in changes.set.items()],
            met=changes.met, cancelled=changes.cancelled, at=stored.recorded_at),
            tuple(name for fire_type, name in fired_by.items()
                  if stored.event_type == fire_type)))
    return steps


def case_write(case: PlacementCase, new_events: Sequence[ev.Event], clock: Clock) -> Write:
    """The case's new events with the clocks they start, meet or stop."""
    changes = clock_changes(case.reported_on, new_events)
    return Write(case.case_id, list(new_events), case.version,
                 deadline_changes(case, changes, clock))


def _append_all(store: PostgresEventStore, cur, *, writes: Sequence[Write], meta: Metadata,
                command_id: str | None, request: str) -> AppendResult:
    first, *others = writes
    result = store.append_in(cur, first.stream_id, [contract.to_new_event(e) for e in first.events],
                             first.expected_version, meta, command_id, request, first.claims,
                             first.deadlines)
    if result.replayed:
        return result  # the first time wrote the other streams too
    for write in others:
        store.append_in(cur, write.stream_id, [contract.to_new_event(e) for e in write.events],
                        write.expected_version, meta, None, None, write.claims, write.deadlines)
    return result


def execute(store: PostgresEventStore, decide: Callable[[], list[Write]], meta: Metadata,
            command_id: str | None, request: str, expected_version: int | None = None,
            budget_seconds: float = BLIND_WRITE_BUDGET_SECONDS) -> tuple[str, int, bool]:
    """Decide on fresh state and append what was decided, to every stream it touches, in one
    transaction: an offer holds the post and changes the case together or not at all.

    The first write is the command's own stream: it carries the command id, and `expected_version`
    (the client's If-Match) is checked against it. Without If-Match a lost race on any stream is
    decided again after a jittered pause, as chassis.commands does for one stream; two offers of
    the last free position race on the post's stream, and the loser decides again and is refused.
    Returns (stream id, version after, replayed).
    """
    if (first := replayed(store, command_id, request)) is not None:
        return first.stream_id, first.version, True
    give_up_at = time.monotonic() + budget_seconds
    attempt = 0
    while True:
        try:
            writes = decide()
            primary = writes[0]
            if expected_version is not None and primary.expected_version != expected_version:
                raise StreamVersionConflict(primary.stream_id, expected_version,
                                            primary.expected_version)
        except Exception:
            # Another copy of this very command (a client's retry after the gateway timed out,
            # the first copy still queued) may have committed since the check above: then the
            # state refused here is its work, and the answer is its result, as for any retry.
            if (first := replayed(store, command_id, request)) is not None:
                return first.stream_id, first.version, True
            raise
        if command_id is None and not any(w.events for w in writes):
            return primary.stream_id, primary.expected_version, False
        try:
            result = store.db.run(functools.partial(_append_all, store, writes=writes, meta=meta,
                                                    command_id=command_id, request=request))
            return result.stream_id, result.stream_version, result.replayed
        except StreamVersionConflict:
            if expected_version is not None or time.monotonic() >= give_up_at:
                raise
        attempt += 1
        time.sleep(random.uniform(0, min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2 ** attempt)))


def _plain(value):
    """A command's arguments as JSON-ready values, for its request digest."""
    if is_dataclass(value):
        return asdict(value)
    return value


def _accepted(store: PostgresEventStore, stream_id: str, version: int, replayed: bool) -> Accepted:
    case = load_case(store, stream_id)
    return Accepted(case.case_id, case.veteran_id, version, case.status, replayed)


# -- the commands ------------------------------------------------------------------------------------

def report_in(store: PostgresEventStore, cmd: ReportIn, meta: Metadata, clock: Clock = SYSTEM_CLOCK,
              command_id: str | None = None, reach: Reach | None = None) -> Accepted:
    """报到: open the veteran's case, from the request and what the registry published.

    `reach` says whether the caller may act for this veteran at the case's station; one who may
    not is refused before anything is written.
    """
    request = request_digest({"step": "report_in", **asdict(cmd)})
    case_id = new_id()

    def decide() -> list[Write]:
        events = decide_report_in(cmd, case_id, clock.today(), registry_facts(store, cmd.veteran_id))
        if reach is not None and not reach(cmd.veteran_id, events[0].service_station):
            raise ServiceError("forbidden", "you may report in only for yourself, or for "
                               "veterans of your own stations")
        return [Write(case_id, events, 0, claims=((CASE_CLAIM, cmd.veteran_id),))]

    try:
        stream_id, version, again = execute(store, decide, meta, command_id, request)
    except ClaimTaken as taken:
        raise AlreadyReportedIn(taken.stream_id) from None
    return _accepted(store, stream_id, version, again)


def change_case(store: PostgresEventStore, case_id: str, step: str,
                decide: Callable[[PlacementCase], list[ev.Event]], meta: Metadata,
                clock: Clock = SYSTEM_CLOCK, command_id: str | None = None,
                expected_version: int | None = None, reach: Reach | None = None,
                arguments: dict | None = None,
                also: Callable[[PlacementCase, list[ev.Event]], list[Write]] | None = None
                ) -> Accepted:
    """Run one step on a case. `also` writes other streams in the same transaction (a post's
    position held, filled or released; a spouse's case opened)."""
    request = request_digest({"step": step, "case_id": case_id,
                              **{k: _plain(v) for k, v in (arguments or {}).items()}})

    def fresh() -> list[Write]:
        case = load_case(store, case_id)
        if reach is not None and not reach(case.veteran_id, case.service_station):
            raise CaseNotFound("no placement case with this id")
        new = decide(case)
        return [case_write(case, new, clock), *(also(case, new) if also and new else [])]

    stream_id, version, again = execute(store, fresh, meta, command_id, request, expected_version)
    return _accepted(store, stream_id, version, again)


def post_writes(store: PostgresEventStore, decide_on_post: Callable[[PostQuota], list[ev.Event]],
                post_id: str) -> list[Write]:
    quota = load_quota(store, post_id)
    return [Write(post_id, decide_on_post(quota), quota.version)]


def offer_post(store: PostgresEventStore, case_id: str, post_id: str, meta: Metadata,
               clock: Clock = SYSTEM_CLOCK, **kwargs) -> Accepted:
    """Offer a post's position: the case's PostOffered and the post's PostHeld, together. Two
    offers of the last free position: one wins, the other is refused as unavailable."""
    today = clock.today()

    def decide(case: PlacementCase) -> list[ev.Event]:
        quota = load_quota(store, post_id)
        offered = case.offer_post(post_id, quota.post_kind, quota.unit, today)
        quota.hold(case.case_id)  # nothing free: refused before anything is written
        return offered

    return change_case(
        store, case_id, "offer_post", decide, meta, clock, arguments={"post_id": post_id},
        also=lambda case, new: post_writes(store, lambda q: q.hold(case.case_id), post_id),
        **kwargs)


def accept_post(store, case_id: str, meta: Metadata, clock: Clock = SYSTEM_CLOCK,
                **kwargs) -> Accepted:
    return change_case(
        store, case_id, "accept_post", lambda case: case.accept_post(clock.today()), meta, clock,
        also=lambda case, new: post_writes(store, lambda q: q.fill(case.case_id), case.holds_post),
        **kwargs)


def _release(store, case: PlacementCase, reason: str) -> list[Write]:
    if case.holds_post is None:
        return []
    return post_writes(store, lambda q: q.release(case.case_id, reason), case.holds_post)


def decline_post(store, case_id: str, good_reason: str | None, meta: Metadata,
                 clock: Clock = SYSTEM_CLOCK, **kwargs) -> Accepted:
    return change_case(
        store, case_id, "decline_post", lambda case: case.decline_post(good_reason, clock.today()),
        meta, clock, arguments={"good_reason": good_reason},
        also=lambda case, new: _release(store, case, "declined"), **kwargs)


def forfeit_for_prosecution(store, case_id: str, detail: str | None, meta: Metadata,
                            clock: Clock = SYSTEM_CLOCK, **kwargs) -> Accepted:
    return change_case(
        store, case_id, "forfeit_for_prosecution",
        lambda case: case.forfeit_for_prosecution(detail, clock.today()), meta, clock,
        arguments={"detail": detail}, also=lambda case, new: _release(store, case, "forfeited"),
        **kwargs)


def receive_spouse(store, case_id: str, spouse_name: str, employed_as: str | None,
                   meta: Metadata, clock: Clock = SYSTEM_CLOCK, **kwargs) -> Accepted:
    """随调配偶: the officer's case links the spouse's, which opens with its own clock."""
    spouse_case_id = new_id()
    today = clock.today()

    def spouse_case(case: PlacementCase, new) -> list[Write]:
        received = case.receive_spouse(spouse_case_id, spouse_name, employed_as, today)
        clocks = deadline_changes(received, clock_changes(today, [received]), clock)
        return [Write(spouse_case_id, [received], 0, clocks)]

    def decide(case: PlacementCase) -> list[ev.Event]:
        case.receive_spouse(spouse_case_id, spouse_name, employed_as, today)  # checks first
        return case.link_spouse(spouse_case_id)

    officer = change_case(store, case_id, "receive_spouse", decide, meta, clock,
                          arguments={"spouse_name": spouse_name, "employed_as": employed_as},
                          also=spouse_case, **kwargs)
    spouse_id = load_case(store, case_id).spouse_case_id
    spouse = load_case(store, spouse_id)
    return Accepted(spouse.case_id, spouse.veteran_id, spouse.version, spouse.status,
                    officer.replayed)


def amend_facts(store, case_id: str, cmd: AmendFacts, meta: Metadata, clock: Clock = SYSTEM_CLOCK,
                **kwargs) -> Accepted:
    return change_case(store, case_id, "amend_facts", lambda case: case.amend_facts(cmd), meta,
                       clock, arguments={"facts": cmd}, **kwargs)


def choose_mode(store, case_id: str, mode: str, standards: Standards, meta: Metadata,
                clock: Clock = SYSTEM_CLOCK, **kwargs) -> Accepted:
    return change_case(store, case_id, "choose_mode",
                       lambda case: case.choose_mode(mode, clock.today(), standards), meta, clock,
                       arguments={"mode": mode}, **kwargs)


def register_post(store, cmd: RegisterPostQuota, meta: Metadata,
                  command_id: str | None = None) -> PostQuota:
    post_id = new_id()
    request = request_digest({"step": "register_post_quota", **asdict(cmd)})
    stream_id, _, _ = execute(
        store, lambda: [Write(post_id, register_post_quota(cmd, post_id), 0)], meta, command_id,
        request)
    return load_quota(store, stream_id)
