"""Private support of :mod:`optimizer.queueing`: argument checks, result kinds and the numeric kernels.

The kernels take validated ``float64`` arrays and never raise. They are written with ratios and logarithms,
never factorials, so they stay exact (about 1e-12 relative) for tens of thousands of servers.

Notation (Mandelbaum and Zeltyn): ``n`` servers, arrival rate ``lam``, service rate ``mu = 1 / aht``,
abandonment rate ``theta = 1 / patience``, offered load ``a = lam / mu`` [Erlang], ``x = n mu / theta`` and
``y = lam / theta``. The formulas and references are in :func:`optimizer.queueing.service_level`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import special

from optimizer.errors import InputError

CONCURRENCY_SLOWDOWN = 0.25
"""Relative handle-time increase per extra concurrent chat: ``f(k) = 1 + 0.25 (k - 1)``."""

MAX_AGENTS = 1e12
"""Targets that need more agents than this are reported as unreachable."""

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)
_UNDERFLOW = 1e-280
"""Below this regularized gamma value ``log_kummer`` switches from the gamma route to its power series."""
_SERIES_MAX_TERMS = 1_000_000


# ---- argument checks: each names the offending parameter ---------------------------------------------------


def _where(arr: np.ndarray, bad: np.ndarray) -> str:
    if arr.ndim == 0:
        return f" (got {arr.item():g})"
    i = int(np.flatnonzero(bad)[0])
    return f" (got {arr.flat[i]:g} at position {i})"


def checked(name: str, value: Any, ok: Callable[[np.ndarray], np.ndarray], rule: str) -> np.ndarray:
    """Return ``value`` as a finite float64 array, or raise ``InputError`` naming ``name`` and the rule."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError.single(name, "must be a number or an array of numbers") from None
    finite = np.isfinite(arr)
    if not finite.all():
        raise InputError.single(name, f"must be finite{_where(arr, ~finite)}")
    bad = ~ok(arr)
    if bad.any():
        raise InputError.single(name, f"{rule}{_where(arr, bad)}")
    return arr


def nonneg(name: str, value: Any) -> np.ndarray:
    """Check ``value >= 0``."""
    return checked(name, value, lambda v: v >= 0, "must be >= 0")


MIN_DURATION_S = 1e-3
"""Shortest handle time or patience the maths accepts [s]: below it nothing is physical, and subnormal
divisors (~1e-308) overflowed into NaN measures (found by fuzzing the API)."""


def positive(name: str, value: Any) -> np.ndarray:
    """Check ``value > 0``."""
    return checked(name, value, lambda v: v > 0, "must be > 0")


def duration(name: str, value: Any) -> np.ndarray:
    """Check that a duration [s] is at least ``MIN_DURATION_S``."""
    return checked(name, value, lambda v: v >= MIN_DURATION_S, f"must be >= {MIN_DURATION_S:g} s")


def agents_of(value: Any) -> np.ndarray:
    """Check that agents are whole numbers >= 0."""
    return checked("agents", value, lambda v: (v >= 0) & (v == np.floor(v)), "must be whole numbers >= 0")


def concurrency_of(value: int) -> int:
    """Check that concurrency is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        field = "concurrency"
        raise InputError.single(field, f"must be an integer >= 1 (got {value!r})")
    return int(value)


def patience_of(value: float | None) -> np.ndarray | None:
    """Check that patience is None or > 0."""
    return None if value is None else duration("patience_s", value)


def like(result: np.ndarray, *inputs: Any) -> Any:
    """Return ``result`` as the kind of the inputs: Series (first Series' index), ndarray or Python scalar."""
    for x in inputs:
        if isinstance(x, pd.Series):
            return pd.Series(np.broadcast_to(result, x.shape).copy(), index=x.index)
    if all(np.ndim(x) == 0 for x in inputs):
        return result.item()
    return result


# ---- Erlang B and Erlang A in log space --------------------------------------------------------------------


def _stirling_correction(x: np.ndarray) -> np.ndarray:
    """Return ``log Gamma(x + 1) - (x + 1/2) log x + x - log(2 pi) / 2`` without cancellation (x > 0)."""
    large = x >= 10.0
    xl = np.where(large, x, 10.0)
    inv2 = 1.0 / (xl * xl)
    series = (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680 - inv2 / 1188)))) / xl
    xs = np.where(large, 1.0, x)
    direct = special.gammaln(xs + 1.0) - (xs + 0.5) * np.log(xs) + xs - _HALF_LOG_2PI
    return np.where(large, series, direct)


def log_poisson_pmf(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return ``log(y**x e**-y / Gamma(x + 1))`` for ``x, y > 0``, free of cancellation.

    Written as ``-(log(2 pi x) / 2 + stirling(x) + x (r - 1 - log r))`` with ``r = y / x`` (``log r`` as
    ``log1p(r - 1)`` near 1, as ``log y - log x`` far from it, where ``r`` may underflow); the naive form
    subtracts numbers of size ``x log x`` and loses about ``log10(x log x)`` digits.
    """
    r = y / x
    near = np.abs(r - 1.0) < 0.5
    u = np.where(near, r - 1.0, 0.0)
    with np.errstate(divide="ignore"):  # y = 0 gives -inf, which callers expect
        excess = np.where(near, u - np.log1p(u), r - 1.0 - (np.log(y) - np.log(x)))
    return -(0.5 * np.log(2.0 * np.pi * x) + _stirling_correction(x) + x * excess)


def log_erlang_b_odds(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Return ``log((1 - B) / B)`` of the Erlang B probability ``B(n, a)`` for ``n >= 1``, ``a > 0``.

    ``(1 - B) / B = P(N <= n - 1) / P(N = n)`` for ``N ~ Poisson(a)``, and ``P(N <= n - 1) = Q(n, a)``, the
    regularized upper incomplete gamma function. ``-inf`` means ``B = 1`` to double precision.
    """
    with np.errstate(divide="ignore"):
        return np.log(special.gammaincc(n, a)) - log_poisson_pmf(n, a)


def _log_kummer_series(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sum ``S = sum_m y**m / ((x+1)...(x+m))`` term by term; used only where ``y < x`` (ratio below 1)."""
    total = np.ones_like(y)
    term = np.ones_like(y)
    active = np.ones(y.shape, dtype=bool)
    m = 0
    while active.any() and m < _SERIES_MAX_TERMS:
        m += 1
        term = np.where(active, term * y / (x + m), 0.0)
        total += term
        active &= term > 1e-17 * total
    return np.log(total)


def log_kummer(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return ``log S(x, y)``, ``S = 1F1(1; x + 1; y) = sum_{m>=0} y**m / ((x+1)(x+2)...(x+m))``, x, y > 0.

    ``S`` is the mass of the waiting states relative to the state "all n busy, nobody waiting":
    ``pi[n+m] / pi[n] = y**m Gamma(x + 1) / Gamma(x + m + 1)``. In closed form
    ``S = P(x, y) / poisson(x, y)`` with ``P`` the regularized lower incomplete gamma function and
    ``poisson(x, y) = y**x e**-y / Gamma(x + 1)``; where ``P`` underflows (``y`` well below ``x``) the series
    is summed directly, and then converges geometrically with ratio below ``y / x``.
    """
    p = special.gammainc(x, y)
    with np.errstate(divide="ignore", invalid="ignore"):  # -inf / nan only where the series replaces them
        out = np.log(p) - log_poisson_pmf(x, y)
    small = p < _UNDERFLOW
    if small.any():
        out[small] = _log_kummer_series(x[small], y[small])
    return out


class ErlangA(NamedTuple):
    """Steady-state measures of M/M/n+M queues (arrays of one shape)."""

    p_wait: np.ndarray
    """Probability that an arriving contact finds all servers busy."""
    p_abandon: np.ndarray
    """Probability that an arriving contact abandons before being answered."""
    answered_within: np.ndarray
    """Share of arriving contacts answered within the threshold (abandoned contacts count as not answered)."""


def erlang_a(
    n: np.ndarray, a: np.ndarray, aht_s: np.ndarray, patience_s: np.ndarray, within_s: np.ndarray
) -> ErlangA:
    """Return wait probability, abandonment and service level of M/M/n+M for ``n >= 1``, ``a > 0``.

    With ``E`` the Erlang B probability, ``S0 = S(x, y)``, ``S1 = S(x + 1, y)``, ``z = exp(-theta T)``::

        P(W > 0)            = E S0 / (1 + (S0 - 1) E)
        P(Ab | W > 0)       = 1 - x / (x + 1) * S1 / S0
        P(ans <= T | W > 0) = x / (x + 1) * S1 / S0 * (1 - slow)
        slow                = P(x + 1, y z) / P(x + 1, y) = z exp(y (1 - z) - n mu T) S(x + 1, y z) / S1

    ``slow`` is the share of answered waiting contacts that wait longer than T; the gamma-ratio form is used
    where ``P(x + 1, y z)`` does not underflow, the ``S`` form (moderate numbers there) elsewhere.
    """
    ratio = aht_s / patience_s
    x = n / ratio
    y = a / ratio
    log_s0 = log_kummer(x, y)
    log_s1 = log_kummer(x + 1.0, y)
    p_wait = special.expit(log_s0 - log_erlang_b_odds(n, a))
    served_if_wait = x / (x + 1.0) * np.exp(log_s1 - log_s0)
    p_abandon = p_wait * np.clip(1.0 - served_if_wait, 0.0, 1.0)
    t_theta = within_s / patience_s
    yz = y * np.exp(-t_theta)
    # under heavy load the log-S form of ``slow`` subtracts large logs and loses digits; the ratio does not
    p1, p1z = special.gammainc(x + 1.0, y), special.gammainc(x + 1.0, yz)
    direct = p1z >= _UNDERFLOW
    slow = np.empty_like(p1)
    slow[direct] = p1z[direct] / p1[direct]
    light = ~direct
    if light.any():
        log_tail = log_kummer(x[light] + 1.0, yz[light]) - log_s1[light] - t_theta[light]
        log_tail += -n[light] * within_s[light] / aht_s[light] - y[light] * np.expm1(-t_theta[light])
        slow[light] = np.exp(np.minimum(log_tail, 0.0))
    fast_if_wait = served_if_wait * (1.0 - slow)
    answered_within = (1.0 - p_wait) + p_wait * fast_if_wait
    return ErlangA(p_wait, p_abandon, np.clip(answered_within, 0.0, 1.0))


# ---- measures on virtual servers ---------------------------------------------------------------------------


class Measures(NamedTuple):
    """Queue measures per interval (arrays of one shape); see :mod:`optimizer.queueing` for conventions."""

    p_wait: np.ndarray
    service_level: np.ndarray
    asa_s: np.ndarray
    occupancy: np.ndarray
    p_abandon: np.ndarray


def virtual_servers(n: np.ndarray, a: np.ndarray, aht: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """Map agents at concurrency ``k`` to virtual servers: ``(k n, a f(k), aht f(k))``."""
    f = 1.0 + CONCURRENCY_SLOWDOWN * (k - 1)
    return n * k, a * f, aht * f


def measures(
    n: np.ndarray, a: np.ndarray, aht: np.ndarray, within: np.ndarray, patience: np.ndarray | None
) -> Measures:
    """Return the queue measures of ``n`` servers; Erlang C when ``patience`` is None, else Erlang A."""
    n, a, aht, within = np.broadcast_arrays(n, a, aht, within)
    p_wait, asa_s, occ, p_ab = (np.zeros(n.shape) for _ in range(4))
    sl = np.ones(n.shape)
    none = (a > 0) & (n == 0)
    p_wait[none], sl[none], p_ab[none] = 1.0, 0.0, 1.0
    asa_s[none] = np.inf if patience is None else np.broadcast_to(patience, n.shape)[none]
    go = (a > 0) & (n > 0)
    if patience is None:
        unstable = go & (n <= a)
        p_wait[unstable], sl[unstable], asa_s[unstable], occ[unstable] = 1.0, 0.0, np.inf, 1.0
        go &= ~unstable
        n_, a_, aht_, t_ = n[go], a[go], aht[go], within[go]
        c = special.expit(-(np.log1p(-a_ / n_) + log_erlang_b_odds(n_, a_)))
        p_wait[go] = c
        sl[go] = 1.0 - c * np.exp(-(n_ - a_) * t_ / aht_)
        asa_s[go] = c * aht_ / (n_ - a_)
        occ[go] = a_ / n_
        return Measures(p_wait, sl, asa_s, occ, p_ab)
    pat = np.broadcast_to(patience, n.shape)[go]
    res = erlang_a(n[go], a[go], aht[go], pat, within[go])
    p_wait[go], sl[go], p_ab[go] = res.p_wait, res.answered_within, res.p_abandon
    asa_s[go] = res.p_abandon * pat
    occ[go] = a[go] * (1.0 - res.p_abandon) / n[go]
    return Measures(p_wait, sl, asa_s, occ, p_ab)


def smallest_meeting(
    meets: Callable[[np.ndarray, np.ndarray], np.ndarray], lo: np.ndarray, step: np.ndarray
) -> np.ndarray:
    """Return, per element, the smallest whole ``n > lo`` with ``meets(n)``, for a monotone predicate.

    ``meets(n, idx)`` evaluates the elements ``idx`` at ``n``; every ``lo`` must fail. The upper end grows
    from ``lo + step`` by doubling steps until met, then bisection closes the bracket.

    Raises
    ------
    InputError
        When some element needs more than ``MAX_AGENTS``.
    """
    lo, step = lo.astype(np.float64), step.astype(np.float64)
    hi = lo + step
    todo = np.arange(len(hi))
    while todo.size:
        if hi[todo].max() > MAX_AGENTS:
            field = "target"
            raise InputError.single(field, f"needs more than {MAX_AGENTS:g} agents")
        todo = todo[~meets(hi[todo], todo)]
        lo[todo] = hi[todo]
        step[todo] *= 2.0
        hi[todo] += step[todo]
    todo = np.flatnonzero(hi - lo > 1)
    while todo.size:
        mid = np.floor((lo[todo] + hi[todo]) / 2.0)
        ok = meets(mid, todo)
        hi[todo[ok]] = mid[ok]
        lo[todo[~ok]] = mid[~ok]
        todo = todo[hi[todo] - lo[todo] > 1]
    return hi.astype(np.int64)


def agents_needed(
    load: np.ndarray,
    aht: np.ndarray,
    within: np.ndarray,
    patience: np.ndarray | None,
    k: int,
    service_level: float | None,
    max_asa_s: float | None,
    max_occupancy: float,
) -> np.ndarray:
    """Return the fewest agents meeting every given target, per element of the broadcast inputs (0 if idle).

    Lower bounds known to fail: Erlang C, the load per agent (unstable) and the occupancy bound minus 2;
    Erlang A, 0. The first upper guess is ``lower + 2 sqrt(load per agent) + 1``.
    """
    _, a, aht = virtual_servers(np.zeros(()), load, aht, k)
    shape = np.broadcast_shapes(a.shape, aht.shape, within.shape, () if patience is None else patience.shape)
    pat = np.ones(()) if patience is None else patience
    flat = [np.broadcast_to(v, shape).ravel() for v in (a, aht, within, pat)]
    busy = np.flatnonzero(flat[0] > 0)
    a, aht, within, pat = (v[busy] for v in flat)

    def meets(n: np.ndarray, idx: np.ndarray) -> np.ndarray:
        m = measures(n * k, a[idx], aht[idx], within[idx], None if patience is None else pat[idx])
        ok = m.occupancy <= max_occupancy
        if patience is None:
            ok &= n * k > a[idx]
        if service_level is not None:
            ok &= m.service_level >= service_level
        if max_asa_s is not None:
            ok &= m.asa_s <= max_asa_s
        return ok

    per_agent = a / k
    if patience is None:
        lo = np.maximum(np.floor(per_agent), np.ceil(per_agent / max_occupancy) - 2.0)
    else:
        lo = np.zeros_like(per_agent)
    out = np.zeros(flat[0].shape, dtype=np.int64)
    out[busy] = smallest_meeting(meets, lo, np.ceil(2.0 * np.sqrt(per_agent)) + 1.0)
    return out.reshape(shape)
