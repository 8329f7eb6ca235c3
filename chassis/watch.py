"""Watch a service's events as a department would see them: its history from the log, then live."""
from __future__ import annotations

import argparse
import json
import sys

import pika
import pika.exceptions

from chassis.config import amqp_uri
from chassis.relay import events_exchange


def show(event: dict) -> None:
    print(f"#{event.get('position')} {event.get('type')} subject={event.get('subject')} "
          f"correlation={event.get('correlationid')}")
    print("   " + json.dumps(event.get("data"), ensure_ascii=False))
    sys.stdout.flush()


def history(service: str, after: int) -> int:
    """Print what the service's log holds after `after` (its events_after RPC); return the head."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": amqp_uri()}, timeout=10) as cluster:
        producer = getattr(cluster, service)
        while True:
            page = producer.events_after(after, 500)
            for event in page["events"]:
                show(event)
            if not page["events"]:
                return page["head"]
            after = page["events"][-1]["position"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a service's events (CloudEvents JSON).")
    parser.add_argument("service", help="e.g. registry")
    parser.add_argument("--types", default="#",
                        help="routing key pattern: an event type, or # for all (default)")
    parser.add_argument("--history", action="store_true",
                        help="first print the events already in the service's log")
    parser.add_argument("--count", type=int, default=0, help="stop after this many live events")
    args = parser.parse_args(argv)
    try:
        connection = pika.BlockingConnection(pika.URLParameters(amqp_uri()))
    except pika.exceptions.AMQPError as exc:
        print(f"cannot reach RabbitMQ: {type(exc).__name__}", file=sys.stderr)
        return 2
    channel = connection.channel()
    exchange = events_exchange(args.service)
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    # Bound before reading history, so nothing committed in between is missed.
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, exchange, routing_key=args.types)
    if args.history:
        history(args.service, 0)
    print(f"watching {exchange} ({args.types}); Ctrl-C to stop", file=sys.stderr)
    seen = 0
    try:
        for _method, _properties, body in channel.consume(queue, auto_ack=True):
            show(json.loads(body))
            seen += 1
            if args.count and seen >= args.count:
                break
    except KeyboardInterrupt:
        pass
    finally:
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
