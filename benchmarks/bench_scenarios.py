"""Scenario runs: wall time of a bundled scenario on each backend setting, and what the forecast reuse saves.

Runs a bundled scenario (shrunk to ``--days`` days and ``--time-limit-s`` per plan, so repeats are cheap)
``--repeats`` times with ``jobs=1`` (in-process) and with the local process pool, and prints median wall
times. Also prints the median time of one forecast fit, which every variation that keeps the base's
history and forecast settings does not pay again.

    .venv/bin/python benchmarks/bench_scenarios.py [--scenario headcount-cut.yaml] [--days 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from scenarios.derive import bundled_scenario_path, load_scenario, prepare_scenario
from scenarios.sweep import ForecastJob, _forecast_task, run_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="headcount-cut.yaml")
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--time-limit-s", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ray", action="store_true", help="also time the ray backend")
    args = parser.parse_args()

    scenario, folder = load_scenario(bundled_scenario_path(args.scenario))
    overrides = {**scenario.base_overrides, "days": args.days}
    overrides["solve"] = {**overrides.get("solve", {}), "time_limit_s": args.time_limit_s}
    scenario = scenario.model_copy(update={"base_overrides": overrides})
    prepared = prepare_scenario(scenario, folder)
    base = prepared.runs[0].config
    job = ForecastJob.of(base, prepared.base_dir)

    fits = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        _forecast_task((job, base))
        fits.append(time.perf_counter() - started)
    print(f"{args.scenario}: {len(prepared.runs)} plans, {args.days} days, {args.time_limit_s:g} s limit")
    print(f"  one forecast fit ({base.forecast.model}): median {statistics.median(fits):.2f} s")

    settings: list[tuple[str, dict]] = [("inline, jobs=1", {"jobs": 1}), ("local pool", {})]
    if args.ray:
        settings.append(("ray", {"backend": "ray"}))
    for label, kwargs in settings:
        times = []
        for _ in range(args.repeats):
            result = run_scenario(scenario, folder, progress=False, **kwargs)
            times.append(result.wall_time_s)
        print(f"  {label:<16} median {statistics.median(times):6.2f} s  (min {min(times):.2f}, max {max(times):.2f})")


if __name__ == "__main__":
    main()
