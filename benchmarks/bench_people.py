"""People's wishes and fairness (issue 17): what they cost and how long they take; change-check latency.

Cases, each solved with and without preferences and fairness (one solver thread, the same seed):

- ``example``     the bundled week with its own preferences and fairness weights.
                  targets: honouring the wishes costs what ``preference_penalty`` says and <= 2% extra;
                  weekend-day spread <= 1 day within every contract.
- ``week15_500``  bench_optimizer's week15_500 (1 week at 15 min, 500 FTEs), with the bundled contracts'
                  fairness and a preference for 4 in 10 people (an undesired Saturday, Sunday or Friday
                  evening, or a desired Monday 10:00-15:00).

Then the median latency of ``check_change`` (a same-day swap, and a day of time off) on the bundled plan.
target: < 300 ms.

Run ``python benchmarks/bench_people.py [--cases example,week15_500] [--repeats N] [--checks N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_optimizer import CASES, example_problem, make_problem  # noqa: E402

from optimizer import check_plan, plan  # noqa: E402
from optimizer.change_check import check_change  # noqa: E402
from optimizer.domain import Plan, PlanningProblem, Preference, SolveParams  # noqa: E402
from optimizer.domain.changes import ShiftRef, SwapRequest, TimeOffRequest  # noqa: E402
from optimizer.export import fairness_spreads  # noqa: E402
from optimizer.interval_law import clear_caches  # noqa: E402


def plain(problem: PlanningProblem) -> PlanningProblem:
    """Return the problem without preferences and without fairness weights."""
    wf = problem.workforce
    contracts = tuple(c.model_copy(update={"fairness": None}) for c in wf.contracts)
    return problem.model_copy(update={"workforce": wf.model_copy(update={"contracts": contracts, "preferences": ()})})


def with_wishes(problem: PlanningProblem) -> PlanningProblem:
    """Return the problem with a preference for 4 in 10 of its workers (deterministic)."""
    kinds = {
        0: {"kind": "undesired", "day": "sat"},
        3: {"kind": "undesired", "day": "sun"},
        5: {"kind": "undesired", "day": "fri", "start_time": dt.time(16), "end_time": dt.time(0)},
        7: {"kind": "desired", "day": "mon", "start_time": dt.time(10), "end_time": dt.time(15)},
    }
    prefs = tuple(
        Preference.model_validate({"worker_id": w.worker_id, **kinds[i % 10]})
        for i, w in enumerate(problem.workforce.workers)
        if i % 10 in kinds
    )
    return problem.model_copy(update={"workforce": problem.workforce.model_copy(update={"preferences": prefs})})


def solve(problem: PlanningProblem, params: SolveParams, repeats: int) -> tuple[float, Plan]:
    seconds, result = [], None
    for _ in range(repeats):
        clear_caches()  # each run as a fresh process: no interval simulated by the run before
        t0 = time.perf_counter()
        result = plan(problem, params)
        seconds.append(time.perf_counter() - t0)
    assert result is not None
    return statistics.median(seconds), result


def describe(name: str, problem: PlanningProblem, wall_s: float, result: Plan) -> str:
    if not result.found:
        return f"{name:<28} no plan: {result.solver.status} after {wall_s:.1f} s"
    k, s = result.kpis, result.solver
    penalty = result.cost_terms_cents.get("preference_penalty", 0)
    met = sum(p.preferences_met for p in result.people)
    asked = sum(p.preferences for p in result.people)
    spreads = " ".join(f"{c}={v['weekend_days']:g}" for c, v in fairness_spreads(result).items())
    violations = len(check_plan(problem, result))
    return (
        f"{name:<28} cost {k.total_cost_cents / 100:>12,.2f}  preference_penalty {penalty / 100:>9,.2f}  "
        f"objective {(s.objective_cents or 0) / 100:>12,.2f}  gap {(s.gap_ratio or 0):.3%}  "
        f"wall {wall_s:5.1f} s  met {met}/{asked}  weekend spread {spreads}  check {violations}"
    )


def run_case(name: str, repeats: int) -> list[str]:
    if name == "example":
        problem = example_problem()
        params = SolveParams(time_limit_s=20.0, num_workers=1, random_seed=0, relative_gap=0.001)
    else:
        case = CASES[name]
        problem = with_wishes(make_problem(case))
        params = SolveParams(time_limit_s=case.time_limit_s, num_workers=1, random_seed=0)
    base = plain(problem)
    wall0, without = solve(base, params, repeats)
    wall1, honoured = solve(problem, params, repeats)
    lines = [
        describe(f"{name} without", base, wall0, without),
        describe(f"{name} with wishes+fairness", problem, wall1, honoured),
    ]
    if without.found and honoured.found:
        extra = honoured.kpis.total_cost_cents - without.kpis.total_cost_cents
        lines.append(
            f"{name:<28} honouring costs {extra / 100:+,.2f} ({extra / max(1, without.kpis.total_cost_cents):+.3%}) "
            f"in pay; priced unmet wishes {honoured.cost_terms_cents.get('preference_penalty', 0) / 100:,.2f}; "
            f"time {wall1 - wall0:+.1f} s"
        )
    return lines


def change_latency(checks: int) -> str:
    problem = example_problem()
    published = plan(problem, SolveParams(time_limit_s=20.0, num_workers=1, random_seed=0, relative_gap=0.001))
    zone = ZoneInfo(problem.timezone)
    days: dict[str, dict[dt.date, tuple[dt.datetime, dt.datetime]]] = {}
    for s in published.shifts:
        if s.kind == "fte":
            days.setdefault(s.worker_id, {})[s.start.astimezone(zone).date()] = (s.start, s.end)
    a, b = "ft-001", "ft-002"
    day = sorted(set(days[a]) & set(days[b]))[0]
    swap = SwapRequest(first=ShiftRef(worker_id=a, date=day), second=ShiftRef(worker_id=b, date=day))
    start, end = days[a][day]
    off = TimeOffRequest(worker_id=a, start=start, end=end)
    out = []
    for name, change in (("swap", swap), ("time_off", off)):
        seconds = []
        for _ in range(checks):
            t0 = time.perf_counter()
            check_change(problem, published, change)
            seconds.append(time.perf_counter() - t0)
        out.append(f"{name} median {statistics.median(seconds) * 1000:.0f} ms (max {max(seconds) * 1000:.0f} ms)")
    return f"{'change check':<28} " + ", ".join(out) + f" over {checks} checks each"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="example,week15_500")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--checks", type=int, default=20)
    args = parser.parse_args()
    for name in args.cases.split(","):
        if name:
            print("\n".join(run_case(name, args.repeats)), flush=True)
    if args.checks:
        print(change_latency(args.checks), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
