"""Re-plan benchmark (issue 8): one week at 15 minutes, 500 FTEs, +30% on one day; median seconds of the re-plan.

The published plan is synthetic: the bundled history's last week (30-minute intervals) split into 15-minute
halves and scaled x8 as the demand of the week after it, 500 FTEs on the example's contracts (60% ft40, 23% pt30,
the rest flex20) and the example's gig pool scaled x8 with a 2-hour lead time. It is solved once with
``optimizer.plan`` (crews method) and not timed. Each case then re-plans it with +30% volume on Wednesday, at
Tuesday 14:00, and reports the median wall time of ``optimizer.replan.replan`` over the repeats (target <= 5 s),
the status, the cost before/after on the new demand, the gigs added and the shifts extended.

Cases:

``gigs``            add gig cover only, warm-started from the published plan
``gigs_cold``       the same without the warm start (does the hint help?)
``extensions60``    gigs plus shift extensions of up to 60 minutes at 1.5x pay, warm-started
``extensions60_cold``  the same without the warm start

    .venv/bin/python benchmarks/bench_replan.py [--cases gigs,gigs_cold] [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from optimizer import check_plan, plan
from optimizer.domain import DemandInterval, GigPool, PlanningProblem, ServiceTarget, SolveParams, Worker, Workforce
from optimizer.grid import build_grid
from optimizer.interval_law import clear_caches
from optimizer.replan import replan
from optimizer.replan.demand import parse_uplift, uplift_demand
from optimizer.replan.domain import ReplanOptions
from scenarios.spec import load_example

START = dt.date(2026, 11, 30)
FTES = 500
SCALE = 8
HISTORY = Path(__file__).resolve().parents[1] / "scenarios" / "bundled" / "history.csv"
UPLIFT = "+30% 2026-12-02T00:00/2026-12-03T00:00"
NOW = dt.datetime.fromisoformat("2026-12-01T14:00+01:00")
LEAD_TIME_MIN = 120
WORKERS = 2

CASES = {
    "gigs": ReplanOptions(),
    "gigs_cold": ReplanOptions(warm_start=False),
    "extensions60": ReplanOptions(allow_extensions=True, max_extension_min=60),
    "extensions60_cold": ReplanOptions(allow_extensions=True, max_extension_min=60, warm_start=False),
}


def make_problem() -> PlanningProblem:
    """Return the synthetic week: the history's last week at 15 minutes x8, 500 FTEs, a scaled gig pool."""
    config, _ = load_example()
    history = pd.read_csv(HISTORY).iloc[-7 * 48 :]
    volume = history["volume"].to_numpy(dtype=float)
    aht = history["aht_s"].fillna(history["aht_s"].mean()).to_numpy(dtype=float)
    grid = build_grid(config.timezone, START, 7, 15)
    assert grid.size == 2 * len(volume)
    demand = tuple(
        DemandInterval(interval_start=ts.to_pydatetime(), volume=volume[t // 2] / 2 * SCALE, aht_s=aht[t // 2])
        for t, ts in enumerate(grid.starts)
    )
    counts = {"ft40": round(0.6 * FTES), "pt30": round(0.23 * FTES)}
    counts["flex20"] = FTES - sum(counts.values())
    workers = tuple(
        Worker(worker_id=f"{name}-{n:04d}", contract=name) for name, count in counts.items() for n in range(count)
    )
    pool = config.gig_pool
    assert pool is not None
    gig = GigPool.model_validate(
        {
            **pool.model_dump(),
            "max_concurrent": pool.max_concurrent * SCALE,
            "max_shifts_per_day": (pool.max_shifts_per_day or 0) * SCALE,
            "lead_time_min": LEAD_TIME_MIN,
        }
    )
    return PlanningProblem(
        timezone=config.timezone,
        start_date=START,
        days=7,
        interval_min=15,
        demand=demand,
        service_target=ServiceTarget.model_validate(config.service_target.model_dump()),
        workforce=Workforce(contracts=config.contracts, workers=workers, gig_pool=gig),
    )


def run_case(name: str, problem: PlanningProblem, published, demand: pd.DataFrame, repeats: int) -> dict[str, object]:
    params = SolveParams(time_limit_s=30.0, num_workers=WORKERS, random_seed=0)
    seconds, results = [], []
    for _ in range(repeats):
        clear_caches()  # each run as a fresh process: no interval simulated by the run before
        t0 = time.perf_counter()
        results.append(replan(problem, published, demand, now=NOW, params=params, options=CASES[name]))
        seconds.append(time.perf_counter() - t0)
    last = results[-1]
    return {
        "case": name,
        "median_s": round(statistics.median(seconds), 3),
        "runs_s": [round(s, 3) for s in seconds],
        "solver_s": round(last.plan.solver.wall_time_s, 3),
        "status": last.plan.solver.status,
        "gap_pct": round(100 * (last.plan.solver.gap_ratio or 0.0), 3),
        "cost_before": last.before.total_cost_cents / 100,
        "cost_after": last.plan.kpis.total_cost_cents / 100,
        "service_level_before": round(last.before.service_level, 4),
        "service_level_after": round(last.plan.kpis.service_level, 4),
        "gigs_added": sum(1 for c in last.changes if c.change == "added"),
        "shifts_extended": sum(1 for c in last.changes if c.change == "extended"),
        "check_violations": dict(Counter(v.rule for v in check_plan(last.problem, last.plan))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON line per case")
    args = parser.parse_args()
    problem = make_problem()
    t0 = time.perf_counter()
    published = plan(problem, SolveParams(time_limit_s=60.0, num_workers=WORKERS, random_seed=0, method="crews"))
    publish_s = time.perf_counter() - t0
    if not args.json:
        print(
            f"published: {published.solver.status}, {published.kpis.total_cost_cents / 100:,.2f}, "
            f"{published.kpis.gig_shifts} gigs, {len(published.shifts)} shifts, {publish_s:.1f} s (not timed below)"
        )
    demand = uplift_demand(problem, parse_uplift(UPLIFT, problem.timezone))
    for name in args.cases.split(","):
        row = run_case(name, problem, published, demand, args.repeats)
        if args.json:
            print(json.dumps(row))
        else:
            print(
                f"{name:14s} median {row['median_s']} s {row['runs_s']} (solver {row['solver_s']} s)  {row['status']}  "
                f"cost {row['cost_before']:,.2f} -> {row['cost_after']:,.2f}  "
                f"SL {row['service_level_before']} -> {row['service_level_after']}  "
                f"+{row['gigs_added']} gigs, {row['shifts_extended']} extended, {row['check_violations']} violations"
            )


if __name__ == "__main__":
    main()
