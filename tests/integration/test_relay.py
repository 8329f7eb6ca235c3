"""The relay against the real broker and database: order, envelope, wake-up, crash without loss."""
import json
import os
import signal
import subprocess
import sys
import threading

from cloudevents.core.formats.json import JSONFormat

from chassis.envelope import Metadata, NewEvent
from chassis.relay import Relay
from contracts import registry as contract
from tests.conftest import wait_until


def bind_probe(channel, queue="probe-registry-events"):
    """A queue bound to every registry event, as a department's would be."""
    channel.exchange_declare("registry.events", exchange_type="topic", durable=True)
    channel.queue_delete(queue)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, "registry.events", routing_key="#")
    return queue


def drain(channel, queue):
    bodies = []
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return bodies
        bodies.append((properties, body))


def a_registration(n):
    return NewEvent("VeteranRegistered", {
        "veteran_id": f"v{n}", "name": "陈志强", "id_number": "330703196805170011",
        "sex": "male", "birth_date": "1968-05-17", "phone": "13857900000",
        "address": "金华市金东区多湖街道光南路1号", "township": "多湖街道",
        "service_station": "多湖街道退役军人服务站", "enlisted_on": "1986-12-01",
        "discharged_on": "1990-12-01", "branch": "陆军", "rank": "上士",
        "discharge_category": "discharged_soldier", "area_code_known": True,
        "life_stage": "discharge"})


def test_events_arrive_in_order_as_cloudevents_without_personal_data(
        registry_store, amqp_uri, amqp_channel):
    queue = bind_probe(amqp_channel)
    for n in range(5):
        registry_store.append(f"v{n}", [a_registration(n)], 0, Metadata(correlation_id=f"c{n}"))
    relay = Relay("registry", registry_store, amqp_uri, contract.public_form)

    assert relay.relay_pending() == 5
    relay.close()

    messages = drain(amqp_channel, queue)
    assert [p.content_type for p, _ in messages] == ["application/cloudevents+json"] * 5
    # The stock CloudEvents SDK reads them, extension attributes included.
    parsed = [JSONFormat().read(None, body) for _, body in messages]
    events = [e.get_attributes() for e in parsed]
    assert [e["position"] for e in events] == [1, 2, 3, 4, 5]
    first = events[0]
    assert (first["specversion"], first["type"], first["source"]) == (
        "1.0", "VeteranRegistered", "/vetlife/registry")
    assert first["subject"] == "v0" and first["correlationid"] == "c0"
    assert first["dataschema"] == "urn:vetlife:registry:VeteranRegistered:v1"
    # Read back, not as sent: the body escapes non-ASCII, so a name would not match as typed.
    data = parsed[0].get_data()
    text = json.dumps(data, ensure_ascii=False)
    for private in ("陈志强", "330703196805170011", "0011", "1968-05-17", "13857900000", "光南路"):
        assert private not in text
    assert data["veteran_id"] == "v0" and data["birth_year"] == 1968
    assert data["service_station"] == "多湖街道退役军人服务站"
    assert relay.position() == 5


def test_a_sleeping_relay_wakes_on_a_commit(registry_store, amqp_uri, amqp_channel):
    queue = bind_probe(amqp_channel)
    relay = Relay("registry", registry_store, amqp_uri, contract.public_form)
    stop = threading.Event()
    # Its fallback poll is a minute away: only PostgreSQL's NOTIFY can wake it in time.
    runner = threading.Thread(target=relay.run, args=(stop, 60.0), daemon=True)
    runner.start()
    try:
        assert relay.listening.wait(15), "the relay never started listening"

        registry_store.append("v1", [a_registration(1)], 0, Metadata())

        wait_until(
            lambda: amqp_channel.queue_declare(queue, passive=True).method.message_count == 1,
            timeout=10, what="the event on the exchange")
    finally:
        stop.set()
        registry_store.append("v2", [a_registration(2)], 0, Metadata())  # wakes it to stop
        runner.join(10)
    assert not runner.is_alive()


def test_a_relay_killed_mid_publish_loses_nothing_on_restart(
        registry_store, registry_database_url, amqp_uri, amqp_channel):
    queue = bind_probe(amqp_channel)
    # Enough that the relay (about 10,000 events/s here) is surely still publishing when killed.
    total = 20_000
    for batch in range(total // 100):
        registry_store.append(f"batch-{batch}", [a_registration(batch) for _ in range(100)], 0, Metadata())
    env = {**os.environ, "REGISTRY_DATABASE_URL": registry_database_url, "AMQP_URI": amqp_uri}
    command = [sys.executable, "-m", "chassis.relay", "registry"]

    relay = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    wait_until(lambda: amqp_channel.queue_declare(queue, passive=True).method.message_count > 100,
               what="the relay to be publishing")
    relay.send_signal(signal.SIGKILL)
    relay.wait(10)
    published_before_kill = amqp_channel.queue_declare(queue, passive=True).method.message_count
    assert published_before_kill < total, "the relay finished before it could be killed"

    restarted = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: registry_store.db and _checkpoint(registry_store) == total,
                   timeout=60, what="the restarted relay to catch up")
    finally:
        restarted.terminate()
        restarted.wait(10)

    positions = [json.loads(body)["position"] for _, body in drain(amqp_channel, queue)]
    assert set(positions) == set(range(1, total + 1))  # nothing lost, nothing skipped
    # What was re-published is only what the crash left without a checkpoint: the batch awaited
    # and the next one, sent meanwhile (chassis.relay.Relay), two batches of 500 at most.
    assert len(positions) - total <= 2 * 500
    assert positions == sorted(positions) or _restart_overlap_only(positions)


def _checkpoint(store):
    with store.db.transaction() as cur:
        cur.execute("SELECT position FROM checkpoints WHERE name = 'relay'")
        row = cur.fetchone()
        return row[0] if row else 0


def _restart_overlap_only(positions):
    """Order holds within each run; the second run restarts from the last checkpoint."""
    drop = next(i for i in range(1, len(positions)) if positions[i] < positions[i - 1])
    return positions[:drop] == sorted(positions[:drop]) and positions[drop:] == sorted(
        positions[drop:])


def test_a_fresh_relay_declares_its_exchange_before_the_first_event(
        registry_store, amqp_uri, amqp_channel):
    """A department may bind its queue before the registry has published anything."""
    amqp_channel.exchange_delete("registry.events")
    relay = Relay("registry", registry_store, amqp_uri, contract.public_form)
    stop = threading.Event()
    runner = threading.Thread(target=relay.run, args=(stop, 60.0), daemon=True)
    runner.start()
    try:
        assert relay.listening.wait(15), "the relay never started listening"
        assert registry_store.head() == 0 and relay.published == 0

        amqp_channel.exchange_declare("registry.events", passive=True)  # 404 if it is missing
        amqp_channel.queue_declare("probe-early-binder", durable=True)
        amqp_channel.queue_bind("probe-early-binder", "registry.events", routing_key="#")
    finally:
        stop.set()
        registry_store.append("v1", [a_registration(1)], 0, Metadata())  # wakes it to stop
        runner.join(10)
        if amqp_channel.is_open:
            amqp_channel.queue_delete("probe-early-binder")
    assert not runner.is_alive()
