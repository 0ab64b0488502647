"""assert_feasible / assert_infeasible: fix some variables of a built model and ask CP-SAT."""

from __future__ import annotations

from collections.abc import Mapping

from ortools.sat.python import cp_model

from optimizer.model.build import BuiltModel


def _solve_fixed(built: BuiltModel, fixed: Mapping[cp_model.IntVar, int]) -> tuple[int, cp_model.CpSolver]:
    m = built.cp_model.clone()
    for var, value in fixed.items():
        clone = m.get_int_var_from_proto_index(var.index)
        m.add(clone == value)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    return solver.solve(m), solver


def assert_feasible(built: BuiltModel, fixed: Mapping[cp_model.IntVar, int]) -> cp_model.CpSolver:
    status, solver = _solve_fixed(built, fixed)
    assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE), (
        f"expected feasible, got {solver.status_name(status)}"
    )
    return solver


def assert_infeasible(built: BuiltModel, fixed: Mapping[cp_model.IntVar, int]) -> None:
    status, solver = _solve_fixed(built, fixed)
    assert status == cp_model.INFEASIBLE, f"expected infeasible, got {solver.status_name(status)}"
