"""Notifications with an outbox: written with the decision, delivered by a pluggable sender, tracked.

A service decides "tell the veteran" in the transaction of its decision (`NotificationAccess.add`
on the decision's cursor, with a deterministic id), so a notification exists exactly when the
decision does. A dispatcher delivers pending notifications through the configured `Sender` at
least once: each attempt is claimed under a lease, recorded (sent, retrying, failed) in
`notification_deliveries`, retried with a growing wait, and after the allowed attempts the
notification is `failed` and waits on a staff list (`failed_notifications`) until a person sends
it again (`retry`). Nothing is dropped silently.

Senders (config `NOTIFY_SENDER`):

- `local` (make up, tests): appends one JSON line per notification to `NOTIFY_LOG_PATH`; the
  portal shows the table itself as the veteran's inbox.
- `app`: POSTs the notification to the province's app push endpoint (`NOTIFY_APP_URL`, bearer
  token from the environment variable `NOTIFY_APP_TOKEN_ENV` names): the app addresses the
  veteran by the pseudonymous id.
- `sms`: looks the phone up at delivery (a `phone_lookup` the service gives, never stored here,
  never logged) and POSTs it with the text to the SMS gateway (`NOTIFY_SMS_URL`).

Recipients are pseudonymous ids; the text names no one beyond what the recipient's own channel
needs (the service writes it). Errors are masked before they are stored or logged.
"""
from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import structlog
from tenacity import RetryCallState, wait_exponential, wait_random

from chassis.db import Database
from chassis.nameko_deps import _DatabaseUser
from chassis.pii import mask_text

log = structlog.get_logger("vetlife.notify")
STATUSES = ("pending", "sent", "failed")
_COLUMNS = ("notification_id, recipient, kind, title, body, case_id, subject, channel, status, "
            "attempts, last_error, provider_reference, created_at, updated_at, sent_at")


@dataclass(frozen=True)
class Notification:
    notification_id: str
    recipient: str
    kind: str
    title: str
    body: str
    case_id: str | None
    subject: str | None
    channel: str
    status: str
    attempts: int
    last_error: str | None
    provider_reference: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None

    def as_dict(self) -> dict:
        return {**self.__dict__, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat(),
                "sent_at": self.sent_at.isoformat() if self.sent_at else None}


class DeliveryFailed(Exception):
    """Raised by a sender that could not deliver; `retryable` False: trying again cannot help
    (no phone on file), so the notification goes to the staff list at once."""

    def __init__(self, message: str, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


class Sender(Protocol):
    channel: str

    def deliver(self, notification: Notification) -> str | None:
        """Deliver it; return the channel's reference for it, if any. Raise DeliveryFailed."""
        ...


class LocalSender:
    """For make up and tests: one JSON line per notification in a log file. The veteran's
    inbox in the portal is the notifications table itself."""

    channel = "local"

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else None
        self._lock = threading.Lock()

    def deliver(self, notification: Notification) -> str | None:
        if self.path is None:
            return "inbox"
        line = json.dumps({"at": datetime.now(UTC).isoformat(),
                           "notification_id": notification.notification_id,
                           "recipient": notification.recipient, "kind": notification.kind,
                           "title": notification.title, "body": notification.body},
                          ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self.path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        except OSError as exc:
            raise DeliveryFailed(f"cannot write {self.path}: {exc.strerror}") from None
        return f"{self.path.name}"


def _post_json(url: str, payload: dict, token: str | None, timeout: float) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(payload, ensure_ascii=False).encode(), method="POST",
        headers={"Content-Type": "application/json",
                 **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as exc:
        # 4xx other than 429: the request itself is wrong, sending it again will not help.
        retryable = exc.code >= 500 or exc.code == 429
        raise DeliveryFailed(f"HTTP {exc.code} from the channel", retryable) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryFailed(f"the channel did not answer: {type(exc).__name__}") from None
    try:
        return json.loads(body) if body else {}
    except ValueError:
        return {}


class AppPushSender:
    """The province's app (浙里办): its push endpoint addresses the veteran by the id."""

    channel = "app"

    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0):
        self.url, self.token, self.timeout = url, token, timeout

    def deliver(self, notification: Notification) -> str | None:
        answer = _post_json(self.url, {"id": notification.notification_id,
                                       "recipient": notification.recipient,
                                       "title": notification.title, "body": notification.body,
                                       "kind": notification.kind}, self.token, self.timeout)
        return str(answer.get("id") or answer.get("reference") or "") or None


class SmsSender:
    """An SMS gateway: the phone is looked up when delivering and goes nowhere else."""

    channel = "sms"

    def __init__(self, url: str, phone_lookup: Callable[[str], str | None],
                 token: str | None = None, timeout: float = 10.0):
        self.url, self.phone_lookup, self.token, self.timeout = url, phone_lookup, token, timeout

    def deliver(self, notification: Notification) -> str | None:
        try:
            phone = self.phone_lookup(notification.recipient)
        except Exception as exc:  # noqa: BLE001 - the registry may be away: try again later
            raise DeliveryFailed(f"cannot look the phone up: {type(exc).__name__}") from None
        if not phone:
            raise DeliveryFailed("no phone on file for the recipient", retryable=False)
        answer = _post_json(self.url, {"phone": phone, "text": notification.body,
                                       "reference": notification.notification_id},
                            self.token, self.timeout)
        return str(answer.get("id") or answer.get("reference") or "") or None


def sender_from_config(config: dict,
                       phone_lookup: Callable[[str], str | None] | None = None) -> Sender:
    """The sender the configuration names (NOTIFY_SENDER: local, app or sms)."""
    kind = (config.get("NOTIFY_SENDER") or "local").strip()
    token_env = config.get("NOTIFY_TOKEN_ENV") or "VETLIFE_NOTIFY_TOKEN"
    token = os.environ.get(token_env) or None
    if kind == "local":
        return LocalSender(config.get("NOTIFY_LOG_PATH") or None)
    if kind == "app":
        if not config.get("NOTIFY_APP_URL"):
            raise ValueError("NOTIFY_SENDER app needs NOTIFY_APP_URL")
        return AppPushSender(config["NOTIFY_APP_URL"], token)
    if kind == "sms":
        if not config.get("NOTIFY_SMS_URL") or phone_lookup is None:
            raise ValueError("NOTIFY_SENDER sms needs NOTIFY_SMS_URL and a phone lookup")
        return SmsSender(config["NOTIFY_SMS_URL"], phone_lookup, token)
    raise ValueError(f"unknown NOTIFY_SENDER {kind!r}: local, app or sms")


# -- writing and reading --------------------------------------------------------------------------

class NotificationAccess:
    """A worker's way to add notifications in the transaction of its decision, and to read them."""

    def __init__(self, db: Database, channel: str):
        self.db = db
        self.channel = channel
        self.added = 0

    def add(self, cur, notification_id: str, recipient: str, kind: str, title: str, body: str,
            case_id: str | None = None, subject: str | None = None) -> bool:
        """Record a notification to deliver; False when its id is there already."""
        if not (notification_id and recipient):
            raise ValueError("a notification needs its id and its recipient")
        cur.execute(
            "INSERT INTO notifications (notification_id, recipient, kind, title, body, case_id, "
            "subject, channel) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (notification_id) DO NOTHING RETURNING 1",
            (notification_id, recipient, kind, title, body, case_id, subject, self.channel))
        added = cur.fetchone() is not None
        self.added += added
        return added


def inbox(cur, recipient: str, limit: int, offset: int = 0) -> tuple[list[Notification], int]:
    """A recipient's notifications, newest first, and how many there are."""
    cur.execute(f"SELECT {_COLUMNS}, count(*) OVER () FROM notifications WHERE recipient = %s "
                "ORDER BY seq DESC LIMIT %s OFFSET %s", (recipient, limit, offset))
    rows = cur.fetchall()
    total = rows[0][-1] if rows else _count(cur, "recipient = %s", (recipient,))
    return [Notification(*row[:-1]) for row in rows], total


def of_case(cur, case_id: str) -> list[Notification]:
    cur.execute(f"SELECT {_COLUMNS} FROM notifications WHERE case_id = %s ORDER BY seq",
                (case_id,))
    return [Notification(*row) for row in cur.fetchall()]


def failed_notifications(cur, case_ids: list[str] | None = None) -> list[Notification]:
    """Notifications every attempt failed to deliver: a person has to act (`retry`)."""
    cur.execute(f"SELECT {_COLUMNS} FROM notifications WHERE status = 'failed' "
                "AND (%s::text[] IS NULL OR case_id = ANY(%s)) ORDER BY updated_at",
                (case_ids, case_ids))
    return [Notification(*row) for row in cur.fetchall()]


def get(cur, notification_id: str) -> Notification | None:
    cur.execute(f"SELECT {_COLUMNS} FROM notifications WHERE notification_id = %s",
                (notification_id,))
    row = cur.fetchone()
    return Notification(*row) if row else None


def retry(cur, notification_id: str) -> bool:
    """Send a failed notification again (attempts from 0); False if it is not failed."""
    cur.execute("UPDATE notifications SET status = 'pending', attempts = 0, "
                "next_attempt_at = now(), updated_at = now() "
                "WHERE notification_id = %s AND status = 'failed' RETURNING channel",
                (notification_id,))
    row = cur.fetchone()
    if row is None:
        return False
    cur.execute("INSERT INTO notification_deliveries (notification_id, attempt, outcome, "
                "channel) VALUES (%s, 0, 'requeued', %s)", (notification_id, row[0]))
    return True


def deliveries(cur, notification_id: str) -> list[dict]:
    cur.execute("SELECT attempt, outcome, channel, error, at FROM notification_deliveries "
                "WHERE notification_id = %s ORDER BY seq", (notification_id,))
    return [{"attempt": a, "outcome": o, "channel": c, "error": e, "at": at.isoformat()}
            for a, o, c, e, at in cur.fetchall()]


def _count(cur, where: str, args: tuple) -> int:
    cur.execute(f"SELECT count(*) FROM notifications WHERE {where}", args)
    return cur.fetchone()[0]


# -- delivering -----------------------------------------------------------------------------------

class NotificationDispatcher:
    """Delivers pending notifications through `sender`, at least once, and records every attempt.

    A notification is claimed (attempt counted, leased) in one transaction, delivered, and its
    outcome recorded in another: a dispatcher killed in between leaves it pending and it is
    delivered again after the lease (a channel may show it twice; it is never lost).
    """

    def __init__(self, db: Database, sender: Sender, attempts: int = 6, backoff: float = 5.0,
                 max_backoff: float = 3600.0, lease: float = 60.0, batch: int = 20):
        self.db = db
        self.sender = sender
        self.attempts = attempts
        self.lease = lease
        self.batch = batch
        self._wait = wait_exponential(multiplier=backoff, max=max_backoff) + wait_random(0, backoff)

    def backoff(self, attempts: int) -> float:
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
        state.attempt_number = attempts
        return self._wait(state)

    def claim(self) -> list[Notification]:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE notifications SET attempts = attempts + 1, updated_at = now(), "
                "next_attempt_at = now() + make_interval(secs => %s) WHERE notification_id IN ("
                "SELECT notification_id FROM notifications WHERE status = 'pending' AND "
                "next_attempt_at <= now() ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED) "
                f"RETURNING seq, {_COLUMNS}", (self.lease, self.batch))
            return [Notification(*row[1:]) for row in sorted(cur.fetchall())]

    def record(self, notification: Notification, reference: str | None,
               failure: DeliveryFailed | None) -> str:
        error = mask_text(str(failure))[:1000] if failure else None
        channel = self.sender.channel
        with self.db.transaction() as cur:
            if failure is None:
                outcome = "sent"
                cur.execute("UPDATE notifications SET status = 'sent', sent_at = now(), "
                            "updated_at = now(), provider_reference = %s, last_error = NULL, "
                            "channel = %s WHERE notification_id = %s AND status = 'pending'",
                            (reference, channel, notification.notification_id))
            elif failure.retryable and notification.attempts < self.attempts:
                outcome = "retrying"
                cur.execute("UPDATE notifications SET last_error = %s, updated_at = now(), "
                            "next_attempt_at = now() + make_interval(secs => %s) "
                            "WHERE notification_id = %s AND status = 'pending'",
                            (error, self.backoff(notification.attempts),
                             notification.notification_id))
            else:
                outcome = "failed"
                cur.execute("UPDATE notifications SET status = 'failed', last_error = %s, "
                            "updated_at = now() WHERE notification_id = %s "
                            "AND status = 'pending'", (error, notification.notification_id))
            cur.execute("INSERT INTO notification_deliveries (notification_id, attempt, outcome, "
                        "channel, error) VALUES (%s, %s, %s, %s, %s)",
                        (notification.notification_id, notification.attempts, outcome, channel,
                         error))
        if outcome == "failed":
            # On the staff list from now on; the log says so once.
            log.error("notify.failed", notification_id=notification.notification_id,
                      kind=notification.kind, case_id=notification.case_id,
                      attempts=notification.attempts, error=error)
        elif outcome == "retrying":
            log.warning("notify.retrying", notification_id=notification.notification_id,
                        attempts=notification.attempts, error=error)
        return outcome

    def deliver_pending(self) -> dict[str, int]:
        """Deliver everything due now; how many attempts ended sent, retrying, failed."""
        counts = {"sent": 0, "retrying": 0, "failed": 0}
        while claimed := self.claim():
            for notification in claimed:
                try:
                    reference, failure = self.sender.deliver(notification), None
                except DeliveryFailed as exc:
                    reference, failure = None, exc
                except Exception as exc:  # noqa: BLE001 - a sender's bug is a failed attempt
                    reference, failure = None, DeliveryFailed(f"{type(exc).__name__}: {exc}")
                counts[self.record(notification, reference, failure)] += 1
        return counts

    def run(self, stop: threading.Event, wake: threading.Event | None = None,
            poll_every: float = 2.0) -> None:
        wake = wake or threading.Event()
        while not stop.is_set():
            wake.clear()
            try:
                self.deliver_pending()
            except Exception as exc:  # noqa: BLE001 - the database away: the next pass
                log.warning("notify.pass_failed", error=type(exc).__name__)
            wake.wait(poll_every)


class Notifier(_DatabaseUser):
    """Gives workers `add(cur, ...)` (and reads); delivers from a thread of the service itself.

    `phone_lookup(config)` returns the function an SMS sender looks phones up with. With
    `NOTIFY_DISPATCHER: false` in the config the service only writes its notifications (a test
    delivers them itself).
    """

    def __init__(self, attempts: int = 6, backoff: float = 5.0, max_backoff: float = 3600.0,
                 poll_every: float = 2.0,
                 phone_lookup: Callable[[dict], Callable[[str], str | None]] | None = None):
        self.options = {"attempts": attempts, "backoff": backoff, "max_backoff": max_backoff}
        self.poll_every = poll_every
        self.phone_lookup = phone_lookup
        self._workers: dict = {}

    def setup(self):
        super().setup()
        config = self.container.config
        lookup = self.phone_lookup(config) if self.phone_lookup else None
        self.sender = sender_from_config(config, lookup)
        self.dispatcher = NotificationDispatcher(self.db, self.sender, **self.options)
        self._stop = threading.Event()
        self._wake = threading.Event()

    def start(self):
        if self.container.config.get("NOTIFY_DISPATCHER", True) not in (False, "false", "off"):
            self.container.spawn_managed_thread(
                lambda: self.dispatcher.run(self._stop, self._wake, self.poll_every),
                identifier=f"notifications {self.container.service_name}")

    def stop(self):
        self._stop.set()
        self._wake.set()
        super().stop()

    def kill(self):
        self._stop.set()
        self.db.close()

    def get_dependency(self, worker_ctx):
        access = NotificationAccess(self.db, self.sender.channel)
        self._workers[worker_ctx] = access
        return access

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        access = self._workers.pop(worker_ctx, None)
        if access is not None and access.added and exc_info is None:
            self._wake.set()

    def worker_teardown(self, worker_ctx):
        self._workers.pop(worker_ctx, None)

    def wake(self) -> None:
        """Deliver now rather than at the next poll (after a write outside a worker)."""
        self._wake.set()
