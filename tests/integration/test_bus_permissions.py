"""The bus is a boundary: on the real broker a department may follow events and catch up, nothing else."""
import json
import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import amqp.exceptions
import pika
import pika.exceptions
import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from chassis import catchup_client
from chassis.catchup_client import CatchupRpcProxy
from chassis.envelope import Metadata
from contracts import registry as contract
from services.registry import handlers
from services.registry.domain import model
from services.registry.service import RegistryService
from tests.factories import veteran_payload

ROOT = Path(__file__).resolve().parents[2]
DEPARTMENTS = ("public_security", "hr_social_security", "medical_insurance", "party_organisation",
               "armed_forces")
DEPT = "hr_social_security"
OTHER = "public_security"
OWN_QUEUE = f"dept.{DEPT}.registry-events"
OTHER_QUEUE = f"dept.{OTHER}.registry-events"


def as_root(argv: list[str]) -> list[str]:
    return argv if os.geteuid() == 0 else ["sudo", "-n", *argv]


def rabbitmqctl(*args: str) -> str:
    try:
        done = subprocess.run(as_root(["rabbitmqctl", "-q", *args]), capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        pytest.fail(f"rabbitmqctl is needed to check the bus users: {exc}")
    if done.returncode != 0:
        pytest.fail(f"rabbitmqctl {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def vhost_of(amqp_uri: str) -> str:
    return unquote(urlsplit(amqp_uri).path[1:]) or "/"


def department_uri(amqp_uri: str, department: str) -> str:
    """The test vhost's URI with the department's credentials (scripts/bus-users.sh's password)."""
    parts = urlsplit(amqp_uri)
    password = os.environ.get(f"VETLIFE_DEPT_PASSWORD_{department.upper()}", f"dept-{department}")
    netloc = (f"{quote('dept-' + department, safe='')}:{quote(password, safe='')}"
              f"@{parts.hostname}:{parts.port or 5672}")
    return urlunsplit(parts._replace(netloc=netloc))


def broker_permissions(vhost: str) -> tuple[set, set]:
    """The departments' (user, configure, write, read) and topic permission rows on `vhost`."""
    rows = {tuple(line.split("\t")) for line in rabbitmqctl("list_permissions", "-p", vhost)
            .splitlines()[1:]}
    topic = {tuple(line.split("\t")) for line in rabbitmqctl("list_topic_permissions", "-p", vhost)
             .splitlines()[1:]}
    return ({r for r in rows if r[0].startswith("dept-")},
            {r for r in topic if r[0].startswith("dept-")})


@pytest.fixture(scope="session")
def bus_users(amqp_uri) -> str:
    """Make sure the department users exist on the test vhost, without overwriting them.

    make test has run scripts/infra.sh, which runs scripts/bus-users.sh; the script runs here only
    when a user is missing, so permissions loosened by hand on the broker make these tests fail.
    """
    vhost = vhost_of(amqp_uri)
    permissions, _ = broker_permissions(vhost)
    if {row[0] for row in permissions} != {f"dept-{d}" for d in DEPARTMENTS}:
        subprocess.run([str(ROOT / "scripts" / "bus-users.sh"), vhost], check=True, timeout=120,
                       stdin=subprocess.DEVNULL)
        permissions, _ = broker_permissions(vhost)
        assert {row[0] for row in permissions} == {f"dept-{d}" for d in DEPARTMENTS}
    return vhost


@pytest.fixture
def exchanges(amqp_channel, bus_users):
    """nameko-rpc and registry.events as the services declare them (a department may not)."""
    amqp_channel.exchange_declare("nameko-rpc", exchange_type="topic", durable=True)
    amqp_channel.exchange_declare("registry.events", exchange_type="topic", durable=True)
    for queue in (OWN_QUEUE, OTHER_QUEUE):
        amqp_channel.queue_delete(queue)
    yield
    for queue in (OWN_QUEUE, OTHER_QUEUE):
        amqp_channel.queue_delete(queue)


@pytest.fixture
def dept_uri(amqp_uri, exchanges) -> str:
    return department_uri(amqp_uri, DEPT)


@pytest.fixture
def registry(amqp_uri, amqp_channel, registry_store, registry_database_url, exchanges):
    """The real RegistryService on the test database, running as the services do (guest here)."""
    amqp_channel.queue_delete("rpc-registry")
    container = ServiceContainer(RegistryService, {
        "AMQP_URI": amqp_uri, "DATABASE_URL": registry_database_url, "max_workers": 4})
    container.start()
    yield registry_store
    container.kill()


def refused(uri: str, action) -> str:
    """Run `action(channel)` as the user of `uri`; return the broker's refusal, fail without one."""
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()  # so a refused publish is reported at the publish
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refusal:
            action(channel)
        assert refusal.value.reply_code == 403, refusal.value
        assert refusal.value.reply_text.startswith("ACCESS_REFUSED"), refusal.value
        return refusal.value.reply_text
    finally:
        if connection.is_open:
            connection.close()


def as_user(uri: str, action):
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        return action(channel)
    finally:
        if connection.is_open:
            connection.close()


def register_one(store) -> str:
    data = contract.RegisterVeteranRequest().load(veteran_payload())
    return handlers.register_veteran(store, model.RegisterVeteran(**data), Metadata()).veteran_id


def rpc_request(reply_to: str) -> pika.BasicProperties:
    return pika.BasicProperties(content_type="application/json", reply_to=reply_to,
                                correlation_id=str(uuid.uuid4()))


# -- (a) no RPC but the catch-up -------------------------------------------------------------


@pytest.mark.parametrize("routing_key", [
    "registry.get_veteran", "registry.list_veterans", "registry.register_veteran",
    "registry.amend_contact", "gateway.health", "registry.events_after.get_veteran",
])
def test_a_department_cannot_call_any_rpc_but_events_after(dept_uri, routing_key):
    reason = refused(dept_uri, lambda ch: ch.basic_publish(
        "nameko-rpc", routing_key,
        json.dumps({"args": ["any-veteran-id"], "kwargs": {}}).encode(),
        rpc_request(catchup_client.reply_queue_name(DEPT)), mandatory=True))
    assert f"topic '{routing_key}'" in reason


def test_get_veteran_is_refused_through_the_department_s_nameko_proxy_too(dept_uri, registry):
    veteran_id = register_one(registry)
    with CatchupRpcProxy(DEPT, {"AMQP_URI": dept_uri}, timeout=10) as cluster:
        with pytest.raises(amqp.exceptions.AccessRefused, match="registry.get_veteran"):
            cluster.registry.get_veteran(veteran_id)


# -- (b) the catch-up works end to end -------------------------------------------------------


def test_a_department_catches_up_over_plain_amqp(dept_uri, registry):
    veteran_id = register_one(registry)

    page = catchup_client.events_after(dept_uri, DEPT, "registry", 0, 500, timeout=20)

    assert set(page) == {"head", "events"}
    assert page["head"] >= 1
    registered = [e for e in page["events"] if e["subject"] == veteran_id]
    assert [e["type"] for e in registered] == ["VeteranRegistered"]
    # The public form: what the events exchange carries, never the ID number, phone or address.
    assert not {"id_number", "phone", "address"} & set(registered[0]["data"])


def test_a_department_catches_up_with_nameko_s_cluster_proxy(dept_uri, registry):
    veteran_id = register_one(registry)

    with CatchupRpcProxy(DEPT, {"AMQP_URI": dept_uri}, timeout=20) as cluster:
        page = cluster.registry.events_after(0, 500, ["VeteranRegistered"])

    assert veteran_id in [e["subject"] for e in page["events"]]
    assert page["head"] >= page["events"][-1]["position"]


def test_nameko_s_stock_cluster_proxy_is_refused_which_is_why_the_helper_exists(dept_uri):
    # It declares nameko-rpc (configure, which would also allow deleting it) and a reply queue
    # outside the department's namespace.
    with pytest.raises(amqp.exceptions.AccessRefused, match="nameko-rpc"):
        with ClusterRpcProxy({"AMQP_URI": dept_uri}, timeout=5):
            pass


# -- (c) another department's queues ---------------------------------------------------------


def test_a_department_cannot_touch_another_department_s_queue(amqp_uri, dept_uri):
    other_uri = department_uri(amqp_uri, OTHER)
    as_user(other_uri, lambda ch: (ch.queue_declare(OTHER_QUEUE, durable=True),
                                   ch.queue_bind(OTHER_QUEUE, "registry.events", "#")))

    refused(dept_uri, lambda ch: ch.queue_declare(OTHER_QUEUE, durable=True))
    refused(dept_uri, lambda ch: ch.basic_get(OTHER_QUEUE))
    refused(dept_uri, lambda ch: ch.basic_consume(OTHER_QUEUE, lambda *a: None))
    refused(dept_uri, lambda ch: ch.queue_bind(OTHER_QUEUE, "registry.events", "#"))
    refused(dept_uri, lambda ch: ch.queue_purge(OTHER_QUEUE))
    refused(dept_uri, lambda ch: ch.queue_delete(OTHER_QUEUE))


@pytest.mark.parametrize("queue", ["rpc-registry", "evt-registry-VeteranRegistered--x.y",
                                   "dept.public_security.mine", "hr_social_security.q", ""])
def test_a_department_declares_queues_only_in_its_own_namespace(dept_uri, queue):
    refused(dept_uri, lambda ch: ch.queue_declare(queue, exclusive=True))


def test_a_department_cannot_read_the_services_rpc_queue(dept_uri, registry):
    refused(dept_uri, lambda ch: ch.basic_get("rpc-registry"))


# -- (d) no copies of RPC traffic ------------------------------------------------------------


@pytest.mark.parametrize("binding_key", [
    "registry.*", "#", "*.*", "*", "registry.get_veteran", "registry.events_after",
    "5f0c2a4e-8d1b-4c3f-9a7e-2b6d8c0e1f3a",               # another caller's reply (nameko's form)
    f"dept.{OTHER}.reply-5f0c2a4e-8d1b-4c3f-9a7e-2b6d8c0e1f3a", f"dept.{OTHER}.#",  # theirs
    "dept.#", "dept.*.#",
])
def test_a_department_cannot_bind_to_nameko_rpc_beyond_its_replies(dept_uri, binding_key):
    queue = f"dept.{DEPT}.tap-{uuid.uuid4()}"
    reason = refused(dept_uri, lambda ch: (ch.queue_declare(queue, exclusive=True),
                                           ch.queue_bind(queue, "nameko-rpc", binding_key)))
    assert "nameko-rpc" in reason


def test_nor_through_an_exchange_of_its_own(dept_uri):
    own_exchange = f"dept.{DEPT}.fanin"
    refused(dept_uri, lambda ch: (
        ch.exchange_declare(own_exchange, exchange_type="topic", auto_delete=True),
        ch.exchange_bind(own_exchange, "nameko-rpc", "#")))


def test_a_department_cannot_declare_or_delete_the_services_exchanges(dept_uri):
    refused(dept_uri, lambda ch: ch.exchange_declare("nameko-rpc", exchange_type="topic",
                                                     durable=True))
    refused(dept_uri, lambda ch: ch.exchange_delete("nameko-rpc"))
    refused(dept_uri, lambda ch: ch.exchange_delete("registry.events"))


# -- (e) only the relays publish events ------------------------------------------------------


@pytest.mark.parametrize("exchange, routing_key", [
    ("registry.events", "VeteranRegistered"),
    ("placement.events", "VeteranPlaced"),
    ("", "rpc-registry"),                       # the default exchange, straight into a queue
    ("amq.topic", "registry.get_veteran"),
])
def test_a_department_cannot_publish_events(dept_uri, exchange, routing_key):
    refused(dept_uri, lambda ch: ch.basic_publish(exchange, routing_key, b"{}"))


# -- (f) what a department may do ------------------------------------------------------------


def test_a_department_follows_registry_events_on_its_own_queue(amqp_channel, dept_uri):
    def subscribe(ch):
        ch.exchange_declare("registry.events", exchange_type="topic", durable=True, passive=True)
        ch.queue_declare(OWN_QUEUE, durable=True)
        ch.queue_bind(OWN_QUEUE, "registry.events", "#")

    as_user(dept_uri, subscribe)
    amqp_channel.basic_publish("registry.events", "VeteranRegistered", b'{"probe": 1}',
                               pika.BasicProperties(content_type="application/cloudevents+json"))

    def consume(ch):
        for method, _properties, body in ch.consume(OWN_QUEUE, inactivity_timeout=10):
            assert method is not None, "the event never reached the department's queue"
            ch.basic_ack(method.delivery_tag)
            ch.cancel()
            return body

    assert as_user(dept_uri, consume) == b'{"probe": 1}'
    as_user(dept_uri, lambda ch: ch.queue_delete(OWN_QUEUE))


# -- the broker holds what deploy/ declares --------------------------------------------------


def test_the_broker_holds_the_departments_permissions_deploy_declares(bus_users):
    """scripts/bus-users.sh and deploy/rabbitmq/definitions.json grant the same, to the letter."""
    definitions = json.loads((ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text())
    declared = {(p["user"], p["configure"], p["write"], p["read"])
                for p in definitions["permissions"] if p["user"].startswith("dept-")}
    declared_topic = {(p["user"], p["exchange"], p["write"], p["read"])
                      for p in definitions["topic_permissions"] if p["user"].startswith("dept-")}
    assert {p[0] for p in declared} == {f"dept-{d}" for d in DEPARTMENTS}

    assert broker_permissions(bus_users) == (declared, declared_topic)


# -- what the broker cannot check: the reply address a department writes ---------------------


@pytest.mark.parametrize("reply_to", ["registry.get_veteran", None, "rpc-registry", "#"])
def test_a_crafted_reply_address_is_dropped_and_the_service_lives_on(dept_uri, registry,
                                                                     reply_to):
    """The one RPC a department may call, with a reply_to aimed at the service's own request
    queue (or none): nameko's responder would put the reply into `rpc-registry` (or raise
    KeyError) and kill the container. The registry drops such a request and keeps answering."""
    def send(ch):
        properties = pika.BasicProperties(content_type="application/json",
                                          correlation_id=str(uuid.uuid4()),
                                          **({"reply_to": reply_to} if reply_to else {}))
        ch.basic_publish("nameko-rpc", "registry.events_after",
                         json.dumps({"args": [0, 10], "kwargs": {}}).encode(), properties,
                         mandatory=True)

    as_user(dept_uri, send)
    veteran_id = register_one(registry)
    # Still alive and answering, more than once (a reply in its own queue would be re-consumed).
    for _ in range(3):
        page = catchup_client.events_after(dept_uri, DEPT, "registry", 0, 500, timeout=20)
        assert veteran_id in [e["subject"] for e in page["events"]]
