"""The HTTP benchmark paths: closed-loop clients against the gateway and its ceilings, and paced commands."""
from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.paths import connect

# -- HTTP through the gateway, 8 concurrent clients ---------------------------------------------


def _closed_loop(send, clients: int, seconds: float) -> float:
    """Calls per second of `send(session)` from `clients` threads, each waiting for its answer."""
    lock = threading.Lock()
    done = [0]
    deadline = time.monotonic() + seconds

    def client():
        session = requests.Session()
        while time.monotonic() < deadline:
            send(session)
            with lock:
                done[0] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return done[0] / (time.perf_counter() - started)


def _expect(response, status: int) -> None:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.url}: {response.status_code} "
                           f"{response.text[:200]}")


def http_load(url: str, bodies: list[str], headers: dict | None = None, clients: int = 8,
              seconds: float = 6.0) -> float:
    """POSTs per second that got a 201, from `clients` threads for `seconds`."""
    feed = iter(bodies)
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", **(headers or {})}

    def send(session):
        with lock:
            body = next(feed)
        _expect(session.post(url, data=body.encode(), headers=headers, timeout=30), 201)

    return _closed_loop(send, clients, seconds)


def warm_up(load, patience: float = 120.0) -> None:
    """Run `load()` (a short closed loop of 8 clients) until one round passes without a 503.

    Each round fills the processes' connection pools to what 8 clients need; once full they are
    kept, so the measured slices never wait for a connection. On a server that other test suites
    share, a round can meet "too many clients" (the gateway answers 503): then it waits and
    tries again rather than measure, or fail, on it.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            load()
            return
        except RuntimeError as exc:
            if " 503 " not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(2.0)


def http_read_load(urls: list[str], headers: dict | None = None, clients: int = 8,
                   seconds: float = 6.0) -> float:
    """GETs per second that got a 200, from `clients` threads for `seconds`, going round `urls`."""
    feed = itertools.cycle(urls)
    lock = threading.Lock()

    def send(session):
        with lock:
            url = next(feed)
        _expect(session.get(url, headers=headers, timeout=30), 200)

    return _closed_loop(send, clients, seconds)


def register_files(url: str, bodies: list[str], headers: dict, clients: int = 8) -> list[str]:
    """Registers one file per body through the gateway; returns their veteran ids, in order."""
    headers = {"Content-Type": "application/json", **headers}

    def register(body: str) -> str:
        response = requests.post(url, data=body.encode(), headers=headers, timeout=30)
        _expect(response, 201)
        return response.json()["veteran_id"]

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(register, bodies))


# -- latency: command commit -> reference subscriber commit ------------------------------------

def paced_commands(url: str, bodies: list[str], per_second: int, seconds: float,
                   headers: dict | None = None) -> int:
    """Open loop: each command leaves at its scheduled time, whatever the others are doing."""
    total = int(per_second * seconds)
    start = time.monotonic() + 0.2
    failures = []
    headers = {"Content-Type": "application/json", **(headers or {})}

    def send(n: int):
        time.sleep(max(0.0, start + n / per_second - time.monotonic()))
        response = requests.post(url, data=bodies[n].encode(), headers=headers, timeout=30)
        if response.status_code != 201:
            failures.append(response.status_code)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(send, range(total)))
    if failures:
        raise RuntimeError(f"{len(failures)} paced commands failed: {failures[:5]}")
    return total


def commit_to_subscriber_ms(registry_url: str, hr_url: str, since_position: int) -> list[float]:
    with connect(registry_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT stream_id, recorded_at FROM stored_events WHERE position > %s "
                    "AND event_type = 'VeteranRegistered'", (since_position,))
        committed = dict(cur.fetchall())
    with connect(hr_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT veteran_id, filed_at FROM hr_veterans WHERE veteran_id = ANY(%s)",
                    (list(committed),))
        filed = dict(cur.fetchall())
    return [(filed[v] - committed[v]).total_seconds() * 1000 for v in committed if v in filed]
