"""Placement on the real broker and databases: registry facts kept once and in order; its RPCs by reach."""
import json
import random
from datetime import date, timedelta

import pika
import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from chassis import deadletters
from chassis.caller import Caller
from chassis.clock import SYSTEM_CLOCK
from chassis.consumer import NAMEKO_SERIALIZER_CONFIG, Subscription
from chassis.db import Database
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.relay import message_properties
from contracts import registry as registry_contract
from services.placement import registry_facts
from services.placement.service import PlacementService
from services.registry.service import RegistryService
from tests.conftest import fresh_database, truncate, wait_until
from tests.factories import resident_id_number, veteran_payload

STATION = "多湖街道退役军人服务站"
QUEUE = (f"evt-registry-{'+'.join(registry_facts.EVENT_TYPES)}--placement.on_registry_event")


@pytest.fixture(scope="module")
def placement_service_database_url():
    return fresh_database("vetlife_placement_service_test",
                         [CHASSIS_MIGRATIONS, service_migrations("placement")])


@pytest.fixture
def placement_db(placement_service_database_url):
    db = Database(placement_service_database_url)
    truncate(db, "deadlines", "placement_cases", "post_quotas", "post_holders", "registry_facts",
             "stream_progress", "parked_events", "dead_lettered")
    yield db
    db.close()


def delete_queues(amqp_uri):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        for queue in (QUEUE, deadletters.dead_letter_queue(QUEUE), "rpc-registry",
                      "rpc-placement"):
            channel.queue_delete(queue)
    finally:
        connection.close()


@pytest.fixture
def start_container(amqp_uri):
    delete_queues(amqp_uri)
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
    # Left bound to registry.events, the queue would take events other tests expect unroutable.
    delete_queues(amqp_uri)


def facts(db, veteran_id):
    with db.transaction() as cur:
        cur.execute("SELECT service_station, rank, enlisted_year, discharged_year, honours, "
                    "martyr_child FROM registry_facts WHERE veteran_id = %s", (veteran_id,))
        return cur.fetchone()


def publish_shuffled(amqp_uri, events, rng):
    """Every event once or twice, in an order the relay would never use."""
    deliveries = list(events) + [e for e in events if rng.random() < 0.5]
    rng.shuffle(deliveries)
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for event in deliveries:
            body = json.dumps(event.to_cloudevent(registry_contract.SOURCE,
                                                  registry_contract.public_form(event)),
                              default=str).encode()
            channel.basic_publish("registry.events", event.event_type, body,
                                  message_properties(event))
    finally:
        connection.close()
    return len(deliveries)


def caller(**overrides) -> dict:
    return Caller(**{"subject": "officer-1", "roles": ("placement_officer",),
                     "actor": "placement_officer:officer-1", "district": True,
                     **overrides}).as_dict()


def test_registry_facts_are_kept_once_in_each_veterans_order_and_fill_a_report_in(
        registry_store, registry_database_url, placement_db, placement_service_database_url,
        amqp_uri, start_container):
    rng = random.Random(8)
    start_container(RegistryService, registry_database_url)
    placement = start_container(PlacementService, placement_service_database_url)
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
        # Born in 1998-1999, so a 2018 enlistment is past the 16th birthday the registry
        # checks (a number drawn at random could be born too late for it).
        veterans = [cluster.registry.register_veteran(
            veteran_payload(service_station=STATION, rank="中士", enlisted_on="2018-09-01",
                            discharged_on="2026-09-01",
                            id_number=resident_id_number(born=date(1998, 1, 1) + timedelta(
                                days=rng.randrange(700)), sequence=rng.randrange(999))
                            ))["veteran_id"] for _ in range(4)]
        for veteran_id in veterans:
            cluster.registry.add_honour(veteran_id, {"honour": "个人二等功"})
            cluster.registry.add_honour(veteran_id, {"honour": "优秀士兵"})
            cluster.registry.mark_survivor_tie(veteran_id, {"tie": "martyr", "fallen_name": "陈国栋",
                                                            "relation": "father"})
            cluster.registry.record_discharge(veteran_id, {
                "discharged_on": "2026-09-01", "discharge_category": "discharged_soldier",
                "rank": "上士"})
    events = [e for e in registry_store.read_all(0, 1000)
              if e.event_type in registry_facts.EVENT_TYPES]
    sent = publish_shuffled(amqp_uri, events, rng)
    subscription = next(e for e in placement.entrypoints if isinstance(e, Subscription))
    wait_until(lambda: all(facts(placement_db, v) and len(facts(placement_db, v)[4]) == 2
                           and facts(placement_db, v)[1] == "上士" for v in veterans),
               timeout=60, what="every veteran's facts in order")
    wait_until(lambda: subscription.stats["acked"] >= sent, what="every delivery settled")
    for veteran_id in veterans:
        # Each honour once, although some events came twice; the discharge's rank over the
        # registration's, although some came first.
        assert facts(placement_db, veteran_id) == (STATION, "上士", 2018, 2026,
                                                   ["个人二等功", "优秀士兵"], True)
    # The bus did bring events ahead of their turn, and twice: the test tested something.
    # (Parking depends on timing: the start-up catch-up may bring everything in order first, so
    # only the repeats, which the shuffle always sends, are certain.)
    assert subscription.stats["duplicate"] > 0

    # A report-in that gives only the veteran and the approval: the rest is the registry's.
    approved = (SYSTEM_CLOCK.today() - timedelta(days=10)).isoformat()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
        accepted = cluster.placement.report_in(
            {}, {"veteran_id": veterans[0], "discharge_approved_on": approved}, None,
            caller(command_id="it-report-1", correlation_id="c-1"))
        case = cluster.placement.get_placement_case({"case_id": accepted["case_id"]}, None,
                                                    None, caller())
        eligibility = cluster.placement.placement_eligibility(
            {"veteran_id": veterans[0]}, None, None,
            caller(roles=("veteran",), district=False, veteran_id=veterans[0]))
        with pytest.raises(Exception) as elsewhere:
            cluster.placement.get_placement_case(
                {"case_id": accepted["case_id"]}, None, None,
                caller(roles=("station_worker",), district=False, stations=("孝顺镇退役军人服务站",)))
    assert (case["facts"]["rank_class"], case["facts"]["years_of_service"],
            case["facts"]["martyr_child"], case["service_station"]) == \
        ("senior_nco", 8, True, STATION)
    assert [h["actor"] for h in case["history"]] == ["placement_officer:officer-1"]
    modes = {m["mode"]: m for m in eligibility["modes"]}
    assert modes["assigned_work"]["allowed"]  # a 2nd-class merit, a martyr's child
    assert "Art. 25" in modes["assigned_work"]["explanation"]
    assert getattr(elsewhere.value, "code", None) == "not_found"
