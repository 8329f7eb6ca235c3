"""A process manager over the real broker, databases and registry: decisions and handled events
commit together, commands go out through the outbox at least once and arrive once in effect."""
import json
import subprocess
import sys
import time
import uuid

import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from chassis import deadletters
from chassis import outbox as outbox_module
from chassis.consumer import NAMEKO_SERIALIZER_CONFIG, subscribe
from chassis.db import Database
from chassis.envelope import Metadata
from chassis.migrate import CHASSIS_MIGRATIONS
from chassis.nameko_deps import Inbox
from chassis.outbox import Outbox, OutboxAccess, OutboxSender, list_commands, retry_commands
from chassis.relay import Relay
from contracts import registry as contract
from services.registry import handlers
from services.registry.domain import model
from services.registry.service import RegistryService
from tests.conftest import fresh_database, truncate, wait_until
from tests.factories import veteran_payload

QUEUE = "evt-registry-VeteranRegistered--case_office.on_veteran_registered"
GRID_WORKER = "王网格"  # the process manager's choice
STATION_CHOICE = "李站长"  # what a station worker decides later, by hand


def matter_outcome(cur, command):
    """Moves the case on, in the transaction that records the command's outcome."""
    status = {"sent": "acknowledged", "refused": "refused", "failed": "failed"}[command.status]
    cur.execute("UPDATE matters SET status = %s, reply = %s WHERE case_id = %s AND step = %s",
                (status, json.dumps(command.reply), command.case_id, command.step))


class CaseOffice:
    """The process manager under test: a registered veteran gets a grid worker."""

    name = "case_office"
    inbox = Inbox()
    outbox = Outbox(on_outcome=matter_outcome, attempts=3, backoff=0.05, max_backoff=0.2,
                    timeout=10, poll_every=0.2)
    fail_after_deciding = False

    @subscribe("registry", "VeteranRegistered", attempts=2, backoff=0.01, catch_up_every=0)
    def on_veteran_registered(self, event):
        with self.inbox.once(event) as cur:
            if cur is None:
                return
            veteran_id = event.data["veteran_id"]
            cur.execute("INSERT INTO matters (case_id, step, status) "
                        "VALUES (%s, 'grid_worker', 'commanded')", (veteran_id,))
            self.outbox.add(cur, "registry", "assign_grid_worker",
                            [veteran_id, {"grid_worker": GRID_WORKER}], {},
                            command_id=self.outbox.command_id(veteran_id, "grid_worker"),
                            case_id=veteran_id, step="grid_worker")
            if CaseOffice.fail_after_deciding:
                raise RuntimeError("the case office fell over after deciding")


# The sender as a process of its own, stopped by a hook at the instant the test kills it.
SENDER = """
import sys, time
from chassis.db import Database
from chassis.outbox import OutboxSender

database_url, amqp_uri, where = sys.argv[1:4]

def hang(*_):
    print("HANGING", flush=True)
    time.sleep(3600)

OutboxSender(Database(database_url), {"AMQP_URI": amqp_uri}, "case_office", lease=1.0,
             timeout=10, _before_send=hang if where == "before" else None,
             _after_send=hang if where == "after" else None).send_pending()
"""


@pytest.fixture(scope="session")
def case_database_url():
    url = fresh_database("vetlife_case_office_test", [CHASSIS_MIGRATIONS])
    db = Database(url)
    with db.transaction() as cur:
        cur.execute("CREATE TABLE matters (case_id TEXT, step TEXT, status TEXT NOT NULL, "
                    "reply JSONB, PRIMARY KEY (case_id, step))")
    db.close()
    return url


@pytest.fixture
def case_db(case_database_url):
    db = Database(case_database_url)
    truncate(db, "stream_progress", "parked_events", "dead_lettered", "outbox", "matters")
    CaseOffice.fail_after_deciding = False
    yield db
    db.close()


@pytest.fixture
def start_container(amqp_uri, amqp_channel):
    for queue in (QUEUE, "rpc-registry"):
        amqp_channel.queue_delete(queue)
        amqp_channel.queue_delete(deadletters.dead_letter_queue(queue))
    containers = []

    def start(service_cls, database_url, **config):
        container = ServiceContainer(service_cls, {
            "AMQP_URI": amqp_uri, "DATABASE_URL": database_url, "max_workers": 4,
            **NAMEKO_SERIALIZER_CONFIG, **config})
        container.start()
        containers.append(container)
        return container

    yield start
    for container in reversed(containers):
        container.kill()
        for dependency in container.dependencies:  # the server's connections are shared
            if getattr(dependency, "db", None) is not None:
                dependency.db.close()
    amqp_channel.queue_delete(QUEUE)  # bound to registry.events, it would take others' events


def register(store):
    data = contract.RegisterVeteranRequest().load(veteran_payload())
    return handlers.register_veteran(store, model.RegisterVeteran(**data), Metadata()).veteran_id


def relay_all(registry_store, amqp_uri, from_start=False):
    if from_start:
        with registry_store.db.transaction() as cur:
            cur.execute("UPDATE checkpoints SET position = 0 WHERE name = 'relay'")
    relay = Relay("registry", registry_store, amqp_uri, contract.public_form)
    relay.relay_pending()
    relay.close()


def grid_workers(registry_store, veteran_id):
    """Every grid worker assignment in the veteran's file, in order."""
    return [e.data["grid_worker"] for e in registry_store.read_stream(veteran_id)
            if e.event_type == "GridWorkerAssigned"]


def outbox_rows(db):
    with db.transaction() as cur:
        cur.execute("SELECT command_id, case_id, status, attempts, reply FROM outbox ORDER BY seq")
        return cur.fetchall()


def matter(db, case_id):
    with db.transaction() as cur:
        cur.execute("SELECT status, reply FROM matters WHERE case_id = %s", (case_id,))
        return cur.fetchone()


def matter_status(db, case_id):
    return (matter(db, case_id) or [None])[0]


def station_assigns(amqp_uri, veteran_id, grid_worker):
    """A station worker's own change to the file, after the process manager's."""
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as cluster:
        return cluster.registry.assign_grid_worker(veteran_id, {"grid_worker": grid_worker},
                                                   command_id=f"station-{uuid.uuid4()}")


def sender(case_db, amqp_uri, **options):
    return OutboxSender(case_db, {"AMQP_URI": amqp_uri}, "case_office",
                        on_outcome=matter_outcome, **options)


def kill_sender_mid_send(case_database_url, amqp_uri, where):
    """Run the sender in a process of its own and kill -9 it `before` or `after` its send."""
    process = subprocess.Popen([sys.executable, "-c", SENDER, case_database_url, amqp_uri, where],
                               stdout=subprocess.PIPE, text=True)
    try:
        with eventlet.Timeout(30):
            assert process.stdout.readline().strip() == "HANGING"
    finally:
        process.kill()  # SIGKILL: no handler, no cleanup, as a crash
        process.wait()
    assert process.returncode == -9


def test_a_registration_leads_to_one_command_carried_out_and_its_answer_recorded(
        registry_store, registry_database_url, case_db, case_database_url, amqp_uri,
        start_container):
    start_container(RegistryService, registry_database_url)
    start_container(CaseOffice, case_database_url)
    veterans = [register(registry_store) for _ in range(2)]
    relay_all(registry_store, amqp_uri)

    for veteran_id in veterans:
        wait_until(lambda v=veteran_id: matter_status(case_db, v) == "acknowledged",
                   what="the registry's answer recorded on the case")
        assert grid_workers(registry_store, veteran_id) == [GRID_WORKER]
        status, reply = matter(case_db, veteran_id)
        assert reply == {"veteran_id": veteran_id, "version": 2, "replayed": False}
        # The registry recorded the outbox's command id as the cause of its event.
        command_id = outbox_module.command_id("case_office", veteran_id, "grid_worker")
        assigned = registry_store.read_stream(veteran_id)[-1]
        assert assigned.causation_id == command_id
    assert [(row[2], row[3]) for row in outbox_rows(case_db)] == [("sent", 1), ("sent", 1)]


def test_the_commands_and_the_handled_event_commit_together_or_not_at_all(
        registry_store, registry_database_url, case_db, case_database_url, amqp_uri,
        start_container):
    start_container(RegistryService, registry_database_url)
    start_container(CaseOffice, case_database_url)
    CaseOffice.fail_after_deciding = True
    veteran_id = register(registry_store)
    relay_all(registry_store, amqp_uri)

    wait_until(lambda: deadletters.list_dead_letters(QUEUE, amqp_uri),
               what="the event dead-lettered after the handler fell over")
    assert outbox_rows(case_db) == []
    assert matter(case_db, veteran_id) is None
    with case_db.transaction() as cur:
        cur.execute("SELECT count(*) FROM inbox")
        assert cur.fetchone()[0] == 0
    assert grid_workers(registry_store, veteran_id) == []


def test_a_sender_killed_after_sending_before_recording_sends_again_and_the_registry_replays(
        registry_store, registry_database_url, case_db, case_database_url, amqp_uri,
        start_container):
    start_container(RegistryService, registry_database_url)
    start_container(CaseOffice, case_database_url, OUTBOX_SENDER=False)  # decides, never sends
    veteran_id = register(registry_store)
    relay_all(registry_store, amqp_uri)
    wait_until(lambda: outbox_rows(case_db), what="the decision in the outbox")

    kill_sender_mid_send(case_database_url, amqp_uri, "after")
    # The registry carried the command out; the outbox never heard.
    assert grid_workers(registry_store, veteran_id) == [GRID_WORKER]
    [(_, _, status, attempts, reply)] = outbox_rows(case_db)
    assert (status, attempts, reply) == ("pending", 1, None)
    # Meanwhile a person at the station decides otherwise: a resend taken for a new command
    # would undo that.
    station_assigns(amqp_uri, veteran_id, STATION_CHOICE)

    time.sleep(1.1)  # the dead sender's lease runs out
    assert sender(case_db, amqp_uri).send_pending() == 1

    # Once in effect: a resend taken for a new command would have put GRID_WORKER back.
    assert grid_workers(registry_store, veteran_id) == [GRID_WORKER, STATION_CHOICE]
    [(_, _, status, attempts, reply)] = outbox_rows(case_db)
    assert (status, attempts) == ("sent", 2)
    assert reply["replayed"] is True
    assert matter(case_db, veteran_id)[0] == "acknowledged"


def test_a_sender_killed_before_sending_sends_after_restart_once(
        registry_store, registry_database_url, case_db, case_database_url, amqp_uri,
        start_container):
    start_container(RegistryService, registry_database_url)
    start_container(CaseOffice, case_database_url, OUTBOX_SENDER=False)
    veteran_id = register(registry_store)
    relay_all(registry_store, amqp_uri)
    wait_until(lambda: outbox_rows(case_db), what="the decision in the outbox")

    kill_sender_mid_send(case_database_url, amqp_uri, "before")
    assert grid_workers(registry_store, veteran_id) == []
    assert sender(case_db, amqp_uri).send_pending() == 0  # leased to the dead sender still
    time.sleep(1.1)
    assert sender(case_db, amqp_uri).send_pending() == 1
    assert sender(case_db, amqp_uri).send_pending() == 0

    [(_, _, status, attempts, reply)] = outbox_rows(case_db)
    assert (status, attempts, reply["replayed"]) == ("sent", 2, False)
    assert grid_workers(registry_store, veteran_id) == [GRID_WORKER]


def test_a_step_decided_again_has_the_same_command_id_and_the_registry_replays_it(
        registry_store, registry_database_url, case_db, case_database_url, amqp_uri,
        start_container):
    start_container(RegistryService, registry_database_url)
    start_container(CaseOffice, case_database_url)
    veteran_id = register(registry_store)
    relay_all(registry_store, amqp_uri)
    wait_until(lambda: matter_status(case_db, veteran_id) == "acknowledged",
               what="the first decision carried out")
    station_assigns(amqp_uri, veteran_id, STATION_CHOICE)

    # The case office's database is restored from a backup taken before it handled the
    # registration (or a second instance never saw the first's inbox): it decides again.
    truncate(case_db, "stream_progress", "parked_events", "dead_lettered", "outbox", "matters")
    relay_all(registry_store, amqp_uri, from_start=True)
    wait_until(lambda: matter_status(case_db, veteran_id) == "acknowledged",
               what="the second decision answered")

    assert grid_workers(registry_store, veteran_id) == [GRID_WORKER, STATION_CHOICE]
    assert matter(case_db, veteran_id)[1]["replayed"] is True


def test_a_refused_command_and_one_nobody_answers_wait_listed_for_a_person(
        case_db, case_database_url, amqp_uri, start_container, registry_database_url,
        registry_db, monkeypatch, capsys):
    start_container(RegistryService, registry_database_url)
    missing = str(uuid.uuid4())
    with case_db.transaction() as cur:
        cur.execute("INSERT INTO matters (case_id, step, status) VALUES "
                    "(%s, 'grid_worker', 'commanded'), ('bundle-7', 'notify', 'commanded')",
                    (missing,))
        access = OutboxAccess("case_office")
        access.add(cur, "registry", "assign_grid_worker", [missing, {"grid_worker": "张三"}], {},
                   command_id=access.command_id(missing, "grid_worker"), case_id=missing,
                   step="grid_worker")
        access.add(cur, "nobody_listens", "notify", ["bundle-7"], {},
                   command_id=access.command_id("bundle-7", "notify"), case_id="bundle-7",
                   step="notify")
        # A step decided twice is one command.
        assert not access.add(cur, "nobody_listens", "notify", ["bundle-7"], {},
                              command_id=access.command_id("bundle-7", "notify"),
                              case_id="bundle-7", step="notify")

    the_sender = sender(case_db, amqp_uri, attempts=3, backoff=0.05, max_backoff=0.1, timeout=2)
    wait_until(lambda: the_sender.send_pending() == 0 and not list_commands(case_db, ["pending"]),
               timeout=30, interval=0.1, what="both commands settled")

    refused, failed = list_commands(case_db)
    assert (refused.case_id, refused.status, refused.attempts) == (missing, "refused", 1)
    assert refused.reply["code"] == "not_found"
    assert (failed.case_id, failed.status, failed.attempts) == ("bundle-7", "failed", 3)
    assert "UnknownService" in failed.error
    assert matter(case_db, missing)[0] == "refused"
    assert matter(case_db, "bundle-7")[0] == "failed"

    monkeypatch.setenv("CASE_OFFICE_DATABASE_URL", case_database_url)
    assert outbox_module.main(["list", "case_office"]) == 0
    listed = capsys.readouterr().out
    assert refused.command_id in listed and failed.command_id in listed
    assert "2 command(s) refused/failed" in listed

    assert retry_commands(case_db, [failed.command_id]) == 1
    assert [c.command_id for c in list_commands(case_db, ["pending"])] == [failed.command_id]


def test_a_broker_that_is_away_costs_a_command_no_attempt(case_db):
    with case_db.transaction() as cur:
        access = OutboxAccess("case_office")
        access.add(cur, "registry", "assign_grid_worker", ["v-1", {"grid_worker": "张三"}], {},
                   command_id=access.command_id("v-1", "grid_worker"), case_id="v-1",
                   step="grid_worker")
    nowhere = OutboxSender(case_db, {"AMQP_URI": "amqp://guest:guest@127.0.0.1:1/"},
                           "case_office", backoff=0.05)
    with pytest.raises(ConnectionError):
        nowhere.send_pending()
    [(_, _, status, attempts, reply)] = outbox_rows(case_db)
    assert (status, attempts, reply) == ("pending", 0, None)
