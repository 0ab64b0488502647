"""The main job: history → forecast → staffing → CP-SAT plan → KPIs and files.

``run_plan`` glues ``forecasting`` and ``optimizer`` (which never import each other) through the demand
frame: the forecaster writes it, ``optimizer.demand.validate_demand_frame`` checks it, and the rows become
the ``PlanningProblem``'s demand. A config's ``demand`` (a forecast CSV) skips the forecast and is planned
as given. Errors from the forecast name the config fields (``forecast.backtest_folds``, ``forecast.aht_s``,
``history.volume[row 3]``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import forecasting
from optimizer import check_plan, coverage_frame, plan, schedule_frame
from optimizer.check import Violation
from optimizer.demand import demand_rows, validate_demand_frame
from optimizer.domain import Plan, PlanningProblem, Queue, ServiceTarget, SolveParams
from optimizer.errors import InputError
from optimizer.export import people_frame, unmet_frame
from optimizer.grid import build_grid
from optimizer.replan.demand import demand_from_table, read_demand_table
from optimizer.risk import at_risk_frame, expected_share_below, risk_threshold
from scenarios.spec import ForecastSettings, PlanConfig


@dataclass(frozen=True, slots=True)
class ForecastRun:
    """The demand frame of the horizon and how it was produced."""

    demand: pd.DataFrame
    model: str
    backtest: dict[str, object] | None
    notes: tuple[str, ...] = ()
    """What the user should know about the forecast, e.g. a horizon far after the history."""
    volume_cv: float | None = None
    """The chosen forecaster's rate CV on its backtest's errors (``forecasting.Score.rate_cv``), else on its
    recent in-sample errors (``ErrorModel.rate_cv``); None for a given demand."""
    horizon_volume_cv: float | None = None
    """The chosen forecaster's backtest miss of a fold's total (``forecasting.Score.horizon_cv``); None without
    a backtest."""
    queues: tuple[tuple[str, pd.DataFrame], ...] = ()
    """Several queues: each queue's demand frame, in the config's order (``demand`` then adds them up)."""
    queue_volume_cv: tuple[tuple[str, float | None], ...] = ()
    """Several queues: each queue's forecaster's measured rate CV (``volume_cv`` is then their largest)."""
    handle: forecasting.HandleSpread | None = None
    """The history's contact-level handle-time spread (``forecasting.measure_handle_cv``); None where it shows
    none (volume only, too short, or no contact-level spread) or for a given demand."""
    queue_handle: tuple[tuple[str, forecasting.HandleSpread | None], ...] = ()
    """Several queues: each queue's history's handle-time spread (``handle`` is then the widest)."""

    @property
    def handle_cv(self) -> float | None:
        """Return the history's measured handle-time CV, or None."""
        return self.handle.cv if self.handle is not None else None


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


GIVEN_DEMAND = "given"
"""``ForecastRun.model`` of a demand planned as given (config ``demand``, CLI ``--demand``)."""

_FORECAST_FIELDS = {
    "folds": "forecast.backtest_folds",
    "model": "forecast.model",
    "country": "forecast.country",
    "weekend": "forecast.weekend",
    "aht_s": "forecast.aht_s",
    "quantiles[0]": "forecast.quantile",
    "gaps": "gaps",
    "timezone": "timezone",
}
"""Fields of ``forecasting`` errors and the config fields they come from."""


def resolve_path(name: str, base_dir: Path) -> Path:
    """Return a config's file name as a path: absolute as given, else relative to the config's folder."""
    path = Path(name)
    return path if path.is_absolute() else base_dir / path


@dataclass(frozen=True, slots=True)
class Horizon:
    """A forecast horizon: its demand of *recorded* contacts, first day and interval length [min]."""

    forecast: ForecastRun
    start_date: dt.date
    interval_min: int


def _history_path(config: PlanConfig, base_dir: Path) -> Path:
    if config.history is None:
        raise InputError.single("history", "is not set (the config plans a given demand)")
    return resolve_path(config.history, base_dir)


@contextmanager
def config_fields() -> Iterator[None]:
    """Re-raise ``forecasting`` errors naming the config field they come from (``forecast.backtest_folds``)."""
    try:
        yield
    except forecasting.HistoryError as exc:
        issues = [
            forecasting.HistoryIssue(
                i.field if i.field.startswith(("history", "events")) else f"history.{i.field}", i.problem
            )
            for i in exc.issues
        ]
        raise forecasting.HistoryError(issues) from None
    except forecasting.ForecastInputError as exc:
        field = _FORECAST_FIELDS.get(exc.field, exc.field)
        raise forecasting.ForecastInputError(field=field, problem=exc.problem) from None


def given_demand(
    path: Path, timezone: str, start_date: dt.date | None, days: int, queues: tuple[str, ...] = ()
) -> tuple[ForecastRun, dt.date, int]:
    """Read a demand CSV to plan as given; return it on the horizon's grid with the first day and interval.

    The horizon starts at ``start_date``, or on the first local day the file covers. With ``queues`` the file
    has a ``queue`` column and every queue is read on its own (each must cover the horizon).

    Raises
    ------
    InputError
        When the file is missing or unreadable, or does not cover every interval of the horizon.
    DataError
        When a row breaks the demand-frame contract (fields prefixed with ``demand``).
    """
    table = read_demand_table(path, field="demand")
    if queues or "queue" in table.columns:
        return _given_queue_demand(table, path, timezone, start_date, days, queues)
    frame = demand_from_table(table, path, field="demand")
    return _on_horizon(frame, path, timezone, start_date, days)


def _given_queue_demand(
    table: pd.DataFrame, path: Path, timezone: str, start_date: dt.date | None, days: int, queues: tuple[str, ...]
) -> tuple[ForecastRun, dt.date, int]:
    """Read a several-queue demand table: each configured queue's rows on the horizon, and their sum."""
    if not queues:
        raise InputError.single("demand.queue", f"{path} has a queue column but the config has no `queues`")
    if "queue" not in table.columns:
        raise InputError.single("demand.queue", f"{path} has no 'queue' column; the config has queues {list(queues)}")
    found = sorted({str(q) for q in table["queue"].dropna().unique()})
    unknown = [q for q in found if q not in queues]
    if unknown:
        raise InputError.single("demand.queue", f"{path} has queue(s) {unknown} not in the config's {list(queues)}")
    absent = [q for q in queues if q not in found]
    if absent:
        raise InputError.single("demand.queue", f"{path} has no rows for queue(s) {absent}")
    parts = []
    start = interval_min = None
    for name in queues:
        rows = table[table["queue"] == name].drop(columns="queue")
        run, start, interval_min = _on_horizon(
            demand_from_table(rows, path, field=f"demand[{name}]"), path, timezone, start_date, days
        )
        parts.append((name, run.demand))
    if start is None or interval_min is None:  # queues is not empty here
        raise InputError.single("queues", "is empty")
    run = ForecastRun(demand=pooled_demand(parts), model=GIVEN_DEMAND, backtest=None, queues=tuple(parts))
    return run, start, interval_min


def pooled_demand(parts: Sequence[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Return several queues' demand added up: total volume and its volume-weighted AHT per interval."""
    volume = sum(frame["volume"].to_numpy() for _, frame in parts)
    work = sum(frame["volume"].to_numpy() * frame["aht_s"].to_numpy() for _, frame in parts)
    mean_aht = sum(frame["aht_s"].to_numpy() for _, frame in parts) / len(parts)
    aht = np.where(volume > 0, work / np.where(volume > 0, volume, 1.0), mean_aht)
    first = parts[0][1]
    return first.assign(volume=volume, aht_s=aht)[["volume", "aht_s"]]


def _on_horizon(
    frame: pd.DataFrame, path: Path, timezone: str, start_date: dt.date | None, days: int
) -> tuple[ForecastRun, dt.date, int]:
    """Return a given demand frame cut to the horizon's grid, with the first day and interval length."""
    index = pd.DatetimeIndex(frame.index).tz_convert(timezone)
    if len(index) < 2:
        raise InputError.single("demand", f"{path} needs at least two intervals")
    interval_min = int((index[1] - index[0]) / pd.Timedelta(minutes=1))
    start = start_date if start_date is not None else index[0].date()
    grid = build_grid(timezone, start, days, interval_min)
    frame = frame.set_axis(index.rename(frame.index.name))
    missing = grid.starts.difference(index)
    if len(missing):
        problem = (
            f"{path} lacks {len(missing)} interval(s) of the horizon {start} + {days} days, "
            f"first {missing[0].isoformat()}"
        )
        raise InputError.single("demand", problem)
    demand = validate_demand_frame(frame.reindex(grid.starts)[["volume", "aht_s"]], interval_min=interval_min)
    return ForecastRun(demand=demand, model=GIVEN_DEMAND, backtest=None), start, interval_min


def horizon_start(config: PlanConfig, history: pd.DataFrame) -> dt.date:
    """Return the first day to plan: the configured one, or the local day after the history ends."""
    if config.start_date is not None:
        return config.start_date
    last = pd.DatetimeIndex(history.index)[-1].tz_convert(config.timezone)
    return last.date() + dt.timedelta(days=1)


def forecast_demand(history: pd.DataFrame, settings: ForecastSettings, starts: pd.DatetimeIndex) -> ForecastRun:
    """Forecast volume and AHT for exactly the intervals in ``starts`` and return a validated demand frame.

    With ``model="auto"`` the forecaster is chosen by a rolling-origin backtest whose report is kept, and with
    ``bias_correction`` its volumes are scaled by that backtest's level correction (a note says by how much); a
    history too short for one fold means seasonal naive, as in ``shiftmix forecast``. A volume-only history
    takes its AHT from ``settings.aht_s``.

    Raises
    ------
    InputError
        When the horizon does not start after the history.
    forecasting.ForecastingError
        On an invalid history or forecaster setting (naming the config field, e.g. ``forecast.aht_s``).
    """
    with config_fields():
        spec, report = forecasting.select_forecaster(
            history,
            settings.model,
            country=settings.country,
            folds=settings.backtest_folds,
            weekend=settings.weekend_numbers(),
        )
        score = report.chosen_score() if report is not None else None
        fitted = forecasting.corrected_fit(spec, history, score, settings.bias_correction)
    backtest = report.to_dict() if report is not None else None
    step = pd.Timedelta(minutes=fitted.interval_min)
    if starts[0] < fitted.history_end:
        problem = (
            f"the horizon starts {starts[0].isoformat()}, inside the history (ends {fitted.history_end.isoformat()})"
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
    frame = forecasting.fill_aht(fitted.forecast(periods, quantiles=quantiles).reindex(starts), settings.aht_s)
    if settings.quantile is not None:
        frame = frame.assign(volume=frame[forecasting.quantile_column(settings.quantile)])
    if frame["aht_s"].isna().to_numpy()[frame["volume"].to_numpy() > 0].any():
        problem = "the history has no aht_s (volume only); set it to the average handle time [s] to plan with"
        raise InputError.single("forecast.aht_s", problem)
    demand = validate_demand_frame(frame[["volume", "aht_s"]], interval_min=fitted.interval_min)
    rate_cv, by_size = measured_error(score, fitted, demand["volume"].to_numpy())
    if by_size is not None:
        demand["volume_cv"] = by_size
    stale = stale_history_note(fitted.history_end.tz_convert(starts.tz), starts[0].date())
    notes = tuple(n for n in (stale, _scale_note(fitted, score, settings.bias_correction)) if n)
    return ForecastRun(
        demand=demand,
        model=spec.name,
        backtest=backtest,
        notes=notes,
        volume_cv=rate_cv,
        horizon_volume_cv=_horizon_cv(score),
        handle=forecasting.measure_handle_cv(history),
    )


def _scale_note(
    fitted: forecasting.FittedForecaster, score: forecasting.Score | None, bias_correction: bool
) -> str | None:
    """Return the note of a forecast scaled by its backtest's level correction, or left unscaled and why; or None."""
    said = forecasting.correction_note(fitted.name, fitted.volume_scale, score, bias_correction)
    return f"forecast volumes {said} (forecast.bias_correction)" if said else None


def measured_error(
    score: forecasting.Score | None, fitted: forecasting.FittedForecaster, volume: np.ndarray
) -> tuple[float, np.ndarray | None]:
    """Return the forecast error a plan staffs against: the rate CV, and each interval's by its forecast size.

    Both from the forecaster's backtest ``score`` (out of sample), with the AHT forecast's own miss added
    (``Score.workload_cv`` / ``workload_spread``: a plan staffs for workload), rounded to 4 places; without one (a named
    forecaster, a short history) the fitted forecaster's in-sample rate CV and no per-interval CVs. In sample
    understates it: on the bundled example the regression misses by 15.3% out of sample and 12.0% in sample,
    and the staffing backtest at a 0.9 share realised 14% of intervals below target on the in-sample figure
    (12% on the out-of-sample one; 10% claimed).
    """
    workload = score.workload_cv() if score is not None else None
    rate = workload if workload is not None else fitted.error.rate_cv
    spread = score.workload_spread() if score is not None else None
    return round(rate, 4), (np.round(spread.cv(volume), 4) if spread is not None else None)


def _horizon_cv(score: forecasting.Score | None) -> float | None:
    """Return the chosen forecaster's measured horizon-total CV, rounded; None without a backtest."""
    cv = score.horizon_cv if score is not None else None
    return None if cv is None else round(cv, 4)


def forecast_horizon(config: PlanConfig, history: Path | None, demand: Path | None = None) -> Horizon:
    """Return the demand of a config's horizon, with its first day and interval length [min].

    A given ``demand`` file is planned as it is; otherwise ``history`` is loaded and forecast on its own
    interval grid.

    Raises
    ------
    InputError, forecasting.ForecastingError
        On a bad history, demand file, horizon or forecaster setting (they name the config field).
    """
    if demand is not None:
        names = tuple(q.name for q in config.queues)
        return Horizon(*given_demand(demand, config.timezone, config.start_date, config.days, names))
    if history is None:
        raise InputError.single("history", "is not set; give history or demand")
    if config.queues:
        return _forecast_queues(config, history)
    with config_fields():
        frame = forecasting.load_history(
            history, timezone=config.timezone, gaps=config.gaps, max_rows=config.forecast.max_history_rows
        )
    interval_min = forecasting.infer_interval_min(frame.index)
    start = horizon_start(config, frame)
    grid = build_grid(config.timezone, start, config.days, interval_min)
    return Horizon(forecast_demand(frame, config.forecast, grid.starts), start, interval_min)


def _forecast_queues(config: PlanConfig, history: Path) -> Horizon:
    """Forecast each configured queue from a history with a ``queue`` column, on one grid.

    Each queue's forecaster is chosen on its own (``auto``); the horizon starts the day after the latest
    queue's history ends.
    """
    names = tuple(q.name for q in config.queues)
    with config_fields():
        frames = forecasting.load_queue_histories(
            history,
            timezone=config.timezone,
            gaps=config.gaps,
            max_rows=config.forecast.max_history_rows,
            queues=names,
        )
    first = frames[names[0]]
    interval_min = forecasting.infer_interval_min(first.index)
    latest = max(names, key=lambda n: frames[n].index[-1])
    start = horizon_start(config, frames[latest])
    grid = build_grid(config.timezone, start, config.days, interval_min)
    runs = [(name, forecast_demand(frames[name], config.forecast, grid.starts)) for name in names]
    parts = tuple((name, run.demand) for name, run in runs)
    notes = tuple(dict.fromkeys(note for _, run in runs for note in run.notes))
    cvs = [run.volume_cv for _, run in runs if run.volume_cv is not None]
    forecast = ForecastRun(
        demand=pooled_demand(parts),
        model=", ".join(f"{name} {run.model}" for name, run in runs),
        backtest={name: run.backtest for name, run in runs},
        notes=notes,
        volume_cv=max(cvs) if cvs else None,
        queues=parts,
        queue_volume_cv=tuple((name, run.volume_cv) for name, run in runs),
        handle=max((run.handle for _, run in runs if run.handle is not None), key=lambda h: h.cv, default=None),
        queue_handle=tuple((name, run.handle) for name, run in runs),
    )
    return Horizon(forecast, start, interval_min)


def problem_from(
    config: PlanConfig,
    start_date: dt.date,
    interval_min: int,
    forecast: ForecastRun,
    demand: pd.DataFrame | None = None,
) -> PlanningProblem:
    """Build the planning problem of a config from the forecast of its horizon.

    ``demand`` replaces the forecast's pooled demand (a scenario's adjusted volumes); by default the forecast's.
    What the forecast measured fills the service target's nulls, so ``p_meet``, a ``confidence`` requirement
    and the handle-time correction read the forecast's and the history's own figures, not the generic
    defaults: ``volume_cv`` (:attr:`ForecastRun.volume_cv`), ``horizon_volume_cv`` and ``handle_cv``; with
    several queues each queue's own. The demand's ``volume_cv`` column (each interval's error by its size) goes
    into the rows under the same rule: a configured ``volume_cv`` is kept for every interval.
    """
    target = _with_measured(config.service_target, forecast.volume_cv, forecast.handle_cv)
    if target.horizon_volume_cv is None and forecast.horizon_volume_cv is not None:
        target = target.model_copy(update={"horizon_volume_cv": forecast.horizon_volume_cv})
    rows = demand_rows(_measured_spread(forecast.demand if demand is None else demand, config.service_target))
    configured = config.queues
    if configured:
        by_queue = dict(forecast.queues)
        rows = tuple(
            r.model_copy(update={"queue": q.name})
            for q in configured
            for r in demand_rows(_measured_spread(by_queue[q.name], q.service_target or config.service_target))
        )
        volume_cv = dict(forecast.queue_volume_cv)
        handle_cv = {name: h.cv if h is not None else None for name, h in forecast.queue_handle}
        configured = tuple(
            _queue_with_measured(q, config.service_target, volume_cv.get(q.name), handle_cv.get(q.name))
            for q in configured
        )
    return PlanningProblem(
        timezone=config.timezone,
        start_date=start_date,
        days=config.days,
        interval_min=interval_min,  # type: ignore[arg-type]
        demand=rows,
        queues=configured,
        service_target=target,
        automation=config.automation,
        workforce=config.workforce(),
        headcount=config.headcount,
    )


def forecast_problem(config: PlanConfig, base_dir: Path) -> tuple[PlanningProblem, ForecastRun]:
    """Return a config's planning problem and the demand it plans: its given demand file, or its forecast.

    Raises
    ------
    InputError, forecasting.ForecastingError
        On bad inputs (they name the field).
    """
    horizon = forecast_horizon(
        config,
        _history_path(config, base_dir) if config.demand is None else None,
        resolve_path(config.demand, base_dir) if config.demand is not None else None,
    )
    fc = horizon.forecast
    return problem_from(config, horizon.start_date, horizon.interval_min, fc), fc


def _measured_spread(demand: pd.DataFrame, target: ServiceTarget) -> pd.DataFrame:
    """Return the demand without its measured ``volume_cv`` column when the target configures one."""
    return demand.drop(columns="volume_cv") if target.volume_cv is not None and "volume_cv" in demand else demand


def _with_measured(target: ServiceTarget, volume_cv: float | None, handle_cv: float | None) -> ServiceTarget:
    """Return ``target`` with the measured volume and handle-time CVs where it configures none."""
    update: dict[str, float] = {}
    if target.volume_cv is None and volume_cv is not None:
        update["volume_cv"] = volume_cv
    if target.handle_cv is None and handle_cv is not None:
        update["handle_cv"] = handle_cv
    return target.model_copy(update=update) if update else target


def _queue_with_measured(
    queue: Queue, problem_target: ServiceTarget, volume_cv: float | None, handle_cv: float | None
) -> Queue:
    """Return a queue whose target takes its own history's measured CVs where none is configured."""
    target = queue.service_target or problem_target
    measured = _with_measured(target, volume_cv, handle_cv)
    return queue if measured is target else queue.model_copy(update={"service_target": measured})


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
        notes=fc.notes + handle_notes(config, fc) + unskilled_notes(problem),
    )


def handle_notes(config: PlanConfig, forecast: ForecastRun) -> tuple[str, ...]:
    """Return where a plan from history took its handle-time CV: measured (how), or 1 assumed (why).

    Nothing for a given demand or a queue whose target configures ``handle_cv``.
    """
    if forecast.model == GIVEN_DEMAND:
        return ()
    spreads = forecast.queue_handle or (("", forecast.handle),)
    targets = {q.name: q.service_target or config.service_target for q in config.queues}
    out = []
    for name, spread in spreads:
        if targets.get(name, config.service_target).handle_cv is not None:
            continue
        queue = f"{name}: " if name else ""
        out.append(
            f"{queue}{spread.note()}"
            if spread is not None
            else f"{queue}handle_cv 1 assumed (exponential): the history's AHT does not show the spread of single "
            "contacts (volume only, short, or smoothed); set service_target.handle_cv"
        )
    return tuple(out)


def unskilled_notes(problem: PlanningProblem) -> tuple[str, ...]:
    """Return a warning per queue with demand that nobody may work (its demand stays unmet)."""
    return tuple(
        f"queue {name!r} has demand but no worker, contract or gig pool is skilled for it: it stays unmet"
        for name in problem.unskilled_queues()
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
    """Write ``schedule.csv``, ``coverage.csv``, ``unmet.csv`` (understaffed runs), ``people.csv`` and ``plan.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    schedule = out_dir / "schedule.csv"
    coverage = out_dir / "coverage.csv"
    unmet = out_dir / "unmet.csv"
    plan_json = out_dir / "plan.json"
    schedule_frame(run.plan).to_csv(schedule, index=False)
    coverage_frame(run.plan).to_csv(coverage, index=False)
    unmet_frame(run.plan).to_csv(unmet, index=False)
    people = out_dir / "people.csv"
    people_frame(run.plan).to_csv(people, index=False)
    document = {
        "currency": run.config.currency,
        "plan": run.plan.model_dump(mode="json"),
        "problem": run.problem.model_dump(mode="json"),
        "forecast": {"model": run.forecast.model, "backtest": run.forecast.backtest},
        "check": [str(v) for v in run.violations],
        "risk": risk_section(run),
    }
    plan_json.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return [schedule, coverage, unmet, people, plan_json]
