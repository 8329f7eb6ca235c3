"""A department's client for the catch-up RPC `<service>.events_after`, within its bus permissions."""
from __future__ import annotations

import functools
import json
import uuid

import pika
from kombu import Exchange, Queue
from nameko.rpc import get_rpc_exchange
from nameko.standalone.rpc import ClusterRpcProxy, SingleThreadedReplyListener

RPC_EXCHANGE = "nameko-rpc"


def namespace(department: str) -> str:
    """The prefix of every queue a department may declare, bind and consume: `dept.<department>.`."""
    return f"dept.{department}."


def reply_queue_name(department: str) -> str:
    """A fresh reply queue's name, which is also its routing key on nameko-rpc."""
    return f"{namespace(department)}reply-{uuid.uuid4()}"


class CatchupError(Exception):
    """The service answered the catch-up call with an error."""


def events_after(amqp_uri: str, department: str, service: str, after: int, limit: int = 500,
                 types: list[str] | None = None, timeout: float = 30.0) -> dict:
    """One page of `service`'s log after position `after`: `{"head": ..., "events": [...]}`.

    Plain AMQP (pika), the way a department without nameko calls it; a copy of this function is
    all such a department needs. The nameko RPC server publishes its reply to nameko-rpc with
    routing key = `reply_to`, so the reply queue is bound there under the department's namespace
    (direct reply-to, `amq.rabbitmq.reply-to`, cannot work with nameko's server).
    """
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        # A refused publish (ACCESS_REFUSED) or an unknown service (unroutable) then raises here,
        # at the publish, instead of surfacing as a wait that never ends.
        channel.confirm_delivery()
        reply_queue = reply_queue_name(department)
        channel.queue_declare(reply_queue, exclusive=True, auto_delete=True)
        channel.queue_bind(reply_queue, RPC_EXCHANGE, routing_key=reply_queue)
        correlation_id = str(uuid.uuid4())
        channel.basic_publish(
            RPC_EXCHANGE, f"{service}.events_after",
            json.dumps({"args": [after, limit, types], "kwargs": {}}).encode(),
            pika.BasicProperties(content_type="application/json", content_encoding="utf-8",
                                 reply_to=reply_queue, correlation_id=correlation_id),
            mandatory=True,
        )
        for method, properties, body in channel.consume(reply_queue, auto_ack=True,
                                                        inactivity_timeout=timeout):
            if method is None:
                raise TimeoutError(f"{service}.events_after: no reply within {timeout}s")
            if properties.correlation_id != correlation_id:
                continue  # not ours: the queue is exclusive, so only a stale reply could be
            reply = json.loads(body)
            if reply.get("error"):
                error = reply["error"]
                raise CatchupError(f"{error.get('exc_type')}: {error.get('value')}")
            return reply["result"]
        raise AssertionError("unreachable: consume() yields until it returns")
    finally:
        if connection.is_open:
            connection.close()


class DepartmentReplyListener(SingleThreadedReplyListener):
    """nameko's standalone reply listener, moved into the department's namespace.

    nameko's own names its queue `rpc.reply-standalone_rpc_proxy-<uuid>`, binds it with routing
    key `<uuid>` and declares the nameko-rpc exchange: a department may do none of the three (a
    queue outside its prefix, a binding key outside its namespace, configure on nameko-rpc would
    also let it delete the exchange). Here queue name and routing key are `dept.<dept>.reply-<uuid>`
    and the exchange is only referred to, never declared.
    """

    def __init__(self, department: str, timeout: float | None = None):
        self.department = department
        super().__init__(timeout=timeout)

    def setup(self):
        name = reply_queue_name(self.department)
        self.routing_key = name  # what nameko's MethodProxy sends as reply_to
        rpc = get_rpc_exchange(self.container.config)
        exchange = Exchange(rpc.name, type=rpc.type, durable=rpc.durable, no_declare=True)
        self.queue = Queue(name, exchange=exchange, routing_key=name, exclusive=True,
                           auto_delete=True)
        self.queue_consumer.register_provider(self)


class CatchupRpcProxy(ClusterRpcProxy):
    """nameko's ClusterRpcProxy for a department: replies come back to its own queue.

        with CatchupRpcProxy("hr_social_security", {"AMQP_URI": uri}, timeout=30) as cluster:
            page = cluster.registry.events_after(0, 500)

    Any other method (`cluster.registry.get_veteran(...)`) is refused by the broker: the publish
    fails with ACCESS_REFUSED.
    """

    def __init__(self, department: str, config: dict, context_data: dict | None = None,
                 timeout: float | None = None):
        super().__init__(config, context_data=context_data, timeout=timeout,
                         reply_listener_cls=functools.partial(DepartmentReplyListener, department))
