"""Calibration on history: staff each backtest fold from its forecast, simulate it on the fold's actual volumes.

For every rolling-origin fold (:func:`forecasting.fold_windows`): fit the forecaster on the history before the
fold, forecast the fold, staff it (:func:`optimizer.requirement.staff_for_target`, the same requirement a
plan meets, so a plan that covers exactly its requirement) against the forecast error a plan would measure
(a backtest of the forecaster on the fold's training history, unless the target sets it), then

* **claimed**: the expected service level at that staffing, what a plan reports as its expected level
  (:func:`optimizer.interval_law.expected_level`: arrivals and forecast error as the plan models them), and
  the modelled share of intervals below target (``1 - mean p_meet``); the level at the forecast itself
  (``forecast_service_level``) beside it;
* **realised**: the simulated service level when the fold's *actual* volumes arrive (each interval's actual
  count at uniform times, the fold's actual AHT, :func:`optimizer.simulation.simulate_floor`), and the share
  of intervals with contacts that miss the target.

This glues ``forecasting`` and ``optimizer`` and so lives in ``scenarios``. It measures the requirement, not a
CP-SAT plan: real plans overstaff some intervals (shift shapes), so their realised level is higher.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import forecasting
from forecasting.selection import AUTO_FOLDS, folds_held
from optimizer.demand import validate_demand_frame
from optimizer.domain import ServiceTarget
from optimizer.kpis import expected_service_level
from optimizer.requirement import floor_target, staff_for_target
from optimizer.risk import meet_probability
from optimizer.simulation import SimulationOptions, simulate_floor
from optimizer.staffing import service_at
from scenarios.pipeline import measured_error

FOLD_COLUMNS = (
    "fold",
    "start",
    "end",
    "forecast_volume",
    "actual_volume",
    "agent_hours",
    "forecast_service_level",
    "claimed_service_level",
    "realised_service_level",
    "claimed_share_below",
    "realised_share_below",
)
"""Columns of the staffing backtest's table, one row per fold."""


@dataclass(frozen=True, slots=True)
class StaffingBacktest:
    """Claimed against realised service level per fold, and pooled over all folds."""

    folds: pd.DataFrame
    """One row per fold, columns :data:`FOLD_COLUMNS` (levels and shares are ratios 0-1)."""
    model: str
    """Forecaster used in every fold."""
    claimed_service_level: float
    realised_service_level: float
    claimed_share_below: float
    """Modelled share of all folds' intervals with forecast contacts below target, ``1 - mean p_meet`` (0-1)."""
    realised_share_below: float
    """Share of all folds' intervals with contacts whose simulated level missed the target (0-1)."""


def _actual_demand(history: pd.DataFrame, fold: pd.Series, forecast_aht: pd.Series) -> pd.DataFrame:
    """Return the fold's actual demand frame; intervals without contacts take the forecast AHT."""
    actual = history.loc[fold.index]
    aht = actual["aht_s"] if "aht_s" in actual.columns else forecast_aht
    aht = aht.where(aht.notna() & (aht > 0), forecast_aht)
    frame = pd.DataFrame({"volume": actual["volume"].to_numpy(), "aht_s": aht.to_numpy()}, index=fold.index)
    return validate_demand_frame(frame.rename_axis("interval_start"))


def _inner_score(train: pd.DataFrame, spec: forecasting.Forecaster, horizon_days: int) -> forecasting.Score | None:
    """Return the forecaster's backtest on the fold's training history, or None when it is too short for one.

    Up to ``AUTO_FOLDS`` folds, as many as the training history holds, as ``model: auto`` runs.
    """
    try:
        folds = folds_held(train, AUTO_FOLDS, horizon_days)
        return forecasting.backtest(train, [spec], folds=folds, horizon_days=horizon_days).scores[0]
    except forecasting.ForecastInputError:
        return None


def _measured(
    target: ServiceTarget,
    demand: pd.DataFrame,
    score: forecasting.Score | None,
    fitted: forecasting.FittedForecaster,
    train: pd.DataFrame,
) -> tuple[ServiceTarget, pd.DataFrame]:
    """Return the fold's target and demand with what a plan from the training history would measure.

    As ``scenarios.pipeline`` does: the training history's backtest ``score`` gives the forecaster's
    out-of-sample rate CV (the target's ``volume_cv``), each interval's by its forecast size (a ``volume_cv``
    column) and the CV of a horizon's total; without one, the fitted forecaster's in-sample rate CV. The
    training history's AHT spread gives ``handle_cv`` (``forecasting.measure_handle_cv``). A target that sets
    a figure keeps it.
    """
    update: dict[str, float] = {}
    spread = forecasting.measure_handle_cv(train) if target.handle_cv is None else None
    if spread is not None:
        update["handle_cv"] = spread.cv
    if target.volume_cv is None:
        update["volume_cv"], by_size = measured_error(score, fitted, demand["volume"].to_numpy())
        if by_size is not None:
            demand = demand.assign(volume_cv=by_size)
    if target.horizon_volume_cv is None and score is not None and score.horizon_cv is not None:
        update["horizon_volume_cv"] = round(score.horizon_cv, 4)
    return (target.model_copy(update=update) if update else target), demand


def staffing_backtest(
    history: pd.DataFrame,
    target: ServiceTarget,
    *,
    model: str,
    folds: int = 4,
    horizon_days: int = 7,
    country: str | None = None,
    reps: int = 50,
    seed: int = 0,
    bias_correction: bool = True,
) -> StaffingBacktest:
    """Staff every backtest fold from its forecast and simulate it on the fold's actual volumes.

    Parameters
    ----------
    history : pandas.DataFrame
        History frame (:func:`forecasting.load_history`) of the contacts reaching people.
    target : ServiceTarget
        Service target and staffing assumptions (confidence, handle-time CV, volume CV included).
    model : str
        Forecaster name (:data:`forecasting.FORECASTER_NAMES`, not ``auto``).
    folds, horizon_days : int
        Rolling-origin folds and their length [days].
    country : str, optional
        Holiday calendar of the forecaster.
    reps, seed : int
        Replications and seed of each fold's simulation.
    bias_correction : bool, default True
        Scale each fold's forecast by the level correction of its training history's backtest
        (``Score.volume_scale``), as a plan from ``model: auto`` with ``forecast.bias_correction`` does.

    Returns
    -------
    StaffingBacktest

    Raises
    ------
    forecasting.ForecastInputError
        On an unknown model or a history too short for the folds.
    """
    spec = forecasting.make_forecaster(model, country=country)
    level = floor_target(target).service_level
    rows = []
    met = arrived = claimed_met = forecast_total = 0.0
    below: list[np.ndarray] = []
    modelled: list[np.ndarray] = []
    for k, (start, stop) in enumerate(forecasting.fold_windows(history, folds=folds, horizon_days=horizon_days)):
        train = history[history.index < start]
        score = _inner_score(train, spec, horizon_days)
        fitted = forecasting.corrected_fit(spec, train, score, bias_correction)
        index = history.index[(history.index >= start) & (history.index < stop)]
        periods = int((index[-1] - fitted.history_end) / pd.Timedelta(minutes=fitted.interval_min)) + 1
        predicted = fitted.forecast(periods).reindex(index)[["volume", "aht_s"]]
        demand = validate_demand_frame(predicted.rename_axis("interval_start"), interval_min=fitted.interval_min)
        fold_target, demand = _measured(target, demand, score, fitted, train)
        # the replay's handle times follow the spread the history shows, as the plan assumes it
        handled = target.model_copy(update={"handle_cv": fold_target.handle_cv})
        needed = staff_for_target(demand, floor_target(fold_target), interval_min=fitted.interval_min)
        staff = needed["required"].to_numpy()
        forecast_sl = service_at(demand, staff, handled, interval_min=fitted.interval_min)["service_level"]
        claimed = expected_service_level(demand, staff, fold_target, interval_min=fitted.interval_min)
        p_meet = meet_probability(demand, staff, fold_target, interval_min=fitted.interval_min, level=level)
        actual = _actual_demand(history, demand["volume"], demand["aht_s"])
        sim = simulate_floor(
            actual,
            staff,
            handled,
            SimulationOptions(reps=reps, seed=seed + k, volumes="counts", aht="realised"),
            interval_min=fitted.interval_min,
            level=level,
        )
        forecast_volume = demand["volume"].to_numpy()
        loaded = actual["volume"].to_numpy() > 0
        contacts = sim.intervals["contacts"].to_numpy()
        sl = sim.intervals["service_level"].to_numpy()
        misses = 1.0 - sim.intervals["p_meet"].to_numpy()[loaded]
        below.append(misses)
        at_forecast = (
            float((forecast_volume * forecast_sl).sum() / forecast_volume.sum()) if forecast_volume.sum() else 1.0
        )
        busy = forecast_volume > 0
        modelled.append(1.0 - p_meet[busy])
        rows.append(
            {
                "fold": k + 1,
                "start": start.isoformat(),
                "end": stop.isoformat(),
                "forecast_volume": round(float(forecast_volume.sum()), 1),
                "actual_volume": round(float(actual["volume"].sum()), 1),
                "agent_hours": float(staff.sum() * fitted.interval_min / 60),
                "forecast_service_level": at_forecast,
                "claimed_service_level": claimed,
                "realised_service_level": sim.service_level,
                "claimed_share_below": float(1.0 - p_meet[busy].mean()) if busy.any() else 0.0,
                "realised_share_below": float(misses.mean()) if misses.size else 0.0,
            }
        )
        met += float((sl * contacts).sum())
        arrived += float(contacts.sum())
        claimed_met += claimed * float(forecast_volume.sum())
        forecast_total += float(forecast_volume.sum())
    pooled_below = np.concatenate(below) if below else np.zeros(0)
    return StaffingBacktest(
        folds=pd.DataFrame(rows, columns=list(FOLD_COLUMNS)),
        model=spec.name,
        claimed_service_level=claimed_met / forecast_total if forecast_total else 1.0,
        realised_service_level=met / arrived if arrived else 1.0,
        claimed_share_below=float(np.concatenate(modelled).mean()) if modelled else 0.0,
        realised_share_below=float(pooled_below.mean()) if pooled_below.size else 0.0,
    )
