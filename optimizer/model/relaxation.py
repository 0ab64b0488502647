"""The LP relaxation of a built CP-SAT model: a valid bound and a fractional point to round into a start.

The relaxation is read from the model itself (its proto), not written a second time, so every constraint
family is in it by construction. Each constraint is kept as a linear row or dropped; dropping a constraint
only enlarges the feasible set, so the LP optimum stays a lower bound on the CP-SAT optimum:

- ``linear`` rows without an enforcement literal keep the hull ``[min, max]`` of their domain;
- ``bool_or``, ``at_most_one``, ``exactly_one`` and ``bool_and`` become their usual linear rows
  (a negated literal ``¬x`` is ``1 - x``);
- every other constraint, and every constraint with an enforcement literal, is dropped.

Variables keep the hull of their domain. On our crew models (all rows linear) the relaxation is tight:
its optimum is the integer optimum of the bundled week, so it proves plans optimal and starts the search
next to them.

The LP is solved with HiGHS (through SciPy's ``linprog``) by dual simplex on one thread. GLOP (OR-Tools' own LP, through
``pywraplp``) is the alternative; ``benchmarks/bench_relaxation.py`` prints both. HiGHS is the default
because it takes the matrix as arrays in one call, where ``pywraplp`` builds it coefficient by coefficient
from Python.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model
from scipy import optimize, sparse

LpEngine = Literal["highs", "glop"]

INT_INFINITY = 2**62
"""Bounds at or past this magnitude are CP-SAT's 'unbounded' and become infinite in the LP."""

BOUND_SLACK = 1e-6
"""Absolute slack [objective units] taken off the safe dual bound before rounding it up, for the rounding
error of summing it in floating point."""


@dataclass(frozen=True, slots=True)
class LinearRows:
    """The relaxation as arrays: bounds per column, rows in CSR form, and the objective."""

    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray
    cost: np.ndarray
    offset: float
    scale: float
    dropped: int
    """Constraints left out of the relaxation (enforced or non-linear)."""


@dataclass(frozen=True, slots=True)
class Relaxation:
    """An LP relaxation's outcome.

    ``bound_cents`` is the LP optimum rounded up (after a tolerance slack): a valid lower bound on the
    CP-SAT model's optimum, because the model's objective is integral. ``values`` holds the LP point, one
    value per CP-SAT variable index (empty when the LP did not solve).
    """

    status: Literal["optimal", "infeasible", "not_solved"]
    bound_cents: int | None
    objective: float | None
    values: np.ndarray
    wall_time_s: float
    engine: LpEngine
    dropped_constraints: int


def _bound(value: float) -> float:
    if value >= INT_INFINITY:
        return math.inf
    if value <= -INT_INFINITY:
        return -math.inf
    return float(value)


def linear_rows(model: cp_model.CpModel) -> LinearRows:
    """Return the linear relaxation of a CP-SAT model as arrays (see the module notes for what is kept)."""
    proto = model.proto
    n = len(proto.variables)
    col_lower = np.empty(n)
    col_upper = np.empty(n)
    for i, var in enumerate(proto.variables):
        domain = var.domain
        col_lower[i] = _bound(domain[0])
        col_upper[i] = _bound(domain[len(domain) - 1])
    row_lower: list[float] = []
    row_upper: list[float] = []
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    dropped = 0

    def add_row(refs: list[int], coeffs: list[int], lo: float, hi: float) -> None:
        # A negative reference -r-1 is ¬x (1 - x) for a literal and -x in a linear expression; callers
        # pass linear coefficients already signed, so here it only flips the variable index.
        for ref, coeff in zip(refs, coeffs, strict=True):
            indices.append(ref if ref >= 0 else -ref - 1)
            values.append(float(coeff))
        indptr.append(len(indices))
        row_lower.append(lo)
        row_upper.append(hi)

    def add_literals(literals: list[int], lo: float, hi: float) -> None:
        # sum over literals, with ¬x = 1 - x moving a constant to the bounds.
        negated = sum(1 for lit in literals if lit < 0)
        coeffs = [1 if lit >= 0 else -1 for lit in literals]
        add_row(literals, coeffs, lo - negated, hi - negated)

    for ct in proto.constraints:
        if len(ct.enforcement_literal):
            dropped += 1
        elif ct.has_linear():
            lin = ct.linear
            refs = list(lin.vars)
            coeffs = [c if r >= 0 else -c for r, c in zip(refs, lin.coeffs, strict=True)]
            domain = lin.domain
            add_row(refs, coeffs, _bound(domain[0]), _bound(domain[len(domain) - 1]))
        elif ct.has_bool_or():
            add_literals(list(ct.bool_or.literals), 1.0, math.inf)
        elif ct.has_at_most_one():
            add_literals(list(ct.at_most_one.literals), -math.inf, 1.0)
        elif ct.has_exactly_one():
            add_literals(list(ct.exactly_one.literals), 1.0, 1.0)
        elif ct.has_bool_and():
            for lit in ct.bool_and.literals:
                add_literals([lit], 1.0, 1.0)
        else:
            dropped += 1
    objective = proto.objective
    cost = np.zeros(n)
    for ref, coeff in zip(objective.vars, objective.coeffs, strict=True):
        if ref >= 0:
            cost[ref] += coeff
        else:
            cost[-ref - 1] -= coeff
    return LinearRows(
        col_lower=col_lower,
        col_upper=col_upper,
        row_lower=np.asarray(row_lower, dtype=float),
        row_upper=np.asarray(row_upper, dtype=float),
        indptr=np.asarray(indptr, dtype=np.int32),
        indices=np.asarray(indices, dtype=np.int32),
        values=np.asarray(values, dtype=float),
        cost=cost,
        offset=float(objective.offset),
        scale=float(objective.scaling_factor) or 1.0,
        dropped=dropped,
    )


def safe_dual_bound(rows: LinearRows, row_dual: np.ndarray) -> float:
    """Return a lower bound on the LP optimum that holds for any row multipliers, exact or not.

    Notes
    -----
    For multipliers ``y`` and reduced costs ``d = c - Aᵀy``, every ``x`` with ``lo ≤ Ax ≤ hi`` and
    ``l ≤ x ≤ u`` has ``c·x = d·x + y·(Ax) ≥ Σ_j min(d_j l_j, d_j u_j) + Σ_i min(y_i lo_i, y_i hi_i)``.
    A solver's duals are only optimal within its tolerances, so the bound is computed from them here rather
    than read as the LP objective (Neumaier & Shcherbina 2004, "Safe bounds in linear and mixed-integer
    programming", Math. Program. 99).
    """
    # Any multipliers give a bound, so a sign a row's infinite side cannot use (a solver's 1e-13 of noise)
    # is set to zero rather than turning the whole bound into -inf.
    row_dual = np.where(
        ((row_dual > 0) & np.isinf(rows.row_lower)) | ((row_dual < 0) & np.isinf(rows.row_upper)), 0.0, row_dual
    )
    n_rows = len(rows.row_lower)
    row_of = np.repeat(np.arange(n_rows), np.diff(rows.indptr))
    reduced = rows.cost - np.bincount(rows.indices, weights=rows.values * row_dual[row_of], minlength=len(rows.cost))

    def lowest(coeff: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
        with np.errstate(invalid="ignore"):
            at = np.where(coeff > 0, coeff * lo, np.where(coeff < 0, coeff * hi, 0.0))
        return float(np.sum(np.nan_to_num(at, nan=0.0, posinf=math.inf, neginf=-math.inf)))

    return lowest(reduced, rows.col_lower, rows.col_upper) + lowest(row_dual, rows.row_lower, rows.row_upper)


def _solve_highs(rows: LinearRows, time_limit_s: float) -> tuple[str, np.ndarray, np.ndarray]:
    # Through SciPy's HiGHS binding rather than highspy: highspy prints a banner to the process's stdout
    # whenever a solver object is made, which would end up in the CLI's and the API workers' output.
    matrix = sparse.csr_matrix((rows.values, rows.indices, rows.indptr), shape=(len(rows.row_lower), len(rows.cost)))
    equal = rows.row_lower == rows.row_upper
    upper = ~equal & np.isfinite(rows.row_upper)
    lower = ~equal & np.isfinite(rows.row_lower)
    result = optimize.linprog(
        rows.cost,
        A_ub=sparse.vstack([matrix[upper], -matrix[lower]]).tocsr(),
        b_ub=np.concatenate([rows.row_upper[upper], -rows.row_lower[lower]]),
        A_eq=matrix[equal],
        b_eq=rows.row_lower[equal],
        bounds=np.column_stack([rows.col_lower, rows.col_upper]),
        method="highs-ds",
        options={"time_limit": max(0.01, time_limit_s), "presolve": True},
    )
    if result.status == 0:
        # Row multipliers in the sign convention of safe_dual_bound: y = dz/d(row bound).
        y = np.zeros(len(rows.row_lower))
        y[equal] = result.eqlin.marginals
        n_upper = int(upper.sum())
        y[upper] += result.ineqlin.marginals[:n_upper]
        y[lower] -= result.ineqlin.marginals[n_upper:]
        return "optimal", np.asarray(result.x), y
    if result.status == 2:
        return "infeasible", np.empty(0), np.empty(0)
    return "not_solved", np.empty(0), np.empty(0)


def _solve_glop(rows: LinearRows, time_limit_s: float) -> tuple[str, np.ndarray, np.ndarray]:
    solver = pywraplp.Solver.CreateSolver("GLOP")
    solver.SetTimeLimit(max(1, round(1000 * time_limit_s)))
    inf = solver.infinity()

    def finite(x: float) -> float:
        return inf if x == math.inf else -inf if x == -math.inf else x

    cols = [
        solver.NumVar(finite(lo), finite(hi), "")
        for lo, hi in zip(rows.col_lower.tolist(), rows.col_upper.tolist(), strict=True)
    ]
    constraints = []
    for r in range(len(rows.row_lower)):
        row = solver.Constraint(finite(rows.row_lower[r]), finite(rows.row_upper[r]))
        for k in range(rows.indptr[r], rows.indptr[r + 1]):
            j = int(rows.indices[k])
            row.SetCoefficient(cols[j], row.GetCoefficient(cols[j]) + rows.values[k])
        constraints.append(row)
    goal = solver.Objective()
    for j in np.flatnonzero(rows.cost).tolist():
        goal.SetCoefficient(cols[j], float(rows.cost[j]))
    goal.SetMinimization()
    code = solver.Solve()
    if code == pywraplp.Solver.OPTIMAL:
        x = np.array([c.solution_value() for c in cols])
        return "optimal", x, np.array([row.dual_value() for row in constraints])
    if code == pywraplp.Solver.INFEASIBLE:
        return "infeasible", np.empty(0), np.empty(0)
    return "not_solved", np.empty(0), np.empty(0)


def solve_relaxation(model: cp_model.CpModel, *, time_limit_s: float, engine: LpEngine = "highs") -> Relaxation:
    """Solve the LP relaxation of a CP-SAT model.

    Parameters
    ----------
    model : cp_model.CpModel
        A built model with a linear objective in integer units (cents).
    time_limit_s : float
        Wall-clock limit of the LP solve [s].
    engine : {"highs", "glop"}
        The LP solver.

    Returns
    -------
    Relaxation
        Status, bound [cents] (rounded up, valid for the model), LP objective and point, time [s].

    Notes
    -----
    With objective ``c·x + offset`` scaled by ``s > 0``, the relaxation's optimum ``z*`` bounds the model's:
    ``s (c·x + offset) ≥ z*`` for every feasible integer ``x``. The bound is the safe dual bound of the LP's
    multipliers (``safe_dual_bound``), never above ``z*``; costs are integers, so its ceiling is a bound too.
    """
    started = time.perf_counter()
    rows = linear_rows(model)
    solve = _solve_highs if engine == "highs" else _solve_glop
    status, x, row_dual = solve(rows, time_limit_s - (time.perf_counter() - started))
    bound = objective = None
    if status == "optimal":
        objective = rows.scale * (float(rows.cost @ x) + rows.offset)
        safe = rows.scale * (safe_dual_bound(rows, row_dual) + rows.offset)
        if math.isfinite(safe):
            bound = math.ceil(safe - BOUND_SLACK)
    return Relaxation(
        status=status,  # type: ignore[arg-type]
        bound_cents=bound,
        objective=objective,
        values=x,
        wall_time_s=time.perf_counter() - started,
        engine=engine,
        dropped_constraints=rows.dropped,
    )
