"""The main job: history → forecast → staffing → CP-SAT plan → KPIs and files.

``run_plan`` glues ``forecasting`` and ``optimizer`` (which never import each other) through the demand
frame: the forecaster writes it, ``optimizer.demand.validate_demand_frame`` checks it, and the rows become
the ``PlanningProblem``'s demand.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import forecasting
from optimizer import check_plan, coverage_frame, plan, schedule_frame
from optimizer.check import Violation
from optimizer.demand import validate_demand_frame
from optimizer.domain import DemandInterval, Plan, PlanningProblem, SolveParams
from optimizer.errors import InputError
from optimizer.export import unmet_frame
from optimizer.grid import build_grid
from scenarios.spec import ForecastSettings, PlanConfig


@dataclass(frozen=True, slots=True)
class ForecastRun:
    """The demand frame of the horizon and how it was produced."""

    demand: pd.DataFrame
    model: str
    backtest: dict[str, object] | None


@dataclass(frozen=True, slots=True)
class PlanRun:
    """Everything one run of the main job produced."""

    config: PlanConfig
    problem: PlanningProblem
    forecast: ForecastRun
    plan: Plan
    violations: tuple[Violation, ...]
    notes: tuple[str, ...] = ()
    """What the user should know about the inputs, e.g. a horizon far after the history."""


STALE_HISTORY_DAYS = 35
"""Days between the history's end and the horizon's start above which a plan run warns that the forecast
extrapolates far beyond its data."""

MAX_LEAD_DAYS = 366
"""Most days between the history's end and the horizon's start: the forecast runs over every interval in
between, so a start decades ahead would take minutes and mean nothing."""


def stale_history_note(history_end: pd.Timestamp, start: dt.date) -> str | None:
    """Return a warning when the horizon starts more than ``STALE_HISTORY_DAYS`` after the history ends."""
    gap_days = (start - history_end.date()).days
    if gap_days <= STALE_HISTORY_DAYS:
        return None
    return (
        f"start_date {start.isoformat()} is {gap_days:,} days after the history ends "
        f"({history_end.date().isoformat()}): the forecast extrapolates that far; give a recent history"
    )


def _history_path(config: PlanConfig, base_dir: Path) -> Path:
    path = Path(config.history)
    return path if path.is_absolute() else base_dir / path


def horizon_start(config: PlanConfig, history: pd.DataFrame) -> dt.date:
    """Return the first day to plan: the configured one, or the local day after the history ends."""
    if config.start_date is not None:
        return config.start_date
    last = pd.DatetimeIndex(history.index)[-1].tz_convert(config.timezone)
    return last.date() + dt.timedelta(days=1)


def forecast_demand(
    history: pd.DataFrame, settings: ForecastSettings, starts: pd.DatetimeIndex
) -> ForecastRun:
    """Forecast volume and AHT for exactly the intervals in ``starts`` and return a validated demand frame.

    With ``model="auto"`` the forecaster is chosen by a rolling-origin backtest whose report is kept.

    Raises
    ------
    InputError
        When the horizon does not start after the history.
    forecasting.ForecastingError
        On an invalid history or forecaster setting.
    """
    if settings.model == "auto":
        spec, report = forecasting.choose_forecaster(
            history, country=settings.country, folds=settings.backtest_folds
        )
        backtest: dict[str, object] | None = report.to_dict()
    else:
        spec = forecasting.make_forecaster(settings.model, country=settings.country)
        backtest = None
    fitted = spec.fit(history)
    step = pd.Timedelta(minutes=fitted.interval_min)
    if starts[0] < fitted.history_end:
        problem = (
            f"the horizon starts {starts[0].isoformat()}, inside the history "
            f"(ends {fitted.history_end.isoformat()})"
        )
        raise InputError.single("start_date", problem)
    lead_days = (starts[0] - fitted.history_end) / pd.Timedelta(days=1)
    if lead_days > MAX_LEAD_DAYS:
        problem = (
            f"the horizon starts {lead_days:,.0f} days after the history ends "
            f"({fitted.history_end.date().isoformat()}); at most {MAX_LEAD_DAYS} are allowed: give a recent history"
        )
        raise InputError.single("start_date", problem)
    periods = int((starts[-1] - fitted.history_end) / step) + 1
    quantiles = (settings.quantile,) if settings.quantile is not None else ()
    frame = fitted.forecast(periods, quantiles=quantiles).reindex(starts)
    if settings.quantile is not None:
        frame = frame.assign(volume=frame[forecasting.quantile_column(settings.quantile)])
    demand = validate_demand_frame(frame[["volume", "aht_s"]], interval_min=fitted.interval_min)
    return ForecastRun(demand=demand, model=spec.name, backtest=backtest)


def problem_from(
    config: PlanConfig, start_date: dt.date, demand: pd.DataFrame, interval_min: int
) -> PlanningProblem:
    """Build the planning problem of a config from a demand frame covering its horizon."""
    rows = tuple(
        DemandInterval(interval_start=ts.to_pydatetime(), volume=float(v), aht_s=float(a))
        for ts, v, a in zip(demand.index, demand["volume"], demand["aht_s"], strict=True)
    )
    return PlanningProblem(
        timezone=config.timezone,
        start_date=start_date,
        days=config.days,
        interval_min=interval_min,  # type: ignore[arg-type]
        demand=rows,
        service_target=config.service_target,
        automation=config.automation,
        workforce=config.workforce(),
        headcount=config.headcount,
    )


def run_plan(config: PlanConfig, base_dir: Path, params: SolveParams | None = None) -> PlanRun:
    """Run the main job for a config: forecast its horizon, plan it, and check the plan independently.

    Raises
    ------
    InputError, forecasting.ForecastingError
        On bad inputs (they name the field).
    """
    history = forecasting.load_history(
        _history_path(config, base_dir), timezone=config.timezone, max_rows=config.forecast.max_history_rows
    )
    index = pd.DatetimeIndex(history.index)
    interval_min = int((index[1] - index[0]) / pd.Timedelta(minutes=1))
    start = horizon_start(config, history)
    note = stale_history_note((index[-1] + (index[1] - index[0])).tz_convert(config.timezone), start)
    grid = build_grid(config.timezone, start, config.days, interval_min)
    fc = forecast_demand(history, config.forecast, grid.starts)
    problem = problem_from(config, start, fc.demand, interval_min)
    params = params or config.solve
    result = plan(problem, params)
    return PlanRun(
        config=config,
        problem=problem,
        forecast=fc,
        plan=result,
        violations=tuple(check_plan(problem, result, params)),
        notes=(note,) if note else (),
    )


def write_outputs(run: PlanRun, out_dir: Path) -> list[Path]:
    """Write ``schedule.csv``, ``coverage.csv``, ``unmet.csv`` (runs of understaffed intervals) and ``plan.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    schedule = out_dir / "schedule.csv"
    coverage = out_dir / "coverage.csv"
    unmet = out_dir / "unmet.csv"
    plan_json = out_dir / "plan.json"
    schedule_frame(run.plan).to_csv(schedule, index=False)
    coverage_frame(run.plan).to_csv(coverage, index=False)
    unmet_frame(run.plan).to_csv(unmet, index=False)
    document = {
        "currency": run.config.currency,
        "plan": run.plan.model_dump(mode="json"),
        "problem": run.problem.model_dump(mode="json"),
        "forecast": {"model": run.forecast.model, "backtest": run.forecast.backtest},
        "check": [str(v) for v in run.violations],
    }
    plan_json.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return [schedule, coverage, unmet, plan_json]
