"""The disputes service's use cases: load a case, decide, append with its clocks; and its queries."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

import structlog

from chassis.caller import Caller
from chassis.clock import Clock
from chassis.commands import NotVisible, change_stream, replayed
from chassis.days import CalendarUnknown, WorkingCalendar, default_calendar
from chassis.deadlines import Deadline, DeadlineChanges, deadlines_for
from chassis.envelope import Metadata, new_id
from chassis.errors import ClaimTaken
from chassis.on_a_day import OnADay
from chassis.projection import ProjectionRunner
from chassis.store import PostgresEventStore, request_digest
from contracts import access
from contracts import disputes as contract
from services.disputes import projections
from services.disputes.domain import model
from services.disputes.domain.clocks import ClockChanges, ClockRules, Decision
from services.disputes.domain.errors import CaseNotFound, InvalidRequest, NotYours
from services.disputes.domain.vocabulary import OPEN_STATES, CaseKind

log = structlog.get_logger("vetlife.disputes")

MATTER_CLAIM = "petition_matter"
# Lodging re-reads the matter after losing a race for it; more losses than this in a row are
# not a race any more.
LODGING_ATTEMPTS = 5

# Each case kind: its aggregate and the event that opens its stream.
KINDS: dict[CaseKind, tuple[type, str]] = {
    CaseKind.PETITION: (model.Petition, "PetitionLodged"),
    CaseKind.DISPUTE: (model.Dispute, "DisputeOpened"),
    CaseKind.PROXY_CASE: (model.ProxyCase, "ProxyCaseOpened"),
}
_WHAT = {CaseKind.PETITION: "petition", CaseKind.DISPUTE: "dispute",
         CaseKind.PROXY_CASE: "proxy case"}


class ChassisWorkingDays:
    """China's working days for the domain's clocks (chassis/days.py); a year whose holidays
    are not published yet answers None, and the domain falls back to the national cap."""

    def __init__(self, calendar: WorkingCalendar | None = None):
        self.calendar = calendar

    def add_working_days(self, start: date, n: int) -> date | None:
        try:
            return (self.calendar or default_calendar()).add_working_days(start, n)
        except CalendarUnknown as unknown:
            log.warning("disputes.calendar_unknown", year=unknown.year)
            return None


@dataclass(frozen=True)
class Context:
    """What every use case needs besides the store: the time, the clocks' lengths, the
    calendar, who is calling and the command's metadata."""

    clock: Clock
    rules: ClockRules
    calendar: ChassisWorkingDays
    caller: Caller
    correlation_id: str | None = None

    @property
    def today(self) -> date:
        return self.clock.today()

    @property
    def meta(self) -> Metadata:
        return Metadata(correlation_id=self.correlation_id or new_id(),
                        causation_id=self.caller.command_id, actor=self.caller.actor or "staff")


@dataclass(frozen=True)
class Done:
    """What a command did to a case."""

    kind: str
    case_id: str
    version: int
    replayed: bool
    veteran_id: str | None

    def reply(self, **extra) -> dict[str, Any]:
        return {**asdict(self), **extra}


# -- loading ----------------------------------------------------------------------------------------

def domain_events(recorded) -> list:
    return [model.EVENT_TYPES[r.event_type](**contract.load_data(r)) for r in recorded]


def load_case(store: PostgresEventStore, case_id: str, kind: CaseKind):
    """The case of this kind with this id, or CaseNotFound (another kind's id included)."""
    aggregate, opening = KINDS[kind]
    recorded = store.read_stream(case_id)
    if not recorded or recorded[0].event_type != opening:
        raise CaseNotFound(f"no {_WHAT[kind]} with this id")
    return aggregate.from_events(domain_events(recorded))


def deadline_changes(clocks: ClockChanges, ctx: Context) -> DeadlineChanges | None:
    """The domain's clocks as the chassis's deadlines: due at 24:00 of their day, Shanghai."""
    if not clocks:
        return None
    return DeadlineChanges(
        set=[Deadline.on(c.name, c.due_on, c.fire_type, c.fire_payload) for c in clocks.start],
        met=list(clocks.met), cancelled=list(clocks.cancelled), at=ctx.clock.now())


def _new_events(events, ctx: Context):
    return [contract.to_new_event(e, occurred_at=ctx.clock.now()) for e in events]


def _reachable(case, ctx: Context) -> bool:
    return ctx.caller.reaches(case.veteran_id, case.service_station)


def change_case(store: PostgresEventStore, kind: CaseKind, case_id: str, operation: str,
                request: dict | str, decide: Callable[[Any], Decision], ctx: Context) -> Done:
    """Run `decide` on the case's current state and append what it decided, with its clocks.

    `request` is the body (or its digest, when the caller computed it), so a retry with the same
    Idempotency-Key replays and the key reused for another request is refused. A case outside the
    caller's reach is answered exactly as one that does not exist.
    """
    if not isinstance(request, str):
        request = request_digest({"operation": operation, "case_id": case_id, **request})
    decided: dict[str, ClockChanges] = {}

    def decide_events(case):
        decision = decide(case)
        decided["clocks"] = decision.clocks
        return decision.events

    try:
        accepted = change_stream(
            store, case_id, load=lambda s, i: load_case(s, i, kind), decide=decide_events,
            to_new_events=lambda events: _new_events(events, ctx), meta=ctx.meta,
            command_id=ctx.caller.command_id,
            request=request,
            expected_version=ctx.caller.expected_version,
            visible=lambda case: _reachable(case, ctx),
            deadlines=lambda case, events: deadline_changes(decided["clocks"], ctx))
    except NotVisible:
        raise CaseNotFound(f"no {_WHAT[kind]} with this id") from None
    veteran_id = _veteran_of(store, case_id)
    return Done(kind.value, accepted.stream_id, accepted.version, accepted.replayed, veteran_id)


def _veteran_of(store: PostgresEventStore, case_id: str) -> str | None:
    recorded = store.read_stream(case_id)
    return recorded[0].data.get("veteran_id") if recorded else None


def _require_station(ctx: Context, station: str, what: str) -> None:
    """A new case belongs to a station: a station worker opens cases of their own stations."""
    caller = ctx.caller
    if caller.district or station in caller.stations:
        return
    raise NotYours(f"you may open {what}s for your own service stations only")


def _open(store: PostgresEventStore, kind: CaseKind, case_id: str, decision: Decision,
          ctx: Context, request: str, claims=()) -> Done:
    result = store.append(case_id, _new_events(decision.events, ctx), 0, ctx.meta,
                          command_id=ctx.caller.command_id, request=request, claims=claims,
                          deadlines=deadline_changes(decision.clocks, ctx))
    return Done(kind.value, result.stream_id, result.stream_version, result.replayed,
                _veteran_of(store, result.stream_id))


# -- petitions --------------------------------------------------------------------------------------

def catch_up(store: PostgresEventStore) -> None:
    """Bring the read models up to the store; a failure loses nothing (the next one catches up)."""
    for projection in projections.PROJECTIONS.values():
        try:
            ProjectionRunner(store, projection).catch_up()
        except Exception as exc:  # noqa: BLE001
            log.warning("disputes.projection_lagging", projection=projection.name,
                        error=type(exc).__name__)


def _matter(store: PostgresEventStore, key: str) -> model.MatterHistory:
    # Exact here, not merely caught up on the way: deciding whether to link needs every
    # petition on the matter, so a lagging model is an error, never a guess.
    ProjectionRunner(store, projections.DisputesReadModel()).catch_up()
    with store.db.transaction() as cur:
        rows = projections.matter_history(cur, key)
    open_ids = [pid for pid, state in rows if state in OPEN_STATES]
    ended = [(pid, state) for pid, state in rows if state not in OPEN_STATES]
    return model.MatterHistory(
        matter_key=key, open_petition_id=open_ids[-1] if open_ids else None,
        earlier_petition_id=ended[-1][0] if ended else None,
        earlier_final=bool(ended) and ended[-1][1] == "final", earlier_count=len(rows))


def lodge_petition(store: PostgresEventStore, cmd: model.LodgePetition, body: dict,
                   ctx: Context) -> dict:
    """Register a new petition, or link the lodging to the matter's open petition.

    The matter is the veteran and the category (or an earlier petition staff name). Each
    petition on a matter claims its ordinal, `<matter>#<n>`, uniquely in the store: two lodgings
    of one matter at once cannot both open a petition; the loser reads the matter again and
    links to the winner's.
    """
    caller = ctx.caller
    if caller.veteran_id is not None and not caller.district and not caller.stations:
        # A veteran lodges for their own file, whatever the body says.
        cmd = replace(cmd, veteran_id=caller.veteran_id)
    elif not caller.district:
        _require_station(ctx, cmd.service_station, "petition")
    request = request_digest({"operation": "lodge_petition", **body,
                              "veteran_id": cmd.veteran_id})
    if (first := replayed(store, caller.command_id, request)) is not None:
        return _lodging_reply(store, first.stream_id, first.version, True, caller.command_id)
    petition_id = new_id()
    base_key = None
    if cmd.same_matter_as:
        earlier = _reachable_petition(store, cmd.same_matter_as, ctx, "same_matter_as")
        base_key = earlier.lodged.matter_key
    for _ in range(LODGING_ATTEMPTS):
        key = base_key or model.matter_key_for(petition_id, cmd.veteran_id, cmd.category,
                                               cmd.separate_matter)
        history = _matter(store, key)
        if history.open_petition_id is not None:
            linked = _link(store, history.open_petition_id, cmd, request, ctx)
            if linked is not None:
                return linked
            continue  # it closed meanwhile: read the matter again
        decision = model.lodge(cmd, petition_id, ctx.today, ctx.rules, ctx.calendar, history)
        try:
            done = _open(store, CaseKind.PETITION, petition_id, decision, ctx, request,
                         claims=[(MATTER_CLAIM, f"{key}#{history.earlier_count + 1}")])
        except ClaimTaken:
            continue
        return _lodging_reply(store, done.case_id, done.version, done.replayed,
                              caller.command_id)
    raise InvalidRequest("the matter changed too often while lodging; try again")


def _link(store, open_id: str, cmd, request: str, ctx: Context) -> dict | None:
    """Link the lodging to the open petition; None if it is no longer open."""

    def decide(petition):
        if not petition.is_open:
            raise _Closed()
        return petition.link_repeat(cmd, ctx.today)

    # The link is the bureau's rule, whatever the caller's reach: the same matter is not opened
    # twice at another station either. The reply names the petition; reading it needs reach.
    unbounded = Context(ctx.clock, ctx.rules, ctx.calendar,
                        Caller(**{**asdict(ctx.caller), "district": True}), ctx.correlation_id)
    try:
        done = change_case(store, CaseKind.PETITION, open_id, "lodge_petition", request, decide,
                           unbounded)
    except _Closed:
        return None
    return _lodging_reply(store, done.case_id, done.version, done.replayed, ctx.caller.command_id,
                          linked=True)


class _Closed(Exception):
    """The open petition a lodging was about to be linked to closed meanwhile."""


def _lodging_reply(store, petition_id: str, version: int, was_replayed: bool,
                   command_id: str | None, linked: bool | None = None) -> dict:
    recorded = store.read_stream(petition_id)
    lodged = recorded[0].data
    if linked is None:  # a replay: linked unless this very command opened the petition
        linked = command_id is not None and recorded[0].causation_id != command_id
    return Done(CaseKind.PETITION.value, petition_id, version, was_replayed,
                lodged.get("veteran_id")).reply(
        linked=linked, first_time=lodged["first_time"], closed_matter=lodged["closed_matter"])


def _reachable_petition(store, petition_id: str, ctx: Context, field_name: str):
    try:
        petition = load_case(store, petition_id, CaseKind.PETITION)
    except CaseNotFound:
        petition = None
    if petition is None or not _reachable(petition, ctx):
        raise InvalidRequest(f"{field_name}: no petition with this id",
                             {field_name: ["no petition with this id"]})
    return petition


# -- opening disputes and proxy cases ---------------------------------------------------------------

def open_dispute(store: PostgresEventStore, cmd: model.OpenDispute, body: dict,
                 ctx: Context) -> Done:
    _require_station(ctx, cmd.service_station, "dispute")
    if cmd.petition_id:
        _reachable_petition(store, cmd.petition_id, ctx, "petition_id")
    dispute_id = new_id()
    request = request_digest({"operation": "open_dispute", **body})
    if (first := replayed(store, ctx.caller.command_id, request)) is not None:
        return Done(CaseKind.DISPUTE.value, first.stream_id, first.version, True,
                    _veteran_of(store, first.stream_id))
    return _open(store, CaseKind.DISPUTE, dispute_id,
                 model.open_dispute(cmd, dispute_id, ctx.today), ctx, request)


def open_proxy_case(store: PostgresEventStore, cmd: model.OpenProxyCase, body: dict,
                    ctx: Context) -> Done:
    _require_station(ctx, cmd.service_station, "proxy case")
    proxy_case_id = new_id()
    request = request_digest({"operation": "open_proxy_case", **body})
    if (first := replayed(store, ctx.caller.command_id, request)) is not None:
        return Done(CaseKind.PROXY_CASE.value, first.stream_id, first.version, True,
                    _veteran_of(store, first.stream_id))
    return _open(store, CaseKind.PROXY_CASE, proxy_case_id,
                 model.open_proxy_case(cmd, proxy_case_id, ctx.today), ctx, request)


def refer_hardship(store: PostgresEventStore, cmd: model.ReferHardship, source: CaseKind,
                   source_id: str, body: dict, ctx: Context) -> dict:
    """A referral recorded on the case it came from; a retried request (same Idempotency-Key)
    refers nothing again and answers with the first referral's id."""
    referral_id = new_id()
    done = change_case(store, source, source_id, "refer_hardship", body,
                       lambda case: model.refer_hardship(cmd, referral_id, source, case,
                                                         ctx.today), ctx)
    if done.replayed:
        recorded = store.read_stream(source_id)
        referral_id = next((e.data["referral_id"] for e in reversed(recorded)
                            if e.event_type == "HardshipReferred"
                            and e.causation_id == ctx.caller.command_id), referral_id)
    return done.reply(referral_id=referral_id)


# -- reads ------------------------------------------------------------------------------------------

def _history(recorded) -> list[dict]:
    return [{"version": e.stream_version, "event_type": e.event_type,
             "at": e.recorded_at.isoformat(), "actor": e.actor} for e in recorded]


def read_case(store: PostgresEventStore, kind: CaseKind, case_id: str, ctx: Context):
    """The case and its recorded events, if the caller reaches it."""
    aggregate, opening = KINDS[kind]
    recorded = store.read_stream(case_id)
    if not recorded or recorded[0].event_type != opening:
        raise CaseNotFound(f"no {_WHAT[kind]} with this id")
    case = aggregate.from_events(domain_events(recorded))
    if not _reachable(case, ctx):
        raise CaseNotFound(f"no {_WHAT[kind]} with this id")
    return case, recorded


def petition_reply(store: PostgresEventStore, case_id: str, ctx: Context) -> dict:
    p, recorded = read_case(store, CaseKind.PETITION, case_id, ctx)
    lodged = p.lodged
    return {
        "petition_id": p.petition_id, "version": p.version, "veteran_id": lodged.veteran_id,
        "service_station": lodged.service_station, "state": p.state.value,
        "category": lodged.category, "channel": lodged.channel, "urgent": lodged.urgent,
        "first_time": lodged.first_time, "closed_matter": lodged.closed_matter,
        "earlier_petition_id": lodged.earlier_petition_id, "received_on": lodged.received_on,
        "intake_due_on": lodged.intake_due_on, "intake_rule": lodged.intake_rule,
        "opinion_due_on": p.opinion_due_on, "review_request_due_on": p.request_due_on,
        "handler": p.handler, "overdue": sorted(p.overdue),
        "petitioner": {"kind": lodged.petitioner_kind, "name": lodged.petitioner_name,
                       "phone": lodged.petitioner_phone, "address": lodged.petitioner_address,
                       "relation": lodged.relation,
                       "representatives": list(lodged.representatives),
                       "group_size": lodged.group_size},
        "request": lodged.request, "facts": lodged.facts, "intake": p.intake,
        "extension": p.extension, "opinion": p.opinion, "reviews": p.reviews,
        "mediation": p.mediation, "escalations": p.escalations, "repeats": p.repeats,
        "hardship_referrals": p.referrals,
        "deadlines": deadlines_for(store.db, case_id, ctx.clock),
        "history": _history(recorded),
    }


def dispute_reply(store: PostgresEventStore, case_id: str, ctx: Context) -> dict:
    d, recorded = read_case(store, CaseKind.DISPUTE, case_id, ctx)
    o = d.opened
    return {
        "dispute_id": d.dispute_id, "version": d.version, "veteran_id": o.veteran_id,
        "service_station": o.service_station, "state": d.state.value, "category": o.category,
        "parties": o.parties, "summary": o.summary, "opened_on": o.opened_on,
        "petition_id": o.petition_id, "overdue": sorted(d.overdue), "sessions": d.sessions,
        "legal_aid": d.legal_aid, "resolution": d.resolution, "hardship_referrals": d.referrals,
        "deadlines": deadlines_for(store.db, case_id, ctx.clock),
        "history": _history(recorded),
    }


def proxy_case_reply(store: PostgresEventStore, case_id: str, ctx: Context) -> dict:
    c, recorded = read_case(store, CaseKind.PROXY_CASE, case_id, ctx)
    o = c.opened
    return {
        "proxy_case_id": c.proxy_case_id, "version": c.version, "veteran_id": o.veteran_id,
        "service_station": o.service_station, "state": c.state.value,
        "matter_kind": o.matter_kind, "matter": o.matter, "agent_kind": o.agent_kind,
        "agent": o.agent, "opened_on": o.opened_on, "steps": c.steps, "closure": c.closure,
        "hardship_referrals": c.referrals, "history": _history(recorded),
        "next_steps": c.next_steps(lambda operation: bool(access.grants(operation,
                                                                       ctx.caller.roles))),
    }


def _list_reach(caller: Caller) -> dict:
    """A list's reach: the district, the caller's stations, their own cases, or nothing."""
    if caller.district:
        return {"within_stations": None, "own_veteran_id": None}
    within = list(caller.stations) if caller.stations else None
    own = caller.veteran_id
    return {"within_stations": [] if within is None and own is None else within,
            "own_veteran_id": own}


def petition_list(store: PostgresEventStore, query: dict, ctx: Context) -> dict:
    catch_up(store)
    with store.db.transaction() as cur:
        return projections.list_petitions(cur, ctx.clock.now(), **_list_reach(ctx.caller),
                                          **query)


def proxy_case_list(store: PostgresEventStore, query: dict, ctx: Context) -> dict:
    catch_up(store)
    with store.db.transaction() as cur:
        return projections.list_proxy_cases(cur, **_list_reach(ctx.caller), **query)


def _cases_on(store: PostgresEventStore, kind: CaseKind, query: dict, ctx: Context,
              day: OnADay, row: Callable[[Any], dict]) -> dict:
    """One veteran's cases of a kind as they stood on `day`: each case's events up to that day,
    folded as a command folds them; a case not opened by then is left out, one out of the
    caller's reach too, as its own read answers it."""
    if query.get("veteran_id") is None:
        raise InvalidRequest("a list on a day is one veteran's: give veteran_id",
                             {"veteran_id": ["required with as_of or effective_on"]})
    aggregate, opening = KINDS[kind]
    catch_up(store)
    items = []
    with store.db.transaction() as cur:
        for case_id in projections.veteran_cases(cur, kind.value, query["veteran_id"]):
            recorded = day.events(store.read_stream_in(cur, case_id))
            if not recorded or recorded[0].event_type != opening:
                continue
            case = aggregate.from_events(domain_events(recorded))
            if _reachable(case, ctx):
                items.append(row(case))
    page, size = query.get("page", 1), query.get("page_size", 20)
    return {"items": items[(page - 1) * size:page * size], "page": page, "page_size": size,
            "total": len(items)}


def _petition_row(p) -> dict:
    """A petition list row (projections.list_petitions) from the case itself."""
    lodged = p.lodged
    return {"petition_id": p.petition_id, "veteran_id": lodged.veteran_id,
            "service_station": lodged.service_station, "category": lodged.category,
            "channel": lodged.channel, "state": p.state.value, "first_time": lodged.first_time,
            "closed_matter": lodged.closed_matter, "handler": p.handler,
            "received_on": lodged.received_on, "intake_due_on": lodged.intake_due_on,
            "opinion_due_on": p.opinion_due_on, "overdue": sorted(p.overdue),
            "escalations": len(p.escalations), "repeats": len(p.repeats)}


def _proxy_case_row(c) -> dict:
    """A proxy case list row (projections.list_proxy_cases) from the case itself."""
    o = c.opened
    return {"proxy_case_id": c.proxy_case_id, "veteran_id": o.veteran_id,
            "service_station": o.service_station, "matter_kind": o.matter_kind,
            "agent_kind": o.agent_kind, "state": c.state.value, "opened_on": o.opened_on,
            "closed_on": c.closure["closed_on"] if c.closure else None, "steps": len(c.steps)}


def petitions_on(store: PostgresEventStore, query: dict, ctx: Context, day: OnADay) -> dict:
    return _cases_on(store, CaseKind.PETITION, query, ctx, day, _petition_row)


def proxy_cases_on(store: PostgresEventStore, query: dict, ctx: Context, day: OnADay) -> dict:
    queue = query.get("queue")
    if queue is None:
        return _cases_on(store, CaseKind.PROXY_CASE, query, ctx, day, _proxy_case_row)
    # A queue on a day: the cases open (mine) or closed (done) as they stood then.
    every = _cases_on(store, CaseKind.PROXY_CASE, {**query, "page": 1, "page_size": 100000},
                      ctx, day, _proxy_case_row)
    items = [i for i in every["items"] if (i["state"] == "open") == (queue == "mine")]
    page, size = query.get("page", 1), query.get("page_size", 20)
    return {"items": items[(page - 1) * size:page * size], "page": page, "page_size": size,
            "total": len(items)}


def figures(store: PostgresEventStore, query: dict, ctx: Context) -> dict:
    catch_up(store)
    today = ctx.today
    first = query.get("from_") or date(today.year, 1, 1)
    last = query.get("to") or today
    if first > last:
        raise InvalidRequest("from must not be after to", {"from": ["after to"]})
    caller = ctx.caller
    stations = None if caller.district else list(caller.stations)
    if query.get("station") is not None:
        stations = [query["station"]] if stations is None or query["station"] in stations else []
    with store.db.transaction() as cur:
        counts = projections.figures(cur, first, last, ctx.clock.now(), stations)
    return {"from_": first, "to": last, "station": query.get("station"), **counts}
