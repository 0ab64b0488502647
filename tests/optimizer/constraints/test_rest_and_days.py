import datetime as dt

from optimizer.model.constraints import add_fte_contract, add_rest_and_days
from tests.optimizer.constraints._instances import built, make_contract, option, prepared
from tests.optimizer.cpsat_asserts import assert_feasible, assert_infeasible


def test_minimum_rest_between_days():
    c = make_contract(
        min_rest_min=13 * 60, earliest_start=dt.time(6), latest_start=dt.time(12), break_rule=None
    )
    inp = prepared(days=2, contracts=[c], n_workers=1)
    b = built(inp, add_rest_and_days)
    x = b.vars.fte(0)
    late = x[option(inp, 0, 0, 12)]  # ends 20:00
    assert_infeasible(b, {late: 1, x[option(inp, 0, 1, 8)]: 1})  # 12 h rest
    assert_feasible(b, {late: 1, x[option(inp, 0, 1, 9)]: 1})  # 13 h rest


def test_consecutive_days_cap():
    c = make_contract(max_consecutive_days=3, max_days_per_week=7, max_hours_per_week=84, break_rule=None)
    inp = prepared(days=5, contracts=[c], n_workers=1)
    b = built(inp, add_fte_contract, add_rest_and_days)
    x = b.vars.fte(0)
    assert_infeasible(b, {x[option(inp, 0, d, 9)]: 1 for d in range(4)})
    assert_feasible(b, {x[option(inp, 0, d, 9)]: 1 for d in (0, 1, 2, 4)})
