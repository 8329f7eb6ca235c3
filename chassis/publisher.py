"""Publishing batches of events with publisher confirms and `mandatory`: the next sent while one is awaited."""
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


@dataclass(frozen=True)
class Sent:
    """A batch handed to the broker: its last delivery tag, and its messages' ids, which tell
    its returned messages from a later batch's (a return comes before its message's confirm,
    but may overtake an earlier batch's confirms)."""

    last_tag: int
    message_ids: frozenset


class ConfirmedPublisher:
    """Sends a whole batch, then waits for the broker's confirms of all of it.

    Waiting per message (pika's BlockingChannel) costs one round trip each; waiting per batch
    keeps the same guarantee, since the caller records progress only after the whole batch is
    confirmed. Messages that no queue takes come back (`mandatory`) and are counted.

    `send` and `confirmed` split `publish` in two, so a caller can send the next batch before
    waiting for the previous one's confirms: the broker writes one batch to disk while the
    caller reads and builds the next. Progress is still recorded per confirmed batch only.
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
        # Every tag below this one is confirmed: waits and multiple-confirms look from here
        # instead of scanning the whole set (up to two batches) on each poll.
        self._oldest = 1
        self._nacked: set[int] = set()
        self._returned: list = []  # message ids of returned messages, not yet counted

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
        self._ready, self._error, self._next_tag, self._oldest = False, None, 0, 1
        self._unconfirmed, self._nacked, self._returned = set(), set(), []
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
        return self.confirmed(self.send(messages))

    def send(self, messages: Sequence[Outgoing]) -> Sent:
        """Hand `messages` to the broker without waiting for their confirms (see `confirmed`).

        A batch sent on a connection that has since failed is never confirmed: its `confirmed`
        raises, and the caller sends it again from its last recorded progress.
        """
        if not self.is_open:
            self.close()
            self.open()
        try:
            for message in messages:
                self._channel.basic_publish(self.exchange, message.routing_key, message.body,
                                            message.properties, mandatory=True)
                self._next_tag += 1
                self._unconfirmed.add(self._next_tag)
            # pika only buffers what basic_publish is given; the socket is written while the
            # loop runs. Write it all now, or the batch would sit in our memory while the caller
            # builds the next one, instead of being written to disk by the broker meanwhile.
            self._wait(self._written)
        except BaseException as exc:
            self._fail(exc)
            raise
        return Sent(self._next_tag, frozenset(m.properties.message_id for m in messages))

    def confirmed(self, sent: Sent) -> int:
        """Wait until the broker confirmed every message of `sent` (and of the batches before
        it); return how many of them came back unroutable. Raises PublishFailed if the broker
        refused one or the connection failed first."""
        try:
            self._wait(lambda: self._oldest > sent.last_tag)
            refused = [t for t in self._nacked if t <= sent.last_tag]
            if refused:
                raise PublishFailed(f"the broker refused {len(refused)} message(s)")
        except BaseException as exc:
            self._fail(exc)
            raise
        returned = [i for i in self._returned if i in sent.message_ids]
        self._returned = [i for i in self._returned if i not in sent.message_ids]
        return len(returned)

    def _written(self) -> bool:
        """Whether pika has handed everything buffered to the socket, asked as pika's own
        BlockingConnection asks it. A connection that lost its transport (the broker went away
        mid-batch) has nothing left to write: the batch is then never confirmed, and `_wait`
        or `confirmed` raises PublishFailed, which the relay retries."""
        connection = self._connection
        return not getattr(connection, "_transport", None) or \
            connection._get_write_buffer_size() == 0

    def _fail(self, exc: BaseException) -> None:
        """Whatever broke a batch, the next one starts on a new connection, awaiting nothing:
        a batch sent behind the broken one is sent again by the caller, never half-awaited."""
        self._unconfirmed, self._nacked, self._returned = set(), set(), []
        if self._error is None:
            self._error = exc if isinstance(exc, Exception) else PublishFailed(repr(exc))

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
        tags = (range(self._oldest, method.delivery_tag + 1) if method.multiple
                else (method.delivery_tag,))
        nack = isinstance(method, pika.spec.Basic.Nack)
        for tag in tags:
            if tag in self._unconfirmed:
                self._unconfirmed.discard(tag)
                if nack:
                    self._nacked.add(tag)
        while self._oldest <= self._next_tag and self._oldest not in self._unconfirmed:
            self._oldest += 1

    def _on_return(self, _channel, _method, properties, _body) -> None:
        self._returned.append(properties.message_id)

    def _on_failure(self, _source, error=None, *_args) -> None:
        self._error = error if isinstance(error, Exception) else PublishFailed(str(error))

    def _wait(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + self.timeout
        while not done():
            if self._error is not None:
                raise PublishFailed(f"publishing failed: {self._error!r}") from None
            if time.monotonic() > deadline:
                self._error = PublishFailed("no confirm from the broker in time")
                raise self._error
            self._connection.ioloop.poll()
            self._connection.ioloop.process_timeouts()
