"""The law of the number of contacts arriving in an interval: Poisson mixed with forecast uncertainty.

A forecast says ``volume`` contacts for an interval; the contacts that do arrive are random twice over.
The interval's true rate ``V`` differs from the forecast (forecast error), and given ``V`` the count ``N`` is
Poisson (contacts arrive independently). This module is the one home of that law: staffing to a
confidence level reads its quantiles, the plan's ``p_meet`` its distribution function, and the simulator
draws from it.

Forecast error is **lognormal and mean-preserving**: ``V = volume * exp(sigma Z - sigma**2 / 2)`` with
``Z ~ N(0, 1)``, so ``E[V] = volume`` and ``CV[V] = sqrt(exp(sigma**2) - 1)``. ``sigma`` per interval comes
from the demand frame's quantile columns (``volume_p90`` and the like) when it has them: the point forecast
is read as their median, so each quantile ``x_q`` gives ``ln(x_q / volume) / z_q`` and ``sigma`` is their
mean over the usable columns. Otherwise every interval gets one coefficient of variation ``volume_cv``,
``sigma = sqrt(ln(1 + volume_cv**2))``; :data:`DEFAULT_VOLUME_CV` when none is given.

Part of that error is **shared by the whole horizon**: a forecast that misses a week's total misses most of its
intervals the same way. ``horizon_volume_cv`` (:data:`DEFAULT_HORIZON_CV` when none is given) is the CV of
that common factor ``F = exp(sigma_h Z_h - sigma_h**2 / 2)``; each interval keeps its own remainder, with
``sigma_t**2 - sigma_h**2`` on the log scale, so one interval's law (its quantiles, ``p_meet``) is the same
with or without the common part, and only horizon-wide spreads widen. ``sigma_h`` is capped at the smallest
``sigma_t`` of the intervals with volume (:func:`horizon_sigma`): with ``volume_cv: 0`` nothing is shared.

The mixture ``P(N <= c) = E[Poisson_cdf(c; V)]`` is evaluated by Gauss-Hermite quadrature over ``Z``
(:data:`QUADRATURE_NODES` nodes; exact Poisson when ``sigma = 0``).

References
----------
.. [1] J. Jongbloed, G. Koole, "Managing uncertainty in call centres using Poisson mixtures",
   Applied Stochastic Models in Business and Industry 17(4), 2001, 307-318.
.. [2] S. Aldor-Noiman, P. Feigin, A. Mandelbaum, "Workload forecasting for a call center: methodology
   and a case study", Annals of Applied Statistics 3(4), 2009 (half-hour volumes are over-dispersed
   with respect to Poisson by a multiplicative error of roughly 5-15 %).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import special
from scipy.stats import norm

DEFAULT_HORIZON_CV = 0.05
"""Coefficient of variation of a horizon's total volume around its forecast when nothing better is known.

About the weekly-total error of the bundled history's chosen forecaster in its backtest; plans from a history
take the forecaster's own (``forecasting.Score.horizon_cv``)."""

DEFAULT_VOLUME_CV = 0.10
"""Coefficient of variation of an interval's true rate around its forecast when nothing better is known.

About what reference [2] of the module reports for half-hour volumes of a mature forecast; calibrate it
with ``shiftmix backtest --staffing``."""

QUADRATURE_NODES = 24
"""Gauss-Hermite nodes of the Poisson-lognormal mixture."""

_QUANTILE_COLUMN = re.compile(r"^volume_p(\d+(?:_\d+)?)$")

__all__ = [
    "DEFAULT_HORIZON_CV",
    "DEFAULT_VOLUME_CV",
    "count_cdf",
    "count_quantile",
    "draw_rates",
    "horizon_factor",
    "horizon_sigma",
    "volume_sigma",
]


def _quantile_of(column: str) -> float | None:
    match = _QUANTILE_COLUMN.match(column)
    if match is None:
        return None
    q = float(match.group(1).replace("_", ".")) / 100.0
    return q if 0.0 < q < 1.0 and q != 0.5 else None


def volume_sigma(demand: pd.DataFrame, volume_cv: float | None = None) -> np.ndarray:
    """Return the log-scale spread ``sigma`` of each interval's true rate around its forecast.

    Parameters
    ----------
    demand : pandas.DataFrame
        Demand frame; ``volume_pXX`` quantile columns (``volume_p97_5`` = 0.975) are used when present, else
        a ``volume_cv`` column (each interval's rate CV) where it is not NaN.
    volume_cv : float, optional
        Coefficient of variation of the rate where neither gives one, >= 0; :data:`DEFAULT_VOLUME_CV` when
        None.

    Returns
    -------
    ndarray of float, shape (T,)
        ``sigma >= 0`` per interval (module notes); 0 where ``volume`` is 0.
    """
    volume = demand["volume"].to_numpy(dtype=np.float64)
    columns = [(c, q) for c in demand.columns if (q := _quantile_of(str(c))) is not None]
    if not columns:
        cv = np.full(len(volume), DEFAULT_VOLUME_CV if volume_cv is None else float(volume_cv))
        if "volume_cv" in demand.columns:
            own = demand["volume_cv"].to_numpy(dtype=np.float64)
            cv = np.where(np.isfinite(own), own, cv)
        return np.where(volume > 0, np.sqrt(np.log1p(cv * cv)), 0.0)
    total = np.zeros(len(volume))
    used = np.zeros(len(volume))
    for column, q in columns:
        x = demand[column].to_numpy(dtype=np.float64)
        ok = (x > 0) & (volume > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.log(x / volume) / norm.ppf(q)
        total += np.where(ok, s, 0.0)
        used += ok
    return np.where(used > 0, np.clip(total / np.maximum(used, 1), 0.0, None), 0.0)


def _nodes() -> tuple[np.ndarray, np.ndarray]:
    z, w = np.polynomial.hermite_e.hermegauss(QUADRATURE_NODES)
    return z, w / w.sum()


def _rates(volume: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z, w = _nodes()
    v = np.asarray(volume, dtype=np.float64)[..., None]
    s = np.asarray(sigma, dtype=np.float64)[..., None]
    return v * np.exp(s * z - 0.5 * s * s), w


def count_cdf(count: np.ndarray, volume: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Return ``P(N <= count)`` for the arrival count ``N`` of each interval (module notes).

    Parameters
    ----------
    count : ndarray
        Whole numbers of contacts (negative gives 0).
    volume : ndarray
        Forecast contacts per interval, >= 0.
    sigma : ndarray
        Log-scale spread of the rate (:func:`volume_sigma`).

    Returns
    -------
    ndarray of float
        Broadcast shape of the inputs; 1 where ``volume`` is 0 and ``count >= 0``.
    """
    rates, w = _rates(volume, sigma)
    c = np.floor(np.asarray(count, dtype=np.float64))[..., None]
    cdf = np.where(c < 0, 0.0, special.pdtr(np.maximum(c, 0.0), rates))
    return np.clip((cdf * w).sum(axis=-1), 0.0, 1.0)


def count_quantile(volume: np.ndarray, sigma: np.ndarray, p: float) -> np.ndarray:
    """Return the smallest count ``c`` with ``P(N <= c) >= p`` per interval.

    Parameters
    ----------
    volume, sigma : ndarray
        As in :func:`count_cdf`.
    p : float
        Probability in (0, 1).

    Returns
    -------
    ndarray of int64
        The ``p``-quantile of the arrival count; 0 where ``volume`` is 0.
    """
    v = np.asarray(volume, dtype=np.float64)
    s = np.asarray(sigma, dtype=np.float64)
    top = v * np.exp(s * (norm.ppf(p) + 4.0))
    hi = np.ceil(top + 10.0 * np.sqrt(top) + 10.0)
    lo = np.full(v.shape, -1.0)
    while True:  # widen until every bracket holds the quantile (rarely needed)
        short = count_cdf(hi, v, s) < p
        if not short.any():
            break
        hi = np.where(short, 2.0 * hi, hi)
    while (hi - lo > 1).any():
        mid = np.floor((lo + hi) / 2.0)
        ok = count_cdf(mid, v, s) >= p
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    return hi.astype(np.int64)


def horizon_sigma(sigma: np.ndarray, horizon_cv: float | None = None) -> float:
    """Return the log-scale spread of the horizon's common factor (module notes).

    Parameters
    ----------
    sigma : ndarray
        Each interval's spread (:func:`volume_sigma`); intervals without volume have 0 and are ignored.
    horizon_cv : float, optional
        CV of the common factor, >= 0; :data:`DEFAULT_HORIZON_CV` when None.

    Returns
    -------
    float
        ``sqrt(ln(1 + horizon_cv**2))``, at most the smallest positive ``sigma`` (0 when there is none).
    """
    cv = DEFAULT_HORIZON_CV if horizon_cv is None else float(horizon_cv)
    s = np.asarray(sigma, dtype=np.float64)
    positive = s[s > 0]
    if positive.size == 0:
        return 0.0
    return float(min(np.sqrt(np.log1p(cv * cv)), positive.min()))


def horizon_factor(sigma_h: float, p: float) -> float:
    """Return the ``p`` quantile of the horizon's common factor ``F`` (mean 1; module notes)."""
    return float(np.exp(sigma_h * norm.ppf(p) - 0.5 * sigma_h * sigma_h))


def draw_rates(
    rng: np.random.Generator, volume: np.ndarray, sigma: np.ndarray, reps: int, *, sigma_h: float = 0.0
) -> np.ndarray:
    """Return ``reps`` draws of every interval's true rate ``V`` (module notes), shape (reps, T).

    With ``sigma_h > 0`` each replication draws one common factor of that spread (:func:`horizon_sigma`) and
    each interval the rest of its own spread, so every interval's law is unchanged.
    """
    v = np.asarray(volume, dtype=np.float64)
    s = np.sqrt(np.clip(np.asarray(sigma, dtype=np.float64) ** 2 - sigma_h**2, 0.0, None))
    z = rng.standard_normal((reps, len(v)))
    rates = v * np.exp(s * z - 0.5 * s * s)
    if sigma_h > 0:
        rates *= np.exp(sigma_h * rng.standard_normal((reps, 1)) - 0.5 * sigma_h * sigma_h)
    return rates
