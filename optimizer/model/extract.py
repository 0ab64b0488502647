"""extract_plan(): solver values → a Plan of per-person shifts, gig shifts, coverage, costs and KPIs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from optimizer.domain import (
    CoverageRow,
    Plan,
    PlannedShift,
    PlanningProblem,
    QueueCoverageRow,
    ShiftBreak,
    SolveParams,
    SolverReport,
    SolveStatus,
)
from optimizer.errors import ModelError
from optimizer.kpis import (
    cost_terms,
    coverage_rows,
    employment,
    plan_kpis,
    pooled_coverage_rows,
    queue_coverage_rows,
    queue_penalty_cents,
    route_shifts,
    scheduled_agents,
    with_expected_level,
    with_queue_kpis,
)
from optimizer.model.build import BuiltModel
from optimizer.model.inputs import ModelInput, ShiftOption
from optimizer.model.solve import SOLVER_VERSION, SolveOutcome
from optimizer.requirement import people_demand, queue_needs
from optimizer.simulation.queues import expected_queue_levels
from optimizer.wishes import people_summary, preference_penalty_cents


def _at(inp: ModelInput, t: int) -> dt.datetime:
    return inp.grid.timestamp(t).to_pydatetime()


def fte_shifts(inp: ModelInput, built: BuiltModel, outcome: SolveOutcome) -> list[PlannedShift]:
    """Return every FTE shift of a per-person solution, with break slots handed to people shift type by type."""
    solver, v = outcome.solver, built.vars
    if any(c.size != 1 for c in inp.crews):
        msg = "extract needs one-worker crews; assign shifts to people first (optimizer.model.assign)"
        raise ModelError(msg)
    chosen = [
        (crew.worker_ids[0], crew.options[k])
        for i, crew in enumerate(inp.crews)
        for k, x in enumerate(v.fte(i))
        if solver.value(x)
    ]
    return _with_breaks(inp, built, outcome, chosen)


def assigned_fte_shifts(
    crews: ModelInput, crew_built: BuiltModel, crew_outcome: SolveOutcome, picks: Mapping[str, tuple[int, ...]]
) -> list[PlannedShift]:
    """Return the FTE shifts of a crew solution as handed to people (``picks``: option indices per worker).

    Breaks come from the crew solution's break counts per shift type, as in ``fte_shifts``.
    """
    chosen = [(wid, crew.options[k]) for crew in crews.crews for wid in crew.worker_ids for k in picks.get(wid, ())]
    return _with_breaks(crews, crew_built, crew_outcome, chosen)


def _with_breaks(
    inp: ModelInput, built: BuiltModel, outcome: SolveOutcome, chosen: Sequence[tuple[str, ShiftOption]]
) -> list[PlannedShift]:
    """Return planned shifts for (worker, option) pairs, each taking one of its shift type's break slots."""
    solver, v = outcome.solver, built.vars
    slots: dict[int, list[int]] = defaultdict(list)
    for _, o in chosen:
        s = o.shift_type
        if s in slots:
            continue
        for b in inp.shift_types[s].break_starts:
            slots[s].extend([b] * solver.value(v.break_count(s, b)))
    shifts = []
    for worker_id, o in chosen:
        st = inp.shift_types[o.shift_type]
        breaks: tuple[ShiftBreak, ...] = ()
        if st.break_len and slots[o.shift_type]:
            b = slots[o.shift_type].pop()
            breaks = (ShiftBreak(start=_at(inp, b), end=_at(inp, b + st.break_len)),)
        shifts.append(
            PlannedShift(
                worker_id=worker_id,
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
    shifts: list[PlannedShift] = []
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


def routed_people(inp: ModelInput, built: BuiltModel, outcome: SolveOutcome) -> np.ndarray | None:
    """Return the solver's people per queue and interval (queue x interval), or None with one queue."""
    qv = built.vars.queues()
    if qv is None or not outcome.has_solution:
        return None
    out = np.zeros((len(inp.queues), inp.intervals), dtype=np.int64)
    for (_, q, t), expr in qv.routed.items():
        out[q, t] += int(outcome.solver.value(expr))
    return out


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
    first_solution_s: float | None = None,
    lp_bound_cents: int | None = None,
    message: str | None = None,
    recomputed_objective: bool = False,
    routed: np.ndarray | None = None,
) -> Plan:
    """Put a plan together: coverage, cost terms and KPIs evaluated from its shifts, and the solver report.

    Objective and bound are the solvers' own values: the objective is the CP-SAT objective of the solution
    the shifts were read from, the bound the best that the LP relaxation and CP-SAT proved (``bound``).
    The status is OPTIMAL when the objective meets that bound, else FEASIBLE. Cost terms are evaluated from
    the shifts; ``check_plan`` recomputes them on its own and reports any difference from the objective.
    Only a plan assembled without its last solve (``recomputed_objective``, explained in ``message``) takes
    the objective from its cost terms, and a plan with a horizon goal whose terms, counted on the goal's pieces,
    are below the model's objective (the solver left a goal counter below its piece; also in ``message``).
    With several queues, ``routed`` (queue x interval, :func:`routed_people`) is the solver's split of the
    floor; without it the shifts are routed by :func:`optimizer.skills.route`.
    """
    staff = employment(problem, shifts)
    queue_rows: tuple[QueueCoverageRow, ...] = ()
    if problem.queues and outcome.has_solution:
        needs = queue_needs(problem)
        people = routed if routed is not None else route_shifts(problem, needs, inp.grid.starts, shifts)
        queue_rows = queue_coverage_rows(needs, people, problem.interval_min)
        coverage = pooled_coverage_rows(queue_rows)
        short_cents, late_cents = queue_penalty_cents(needs, people, inp.shortfall_penalty_cents)
        terms = {**cost_terms(shifts, (), 0, None, staff), "shortfall_penalty": short_cents}
        if any(not n.live for n in needs):
            terms["email_missed_penalty"] = late_cents
        kpis = with_queue_kpis(plan_kpis(shifts, coverage, problem.interval_min, staff), needs, queue_rows, problem)
    else:
        coverage = plan_coverage(problem, inp, shifts) if outcome.has_solution else ()
        terms = (
            cost_terms(shifts, coverage, inp.shortfall_penalty_cents, inp.service, staff)
            if outcome.has_solution
            else {}
        )
        kpis = with_expected_level(
            plan_kpis(shifts, coverage, problem.interval_min, staff),
            people_demand(problem),
            coverage,
            problem.service_target,
            problem.interval_min,
        )
    if problem.workforce.preferences and outcome.has_solution:
        terms["preference_penalty"] = preference_penalty_cents(problem, shifts, inp.grid)
    objective = outcome.objective_cents if outcome.has_solution else None
    if recomputed_objective and terms:
        objective = sum(terms.values())
    elif objective is not None and inp.service is not None and terms and sum(terms.values()) < objective:
        # The goal's counters are bounded above by its pieces, not fixed to them: a search stopped by its
        # time limit can leave one below what its people answer (seen: a 0.9 share week, 124 units in one
        # interval). The same shifts with the counters at their pieces are a solution of the model at the
        # cost its terms count, which check_plan recounts.
        recounted = sum(terms.values())
        message = (message + "; " if message else "") + (
            f"objective recounted on the goal's pieces: the solver's last solution left "
            f"{(objective - recounted) / 100:,.2f} of missed service its people answer"
        )
        objective = recounted
    status = outcome.status
    if objective is not None:
        status = SolveStatus.OPTIMAL if bound is not None and objective <= bound else SolveStatus.FEASIBLE
    gap = None if objective is None or bound is None else max(0.0, (objective - bound) / max(1, abs(objective)))
    plan = Plan(
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
            first_solution_s=first_solution_s,
            lp_bound_cents=lp_bound_cents,
            message=message,
            params=params,
            solver_version=SOLVER_VERSION,
        ),
        cost_terms_cents=terms,
        kpis=kpis,
        shifts=shifts,
        coverage=coverage,
        queue_coverage=queue_rows,
        people=people_summary(problem, shifts) if outcome.has_solution else (),
    )
    return _with_expected_queue_levels(problem, plan) if queue_rows else plan


def _with_expected_queue_levels(problem: PlanningProblem, plan: Plan) -> Plan:
    """Return a several-queue plan with each queue's expected level and the pooled one in its KPIs.

    Past ``optimizer.simulation.queues.MAX_EXPECTED_CONTACTS`` the plan is returned as it is (levels null).
    """
    expected = expected_queue_levels(problem, plan)
    if expected is None:  # past the contacts the plan simulates itself
        return plan
    levels, pooled = expected
    queues = tuple(k.model_copy(update={"expected_service_level": round(levels[k.queue], 4)}) for k in plan.kpis.queues)
    kpis = plan.kpis.model_copy(update={"queues": queues, "expected_service_level": round(pooled, 4)})
    return plan.model_copy(update={"kpis": kpis})
