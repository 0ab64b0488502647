"""Pick a forecaster by name or by backtest, fit it, and forecast whole days ahead."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

import pandas as pd

from forecasting._grid import DAYS_PER_WEEK, complete_days, horizon_for_days, infer_interval_min
from forecasting.backtest import DEFAULT_HORIZON_DAYS, MIN_TRAIN_WEEKS, BacktestReport, backtest
from forecasting.calendar import Event
from forecasting.errors import ForecastInputError
from forecasting.forecasters import (
    CalendarRegression,
    FittedForecaster,
    Forecaster,
    SeasonalNaive,
    WeeklyETS,
)
from forecasting.history import validate_history_frame

ForecasterName = Literal["auto", "seasonal_naive", "ets", "regression"]
"""The forecaster choices, ``auto`` picking one by backtest (the one list; CLI, API and scenario files use it)."""
FORECASTER_NAMES: tuple[str, ...] = get_args(ForecasterName)
AUTO_FOLDS = 4
"""Most folds of the backtest that ``model="auto"`` runs to choose a forecaster."""
MIN_AUTO_DAYS = MIN_TRAIN_WEEKS * DAYS_PER_WEEK + DEFAULT_HORIZON_DAYS
"""Complete days ``auto`` needs for one backtest fold; below it, ``auto`` means seasonal naive."""


def candidate_forecasters(country: str | None = None, events: Sequence[Event] = ()) -> tuple[Forecaster, ...]:
    """Return the forecasters ``auto`` compares, simplest first (it wins ties)."""
    return (
        SeasonalNaive(),
        WeeklyETS(country=country),
        CalendarRegression(country=country, events=tuple(events)),
    )


def make_forecaster(name: str, *, country: str | None = None, events: Sequence[Event] = ()) -> Forecaster:
    """Return the forecaster spec called ``name`` (not ``auto``) with default settings.

    Raises
    ------
    ForecastInputError
        If ``name`` is unknown.
    """
    for spec in candidate_forecasters(country, events):
        if spec.name == name:
            return spec
    raise ForecastInputError(field="model", problem=f"must be one of {FORECASTER_NAMES}, got {name!r}")


def choose_forecaster(
    history: pd.DataFrame,
    *,
    country: str | None = None,
    events: Sequence[Event] = (),
    folds: int = AUTO_FOLDS,
) -> tuple[Forecaster, BacktestReport]:
    """Backtest the candidates on ``history`` and return the lowest-WAPE spec with the report.

    Uses at most ``folds`` weekly folds, fewer if the history is too short to keep ``MIN_TRAIN_WEEKS`` of
    training data before them.

    Raises
    ------
    ForecastInputError
        If the history cannot hold a single fold.
    """
    candidates = candidate_forecasters(country, events)
    days = len(complete_days(history.index, infer_interval_min(history.index)))
    possible = (days - MIN_TRAIN_WEEKS * DAYS_PER_WEEK) // DEFAULT_HORIZON_DAYS
    report = backtest(history, candidates, folds=max(1, min(folds, possible)), country=country)
    chosen = next(spec for spec in candidates if spec.name == report.chosen)
    return chosen, report


def fit_forecaster(
    history: pd.DataFrame,
    model: ForecasterName | str = "auto",
    *,
    country: str | None = None,
    events: Sequence[Event] = (),
    folds: int = AUTO_FOLDS,
) -> FittedForecaster:
    """Fit the named forecaster, or the backtest's choice for ``"auto"``, on the whole history.

    Parameters
    ----------
    history : pandas.DataFrame
        History frame (``forecasting.history``).
    model : {"auto", "seasonal_naive", "ets", "regression"}
        Forecaster to fit; ``auto`` runs a weekly backtest of up to ``folds`` folds and takes the lowest
        WAPE, or takes ``seasonal_naive`` when the history is too short for one fold (under four weeks).
    country : str, optional
        Holiday calendar (ISO country code) for the calendar-aware forecasters.
    events : sequence of Event, optional
        User events for the regression forecaster.
    folds : int, default 4
        Backtest folds for ``auto``.

    Raises
    ------
    ForecastInputError, HistoryError
        On an unknown model, too short or invalid history.
    """
    validate_history_frame(history)
    too_short = len(complete_days(history.index, infer_interval_min(history.index))) < MIN_AUTO_DAYS
    if model == "auto" and too_short:
        spec: Forecaster = SeasonalNaive()
    elif model == "auto":
        spec, _ = choose_forecaster(history, country=country, events=events, folds=folds)
    else:
        spec = make_forecaster(model, country=country, events=events)
    return spec.fit(history)


def forecast(
    history: pd.DataFrame,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    *,
    model: ForecasterName | str = "auto",
    country: str | None = None,
    events: Sequence[Event] = (),
    quantiles: Sequence[float] = (),
) -> pd.DataFrame:
    """Forecast the ``horizon_days`` whole local days after the history (plus the rest of a partial day).

    Returns
    -------
    pandas.DataFrame
        Demand frame (``forecasting.forecasters``) with ``volume_pNN`` columns for ``quantiles``.

    Raises
    ------
    ForecastInputError, HistoryError
        On a non-positive horizon, bad quantiles, unknown model or invalid history.
    """
    if horizon_days <= 0:
        raise ForecastInputError(field="horizon_days", problem=f"must be > 0, got {horizon_days}")
    fitted = fit_forecaster(history, model, country=country, events=events)
    periods = horizon_for_days(fitted.history_end, horizon_days, infer_interval_min(history.index))
    return fitted.forecast(periods, quantiles=quantiles)
