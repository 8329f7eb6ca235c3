"""Dead letters: where a subscriber's poison events wait with their reason, and the CLI to re-queue them."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

import pika
import pika.exceptions

from chassis.config import amqp_uri
from chassis.pii import mask_text

EXCHANGE = "vetlife.dead-letters"
REASON = "x-vetlife-reason"
QUEUE = "x-vetlife-queue"
ATTEMPTS = "x-vetlife-attempts"
FAILED_AT = "x-vetlife-failed-at"
# How many dead letters `list` shows unless told otherwise: a page, not the whole queue.
DEFAULT_LIMIT = 50


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dead-letters"


def declare(channel, queue: str) -> str:
    """Declare the dead-letter exchange and the queue that keeps `queue`'s dead letters."""
    channel.exchange_declare(EXCHANGE, exchange_type="direct", durable=True)
    dlq = dead_letter_queue(queue)
    channel.queue_declare(dlq, durable=True)
    channel.queue_bind(dlq, EXCHANGE, routing_key=queue)
    return dlq


def dead_letter_headers(queue: str, reason: str, attempts: int) -> dict:
    return {
        REASON: mask_text(reason)[:1000],
        QUEUE: queue,
        ATTEMPTS: attempts,
        FAILED_AT: datetime.now(UTC).isoformat(),
    }


@dataclass(frozen=True)
class DeadLetter:
    """A dead letter as the CLI shows it: which event, why, when; never its personal data."""

    event_id: str
    event_type: str
    reason: str
    attempts: int
    failed_at: str


def _connect(url: str):
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    return connection, channel


def _describe(properties, body: bytes) -> DeadLetter:
    headers = properties.headers or {}
    try:
        event = json.loads(body)
        event_id, event_type = event.get("id", "?"), event.get("type", "?")
    except ValueError:
        event_id, event_type = properties.message_id or "?", properties.type or "?"
    return DeadLetter(
        event_id=str(event_id),
        event_type=str(event_type),
        reason=str(headers.get(REASON, "")),
        attempts=int(headers.get(ATTEMPTS, 0) or 0),
        failed_at=str(headers.get(FAILED_AT, "")),
    )


def _depth(channel, dlq: str) -> int:
    return channel.queue_declare(dlq, passive=True).method.message_count


def count_dead_letters(queue: str, url: str | None = None) -> int:
    """How many dead letters of `queue` wait (ready, not being looked at by another CLI)."""
    connection, channel = _connect(url or amqp_uri())
    try:
        return _depth(channel, declare(channel, queue))
    finally:
        connection.close()


def list_dead_letters(queue: str, url: str | None = None, limit: int = DEFAULT_LIMIT) -> list[DeadLetter]:
    """The first `limit` dead letters of `queue`, oldest first, without removing any.

    Only those `limit` are ever fetched (unacked), so a queue of thousands costs no more memory
    than a page; then one nack hands them all back, and RabbitMQ puts them back in their places.
    """
    connection, channel = _connect(url or amqp_uri())
    try:
        dlq = declare(channel, queue)
        found, last_tag = [], None
        while len(found) < limit:
            method, properties, body = channel.basic_get(dlq, auto_ack=False)
            if method is None:
                break
            found.append(_describe(properties, body))
            last_tag = method.delivery_tag
        if last_tag is not None:
            channel.basic_nack(last_tag, multiple=True, requeue=True)
        return found
    finally:
        connection.close()  # would hand back anything still unacked, had the nack not run


def requeue_dead_letters(queue: str, url: str | None = None, limit: int | None = None) -> int:
    """Move the dead letters waiting when called (at most `limit`) back to the subscriber's
    queue, oldest first, each at most once; return how many moved.

    Counted first and never more than counted: a letter that fails again at once is dead-lettered
    behind the counted ones, and without the count this call would move it again, for ever.
    """
    connection, channel = _connect(url or amqp_uri())
    moved = 0
    try:
        dlq = declare(channel, queue)
        channel.confirm_delivery()
        waiting = _depth(channel, dlq)
        if limit is not None:
            waiting = min(waiting, limit)
        while moved < waiting:
            method, properties, body = channel.basic_get(dlq, auto_ack=False)
            if method is None:
                break
            headers = {k: v for k, v in (properties.headers or {}).items()
                       if not k.startswith("x-vetlife-")}
            properties.headers = headers
            # Confirmed before the ack: a crash here leaves a duplicate, which the inbox absorbs.
            channel.basic_publish("", queue, body, properties, mandatory=True)
            channel.basic_ack(method.delivery_tag)
            moved += 1
        return moved
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="List or re-queue a subscriber's dead letters.")
    parser.add_argument("action", choices=["list", "requeue"])
    parser.add_argument("queue", help="the subscriber's queue, e.g. evt-registry-VeteranRegistered"
                        "--hr_department.on_veteran_registered")
    parser.add_argument("--limit", type=int, default=None,
                        help=f"list: show the oldest N (default {DEFAULT_LIMIT}); "
                        "requeue: move the oldest N (default: all waiting when it starts)")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    try:
        if args.action == "list":
            total = count_dead_letters(args.queue)
            letters = list_dead_letters(args.queue, limit=args.limit or DEFAULT_LIMIT)
            for letter in letters:
                print(f"{letter.failed_at}  {letter.event_type}  {letter.event_id}  "
                      f"attempts={letter.attempts}  reason={letter.reason}")
            print(f"{len(letters)} of {total} dead letter(s) in {dead_letter_queue(args.queue)}"
                  + (" (oldest first; --limit shows more)" if len(letters) < total else ""))
        else:
            moved = requeue_dead_letters(args.queue, limit=args.limit)
            print(f"{moved} dead letter(s) re-queued to {args.queue}")
    except pika.exceptions.AMQPError as exc:
        print(f"cannot reach RabbitMQ: {type(exc).__name__}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
