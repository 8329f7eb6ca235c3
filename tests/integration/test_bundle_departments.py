"""Departments on the real broker: each binds its own bundle matters only; the reference system does its part.

The reference system follows, catches up after being down, reads, acknowledges and answers (a
first attempt refused on demand, a second done).
"""
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from examples.departments import reference
from examples.departments.reference import ReferenceDepartment, Settings, would_refuse
from gateway.tokens import TokenSettings, ensure_signing_key
from tests.conftest import wait_until
from tests.integration.test_bus_permissions import as_user, department_uri, refused

EXCHANGE = "bundle.events"
QUEUE = "dept.public_security.bundle-matters"


@pytest.fixture
def bundle_exchange(amqp_channel, amqp_uri):
    # The bundle's relay declares it; a department may only refer to it.
    amqp_channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    amqp_channel.queue_delete(QUEUE)
    yield
    amqp_channel.queue_delete(QUEUE)


def test_a_department_binds_its_own_matters_on_bundle_events_and_nothing_else(
        amqp_uri, bundle_exchange):
    uri = department_uri(amqp_uri, "public_security")

    def own(channel):
        channel.queue_declare(QUEUE, durable=True)
        for key in ("MatterRequested.public_security", "MatterWithdrawn.public_security"):
            channel.queue_bind(QUEUE, EXCHANGE, routing_key=key)
        return True

    assert as_user(uri, own)
    for key in ("MatterRequested.armed_forces", "MatterRequested.*", "#", "BundleSubmitted",
                "MatterRequested.public_security_x", "MatterDone"):
        reason = refused(uri, lambda ch, k=key: ch.queue_bind(QUEUE, EXCHANGE, routing_key=k))
        assert "topic" in reason
    refused(uri, lambda ch: ch.basic_publish(EXCHANGE, "MatterRequested.public_security", b"{}"))


def test_the_refusal_share_is_stable_and_a_second_attempt_is_never_refused():
    bundles = [str(uuid.uuid4()) for _ in range(400)]
    share = sum(would_refuse(b, "id_card", 1, 0.25) for b in bundles) / len(bundles)
    assert 0.15 < share < 0.35
    assert [would_refuse(b, "id_card", 1, 0.25) for b in bundles] == [
        would_refuse(b, "id_card", 1, 0.25) for b in bundles]
    assert not any(would_refuse(b, "id_card", 2, 1.0) for b in bundles)
    assert would_refuse(bundles[0], "id_card", 1, 0.0, frozenset({"id_card"}))


class FakeGateway:
    """The three gateway calls a department makes, as the real gateway answers them."""

    def __init__(self):
        self.matters: dict[tuple[str, str], dict] = {}
        self.answers: list[tuple[str, str, dict, str]] = []
        self.reads: list[tuple[str, str]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                parts = self.path.split("/")
                if parts[3] == "bundles":
                    bundle_id = parts[4]
                    own = [m for (b, _), m in gateway.matters.items() if b == bundle_id]
                    if not own:
                        return self._reply(404, {"error": "not_found"})
                    return self._reply(200, {"bundle_id": bundle_id, "veteran_id": "v-1",
                                             "matters": own})
                gateway.reads.append((parts[4], self.headers.get("X-Purpose", "")))
                return self._reply(200, {"veteran_id": parts[4], "version": 1, "name": "陈志强",
                                         "id_number": "x", "withheld": ["phone"]})

            def do_POST(self):
                parts = self.path.split("/")
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.answers.append((parts[4], parts[6], body,
                                        self.headers.get("Idempotency-Key")))
                matter = gateway.matters[(parts[4], parts[6])]
                matter["status"] = {"acknowledged": "acknowledged", "done": "done",
                                    "refused": "refused"}[body["outcome"]]
                return self._reply(200, {"bundle_id": parts[4], "version": 2})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def request(self, bundle_id, matter, attempt=1):
        self.matters[(bundle_id, matter)] = {"matter": matter, "status": "requested",
                                             "attempt": attempt}


def requested(bundle_id, matter, attempt=1, position=1) -> dict:
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/vetlife/bundle",
            "type": "MatterRequested.public_security", "subject": bundle_id,
            "position": position, "data": {"bundle_id": bundle_id, "matter": matter,
                                            "attempt": attempt, "department": "public_security",
                                            "requested_on": "2026-06-01",
                                            "due_on": "2026-06-15"}}


def test_the_reference_department_follows_catches_up_reads_and_answers(
        amqp_uri, amqp_channel, bundle_exchange, tmp_path, monkeypatch):
    gateway = FakeGateway()
    tokens = TokenSettings.from_env({"VETLIFE_KEY_DIR": str(tmp_path / "keys")})
    ensure_signing_key(tokens)
    # What came while the department was down: the log has it, the bus does not.
    missed = str(uuid.uuid4())
    log = [requested(missed, "household_registration", position=7)]
    monkeypatch.setattr(reference, "events_after", lambda uri, dept, service, after, limit,
                        types: {"head": 7, "events": [e for e in log
                                                      if e["position"] > after]})
    settings = Settings(department="public_security",
                        amqp_uri=department_uri(amqp_uri, "public_security"),
                        gateway=gateway.url, state_dir=tmp_path / "state", delay=0.0,
                        refuse_share=0.0, refuse_matters=frozenset({"id_card"}))
    department = ReferenceDepartment(settings, tokens=tokens)
    gateway.request(missed, "household_registration")
    department.run_once()  # connects, binds, catches up
    assert department.state.position() == 7

    live = str(uuid.uuid4())
    gateway.request(live, "id_card")
    event = requested(live, "id_card", position=8)
    for _ in range(2):  # a redelivery changes nothing
        amqp_channel.basic_publish(EXCHANGE, "MatterRequested.public_security",
                                   json.dumps(event).encode())
    wait_until(lambda: (department.run_once(), len(gateway.answers) >= 4)[1], timeout=30,
               what="both matters acknowledged and answered")
    outcomes = {(b, m): [a["outcome"] for bb, mm, a, _ in gateway.answers if (bb, mm) == (b, m)]
                for b, m, _, _ in gateway.answers}
    assert outcomes == {(missed, "household_registration"): ["acknowledged", "done"],
                        (live, "id_card"): ["acknowledged", "refused"]}
    refusal = next(a for b, m, a, _ in gateway.answers if a["outcome"] == "refused")
    assert refusal["reason"] and refusal["next_step"]
    done = next(a for b, m, a, _ in gateway.answers if a["outcome"] == "done")
    assert done["reference"].startswith("JDGA-")
    assert len({key for *_, key in gateway.answers}) == 4  # an Idempotency-Key each
    assert [r[0] for r in gateway.reads] == ["v-1", "v-1"]  # the file read once per matter

    # asked again: the second attempt is done
    gateway.request(live, "id_card", attempt=2)
    amqp_channel.basic_publish(EXCHANGE, "MatterRequested.public_security",
                               json.dumps(requested(live, "id_card", 2, 9)).encode())
    wait_until(lambda: (department.run_once(), len(gateway.answers) >= 6)[1], timeout=30,
               what="the second attempt answered")
    assert gateway.answers[-1][2]["outcome"] == "done"
    department.stopped = True
    department._connection.close()
    gateway.server.shutdown()
