"""The spread of single handle times, read from an interval history's average handle times.

A history gives each interval's *mean* handle time over its ``n`` contacts, not the contacts themselves. That
mean scatters around the interval's expected AHT for two reasons: the handle times of ``n`` contacts average
out only partly (variance ``cv**2 * aht**2 / n``, ``cv`` the contact-level coefficient of variation), and the
expected AHT itself moves from day to day (a new product, a long-call day) by an amount no volume averages
away. Let ``r`` be an interval's relative deviation from its profile (the contact-weighted mean AHT of the same
weekday and clock time over the history) less its day's contact-weighted mean deviation (the day's drift).
Then

    E[r**2] = cv**2 * (1 / n - 1 / N_slot - 1 / N_day)

(``N_slot``, ``N_day`` the contacts of the profile's slot and of the day, which share the interval's own), and
``cv**2`` is the weighted least-squares slope of ``r**2`` on that through the origin, weighted by the inverse
variance of ``r**2`` under the fit (one refit): a 2-contact interval's ``r**2`` scatters far more than a
200-contact one's. Drift within a day that the profile does not follow is read as spread (the safe side: more
staff). On histories drawn from lognormal handle times (tests) it reads CV 0.6-2 within about 5% on eight
weeks; a fit with a free intercept for the drift instead scattered three times as much.

A history with no AHT, too few served intervals, or AHT deviations that do not shrink with volume (a CV under
:data:`MIN_CREDIBLE_CV` on a fit with a free intercept: averages smoothed or made up upstream, not means of
real contacts) gives no measurement; the plan then assumes exponential handle times (CV 1), what Erlang C/A
assume.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting._grid import clock_minutes

MIN_SERVED_INTERVALS = 200
"""Fewest intervals with contacts and an AHT before the history's spread is read (about two weeks of a site
open 14 hours a day at 30 minutes)."""
MIN_SLOT_INTERVALS = 3
"""Fewest intervals a weekday-and-clock slot needs before its profile is a fair reference."""
MIN_CREDIBLE_CV = 0.3
"""Smallest contact-level CV believed: human handle times run at 0.5-1.5 in published call-centre data; a
slope under this says the history's AHT column is not a plain mean of contacts."""
MAX_CV = 5.0
"""Largest CV a plan accepts (``ServiceTarget.handle_cv``); a steeper slope is capped there."""


@dataclass(frozen=True, slots=True)
class HandleSpread:
    """The contact-level handle-time CV a history shows, and what it was read from."""

    cv: float
    """Coefficient of variation of single handle times (std / mean), rounded to 2 places."""
    day_cv: float
    """Relative spread of the days' mean AHT around the profile beyond what their contacts' spread explains
    (day-to-day drift), rounded to 3 places."""
    intervals: int
    """Served intervals the fit used."""

    def note(self) -> str:
        """Return one line for the plan's notes: the CV, what it came from, and any day-to-day drift."""
        said = f"handle_cv {self.cv:.2f} measured from the history's AHT spread over {self.intervals:,} intervals"
        return said + (f" (its AHT drifts {self.day_cv:.1%} between days besides)" if self.day_cv >= 0.005 else "")


def measure_handle_cv(history: pd.DataFrame) -> HandleSpread | None:
    """Return the contact-level handle-time CV of an interval history, or None where it cannot be read.

    Parameters
    ----------
    history : pandas.DataFrame
        A loaded history (``forecasting.load_history``): tz-aware local index, ``volume`` [contacts] and,
        optionally, ``aht_s`` [s] (NaN where no contact).

    Returns
    -------
    HandleSpread or None
        None for a volume-only history, fewer than :data:`MIN_SERVED_INTERVALS` served intervals in slots
        seen :data:`MIN_SLOT_INTERVALS` times, or a CV under :data:`MIN_CREDIBLE_CV`.
    """
    if "aht_s" not in history.columns:
        return None
    volume = history["volume"].to_numpy(dtype=float)
    aht = history["aht_s"].to_numpy(dtype=float)
    served = (volume > 0) & np.isfinite(aht) & (aht > 0)
    if served.sum() < MIN_SERVED_INTERVALS:
        return None
    index = pd.DatetimeIndex(history.index[served])
    n, a = volume[served], aht[served]
    slot = _groups(np.asarray(index.day_of_week, dtype=np.int64) * 1440 + clock_minutes(index))
    keep = np.bincount(slot)[slot] >= MIN_SLOT_INTERVALS
    if keep.sum() < MIN_SERVED_INTERVALS:
        return None
    index, n, a, slot = index[keep], n[keep], a[keep], _groups(slot[keep])
    day = _groups(np.asarray(index.normalize().asi8))
    slot_n, day_n = np.bincount(slot, weights=n), np.bincount(day, weights=n)
    r = a / (np.bincount(slot, weights=n * a) / slot_n)[slot] - 1.0
    drift = np.bincount(day, weights=n * r) / day_n
    y = (r - drift[day]) ** 2
    x = 1.0 / n - 1.0 / slot_n[slot] - 1.0 / day_n[day]
    informative = x > 0.0  # a day served in one interval (or one that holds most of its slot) tells nothing
    x, y = x[informative], y[informative]
    if x.size < MIN_SERVED_INTERVALS:
        return None
    _, free_slope = _fit_line(x, y)
    if free_slope < MIN_CREDIBLE_CV**2:
        return None
    cv2 = _fit_origin(x, y)
    day_var = float(np.average(drift**2, weights=day_n) - cv2 * np.mean(1.0 / day_n))
    cv = min(math.sqrt(cv2), MAX_CV)
    return HandleSpread(cv=round(cv, 2), day_cv=round(math.sqrt(max(day_var, 0.0)), 3), intervals=int(x.size))


def _groups(keys: np.ndarray) -> np.ndarray:
    """Return each key's group number (0 .. groups - 1)."""
    return np.unique(keys, return_inverse=True)[1]


def _fit_origin(x: np.ndarray, y: np.ndarray) -> float:
    """Return the slope of ``y ~ slope * x`` (>= 0), weighted by 1 / fitted**2 after an unweighted first fit."""
    weights = np.ones_like(x)
    slope = 0.0
    for _ in range(2):
        slope = max(_origin_slope(x, y, weights), 0.0)
        weights = 1.0 / np.maximum(slope * x, 1e-12) ** 2
    return slope


def _fit_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Return ``(intercept, slope)`` of ``y ~ intercept + slope * x``, both >= 0, weighted by 1 / fitted**2.

    The first fit is unweighted; the second weighs each point by the inverse square of the first fit's line
    (the variance of a squared deviation grows with the square of its mean). A negative intercept is refit
    through the origin. Only the credibility check reads it: deviations that do not shrink with volume go
    into the intercept, and leave no slope.
    """
    weights = np.ones_like(x)
    intercept = slope = 0.0
    for _ in range(2):
        intercept, slope = _weighted_line(x, y, weights)
        if intercept < 0.0:
            intercept, slope = 0.0, _origin_slope(x, y, weights)
        fitted = np.maximum(intercept + max(slope, 0.0) * x, 1e-12)
        weights = 1.0 / fitted**2
    return intercept, max(slope, 0.0)


def _origin_slope(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Return the weighted least-squares slope of ``y`` on ``x`` through the origin."""
    return float((w * x * y).sum() / (w * x * x).sum())


def _weighted_line(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Return the weighted least-squares ``(intercept, slope)`` of ``y`` on ``x``."""
    sw = w.sum()
    mx, my = (w * x).sum() / sw, (w * y).sum() / sw
    sxx = (w * (x - mx) ** 2).sum()
    if sxx <= 0.0:
        return my, 0.0
    slope = float((w * (x - mx) * (y - my)).sum() / sxx)
    return float(my - slope * mx), slope
