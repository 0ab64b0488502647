"""extract_plan(): solver values → a Plan of per-person shifts, gig shifts, coverage, costs and KPIs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from optimizer.domain import CoverageRow, Plan, PlannedShift, PlanningProblem, ShiftBreak, SolveParams, SolverReport
from optimizer.errors import ModelError
from optimizer.kpis import cost_terms, coverage_rows, employment, plan_kpis, scheduled_agents
from optimizer.model.build import BuiltModel
from optimizer.model.inputs import ModelInput
from optimizer.model.solve import SOLVER_VERSION, SolveOutcome
from optimizer.requirement import people_demand


def _at(inp: ModelInput, t: int) -> dt.datetime:
    return inp.grid.timestamp(t).to_pydatetime()


def fte_shifts(inp: ModelInput, built: BuiltModel, outcome: SolveOutcome) -> list[PlannedShift]:
    """Return every FTE shift of the solution, with break slots handed to people shift type by shift type."""
    solver, v = outcome.solver, built.vars
    if any(c.size != 1 for c in inp.crews):
        msg = "extract needs one-worker crews; assign shifts to people first (optimizer.model.assign)"
        raise ModelError(msg)
    chosen: list[tuple[int, int]] = []
    for i in range(len(inp.crews)):
        chosen.extend((i, k) for k, x in enumerate(v.fte(i)) if solver.value(x))
    slots: dict[int, list[int]] = defaultdict(list)
    for i, k in chosen:
        s = inp.crews[i].options[k].shift_type
        if s in slots:
            continue
        for b in inp.shift_types[s].break_starts:
            slots[s].extend([b] * solver.value(v.break_count(s, b)))
    shifts = []
    for i, k in chosen:
        crew = inp.crews[i]
        o = crew.options[k]
        st = inp.shift_types[o.shift_type]
        breaks: tuple[ShiftBreak, ...] = ()
        if st.break_len:
            b = slots[o.shift_type].pop()
            breaks = (ShiftBreak(start=_at(inp, b), end=_at(inp, b + st.break_len)),)
        shifts.append(
            PlannedShift(
                worker_id=crew.worker_ids[0],
                kind="fte",
                start=_at(inp, o.start),
                end=_at(inp, o.end),
                breaks=breaks,
                paid_minutes=o.paid_min,
                cost_cents=o.cost_cents,
            )
        )
    return shifts


def gig_shifts(inp: ModelInput, built: BuiltModel, outcome: SolveOutcome) -> list[PlannedShift]:
    """Return the posted gig micro-shifts, numbered ``gig-0001`` … in start order."""
    gig = inp.gig
    if gig is None:
        return []
    shifts = []
    for t, var in sorted(built.vars.gig_starts().items()):
        for _ in range(outcome.solver.value(var)):
            shifts.append(
                PlannedShift(
                    worker_id=f"gig-{len(shifts) + 1:04d}",
                    kind="gig",
                    start=_at(inp, t),
                    end=_at(inp, t + gig.length),
                    paid_minutes=gig.paid_min,
                    cost_cents=gig.cost_cents,
                )
            )
    return shifts


def plan_coverage(problem: PlanningProblem, inp: ModelInput, shifts: Sequence[PlannedShift]) -> tuple[CoverageRow, ...]:
    """Return the coverage rows of shifts on the problem's demand, counted from the shifts themselves."""
    pool = problem.workforce.gig_pool
    scheduled = scheduled_agents(
        inp.grid.starts, problem.interval_min, shifts, pool.fill_rate if pool is not None else 1.0
    )
    return coverage_rows(people_demand(problem), inp.required, scheduled, problem.service_target, problem.interval_min)


def assemble_plan(
    problem: PlanningProblem,
    params: SolveParams,
    inp: ModelInput,
    shifts: tuple[PlannedShift, ...],
    outcome: SolveOutcome,
    *,
    bound: int | None,
    digest: str,
    software_version: str,
    wall_time_s: float,
) -> Plan:
    """Put a plan together: coverage, cost terms and KPIs evaluated from its shifts, and the solver report.

    The objective is the plan's own cost; CP-SAT's can only be higher (a feasible, not optimal, solution
    may carry slack shortfall or spare break counters). The status is OPTIMAL only when that cost meets
    the bound.
    """
    coverage = plan_coverage(problem, inp, shifts) if outcome.has_solution else ()
    staff = employment(problem, shifts)
    terms = (
        cost_terms(shifts, coverage, inp.shortfall_penalty_cents, inp.service, staff) if outcome.has_solution else {}
    )
    objective = sum(terms.values()) if terms else None
    status = outcome.status
    if objective is not None and bound is not None:
        status = "OPTIMAL" if objective <= bound else "FEASIBLE"
    gap = None if objective is None or bound is None else max(0.0, (objective - bound) / max(1, abs(objective)))
    return Plan(
        inputs_digest=digest,
        software_version=software_version,
        timezone=problem.timezone,
        interval_min=problem.interval_min,
        solver=SolverReport(
            status=status,
            objective_cents=objective,
            best_bound_cents=bound,
            gap_ratio=gap,
            wall_time_s=wall_time_s,
            params=params,
            solver_version=SOLVER_VERSION,
        ),
        cost_terms_cents=terms,
        kpis=plan_kpis(shifts, coverage, problem.interval_min, staff),
        shifts=shifts,
        coverage=coverage,
    )
