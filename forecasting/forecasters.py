"""Forecasters: one protocol, ``spec.fit(history) -> FittedForecaster``, ``.forecast(h) -> demand frame``.

Demand frame (what :meth:`FittedForecaster.forecast` returns; the optimizer's input)
-----------------------------------------------------------------------------------
index ``interval_start``
    tz-aware ``DatetimeIndex`` in the site's zone, starting where the history ends, one row per interval,
    evenly spaced in absolute time (a DST day has 46 or 50 half-hours).
``volume`` : float
    Expected contacts offered [contacts], >= 0; exactly 0 in slots the site never served recently.
``aht_s`` : float
    Expected average handle time [s], > 0 (also in closed slots, where it is the weekday's mean); NaN
    throughout when the history has no AHT (volume only): ``selection.fill_aht`` puts a default there.
``volume_pNN`` : float, optional
    Quantile ``NN`` % of volume [contacts] for each requested quantile (``volume_p80`` for 0.8,
    ``volume_p97_5`` for 0.975), from a negative-binomial error model whose dispersion is estimated from the
    forecaster's in-sample errors over the last ``ERROR_WEEKS`` weeks (``_profiles.ErrorModel``).

Forecasters
-----------
``SeasonalNaive``
    Each interval repeats the same wall-clock interval of the latest same weekday (the skill baseline).
``WeeklyETS``
    Daily totals by Holt-Winters with a 7-day season, times an intraday shape per day type.
``CalendarRegression``
    Daily totals by log-linear regression with weekday, annual, holiday, post-holiday and event effects,
    times an intraday shape per day type (holidays and post-holiday days get their own shape when seen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import ClassVar, Protocol, cast

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from forecasting._daily import EtsDaily, RegressionDaily
from forecasting._grid import (
    DAYS_PER_WEEK,
    clock_minutes,
    complete_days,
    day_of_number,
    future_index,
    infer_interval_min,
    local_dates,
    local_day_numbers,
    number_of_day,
    season_lengths,
    step,
)
from forecasting._profiles import AhtProfile, ErrorModel, IntradayProfile, day_types
from forecasting.calendar import Event, day_features
from forecasting.errors import ForecastInputError
from forecasting.history import validate_history_frame

ERROR_WEEKS = 8
"""Weeks of in-sample errors used to estimate the quantile error model."""


class VolumePredictor(Protocol):
    """Anything that predicts volume for given future interval starts."""

    def predict(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Return expected volume [contacts] for each interval start."""
        ...


def quantile_column(q: float) -> str:
    """Return the demand-frame column of quantile ``q`` (0.8: ``volume_p80``, 0.975: ``volume_p97_5``)."""
    label = f"{q * 100:.6f}".rstrip("0").rstrip(".").replace(".", "_")
    return f"volume_p{label}"


def check_quantiles(quantiles: Sequence[float]) -> tuple[float, ...]:
    """Return ``quantiles`` as a tuple after checking each lies strictly between 0 and 1."""
    for i, q in enumerate(quantiles):
        if not 0 < q < 1:
            raise ForecastInputError(field=f"quantiles[{i}]", problem=f"must be between 0 and 1, got {q}")
    return tuple(quantiles)


@dataclass(frozen=True, slots=True)
class FittedForecaster:
    """A fitted forecaster: produces demand frames for the intervals after the history it saw."""

    name: str
    interval_min: int
    history_end: pd.Timestamp
    predictor: VolumePredictor
    aht: AhtProfile
    error: ErrorModel
    volume_scale: float = 1.0
    """Factor on every forecast volume: a backtest's level correction (``Score.volume_scale``), 1 for none."""
    form: str = ""
    """The terms the fit could use that move its level: ``"annual"`` for a regression fitted with its annual
    cycle (a year of history), else empty. A backtest's level correction holds only for fits of its form."""

    def corrected(self, volume_scale: float | None) -> FittedForecaster:
        """Return this forecaster with its volumes scaled by ``volume_scale`` (None or 1: unchanged)."""
        if volume_scale is None or volume_scale == self.volume_scale:
            return self
        return replace(self, volume_scale=float(volume_scale))

    def forecast(self, horizon_intervals: int, *, quantiles: Sequence[float] = ()) -> pd.DataFrame:
        """Forecast the next ``horizon_intervals`` intervals after the history.

        Parameters
        ----------
        horizon_intervals : int
            Number of intervals to forecast, > 0.
        quantiles : sequence of float, optional
            Volume quantiles in (0, 1) to add as ``volume_pNN`` columns.

        Returns
        -------
        pandas.DataFrame
            The demand frame described in this module's docstring.

        Raises
        ------
        ForecastInputError
            If the horizon or a quantile is invalid.
        """
        if horizon_intervals <= 0:
            raise ForecastInputError(field="horizon_intervals", problem=f"must be > 0, got {horizon_intervals}")
        index = future_index(self.history_end, horizon_intervals, self.interval_min)
        volume = np.clip(self.predictor.predict(index), 0.0, None) * self.volume_scale
        frame = pd.DataFrame({"volume": volume, "aht_s": self.aht.predict(index)}, index=index)
        for q in check_quantiles(quantiles):
            frame[quantile_column(q)] = self.error.quantile(volume, q)
        return frame


def _prepare(history: pd.DataFrame, min_weeks: int) -> tuple[int, list[date]]:
    """Validate ``history``; return its interval length and complete local days (at least ``min_weeks``)."""
    validate_history_frame(history)
    interval_min = season_lengths(infer_interval_min(history.index)).interval_min
    days = complete_days(history.index, interval_min)
    if len(days) < min_weeks * DAYS_PER_WEEK:
        raise ForecastInputError(
            field="history",
            problem=f"needs at least {min_weeks} complete weeks, has {len(days)} complete days",
        )
    return interval_min, days


def _volume_table(history: pd.DataFrame, interval_min: int, days: Sequence[date]) -> pd.DataFrame:
    """Return volume per (complete day, wall-clock slot); NaN for slots a DST day lacks."""
    # integer day numbers: np.isin and groupby over object arrays of dates cost minutes on large histories
    numbers = local_day_numbers(history.index)
    wanted = np.array([number_of_day(d) for d in days], dtype=np.int64)
    keep = np.isin(numbers, wanted)
    frame = pd.DataFrame(
        {"day": numbers[keep], "slot": clock_minutes(history.index)[keep] // interval_min},
    )
    frame["volume"] = history["volume"].to_numpy()[keep]
    table = frame.groupby(["day", "slot"])["volume"].mean().unstack()
    table.index = pd.Index([day_of_number(n) for n in table.index], name="day")
    return table


@dataclass(frozen=True, slots=True)
class _LatestSameWeekday:
    """Seasonal-naive predictor: wall-clock slot of the latest same weekday, falling back a week at a time."""

    interval_min: int
    table: pd.DataFrame

    def predict(self, index: pd.DatetimeIndex) -> np.ndarray:
        dates = local_dates(index)
        slots = clock_minutes(index) // self.interval_min
        out = np.zeros(len(index))
        history_days = list(self.table.index)
        for day in sorted(set(dates)):
            rows = np.flatnonzero(dates == day)
            sources = [d for d in reversed(history_days) if d.weekday() == day.weekday() and d < day]
            values = np.full(rows.size, np.nan)
            for source in sources:
                lookup = self.table.loc[source].reindex(slots[rows]).to_numpy()
                values = np.where(np.isnan(values), lookup, values)
                if not np.isnan(values).any():
                    break
            out[rows] = np.nan_to_num(values)
        return out


class SeasonalNaive(BaseModel):
    """Seasonal-naive baseline on the weekly season, matched by local weekday and wall-clock time.

    The weekly season is ``season_lengths(interval_min).per_week`` intervals on ordinary weeks; matching by
    wall clock instead of position keeps it right across DST weeks.

    References
    ----------
    .. [1] Hyndman, R. J., & Athanasopoulos, G. (2021). *Forecasting: Principles and Practice*, 3rd ed.,
       OTexts, sec. 5.2 (seasonal naive method).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: ClassVar[str] = "seasonal_naive"
    aht_days: int = Field(default=56, gt=0, description="Days of history the AHT profile averages [days].")

    def fit(self, history: pd.DataFrame) -> FittedForecaster:
        """Fit on a history frame (at least one complete week); see ``forecasting.history``."""
        interval_min, days = _prepare(history, min_weeks=1)
        table = _volume_table(history, interval_min, days)
        predictor = _LatestSameWeekday(interval_min=interval_min, table=table)
        recent = history.index[local_dates(history.index) >= days[-1] - timedelta(weeks=ERROR_WEEKS)]
        lagged = _LatestSameWeekday(interval_min=interval_min, table=table).predict(pd.DatetimeIndex(recent))
        return FittedForecaster(
            name=self.name,
            interval_min=interval_min,
            history_end=history.index[-1] + step(interval_min),
            predictor=predictor,
            aht=AhtProfile.fit(history, interval_min, recent_days=self.aht_days),
            error=ErrorModel.fit(history.loc[recent, "volume"].to_numpy(), lagged),
        )


def types_by_day(days: Sequence[date], country: str | None, weekend: tuple[int, ...] | None = None) -> dict[date, str]:
    """Return the intraday-shape type of each day (weekday, ``holiday`` or ``post_holiday``)."""
    features = day_features(days, country, weekend=weekend)
    holiday = dict(zip(features.index, features["holiday"] > 0, strict=True))
    post = dict(zip(features.index, features["post_holiday_1"] > 0, strict=True))
    return dict(zip(days, day_types(days, holiday, post), strict=True))


@dataclass(frozen=True, slots=True)
class _DailyShape:
    """Daily totals from a daily model, spread over intervals by the intraday profile of each day's type."""

    daily: EtsDaily | RegressionDaily
    profile: IntradayProfile
    country: str | None
    weekend: tuple[int, ...] | None

    def predict(self, index: pd.DatetimeIndex) -> np.ndarray:
        days = sorted(set(local_dates(index)))
        totals = dict(zip(days, self.daily.predict_days(days), strict=True))
        return self.profile.distribute(index, totals, types_by_day(days, self.country, self.weekend))

    def in_sample(self, index: pd.DatetimeIndex) -> np.ndarray:
        days = sorted(set(local_dates(index)))
        totals = cast(Mapping[date, float], self.daily.fitted.reindex(days).fillna(0.0).to_dict())
        return self.profile.distribute(index, totals, types_by_day(days, self.country, self.weekend))


def _fit_daily_shape(
    name: str,
    history: pd.DataFrame,
    daily: EtsDaily | RegressionDaily,
    days: Sequence[date],
    interval_min: int,
    *,
    country: str | None,
    weekend: tuple[int, ...] | None,
    profile_days: int,
    aht_days: int,
) -> FittedForecaster:
    """Assemble a daily-total forecaster: intraday profile, AHT profile and in-sample error model."""
    in_days = np.isin(local_dates(history.index), np.array(days, dtype=object))
    complete = history[in_days]
    profile = IntradayProfile.fit(
        complete, types_by_day(days, country, weekend), interval_min, recent_days=profile_days
    )
    predictor = _DailyShape(daily=daily, profile=profile, country=country, weekend=weekend)
    form = "annual" if isinstance(daily, RegressionDaily) and daily.harmonics > 0 else ""
    recent = pd.DatetimeIndex(complete.index[local_dates(complete.index) >= days[-1] - timedelta(weeks=ERROR_WEEKS)])
    return FittedForecaster(
        name=name,
        interval_min=interval_min,
        history_end=history.index[-1] + step(interval_min),
        predictor=predictor,
        aht=AhtProfile.fit(history, interval_min, recent_days=aht_days),
        error=ErrorModel.fit(complete.loc[recent, "volume"].to_numpy(), predictor.in_sample(recent)),
        form=form,
    )


def _daily_totals(history: pd.DataFrame, days: Sequence[date]) -> pd.Series:
    totals = history["volume"].groupby(local_dates(history.index)).sum()
    return totals.reindex(list(days)).astype(float)


class WeeklyETS(BaseModel):
    """Holt-Winters on daily totals (7-day season) times an intraday shape per day type.

    Fitting Holt-Winters on the interval series itself would need a season of ``per_week`` (336 at 30
    minutes), which is slow and fragile; daily totals times shapes is the usual contact-centre split.
    See ``_daily.EtsDaily`` for the model and ``_profiles.IntradayProfile`` for the shapes.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: ClassVar[str] = "ets"
    country: str | None = Field(
        default=None,
        description="Holiday calendar (ISO country code) used to clean holidays out of the training series, or None.",
    )
    weekend: tuple[int, ...] | None = Field(
        default=None, description="Weekend weekdays (Monday = 0) overriding the country's; None: the country's."
    )
    profile_days: int = Field(default=8, gt=0, description="Recent days per weekday in each intraday shape.")
    aht_days: int = Field(default=56, gt=0, description="Days of history the AHT profile averages [days].")

    def fit(self, history: pd.DataFrame) -> FittedForecaster:
        """Fit on a history frame with at least three complete weeks."""
        interval_min, days = _prepare(history, min_weeks=3)
        daily = EtsDaily.fit(_daily_totals(history, days), self.country, self.weekend)
        return _fit_daily_shape(
            self.name,
            history,
            daily,
            days,
            interval_min,
            country=self.country,
            weekend=self.weekend,
            profile_days=self.profile_days,
            aht_days=self.aht_days,
        )


class CalendarRegression(BaseModel):
    """Log-linear regression of daily totals on calendar effects, times an intraday shape per day type.

    See ``_daily.RegressionDaily`` for the regressors and ``_profiles.IntradayProfile`` for the shapes.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: ClassVar[str] = "regression"
    country: str | None = Field(default=None, description="Holiday calendar (ISO country code), or None.")
    events: tuple[Event, ...] = Field(default=(), description="User events (``calendar.load_events``).")
    weekend: tuple[int, ...] | None = Field(
        default=None, description="Weekend weekdays (Monday = 0) overriding the country's; None: the country's."
    )
    annual_harmonics: int = Field(
        default=2, ge=0, description="Fourier pairs for the annual cycle (used only with a year of history)."
    )
    profile_days: int = Field(default=8, gt=0, description="Recent days per weekday in each intraday shape.")
    trend: bool = Field(
        default=False,
        description="Include a linear trend (risky to extrapolate from one "
        "year, where it is confounded with the annual cycle).",
    )
    level_halflife_days: float = Field(
        default=14.0,
        gt=0,
        description="Half-life of the exponentially "
        "weighted mean of recent residuals added as a level correction [days].",
    )
    aht_days: int = Field(default=56, gt=0, description="Days of history the AHT profile averages [days].")

    def fit(self, history: pd.DataFrame) -> FittedForecaster:
        """Fit on a history frame with at least three complete weeks."""
        interval_min, days = _prepare(history, min_weeks=3)
        daily = RegressionDaily.fit(
            _daily_totals(history, days),
            self.country,
            self.events,
            harmonics=self.annual_harmonics,
            trend=self.trend,
            level_halflife_days=self.level_halflife_days,
            weekend=self.weekend,
        )
        return _fit_daily_shape(
            self.name,
            history,
            daily,
            days,
            interval_min,
            country=self.country,
            weekend=self.weekend,
            profile_days=self.profile_days,
            aht_days=self.aht_days,
        )


Forecaster = SeasonalNaive | WeeklyETS | CalendarRegression
"""Any forecaster spec."""


def weekly_lag(history: pd.DataFrame) -> pd.Series:
    """Return the in-sample seasonal-naive value of each interval: same wall clock one week earlier.

    NaN where the week before is not in the history (the first week). Used to scale MASE.
    """
    interval_min = infer_interval_min(history.index)
    table = _volume_table(history, interval_min, sorted(set(local_dates(history.index))))
    dates = local_dates(history.index)
    slots = clock_minutes(history.index) // interval_min
    out = np.full(len(history), np.nan)
    for day in sorted(set(dates)):
        source = day - timedelta(weeks=1)
        if source in table.index:
            rows = np.flatnonzero(dates == day)
            out[rows] = table.loc[source].reindex(slots[rows]).to_numpy()
    return pd.Series(out, index=history.index, name="volume")
