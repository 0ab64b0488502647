"""Completing a several-queue solution from its shifts (``optimizer.model.routing``)."""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from optimizer.domain import SolveParams
from optimizer.model.build import build_model
from optimizer.model.inputs import prepare
from optimizer.model.routing import evaluate, queue_values, rerouted
from optimizer.skills import email_missed, email_missed_penalty_cents, route
from tests.optimizer.cpsat_asserts import assert_feasible
from tests.optimizer.test_queues import three_queue_problem


def _solved(problem, limit_s: float = 10.0):
    built = build_model(prepare(problem, SolveParams()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = limit_s
    assert solver.solve(built.cp_model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return built, np.asarray(solver.response_proto.solution, dtype=np.int64)


def test_a_rerouted_solution_satisfies_the_model():
    built, values = _solved(three_queue_problem())
    routed = rerouted(built, values)
    assert routed is not None
    assert_feasible(built, {built.cp_model.get_int_var_from_proto_index(i): int(v) for i, v in enumerate(routed)})


def test_rerouting_puts_people_on_email_that_falls_behind_when_that_saves_more_than_it_costs():
    base = three_queue_problem(voice=8.0, chat=0.0, email=12.0, order="first_come")  # falling behind: FCFS
    workers = tuple(w for w in base.workforce.workers if w.worker_id.startswith("a"))
    problem = base.model_copy(update={"workforce": base.workforce.model_copy(update={"workers": workers})})
    built = build_model(prepare(problem, SolveParams()))
    inp = built.inp
    floor = np.zeros((len(inp.skill_groups) + 1, inp.intervals), dtype=np.int64)
    floor[0, 9:17] = 3  # three all-round people 09-17; phone needs two of them
    required = np.array([q.required for q in inp.queues])
    email = next(q for q, queue in enumerate(inp.queues) if queue.email)
    assert (required[0, 9:17] == 2).all()
    live_first = route(floor, [*inp.skill_groups, frozenset()], required, [q.email for q in inp.queues])
    values = queue_values(built, floor)
    routed = [values[built.vars.queues().routed[0, email, t].index] for t in range(9, 17)]
    work = inp.queues[email].work
    people = np.zeros(inp.intervals, dtype=np.int64)
    people[9:17] = routed
    missed, live_missed = email_missed(work, people), email_missed(work, live_first[:, email].sum(axis=0))
    moved = int(people.sum() - live_first[:, email].sum())
    assert moved > 0
    unit, penalty = email_missed_penalty_cents(inp.shortfall_penalty_cents), inp.shortfall_penalty_cents
    assert unit * (live_missed - missed) > penalty * moved  # each move saved more than its live shortfall


def test_in_window_first_routing_is_the_least_cost_routing_of_the_shifts():
    # e-mail heavy enough that the live-first rule would leave it short: the LP must trade the two
    built, values = _solved(three_queue_problem(voice=8.0, chat=6.0, email=16.0, order="in_window_first"), 1.0)
    assert all(q.work is None or q.work.order == "in_window_first" for q in built.inp.queues)
    routed = rerouted(built, values)
    assert routed is not None
    objective = built.objective.total()
    m = built.cp_model.clone()
    shifts = {*(x.index for x in built.vars.decisions().values())}
    shifts |= {v.index for v in m.proto.variables and [] or []}
    for i, var in enumerate(m.proto.variables):
        if i in shifts or var.name.startswith("brk["):
            m.add(m.get_int_var_from_proto_index(i) == int(values[i]))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(m) == cp_model.OPTIMAL
    assert evaluate(objective, routed) == round(solver.objective_value)  # the same shifts, routed at least cost
