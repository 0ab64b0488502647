import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from optimizer import check_plan, plan
from optimizer.domain import ServiceTarget, SolveParams
from optimizer.horizon_goal import ANSWERED_SCALE, agent_ratio, concave_minorant
from optimizer.model.constraints import add_coverage, add_service_goal
from optimizer.model.constraints.service_goal import goal_pieces, hint_service_goal
from optimizer.model.inputs import prepare
from optimizer.staffing import effective_agents
from tests.conftest import make_contract, make_problem
from tests.optimizer.constraints._instances import built, option
from tests.optimizer.cpsat_asserts import assert_feasible, assert_infeasible

HORIZON = ServiceTarget(
    service_level=0.8, answer_within_s=20, shrinkage=0.0, max_occupancy=1.0, scope="horizon", interval_floor=0.3
)
NO_BREAK = make_contract(break_rule=None)


def _horizon_input(n_workers=3, volume=8.0, target=HORIZON):
    problem = make_problem(
        n_workers=n_workers,
        contracts=[NO_BREAK],
        target=target,
        volume=lambda ts: volume if 9 <= ts.hour < 17 else 0.0,
    )
    return problem, prepare(problem, SolveParams(shortfall_penalty_per_hour_cents=10_000))


def _only_worker_zero_at_nine(inp, b):
    """Fix every option: worker 0 works 09:00-17:00, nobody else works."""
    k = option(inp, 0, 0, 9)
    return {x: int(i == 0 and j == k) for i in range(3) for j, x in enumerate(b.vars.fte(i))}


def test_goal_pieces_are_prepared_before_the_model():
    _, inp = _horizon_input()
    goal = inp.service
    assert goal.agent_ratio == (1, 1)
    assert [p.interval for p in goal.pieces] == [t for t in range(inp.intervals) if goal.curve[t][-1] > 0]
    assert all(p.floor == min(int(inp.required[p.interval]), goal.curve.shape[1] - 1) for p in goal.pieces)


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
    missed = b.vars.service_goal().missed
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
    hint_service_goal(b.cp_model, b.vars, inp, staffed)
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


@settings(max_examples=60, deadline=None)
@given(percent=st.integers(0, 95), top=st.integers(0, 600))
def test_agent_ratio_is_exact_for_shrinkage_in_percent(percent, top):
    shrinkage = percent / 100
    n, d = agent_ratio(shrinkage, top)
    people = np.arange(top + 1)
    assert np.array_equal(people * n // d, effective_agents(people, shrinkage))


@pytest.mark.parametrize("shrinkage", [1 / 3, 0.1234567891, 2 / 7])
def test_agent_ratio_never_counts_more_agents_than_there_are(shrinkage):
    n, d = agent_ratio(shrinkage, 2_000)
    people = np.arange(2_001)
    modelled, actual = people * n // d, effective_agents(people, shrinkage)
    assert (modelled <= actual).all()
    assert (modelled >= actual - 1).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=30))
def testconcave_minorant_is_concave_increasing_and_never_above(values):
    curve = np.cumsum(values)
    m = np.array(concave_minorant(curve))
    assert m[0] == curve[0]
    assert (m <= curve[: len(m)]).all()
    steps = np.diff(m)
    assert (steps > 0).all()
    assert (np.diff(steps) <= 0).all()


def test_minorant_of_a_concave_curve_is_the_curve_up_to_its_last_rise():
    curve = np.array([0, 50, 90, 120, 140, 150, 150, 150])
    assert concave_minorant(curve) == (0, 50, 90, 120, 140, 150)


SHRUNK = HORIZON.model_copy(update={"shrinkage": 0.25, "interval_floor": 0.5})


@pytest.mark.parametrize("staff", [0, 1, 2, 3, 4])
def test_model_answers_the_curve_at_every_head_count_through_shrinkage(staff):
    """With 25% shrinkage, 4 scheduled give 3 agents and 3 give 2: the tangents must count exactly that."""
    _, inp = _horizon_input(n_workers=4, volume=6.0, target=SHRUNK)
    b = built(inp, add_coverage, add_service_goal)
    m = b.cp_model
    fixed = {x: int(i < staff and k == option(inp, i, 0, 9)) for i in range(4) for k, x in enumerate(b.vars.fte(i))}
    m.maximize(cp_model.LinearExpr.sum(b.vars.service_goal().answered))
    solver = assert_feasible(b, fixed)
    staffed = np.array([staff if 9 <= inp.grid.timestamp(t).hour < 17 else 0 for t in range(inp.intervals)])
    reached = [p for p in goal_pieces(inp)[1] if staffed[p.interval] >= p.floor]
    modelled = sum(p.at(int(effective_agents(staffed[p.interval], 0.25))) for p in reached)
    assert solver.objective_value == modelled
    # The modelled count is the curve itself, less at most one unit of rounding per interval, or nothing when
    # an interval is below its floor.
    actual = sum(int(inp.service.curve[p.interval][staffed[p.interval]]) for p in reached)
    assert actual - len(reached) <= modelled <= actual
    assert (modelled > 0) == (staff >= 2)
