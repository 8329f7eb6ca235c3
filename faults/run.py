"""`make faults`: the registry drills, then the department drills, on private instances; one table."""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import time

import psycopg2
import requests

from chassis.deadletters import list_dead_letters
from faults.bureau import HR_QUEUE, Bureau
from faults.departments import DRILLS as DEPARTMENT_DRILLS
from faults.departments import DepartmentDrill
from faults.drills import DRILLS, Drill, Grounds
from faults.infrastructure import BASE, PrivatePostgres, PrivateRabbit
from faults.invariants import (
    Verdict,
    audit_is_complete,
    judge,
    store_is_whole,
    subscriber_is_exact,
    unexpected_dead_letters,
)
from faults.ledger import (
    read_audit,
    read_hr,
    read_registry,
    rebuilt_veteran_list,
    veteran_list_rows,
)
from faults.portal import Portal
from faults.stack import Stack

WARM_UP = 4.0  # seconds of steady load before each fault
LOAD_AFTER = 12.0  # seconds of load after the dependency is back
SETTLE_WITHIN = 75.0  # catch-up runs every 30 s, so a lost delivery gets two chances
BUDGET = 540.0  # a registry drill does not start after this many seconds
# Nor a department drill after this many: `make faults` stays under 15 minutes.
DEPARTMENT_BUDGET = 780.0
RATE = float(os.environ.get("VETLIFE_FAULTS_RATE", "30"))


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def settle(grounds: Grounds) -> list[str]:
    """Wait until the relay has published everything, HR has every event and its queue is empty;
    return what never settled."""
    deadline = time.monotonic() + SETTLE_WITHIN
    problem = ["nothing read yet"]
    while time.monotonic() < deadline:
        try:
            reg = read_registry(grounds.bureau.registry_url)
            hr = read_hr(grounds.bureau.hr_url)
        except psycopg2.Error as exc:
            problem = [f"databases unreadable: {type(exc).__name__}"]
            time.sleep(1)
            continue
        missing = sum(1 for e in reg.registrations if e.event_id not in hr.inbox)
        depth = grounds.rabbit.queue_depth(HR_QUEUE)
        problem = []
        if reg.relay_checkpoint < reg.head:
            problem.append(f"relay checkpoint {reg.relay_checkpoint} behind head {reg.head}")
        if missing:
            problem.append(f"{missing} event(s) not yet in HR's inbox")
        if depth:
            problem.append(f"HR's queue still holds {depth} message(s)")
        if not problem:
            return []
        time.sleep(1)
    return problem


def projection_matches(grounds: Grounds) -> list[str]:
    """The live veteran list equals a rebuild from the events, once the registry caught it up."""
    bureau = grounds.bureau
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        # Any list request makes the registry catch its projection up, as a portal's would.
        try:
            requests.get(f"{bureau.base_url}/api/v1/veterans?page_size=1", headers=bureau.auth,
                         timeout=15)
        except requests.RequestException:
            pass
        reg = read_registry(bureau.registry_url)
        if reg.projection_checkpoint == reg.head:
            break
        time.sleep(0.5)
    else:
        return [f"veteran_list stuck at {reg.projection_checkpoint}, head {reg.head}"]
    live = veteran_list_rows(bureau.registry_url)
    rebuilt = rebuilt_veteran_list(bureau.registry_url)
    if live != rebuilt:
        return [f"veteran_list differs from a rebuild: {len(live - rebuilt)} row(s) only live, "
                f"{len(rebuilt - live)} only rebuilt"]
    return []


def run_drill(grounds: Grounds, drill: Drill, seen_letters: set) -> Verdict:
    say(f"drill {drill.title}: load on")
    portal = Portal(grounds.bureau.base_url, drill.name, grounds.bureau.auth, rate=RATE)
    portal.start()
    time.sleep(WARM_UP)
    window = drill.inject(grounds)
    say(f"drill {drill.title}: injected" + (
        f"; dependency back after {window.back_at - window.injected_at:.1f} s"
        if window.back_at > window.injected_at else ""))
    time.sleep(LOAD_AFTER)
    if not portal.stop():
        window.failures.append("portal clients still waiting after the deadline")
    say(f"drill {drill.title}: load off ({len(portal.registrations)} registrations); settling")
    window.failures.extend(f"never settled: {p}" for p in settle(grounds))
    drill.verify(grounds, window)
    reg = read_registry(grounds.bureau.registry_url)
    hr = read_hr(grounds.bureau.hr_url)
    letters = [d for d in list_dead_letters(HR_QUEUE, grounds.rabbit.uri)
               if (d.event_id, d.failed_at) not in seen_letters]
    seen_letters.update((d.event_id, d.failed_at) for d in letters)
    # A dead-lettered event did come by the bus (its handler failed there); catch-up may then
    # bring it, and unexpected_dead_letters below reports it, not the bus check.
    verdict = judge(drill.title, portal.registrations, window, reg, hr, bus_up=drill.bus_up,
                    dead_lettered={d.event_id for d in letters})
    verdict.failures.extend(store_is_whole(reg))
    verdict.failures.extend(subscriber_is_exact(reg, hr))
    verdict.failures.extend(projection_matches(grounds))
    audit = read_audit(grounds.bureau.gateway_db_url, grounds.bureau.anchor_path)
    verdict.failures.extend(audit_is_complete(portal.registrations, audit))
    if audit.verified:
        verdict.notes.append(f"audit log verified: {audit.entries} entries, "
                             f"{audit.anchors_checked} anchor(s) checked")
    failures, notes = unexpected_dead_letters(letters, reg, hr, grounds.planted)
    verdict.failures.extend(failures)
    verdict.notes.extend(notes)
    for crash in grounds.bureau.take_crashes():
        last = crash.last_words.strip().splitlines()[-1:] or [""]
        verdict.failures.append(
            f"{crash.name} exited by itself (code {crash.returncode}) "
            f"{crash.at - window.injected_at:+.1f} s after the injection; the supervisor "
            f"restarted it. Last words: {last[0][:200]}")
    say(f"drill {drill.title}: {'passed' if verdict.passed else 'FAILED'}")
    return verdict


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def table(verdicts: list[Verdict]) -> str:
    header = ("scenario", "sent", "acked", "refused", "lost", "duplicated", "5xx", "slowest",
              "dep. down", "time to recover", "events flow", "result")
    rows = [header]
    for v in verdicts:
        errors = " ".join(f"{n}x{s}" for s, n in sorted(v.server_errors.items())) or "0"
        rows.append((v.drill, str(v.sent), str(v.acked), str(v.refused), str(v.lost),
                     str(v.duplicated), errors, _seconds(v.slowest), _seconds(v.down_for),
                     _seconds(v.recover_api),
                     _seconds(v.recover_flow), "ok" if v.passed else "FAIL"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_department_drill(stack: Stack, drill: DepartmentDrill) -> Verdict:
    say(f"drill {drill.title}: start")
    try:
        verdict = drill.run(stack)
    except Exception as exc:  # noqa: BLE001 - a drill that cannot finish fails, the rest run
        verdict = Verdict(drill.title)
        verdict.failures.append(f"the drill could not finish: {type(exc).__name__}: {exc}")
        for crash in stack.take_crashes():
            verdict.failures.append(f"{crash.name} exited by itself (code {crash.returncode})")
    say(f"drill {drill.title}: {'passed' if verdict.passed else 'FAILED'}")
    return verdict


def main() -> int:
    started = time.monotonic()
    pg = PrivatePostgres(int(os.environ.get("VETLIFE_FAULTS_PG_PORT", "5442")))
    rabbit = PrivateRabbit(int(os.environ.get("VETLIFE_FAULTS_AMQP_PORT", "5682")),
                           int(os.environ.get("VETLIFE_FAULTS_DIST_PORT", "25682")))
    port = int(os.environ.get("VETLIFE_FAULTS_GATEWAY_PORT", "8891"))
    bureau = Bureau(pg, rabbit, port)
    stack = Stack(pg, rabbit, port)
    chosen = [n for n in os.environ.get("VETLIFE_FAULTS_DRILLS", "").split(",") if n]
    registry_drills = [d for d in DRILLS if not chosen or d.name in chosen]
    department_drills = [d for d in DEPARTMENT_DRILLS if not chosen or d.name in chosen]
    cleaned = False

    def clean_up() -> None:
        nonlocal cleaned
        if cleaned:
            return
        cleaned = True
        say("stopping the bureau's processes and the private instances")
        bureau.stop_all()
        stack.stop_all()
        rabbit.shut_down()
        pg.shut_down()
        # Logs stay for a post-mortem; the data directories go.
        shutil.rmtree(pg.data, ignore_errors=True)
        shutil.rmtree(rabbit.root / "mnesia", ignore_errors=True)

    atexit.register(clean_up)
    # SIGTERM (make interrupted, CI timeout) must still clean up, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    verdicts: list[Verdict] = []
    try:
        pg.stop_leftover()
        rabbit.stop_leftover()
        for leftover in ("pg", "rabbit", "logs", "keys", "departments"):
            shutil.rmtree(BASE / leftover, ignore_errors=True)
        say(f"private PostgreSQL on :{pg.port}, RabbitMQ {rabbit.nodename} on :{rabbit.port}")
        pg.create()
        pg.start()
        rabbit.create()
        rabbit.start()
        if registry_drills:
            bureau.migrate()
            bureau.start_all()
            say(f"bureau up: gateway {bureau.base_url}; logs in {bureau.logs}")
            grounds = Grounds(pg, rabbit, bureau, planted=set())
            seen_letters: set = set()
            for drill in registry_drills:
                if time.monotonic() - started > BUDGET:
                    verdict = Verdict(drill.title)
                    verdict.failures.append("not run: the 10 minute budget was spent")
                    verdicts.append(verdict)
                    continue
                verdicts.append(run_drill(grounds, drill, seen_letters))
            # The department drills start the whole platform on the same instances, its own
            # databases; the registry drills' processes go first (the same gateway port).
            bureau.stop_all()
        if department_drills:
            stack.migrate()
            say("starting every service, relay, the gateway and the reference departments")
            up_from = time.monotonic()
            stack.start_all()
            say(f"platform up in {time.monotonic() - up_from:.0f} s; logs in {stack.logs}")
            for drill in department_drills:
                if time.monotonic() - started > DEPARTMENT_BUDGET:
                    verdict = Verdict(drill.title)
                    verdict.failures.append("not run: the 15 minute budget was spent")
                    verdicts.append(verdict)
                    continue
                verdicts.append(run_department_drill(stack, drill))
    finally:
        clean_up()

    elapsed = time.monotonic() - started
    report = [table(verdicts), ""]
    for v in verdicts:
        for failure in v.failures:
            report.append(f"FAIL  {v.drill}: {failure}")
    for v in verdicts:
        for note in v.notes:
            report.append(f"note  {v.drill}: {note}")
    lost = sum(v.lost for v in verdicts)
    duplicated = sum(v.duplicated for v in verdicts)
    failed = [v for v in verdicts if not v.passed]
    report.append(f"\n{len(verdicts) - len(failed)}/{len(verdicts)} drills passed; lost {lost}, "
                  f"duplicated {duplicated}; wall time {elapsed:.0f} s")
    text = "\n".join(report)
    print("\n" + text, flush=True)
    BASE.mkdir(parents=True, exist_ok=True)
    (BASE / "report.txt").write_text(text + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
