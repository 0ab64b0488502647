import datetime as dt

from optimizer.domain import BreakRule, SolveParams
from optimizer.model.constraints import add_fte_contract
from optimizer.model.inputs import prepare
from tests.conftest import make_problem
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


def test_week_patterns_list_every_personal_week_of_the_paid_lengths():
    from optimizer.model.constraints.fte_contract import week_patterns
    from optimizer.model.inputs import WeekLimit

    week = WeekLimit(week=0, first_day=0, last_day=6, min_paid_min=960, max_paid_min=1440, min_days=3, max_days=5)
    patterns = week_patterns([240, 300, 330], week)
    assert patterns is not None
    # three shifts reach 16 h only with two or three 5.5 h shifts
    assert {p for p in patterns if sum(p) == 3} == {(0, 1, 2), (0, 0, 3)}
    assert (4, 0, 0) in patterns  # four 4 h shifts
    assert (5, 0, 0) in patterns
    assert (0, 0, 5) not in patterns  # 27.5 h is over 24
    assert all(960 <= 240 * a + 300 * b + 330 * c <= 1440 and 3 <= a + b + c <= 5 for a, b, c in patterns)


def _flex_crew_of_three():
    c = make_contract(
        name="flex",
        min_hours_per_week=16,
        max_hours_per_week=24,
        min_days_per_week=3,
        max_days_per_week=5,
        shift_lengths_min=(240, 300, 360),
        earliest_start=dt.time(8),
        latest_start=dt.time(8),
        break_rule=BreakRule(
            length_min=30, earliest_after_start_min=120, latest_before_end_min=120, applies_from_shift_min=360
        ),
    )
    problem = make_problem(days=7, interval_min=30, contracts=[c], n_workers=3)
    return prepare(problem, SolveParams(), aggregate=True)


def test_the_dives_pattern_hint_shares_the_hinted_shifts_out_into_weeks_that_hold_them():
    """The dive hints shift counts; ``_hint_patterns`` completes the hint with members per week pattern that
    add up to exactly those shifts (5 x 4 h, 4 x 5 h, 2 x 5.5 h: one member works 5 + 5.5 + 5.5), and the
    shift hints stay."""
    import numpy as np

    from optimizer.model.guided import _hint_patterns

    inp = _flex_crew_of_three()
    b = built(inp, add_fte_contract)
    (week,) = b.vars.week_patterns()
    x = b.vars.fte(0)
    shifts = {240: [0, 0, 1, 1, 2], 300: [3, 3, 4, 4], 330: [5, 6]}
    values = np.zeros(len(b.cp_model.proto.variables), dtype=np.int64)
    for k, o in enumerate(inp.crews[0].options):
        values[x[k].index] = shifts.get(o.paid_min, []).count(o.day)
        b.cp_model.add_hint(x[k], int(values[x[k].index]))
    _hint_patterns(b, values)
    hint = dict(zip(b.cp_model.proto.solution_hint.vars, b.cp_model.proto.solution_hint.values, strict=True))
    assert all(hint[v.index] == values[v.index] for v in x)
    counts = [hint[v.index] for v in week.counts]
    assert sum(counts) == 3
    for i, length in enumerate(week.lengths):
        assert sum(n * p[i] for n, p in zip(counts, week.patterns, strict=True)) == len(shifts[length])
    assert_feasible(b, {v: int(values[v.index]) for v in x} | dict(zip(week.counts, counts, strict=True)))


def test_a_crew_shares_its_shifts_out_as_weeks_its_members_can_work():
    """Three members, 16-24 paid hours on 3-5 days: 11 shifts make one member work three, which needs two
    5.5 h shifts; the summed hours (49.5 h >= 48 h) allow one, the week patterns do not."""
    inp = _flex_crew_of_three()
    assert len(inp.crews) == 1
    assert inp.crews[0].size == 3
    b = built(inp, add_fte_contract)
    x = b.vars.fte(0)
    assert sorted({o.paid_min for o in inp.crews[0].options}) == [240, 300, 330]  # 6 h has a 30-minute break

    def week(fours: list[int], fives: list[int], six_and_halfs: list[int]) -> dict:
        picks = {}
        for paid, days in ((240, fours), (300, fives), (330, six_and_halfs)):
            for d in set(days):
                (k,) = [k for k, o in enumerate(inp.crews[0].options) if o.paid_min == paid and o.day == d]
                picks[x[k]] = days.count(d)
        return {**dict.fromkeys(x, 0), **picks}

    # 6 x 4 h, 4 x 5 h, 1 x 5.5 h: 49.5 paid hours, but no member can work three shifts
    assert_infeasible(b, week([0, 0, 1, 1, 2, 2], [3, 3, 4, 4], [5]))
    # 5 x 4 h, 4 x 5 h, 2 x 5.5 h: one member works 5 + 5.5 + 5.5, the others 4 x 4 and 4 + 3 x 5
    assert_feasible(b, week([0, 0, 1, 1, 2], [3, 3, 4, 4], [5, 6]))
