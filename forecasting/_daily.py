"""Daily-total models wrapped from statsmodels: Holt-Winters on the weekly cycle, and a calendar regression.

Both take the series of complete local days' totals (contiguous, any weekday first) and predict totals for
later days; the intraday shape is applied elsewhere (``_profiles.IntradayProfile``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.holtwinters import ExponentialSmoothing, HoltWintersResults

from forecasting._grid import DAYS_PER_WEEK
from forecasting.calendar import Event, day_features

CLOSED_LOOKBACK_WEEKS = 4
"""A weekday with zero volume in each of its last this-many occurrences is taken as closed: forecast 0."""

DAYS_PER_YEAR = 365.25
HOLIDAY_COLUMNS = ("holiday", "post_holiday_1", "post_holiday_2")


def closed_weekdays(totals: pd.Series) -> frozenset[int]:
    """Return the weekdays whose last ``CLOSED_LOOKBACK_WEEKS`` occurrences all had zero volume."""
    closed = set()
    for weekday in range(DAYS_PER_WEEK):
        recent = totals[[d.weekday() == weekday for d in totals.index]].tail(CLOSED_LOOKBACK_WEEKS)
        if len(recent) and (recent == 0).all():
            closed.add(weekday)
    return frozenset(closed)


def clean_calendar_days(totals: pd.Series, flagged: Sequence[date]) -> pd.Series:
    """Replace flagged days' totals with the median of the same weekday 1-2 weeks either side, unflagged."""
    flagged_set = set(flagged)
    cleaned = totals.copy()
    for day in flagged_set.intersection(totals.index):
        around = [day + timedelta(weeks=k) for k in (-2, -1, 1, 2)]
        values = [totals[d] for d in around if d in totals.index and d not in flagged_set]
        if values:
            cleaned.at[day] = float(np.median(values))
    return cleaned


@dataclass(frozen=True, slots=True)
class EtsDaily:
    """Additive Holt-Winters (damped additive trend, additive weekly season) on daily totals.

    Additive components cope with zero-volume closed days, where multiplicative ones would divide by zero.
    With a holiday calendar, holidays and post-holiday days are first replaced by nearby same-weekday
    medians so one-off closures do not distort level and season; the model itself knows no holidays.

    References
    ----------
    .. [1] Hyndman, R. J., & Athanasopoulos, G. (2021). *Forecasting: Principles and Practice*, 3rd ed.,
       OTexts, sec. 8.3 (Holt-Winters' additive method, damped trend).
    """

    last_day: date
    result: HoltWintersResults
    fitted: pd.Series
    closed: frozenset[int]

    @classmethod
    def fit(cls, totals: pd.Series, country: str | None, weekend: tuple[int, ...] | None = None) -> EtsDaily:
        """Fit on ``totals``, indexed by consecutive dates; ``country`` names the holiday calendar or None."""
        flags = day_features(list(totals.index), country, weekend=weekend)
        flagged = [cast(date, d) for d, row in flags.iterrows() if row[list(HOLIDAY_COLUMNS)].sum() > 0]
        series = clean_calendar_days(totals, flagged).to_numpy(dtype=float)
        model = ExponentialSmoothing(
            series, trend="add", damped_trend=True, seasonal="add", seasonal_periods=DAYS_PER_WEEK
        )
        with warnings.catch_warnings():
            # The optimiser may stop at its iteration limit on flat or short series; the parameters it
            # returns are still usable, and the backtest judges the forecasts anyway.
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = model.fit()
        fitted = pd.Series(np.clip(result.fittedvalues, 0.0, None), index=totals.index)
        return cls(
            last_day=totals.index[-1],
            result=result,
            fitted=fitted,
            closed=closed_weekdays(totals),
        )

    def predict_days(self, days: Sequence[date]) -> np.ndarray:
        """Return forecast totals for days after the fitted series [contacts]."""
        steps = np.array([(d - self.last_day).days for d in days], dtype=int)
        if steps.size == 0:
            return np.zeros(0)
        path = np.clip(self.result.forecast(max(int(steps.max()), 1)), 0.0, None)
        values = path[np.clip(steps, 1, None) - 1]
        return np.where([d.weekday() in self.closed for d in days], 0.0, values)


def _design(
    days: Sequence[date], features: pd.DataFrame, origin: date, harmonics: int, *, trend: bool
) -> pd.DataFrame:
    """Build regressors: weekday dummies (not on holidays), trend, annual Fourier terms, calendar flags."""
    weekday = np.array([d.weekday() for d in days])
    holiday = features["holiday"].to_numpy()
    columns: dict[str, np.ndarray] = {"const": np.ones(len(days))}
    for k in range(1, DAYS_PER_WEEK):
        columns[f"weekday_{k}"] = ((weekday == k) & (holiday == 0)).astype(float)
    if trend:
        columns["trend"] = np.array([(d - origin).days for d in days], dtype=float) / DAYS_PER_YEAR
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=float)
    for k in range(1, harmonics + 1):
        columns[f"annual_sin_{k}"] = np.sin(2 * np.pi * k * doy / DAYS_PER_YEAR)
        columns[f"annual_cos_{k}"] = np.cos(2 * np.pi * k * doy / DAYS_PER_YEAR)
    for name in features.columns:
        if name != "event_effect":
            columns[name] = features[name].to_numpy()
    return pd.DataFrame(columns, index=pd.Index(list(days)))


@dataclass(frozen=True, slots=True)
class RegressionDaily:
    """Log-linear OLS on daily totals with weekday, trend, annual Fourier and calendar regressors.

    ``log(1 + y_d / (1 + effect_d)) = x_d' b + e_d``: known event effects scale the day, holidays are their
    own day type (weekday dummies are zero on them), post-holiday days get two multiplicative effects and
    estimable events one each. ``log1p`` keeps closed days (y = 0) finite. Predictions add ``level``, an
    exponentially weighted mean of the last residuals (a local-level correction, since one year cannot
    separate trend from the annual cycle), and are retransformed with Duan's smearing factor
    ``mean(exp(e))``, then multiplied by ``1 + effect_d``.

    References
    ----------
    .. [1] Hyndman, R. J., & Athanasopoulos, G. (2021). *Forecasting: Principles and Practice*, 3rd ed.,
       OTexts, sec. 7.4 (dummy and Fourier regressors) and sec. 12.1 (multiple seasonality).
    .. [2] Duan, N. (1983). Smearing estimate: a nonparametric retransformation method. *JASA* 78(383),
       605-610.
    """

    origin: date
    harmonics: int
    country: str | None
    events: tuple[Event, ...]
    weekend: tuple[int, ...] | None
    columns: tuple[str, ...]
    params: np.ndarray
    smearing: float
    level: float
    trend: bool
    fitted: pd.Series
    closed: frozenset[int]

    @classmethod
    def fit(
        cls,
        totals: pd.Series,
        country: str | None,
        events: Sequence[Event],
        *,
        harmonics: int,
        trend: bool,
        level_halflife_days: float,
        weekend: tuple[int, ...] | None = None,
    ) -> RegressionDaily:
        """Fit by OLS; annual terms are used only when ``totals`` spans at least a year."""
        days = list(totals.index)
        origin = days[0]
        usable = harmonics if (days[-1] - origin).days >= DAYS_PER_YEAR - 1 else 0
        features = day_features(days, country, events, weekend)
        design = _design(days, features, origin, usable, trend=trend)
        design = design.loc[:, (design != 0).any(axis=0)]
        known = 1.0 + features["event_effect"].to_numpy()
        target = np.log1p(totals.to_numpy(dtype=float) / known)
        result = sm.OLS(target, design.to_numpy()).fit()
        residuals = target - result.fittedvalues
        smearing = float(np.mean(np.exp(residuals)))
        level = float(pd.Series(residuals).ewm(halflife=level_halflife_days).mean().iloc[-1])
        fitted = np.expm1(result.fittedvalues) * smearing * known
        return cls(
            origin=origin,
            harmonics=usable,
            country=country,
            events=tuple(events),
            weekend=weekend,
            columns=tuple(design.columns),
            params=np.asarray(result.params),
            smearing=smearing,
            level=level,
            trend=trend,
            fitted=pd.Series(np.clip(fitted, 0.0, None), index=totals.index),
            closed=closed_weekdays(totals),
        )

    def predict_days(self, days: Sequence[date]) -> np.ndarray:
        """Return forecast totals for ``days`` [contacts]; regressors unseen in the fit count as zero."""
        features = day_features(days, self.country, self.events, self.weekend)
        design = _design(days, features, self.origin, self.harmonics, trend=self.trend)
        design = design.reindex(columns=self.columns, fill_value=0.0)
        known = 1.0 + features["event_effect"].to_numpy()
        log_total = design.to_numpy() @ self.params + self.level
        values = np.clip(np.expm1(log_total) * self.smearing * known, 0.0, None)
        return np.where([d.weekday() in self.closed for d in days], 0.0, values)
