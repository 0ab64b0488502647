"""HR mode: FTE headcount as a decision (PlanningProblem.headcount = "optimise")."""

import pytest

from optimizer import check_plan, plan
from optimizer.model.constraints import add_fte_contract
from optimizer.model.inputs import prepare
from tests.conftest import DETERMINISTIC, example_config, make_contract, make_problem
from tests.optimizer.constraints._instances import built, option
from tests.optimizer.cpsat_asserts import assert_feasible, assert_infeasible

# 7 paid hours a shift; at least two shifts a week for anyone employed; 500.00 a week of fixed cost
CONTRACT = make_contract(min_hours_per_week=14, max_days_per_week=5, fixed_cost_per_week_cents=50_000)


def _problem(headcount, n_workers=5, volume=6.0):
    problem = make_problem(
        days=7, n_workers=n_workers, contracts=[CONTRACT], volume=lambda ts: volume if 10 <= ts.hour < 14 else 0.0
    )
    return problem.model_copy(update={"headcount": headcount})


def test_an_unemployed_candidate_takes_no_shift_and_an_employed_one_keeps_the_minimum():
    problem = _problem("optimise", n_workers=1)
    inp = prepare(problem, DETERMINISTIC)
    b = built(inp, add_fte_contract)
    employed = b.vars.employed(0)
    monday = b.vars.fte(0)[option(inp, 0, 0, 9)]
    assert_infeasible(b, {employed: 0, monday: 1})
    only_monday = {x: int(x is monday) for x in b.vars.fte(0)}
    assert_infeasible(b, {employed: 1} | only_monday)  # 7 h < the 14 h minimum
    assert_feasible(b, {employed: 0} | dict.fromkeys(b.vars.fte(0), 0))


@pytest.mark.parametrize("method", ["per_person", "crews"])
def test_hr_mode_employs_fewer_and_costs_less_than_employing_everyone(method):
    params = DETERMINISTIC.model_copy(update={"method": method})
    fixed = plan(_problem("fixed"), params)
    hr = plan(_problem("optimise"), params)
    for problem, result in ((_problem("fixed"), fixed), (_problem("optimise"), hr)):
        assert result.solver.status == "OPTIMAL"
        assert check_plan(problem, result) == []
    assert fixed.kpis.fte_employed == 5
    assert 0 < hr.kpis.fte_employed < 5
    assert hr.kpis.understaffed_intervals == fixed.kpis.understaffed_intervals == 0
    assert hr.solver.objective_cents < fixed.solver.objective_cents
    assert hr.cost_terms_cents["fte_fixed_cost"] == hr.kpis.fte_employed * 50_000
    assert fixed.cost_terms_cents["fte_fixed_cost"] == 5 * 50_000
    employed_ids = {s.worker_id for s in hr.shifts if s.kind == "fte"}
    assert len(employed_ids) == hr.kpis.fte_employed


def test_crews_and_per_person_agree_on_the_optimal_headcount_cost():
    per_person = plan(_problem("optimise"), DETERMINISTIC.model_copy(update={"method": "per_person"}))
    crews = plan(_problem("optimise"), DETERMINISTIC.model_copy(update={"method": "crews"}))
    assert crews.solver.best_bound_cents <= per_person.solver.objective_cents <= crews.solver.objective_cents
    assert crews.solver.objective_cents == per_person.solver.objective_cents


def test_check_flags_an_employed_worker_left_without_shifts_in_fixed_mode():
    problem = _problem("fixed")
    result = plan(problem, DETERMINISTIC)
    someone = next(s.worker_id for s in result.shifts if s.kind == "fte")
    stripped = result.model_copy(update={"shifts": tuple(s for s in result.shifts if s.worker_id != someone)})
    assert "min_hours" in {v.rule for v in check_plan(problem, stripped)}


def test_plan_config_passes_hr_mode_to_the_problem(tmp_path):
    import yaml

    from api.cli import main

    cfg = example_config()
    cfg["days"] = 2
    cfg["headcount"] = "optimise"
    cfg["forecast"]["model"] = "seasonal_naive"
    cfg["solve"] = {"time_limit_s": 20, "num_workers": 1, "random_seed": 3}
    path = tmp_path / "hr.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["plan", "--config", str(path), "--out", str(tmp_path / "out")]) == 0
    doc = __import__("json").loads((tmp_path / "out" / "plan.json").read_text())
    assert doc["problem"]["headcount"] == "optimise"
    assert doc["check"] == []
    assert 0 < doc["plan"]["kpis"]["fte_employed"] <= 60


def test_replan_prices_the_published_employment_so_bound_and_cost_compare():
    import datetime as dt

    from optimizer import replan
    from optimizer.replan.demand import parse_uplift, uplift_demand

    problem = _problem("optimise")
    published = plan(problem, DETERMINISTIC)
    now = dt.datetime(2026, 12, 1, 6, tzinfo=published.shifts[0].start.tzinfo)
    demand = uplift_demand(problem, parse_uplift("+40% 2026-12-02T10:00/2026-12-02T14:00", problem.timezone))
    result = replan(problem, published, demand, now=now, params=DETERMINISTIC)
    assert result.plan.solver.status == "OPTIMAL"
    assert result.plan.solver.objective_cents == result.plan.solver.best_bound_cents
    assert result.plan.cost_terms_cents["fte_fixed_cost"] == published.cost_terms_cents["fte_fixed_cost"]
    assert check_plan(result.problem, result.plan) == []
