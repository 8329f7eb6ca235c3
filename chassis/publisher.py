"""Publishing a batch of events to a topic exchange with publisher confirms and `mandatory`, waiting once."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pika
import pika.exceptions
import pika.spec


class PublishFailed(pika.exceptions.AMQPError):
    """Raised when the broker refuses (nacks) a message or the connection fails mid-batch."""


@dataclass(frozen=True)
class Outgoing:
    routing_key: str
    body: bytes
    properties: pika.BasicProperties


class ConfirmedPublisher:
    """Sends a whole batch, then waits for the broker's confirms of all of it.

    Waiting per message (pika's BlockingChannel) costs one round trip each; waiting per batch
    keeps the same guarantee, since the caller records progress only after the whole batch is
    confirmed. Messages that no queue takes come back (`mandatory`) and are counted.
    """

    def __init__(self, url: str, exchange: str, timeout: float = 30.0):
        self.url = url
        self.exchange = exchange
        self.timeout = timeout
        self._connection: pika.SelectConnection | None = None
        self._channel = None
        self._ready = False
        self._error: Exception | None = None
        self._next_tag = 0
        self._unconfirmed: set[int] = set()
        self._nacked = 0
        self._returned = 0

    @property
    def is_open(self) -> bool:
        return self._ready and self._error is None and self._channel is not None \
            and self._channel.is_open

    def open(self) -> None:
        params = pika.URLParameters(self.url)
        # The relay sleeps on PostgreSQL, not on this connection, so it cannot answer
        # heartbeats while idle; a dead connection shows up instead as a failed or unconfirmed
        # publish, which reconnects and re-sends.
        params.heartbeat = 0
        # A new channel numbers its deliveries from 1 again: tags still awaited from the old one
        # (a batch that failed midway) would never be confirmed, and the next batch would wait
        # for them until its timeout.
        self._ready, self._error, self._next_tag = False, None, 0
        self._unconfirmed = set()
        self._connection = pika.SelectConnection(
            params,
            on_open_callback=self._on_connection_open,
            on_open_error_callback=self._on_failure,
            on_close_callback=self._on_failure,
        )
        # We drive the loop ourselves (poll until confirmed) instead of ioloop.start().
        self._connection.ioloop.activate_poller()
        self._wait(lambda: self._ready)

    def close(self) -> None:
        connection, self._connection = self._connection, None
        self._ready = False
        if connection is not None and connection.is_open:
            try:
                connection.close()
                deadline = time.monotonic() + 5
                while not connection.is_closed and time.monotonic() < deadline:
                    connection.ioloop.poll()
                    connection.ioloop.process_timeouts()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail; it is gone
                pass

    def publish(self, messages: Sequence[Outgoing]) -> int:
        """Publish and wait for every confirm; return how many came back unroutable."""
        if not self.is_open:
            self.close()
            self.open()
        self._nacked = self._returned = 0
        try:
            for message in messages:
                self._channel.basic_publish(self.exchange, message.routing_key, message.body,
                                            message.properties, mandatory=True)
                self._next_tag += 1
                self._unconfirmed.add(self._next_tag)
            self._wait(lambda: not self._unconfirmed)
        except BaseException as exc:
            # Whatever broke the batch, the next one starts on a new connection, awaiting nothing.
            self._unconfirmed = set()
            if self._error is None:
                self._error = exc if isinstance(exc, Exception) else PublishFailed(repr(exc))
            raise
        if self._nacked:
            raise PublishFailed(f"the broker refused {self._nacked} message(s)")
        return self._returned

    # -- pika callbacks --------------------------------------------------------------------

    def _on_connection_open(self, connection) -> None:
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_channel_open(self, channel) -> None:
        self._channel = channel
        channel.add_on_close_callback(self._on_failure)
        channel.add_on_return_callback(self._on_return)
        channel.exchange_declare(
            self.exchange, exchange_type="topic", durable=True,
            callback=lambda _frame: channel.confirm_delivery(
                self._on_confirm, callback=lambda _ok: setattr(self, "_ready", True)),
        )

    def _on_confirm(self, frame) -> None:
        method = frame.method
        tags = ({t for t in self._unconfirmed if t <= method.delivery_tag} if method.multiple
                else {method.delivery_tag})
        if isinstance(method, pika.spec.Basic.Nack):
            self._nacked += len(tags & self._unconfirmed)
        self._unconfirmed -= tags

    def _on_return(self, _channel, _method, _properties, _body) -> None:
        self._returned += 1

    def _on_failure(self, _source, error=None, *_args) -> None:
        self._error = error if isinstance(error, Exception) else PublishFailed(str(error))

    def _wait(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + self.timeout
        while not done():
            if self._error is not None:
                error, self._unconfirmed = self._error, set()
                raise PublishFailed(f"publishing failed: {error!r}") from None
            if time.monotonic() > deadline:
                self._unconfirmed = set()
                self._error = PublishFailed("no confirm from the broker in time")
                raise self._error
            self._connection.ioloop.poll()
            self._connection.ioloop.process_timeouts()
