"""The steady load: portal clients registering veterans, retrying with the same Idempotency-Key."""
from __future__ import annotations

import itertools
import random
import threading
import time
from dataclasses import dataclass, field

import requests

from tests.factories import veteran_payload

CLIENT_TIMEOUT = 15.0  # seconds; the gateway's own RPC timeout is 10 s
COMMAND_DEADLINE = 90.0  # a portal gives up on a registration after this long
RETRY_PAUSE = 0.5
# One registration in this many re-registers an already filed ID number under a new key: the
# registry must refuse it (409) and write nothing, outage or not.
REFUSAL_EVERY = 15
# The token's subject: the gateway scopes Idempotency-Keys to it and the audit log names it.
PORTAL_SUBJECT = "faults-portal"

_numbers_lock = threading.Lock()
_numbers_used: set[str] = set()
_keys = itertools.count(1)


@dataclass
class Attempt:
    """One HTTP exchange: when, how long, and what came back (status None: no answer at all)."""

    started: float
    ended: float
    status: int | None
    error: str = ""
    message: str = ""

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Registration:
    """One command: a payload and its Idempotency-Key, sent until answered or given up."""

    key: str
    drill: str
    payload: dict
    expect_refusal: bool = False
    attempts: list[Attempt] = field(default_factory=list)
    outcome: str = "pending"  # acked | refused | gave_up
    veteran_id: str | None = None
    veteran_ids_seen: set = field(default_factory=set)

    @property
    def id_number(self) -> str:
        return self.payload["id_number"]


def fresh_payload(**overrides) -> dict:
    """A realistic registration whose ID number no earlier registration in this run used."""
    with _numbers_lock:  # Faker and the number set are shared by the client threads
        while True:
            payload = veteran_payload(**overrides)
            if payload["id_number"] not in _numbers_used:
                _numbers_used.add(payload["id_number"])
                return payload


class Portal:
    """`clients` threads sending `rate` registrations per second in all, until told to stop.

    `auth` holds the Authorization header of a registry clerk whose subject is PORTAL_SUBJECT.
    """

    def __init__(self, base_url: str, drill: str, auth: dict[str, str], clients: int = 6,
                 rate: float = 30.0):
        self.url = f"{base_url}/api/v1/veterans"
        self.auth = auth
        self.drill = drill
        self.clients = clients
        self.interval = clients / rate
        self.registrations: list[Registration] = []
        self._lock = threading.Lock()
        self._stop_new = threading.Event()
        self._threads: list[threading.Thread] = []
        self.started_at = 0.0

    def start(self) -> None:
        self.started_at = time.time()
        for n in range(self.clients):
            thread = threading.Thread(target=self._client, name=f"portal-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = COMMAND_DEADLINE + 2 * CLIENT_TIMEOUT) -> bool:
        """Send no new registrations; wait for those in flight to be answered or given up."""
        self._stop_new.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def acked(self) -> list[Registration]:
        with self._lock:
            return [r for r in self.registrations if r.outcome == "acked"]

    def _next(self) -> Registration:
        # No ':' in a key: the invariants find its command as the last ':'-part of the id.
        key = f"faults-{self.drill}-{next(_keys):06d}-{random.randrange(16**6):06x}"
        refusal = random.randrange(REFUSAL_EVERY) == 0
        filed = [r for r in self.acked() if not r.expect_refusal] if refusal else []
        if filed:
            # Same person, new key, a different name: a second file must never be opened.
            payload = veteran_payload(id_number=random.choice(filed).id_number)
            registration = Registration(key, self.drill, payload, expect_refusal=True)
        else:
            registration = Registration(key, self.drill, fresh_payload())
        with self._lock:
            self.registrations.append(registration)
        return registration

    def _client(self) -> None:
        session = requests.Session()
        next_at = time.monotonic() + random.random() * self.interval
        while not self._stop_new.is_set():
            pause = next_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            next_at = max(next_at + self.interval, time.monotonic())
            self._send(session, self._next())

    def _send(self, session: requests.Session, registration: Registration) -> None:
        deadline = time.monotonic() + COMMAND_DEADLINE
        headers = {"Idempotency-Key": registration.key, **self.auth}
        while True:
            started = time.time()
            status, error, message, body = None, "", "", {}
            try:
                response = session.post(self.url, json=registration.payload, headers=headers,
                                        timeout=CLIENT_TIMEOUT)
                status = response.status_code
                try:
                    body = response.json()
                except ValueError:
                    body = {}
                error, message = str(body.get("error", "")), str(body.get("message", ""))
            except requests.Timeout:
                error = "client_timeout"
            except requests.ConnectionError:
                error = "connection_error"
                session = requests.Session()
            registration.attempts.append(Attempt(started, time.time(), status, error, message))
            if status is not None and 200 <= status < 300:
                registration.outcome = "acked"
                registration.veteran_id = body.get("veteran_id")
                registration.veteran_ids_seen.add(registration.veteran_id)
                return
            if status is not None and 400 <= status < 500:
                registration.outcome = "refused"
                return
            # 503 (or any 5xx, or no answer): the key makes the same request safe to repeat.
            if time.monotonic() > deadline:
                registration.outcome = "gave_up"
                return
            time.sleep(RETRY_PAUSE + random.random() * RETRY_PAUSE)
