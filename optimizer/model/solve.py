"""Solve a built model with CP-SAT under a time limit, a watchdog and a fixed seed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata

from ortools.sat.python import cp_model

from optimizer.domain import SolveParams, SolveStatus
from optimizer.model.build import BuiltModel

WATCHDOG_GRACE_S = 2.0
"""How long past the time limit the watchdog waits before stopping the search itself [s]."""

SOLVER_VERSION = f"ortools {metadata.version('ortools')} CP-SAT"


@dataclass(frozen=True, slots=True)
class Progress:
    """An improving solution seen during the search."""

    objective_cents: int
    best_bound_cents: int
    wall_time_s: float
    read_decisions: Callable[[], dict[str, int]] | None = None
    """Read the solution's non-zero shift decisions by name (``ShiftVars.decisions()``); call it only inside
    ``on_progress``, while the solution is current. Reading costs about a microsecond per decision, so a
    caller that keeps solutions (a job's checkpoint) reads only the ones it keeps."""


@dataclass(frozen=True, slots=True)
class SolveOutcome:
    """What the solver returned: status, objective, bound, time, and the solver to read values from."""

    status: SolveStatus
    objective_cents: int | None
    best_bound_cents: int | None
    wall_time_s: float
    solver: cp_model.CpSolver

    @property
    def has_solution(self) -> bool:
        """Whether values can be read."""
        return self.status.has_plan

    @property
    def gap_ratio(self) -> float | None:
        """Relative gap between objective and bound; 0 when optimal."""
        if self.objective_cents is None or self.best_bound_cents is None:
            return None
        if self.status == SolveStatus.OPTIMAL:
            return 0.0
        return max(0.0, (self.objective_cents - self.best_bound_cents) / max(1, abs(self.objective_cents)))


def solution_decisions(
    decisions: Mapping[str, cp_model.IntVar], value: Callable[[cp_model.IntVar], int]
) -> dict[str, int]:
    """Return the non-zero values of shift decisions by name; ``value`` reads a solver's or a callback's."""
    return {name: v for name, var in decisions.items() if (v := int(value(var)))}


def hint_decisions(built: BuiltModel, decisions: Mapping[str, int]) -> bool:
    """Hint every shift decision with its value in ``decisions`` (0 where it has none); ``False`` if foreign.

    ``decisions`` is a solution of the same model (:func:`solution_decisions`), e.g. a job's checkpoint. When it
    names a decision this model does not have, it was written for another model: nothing is hinted.
    """
    known = built.vars.decisions()
    if not decisions.keys() <= known.keys():
        return False
    m = built.cp_model
    m.clear_hints()
    for name, var in known.items():
        m.add_hint(var, decisions.get(name, 0))
    return True


class _ProgressCallback(cp_model.CpSolverSolutionCallback):
    def __init__(self, sink: Callable[[Progress], None], decisions: Mapping[str, cp_model.IntVar]) -> None:
        super().__init__()
        self._sink = sink
        self._decisions = decisions

    def on_solution_callback(self) -> None:
        self._sink(
            Progress(
                round(self.objective_value),
                round(self.best_objective_bound),
                float(self.wall_time),
                read_decisions=lambda: solution_decisions(self._decisions, self.value),
            )
        )


def add_hint_from(target: BuiltModel, source: BuiltModel, outcome: SolveOutcome) -> int:
    """Hint ``target``'s shift decisions with the values they have in ``source``'s solution; return how many.

    Decisions are matched by name, so the two models must share crews, options and gig starts.
    """
    values = {name: outcome.solver.value(var) for name, var in source.vars.decisions().items()}
    hinted = 0
    for name, var in target.vars.decisions().items():
        if name in values:
            target.cp_model.add_hint(var, values[name])
            hinted += 1
    return hinted


def configure(solver: cp_model.CpSolver, params: SolveParams) -> None:
    """Apply solve parameters to a CP-SAT solver."""
    solver.parameters.max_time_in_seconds = params.time_limit_s
    solver.parameters.relative_gap_limit = params.relative_gap
    solver.parameters.num_workers = params.num_workers
    solver.parameters.random_seed = params.random_seed


def solve(
    built: BuiltModel,
    params: SolveParams,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    stop_event: threading.Event | None = None,
) -> SolveOutcome:
    """Solve the model; a watchdog stops the search if CP-SAT overruns its limit, or when ``stop_event`` is set.

    Parameters
    ----------
    built : BuiltModel
        The model to solve.
    params : SolveParams
        Time limit [s], gap, workers and seed.
    on_progress : callable, optional
        Called with each improving solution.
    stop_event : threading.Event, optional
        Set it to stop the search early and keep the best plan found.
    """
    solver = cp_model.CpSolver()
    configure(solver, params)
    done = threading.Event()

    def watchdog() -> None:
        deadline = time.monotonic() + params.time_limit_s + WATCHDOG_GRACE_S
        while not done.is_set():
            if time.monotonic() >= deadline or (stop_event is not None and stop_event.is_set()):
                solver.stop_search()
                return
            done.wait(0.05)

    guard = threading.Thread(target=watchdog, name="cp-sat-watchdog", daemon=True)
    guard.start()
    started = time.perf_counter()
    try:
        callback = _ProgressCallback(on_progress, built.vars.decisions()) if on_progress is not None else None
        code = solver.solve(built.cp_model, callback)
    finally:
        done.set()
        guard.join()
    wall = time.perf_counter() - started
    status = SolveStatus(solver.status_name(code))
    found = status.has_plan
    return SolveOutcome(
        status=status,
        objective_cents=round(solver.objective_value) if found else None,
        best_bound_cents=round(solver.best_objective_bound) if found else None,
        wall_time_s=wall,
        solver=solver,
    )
