"""The department drills: benefits, placement, disputes' clocks and the bundle broken under load."""
from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import psycopg2
import requests

from faults.department_judges import (
    Step,
    Stored,
    completed_once,
    doubled,
    doubled_by,
    fired_once,
    lost_steps,
    matters_requested_once,
    money_matches,
    read_events,
)
from faults.invariants import Verdict, Window
from faults.portal import Attempt
from faults.stack import DISPUTES_REPLICA, STATION, Stack, shanghai_today

CLIENT_TIMEOUT = 15.0  # seconds; the gateway's own RPC timeout is 10 s
COMMAND_DEADLINE = 90.0  # a client gives up on a step after this long
RETRY_PAUSE = 0.5
WARM_UP = 4.0  # seconds of load before the fault
LOAD_AFTER = 12.0  # seconds of load after the service is back
# The runner polls every 5 s: two more polls after the first firing would show a second one.
RUNNER_POLLS = 11.0
# A killed service stays down longer than the gateway's 10 s RPC timeout: requests in flight
# time out at the gateway and the clients send them again with the same key while the first
# copies still wait in the service's queue. Both copies reach the restarted service.
DOWN_PAST_TIMEOUT = 12.0

_keys = itertools.count(1)


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def wait_for(what: str, check: Callable[[], object], timeout: float,
             interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except (requests.RequestException, psycopg2.Error):
            pass
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s")


class Client:
    """One client at the portal or a desk: sends a step until answered, with one key."""

    def __init__(self, stack: Stack):
        self.base = f"{stack.base_url}/api/v1"
        self.http = requests.Session()

    def send(self, step: Step, headers: dict, path: str, body: dict | None = None,
             in_flight: set | None = None) -> Step:
        deadline = time.monotonic() + COMMAND_DEADLINE
        headers = {**headers, "Idempotency-Key": step.key}
        while True:
            started = time.time()
            status, error, message, reply = None, "", "", {}
            if in_flight is not None:
                in_flight.add(step.key)
            try:
                response = self.http.post(self.base + path, json=body or {}, headers=headers,
                                          timeout=CLIENT_TIMEOUT)
                status = response.status_code
                try:
                    reply = response.json()
                except ValueError:
                    reply = {}
                error, message = str(reply.get("error", "")), str(reply.get("message", ""))
            except requests.Timeout:
                error = "client_timeout"
            except requests.ConnectionError:
                error = "connection_error"
                self.http = requests.Session()
            finally:
                if in_flight is not None:
                    in_flight.discard(step.key)
            step.attempts.append(Attempt(started, time.time(), status, error, message))
            if status is not None and 200 <= status < 300:
                step.outcome, step.reply = "acked", reply
                return step
            if status is not None and 400 <= status < 500:
                step.outcome, step.reply = "refused", reply
                return step
            # 503/504 or no answer: the key makes the same request safe to repeat.
            if time.monotonic() > deadline:
                step.outcome = "gave_up"
                return step
            time.sleep(RETRY_PAUSE + random.random() * RETRY_PAUSE)


class Load:
    """`clients` threads each running `flow(client, n)` with a fresh n until told to stop."""

    def __init__(self, stack: Stack, flow: Callable[[Client, int], None], clients: int = 4,
                 pause: float = 0.0):
        self.stack, self.flow, self.clients, self.pause = stack, flow, clients, pause
        self.numbers = itertools.count()
        self.stop_new = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for n in range(self.clients):
            thread = threading.Thread(target=self._run, name=f"drill-client-{n}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def _run(self) -> None:
        client = Client(self.stack)
        while not self.stop_new.is_set():
            n = next(self.numbers)
            if self.flow(client, n) is False:
                return
            if self.pause:
                time.sleep(self.pause)

    def stop(self, timeout: float = COMMAND_DEADLINE + 2 * CLIENT_TIMEOUT) -> bool:
        self.stop_new.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self.threads)


def tally(title: str, steps: list[Step], window: Window | None) -> Verdict:
    """The table's row from what the clients saw; the stores' checks add failures to it."""
    verdict = Verdict(title)
    verdict.sent = len(steps)
    verdict.acked = sum(1 for s in steps if s.outcome == "acked")
    verdict.refused = sum(1 for s in steps if s.outcome == "refused")
    verdict.gave_up = sum(1 for s in steps if s.outcome == "gave_up")
    attempts = [a for s in steps for a in s.attempts]
    verdict.server_errors = Counter(a.status for a in attempts
                                    if a.status is not None and a.status >= 500)
    verdict.no_answer = Counter(a.error for a in attempts if a.status is None)
    verdict.slowest = max((a.seconds for a in attempts), default=0.0)
    for step in steps:
        if step.outcome == "refused":
            last = step.attempts[-1]
            verdict.failures.append(f"{step.name} {step.key} refused after "
                                    f"{len(step.attempts)} attempt(s): {last.status} "
                                    f"{last.error} {last.message[:160]} "
                                    f"{json.dumps(step.reply.get('fields'), ensure_ascii=False)}")
        elif step.outcome in ("gave_up", "pending"):
            verdict.failures.append(f"{step.name} {step.key} never answered in "
                                    f"{COMMAND_DEADLINE:.0f} s ({len(step.attempts)} attempts)")
    again = [s for s in steps if len(s.attempts) > 1]
    if again:
        # A step sent again after a 503 or no answer: its first copy may have been done.
        verdict.notes.append(f"{len(again)} step(s) sent more than once with their key, "
                             f"{sum(1 for s in again if s.reply.get('replayed'))} answered as "
                             "a replay of a copy already done")
    if window is not None:
        verdict.failures.extend(window.failures)
        verdict.notes.extend(window.notes)
        verdict.down_for = window.back_at - window.injected_at
        after = [a.ended for a in attempts
                 if a.status is not None and 200 <= a.status < 300 and a.started >= window.back_at]
        verdict.recover_api = (min(after) - window.injected_at) if after else None
    return verdict


def crashes(stack: Stack, verdict: Verdict, since: float) -> None:
    for crash in stack.take_crashes():
        last = crash.last_words.strip().splitlines()[-1:] or [""]
        verdict.failures.append(f"{crash.name} exited by itself (code {crash.returncode}) "
                                f"{crash.at - since:+.1f} s into the drill; restarted. Last "
                                f"words: {last[0][:200]}")


def kill_mid_flight(stack: Stack, service: str, in_flight: dict[str, str],
                    names: tuple[str, ...], pause: float = 1.0,
                    also: Callable[[], bool] = lambda: True) -> Window:
    """kill -9 `service` the moment a step named in `names` is in flight and `also` holds (or
    after 5 s), start it again `pause` seconds later; the window closes when it consumes its
    RPC queue again."""
    deadline = time.monotonic() + 5.0
    caught: Counter = Counter()
    while time.monotonic() < deadline:
        # `also` may be slow (a query): asked first, so the in-flight look is the last thing
        # before the kill; asked the other way round, a short step could be answered meanwhile
        # and the kill would miss it.
        if also():
            caught = Counter(v for v in list(in_flight.values()) if v in names)
            if caught:
                break
        time.sleep(0.005)
    injected = time.time()
    stack.kill(service)
    time.sleep(pause)
    stack.start(service)
    stack.wait_serving(service)
    window = Window(injected, time.time(), outage=True)
    window.notes.append("killed with " + (", ".join(f"{n} {name}" for name, n in caught.items())
                                          or f"no {'/'.join(names)}") + " in flight")
    if not caught:
        window.failures.append(f"could not kill {service} with a {'/'.join(names)} in flight")
    return window


class Tracker:
    """Which steps are in flight (key -> step name), as kill_mid_flight aims at them."""

    def __init__(self):
        self.names: dict[str, str] = {}
        self.lock = threading.Lock()
        self.steps: list[Step] = []

    def new(self, name: str, expect: str, stream_id: str | None = None, fen: int = 0) -> Step:
        step = Step(f"faults-{name}-{next(_keys):06d}-{random.randrange(16**6):06x}", name,
                    expect, stream_id, fen)
        with self.lock:
            self.steps.append(step)
        return step

    def send(self, client: Client, step: Step, headers: dict, path: str,
             body: dict | None = None) -> bool:
        flying = _Flying(self.names, step.name)
        client.send(step, headers, path, body, in_flight=flying)
        return step.outcome == "acked"


class _Flying(set):
    """The set Client.send marks a step in flight with, mirrored into the tracker's names."""

    def __init__(self, names: dict[str, str], name: str):
        super().__init__()
        self.names, self.name = names, name

    def add(self, key):
        self.names[key] = self.name

    def discard(self, key):
        self.names.pop(key, None)


class DepartmentDrill:
    name = ""
    title = ""

    def run(self, stack: Stack) -> Verdict:
        raise NotImplementedError


def _load_drill(stack: Stack, tracker: Tracker, flow, kill: Callable[[], Window],
                clients: int = 4, pause: float = 0.0) -> tuple[Window, bool]:
    load = Load(stack, flow, clients=clients, pause=pause)
    load.start()
    time.sleep(WARM_UP)
    window = kill()
    time.sleep(LOAD_AFTER)
    finished = load.stop()
    if not finished:
        window.failures.append("clients still waiting after the deadline")
    return window, finished


class BenefitsKill(DepartmentDrill):
    """Hardship relief from application to disbursement, four people apart, while benefits dies."""

    name, title = "benefits_kill", "7 kill -9 benefits mid-approval"
    veterans = 10
    once = ("ReliefApplied", "ReliefReviewed", "ReliefApproved", "ReliefDisbursed")

    def run(self, stack):
        started = time.time()
        veterans = stack.register(self.veterans)
        officer = stack.token(["benefits_officer"], "faults-reviewer")
        wait_for("benefits to follow the drill's veterans", lambda: requests.get(
            f"{stack.base_url}/api/v1/benefits/veterans/{veterans[-1]}", headers=officer,
            timeout=5).status_code == 200, 60)
        handler = stack.token(["station_worker"], "faults-handler", stations=[STATION])
        approver = stack.token(["approver"], "faults-approver")
        today = shanghai_today()
        tracker = Tracker()

        def flow(client: Client, n: int):
            fen = 300_000 + n
            applied = tracker.new("apply", "ReliefApplied")
            if not tracker.send(client, applied, handler, "/benefits/relief-applications", {
                    "veteran_id": veterans[n % len(veterans)], "trigger": "illness",
                    "amount_asked_fen": fen, "circumstances": "家属重病, 自付医疗费用较高",
                    "received_on": (today - timedelta(days=10)).isoformat()}):
                return
            case = applied.stream_id = applied.reply["id"]
            path = f"/benefits/relief-applications/{case}"
            steps = [
                ("review", "ReliefReviewed", officer, "/review", 0, {
                    "opinion": "support", "recommended_fen": fen, "notes": "经核实, 情况属实",
                    "notice_from": (today - timedelta(days=9)).isoformat(),
                    "notice_to": (today - timedelta(days=1)).isoformat(),
                    "objections": False}),
                ("approve", "ReliefApproved", approver, "/approval", 0,
                 {"decision": "approve", "approved_fen": fen}),
                ("disburse", "ReliefDisbursed", officer, "/disbursement", fen,
                 {"paid_fen": fen, "paid_on": today.isoformat(), "reference": f"FD-{case[:18]}"}),
            ]
            for name, expect, who, suffix, paid, body in steps:
                step = tracker.new(name, expect, case, paid)
                if not tracker.send(client, step, who, path + suffix, body):
                    return

        window, _ = _load_drill(stack, tracker, flow, lambda: kill_mid_flight(
            stack, "benefits", tracker.names, ("approve", "disburse"), DOWN_PAST_TIMEOUT))
        verdict = tally(self.title, tracker.steps, window)
        streams = {s.stream_id for s in tracker.steps if s.stream_id}
        events = read_events(stack.db_urls["benefits"], self.once)
        judge_steps(verdict, tracker.steps, events, streams, self.once)
        if problem := money_matches(tracker.steps, events, streams, "ReliefDisbursed",
                                    "paid_fen"):
            verdict.failures.append(problem)
        paid = sum(s.fen for s in tracker.steps if s.outcome == "acked" and s.fen)
        verdict.notes.append(f"{len(streams)} applications, {paid} fen paid and acknowledged")
        crashes(stack, verdict, started)
        return verdict


def judge_steps(verdict: Verdict, steps: list[Step], events: list[Stored], streams: set[str],
                once: tuple[str, ...]) -> None:
    """Doubled steps and acknowledged steps missing from the store, onto the verdict."""
    twice = doubled(events, streams, once)
    verdict.duplicated += sum(n - 1 for n in twice.values())
    for (stream, event_type), n in sorted(twice.items())[:10]:
        verdict.failures.append(f"{event_type} recorded {n} times in {stream}")
    lost = lost_steps(steps, events)
    verdict.lost += len(lost)
    for step in lost[:10]:
        verdict.failures.append(f"{step.name} {step.key} acknowledged, no {step.expect} in "
                                f"{step.stream_id}")


class PlacementKill(DepartmentDrill):
    """Reporting in and a self-employed soldier's case steps while placement dies."""

    name, title = "placement_kill", "8 kill -9 placement mid-decision"
    veterans = 80
    once = ("ReportedIn", "ModeChosen", "SubsidyAssessed", "SubsidyPaid", "HandedToEmployment")

    def run(self, stack):
        started = time.time()
        today = shanghai_today()
        veterans = stack.register(self.veterans, discharged_on=today - timedelta(days=12))
        officer = stack.token(["placement_officer"], "faults-placement-officer")
        _wait_veterans_followed(stack, veterans[-1], "placement", "registry_facts")
        worker = stack.token(["station_worker"], "faults-station", stations=[STATION])
        tracker = Tracker()
        pool = iter(veterans)
        pool_lock = threading.Lock()

        def flow(client: Client, n: int):
            with pool_lock:
                veteran = next(pool, None)
            if veteran is None:
                return False  # every soldier reported in: this client is done
            reported = tracker.new("report_in", "ReportedIn")
            if not tracker.send(client, reported, worker, "/placement/reports", {
                    "veteran_id": veteran,
                    "discharge_approved_on": (today - timedelta(days=10)).isoformat()}):
                return
            case = reported.stream_id = reported.reply["case_id"]
            path = f"/placement/cases/{case}"
            steps = [("mode", "ModeChosen", worker, "/mode", {"mode": "self_employment"}),
                     ("subsidy", "SubsidyPaid", officer, "/subsidy-payment",
                      {"paid_on": today.isoformat(), "reference": f"FD-{case[:18]}"}),
                     ("handover", "HandedToEmployment", worker, "/employment-handover", {})]
            for name, expect, who, suffix, body in steps:
                if not tracker.send(client, tracker.new(name, expect, case), who, path + suffix,
                                    body):
                    return

        # Paced, so the soldiers last through the outage and after it.
        window, _ = _load_drill(stack, tracker, flow, lambda: kill_mid_flight(
            stack, "placement", tracker.names, ("mode", "subsidy", "handover"),
            DOWN_PAST_TIMEOUT), pause=0.8)
        verdict = tally(self.title, tracker.steps, window)
        streams = {s.stream_id for s in tracker.steps if s.stream_id}
        events = read_events(stack.db_urls["placement"], self.once)
        judge_steps(verdict, tracker.steps, events, streams, self.once)
        cases = doubled_by([e for e in events if e.data.get("veteran_id") in set(veterans)],
                           "ReportedIn", "veteran_id")
        verdict.duplicated += sum(n - 1 for n in cases.values())
        for veteran, n in cases.items():
            verdict.failures.append(f"veteran {veteran} reported in {n} times (cases opened)")
        verdict.notes.append(f"{len(streams)} cases through "
                             f"{sum(1 for s in tracker.steps if s.outcome == 'acked')} steps")
        crashes(stack, verdict, started)
        return verdict


def _move_due(url: str, streams: list[str], seconds: float, name_like: str = "%") -> int:
    """Bring the pending deadlines of `streams` due `seconds` from now.

    Why in the table: a statutory term is days long; the drills need one to come due within
    seconds. The service's clock is not touched (production code keeps no hook for it); the row
    the runner polls is moved, which is exactly what the runner sees when the day arrives.
    """
    conn = psycopg2.connect(url, connect_timeout=5)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE deadlines SET due_at = now() + make_interval(secs => %s) "
                        "WHERE stream_id = ANY(%s) AND state = 'pending' AND name LIKE %s",
                        (seconds, streams, name_like))
            return cur.rowcount
    finally:
        conn.close()


def _deadline_rows(url: str, streams: list[str]) -> list[tuple]:
    conn = psycopg2.connect(url, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT stream_id, name, state FROM deadlines WHERE stream_id = ANY(%s)",
                        (streams,))
            return cur.fetchall()
    finally:
        conn.close()


class DisputesDeadline(DepartmentDrill):
    """Petitions' intake clocks come due while disputes (two replicas) is dead, and while both
    replicas race for them."""

    name, title = "disputes_deadline", "9 deadline due, disputes dead"
    petitions = 6

    def lodge(self, stack: Stack, officer: dict, count: int) -> list[str]:
        client, ids = Client(stack), []
        for n in range(count):
            step = Step(f"faults-petition-{next(_keys):06d}-{random.randrange(16**6):06x}",
                        "lodge", "PetitionLodged")
            client.send(step, officer, "/disputes/petitions", {
                "service_station": STATION, "channel": "in_person", "petitioner_kind": "veteran",
                "petitioner_name": f"演练信访人{n:03d}{random.randrange(1000):03d}",
                "category": "benefits", "separate_matter": True,
                "request": "请求核实并补发定期生活补助", "facts": "多次询问未果, 请求答复。"})
            if step.outcome != "acked":
                raise RuntimeError(f"could not lodge a petition: {step.attempts[-1]}")
            ids.append(step.reply["case_id"])
        return ids

    def run(self, stack):
        started = time.time()
        url = stack.db_urls["disputes"]
        officer = stack.token(["disputes_officer"], "faults-disputes")
        stack.start(DISPUTES_REPLICA)
        stack.wait_serving("disputes")
        time.sleep(3)  # the replica's runner starts with its container
        verdict = Verdict(self.title)
        # Across the outage: due 6 s from now, both replicas killed now, back 10 s after due.
        dead = self.lodge(stack, officer, self.petitions)
        moved = _move_due(url, dead, 6.0, "intake")
        injected = time.time()
        stack.kill("disputes")
        stack.kill(DISPUTES_REPLICA)
        time.sleep(16.0)
        restarted = time.time()
        stack.start("disputes")
        stack.start(DISPUTES_REPLICA)
        stack.wait_serving("disputes")
        back = time.time()
        window = Window(injected, back, outage=True)
        # Racing: due 3 s from now with both replicas polling.
        racing = self.lodge(stack, officer, self.petitions)
        moved += _move_due(url, racing, 3.0, "intake")
        if moved != 2 * self.petitions:
            verdict.failures.append(f"{moved} intake clocks moved, not {2 * self.petitions}")
        every = set(dead) | set(racing)

        def all_fired():
            events = read_events(url, ("PetitionIntakeOverdue",))
            return not fired_once(events, every, "PetitionIntakeOverdue") and events

        try:
            wait_for("every intake clock to fire", all_fired, 60)
        except TimeoutError as exc:
            verdict.failures.append(str(exc))
        fired_at = time.time()
        time.sleep(RUNNER_POLLS)  # a second firing would come within the next polls
        events = read_events(url, ("PetitionIntakeOverdue",))
        wrong = fired_once(events, every, "PetitionIntakeOverdue")
        verdict.duplicated = sum(n - 1 for n in wrong.values() if n > 1)
        verdict.lost = sum(1 for n in wrong.values() if n == 0)
        for stream, n in sorted(wrong.items()):
            verdict.failures.append(f"petition {stream}: PetitionIntakeOverdue {n} times, not once")
        states = Counter(state for _, name, state in _deadline_rows(url, sorted(every))
                         if name == "intake")
        if states != Counter({"fired": len(every)}):
            verdict.failures.append(f"intake deadline rows: {dict(states)}")
        fired = {e.stream_id: e.recorded_at for e in events if e.stream_id in every}
        late = [fired[s] - restarted for s in dead if s in fired]
        verdict.sent = verdict.acked = len(every)
        verdict.down_for = back - injected
        verdict.recover_api = (max(late) + restarted - injected) if late else None
        verdict.recover_flow = fired_at - injected
        verdict.notes.append(f"{len(dead)} clocks due while both replicas were dead fired "
                             f"{min(late, default=0):.1f} to {max(late, default=0):.1f} s after "
                             f"their processes were started again; {len(racing)} fired with two "
                             "replicas polling")
        verdict.notes.extend(window.notes)
        crashes(stack, verdict, started)
        stack.kill(DISPUTES_REPLICA)
        return verdict


def _bundle_form(today) -> dict:
    """A self-employed-free, card-free bundle: every matter it asks for completes without a
    person (the departments answer, placement and the registry answer the commands)."""
    return {"discharge_approved_on": (today - timedelta(days=10)).isoformat(),
            "rank_class": "conscript", "years_of_service": 2,
            "leave_out": [{"matter": "card", "reason": "到服务站现场申领"}]}


def _bundle_states(url: str, bundles: set[str]) -> dict[str, str]:
    conn = psycopg2.connect(url, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT stream_id FROM stored_events WHERE event_type = "
                        "'BundleCompleted' AND stream_id = ANY(%s)", (sorted(bundles),))
            return {row[0]: "complete" for row in cur}
    finally:
        conn.close()


def _outbox_rows(url: str) -> list[tuple[str, str]]:
    conn = psycopg2.connect(url, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT case_id, step FROM outbox")
            return [tuple(r) for r in cur]
    finally:
        conn.close()


class BundleLoad:
    """Veterans submitting bundles at a steady rate, one bundle each, retried with one key."""

    def __init__(self, stack: Stack, veterans: list[str], tracker: Tracker, every: float = 0.5):
        self.stack, self.tracker, self.every = stack, tracker, every
        self.pool = iter(veterans)
        self.lock = threading.Lock()
        self.form = _bundle_form(shanghai_today())
        self.tokens = {v: stack.token(["veteran"], f"faults-soldier-{v[:8]}", veteran_id=v)
                       for v in veterans}
        self.submitted: dict[str, str] = {}  # bundle -> veteran
        self.submitted_at: dict[str, float] = {}  # bundle -> when first sent

    def flow(self, client: Client, n: int):
        with self.lock:
            veteran = next(self.pool, None)
        if veteran is None:
            return False
        step = self.tracker.new("submit", "BundleSubmitted")
        if self.tracker.send(client, step, self.tokens[veteran], "/bundles", self.form):
            step.stream_id = step.reply["bundle_id"]
            with self.lock:
                self.submitted[step.stream_id] = veteran
                self.submitted_at[step.stream_id] = step.attempts[0].started
        time.sleep(self.every)


def _wait_veterans_followed(stack: Stack, veteran: str, service: str = "bundle",
                            table: str = "bundle_veterans", timeout: float = 90) -> None:
    """A service refuses a veteran it has not followed from the registry yet; events arrive in
    order, so once it holds the last one registered it holds them all."""
    url = stack.db_urls[service]

    def followed():
        conn = psycopg2.connect(url, connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT 1 FROM {table} WHERE veteran_id::text = %s", (veteran,))
                return cur.fetchone() is not None
        finally:
            conn.close()

    wait_for(f"{service} to follow the drill's veterans", followed, timeout)


def judge_bundles(stack: Stack, verdict: Verdict, tracker: Tracker, bundles: set[str],
                  veterans: list[str], complete_within: float) -> float | None:
    """Every bundle completes once, each matter requested once in effect, each soldier
    reported in once; returns the seconds until the last completed."""
    url = stack.db_urls["bundle"]
    began = time.time()
    try:
        wait_for("every bundle to complete",
                 lambda: len(_bundle_states(url, bundles)) == len(bundles), complete_within, 1.0)
    except TimeoutError as exc:
        verdict.failures.append(f"{exc}: {len(bundles) - len(_bundle_states(url, bundles))} "
                                f"of {len(bundles)} not complete")
    done = time.time() - began
    events = read_events(url, ("BundleSubmitted", "MatterRequested", "BundleCompleted"))
    judge_steps(verdict, tracker.steps, events, bundles, ("BundleSubmitted",))
    problems = matters_requested_once(events, _outbox_rows(url), bundles)
    verdict.duplicated += len(problems)
    verdict.failures.extend(problems[:10])
    wrong = completed_once(events, bundles)
    verdict.duplicated += sum(n - 1 for n in wrong.values() if n > 1)
    reported = read_events(stack.db_urls["placement"], ("ReportedIn",))
    twice = doubled_by([e for e in reported if e.data.get("veteran_id") in set(veterans)],
                       "ReportedIn", "veteran_id")
    verdict.duplicated += sum(n - 1 for n in twice.values())
    for veteran, n in twice.items():
        verdict.failures.append(f"veteran {veteran} reported in {n} times through the bundle")
    for bundle, n in sorted(wrong.items()):
        if n > 1:
            verdict.failures.append(f"bundle {bundle} completed {n} times")
    requested = Counter(e.data.get("matter") for e in events if e.kind == "MatterRequested"
                        and e.stream_id in bundles)
    verdict.notes.append(f"{len(bundles)} bundles, {sum(requested.values())} matters requested "
                         f"({', '.join(f'{m} {n}' for m, n in sorted(requested.items()))})")
    return done


class BundleKill(DepartmentDrill):
    """Bundles submitted at a steady rate while the bundle service dies mid fan-out."""

    name, title = "bundle_kill", "10 kill -9 bundle mid fan-out"
    veterans = 40

    def run(self, stack):
        started = time.time()
        veterans = stack.register(self.veterans)
        _wait_veterans_followed(stack, veterans[-1])
        tracker = Tracker()
        load = BundleLoad(stack, veterans, tracker)
        window, _ = _load_drill(stack, tracker, load.flow, lambda: self.kill(stack, tracker),
                                clients=2)
        verdict = tally(self.title, tracker.steps, window)
        bundles = set(load.submitted)
        verdict.recover_flow = judge_bundles(stack, verdict, tracker, bundles, veterans, 150)
        crashes(stack, verdict, started)
        return verdict


    @staticmethod
    def kill(stack: Stack, tracker: Tracker) -> Window:
        """kill -9 the bundle with commands to our services in its outbox not yet answered
        (its fan-out under way), then as kill_mid_flight."""
        url = stack.db_urls["bundle"]

        def pending() -> int:
            conn = psycopg2.connect(url, connect_timeout=5)
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT count(*) FROM outbox WHERE status = 'pending'")
                    return cur.fetchone()[0]
            finally:
                conn.close()

        seen = [0]

        def fanning_out() -> bool:
            seen[0] = pending()
            return seen[0] > 0

        window = kill_mid_flight(stack, "bundle", tracker.names, ("submit",), DOWN_PAST_TIMEOUT,
                                 also=fanning_out)
        waiting = seen[0]
        window.notes.append(f"{waiting} outbox command(s) pending just before the kill")
        if not waiting:
            window.failures.append("could not kill the bundle mid fan-out: its outbox was empty")
        return window


class DepartmentStopped(DepartmentDrill):
    """Placement stopped 20 s while bundles arrive: its matters wait, then complete; the
    overview answers 200 throughout, its placement section unavailable meanwhile."""

    name, title = "placement_stopped", "11 placement stopped 20 s"
    veterans = 36
    down = 20.0

    def run(self, stack):
        started = time.time()
        veterans = stack.register(self.veterans)
        _wait_veterans_followed(stack, veterans[-1])
        worker = stack.token(["station_worker"], "faults-overview", stations=[STATION])
        tracker = Tracker()
        load = BundleLoad(stack, veterans, tracker, every=2.0)
        pages: list[tuple[float, int | None, str | None]] = []
        looking = threading.Event()

        def overview():
            http = requests.Session()
            while not looking.is_set():
                sent = time.time()
                status, placement = None, None
                try:
                    reply = http.get(f"{stack.base_url}/api/v1/veterans/{veterans[0]}/overview",
                                     headers=worker, timeout=CLIENT_TIMEOUT)
                    status = reply.status_code
                    if status == 200:
                        section = reply.json()["placement"]
                        placement = f"{section['status']}/{section['reason']}" \
                            if section["reason"] else section["status"]
                except (requests.RequestException, ValueError, KeyError, TypeError):
                    pass
                pages.append((sent, status, placement))
                time.sleep(0.5)

        watcher = threading.Thread(target=overview, daemon=True)
        watcher.start()
        clients = Load(stack, load.flow, clients=2)
        clients.start()
        time.sleep(WARM_UP)
        injected = time.time()
        stack.kill("placement")
        time.sleep(self.down)
        restarted = time.time()
        stack.start("placement")
        stack.wait_serving("placement")
        back = time.time()
        time.sleep(LOAD_AFTER)
        window = Window(injected, back, outage=True)
        if not clients.stop():
            window.failures.append("clients still waiting after the deadline")
        verdict = tally(self.title, tracker.steps, window)
        bundles = set(load.submitted)
        verdict.recover_flow = judge_bundles(stack, verdict, tracker, bundles, veterans, 150)
        looking.set()
        watcher.join(CLIENT_TIMEOUT + 1)
        during = {b for b, v in load.submitted.items()
                  if injected <= load.submitted_at.get(b, 0) < back}
        done = [e.recorded_at - restarted for e in read_events(stack.db_urls["bundle"], ("MatterDone",))
                if e.stream_id in during and e.data.get("matter") == "reporting_in"]
        verdict.notes.append(f"{len(during)} bundles submitted while placement was stopped: "
                             f"reporting in done {min(done, default=0):.1f} to "
                             f"{max(done, default=0):.1f} s after it was started again")
        if done:
            # Here: from the stop to the last waiting matter done, not to the last completion.
            verdict.recover_flow = restarted + max(done) - injected
        if not during:
            verdict.failures.append("no bundle was submitted while placement was stopped")
        elif len(done) < len(during) or min(done) < 0:
            verdict.failures.append(f"{len(done)} of {len(during)} reporting-in matters asked "
                                    "while placement was stopped done, not all after its restart")
        statuses = Counter(status for _, status, _ in pages)
        while_down = Counter(p for sent, status, p in pages if injected + 1 < sent < back - 1)
        verdict.notes.append(f"overview: {len(pages)} reads, statuses "
                             f"{dict(statuses)}; placement section while stopped "
                             f"{dict(while_down)}")
        if set(statuses) != {200}:
            verdict.failures.append(f"overview answered {dict(statuses)}, not only 200")
        if not while_down or not all(p and p.startswith("unavailable") for p in while_down):
            verdict.failures.append("the overview's placement section was not marked "
                                    f"unavailable while placement was stopped: {dict(while_down)}")
        crashes(stack, verdict, started)
        return verdict


class DepartmentSilent(DepartmentDrill):
    """The armed forces department never answers: its matter goes overdue once, the veteran is
    told, the station's staff list shows it."""

    name, title = "department_silent", "12 a department never answers"
    veterans = 4
    matter = "reserve_registration"
    department = "dept-armed_forces"

    def run(self, stack):
        started = time.time()
        url = stack.db_urls["bundle"]
        stack.kill(self.department)
        injected = time.time()
        verdict = Verdict(self.title)
        try:
            veterans = stack.register(self.veterans)
            _wait_veterans_followed(stack, veterans[-1])
            tracker = Tracker()
            load = BundleLoad(stack, veterans, tracker, every=0.2)
            Load(stack, load.flow, clients=1).start()
            wait_for("the bundles submitted", lambda: len(load.submitted) == self.veterans, 60)
            bundles = sorted(load.submitted)
            wait_for(f"{self.matter} requested in every bundle", lambda: len({
                e.stream_id for e in read_events(url, ("MatterRequested",))
                if e.stream_id in bundles and e.data.get("matter") == self.matter}) == len(bundles),
                60)
            moved = _move_due(url, bundles, 3.0, f"%{self.matter}%")
            verdict = tally(self.title, tracker.steps, None)
            if moved != len(bundles):
                verdict.failures.append(f"{moved} {self.matter} terms moved, not {len(bundles)}")
            try:
                wait_for("every silent matter overdue", lambda: not fired_once(
                    [e for e in read_events(url, ("MatterOverdue",))
                     if e.data.get("matter") == self.matter], set(bundles), "MatterOverdue"), 60)
            except TimeoutError as exc:
                verdict.failures.append(str(exc))
            overdue_at = time.time()
            time.sleep(RUNNER_POLLS)
            overdue = [e for e in read_events(url, ("MatterOverdue",)) if e.stream_id in bundles]
            wrong = fired_once([e for e in overdue if e.data.get("matter") == self.matter],
                               set(bundles), "MatterOverdue")
            others = [e for e in overdue if e.data.get("matter") != self.matter]
            verdict.duplicated += sum(n - 1 for n in wrong.values() if n > 1)
            verdict.lost += sum(1 for n in wrong.values() if n == 0)
            for stream, n in sorted(wrong.items()):
                verdict.failures.append(f"bundle {stream}: MatterOverdue {n} times, not once")
            if others:
                verdict.failures.append(f"{len(others)} other matter(s) went overdue")
            self.told(stack, verdict, bundles, load)
            verdict.sent = verdict.sent or len(bundles)
            verdict.down_for = overdue_at - injected
            verdict.recover_flow = overdue_at - injected
        finally:
            # The department comes back and catches up (its matters are then answered late).
            stack.start(self.department)
        crashes(stack, verdict, started)
        return verdict

    def told(self, stack: Stack, verdict: Verdict, bundles: list[str], load: BundleLoad) -> None:
        """One overdue notice per bundle, in the notices table and the local sender's log; and
        every bundle on the station's staff list with the matter overdue."""
        url = stack.db_urls["bundle"]

        def notices() -> Counter:
            conn = psycopg2.connect(url, connect_timeout=5)
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT case_id, status FROM notifications WHERE kind = "
                                "'matter_overdue' AND case_id = ANY(%s)", (bundles,))
                    return Counter(cur.fetchall())
            finally:
                conn.close()

        try:
            wait_for("the overdue notices sent", lambda: sum(
                n for (_, status), n in notices().items() if status == "sent") >= len(bundles),
                30)
        except TimeoutError as exc:
            verdict.failures.append(str(exc))
        rows = notices()
        per_bundle = Counter(bundle for (bundle, _), n in rows.items() for _ in range(n))
        wrong = {b: per_bundle.get(b, 0) for b in bundles if per_bundle.get(b, 0) != 1}
        for bundle, n in wrong.items():
            verdict.failures.append(f"bundle {bundle}: {n} overdue notices, not one")
        verdict.duplicated += sum(n - 1 for n in wrong.values() if n > 1)
        logged = Counter()
        if stack.notice_log.exists():
            for line in stack.notice_log.read_text().splitlines():
                try:
                    notice = json.loads(line)
                except ValueError:
                    continue
                if notice.get("kind") == "matter_overdue":
                    logged[notice.get("recipient")] += 1
        unlogged = [v for b, v in load.submitted.items() if logged.get(v, 0) != 1]
        if unlogged:
            verdict.failures.append(f"{len(unlogged)} veteran(s) without exactly one overdue "
                                    f"notice in the notice log ({dict(logged)})")
        worker = stack.token(["station_worker"], "faults-attention", stations=[STATION])
        listed = requests.get(f"{stack.base_url}/api/v1/bundles/attention", headers=worker,
                              params={"kind": "overdue"}, timeout=CLIENT_TIMEOUT)
        if listed.status_code != 200:
            verdict.failures.append(f"staff list answered {listed.status_code}")
            return
        on_list = {(i["bundle_id"], i["matter"]) for i in listed.json()["items"]}
        missing = [b for b in bundles if (b, self.matter) not in on_list]
        if missing:
            verdict.failures.append(f"{len(missing)} overdue matter(s) not on the staff list")
        verdict.notes.append(f"{len(bundles)} {self.matter} overdue once each, "
                             f"{sum(per_bundle.values())} notices, "
                             f"{len(bundles) - len(missing)} on the staff list")


DRILLS: list[DepartmentDrill] = [BenefitsKill(), PlacementKill(), DisputesDeadline(),
                                 BundleKill(), DepartmentStopped(), DepartmentSilent()]
