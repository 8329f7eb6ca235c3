"""The idempotent subscriber against the real broker and database: once-only effects, dead letters,
re-queueing, and catch-up from the producer's log."""
import json

import pika
import pytest
from nameko.containers import ServiceContainer

from chassis import deadletters
from chassis.consumer import NAMEKO_SERIALIZER_CONFIG, Subscription, subscribe
from chassis.db import Database
from chassis.envelope import Metadata
from chassis.errors import StoreUnavailable
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.nameko_deps import Inbox
from chassis.relay import Relay
from contracts import registry as contract
from examples.hr_department.service import HrDepartment
from services.registry import handlers
from services.registry.domain import model
from services.registry.service import RegistryService
from tests.conftest import fresh_database, truncate, wait_until
from tests.factories import veteran_payload

HR_QUEUE = "evt-registry-VeteranRegistered--hr_department.on_veteran_registered"


class TribunalDepartment:
    """A test subscriber whose handler refuses the veteran ids in `refuse` (the bus carries no
    names to refuse by)."""

    name = "tribunal_department"
    inbox = Inbox()
    refuse: set = set()

    @subscribe("registry", "VeteranRegistered", attempts=3, backoff=0.01, catch_up_every=0)
    def on_veteran_registered(self, event):
        with self.inbox.once(event) as cur:
            if cur is None:
                return
            if event.data["veteran_id"] in self.refuse:
                raise ValueError("the tribunal cannot file this veteran yet")
            cur.execute("INSERT INTO hr_veterans (veteran_id, service_station, "
                        "discharge_category, registry_position) VALUES (%s, %s, %s, %s)",
                        (event.data["veteran_id"], event.data["service_station"],
                         event.data["discharge_category"], event.position))


TRIBUNAL_QUEUE = ("evt-registry-VeteranRegistered--tribunal_department."
                  "on_veteran_registered")
AUDIT_QUEUE = "evt-registry-VeteranRegistered--audit_department.on_veteran_registered"


@pytest.fixture(scope="session")
def department_database_url():
    return fresh_database("vetlife_hr_department_test",
                          [CHASSIS_MIGRATIONS, service_migrations("hr_department")])


@pytest.fixture
def department_db(department_database_url):
    db = Database(department_database_url)
    truncate(db, "hr_veterans", "stream_progress", "parked_events", "dead_lettered")
    yield db
    db.close()


@pytest.fixture
def clean_queues(amqp_channel):
    for queue in (HR_QUEUE, TRIBUNAL_QUEUE, AUDIT_QUEUE):
        amqp_channel.queue_delete(queue)
        amqp_channel.queue_delete(deadletters.dead_letter_queue(queue))
    amqp_channel.queue_delete("rpc-registry")
    amqp_channel.queue_delete("probe-registry-events")


@pytest.fixture
def start_container(amqp_uri, clean_queues):
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


def register(store, n=1, **overrides):
    ids = []
    for _ in range(n):
        data = contract.RegisterVeteranRequest().load(veteran_payload(**overrides))
        cmd = model.RegisterVeteran(**data)
        ids.append(handlers.register_veteran(store, cmd, Metadata()).veteran_id)
    return ids


def filed(db):
    with db.transaction() as cur:
        cur.execute("SELECT veteran_id FROM hr_veterans ORDER BY registry_position")
        return [row[0] for row in cur.fetchall()]


def inbox_rows(db):
    with db.transaction() as cur:
        cur.execute("SELECT count(*) FROM inbox")
        return cur.fetchone()[0]


def publish_raw(amqp_uri, body: bytes, routing_key="VeteranRegistered"):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.basic_publish("registry.events", routing_key, body, pika.BasicProperties(
        content_type="application/cloudevents+json", delivery_mode=2))
    connection.close()


def test_an_event_delivered_twice_files_the_veteran_once(
        registry_store, department_db, department_database_url, amqp_uri, start_container):
    hr = start_container(HrDepartment, department_database_url)
    veteran_ids = register(registry_store, 3)
    relay = Relay("registry", registry_store, amqp_uri, contract.public_form)
    relay.relay_pending()

    # The relay crashed before saving its checkpoint: everything is published again.
    with registry_store.db.transaction() as cur:
        cur.execute("UPDATE checkpoints SET position = 0 WHERE name = 'relay'")
    relay.relay_pending()
    relay.close()

    # Every one of the six deliveries settled (acked), not only the first three: the queue's
    # message count alone leaves out those still being handled, so it could pass too early.
    wait_until(lambda: inbox_rows(department_db) == 3, what="three events handled")
    wait_until(lambda: subscription(hr).stats["acked"] == 6, what="all six deliveries settled")
    assert _queue_empty(amqp_uri, HR_QUEUE)
    assert filed(department_db) == veteran_ids
    assert inbox_rows(department_db) == 3
    # Each repeat was turned away by the inbox, not handled a second time...
    outcomes = subscription(hr).stats
    assert (outcomes["handled"], outcomes["duplicate"]) == (3, 3)
    # ...nor failed on the way (a second filing refused by the key would be here).
    assert deadletters.list_dead_letters(HR_QUEUE, amqp_uri) == []
    # HR keeps the pseudonymous id and facts from the bus; identity stays with the registry.
    with department_db.transaction() as cur:
        cur.execute("SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'hr_veterans'")
        assert {row[0] for row in cur.fetchall()} == {
            "veteran_id", "service_station", "discharge_category", "registry_position",
            "filed_at"}


def test_a_poison_event_is_dead_lettered_with_its_reason_and_the_rest_flow_past(
        registry_store, department_db, department_database_url, amqp_uri, start_container):
    start_container(TribunalDepartment, department_database_url)
    poison, = register(registry_store, 1)
    TribunalDepartment.refuse = {poison}
    healthy = register(registry_store, 2)
    relay = Relay("registry", registry_store, amqp_uri, contract.public_form)
    relay.relay_pending()
    relay.close()

    wait_until(lambda: len(filed(department_db)) == 2, what="the healthy events filed")
    letters = wait_until(lambda: deadletters.list_dead_letters(TRIBUNAL_QUEUE, amqp_uri),
                         what="the poison event in the dead letters")
    assert filed(department_db) == healthy
    assert [letter.event_type for letter in letters] == ["VeteranRegistered"]
    assert "ValueError: the tribunal cannot file this veteran yet" in letters[0].reason
    assert letters[0].attempts == 3
    # Listing does not consume them.
    assert len(deadletters.list_dead_letters(TRIBUNAL_QUEUE, amqp_uri)) == 1

    TribunalDepartment.refuse = set()  # the department fixes its handler
    assert deadletters.requeue_dead_letters(TRIBUNAL_QUEUE, amqp_uri) == 1

    wait_until(lambda: len(filed(department_db)) == 3, what="the re-queued event filed")
    assert poison in filed(department_db)
    assert deadletters.list_dead_letters(TRIBUNAL_QUEUE, amqp_uri) == []


def test_a_poison_event_is_dead_lettered_once_not_again_when_catch_up_reads_it_from_the_log(
        registry_store, registry_database_url, department_db, department_database_url, amqp_uri,
        start_container):
    start_container(RegistryService, registry_database_url)
    tribunal = start_container(TribunalDepartment, department_database_url)
    poison, = register(registry_store, 1)
    TribunalDepartment.refuse = {poison}
    try:
        healthy = register(registry_store, 1)
        relay = Relay("registry", registry_store, amqp_uri, contract.public_form)
        relay.relay_pending()
        relay.close()
        wait_until(lambda: filed(department_db) == healthy, what="the healthy event filed")
        wait_until(lambda: deadletters.list_dead_letters(TRIBUNAL_QUEUE, amqp_uri),
                   what="the poison event in the dead letters")

        # The registry's log holds the poison event too; its inbox row rolled back with the
        # failure, so only a record of the dead letter keeps catch-up from making a second.
        subscription(tribunal).catch_up()
        letters = deadletters.list_dead_letters(TRIBUNAL_QUEUE, amqp_uri)
        assert [letter.event_type for letter in letters] == ["VeteranRegistered"]
        assert filed(department_db) == healthy
    finally:
        TribunalDepartment.refuse = set()


def test_a_malformed_message_is_dead_lettered_not_dropped(
        department_db, department_database_url, amqp_uri, start_container):
    start_container(TribunalDepartment, department_database_url)
    publish_raw(amqp_uri, json.dumps({"not": "a cloudevent"}).encode())
    letters = wait_until(lambda: deadletters.list_dead_letters(TRIBUNAL_QUEUE, amqp_uri),
                         what="the malformed message in the dead letters")
    assert "not a vetlife CloudEvent" in letters[0].reason


def test_a_department_that_joins_late_catches_up_from_the_registry_log(
        registry_store, registry_database_url, department_db, department_database_url,
        amqp_uri, start_container, amqp_channel):
    # History made before the department existed: published to nobody.
    earlier = register(registry_store, 4)
    relay = Relay("registry", registry_store, amqp_uri, contract.public_form)
    relay.relay_pending()
    # Published while the department had no queue (other tests' queues may be bound to the
    # exchange, so "unroutable" is not the measure): only the registry's log can bring them.
    assert relay.published >= 4 and not _queue_exists(amqp_uri, HR_QUEUE)
    start_container(RegistryService, registry_database_url)

    start_container(HrDepartment, department_database_url)

    wait_until(lambda: filed(department_db) == earlier, what="the history caught up")
    later = register(registry_store, 2)
    relay.relay_pending()
    relay.close()
    wait_until(lambda: filed(department_db) == earlier + later, what="new events after it")
    assert inbox_rows(department_db) == 6


def subscription(container) -> Subscription:
    return next(e for e in container.entrypoints if isinstance(e, Subscription))


def _queue_exists(amqp_uri, queue) -> bool:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        connection.channel().queue_declare(queue, passive=True)
        return True
    except pika.exceptions.ChannelClosedByBroker as refusal:
        assert refusal.reply_code == 404, refusal
        return False
    finally:
        if connection.is_open:
            connection.close()


def _queue_empty(amqp_uri, queue):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        declared = connection.channel().queue_declare(queue, passive=True)
        return declared.method.message_count == 0
    finally:
        connection.close()


class AuditDepartment:
    """A test subscriber whose database goes away on the first attempts at one event."""

    name = "audit_department"
    inbox = Inbox()
    outage_attempts = 0

    @subscribe("registry", "VeteranRegistered", attempts=2, backoff=0.01, catch_up_every=0,
               requeue_pause=0.1)
    def on_veteran_registered(self, event):
        if AuditDepartment.outage_attempts > 0:
            AuditDepartment.outage_attempts -= 1
            raise StoreUnavailable("the service's database connection failed")
        with self.inbox.once(event) as cur:
            if cur is None:
                return
            cur.execute("INSERT INTO hr_veterans (veteran_id, service_station, "
                        "discharge_category, registry_position) VALUES (%s, %s, %s, %s)",
                        (event.data["veteran_id"], event.data["service_station"],
                         event.data["discharge_category"], event.position))


def test_an_event_that_meets_a_database_outage_waits_instead_of_being_dead_lettered(
        registry_store, department_db, department_database_url, amqp_uri, start_container,
        amqp_channel):
    AuditDepartment.outage_attempts = 5  # more than its 2 attempts: requeued at least twice
    start_container(AuditDepartment, department_database_url)
    veteran_ids = register(registry_store, 1)
    relay = Relay("registry", registry_store, amqp_uri, contract.public_form)
    relay.relay_pending()
    relay.close()

    wait_until(lambda: filed(department_db) == veteran_ids, what="the event filed after the outage")
    assert AuditDepartment.outage_attempts == 0
    assert deadletters.list_dead_letters(AUDIT_QUEUE, amqp_uri) == []
