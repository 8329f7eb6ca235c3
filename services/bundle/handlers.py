"""The bundle's use cases: requests, our services' replies and events, and the notices to the veteran.

Requests: submit, a department's answer, withdrawal, asking again, follow-up.

Every change to a bundle goes through `write`: under the bundle's lock, in the caller's
transaction (a request's, an inbox row's, an outbox outcome's), the stream is read, the domain
decides, and the events are appended with their clocks; in the same transaction the commands to
our own services go into the outbox (deterministic ids: bundle, matter, attempt) and, when the
bundle settles, its claim "one open bundle per veteran" is given up. The notices to the veteran
are written from the bundle's own events afterwards (`notify_from_events`), so a matter made
overdue by the deadline runner is told exactly like one refused by a department.
"""
from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import structlog

from chassis.caller import Caller
from chassis.checkpoints import read_checkpoint, save_checkpoint
from chassis.clock import SYSTEM_CLOCK, Clock
from chassis.days import CalendarUnknown, add_days, add_working_days
from chassis.deadlines import Deadline, DeadlineChanges
from chassis.envelope import Metadata, RecordedEvent, new_id
from chassis.errors import (
    ClaimTaken,
    IdempotencyKeyReused,
    StoreUnavailable,
    StreamVersionConflict,
)
from chassis.notify import NotificationAccess
from chassis.outbox import OutboxAccess, OutboxCommand
from chassis.store import PostgresEventStore, digest, request_digest
from contracts import bundle as contract
from services.bundle.commands import ADAPTERS, CommandContext
from services.bundle.domain import events as ev
from services.bundle.domain import notices
from services.bundle.domain.bundle import Bundle
from services.bundle.domain.catalogue import Catalogue, Facts, MatterSpec
from services.bundle.domain.errors import BundleError, BundleNotFound, InvalidBundle, NotYourMatter
from services.bundle.projections import fold, load_in

log = structlog.get_logger("vetlife.bundle")

SERVICE = "bundle"
# At most one open discharge bundle per veteran: claimed with the submission, given up in the
# transaction that settles the bundle.
CLAIM = "open_discharge_bundle"
# Fixed forever: notification ids are derived from it and the event that caused them.
NOTICE_NAMESPACE = uuid.UUID("0b2a5e8e-3c61-5b1f-8f0e-6d3a7c9e4b12")
NOTICE_TYPES = ("MatterRefused", "MatterOverdue", "BundleCompleted")
REACTOR = "reactor:notices"
OFFICER_DEPARTMENTS = {"placement_officer": "placement", "benefits_officer": "benefits",
                       "employment_officer": "employment", "registry_clerk": "registry"}


class OpenBundleExists(BundleError):
    """Raised for a second submission while the veteran's bundle is open: names the open one."""

    def __init__(self, bundle_id: str):
        super().__init__(f"this veteran already has an open discharge bundle: {bundle_id}",
                         {"bundle_id": [bundle_id]})
        self.bundle_id = bundle_id


@dataclass
class Context:
    """What every use case needs: the store, the catalogue, the clock."""

    store: PostgresEventStore
    catalogue: Catalogue
    clock: Clock = SYSTEM_CLOCK

    def today(self) -> date:
        return self.clock.today()

    def spec(self, key: str) -> MatterSpec:
        spec = self.catalogue.get(key)
        if spec is None:
            raise BundleNotFound(f"no matter {key!r} in the catalogue")
        return spec


@dataclass(frozen=True)
class Written:
    bundle_id: str
    version: int
    replayed: bool
    bundle: Bundle | None
    new: tuple[ev.Event, ...] = ()

    def accepted(self) -> dict:
        bundle = self.bundle
        return {"bundle_id": self.bundle_id, "version": self.version,
                "veteran_id": bundle.veteran_id if bundle else None,
                "status": bundle.status if bundle else "open", "replayed": self.replayed}


def canonical(value: str, what: str = "bundle") -> str:
    """Only a canonical UUID names a bundle: anything else is one that does not exist."""
    try:
        canonical_id = str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        raise BundleNotFound(f"no {what} with this id") from None
    if canonical_id != value:
        raise BundleNotFound(f"no {what} with this id")
    return canonical_id


# -- the write path -------------------------------------------------------------------------------

def lock_bundle(cur, bundle_id: str, patience: float = 30.0) -> None:
    """Hold the bundle's lock for this transaction: its writers (requests, our services' events
    and replies) decide one at a time. Tried, not waited for inside libpq: under eventlet a wait
    there would stop the whole process, the holder included (chassis.nameko_deps.lock_stream)."""
    waited, pause = 0.0, 0.002
    while True:
        cur.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))",
                    (f"bundle:{bundle_id}",))
        if cur.fetchone()[0]:
            return
        if waited >= patience:
            raise StoreUnavailable(f"bundle {bundle_id} stayed locked for {patience:.0f}s")
        time.sleep(pause)
        waited += pause
        pause = min(pause * 2, 0.05)


def term_for(start: date, working_days: Callable[[date, int], date] = add_working_days
             ) -> Callable[[MatterSpec], tuple[date | None, bool]]:
    """A matter's last day, counted from `start` (the day it was requested); (None, True) when
    the calendar cannot count it (a year whose holidays are not published yet): the matter goes
    on the staff list, never a guess, and gets its term once they are known (`set_terms`)."""

    def term(spec: MatterSpec) -> tuple[date | None, bool]:
        try:
            if spec.term.unit == "working_days":
                return working_days(start, spec.term.count), False
            return add_days(start, spec.term.count), False
        except CalendarUnknown as exc:
            log.warning("bundle.clock_unknown", matter=spec.key, error=str(exc)[:200])
            return None, True

    return term


def deadline_changes(bundle_id: str, new: list[ev.Event], clock: Clock) -> DeadlineChanges | None:
    """The matters' clocks these events start, meet or stop: per matter, the last word wins (a
    matter requested and found done before the bundle in one append has no clock)."""
    last: dict[str, ev.Event] = {}
    for event in new:
        if isinstance(event, ev.MatterRequested | ev.MatterTermSet | ev.MatterDone
                      | ev.MatterRefused | ev.MatterWithdrawn):
            last[event.matter] = event
    if not last:
        return None
    sets, met, cancelled = [], [], []
    for key, event in last.items():
        if isinstance(event, ev.MatterRequested | ev.MatterTermSet):
            cancelled.append(key)  # a clock of an earlier attempt, if one still runs
            if event.due_on is not None:
                sets.append(Deadline.on(key, event.due_on, "MatterOverdue", {
                    "bundle_id": bundle_id, "matter": key, "attempt": event.attempt,
                    "due_on": event.due_on.isoformat()}))
        elif isinstance(event, ev.MatterWithdrawn):
            cancelled.append(key)
        else:
            met.append(key)
    return DeadlineChanges(set=sets, met=met, cancelled=cancelled, at=clock.now())


def _handled(cur, command_id: str | None, request: str | None):
    """(stream, version) of a command id seen before; a different request under it is refused."""
    if command_id is None:
        return None
    cur.execute("SELECT request_digest, stream_id, stream_version FROM handled_commands "
                "WHERE command_id = %s", (command_id,))
    row = cur.fetchone()
    if row is None:
        return None
    if request is not None and row[0] not in (None, request):
        raise IdempotencyKeyReused(command_id)
    return row[1], row[2]


def write(ctx: Context, cur, bundle_id: str, decide: Callable[[Bundle], list[ev.Event]],
          meta: Metadata, *, command_id: str | None = None, request: str | None = None,
          claims=(), outbox: OutboxAccess | None = None) -> Written:
    """Decide on the bundle's current state and append, in the caller's transaction."""
    lock_bundle(cur, bundle_id)
    if (seen := _handled(cur, command_id, request)) is not None:
        stream_id, version = seen
        bundle, _ = load_in(cur, stream_id)
        return Written(stream_id, version, True, bundle)
    today = ctx.today()
    for _ in range(10):
        bundle, _ = load_in(cur, bundle_id)
        new = decide(bundle)
        new = new + bundle.completion(new, today)
        if not new and command_id is None:
            return Written(bundle_id, bundle.version, False, bundle)
        try:
            result = ctx.store.append_in(
                cur, bundle_id, [contract.to_new_event(e) for e in new], bundle.version, meta,
                command_id=command_id, request=request, claims=claims,
                deadlines=deadline_changes(bundle_id, new, ctx.clock))
        except StreamVersionConflict:
            continue  # the deadline runner appended an overdue meanwhile: decide again
        if result.replayed:
            bundle, _ = load_in(cur, result.stream_id)
            return Written(result.stream_id, result.stream_version, True, bundle)
        after = copy.deepcopy(bundle)
        for event in new:
            after.apply(event)
        after.version = result.stream_version
        if any(isinstance(e, ev.BundleCompleted) for e in new):
            ctx.store.release_claims_in(cur, bundle_id, CLAIM)
        if outbox is not None:
            dispatch_commands(ctx, cur, after, outbox)
        return Written(bundle_id, result.stream_version, False, after, tuple(new))
    raise StoreUnavailable(f"bundle {bundle_id} kept changing while deciding")


def dispatch_commands(ctx: Context, cur, bundle: Bundle, outbox: OutboxAccess) -> int:
    """Put the command of every requested internal matter whose prerequisites are done into the
    outbox; its id (bundle, matter, attempt) makes asking twice one command."""
    added = 0
    references = {key: m.reference for key, m in bundle.matters.items()}
    for key, m in bundle.matters.items():
        spec = ctx.catalogue.get(key)
        if spec is None or not spec.command or m.status != "requested":
            continue
        if any(bundle.matters[a].status != "done" for a in spec.after if a in bundle.matters):
            continue
        command = outbox.command_id(bundle.bundle_id, key, m.attempt)
        # Looked for first, without a lock: an INSERT … ON CONFLICT on a command whose outcome
        # the sender is recording right now would wait for that transaction, which itself
        # waits for this bundle's lock (its on_outcome moves the matter): a deadlock PostgreSQL
        # cannot see. A plain read sees the committed row and never waits.
        cur.execute("SELECT 1 FROM outbox WHERE command_id = %s", (command,))
        if cur.fetchone() is not None:
            continue
        adapter = ADAPTERS[spec.command]
        call = adapter.build(CommandContext(bundle.bundle_id, bundle.veteran_id, bundle.station,
                                            bundle.township, bundle.form, bundle.facts,
                                            references, ctx.today()))
        added += outbox.add(
            cur, adapter.service, adapter.method, call.args,
            {**call.kwargs, "_convention": adapter.convention,
             "_retry_codes": list(adapter.retry_codes)},
            command_id=command, case_id=bundle.bundle_id, step=f"{key}#{m.attempt}")
    return added


# -- what the bundle knows of veterans (our services' events) ----------------------------------------

FACT_COLUMNS = ("veteran_id", "station", "township", "discharge_category", "discharged",
                "party_member", "placement_case_id", "placement_mode", "subsidy_paid",
                "job_seeker", "card_id", "card_state", "disability_entitlement_id",
                "disability_state")
CARD_STATES = {"CardApplied": "applied", "CardHandedOut": "handed_out", "CardRefused": "refused"}


def veteran_facts(cur, veteran_id: str) -> dict | None:
    cur.execute(f"SELECT {', '.join(FACT_COLUMNS)} FROM bundle_veterans WHERE veteran_id = %s",
                (veteran_id,))
    row = cur.fetchone()
    return dict(zip(FACT_COLUMNS, row, strict=True)) if row else None


def _set_facts(cur, veteran_id: str, **values) -> None:
    columns = list(values)
    cur.execute(
        f"INSERT INTO bundle_veterans (veteran_id, {', '.join(columns)}) "
        f"VALUES (%s, {', '.join(['%s'] * len(columns))}) ON CONFLICT (veteran_id) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in columns) + ", updated_at = now()",
        (veteran_id, *values.values()))


def take_facts(cur, event: RecordedEvent) -> None:
    """Keep what applicability and "done before the bundle" need of an event, nothing more."""
    d, t = event.data, event.event_type
    veteran_id = d.get("veteran_id")
    if not veteran_id:
        return
    if t == "VeteranRegistered":
        _set_facts(cur, veteran_id, station=d.get("service_station"), township=d.get("township"),
                   discharge_category=d.get("discharge_category"),
                   discharged=d.get("discharged_year") is not None)
    elif t == "DischargeRecorded":
        _set_facts(cur, veteran_id, discharged=True,
                   discharge_category=d.get("discharge_category"))
    elif t == "PartyMembershipRecorded":
        _set_facts(cur, veteran_id, party_member=True)
    elif t == "ReportedIn":
        _set_facts(cur, veteran_id, placement_case_id=d.get("case_id"))
    elif t == "ModeChosen":
        _set_facts(cur, veteran_id, placement_mode=d.get("mode"))
    elif t == "SubsidyPaid":
        _set_facts(cur, veteran_id, subsidy_paid=True)
    elif t == "JobSeekerRegistered":
        _set_facts(cur, veteran_id, job_seeker=True)
    elif t.startswith("Card"):
        _set_facts(cur, veteran_id, card_id=d.get("card_id"),
                   card_state=CARD_STATES.get(t, "in_progress"))
    elif t == "EntitlementApplied" and d.get("kind") == "disability_pension":
        _set_facts(cur, veteran_id, disability_entitlement_id=d.get("entitlement_id"),
                   disability_state="applied")
    elif t.startswith("Entitlement"):
        cur.execute("UPDATE bundle_veterans SET disability_state = %s, updated_at = now() "
                    "WHERE veteran_id = %s AND disability_entitlement_id = %s",
                    (t.removeprefix("Entitlement").lower(), veteran_id, d.get("entitlement_id")))


def already_done(facts: dict | None) -> dict[str, tuple[str, str]]:
    """Internal matters the owning service shows done or under way before the bundle."""
    if not facts:
        return {}
    found: dict[str, tuple[str, str]] = {}
    if facts["placement_case_id"]:
        found["reporting_in"] = ("done", facts["placement_case_id"])
        if facts["subsidy_paid"]:
            found["subsidy"] = ("done", facts["placement_case_id"])
        elif facts["placement_mode"] == "self_employment":
            found["subsidy"] = ("acknowledged", facts["placement_case_id"])
    if facts["discharged"]:
        found["veteran_file"] = ("done", facts["veteran_id"])
    if facts["job_seeker"]:
        found["job_seeker"] = ("done", facts["veteran_id"])
    if facts["card_id"] and facts["card_state"] != "refused":
        found["card"] = ("done" if facts["card_state"] == "handed_out" else "acknowledged",
                         facts["card_id"])
    if facts["disability_entitlement_id"] and facts["disability_state"] != "rejected":
        found["disability_transfer"] = (
            "done" if facts["disability_state"] in ("approved", "confirmed", "paid")
            else "acknowledged", facts["disability_entitlement_id"])
    return found


def open_bundle_of(cur, veteran_id: str) -> str | None:
    """The veteran's open bundle: the holder of the claim."""
    cur.execute("SELECT stream_id FROM unique_claims WHERE kind = %s AND digest = %s",
                (CLAIM, digest(veteran_id)))
    row = cur.fetchone()
    return row[0] if row else None


def on_owner_event(ctx: Context, cur, event: RecordedEvent, outbox: OutboxAccess,
                   source: str = "service") -> int:
    """One of our services' events (`source`'s), in the inbox's transaction: the facts it brings,
    and the step it means for the veteran's open bundle. Returns the bundle events written."""
    take_facts(cur, event)
    veteran_id = event.data.get("veteran_id")
    specs = [s for s in ctx.catalogue.listening_to(event.event_type)
             if s.events[event.event_type].matches(event.data)]
    if not specs or not veteran_id:
        return 0
    bundle_id = open_bundle_of(cur, veteran_id)
    if bundle_id is None:
        return 0
    today = ctx.today()

    def decide(bundle: Bundle) -> list[ev.Event]:
        scratch, out = copy.deepcopy(bundle), []
        for spec in specs:
            m = scratch.matters.get(spec.key)
            if m is None:
                continue
            reference = event.data.get(spec.reference_field) if spec.reference_field else None
            if m.reference and reference and reference != m.reference:
                continue  # another case of the same kind (a second entitlement): not this one
            step = spec.events[event.event_type].step
            detail = event.data.get("reason") or event.data.get("at_state")
            new = scratch.answer(
                spec.key, step, today, reference=reference, step=event.event_type,
                reason=f"{spec.department_name}未予通过（{event.event_type}"
                       + (f"：{detail}" if detail else "") + "）",
                next_step=spec.next_step, code=event.event_type, strict=False)
            for e in new:
                scratch.apply(e)
            out += new
        return out

    meta = Metadata(correlation_id=event.correlation_id or new_id(),
                    causation_id=event.event_id, actor=f"system:{source}")
    written = write(ctx, cur, bundle_id, decide, meta, outbox=outbox)
    return len(written.new)


def on_command_outcome(ctx: Context, cur, command: OutboxCommand) -> None:
    """Our service answered a command (or never did): the matter moves on, in the transaction
    that records the outcome in the outbox."""
    key, _, attempt_text = command.step.partition("#")
    spec = ctx.catalogue.get(key)
    if spec is None:
        log.error("bundle.outcome_for_unknown_matter", step=command.step)
        return
    attempt = int(attempt_text or 1)
    today = ctx.today()
    reply = command.reply if isinstance(command.reply, dict) else {}

    def decide(bundle: Bundle) -> list[ev.Event]:
        m = bundle.matters.get(key)
        if m is None or m.attempt != attempt:
            return []  # a newer attempt replaced the one this command was for
        if command.status == "sent":
            reference = reply.get("case_id") or reply.get("id") or reply.get("veteran_id")
            if spec.done_on_reply:
                return bundle.answer(key, "done", today, reference=reference or bundle.veteran_id,
                                     strict=False)
            return bundle.answer(key, "acknowledged", today, reference=reference, strict=False)
        if command.status == "refused":
            code = reply.get("code")
            if code in spec.already_codes:
                return bundle.answer(key, "acknowledged", today, strict=False)
            return bundle.answer(key, "refused", today, reason=_refusal_text(reply),
                                 next_step=spec.next_step, code=code, strict=False)
        return bundle.command_failed(key, attempt, command.error or "no answer", today)

    meta = Metadata(correlation_id=command.correlation_id or new_id(),
                    causation_id=command.command_id, actor=f"system:{command.target_service}")
    write(ctx, cur, command.case_id, decide, meta,
          outbox=OutboxAccess(SERVICE, command.correlation_id))


def _refusal_text(reply: dict) -> str:
    message = str(reply.get("message") or "the service refused the request")
    problems = reply.get("fields") or {}
    if isinstance(problems, dict) and problems:
        message += "; " + "; ".join(f"{name}: {', '.join(map(str, p)) if isinstance(p, list) else p}"
                                    for name, p in sorted(problems.items()))
    return message[:500]


# -- requests -------------------------------------------------------------------------------------

def submit(ctx: Context, data: dict, form: dict, caller: Caller, meta: Metadata,
           lookup_file: Callable[[str], dict | None], outbox: OutboxAccess) -> Written:
    """The submission. `data` is the loaded request; `form` its JSON form (stored as told)."""
    veteran_id = data.get("veteran_id") or caller.veteran_id
    if not veteran_id:
        raise InvalidBundle("name the veteran: veteran_id", {"veteran_id": ["required"]})
    request = request_digest({"operation": "submit_bundle", "veteran_id": veteran_id, **form})
    db = ctx.store.db
    with db.transaction() as cur:
        if (seen := _handled(cur, caller.command_id, request)) is not None:
            bundle, _ = load_in(cur, seen[0])
            return Written(seen[0], seen[1], True, bundle)
        facts = veteran_facts(cur, veteran_id)
    if facts is None or not facts.get("station"):
        # The registry's event may not have reached us yet: ask the registry once, and keep
        # only the facts (never a name, an ID number, a phone or an address).
        file = lookup_file(veteran_id)
        if file is None:
            raise BundleNotFound("no veteran file with this id")
        with db.transaction() as cur:
            _set_facts(cur, veteran_id, station=file["service_station"],
                       township=file["township"], discharge_category=file["discharge_category"],
                       discharged=file.get("discharged_on") is not None,
                       party_member=bool(file.get("party_member")))
            facts = veteran_facts(cur, veteran_id)
    if not caller.reaches(veteran_id, facts["station"]):
        raise BundleNotFound("no veteran file with this id")
    stated = Facts(discharge_category=facts["discharge_category"],
                   party_member=bool(facts["party_member"] or data.get("party_member")),
                   disabled=data.get("disability") is not None,
                   placement_mode=facts["placement_mode"] or data.get("placement_mode"))
    leave_out = {item["matter"]: item.get("reason") for item in data.get("leave_out", ())}
    stored_form = {k: v for k, v in form.items() if k not in ("veteran_id", "leave_out")}
    today = ctx.today()
    bundle_id = new_id()
    try:
        with db.transaction() as cur:
            return write(ctx, cur, bundle_id, lambda b: b.submit(
                veteran_id=veteran_id, station=facts["station"], township=facts["township"],
                today=today, catalogue=ctx.catalogue, facts=stated, leave_out=leave_out,
                form=stored_form, term=term_for(today), already=already_done(facts)),
                meta, command_id=caller.command_id, request=request,
                claims=[(CLAIM, veteran_id)], outbox=outbox)
    except ClaimTaken as taken:
        raise OpenBundleExists(taken.stream_id) from None


def visible(bundle: Bundle, caller: Caller) -> bool:
    """Whether the caller may see the bundle at all (a department: one with its matters)."""
    if not bundle.exists:
        return False
    if department_only(caller):
        return any(m.department == caller.department and m.attempt > 0
                   for m in bundle.matters.values())
    return caller.reaches(bundle.veteran_id, bundle.station)


def department_only(caller: Caller) -> bool:
    return "department" in caller.roles and not (set(caller.roles) - {"department"})


def _change(ctx: Context, bundle_id: str, caller: Caller, meta: Metadata,
            decide: Callable[[Bundle, object], list[ev.Event]], operation: str, payload: dict,
            outbox: OutboxAccess) -> Written:
    bundle_id = canonical(bundle_id)
    request = request_digest({"operation": operation, "bundle_id": bundle_id, **payload})
    with ctx.store.db.transaction() as cur:

        def checked(bundle: Bundle) -> list[ev.Event]:
            if not visible(bundle, caller):
                raise BundleNotFound("no bundle with this id")
            return decide(bundle, cur)

        return write(ctx, cur, bundle_id, checked, meta, command_id=caller.command_id,
                     request=request, outbox=outbox)


def record_outcome(ctx: Context, bundle_id: str, key: str, data: dict, caller: Caller,
                   meta: Metadata, outbox: OutboxAccess) -> Written:
    """A department's answer for one of its own matters."""
    ctx.spec(key)

    def decide(bundle: Bundle, cur) -> list[ev.Event]:
        m = bundle.matter(key)
        if caller.department is None or m.department != caller.department:
            raise NotYourMatter(f"{key} is {m.department}'s matter: a department answers its "
                                "own matters only")
        return bundle.answer(key, data["outcome"], ctx.today(), reference=data.get("reference"),
                             step=data.get("step"), reason=data.get("reason"),
                             next_step=data.get("next_step"))

    return _change(ctx, bundle_id, caller, meta, decide, "record_matter_outcome",
                   {"matter": key, **data}, outbox)


def withdraw(ctx: Context, bundle_id: str, key: str, data: dict, caller: Caller,
             meta: Metadata, outbox: OutboxAccess) -> Written:
    ctx.spec(key)
    return _change(ctx, bundle_id, caller, meta,
                   lambda b, cur: b.withdraw(key, data["reason"], ctx.today()), "withdraw_matter",
                   {"matter": key, **data}, outbox)


def resubmit(ctx: Context, bundle_id: str, key: str, data: dict, form: dict, caller: Caller,
             meta: Metadata, outbox: OutboxAccess) -> Written:
    spec = ctx.spec(key)
    today = ctx.today()
    changes = {k: v for k, v in form.items() if k != "note"}

    def decide(bundle: Bundle, cur) -> list[ev.Event]:
        facts = veteran_facts(cur, bundle.veteran_id) or {}
        merged = {**bundle.form, **changes}
        stated = Facts(discharge_category=facts.get("discharge_category"),
                       party_member=bool(facts.get("party_member") or merged.get("party_member")),
                       disabled=merged.get("disability") is not None,
                       placement_mode=facts.get("placement_mode") or merged.get("placement_mode"))
        return bundle.request_again(spec, stated, today, term_for(today), data.get("note"),
                                    changes)

    return _change(ctx, bundle_id, caller, meta, decide, "resubmit_matter",
                   {"matter": key, **form}, outbox)


def follow_up(ctx: Context, bundle_id: str, key: str, data: dict, caller: Caller,
              meta: Metadata, outbox: OutboxAccess) -> Written:
    ctx.spec(key)

    def decide(bundle: Bundle, cur) -> list[ev.Event]:
        m = bundle.matter(key)
        own = caller_departments(caller)
        if own is not None and m.department not in own:
            raise NotYourMatter(f"{key} is {m.department}'s matter")
        return bundle.follow_up(key, data["note"], ctx.today())

    return _change(ctx, bundle_id, caller, meta, decide, "follow_up_matter",
                   {"matter": key, **data}, outbox)


def caller_departments(caller: Caller) -> set[str] | None:
    """The departments whose matters the caller works on; None: any (a station worker)."""
    if "station_worker" in caller.roles or "veteran" in caller.roles:
        return None
    own = {OFFICER_DEPARTMENTS[r] for r in caller.roles if r in OFFICER_DEPARTMENTS}
    if "department" in caller.roles and caller.department:
        own.add(caller.department)
    return own


def set_terms(ctx: Context, working_days: Callable[[date, int], date] = add_working_days
              ) -> int:
    """Give every open matter requested without a term its term, now that the calendar may
    know the year (a year's holidays added: the services restart and this runs at start and
    hourly). Reads the staff list's `clock_unknown` rows; returns the terms set."""
    with ctx.store.db.transaction() as cur:
        cur.execute("SELECT bundle_id, matter FROM bundle_matters "
                    "WHERE attention = 'clock_unknown' ORDER BY bundle_id, matter")
        waiting = cur.fetchall()
    done = 0
    for bundle_id, key in waiting:
        spec = ctx.catalogue.get(key)
        if spec is None:
            continue

        def decide(bundle: Bundle, spec=spec) -> list[ev.Event]:
            m = bundle.matters.get(spec.key)
            if m is None or m.requested_on is None:
                return []
            return bundle.set_term(spec, term_for(m.requested_on, working_days))

        meta = Metadata(actor="system:bundle")
        with ctx.store.db.transaction() as cur:
            done += len(write(ctx, cur, bundle_id, decide, meta).new)
    return done


# -- notices to the veteran -----------------------------------------------------------------------

def notice_id(event_id: str, kind: str) -> str:
    return str(uuid.uuid5(NOTICE_NAMESPACE, f"{event_id}:{kind}"))


def notify_from_events(ctx: Context, notifications: NotificationAccess, limit: int = 200) -> int:
    """Write the veteran's notice for every refusal, every overdue matter and the completion,
    from the bundle's own events after the reactor's checkpoint; one notice per event, ever.

    One reactor at a time (a try-lock: a second one has nothing to do meanwhile)."""
    written = 0
    with ctx.store.db.transaction() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", (REACTOR,))
        if not cur.fetchone()[0]:
            return 0
        cur.execute("SELECT position FROM store_head")
        head = cur.fetchone()[0]
        after = read_checkpoint(cur, REACTOR)
        events = [e for e in ctx.store.read_all_in(cur, after, limit, list(NOTICE_TYPES))
                  if e.position <= head]
        for event in events:
            written += _notice(ctx, cur, notifications, event)
        position = events[-1].position if len(events) == limit else head
        if position > after:
            save_checkpoint(cur, REACTOR, position)
    return written


def _notice(ctx: Context, cur, notifications: NotificationAccess, event: RecordedEvent) -> int:
    bundle, recorded = load_in(cur, event.stream_id)
    if not bundle.exists:
        return 0
    domain = fold(event.stream_id, [e for e in recorded
                                    if e.stream_version <= event.stream_version])
    data = event.data
    if event.event_type == "BundleCompleted":
        notice = notices.completed(data["outcome"])
        subject = None
    else:
        spec = ctx.catalogue.get(data["matter"])
        m = domain.matters.get(data["matter"])
        if spec is None or m is None:
            return 0
        if event.event_type == "MatterRefused":
            notice = notices.refused(spec, data["reason"], data["next_step"], data["correction"])
        elif m.overdue and m.attempt == data["attempt"] and m.is_open:
            notice = notices.overdue(spec, date.fromisoformat(data["due_on"]))
        else:
            return 0  # a firing for an attempt that is no longer the matter's
        subject = spec.key
    return int(notifications.add(cur, notice_id(event.event_id, notice.kind), bundle.veteran_id,
                                 notice.kind, notice.title, notice.body, case_id=bundle.bundle_id,
                                 subject=subject))
