"""The bureau's promises under failure, judged per drill from what clients saw and what the databases hold."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from chassis.deadletters import DeadLetter
from chassis.store import digest
from faults.ledger import AuditLedger, HrLedger, RegistryLedger
from faults.portal import Registration

# A request answered later than the gateway's RPC timeout plus this slack counts as a hang.
GATEWAY_TIMEOUT = 10.0
HANG_SLACK = 2.0
# Once the dependency is back, service must resume by itself within this long.
RESUME_WITHIN = 30.0


@dataclass
class Window:
    """When a drill broke something, and when the broken dependency was back."""

    injected_at: float
    back_at: float
    outage: bool  # True when clients may see 503s
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass
class Verdict:
    """One row of the table, with the reasons behind it."""

    drill: str
    sent: int = 0
    acked: int = 0
    refused: int = 0
    gave_up: int = 0
    lost: int = 0
    duplicated: int = 0
    server_errors: Counter = field(default_factory=Counter)
    no_answer: Counter = field(default_factory=Counter)
    slowest: float = 0.0
    down_for: float | None = None
    recover_api: float | None = None
    recover_flow: float | None = None
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures and not self.lost and not self.duplicated


def store_is_whole(reg: RegistryLedger) -> list[str]:
    """Store-wide facts that hold whatever happened: gap-free positions, no half-written command."""
    problems = []
    if reg.positions != list(range(1, reg.head + 1)):
        problems.append(f"positions are not gap-free 1..{reg.head} ({len(reg.positions)} events)")
    streams = {e.veteran_id for e in reg.registrations}
    orphans = [c for c, (stream, _) in reg.commands.items() if stream not in streams]
    if orphans:
        problems.append(f"{len(orphans)} handled command(s) without their event (partial write)")
    commanded = {stream for stream, _ in reg.commands.values()}
    uncommanded = [e for e in reg.registrations if e.veteran_id not in commanded]
    if uncommanded:
        problems.append(f"{len(uncommanded)} file(s) with no handled command (partial write)")
    unclaimed = [e for e in reg.registrations
                 if reg.claims.get(digest(e.id_number)) != e.veteran_id]
    if unclaimed:
        problems.append(f"{len(unclaimed)} file(s) whose ID number claim is missing or not theirs")
    if len(reg.claims) != len(reg.registrations):
        problems.append(f"{len(reg.claims)} ID number claims for {len(reg.registrations)} files "
                        "(a claim without its file is a partial write)")
    return problems


def subscriber_is_exact(reg: RegistryLedger, hr: HrLedger) -> list[str]:
    """HR holds effects for stored events only, each from the event that filed it, each
    applied once: its append-only handlings (no unique key to hide a second one) hold exactly
    one row per event it has in its inbox."""
    problems = []
    by_stream = {e.veteran_id: e for e in reg.registrations}
    stored_ids = {e.event_id for e in reg.registrations}
    phantoms = [v for v in hr.veterans if v not in by_stream]
    if phantoms:
        problems.append(f"HR filed {len(phantoms)} veteran(s) the registry never stored")
    strays = [i for i in hr.inbox if i not in stored_ids]
    if strays:
        problems.append(f"HR's inbox holds {len(strays)} event(s) the registry never stored")
    twice = handled_more_than_once(reg.registrations, hr)
    if twice:
        problems.append(f"{len(twice)} stored event(s) handled more than once by HR "
                        f"({sum(twice.values())} handlings in all): the inbox let a repeat "
                        "through")
    unrecorded = [i for i in hr.inbox if i in stored_ids and not hr.handlings.get(i)]
    if unrecorded:
        problems.append(f"{len(unrecorded)} event(s) in HR's inbox without their handling")
    stray_handlings = [i for i in hr.handlings if i not in stored_ids]
    if stray_handlings:
        problems.append(f"HR handled {len(stray_handlings)} event(s) the registry never stored")
    misfiled = [v for v, (position, _) in hr.veterans.items()
                if v in by_stream and by_stream[v].position != position]
    if misfiled:
        problems.append(f"{len(misfiled)} HR row(s) filed from an event other than the file's own")
    return problems


def handled_more_than_once(events, hr: HrLedger) -> dict[str, int]:
    """Event id -> number of handlings, for the events HR handled more than once."""
    counts = {e.event_id: len(hr.handlings.get(e.event_id, ())) for e in events}
    return {event_id: n for event_id, n in counts.items() if n > 1}


def came_by_bus(events, hr: HrLedger) -> list[str]:
    """Events HR has that never came to it over the bus: catch-up brought them, so the relay
    or the bus lost them (catch-up reads the registry's log every 30 s, inside the settle
    window, and would otherwise refill the loss unseen). A bus copy turned away because
    catch-up was first counts as the bus delivering."""
    only_log = [e for e in events if e.event_id in hr.inbox and "bus" not in hr.paths(e.event_id)]
    if not only_log:
        return []
    paths = sorted(hr.paths(only_log[0].event_id)) or ["no record"]
    return [f"{len(only_log)} event(s) reached HR only by catch-up although the bus was up "
            f"(e.g. position {only_log[0].position}: {', '.join(paths)}): lost on the way "
            "from the store to HR's queue"]


def audit_is_complete(registrations: list[Registration], audit: AuditLedger) -> list[str]:
    """The audit log verifies, and no registration was acknowledged without its entry: the
    gateway must refuse (503) what it could not record, never serve it unrecorded."""
    problems = []
    if not audit.verified:
        problems.append(f"the audit log does not verify: {audit.problem}")
    unaudited = [r for r in registrations
                 if r.outcome == "acked" and audit.registered.get(r.veteran_id, 0) < 1]
    if unaudited:
        problems.append(f"{len(unaudited)} acknowledged registration(s) have no register_veteran "
                        f"audit entry for their veteran id (served unrecorded), e.g. key "
                        f"{unaudited[0].key}")
    return problems


def judge(drill: str, registrations: list[Registration], window: Window, reg: RegistryLedger,
          hr: HrLedger, bus_up: bool = True, dead_lettered: frozenset | set = frozenset(),
          ) -> Verdict:
    verdict = Verdict(drill, down_for=(window.back_at - window.injected_at) if window.outage
                      else None)
    verdict.failures.extend(window.failures)
    verdict.notes.extend(window.notes)
    by_number: dict[str, list] = {}
    for event in reg.registrations:
        by_number.setdefault(event.id_number, []).append(event)
    by_stream = {e.veteran_id: e for e in reg.registrations}
    keys = {r.key for r in registrations}
    # The gateway stores `gateway:<the caller, hashed>:<Idempotency-Key>`; matched by the key
    # alone, so the check does not depend on how the gateway spells the caller.
    by_key = {command.rsplit(":", 1)[-1]: handled for command, handled in reg.commands.items()
              if command.startswith("gateway:")}
    stream_command = {stream: key for key, (stream, _) in by_key.items()}

    for r in registrations:
        verdict.sent += 1
        handled = by_key.get(r.key)
        if r.outcome == "acked":
            verdict.acked += 1
            if len(r.veteran_ids_seen) > 1:
                verdict.duplicated += len(r.veteran_ids_seen) - 1
                verdict.failures.append(f"key {r.key} was answered with "
                                        f"{len(r.veteran_ids_seen)} different veteran ids")
            if r.expect_refusal:
                verdict.failures.append(f"re-registration {r.key} of a filed ID number was "
                                        "accepted (2xx) instead of refused")
            elif handled is None or handled[0] != r.veteran_id or r.veteran_id not in by_stream:
                verdict.lost += 1
        elif r.outcome == "refused":
            verdict.refused += 1
            last = r.attempts[-1]
            if not r.expect_refusal:
                verdict.failures.append(f"{r.key} refused with {last.status} {last.error}")
            elif last.status != 409 or last.error != "already_registered":
                verdict.failures.append(f"re-registration {r.key} got {last.status} "
                                        f"{last.error}, not 409 already_registered")
            if handled is not None:
                verdict.failures.append(f"refused command {r.key} left a handled-command row "
                                        "(partial write)")
        else:
            verdict.gave_up += 1
        for attempt in r.attempts:
            verdict.slowest = max(verdict.slowest, attempt.seconds)
            if attempt.status is None:
                verdict.no_answer[attempt.error] += 1
            elif attempt.status >= 500:
                verdict.server_errors[attempt.status] += 1
                if attempt.status == 503 and (attempt.error != "unavailable"
                                              or not attempt.message):
                    verdict.failures.append("a 503 without the 'unavailable' error and message")
            if attempt.seconds > GATEWAY_TIMEOUT + HANG_SLACK and attempt.status is not None:
                verdict.no_answer["hang"] += 1

    # Files beyond the first for one ID number: each is blamed on the command that opened it.
    for events in by_number.values():
        for extra in sorted(events, key=lambda e: e.position)[1:]:
            if stream_command.get(extra.veteran_id) in keys:
                verdict.duplicated += 1

    # Every stored event of this drill's commands reached HR, whether or not its client heard.
    mine = [e for e in reg.registrations if stream_command.get(e.veteran_id) in keys]
    undelivered = [e for e in mine if e.event_id not in hr.inbox or e.veteran_id not in hr.veterans]
    verdict.lost += len(undelivered)
    if undelivered:
        verdict.failures.append(f"{len(undelivered)} stored event(s) never reached HR")
    # ... and each was handled once (a second handling is a duplicated effect) ...
    twice = handled_more_than_once(mine, hr)
    verdict.duplicated += sum(n - 1 for n in twice.values())
    # ... and, unless the drill took the bus down, by the bus.
    if bus_up:
        verdict.failures.extend(came_by_bus([e for e in mine if e.event_id not in dead_lettered],
                                            hr))
    first = Counter(path for e in mine for path in hr.handlings.get(e.event_id, ())[:1])
    late_bus = sum(1 for e in mine if hr.handlings.get(e.event_id, [""])[0] != "bus"
                   and "bus" in hr.repeats.get(e.event_id, ()))
    verdict.notes.append("HR handled this drill's events as they first came: "
                         + (", ".join(f"{n} by {path}" for path, n in sorted(first.items()))
                            or "none")
                         + (f"; the bus copy of {late_bus} came after catch-up's" if late_bus
                            else ""))

    bad = {s: n for s, n in verdict.server_errors.items() if s != 503}
    if bad:
        verdict.failures.append("server errors other than 503: "
                                + ", ".join(f"{n}x{s}" for s, n in sorted(bad.items())))
    if verdict.server_errors.get(503) and not window.outage:
        verdict.failures.append(f"{verdict.server_errors[503]} 503(s) with no dependency down")
    if verdict.no_answer:
        verdict.failures.append("requests without a timely answer: " + ", ".join(
            f"{n}x{kind}" for kind, n in sorted(verdict.no_answer.items())))
    if verdict.gave_up:
        verdict.failures.append(f"{verdict.gave_up} registration(s) never answered with a "
                                "2xx or 4xx: the portal gave up")

    # Recovery is timed from the injection; for an outage, to the first 2xx once the dependency
    # is back (2xx that slipped through while it was going down do not count).
    api_from = window.back_at if window.outage else window.injected_at
    first_ok = [a.ended for r in registrations for a in r.attempts
                if a.status is not None and 200 <= a.status < 300
                and a.started >= window.injected_at and a.ended >= api_from]
    if first_ok:
        verdict.recover_api = min(first_ok) - window.injected_at
        if window.outage and min(first_ok) - window.back_at > RESUME_WITHIN:
            verdict.failures.append(f"service resumed only {min(first_ok) - window.back_at:.0f} s "
                                    "after the dependency was back")
    else:
        verdict.failures.append("no 2xx after the fault: service did not resume by itself")
    if window.outage:
        late = sum(1 for r in registrations for a in r.attempts
                   if a.status == 503 and a.started >= window.back_at)
        verdict.notes.append(f"{late} of the 503s answered requests sent after the dependency "
                             "was back")
    flowed = [hr.veterans[e.veteran_id][1] for e in mine
              if e.recorded_at >= window.injected_at and e.veteran_id in hr.veterans
              and hr.veterans[e.veteran_id][1] >= window.back_at]
    if flowed:
        verdict.recover_flow = min(flowed) - window.injected_at
    else:
        verdict.failures.append("no event recorded after the fault reached HR")
    return verdict


def unexpected_dead_letters(letters: list[DeadLetter], reg: RegistryLedger, hr: HrLedger,
                            expected_ids: set[str]) -> tuple[list[str], list[str]]:
    """Dead letters other than the drills' own poison: (failures, notes)."""
    stored = {e.event_id for e in reg.registrations}
    failures, notes = [], []
    for letter in letters:
        if letter.event_id in expected_ids:
            continue
        if letter.event_id in stored and letter.event_id in hr.inbox:
            notes.append(f"stored event {letter.event_id[:8]} was dead-lettered "
                         f"({letter.reason}), yet HR has its effect (catch-up or a "
                         "redelivery brought it)")
        else:
            failures.append(f"dead letter {letter.event_id[:8]} ({letter.reason}) was never "
                            "delivered")
    return failures, notes
