"""Hand a crew model's shift counts to people, then complete the per-person plan (breaks, gigs, shortfall).

The crew model (``prepare(..., aggregate=True)``) decides how many of a crew's identical workers take each
shift; it is a relaxation of the per-person model, so its bound is a valid bound for the plan. ``assign``
turns the counts into per-person weeks with a small CP-SAT model per crew that keeps every personal rule
hard and matches the counts as closely as it can (exactly, in every case measured so far). ``personal_input``
then fixes everyone's shifts and re-optimises what is left: break slots, gig micro-shifts and shortfall.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

import numpy as np
from ortools.sat.python import cp_model

from optimizer.domain import SolveParams
from optimizer.model.build import BuiltModel, Family, build_model
from optimizer.model.constraints import add_fte_contract, add_rest_and_days, add_symmetry
from optimizer.model.inputs import Crew, ModelInput
from optimizer.model.solve import SolveOutcome

PERSONAL_FAMILIES: tuple[Family, ...] = (add_fte_contract, add_rest_and_days, add_symmetry)
"""The rules that bind one worker, used to split a crew's counts into people."""


@dataclasses.dataclass(frozen=True, slots=True)
class Assignment:
    """Per-person picks: for each worker id, the indices (into its crew's options) it works."""

    picks: Mapping[str, tuple[int, ...]]
    unmatched_shifts: int
    """Shifts of the crew solution no person could take (0 when the counts split exactly)."""


def _split(crew: Crew) -> tuple[Crew, ...]:
    return tuple(dataclasses.replace(crew, crew_id=wid, worker_ids=(wid,)) for wid in crew.worker_ids)


def _assign_crew(
    inp: ModelInput, crew: Crew, counts: list[int], params: SolveParams, time_limit_s: float
) -> tuple[dict[str, tuple[int, ...]], int]:
    people = dataclasses.replace(inp, crews=_split(crew), required=np.zeros_like(inp.required), gig=None)
    built = build_model(people, families=PERSONAL_FAMILIES)
    m = built.cp_model
    misses = []
    for k, count in enumerate(counts):
        taken = cp_model.LinearExpr.sum([built.vars.fte(i)[k] for i in range(crew.size)])
        miss = m.new_int_var(0, max(count, crew.size), f"miss[{k}]")
        extra = m.new_int_var(0, crew.size, f"extra[{k}]")
        m.add(taken + miss - extra == count).with_name(f"count[{crew.crew_id},{k}]")
        misses.extend((miss, extra))
    m.minimize(cp_model.LinearExpr.sum(misses))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, time_limit_s)
    solver.parameters.num_workers = params.num_workers
    solver.parameters.random_seed = params.random_seed
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return dict.fromkeys(crew.worker_ids, ()), sum(counts)
    picks = {
        wid: tuple(k for k, x in enumerate(built.vars.fte(i)) if solver.value(x))
        for i, wid in enumerate(crew.worker_ids)
    }
    return picks, round(solver.objective_value)


def assign(
    inp: ModelInput, built: BuiltModel, outcome: SolveOutcome, params: SolveParams, *, deadline: float
) -> Assignment:
    """Split each crew's shift counts into per-person weeks that keep every personal rule.

    Parameters
    ----------
    inp, built, outcome
        The crew model and its solution.
    params : SolveParams
        Workers and seed for the per-crew models.
    deadline : float
        ``time.monotonic()`` by which the assignment should be done; shared among crews by size.
    """
    picks: dict[str, tuple[int, ...]] = {}
    unmatched = 0
    big = [c for c in inp.crews if c.size > 1]
    people_left = sum(c.size for c in big)
    for i, crew in enumerate(inp.crews):
        counts = [int(outcome.solver.value(x)) for x in built.vars.fte(i)]
        if crew.size == 1:
            picks[crew.worker_ids[0]] = tuple(k for k, n in enumerate(counts) if n)
            continue
        share = (deadline - time.monotonic()) * crew.size / max(1, people_left)
        people_left -= crew.size
        crew_picks, missed = _assign_crew(inp, crew, counts, params, share)
        picks.update(crew_picks)
        unmatched += missed
    return Assignment(picks=picks, unmatched_shifts=unmatched)


def personal_input(inp: ModelInput, assignment: Assignment) -> ModelInput:
    """Return the per-person model input whose only options are the assigned shifts, each locked.

    Solving it (all families, ``add_locks`` keeping every shift) re-optimises only break slots, gig
    micro-shifts and shortfall.
    """
    crews = []
    locked = []
    for crew in inp.crews:
        for wid in crew.worker_ids:
            taken = assignment.picks.get(wid, ())
            locked.extend((len(crews), k) for k in range(len(taken)))
            crews.append(
                dataclasses.replace(
                    crew,
                    crew_id=wid,
                    worker_ids=(wid,),
                    options=tuple(crew.options[k] for k in taken),
                    rest_limits=(),
                    symmetry_class=-1 - len(crews),
                )
            )
    return dataclasses.replace(inp, crews=tuple(crews), locked=tuple(locked))
