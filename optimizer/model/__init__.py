"""The CP-SAT model: prepare → build → solve → extract, and ``plan()`` which runs them in order."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from importlib import metadata

from optimizer.domain import Plan, PlanningProblem, SolveParams, SolverReport
from optimizer.kpis import coverage_rows, plan_kpis, scheduled_agents
from optimizer.model.build import FAMILIES, BuiltModel, build_model
from optimizer.model.extract import cost_terms, fte_shifts, gig_shifts
from optimizer.model.inputs import ModelInput, demand_frame, prepare
from optimizer.model.solve import SOLVER_VERSION, Progress, SolveOutcome, solve
from optimizer.staffing import human_demand

__all__ = [
    "FAMILIES",
    "BuiltModel",
    "ModelInput",
    "Progress",
    "SolveOutcome",
    "build_model",
    "inputs_digest",
    "plan",
    "prepare",
    "software_version",
    "solve",
]


def software_version() -> str:
    """Return the installed shiftmix version."""
    try:
        return metadata.version("shiftmix")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def inputs_digest(problem: PlanningProblem, params: SolveParams) -> str:
    """Return the SHA-256 of the canonical JSON of a problem and its solve parameters."""
    canonical = json.dumps(
        {"problem": problem.model_dump(mode="json"), "params": params.model_dump(mode="json")},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def plan(
    problem: PlanningProblem,
    params: SolveParams | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    stop_event: threading.Event | None = None,
) -> Plan:
    """Plan FTE shifts and gig micro-shifts that meet the service target at the lowest cost.

    Parameters
    ----------
    problem : PlanningProblem
        Horizon, demand, service target and workforce.
    params : SolveParams, optional
        Solver knobs; defaults to ``SolveParams()``.
    on_progress : callable, optional
        Called with each improving solution (objective and bound [cents], wall time [s]).
    stop_event : threading.Event, optional
        Set it to stop early and keep the best plan found so far.

    Returns
    -------
    Plan
        Shifts, coverage, cost terms, KPIs and the solver report. When no plan was found (an infeasible
        contract mix, or the time limit hit before a first solution), shifts and coverage are empty and
        ``solver.status`` says why.

    Raises
    ------
    InputError
        When the problem breaks a rule that needs the horizon to see (demand rows off the grid, …).
    """
    params = params or SolveParams()
    inp = prepare(problem, params)
    built = build_model(inp)
    outcome = solve(built, params, on_progress=on_progress, stop_event=stop_event)
    shifts: tuple = ()
    coverage: tuple = ()
    terms: dict[str, int] = {}
    if outcome.has_solution:
        shifts = tuple(fte_shifts(inp, built, outcome) + gig_shifts(inp, built, outcome))
        pool = problem.workforce.gig_pool
        scheduled = scheduled_agents(
            inp.grid.starts, problem.interval_min, shifts, pool.fill_rate if pool is not None else 1.0
        )
        demand = human_demand(demand_frame(problem), problem.automation)
        coverage = coverage_rows(demand, inp.required, scheduled, problem.service_target, problem.interval_min)
        terms = cost_terms(built, outcome)
    return Plan(
        inputs_digest=inputs_digest(problem, params),
        software_version=software_version(),
        timezone=problem.timezone,
        interval_min=problem.interval_min,
        solver=SolverReport(
            status=outcome.status,
            objective_cents=outcome.objective_cents,
            best_bound_cents=outcome.best_bound_cents,
            gap_ratio=outcome.gap_ratio,
            wall_time_s=outcome.wall_time_s,
            params=params,
            solver_version=SOLVER_VERSION,
        ),
        cost_terms_cents=terms,
        kpis=plan_kpis(shifts, coverage, problem.interval_min, inp.shortfall_penalty_cents),
        shifts=shifts,
        coverage=coverage,
    )
