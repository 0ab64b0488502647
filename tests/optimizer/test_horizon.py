"""The horizon goal end to end: priced start, its bound, and the optimum against an independent HiGHS MIP."""

import dataclasses

import numpy as np
import pytest

from optimizer import GigPool, check_plan, plan
from optimizer.domain import ServiceTarget
from optimizer.model import prepare
from optimizer.model.constraints.service_goal import goal_pieces
from optimizer.model.horizon import answered_units, first_price, horizon_start
from optimizer.staffing import effective_agents
from tests.conftest import DETERMINISTIC, make_contract, make_problem
from tests.optimizer.highs_mip import highs_optimal_cost

REST = 11 * 60
POOL = GigPool(cost_per_hour_cents=3000, max_concurrent=3, max_shifts_per_day=6)
PER_PERSON = DETERMINISTIC.model_copy(update={"method": "per_person"})
CREWS = DETERMINISTIC.model_copy(update={"method": "crews"})


def _target(level, floor, shrinkage):
    return ServiceTarget(
        service_level=level,
        answer_within_s=20,
        shrinkage=shrinkage,
        max_occupancy=1.0,
        scope="horizon",
        interval_floor=floor,
    )


def _problem(level=0.85, floor=0.4, shrinkage=0.25, n_workers=3, peak=14.0):
    """One day: a morning peak and a quiet afternoon, so where staff go decides the day's service level."""
    return make_problem(
        n_workers=n_workers,
        contracts=[make_contract(break_rule=None)],
        gig_pool=POOL,
        target=_target(level, floor, shrinkage),
        volume=lambda ts: peak if 9 <= ts.hour < 12 else (4.0 if 12 <= ts.hour < 18 else 0.0),
    )


def _modelling_loss_cents(inp):
    """Most the CP-SAT model's goal can count below the true curve, priced at the missed-goal penalty.

    It counts nothing below an interval's floor and at most a unit of rounding less above it.
    """
    ratio, pieces = goal_pieces(inp)
    loss = 0
    for p in pieces:
        curve = inp.service.curve[p.interval]
        modelled = [p.answered(s, ratio) for s in range(len(curve))]
        loss += max(int(c) - m for c, m in zip(curve, modelled, strict=True))
    return loss * inp.service.penalty_per_unit_cents


CASES = {
    "shrinkage 25%": _problem(),
    "no shrinkage": _problem(shrinkage=0.0, level=0.8, floor=0.3),
    "goal out of reach": _problem(level=0.99, floor=0.5, n_workers=1, peak=30.0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_horizon_optimum_matches_an_independent_highs_mip(name):
    problem = CASES[name]
    result = plan(problem, PER_PERSON)
    assert result.solver.status == "OPTIMAL"
    assert check_plan(problem, result) == []
    inp = prepare(problem, PER_PERSON)
    highs = highs_optimal_cost(inp, REST)
    # The plan's objective prices the true curve, so it cannot beat the MIP's optimum (which counts the true
    # curve too); the model may count less than the curve, so the plan is no dearer than that loss allows.
    assert highs - 1e-6 <= result.solver.objective_cents <= highs + _modelling_loss_cents(inp) + 1e-6
    crews = plan(problem, CREWS)
    assert check_plan(problem, crews) == []
    assert crews.solver.best_bound_cents <= result.solver.objective_cents


def test_goal_out_of_reach_is_missed_and_priced_not_hidden():
    result = plan(CASES["goal out of reach"], PER_PERSON)
    assert result.kpis.service_level < 0.99
    assert result.cost_terms_cents["missed_service_penalty"] > 0


def test_priced_rounds_bound_the_optimum_and_the_start_meets_the_goal():
    problem = _problem(n_workers=4, peak=20.0)
    inp = prepare(problem, PER_PERSON)
    optimum = plan(problem, PER_PERSON).solver.objective_cents
    start = horizon_start(inp, PER_PERSON, budget_s=20.0)
    assert start.rounds[0].price == 0
    assert all(r.bound_cents <= optimum for r in start.rounds if r.bound_cents is not None)
    assert start.bound_cents <= optimum <= start.objective_cents
    met = [r for r in start.rounds if r.answered is not None and r.answered >= inp.service.goal]
    assert met, start.rounds
    assert start.objective_cents == min(r.cost_cents for r in met)


def test_floor_plan_that_meets_the_goal_ends_the_start_at_once():
    problem = _problem(level=0.3, floor=0.3)
    inp = prepare(problem, PER_PERSON)
    start = horizon_start(inp, PER_PERSON, budget_s=20.0)
    assert [r.price for r in start.rounds] == [0]
    assert start.objective_cents == start.rounds[0].cost_cents


def test_answered_units_counts_nothing_below_the_floor_and_the_curve_above_it():
    inp = prepare(_problem(shrinkage=0.0, level=0.8, floor=0.3), PER_PERSON)
    floors = np.zeros(inp.intervals, dtype=int)
    assert answered_units(inp, list(floors)) == 0
    counts = [int(x) for x in np.maximum(inp.required, 2)]
    _, pieces = goal_pieces(inp)
    expected = sum(p.at(int(effective_agents(counts[p.interval], 0.0))) for p in pieces)
    assert answered_units(inp, counts) == expected
    assert abs(expected - inp.service.answered(np.array(counts))) <= len(pieces)


def test_first_price_is_a_positive_integer():
    inp = prepare(_problem(), PER_PERSON)
    assert first_price(inp) >= 1
    assert first_price(dataclasses.replace(inp, gig=None)) >= first_price(inp)


@pytest.mark.parametrize("name", ["shrinkage 25%", "no shrinkage"])
def test_at_the_per_interval_plans_weekly_level_the_horizon_plan_is_cheaper(name):
    problem = CASES[name]
    per_interval_target = problem.service_target.model_copy(update={"scope": "interval"})
    per_interval = plan(problem.model_copy(update={"service_target": per_interval_target}), PER_PERSON)
    level = np.floor(per_interval.kpis.service_level * 1000) / 1000
    same_level = problem.service_target.model_copy(update={"service_level": level})
    horizon = plan(problem.model_copy(update={"service_target": same_level}), PER_PERSON)
    assert horizon.solver.status == "OPTIMAL"
    assert horizon.kpis.service_level >= level
    assert horizon.solver.objective_cents < per_interval.solver.objective_cents
