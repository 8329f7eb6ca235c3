"""A bundle's status pushed as it changes (GET /api/v1/bundles/{bundle_id}/stream): Server-Sent Events.

On connect the stream sends the bundle as it is (event `bundle`, id = its version), unless the
client's Last-Event-ID already has that version; then each newer version as the bundle service
reports it, a comment line every HEARTBEAT_SECONDS so proxies keep the connection open, and it
ends after LIFETIME_SECONDS (the client reconnects with Last-Event-ID and misses nothing).

How it is served: the route's worker checks the caller, reads the bundle once with the caller's
own reach (so the stream is exactly as open as GET /bundles/{bundle_id}), puts the connection on
record in the audit log, and returns a response whose body is a generator. nameko's HTTP
entrypoint releases the worker when the handler returns: eventlet's WSGI server iterates the
body in the connection's own green thread, outside the worker pool (measured:
docs/overview-and-streams.md). So a stream costs a green thread and a socket, not a worker;
what bounds them is MAX_STREAMS per gateway process (429 with Retry-After beyond it) and the
polling: one poll per watched bundle per POLL_SECONDS, shared by the streams of that bundle
whose callers get the same view of it (same roles, department and reach).
"""
from __future__ import annotations

import functools
import json
import os
import re
import time
from collections.abc import Callable

import eventlet
import structlog
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider

from chassis.wire import ServiceError
from gateway.breaker import BREAKERS, Breakers
from gateway.overview import ROUTES, Unavailable, guarded

log = structlog.get_logger("vetlife.gateway")

MAX_STREAMS = int(os.environ.get("GATEWAY_MAX_STREAMS", "200"))
POLL_SECONDS = float(os.environ.get("GATEWAY_STREAM_POLL_SECONDS", "1.0"))
HEARTBEAT_SECONDS = float(os.environ.get("GATEWAY_STREAM_HEARTBEAT_SECONDS", "15"))
LIFETIME_SECONDS = float(os.environ.get("GATEWAY_STREAM_LIFETIME_SECONDS", "600"))
CONNECT_TIMEOUT_SECONDS = 5.0   # the first read, in the worker
POLL_TIMEOUT_SECONDS = 2.0      # each later read
RETRY_MILLISECONDS = 3000       # the reconnection delay the client is told
FULL_RETRY_AFTER_SECONDS = 30
BUNDLE_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
LAST_EVENT_ID = re.compile(r"[0-9]{1,18}")

_STOP, _GONE = object(), object()


class StreamsFull(Exception):
    """Raised when the gateway process already serves MAX_STREAMS streams."""


def last_event_id(value: str | None) -> int | None:
    """The version the client last saw; anything else is as if it had seen none."""
    if value is None or not LAST_EVENT_ID.fullmatch(value.strip()):
        return None
    return int(value.strip())


def frame(bundle: dict) -> bytes:
    data = json.dumps(bundle, ensure_ascii=False, separators=(",", ":"))
    return f"id: {bundle['version']}\nevent: bundle\ndata: {data}\n\n".encode()


class Subscriber:
    """One open stream: who it reads as, and the versions waiting to be sent."""

    def __init__(self, bundle_id: str, read: Callable[[], dict]):
        self.bundle_id = bundle_id
        self.read = read            # get_bundle with this subscriber's own caller
        self.queue = LightQueue()


def view_of(caller: dict) -> tuple:
    """What decides how the bundle service shows a bundle to a caller (a department sees its own
    matters, a leader no reasons): everything the caller carries but who they are."""
    return (tuple(sorted(caller.get("roles", ()))), caller.get("department"),
            caller.get("veteran_id"), tuple(sorted(caller.get("stations", ()))),
            bool(caller.get("district")))


class Watch:
    """One bundle as one view shows it, polled once per POLL_SECONDS for all its streams."""

    def __init__(self, key: tuple, bundle_id: str, version: int):
        self.key = key
        self.bundle_id = bundle_id
        self.version = version
        self.subscribers: list[Subscriber] = []

    def publish(self, item) -> None:
        for subscriber in self.subscribers:
            subscriber.queue.put(item)


class StreamHub:
    """The gateway process's open streams and the bundles they watch."""

    def __init__(self, max_streams: int = MAX_STREAMS, poll_seconds: float = POLL_SECONDS,
                 heartbeat_seconds: float = HEARTBEAT_SECONDS,
                 lifetime_seconds: float = LIFETIME_SECONDS, breakers: Breakers = BREAKERS,
                 spawn: Callable = eventlet.spawn, clock: Callable[[], float] = time.monotonic):
        self.max_streams = max_streams
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.lifetime_seconds = lifetime_seconds
        self.breakers = breakers
        self.spawn = spawn
        self.clock = clock
        self.reserved = 0
        self.watches: dict[tuple, Watch] = {}
        self.closing = False

    # -- slots: taken before the first read, so the count never overshoots -------------------------

    def reserve(self) -> None:
        if self.closing or self.reserved >= self.max_streams:
            raise StreamsFull()
        self.reserved += 1

    def release(self) -> None:
        self.reserved -= 1

    # -- streams -----------------------------------------------------------------------------------

    def open(self, bundle_id: str, bundle: dict, read: Callable[[], dict],
             seen: int | None, view: tuple = ()) -> StreamBody:
        """The body of a stream whose slot is reserved and whose first read is `bundle`. Streams
        share a watch only with streams that see the same view of the bundle."""
        subscriber = Subscriber(bundle_id, read)
        key = (bundle_id, view)
        watch = self.watches.get(key)
        if watch is None:
            watch = self.watches[key] = Watch(key, bundle_id, bundle["version"])
            self.spawn(functools.partial(self._poll, watch))
        watch.subscribers.append(subscriber)
        return StreamBody(self, watch, subscriber, bundle, seen)

    def leave(self, watch: Watch, subscriber: Subscriber) -> None:
        if subscriber in watch.subscribers:
            watch.subscribers.remove(subscriber)
            self.release()
        if not watch.subscribers and self.watches.get(watch.key) is watch:
            del self.watches[watch.key]

    def _poll(self, watch: Watch) -> None:
        """Read the bundle every poll_seconds while anyone watches it; hand on each new version."""
        breaker = self.breakers["bundle"]
        while watch.subscribers and not self.closing:
            eventlet.sleep(self.poll_seconds)
            if not watch.subscribers or self.closing:
                break
            # Read as the longest-connected subscriber: all of them see the same view, each
            # one's own read at connect showed it may, and a stream lives lifetime_seconds.
            reader = watch.subscribers[0]
            try:
                bundle = guarded(breaker, reader.read, POLL_TIMEOUT_SECONDS)
            except Unavailable as exc:
                log.info("gateway.stream_poll_unavailable", reason=exc.reason)
                continue
            except ServiceError as exc:
                if exc.code == "not_found":
                    watch.publish(_GONE)
                    break
                log.warning("gateway.stream_poll_refused", code=exc.code)
                continue
            except Exception as exc:  # noqa: BLE001 - the next poll tries again
                log.warning("gateway.stream_poll_failed", error=type(exc).__name__)
                continue
            if isinstance(bundle.get("version"), int) and bundle["version"] > watch.version:
                watch.version = bundle["version"]
                watch.publish(bundle)
        if self.watches.get(watch.key) is watch and not watch.subscribers:
            del self.watches[watch.key]

    def close(self) -> None:
        """The gateway is stopping: every stream ends now (clients reconnect elsewhere)."""
        self.closing = True
        for watch in list(self.watches.values()):
            watch.publish(_STOP)

    def counts(self) -> dict:
        return {"streams": self.reserved, "watches": len(self.watches)}


class StreamBody:
    """The response body: an iterable whose close() (called by the WSGI server however the
    response ends, even before the first chunk) gives the slot back exactly once."""

    def __init__(self, hub: StreamHub, watch: Watch, subscriber: Subscriber, bundle: dict,
                 seen: int | None):
        self.hub, self.watch, self.subscriber = hub, watch, subscriber
        self.first, self.seen = bundle, seen
        self._events = self._generate()
        self._closed = False

    def __iter__(self):
        return self._events

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._events.close()
        self.hub.leave(self.watch, self.subscriber)

    def _generate(self):
        hub, clock = self.hub, self.hub.clock
        # A Last-Event-ID above the current version is not from this bundle: as if none.
        seen = self.seen if self.seen is not None and self.seen <= self.first["version"] else None
        sent = -1 if seen is None else seen
        yield f"retry: {RETRY_MILLISECONDS}\n\n".encode()
        if self.first["version"] > sent:
            yield frame(self.first)
            sent = self.first["version"]
        ends = clock() + hub.lifetime_seconds
        beat = clock() + hub.heartbeat_seconds
        while True:
            moment = clock()
            if moment >= ends:
                # Planned: the client reconnects after `retry` with Last-Event-ID.
                yield b": lifetime reached, reconnect\n\n"
                return
            if moment >= beat:
                yield b": heartbeat\n\n"
                beat = moment + hub.heartbeat_seconds
                continue
            try:
                item = self.subscriber.queue.get(timeout=min(ends, beat) - moment)
            except Empty:
                continue
            # Only the newest waiting version matters.
            while item not in (_STOP, _GONE) and not self.subscriber.queue.empty():
                item = self.subscriber.queue.get_nowait()
            if item is _STOP:
                return
            if item is _GONE:
                yield b"event: gone\ndata: {}\n\n"
                return
            if item["version"] > sent:
                yield frame(item)
                sent = item["version"]
                beat = clock() + hub.heartbeat_seconds


class Streams(DependencyProvider):
    """Hands each worker the process's StreamHub; ends every stream when the gateway stops."""

    def setup(self):
        self.hub = StreamHub(spawn=self.container.spawn_managed_thread)

    def stop(self):
        self.hub.close()

    def kill(self):
        self.hub.close()

    def get_dependency(self, worker_ctx):
        return self.hub


# -- the route ---------------------------------------------------------------------------------------

def serve(gateway, call, bundle_id: str):
    """GET /api/v1/bundles/{bundle_id}/stream, for GatewayService.bundle_stream."""
    from werkzeug.wrappers import Response

    from gateway.errors import GatewayError, ServiceUnavailable, error_response
    from gateway.service import purpose_from

    # Without the bundle service's routes (contracts/bundle.py) there are no bundles to read.
    if not BUNDLE_ID.fullmatch(bundle_id) or "get_bundle" not in ROUTES:
        raise GatewayError("not_found", "no bundle with this id", status=404)
    bundle_id = bundle_id.lower()
    purpose = purpose_from(call.request)
    seen = last_event_id(call.request.headers.get("Last-Event-ID"))
    hub: StreamHub = gateway.streams
    try:
        hub.reserve()
    except StreamsFull:
        log.warning("gateway.streams_full", **hub.counts())
        response = error_response(429, "too_many_streams", "this gateway serves as many streams "
                                  "as it may; reconnect later")
        response.headers["Retry-After"] = str(FULL_RETRY_AFTER_SECONDS)
        return response
    caller = call.caller(correlation_id=gateway.context.get("correlation_id"), purpose=purpose)
    proxy = gateway.bundle
    params = {"bundle_id": bundle_id}

    def read() -> dict:
        return proxy.get_bundle.call_async(params, None, None, caller).result()

    try:
        try:
            bundle = guarded(hub.breakers["bundle"], read, CONNECT_TIMEOUT_SECONDS)
        except Unavailable:
            raise ServiceUnavailable("bundle") from None
        route = ROUTES.get("get_bundle")
        personal = sorted(route.personal) if route is not None else []
        # The stream is one read over its life: on record once, with every personal field it
        # may show; not served if it cannot be recorded.
        gateway._record(gateway._entry(call, "bundle_stream", "ok", bundle.get("veteran_id"),
                                       personal, purpose))
        body = hub.open(bundle_id, bundle, read, seen, view_of(caller))
    except BaseException:
        hub.release()
        raise
    # eventlet's WSGI server buffers a body's chunks up to 4 KiB unless told otherwise.
    call.request.environ["eventlet.minimum_write_chunk_size"] = 0
    return Response(body, status=200, mimetype="text/event-stream", headers={
        "Cache-Control": "no-store", "X-Accel-Buffering": "no"})


# Before OpenAPI 3.2 (itemSchema), a text/event-stream schema describes one event as a client
# reads it: its `event`, `id` and `data` fields. The `retry` line carries no data, so no event.
SSE_EVENT = {
    "type": "object", "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["bundle", "gone"],
                  "description": "`bundle`: data is the bundle; `gone`: it can no longer be "
                                 "read (data `{}`), and the stream ends"},
        "id": {"type": "string", "pattern": "^[0-9]{1,18}$",
               "description": "the bundle's version, to send back as Last-Event-ID"},
        "data": {"type": "string", "description": "JSON: the bundle as GET "
                                                  "/api/v1/bundles/{bundle_id} answers it"},
        "retry": {"type": "integer", "minimum": 0}}}


def openapi_paths(errors, parameters) -> dict:
    full = {"description": "the gateway serves as many streams as it may; reconnect after "
                           "Retry-After", "headers": {"Retry-After": {
                               "description": "seconds", "required": True,
                               "schema": {"type": "integer"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {"/api/v1/bundles/{bundle_id}/stream": {"get": {
        "operationId": "bundle_stream",
        "summary": "the bundle's status as Server-Sent Events: event `bundle` (id = version) on "
                   "connect and on each change, a comment every 15 s, closed after 10 minutes "
                   "(reconnect with Last-Event-ID)",
        "parameters": [
            {"name": "bundle_id", "in": "path", "required": True,
             "schema": {"type": "string", "format": "uuid"}},
            {"name": "Last-Event-ID", "in": "header", "required": False,
             "description": "the last version received: the current bundle is sent only if "
                            "newer", "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"}},
            *parameters],
        "responses": {
            "200": {"description": "an event stream; each `data` is the bundle as GET "
                                   "/api/v1/bundles/{bundle_id} answers it",
                    "content": {"text/event-stream": {"schema": SSE_EVENT}}},
            "429": full,
            **errors(400, 404, 401, 403, 503)}}}}
