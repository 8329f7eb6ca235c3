"""Deadlines on the real PostgreSQL: set with events, met, fired exactly once across crashes and two runners."""
import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import eventlet
import eventlet.event
import pytest
from nameko.containers import ServiceContainer
from nameko.testing.services import dummy, entrypoint_hook

from chassis.clock import SHANGHAI, ManualClock
from chassis.db import Database
from chassis.deadlines import (
    FIRING_ACTOR,
    Backoff,
    Deadline,
    DeadlineAlreadyPending,
    DeadlineChanges,
    DeadlineRunner,
    Deadlines,
    deadline_id,
    deadlines_for,
    firing_command_id,
)
from chassis.envelope import Metadata, NewEvent
from chassis.errors import IdempotencyKeyReused, StoreUnavailable, StreamVersionConflict
from chassis.migrate import CHASSIS_MIGRATIONS
from chassis.store import PostgresEventStore
from contracts.deadlines import DeadlineView
from tests.conftest import fresh_database, truncate, wait_until

ROOT = Path(__file__).resolve().parents[2]
CHANNEL = "petitions_events"
# Petition p-1 is received on Monday 2 November 2026: its written notice is due within 15 days
# (Tuesday 17 November), its opinion within 60 (Friday 1 January 2027).
RECEIVED = date(2026, 11, 2)
NOTICE_DUE = date(2026, 11, 17)
OPINION_DUE = date(2027, 1, 1)
BEFORE = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def deadlines_database_url():
    return fresh_database("vetlife_deadlines_test", [CHASSIS_MIGRATIONS])


@pytest.fixture
def db(deadlines_database_url):
    db = Database(deadlines_database_url)
    truncate(db, "deadlines")
    yield db
    db.close()


@pytest.fixture
def store(db):
    return PostgresEventStore(db, CHANNEL)


@pytest.fixture
def clock():
    return ManualClock(BEFORE)


@pytest.fixture
def second_db(deadlines_database_url):
    """Another service instance's own pool: its runner talks over its own connections."""
    db = Database(deadlines_database_url)
    yield db
    db.close()


def notice_deadline(petition="p-1"):
    return Deadline.on("written_notice", NOTICE_DUE, "PetitionNoticeOverdue",
                       {"petition_id": petition, "due_on": NOTICE_DUE.isoformat()})


def opinion_deadline(petition="p-1", due=OPINION_DUE):
    return Deadline.on("opinion", due, "PetitionOpinionOverdue",
                       {"petition_id": petition, "due_on": due.isoformat()})


def receive(store, petition="p-1", **kwargs):
    """The petition office receives a petition: its two clocks start with the event."""
    return store.append(
        petition, [NewEvent("PetitionReceived", {"petition_id": petition})], 0,
        kwargs.pop("metadata", Metadata(correlation_id=f"corr-{petition}")),
        deadlines=DeadlineChanges(set=[notice_deadline(petition), opinion_deadline(petition)]),
        **kwargs)


def send_notice(store, clock, petition="p-1", version=1):
    return store.append(petition, [NewEvent("PetitionNoticeSent", {"petition_id": petition})],
                        version, Metadata(),
                        deadlines=DeadlineChanges(met=["written_notice"], at=clock.now()))


def rows(db, stream_id=None):
    with db.transaction() as cur:
        cur.execute(
            "SELECT deadline_id::text, name, generation, state, due_at, fired_at, attempts, "
            "last_error, next_attempt_at, claimed_by, correlation_id FROM deadlines "
            "WHERE %s IS NULL OR stream_id = %s ORDER BY due_at, name, generation",
            (stream_id, stream_id))
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def firing_events(db):
    """(stream, causation) of every event a deadline appended, with how often each is there."""
    with db.transaction() as cur:
        cur.execute("SELECT causation_id, count(*) FROM stored_events "
                    "WHERE causation_id LIKE 'deadline:%%' GROUP BY causation_id")
        return dict(cur.fetchall())


def head(db):
    with db.transaction() as cur:
        cur.execute("SELECT position FROM store_head")
        return cur.fetchone()[0]


# -- set, met, cancelled with the events ---------------------------------------------------------

class CountingCursor:
    def __init__(self, cur, entry):
        self.cur, self.entry = cur, entry

    def execute(self, *args):
        self.entry[1] += 1
        return self.cur.execute(*args)

    def fetchone(self):
        return self.cur.fetchone()


class CountingDatabase(Database):
    """Records each unit of work the store opens and every statement sent in it."""

    def __init__(self, url):
        super().__init__(url)
        self.log = []

    @contextmanager
    def _counted(self, scope, kind):
        with scope() as cur:
            entry = [kind, 0]
            self.log.append(entry)
            yield CountingCursor(cur, entry)

    def statement(self):
        return self._counted(super().statement, "statement")

    def transaction(self):
        return self._counted(super().transaction, "transaction")


def test_deadlines_are_set_with_their_events_in_one_round_trip(deadlines_database_url, db):
    counting = CountingDatabase(deadlines_database_url)
    store = PostgresEventStore(counting, CHANNEL)
    try:
        receive(store, metadata=Metadata(correlation_id="corr-received"))
        store.append("p-2", [NewEvent("PetitionReceived", {"petition_id": "p-2"})], 0,
                     Metadata())
    finally:
        counting.close()

    # Autocommit, one statement each: with deadlines as without.
    assert counting.log == [["statement", 1], ["statement", 1]]
    assert [(r["name"], r["generation"], r["state"], r["due_at"], r["correlation_id"])
            for r in rows(db)] == [
        ("written_notice", 1, "pending", datetime(2026, 11, 18, tzinfo=SHANGHAI), "corr-received"),
        ("opinion", 1, "pending", datetime(2027, 1, 2, tzinfo=SHANGHAI), "corr-received")]
    assert rows(db)[0]["deadline_id"] == deadline_id("p-1", "written_notice", 1)


def test_a_refused_append_sets_no_deadline(store, db):
    store.append("p-1", [NewEvent("PetitionReceived", {})], 0, Metadata(), command_id="cmd-1",
                 request="a")

    with pytest.raises(StreamVersionConflict):
        receive(store)  # the stream is at 1, not 0
    with pytest.raises(IdempotencyKeyReused):
        receive(store, "p-2", command_id="cmd-1", request="b")
    replay = store.append("p-1", [NewEvent("PetitionReceived", {})], 0, Metadata(),
                          command_id="cmd-1", request="a",
                          deadlines=DeadlineChanges(set=[notice_deadline()]))

    assert replay.replayed
    assert rows(db) == []


def test_a_deadline_that_cannot_be_set_appends_no_events(store, db):
    receive(store)

    with pytest.raises(DeadlineAlreadyPending) as pending:
        store.append("p-1", [NewEvent("PetitionAmended", {})], 1, Metadata(),
                     deadlines=DeadlineChanges(set=[opinion_deadline(due=date(2027, 2, 1))]))

    assert pending.value.names == ("opinion",)
    assert [e.event_type for e in store.read_stream("p-1")] == ["PetitionReceived"]
    assert head(db) == 1
    assert [r["due_at"].date() for r in rows(db)] == [date(2026, 11, 17), date(2027, 1, 1)]


def test_a_failed_commit_takes_the_deadlines_with_the_events(store, db):
    def crash():
        raise RuntimeError("the service died before the commit")

    with pytest.raises(RuntimeError):
        receive(store, _before_commit=crash)

    assert store.read_stream("p-1") == [] and rows(db) == []


def test_an_extension_replaces_the_running_clock_in_the_same_append(store, db, clock):
    receive(store)
    extended = date(2027, 1, 31)  # extended once, by 30 days
    store.append("p-1", [NewEvent("PetitionOpinionExtended", {"days": 30})], 1, Metadata(),
                 deadlines=DeadlineChanges(cancelled=["opinion"],
                                           set=[opinion_deadline(due=extended)]))

    opinion = [(r["generation"], r["state"]) for r in rows(db) if r["name"] == "opinion"]
    assert opinion == [(1, "cancelled"), (2, "pending")]
    assert [(v["name"], v["generation"], v["due_on"]) for v in deadlines_for(db, "p-1", clock)] == [
        ("written_notice", 1, NOTICE_DUE), ("opinion", 2, extended)]
    assert len(deadlines_for(db, "p-1", clock, include_cancelled=True)) == 3

    clock.set(datetime(2027, 1, 5, tzinfo=SHANGHAI))  # past the first opinion deadline
    DeadlineRunner(store, clock).run_due()
    assert set(firing_events(db)) == {
        firing_command_id(deadline_id("p-1", "written_notice", 1))}


# -- firing ---------------------------------------------------------------------------------------

def test_a_deadline_met_before_it_is_due_never_fires(store, db, clock):
    receive(store)
    send_notice(store, clock)

    clock.set(datetime(2026, 12, 1, tzinfo=SHANGHAI))
    report = DeadlineRunner(store, clock).run_due()

    assert report.fired == [] and firing_events(db) == {}
    assert [(v["name"], v["state"], v["late"]) for v in deadlines_for(db, "p-1", clock)] == [
        ("written_notice", "met", False), ("opinion", "pending", False)]


def test_nothing_fires_before_the_end_of_its_due_day_and_then_once(store, db, clock):
    receive(store)
    runner = DeadlineRunner(store, clock)

    clock.set(datetime(2026, 11, 17, 23, 59, 59, tzinfo=SHANGHAI))
    assert runner.run_due().fired == []
    clock.advance(seconds=1)  # 24:00 on the due day
    first = runner.run_due()
    again = runner.run_due()

    notice_id = deadline_id("p-1", "written_notice", 1)
    assert first.fired == [notice_id] and again.fired == []
    events = store.read_stream("p-1")
    assert [(e.event_type, e.stream_version) for e in events] == [
        ("PetitionReceived", 1), ("PetitionNoticeOverdue", 2)]
    fired = events[-1]
    assert fired.data == {"petition_id": "p-1", "due_on": "2026-11-17"}
    assert (fired.causation_id, fired.correlation_id, fired.actor) == (
        f"deadline:{notice_id}", "corr-p-1", FIRING_ACTOR)
    assert fired.occurred_at == datetime(2026, 11, 18, tzinfo=SHANGHAI)
    row = rows(db)[0]
    assert (row["state"], row["fired_at"], row["attempts"], row["claimed_by"]) == (
        "fired", clock.now(), 1, None)


def test_a_meeting_committed_after_the_claim_stops_the_firing(store, db, clock):
    receive(store)
    clock.set(datetime(2026, 11, 20, tzinfo=SHANGHAI))
    runner = DeadlineRunner(store, clock)

    (claimed,) = runner.claim()
    send_notice(store, clock)  # the notice went out (late) while the runner held its claim

    assert runner.fire(claimed) == "skipped"
    assert firing_events(db) == {}
    view = deadlines_for(db, "p-1", clock)[0]
    assert (view["state"], view["late"]) == ("met", True)


def test_a_claimed_deadline_is_left_to_its_runner_until_the_lease_runs_out(store, second_db, db,
                                                                          clock):
    receive(store)
    clock.set(datetime(2026, 11, 20, tzinfo=SHANGHAI))
    first = DeadlineRunner(store, clock, lease=timedelta(seconds=60))
    second = DeadlineRunner(PostgresEventStore(second_db, CHANNEL), clock)

    (claimed,) = first.claim()  # ... and then the first runner stalls
    assert second.run_due().fired == []
    clock.advance(seconds=61)
    assert second.run_due().fired == [claimed.deadline_id]
    assert first.fire(claimed) == "skipped"
    assert firing_events(db) == {firing_command_id(claimed.deadline_id): 1}


def test_a_runner_never_waits_for_rows_another_runner_is_claiming(store, second_db, clock):
    for n in range(3):
        store.append(f"p-{n}", [NewEvent("PetitionReceived", {})], 0, Metadata(),
                     deadlines=DeadlineChanges(set=[notice_deadline(f"p-{n}")]))
    clock.set(datetime(2026, 11, 20, tzinfo=SHANGHAI))
    holding, release = eventlet.event.Event(), eventlet.event.Event()

    def hold(claimed):
        holding.send(len(claimed))
        release.wait()

    first = DeadlineRunner(store, clock, batch=2, _before_claim_commit=hold)
    second = DeadlineRunner(PostgresEventStore(second_db, CHANNEL), clock, batch=2)
    first_claim = eventlet.spawn(first.claim)
    assert holding.wait() == 2  # two rows locked, the claim not yet committed
    second_claim = eventlet.spawn(second.claim)
    finished_while_held = None
    with eventlet.Timeout(3, False):
        finished_while_held = second_claim.wait()
    release.send()
    first_claimed = first_claim.wait()
    second_claimed = second_claim.wait()

    assert finished_while_held is not None, "the second runner waited for the first's locks"
    assert len(second_claimed) == 1
    assert {c.deadline_id for c in first_claimed}.isdisjoint(
        {c.deadline_id for c in second_claimed})


def test_two_runners_fire_each_due_deadline_exactly_once(store, second_db, db, clock):
    petitions = [f"p-{n}" for n in range(20)]
    for petition in petitions:
        receive(store, petition)
        store.append(petition, [NewEvent("VisitScheduled", {})], 1, Metadata(),
                     deadlines=DeadlineChanges(set=[Deadline.on(
                         "visit", date(2026, 11, 10), "VisitOverdue", {"petition_id": petition})]))
    clock.set(datetime(2027, 3, 1, tzinfo=SHANGHAI))  # all 60 are due
    runners = [DeadlineRunner(store, clock, batch=4),
               DeadlineRunner(PostgresEventStore(second_db, CHANNEL), clock, batch=4)]

    reports = [r.wait() for r in [eventlet.spawn(runner.run_due) for runner in runners]]

    everything = {r["deadline_id"] for r in rows(db)}
    assert len(everything) == 60
    assert firing_events(db) == {firing_command_id(d): 1 for d in everything}
    assert {r["state"] for r in rows(db)} == {"fired"}
    first, second = (set(report.fired) for report in reports)
    assert first | second == everything and not first & second
    assert all(report.fired for report in reports), "both runners should have fired some"
    assert [(r.replayed, r.skipped, r.failed) for r in reports] == [([], [], [])] * 2
    for petition in petitions:  # each stream's versions still run 1, 2, 3, ... without a gap
        assert [e.stream_version for e in store.read_stream(petition)] == [1, 2, 3, 4, 5]


CRASHING_RUNNER = """
import os, sys, time
from datetime import datetime
from chassis.clock import ManualClock
from chassis.db import Database
from chassis.deadlines import DeadlineRunner
from chassis.store import PostgresEventStore

def stall(claimed):
    print("appended", claimed.deadline_id, flush=True)
    time.sleep(600)

store = PostgresEventStore(Database(sys.argv[1]), sys.argv[2])
DeadlineRunner(store, ManualClock(datetime.fromisoformat(sys.argv[3])),
               _before_fire_commit=stall).run_due()
"""


def test_a_runner_killed_mid_firing_leaves_nothing_and_its_deadline_fires_once_after(
        deadlines_database_url, store, db, clock):
    receive(store)
    clock.set(datetime(2026, 11, 20, tzinfo=SHANGHAI))
    url = f"{deadlines_database_url}?application_name=crashing_runner"
    process = subprocess.Popen(
        [sys.executable, "-c", CRASHING_RUNNER, url, CHANNEL, clock.now().isoformat()],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = process.stdout.readline().split()
        assert line[0] == "appended", "the runner never reached its commit"
        os.kill(process.pid, signal.SIGKILL)  # after the append, before the commit
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
    notice = line[1]

    assert firing_events(db) == {}  # the append died with its transaction

    def crashed_session_gone():
        with db.transaction() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity "
                        "WHERE application_name = 'crashing_runner'")
            return cur.fetchone()[0] == 0

    wait_until(crashed_session_gone, what="PostgreSQL to end the killed runner's session")
    (row,) = [r for r in rows(db) if r["deadline_id"] == notice]
    assert row["state"] == "pending" and row["claimed_by"] is not None

    restarted = DeadlineRunner(store, clock)
    assert restarted.run_due().fired == []  # its lease still holds
    clock.advance(seconds=61)
    assert restarted.run_due().fired == [notice]
    assert restarted.run_due().fired == []
    assert firing_events(db) == {firing_command_id(notice): 1}


def test_a_firing_already_in_the_stream_is_replayed_not_repeated(store, db, clock):
    """Should a firing ever commit without its mark (a row put back to pending by hand, a restored
    backup of the deadlines), firing again is a replay of the same command."""
    receive(store)
    notice = deadline_id("p-1", "written_notice", 1)
    store.append("p-1", [NewEvent("PetitionNoticeOverdue", {"petition_id": "p-1"})], 1,
                 Metadata(causation_id=firing_command_id(notice), actor=FIRING_ACTOR),
                 command_id=firing_command_id(notice))
    clock.set(datetime(2026, 11, 20, tzinfo=SHANGHAI))

    report = DeadlineRunner(store, clock).run_due()

    assert (report.fired, report.replayed) == ([], [notice])
    assert firing_events(db) == {firing_command_id(notice): 1}
    assert [e.event_type for e in store.read_stream("p-1")] == [
        "PetitionReceived", "PetitionNoticeOverdue"]
    assert rows(db)[0]["state"] == "fired"


class FlakyStore(PostgresEventStore):
    """Appends, then loses the database before the commit: `failures` times."""

    def __init__(self, db, failures):
        super().__init__(db, CHANNEL)
        self.failures = failures

    def append_in(self, cur, *args, **kwargs):
        result = super().append_in(cur, *args, **kwargs)
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("the service's database connection failed")
        return result


def test_a_failing_firing_is_recorded_and_retried_with_a_growing_wait(store, db, clock):
    receive(store)
    clock.set(datetime(2026, 11, 20, tzinfo=SHANGHAI))
    runner = DeadlineRunner(FlakyStore(db, failures=2), clock,
                            backoff=Backoff(first=timedelta(seconds=10)))

    assert runner.run_due().failed == [deadline_id("p-1", "written_notice", 1)]
    row = rows(db)[0]
    assert (row["state"], row["attempts"], row["claimed_by"]) == ("pending", 1, None)
    assert row["last_error"] == "StoreUnavailable: the service's database connection failed"
    assert row["next_attempt_at"] == clock.now() + timedelta(seconds=10)
    assert firing_events(db) == {}  # appended, but rolled back with the failure

    assert runner.run_due().failed == []  # not before the wait
    clock.advance(seconds=9)
    assert runner.run_due().failed == []
    clock.advance(seconds=1)
    assert len(runner.run_due().failed) == 1
    assert (rows(db)[0]["attempts"], rows(db)[0]["next_attempt_at"]) == (
        2, clock.now() + timedelta(seconds=20))
    clock.advance(seconds=20)
    assert len(runner.run_due().fired) == 1

    row = rows(db)[0]
    assert (row["state"], row["attempts"]) == ("fired", 3)
    assert list(firing_events(db).values()) == [1]


# -- reads -----------------------------------------------------------------------------------------

def test_a_cases_read_shows_each_deadline_and_its_state(store, db, clock):
    receive(store)  # written_notice and opinion
    store.append("p-1", [NewEvent("VisitScheduled", {})], 1, Metadata(), deadlines=DeadlineChanges(
        set=[Deadline("visit", datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI), "VisitOverdue"),
             Deadline.on("review", date(2027, 3, 1), "ReviewOverdue")]))
    clock.set(datetime(2026, 11, 20, tzinfo=SHANGHAI))
    DeadlineRunner(store, clock).run_due()  # the written notice fires
    store.append("p-1", [NewEvent("PetitionNoticeSent", {})], 3, Metadata(),
                 deadlines=DeadlineChanges(met=["written_notice"], at=clock.now()))  # late
    store.append("p-1", [NewEvent("ReviewWithdrawn", {})], 4, Metadata(),
                 deadlines=DeadlineChanges(cancelled=["review"]))
    clock.set(datetime(2026, 11, 26, tzinfo=SHANGHAI))  # the visit is past due, not yet fired

    with db.transaction() as cur:
        views = deadlines_for(cur, "p-1", clock)

    assert [(v["name"], v["due_on"], v["state"], v["late"]) for v in views] == [
        ("written_notice", NOTICE_DUE, "met", True),
        ("visit", date(2026, 11, 25), "overdue", False),
        ("opinion", OPINION_DUE, "pending", False)]
    dumped = DeadlineView(many=True).dump(views)
    assert dumped[1]["due_at"] == "2026-11-25T15:00:00+08:00"
    assert dumped[2]["due_at"] == "2027-01-02T00:00:00+08:00" and dumped[2]["met_at"] is None
    assert DeadlineView(many=True).load(dumped) and DeadlineView().validate(dumped[0]) == {}
    clock.set(datetime(2026, 11, 27, tzinfo=SHANGHAI))
    DeadlineRunner(store, clock).run_due()
    assert deadlines_for(db, "p-1", clock)[1]["state"] == "overdue"  # fired, still overdue


# -- nameko ----------------------------------------------------------------------------------------

class PetitionService:
    name = "petitions"
    deadlines = Deadlines(interval=0.05)

    @dummy
    def show(self, petition_id):
        return self.deadlines.for_stream(petition_id)


def test_a_service_that_declares_deadlines_has_them_fired_and_shown(
        deadlines_database_url, store, db, clock):
    PetitionService.deadlines = Deadlines(interval=0.05, clock=clock)
    container = ServiceContainer(PetitionService, {"DATABASE_URL": deadlines_database_url})
    container.start()
    try:
        receive(store)
        eventlet.sleep(0.2)
        assert firing_events(db) == {}
        clock.set(datetime(2026, 11, 20, tzinfo=SHANGHAI))
        wait_until(lambda: firing_events(db), what="the service's runner to fire the notice")
        with entrypoint_hook(container, "show") as show:
            assert [(v["name"], v["state"]) for v in show("p-1")] == [
                ("written_notice", "overdue"), ("opinion", "pending")]
    finally:
        container.stop()
    assert firing_events(db) == {firing_command_id(deadline_id("p-1", "written_notice", 1)): 1}
