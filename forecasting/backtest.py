"""Rolling-origin backtests: WAPE, MASE and bias per forecaster, overall and on post-holiday days.

Fold ``k`` (of ``folds``) trains on every complete day before its test window and forecasts the
``horizon_days`` days of that window; the windows tile the last ``folds * horizon_days`` complete days.
Errors are pooled over all folds' intervals:

* ``wape = sum|f - y| / sum y``; the forecaster with the lowest WAPE is *chosen*.
* ``bias = sum(f - y) / sum y``: positive over-forecasts, negative under-forecasts.
* ``mase`` = mean over folds of ``mean|f - y|`` over the test window divided by the in-sample seasonal-naive
  ``mean|y_t - y_(t - 1 week)|`` of that fold's training data.
* ``post_holiday_*``: the same on the first and second working days after a public holiday (needs a
  country; None otherwise).
* ``horizon_cv`` and ``rate_cv``: how far a fold's total and an interval's rate miss their forecasts, the
  forecast error a plan staffs against (``ServiceTarget.horizon_volume_cv`` and ``volume_cv``).
* ``aht_cv``: how far an interval's expected AHT misses its forecast, beyond the spread of its contacts' own
  handle times: ``sqrt(max(0, mean(n * e**2 - cv**2) / mean(n)))`` over served tested intervals, ``e`` the
  relative miss of the interval's AHT over its ``n`` contacts and ``cv`` the history's handle-time CV
  (:func:`forecasting.measure_handle_cv`; 0 where it shows none). A plan staffs for workload, so it adds
  this to the rate's miss (:meth:`Score.workload_cv`, :meth:`Score.workload_spread`).
* ``volume_scale``: the level correction the folds call for, ``1 + m * max(0, 1 - se**2 / m**2)`` where
  ``m`` is the mean over folds of ``actual total / forecast total - 1`` and ``se`` its standard error: a
  forecaster that kept under-forecasting is scaled up by about what it missed, one whose misses are noise
  around zero is left alone (positive-part James-Stein shrinkage toward no correction [3]_). A plan from
  ``model: auto`` scales its forecast by it with ``forecast.bias_correction``.

References
----------
.. [1] Hyndman, R. J., & Koehler, A. B. (2006). Another look at measures of forecast accuracy.
   *International Journal of Forecasting* 22(4), 679-688 (MASE).
.. [2] Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy: an analysis and review.
   *International Journal of Forecasting* 16(4), 437-450 (rolling origin).
.. [3] Efron, B., & Morris, C. (1973). Stein's estimation rule and its competitors: an empirical Bayes
   approach. *Journal of the American Statistical Association* 68(341), 117-130.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from forecasting._grid import complete_days, day_start, infer_interval_min, local_dates
from forecasting._profiles import ErrorModel, RateSpread
from forecasting.calendar import post_holiday_days
from forecasting.errors import ForecastInputError
from forecasting.forecasters import Forecaster, weekly_lag
from forecasting.handle_times import measure_handle_cv
from forecasting.history import validate_history_frame

DEFAULT_FOLDS = 8
DEFAULT_HORIZON_DAYS = 7
MIN_TRAIN_WEEKS = 3


@dataclass(frozen=True, slots=True)
class Score:
    """Backtest accuracy of one forecaster (ratios, not percent; None where undefined)."""

    forecaster: str
    wape: float
    mase: float
    bias: float
    post_holiday_wape: float | None
    post_holiday_bias: float | None
    intervals: int
    post_holiday_intervals: int
    horizon_cv: float | None = None
    """Root mean square over folds of ``actual total / forecast total - 1``: how far a fold's (a horizon's)
    total misses its forecast, the error every interval of a horizon shares (``ServiceTarget.horizon_volume_cv``).
    None without a fold with a forecast."""
    rate_cv: float | None = None
    """Coefficient of variation of an interval's true rate around its forecast, measured on the folds' errors
    (the negative-binomial method of moments of ``_profiles.ErrorModel``, out of sample): what
    ``ServiceTarget.volume_cv`` describes. None without a tested interval with a forecast."""
    spread_per_contact: float | None = None
    spread_share: float | None = None
    """The same errors by forecast size (``_profiles.RateSpread``): an interval forecast at ``f`` contacts
    misses its rate by a CV of ``sqrt(spread_per_contact / f + spread_share)``; None as ``rate_cv``."""
    volume_scale: float | None = None
    """What to multiply this forecaster's volumes by so its folds' totals would have been unbiased, shrunk
    toward 1 by the folds' scatter (the module docstring); None with fewer than two folds with a forecast."""
    form: str | None = None
    """``FittedForecaster.form`` of every fold's fit (None when the folds differ): the correction is measured
    on fits of this form and holds for a final fit of the same form only."""
    aht_cv: float | None = None
    """Relative miss of an interval's expected AHT, beyond its contacts' own spread (module docstring); None
    for a volume-only history."""

    def rate_spread(self) -> RateSpread | None:
        """Return the measured spread by forecast size, or None without one."""
        if self.spread_per_contact is None or self.spread_share is None:
            return None
        return RateSpread(self.spread_per_contact, self.spread_share)

    def workload_cv(self) -> float | None:
        """Return the rate's miss with the AHT's added in quadrature (the workload's CV); None as ``rate_cv``."""
        if self.rate_cv is None:
            return None
        return float(np.hypot(self.rate_cv, self.aht_cv or 0.0))

    def workload_spread(self) -> RateSpread | None:
        """Return :meth:`rate_spread` with the AHT's relative miss added to its share; None without one."""
        spread = self.rate_spread()
        if spread is None:
            return None
        return RateSpread(spread.per_contact, spread.share + (self.aht_cv or 0.0) ** 2)


@dataclass(frozen=True, slots=True)
class BacktestReport:
    """Scores of every forecaster tried, and the one chosen (lowest WAPE)."""

    scores: tuple[Score, ...]
    chosen: str
    folds: int
    horizon_days: int
    first_test_day: str
    last_test_day: str

    def score(self, forecaster: str) -> Score:
        """Return the score of the forecaster named ``forecaster``."""
        for s in self.scores:
            if s.forecaster == forecaster:
                return s
        raise ForecastInputError(field="forecaster", problem=f"not in this backtest: {forecaster!r}")

    def chosen_score(self) -> Score:
        """Return the score of the chosen forecaster."""
        return self.score(self.chosen)

    def to_frame(self) -> pd.DataFrame:
        """Return one row per forecaster (index ``forecaster``) with the score columns and ``chosen``."""
        frame = pd.DataFrame([asdict(s) for s in self.scores]).set_index("forecaster")
        frame["chosen"] = frame.index == self.chosen
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: settings, chosen forecaster and a list of scores."""
        return {
            "chosen": self.chosen,
            "folds": self.folds,
            "horizon_days": self.horizon_days,
            "first_test_day": self.first_test_day,
            "last_test_day": self.last_test_day,
            "scores": [asdict(s) for s in self.scores],
        }


def aht_miss(history: pd.DataFrame, forecast_aht: np.ndarray, tested: np.ndarray, handle_cv: float) -> float | None:
    """Return the relative miss of the expected AHT beyond the contacts' own spread (module docstring).

    None for a history without AHT or no served tested interval with an AHT forecast.
    """
    if "aht_s" not in history.columns:
        return None
    n = history["volume"].to_numpy(dtype=float)
    actual = history["aht_s"].to_numpy(dtype=float)
    ok = tested & (n > 0) & np.isfinite(actual) & np.isfinite(forecast_aht) & (forecast_aht > 0)
    if not ok.any():
        return None
    miss = actual[ok] / forecast_aht[ok] - 1.0
    excess = float((n[ok] * miss**2 - handle_cv**2).sum() / n[ok].sum())
    return float(np.sqrt(max(excess, 0.0)))


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


def _rms(values: list[float]) -> float | None:
    return float(np.sqrt(np.mean(np.square(values)))) if values else None


def level_correction(misses: Sequence[float]) -> float | None:
    """Return the volume scale the folds' relative total ``misses`` (``actual / forecast - 1``) call for.

    ``1 + m * max(0, 1 - se**2 / m**2)``: the mean miss ``m`` shrunk toward zero by its squared standard error
    ``se**2 = var(misses) / n``, rounded to 4 places; 1.0 when every miss is zero; None for fewer than two.
    """
    if len(misses) < 2:
        return None
    values = np.asarray(misses, dtype=float)
    mean = float(values.mean())
    if mean == 0.0:
        return 1.0
    se2 = float(values.var(ddof=1)) / len(values)
    return round(1.0 + mean * max(0.0, 1.0 - se2 / mean**2), 4)


def fold_windows(
    history: pd.DataFrame, *, folds: int = DEFAULT_FOLDS, horizon_days: int = DEFAULT_HORIZON_DAYS
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Return the test windows ``[start, stop)`` of a rolling-origin backtest, oldest first.

    Fold ``k`` trains on everything before its ``start``; the windows tile the last ``folds * horizon_days``
    complete local days of ``history``.

    Raises
    ------
    ForecastInputError
        If ``folds``/``horizon_days`` are not positive, or the history is too short to keep
        ``MIN_TRAIN_WEEKS`` weeks of training data before the first fold.
    """
    if folds <= 0 or horizon_days <= 0:
        raise ForecastInputError(field="folds", problem="folds and horizon_days must be > 0")
    validate_history_frame(history)
    interval_min = infer_interval_min(history.index)
    days = complete_days(history.index, interval_min)
    zone = str(pd.DatetimeIndex(history.index).tz)
    test_days = folds * horizon_days
    if len(days) < test_days + MIN_TRAIN_WEEKS * 7:
        raise ForecastInputError(
            field="folds",
            problem=f"{folds} folds of {horizon_days} days need {test_days + MIN_TRAIN_WEEKS * 7} complete "
            f"days of history, got {len(days)}",
        )
    first_test = days[-test_days]
    return [
        (
            day_start(first_test + timedelta(days=k * horizon_days), zone),
            day_start(first_test + timedelta(days=(k + 1) * horizon_days), zone),
        )
        for k in range(folds)
    ]


def backtest(
    history: pd.DataFrame,
    forecasters: Sequence[Forecaster],
    *,
    folds: int = DEFAULT_FOLDS,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    country: str | None = None,
) -> BacktestReport:
    """Backtest ``forecasters`` on ``history`` by rolling origin and choose the lowest WAPE.

    Parameters
    ----------
    history : pandas.DataFrame
        History frame (``forecasting.history``).
    forecasters : sequence of Forecaster
        Specs to compare; put the simplest first, it wins ties.
    folds : int, default 8
        Number of test windows.
    horizon_days : int, default 7
        Length of each test window [days].
    country : str, optional
        Holiday calendar that defines post-holiday days for the ``post_holiday_*`` scores.

    Returns
    -------
    BacktestReport

    Raises
    ------
    ForecastInputError
        If there are no forecasters, ``folds``/``horizon_days`` are not positive, or the history is too short
        to keep ``MIN_TRAIN_WEEKS`` weeks of training data before the first fold.
    """
    if not forecasters:
        raise ForecastInputError(field="forecasters", problem="needs at least one forecaster")
    windows = fold_windows(history, folds=folds, horizon_days=horizon_days)
    interval_min = infer_interval_min(history.index)
    days = complete_days(history.index, interval_min)
    zone = str(pd.DatetimeIndex(history.index).tz)
    test_days = folds * horizon_days
    end = day_start(days[-1] + timedelta(days=1), zone)
    history = history[(history.index >= day_start(days[0], zone)) & (history.index < end)]
    naive_error = (history["volume"] - weekly_lag(history)).abs()
    dates = local_dates(history.index)
    post = np.isin(dates, np.array(post_holiday_days(sorted(set(dates)), country), dtype=object))
    actual = history["volume"].to_numpy()

    predictions = {f.name: np.full(len(history), np.nan) for f in forecasters}
    aht_predictions = {f.name: np.full(len(history), np.nan) for f in forecasters}
    mase_parts: dict[str, list[float]] = {f.name: [] for f in forecasters}
    total_misses: dict[str, list[float]] = {f.name: [] for f in forecasters}
    forms: dict[str, set[str]] = {f.name: set() for f in forecasters}
    first_test = days[-test_days]
    for start, stop in windows:
        train = history[history.index < start]
        test = (history.index >= start) & (history.index < stop)
        scale = float(naive_error[history.index < start].mean())
        for spec in forecasters:
            fitted = spec.fit(train)
            forms[spec.name].add(getattr(fitted, "form", ""))
            frame = fitted.forecast(int(test.sum()))
            predictions[spec.name][test] = frame["volume"].to_numpy()
            aht_predictions[spec.name][test] = frame["aht_s"].to_numpy(dtype=float)
            mae = float(np.abs(frame["volume"].to_numpy() - actual[test]).mean())
            mase_parts[spec.name].append(_ratio(mae, scale))
            forecast_total = float(np.nansum(frame["volume"].to_numpy()))
            if forecast_total > 0:
                total_misses[spec.name].append(float(np.nansum(actual[test])) / forecast_total - 1.0)

    tested = ~np.isnan(next(iter(predictions.values())))
    spread_of_contacts = measure_handle_cv(history)
    handle_cv = spread_of_contacts.cv if spread_of_contacts is not None else 0.0
    scores = []
    for spec in forecasters:
        error = predictions[spec.name] - actual
        spread = RateSpread.fit(actual[tested], predictions[spec.name][tested]) if tested.any() else None
        on_post = tested & post
        scores.append(
            Score(
                forecaster=spec.name,
                wape=_ratio(np.abs(error[tested]).sum(), actual[tested].sum()),
                mase=float(np.mean(mase_parts[spec.name])),
                bias=_ratio(error[tested].sum(), actual[tested].sum()),
                post_holiday_wape=_ratio(np.abs(error[on_post]).sum(), actual[on_post].sum())
                if on_post.any()
                else None,
                post_holiday_bias=_ratio(error[on_post].sum(), actual[on_post].sum()) if on_post.any() else None,
                intervals=int(tested.sum()),
                post_holiday_intervals=int(on_post.sum()),
                horizon_cv=_rms(total_misses[spec.name]),
                rate_cv=ErrorModel.fit(actual[tested], predictions[spec.name][tested]).rate_cv
                if tested.any()
                else None,
                spread_per_contact=spread.per_contact if spread is not None else None,
                spread_share=spread.share if spread is not None else None,
                volume_scale=level_correction(total_misses[spec.name]),
                form=next(iter(forms[spec.name])) if len(forms[spec.name]) == 1 else None,
                aht_cv=aht_miss(history, aht_predictions[spec.name], tested, handle_cv),
            )
        )
    chosen = min(scores, key=lambda s: np.nan_to_num(s.wape, nan=np.inf))
    return BacktestReport(
        scores=tuple(scores),
        chosen=chosen.forecaster,
        folds=folds,
        horizon_days=horizon_days,
        first_test_day=first_test.isoformat(),
        last_test_day=days[-1].isoformat(),
    )
