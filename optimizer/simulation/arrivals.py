"""Random contacts for every replication: how many arrive in each interval, when, and how long each takes.

The one home of the simulators' contact draws (:mod:`optimizer.simulation.floor` for one queue,
:mod:`optimizer.simulation.queues` for several): counts per interval by the option's ``volumes`` law
(:mod:`optimizer.arrival_law` for forecast uncertainty), uniform arrival times given the counts, and handle
times with mean ``aht_s`` and the target's coefficient of variation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.arrival_law import draw_rates, horizon_sigma, volume_sigma
from optimizer.interval_law import draw_handle_factors
from optimizer.simulation.options import SimulationOptions


def _arrivals(rng: np.random.Generator, counts: np.ndarray, interval_s: float) -> np.ndarray:
    """Return sorted, ``inf``-padded arrival times (R, J): ``counts[r, t]`` uniform times in each interval.

    Uniform times given the count are exactly a Poisson process when the counts are Poisson.
    """
    reps, size = counts.shape
    per_rep = counts.sum(axis=1)
    flat = counts.ravel()
    t_idx = np.repeat(np.tile(np.arange(size), reps), flat)
    r_idx = np.repeat(np.repeat(np.arange(reps), size), flat)
    offset = np.concatenate(([0], np.cumsum(per_rep)[:-1]))
    arrival = np.full((reps, max(int(per_rep.max(initial=0)), 1)), np.inf)
    arrival[r_idx, np.arange(len(t_idx)) - offset[r_idx]] = (t_idx + rng.random(len(t_idx))) * interval_s
    arrival.sort(axis=1)
    return arrival


def draw_contacts(
    rng: np.random.Generator,
    demand: pd.DataFrame,
    aht_s: np.ndarray,
    options: SimulationOptions,
    *,
    volume_cv: float | None,
    handle_cv: float,
    interval_s: float,
    horizon_cv: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return every replication's arrival times and handle times, shape (R, J), sorted and ``inf``-padded.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (draws: counts, then arrival times, then handle times).
    demand : pandas.DataFrame
        Validated demand frame (``volume``, optional ``volume_pXX`` quantile columns).
    aht_s : ndarray, shape (T,)
        Mean time a contact of each interval occupies its server [s] (chat: already slowed by concurrency).
    options : SimulationOptions
        ``reps``, the ``volumes`` law and its ``volume_cv``.
    volume_cv : float, optional
        The service target's forecast-error CV, used when ``options.volume_cv`` is unset.
    handle_cv : float
        Coefficient of variation of handle times (:func:`draw_handle_factors`).
    interval_s : float
        Interval length [s].
    horizon_cv : float, optional
        The service target's ``horizon_volume_cv``, used when ``options.horizon_volume_cv`` is unset.

    Returns
    -------
    tuple of ndarray
        ``arrival_s`` after the horizon start [s] (``inf`` pads rows with fewer contacts) and ``handle_s``,
        the handle time of each contact [s] (meaningless on padding).
    """
    volume = demand["volume"].to_numpy()
    if options.volumes == "counts":
        counts = np.broadcast_to(np.rint(volume).astype(np.int64), (options.reps, len(volume)))
    elif options.volumes == "forecast":
        sigma = volume_sigma(demand, options.volume_cv if options.volume_cv is not None else volume_cv)
        shared = options.horizon_volume_cv if options.horizon_volume_cv is not None else horizon_cv
        sigma_h = horizon_sigma(sigma[volume > 0], shared)
        counts = rng.poisson(draw_rates(rng, volume, sigma, options.reps, sigma_h=sigma_h))
    else:
        counts = rng.poisson(np.broadcast_to(volume, (options.reps, len(volume))))
    arrival = _arrivals(rng, counts, interval_s)
    t_of = np.minimum(arrival / interval_s, len(demand) - 1).astype(np.int64)
    factors = draw_handle_factors(rng, arrival.shape, handle_cv)
    if options.aht == "realised":
        factors = _averaging_one(factors, t_of, np.isfinite(arrival), len(demand))
    return arrival, np.asarray(aht_s)[t_of] * factors


def _averaging_one(factors: np.ndarray, t_of: np.ndarray, real: np.ndarray, intervals: int) -> np.ndarray:
    """Return handle factors scaled so each replication's contacts of each interval average exactly 1.

    The factors keep their spread within an interval (the shape of the law); the interval's mean is the
    realised AHT they multiply. ``real`` marks contacts (not padding); ``t_of`` is each one's interval.
    """
    key = np.arange(factors.shape[0])[:, None] * intervals + t_of
    size = factors.shape[0] * intervals
    sums = np.bincount(key[real], weights=factors[real], minlength=size)
    counts = np.bincount(key[real], minlength=size)
    mean = np.divide(sums, counts, out=np.ones(size), where=counts > 0)
    return np.where(real, factors / mean[key], factors)
