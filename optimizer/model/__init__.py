"""The CP-SAT model: prepare → build → solve → extract, and ``plan()`` which runs them in order."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from optimizer.demand import demand_frame
from optimizer.domain import Plan, PlannedShift, PlanningProblem, SolveParams, SolveStatus
from optimizer.errors import InputError
from optimizer.model.assign import assign, hint_completion, personal_input
from optimizer.model.build import FAMILIES, BuiltModel, build_model
from optimizer.model.constraints.service_goal import hint_service_goal
from optimizer.model.explain import explain_infeasible
from optimizer.model.extract import assemble_plan, assigned_fte_shifts, fte_shifts, gig_shifts, routed_people
from optimizer.model.guided import GuidedOutcome, complete_start, hint_solution, solve_guided
from optimizer.model.horizon import HorizonStart, answered_units, horizon_start, requirement_start, staffed
from optimizer.model.inputs import ModelInput, prepare
from optimizer.model.people import honour_wishes
from optimizer.model.solve import Progress, SolveOutcome, add_hint_from, hint_decisions, solve
from optimizer.requirement import interval_staffing

logger = logging.getLogger(__name__)

CREW_SHARE = 0.6
"""Share of the time limit the crew model may use; assignment and completion get the rest."""

CREW_PHASE_GAP = 0.0005
"""The crew model stops at this relative gap (or the user's, if larger) and leaves its time to the rest."""

HORIZON_START_SHARE = 0.6

PER_INTERVAL_START_SHARE = 0.4
"""Share of a horizon start's budget kept for the per-interval plans, when the priced start meets no goal."""

PER_INTERVAL_LEVEL_STEP = 0.05
"""Step down in per-interval service level between fallback plans."""

COMPLETE_START_SHARE = 0.05
"""Most of a horizon start's budget completing one start in the exact model may use ..."""

MIN_COMPLETE_START_S = 0.5
"""... but at least this [s]: the completion is a presolve and a search over the goal counters alone."""
"""Share of the crew model's time a horizon-goal solve spends on its priced start (``horizon.py``)."""

COMPLETION_RESERVE_S = 1.0
"""Time kept back from the assignment for the completion solve [s] ..."""

COMPLETION_RESERVE_SHARE = 0.2
"""... or this share of the time limit, when that is less."""

COMPLETION_SOLVE_FACTOR = 2.0
"""Completion time (build and presolve) as a multiple of its estimated build time."""

MIN_COMPLETION_S = 0.5
"""Least time the completion solve gets, even past the limit [s]: it starts from a complete hint (the crew
plan handed to people), which CP-SAT checks first, so a plan needs only this long."""

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


def _per_interval_start(
    problem: PlanningProblem,
    inp: ModelInput,
    params: SolveParams,
    *,
    deadline: float,
    stop_event: threading.Event | None,
    aggregate: bool,
) -> tuple[BuiltModel | None, SolveOutcome | None]:
    """Return the cheapest per-interval plan found that meets the horizon goal, and its model (None, None if none).

    A plan that meets level L in every interval realises more than L over the week, so levels are tried from
    the goal's own downwards in steps of ``PER_INTERVAL_LEVEL_STEP`` (each LP-first, about a second) while
    the plan still meets the weekly goal, down to the interval floor.
    """
    goal = inp.service
    assert goal is not None
    target = problem.service_target
    if target.scope == "interval":  # the share goal: its per-interval plan staffs the greedy share requirement
        greedy = interval_staffing(
            demand_frame(problem.grid_rows(), timezone=problem.timezone),
            target,
            problem.automation,
            interval_min=problem.interval_min,
        )["required"].to_numpy(dtype=np.int64)
        candidate = build_model(dataclasses.replace(inp, required=np.maximum(inp.required, greedy), service=None))
        outcome = solve_guided(candidate, params, deadline=deadline, stop_event=stop_event).outcome
        return (candidate, outcome) if outcome.has_solution else (None, None)
    best: tuple[BuiltModel, SolveOutcome] | None = None
    level = target.service_level
    while level >= target.interval_floor and time.monotonic() < deadline:
        flat = target.model_copy(update={"scope": "interval", "service_level": level})
        flat_problem = problem.model_copy(update={"service_target": flat})
        candidate = build_model(prepare(flat_problem, params, aggregate=aggregate))
        outcome = solve_guided(candidate, params, deadline=deadline, stop_event=stop_event).outcome
        if not outcome.has_solution or answered_units(inp, staffed(candidate, outcome, inp.intervals)) < goal.goal:
            break
        if best is None or (outcome.objective_cents or 0) < (best[1].objective_cents or 0):
            best = (candidate, outcome)
        level = round(level - PER_INTERVAL_LEVEL_STEP, 4)
    return (best[0], best[1]) if best is not None else (None, None)


def _start_horizon_goal(
    problem: PlanningProblem,
    inp: ModelInput,
    built: BuiltModel,
    params: SolveParams,
    budget_s: float,
    stop_event: threading.Event | None,
    *,
    aggregate: bool,
) -> HorizonStart | None:
    """Hint a goal model with a start that meets the goal, and return the start (None without a goal).

    A share goal starts from the LP's people per interval (``requirement_start``), a horizon goal from the
    priced rounds (``horizon_start``), which is the cheaper when it finds a plan that meets the goal. When none of its
    rounds did in its time, per-interval plans (LP-first, about a second each) that meet the weekly goal are
    the fallback, so the exact model never starts from a plan that misses the goal. Measured on week15_60 at
    20 s and one thread, the priced start alone left the exact model at 3.6x the per-interval plan's cost.
    """
    goal = inp.service
    if goal is None:
        return None
    started = time.monotonic()
    first = requirement_start if problem.service_target.scope == "interval" else horizon_start  # share or horizon
    start = first(inp, params, budget_s=(1 - PER_INTERVAL_START_SHARE) * budget_s, stop_event=stop_event)
    base_built, base = None, None
    if not any(r.answered is not None and r.answered >= goal.goal for r in start.rounds):
        base_built, base = _per_interval_start(
            problem, inp, params, deadline=started + budget_s, stop_event=stop_event, aggregate=aggregate
        )
    completed = []
    complete_s = max(MIN_COMPLETE_START_S, COMPLETE_START_SHARE * budget_s)
    if start.source is not None and start.outcome is not None:
        built.cp_model.clear_hints()
        start.hint(built, inp)
        completed.append(complete_start(built, params, time_limit_s=complete_s, stop_event=stop_event))
    if base_built is not None and base is not None:
        built.cp_model.clear_hints()
        add_hint_from(built, base_built, base)
        hint_service_goal(built.cp_model, built.vars, inp, staffed(base_built, base, inp.intervals))
        completed.append(complete_start(built, params, time_limit_s=complete_s, stop_event=stop_event))
    found = [c for c in completed if c is not None]
    if found:
        hint_solution(built, min(found, key=lambda c: c.objective_cents or 0))
    return start


def _tighter(bound: int | None, start: HorizonStart | None) -> int | None:
    """Return the higher of a model's bound and its horizon start's (both bound the same optimum)."""
    if start is None or start.bound_cents is None or bound is None:
        return bound
    return max(bound, start.bound_cents)


@dataclass(frozen=True, slots=True)
class Solved:
    """What the solve path hands to extraction: the model read, its outcome, the bound and the LP's part."""

    inp: ModelInput
    built: BuiltModel
    outcome: SolveOutcome
    bound_cents: int | None
    guided: GuidedOutcome
    shifts: tuple[PlannedShift, ...] | None = None
    """Shifts already assembled (the crew plan, when the completion found nothing); None: read ``outcome``."""
    message: str | None = None


def _no_plan_message(outcome: SolveOutcome, params: SolveParams, started: float, guided: GuidedOutcome) -> str | None:
    """Say why a solve has no plan (None when it has one)."""
    if outcome.has_solution:
        return None
    if outcome.status == SolveStatus.UNKNOWN:
        lp = guided.relaxation
        spent = f"the LP relaxation took {lp.wall_time_s:.2f} s, " if lp is not None else ""
        return (
            f"no plan within the {params.time_limit_s:g} s limit: it ended before the search had a first solution "
            f"({spent}all phases {time.monotonic() - started:.2f} s); raise time_limit_s"
        )
    return f"no plan: the solver ended {outcome.status}"


def _phase_deadline(started: float, share: float, params: SolveParams) -> float:
    """Return when a phase that may use ``share`` of the time limit must end (``time.monotonic()``)."""
    return started + share * params.time_limit_s


def _completion_estimate_s(
    crews: ModelInput, crew_built: BuiltModel, crew_outcome: SolveOutcome, crew_build_s: float
) -> float:
    """Estimate how long building and solving the per-person completion takes, from the crew model's build [s].

    The completion has one variable per person-shift where the crew model has one per crew option; the rest
    (breaks, gigs, shortfall) is shared. Building scales with the variables, and CP-SAT's presolve of the
    completion was measured at about the same time again (4 weeks x 3,000 FTEs: crew build 1.7 s, completion
    build 17 s and presolve past 2 s on a loaded 2-core machine).
    """
    crew_vars = len(crew_built.cp_model.proto.variables)
    options = [x for i in range(len(crews.crews)) for x in crew_built.vars.fte(i)]
    person_shifts = sum(int(crew_outcome.solver.value(x)) for x in options)
    scale = (crew_vars - len(options) + person_shifts) / max(1, crew_vars)
    return COMPLETION_SOLVE_FACTOR * crew_build_s * scale


def _resumed(built: BuiltModel, start: Mapping[str, int] | None) -> bool:
    """Hint the model with a start from an earlier solve of it; return whether it took the start."""
    if start is None:
        return False
    if hint_decisions(built, start):
        return True
    logger.warning("the start names shift decisions this model does not have; solving without it")
    return False


def _solve_model(
    problem: PlanningProblem,
    params: SolveParams,
    on_progress: Callable[[Progress], None] | None,
    stop_event: threading.Event | None,
    started: float,
    start: Mapping[str, int] | None = None,
) -> Solved:
    """Solve per person, or by crews then assign people; return the per-person model, its solution and a bound.

    The bound is the best of the LP relaxation's and CP-SAT's for the per-person model, or for the crew
    model (a relaxation of the per-person model, so still a valid bound) when crews are used. Every phase
    ends by the time limit: the crew model by ``CREW_SHARE`` of it, the assignment by the completion's
    reserve, the completion by the limit itself. A ``start`` (the decisions of an earlier solve of the model
    that reports progress: the crew model, or the per-person one without crews) replaces the horizon goal's
    start; the first phase dives around it, so it begins at the start's objective.
    """
    deadline = started + params.time_limit_s
    reserve = min(COMPLETION_RESERVE_S, COMPLETION_RESERVE_SHARE * params.time_limit_s)
    crews = prepare(problem, params, aggregate=True)
    use_crews = params.method == "crews" or (params.method == "auto" and any(c.size > 1 for c in crews.crews))
    if not use_crews:
        inp = prepare(problem, params) if any(c.size > 1 for c in crews.crews) else crews
        built = build_model(inp)
        resumed = _resumed(built, start)
        budget = HORIZON_START_SHARE * params.time_limit_s
        goal_start = (
            None
            if resumed
            else _start_horizon_goal(problem, inp, built, params, budget, stop_event, aggregate=inp is crews)
        )
        guided = solve_guided(
            built,
            params,
            deadline=deadline,
            hinted=resumed or goal_start is not None,
            known_bound_cents=goal_start.bound_cents if goal_start is not None else None,
            on_progress=on_progress,
            stop_event=stop_event,
        )
        return Solved(inp, built, guided.outcome, _tighter(guided.bound_cents, goal_start), guided)
    build_started = time.monotonic()
    crew_built = build_model(crews)
    crew_build_s = time.monotonic() - build_started
    crew_deadline = _phase_deadline(started, CREW_SHARE, params)
    resumed = _resumed(crew_built, start)
    goal_start = (
        None
        if resumed
        else _start_horizon_goal(
            problem,
            crews,
            crew_built,
            params,
            HORIZON_START_SHARE * max(0.0, crew_deadline - time.monotonic()),
            stop_event,
            aggregate=True,
        )
    )
    # The crew plan is a start: time it spends closing its last hundredths of a percent is taken from the
    # completion, which must place every shift (measured: 500 people on 3 queues, the crew search ran 32 s
    # from 0.009% to 0.003% while the completion, left 14 s, re-planned 58 unplaced shifts to a 1.8% gap).
    crew_params = params.model_copy(update={"relative_gap": max(params.relative_gap, CREW_PHASE_GAP)})
    guided = solve_guided(
        crew_built,
        crew_params,
        deadline=crew_deadline,
        hinted=resumed or goal_start is not None,
        known_bound_cents=goal_start.bound_cents if goal_start is not None else None,
        on_progress=on_progress,
        stop_event=stop_event,
    )
    crew_outcome = guided.outcome
    if not crew_outcome.has_solution:
        return Solved(crews, crew_built, crew_outcome, None, guided)
    crew_bound = _tighter(guided.bound_cents, goal_start)
    reserve = max(reserve, _completion_estimate_s(crews, crew_built, crew_outcome, crew_build_s))
    assignment = assign(crews, crew_built, crew_outcome, params, deadline=deadline - reserve)
    assignment = honour_wishes(problem, crews, assignment, params, deadline=deadline - reserve)
    inp = personal_input(crews, assignment)
    built = build_model(inp)
    # Start the completion from the crew plan's gigs, breaks and service levels (same names); without it
    # a horizon-goal completion was measured 17% dearer than the crew plan it completes.
    hint_completion(built, crew_built, crew_outcome, assignment)
    if crews.service is not None:
        hint_service_goal(built.cp_model, built.vars, inp, staffed(crew_built, crew_outcome, crews.intervals))
    # The crew bound holds for the per-person model too: a completion that reaches it (the hinted crew plan,
    # when every shift was placed) stops at once, proven optimal. The hinted decisions are completed first
    # with everything else free, so a hint CP-SAT could not complete on its own is not lost.
    rest = max(MIN_COMPLETION_S, deadline - time.monotonic())
    outcome = solve_guided(
        built,
        params,
        deadline=time.monotonic() + rest,
        hinted=True,
        known_bound_cents=crew_bound,
        stop_event=stop_event,
    ).outcome
    if outcome.has_solution:
        unplaced = assignment.unmatched_shifts
        message = (
            f"{unplaced} shifts of the crew plan could not be handed to people under their own rules; the "
            f"completion re-planned those people in its {rest:.1f} s (a longer time limit gives it more)"
            if unplaced
            else None
        )
        return Solved(inp, built, outcome, crew_bound, guided, message=message)
    # The completion found nothing in its time: the crew plan as handed to people is still a plan.
    shifts = assigned_fte_shifts(crews, crew_built, crew_outcome, assignment.picks) + gig_shifts(
        crews, crew_built, crew_outcome
    )
    message = (
        f"the completion solve found no plan in its {rest:.1f} s ({outcome.status}); the plan is the crew "
        f"solution handed to people ({assignment.unmatched_shifts} shifts could not be placed), its objective "
        "recomputed from its shifts"
    )
    return Solved(inp, built, crew_outcome, crew_bound, guided, tuple(shifts), message)


def plan(
    problem: PlanningProblem,
    params: SolveParams | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    stop_event: threading.Event | None = None,
    start: Mapping[str, int] | None = None,
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
    start : mapping of str to int, optional
        Resume an earlier solve of the same problem and parameters from a solution it reported: the
        ``Progress.read_decisions()`` of one of its improving solutions. The search starts from it (its
        objective or better); a start from another model (other problem, parameters or version) is ignored
        with a warning.

    Returns
    -------
    Plan
        Shifts, coverage, cost terms, KPIs and the solver report. When no plan was found (the time limit
        hit before a first solution), shifts and coverage are empty and ``solver.status`` says why.

    Raises
    ------
    InputError
        When the problem breaks a rule that needs the horizon to see (demand rows off the grid, …), or
        when a worker's own rules cannot all hold on the horizon: one issue per such worker, naming the
        rules and the week (coverage is soft, so this is the only way the model is infeasible).
    """
    params = params or SolveParams()
    started = time.monotonic()
    solved = _solve_model(problem, params, on_progress, stop_event, started, start)
    inp, built, outcome, guided = solved.inp, solved.built, solved.outcome, solved.guided
    if outcome.status == SolveStatus.INFEASIBLE:
        issues = explain_infeasible(problem, inp)
        if issues:
            raise InputError(issues)
    shifts = solved.shifts
    routed = None
    if shifts is None and outcome.has_solution:
        shifts = tuple(fte_shifts(inp, built, outcome) + gig_shifts(inp, built, outcome))
        routed = routed_people(inp, built, outcome)
    return assemble_plan(
        problem,
        params,
        inp,
        shifts or (),
        outcome,
        bound=solved.bound_cents,
        digest=inputs_digest(problem, params),
        software_version=software_version(),
        wall_time_s=time.monotonic() - started,
        first_solution_s=None if guided.first_solution_at is None else guided.first_solution_at - started,
        lp_bound_cents=guided.relaxation.bound_cents if guided.relaxation is not None else None,
        message=solved.message or _no_plan_message(outcome, params, started, guided),
        recomputed_objective=solved.shifts is not None,
        routed=routed,
    )
