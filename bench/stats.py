"""Repetition and summary: ours and the ceiling interleaved in slices, each figure a median of runs."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    median: float
    low: float
    high: float
    runs: list[float]

    @classmethod
    def of(cls, runs: list[float]) -> Figure:
        return cls(statistics.median(runs), min(runs), max(runs), runs)


def rate(count: int, work: Callable[[], object]) -> float:
    """Items per second for `work`, which handles `count` items."""
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def interleaved(ours: Callable[[int], float], ceiling: Callable[[int], float], reps: int,
                slices: int, say: Callable[[str], None], label: str, unit: str,
                ) -> tuple[list[float], list[float]]:
    """Per repetition, the means of `slices` slices of ours and of the ceiling, alternated.

    The order flips each slice (ours first, then the ceiling first), so neither side always
    runs right after the other's work (a vacuum, a cache warmed by it), and a burst of other
    work on the machine falls on both alike. Each call gets the slice's number, counted over
    the whole row, so it can take fresh data.
    """
    ours_runs, ceiling_runs = [], []
    number = 0
    for rep in range(reps):
        ours_slices, ceiling_slices = [], []
        for k in range(slices):
            if k % 2 == 0:
                ours_slices.append(ours(number))
                ceiling_slices.append(ceiling(number))
            else:
                ceiling_slices.append(ceiling(number))
                ours_slices.append(ours(number))
            number += 1
        ours_runs.append(statistics.fmean(ours_slices))
        ceiling_runs.append(statistics.fmean(ceiling_slices))
        say(f"{label} #{rep + 1}: ours {ours_runs[-1]:,.0f} {unit}, "
            f"ceiling {ceiling_runs[-1]:,.0f} {unit} ({slices} slices each)")
    return ours_runs, ceiling_runs


def row(name: str, ceiling_name: str, ours_runs: list[float], ceiling_runs: list[float],
        target: float, unit: str, slices: int) -> dict:
    """One table row; the ratio is taken per repetition, then its median."""
    ratios = [o / c for o, c in zip(ours_runs, ceiling_runs, strict=True)]
    ratio = statistics.median(ratios)
    ours, ceiling = Figure.of(ours_runs), Figure.of(ceiling_runs)
    return {
        "name": name, "ceiling_name": ceiling_name, "unit": unit, "slices": slices,
        "ours": round(ours.median, 1), "ours_min": round(ours.low, 1),
        "ours_max": round(ours.high, 1),
        "ceiling": round(ceiling.median, 1), "ceiling_min": round(ceiling.low, 1),
        "ceiling_max": round(ceiling.high, 1),
        "ratio": round(ratio, 3), "ratio_min": round(min(ratios), 3),
        "ratio_max": round(max(ratios), 3), "target": target, "met": ratio >= target,
    }


def growth_in_slices(measure: Callable[[str, list], list[float]],
                     picks_of: Callable[[int], dict[str, list]], small: str, large: str,
                     reps: int, slice_size: int,
                     report: Callable[[int, dict, dict], None]) -> dict:
    """How a latency grows with the data: `measure(size, items)` gives one time in ms per item
    against the `small` or the `large` data set; both stand side by side and are read in
    alternating slices of `slice_size` items (the order flipping each slice), so other work on
    the machine falls on both alike. Each repetition measures `picks_of(rep)[size]` of each and
    takes their p99 and p50 (`report(rep, p99, p50)` after each); the growth is the p99 ratio
    per repetition, then its median. Returns the summary fields, named by size."""
    p99: dict[str, list[float]] = {small: [], large: []}
    p50: dict[str, list[float]] = {small: [], large: []}
    ratios = []
    for rep in range(reps):
        picks = picks_of(rep)
        times: dict[str, list[float]] = {small: [], large: []}
        for k, start in enumerate(range(0, len(picks[small]), slice_size)):
            order = (small, large) if k % 2 == 0 else (large, small)
            for size in order:
                times[size].extend(measure(size, picks[size][start:start + slice_size]))
        for size in times:
            p99[size].append(percentile(times[size], 99))
            p50[size].append(percentile(times[size], 50))
        ratios.append(p99[large][-1] / p99[small][-1])
        report(rep, p99, p50)
    lows, highs = Figure.of(p99[small]), Figure.of(p99[large])
    return {f"p99_ms_{small}": round(lows.median, 2), f"p99_ms_{small}_min": round(lows.low, 2),
            f"p99_ms_{small}_max": round(lows.high, 2),
            f"p99_ms_{large}": round(highs.median, 2), f"p99_ms_{large}_min": round(highs.low, 2),
            f"p99_ms_{large}_max": round(highs.high, 2),
            f"p50_ms_{small}": round(statistics.median(p50[small]), 2),
            f"p50_ms_{large}": round(statistics.median(p50[large]), 2),
            "ratio": round(statistics.median(ratios), 3), "ratio_min": round(min(ratios), 3),
            "ratio_max": round(max(ratios), 3)}
