"""Benchmark the plan exports on the bundled example's week: print the median wall time of each case.

The plan is solved once (not timed); then the report page, the workbook and the calendars are rendered.

Usage: python benchmarks/bench_exports.py [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scenarios.exports import plan_workbook, worker_calendar  # noqa: E402
from scenarios.pipeline import run_plan  # noqa: E402
from scenarios.report import run_report  # noqa: E402
from scenarios.spec import load_example  # noqa: E402


def cases() -> dict[str, Callable[[], object]]:
    config, base_dir = load_example()
    run = run_plan(config, base_dir, config.solve.model_copy(update={"time_limit_s": 20.0}))
    size = f"{len(run.plan.shifts)} shifts, {len(run.plan.coverage)} intervals"
    return {
        f"report.html (plotly, embedded js), {size}": lambda: run_report(run),
        f"plan.xlsx (4 sheets), {size}": lambda: plan_workbook(run.plan),
        f"schedule.ics, all shifts, {size}": lambda: worker_calendar(run.plan),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one JSON line per case")
    args = parser.parse_args()
    for name, func in cases().items():
        output = func()  # warm-up
        times = []
        for _ in range(max(args.repeat, 3)):
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        size = len(output) if isinstance(output, str | bytes) else 0
        if args.json:
            print(json.dumps({"case": name, "median_s": median, "repeats": len(times), "bytes": size}))
        else:
            print(f"{name:<64} {median:10.4f} s {size:>10,d} bytes")


if __name__ == "__main__":
    main()
