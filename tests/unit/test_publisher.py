"""The confirmed publisher against a fake broker: a batch after a failed one waits only for its own confirms."""
import time
from types import SimpleNamespace

import pika
import pika.exceptions
import pika.spec
import pytest

from chassis import publisher as publisher_module
from chassis.publisher import ConfirmedPublisher, Outgoing, PublishFailed


class FakeBroker:
    """Stands in for pika.SelectConnection: every publish is confirmed on the next poll, except
    that the channel can be made to break at the n-th publish of a connection."""

    def __init__(self):
        self.connections = []
        self.break_at: int | None = None

    def __call__(self, params, on_open_callback, on_open_error_callback, on_close_callback):
        connection = FakeConnection(self, on_open_callback)
        self.connections.append(connection)
        return connection


class FakeConnection:
    def __init__(self, broker, on_open):
        self.broker, self.on_open = broker, on_open
        self.is_open, self.is_closed, self.opened = True, False, False
        self.ioloop = self
        self.channel_ = None

    # -- the connection --
    def channel(self, on_open_callback):
        self.channel_ = FakeChannel(self.broker)
        on_open_callback(self.channel_)

    def close(self):
        self.is_open, self.is_closed = False, True

    # -- its ioloop --
    def activate_poller(self):
        pass

    def process_timeouts(self):
        pass

    def poll(self):
        if not self.opened:
            self.opened = True
            self.on_open(self)
            return
        time.sleep(0.001)
        channel = self.channel_
        for tag in channel.pending:
            channel.on_confirm(SimpleNamespace(method=pika.spec.Basic.Ack(delivery_tag=tag)))
        channel.pending.clear()


class FakeChannel:
    def __init__(self, broker):
        self.broker = broker
        self.is_open = True
        self.published = 0
        self.pending: list[int] = []

    def add_on_close_callback(self, callback):
        pass

    def add_on_return_callback(self, callback):
        pass

    def exchange_declare(self, exchange, exchange_type, durable, callback):
        callback(None)

    def confirm_delivery(self, on_confirm, callback):
        self.on_confirm = on_confirm
        callback(None)

    def basic_publish(self, exchange, routing_key, body, properties, mandatory):
        if self.broker.break_at is not None and self.published + 1 == self.broker.break_at:
            self.is_open = False
            raise pika.exceptions.StreamLostError("connection reset by peer")
        self.published += 1
        self.pending.append(self.published)  # delivery tags count from 1 on each channel


def messages(count):
    return [Outgoing("VeteranRegistered", b"{}", pika.BasicProperties()) for _ in range(count)]


@pytest.fixture
def broker(monkeypatch):
    broker = FakeBroker()
    monkeypatch.setattr(publisher_module.pika, "SelectConnection", broker)
    return broker


def test_a_batch_is_confirmed(broker):
    publisher = ConfirmedPublisher("amqp://guest:guest@localhost/", "registry.events", timeout=2)
    assert publisher.publish(messages(3)) == 0
    assert publisher.publish(messages(2)) == 0
    assert len(broker.connections) == 1


def test_the_batch_after_a_failed_one_completes_promptly(broker):
    publisher = ConfirmedPublisher("amqp://guest:guest@localhost/", "registry.events", timeout=2)
    broker.break_at = 4  # three of five sent, then the connection breaks
    with pytest.raises(pika.exceptions.AMQPError):
        publisher.publish(messages(5))
    broker.break_at = None

    started = time.monotonic()
    try:
        publisher.publish(messages(2))  # on a new connection, whose tags start again at 1
    except PublishFailed as exc:
        pytest.fail(f"the next batch failed: {exc}")
    took = time.monotonic() - started

    assert took < 0.5, f"the next batch waited {took:.2f}s for confirms of the failed one"
    assert len(broker.connections) == 2
