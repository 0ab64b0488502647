"""Pick a forecaster by name or by backtest, fit it, and forecast whole days ahead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from forecasting._grid import DAYS_PER_WEEK, complete_days, horizon_for_days, infer_interval_min
from forecasting.backtest import DEFAULT_HORIZON_DAYS, MIN_TRAIN_WEEKS, BacktestReport, Score, backtest
from forecasting.calendar import Event, weekend_days
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
AUTO_FOLDS = 8
"""Most folds of the backtest that ``model="auto"`` runs to choose a forecaster.

The chosen forecaster's error (rate CV, horizon CV) and level correction are read from the same folds. Four
under-measured them on the bundled history (``shiftmix backtest --staffing --confidence 0.9``: each fold's
training backtest of four folds gave horizon CVs of 1.8-5.0%, and with the level correction the held-out weeks
realised 11.2% of intervals below target against 10.0% claimed; with eight, 10.0% against 10.0%)."""
MIN_AUTO_DAYS = MIN_TRAIN_WEEKS * DAYS_PER_WEEK + DEFAULT_HORIZON_DAYS
"""Complete days ``auto`` needs for one backtest fold; below it, ``auto`` means seasonal naive."""


def candidate_forecasters(
    country: str | None = None, events: Sequence[Event] = (), weekend: Sequence[int] | None = None
) -> tuple[Forecaster, ...]:
    """Return the forecasters ``auto`` compares, simplest first (it wins ties).

    ``weekend`` (weekday numbers, Monday = 0) overrides the country's weekend (``calendar.weekend_days``).
    """
    days = tuple(sorted(weekend_days(country, weekend))) if weekend is not None else None
    return (
        SeasonalNaive(),
        WeeklyETS(country=country, weekend=days),
        CalendarRegression(country=country, events=tuple(events), weekend=days),
    )


def make_forecaster(
    name: str,
    *,
    country: str | None = None,
    events: Sequence[Event] = (),
    weekend: Sequence[int] | None = None,
) -> Forecaster:
    """Return the forecaster spec called ``name`` (not ``auto``) with default settings.

    Raises
    ------
    ForecastInputError
        If ``name`` is unknown.
    """
    for spec in candidate_forecasters(country, events, weekend):
        if spec.name == name:
            return spec
    raise ForecastInputError(field="model", problem=f"must be one of {FORECASTER_NAMES}, got {name!r}")


def choose_forecaster(
    history: pd.DataFrame,
    *,
    country: str | None = None,
    events: Sequence[Event] = (),
    folds: int = AUTO_FOLDS,
    weekend: Sequence[int] | None = None,
) -> tuple[Forecaster, BacktestReport]:
    """Backtest the candidates on ``history`` and return the lowest-WAPE spec with the report.

    Uses at most ``folds`` weekly folds, fewer if the history is too short to keep ``MIN_TRAIN_WEEKS`` of
    training data before them.

    Raises
    ------
    ForecastInputError
        If the history cannot hold a single fold.
    """
    candidates = candidate_forecasters(country, events, weekend)
    report = backtest(history, candidates, folds=folds_held(history, folds), country=country)
    chosen = next(spec for spec in candidates if spec.name == report.chosen)
    return chosen, report


def folds_held(history: pd.DataFrame, folds: int = AUTO_FOLDS, horizon_days: int = DEFAULT_HORIZON_DAYS) -> int:
    """Return how many of ``folds`` folds of ``horizon_days`` ``history`` holds after ``MIN_TRAIN_WEEKS`` (>= 1)."""
    days = len(complete_days(history.index, infer_interval_min(history.index)))
    return max(1, min(folds, (days - MIN_TRAIN_WEEKS * DAYS_PER_WEEK) // horizon_days))


def has_backtest_history(history: pd.DataFrame) -> bool:
    """Return whether ``history`` holds enough complete days for one backtest fold (``MIN_AUTO_DAYS``)."""
    return len(complete_days(history.index, infer_interval_min(history.index))) >= MIN_AUTO_DAYS


def select_forecaster(
    history: pd.DataFrame,
    model: ForecasterName | str = "auto",
    *,
    country: str | None = None,
    events: Sequence[Event] = (),
    folds: int = AUTO_FOLDS,
    weekend: Sequence[int] | None = None,
) -> tuple[Forecaster, BacktestReport | None]:
    """Return the forecaster spec ``model`` names, and for ``"auto"`` the backtest that chose it.

    ``auto`` on a history too short for one backtest fold (under ``MIN_AUTO_DAYS`` complete days) means
    seasonal naive, without a backtest: ``shiftmix forecast`` and ``shiftmix plan`` share this rule.

    Raises
    ------
    ForecastInputError
        If ``model`` is unknown or ``folds`` < 1.
    """
    if folds < 1:
        raise ForecastInputError(field="folds", problem=f"must be >= 1, got {folds}")
    if model != "auto":
        return make_forecaster(model, country=country, events=events, weekend=weekend), None
    if not has_backtest_history(history):
        return SeasonalNaive(), None
    return choose_forecaster(history, country=country, events=events, folds=folds, weekend=weekend)


def fill_aht(demand: pd.DataFrame, aht_s: float | None) -> pd.DataFrame:
    """Return ``demand`` with ``aht_s`` put where the forecast has none (a volume-only history).

    Parameters
    ----------
    demand : pandas.DataFrame
        Demand frame (``forecasting.forecasters``).
    aht_s : float or None
        Average handle time [s] to assume, > 0; None leaves NaN in place.

    Raises
    ------
    ForecastInputError
        If ``aht_s`` is not > 0.
    """
    if aht_s is None:
        return demand
    if not (np.isfinite(aht_s) and aht_s > 0):
        raise ForecastInputError(field="aht_s", problem=f"must be > 0 s, got {aht_s}")
    return demand.assign(aht_s=demand["aht_s"].fillna(float(aht_s)))


def fit_forecaster(
    history: pd.DataFrame,
    model: ForecasterName | str = "auto",
    *,
    country: str | None = None,
    events: Sequence[Event] = (),
    folds: int = AUTO_FOLDS,
    weekend: Sequence[int] | None = None,
    bias_correction: bool = True,
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
    folds : int, default AUTO_FOLDS (8)
        Backtest folds for ``auto``.
    weekend : sequence of int, optional
        Weekend weekdays (Monday = 0) overriding the country's.
    bias_correction : bool, default True
        For ``auto``, scale the volumes by the backtest's level correction (:func:`corrected_fit`).

    Raises
    ------
    ForecastInputError, HistoryError
        On an unknown model, too short or invalid history.
    """
    fitted, _ = _fit_chosen(
        history, model, country=country, events=events, folds=folds, weekend=weekend, bias_correction=bias_correction
    )
    return fitted


def _fit_chosen(
    history: pd.DataFrame,
    model: ForecasterName | str,
    *,
    country: str | None,
    events: Sequence[Event],
    folds: int,
    weekend: Sequence[int] | None,
    bias_correction: bool = True,
) -> tuple[FittedForecaster, BacktestReport | None]:
    validate_history_frame(history)
    spec, report = select_forecaster(history, model, country=country, events=events, folds=folds, weekend=weekend)
    score = report.chosen_score() if report is not None else None
    return corrected_fit(spec, history, score, bias_correction), report


def corrected_fit(
    spec: Forecaster, history: pd.DataFrame, score: Score | None, bias_correction: bool
) -> FittedForecaster:
    """Fit ``spec`` on ``history``, scaled by the level correction of its backtest ``score``.

    With ``bias_correction`` and a ``score``, the volumes are scaled by ``score.volume_scale`` (the folds' mean
    total miss, shrunk by their scatter) when the fit has the folds' ``form``: a correction measured on fits
    without the annual cycle says nothing of one with it. Without a score (a named forecaster, a history too
    short for a backtest) the fit is not scaled.
    """
    fitted = spec.fit(history)
    if not bias_correction or score is None or score.form != fitted.form:
        return fitted
    return fitted.corrected(score.volume_scale)


def correction_note(name: str, volume_scale: float, score: Score | None, bias_correction: bool) -> str | None:
    """Say how :func:`corrected_fit` treated forecaster ``name``'s volumes; None when there is nothing to say.

    ``volume_scale`` is the factor the volumes were scaled by (1 for none). With ``bias_correction`` on, a
    forecast left unscaled though its ``score`` asked for a correction was left so because its fit is not of the
    folds' form (the only reason :func:`corrected_fit` has), and the text says so.
    """
    if volume_scale != 1.0:
        miss = volume_scale - 1.0
        return (
            f"scaled by {volume_scale:.4f}: its backtest found {name} {'under' if miss > 0 else 'over'}-forecasting "
            f"its weeks by {abs(miss):.1%} (the folds' mean miss, shrunk by their scatter)"
        )
    if bias_correction and score is not None and score.volume_scale not in (None, 1.0):
        return (
            f"not scaled by its backtest's {score.volume_scale:.4f}: not every fold fit {name} with the annual "
            "cycle a year of history gives this forecast, so their bias is not this forecast's"
        )
    return None


@dataclass(frozen=True, slots=True)
class ChosenForecast:
    """A demand forecast with the forecaster that made it.

    Attributes
    ----------
    forecaster : str
        Name of the fitted forecaster (``seasonal_naive``, ``ets`` or ``regression``): ``auto``'s choice.
    demand : pandas.DataFrame
        Demand frame (``forecasting.forecasters``) with ``volume_pNN`` columns for the quantiles asked.
    backtest : BacktestReport or None
        The backtest that chose the forecaster; None for a named forecaster or a history too short for it.
    volume_scale : float
        Factor the volumes were scaled by (:func:`corrected_fit`); 1 for none.
    """

    forecaster: str
    demand: pd.DataFrame
    backtest: BacktestReport | None
    volume_scale: float = 1.0


def forecast(
    history: pd.DataFrame,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    *,
    model: ForecasterName | str = "auto",
    country: str | None = None,
    events: Sequence[Event] = (),
    quantiles: Sequence[float] = (),
    aht_s: float | None = None,
    weekend: Sequence[int] | None = None,
    bias_correction: bool = True,
) -> pd.DataFrame:
    """Forecast the ``horizon_days`` whole local days after the history (plus the rest of a partial day).

    A volume-only history forecasts volume; ``aht_s`` then fills the AHT column, which otherwise stays NaN.
    :func:`choose_and_forecast` does the same and also says which forecaster ``auto`` chose.

    Returns
    -------
    pandas.DataFrame
        Demand frame (``forecasting.forecasters``) with ``volume_pNN`` columns for ``quantiles``.

    Raises
    ------
    ForecastInputError, HistoryError
        On a non-positive horizon, bad quantiles, unknown model or invalid history.
    """
    return choose_and_forecast(
        history,
        horizon_days,
        model=model,
        country=country,
        events=events,
        quantiles=quantiles,
        aht_s=aht_s,
        weekend=weekend,
        bias_correction=bias_correction,
    ).demand


def choose_and_forecast(
    history: pd.DataFrame,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    *,
    model: ForecasterName | str = "auto",
    country: str | None = None,
    events: Sequence[Event] = (),
    quantiles: Sequence[float] = (),
    aht_s: float | None = None,
    weekend: Sequence[int] | None = None,
    folds: int = AUTO_FOLDS,
    bias_correction: bool = True,
) -> ChosenForecast:
    """Choose a forecaster as :func:`fit_forecaster` does and forecast as :func:`forecast` does.

    Parameters
    ----------
    history : pandas.DataFrame
        History frame (``forecasting.history``).
    horizon_days : int, default 7
        Whole local days to forecast after the history (plus the rest of a partial last day) [days].
    model : {"auto", "seasonal_naive", "ets", "regression"}
        Forecaster; ``auto`` chooses by a backtest of up to ``folds`` weekly folds (seasonal naive on a
        history too short for one).
    country, events, weekend
        Holiday calendar, user events and weekend override, as for :func:`fit_forecaster`.
    quantiles : sequence of float, optional
        Volume quantiles in (0, 1) to add as ``volume_pNN`` columns.
    aht_s : float, optional
        AHT [s] to put where a volume-only history gives none.
    folds : int, default AUTO_FOLDS (8)
        Backtest folds for ``auto``.
    bias_correction : bool, default True
        For ``auto``, scale the volumes by the backtest's level correction (:func:`corrected_fit`).

    Returns
    -------
    ChosenForecast
        The demand frame, the forecaster's name and the backtest that chose it.

    Raises
    ------
    ForecastInputError, HistoryError
        On a non-positive horizon, bad quantiles, unknown model or invalid history.
    """
    if horizon_days <= 0:
        raise ForecastInputError(field="horizon_days", problem=f"must be > 0, got {horizon_days}")
    fitted, report = _fit_chosen(
        history, model, country=country, events=events, folds=folds, weekend=weekend, bias_correction=bias_correction
    )
    periods = horizon_for_days(fitted.history_end, horizon_days, infer_interval_min(history.index))
    demand = fill_aht(fitted.forecast(periods, quantiles=quantiles), aht_s)
    return ChosenForecast(forecaster=fitted.name, demand=demand, backtest=report, volume_scale=fitted.volume_scale)
