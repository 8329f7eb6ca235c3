"""The confirmed publisher against a fake broker: each batch waits for its own confirms, and only for them."""
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
        self.confirm_up_to: int | None = None  # None: confirm every publish
        self.lose_transport_at: int | None = None  # the n-th publish finds the socket gone
        self.nack: set[int] = set()

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

    _transport = SimpleNamespace(get_write_buffer_size=lambda: 0)  # on the wire at once

    def _get_write_buffer_size(self):
        return self._transport.get_write_buffer_size()  # as pika: fails once the socket is gone

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
        limit = self.broker.confirm_up_to
        for tag in [t for t in channel.pending if limit is None or t <= limit]:
            method = pika.spec.Basic.Nack if tag in self.broker.nack else pika.spec.Basic.Ack
            channel.on_confirm(SimpleNamespace(method=method(delivery_tag=tag)))
            channel.pending.remove(tag)


class FakeChannel:
    def __init__(self, broker):
        self.broker = broker
        self.is_open = True
        self.published = 0
        self.pending: list[int] = []

    def add_on_close_callback(self, callback):
        pass

    def add_on_return_callback(self, callback):
        self.on_return = callback

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
        if self.published == self.broker.lose_transport_at:
            # pika drops the transport when the broker goes away; our callback comes later.
            self.broker.connections[-1]._transport = None


def messages(count, first=0):
    return [Outgoing("VeteranRegistered", b"{}", pika.BasicProperties(message_id=f"m{n}"))
            for n in range(first, first + count)]


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


def test_a_batch_is_confirmed_while_the_next_one_is_not(broker):
    publisher = ConfirmedPublisher("amqp://guest:guest@localhost/", "registry.events",
                                   timeout=0.3)
    broker.confirm_up_to = 3
    first = publisher.send(messages(3))
    second = publisher.send(messages(2, first=3))  # sent without waiting for the first
    assert broker.connections[0].channel_.published == 5

    assert publisher.confirmed(first) == 0  # while tags 4 and 5 are still unconfirmed
    with pytest.raises(PublishFailed, match="in time"):
        publisher.confirmed(second)


def test_a_return_counts_with_its_own_batch(broker):
    publisher = ConfirmedPublisher("amqp://guest:guest@localhost/", "registry.events", timeout=2)
    broker.confirm_up_to = 0
    first = publisher.send(messages(3))
    second = publisher.send(messages(2, first=3))
    channel = broker.connections[0].channel_
    # An unroutable message of the second batch comes back at once, before the broker has
    # confirmed the first batch (persisting takes longer than finding no queue).
    channel.on_return(channel, None, pika.BasicProperties(message_id="m4"), b"{}")
    broker.confirm_up_to = None

    assert publisher.confirmed(first) == 0
    assert publisher.confirmed(second) == 1


def test_a_refused_message_fails_its_batch_not_the_one_before(broker):
    publisher = ConfirmedPublisher("amqp://guest:guest@localhost/", "registry.events", timeout=2)
    broker.nack = {5}
    first = publisher.send(messages(3))
    second = publisher.send(messages(2, first=3))

    assert publisher.confirmed(first) == 0
    with pytest.raises(PublishFailed, match="refused 1"):
        publisher.confirmed(second)
    assert publisher.publish(messages(1)) == 0  # on a new connection
    assert len(broker.connections) == 2


def test_a_batch_whose_connection_is_lost_while_sending_fails_as_a_publish_failure(broker):
    """Not an AttributeError from pika's missing transport, which killed the relay when
    RabbitMQ restarted (make faults, drill 3): a PublishFailed, which the relay retries."""
    publisher = ConfirmedPublisher("amqp://guest:guest@localhost/", "registry.events",
                                   timeout=0.3)
    broker.confirm_up_to = 0
    broker.lose_transport_at = 2
    with pytest.raises(PublishFailed):
        publisher.confirmed(publisher.send(messages(3)))
