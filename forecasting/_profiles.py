"""Shared pieces of the daily-total forecasters: intraday shape, AHT per interval of week, error model.

Profiles are keyed by *wall-clock* minute, so a shape learnt on 24-hour days applies to 23- and 25-hour DST
days: shares are looked up by clock time and renormalised over the intervals the day really has.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import optimize, stats

from forecasting._grid import MINUTES_PER_DAY, clock_minutes, days_index, local_dates

WEEKDAY_TYPES = tuple(str(d) for d in range(7))
HOLIDAY = "holiday"
POST_HOLIDAY = "post_holiday"
MIN_SPECIAL_DAYS = 3
"""Fewest past holidays (or post-holiday days) needed before they get their own intraday shape."""


def day_types(days: Sequence[date], holiday: Mapping[date, bool], post_holiday: Mapping[date, bool]) -> list[str]:
    """Return each day's shape type: ``holiday``, ``post_holiday`` or its weekday (``"0"`` = Monday)."""
    return [HOLIDAY if holiday.get(d) else POST_HOLIDAY if post_holiday.get(d) else str(d.weekday()) for d in days]


@dataclass(frozen=True, slots=True)
class IntradayProfile:
    """Share of a day's volume per wall-clock slot, for each day type.

    ``shares[k, j]`` is the share of slot ``k`` (clock minute ``k * interval_min``) for type ``types[j]``.
    """

    interval_min: int
    types: tuple[str, ...]
    shares: np.ndarray

    @classmethod
    def fit(
        cls,
        history: pd.DataFrame,
        types_by_day: Mapping[date, str],
        interval_min: int,
        *,
        recent_days: int = 8,
    ) -> IntradayProfile:
        """Estimate shapes as ratio-of-sums over the most recent ``recent_days`` days of each type.

        Weekday types use their last ``recent_days`` complete days; ``holiday`` and ``post_holiday`` use every
        occurrence, and exist only when there are at least ``MIN_SPECIAL_DAYS`` of them. Slots never open
        in those days get share 0, so always-closed hours stay closed.
        """
        slots = MINUTES_PER_DAY // interval_min
        dates = local_dates(history.index)
        slot = clock_minutes(history.index) // interval_min
        volume = history["volume"].to_numpy()
        types: list[str] = []
        columns: list[np.ndarray] = []
        for kind in (*WEEKDAY_TYPES, HOLIDAY, POST_HOLIDAY):
            days = sorted(d for d, t in types_by_day.items() if t == kind)
            special = kind in (HOLIDAY, POST_HOLIDAY)
            if special and len(days) < MIN_SPECIAL_DAYS:
                continue
            chosen = set(days if special else days[-recent_days:])
            mask = np.fromiter((d in chosen for d in dates), dtype=bool, count=len(dates))
            sums = np.bincount(slot[mask], weights=volume[mask], minlength=slots)
            total = sums.sum()
            types.append(kind)
            columns.append(sums / total if total > 0 else sums)
        return cls(interval_min=interval_min, types=tuple(types), shares=np.column_stack(columns))

    def distribute(
        self, index: pd.DatetimeIndex, totals: Mapping[date, float], types_by_day: Mapping[date, str]
    ) -> np.ndarray:
        """Spread daily totals over the intervals of ``index`` by each day's shape.

        Shares are renormalised over the whole local day (all its intervals, not only those in ``index``),
        so a horizon that starts or ends mid-day gets the right part of the day's total.
        """
        if len(index) == 0:
            return np.zeros(0)
        dates = local_dates(index)
        full = days_index(min(dates), max(dates), str(index.tz), self.interval_min)
        full_dates = local_dates(full)
        column = {t: j for j, t in enumerate(self.types)}
        type_col = np.array([self._column(d, types_by_day, column) for d in full_dates])
        share = self.shares[clock_minutes(full) // self.interval_min, type_col]
        day_sum = pd.Series(share).groupby(full_dates).transform("sum").to_numpy()
        normalised = np.divide(share, day_sum, out=np.zeros_like(share), where=day_sum > 0)
        volume = normalised * np.array([totals.get(d, 0.0) for d in full_dates])
        return pd.Series(volume, index=full).reindex(index).to_numpy()

    def _column(self, day: date, types_by_day: Mapping[date, str], column: Mapping[str, int]) -> int:
        kind = types_by_day.get(day, str(day.weekday()))
        j = column.get(kind, column[str(day.weekday())])
        if self.shares[:, j].sum() == 0:
            j = column[str(day.weekday())]
        return j


@dataclass(frozen=True, slots=True)
class AhtProfile:
    """Average handle time per (weekday, wall-clock slot) [s], with fallbacks for never-served slots."""

    interval_min: int
    table: np.ndarray

    @classmethod
    def fit(cls, history: pd.DataFrame, interval_min: int, *, recent_days: int = 56) -> AhtProfile:
        """Estimate a volume-weighted mean AHT per interval of week over the last ``recent_days`` days.

        A history without AHT (no ``aht_s`` column, or none given) gives a profile of NaN.
        Interval AHTs are clipped to the 1st-99th percentile of the window before averaging, so one odd
        interval (a single 40-minute call) cannot move its slot. Each slot pools its neighbours of the same
        weekday (``AHT_POOL_WEIGHTS`` on their contact and handle-time sums, an hour either side): an
        interval's AHT is the mean of its own contacts, whose spread leaves eight weeks of one slot 4.4% from
        the expected AHT on the bundled history (RMS over its last week), 2.7% pooled 1-2-1 and 2.2% pooled
        1-2-3-2-1, while an expected AHT moves slowly with the clock; a jagged AHT forecast also made
        several-queue weeks harder to solve (20 s gaps of 0.5-2.3% against 0.1-0.2% pooled wider). Slots
        without volume fall back to the weekday's mean, then to the window's mean.
        """
        slots = MINUTES_PER_DAY // interval_min
        if "aht_s" not in history.columns or not ((history["volume"] > 0) & history["aht_s"].notna()).any():
            # a volume-only history: AHT is unknown, and the caller supplies a default (``aht_s``)
            return cls(interval_min=interval_min, table=np.full((7, slots), np.nan))
        last = local_dates(history.index).max()
        recent = history[np.asarray([(last - d).days < recent_days for d in local_dates(history.index)])]
        served = recent[(recent["volume"] > 0) & recent["aht_s"].notna()]
        if served.empty:
            served = history[(history["volume"] > 0) & history["aht_s"].notna()]
        aht = served["aht_s"].to_numpy()
        aht = np.clip(aht, *np.percentile(aht, [1, 99]))
        weight = served["volume"].to_numpy()
        weekday = pd.DatetimeIndex(served.index).day_of_week.to_numpy()
        key = weekday * slots + clock_minutes(served.index) // interval_min
        num = _neighbours(np.bincount(key, weights=aht * weight, minlength=7 * slots).reshape(7, slots))
        den = _neighbours(np.bincount(key, weights=weight, minlength=7 * slots).reshape(7, slots))
        overall = float((aht * weight).sum() / weight.sum())
        day_num, day_den = num.sum(axis=1, keepdims=True), den.sum(axis=1, keepdims=True)
        by_day = np.divide(day_num, day_den, out=np.full_like(day_num, overall), where=day_den > 0)
        table = np.divide(num, den, out=np.broadcast_to(by_day, num.shape).copy(), where=den > 0)
        return cls(interval_min=interval_min, table=table)

    def predict(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Return the AHT [s] of each interval of ``index`` (> 0; NaN for a history without AHT)."""
        return self.table[index.day_of_week.to_numpy(), clock_minutes(index) // self.interval_min]


AHT_POOL_WEIGHTS = (1.0, 2.0, 3.0, 2.0, 1.0)
"""Weights of a slot's neighbours (centre in the middle) in its AHT: the contact and handle-time sums of the
slots two either side of it pool into it, nearer ones more."""


def _neighbours(sums: np.ndarray) -> np.ndarray:
    """Return per-slot sums pooled with the neighbouring slots of the same weekday (``AHT_POOL_WEIGHTS``)."""
    reach = len(AHT_POOL_WEIGHTS) // 2
    padded = np.pad(sums, ((0, 0), (reach, reach)))
    width = sums.shape[1]
    pooled = np.zeros_like(sums, dtype=np.float64)
    for i, weight in enumerate(AHT_POOL_WEIGHTS):
        pooled += weight * padded[:, i : i + width]
    return pooled / sum(AHT_POOL_WEIGHTS)


@dataclass(frozen=True, slots=True)
class ErrorModel:
    """Negative-binomial error model: ``volume ~ NB(mean = f, variance = f + f**2 / size)``.

    ``size = inf`` means Poisson. The inverse size is the method-of-moments estimate from residuals,
    ``1/size = max(0, sum((y - f)**2 - f) / sum(f**2))``.

    References
    ----------
    .. [1] Hilbe, J. M. (2011). *Negative Binomial Regression*, 2nd ed., Cambridge University Press, ch. 5.
    .. [2] Cameron, A. C., & Trivedi, P. K. (2013). *Regression Analysis of Count Data*, 2nd ed., sec. 3.2.
    """

    inverse_size: float

    @property
    def rate_cv(self) -> float:
        """Return the coefficient of variation of the true rate around the forecast, ``sqrt(1/size)``.

        The negative binomial is Poisson around a gamma rate with this CV: the forecast's own error beyond the
        randomness of arrivals, what ``ServiceTarget.volume_cv`` describes.
        """
        return math.sqrt(self.inverse_size)

    @classmethod
    def fit(cls, actual: np.ndarray, fitted: np.ndarray) -> ErrorModel:
        """Estimate the dispersion from paired actual and forecast volumes (NaN, zero forecasts ignored)."""
        ok = np.isfinite(actual) & np.isfinite(fitted) & (fitted > 0)
        y, f = actual[ok], fitted[ok]
        if f.size == 0:
            return cls(inverse_size=0.0)
        return cls(inverse_size=max(0.0, float(((y - f) ** 2 - f).sum() / (f**2).sum())))

    def quantile(self, mean: np.ndarray, q: float) -> np.ndarray:
        """Return the ``q`` quantile of volume for each forecast mean [contacts]."""
        mean = np.clip(np.asarray(mean, dtype=float), 0.0, None)
        out = np.zeros_like(mean)
        positive = mean > 0
        if self.inverse_size <= 0:
            out[positive] = stats.poisson.ppf(q, mean[positive])
        else:
            size = 1.0 / self.inverse_size
            out[positive] = stats.nbinom.ppf(q, size, size / (size + mean[positive]))
        return out


@dataclass(frozen=True, slots=True)
class RateSpread:
    """How far an interval's true rate misses its forecast, by the forecast's size.

    ``Var(y | f) = f + per_contact * f + share * f**2``: Poisson arrivals around a rate whose variance has a
    part that grows like the count (``per_contact``, errors of the intraday shape and clustered contacts, which
    weigh most in small intervals) and one that grows like its square (``share``, the forecast's relative
    miss, which dominates large ones). The rate's coefficient of variation is then
    ``cv(f) = sqrt(per_contact / f + share)``. Measured on a backtest's out-of-sample errors of the bundled
    history (ets): 24% at forecasts under 20 contacts, 17% over 80; one CV for all (``ErrorModel``) is set by
    the large intervals and understates the small ones' misses.
    """

    per_contact: float
    share: float

    def cv(self, forecast: np.ndarray) -> np.ndarray:
        """Return the rate CV of each forecast [contacts per interval]; 0 where the forecast is 0."""
        f = np.asarray(forecast, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(f > 0, np.sqrt(self.per_contact / f + self.share), 0.0)

    @classmethod
    def fit(cls, actual: np.ndarray, fitted: np.ndarray) -> RateSpread:
        """Estimate both parts from paired actual and forecast volumes (NaN, zero forecasts ignored).

        Non-negative least squares of ``((y - f)**2 - f) / f`` on ``per_contact + share * f``, each interval
        weighted by ``sqrt(f)`` (the excess variance is a noisy moment: small intervals scatter most).
        """
        ok = np.isfinite(actual) & np.isfinite(fitted) & (fitted > 0)
        y, f = actual[ok], fitted[ok]
        if f.size < 2:
            return cls(per_contact=0.0, share=0.0)
        w = np.sqrt(f)
        design = np.stack([np.ones_like(f), f], axis=1) * w[:, None]
        (per_contact, share), _ = optimize.nnls(design, ((y - f) ** 2 - f) / f * w)
        return cls(per_contact=float(per_contact), share=float(share))
