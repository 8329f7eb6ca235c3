"""The bundle stream's body in-process: the current state, each newer version, heartbeats, the end."""
import json

import eventlet
import pytest

from chassis.wire import ServiceError
from gateway.breaker import Breakers
from gateway.stream import StreamHub, StreamsFull, frame, last_event_id, view_of

BUNDLE = "0b7c3e52-7d1a-4c43-9d43-3c1a2f1f0c11"


class FakeBundle:
    """get_bundle as the bundle service answers it; version grows with each change."""

    def __init__(self):
        self.bundle = {"bundle_id": BUNDLE, "version": 1, "status": "open", "matters": []}
        self.reads = 0
        self.gone = False

    def read(self):
        self.reads += 1
        if self.gone:
            raise ServiceError("not_found", "no bundle")
        return dict(self.bundle)

    def change(self, **fields):
        self.bundle = {**self.bundle, **fields, "version": self.bundle["version"] + 1}


def hub(**overrides):
    settings = {"max_streams": 3, "poll_seconds": 0.02, "heartbeat_seconds": 0.15,
                "lifetime_seconds": 5, "breakers": Breakers(failures=2, cool_down=30)}
    return StreamHub(**{**settings, **overrides})


def parse(chunk: bytes) -> dict:
    fields = {}
    for line in chunk.decode().strip().split("\n"):
        name, _, value = line.partition(": ")
        fields[name] = value
    return fields


def next_chunk(events, timeout=2.0):
    with eventlet.Timeout(timeout):
        return next(events)


def test_the_current_state_then_each_change_as_it_happens():
    source, streams = FakeBundle(), hub()
    streams.reserve()
    body = streams.open(BUNDLE, source.read(), source.read, seen=None)
    events = iter(body)
    assert next_chunk(events) == b"retry: 3000\n\n"
    first = parse(next_chunk(events))
    assert (first["id"], first["event"]) == ("1", "bundle")
    assert json.loads(first["data"])["status"] == "open"
    source.change(status="complete")
    second = parse(next_chunk(events))
    assert second["id"] == "2" and json.loads(second["data"])["status"] == "complete"
    body.close()
    assert streams.counts() == {"streams": 0, "watches": 0}


def test_a_reconnect_with_the_last_version_gets_no_repeat_but_a_newer_one_when_it_comes():
    source, streams = FakeBundle(), hub()
    source.change()  # version 2
    streams.reserve()
    body = streams.open(BUNDLE, source.read(), source.read, seen=2)
    events = iter(body)
    assert next_chunk(events) == b"retry: 3000\n\n"
    source.change()
    assert parse(next_chunk(events))["id"] == "3"
    body.close()
    # An older Last-Event-ID: the current state at once.
    streams.reserve()
    body = streams.open(BUNDLE, source.read(), source.read, seen=1)
    events = iter(body)
    next_chunk(events)
    assert parse(next_chunk(events))["id"] == "3"
    body.close()
    # A Last-Event-ID this bundle never had: the current state at once.
    streams.reserve()
    body = streams.open(BUNDLE, source.read(), source.read, seen=99)
    events = iter(body)
    next_chunk(events)
    assert parse(next_chunk(events))["id"] == "3"
    body.close()


def test_heartbeats_while_nothing_changes_and_the_end_after_the_lifetime():
    source, streams = FakeBundle(), hub(heartbeat_seconds=0.05, lifetime_seconds=0.3)
    streams.reserve()
    body = streams.open(BUNDLE, source.read(), source.read, seen=1)
    chunks = list(iter(body))
    assert chunks[0] == b"retry: 3000\n\n"
    assert chunks.count(b": heartbeat\n\n") >= 3
    assert chunks[-1] == b": lifetime reached, reconnect\n\n"
    body.close()
    assert streams.counts()["streams"] == 0


def test_many_streams_of_one_bundle_share_one_poll():
    source, streams = FakeBundle(), hub()
    bodies = []
    for _ in range(3):
        streams.reserve()
        bodies.append(streams.open(BUNDLE, source.read(), source.read, seen=1))
    reads = source.reads
    eventlet.sleep(0.2)  # about 10 polls
    assert source.reads - reads <= 12
    assert streams.counts() == {"streams": 3, "watches": 1}
    with pytest.raises(StreamsFull):
        streams.reserve()
    for body in bodies:
        body.close()
        body.close()  # the server may close twice; the slot is given back once
    assert streams.counts() == {"streams": 0, "watches": 0}
    streams.reserve()


def test_streams_share_a_poll_only_with_streams_that_see_the_same_view():
    """A department sees its own matters; it must never be handed a veteran's whole bundle."""
    whole, own_matters, streams = FakeBundle(), FakeBundle(), hub()
    veteran = view_of({"roles": ["veteran"], "veteran_id": "v1"})
    department = view_of({"roles": ["department"], "department": "public_security",
                          "district": True})
    streams.reserve()
    first = streams.open(BUNDLE, whole.read(), whole.read, seen=None, view=veteran)
    streams.reserve()
    second = streams.open(BUNDLE, own_matters.read(), own_matters.read, seen=None,
                          view=department)
    assert streams.counts() == {"streams": 2, "watches": 2}
    events = iter(second)
    next_chunk(events), next_chunk(events)
    whole.change(status="secret")
    own_matters.change(status="theirs")
    assert json.loads(parse(next_chunk(events))["data"])["status"] == "theirs"
    first.close(), second.close()
    assert streams.counts() == {"streams": 0, "watches": 0}


def test_a_stream_closed_before_its_first_chunk_still_gives_its_slot_back():
    source, streams = FakeBundle(), hub()
    streams.reserve()
    streams.open(BUNDLE, source.read(), source.read, seen=None).close()
    assert streams.counts() == {"streams": 0, "watches": 0}


def test_a_bundle_no_longer_readable_ends_the_stream_and_stopping_ends_them_all():
    source, streams = FakeBundle(), hub()
    streams.reserve()
    body = streams.open(BUNDLE, source.read(), source.read, seen=1)
    events = iter(body)
    next_chunk(events)
    source.gone = True
    assert next_chunk(events) == b"event: gone\ndata: {}\n\n"
    with pytest.raises(StopIteration):
        next_chunk(events)
    body.close()

    other = FakeBundle()
    streams.reserve()
    body = streams.open(BUNDLE, other.read(), other.read, seen=1)
    events = iter(body)
    next_chunk(events)
    streams.close()
    with pytest.raises(StopIteration):
        next_chunk(events)
    body.close()
    with pytest.raises(StreamsFull):
        streams.reserve()


def test_the_last_event_id_is_a_version_or_nothing():
    assert last_event_id("7") == 7 and last_event_id(" 12 ") == 12
    assert last_event_id(None) is last_event_id("abc") is last_event_id("-1") is None
    assert last_event_id("9" * 19) is None


def test_a_frame_is_one_event_with_its_version_as_id_and_utf8_json_on_one_line():
    chunk = frame({"version": 4, "note": "退役\n军人"})
    assert chunk.startswith(b"id: 4\nevent: bundle\ndata: {")
    assert chunk.endswith(b"\n\n") and chunk.count(b"\n") == 4
    assert "退役".encode() in chunk


def test_every_event_the_stream_sends_is_one_its_documented_schema_accepts():
    # OpenAPI before 3.2 describes each event of a text/event-stream (event, id, data) with the
    # response's schema; the fuzzer validates every event it reads against it.
    import jsonschema_rs

    from gateway.openapi import openapi_document
    operation = openapi_document()["paths"]["/api/v1/bundles/{bundle_id}/stream"]["get"]
    schema = operation["responses"]["200"]["content"]["text/event-stream"]["schema"]
    validator = jsonschema_rs.validator_for(schema)
    source, streams = FakeBundle(), hub()
    streams.reserve()
    events = iter(streams.open(BUNDLE, source.read(), source.read, seen=None))
    assert next_chunk(events) == b"retry: 3000\n\n"  # no data: not an event
    sent = [parse(next_chunk(events))]
    source.gone = True
    sent.append(parse(next_chunk(events, timeout=3.0)))
    assert [event["event"] for event in sent] == ["bundle", "gone"]
    for event in sent:
        assert validator.is_valid(event), event
    # What it used to document (the body as one string) rejects the very same events.
    assert not any(jsonschema_rs.validator_for({"type": "string"}).is_valid(e) for e in sent)
    assert not validator.is_valid({"event": "message", "data": "{}"})
