"""Employment matching: the match query's p99 on a board of 10,000 and one of 100,000 postings, side by side."""
from __future__ import annotations

import random
import time
from collections.abc import Callable

from bench.stats import growth_in_slices
from chassis.db import Database
from services.employment import bench as board
from services.employment import queries

SMALL, LARGE, SEEKERS = 10_000, 100_000, 10_000


def fill(url: str, postings: int, seekers: int = SEEKERS) -> Database:
    """One board as services.employment.bench.run fills it (the same seed: the large board's
    first 10,000 postings are the small board's), through the projection's own code."""
    db = Database(url, max_connections=2)
    board.reset(db)
    generator = board.Generator()
    board.load(db, generator.employers_(1000))
    board.load(db, generator.seekers(seekers))
    board.load(db, generator.postings(postings))
    return db


def seekers(db: Database) -> list[str]:
    with db.transaction() as cur:
        cur.execute("SELECT veteran_id FROM job_seekers ORDER BY veteran_id")
        return [row[0] for row in cur.fetchall()]


def query_times_ms(db: Database, veteran_ids: list[str], limit: int = 10) -> list[float]:
    """The query `GET /employment/job-seekers/{id}/matches` is answered with, timed per seeker
    (its transaction, the seeker's row, the group reads and the score)."""
    times = []
    for veteran_id in veteran_ids:
        started = time.perf_counter()
        with db.transaction() as cur:
            seeker = queries.as_seeker(queries.seeker_row(cur, veteran_id))
            queries.match_postings(cur, seeker, board.TODAY, limit)
        times.append((time.perf_counter() - started) * 1000)
    return times


def growth(small_url: str, large_url: str, reps: int, say: Callable[[str], None],
           queries_per_rep: int = 500, slice_size: int = 50) -> dict:
    """p99 of the match query at 10k and at 100k postings (10k job seekers on both), the two
    boards read in alternating slices (the order flipping each slice), so other work on the
    machine falls on both alike; the growth is the ratio per repetition, then its median."""
    say(f"filling two job boards: {SMALL:,} and {LARGE:,} postings, {SEEKERS:,} job seekers")
    dbs = {"10k": fill(small_url, SMALL), "100k": fill(large_url, LARGE)}
    try:
        every = {size: seekers(db) for size, db in dbs.items()}
        for size, db in dbs.items():  # the cache and the plans warm, as in service
            query_times_ms(db, random.Random(-1).sample(every[size], 100))

        def report(rep: int, p99: dict, p50: dict) -> None:
            say(f"matching #{rep + 1}: p99 {p99['100k'][-1]:.2f} ms at 100k postings, "
                f"{p99['10k'][-1]:.2f} ms at 10k (p50 {p50['100k'][-1]:.2f} / "
                f"{p50['10k'][-1]:.2f}; {queries_per_rep} queries each, slices of {slice_size})")

        summary = growth_in_slices(
            lambda size, ids: query_times_ms(dbs[size], ids),
            lambda rep: {size: random.Random(rep).choices(ids, k=queries_per_rep)
                         for size, ids in every.items()},
            "10k", "100k", reps, slice_size, report)
    finally:
        for db in dbs.values():
            db.close()
    return {"postings_small": SMALL, "postings_large": LARGE, "job_seekers": SEEKERS,
            **summary, "target": 2.0, "met": summary["ratio"] <= 2.0}
