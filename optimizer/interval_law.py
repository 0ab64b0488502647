"""How likely one interval is to reach its service level with a given number of agents: ``p_meet``.

An interval meets its target when the share of the contacts arriving in it that are answered within the
threshold reaches the level. That share is random three times over: the true rate ``V`` of the interval is
uncertain (:mod:`optimizer.arrival_law`, the forecast error), the count arriving at ``V`` is Poisson, and the
same count can meet or miss depending on how the contacts bunch and how long each takes. Erlang C/A give
the *mean* share at a rate; the share of one half-hour is skewed around it (most intervals do better than the
mean, a few bursts do much worse), so a count-only model (meet when the count is at most the most contacts
the agents answer at the mean level) under-states how often an interval meets: measured on the bundled week
(with a 12% rate CV), 0.55 against 0.67-0.69 for intervals staffed at the forecast mean, and 28% of intervals
below target against the plan simulator's 20%.

So ``p_meet`` is estimated by simulating each interval on its own (``MEET_REPS`` replications): each draws its
rate ``V`` (stratified over the rate's law), then one interval of contacts at a rate of its own (the same
law, drawn apart, as the plan simulator draws every interval's; more for spread handle times,
:func:`warm_up_intervals`) to warm the queue up from empty, and the
measured interval at ``V``; Poisson arrivals, handle times with the target's
``handle_cv`` (exponential at 1, else lognormal, as the plan simulator), exponential patience when
``patience_s`` is set (a contact abandons when its wait would exceed it), FCFS on ``agents * concurrency``
virtual servers (the queueing module's concurrency model); ``p_meet`` is the share of replications whose
measured interval answers at least ``level`` of its contacts within ``answer_within_s`` (an interval without
contacts meets). Against the plan simulator (:mod:`optimizer.simulation`, which also carries queues over
interval boundaries and changes the floor mid-queue) the bundled week's share below target agrees within two
points (tests; 21.9% modelled and 21.6% simulated on its plan without a confidence).

Every interval's replications use the same draws for every number of agents (common random numbers,
seeded by the interval's position), so ``p_meet`` is a deterministic, non-decreasing function of the agents
(a replication that meets with fewer agents counts as meeting with more) and the plan's ``p_meet`` is the
value its share goal was priced on. Agents are simulated over a bracket per interval, from a count-law
probability of meeting of ``BRACKET_LOW`` to ``BRACKET_HIGH``, each widened by ``BRACKET_PAD`` agents; below
it ``p_meet`` is 0 and above it the bracket's top value; a bracket whose ends are not 0 and 1 is widened
(a handle-time CV over 1, which the count law's Erlang does not stretch, moves the simulated law up).

The same replications, pooled over contacts, give the level a replay is expected to find
(:func:`expected_level`, a plan's ``kpis.expected_service_level``): on the bundled week 82.8% against the
plan simulator's 83.1% (Erlang C) and 87.7% against 88.4% (Erlang A, 120 s patience), where the analytic
law of :mod:`optimizer.horizon_law` (each interval at Erlang's steady state) says 85.2% and 89.4%.

A frame of more than ``SIMULATED_CONTACTS`` forecast contacts (a large site's week) takes the count law
instead, ``p_meet(n) = P(N <= N*(n))`` with ``N*(n)`` the most contacts ``n`` agents answer at the mean level
(Erlang C/A at the caller's threshold, ``erlang_within_s``): cheap, and pessimistic by 0.03-0.10 around
the staffing point at 150-1,500 contacts an interval (measured against this module's simulation).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd
from scipy.stats import norm

from optimizer._erlang import smallest_meeting, virtual_servers
from optimizer.arrival_law import count_cdf, count_quantile, volume_sigma
from optimizer.domain import ServiceTarget
from optimizer.queueing import agents_for_target, offered_load, queue_measures

MEET_REPS = 400
"""Replications per interval: a ``p_meet`` of 0.9 is known to about +-0.015 (one standard error)."""

MEET_SEED = 20261207
"""Seed of every interval's draws (with its position), so ``p_meet`` is the same on every call."""

SIMULATED_CONTACTS = 50_000
"""Most forecast contacts (summed over a demand frame's intervals) whose ``p_meet`` is simulated; a larger
frame takes the count law (module notes). At 400 replications a frame costs about
``2 * MEET_REPS * contacts`` simulated contacts per count (30 ns each here): 0.3 s for the bundled week of
11,000 contacts, 5 s for a 500-agent week of 84,000, which is why the law changes there."""

WARM_UP = 1
"""Intervals of contacts simulated before the measured one, from an empty floor, each at a rate of its own,
with exponential handle times; :func:`warm_up_intervals` scales it with their spread."""


def warm_up_intervals(handle_cv: float) -> int:
    """Return the intervals of warm-up before a measured one.

    ``WARM_UP`` for exponential handle times (``handle_cv == 1``); for lognormal ones (any other CV, as
    :func:`draw_handle_factors` draws them) one more than ``(1 + cv**2) / 2`` rounded up, times ``WARM_UP``. A
    queue's backlog, and the time it takes to forget it, grow with the handle-time spread like its mean wait
    (the Allen-Cunneen factor ``(1 + cv**2) / 2``) and with the lognormal's long tail, which an exponential of
    the same CV lacks: on the bundled week one interval left the interval law over the plan simulator's
    level by 0.6 points at a lognormal CV of 0.99 (83.7% against 83.1%; two intervals: 83.0%) and by 2.1
    points at 1.3 (86.5% against 84.3%; two: 84.5%, three: 84.3%), while exponential handle times agree with
    one (83.3% against 83.5%).
    """
    if handle_cv == 1.0:
        return WARM_UP
    return WARM_UP * (math.ceil((1.0 + handle_cv * handle_cv) / 2.0 - 1e-9) + 1)


BRACKET_LOW = 1e-4
"""Agents meeting the level at this quantile of the arrival count (minus ``BRACKET_PAD``) start the bracket."""

BRACKET_HIGH = 1.0 - 1e-6
"""Agents meeting the level at this quantile of the arrival count (plus ``BRACKET_PAD``) end the bracket."""

BRACKET_PAD = 2
"""Agents added on both sides of the count-law bracket (the simulated law is wider than the count law's)."""

__all__ = [
    "MEET_REPS",
    "SIMULATED_CONTACTS",
    "MeetTable",
    "clear_caches",
    "draw_handle_factors",
    "expected_level",
    "meet_at",
    "meet_table",
]


def clear_caches() -> None:
    """Forget every cached table and interval simulation (benchmarks time a plan as a fresh process would)."""
    _cached.cache_clear()
    _per_rep.cache_clear()


def draw_handle_factors(rng: np.random.Generator, shape: tuple[int, ...], cv: float) -> np.ndarray:
    """Return handle-time multipliers of mean 1 and coefficient of variation ``cv``.

    ``cv == 1`` draws exponential times (the Erlang assumption); any other value a lognormal with
    ``sigma**2 = ln(1 + cv**2)`` and ``mu = -sigma**2 / 2``.
    """
    if cv == 1.0:
        return rng.exponential(1.0, shape)
    s2 = float(np.log1p(cv * cv))
    return rng.lognormal(-0.5 * s2, np.sqrt(s2), shape)


@numba.njit(cache=True)  # type: ignore[misc]
def _served(
    arrival: np.ndarray,
    handle: np.ndarray,
    patience: np.ndarray,
    measured_from: float,
    s: int,
    within_s: float,
    heap: np.ndarray,
) -> tuple[int, int]:  # pragma: no cover - compiled; covered through meet_table and expected_level
    """Return one replication's measured contacts answered within ``within_s``, and all of them, with ``s`` servers.

    ``arrival`` is sorted and ``inf``-padded; contacts from ``measured_from`` on are measured. FCFS: a contact
    starts on the earliest free server (a min-heap of free times, ``heap[:s]``) unless its wait would exceed
    its patience, in which case it abandons and uses no server.
    """
    total = 0
    met = 0
    for i in range(s):
        heap[i] = 0.0
    for j in range(arrival.size):
        a = arrival[j]
        if not a < np.inf:
            break
        answered = False
        wait = np.inf
        if s > 0:
            start = heap[0] if heap[0] > a else a
            wait = start - a
            if wait <= patience[j]:
                answered = True
                free = start + handle[j]
                i = 0
                while True:  # replace the heap's top and sift it down
                    c = 2 * i + 1
                    if c >= s:
                        break
                    if c + 1 < s and heap[c + 1] < heap[c]:
                        c += 1
                    if heap[c] >= free:
                        break
                    heap[i] = heap[c]
                    i = c
                heap[i] = free
        if a >= measured_from:
            total += 1
            if answered and wait <= within_s:
                met += 1
    return met, total


@numba.njit(cache=True)  # type: ignore[misc]
def _reached(met: np.ndarray | int, total: np.ndarray | int, level: float) -> np.ndarray | bool:  # pragma: no cover
    """Return whether replications reach ``level``: ``met`` of ``total`` measured contacts answered in time.

    Scalars or arrays; a replication without contacts meets.
    """
    return (total == 0) | (met >= (level - 1e-12) * total)


@numba.njit(cache=True)  # type: ignore[misc]
def _served_each(
    arrival: np.ndarray, handle: np.ndarray, patience: np.ndarray, measured_from: float, s: int, within_s: float
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled; covered through meet_at and expected_level
    """Return each replication's measured contacts answered within ``within_s``, and all measured ones."""
    reps = arrival.shape[0]
    met = np.zeros(reps, dtype=np.int64)
    total = np.zeros(reps, dtype=np.int64)
    heap = np.zeros(max(1, s))
    for r in range(reps):
        met[r], total[r] = _served(arrival[r], handle[r], patience[r], measured_from, s, within_s, heap)
    return met, total


@numba.njit(cache=True)  # type: ignore[misc]
def _meets(
    arrival: np.ndarray,
    handle: np.ndarray,
    patience: np.ndarray,
    measured_from: float,
    servers: np.ndarray,
    within_s: float,
    level: float,
) -> np.ndarray:  # pragma: no cover - compiled; covered through meet_table
    """Return ``met[r, k]``: replication r meets with ``servers[k]`` servers (``servers`` ascending).

    Each replication's fewest servers that meet is found by bisection over ``servers`` (a count that meets
    is taken to meet with more: exact without patience, where FCFS waits only shorten with more servers),
    so about ``log2(len(servers))`` simulations a replication; past the last count it is taken to meet.
    """
    reps = arrival.shape[0]
    size = servers.size
    out = np.zeros((reps, size), dtype=np.bool_)
    heap = np.zeros(max(1, servers.max()))
    for r in range(reps):
        lo, hi = -1, size
        while hi - lo > 1:
            mid = (lo + hi) // 2
            met, total = _served(arrival[r], handle[r], patience[r], measured_from, servers[mid], within_s, heap)
            if _reached(met, total, level):
                hi = mid
            else:
                lo = mid
        out[r, hi:] = True
    return out


@dataclass(frozen=True, slots=True)
class _Knobs:
    """The parts of a service target the simulation reads (the cache's key with the demand)."""

    within_s: float
    patience_s: float | None
    concurrency: int
    handle_cv: float


def _inputs(frame: pd.DataFrame, target: ServiceTarget) -> tuple[np.ndarray, np.ndarray, np.ndarray, _Knobs]:
    """Return a demand frame's volume, rate spread and AHT (contiguous float arrays) and the target's knobs."""
    volume = np.ascontiguousarray(frame["volume"].to_numpy(dtype=np.float64))
    sigma = np.ascontiguousarray(volume_sigma(frame, target.volume_cv), dtype=np.float64)
    aht = np.ascontiguousarray(frame["aht_s"].to_numpy(dtype=np.float64))
    knobs = _Knobs(target.answer_within_s, target.patience_s, target.concurrency, target.handle_law_cv)
    return volume, sigma, aht, knobs


@dataclass(frozen=True)
class MeetTable:
    """``p_meet`` of every interval over its bracket of agents (module notes).

    ``low[t]`` is the first agent count of interval t's bracket and ``p[t][i]`` the probability of meeting with
    ``low[t] + i`` agents (non-decreasing); intervals without contacts have an empty bracket and meet.
    """

    low: np.ndarray
    p: tuple[np.ndarray, ...]
    busy: np.ndarray

    def at(self, agents: np.ndarray) -> np.ndarray:
        """Return ``p_meet`` per interval with ``agents[t]`` agents (0 below the bracket, its top above it)."""
        n = np.asarray(agents, dtype=np.int64)
        out = np.ones(len(self.p))
        for t in np.flatnonzero(self.busy):
            i = int(n[t] - self.low[t])
            row = self.p[t]
            out[t] = 0.0 if i < 0 else row[min(i, len(row) - 1)]
        return out

    def fewest(self, confidence: float) -> np.ndarray:
        """Return the fewest agents per interval whose ``p_meet`` reaches ``confidence`` (the bracket's top at most)."""
        out = np.zeros(len(self.p), dtype=np.int64)
        for t in np.flatnonzero(self.busy):
            row = self.p[t]
            reached = np.flatnonzero(row >= confidence - 1e-12)
            out[t] = self.low[t] + (int(reached[0]) if reached.size else len(row) - 1)
        return out


def _bracket(
    volume: np.ndarray,
    sigma: np.ndarray,
    aht: np.ndarray,
    knobs: _Knobs,
    erlang_within_s: float,
    interval_min: int,
    level: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the first and last agent counts to simulate per interval: the count law's (module notes).

    ``erlang_within_s`` is the threshold the count law's Erlang is evaluated at (the caller's, with its
    handle-time correction); the simulation reads ``knobs.within_s``.
    """

    def agents_at(p: float) -> np.ndarray:
        count = count_quantile(volume, sigma, p)
        return np.asarray(
            agents_for_target(
                offered_load(count, aht, interval_min),
                aht,
                service_level=level,
                within_s=erlang_within_s,
                patience_s=knobs.patience_s,
                concurrency=knobs.concurrency,
            ),
            dtype=np.int64,
        )

    low = np.maximum(agents_at(BRACKET_LOW) - BRACKET_PAD, 0)
    high = agents_at(BRACKET_HIGH) + BRACKET_PAD
    return low, np.maximum(high, low)


def _draws(
    t: int, volume: float, sigma: float, aht_s: float, knobs: _Knobs, interval_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Return interval ``t``'s replications: arrival, handle, patience times (R, J), the measured start [s].

    Each replication's measured interval has its rate from the stratified law; the warm-up intervals before it
    each draw their own (a shuffle of the same strata), as the plan simulator draws every interval's.
    """
    rng = np.random.default_rng((MEET_SEED, t))
    z = norm.ppf((np.arange(MEET_REPS) + 0.5) / MEET_REPS)
    rate = volume * np.exp(sigma * z - 0.5 * sigma * sigma)
    warm_up = warm_up_intervals(knobs.handle_cv)
    rates = np.stack([*(rng.permutation(rate) for _ in range(warm_up)), rate], axis=1)
    counts = rng.poisson(rates)  # warm-up intervals, then the measured one
    width = max(int(counts.sum(axis=1).max()), 1)
    slot = np.arange(width)[None, :]
    warm, total = counts[:, :warm_up].sum(axis=1, keepdims=True), counts.sum(axis=1, keepdims=True)
    u = rng.random((MEET_REPS, width))
    arrival = np.where(slot < warm, warm_up * u, np.where(slot < total, warm_up + u, np.inf)) * interval_s
    arrival.sort(axis=1)
    _, _, aht = virtual_servers(np.zeros(()), np.zeros(()), np.asarray(aht_s), knobs.concurrency)
    handle = float(aht) * draw_handle_factors(rng, arrival.shape, knobs.handle_cv)
    if knobs.patience_s is not None:
        patience = rng.exponential(knobs.patience_s, arrival.shape)
    else:
        patience = np.full(arrival.shape, np.inf)
    return arrival, handle, patience, warm_up * interval_s


def _interval_meets(
    t: int,
    volume: float,
    sigma: float,
    aht_s: float,
    agents: np.ndarray,
    knobs: _Knobs,
    interval_s: float,
    level: float,
) -> np.ndarray:
    """Return ``p_meet`` of interval ``t`` for each count in ``agents`` (ascending), by simulation."""
    arrival, handle, patience, start = _draws(t, volume, sigma, aht_s, knobs, interval_s)
    servers, _, _ = virtual_servers(np.asarray(agents, dtype=np.int64), np.zeros(()), np.zeros(()), knobs.concurrency)
    met = _meets(arrival, handle, patience, start, servers, knobs.within_s, level)
    return np.asarray(met.mean(axis=0))


MAX_WIDENINGS = 8
"""A bracket whose ends do not reach 0 and 1 is widened at most this many times (each by ``BRACKET_PAD``)."""


def _row(
    t: int, lo: int, hi: int, volume: float, sigma: float, aht_s: float, knobs: _Knobs, interval_s: float, level: float
) -> tuple[int, np.ndarray]:
    """Return interval t's bracket start and ``p_meet`` over it, widened until its ends reach 0 and 1."""
    row = _interval_meets(t, volume, sigma, aht_s, np.arange(lo, hi + 1), knobs, interval_s, level)
    for _ in range(MAX_WIDENINGS):
        down = row[0] > 0.0 and lo > 0
        up = row[-1] < 1.0
        if not (down or up):
            break
        lo = max(0, lo - BRACKET_PAD) if down else lo
        hi = hi + BRACKET_PAD if up else hi
        row = _interval_meets(t, volume, sigma, aht_s, np.arange(lo, hi + 1), knobs, interval_s, level)
    return lo, row


def _count_law(
    volume: np.ndarray,
    sigma: np.ndarray,
    aht: np.ndarray,
    agents: np.ndarray,
    knobs: _Knobs,
    erlang_within_s: float,
    interval_min: int,
    level: float,
) -> np.ndarray:
    """Return the count law's ``p_meet`` element by element (module notes); all arrays of one shape, volume > 0."""
    per_contact = aht / (60.0 * interval_min)

    def fails(count: np.ndarray, idx: np.ndarray) -> np.ndarray:
        m = queue_measures(
            agents[idx],
            count * per_contact[idx],
            aht[idx],
            erlang_within_s,
            patience_s=knobs.patience_s,
            concurrency=knobs.concurrency,
        )
        return m.service_level < level

    step = np.ceil(2.0 * np.sqrt(volume)) + 1.0
    most = smallest_meeting(fails, np.zeros(volume.size), step) - 1
    return np.asarray(count_cdf(most, volume, sigma))


def _count_rows(
    idx: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    volume: np.ndarray,
    sigma: np.ndarray,
    aht: np.ndarray,
    knobs: _Knobs,
    erlang_within_s: float,
    interval_min: int,
    level: float,
) -> list[tuple[int, np.ndarray]]:
    """Return the count law's bracket start and ``p_meet`` over it for the intervals ``idx`` (module notes)."""
    width = hi - lo + 1
    which = np.repeat(idx, width)
    agents = np.concatenate([np.arange(a, b + 1) for a, b in zip(lo, hi, strict=True)]).astype(np.float64)
    p = _count_law(volume[which], sigma[which], aht[which], agents, knobs, erlang_within_s, interval_min, level)
    return [
        (int(a), np.maximum.accumulate(part)) for a, part in zip(lo, np.split(p, np.cumsum(width)[:-1]), strict=True)
    ]


@functools.lru_cache(maxsize=32)
def _cached(
    volume_b: bytes,
    sigma_b: bytes,
    aht_b: bytes,
    knobs: _Knobs,
    erlang_within_s: float,
    interval_min: int,
    level: float,
) -> MeetTable:
    volume, sigma, aht = np.frombuffer(volume_b), np.frombuffer(sigma_b), np.frombuffer(aht_b)
    busy = volume > 0
    low = np.zeros(len(volume), dtype=np.int64)
    rows: list[np.ndarray] = [np.ones(0)] * len(volume)
    idx = np.flatnonzero(busy)
    if idx.size:
        lo, hi = _bracket(volume[idx], sigma[idx], aht[idx], knobs, erlang_within_s, interval_min, level)
        if volume.sum() > SIMULATED_CONTACTS:
            filled = _count_rows(idx, lo, hi, volume, sigma, aht, knobs, erlang_within_s, interval_min, level)
        else:
            interval_s = 60.0 * interval_min
            filled = [
                _row(int(t), int(a), int(b), float(volume[t]), float(sigma[t]), float(aht[t]), knobs, interval_s, level)
                for t, a, b in zip(idx, lo, hi, strict=True)
            ]
        for t, (start, row) in zip(idx, filled, strict=True):
            low[t], rows[t] = start, row
    return MeetTable(low=low, p=tuple(rows), busy=busy)


def meet_table(
    frame: pd.DataFrame, target: ServiceTarget, *, interval_min: int, level: float, erlang_within_s: float
) -> MeetTable:
    """Return every interval's ``p_meet`` over its bracket of agents (module notes).

    Parameters
    ----------
    frame : pandas.DataFrame
        Validated demand frame of the contacts reaching people (quantile columns widen the rate's law).
    target : ServiceTarget
        Threshold, patience, concurrency, handle-time CV and ``volume_cv``.
    interval_min : int
        Interval length [min].
    level : float
        Service level an interval must reach (0-1).
    erlang_within_s : float
        Threshold of the Erlang formulas that bracket the simulation and make the count law [s]
        (``optimizer.staffing.wait_within_s``).

    Returns
    -------
    MeetTable
        The same table for the same inputs (the last few are cached); the count law's beyond
        ``SIMULATED_CONTACTS``.
    """
    volume, sigma, aht, knobs = _inputs(frame, target)
    return _cached(
        volume.tobytes(), sigma.tobytes(), aht.tobytes(), knobs, float(erlang_within_s), int(interval_min), float(level)
    )


def meet_at(
    frame: pd.DataFrame,
    agents: np.ndarray,
    target: ServiceTarget,
    *,
    interval_min: int,
    level: float,
    erlang_within_s: float,
) -> np.ndarray:
    """Return ``p_meet`` per interval with ``agents[t]`` agents: the value :func:`meet_table` holds.

    Without patience one simulation per replication at the given count gives it (meeting is monotone in the
    agents, so it is the table's value); with patience, and beyond ``SIMULATED_CONTACTS``, the table is built
    (a replication's count is found by bisection, which a single count cannot repeat; the count law's table is
    cheap). Parameters as :func:`meet_table`.
    """
    n = np.asarray(agents, dtype=np.int64)
    if target.patience_s is not None or float(frame["volume"].sum()) > SIMULATED_CONTACTS:
        table = meet_table(frame, target, interval_min=interval_min, level=level, erlang_within_s=erlang_within_s)
        return table.at(n)
    volume, sigma, aht, knobs = _inputs(frame, target)
    out = np.ones(len(volume))
    for t in np.flatnonzero(volume > 0):
        met, total = _per_rep(
            int(t), float(volume[t]), float(sigma[t]), float(aht[t]), int(n[t]), knobs, 60.0 * interval_min
        )
        out[t] = float(np.mean(_reached(met, total, level)))
    return out


@functools.lru_cache(maxsize=1 << 12)
def _per_rep(
    t: int, volume: float, sigma: float, aht_s: float, agents: int, knobs: _Knobs, interval_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return interval ``t``'s replications at one head count: contacts answered in time, and all, per replication.

    Cached by the inputs (the draws depend on them and the index alone): ``p_meet`` (:func:`meet_at`, any
    level) and the expected level (:func:`expected_level`) of the same floor share one simulation, and a plan
    recounted after a change (a swap moves a few intervals' people) simulates only the intervals it moved.
    4,096 entries of 400 replications hold about 26 MB.
    """
    arrival, handle, patience, start = _draws(t, volume, sigma, aht_s, knobs, interval_s)
    servers, _, _ = virtual_servers(np.array([agents], dtype=np.int64), np.zeros(()), np.zeros(()), knobs.concurrency)
    met, total = _served_each(arrival, handle, patience, start, int(servers[0]), knobs.within_s)
    met.setflags(write=False)
    total.setflags(write=False)
    return met, total


def expected_level(
    frame: pd.DataFrame, agents: np.ndarray, target: ServiceTarget, *, interval_min: int
) -> float | None:
    """Return the horizon's expected level with ``agents[t]`` agents: answered within target over arrived, pooled.

    The same replications as ``p_meet`` (module notes), summed over intervals: what a replay of the plan
    is expected to find. None past ``SIMULATED_CONTACTS`` (the caller's analytic law then).
    """
    if float(frame["volume"].sum()) > SIMULATED_CONTACTS:
        return None
    volume, sigma, aht, knobs = _inputs(frame, target)
    n = np.asarray(agents, dtype=np.int64)
    met = arrived = 0.0
    for t in np.flatnonzero(volume > 0):
        m, a = _per_rep(int(t), float(volume[t]), float(sigma[t]), float(aht[t]), int(n[t]), knobs, 60.0 * interval_min)
        met += float(m.sum())
        arrived += float(a.sum())
    return met / arrived if arrived > 0 else 1.0
