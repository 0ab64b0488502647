"""Erlang C / Erlang A: published values, independent oracles, a seeded simulation, limits and properties."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from optimizer import queueing as q
from optimizer._erlang import log_kummer
from optimizer.errors import InputError

# ---- independent oracles ----


def erlang_b_recursion(n: int, a: float) -> float:
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_a_oracle(
    n: int, a: float, aht: float, patience: float, within: float
) -> tuple[float, float, float]:
    """P(wait), P(abandon), P(answered within T): truncated birth-death chain plus a tagged-customer CTMC."""
    lam, mu, theta = a / aht, 1.0 / aht, 1.0 / patience
    top = n + 400
    log_pi = np.empty(top + 1)
    log_pi[0] = 0.0
    for j in range(1, top + 1):
        log_pi[j] = log_pi[j - 1] + math.log(lam / (min(j, n) * mu + max(j - n, 0) * theta))
    pi = np.exp(log_pi - log_pi.max())
    pi /= pi.sum()
    p_wait = pi[n:].sum()
    p_ab = theta * ((np.arange(top + 1) - n).clip(0) * pi).sum() / lam
    # a tagged arrival finding j = 0..M waiting: states 0..M = "j ahead", M+1 = served, M+2 = abandoned
    m_max = top - n
    gen = np.zeros((m_max + 3, m_max + 3))
    for j in range(m_max + 1):
        gen[j, j - 1 if j else m_max + 1] = n * mu + j * theta
        gen[j, m_max + 2] = theta
        gen[j, j] = -(n * mu + j * theta + theta)
    start = pi[n:] / pi[n:].sum()
    served_by_t = (start @ expm(gen * within)[: m_max + 1, m_max + 1]) if within > 0 else 0.0
    return float(p_wait), float(p_ab), float(1.0 - p_wait + p_wait * served_by_t)


def simulate(
    n: int, a: float, aht: float, patience: float | None, within: float, seed: int, count: int = 120_000
):
    """Seeded FCFS M/M/n(+M) simulation: (mean, batch SE) of answered within T, wait in queue, abandoned."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(aht / a, count))
    service = rng.exponential(aht, count)
    pat = rng.exponential(patience, count) if patience is not None else np.full(count, np.inf)
    free = [0.0] * n
    fast, wait, gone = np.zeros(count), np.zeros(count), np.zeros(count)
    for i in range(count):
        t = arrivals[i]
        offered = max(free[0] - t, 0.0)
        if offered > pat[i]:
            wait[i], gone[i] = pat[i], 1.0
            continue
        wait[i], fast[i] = offered, offered <= within
        heapq.heapreplace(free, t + offered + service[i])
    keep = slice(count // 10, None)

    def mean_se(x: np.ndarray) -> tuple[float, float]:
        batches = x[keep].reshape(20, -1).mean(axis=1)
        return float(batches.mean()), float(batches.std(ddof=1) / math.sqrt(len(batches)))

    return mean_se(fast), mean_se(wait), mean_se(gone)


# ---- published worked examples ----


@pytest.mark.parametrize(
    ("volume", "aht", "agents", "within", "p_wait", "sl", "asa"),
    [(100, 180, 14, 20, "0.1741", "0.8884", "7.84"), (360, 240, 55, 15, "0.2387", "0.8459", "8.18")],
)
def test_published_erlang_c_examples(volume, aht, agents, within, p_wait, sl, asa):
    load = q.offered_load(volume, aht, 30)
    assert f"{q.erlang_c(agents, load):.4f}" == p_wait
    assert f"{q.service_level(agents, load, aht, within):.4f}" == sl
    assert f"{q.asa(agents, load, aht):.2f}" == asa
    assert q.agents_for_target(load, aht, service_level=0.8, within_s=within) == agents


@pytest.mark.parametrize(
    ("n", "a"), [(1, 0.5), (14, 10.0), (100, 95.3), (1000, 1000.0), (5000, 4800.5), (20_001, 2e4)]
)
def test_erlang_b_and_c_match_the_recursion(n, a):
    b = erlang_b_recursion(n, a)
    assert q.erlang_b(n, a) == pytest.approx(b, rel=1e-11)
    if n > a:
        assert q.erlang_c(n, a) == pytest.approx(n * b / (n - a * (1 - b)), rel=1e-11)


# ---- Erlang A ----


@pytest.mark.parametrize(
    ("n", "a", "aht", "patience", "within"),
    [
        (14, 10.0, 180.0, 120.0, 20.0),
        (10, 12.0, 300.0, 60.0, 30.0),
        (50, 45.0, 240.0, 900.0, 15.0),
        (3, 1.0, 60.0, 5.0, 0.0),
        (20, 6.0, 60.0, 6_000.0, 30.0),  # x = 2000, y = 600: the regularized gamma underflows, series route
    ],
)
def test_erlang_a_matches_the_birth_death_oracle(n, a, aht, patience, within):
    p_wait, p_ab, sl = erlang_a_oracle(n, a, aht, patience, within)
    m = q.queue_measures(n, a, aht, within, patience_s=patience)
    assert float(m.p_wait) == pytest.approx(p_wait, rel=1e-9)
    assert float(m.p_abandon) == pytest.approx(p_ab, rel=1e-9)
    assert float(m.service_level) == pytest.approx(sl, rel=1e-9)
    assert float(m.asa_s) == pytest.approx(p_ab * patience, rel=1e-9)
    assert float(m.occupancy) == pytest.approx(a * (1 - p_ab) / n, rel=1e-9)


def test_erlang_a_tends_to_erlang_c_as_patience_grows():
    load, aht = q.offered_load(100, 180, 30), 180.0
    for n in (11, 14, 20):
        c = q.queue_measures(n, load, aht, 20.0)
        # the gap closes like 1 / patience (a first-order effect, computed exactly down to 1e-10)
        gaps = []
        for patience in (1e8, 1e9, 1e10, 1e11):
            a = q.queue_measures(n, load, aht, 20.0, patience_s=patience)
            gaps.append(
                [
                    (float(a.service_level) - float(c.service_level)) * patience,
                    (float(a.p_wait) - float(c.p_wait)) * patience,
                ]
            )
            assert float(a.asa_s) == pytest.approx(float(c.asa_s), rel=1e5 / patience)
        np.testing.assert_allclose(gaps, [gaps[0]] * 4, rtol=1e-3)
    # fewer agents are needed when callers give up, and the requirement rises towards Erlang C with patience
    need = [
        q.agents_for_target(load, aht, service_level=0.8, within_s=20, patience_s=p) for p in (30, 300, 1e7)
    ]
    assert need == sorted(need)
    assert need[-1] == q.agents_for_target(load, aht, service_level=0.8, within_s=20)


def test_log_kummer_gamma_route_and_series_agree():
    x = np.array([50.0, 500.0, 5e3, 5e4, 5e5])
    for rho in (0.1, 0.5, 0.9, 0.99):
        y = rho * x
        total, term = np.ones_like(x), np.ones_like(x)
        for m in range(1, 20_000):
            term = term * y / (x + m)
            total += term
        assert np.allclose(log_kummer(x, y), np.log(total), rtol=1e-11, atol=1e-12)


def test_erlang_a_is_finite_where_the_gamma_route_underflows():
    # x = n * patience / aht = 200,000 with load at half the agents: P(x, y) underflows, the series takes over
    m = q.queue_measures(200, 100.0, 30.0, 20.0, patience_s=30_000.0)
    c = q.queue_measures(200, 100.0, 30.0, 20.0)
    assert 0.0 < float(m.p_wait) <= float(c.p_wait)
    assert float(m.service_level) == pytest.approx(float(c.service_level), abs=1e-9)


# ---- seeded simulation ----


@pytest.mark.parametrize("patience", [None, 90.0])
def test_simulation_agrees_within_sampling_error(patience):
    n, a, aht, within = 9, 7.5, 60.0, 10.0
    (sl, sl_se), (wait, wait_se), (gone, gone_se) = simulate(n, a, aht, patience, within, seed=7)
    m = q.queue_measures(n, a, aht, within, patience_s=patience)
    assert abs(sl - float(m.service_level)) < 4 * sl_se + 1e-3
    assert abs(wait - float(m.asa_s)) < 4 * wait_se + 1e-2
    assert abs(gone - float(m.p_abandon)) < 4 * gone_se + 1e-3
    if patience is not None:
        assert gone > 0.01  # the abandonment path was exercised


# ---- scale, conventions, parity ----


def test_stable_and_exact_at_twenty_thousand_erlangs():
    load = np.array([5_000.0, 20_000.0, 30_000.0])
    n = q.agents_for_target(load, 240.0, service_level=0.8, within_s=20)
    assert np.all(n > load)
    assert np.all(n < load + 4 * np.sqrt(load))
    for n_i, a_i in zip(n, load, strict=True):
        sl = q.service_level(np.arange(n_i - 5, n_i + 6), a_i, 240.0, 20.0)
        assert np.all(np.isfinite(sl))
        assert np.all((sl >= 0) & (sl <= 1))
        assert np.all(np.diff(sl) > 0)
    assert q.erlang_c(20_100, 20_000.0) == pytest.approx(
        20_100 * (b := erlang_b_recursion(20_100, 2e4)) / (20_100 - 2e4 * (1 - b)), rel=1e-10
    )
    m = q.queue_measures(19_000, 20_000.0, 240.0, 20.0, patience_s=120.0)
    assert 0 < float(m.p_abandon) < 1
    assert 0 <= float(m.service_level) <= 1


def test_conventions_for_idle_empty_and_unstable_queues():
    m = q.queue_measures(np.array([0, 5, 0, 5, 10]), np.array([0.0, 0.0, 3.0, 5.0, 12.0]), 100.0, 20.0)
    np.testing.assert_array_equal(m.service_level, [1.0, 1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(m.asa_s, [0.0, 0.0, np.inf, np.inf, np.inf])
    np.testing.assert_array_equal(m.occupancy, [0.0, 0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(m.p_wait, [0.0, 0.0, 1.0, 1.0, 1.0])
    a = q.queue_measures(np.array([0, 5]), 12.0, 100.0, 20.0, patience_s=50.0)
    assert a.p_abandon[0] == 1.0
    assert a.asa_s[0] == 50.0
    assert np.all(np.isfinite(a.asa_s))
    assert q.agents_for_target(0.0, 100.0, service_level=0.9, within_s=20) == 0
    assert q.erlang_b(0, 3.0) == 1.0
    assert q.erlang_b(4, 0.0) == 0.0


def test_erlang_a_at_vanishing_load_and_patience():
    # y / x = load / agents = 1e-9: the Poisson log-density must not round r - 1 to -1
    m = q.queue_measures(1, 1e-9, 1e5, 20.0, patience_s=1e-3)
    assert float(m.p_wait) == pytest.approx(1e-9, rel=1e-6)
    assert float(m.p_abandon) == pytest.approx(float(m.p_wait), rel=1e-6)  # nobody that waits is that patient
    assert float(m.service_level) == pytest.approx(1 - 1e-9, abs=1e-15)


def test_input_type_parity():
    agents, load, aht = [8, 12, 15, 20], [6.0, 9.5, 12.0, 0.0], [120.0, 180.0, 240.0, 60.0]
    index = pd.date_range("2026-01-05 08:00", periods=4, freq="30min", tz="Europe/Stockholm")
    for func, kwargs in [
        (q.service_level, {"within_s": 20.0}),
        (q.service_level, {"within_s": 20.0, "patience_s": 90.0, "concurrency": 2}),
        (q.asa, {}),
        (q.occupancy, {"patience_s": 60.0}),
        (q.abandon_rate, {"patience_s": 60.0}),
    ]:
        scalars = [func(n, a, h, **kwargs) for n, a, h in zip(agents, load, aht, strict=True)]
        assert all(isinstance(s, float) for s in scalars)
        arr = func(np.array(agents), np.array(load), np.array(aht), **kwargs)
        ser = func(
            pd.Series(agents, index=index),
            pd.Series(load, index=index),
            pd.Series(aht, index=index),
            **kwargs,
        )
        assert isinstance(arr, np.ndarray)
        assert isinstance(ser, pd.Series)
        assert ser.index.equals(index)
        np.testing.assert_array_equal(arr, scalars)
        np.testing.assert_array_equal(ser.to_numpy(), scalars)
    need = [q.agents_for_target(a, h, service_level=0.8, within_s=20) for a, h in zip(load, aht, strict=True)]
    assert all(isinstance(n, int) for n in need)
    np.testing.assert_array_equal(
        q.agents_for_target(np.array(load), np.array(aht), service_level=0.8, within_s=20), need
    )
    series_need = q.agents_for_target(pd.Series(load, index=index), 180.0, service_level=0.8, within_s=20)
    assert series_need.index.equals(index)
    assert series_need.dtype == np.int64


# ---- concurrency ----


def test_concurrency_is_k_virtual_servers_with_slower_chats():
    f = 1 + q.CONCURRENCY_SLOWDOWN * 2
    sl = q.service_level(6, 10.0, 300.0, 60.0, concurrency=3)
    assert sl == pytest.approx(q.service_level(18, 10.0 * f, 300.0 * f, 60.0))
    assert q.occupancy(6, 10.0, 300.0, concurrency=3) == pytest.approx(10.0 * f / 18)
    need = [
        q.agents_for_target(40.0, 300.0, service_level=0.8, within_s=60, concurrency=k) for k in (1, 2, 3, 4)
    ]
    assert need == sorted(need, reverse=True)
    assert need[0] > need[-1]


# ---- targets ----


def test_occupancy_and_asa_targets_bind():
    load = q.offered_load(360, 240, 30)
    capped = q.agents_for_target(load, 240.0, service_level=0.8, within_s=15, max_occupancy=0.85)
    assert capped == math.ceil(load / 0.85) == 57
    asa_only = q.agents_for_target(load, 240.0, max_asa_s=2.0)
    assert q.asa(asa_only, load, 240.0) <= 2.0 < q.asa(asa_only - 1, load, 240.0)
    with pytest.raises(InputError, match="agents") as info:
        q.agents_for_target(1e13, 240.0, service_level=0.8, within_s=20)
    assert info.value.field == "target"


@given(
    load=st.floats(1e-4, 3_000.0),
    aht=st.floats(10.0, 900.0),
    sl=st.floats(0.05, 0.99),
    within=st.floats(0.0, 120.0),
    occ=st.floats(0.5, 1.0),
    patience=st.one_of(st.none(), st.floats(5.0, 3_000.0)),
    k=st.integers(1, 4),
    asa=st.one_of(st.none(), st.floats(1.0, 120.0)),
)
@settings(max_examples=120, deadline=None)
def test_agents_for_target_is_the_smallest_that_meets_it(load, aht, sl, within, occ, patience, k, asa):
    kw = {"patience_s": patience, "concurrency": k}
    n = q.agents_for_target(
        load, aht, service_level=sl, within_s=within, max_occupancy=occ, max_asa_s=asa, **kw
    )

    def meets(agents: int) -> bool:
        m = q.queue_measures(agents, load, aht, within, **kw)
        stable = patience is not None or agents * k > load * (1 + q.CONCURRENCY_SLOWDOWN * (k - 1))
        return bool(
            stable
            and m.service_level >= sl
            and m.occupancy <= occ
            and (asa is None or m.asa_s <= asa)
            and agents > 0
        )

    assert meets(n)
    assert not meets(n - 1)


@given(
    load=st.floats(1e-6, 500.0),
    aht=st.floats(5.0, 900.0),
    within=st.floats(0.0, 300.0),
    patience=st.one_of(st.none(), st.floats(1.0, 5_000.0)),
)
@settings(max_examples=120, deadline=None)
def test_service_level_rises_with_agents_and_stays_in_unit_interval(load, aht, within, patience):
    agents = np.arange(0, int(load * 1.5) + 30)
    m = q.queue_measures(agents, load, aht, within, patience_s=patience)
    assert np.all((m.service_level >= 0) & (m.service_level <= 1))
    assert np.all(np.diff(m.service_level) >= -1e-12)
    finite = np.isfinite(m.asa_s)
    assert np.all(np.diff(m.asa_s[finite]) <= 1e-9)
    assert np.all((m.p_abandon >= 0) & (m.p_abandon <= 1))


# ---- argument errors ----


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: q.offered_load(-1, 180, 30), "volume"),
        (lambda: q.offered_load(10, 0, 30), "aht_s"),
        (lambda: q.offered_load(10, 180, 0), "interval_min"),
        (lambda: q.service_level(10, 5.0, 180.0, -1.0), "within_s"),
        (lambda: q.service_level(10.5, 5.0, 180.0, 20.0), "agents"),
        (lambda: q.service_level(10, np.array([5.0, np.nan]), 180.0, 20.0), "load"),
        (lambda: q.service_level(10, 5.0, 180.0, 20.0, concurrency=0), "concurrency"),
        (lambda: q.asa(10, 5.0, 180.0, patience_s=0.0), "patience_s"),
        (lambda: q.agents_for_target(5.0, 180.0, service_level=1.0), "service_level"),
        (lambda: q.agents_for_target(5.0, 180.0, service_level=0.0), "service_level"),
        (lambda: q.agents_for_target(5.0, 180.0, max_occupancy=1.2), "max_occupancy"),
        (lambda: q.agents_for_target(5.0, 180.0, max_asa_s=-2.0), "max_asa_s"),
        (lambda: q.agents_for_target(5.0, 180.0, service_level=0.8, within_s=-1), "within_s"),
    ],
)
def test_bad_arguments_name_the_parameter(call, field):
    with pytest.raises(InputError) as info:
        call()
    assert info.value.field == field


@pytest.mark.parametrize("tiny", [5e-324, 1e-310, 1e-4])
def test_subnormal_or_sub_millisecond_durations_are_rejected_not_nan(tiny):
    # Found by fuzzing the API: a subnormal handle time or patience overflowed into NaN measures.
    with pytest.raises(InputError, match="aht_s: must be >= 0.001 s"):
        q.service_level(4, 2.0, tiny, 20.0, patience_s=300.0)
    with pytest.raises(InputError, match="patience_s: must be >= 0.001 s"):
        q.service_level(4, 2.0, 300.0, 20.0, patience_s=tiny)
