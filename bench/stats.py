"""Repetition and summary: every figure is the median of several runs, with min and max."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    median: float
    low: float
    high: float
    runs: list[float]


def rate(count: int, work: Callable[[], object]) -> float:
    """Items per second for `work`, which handles `count` items."""
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
