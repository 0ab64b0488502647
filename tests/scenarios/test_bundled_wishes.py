"""The bundled week's wishes and fairness: what honouring them costs, and how evenly weekends are shared."""

from __future__ import annotations

import pytest

from optimizer import check_plan, plan
from optimizer.domain import Plan, PlanningProblem, SolveParams
from optimizer.export import fairness_spreads
from scenarios.pipeline import run_plan
from scenarios.spec import load_example

PARAMS = SolveParams(time_limit_s=20.0, num_workers=1, random_seed=0, relative_gap=0.001)


def _without(problem: PlanningProblem, *, preferences: bool, fairness: bool) -> PlanningProblem:
    wf = problem.workforce
    contracts = wf.contracts if fairness else tuple(c.model_copy(update={"fairness": None}) for c in wf.contracts)
    wf = wf.model_copy(update={"contracts": contracts, "preferences": wf.preferences if preferences else ()})
    return problem.model_copy(update={"workforce": wf})


@pytest.fixture(scope="module")
def bundled() -> dict[str, tuple[PlanningProblem, Plan]]:
    config, folder = load_example()
    problem = run_plan(config, folder, PARAMS.model_copy(update={"time_limit_s": 1.0})).problem
    out = {}
    for name, prefs, fair in (("all", True, True), ("no_preferences", False, True), ("no_fairness", True, False)):
        variant = _without(problem, preferences=prefs, fairness=fair)
        out[name] = (variant, plan(variant, PARAMS))
    return out


def test_the_bundled_week_honours_its_wishes_for_what_the_priced_term_says(bundled):
    problem, honoured = bundled["all"]
    _, without = bundled["no_preferences"]
    assert check_plan(problem, honoured) == []
    assert problem.workforce.preferences
    extra = honoured.kpis.total_cost_cents - without.kpis.total_cost_cents
    assert extra <= 0.02 * without.kpis.total_cost_cents
    penalty = honoured.cost_terms_cents["preference_penalty"]
    assert honoured.solver.objective_cents == honoured.kpis.total_cost_cents + penalty
    assert sum(p.preference_penalty_cents for p in honoured.people) == penalty
    assert sum(p.preferences_met for p in honoured.people) == len(problem.workforce.preferences)


def test_fairness_shares_the_bundled_weeks_weekends_within_one_day_per_contract(bundled):
    _, fair = bundled["all"]
    _, unfair = bundled["no_fairness"]
    with_it, without_it = fairness_spreads(fair), fairness_spreads(unfair)
    assert all(s["weekend_days"] <= 1 for s in with_it.values())
    assert sum(s["weekend_days"] for s in with_it.values()) < sum(s["weekend_days"] for s in without_it.values())
    assert fair.kpis.total_cost_cents == unfair.kpis.total_cost_cents
