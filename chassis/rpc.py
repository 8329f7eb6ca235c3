"""RPC between our services: requests and replies published without waiting for broker confirms.

Why: nameko confirms every RPC request and reply, and on two cores those two waits take most of
an RPC's time. What a confirm buys here the idempotency key already buys: a request or reply
lost with a broker failure ends, for the caller, in the gateway's timeout (a 503), and the
retry with the same Idempotency-Key returns the first result instead of acting twice. Events,
where a loss would be silent, are still published with confirms by the relay.
"""
from __future__ import annotations

import re

import amqp.exceptions
import kombu.exceptions
import structlog
from nameko.amqp.publish import Publisher
from nameko.rpc import Responder, Rpc, RpcConsumer, RpcProxy, get_rpc_exchange

from chassis.wire import ServiceError

log = structlog.get_logger("vetlife.rpc")
# What publishing raises when RabbitMQ is down or restarting: kombu wraps socket errors in
# OperationalError once its connection retries are spent; py-amqp and the socket raise their own
# on a dropped line.
BROKER_ERRORS = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
                 ConnectionError, TimeoutError)


class _UnconfirmedPublisher(Publisher):
    use_confirms = False


class _UnconfirmedResponder(Responder):
    publisher_cls = _UnconfirmedPublisher


# Where a reply may go: a caller's reply queue key, as nameko's proxies make it (a uuid) or as a
# department's catch-up client makes it (chassis/catchup_client.py). The broker cannot restrict
# the reply_to a caller writes, so it is checked here: a reply addressed to "registry.get_veteran"
# would land in the service's own request queue, and a missing one kills nameko's responder.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
REPLY_TO = re.compile(rf"{_UUID}|dept\.[a-z_]+\.reply-{_UUID}")


class _ReplyingConsumer(RpcConsumer):
    """nameko's RPC consumer, replying through the unconfirmed responder, refusing bad reply keys."""

    def handle_message(self, body, message):
        reply_to = message.properties.get("reply_to")
        if not isinstance(reply_to, str) or REPLY_TO.fullmatch(reply_to) is None:
            # Nobody can be answered: drop it (acked), never run it, never let it kill the service.
            log.warning("rpc.bad_reply_to", routing_key=message.delivery_info.get("routing_key"))
            self.queue_consumer.ack_message(message)
            return
        super().handle_message(body, message)

    def handle_result(self, message, result, exc_info):
        responder = _UnconfirmedResponder(
            self.container.config["AMQP_URI"], get_rpc_exchange(self.container.config),
            self.container.config.get("serializer", "json"), message,
            ssl=self.container.config.get("AMQP_SSL"),
            login_method=self.container.config.get("LOGIN_METHOD"),
        )
        try:
            result, exc_info = responder.send_response(result, exc_info)
        except BROKER_ERRORS as exc:
            # nameko would kill the whole service here. The caller cannot get this reply
            # anyway: it times out (503) and retries with the same key, which replays the stored
            # result. Unacked, the request goes back to the queue with the dead channel.
            log.warning("rpc.reply_lost", error=type(exc).__name__)
            return result, exc_info
        self.queue_consumer.ack_message(message)
        return result, exc_info


class _Rpc(Rpc):
    rpc_consumer = _ReplyingConsumer()


# A refusal is an answer, not a fault: nameko logs it as a warning, without a traceback.
rpc = _Rpc.decorator(expected_exceptions=ServiceError)


def service_proxy(service: str) -> RpcProxy:
    """A dependency that calls `service` without waiting for the broker's confirm."""
    return RpcProxy(service, use_confirms=False)
