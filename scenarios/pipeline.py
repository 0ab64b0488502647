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
from optimizer.demand import demand_rows, validate_demand_frame
from optimizer.domain import Plan, PlanningProblem, SolveParams
from optimizer.errors import InputError
from optimizer.export import unmet_frame
from optimizer.grid import build_grid
from optimizer.risk import at_risk_frame, expected_share_below, risk_threshold
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


def _history_path(config: PlanConfig, base_dir: Path) -> Path:
    path = Path(config.history)
    return path if path.is_absolute() else base_dir / path


@dataclass(frozen=True, slots=True)
class Horizon:
    """A forecast horizon: its demand of *recorded* contacts, first day and interval length [min]."""

    forecast: ForecastRun
    start_date: dt.date
    interval_min: int


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
    periods = int((starts[-1] - fitted.history_end) / step) + 1
    quantiles = (settings.quantile,) if settings.quantile is not None else ()
    frame = fitted.forecast(periods, quantiles=quantiles).reindex(starts)
    if settings.quantile is not None:
        frame = frame.assign(volume=frame[forecasting.quantile_column(settings.quantile)])
    demand = validate_demand_frame(frame[["volume", "aht_s"]], interval_min=fitted.interval_min)
    return ForecastRun(demand=demand, model=spec.name, backtest=backtest)


def forecast_horizon(config: PlanConfig, history_path: Path) -> Horizon:
    """Load a config's history and forecast its horizon on the history's interval grid.

    Raises
    ------
    InputError, forecasting.ForecastingError
        On a bad history, horizon or forecaster setting (they name the field).
    """
    history = forecasting.load_history(history_path, timezone=config.timezone)
    interval_min = forecasting.infer_interval_min(history.index)
    start = horizon_start(config, history)
    grid = build_grid(config.timezone, start, config.days, interval_min)
    return Horizon(forecast_demand(history, config.forecast, grid.starts), start, interval_min)


def problem_from(
    config: PlanConfig, start_date: dt.date, demand: pd.DataFrame, interval_min: int
) -> PlanningProblem:
    """Build the planning problem of a config from a demand frame covering its horizon."""
    return PlanningProblem(
        timezone=config.timezone,
        start_date=start_date,
        days=config.days,
        interval_min=interval_min,  # type: ignore[arg-type]
        demand=demand_rows(demand),
        service_target=config.service_target,
        automation=config.automation,
        workforce=config.workforce(),
        headcount=config.headcount,
    )


def forecast_problem(config: PlanConfig, base_dir: Path) -> tuple[PlanningProblem, ForecastRun]:
    """Load a config's history, forecast its horizon and return the planning problem with the forecast.

    Raises
    ------
    InputError, forecasting.ForecastingError
        On bad inputs (they name the field).
    """
    horizon = forecast_horizon(config, _history_path(config, base_dir))
    fc = horizon.forecast
    return problem_from(config, horizon.start_date, fc.demand, horizon.interval_min), fc


def run_plan(config: PlanConfig, base_dir: Path, params: SolveParams | None = None) -> PlanRun:
    """Run the main job for a config: forecast its horizon, plan it, and check the plan independently.

    Raises
    ------
    InputError, forecasting.ForecastingError
        On bad inputs (they name the field).
    """
    problem, fc = forecast_problem(config, base_dir)
    params = params or config.solve
    result = plan(problem, params)
    return PlanRun(
        config=config,
        problem=problem,
        forecast=fc,
        plan=result,
        violations=tuple(check_plan(problem, result, params)),
    )


def risk_section(run: PlanRun) -> dict[str, object]:
    """Return plan.json's ``risk``: the threshold, the expected share of intervals below target, those at risk."""
    below = risk_threshold(run.problem.service_target)
    return {
        "below": below,
        "expected_share_below_target": expected_share_below(run.plan),
        "intervals_at_risk": at_risk_frame(run.plan, below).to_dict(orient="records"),
    }


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
        "plan": run.plan.model_dump(mode="json"),
        "problem": run.problem.model_dump(mode="json"),
        "forecast": {"model": run.forecast.model, "backtest": run.forecast.backtest},
        "check": [str(v) for v in run.violations],
        "risk": risk_section(run),
    }
    plan_json.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return [schedule, coverage, unmet, plan_json]
