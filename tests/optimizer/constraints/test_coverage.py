from optimizer.model.constraints import add_breaks, add_coverage
from tests.optimizer.constraints._instances import built, make_contract, option, prepared
from tests.optimizer.cpsat_asserts import assert_feasible, assert_infeasible

NO_BREAK = make_contract(break_rule=None)


def _req_9_to_17(n: int = 1) -> list[int]:
    return [n if 9 <= h < 17 else 0 for h in range(24)]


def test_a_shift_over_the_demand_covers_it():
    inp = prepared(_req_9_to_17(), contracts=[NO_BREAK], n_workers=1)
    b = built(inp, add_coverage)
    k = option(inp, 0, 0, 9)
    fixed = {b.vars.fte(0)[k]: 1} | {b.vars.short(t): 0 for t in range(24)}
    assert_feasible(b, fixed)


def test_no_shift_and_no_shortfall_is_infeasible():
    inp = prepared(_req_9_to_17(), contracts=[NO_BREAK], n_workers=1)
    b = built(inp, add_coverage)
    fixed = dict.fromkeys(b.vars.fte(0), 0) | {b.vars.short(t): 0 for t in range(24)}
    assert_infeasible(b, fixed)


def test_a_shift_starting_late_leaves_the_first_hour_short():
    inp = prepared(_req_9_to_17(), contracts=[NO_BREAK], n_workers=1)
    b = built(inp, add_coverage)
    k = option(inp, 0, 0, 10)
    only_k = {x: int(j == k) for j, x in enumerate(b.vars.fte(0))}
    assert_infeasible(b, only_k | {b.vars.short(9): 0})
    assert_feasible(b, only_k | {b.vars.short(9): 1})


def test_shortfall_term_is_penalty_times_short_agent_intervals():
    inp = prepared(_req_9_to_17(2), contracts=[NO_BREAK], n_workers=1)
    b = built(inp, add_coverage)
    k = option(inp, 0, 0, 9)
    solver = assert_feasible(
        b, {b.vars.fte(0)[k]: 1} | {b.vars.short(t): int(inp.required[t] > 0) for t in range(24)}
    )
    assert solver.value(b.objective.terms["shortfall_penalty"]) == 8 * inp.shortfall_penalty_cents
    assert inp.shortfall_penalty_cents == 10_000


def test_a_worker_on_break_does_not_cover():
    inp = prepared(_req_9_to_17(), n_workers=1)
    b = built(inp, add_coverage, add_breaks)
    k = option(inp, 0, 0, 9)
    s = inp.crews[0].options[k].shift_type
    brk_at_12 = next(bs for bs in inp.shift_types[s].break_starts if inp.grid.timestamp(bs).hour == 12)
    fixed = {x: int(j == k) for j, x in enumerate(b.vars.fte(0))} | {b.vars.break_count(s, brk_at_12): 1}
    assert_infeasible(b, fixed | {b.vars.short(12): 0})
    assert_feasible(b, fixed | {b.vars.short(12): 1, b.vars.short(11): 0})
