"""LP relaxation benchmark (issue 12): HiGHS vs GLOP on the crew models of the optimiser cases; medians.

For each case it builds the crew model (as ``plan()`` does), then solves its LP relaxation with each engine
and prints the bound, the LP objective, how many shift decisions the LP leaves fractional, and the median
seconds (reading the model's rows included). The bound must equal on both engines; ``SolveParams.lp_engine``
picks one (HiGHS by default, see ``optimizer/model/relaxation.py``).

Run ``python benchmarks/bench_relaxation.py [--cases a,b] [--repeats N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

import numpy as np
from bench_optimizer import CASES, make_problem

from optimizer.domain import SolveParams
from optimizer.model import build_model, prepare
from optimizer.model.relaxation import solve_relaxation


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="example,week15_60,week15_500,month15_3000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    disagree = False
    for name in args.cases.split(","):
        problem = make_problem(CASES[name])
        built = build_model(prepare(problem, SolveParams(), aggregate=True))
        decisions = [v.index for v in built.vars.decisions().values()]
        bounds = {}
        for engine in ("highs", "glop"):
            runs = [solve_relaxation(built.cp_model, time_limit_s=120.0, engine=engine) for _ in range(args.repeats)]
            last = runs[-1]
            x = last.values[decisions] if len(last.values) else np.empty(0)
            row = {
                "case": name,
                "engine": engine,
                "status": last.status,
                "bound_cents": last.bound_cents,
                "lp_objective": None if last.objective is None else round(last.objective, 3),
                "fractional_decisions": int(np.sum(np.abs(x - np.round(x)) > 1e-6)) if len(x) else None,
                "decisions": len(decisions),
                "median_s": round(statistics.median(r.wall_time_s for r in runs), 3),
                "runs_s": [round(r.wall_time_s, 3) for r in runs],
            }
            bounds[engine] = last.bound_cents
            print(json.dumps(row) if args.json else "  ".join(f"{k} {v}" for k, v in row.items()))
        disagree = disagree or len(set(bounds.values())) > 1
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
