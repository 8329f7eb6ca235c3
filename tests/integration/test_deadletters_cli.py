"""The dead-letter CLI against the real broker: a bounded list that removes nothing, a requeue that ends."""
import json
import os
import subprocess
import sys

import pika
import pytest

from chassis import deadletters

QUEUE = "evt-registry-VeteranRegistered--probe.on_veteran_registered"


@pytest.fixture
def channel(amqp_channel):
    for queue in (QUEUE, deadletters.dead_letter_queue(QUEUE)):
        amqp_channel.queue_delete(queue)
    yield amqp_channel
    if amqp_channel.is_open:
        for queue in (QUEUE, deadletters.dead_letter_queue(QUEUE)):
            amqp_channel.queue_delete(queue)


def park(channel, count: int) -> list[str]:
    """Dead-letter `count` events the way a subscriber does; return their ids in order."""
    deadletters.declare(channel, QUEUE)
    channel.confirm_delivery()
    ids = []
    for n in range(count):
        event_id = f"00000000-0000-0000-0000-{n:012d}"
        channel.basic_publish(
            deadletters.EXCHANGE, QUEUE,
            json.dumps({"id": event_id, "type": "VeteranRegistered"}).encode(),
            pika.BasicProperties(headers=deadletters.dead_letter_headers(QUEUE, "boom", 5)),
            mandatory=True)
        ids.append(event_id)
    return ids


def drain(channel, queue):
    found = []
    while True:
        method, _properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return found
        found.append((json.loads(body)["id"], method.redelivered))


def depth(channel, queue) -> int:
    return channel.queue_declare(queue, passive=True).method.message_count


def test_a_list_reads_one_page_and_leaves_every_letter_in_place(channel, amqp_uri):
    ids = park(channel, 120)

    letters = deadletters.list_dead_letters(QUEUE, amqp_uri, limit=50)

    assert [letter.event_id for letter in letters] == ids[:50]
    assert letters[0].reason == "boom" and letters[0].attempts == 5
    kept = drain(channel, deadletters.dead_letter_queue(QUEUE))
    assert [event_id for event_id, _ in kept] == ids  # all there, in their order
    # Only the page was ever delivered to the CLI: the rest were never read, so never redelivered.
    assert [redelivered for _, redelivered in kept] == [True] * 50 + [False] * 70


def test_the_cli_lists_a_page_and_says_how_many_there_are(channel, amqp_uri, monkeypatch, capsys):
    park(channel, 12)
    monkeypatch.setenv("AMQP_URI", amqp_uri)

    assert deadletters.main(["list", QUEUE, "--limit", "5"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and all("VeteranRegistered" in line for line in lines[:5])
    assert lines[-1].startswith("5 of 12 dead letter(s)")
    assert depth(channel, deadletters.dead_letter_queue(QUEUE)) == 12


def test_a_requeue_moves_each_letter_back_once(channel, amqp_uri):
    ids = park(channel, 3)
    channel.queue_declare(QUEUE, durable=True)

    assert deadletters.requeue_dead_letters(QUEUE, amqp_uri) == 3

    assert [event_id for event_id, _ in drain(channel, QUEUE)] == ids
    assert depth(channel, deadletters.dead_letter_queue(QUEUE)) == 0


def test_a_requeue_of_letters_that_fail_at_once_ends(channel, amqp_uri):
    ids = park(channel, 3)
    # A subscriber that fails each message the moment it arrives: the broker dead-letters it
    # straight back into the dead-letter queue the requeue is reading from.
    channel.queue_declare(QUEUE, durable=True, arguments={
        "x-message-ttl": 0, "x-dead-letter-exchange": deadletters.EXCHANGE,
        "x-dead-letter-routing-key": QUEUE})
    env = {**os.environ, "AMQP_URI": amqp_uri}

    try:
        done = subprocess.run([sys.executable, "-m", "chassis.deadletters", "requeue", QUEUE],
                              env=env, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("the requeue was still going round after 20 s")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("3 dead letter(s) re-queued")
    assert [event_id for event_id, _ in drain(channel, deadletters.dead_letter_queue(QUEUE))] == ids
