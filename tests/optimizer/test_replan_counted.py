"""Counted re-plan crews: grouping identical published shifts changes the model's size, not its optimum."""

from __future__ import annotations

import datetime as dt

import pytest

from optimizer import GigPool, Worker, check_plan, plan
from optimizer.model import build_model
from optimizer.model.solve import solve
from optimizer.replan import replan
from optimizer.replan.counted import count_crews
from optimizer.replan.demand import parse_uplift, uplift_demand, with_demand
from optimizer.replan.domain import ReplanOptions
from optimizer.replan.inputs import replan_input
from tests.conftest import DETERMINISTIC, make_contract, make_problem, office_hours

# Gigs dearer than overtime, so the re-plan extends shifts; a contract with a long rest, so an extension at
# the end of Monday can clash with Tuesday's shift and those shifts stay per person.
POOL = GigPool(
    cost_per_hour_cents=9000,
    max_concurrent=8,
    max_shifts_per_day=12,
    earliest_start=dt.time(7),
    latest_start=dt.time(16),
    lead_time_min=60,
)
NOW = dt.datetime.fromisoformat("2026-11-30T11:00+01:00")
OPTIONS = {
    "extensions and VTO": ReplanOptions(allow_extensions=True, allow_voluntary_time_off=True),
    "extensions only": ReplanOptions(allow_extensions=True, max_extension_min=120),
    "VTO only": ReplanOptions(allow_voluntary_time_off=True),
}


@pytest.fixture(scope="module")
def published():
    contracts = (make_contract("ft"), make_contract("ft_rest", min_rest_min=15 * 60))
    workers = [Worker(worker_id=f"w{i:02d}", contract="ft" if i < 6 else "ft_rest") for i in range(10)]
    problem = make_problem(
        days=2, interval_min=30, contracts=contracts, workers=workers, gig_pool=POOL, volume=office_hours(40.0)
    )
    result = plan(problem, DETERMINISTIC)
    assert result.solver.status == "OPTIMAL"
    return problem, result


def _new_problem(problem, spec: str):
    return with_demand(problem, uplift_demand(problem, parse_uplift(spec, problem.timezone)))


@pytest.mark.parametrize("spec", ["+40% 2026-11-30T14:00/2026-12-01T00:00", "-40% 2026-12-01T00:00/2026-12-02T00:00"])
@pytest.mark.parametrize("name", list(OPTIONS))
def test_counted_model_has_the_per_person_optimum(published, spec: str, name: str) -> None:
    problem, pub = published
    new_problem = _new_problem(problem, spec)
    rinp = replan_input(new_problem, pub, now=NOW, params=DETERMINISTIC, options=OPTIONS[name])
    counted = count_crews(rinp)
    assert max(c.size for c in counted.rinp.inp.crews) > 1, "the case must group some shifts"
    assert sum(c.size for c in counted.rinp.inp.crews) <= len(rinp.published)
    person = solve(build_model(rinp.inp), DETERMINISTIC)
    crews = solve(build_model(counted.rinp.inp), DETERMINISTIC)
    assert person.status == crews.status == "OPTIMAL"
    assert crews.objective_cents == person.objective_cents


@pytest.mark.parametrize("name", list(OPTIONS))
def test_counted_replan_hands_back_a_checked_optimal_plan(published, name: str) -> None:
    problem, pub = published
    spec = "+40% 2026-11-30T14:00/2026-12-01T00:00"
    rinp = replan_input(_new_problem(problem, spec), pub, now=NOW, params=DETERMINISTIC, options=OPTIONS[name])
    person = solve(build_model(rinp.inp), DETERMINISTIC)
    new_demand = uplift_demand(problem, parse_uplift(spec, problem.timezone))
    result = replan(problem, pub, new_demand, now=NOW, params=DETERMINISTIC, options=OPTIONS[name])
    assert result.plan.solver.status == "OPTIMAL"
    # The employment cost is a constant the replan adds when contracts are priced; this problem has none.
    assert result.plan.solver.objective_cents == person.objective_cents
    assert check_plan(result.problem, result.plan) == []
    assert result.plan.solver.objective_cents == sum(result.plan.cost_terms_cents.values())


def test_counts_of_extended_shifts_go_back_to_people(published) -> None:
    """Identical shifts of one counted crew end up some extended, some as published, each on one person."""
    problem, pub = published
    one_contract = problem.model_copy(
        update={
            "workforce": problem.workforce.model_copy(
                update={
                    "contracts": problem.workforce.contracts[:1],
                    "workers": tuple(w.model_copy(update={"contract": "ft"}) for w in problem.workforce.workers),
                }
            )
        }
    )
    planned = plan(one_contract, DETERMINISTIC)
    options = ReplanOptions(allow_extensions=True)
    spec = "+10% 2026-11-30T15:00/2026-11-30T18:00"
    rinp = replan_input(_new_problem(one_contract, spec), planned, now=NOW, params=DETERMINISTIC, options=options)
    (crew,) = [c for c in count_crews(rinp).rinp.inp.crews if c.size > 1 and len(c.options) > 1]
    person = solve(build_model(rinp.inp), DETERMINISTIC)
    new_demand = uplift_demand(one_contract, parse_uplift(spec, one_contract.timezone))
    result = replan(one_contract, planned, new_demand, now=NOW, params=DETERMINISTIC, options=options)
    extended = {c.worker_id for c in result.changes if c.change == "extended"}
    assert extended
    assert extended < set(crew.worker_ids)
    assert result.plan.solver.status == "OPTIMAL"
    assert result.plan.solver.objective_cents == person.objective_cents
    assert check_plan(result.problem, result.plan) == []
