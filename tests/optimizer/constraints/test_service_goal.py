import numpy as np
import pytest

from optimizer import check_plan, plan
from optimizer.domain import ServiceTarget, SolveParams
from optimizer.model.constraints import add_coverage, add_service_goal
from optimizer.model.constraints.service_goal import hint_service_goal
from optimizer.model.inputs import prepare
from optimizer.service_goal import ANSWERED_SCALE
from tests.conftest import make_contract, make_problem
from tests.optimizer.constraints._instances import built, option
from tests.optimizer.cpsat_asserts import assert_feasible, assert_infeasible

HORIZON = ServiceTarget(
    service_level=0.8, answer_within_s=20, shrinkage=0.0, max_occupancy=1.0, scope="horizon", interval_floor=0.3
)
NO_BREAK = make_contract(break_rule=None)


def _horizon_input(n_workers=3, volume=8.0):
    problem = make_problem(
        n_workers=n_workers,
        contracts=[NO_BREAK],
        target=HORIZON,
        volume=lambda ts: volume if 9 <= ts.hour < 17 else 0.0,
    )
    return problem, prepare(problem, SolveParams(shortfall_penalty_per_hour_cents=10_000))


def _only_worker_zero_at_nine(inp, b):
    """Fix every option: worker 0 works 09:00-17:00, nobody else works."""
    k = option(inp, 0, 0, 9)
    return {x: int(i == 0 and j == k) for i in range(3) for j, x in enumerate(b.vars.fte(i))}


def test_goal_data_counts_answered_contacts_in_hundredths():
    _, inp = _horizon_input()
    goal = inp.service
    assert goal is not None
    assert goal.goal == int(np.ceil(0.8 * 8.0 * 8 * ANSWERED_SCALE))
    assert (np.diff(goal.curve, axis=1) >= 0).all()
    assert goal.answered(np.zeros(inp.intervals, dtype=int)) == 0


def test_enough_people_meet_the_goal_and_too_few_miss_it():
    _, inp = _horizon_input()
    b = built(inp, add_coverage, add_service_goal)
    missed = b.cp_model.get_int_var_from_proto_index(
        next(i for i, v in enumerate(b.cp_model.proto.variables) if v.name == "missed")
    )
    everyone = {b.vars.fte(i)[option(inp, i, 0, 9)]: 1 for i in range(3)}
    assert_feasible(b, everyone | {missed: 0})
    assert_infeasible(b, _only_worker_zero_at_nine(inp, b) | {missed: 0})


def test_missed_goal_term_is_penalty_times_missed_units():
    _, inp = _horizon_input()
    b = built(inp, add_coverage, add_service_goal)
    goal = inp.service
    one = _only_worker_zero_at_nine(inp, b)
    m = b.cp_model
    m.minimize(b.objective.total())
    solver = assert_feasible(b, one)
    staffed = np.array([1 if 9 <= inp.grid.timestamp(t).hour < 17 else 0 for t in range(inp.intervals)])
    assert solver.value(b.objective.terms["missed_service_penalty"]) == goal.missed_cents(staffed)


def test_hint_is_complete_and_feasible():
    _, inp = _horizon_input()
    b = built(inp, add_coverage, add_service_goal)
    for i in range(3):
        for k, x in enumerate(b.vars.fte(i)):
            b.cp_model.add_hint(x, k == option(inp, i, 0, 9))
    staffed = [3 if 9 <= inp.grid.timestamp(t).hour < 17 else 0 for t in range(inp.intervals)]
    hint_service_goal(b.cp_model, inp, staffed)
    assert len(b.cp_model.proto.solution_hint.vars) == len(b.cp_model.proto.variables)
    fixed = {
        b.cp_model.get_int_var_from_proto_index(v): val
        for v, val in zip(b.cp_model.proto.solution_hint.vars, b.cp_model.proto.solution_hint.values, strict=True)
    }
    assert_feasible(b, fixed)


@pytest.mark.parametrize("method", ["per_person", "crews"])
def test_horizon_plan_meets_the_weekly_level_and_passes_the_check(method):
    problem, _ = _horizon_input(n_workers=4, volume=12.0)
    params = SolveParams(time_limit_s=20, num_workers=1, random_seed=1, method=method)
    result = plan(problem, params)
    assert result.solver.status in ("OPTIMAL", "FEASIBLE")
    assert check_plan(problem, result) == []
    assert result.cost_terms_cents["missed_service_penalty"] == 0
    assert result.kpis.service_level >= 0.8
    assert all(r.service_level >= 0.3 for r in result.coverage if r.volume > 0)
    per_interval = problem.model_copy(update={"service_target": HORIZON.model_copy(update={"scope": "interval"})})
    interval = plan(per_interval, params)
    assert result.solver.objective_cents <= interval.solver.objective_cents
