"""Check a swap or time-off request against a published plan, and apply an accepted one.

The changed plan is the published one with the request applied (shifts traded, or dropped for time off) and
its coverage, cost terms and KPIs recounted from the shifts; ``check_plan`` then re-verifies it. A request is
accepted when the changed plan breaks no rule the published one kept and leaves no interval further below
its requirement (the coverage target). No solver runs: a check answers in well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np

from optimizer.check import Violation, check_plan
from optimizer.domain import Plan, PlannedShift, PlanningProblem, SolveStatus, TimeOff
from optimizer.domain.changes import ChangeCheck, ChangeFinding, ChangeRequest, ShiftRef, SwapRequest
from optimizer.errors import InputError, Issue
from optimizer.horizon_goal import plan_goal
from optimizer.kpis import cost_terms, coverage_rows, employment, plan_kpis, scheduled_agents, with_expected_level
from optimizer.model.inputs import shortfall_penalty_cents
from optimizer.requirement import people_demand
from optimizer.wishes import people_summary, preference_penalty_cents, problem_grid


def _find(problem: PlanningProblem, plan: Plan, ref: ShiftRef, field: str) -> int:
    """Return the index in ``plan.shifts`` of the shift a reference names; raise InputError naming ``field``."""
    zone = ZoneInfo(problem.timezone)
    if ref.worker_id not in {w.worker_id for w in problem.workforce.workers}:
        raise InputError.single(f"{field}.worker_id", f"{ref.worker_id!r} is not one of the workers")
    for i, s in enumerate(plan.shifts):
        if s.kind == "fte" and s.worker_id == ref.worker_id and s.start.astimezone(zone).date() == ref.date:
            return i
    raise InputError.single(f"{field}.date", f"{ref.worker_id} has no shift starting on {ref.date.isoformat()}")


def _handed_to(problem: PlanningProblem, shift: PlannedShift, worker_id: str, field: str) -> PlannedShift:
    """Return a shift as another worker works it, paid by their contract; refuse an incompatible contract."""
    worker = next(w for w in problem.workforce.workers if w.worker_id == worker_id)
    contract = problem.workforce.contract_of(worker)
    length = round((shift.end - shift.start).total_seconds() / 60)
    if length not in contract.shift_lengths_min or shift.extended_before_min or shift.extended_after_min:
        lengths = ", ".join(str(n) for n in contract.shift_lengths_min)
        problem_text = (
            f"{worker_id}'s contract {contract.name} cannot take a {length}-minute shift of {shift.worker_id} "
            f"(its shifts are {lengths} minutes)"
        )
        raise InputError.single(field, problem_text)
    paid = contract.paid_minutes(length)
    return shift.model_copy(
        update={
            "worker_id": worker_id,
            "paid_minutes": paid,
            "cost_cents": round(paid * contract.cost_per_hour_cents / 60),
        }
    )


def apply_change(
    problem: PlanningProblem, plan: Plan, change: ChangeRequest
) -> tuple[PlanningProblem, tuple[PlannedShift, ...]]:
    """Return the problem and the shifts with a change applied.

    Raises
    ------
    InputError
        When the request names an unknown worker or shift, or a swap between incompatible contracts (a shift
        length the other contract does not have), with the field path of the request.
    """
    if problem.queues:
        raise InputError.single("change", "change checks support one-queue plans only")
    shifts = list(plan.shifts)
    if isinstance(change, SwapRequest):
        a = _find(problem, plan, change.first, "swap.first")
        b = _find(problem, plan, change.second, "swap.second")
        first, second = shifts[a], shifts[b]
        shifts[a] = _handed_to(problem, first, change.second.worker_id, "swap")
        shifts[b] = _handed_to(problem, second, change.first.worker_id, "swap")
        return problem, tuple(shifts)
    ids = [w.worker_id for w in problem.workforce.workers]
    if change.worker_id not in ids:
        raise InputError(Issue("time_off.worker_id", f"{change.worker_id!r} is not one of the workers"))
    index = ids.index(change.worker_id)
    worker = problem.workforce.workers[index]
    absence = TimeOff(start=change.start, end=change.end)
    kept = tuple(
        s
        for s in shifts
        if not (s.kind == "fte" and s.worker_id == change.worker_id and s.start < change.end and change.start < s.end)
    )
    spans = sorted((*worker.time_off, absence), key=lambda t: t.start)
    merged: list[TimeOff] = []
    for span in spans:  # an absence that meets one already booked extends it (time off must not overlap)
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = TimeOff(start=last.start, end=max(last.end, span.end))
        else:
            merged.append(span)
    workers = list(problem.workforce.workers)
    workers[index] = worker.model_copy(update={"time_off": tuple(merged)})
    workforce = problem.workforce.model_copy(update={"workers": tuple(workers)})
    return problem.model_copy(update={"workforce": workforce}), kept


def recount_plan(
    problem: PlanningProblem, plan: Plan, shifts: Sequence[PlannedShift], message: str, *, expected: bool = False
) -> Plan:
    """Return a plan with new shifts and its coverage, cost terms, KPIs and people recounted from them.

    The solver report keeps the published plan's bound (a change only restricts the problem, so it stays a
    bound) with the recounted objective; the status says whether that is still proven optimal. With
    ``expected`` the KPIs get the expected level a plan reports (:func:`optimizer.kpis.with_expected_level`,
    about a second on the bundled week: for a version to store, not for a check's answer).
    """
    shifts = tuple(shifts)
    grid = problem_grid(problem)
    pool = problem.workforce.gig_pool
    scheduled = scheduled_agents(grid.starts, problem.interval_min, shifts, pool.fill_rate if pool else 1.0)
    required = np.array([r.required for r in plan.coverage], dtype=np.int64)
    demand = people_demand(problem)
    coverage = coverage_rows(demand, required, scheduled, problem.service_target, problem.interval_min)
    params = plan.solver.params
    penalty = shortfall_penalty_cents(problem, params)
    goal = plan_goal(problem, demand, required, shortfall_penalty_cents=penalty)
    staff = employment(problem, shifts)
    terms = cost_terms(shifts, coverage, penalty, goal, staff)
    if problem.workforce.preferences:
        terms["preference_penalty"] = preference_penalty_cents(problem, shifts, grid)
    objective = sum(terms.values())
    bound = plan.solver.best_bound_cents
    status = SolveStatus.OPTIMAL if bound is not None and objective <= bound else SolveStatus.FEASIBLE
    gap = None if bound is None else max(0.0, (objective - bound) / max(1, abs(objective)))
    solver = plan.solver.model_copy(
        update={"objective_cents": objective, "status": status, "gap_ratio": gap, "message": message}
    )
    kpis = plan_kpis(shifts, coverage, problem.interval_min, staff)
    return plan.model_copy(
        update={
            "solver": solver,
            "cost_terms_cents": terms,
            "kpis": with_expected_level(kpis, demand, coverage, problem.service_target, problem.interval_min)
            if expected
            else kpis,
            "shifts": shifts,
            "coverage": coverage,
            "people": people_summary(problem, shifts),
        }
    )


def _describe(change: ChangeRequest) -> str:
    if isinstance(change, SwapRequest):
        a, b = change.first, change.second
        return f"swap {a.worker_id}:{a.date.isoformat()} with {b.worker_id}:{b.date.isoformat()}"
    return f"time off for {change.worker_id} {change.start.isoformat()} .. {change.end.isoformat()}"


def _coverage_findings(before: Plan, after: Plan) -> list[ChangeFinding]:
    """Return the intervals the change leaves further below their requirement (the coverage target)."""
    out = []
    for old, new in zip(before.coverage, after.coverage, strict=True):
        if max(0, new.required - new.scheduled) > max(0, old.required - old.scheduled):
            where = new.interval_start.isoformat()
            out.append(ChangeFinding(rule="coverage_target", where=where, detail=f"{new.scheduled} of {new.required}"))
    return out


def check_change(
    problem: PlanningProblem, plan: Plan, change: ChangeRequest, *, expected: bool = False
) -> tuple[ChangeCheck, PlanningProblem, Plan]:
    """Answer whether a change keeps every rule and the coverage target; return the answer and the changed plan.

    Findings are the ``check_plan`` violations of the changed plan that the published plan did not have, plus
    one ``coverage_target`` finding per interval left further below its requirement. With ``expected`` the
    changed plan carries its expected level, as a stored version should (:func:`recount_plan`).

    Raises
    ------
    InputError
        From :func:`apply_change`.
    """
    changed_problem, shifts = apply_change(problem, plan, change)
    changed = recount_plan(changed_problem, plan, shifts, _describe(change), expected=expected)
    known = {str(v) for v in check_plan(problem, plan)}
    broken: list[Violation] = [v for v in check_plan(changed_problem, changed) if str(v) not in known]
    findings = [ChangeFinding(rule=v.rule, where=v.where, detail=v.detail) for v in broken]
    findings += _coverage_findings(plan, changed)
    k0, k1 = plan.kpis, changed.kpis
    answer = ChangeCheck(
        accepted=not findings,
        findings=tuple(findings),
        cost_delta_cents=k1.total_cost_cents - k0.total_cost_cents,
        objective_delta_cents=(changed.solver.objective_cents or 0) - (plan.solver.objective_cents or 0),
        shortfall_delta_agent_hours=k1.shortfall_agent_hours - k0.shortfall_agent_hours,
        understaffed_intervals_delta=k1.understaffed_intervals - k0.understaffed_intervals,
        service_level_delta=k1.service_level - k0.service_level,
        preference_penalty_delta_cents=changed.cost_terms_cents.get("preference_penalty", 0)
        - plan.cost_terms_cents.get("preference_penalty", 0),
    )
    return answer, changed_problem, changed
