"""Explain an infeasible model in the user's terms: which worker, which rule, which week.

Coverage is soft, so the model is infeasible only when some worker's own rules cannot all hold on the
horizon: a weekly minimum that the start window, shift lengths, availability, rest, consecutive-day cap,
weekends off and absences leave no room for. Each symmetry class is tried alone (one worker, its own rules
only), then with one rule group or one week's minimum relaxed, to name what conflicts.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from ortools.sat.python import cp_model

from optimizer.domain import PlanningProblem
from optimizer.errors import Issue
from optimizer.model.build import Family, build_model
from optimizer.model.constraints.registry import PERSONAL_FAMILIES, family
from optimizer.model.inputs import Crew, ModelInput, WeekLimit

CONTRACT_ONLY: tuple[Family, ...] = (family("fte_contract").add,)
"""The probe that asks whether the contract's shifts alone leave room for its minimums."""

PROBE_TIME_LIMIT_S = 2.0
"""Time limit of one probe model [s]; a one-worker model decides in milliseconds."""


def _feasible(inp: ModelInput, crew: Crew, families: tuple[Family, ...]) -> bool:
    probe = dataclasses.replace(
        inp, crews=(crew,), required=np.zeros_like(inp.required), gig=None, locked=(), service=None
    )
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = PROBE_TIME_LIMIT_S
    return solver.solve(build_model(probe, families=families).cp_model) != cp_model.INFEASIBLE


def _without_minimum(week: WeekLimit) -> WeekLimit:
    return dataclasses.replace(week, min_paid_min=0, min_days=0)


def _describe(problem: PlanningProblem, inp: ModelInput, crew: Crew) -> str:
    person = dataclasses.replace(crew, crew_id=crew.worker_ids[0], worker_ids=crew.worker_ids[:1], optional=False)
    contract = problem.workforce.contracts[crew.contract]
    worker = next(w for w in problem.workforce.workers if w.worker_id == person.worker_ids[0])
    rules = "shift lengths and start window" + (", availability" if worker.availability else "")
    if not _feasible(inp, person, CONTRACT_ONLY):
        reason = f"the {rules} (and absences) leave too few shifts"
    else:
        rules += ", rest and consecutive-day rules" + (", weekends off" if contract.weekends_off else "")
        reason = f"the {rules} (and absences) cannot all hold"
    weeks = [
        wk
        for wk in person.weeks
        if _feasible(
            inp,
            dataclasses.replace(
                person, weeks=tuple(_without_minimum(w) if w is wk else w for w in person.weeks)
            ),
            PERSONAL_FAMILIES,
        )
    ]
    if weeks:
        wk = weeks[0]
        first, last = inp.grid.dates[wk.first_day], inp.grid.dates[wk.last_day]
        where = (
            f"in the week {first.isoformat()}..{last.isoformat()}: at least {wk.min_paid_min / 60:g} h on "
            f"{wk.min_days} days is needed (contract {contract.name!r}, prorated)"
        )
    else:
        where = f"with the minimums of contract {contract.name!r}"
    return f"{reason} {where}"


def explain_infeasible(problem: PlanningProblem, inp: ModelInput) -> list[Issue]:
    """Return one issue per worker whose own rules cannot hold on the horizon, naming the rule and week.

    Workers of one symmetry class share their rules, so each class is probed once and reported for each
    member. An empty list means the conflict is not in any single worker's rules.
    """
    index = {w.worker_id: i for i, w in enumerate(problem.workforce.workers)}
    issues: list[Issue] = []
    seen: dict[int, str | None] = {}
    for crew in inp.crews:
        if crew.symmetry_class not in seen:
            person = dataclasses.replace(
                crew, crew_id=crew.worker_ids[0], worker_ids=crew.worker_ids[:1], optional=False
            )
            ok = crew.optional or _feasible(inp, person, PERSONAL_FAMILIES)
            seen[crew.symmetry_class] = None if ok else _describe(problem, inp, crew)
        problem_text = seen[crew.symmetry_class]
        if problem_text is not None:
            issues.extend(
                Issue(f"workforce.workers[{index[wid]}]", f"({wid}) {problem_text}") for wid in crew.worker_ids
            )
    return issues
