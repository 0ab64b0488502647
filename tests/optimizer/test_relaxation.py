"""The LP relaxation read from a CP-SAT model: what it keeps, the safe bound, and the engines agreeing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from optimizer.model.relaxation import linear_rows, safe_dual_bound, solve_relaxation


def _cp_optimum(m: cp_model.CpModel) -> int:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(m) == cp_model.OPTIMAL
    return round(solver.objective_value)


def _knapsack_cover() -> cp_model.CpModel:
    """min 3x + 5y s.t. 2x + 4y >= 7, x, y in [0, 5]: LP optimum 8.75 (y = 1.75), integer optimum 10 (y = 2)."""
    m = cp_model.CpModel()
    x = m.new_int_var(0, 5, "x")
    y = m.new_int_var(0, 5, "y")
    m.add(2 * x + 4 * y >= 7)
    m.minimize(3 * x + 5 * y)
    return m


@pytest.mark.parametrize("engine", ["highs", "glop"])
def test_the_bound_is_the_lp_optimum_rounded_up_and_below_the_integer_optimum(engine):
    m = _knapsack_cover()
    relax = solve_relaxation(m, time_limit_s=5.0, engine=engine)
    assert relax.status == "optimal"
    assert relax.objective == pytest.approx(8.75)
    assert relax.bound_cents == 9
    assert relax.bound_cents <= _cp_optimum(m) == 10
    assert relax.values.shape == (2,)


def test_literal_constraints_become_rows_and_enforced_ones_are_dropped():
    m = cp_model.CpModel()
    a, b, c = (m.new_bool_var(n) for n in "abc")
    m.add_bool_or([a, b.Not()])  # a + (1 - b) >= 1
    m.add_exactly_one([b, c])
    m.add_at_most_one([a, c])
    z = m.new_int_var(0, 10, "z")
    m.add(z >= 7).only_enforce_if(a)  # dropped: the LP may leave z at 0 whatever a is
    m.minimize(4 * a + 3 * b + 2 * c + z)
    rows = linear_rows(m)
    assert rows.dropped == 1
    assert len(rows.row_lower) == 3
    relax = solve_relaxation(m, time_limit_s=5.0)
    # LP: b = 0, c = 1 satisfies every kept row at cost 2 (a = 0: a + 1 - 0 >= 1 holds).
    assert relax.objective == pytest.approx(2.0)
    assert relax.bound_cents <= _cp_optimum(m)


def test_negated_literals_in_the_objective_keep_the_bound_valid():
    m = cp_model.CpModel()
    a = m.new_bool_var("a")
    b = m.new_bool_var("b")
    m.add(a + b >= 1)
    m.minimize(5 * a.Not() + 2 * b)  # 5 (1 - a) + 2 b: best a = 1, b = 0, cost 0
    relax = solve_relaxation(m, time_limit_s=5.0)
    assert relax.bound_cents <= _cp_optimum(m) == 0


def test_an_infeasible_relaxation_says_so_and_gives_no_bound():
    m = cp_model.CpModel()
    x = m.new_int_var(0, 3, "x")
    m.add(x >= 5)
    m.minimize(x)
    relax = solve_relaxation(m, time_limit_s=5.0)
    assert relax.status == "infeasible"
    assert relax.bound_cents is None


@settings(max_examples=40, deadline=None, derandomize=True)
@given(multipliers=st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=1))
def test_any_multiplier_gives_a_bound_below_the_lp_optimum(multipliers):
    rows = linear_rows(_knapsack_cover())
    bound = safe_dual_bound(rows, np.array(multipliers))
    assert bound <= 8.75 + 1e-9


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    costs=st.lists(st.integers(0, 20), min_size=3, max_size=3),
    weights=st.lists(st.integers(1, 6), min_size=3, max_size=3),
    need=st.integers(1, 25),
)
def test_the_bound_never_exceeds_cp_sat_optimum(costs, weights, need):
    m = cp_model.CpModel()
    xs = [m.new_int_var(0, 4, f"x{i}") for i in range(3)]
    short = m.new_int_var(0, need, "short")
    m.add(sum(w * x for w, x in zip(weights, xs, strict=True)) + short >= need)
    m.minimize(sum(c * x for c, x in zip(costs, xs, strict=True)) + 30 * short)
    relax = solve_relaxation(m, time_limit_s=5.0)
    assert relax.status == "optimal"
    assert relax.bound_cents <= _cp_optimum(m)
