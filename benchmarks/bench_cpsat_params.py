"""CP-SAT parameters on one thread (issue 12): the crew model searched without the LP, per linearization level.

The LP-first path usually proves the plan before CP-SAT searches, so these settings matter where it does not
(a dive that misses the bound, a horizon goal, ``lp_guided: false``). For each case and
``linearization_level`` in 0, 1 (CP-SAT's default), 2 it solves the crew model alone with one worker, a
10 s limit and three seeds, and prints the median seconds and each run's status, objective and bound.

Run ``python benchmarks/bench_cpsat_params.py [--cases example,week15_60]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_optimizer import CASES, make_problem
from ortools.sat.python import cp_model

from optimizer.domain import SolveParams
from optimizer.model import build_model, prepare

LIMIT_S = 10.0
SEEDS = (0, 1, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="example,week15_60")
    args = parser.parse_args()
    for name in args.cases.split(","):
        inp = prepare(make_problem(CASES[name]), SolveParams(), aggregate=True)
        for level in (0, 1, 2):
            runs = []
            for seed in SEEDS:
                built = build_model(inp)
                solver = cp_model.CpSolver()
                solver.parameters.num_workers = 1
                solver.parameters.max_time_in_seconds = LIMIT_S
                solver.parameters.random_seed = seed
                solver.parameters.linearization_level = level
                started = time.perf_counter()
                code = solver.solve(built.cp_model)
                seconds = time.perf_counter() - started
                found = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
                runs.append(
                    (
                        solver.status_name(code),
                        round(solver.objective_value) if found else None,
                        round(solver.best_objective_bound) if found else None,
                        round(seconds, 2),
                    )
                )
            median = statistics.median(r[3] for r in runs)
            print(f"{name:<12} linearization_level {level}  median {median:.2f} s  runs {runs}")


if __name__ == "__main__":
    main()
