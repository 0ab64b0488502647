from optimizer.model.constraints import add_breaks
from tests.optimizer.constraints._instances import built, option, prepared
from tests.optimizer.cpsat_asserts import assert_feasible, assert_infeasible


def test_every_long_shift_takes_exactly_one_break_in_its_window():
    inp = prepared(n_workers=1)
    b = built(inp, add_breaks)
    k = option(inp, 0, 0, 9)
    s = inp.crews[0].options[k].shift_type
    slots = inp.shift_types[s].break_starts
    # 8 h shift, 60-min break, at least 3 h after the start and 3 h before the end: 12:00 or 13:00.
    assert [inp.grid.timestamp(t).hour for t in slots] == [12, 13]
    counters = {b.vars.break_count(s, t): 0 for t in slots}
    assert_infeasible(b, {b.vars.fte(0)[k]: 1} | counters)
    assert_feasible(b, {b.vars.fte(0)[k]: 1, b.vars.break_count(s, slots[0]): 1})
    assert_infeasible(b, {b.vars.fte(0)[k]: 1} | dict.fromkeys(counters, 1))


def test_no_shift_no_break():
    inp = prepared(n_workers=1)
    b = built(inp, add_breaks)
    k = option(inp, 0, 0, 9)
    s = inp.crews[0].options[k].shift_type
    assert_infeasible(b, {b.vars.fte(0)[k]: 0, b.vars.break_count(s, inp.shift_types[s].break_starts[0]): 1})
