"""The six drills: what each breaks, how, and what it checks beyond the shared invariants."""
from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pika
import requests

from chassis.db import Database
from chassis.deadletters import list_dead_letters
from chassis.envelope import CLOUDEVENTS_CONTENT_TYPE
from chassis.relay import events_exchange, message_properties
from chassis.store import PostgresEventStore
from contracts import registry as contract
from faults.bureau import HR_QUEUE, Bureau
from faults.infrastructure import PrivatePostgres, PrivateRabbit
from faults.invariants import Window
from faults.ledger import read_hr, read_registry


@dataclass
class Grounds:
    """Everything a drill may break: the private instances and the bureau's processes."""

    pg: PrivatePostgres
    rabbit: PrivateRabbit
    bureau: Bureau
    # Dead letters a drill planted on purpose (the poison); any other one is reported.
    planted: set


class Drill:
    name = ""
    title = ""
    # While the bus is up, every event must reach HR over it: one that came only by catch-up
    # was lost by the relay or the bus (invariants.came_by_bus). False for a drill that takes
    # the bus down.
    bus_up = True

    def inject(self, grounds: Grounds) -> Window:
        raise NotImplementedError

    def verify(self, grounds: Grounds, window: Window) -> None:
        """Drill-specific checks after the system settled; appends to window.failures/notes."""


class RegistryKill(Drill):
    name, title = "registry_kill", "1 kill -9 registry"

    def inject(self, grounds):
        injected = time.time()
        grounds.bureau.kill("registry")
        # A supervisor notices and restarts; a second is a fast one.
        time.sleep(1.0)
        grounds.bureau.start("registry")
        return Window(injected, time.time(), outage=True)


class RelayKill(Drill):
    name, title = "relay_kill", "2 kill -9 relay mid-publish"
    tries = 4

    def inject(self, grounds):
        bureau = grounds.bureau
        delay = 0.02
        for attempt in range(1, self.tries + 1):
            # Let a backlog build up, then kill the relay while it publishes it: events on the
            # broker that its checkpoint does not cover yet, which it must publish again.
            bureau.suspend("relay")
            time.sleep(3.0)
            bureau.resume("relay")
            time.sleep(delay)
            injected = time.time()
            bureau.kill("relay")
            reg = read_registry(bureau.registry_url)
            time.sleep(0.5)  # HR takes what was already on the broker
            hr = read_hr(bureau.hr_url)
            early = [e for e in reg.registrations
                     if e.position > reg.relay_checkpoint and e.event_id in hr.inbox]
            if early or attempt == self.tries:
                break
            # Nothing past the checkpoint reached HR: killed before publishing, or after the
            # backlog was done. Aim again.
            delay = delay / 2 if reg.relay_checkpoint >= reg.head - 3 else delay * 1.5
            bureau.start("relay")
            time.sleep(1.5)
        self.checkpoint_at_kill = reg.relay_checkpoint
        back = time.time()
        bureau.start("relay")
        verdict = (f"{len(early)} event(s) past its checkpoint {reg.relay_checkpoint} were "
                   "already on the broker: killed mid-publish" if early else
                   "no event past its checkpoint had reached the broker: not mid-publish")
        return Window(injected, back, outage=False,
                      notes=[f"relay killed on try {attempt}, {delay * 1000:.0f} ms into its "
                             f"backlog; {verdict}"],
                      failures=[] if early else ["could not kill the relay mid-publish"])


class BrokerRestart(Drill):
    name, title = "rabbitmq_restart", "3 restart RabbitMQ"
    bus_up = False

    def inject(self, grounds):
        injected = time.time()
        grounds.rabbit.stop()
        time.sleep(2.0)
        grounds.rabbit.start()
        return Window(injected, time.time(), outage=True)


def _burst(bureau: Bureau, size: int) -> list[int | None]:
    """`size` list requests at once: the registry needs as many pooled connections together (and
    the gateway as many for the audit log: a clerk's list shows names, so it is recorded)."""
    statuses: list[int | None] = [None] * size

    def ask(n: int) -> None:
        try:
            statuses[n] = requests.get(f"{bureau.base_url}/api/v1/veterans?page_size=1",
                                       headers=bureau.auth, timeout=15).status_code
        except requests.RequestException:
            pass

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


class DatabaseRestart(Drill):
    name, title = "postgres_restart", "4 restart PostgreSQL"
    burst = 12

    def inject(self, grounds):
        bureau = grounds.bureau
        # Fill the pools with idle connections, which the restart will leave dead.
        _burst(bureau, self.burst)
        injected = time.time()
        # What ops do: a fast restart. Every pooled connection dies with it; the first use of
        # each after the restart must not cost a client a 503.
        grounds.pg.restart()
        back = time.time()
        after = _burst(bureau, self.burst)
        window = Window(injected, back, outage=True)
        failed = [s for s in after if s != 200]
        window.notes.append(f"{self.burst} list requests at once right after the restart: "
                            + ", ".join(f"{n}x{s}" for s, n in sorted(Counter(after).items())))
        if failed:
            window.failures.append(f"{len(failed)} of {self.burst} requests sent after "
                                   "PostgreSQL was back failed: dead pooled connections")
        return window


class DatabaseCrash(Drill):
    name, title = "postgres_crash", "4b crash PostgreSQL, 3 s down"

    def inject(self, grounds):
        injected = time.time()
        # `immediate` is a crash as far as clients and the data are concerned: no goodbye to
        # connections, WAL recovery at the next start.
        grounds.pg.stop("immediate")
        time.sleep(3.0)
        grounds.pg.start()
        return Window(injected, time.time(), outage=True)


def _publish(uri: str, messages: list[tuple[str, bytes, pika.BasicProperties]]) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for routing_key, body, properties in messages:
            channel.basic_publish(events_exchange("registry"), routing_key, body, properties,
                                  mandatory=True)
    finally:
        connection.close()


class DuplicatesOutOfOrder(Drill):
    name, title = "duplicates", "5 same events twice, shuffled"
    replayed = 300

    def inject(self, grounds):
        bureau = grounds.bureau
        reg = read_registry(bureau.registry_url)
        hr = read_hr(bureau.hr_url)
        delivered = [e for e in reg.registrations if e.event_id in hr.inbox][-self.replayed:]
        self.snapshot = {e.veteran_id: hr.veterans.get(e.veteran_id) for e in delivered}
        self.inbox_snapshot = {e.event_id: hr.inbox[e.event_id] for e in delivered}
        wanted = {e.event_id for e in delivered}
        db = Database(bureau.registry_url, max_connections=1)
        try:
            store = PostgresEventStore(db, "registry_events", upcast=contract.upcast)
            events = [e for e in store.read_all(after=delivered[0].position - 1, limit=100_000)
                      if e.event_id in wanted]
        finally:
            db.close()
        # Exactly what the relay would send: the public form in the CloudEvents envelope.
        messages = [(e.event_type,
                     json.dumps(e.to_cloudevent(contract.SOURCE, contract.public_form(e)),
                                default=str).encode(),
                     message_properties(e)) for e in events]
        rounds = []
        for _ in range(2):
            shuffled = messages[:]
            random.shuffle(shuffled)
            rounds.extend(shuffled)
        injected = time.time()
        _publish(grounds.rabbit.uri, rounds)
        return Window(injected, injected, outage=False,
                      notes=[f"{len(rounds)} copies of {len(events)} delivered events published"])

    def verify(self, grounds, window):
        hr = read_hr(grounds.bureau.hr_url)
        changed = [v for v, row in self.snapshot.items() if hr.veterans.get(v) != row]
        reinboxed = [i for i, row in self.inbox_snapshot.items() if hr.inbox.get(i) != row]
        if changed or reinboxed:
            window.failures.append(f"replayed events changed {len(changed)} HR row(s) and "
                                   f"{len(reinboxed)} inbox row(s): an effect happened twice")
        # HR's handlings have no unique key: a repeat the inbox let through would be a second
        # row here, not an error that rolls back unseen.
        twice = {i: len(hr.handlings.get(i, ())) for i in self.inbox_snapshot}
        twice = {i: n for i, n in twice.items() if n != 1}
        if twice:
            window.failures.append(f"{len(twice)} replayed event(s) handled "
                                   f"{sorted(set(twice.values()))} times, not once")
        # The copies did reach HR (and were turned away), or the drill tested nothing.
        reached = sum(1 for i in self.inbox_snapshot if len(hr.repeats.get(i, ())) >= 2)
        window.notes.append(f"{reached} of {len(self.inbox_snapshot)} replayed events were "
                            "turned away by HR's inbox twice (both copies arrived)")


class PoisonEvent(Drill):
    name, title = "poison", "6 poison event"

    def inject(self, grounds):
        bureau = grounds.bureau
        reg = read_registry(bureau.registry_url)
        now = datetime.now(UTC).isoformat()
        self.poison_id = str(uuid.uuid4())
        self.poison_veteran = str(uuid.uuid4())
        # Looks like the registry's own event, but its data lacks `service_station`: HR's
        # handler raises KeyError on every attempt, whatever the retries.
        event = {
            "specversion": "1.0", "id": self.poison_id, "source": contract.SOURCE,
            "type": "VeteranRegistered", "subject": self.poison_veteran, "time": now,
            "datacontenttype": "application/json",
            "dataschema": "urn:vetlife:registry:VeteranRegistered:v1", "schemaversion": 1,
            "streamversion": 1, "position": reg.head + 1_000_000, "recordedat": now,
            "correlationid": str(uuid.uuid4()), "causationid": "", "actor": "faults",
            "data": {"veteran_id": self.poison_veteran, "discharge_category": "discharged_soldier",
                     "sex": "male", "birth_year": 1968},
        }
        properties = pika.BasicProperties(
            content_type=CLOUDEVENTS_CONTENT_TYPE, content_encoding="utf-8",
            delivery_mode=pika.DeliveryMode.Persistent, message_id=self.poison_id,
            type="VeteranRegistered", headers={"position": event["position"]},
        )
        grounds.planted.add(self.poison_id)
        injected = time.time()
        _publish(grounds.rabbit.uri, [("VeteranRegistered", json.dumps(event).encode(),
                                       properties)])
        return Window(injected, injected, outage=False)

    def verify(self, grounds, window):
        letters = [d for d in list_dead_letters(HR_QUEUE, grounds.rabbit.uri)
                   if d.event_id == self.poison_id]
        if len(letters) != 1:
            window.failures.append(f"the poison event is {len(letters)} time(s) in "
                                   f"{HR_QUEUE}.dead-letters, not once")
        elif "KeyError" not in letters[0].reason:
            window.failures.append(f"the poison's dead letter gives no reason: {letters[0]}")
        else:
            window.notes.append(f"poison dead-lettered after {letters[0].attempts} attempts: "
                                f"{letters[0].reason}")
        hr = read_hr(grounds.bureau.hr_url)
        if self.poison_id in hr.inbox or self.poison_veteran in hr.veterans:
            window.failures.append("the poison event left an effect in HR")
        reg = read_registry(grounds.bureau.registry_url)
        after = [e for e in reg.registrations if e.recorded_at >= window.injected_at]
        past = [e for e in after if e.event_id in hr.inbox]
        window.notes.append(f"{len(past)} of {len(after)} events registered after the poison "
                            "reached HR")


DRILLS: list[Drill] = [RegistryKill(), RelayKill(), BrokerRestart(), DatabaseRestart(),
                       DatabaseCrash(), DuplicatesOutOfOrder(), PoisonEvent()]
