"""The gateway's liveness probe against RabbitMQ: a consumer on a service's RPC queue, none, no queue."""
import uuid

import pika

from gateway.liveness import Liveness


def test_a_service_is_running_only_while_something_consumes_its_rpc_queue(amqp_uri):
    service = f"liveness{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    probe = Liveness(amqp_uri, ttl=0)
    try:
        assert probe.running(service) is False           # no queue: it never ran here
        channel.queue_declare(f"rpc-{service}", auto_delete=False)
        assert probe.running(service) is False           # a queue, nobody consuming: stopped
        tag = channel.basic_consume(f"rpc-{service}", lambda *_: None)
        assert probe.running(service) is True            # a consumer: it answers
        channel.basic_cancel(tag)
        assert probe.running(service) is False           # stopped again
        # Kept for its ttl: a busy gateway does not ask the broker on every call.
        cached = Liveness(amqp_uri, ttl=60)
        assert cached.running(service) is False
        tag = channel.basic_consume(f"rpc-{service}", lambda *_: None)
        assert cached.running(service) is False and probe.running(service) is True
    finally:
        channel.queue_delete(f"rpc-{service}")
        connection.close()
        probe.close()


def test_a_broker_it_cannot_reach_gives_no_verdict():
    probe = Liveness("amqp://guest:guest@127.0.0.1:1/", ttl=0)
    assert probe.running("registry") is None
