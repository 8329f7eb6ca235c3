"""One-stop figures: a bundle's internal matters from submission to done; the overview's p99, up and down."""
from __future__ import annotations

import json
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import requests

from bench import paths
from bench.departments import submission
from bench.stats import percentile

# Our own services' matters of the bench's bundle (self-employment, not disabled; the form of
# SubmitBundleRequest's example) and the step that ends what our services do without a person.
# The card's offices and the subsidy's payment are people's acts (docs/bundle.md): for those the
# machine's part ends at acknowledged (CardApplied; ModeChosen with self-employment).
INTERNAL = {"reporting_in": "MatterDone", "veteran_file": "MatterDone",
            "job_seeker": "MatterDone", "card": "MatterAcknowledged",
            "subsidy": "MatterAcknowledged"}
_REACHED = {"MatterAcknowledged": ("MatterAcknowledged", "MatterProgressed", "MatterDone"),
            "MatterDone": ("MatterDone",)}


def _summary(runs: list[dict], unit: str) -> dict:
    out = {}
    for q in (50, 99):
        values = [r[q] for r in runs]
        out[f"p{q}_{unit}"] = round(statistics.median(values), 3)
        out[f"p{q}_{unit}_min"] = round(min(values), 3)
        out[f"p{q}_{unit}_max"] = round(max(values), 3)
    return out


def _paced(count: int, per_second: float, send: Callable[[int], None]) -> None:
    """Open loop: call n leaves at its scheduled time, whatever the others are doing."""
    start = time.monotonic() + 0.2

    def one(n: int):
        time.sleep(max(0.0, start + n / per_second - time.monotonic()))
        send(n)

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(one, range(count)))


def _ends(bundle_url: str, bundles: list[str]) -> dict[str, dict[str, datetime]]:
    """Per bundle, when each internal matter reached its end step (the bundle store's own
    record of the event), and any refusal of one."""
    with paths.connect(bundle_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT stream_id, event_type, data->>'matter', recorded_at "
                    "FROM stored_events WHERE stream_id = ANY(%s) ORDER BY position", (bundles,))
        rows = cur.fetchall()
    conn.close()
    reached: dict[str, dict[str, datetime]] = {b: {} for b in bundles}
    for bundle_id, event_type, matter, at in rows:
        if matter not in INTERNAL:
            continue
        if event_type == "MatterRefused":
            raise RuntimeError(f"bundle {bundle_id}: {matter} refused; see the bundle's log")
        if event_type in _REACHED[INTERNAL[matter]]:
            reached[bundle_id].setdefault(matter, at)
    return reached


def bundle_completion(gateway: str, bundle_url: str, ids: list[str], headers: dict,
                      reps: int, say: Callable[[str], None], per_second: float = 2.0,
                      seconds: float = 20.0, patience: float = 240.0) -> dict:
    """Submit bundles at `per_second` (open loop) through the gateway; for each, the time from
    sending the submission to the last of its internal matters reaching its end step."""
    per_run = int(per_second * seconds)
    if len(ids) < reps * per_run:
        raise RuntimeError(f"the bundle figure needs {reps * per_run} fresh veterans")
    headers = {"Content-Type": "application/json", **headers}
    runs, counts = [], []
    for rep in range(reps):
        veterans = ids[rep * per_run:(rep + 1) * per_run]
        sent: dict[str, datetime] = {}
        failures = []
        lock = threading.Lock()

        def send(n: int, veterans=veterans, sent=sent, failures=failures, lock=lock):
            at = datetime.now(UTC)
            answer = requests.post(f"{gateway}/api/v1/bundles", timeout=30,
                                   data=json.dumps(submission(veterans[n]), ensure_ascii=False)
                                   .encode(), headers={**headers,
                                                       "Idempotency-Key": str(uuid.uuid4())})
            with lock:
                if answer.status_code == 201:
                    sent[answer.json()["bundle_id"]] = at
                else:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")

        _paced(per_run, per_second, send)
        if failures:
            raise RuntimeError(f"{len(failures)} bundle submissions failed: {failures[:3]}")
        deadline = time.monotonic() + patience
        while True:
            reached = _ends(bundle_url, list(sent))
            done = [b for b, m in reached.items() if len(m) == len(INTERNAL)]
            if len(done) == len(sent):
                break
            if time.monotonic() > deadline:
                missing = {m for b, got in reached.items() for m in INTERNAL if m not in got}
                raise RuntimeError(f"{len(sent) - len(done)} of {len(sent)} bundles still wait "
                                   f"after {patience:.0f} s (matters: {sorted(missing)})")
            time.sleep(1.0)
        seconds_each = [(max(reached[b].values()) - sent[b]).total_seconds() for b in sent]
        runs.append({q: percentile(seconds_each, q) for q in (50, 99)})
        counts.append(len(seconds_each))
        say(f"bundle internal matters at {per_second:g}/s #{rep + 1}: p50 {runs[-1][50]:.2f} s, "
            f"p99 {runs[-1][99]:.2f} s over {len(seconds_each)} bundles")
    return {**_summary(runs, "s"), "rate_per_s": per_second, "bundles_per_run": per_run,
            "matters": INTERNAL}


def _pages(urls: list[str], headers: dict, per_second: float, count: int,
           down: tuple[str, ...]) -> tuple[list[float], Counter]:
    """`count` overview pages at `per_second` (open loop): each page's time in seconds, and how
    often each section other than the stopped service's (`down`) was not ok, and why."""
    times, degraded = [], Counter()
    lock = threading.Lock()

    def send(n: int):
        started = time.perf_counter()
        answer = requests.get(urls[n % len(urls)], headers=headers, timeout=30)
        elapsed = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"overview: {answer.status_code} {answer.text[:200]}")
        page = answer.json()
        sections = {k: v for k, v in page.items() if isinstance(v, dict) and "status" in v}
        others = Counter(f"{k}: {s['reason'] or s['status']}" for k, s in sections.items()
                         if k not in down and s["status"] != "ok")
        if any(sections[k]["status"] == "ok" for k in down):
            raise RuntimeError(f"a section of {down} is ok with its service stopped")
        with lock:
            times.append(elapsed)
            degraded.update(others)
            degraded["pages"] += bool(others)

    _paced(count, per_second, send)
    return times, degraded


def overview(gateway: str, ids: list[str], headers: dict, reps: int,
             say: Callable[[str], None], stop_service: Callable[[], None], service: str,
             down: tuple[str, ...],
             per_second: float = 5.0, seconds: float = 15.0) -> dict:
    """The overview's p99, every service up, then with `service` stopped, whose sections are
    `down` (from the first page after it stopped: the breaker's learning and its half-open
    trials count). Each p99 is over every page of the repetitions, the min-max of the
    repetitions' own."""
    urls = [f"{gateway}/api/v1/veterans/{v}/overview" for v in ids]
    count = int(per_second * seconds)
    result = {}
    for label, section in (("all_up", ()), ("one_down", down)):
        if section:
            stop_service()
        runs, every, slow = [], [], Counter()
        for rep in range(reps):
            times, degraded = _pages(urls, headers, per_second, count, section)
            runs.append({q: percentile(times, q) for q in (50, 99)})
            every.extend(times)
            slow += degraded
            why = ", ".join(f"{k} {n}" for k, n in degraded.items() if k != "pages")
            say(f"overview, {label.replace('_', ' ')} #{rep + 1}: p50 {runs[-1][50] * 1000:.0f} "
                f"ms, p99 {runs[-1][99] * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over "
                f"{len(times)} pages ({degraded['pages']} with another section not ok"
                f"{': ' + why if why else ''})")
        # p50 and p99 over every page of the repetitions: a repetition holds one or two of the
        # breaker's trial calls (one per cool-down), too few apart for a p99 of its own; the
        # repetitions' own p99s give the spread.
        result[label] = {**{k.replace("_s", "_ms"): round(v * 1000) for k, v in
                            _summary(runs, "s").items()},
                         "p50_ms": round(percentile(every, 50) * 1000),
                         "p99_ms": round(percentile(every, 99) * 1000),
                         "max_ms": round(max(every) * 1000), "pages": len(every),
                         "pages_other_section_not_ok": slow.pop("pages", 0),
                         "other_sections_not_ok": dict(slow)}
    up, one_down = result["all_up"]["p99_ms"], result["one_down"]["p99_ms"]
    result.update({"down": service, "rate_per_s": per_second, "pages_per_run": count,
                   "ratio": round(one_down / up, 2), "target_ms": 2000, "target_ratio": 1.5,
                   "met": up < 2000 and one_down < 2000 and one_down <= 1.5 * up})
    return result
