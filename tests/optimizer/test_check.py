"""check_plan catches each hand-made violation of an otherwise valid plan."""

import datetime as dt

import pytest

from optimizer import check_plan, plan
from optimizer.domain import GigPool, PlannedShift, ShiftBreak
from tests.conftest import DETERMINISTIC, make_problem

POOL = GigPool(cost_per_hour_cents=3000, max_concurrent=2, max_shifts_per_day=3, earliest_start=dt.time(8))


@pytest.fixture(scope="module")
def solved():
    problem = make_problem(n_workers=2, gig_pool=POOL)
    result = plan(problem, DETERMINISTIC)
    assert result.solver.status == "OPTIMAL"
    assert check_plan(problem, result) == []
    return problem, result


def _replace_shift(result, index, **changes):
    shifts = list(result.shifts)
    shifts[index] = shifts[index].model_copy(update=changes)
    return result.model_copy(update={"shifts": tuple(shifts)})


def _rules(problem, result):
    return {v.rule for v in check_plan(problem, result)}


def test_shift_moved_outside_its_start_window(solved):
    problem, result = solved
    s = result.shifts[0]
    late = s.start.replace(hour=14)
    moved = _replace_shift(result, 0, start=late, end=late + (s.end - s.start), breaks=())
    assert "start_window" in _rules(problem, moved)


def test_missing_break(solved):
    problem, result = solved
    assert "breaks" in _rules(problem, _replace_shift(result, 0, breaks=()))


def test_break_outside_window(solved):
    problem, result = solved
    s = result.shifts[0]
    early = ShiftBreak(start=s.start, end=s.start + dt.timedelta(hours=1))
    assert "breaks" in _rules(problem, _replace_shift(result, 0, breaks=(early,)))


def test_wrong_cost_and_objective(solved):
    problem, result = solved
    rules = _rules(problem, _replace_shift(result, 0, cost_cents=result.shifts[0].cost_cents + 1))
    assert {"cost", "objective"} <= rules


def test_unknown_worker(solved):
    problem, result = solved
    assert "unknown_worker" in _rules(problem, _replace_shift(result, 0, worker_id="ghost"))


def test_second_shift_same_day_breaks_day_rule_and_coverage(solved):
    problem, result = solved
    extra = result.shifts[0].model_copy(update={"start": result.shifts[0].start + dt.timedelta(hours=1)})
    doubled = result.model_copy(update={"shifts": (*result.shifts, extra)})
    assert {"one_shift_per_day", "coverage"} <= _rules(problem, doubled)


def test_gig_cap_exceeded(solved):
    problem, result = solved
    start = dt.datetime(2026, 11, 30, 9, tzinfo=result.shifts[0].start.tzinfo)
    gigs = tuple(
        PlannedShift(
            worker_id=f"gig-x{i}",
            kind="gig",
            start=start,
            end=start + dt.timedelta(hours=4),
            paid_minutes=240,
            cost_cents=12000,
        )
        for i in range(3)
    )
    assert "gig_cap" in _rules(problem, result.model_copy(update={"shifts": (*result.shifts, *gigs)}))
