"""prepare(): domain problem → ModelInput, the fully prepared integer data the CP-SAT model iterates over.

All pandas, time-zone and unit work happens here, before CP-SAT: the interval grid, each worker's candidate
shifts (interval indices, paid minutes, cost in cents, allowed break starts), rest conflicts, weekly limits,
the gig start grid and caps, and the required agents per interval from the staffing maths.

- ``model_input``: ``ModelInput`` and the records it holds (crews, shift types and options, limits, gig pool).
- ``shifts``: each worker's candidate shifts with their break windows, and the gig start grid.
- ``limits``: each crew's labour-rule limits (weekly hours and days, rest cuts, weekends off).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from optimizer.demand import demand_frame
from optimizer.domain import GigPool, PlanningProblem, SolveParams
from optimizer.errors import InputError, Issue
from optimizer.grid import align_demand, build_grid
from optimizer.horizon_goal import plan_goal
from optimizer.model.inputs.limits import MAX_WEEKEND_PATTERNS, day_choices, rest_limits, week_limits, weekends
from optimizer.model.inputs.model_input import (
    FILL_RATE_SCALE,
    Crew,
    GigInput,
    KeptShift,
    ModelInput,
    QueueInput,
    RestLimit,
    ShiftOption,
    ShiftType,
    WeekendLimit,
    WeekendPattern,
    WeekendSlot,
    WeekLimit,
)
from optimizer.model.inputs.shifts import availability_counts, gig_input, within_availability, worker_options
from optimizer.requirement import QueueNeed, people_demand, queue_needs, staff_needed
from optimizer.wishes import preference_cents

__all__ = [
    "FILL_RATE_SCALE",
    "MAX_WEEKEND_PATTERNS",
    "SHORTFALL_PENALTY_FACTOR",
    "Crew",
    "GigInput",
    "KeptShift",
    "ModelInput",
    "QueueInput",
    "RestLimit",
    "ShiftOption",
    "ShiftType",
    "WeekLimit",
    "WeekendLimit",
    "WeekendPattern",
    "WeekendSlot",
    "availability_counts",
    "day_choices",
    "prepare",
    "shortfall_penalty_cents",
    "within_availability",
]

SHORTFALL_PENALTY_FACTOR = 10
"""Default shortfall penalty as a multiple of the dearest hourly rate (explicit, so plans can explain it)."""


def shortfall_penalty_cents(problem: PlanningProblem, params: SolveParams) -> int:
    """Return the penalty per agent-interval below the requirement [cents]."""
    per_hour = params.shortfall_penalty_per_hour_cents
    if per_hour is None:
        rates = [c.cost_per_hour_cents for c in problem.workforce.contracts]
        if problem.workforce.gig_pool is not None:
            rates.append(problem.workforce.gig_pool.cost_per_hour_cents)
        per_hour = SHORTFALL_PENALTY_FACTOR * max(rates)
    return max(1, round(per_hour * problem.interval_min / 60))


def prepare(problem: PlanningProblem, params: SolveParams, *, aggregate: bool = False) -> ModelInput:
    """Turn a planning problem into the integer data the CP-SAT model needs.

    With ``aggregate=False`` every worker is a crew of one (the exact per-person model); with
    ``aggregate=True`` workers with the same contract and absences form one crew modelled by counts
    (a relaxation whose plans ``optimizer.model.assign`` turns into per-person shifts).

    Raises
    ------
    InputError
        When demand rows do not match the horizon's grid, or a worker's contract leaves no shift to work.
    """
    grid = build_grid(problem.timezone, problem.start_date, problem.days, problem.interval_min)
    needs = queue_needs(problem)
    for need in needs:
        align_demand(grid, pd.DatetimeIndex(need.people.index))
    demand = demand_frame(problem.grid_rows(), timezone=problem.timezone)
    align_demand(grid, pd.DatetimeIndex(demand.index))
    staffing = staff_needed(demand, problem.service_target, problem.automation, interval_min=problem.interval_min)
    queue_index = {name: q for q, name in enumerate(problem.queue_names)}
    every = frozenset(range(len(needs)))
    skill_groups: dict[frozenset[int], int] = {}

    def group_of(skills: tuple[str, ...] | None) -> int:
        key = every if skills is None else frozenset(queue_index[s] for s in skills)
        return skill_groups.setdefault(key, len(skill_groups)) if needs else 0

    types: dict[ShiftType, int] = {}
    contracts = problem.workforce.contracts
    contract_index = {c.name: i for i, c in enumerate(contracts)}
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, w in enumerate(problem.workforce.workers):
        key = (w.contract, tuple((o.start, o.end) for o in w.time_off), w.availability, w.skills)
        groups.setdefault(key, []).append(i)
    crews: list[Crew] = []
    issues: list[Issue] = []
    for symmetry_class, members in enumerate(groups.values()):
        first = problem.workforce.workers[members[0]]
        contract = contracts[contract_index[first.contract]]
        skill_group = group_of(problem.workforce.skills_of(first))
        options, workable = worker_options(grid, contract, first, types, skill_group)
        weeks = week_limits(grid, contract, workable)
        slots, weekend_limits, patterns = weekends(grid, contract, options, weeks, crew=aggregate and len(members) > 1)
        if not options and any(wk.min_paid_min > 0 for wk in weeks):
            issues.extend(
                Issue(f"workforce.workers[{i}]", "has minimum hours but no shift fits the horizon") for i in members
            )
            continue
        rest = rest_limits(options, math.ceil(contract.min_rest_min / grid.interval_min))
        ids = [problem.workforce.workers[i].worker_id for i in members]
        batches = [ids] if aggregate else [[wid] for wid in ids]
        crews.extend(
            Crew(
                crew_id=batch[0] if len(batch) == 1 else f"{first.contract}*{len(batch)}@{batch[0]}",
                worker_ids=tuple(batch),
                contract=contract_index[first.contract],
                options=options,
                rest_limits=rest,
                weeks=weeks,
                max_consecutive_days=contract.max_consecutive_days,
                symmetry_class=symmetry_class,
                weekend_slots=slots,
                weekend_limits=weekend_limits,
                weekend_patterns=patterns,
                optional=problem.headcount == "optimise",
                fixed_cost_cents=contract.fixed_cost_cents(problem.days),
                skill_group=skill_group,
            )
            for batch in batches
        )
    if issues:
        raise InputError(issues)

    pool = problem.workforce.gig_pool
    penalty = shortfall_penalty_cents(problem, params)
    required = staffing["required"].to_numpy(dtype=np.int64)
    # Several queues take a share confidence into each queue's requirement (``queue_needs``), not a goal.
    service = (
        None if needs else plan_goal(problem, people_demand(problem), required, shortfall_penalty_cents=penalty)
    )
    gig = gig_input(grid, pool) if pool is not None else None
    if needs:
        required = np.zeros(grid.size, dtype=np.int64)  # the queues family covers each queue's need
        if gig is not None and pool is not None:
            gig = dataclasses.replace(gig, skills=frozenset(queue_index[s] for s in pool.skills or problem.queue_names))
    return ModelInput(
        grid=grid,
        required=required,
        volume=staffing["volume"].to_numpy(dtype=float),
        aht_s=staffing["aht_s"].to_numpy(dtype=float),
        shift_types=tuple(types),
        crews=tuple(crews),
        gig=gig,
        shortfall_penalty_cents=penalty,
        service=service,
        queues=tuple(_queue_input(n, pool) for n in needs),
        skill_groups=tuple(skill_groups),
        wishes=preference_cents(problem, grid),
    )


def _queue_input(need: QueueNeed, pool: GigPool | None) -> QueueInput:
    """Return one queue's need in the model's integers."""
    cap = pool.max_per_queue.get(need.name) if pool is not None else None
    if need.live:
        return QueueInput(need.name, False, need.required, None, cap)
    work = need.units()
    return QueueInput(need.name, True, np.zeros_like(need.required), work, cap)
