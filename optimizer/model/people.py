"""Hand each crew's shifts to its people by their wishes and the contract's fairness (after ``assign``).

Why here and why exact: people of one crew have the same contract, absences, availability and skills, so
the crew model's solution fixes *which* shifts the crew works (and so coverage and pay) but not *who* works
them. Preferences and fairness only depend on who. Two steps, neither touching coverage or pay:

1. every week ``assign`` made keeps the rules for any member of the crew, so whole weeks are swapped between
   people at the least preference penalty (a linear assignment problem, exact over those weeks);
2. for crews of up to ``MAX_REHAND_PEOPLE``, a CP-SAT model over the crew's people, every personal rule hard
   and every shift handed out exactly once (the counts are equalities), re-combines the shifts into new
   weeks at the least preference penalty plus fairness spreads (exact given the crew's shifts, within its
   time), hinted with step 1.

The crew model leaves out the preference term of crews of several people (it is >= 0), so its bound stays
a valid bound of the plan's objective. What it cannot do: trade a crew's coverage cost against its people's wishes
(a crew of one, or the per-person model, does that in the objective itself).
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Sequence

import numpy as np
from ortools.sat.python import cp_model
from scipy.optimize import linear_sum_assignment

from optimizer.domain import Fairness, PlanningProblem, SolveParams
from optimizer.model.assign import Assignment, restricted
from optimizer.model.build import build_model
from optimizer.model.constraints.registry import PERSONAL_FAMILIES
from optimizer.model.inputs import Crew, ModelInput
from optimizer.model.variables import ShiftVars
from optimizer.wishes import night_mask, weekend_day_mask

WISHES_SHARE = 0.5
"""Share of the time left before the completion reserve that handing shifts to people by wishes may use."""

WISHES_MAX_S = 0.25
"""Most deterministic time one crew's model gets [s]. Measured on week15_60 (crews of 36, 14 and 10): the
36-person crew's night-hour spread is not proven even, so it runs to its limit; 0.25 s kept the bundled
week's weekend spreads (1, 0, 0) and cost week15_60 about 0.6 s in all."""

WALL_GUARD = 4.0
"""Wall time past this multiple of the deterministic limit stops a crew's solve too (a guard against a stall,
not the limit: at 2 a slower machine stopped the bundled week's ft40 crew on wall time before its
deterministic limit, leaving its weekend-day spread at 2 instead of 1, idle and beside a busy loop alike;
at 4 the whole step took 0.62 s idle and 0.79 s beside a busy loop there, spread 1)."""

MAX_REHAND_PEOPLE = 64
"""Largest crew whose shifts are re-combined into new weeks by CP-SAT; larger crews only swap whole weeks
between people (an assignment problem, exact over the weeks ``assign`` made). Measured on week15_500 (crews
of 300, 115 and 85): re-combining took ~10 s of deterministic and wall time and still left 77 of 200 wishes
unmet; swapping weeks meets them in milliseconds."""


def _priced(fairness: Fairness | None) -> bool:
    return (
        fairness is not None and (fairness.weekend_day_cents or fairness.night_hour_cents or fairness.hours_cents) > 0
    )


def honour_wishes(
    problem: PlanningProblem, inp: ModelInput, assignment: Assignment, params: SolveParams, *, deadline: float
) -> Assignment:
    """Return the assignment with each crew's shifts re-handed to its people by wishes and fairness.

    Crews of one, HR-mode crews and crews whose split left shifts unplaced keep their picks; so does any crew
    whose model finds nothing better in its time (the old picks are its hint, so it never gets worse).

    Parameters
    ----------
    problem : PlanningProblem
        The problem (contracts' fairness weights).
    inp : ModelInput
        The crew model's input (``aggregate=True``), with ``wishes``.
    assignment : Assignment
        ``assign``'s picks.
    params : SolveParams
        Seed of the per-crew models.
    deadline : float
        ``time.monotonic()`` by which this step should end; shared among the crews by size.
    """
    todo = [
        crew
        for crew in inp.crews
        if crew.size > 1
        and not crew.optional
        and not any(w in assignment.free_options for w in crew.worker_ids)
        and (
            any(w in inp.wishes for w in crew.worker_ids)
            or _priced(problem.workforce.contracts[crew.contract].fairness)
        )
    ]
    if not todo:
        return assignment
    picks = dict(assignment.picks)
    people_left = sum(c.size for c in todo)
    nights: dict[Fairness, np.ndarray] = {}
    for crew in todo:
        budget = WISHES_SHARE * max(0.0, deadline - time.monotonic()) * crew.size / people_left
        people_left -= crew.size
        fairness = problem.workforce.contracts[crew.contract].fairness
        night = None
        if fairness is not None:
            night = nights.setdefault(fairness, night_mask(inp.grid, fairness.night_start, fairness.night_end))
        current = _swap_weeks(inp, crew, [picks.get(w, ()) for w in crew.worker_ids])
        picks.update(zip(crew.worker_ids, current, strict=True))
        if crew.size > MAX_REHAND_PEOPLE:
            continue
        better = _rehand(inp, crew, current, fairness, night, params, min(WISHES_MAX_S, budget))
        if better is not None:
            picks.update(zip(crew.worker_ids, better, strict=True))
    return dataclasses.replace(assignment, picks=picks)


def _swap_weeks(inp: ModelInput, crew: Crew, weeks: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Return the crew's weeks handed to its people at the least preference penalty (whole weeks swapped).

    Every week ``assign`` made keeps every personal rule for any member of the crew (they share the rules), so
    any permutation of the weeks is feasible: minimising ``sum_i cost[i, week(i)]`` is a linear assignment
    problem, solved exactly (``scipy.optimize.linear_sum_assignment``). Fairness does not change under it.
    """
    wishes = [inp.wishes.get(w) for w in crew.worker_ids]
    if not any(wishes):
        return weeks
    used = sorted({k for week in weeks for k in week})
    column = {k: j for j, k in enumerate(used)}
    # week x option incidence, so each wisher's row of week costs is one matrix product
    incidence = np.zeros((len(weeks), len(used)), dtype=np.int64)
    for j, week in enumerate(weeks):
        for k in week:
            incidence[j, column[k]] += 1
    cost = np.zeros((crew.size, len(weeks)), dtype=np.int64)
    for i, wish in enumerate(wishes):
        if wish is not None:
            per_option = [wish.option_cents(crew.options[k].start, crew.options[k].end) for k in used]
            cost[i] = incidence @ np.array(per_option, dtype=np.int64)
    rows, cols = linear_sum_assignment(cost)
    handed = list(weeks)
    for i, j in zip(rows, cols, strict=True):
        handed[int(i)] = weeks[int(j)]
    return handed


def _rehand(
    inp: ModelInput,
    crew: Crew,
    current: Sequence[tuple[int, ...]],
    fairness: Fairness | None,
    night: np.ndarray | None,
    params: SolveParams,
    time_limit_s: float,
) -> list[tuple[int, ...]] | None:
    """Solve who of a crew takes which of its shifts; return the new picks (indices into the crew's options).

    Variables ``fte[w,k]`` (person w takes used option k), every personal rule hard, and
    ``sum_w fte[w,k] = count[k]`` for every option the crew works. Objective, in cents x 60 so that every
    weight stays an integer: ``60 * sum_w penalty_w`` + ``60 * weekend_day_cents * (max_w - min_w weekend
    days)`` + ``interval_min * night_hour_cents * (max - min night intervals)`` + ``hours_cents * (max - min
    paid minutes)``. Returns None when it finds no solution in ``time_limit_s``.
    """
    counts = Counter(k for p in current for k in p)
    used = sorted(counts)
    if not used or time_limit_s <= 0:
        return None
    sub = restricted(crew, used)
    parts = tuple(dataclasses.replace(sub, crew_id=w, worker_ids=(w,)) for w in crew.worker_ids)
    model_input = dataclasses.replace(inp, crews=parts, required=np.zeros_like(inp.required), gig=None, locked=())
    built = build_model(model_input, families=PERSONAL_FAMILIES)
    m, v = built.cp_model, built.vars
    options = sub.options
    for j, k in enumerate(used):
        taken = cp_model.LinearExpr.sum([v.fte(i)[j] for i in range(len(parts))])
        m.add(taken == counts[k]).with_name(f"count[{crew.crew_id},{k}]")
    objective: list[cp_model.LinearExprT] = []
    for i, w in enumerate(crew.worker_ids):
        wish = inp.wishes.get(w)
        if wish is not None:
            cents = [60 * wish.option_cents(o.start, o.end) for o in options]
            objective.append(cp_model.LinearExpr.weighted_sum(v.fte(i), cents))
    if fairness is not None:
        weekend = weekend_day_mask(inp.grid)
        measures = (
            (60 * fairness.weekend_day_cents, [int(weekend[o.day]) for o in options], "weekend_days"),
            (
                inp.grid.interval_min * fairness.night_hour_cents,
                [int(night[o.start : o.end].sum()) if night is not None else 0 for o in options],
                "night_intervals",
            ),
            (fairness.hours_cents, [o.paid_min for o in options], "paid_min"),
        )
        for weight, per_option, name in measures:
            if weight and any(per_option):
                total = sum(counts[k] * x for k, x in zip(used, per_option, strict=True))
                objective.append(weight * _spread(m, v, len(parts), per_option, total, f"{name}[{crew.crew_id}]"))
    if not objective:
        return None
    m.minimize(cp_model.LinearExpr.sum(objective))
    for i, mine in enumerate(current):
        chosen = set(mine)
        for j, k in enumerate(used):
            m.add_hint(v.fte(i)[j], int(k in chosen))
    solver = cp_model.CpSolver()
    # one worker and a deterministic-time limit: the same seed hands out the same rosters on any machine load
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = time_limit_s
    solver.parameters.max_time_in_seconds = WALL_GUARD * time_limit_s
    solver.parameters.random_seed = params.random_seed
    if solver.solve(m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [tuple(k for j, k in enumerate(used) if solver.value(v.fte(i)[j])) for i in range(len(parts))]


def _spread(
    m: cp_model.CpModel, v: ShiftVars, people: int, per_option: Sequence[int], total: int, name: str
) -> cp_model.LinearExprT:
    """Return ``max_w - min_w`` of ``sum_k per_option[k] * fte[w,k]`` over the people, as a new pair of bounds.

    The shifts are fixed, so the measure's ``total`` over the people is known, and least <= total / people
    <= most: stating it gives the search the bound ``ceil - floor`` at once, so an even spread is proven
    optimal without search.
    """
    most = sum(per_option)
    hi = m.new_int_var(-(-total // people), max(most, -(-total // people)), f"most_{name}")
    lo = m.new_int_var(0, total // people, f"least_{name}")
    for i in range(people):
        value = cp_model.LinearExpr.weighted_sum(v.fte(i), per_option)
        m.add(hi >= value)
        m.add(lo <= value)
    return hi - lo
