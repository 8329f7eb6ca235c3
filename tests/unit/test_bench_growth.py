"""make bench's growth rows (file load 10k vs 1M events, matching 10k vs 100k postings): one slicing helper."""
from bench.stats import growth_in_slices


def test_both_sizes_are_read_in_alternating_slices_and_the_growth_is_the_p99_ratio():
    order = []

    def measure(size, items):
        order.append((size, len(items)))
        return [1.0 if size == "small" else 3.0] * len(items)

    reports = []
    summary = growth_in_slices(measure, lambda rep: {"small": list(range(40)),
                                                     "large": list(range(40))},
                               "small", "large", reps=2, slice_size=10,
                               report=lambda rep, p99, p50: reports.append(rep))
    # Four slices a repetition, the order flipping each slice, so load falls on both alike.
    assert order[:8] == [("small", 10), ("large", 10), ("large", 10), ("small", 10)] * 2
    assert len(order) == 16 and reports == [0, 1]
    assert (summary["p99_ms_small"], summary["p99_ms_large"], summary["ratio"]) == (1.0, 3.0, 3.0)
    assert (summary["ratio_min"], summary["ratio_max"], summary["p50_ms_large"]) == (3.0, 3.0, 3.0)
