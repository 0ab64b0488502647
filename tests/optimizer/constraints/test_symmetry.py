from optimizer.domain import TimeOff, Worker
from optimizer.model.constraints import add_symmetry
from tests.optimizer.constraints._instances import built, make_contract, option, prepared
from tests.optimizer.cpsat_asserts import assert_feasible, assert_infeasible


def test_identical_workers_are_ordered_by_paid_time():
    inp = prepared(n_workers=2)
    b = built(inp, add_symmetry)
    k = option(inp, 0, 0, 9)
    assert_feasible(b, {b.vars.fte(0)[k]: 1})
    assert_infeasible(b, {b.vars.fte(1)[k]: 1} | dict.fromkeys(b.vars.fte(0), 0))


def test_workers_with_different_absences_are_not_ordered():
    c = make_contract()
    off = TimeOff(start="2026-11-30T08:00:00+01:00", end="2026-11-30T12:00:00+01:00")
    workers = [Worker(worker_id="a", contract="ft", time_off=(off,)), Worker(worker_id="b", contract="ft")]
    inp = prepared(contracts=[c], workers=workers)
    b = built(inp, add_symmetry)
    k = option(inp, 1, 0, 12)
    assert_feasible(b, {b.vars.fte(1)[k]: 1} | dict.fromkeys(b.vars.fte(0), 0))
