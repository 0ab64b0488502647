"""Benchmark the queueing maths: print the median wall time of each case.

Usage: python benchmarks/bench_queueing.py [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.domain import ServiceTarget  # noqa: E402
from optimizer.queueing import agents_for_target  # noqa: E402
from optimizer.staffing import staffing_curves  # noqa: E402


def cases() -> dict[str, Callable[[], object]]:
    rng = np.random.default_rng(0)
    loads = np.exp(rng.uniform(np.log(0.1), np.log(5_000.0), 100_000))
    ahts = rng.uniform(120.0, 600.0, loads.size)
    week = pd.date_range(
        "2026-03-23", periods=7 * 96, freq="15min", tz="Europe/Stockholm", name="interval_start"
    )
    demand = pd.DataFrame({"volume": rng.uniform(0.0, 400.0, week.size), "aht_s": 300.0}, index=week)
    return {
        "erlang_c agents_for_target, 100k intervals, 0.1-5000 Erlang": lambda: agents_for_target(
            loads, ahts, service_level=0.8, within_s=20.0
        ),
        "erlang_a agents_for_target, one interval at 1000 Erlang": lambda: agents_for_target(
            1_000.0, 240.0, service_level=0.8, within_s=20.0, patience_s=120.0
        ),
        "erlang_a agents_for_target, 10k intervals, 0.1-5000 Erlang": lambda: agents_for_target(
            loads[:10_000], ahts[:10_000], service_level=0.8, within_s=20.0, patience_s=120.0
        ),
        "staffing_curves, 672 intervals x 301 head counts (Erlang C)": lambda: staffing_curves(
            demand, ServiceTarget(), interval_min=15, max_scheduled=300
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="one JSON line per case")
    args = parser.parse_args()
    for name, func in cases().items():
        func()  # warm-up
        times = []
        for _ in range(max(args.repeat, 5)):
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        if args.json:
            print(json.dumps({"case": name, "median_s": median, "repeats": len(times)}))
        else:
            print(f"{name:<64} {median:10.4f} s")


if __name__ == "__main__":
    main()
