"""Run every plan of a scenario in parallel: forecast each distinct horizon once, then solve the plans.

The work is split like ``scenarios.pipeline.run_plan`` (history → forecast → staffing → CP-SAT plan →
independent check) but in two phases, so that variations that do not change the history, horizon or
forecast settings share one fitted forecast:

1. one *forecast task* per distinct ``ForecastJob`` (history file, time zone, horizon, forecast settings);
2. in this process, each run's forecast is turned into its demand (baseline automation gross-up and demand
   uplifts, :func:`adjust_demand`) and its ``PlanningProblem`` (``pipeline.problem_from``);
3. one *plan task* per run: ``optimizer.plan`` then ``optimizer.check_plan``.

Tasks run on a :mod:`scenarios.backends` backend; each solve gets ``cpus // parallel tasks`` CP-SAT threads
(never more than its config's ``solve.num_workers``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import ValidationError
from tqdm import tqdm

from forecasting.errors import ForecastingError
from optimizer import check_plan, plan
from optimizer.check import Violation
from optimizer.demand import DemandUplift, uplift_factors, validate_demand_frame
from optimizer.domain import Automation, Plan, PlanningProblem, SolveParams, SolveStatus
from optimizer.errors import InputError, ShiftmixError
from scenarios.backends import Backend, BackendName, make_backend
from scenarios.derive import DerivedPlan, prepare_scenario
from scenarios.pipeline import ForecastRun, Horizon, PlanRun, forecast_horizon, problem_from, resolve_path
from scenarios.scenario import Scenario
from scenarios.spec import ForecastSettings, PlanConfig

_SOLVED = tuple(s for s in SolveStatus if s.has_plan)


@dataclass(frozen=True, slots=True)
class ForecastJob:
    """What a forecast depends on; runs with equal jobs share one forecast."""

    history: Path | None
    demand: Path | None
    gaps: str
    timezone: str
    start_date: dt.date | None
    days: int
    settings: ForecastSettings

    @classmethod
    def of(cls, config: PlanConfig, base_dir: Path) -> ForecastJob:
        """Return the forecast job of a plan config whose file paths start at ``base_dir``."""
        history = resolve_path(config.history, base_dir).resolve() if config.history is not None else None
        demand = resolve_path(config.demand, base_dir).resolve() if config.demand is not None else None
        return cls(history, demand, config.gaps, config.timezone, config.start_date, config.days, config.forecast)


@dataclass(frozen=True, slots=True)
class TaskFailure:
    """A task that failed on bad input; ``message`` is ``field: problem``."""

    message: str


@dataclass(frozen=True, slots=True)
class VariationResult:
    """One run of a scenario: what it changed, and its plan (``run``) or why there is none (``error``)."""

    name: str
    differs: str
    config: PlanConfig
    demand_uplift_ratio: float
    run: PlanRun | None
    error: str | None

    @property
    def status(self) -> str:
        """Solver status (``OPTIMAL``, ``FEASIBLE``, …), or ``ERROR`` when the run failed on its input."""
        return "ERROR" if self.run is None else self.run.plan.solver.status

    @property
    def solved(self) -> bool:
        """Whether a plan was found and it passed the independent check."""
        return self.run is not None and self.status in _SOLVED and not self.run.violations


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """Every run of a scenario, the base first, and how they were run."""

    scenario: Scenario
    variations: tuple[VariationResult, ...]
    backend: str
    parallel_tasks: int
    solver_threads: int
    forecasts_fitted: int
    wall_time_s: float

    @property
    def base(self) -> VariationResult:
        """The base run."""
        return self.variations[0]


def _forecast_task(task: tuple[ForecastJob, PlanConfig]) -> Horizon | TaskFailure:
    job, config = task
    try:
        return forecast_horizon(config, job.history, job.demand)
    except (ShiftmixError, ForecastingError) as exc:
        return TaskFailure(str(exc))


def _plan_task(task: tuple[PlanningProblem, SolveParams]) -> tuple[Plan, tuple[Violation, ...]] | TaskFailure:
    problem, params = task
    try:
        result = plan(problem, params)
    except ShiftmixError as exc:
        return TaskFailure(str(exc))
    return result, tuple(check_plan(problem, result, params))


def adjust_demand(
    demand: pd.DataFrame,
    timezone: str,
    baseline: Automation | None,
    uplifts: tuple[DemandUplift, ...],
) -> tuple[pd.DataFrame, float]:
    """Return the demand of all contacts for a run, and the volume ratio its uplifts add.

    Parameters
    ----------
    demand : pandas.DataFrame
        Forecast demand frame of the contacts the history recorded (``volume``, ``aht_s``).
    timezone : str
        IANA zone whose local days and times the uplifts refer to.
    baseline : Automation or None
        Automation in effect when the history was recorded; ``None`` for none.
    uplifts : tuple of DemandUplift
        Volume multipliers; overlapping ones multiply.

    Returns
    -------
    demand : pandas.DataFrame
        ``volume / (1 - baseline.containment) x uplift`` and ``aht_s / (1 + baseline.escalated_aht_uplift)``:
        the contacts *before* the bot, which the optimizer turns back into human demand with the run's own
        automation (``optimizer.staffing.human_demand``).
    uplift_ratio : float
        Uplifted over forecast volume of the horizon (1.0 without uplifts).
    """
    out = demand[["volume", "aht_s"]].copy()
    if baseline is not None:
        out["volume"] = out["volume"] / (1.0 - baseline.containment)
        out["aht_s"] = out["aht_s"] / (1.0 + baseline.escalated_aht_uplift)
    factor = uplift_factors(pd.DatetimeIndex(out.index), uplifts, timezone)
    before = float(out["volume"].sum())
    out["volume"] = out["volume"] * factor
    ratio = float(out["volume"].sum()) / before if before > 0 else 1.0
    return validate_demand_frame(out), ratio


def problem_for(run: DerivedPlan, horizon: Horizon) -> tuple[PlanningProblem, float]:
    """Return a run's planning problem on a forecast horizon, and its demand uplift ratio.

    Raises
    ------
    InputError, pydantic.ValidationError
        When the run's config does not fit the horizon (e.g. shift lengths off the interval grid).
    """
    if run.config.queues and run.demand_uplift is not None:
        raise InputError.single("demand_uplift", "is not supported with several queues yet; plan each queue's demand")
    demand, ratio = adjust_demand(
        horizon.forecast.demand, run.config.timezone, run.baseline_automation, run.demand_uplift
    )
    problem = problem_from(run.config, horizon.start_date, horizon.interval_min, horizon.forecast, demand)
    return problem, ratio


def _threads(cpus: int, slots: int, tasks: int) -> int:
    return max(1, cpus // max(1, min(slots, tasks)))


def _with_threads(params: SolveParams, threads: int) -> SolveParams:
    return params.model_copy(update={"num_workers": min(params.num_workers, threads)})


def _bar(total: int, desc: str, unit: str, progress: bool) -> tqdm:
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not progress)


def _fit_forecasts(
    pool: Backend, distinct: dict[ForecastJob, PlanConfig], progress: bool
) -> dict[ForecastJob, Horizon | TaskFailure]:
    items = list(distinct.items())
    horizons: dict[ForecastJob, Horizon | TaskFailure] = {}
    threads = _threads(pool.cpus, pool.slots, len(items))
    with _bar(len(items), "forecast", "fit", progress) as bar:
        for i, outcome in pool.map_unordered(_forecast_task, items, threads):
            horizons[items[i][0]] = outcome
            bar.update()
    return horizons


@dataclass(frozen=True, slots=True)
class _Built:
    problem: PlanningProblem
    uplift_ratio: float
    forecast: ForecastRun


def _build(run: DerivedPlan, horizon: Horizon | TaskFailure) -> _Built | TaskFailure:
    if isinstance(horizon, TaskFailure):
        return horizon
    try:
        problem, ratio = problem_for(run, horizon)
    except ShiftmixError as exc:
        return TaskFailure(str(exc))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        return TaskFailure(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    return _Built(problem, ratio, horizon.forecast)


def _solve_some(
    pool: Backend,
    names: list[str],
    tasks: list[tuple[PlanningProblem, SolveParams]],
    which: list[int],
    threads: int,
    progress: bool,
) -> dict[int, tuple[Plan, tuple[Violation, ...]] | TaskFailure]:
    """Solve the tasks at the indices ``which``; return their outcomes by index into ``tasks``."""
    out: dict[int, tuple[Plan, tuple[Violation, ...]] | TaskFailure] = {}
    with _bar(len(which), "plans", "plan", progress) as bar:
        for j, outcome in pool.map_unordered(_plan_task, [tasks[k] for k in which], threads):
            k = which[j]
            out[k] = outcome
            status = "ERROR" if isinstance(outcome, TaskFailure) else outcome[0].solver.status
            bar.set_postfix_str(f"{names[k]}: {status}")
            bar.update()
    return out


LEVEL_DECIMALS = 4
"""The base's realised service level is rounded down to this many decimals, so the base plan meets it too."""


def _realised_level(outcome: tuple[Plan, tuple[Violation, ...]] | TaskFailure | None) -> float | None:
    """Return the horizon-wide service level a solved base plan realised, rounded down (None without a plan)."""
    if not isinstance(outcome, tuple) or outcome[0].solver.objective_cents is None:
        return None
    scale = 10**LEVEL_DECIMALS
    return math.floor(outcome[0].kpis.service_level * scale) / scale


def run_scenario(
    scenario: Scenario,
    base_dir: Path,
    *,
    backend: BackendName = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
) -> ScenarioResult:
    """Run the base and every variation of a scenario and collect their plans.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    base_dir : Path
        Folder of the scenario file (relative ``base_config`` and inline history paths start here).
    backend : {"local", "ray"}
        ``local``: a process pool on this machine (``jobs=1`` runs in this process); ``ray``: a Ray cluster.
    jobs : int, optional
        Tasks at once; default one per core (or per cluster CPU).
    address : str, optional
        Ray cluster address; default starts a local Ray instance for the run.
    progress : bool
        Show progress bars on stderr.

    Returns
    -------
    ScenarioResult
        One result per run, the base first. A variation that fails on its input has ``error`` set.

    Raises
    ------
    InputError
        On an invalid scenario (the field is named), a missing ray, or a base run that fails on its input.
    """
    started = time.perf_counter()
    prepared = prepare_scenario(scenario, base_dir)
    runs = prepared.runs
    jobs_of = [ForecastJob.of(r.config, prepared.base_dir) for r in runs]
    distinct: dict[ForecastJob, PlanConfig] = {}
    for run, job in zip(runs, jobs_of, strict=True):
        distinct.setdefault(job, run.config)
    with make_backend(backend, jobs=jobs, address=address) as pool:
        horizons = _fit_forecasts(pool, distinct, progress)
        built = [_build(run, horizons[job]) for run, job in zip(runs, jobs_of, strict=True)]
        base = built[0]
        if isinstance(base, TaskFailure):
            field = "base"
            raise InputError.single(field, base.message)
        ready = {i: b for i, b in enumerate(built) if isinstance(b, _Built)}
        order = list(ready)
        threads = _threads(pool.cpus, pool.slots, len(order))
        tasks = [(ready[i].problem, _with_threads(runs[i].config.solve, threads)) for i in order]
        # Runs at the base's realised level wait for the base; both rounds use the same threads per solve.
        later = [k for k, i in enumerate(order) if runs[i].service_level_of_base]
        first = [k for k in range(len(order)) if k not in later]
        solved = _solve_some(pool, [runs[i].name for i in order], tasks, first, threads, progress)
        if later:
            level = _realised_level(solved.get(0))
            for k in later:
                i = order[k]
                if level is None:
                    solved[k] = TaskFailure("service_level_of_base: the base run has no plan to take the level from")
                    continue
                target = ready[i].problem.service_target.model_copy(update={"service_level": level})
                ready[i] = dataclasses.replace(
                    ready[i], problem=ready[i].problem.model_copy(update={"service_target": target})
                )
                tasks[k] = (ready[i].problem, tasks[k][1])
            todo = [k for k in later if k not in solved]
            solved.update(_solve_some(pool, [runs[i].name for i in order], tasks, todo, threads, progress))
        parallel = min(pool.slots, max(1, len(tasks)))
        backend_name = type(pool).__name__.removesuffix("Backend").lower()
    outcomes: list[_Built | TaskFailure | tuple[Plan, tuple[Violation, ...]]] = list(built)
    for k, i in enumerate(order):
        outcomes[i] = solved[k]
    results = []
    for i, (run, outcome) in enumerate(zip(runs, outcomes, strict=True)):
        plan_run = None
        if isinstance(outcome, tuple):
            got, params = ready[i], tasks[order.index(i)][1]
            config = run.config.model_copy(update={"solve": params})
            plan_run = PlanRun(config, got.problem, got.forecast, outcome[0], outcome[1])
        error = outcome.message if isinstance(outcome, TaskFailure) else None
        ratio = ready[i].uplift_ratio if i in ready else 1.0
        results.append(VariationResult(run.name, run.differs, run.config, ratio, plan_run, error))
    return ScenarioResult(
        scenario=scenario,
        variations=tuple(results),
        backend=backend_name,
        parallel_tasks=parallel,
        solver_threads=threads,
        forecasts_fitted=len(distinct),
        wall_time_s=time.perf_counter() - started,
    )


__all__ = [
    "ForecastJob",
    "Horizon",
    "ScenarioResult",
    "TaskFailure",
    "VariationResult",
    "adjust_demand",
    "problem_for",
    "run_scenario",
]
