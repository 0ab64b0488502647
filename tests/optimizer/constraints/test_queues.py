"""The queues family: e-mail counted exactly in either order even when its backlog falls behind."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from ortools.sat.python import cp_model

from optimizer.domain import SolveParams
from optimizer.model.constraints.queues import add_queues
from optimizer.model.inputs import prepare
from optimizer.model.routing import email_exact, evaluate
from optimizer.skills import email_missed, email_overdue, email_penalty_units
from tests.optimizer.constraints._instances import built, option
from tests.optimizer.cpsat_asserts import assert_feasible, assert_infeasible
from tests.optimizer.test_queues import three_queue_problem

LATE_STARTER = 3
"""Crew index of the first chat + e-mail worker (phone-only people come first)."""


def _email_only(*, keep_up: bool = False, order: str = "first_come"):
    """E-mail 09-17 on a day; one e-mail-skilled person on shift 12-20, everyone else off."""
    inp = prepare(three_queue_problem(voice=0.0, chat=0.0, order=order), SolveParams())
    inp = dataclasses.replace(inp, email_keep_up=keep_up)
    b = built(inp, add_queues)
    late = option(inp, LATE_STARTER, 0, 12)
    off = {x: 0 for i in range(len(inp.crews)) for x in b.vars.fte(i)}
    return inp, b, off | {b.vars.fte(LATE_STARTER)[late]: 1}


def _people(inp, solver, b, q):
    return np.array([solver.value(b.vars.routed_to(q, t)) for t in range(inp.intervals)])


@pytest.mark.parametrize("order", ["first_come", "in_window_first"])
def test_email_that_falls_behind_its_window_is_counted_late_not_refused(order):
    inp, b, fixed = _email_only(order=order)
    solver = assert_feasible(b, fixed)
    q = next(i for i, queue in enumerate(inp.queues) if queue.email)
    expected = email_missed(inp.queues[q].work, _people(inp, solver, b, q))
    assert expected > 0
    assert solver.value(b.vars.queues().missed[q]) == expected


@pytest.mark.parametrize("order", ["first_come", "in_window_first"])
def test_email_done_in_time_cannot_be_over_reported(order):
    inp, b, fixed = _email_only(order=order)
    q = next(i for i, queue in enumerate(inp.queues) if queue.email)
    solver = assert_feasible(b, fixed)
    people = _people(inp, solver, b, q)
    routed = {x: solver.value(x) for x in b.vars.queues().routed.values() if isinstance(x, cp_model.IntVar)}
    missed = email_missed(inp.queues[q].work, people)
    assert_infeasible(b, fixed | routed | {b.vars.queues().missed[q]: missed - 1})


def test_the_keep_up_copy_costs_at_least_the_exact_model_for_the_same_shifts():
    best = {}
    for keep_up in (False, True):
        _, b, fixed = _email_only(keep_up=keep_up)
        m = b.cp_model.clone()
        for var, value in fixed.items():
            m.add(m.get_int_var_from_proto_index(var.index) == value)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        assert solver.solve(m) == cp_model.OPTIMAL
        best[keep_up] = solver.objective_value
    assert best[True] > best[False]  # here the backlog falls behind, which the copy charges again and again


def test_in_window_first_credit_is_set_in_full_from_a_solution_that_credits_less():
    inp, b, fixed = _email_only(order="in_window_first")
    q = next(i for i, queue in enumerate(inp.queues) if queue.email)
    qv = b.vars.queues()
    starved = fixed | dict.fromkeys(qv.serve.values(), 0)  # a solution may leave its e-mail credit at zero
    solver = assert_feasible(b, starved)
    values = np.array(solver.response_proto.solution, dtype=np.int64)
    exact = email_exact(b, values)
    people = _people(inp, solver, b, q)
    assert exact[qv.missed[q].index] == email_missed(inp.queues[q].work, people) < values[qv.missed[q].index]
    assert evaluate(b.objective.total(), exact) < evaluate(b.objective.total(), values)
    assert_feasible(b, {b.cp_model.get_int_var_from_proto_index(i): int(v) for i, v in enumerate(exact)})


@pytest.mark.parametrize("order", ["first_come", "in_window_first"])
def test_work_past_the_backlog_bound_is_counted_per_interval_as_the_check_counts_it(order):
    inp = prepare(three_queue_problem(voice=0.0, chat=0.0, order=order, max_age_h=6), SolveParams())
    b = built(inp, add_queues)
    late = option(inp, LATE_STARTER, 0, 12)
    fixed = {x: 0 for i in range(len(inp.crews)) for x in b.vars.fte(i)} | {b.vars.fte(LATE_STARTER)[late]: 1}
    q = next(i for i, queue in enumerate(inp.queues) if queue.email)
    work = inp.queues[q].work
    assert work.max_age == 6
    solver = assert_feasible(b, fixed)
    people = _people(inp, solver, b, q)
    overdue = email_overdue(work, people)
    assert overdue.sum() > 0  # one person from 12:00 cannot keep up with e-mail from 09:00
    qv = b.vars.queues()
    assert [solver.value(qv.overdue[q, t]) for t in range(5, inp.intervals)] == overdue[5:].tolist()
    assert email_penalty_units(work, people) == solver.value(qv.missed[q]) + int(overdue.sum())
