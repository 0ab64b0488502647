"""``shiftmix scenario run``: run a scenario file's plans in parallel; write results, plans and charts."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

from api.cli._paths import check_output_dir
from scenarios.backends import ray_available
from scenarios.compare import results_frame, scenario_headcount_optimum, write_results
from scenarios.derive import load_scenario
from scenarios.exports import write_exports
from scenarios.report import run_report
from scenarios.sweep import ScenarioResult, run_scenario


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``scenario`` sub-command and its ``run`` action."""
    p = sub.add_parser("scenario", help="what-if scenarios: headcount, gig pool, bot containment, demand")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=type(p))
    r = actions.add_parser("run", help="run a scenario file's base and variations; write results and charts")
    r.add_argument("file", type=Path, metavar="FILE", help="a scenario file (YAML)")
    r.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the result files")
    r.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="local: a process pool on this machine (default); ray: a Ray cluster"
        + ("" if ray_available() else " (needs `pip install shiftmix[ray]`)"),
    )
    r.add_argument("--address", metavar="ADDR", help="Ray cluster address (default: start a local instance)")
    r.add_argument("--jobs", type=int, metavar="N", help="plans at once (default: one per core; 1 runs in-process)")
    r.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    r.add_argument("--no-charts", action="store_true", help="skip the PNG charts")
    r.add_argument("--no-report", action="store_true", help="skip report.html of the base run")
    r.set_defaults(handler=run)


def _number(value: object, spec: str) -> str:
    missing = value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
    return "-" if missing else format(value, spec)


def summary(result: ScenarioResult) -> str:
    """Return the table printed after a scenario run, with the cost-optimal headcount when there is one."""
    frame = results_frame(result)
    width = max(12, *(len(n) for n in frame["name"]))
    lines = [
        f"scenario     {result.scenario.title}",
        f"ran          {len(frame)} plans on {result.backend} ({result.parallel_tasks} at once, "
        f"{result.solver_threads} solver threads each; {result.forecasts_fitted} forecast fitted) "
        f"in {result.wall_time_s:.1f} s",
        f"{'run':<{width}}  {'status':<8} {'target':<6} {'cost':>10} {'FTEs':>5} {'gig h':>7} {'SL':>6}  differs",
    ]
    for row in frame.to_dict("records"):
        lines.append(
            f"{row['name']:<{width}}  {row['status']:<8} {'yes' if row['meets_target'] else 'NO':<6} "
            f"{_number(row['total_cost'], ',.0f'):>10} {row['fte_headcount']:>5} "
            f"{_number(row['gig_hours'], ',.0f'):>7} {_number(row['service_level'], '.1%'):>6}  "
            f"{row['error'] or row['differs']}"
        )
    optimum = scenario_headcount_optimum(result)
    if optimum is not None:
        lines.append(optimum.describe())
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``shiftmix scenario run``."""
    check_output_dir(args.out)
    scenario, base_dir = load_scenario(args.file)
    result = run_scenario(
        scenario,
        base_dir,
        backend=args.backend,
        jobs=args.jobs,
        address=args.address,
        progress=not args.no_progress,
    )
    paths = write_results(result, args.out, charts=not args.no_charts)
    base = result.base.run
    if base is not None and not args.no_report:
        title = f"{scenario.title}: base run"
        paths += write_exports(base.plan, args.out, ("html",), lambda: run_report(base, title))
    print(summary(result))
    print(f"wrote        {paths[0]}, {paths[1]} and {len(paths) - 2} more files in {args.out}")
    failed = [v.name for v in result.variations if v.run is None or not v.run.plan.coverage]
    if failed:
        print(f"shiftmix: error: no plan for {', '.join(failed)} (see results.csv)", file=sys.stderr)
        return 1
    return 0
