from optimizer.model.constraints import add_fte_contract
from tests.optimizer.constraints._instances import built, make_contract, option, prepared
from tests.optimizer.cpsat_asserts import assert_feasible, assert_infeasible


def test_at_most_one_shift_a_day():
    inp = prepared(n_workers=1)
    b = built(inp, add_fte_contract)
    assert_feasible(b, {b.vars.fte(0)[option(inp, 0, 0, 9)]: 1})
    assert_infeasible(b, {b.vars.fte(0)[option(inp, 0, 0, 9)]: 1, b.vars.fte(0)[option(inp, 0, 0, 10)]: 1})


def test_weekly_minimum_and_maximum_hours():
    c = make_contract(min_hours_per_week=14, max_hours_per_week=21, max_days_per_week=5)  # 7 paid h a shift
    inp = prepared(days=7, contracts=[c], n_workers=1)
    b = built(inp, add_fte_contract)
    x = b.vars.fte(0)
    one = {x[option(inp, 0, 0, 9)]: 1} | {y: 0 for k, y in enumerate(x) if k != option(inp, 0, 0, 9)}
    assert_infeasible(b, one)
    assert_feasible(b, {x[option(inp, 0, d, 9)]: 1 for d in (0, 2)})
    assert_infeasible(b, {x[option(inp, 0, d, 9)]: 1 for d in (0, 1, 2, 3)})


def test_fte_cost_term_is_paid_hours_times_rate():
    inp = prepared(n_workers=1)
    b = built(inp, add_fte_contract)
    x = b.vars.fte(0)
    k = option(inp, 0, 0, 9)
    solver = assert_feasible(b, {x[k]: 1})
    # 8 h shift with a 60-minute unpaid break: 7 paid hours at 20.00/h
    assert solver.value(b.objective.terms["fte_cost"]) == 7 * 2000
