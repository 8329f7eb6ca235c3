"""The faults checks can fail: a broken inbox shows as duplicates, a lost bus delivery as catch-up only."""
import json

import pika
import pytest
from nameko.containers import ServiceContainer

from chassis import deadletters
from chassis.consumer import NAMEKO_SERIALIZER_CONFIG
from chassis.db import Database
from chassis.envelope import Metadata
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.relay import Relay, message_properties
from contracts import registry as contract
from examples.hr_department.service import BROKEN_INBOX, HrDepartment
from faults.invariants import came_by_bus, handled_more_than_once, subscriber_is_exact
from faults.ledger import read_hr, read_registry
from services.registry import handlers
from services.registry.domain import model
from services.registry.service import RegistryService
from tests.conftest import fresh_database, truncate, wait_until
from tests.factories import veteran_payload

HR_QUEUE = "evt-registry-VeteranRegistered--hr_department.on_veteran_registered"


@pytest.fixture(scope="module")
def hr_database_url():
    return fresh_database("vetlife_hr_faults_test",
                          [CHASSIS_MIGRATIONS, service_migrations("hr_department")])


@pytest.fixture
def hr_db(hr_database_url):
    db = Database(hr_database_url, max_connections=2)
    truncate(db, "hr_veterans", "hr_handlings", "hr_repeats", "stream_progress",
             "parked_events", "dead_lettered")
    yield db
    db.close()


@pytest.fixture
def containers(amqp_uri, amqp_channel):
    for queue in (HR_QUEUE, deadletters.dead_letter_queue(HR_QUEUE), "rpc-registry"):
        amqp_channel.queue_delete(queue)
    started = []

    def start(service_cls, database_url):
        # Catch-up is left to the start and to explicit calls: the tests say when it runs.
        container = ServiceContainer(service_cls, {
            "AMQP_URI": amqp_uri, "DATABASE_URL": database_url, "max_workers": 4,
            **NAMEKO_SERIALIZER_CONFIG})
        container.start()
        started.append(container)
        return container

    yield start
    for container in reversed(started):
        container.kill()


def register(store, n):
    for _ in range(n):
        data = contract.RegisterVeteranRequest().load(veteran_payload())
        handlers.register_veteran(store, model.RegisterVeteran(**data), Metadata())


def publish_again(store, amqp_uri):
    """What the duplicates drill does: every stored event published once more, as the relay
    would send it."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.confirm_delivery()
    for event in store.read_all(0, 1000):
        body = json.dumps(event.to_cloudevent(contract.SOURCE, contract.public_form(event)),
                          default=str).encode()
        channel.basic_publish("registry.events", event.event_type, body,
                              message_properties(event), mandatory=True)
    connection.close()


def ledgers(registry_database_url, hr_database_url):
    return read_registry(registry_database_url), read_hr(hr_database_url)


def copies_seen(hr_database_url) -> int:
    hr = read_hr(hr_database_url)
    return sum(len(paths) for paths in hr.handlings.values()) + sum(
        len(paths) for paths in hr.repeats.values())


def test_with_a_working_inbox_every_event_is_handled_once_and_came_by_bus(
        registry_store, registry_database_url, hr_db, hr_database_url, amqp_uri, containers):
    containers(HrDepartment, hr_database_url)
    register(registry_store, 4)
    relay = Relay("registry", registry_store, amqp_uri, contract.public_form)
    relay.relay_pending()
    publish_again(registry_store, amqp_uri)
    relay.close()
    wait_until(lambda: copies_seen(hr_database_url) == 8, what="both copies of each event")

    reg, hr = ledgers(registry_database_url, hr_database_url)
    assert subscriber_is_exact(reg, hr) == []
    assert handled_more_than_once(reg.registrations, hr) == {}
    assert came_by_bus(reg.registrations, hr) == []
    assert all(hr.repeats[e.event_id] == ["bus"] for e in reg.registrations)


def test_a_broken_inbox_that_lets_repeats_through_fails_the_duplicate_check(
        registry_store, registry_database_url, hr_db, hr_database_url, amqp_uri, containers,
        monkeypatch):
    monkeypatch.setenv(BROKEN_INBOX, "1")
    containers(HrDepartment, hr_database_url)
    register(registry_store, 4)
    relay = Relay("registry", registry_store, amqp_uri, contract.public_form)
    relay.relay_pending()
    publish_again(registry_store, amqp_uri)
    relay.close()
    wait_until(lambda: copies_seen(hr_database_url) == 8, what="both copies of each event")

    reg, hr = ledgers(registry_database_url, hr_database_url)
    # What the checks saw before hr_handlings: one row per veteran and per inbox entry, as
    # the primary keys allow nothing else, so the repeat went unseen.
    assert len(hr.veterans) == len(hr.inbox) == 4
    assert handled_more_than_once(reg.registrations, hr) == {
        e.event_id: 2 for e in reg.registrations}
    assert any("handled more than once" in p for p in subscriber_is_exact(reg, hr))


def test_an_event_the_bus_lost_that_catch_up_brought_fails_the_bus_check(
        registry_store, registry_database_url, hr_db, hr_database_url, amqp_uri, containers):
    # A relay that lost these: stored, never published. HR's catch-up at start reads them from
    # the registry's log, so without the check nothing would look wrong.
    register(registry_store, 3)
    containers(RegistryService, registry_database_url)
    containers(HrDepartment, hr_database_url)
    wait_until(lambda: len(read_hr(hr_database_url).inbox) == 3, what="catch-up to bring them")

    reg, hr = ledgers(registry_database_url, hr_database_url)
    assert subscriber_is_exact(reg, hr) == []  # exact, and yet the bus lost every one
    assert {path for e in reg.registrations for path in hr.paths(e.event_id)} == {"catch-up"}
    failures = came_by_bus(reg.registrations, hr)
    assert len(failures) == 1 and failures[0].startswith("3 event(s) reached HR only by catch-up")

    # Published late (catch-up was first): the bus did deliver them, and the check says so.
    relay = Relay("registry", registry_store, amqp_uri, contract.public_form)
    relay.relay_pending()
    relay.close()
    wait_until(lambda: copies_seen(hr_database_url) == 6, what="the bus copies turned away")
    reg, hr = ledgers(registry_database_url, hr_database_url)
    assert came_by_bus(reg.registrations, hr) == []
