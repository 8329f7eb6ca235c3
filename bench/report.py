"""The bench's outputs: a Markdown table on the terminal and a PNG chart of ratios against targets."""
from __future__ import annotations

from pathlib import Path


def print_table(result: dict) -> None:
    print()
    print("| our path | ours | ceiling (same run) | ratio (min-max) | target | met |")
    print("|---|---|---|---|---|---|")
    for r in result["rows"]:
        print(f"| {r['name']} | {r['ours']:,.0f} {r['unit']} | {r['ceiling_name']}: "
              f"{r['ceiling']:,.0f} {r['unit']} | {r['ratio']:.2f} ({r['ratio_min']:.2f}-"
              f"{r['ratio_max']:.2f}) | >= {r['target']} | {'yes' if r['met'] else 'NO'} |")
    lat = result.get("latency") or {}
    if lat:
        _latency_row(lat, "p50 <= 25, p99 <= 150")
        if lat.get("below_saturation"):
            _latency_row(lat["below_saturation"], "(for reference)")
    growth = result.get("growth") or {}
    if growth:
        print(f"| file load p99, 1M vs 10k events | {growth['p99_ms_1m']} ms "
              f"(p50 {growth['p50_ms_1m']} ms) | {growth['p99_ms_10k']} ms "
              f"(p50 {growth['p50_ms_10k']} ms) | {growth['ratio']:.2f} "
              f"({growth.get('ratio_min', growth['ratio']):.2f}-"
              f"{growth.get('ratio_max', growth['ratio']):.2f}) | <= 1.5 | "
              f"{'yes' if growth['met'] else 'NO'} |")
    matching = result.get("matching") or {}
    if matching:
        print(f"| employment match query p99, 100k vs 10k postings ({matching['job_seekers']:,} "
              f"job seekers) | {matching['p99_ms_100k']} ms (p50 {matching['p50_ms_100k']} ms) "
              f"| {matching['p99_ms_10k']} ms (p50 {matching['p50_ms_10k']} ms) | "
              f"{matching['ratio']:.2f} ({matching['ratio_min']:.2f}-{matching['ratio_max']:.2f})"
              f" | <= {matching['target']} | {'yes' if matching['met'] else 'NO'} |")
    done = result.get("bundle_completion") or {}
    if done:
        print(f"| bundle submitted -> internal matters done, {done['rate_per_s']:g}/s | "
              f"p50 {done['p50_s']} s, p99 {done['p99_s']} s | | p99 {done['p99_s_min']}-"
              f"{done['p99_s_max']} s | (no target set) | |")
    page = result.get("overview") or {}
    if page:
        up, down = page["all_up"], page["one_down"]
        print(f"| overview p99 (every page; repetitions' p99 min-max), {page['down']} stopped vs "
              f"all up, {page['rate_per_s']:g} pages/s | {down['p99_ms']} ms "
              f"({down['p99_ms_min']}-{down['p99_ms_max']}) | {up['p99_ms']} ms "
              f"({up['p99_ms_min']}-{up['p99_ms_max']}) | {page['ratio']:.2f} | < 2000 ms, "
              f"<= {page['target_ratio']} | {'yes' if page['met'] else 'NO'} |")
    figures = result.get("figures") or {}
    for caller, got in (figures.get("callers") or {}).items():
        print(f"| GET /api/v1/figures, a year of {figures['events']:,} events, {caller}, "
              f"{figures['clients']} clients | p99 {got['ours_p99_ms']:,.0f} ms (p50 "
              f"{got['ours_p50_ms']:,.0f}) | token check + 6 parallel no-op RPCs: p99 "
              f"{got['ceiling_p99_ms']:,.0f} ms (p50 {got['ceiling_p50_ms']:,.0f}) | "
              f"{got['ratio']:.2f} ({got['ratio_min']:.2f}-{got['ratio_max']:.2f}) | p99 < "
              f"{figures['target_p99_ms']} ms | {'yes' if got['met'] else 'NO'} |")
    machine = result["machine"]
    print(f"\nmedian of {result['repetitions']} repetitions, each alternating ours and the "
          f"ceiling in slices; {machine['cpus']} cores, Python {machine['python']}, load average "
          f"{machine.get('load_average', '?')} at the end")


def _latency_row(lat: dict, target: str) -> None:
    print(f"| commit -> subscriber commit at {lat['rate_per_s']}/s | p50 {lat['p50_ms']} ms, "
          f"p95 {lat['p95_ms']} ms, p99 {lat['p99_ms']} ms | | "
          f"p99 {lat['p99_ms_min']}-{lat['p99_ms_max']} ms | {target} | "
          f"{'yes' if lat['met'] else 'NO'} |")


def write_chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    labels = [r["name"].replace(", ", ",\n", 1) for r in rows]
    ratios = [r["ratio"] for r in rows]
    errors = [[r["ratio"] - r["ratio_min"] for r in rows], [r["ratio_max"] - r["ratio"] for r in rows]]
    fig, ax = plt.subplots(figsize=(11, 5.5))
    colors = ["#2e7d32" if r["met"] else "#c62828" for r in rows]
    ax.barh(labels, ratios, xerr=errors, color=colors, capsize=3)
    for y, r in enumerate(rows):
        ax.plot([r["target"], r["target"]], [y - 0.4, y + 0.4], color="black", linewidth=2)
    ax.invert_yaxis()
    ax.set_xlabel("ours / ceiling measured in the same run (black mark: target)")
    ax.set_title(f"vetlife bench, {result['measured_at']}\n(median of {result['repetitions']}, "
                 "ours and ceiling interleaved in slices, min-max bars)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
