"""LP-guided plans: bounds from the LP, the solver's own objective, and independent checks of both."""

from __future__ import annotations

import importlib
import time

import pytest
from ortools.sat.python import cp_model

import optimizer.model.extract as extract
from optimizer import check_plan, plan
from optimizer.domain import PlanningProblem, SolveParams, SolveStatus
from optimizer.model import SolveOutcome, build_model, prepare
from optimizer.model.guided import GuidedOutcome
from scenarios.pipeline import forecast_problem
from scenarios.spec import load_example
from tests.optimizer.highs_mip import highs_pooled_cost

PARAMS = SolveParams(time_limit_s=20.0, num_workers=1, random_seed=0)


@pytest.fixture(scope="module")
def example_problem() -> PlanningProblem:
    config, base_dir = load_example()
    problem, _ = forecast_problem(config, base_dir)
    return problem


@pytest.fixture(scope="module")
def example_plan(example_problem):
    return plan(example_problem, PARAMS)


def _minimum_contract_cost_cents(problem: PlanningProblem) -> float:
    """Least pay any plan owes: every worker's minimum weekly hours at the contract rate, plus fixed costs."""
    contracts = {c.name: c for c in problem.workforce.contracts}
    weeks = problem.days / 7
    return sum(
        weeks * (contracts[w.contract].min_hours_per_week * contracts[w.contract].cost_per_hour_cents
                 + contracts[w.contract].fixed_cost_per_week_cents)
        for w in problem.workforce.workers
    )


def test_bundled_example_is_proven_optimal_and_an_independent_highs_model_agrees(example_problem, example_plan):
    solver = example_plan.solver
    assert solver.status == SolveStatus.OPTIMAL
    assert solver.gap_ratio == 0.0
    assert solver.lp_bound_cents is not None
    independent = highs_pooled_cost(prepare(example_problem, PARAMS, aggregate=True))
    # bound <= the independent model's optimum <= the plan's cost
    assert solver.best_bound_cents <= independent + 1e-6
    assert independent <= solver.objective_cents + 1e-6
    assert check_plan(example_problem, example_plan, PARAMS) == []


def test_bound_is_never_below_the_minimum_contract_pay(example_problem, example_plan):
    assert example_problem.start_date.weekday() == 0
    assert example_problem.days == 7
    trivial = _minimum_contract_cost_cents(example_problem)
    assert example_plan.solver.best_bound_cents >= trivial
    assert example_plan.solver.lp_bound_cents >= trivial


def test_the_first_solution_time_is_reported_and_inside_the_solve(example_plan):
    solver = example_plan.solver
    assert solver.first_solution_s is not None
    assert 0 < solver.first_solution_s <= solver.wall_time_s


def test_a_cost_term_missing_from_the_plan_is_a_check_finding_not_a_silent_objective(example_problem, monkeypatch):
    honest = extract.cost_terms

    def without_gigs(*args, **kwargs):
        terms = dict(honest(*args, **kwargs))
        terms.pop("gig_cost")
        return terms

    monkeypatch.setattr(extract, "cost_terms", without_gigs)
    result = plan(example_problem, PARAMS)
    assert result.kpis.gig_cost_cents > 0
    # The objective is CP-SAT's, gigs included; the plan's own terms lack them, and the check says so.
    assert result.solver.objective_cents == sum(result.cost_terms_cents.values()) + result.kpis.gig_cost_cents
    codes = {v.rule for v in check_plan(example_problem, result, PARAMS)}
    assert "cost_terms" in codes


def test_without_the_lp_the_same_optimum_is_found(example_problem, example_plan):
    plain = plan(example_problem, PARAMS.model_copy(update={"lp_guided": False}))
    assert plain.solver.lp_bound_cents is None

    def shift_cost(p):
        return sum(v for k, v in p.cost_terms_cents.items() if k != "preference_penalty")

    # The same cost of shifts and shortfall. Who works which shift is handed out after the crew model
    # (``optimizer.model.people``), so a different crew plan of the same cost can leave a wish unmet:
    # without the LP one of the example's 8 wishes (80 SEK) is, and the plan says so in its gap.
    assert shift_cost(plain) == shift_cost(example_plan) == example_plan.solver.best_bound_cents
    assert plain.solver.objective_cents >= plain.solver.best_bound_cents
    assert check_plan(example_problem, plain, PARAMS) == []


def test_a_completion_that_runs_out_of_time_still_returns_the_crew_plan(example_problem, example_plan, monkeypatch):
    model = importlib.import_module("optimizer.model")
    real = model.solve_guided
    calls = []

    def completion_out_of_time(built, params, **kwargs):
        calls.append(kwargs["deadline"])
        if len(calls) == 1:  # the crew model
            return real(built, params, **kwargs)
        nothing = SolveOutcome(SolveStatus.UNKNOWN, None, None, 0.0, cp_model.CpSolver())
        return GuidedOutcome(outcome=nothing, bound_cents=None, relaxation=None, first_solution_at=None)

    monkeypatch.setattr(model, "solve_guided", completion_out_of_time)
    result = plan(example_problem, PARAMS)
    assert len(calls) == 2
    assert result.solver.status.has_plan
    assert "completion solve found no plan" in result.solver.message
    assert "0 shifts could not be placed" in result.solver.message
    assert result.solver.objective_cents == example_plan.solver.objective_cents
    assert check_plan(example_problem, result, PARAMS) == []


def test_a_limit_too_short_for_a_first_solution_reports_no_plan_and_says_why(example_problem):
    result = plan(example_problem, PARAMS.model_copy(update={"time_limit_s": 0.001}))
    if result.solver.status.has_plan:  # a fast machine may still find one; then it must be a valid plan
        assert check_plan(example_problem, result, PARAMS) == []
    else:
        assert result.solver.status == SolveStatus.UNKNOWN
        assert result.solver.objective_cents is None
        assert result.shifts == ()
        assert "no plan within the 0.001 s limit" in result.solver.message


def test_a_dive_found_infeasible_does_not_make_the_model_infeasible(example_problem, monkeypatch):
    """A dive searches around its start (decisions fixed): its INFEASIBLE must not become the phase's status.

    Under load a dive proved its neighbourhood empty and the full search ran out of time; the plan then said
    INFEASIBLE for a problem that has plans (found by the crash-restart server test).
    """
    guided = importlib.import_module("optimizer.model.guided")
    statuses = iter([SolveStatus.INFEASIBLE, SolveStatus.UNKNOWN])  # the dive, then the full search

    def fake_solve(built, params, **kwargs):
        return SolveOutcome(next(statuses), None, None, 0.0, cp_model.CpSolver())

    monkeypatch.setattr(guided, "solve", fake_solve)
    built = build_model(prepare(example_problem, PARAMS))
    deadline = time.monotonic() + 5.0
    result = guided.solve_guided(built, PARAMS.model_copy(update={"lp_guided": False}), deadline=deadline, hinted=True)
    assert result.outcome.status == SolveStatus.UNKNOWN
    assert not result.outcome.has_solution
