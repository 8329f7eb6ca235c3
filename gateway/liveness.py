"""Whether anyone consumes a service's RPC queue: a stopped service is known at once, not after a timeout.

A stopped nameko service does not refuse a call: its queue stays (it is durable) and the request
waits there until the caller's timeout. The overview's breaker learns that from failures, so
until it opens, and at every half-open trial after, a page waits the whole section timeout. A
passive declare of the service's queue answers in a round trip with its consumer count: zero
means nobody is there to answer. The answer is kept for `ttl` seconds per service, so a busy
gateway asks RabbitMQ at most once a second per service; a probe that fails or is slow says
"don't know" (None), and the call goes ahead as before.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import eventlet
import structlog
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

log = structlog.get_logger("vetlife.gateway.liveness")

PROBE_TIMEOUT_SECONDS = 0.5


class Liveness:
    """`running(service)`: True (it has a consumer), False (nobody consumes its RPC queue, or
    there is no queue), None (could not tell)."""

    def __init__(self, amqp_uri: str, ttl: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        self.amqp_uri = amqp_uri
        self.ttl = ttl
        self.clock = clock
        self._known: dict[str, tuple[float, bool | None]] = {}
        self._connection = None
        # One AMQP connection, so one probe at a time: green threads must not interleave frames.
        self._lock = Semaphore(1)

    def running(self, service: str) -> bool | None:
        seen = self._known.get(service)
        if seen is not None and self.clock() - seen[0] < self.ttl:
            return seen[1]
        with self._lock:
            seen = self._known.get(service)  # another thread may have asked meanwhile
            if seen is not None and self.clock() - seen[0] < self.ttl:
                return seen[1]
            answer = self._probe(service)
            self._known[service] = (self.clock(), answer)
            return answer

    def _probe(self, service: str) -> bool | None:
        import amqp.exceptions
        import kombu

        try:
            with eventlet.Timeout(PROBE_TIMEOUT_SECONDS):
                if self._connection is None:
                    self._connection = kombu.Connection(self.amqp_uri, connect_timeout=1)
                    self._connection.connect()
                channel = self._connection.channel()
                try:
                    declared = channel.queue_declare(queue=f"rpc-{service}", passive=True)
                finally:
                    try:
                        channel.close()
                    except Exception:  # noqa: BLE001 - a 404 closed it already
                        pass
                return declared.consumer_count > 0
        except amqp.exceptions.NotFound:
            return False  # no queue: the service never ran on this broker
        except (Exception, eventlet.Timeout) as exc:  # noqa: BLE001 - unknown, never a verdict
            log.info("gateway.liveness_unknown", service=service, error=type(exc).__name__)
            self._drop()
            return None

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001 - already broken
                pass

    def close(self) -> None:
        with self._lock:
            self._drop()


class LivenessProbe(DependencyProvider):
    """Gives the gateway process's breakers (gateway/breaker.py BREAKERS) a probe of the broker
    the gateway itself uses; without it (unit tests) they work as before."""

    def setup(self):
        from gateway.breaker import BREAKERS

        self.liveness = Liveness(self.container.config["AMQP_URI"])
        BREAKERS.probe = self.liveness

    def stop(self):
        from gateway.breaker import BREAKERS

        if BREAKERS.probe is self.liveness:
            BREAKERS.probe = None
        self.liveness.close()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.liveness
