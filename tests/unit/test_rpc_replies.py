"""A reply that cannot be published while RabbitMQ restarts costs the caller a retry, not the service."""
from types import SimpleNamespace

import pytest

from chassis import rpc


class Acks:
    def __init__(self):
        self.acked = []

    def ack_message(self, message):
        self.acked.append(message)


@pytest.mark.parametrize("outage", [ConnectionResetError("broker restarting"),
                                    TimeoutError("no answer")])
def test_a_lost_reply_leaves_the_request_unacked_and_the_service_alive(monkeypatch, outage):
    def send_response(self, result, exc_info):
        raise outage

    monkeypatch.setattr(rpc._UnconfirmedResponder, "send_response", send_response)
    consumer = rpc._ReplyingConsumer()
    consumer.container = SimpleNamespace(config={"AMQP_URI": "amqp://guest:guest@127.0.0.1/"})
    consumer.queue_consumer = acks = Acks()
    message = SimpleNamespace(properties={"reply_to": "r", "correlation_id": "c"})

    result, exc_info = consumer.handle_result(message, {"veteran_id": "v1"}, None)

    assert result == {"veteran_id": "v1"} and exc_info is None
    assert acks.acked == []  # back to the queue with the dead channel; the retry replays it


def test_a_published_reply_acks_the_request(monkeypatch):
    monkeypatch.setattr(rpc._UnconfirmedResponder, "send_response",
                        lambda self, result, exc_info: (result, exc_info))
    consumer = rpc._ReplyingConsumer()
    consumer.container = SimpleNamespace(config={"AMQP_URI": "amqp://guest:guest@127.0.0.1/"})
    consumer.queue_consumer = acks = Acks()
    message = SimpleNamespace(properties={})

    consumer.handle_result(message, "ok", None)

    assert acks.acked == [message]
