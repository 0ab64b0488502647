"""Erlang C and Erlang A queueing maths: service level, ASA, occupancy, abandonment and required agents.

Every function is pure and vectorised: scalars, numpy arrays and pandas Series broadcast together, and the
result has the kind of the inputs (a Series keeps the index of the first Series argument; all-scalar inputs
give a Python number). Probabilities are computed from ratios and regularized incomplete gamma functions in
log space (no factorials), so offered loads of tens of thousands of Erlangs are exact and fast.

Chat concurrency
----------------
An agent who handles up to ``k`` contacts at once is modelled as ``k`` virtual servers fed by one pooled FIFO
queue, each working with handle time ``aht_s * f(k)``, ``f(k) = 1 + CONCURRENCY_SLOWDOWN * (k - 1)``: every
extra parallel chat slows each chat down (agents switch between conversations). With the default slowdown
of 0.25, an agent at concurrency 2 clears 1.6 times as many chats per hour as one at concurrency 1, at 3 two
times, at 4 2.29 times. ``aht_s`` is always the handle time of a contact handled alone; ``occupancy`` is the
busy share of an agent's chat slots. The model assumes the slowdown applies whenever concurrency is allowed
(pessimistic at low load, when an agent often has only one chat) and that any free slot of any agent can take
the next chat; set ``concurrency=1`` for voice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from optimizer._erlang import (
    CONCURRENCY_SLOWDOWN,
    MAX_AGENTS,
    Measures,
    agents_needed,
    agents_of,
    checked,
    concurrency_of,
    duration,
    like,
    log_erlang_b_odds,
    measures,
    nonneg,
    patience_of,
    positive,
    virtual_servers,
)

ArrayLike = float | np.ndarray | pd.Series
"""A scalar, a numpy array or a pandas Series; results take the same kind."""

__all__ = [
    "CONCURRENCY_SLOWDOWN",
    "MAX_AGENTS",
    "Measures",
    "abandon_rate",
    "agents_for_target",
    "asa",
    "erlang_b",
    "erlang_c",
    "occupancy",
    "offered_load",
    "queue_measures",
    "service_level",
]


def queue_measures(
    agents: ArrayLike,
    load: ArrayLike,
    aht_s: ArrayLike,
    within_s: float,
    *,
    patience_s: float | None = None,
    concurrency: int = 1,
) -> Measures:
    """Return every queue measure at once: wait probability, service level, ASA, occupancy, abandonment.

    Parameters
    ----------
    agents, load, aht_s, within_s, patience_s, concurrency
        As in :func:`service_level`.

    Returns
    -------
    Measures
        Named tuple of float arrays of the broadcast shape: ``p_wait``, ``service_level``, ``asa_s``,
        ``occupancy``, ``p_abandon`` (0 without ``patience_s``), with the conventions of the single-measure
        functions. Cheaper than calling those one by one.

    Raises
    ------
    InputError
        When an argument is out of range (the error names it).
    """
    n = agents_of(agents)
    a = nonneg("load", load)
    aht = duration("aht_s", aht_s)
    within = nonneg("within_s", within_s)
    n, a, aht = virtual_servers(n, a, aht, concurrency_of(concurrency))
    return measures(n, a, aht, within, patience_of(patience_s))


def offered_load(volume: ArrayLike, aht_s: ArrayLike, interval_min: float) -> Any:
    """Return the offered load of an interval [Erlang].

    Parameters
    ----------
    volume : float, ndarray or Series
        Contacts arriving in the interval.
    aht_s : float, ndarray or Series
        Average handle time [s].
    interval_min : float
        Interval length [min].

    Returns
    -------
    float, ndarray or Series
        ``volume * aht_s / (60 * interval_min)`` [Erlang]: the mean number of agents busy if nobody waited.

    Raises
    ------
    InputError
        When ``volume < 0``, ``aht_s <= 0`` or ``interval_min <= 0`` (or any is not finite).
    """
    v = nonneg("volume", volume)
    h = duration("aht_s", aht_s)
    m = positive("interval_min", interval_min)
    return like(v * h / (60.0 * m), volume, aht_s)


def erlang_b(agents: ArrayLike, load: ArrayLike) -> Any:
    """Return the Erlang B blocking probability of ``agents`` servers at offered ``load``.

    Parameters
    ----------
    agents, load : int, float, ndarray or Series
        Servers (whole numbers >= 0) and offered load [Erlang] (>= 0).

    Returns
    -------
    float, ndarray or Series
        ``B(n, a)``, 1 when ``n = 0`` and 0 when ``a = 0 < n``.

    Raises
    ------
    InputError
        When ``agents`` is not a whole number >= 0 or ``load < 0``.

    Notes
    -----
    ``B(n, a) = (a**n / n!) / sum_{j<=n} a**j / j! = P(N = n) / P(N <= n)`` with ``N ~ Poisson(a)``,
    computed as ``1 / (1 + Q(n, a) / P(N = n))`` where ``Q`` is the regularized upper incomplete gamma
    function, with ``log P(N = n)`` from Stirling's series (no factorials, no cancellation).

    References
    ----------
    .. [1] G. Koole, "Call Center Optimization", MG books, 2013, ch. 5.
    """
    n = agents_of(agents)
    a = nonneg("load", load)
    n, a = np.broadcast_arrays(n, a)
    out = np.where(n == 0, 1.0, 0.0)
    go = (n > 0) & (a > 0)
    out[go] = special.expit(-log_erlang_b_odds(n[go], a[go]))
    return like(out, agents, load)


def erlang_c(agents: ArrayLike, load: ArrayLike) -> Any:
    """Return the Erlang C probability that a contact waits (M/M/n).

    Parameters
    ----------
    agents, load : int, float, ndarray or Series
        Servers (whole numbers >= 0) and offered load [Erlang] (>= 0).

    Returns
    -------
    float, ndarray or Series
        ``C(n, a)``; 1 when the queue is unstable (``n <= a``, ``a > 0``), 0 when ``a = 0``.

    Raises
    ------
    InputError
        When ``agents`` is not a whole number >= 0 or ``load < 0``.

    Notes
    -----
    ``C = B / (1 - (a / n) (1 - B)) = 1 / (1 + (1 - a / n) (1 - B) / B)`` with ``B`` the Erlang B probability.

    References
    ----------
    .. [1] G. Koole, "Call Center Optimization", MG books, 2013, ch. 5.
    """
    return like(queue_measures(agents, load, 1.0, 0.0).p_wait, agents, load)


def service_level(
    agents: ArrayLike,
    load: ArrayLike,
    aht_s: ArrayLike,
    within_s: float,
    *,
    patience_s: float | None = None,
    concurrency: int = 1,
) -> Any:
    """Return the share of arriving contacts answered within ``within_s`` seconds.

    Parameters
    ----------
    agents : int, ndarray or Series
        Agents on the floor, whole numbers >= 0.
    load : float, ndarray or Series
        Offered load at concurrency 1 [Erlang], >= 0 (see :func:`offered_load`).
    aht_s : float, ndarray or Series
        Handle time of a contact handled alone [s], > 0.
    within_s : float
        Answer-time threshold [s], >= 0.
    patience_s : float, optional
        Mean patience [s]; when given, Erlang A (abandonment) replaces Erlang C.
    concurrency : int, default 1
        Contacts one agent handles at once (module notes: chat concurrency).

    Returns
    -------
    float, ndarray or Series
        Service level in [0, 1]: 1 when ``load = 0``; 0 for an unstable Erlang C queue (``n <= a``).
        With abandonment, contacts that abandon count as not answered.

    Raises
    ------
    InputError
        When an argument is out of range (the error names it).

    Notes
    -----
    Erlang C: ``SL = 1 - C(n, a) exp(-(n - a) T / aht)``.

    Erlang A, with ``mu = 1/aht``, ``theta = 1/patience``, ``x = n mu / theta``, ``y = lam / theta``,
    ``S(x, y) = 1F1(1; x+1; y) = sum_m y**m / ((x+1)...(x+m))`` and ``E`` the Erlang B probability. The
    stationary law of the birth-death chain with death rates ``min(k, n) mu + max(k - n, 0) theta`` gives
    ``sum_m pi[n+m] / pi[n] = S(x, y)`` and hence ``P(W > 0) = E S / (1 + (S - 1) E)`` [1]_, [2]_. A contact
    that finds ``m`` others waiting reaches a server after ``V = sum_{j=0..m} Exp(n mu + j theta)``;
    ``theta V`` has density ``e**(-x t) (1 - e**-t)**m / B(x, m+1)``. It is answered if ``V`` is below its
    patience, with probability ``e**(-theta V)``. Mixing over ``m`` (PASTA) and integrating gives::

        P(answered, V <= T | W > 0) = x / (x+1) * [S(x+1, y) - z e**(y (1-z) - n mu T) S(x+1, y z)] / S(x, y)

    with ``z = e**(-theta T)``, equivalently ``x [P(x+1, y) - P(x+1, y z)] / (y P(x, y))`` with the
    regularized lower incomplete gamma ``P``, matching the virtual-wait law
    ``P(V > T | V > 0) = P(x, y z) / P(x, y)`` of [2]_. Then
    ``SL = 1 - P(W > 0) + P(W > 0) P(answered, V <= T | W > 0)``. As ``patience -> inf`` this tends to
    Erlang C. Every ``S`` is evaluated as ``log S`` from the regularized gamma function (or its series where
    that underflows), so no factorial or large power is ever formed; accuracy is about 1e-12.

    References
    ----------
    .. [1] O. Garnett, A. Mandelbaum, M. Reiman, "Designing a call center with impatient customers",
       Manufacturing & Service Operations Management 4(3), 2002, 208-227.
    .. [2] A. Mandelbaum, S. Zeltyn, "The M/M/n+G queue: summary of performance measures", Technion, 2009.
    .. [3] G. Koole, "Call Center Optimization", MG books, 2013, ch. 5.
    """
    m = queue_measures(agents, load, aht_s, within_s, patience_s=patience_s, concurrency=concurrency)
    return like(m.service_level, agents, load, aht_s)


def asa(
    agents: ArrayLike,
    load: ArrayLike,
    aht_s: ArrayLike,
    *,
    patience_s: float | None = None,
    concurrency: int = 1,
) -> Any:
    """Return the average speed of answer [s].

    Parameters
    ----------
    agents, load, aht_s, patience_s, concurrency
        As in :func:`service_level`.

    Returns
    -------
    float, ndarray or Series
        Erlang C: mean wait of all contacts, ``C(n, a) aht / (n - a)``; ``inf`` when unstable (``n <= a``),
        0 when ``load = 0``. Erlang A: mean time in queue of all contacts, answered or abandoned,
        ``E[W] = P(Ab) * patience`` (Little's law on the abandoning stream), finite for every ``n``.

    Raises
    ------
    InputError
        When an argument is out of range.

    Notes
    -----
    ``inf`` is deliberate: callers that serialise to JSON map it to ``null``.

    References
    ----------
    .. [1] A. Mandelbaum, S. Zeltyn, "The M/M/n+G queue: summary of performance measures", Technion, 2009.
    """
    m = queue_measures(agents, load, aht_s, 0.0, patience_s=patience_s, concurrency=concurrency)
    return like(m.asa_s, agents, load, aht_s)


def occupancy(
    agents: ArrayLike,
    load: ArrayLike,
    aht_s: ArrayLike,
    *,
    patience_s: float | None = None,
    concurrency: int = 1,
) -> Any:
    """Return the share of agents' time (chat slots) spent handling contacts.

    Parameters
    ----------
    agents, load, aht_s, patience_s, concurrency
        As in :func:`service_level`.

    Returns
    -------
    float, ndarray or Series
        Erlang C: ``min(a / n, 1)`` (1 when unstable). Erlang A: ``a (1 - P(Ab)) / n``, only answered contacts
        are handled. With concurrency ``k``: ``a f(k) (1 - P(Ab)) / (k n)``. 0 when ``load = 0`` or ``n = 0``.

    Raises
    ------
    InputError
        When an argument is out of range.
    """
    m = queue_measures(agents, load, aht_s, 0.0, patience_s=patience_s, concurrency=concurrency)
    return like(m.occupancy, agents, load, aht_s)


def abandon_rate(
    agents: ArrayLike, load: ArrayLike, aht_s: ArrayLike, patience_s: float, *, concurrency: int = 1
) -> Any:
    """Return the Erlang A probability that an arriving contact abandons.

    Parameters
    ----------
    agents, load, aht_s, patience_s, concurrency
        As in :func:`service_level`; ``patience_s`` is required.

    Returns
    -------
    float, ndarray or Series
        ``P(Ab) = P(W > 0) (1 - x S(x+1, y) / ((x+1) S(x, y)))``; 1 when ``n = 0``, 0 when ``load = 0``.

    Raises
    ------
    InputError
        When an argument is out of range.

    References
    ----------
    .. [1] A. Mandelbaum, S. Zeltyn, "The M/M/n+G queue: summary of performance measures", Technion, 2009.
    """
    m = queue_measures(agents, load, aht_s, 0.0, patience_s=patience_s, concurrency=concurrency)
    return like(m.p_abandon, agents, load, aht_s)


def agents_for_target(
    load: ArrayLike,
    aht_s: ArrayLike,
    *,
    service_level: float | None = None,
    within_s: float = 0.0,
    max_asa_s: float | None = None,
    max_occupancy: float = 1.0,
    patience_s: float | None = None,
    concurrency: int = 1,
) -> Any:
    """Return the fewest agents that meet the service level, the ASA ceiling and the occupancy cap.

    Parameters
    ----------
    load : float, ndarray or Series
        Offered load at concurrency 1 [Erlang], >= 0.
    aht_s : float, ndarray or Series
        Handle time of a contact handled alone [s], > 0.
    service_level : float, optional
        Least share answered within ``within_s``, in (0, 1); None for no service-level target.
    within_s : float, default 0
        Answer-time threshold of the service level [s], >= 0.
    max_asa_s : float, optional
        Ceiling on :func:`asa` [s], > 0; None for none.
    max_occupancy : float, default 1
        Ceiling on :func:`occupancy`, in (0, 1].
    patience_s : float, optional
        Mean patience [s]; when given, Erlang A replaces Erlang C.
    concurrency : int, default 1
        Contacts one agent handles at once.

    Returns
    -------
    int, ndarray or Series
        Smallest whole number of agents meeting every given target; 0 where ``load = 0``. Without
        ``patience_s`` the queue must also be stable (``agents * k > load * f(k)``).

    Raises
    ------
    InputError
        When an argument is out of range, or a target needs more than 1e12 agents.

    Notes
    -----
    Every measure is monotone in the number of agents, so the answer is found by a search vectorised over
    intervals: a lower bound known to fail (Erlang C: the load, the occupancy bound minus 2; Erlang A: 0), an
    upper bound grown from ``lower + 2 sqrt(load) + 1`` by doubling until met, then bisection. About ten
    evaluations per interval, each a handful of incomplete-gamma calls.
    """
    a = nonneg("load", load)
    aht = duration("aht_s", aht_s)
    if service_level is not None:
        checked("service_level", service_level, lambda v: (v > 0) & (v < 1), "must be > 0 and < 1")
    within = nonneg("within_s", within_s)
    if max_asa_s is not None:
        positive("max_asa_s", max_asa_s)
    checked("max_occupancy", max_occupancy, lambda v: (v > 0) & (v <= 1), "must be > 0 and <= 1")
    k = concurrency_of(concurrency)
    out = agents_needed(a, aht, within, patience_of(patience_s), k, service_level, max_asa_s, max_occupancy)
    return like(out, load, aht_s)
