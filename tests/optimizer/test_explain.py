"""An infeasible contract is reported per worker, rule and week, not as a bare INFEASIBLE."""

import datetime as dt

import pytest

from optimizer import InputError, plan
from optimizer.domain import TimeOff, Worker
from tests.conftest import DETERMINISTIC, make_contract, make_problem


def test_a_minimum_the_rest_rule_forbids_names_the_worker_rules_and_week():
    # 12-h shifts starting at 14:00 with 20 h rest: no two days in a row, so at most 4 shifts a week,
    # but 50 h a week needs 5.
    contract = make_contract(
        min_hours_per_week=50,
        max_hours_per_week=60,
        max_days_per_week=5,
        earliest_start=dt.time(14),
        latest_start=dt.time(14),
        shift_lengths_min=(720,),
        min_rest_min=20 * 60,
        break_rule=None,
    )
    problem = make_problem(days=7, contracts=[contract], n_workers=2)
    with pytest.raises(InputError) as err:
        plan(problem, DETERMINISTIC)
    issues = err.value.issues
    assert [i.field for i in issues] == ["workforce.workers[0]", "workforce.workers[1]"]
    assert "rest and consecutive-day rules" in issues[0].problem
    assert "week 2026-11-30..2026-12-06" in issues[0].problem
    assert "(w00)" in issues[0].problem


def test_absences_prorate_the_minimum_so_they_are_not_reported_as_infeasible():
    contract = make_contract(min_hours_per_week=35, min_days_per_week=5, max_days_per_week=5, break_rule=None)
    off = TimeOff(start="2026-12-01T00:00:00+01:00", end="2026-12-05T00:00:00+01:00")
    workers = [Worker(worker_id="a", contract="ft", time_off=(off,)), Worker(worker_id="b", contract="ft")]
    problem = make_problem(days=7, contracts=[contract], workers=workers)
    result = plan(problem, DETERMINISTIC)  # prorating by the available days keeps this feasible
    assert result.solver.status == "OPTIMAL"
