"""The law of a horizon's service level: its mean and spread under each shared forecast error, and P(meet).

The horizon's level is ``W = A / N``: contacts answered within ``answer_within_s`` over all contacts of the
horizon. Three kinds of randomness move it (:mod:`optimizer.arrival_law` for the first two):

1. the forecast error the whole horizon shares, the common factor ``F`` on every interval's volume;
2. each interval's own forecast error (the rest of its spread) and its Poisson arrival count ``N_t``;
3. the queue itself: given its arrivals, an interval's share answered in time is random.

Given ``F``, ``W`` sums many intervals and is taken as normal, ``W | F ~ N(mu(F), s(F)**2)``, with ``mu`` and
``s`` by the delta method for a ratio of sums (``mu = sum E[A_t] / sum E[N_t]``, ``s**2 = sum Var(A_t - mu
N_t) / (sum E[N_t])**2``). With ``V_t`` the interval's true rate at factor ``F`` and ``sl_t(V)`` its Erlang
service level (the plan's maths, :func:`optimizer.staffing.service_at`), per interval

    E[N_t] = E[V_t],    E[A_t] = E[V_t sl_t(V_t)],
    Var(A_t - mu N_t) = E[(V_t + V_t**2) (sl_t - mu)**2] - E[V_t (sl_t - mu)]**2        (counts, own error)
                        + E[(V_t + V_t**2) sl_t (1 - sl_t)] / m   (V_t >= m; else E[V_t sl_t (1 - sl_t)])

the expectations by Gauss-Hermite quadrature over the own error (:data:`OWN_NODES` nodes). The last line is
the queue's part: an interval's share answered in time behaves like the mean of ``m`` independent draws
(``m = interval_min /`` :data:`QUEUE_EXCURSION_MIN`), not of its ``N_t`` contacts, because the contacts of
one busy spell wait or not together. The queue also carries an interval's excess into the next ones, so the
own errors of neighbouring intervals pool: the own log-variance enters divided by
``max(1, OWN_ERROR_POOL_MIN / interval_min)``. Then

    P(W >= target) = E_F[ Phi((mu(F) - target) / s(F)) ]

by Gauss-Hermite quadrature over ``ln F`` (:data:`SHARED_NODES` nodes). ``mu(1)`` sits below the level a
plan reports at the forecast (:func:`horizon_level`): the Erlang level is concave in the load near the
target, so the own error costs more service than it gives back.

Calibration and accuracy (README, "The week's level at a confidence"): the two constants were measured
against the discrete-event simulator (:mod:`optimizer.simulation`, which carries the queue across intervals)
at 30-minute intervals: per busy interval the simulated variance of contacts answered in time is
``0.33 .. 0.40 N**2 sl (1 - sl)`` (``m = 3``), and pooling the own errors over 120 minutes puts the
modelled probability within about 2 points of the simulated share of weeks on the bundled week's plans
(pooled over 60 minutes: 12 and 4 points under) and within 3 on peaked test days, when they were measured.
The mean ``mu`` takes each interval's level at its rate as Erlang's steady state, which a replay does not
reach (an interval starts with the last one's queue, and a high-rate interval's queue spills into the next):
it runs 1.5-2.5 points over the simulated level, and ``P`` inherits it (the bundled week's ``scope: horizon``
plan, 2026-12-07: 57% modelled, 48% of 400 simulated weeks). :func:`anchored_law` moves the mean onto the
interval law's expected level (:func:`optimizer.interval_law.expected_level`, each interval simulated),
keeping this law's spread and its mixing over ``F``; plans and :func:`horizon_meet_probability` read that.
Tiny horizons (a few dozen contacts on one or two agents) are outside that accuracy: there the simulator
answers more than Erlang C at the forecast, and the law claims less (0.56 for 0.69 simulated on one such day).

References
----------
.. [1] W. G. Cochran, "Sampling Techniques", 3rd ed., Wiley, 1977, section 6.3 (variance of a ratio of sums
   by the delta method).
.. [2] J. Jongbloed, G. Koole, "Managing uncertainty in call centres using Poisson mixtures",
   Applied Stochastic Models in Business and Industry 17(4), 2001, 307-318 (the rate law of each interval).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from optimizer.arrival_law import horizon_sigma, volume_sigma
from optimizer.demand import validate_demand_frame
from optimizer.domain import ServiceTarget
from optimizer.errors import InputError
from optimizer.interval_law import expected_level
from optimizer.queueing import offered_load, queue_measures
from optimizer.staffing import effective_agents, service_at, wait_within_s

SHARED_NODES = 48
"""Gauss-Hermite nodes over the horizon's common factor ``ln F``."""

OWN_NODES = 16
"""Gauss-Hermite nodes over each interval's own forecast error."""

OWN_ERROR_POOL_MIN = 120.0
"""Minutes over which the queue pools the intervals' own forecast errors (module notes; measured)."""

QUEUE_EXCURSION_MIN = 10.0
"""Minutes of queue per independent draw of an interval's share answered in time (module notes; measured)."""

__all__ = [
    "OWN_ERROR_POOL_MIN",
    "QUEUE_EXCURSION_MIN",
    "LevelLaw",
    "anchor_offset",
    "anchored_law",
    "horizon_level",
    "horizon_meet_probability",
    "level_law",
]


def horizon_level(
    demand: pd.DataFrame, scheduled: np.ndarray, target: ServiceTarget, *, interval_min: int, factor: float = 1.0
) -> float:
    """Return the volume-weighted Erlang service level over the horizon at ``factor`` times every volume."""
    volume = demand["volume"].to_numpy(dtype=np.float64) * factor
    total = float(volume.sum())
    if total <= 0:
        return 1.0
    scaled = demand[["volume", "aht_s"]].assign(volume=volume)
    sl = service_at(scaled, scheduled, target, interval_min=interval_min)["service_level"].to_numpy()
    return float((volume * sl).sum() / total)


@dataclass(frozen=True, slots=True)
class LevelLaw:
    """The modelled law of a horizon's service level at the quadrature nodes of the common factor.

    Attributes
    ----------
    factor : numpy.ndarray
        Common factor ``F`` on every interval's volume at each node (mean 1 over the weights).
    weight : numpy.ndarray
        Probability weight of each node (sums to 1).
    mean : numpy.ndarray
        Modelled mean of the horizon's level given ``F`` (0-1).
    sd : numpy.ndarray
        Modelled standard deviation of the horizon's level given ``F`` (the randomness inside the horizon).
    """

    factor: np.ndarray
    weight: np.ndarray
    mean: np.ndarray
    sd: np.ndarray

    def expected_level(self) -> float:
        """Return the modelled mean of the horizon's level, over the common factor's nodes."""
        return float(np.clip((self.weight * self.mean).sum(), 0.0, 1.0))

    def shifted(self, delta: float) -> LevelLaw:
        """Return the law with its mean given every ``F`` moved by ``delta`` (within 0-1), spread kept."""
        return dataclasses.replace(self, mean=np.clip(self.mean + delta, 0.0, 1.0))

    def meet_probability(self, level: float) -> float:
        """Return ``P(level of the horizon >= level)``, the normal given ``F`` mixed over ``F``."""
        spread = np.maximum(self.sd, 1e-12)
        given = np.where(self.sd > 0, norm.cdf((self.mean - level) / spread), (self.mean >= level - 1e-12) * 1.0)
        return float(np.clip((self.weight * given).sum(), 0.0, 1.0))


def level_law(demand: pd.DataFrame, scheduled: np.ndarray, target: ServiceTarget, *, interval_min: int) -> LevelLaw:
    """Return the modelled law of the horizon's service level with ``scheduled`` people (module notes).

    Parameters
    ----------
    demand : pandas.DataFrame
        Demand frame of the contacts reaching people (quantile columns widen the own error, else
        ``target.volume_cv``).
    scheduled : numpy.ndarray
        People on shift and not on break per interval; shrinkage applies as in the plan.
    target : ServiceTarget
        Threshold, shrinkage, patience, concurrency, ``volume_cv`` and ``horizon_volume_cv``.
    interval_min : int
        Interval length [min].

    Returns
    -------
    LevelLaw
        One node with level 1 and no spread when no contact is forecast.

    Raises
    ------
    DataError
        When ``demand`` breaks the demand-frame contract.
    InputError
        When ``scheduled`` does not have one value per interval.
    """
    frame = validate_demand_frame(demand, interval_min=interval_min)
    volume = frame["volume"].to_numpy(dtype=np.float64)
    people = np.asarray(scheduled)
    if people.shape != volume.shape:
        problem = f"has shape {people.shape}, expected one value per interval ({len(volume)})"
        raise InputError.single("scheduled", problem)
    busy = volume > 0
    if not busy.any():
        one = np.ones(1)
        return LevelLaw(factor=one, weight=one, mean=one, sd=np.zeros(1))
    sigma = volume_sigma(frame, target.volume_cv)
    sigma_h = horizon_sigma(volume_sigma(frame[["volume"]], target.volume_cv)[busy], target.horizon_volume_cv)
    pooled = max(1.0, OWN_ERROR_POOL_MIN / interval_min)
    own = np.sqrt(np.clip(sigma[busy] ** 2 - sigma_h**2, 0.0, None) / pooled)[:, None]
    aht = frame["aht_s"].to_numpy(dtype=np.float64)[busy][:, None]
    agents = effective_agents(people, target.shrinkage)[busy][:, None]
    draws = max(1.0, interval_min / QUEUE_EXCURSION_MIN)
    z_own, w_own = _normal_nodes(OWN_NODES)
    if sigma_h > 0:
        z_h, weight = _normal_nodes(SHARED_NODES)
    else:
        z_h, weight = np.zeros(1), np.ones(1)
    factor = np.exp(sigma_h * z_h - 0.5 * sigma_h * sigma_h)
    # rate[f, t, k]: interval t's true rate at shared node f and own node k
    rate = factor[:, None, None] * (volume[busy][:, None] * np.exp(own * z_own - 0.5 * own * own))[None]
    sl = queue_measures(
        agents[None],
        offered_load(rate, aht[None], interval_min),
        aht[None],
        wait_within_s(target),
        patience_s=target.patience_s,
        concurrency=target.concurrency,
    ).service_level
    arrived = (rate * w_own).sum(axis=(1, 2))
    mean = (rate * sl * w_own).sum(axis=(1, 2)) / arrived
    gap = sl - mean[:, None, None]
    count_part = ((rate + rate * rate) * gap * gap * w_own).sum(axis=2) - ((rate * gap * w_own).sum(axis=2)) ** 2
    per_draw = np.where(rate >= draws, (rate + rate * rate) / draws, rate)
    queue_part = (per_draw * sl * (1.0 - sl) * w_own).sum(axis=2)
    sd = np.sqrt(np.clip((count_part + queue_part).sum(axis=1), 0.0, None)) / arrived
    return LevelLaw(factor=factor, weight=weight, mean=mean, sd=sd)


def anchor_offset(
    demand: pd.DataFrame,
    scheduled: np.ndarray,
    target: ServiceTarget,
    *,
    interval_min: int,
    law: LevelLaw | None = None,
    expected: float | None = None,
) -> float:
    """Return the interval law's expected level less this law's mean for ``scheduled`` people (module notes).

    ``law`` (:func:`level_law` of the same people) and ``expected`` (the interval law's level) when the caller
    has them; 0 past the interval law's contact budget, where this law's mean is the only one.
    """
    if expected is None:
        agents = effective_agents(np.asarray(scheduled), target.shrinkage)
        expected = expected_level(demand, agents, target, interval_min=interval_min)
    if expected is None:
        return 0.0
    law = law if law is not None else level_law(demand, scheduled, target, interval_min=interval_min)
    return expected - law.expected_level()


def anchored_law(
    demand: pd.DataFrame,
    scheduled: np.ndarray,
    target: ServiceTarget,
    *,
    interval_min: int,
    expected: float | None = None,
) -> LevelLaw:
    """Return :func:`level_law` with its mean moved onto the interval law's expected level (module notes).

    ``expected``: the interval law's level of the same people, when the caller has it.
    """
    law = level_law(demand, scheduled, target, interval_min=interval_min)
    offset = anchor_offset(demand, scheduled, target, interval_min=interval_min, law=law, expected=expected)
    return law.shifted(offset)


def horizon_meet_probability(
    demand: pd.DataFrame, scheduled: np.ndarray, target: ServiceTarget, *, interval_min: int
) -> float:
    """Return the modelled probability that the horizon's service level reaches ``target.service_level``.

    The level given the horizon's common factor ``F`` is normal around its modelled mean with the spread of
    the randomness inside the horizon (each interval's own error, Poisson counts, the queue), mixed over ``F``
    (module notes, :func:`level_law`), the mean anchored on the interval law's (:func:`anchored_law`). The
    simulator's share of horizons that meet the level (``horizon_met_share``) is what it estimates.
    """
    law = anchored_law(demand, scheduled, target, interval_min=interval_min)
    return law.meet_probability(target.service_level)


def _normal_nodes(count: int) -> tuple[np.ndarray, np.ndarray]:
    z, w = np.polynomial.hermite_e.hermegauss(count)
    return z, w / w.sum()
