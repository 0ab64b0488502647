"""LP-guided solving: bound a model by its LP relaxation, round the LP point into a start, then search.

1. Solve the LP relaxation (``relaxation.py``). Its rounded-up optimum is a valid bound; it is added to the
   model as ``objective >= bound``, so CP-SAT's own bound starts there and a plan that reaches it is
   proven optimal without further search.
2. Round the LP point into a start: every shift decision is confined to ``[floor(x), ceil(x)]`` of its LP
   value and CP-SAT searches that small neighbourhood (a dive). Coverage is soft, so the neighbourhood
   nearly always holds a plan; on our instances the LP point is integral or close to it, and the dive lands
   on the optimum.
3. Search the whole model from that start (a complete hint) for the rest of the time, unless the dive
   already met the bound.

A model that already carries a start (``hinted``) is dived around that start instead: its decisions fixed,
the rest (breaks, gig fill, goal counters) completed, so a hint CP-SAT could not complete on its own is kept.

The answer is the better of the dive's and the search's solutions, with the best of the LP's and CP-SAT's
bounds. When the LP cannot be solved (time, or a model it cannot relax), the search runs as before.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from optimizer.domain import SolveParams, SolveStatus
from optimizer.model.build import BuiltModel, build_model, hint_values, set_hints
from optimizer.model.relaxation import Relaxation, solve_relaxation
from optimizer.model.routing import email_exact, evaluate, hint_routing, rerouted
from optimizer.model.solve import Progress, SolveOutcome, solution_decisions, solve

LP_SHARE = 0.5
"""Most of a phase's time the LP relaxation may use."""

DIVE_SHARE = 0.3
"""Most of a phase's time the rounding dive may use (it usually ends in well under a second)."""

INTEGRAL_TOL = 1e-6
"""LP values this close to an integer count as that integer when rounding."""

FINISH_SHARE = 0.1
"""E-mail: share of a phase kept for re-costing the keep-up model's plan in the exact model ..."""

MIN_FINISH_S = 0.5
"""... but at least this [s]: its decisions fixed and every other variable hinted, it needs one pass."""


@dataclass(frozen=True, slots=True)
class GuidedOutcome:
    """The best solution of an LP-guided solve, the best bound, and how it got there."""

    outcome: SolveOutcome
    bound_cents: int | None
    relaxation: Relaxation | None
    first_solution_at: float | None
    """``time.monotonic()`` when the phase had its first solution (None without one)."""


def _confined(built: BuiltModel, ranges: dict[int, tuple[int, int]]) -> BuiltModel:
    """Return a copy of the model with the variables at the given indices confined to ``(lo, hi)``."""
    copy = built.cp_model.clone()
    for index, (lo, hi) in ranges.items():
        domain = copy.proto.variables[index].domain
        first, last = domain[0], domain[len(domain) - 1]
        new_lo, new_hi = max(first, lo), min(last, hi)
        if new_lo > new_hi:  # outside the domain's hull by a tolerance: keep the nearest end
            new_lo = new_hi = min(max(lo, first), last)
        domain.clear()
        domain.extend([new_lo, new_hi])
    return dataclasses.replace(built, cp_model=copy)


def _dive_model(built: BuiltModel, lp_values: np.ndarray) -> BuiltModel:
    """Return a copy of the model with every shift decision confined to the floor and ceiling of its LP value."""
    ranges = {}
    for var in built.vars.decisions().values():
        x = float(lp_values[var.index])
        ranges[var.index] = (math.floor(x + INTEGRAL_TOL), math.ceil(x - INTEGRAL_TOL))
    return _confined(built, ranges)


def _hinted_model(built: BuiltModel) -> BuiltModel:
    """Return a copy of the model with the hinted shift decisions fixed, the rest (goal counters) left free.

    A start built in another model (a horizon goal's priced plan) hints the decisions, but its counters of
    answered contacts may not satisfy this model's rounding exactly, and CP-SAT drops a hint it cannot
    complete; solving with the decisions fixed completes it.
    """
    hint = hint_values(built.cp_model)
    ranges = {v.index: (hint[v.index], hint[v.index]) for v in built.vars.decisions().values() if v.index in hint}
    return _confined(built, ranges)


def complete_start(
    built: BuiltModel, params: SolveParams, *, time_limit_s: float, stop_event: threading.Event | None = None
) -> SolveOutcome | None:
    """Solve the model with its hinted shift decisions fixed; return the completed start, or None without one."""
    if not len(built.cp_model.proto.solution_hint.vars) or time_limit_s <= 0:
        return None
    limited = params.model_copy(update={"time_limit_s": time_limit_s})
    outcome = solve(_hinted_model(built), limited, stop_event=stop_event)
    return outcome if outcome.has_solution else None


def hint_solution(built: BuiltModel, outcome: SolveOutcome) -> None:
    """Hint every variable of the model with its value in a solution of the same model (or a restriction)."""
    _hint_all(built, outcome)


def _hint_all(built: BuiltModel, outcome: SolveOutcome) -> None:
    """Hint every variable of the model with its value in a solution of the same model (or a restriction).

    With several queues the solution's shifts are routed by the routing rule (``routing.py``) too, and
    whichever of the two costs less is hinted.
    """
    m = built.cp_model
    m.clear_hints()
    values = np.asarray(outcome.solver.response_proto.solution, dtype=np.int64)
    routed = rerouted(built, values) if not built.inp.email_keep_up else None
    if routed is not None:
        objective = built.objective.total()
        if evaluate(objective, routed) < evaluate(objective, values):
            values = routed
    for i in range(len(m.proto.variables)):
        m.add_hint(m.get_int_var_from_proto_index(i), int(values[i]))


def _hint_rounded(built: BuiltModel, lp_values: np.ndarray) -> np.ndarray:
    """Hint the shift decisions with their LP values rounded to the nearest integer in their domains.

    Returns the rounded values of every variable (decisions within their domains).
    """
    m = built.cp_model
    m.clear_hints()
    rounded = np.rint(lp_values).astype(np.int64)
    for var in built.vars.decisions().values():
        domain = m.proto.variables[var.index].domain
        rounded[var.index] = min(max(int(rounded[var.index]), domain[0]), domain[len(domain) - 1])
        m.add_hint(var, int(rounded[var.index]))
    return rounded


PATTERN_HINT_S = 0.5
"""Most time [s] the week-pattern hint's small model may take (it takes milliseconds on our instances)."""


def _hint_patterns(built: BuiltModel, values: np.ndarray) -> None:
    """Hint the week-pattern counts with a share-out of the hinted shifts; keep the other hints.

    Each crew week's hinted shifts of each paid length are shared out over its members' week patterns as
    closely as patterns allow (fewest shifts off, a small CP-SAT model of the pattern counts alone), so the
    hint is whole: a dive whose pattern counts were left to find took longer than its time on a busy 2-core
    machine (measured: the bundled multi-skill forecast week).
    """
    weeks = built.vars.week_patterns()
    if not weeks:
        return
    m = cp_model.CpModel()
    counts: list[list[cp_model.IntVar]] = []
    off: list[cp_model.IntVar] = []
    for w in weeks:
        crew = built.inp.crews[w.crew]
        employed = built.vars.employed(w.crew)
        members = int(values[employed.index]) if isinstance(employed, cp_model.IntVar) else crew.size
        xs = built.vars.fte(w.crew)
        cs = [m.new_int_var(0, crew.size, "") for _ in w.patterns]
        m.add(sum(cs) == members)
        for i, options in enumerate(w.options):
            worked = int(sum(values[xs[k].index] for k in options))
            dev = m.new_int_var(0, crew.size * len(options), "")
            shares = cp_model.LinearExpr.weighted_sum(cs, [p[i] for p in w.patterns])
            m.add(shares - worked <= dev)
            m.add(worked - shares <= dev)
            off.append(dev)
        counts.append(cs)
    m.minimize(sum(off))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = PATTERN_HINT_S
    if solver.solve(m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return
    hints = hint_values(built.cp_model)
    for w, cs in zip(weeks, counts, strict=True):
        hints.update((var.index, solver.value(c)) for var, c in zip(w.counts, cs, strict=True))
    set_hints(built.cp_model, hints)


def _hinted_values(built: BuiltModel) -> np.ndarray:
    """Return the model's hint as one value per variable index, locked shifts taken (else 0 without a hint)."""
    hint = built.cp_model.proto.solution_hint
    values = np.zeros(len(built.cp_model.proto.variables), dtype=np.int64)
    for i, k in built.inp.locked:
        values[built.vars.fte(i)[k].index] = built.inp.crews[i].size
    values[list(hint.vars)] = list(hint.values)
    return values


def _has_email(built: BuiltModel) -> bool:
    """Whether the model is an exact several-queue model with an e-mail queue worked first come, first served."""
    return not built.inp.email_keep_up and any(
        q.work is not None and q.work.order == "first_come" for q in built.inp.queues
    )


def _keep_up_start(
    built: BuiltModel, point: np.ndarray, params: SolveParams, lp_limit_s: float
) -> tuple[BuiltModel, np.ndarray]:
    """Return the keep-up copy of an e-mail model and its LP point, or the model and its own point.

    The exact model's LP relaxation works e-mail in any order, so its point staffs e-mail too thinly for
    first-come first-served (``constraints/queues.py``, ``_add_keep_up``); the keep-up copy's point does not,
    and its linear rows let CP-SAT's search improve its plans, where the exact model's search was measured
    not to move in 150 s on the bundled week.
    """
    driver = build_model(dataclasses.replace(built.inp, email_keep_up=True), built.families)
    relaxation = solve_relaxation(driver.cp_model, time_limit_s=lp_limit_s, engine=params.lp_engine)
    if relaxation.status != "optimal":
        return built, point
    return driver, relaxation.values


def _recost(
    built: BuiltModel,
    driver: BuiltModel,
    found: SolveOutcome,
    params: SolveParams,
    limit_s: float,
    stop_event: threading.Event | None,
) -> SolveOutcome | None:
    """Return the exact model's outcome for the shifts of a keep-up copy's plan (None if it finds none).

    The shifts are rerouted (``routing.py``), every variable hinted, and the exact model solved with the
    decisions fixed, so objective and values are the exact model's own.
    """
    solution = np.asarray(found.solver.response_proto.solution, dtype=np.int64)
    by_name = {v.name: int(solution[i]) for i, v in enumerate(driver.cp_model.proto.variables) if v.name}
    values = np.array([by_name.get(v.name, 0) for v in built.cp_model.proto.variables], dtype=np.int64)
    routed = rerouted(built, values)
    values = routed if routed is not None else values
    m = built.cp_model
    m.clear_hints()
    for i, value in enumerate(values.tolist()):
        m.add_hint(m.get_int_var_from_proto_index(i), value)
    exact = solve(_hinted_model(built), params.model_copy(update={"time_limit_s": limit_s}), stop_event=stop_event)
    return exact if exact.has_solution else None


def _finish_keep_up(
    built: BuiltModel,
    driver: BuiltModel,
    dive: SolveOutcome | None,
    params: SolveParams,
    deadline: float,
    stop_event: threading.Event | None,
    report: Callable[[SolveOutcome], None],
) -> tuple[SolveOutcome | None, float | None]:
    """Re-cost the keep-up copy's dive, search the copy, re-cost its best; return the exact outcome and when.

    The copy's own bounds are no bounds of the exact model and are dropped. The dive's plan is re-costed at
    once, so a plan exists as early as without the copy; ``report`` gets each re-costed plan.
    """
    reserve = max(MIN_FINISH_S, FINISH_SHARE * (deadline - time.monotonic()))
    first = None
    first_at = None
    if dive is not None and dive.has_solution:
        first = _recost(built, driver, dive, params, reserve, stop_event)
        if first is not None:
            first_at = time.monotonic()
            report(first)
    rest = deadline - reserve - time.monotonic()
    search = None
    if rest > 0 and not (stop_event is not None and stop_event.is_set()):
        search = solve(driver, params.model_copy(update={"time_limit_s": rest}), stop_event=stop_event)
    if search is not None and search.has_solution and (dive is None or search is _better(dive, search)):
        limit = max(MIN_FINISH_S, deadline - time.monotonic())
        second = _recost(built, driver, search, params, limit, stop_event)
        if second is not None:
            first_at = first_at or time.monotonic()
            report(second)
        first = _better(first, second)
    if first is not None:
        _hint_all(built, first)
    return first, first_at


def _email_credited(built: BuiltModel, found: SolveOutcome, params: SolveParams) -> SolveOutcome:
    """Return the outcome with its in-window-first e-mail credited in full (``routing.email_exact``).

    The search may stop at a solution whose e-mail rows credit less than its routing works in time (the rows
    are a transportation problem the objective maximises); the exact credit is set and the model solved with
    every variable fixed at it, so objective and values stay the solver's own. Other outcomes as they are.
    """
    if not found.has_solution:
        return found
    values = np.asarray(found.solver.response_proto.solution, dtype=np.int64)
    exact = email_exact(built, values)
    if exact is None or evaluate(built.objective.total(), exact) >= found.objective_cents:  # type: ignore[operator]
        return found
    fixed = _confined(built, {i: (int(x), int(x)) for i, x in enumerate(exact.tolist())})
    outcome = solve(fixed, params.model_copy(update={"time_limit_s": MIN_FINISH_S * 4}))
    return outcome if outcome.has_solution else found


def _better(a: SolveOutcome | None, b: SolveOutcome | None) -> SolveOutcome | None:
    """Return the outcome with the lower objective (either may lack a solution; then ``b``'s status wins)."""
    if a is None or not a.has_solution:
        return b or a
    if b is None or not b.has_solution:
        return a
    return a if a.objective_cents <= b.objective_cents else b  # type: ignore[operator]


def solve_guided(
    built: BuiltModel,
    params: SolveParams,
    *,
    deadline: float,
    hinted: bool = False,
    known_bound_cents: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    stop_event: threading.Event | None = None,
) -> GuidedOutcome:
    """Solve a built model LP-first: bound, rounded start, then CP-SAT search until ``deadline``.

    Parameters
    ----------
    built : BuiltModel
        The model; it gains the LP bound as a constraint and a complete hint.
    params : SolveParams
        Threads, seed, gap and LP engine; the time limit is taken from ``deadline``.
    deadline : float
        ``time.monotonic()`` by which the phase ends [s].
    hinted : bool
        The model already carries a start (a horizon goal's priced plan, a crew plan handed to people, a
        published plan): the dive completes it with its decisions fixed instead of rounding the LP point.
    known_bound_cents : int, optional
        A bound proven elsewhere (a horizon goal's Lagrangian bound) [cents]. With a start and this bound,
        the LP is skipped: it is the floor-only model's LP again, and the search needs the time more.
    on_progress, stop_event
        As for ``solve``.
    """
    started = time.monotonic()
    budget = max(0.0, deadline - started)
    relaxation = None
    if params.lp_guided and budget > 0 and not (hinted and known_bound_cents is not None):
        relaxation = solve_relaxation(built.cp_model, time_limit_s=LP_SHARE * budget, engine=params.lp_engine)
    bound = relaxation.bound_cents if relaxation is not None else None
    if known_bound_cents is not None:
        bound = known_bound_cents if bound is None else max(bound, known_bound_cents)
    dive: SolveOutcome | None = None
    first_solution_at = None
    if bound is not None:
        built.cp_model.add(built.objective.total() >= bound).with_name("lp_bound")
    point = relaxation.values if relaxation is not None and relaxation.status == "optimal" else None
    driver = built
    if point is not None and not hinted and _has_email(built):
        driver, point = _keep_up_start(built, point, params, LP_SHARE * budget)
    if hinted or point is not None:
        dive_limit = min(DIVE_SHARE * budget, deadline - time.monotonic())
        if dive_limit > 0:
            around = _hinted_model(driver) if hinted else _dive_model(driver, point)  # type: ignore[arg-type]
            # Several queues: start the dive from its shifts routed by the rule, which CP-SAT was measured
            # to find slowly (routing.py), and shared out into week patterns (_hint_patterns); one queue
            # keeps its unhinted dive.
            if driver is built and driver.vars.queues() is not None:
                values = _hinted_values(around) if hinted else _hint_rounded(around, point)  # type: ignore[arg-type]
                hint_routing(around, values)
                if not hinted:
                    _hint_patterns(around, values)
            dive = solve(around, params.model_copy(update={"time_limit_s": dive_limit}), stop_event=stop_event)
        if dive is not None and dive.has_solution:
            first_solution_at = time.monotonic()
            if on_progress is not None and driver is built:
                solution = dive
                on_progress(
                    Progress(
                        dive.objective_cents,  # type: ignore[arg-type]
                        bound,  # type: ignore[arg-type]
                        first_solution_at - started,
                        read_decisions=lambda: solution_decisions(built.vars.decisions(), solution.solver.value),
                    )
                )
            _hint_all(driver, dive)
        elif not hinted:
            _hint_rounded(driver, point)  # type: ignore[arg-type]
    if driver is not built:

        def report(found: SolveOutcome) -> None:
            if on_progress is not None:
                on_progress(Progress(found.objective_cents, bound, time.monotonic() - started))  # type: ignore[arg-type]

        dive, first_solution_at = _finish_keep_up(built, driver, dive, params, deadline, stop_event, report)
    search: SolveOutcome | None = None
    proven = dive is not None and dive.has_solution and bound is not None and dive.objective_cents <= bound  # type: ignore[operator]
    rest = deadline - time.monotonic()
    if not proven and rest > 0 and not (stop_event is not None and stop_event.is_set()):
        search = solve(
            built, params.model_copy(update={"time_limit_s": rest}), on_progress=on_progress, stop_event=stop_event
        )
        if first_solution_at is None and search.has_solution:
            first_solution_at = time.monotonic()
    best = _better(dive, search)
    if best is dive and dive is not None and not dive.has_solution:
        # a dive searches a neighbourhood: its INFEASIBLE says nothing of the model, whose status is unknown
        best = dataclasses.replace(dive, status=SolveStatus.UNKNOWN)
    if best is None:  # no time was left for any CP-SAT search
        best = solve(built, params.model_copy(update={"time_limit_s": 0.01}), stop_event=stop_event)
    best = _email_credited(built, best, params)
    # A dive's own bound holds only for its neighbourhood: the phase's bound is the LP's or the full search's.
    bounds = [b for b in (bound, search.best_bound_cents if search else None) if b is not None]
    best_bound = max(bounds) if bounds else None
    if best.has_solution:
        optimal = best_bound is not None and best.objective_cents <= best_bound  # type: ignore[operator]
        best = dataclasses.replace(
            best,
            status=SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE,
            best_bound_cents=best_bound,
            wall_time_s=time.monotonic() - started,
        )
    return GuidedOutcome(
        outcome=best, bound_cents=best_bound, relaxation=relaxation, first_solution_at=first_solution_at
    )
