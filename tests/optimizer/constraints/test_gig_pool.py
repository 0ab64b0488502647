import datetime as dt

from optimizer.model.constraints import add_coverage, add_gig_pool
from tests.optimizer.constraints._instances import GigPool, built, prepared
from tests.optimizer.cpsat_asserts import assert_feasible, assert_infeasible

POOL = GigPool(cost_per_hour_cents=3000, max_concurrent=1, max_shifts_per_day=2, earliest_start=dt.time(8))


def _start(inp, hour):
    return next(t for t in inp.gig.starts if inp.grid.timestamp(t).hour == hour)


def test_concurrent_cap():
    inp = prepared(n_workers=0, gig_pool=POOL)
    b = built(inp, add_gig_pool)
    g = b.vars.gig_starts()
    assert_infeasible(b, {g[_start(inp, 9)]: 1, g[_start(inp, 11)]: 1})
    assert_feasible(b, {g[_start(inp, 9)]: 1, g[_start(inp, 13)]: 1})


def test_daily_cap():
    pool = POOL.model_copy(update={"max_concurrent": 5, "max_shifts_per_day": 2})
    inp = prepared(n_workers=0, gig_pool=pool)
    b = built(inp, add_gig_pool)
    g = b.vars.gig_starts()
    assert_infeasible(b, {g[_start(inp, h)]: 1 for h in (8, 9, 10)})


def test_gig_cost_and_fill_rate():
    pool = POOL.model_copy(update={"max_concurrent": 4, "fill_rate": 0.5})
    inp = prepared([0] * 10 + [1], n_workers=0, gig_pool=pool)
    b = built(inp, add_coverage, add_gig_pool)
    g = b.vars.gig_starts()
    # one posted gig at 50% fill covers 0 people (floored); two cover one
    nine = _start(inp, 9)
    assert_infeasible(b, {var: int(t == nine) for t, var in g.items()} | {b.vars.short(10): 0})
    solver = assert_feasible(b, {var: 2 * int(t == nine) for t, var in g.items()} | {b.vars.short(10): 0})
    assert solver.value(b.objective.terms["gig_cost"]) == 2 * 4 * 3000
