"""Proactive offers over the real bus: registry events relayed to benefits open offers, once each."""
from __future__ import annotations

import pytest
from nameko.containers import ServiceContainer

from chassis import deadletters
from chassis.consumer import NAMEKO_SERIALIZER_CONFIG
from chassis.envelope import Metadata
from chassis.relay import Relay
from contracts import registry as registry_contract
from services.benefits import handlers
from services.benefits.service import BenefitsService
from services.registry import handlers as registry_handlers
from services.registry.domain import model
from services.registry.service import RegistryService
from tests import benefits_fixtures
from tests.conftest import wait_until
from tests.factories import veteran_payload

benefits_database_url = benefits_fixtures.benefits_database_url
benefits_db = benefits_fixtures.benefits_db
STATION = benefits_fixtures.STATION
QUEUE = (f"evt-registry-{'+'.join(handlers.REGISTRY_EVENT_TYPES)}--benefits.on_registry_event")


@pytest.fixture
def containers(amqp_uri, amqp_channel, registry_database_url, benefits_database_url):
    for queue in (QUEUE, deadletters.dead_letter_queue(QUEUE), "rpc-registry", "rpc-benefits"):
        amqp_channel.queue_delete(queue)
    started = []

    def start(service_cls, url):
        container = ServiceContainer(service_cls, {
            "AMQP_URI": amqp_uri, "DATABASE_URL": url, "max_workers": 4,
            **NAMEKO_SERIALIZER_CONFIG})
        container.start()
        started.append(container)
        return container

    yield start
    for container in reversed(started):
        container.kill()
    # A queue left bound to registry.events would take copies of later tests' events (the
    # subscriber tests count unroutable publishes): gone with the test that made it.
    for queue in (QUEUE, deadletters.dead_letter_queue(QUEUE)):
        amqp_channel.queue_delete(queue)


def register(store, **overrides) -> str:
    cmd = model.RegisterVeteran(**registry_contract.RegisterVeteranRequest().load(
        veteran_payload(service_station=STATION, **overrides)))
    return registry_handlers.register_veteran(store, cmd, Metadata()).veteran_id


def mark_tie(store, veteran_id: str, tie: str = "martyr") -> None:
    cmd = model.MarkSurvivorTie(veteran_id=veteran_id, tie=tie, fallen_name="陈国栋",
                                relation="father")
    registry_handlers.change_file(store, veteran_id, cmd,
                                  lambda f: f.mark_survivor_tie(cmd, registry_handlers
                                                                .shanghai_today()), Metadata())


def offers(db) -> list[tuple[str, str]]:
    with db.transaction() as cur:
        cur.execute("SELECT data->>'veteran_id', data->>'kind' FROM stored_events "
                    "WHERE event_type = 'OfferOpened' ORDER BY position")
        return cur.fetchall()


def noted(db) -> list[tuple[str, str]]:
    """The registry's ties benefits keeps in its own store (SurvivorTieNoted)."""
    with db.transaction() as cur:
        cur.execute("SELECT data->>'veteran_id', data->>'tie' FROM stored_events "
                    "WHERE event_type = 'SurvivorTieNoted' ORDER BY position")
        return cur.fetchall()


def known(db, veteran_id) -> bool:
    with db.transaction() as cur:
        cur.execute("SELECT ties FROM benefit_veterans WHERE veteran_id = %s", (veteran_id,))
        row = cur.fetchone()
        return row is not None and row[0]


def test_a_survivor_tie_in_the_registry_opens_offers_once_however_often_it_is_published(
        registry_store, registry_database_url, benefits_db, benefits_database_url, amqp_uri,
        containers):
    containers(RegistryService, registry_database_url)
    benefits = containers(BenefitsService, benefits_database_url)
    veteran_id = register(registry_store, discharged_on=None)
    mark_tie(registry_store, veteran_id)
    relay = Relay("registry", registry_store, amqp_uri, registry_contract.public_form)
    relay.relay_pending()

    wait_until(lambda: len(offers(benefits_db)) == 2, what="two offers opened")
    assert sorted(offers(benefits_db)) == sorted([(veteran_id, "survivors_pension"),
                                                  (veteran_id, "card")])
    assert known(benefits_db, veteran_id) == ["martyr"]
    wait_until(lambda: noted(benefits_db) == [(veteran_id, "martyr")], what="the tie noted")
    # The registry's public events carry no names: nor does what benefits kept of them.
    with benefits_db.transaction() as cur:
        cur.execute("SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'benefit_veterans'")
        assert {row[0] for row in cur.fetchall()} == {
            "veteran_id", "station", "township", "discharged", "ties", "registry_position"}

    # The relay crashed before its checkpoint: everything is published again; nothing doubles.
    with registry_store.db.transaction() as cur:
        cur.execute("UPDATE checkpoints SET position = 0 WHERE name = 'relay'")
    relay.relay_pending()
    relay.close()
    subscription = next(e for e in benefits.entrypoints if e.method_name == "on_registry_event")
    wait_until(lambda: subscription.stats["acked"] >= 4, what="all four deliveries settled")
    assert subscription.stats["duplicate"] >= 2
    assert len(offers(benefits_db)) == 2
    assert noted(benefits_db) == [(veteran_id, "martyr")]   # kept once, in benefits' store


def test_benefits_catches_up_on_ties_marked_before_it_started(
        registry_store, registry_database_url, benefits_db, benefits_database_url, containers):
    containers(RegistryService, registry_database_url)
    veteran_id = register(registry_store, discharged_on=None)
    mark_tie(registry_store, veteran_id, tie="died_on_duty")
    # Never relayed: benefits starts afterwards and reads the registry's log itself.
    containers(BenefitsService, benefits_database_url)
    wait_until(lambda: len(offers(benefits_db)) == 2, timeout=30,
               what="offers from the registry's log")
    assert known(benefits_db, veteran_id) == ["died_on_duty"]
