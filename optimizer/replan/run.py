"""Re-plan after a peak: add cover to a published plan with as little change as possible.

``replan`` keeps every published FTE shift exactly (with its break) and every posted gig shift, and adds gig
micro-shifts that start at or after ``now`` plus the lead time. With ``ReplanOptions.allow_extensions`` it may
also extend FTE shifts at one end, paying the added minutes at the overtime rate; with
``allow_voluntary_time_off`` it may release FTE shifts that have not started (unpaid, so their cost is saved).
Nothing that starts before ``now`` changes.

The model is the shiftmix CP-SAT model on a per-person input whose only options are the published shifts
(``optimizer.replan.inputs``), solved with identical published shifts counted together
(``optimizer.replan.counted``) and warm-started from the published plan, then handed back to people. The
result carries the new plan (the format of ``optimizer.plan``), the changes, and a before/after table per
local day on the new demand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import time
from collections import defaultdict
from collections.abc import Sequence

import pandas as pd

from optimizer.domain import (
    DemandInterval,
    Plan,
    PlannedShift,
    PlanningProblem,
    SolveParams,
    TimeOff,
)
from optimizer.errors import InputError, ModelError
from optimizer.kpis import employment, plan_kpis
from optimizer.model import build_model, software_version
from optimizer.model.build import BuiltModel
from optimizer.model.extract import assemble_plan, fte_shifts, plan_coverage
from optimizer.model.guided import GuidedOutcome, complete_start, solve_guided
from optimizer.model.solve import SolveOutcome
from optimizer.replan.changes import day_comparison, plan_changes
from optimizer.replan.counted import count_crews, person_decisions
from optimizer.replan.demand import with_demand
from optimizer.replan.domain import PlanChange, ReplanOffers, ReplanOptions, ReplanResult
from optimizer.replan.inputs import ReplanInput, add_published_hints, index_of, ns_of, replan_input
from optimizer.replan.offers import replan_offers

_GIG_ID = re.compile(r"^gig-(\d+)$")

DEFAULT_OPTIONS = ReplanOptions()
"""Add gig cover only: no extensions, no voluntary time off, the gig pool's lead time, warm start on."""

__all__ = ["DEFAULT_OPTIONS", "replan"]


def replan_digest(
    problem: PlanningProblem, params: SolveParams, published: Plan, now: dt.datetime, options: ReplanOptions
) -> str:
    """Return the SHA-256 of the canonical re-plan inputs: problem, parameters, published plan, now, options."""
    canonical = json.dumps(
        {
            "problem": problem.model_dump(mode="json"),
            "params": params.model_dump(mode="json"),
            "published": published.inputs_digest,
            "published_shifts": [s.model_dump(mode="json") for s in published.shifts],
            "now": now.isoformat(),
            "options": options.model_dump(mode="json"),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _gig_shifts(rinp: ReplanInput, built: BuiltModel, outcome: SolveOutcome) -> list[PlannedShift]:
    """Return the gig shifts of the solution: published ones with their ids, new ones numbered after them."""
    gig = rinp.inp.gig
    if gig is None:
        return []
    grid = rinp.inp.grid
    by_start: dict[pd.Timestamp, list[PlannedShift]] = defaultdict(list)
    for s in rinp.published_gigs:
        by_start[pd.Timestamp(s.start)].append(s)
    used = {s.worker_id for s in rinp.published_gigs}
    numbers = [int(m.group(1)) for wid in used if (m := _GIG_ID.match(wid))]
    counter = max(numbers, default=0)
    out = []
    for t, var in sorted(built.vars.gig_starts().items()):
        start = grid.timestamp(t)
        kept = by_start.get(start, [])
        out.extend(kept)
        for _ in range(int(outcome.solver.value(var)) - len(kept)):
            counter += 1
            while f"gig-{counter:04d}" in used:
                counter += 1
            out.append(
                PlannedShift(
                    worker_id=f"gig-{counter:04d}",
                    kind="gig",
                    start=start.to_pydatetime(),
                    end=grid.timestamp(t + gig.length).to_pydatetime(),
                    paid_minutes=gig.paid_min,
                    cost_cents=gig.cost_cents,
                )
            )
    return out


def _mark_extensions(rinp: ReplanInput, shifts: list[PlannedShift]) -> list[PlannedShift]:
    """Record on each extended shift the minutes added at each end and what they cost as overtime."""
    grid = rinp.inp.grid
    # Keyed by interval indices: most options are extension variants, and turning each into timestamps cost
    # more than the rest of the hand-back on a 500-FTE week.
    extended = {}
    for crew, variants in zip(rinp.inp.crews, rinp.variants, strict=True):
        for option, variant in zip(crew.options, variants, strict=True):
            if variant.before or variant.after:
                extended[crew.worker_ids[0], option.start, option.end] = (option, variant)
    at = index_of(grid.starts.as_unit("ns").asi8, grid.interval_min * 60 * 10**9)
    out = []
    for s in shifts:
        hit = extended.get((s.worker_id, at.get(ns_of(s.start), -1), at.get(ns_of(s.end), -1)))
        if hit is None:
            out.append(s)
            continue
        option, variant = hit
        base = rinp.published[variant.shift]
        step = grid.interval_min
        out.append(
            s.model_copy(
                update={
                    "extended_before_min": base.extended_before_min + variant.before * step,
                    "extended_after_min": base.extended_after_min + variant.after * step,
                    "overtime_cost_cents": base.overtime_cost_cents + option.cost_cents - base.cost_cents,
                }
            )
        )
    return out


def _with_released_time_off(problem: PlanningProblem, changes: Sequence[PlanChange]) -> PlanningProblem:
    """Return the problem with each shift released as VTO recorded as its worker's time off.

    Voluntary time off is time off: recording it lets the re-plan's problem explain the released hours (the
    contract's weekly minimum does not bind a week with time off, in the model and in ``check_plan`` alike) and
    keeps a later re-plan from scheduling the worker back into the released window.
    """
    released: dict[str, list[TimeOff]] = defaultdict(list)
    for c in changes:
        if c.change == "removed" and c.old_start is not None and c.old_end is not None:
            released[c.worker_id].append(TimeOff(start=c.old_start, end=c.old_end))
    if not released:
        return problem
    workers = tuple(
        w.model_copy(
            update={"time_off": tuple(sorted((*w.time_off, *released[w.worker_id]), key=lambda t: t.start))}
        )
        if w.worker_id in released
        else w
        for w in problem.workforce.workers
    )
    return problem.model_copy(update={"workforce": problem.workforce.model_copy(update={"workers": workers})})


def _solve_counted(
    rinp: ReplanInput, params: SolveParams, options: ReplanOptions, *, deadline: float
) -> tuple[BuiltModel, GuidedOutcome, SolveOutcome]:
    """Solve the re-plan on counted crews, then hand the counts to people in the per-person model.

    Returns the per-person model and, for it, the counted solve (its bound is the per-person model's: the
    counted model is an exact reformulation) and an outcome whose values are the handed-back plan, with the
    counted solve's status, objective, bound and time.

    Raises
    ------
    ModelError
        When the handed-back plan costs other than the counted solution (a bug in the grouping).
    """
    counted = count_crews(rinp)
    crew_built = build_model(counted.rinp.inp)
    if options.warm_start:
        add_published_hints(crew_built, counted.rinp)
    # LP-first like plan(): the published shifts (hinted) are completed, then searched from, with the LP
    # relaxation's bound proving the re-plan optimal as soon as it is reached.
    guided = solve_guided(crew_built, params, deadline=deadline, hinted=options.warm_start)
    built = build_model(rinp.inp)
    crew_outcome = guided.outcome
    if not crew_outcome.has_solution:
        return built, guided, crew_outcome
    values = person_decisions(counted, crew_built, crew_outcome.solver.value, built)
    for var, value in values.items():
        built.cp_model.add_hint(var, value)
    # The handed-back decisions are fixed; completing them (breaks per shift type, gig fill, shortfall) is
    # a propagation, not a search, so it gets at least a second whatever the deadline left, and no gap: a
    # completion stopped early could leave shortfall the counted solution does not have.
    exact = params.model_copy(update={"relative_gap": 0.0})
    person = complete_start(built, exact, time_limit_s=max(1.0, deadline - time.monotonic()))
    if person is None or person.objective_cents != crew_outcome.objective_cents:
        got = None if person is None else person.objective_cents
        msg = f"counted re-plan costs {crew_outcome.objective_cents} but handed to people {got}"
        raise ModelError(msg)
    return (
        built,
        guided,
        dataclasses.replace(
            person,
            status=crew_outcome.status,
            best_bound_cents=crew_outcome.best_bound_cents,
            wall_time_s=crew_outcome.wall_time_s,
        ),
    )


def replan(
    problem: PlanningProblem,
    published: Plan,
    new_demand: Sequence[DemandInterval] | pd.DataFrame,
    *,
    now: dt.datetime,
    params: SolveParams,
    options: ReplanOptions = DEFAULT_OPTIONS,
) -> ReplanResult:
    """Re-plan a published plan on new demand, changing as little as the options allow.

    Parameters
    ----------
    problem : PlanningProblem
        The problem the published plan solved.
    published : Plan
        The published plan (``optimizer.plan``'s output, or a previous re-plan).
    new_demand : sequence of DemandInterval or pandas.DataFrame
        New demand for some or all intervals of the horizon (a demand frame: ``interval_start`` index,
        ``volume``, ``aht_s``); intervals it does not cover keep the problem's demand.
    now : datetime.datetime
        The moment of the re-plan, timezone-aware and inside the horizon. Nothing starting before it changes;
        new gigs and extension parts start at or after ``now`` plus the lead time.
    params : SolveParams
        Solver knobs (time limit [s], workers, seed, shortfall penalty).
    options : ReplanOptions, default DEFAULT_OPTIONS
        Extensions, overtime rate, voluntary time off, lead time [min] and warm start; the default adds gigs
        only.

    Returns
    -------
    ReplanResult
        The new problem (new demand) and plan, the published plan's KPIs on the new demand, the changes,
        the before/after table per local day, and the offers (``optimizer.replan.offers``).

    Raises
    ------
    InputError
        When ``now`` is naive or outside the horizon, the published plan does not fit the problem, the new
        demand has rows off the horizon's grid, or the problem has several queues (not supported yet).
    DataError
        When the new demand breaks the demand-frame contract.
    """
    if problem.queues:
        raise InputError.single("plan", "re-planning a several-queue plan is not supported yet; plan it again")
    started = time.monotonic()
    new_problem = with_demand(problem, new_demand)
    rinp = replan_input(new_problem, published, now=now, params=params, options=options)
    staff = employment(new_problem, published.shifts)
    if staff.priced:
        rinp = dataclasses.replace(
            rinp, inp=dataclasses.replace(rinp.inp, employment_cost_cents=staff.fixed_cost_cents)
        )
    built, guided, outcome = _solve_counted(rinp, params, options, deadline=started + params.time_limit_s)
    shifts: tuple[PlannedShift, ...] = ()
    if outcome.has_solution:
        fte = _mark_extensions(rinp, fte_shifts(rinp.inp, built, outcome))
        shifts = tuple(fte + _gig_shifts(rinp, built, outcome))
    digest = replan_digest(new_problem, params, published, now, options)
    new_plan = assemble_plan(
        new_problem,
        params,
        rinp.inp,
        shifts,
        outcome,
        bound=guided.bound_cents,
        digest=digest,
        software_version=software_version(),
        wall_time_s=time.monotonic() - started,
        first_solution_s=None if guided.first_solution_at is None else guided.first_solution_at - started,
        lp_bound_cents=guided.relaxation.bound_cents if guided.relaxation is not None else None,
    )
    before_coverage = plan_coverage(new_problem, rinp.inp, published.shifts)
    grid = rinp.inp.grid
    changes = plan_changes(published.shifts, shifts) if outcome.has_solution else ()
    return ReplanResult(
        problem=_with_released_time_off(new_problem, changes),
        plan=new_plan,
        before=plan_kpis(
            published.shifts, before_coverage, new_problem.interval_min, employment(new_problem, published.shifts)
        ),
        changes=changes,
        days=day_comparison(
            new_problem.timezone,
            new_problem.interval_min,
            (published.shifts, before_coverage),
            (shifts, new_plan.coverage),
        )
        if outcome.has_solution
        else (),
        now=now,
        first_new_start=grid.timestamp(rinp.first_new).to_pydatetime() if rinp.first_new < grid.size else None,
        offers=replan_offers(new_problem, published.shifts, shifts, new_plan.coverage, now)
        if outcome.has_solution
        else ReplanOffers(),
    )
