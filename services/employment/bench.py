"""The match benchmark's parts: realistic postings and job seekers, and the match query's latency.

`load` fills the employment read models through the projection's own code (EmploymentViews),
from synthetic events, without the event store: the match query reads only the read models, and
a hundred thousand appends one at a time would take the bench minutes to set up. `measure`
times the query the service answers `GET /employment/job-seekers/{id}/matches` with
(queries.match_postings: the group reads in SQL and the pure score), for random job seekers.

    python -m services.employment.bench --postings 10000 100000 --seekers 10000

prints p50/p99 in ms per board size and the growth ratio (the target is p99 at 100k no more
than twice p99 at 10k).
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from chassis.db import Database
from chassis.envelope import RecordedEvent
from chassis.migrate import migrate_service
from contracts import employment as contract
from services.employment import queries
from services.employment.domain import events as ev
from services.employment.domain import matching
from services.employment.domain.matching import GroupRead
from services.employment.domain.townships import TOWNSHIPS
from services.employment.domain.vocabulary import POSTING_KINDS
from services.employment.projections import TABLES, EmploymentViews

TODAY = date(2026, 6, 1)
REQUIREMENTS = ("驾驶证c1", "驾驶证a2", "叉车证", "电工证", "焊工证", "安保员证", "高中", "大专",
                "本科", "计算机二级", "会计证", "消防设施操作员", "健康证", "退役军人优先",
                "党员", "厨师证", "护理员证", "挖掘机证", "普通话二甲", "英语四级")
ELSEWHERE = ("义乌市", "婺城区", "兰溪市", "东阳市")
# Manufacturing, logistics and services make most of the district's postings.
KIND_WEIGHTS = (30, 20, 10, 10, 15, 8, 3, 2, 2)
_WHEN = datetime(2026, 6, 1, tzinfo=UTC)


def _recorded(event, position: int) -> RecordedEvent:
    new = contract.to_new_event(event)
    return RecordedEvent(str(uuid.UUID(int=position)), new.event_type, 1, event.stream_id, 1,
                         position, _WHEN, _WHEN, "bench", None, "system", new.data)


class Generator:
    """Seeded, so two runs fill the same board."""

    def __init__(self, seed: int = 20261127):
        self.rng = random.Random(seed)
        self.position = 0
        self.employers: list[str] = []

    def _id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _next(self, event) -> RecordedEvent:
        self.position += 1
        return _recorded(event, self.position)

    def _township(self) -> str:
        return self.rng.choice(ELSEWHERE) if self.rng.random() < 0.05 else \
            self.rng.choice(TOWNSHIPS)

    def employers_(self, n: int) -> Iterator[RecordedEvent]:
        for i in range(n):
            employer_id = self._id()
            self.employers.append(employer_id)
            yield self._next(ev.EmployerRegistered(
                employer_id, f"金华市金东区第{i}号企业有限公司", f"BENCH{i:013d}", False,
                self._township(), None, None, None, TODAY - timedelta(days=400)))

    def postings(self, n: int) -> Iterator[RecordedEvent]:
        rng = self.rng
        for _ in range(n):
            pay = rng.randrange(300_000, 1_200_000, 10_000)
            yield self._next(ev.PostingPublished(
                self._id(), rng.choice(self.employers), "岗位", rng.choices(
                    POSTING_KINDS, KIND_WEIGHTS)[0], self._township(), pay - 100_000, pay,
                tuple(rng.sample(REQUIREMENTS, rng.choice((0, 1, 1, 2, 2, 3)))),
                rng.randrange(1, 20), TODAY - timedelta(days=rng.randrange(0, 365))))

    def seekers(self, n: int) -> Iterator[RecordedEvent]:
        rng = self.rng
        for _ in range(n):
            veteran_id, township = self._id(), rng.choice(TOWNSHIPS)
            yield self._next(ev.JobSeekerRegistered(
                veteran_id, township, f"{township}退役军人服务站", "placement",
                TODAY - timedelta(days=rng.randrange(0, 365))))
            if rng.random() < 0.8:
                yield self._next(ev.JobIntentionStated(
                    veteran_id, tuple(rng.sample(POSTING_KINDS, rng.randrange(0, 3))),
                    tuple(rng.sample(TOWNSHIPS, rng.randrange(0, 3))),
                    rng.choice((None, None, 400_000, 500_000, 600_000, 800_000)),
                    tuple(rng.sample(REQUIREMENTS, rng.randrange(0, 5)))))


def reset(db: Database) -> None:
    with db.transaction() as cur:
        cur.execute(f"TRUNCATE {', '.join(TABLES)}")


def load(db: Database, events: Iterator[RecordedEvent], batch: int = 5000) -> int:
    """Apply events to the read models in batches, as the projection runner does; then ANALYZE."""
    views, count, chunk = EmploymentViews(), 0, []
    for event in events:
        chunk.append(event)
        if len(chunk) >= batch:
            with db.transaction() as cur:
                views.apply_batch(cur, chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        with db.transaction() as cur:
            views.apply_batch(cur, chunk)
        count += len(chunk)
    with db.connection() as conn:
        conn.autocommit = True
        try:
            conn.cursor().execute("ANALYZE")
        finally:
            conn.autocommit = False
    return count


def measure(db: Database, n: int = 500, limit: int = 10, seed: int = 7) -> dict:
    """Time `n` match queries for random job seekers: p50, p99 and mean in ms, and how many
    postings each query read on average (the search's work)."""
    rng = random.Random(seed)
    with db.transaction() as cur:
        cur.execute("SELECT veteran_id FROM job_seekers")
        ids = [row[0] for row in cur.fetchall()]
    rows_read: list[int] = []
    timings: list[float] = []
    for veteran_id in (rng.choice(ids) for _ in range(n)):
        started = time.perf_counter()
        with db.transaction() as cur:
            seeker = queries.as_seeker(queries.seeker_row(cur, veteran_id))
            queries.match_postings(cur, seeker, TODAY, limit)
        timings.append((time.perf_counter() - started) * 1000)
        # The search's work, counted apart so the timing is of the query as served.
        with db.transaction() as cur:
            read = [0]

            def fetch(reads: list[GroupRead], cur=cur, read=read):
                found = queries.read_groups(cur, reads)
                read[0] += sum(len(rows) for rows in found.values())
                return found

            matching.best_postings(seeker, TODAY, fetch, limit)
        rows_read.append(read[0])
    timings.sort()
    return {"queries": n, "p50_ms": round(statistics.median(timings), 2),
            "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 2),
            "mean_ms": round(statistics.fmean(timings), 2),
            "postings_read_mean": round(statistics.fmean(rows_read), 1)}


def run(url: str, sizes: list[int], seekers: int, n: int) -> dict:
    migrate_service("employment", url)
    db = Database(url, max_connections=2)
    try:
        reset(db)
        generator = Generator()
        load(db, generator.employers_(1000))
        load(db, generator.seekers(seekers))
        results, loaded = {}, 0
        for size in sorted(sizes):
            load(db, generator.postings(size - loaded))
            loaded = size
            measure(db, n=50)  # warm the cache and the plan
            results[size] = measure(db, n=n)
        smallest, largest = min(results), max(results)
        return {"seekers": seekers, "by_postings": results,
                "p99_growth": round(results[largest]["p99_ms"] / results[smallest]["p99_ms"], 2)}
    finally:
        db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Match query latency at growing board sizes.")
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/"
                                         "vetlife_employment_bench")
    parser.add_argument("--postings", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seekers", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.url, args.postings, args.seekers, args.queries), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
