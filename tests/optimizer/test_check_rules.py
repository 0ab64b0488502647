"""One test per ``check_plan`` rule code: each breaks exactly that rule of a valid plan and asserts its code.

The plan is solved once. Each test then either checks it against a problem whose one rule is tighter than the
plan keeps, or changes the plan in one way (and, where that moves coverage or cost, recomputes the plan's own
bookkeeping so only the broken rule remains). The checking problem relaxes every other labour rule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from optimizer import check_plan, plan
from optimizer.domain import (
    Availability,
    Contract,
    GigPool,
    Plan,
    PlannedShift,
    PlanningProblem,
    ShiftBreak,
    SolveParams,
    TimeOff,
    WeekendsOff,
    Worker,
)
from optimizer.kpis import cost_terms, employment
from optimizer.model import prepare
from optimizer.model.extract import plan_coverage
from tests.conftest import TZ, make_problem
from tests.optimizer.constraints.test_registry import check_plan_rule_codes

PARAMS = SolveParams(
    time_limit_s=20.0, num_workers=1, random_seed=7, relative_gap=0.0, shortfall_penalty_per_hour_cents=20_000
)
POOL = GigPool(cost_per_hour_cents=3000, max_concurrent=3, max_shifts_per_day=4, earliest_start=dt.time(8))
ZONE = ZoneInfo(TZ)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

def _busy_days(ts: dt.datetime) -> float:
    return 30.0 if 9 <= ts.hour < 17 else 0.0


@pytest.fixture(scope="module")
def solved() -> tuple[PlanningProblem, Plan]:
    """A week of two FTEs (five days each) and gig cover, and the lenient problem that checks it."""
    problem = make_problem(days=7, n_workers=2, gig_pool=POOL, volume=_busy_days)
    result = plan(problem, PARAMS)
    assert result.solver.status == "OPTIMAL"
    assert check_plan(problem, result, PARAMS) == []
    lenient = _with(problem, contract={}, pool={})
    assert check_plan(lenient, result, PARAMS) == []
    assert any(s.kind == "gig" for s in result.shifts)
    return lenient, result


def _with(problem: PlanningProblem, *, contract: dict | None = None, pool: dict | None = None, workers=None):
    """Return the problem with every labour rule relaxed except the changes given."""
    base = problem.workforce.contracts[0]
    relaxed = {
        "max_hours_per_week": 84,
        "max_days_per_week": 7,
        "min_rest_min": 0,
        "max_consecutive_days": 14,
        "earliest_start": dt.time(0),
        "latest_start": dt.time(23, 59),
    }
    new_contract = Contract.model_validate(base.model_dump() | relaxed | (contract or {}))
    gig = problem.workforce.gig_pool
    assert gig is not None
    new_pool = gig.model_copy(
        update={"max_concurrent": 100, "max_shifts_per_day": None, "earliest_start": dt.time(0)} | (pool or {})
    )
    workforce = problem.workforce.model_copy(
        update={
            "contracts": (new_contract,),
            "gig_pool": new_pool,
            "workers": tuple(workers) if workers is not None else problem.workforce.workers,
        }
    )
    return problem.model_copy(update={"workforce": workforce})


def _rules(problem: PlanningProblem, result: Plan, code: str) -> set[str]:
    """Return the rule codes ``check_plan`` reports; ``code`` names the one the test breaks."""
    del code
    return {v.rule for v in check_plan(problem, result, PARAMS)}


def _consistent(problem: PlanningProblem, result: Plan, shifts: list[PlannedShift]) -> Plan:
    """Return the plan with new shifts and its coverage, cost terms and objective recomputed from them."""
    inp = prepare(problem, PARAMS)
    coverage = plan_coverage(problem, inp, shifts)
    terms = cost_terms(shifts, coverage, inp.shortfall_penalty_cents, inp.service, employment(problem, shifts))
    total = sum(terms.values())
    bound = result.solver.best_bound_cents
    solver = result.solver.model_copy(update={"objective_cents": total, "best_bound_cents": min(total, bound or total)})
    return result.model_copy(
        update={"shifts": tuple(shifts), "coverage": coverage, "cost_terms_cents": terms, "solver": solver}
    )


def _fte(result: Plan) -> list[PlannedShift]:
    return [s for s in result.shifts if s.kind == "fte"]


def _by_worker(result: Plan) -> dict[str, list[PlannedShift]]:
    out: dict[str, list[PlannedShift]] = defaultdict(list)
    for s in _fte(result):
        out[s.worker_id].append(s)
    return {w: sorted(ss, key=lambda s: s.start) for w, ss in out.items()}


def _replaced(result: Plan, old: PlannedShift, new: PlannedShift | None) -> list[PlannedShift]:
    return [new if s is old else s for s in result.shifts if not (s is old and new is None)]


# ---- rules of the contract, broken by a tighter problem ------------------------------------------------------


def test_max_hours(solved):
    problem, result = solved
    most_h = max(sum(s.paid_minutes for s in ss) for ss in _by_worker(result).values()) / 60
    assert _rules(_with(problem, contract={"max_hours_per_week": most_h - 1}), result, "max_hours") == {"max_hours"}


def test_min_hours(solved):
    problem, result = solved
    most_h = max(sum(s.paid_minutes for s in ss) for ss in _by_worker(result).values()) / 60
    assert _rules(_with(problem, contract={"min_hours_per_week": most_h + 1}), result, "min_hours") == {"min_hours"}


def test_max_days(solved):
    problem, result = solved
    most = max(len(ss) for ss in _by_worker(result).values())
    assert _rules(_with(problem, contract={"max_days_per_week": most - 1}), result, "max_days") == {"max_days"}


def test_min_days(solved):
    problem, result = solved
    most = max(len(ss) for ss in _by_worker(result).values())
    tighter = _with(problem, contract={"min_days_per_week": most + 1})
    assert _rules(tighter, result, "min_days") == {"min_days"}


def test_consecutive_days(solved):
    problem, result = solved
    longest = 1
    for ss in _by_worker(result).values():
        days = sorted({s.start.astimezone(ZONE).date() for s in ss})
        run = 1
        for a, b in zip(days, days[1:], strict=False):
            run = run + 1 if (b - a).days == 1 else 1
            longest = max(longest, run)
    assert longest >= 2
    tighter = _with(problem, contract={"max_consecutive_days": longest - 1})
    assert _rules(tighter, result, "consecutive_days") == {"consecutive_days"}


def test_rest(solved):
    problem, result = solved
    shortest = min(
        (b.start - a.end).total_seconds() / 60
        for ss in _by_worker(result).values()
        for a, b in zip(ss, ss[1:], strict=False)
    )
    assert _rules(_with(problem, contract={"min_rest_min": int(shortest) + 60}), result, "rest") == {"rest"}


def test_weekends_off(solved):
    problem, result = solved
    assert any(s.start.astimezone(ZONE).weekday() >= 5 for s in _fte(result))
    tighter = _with(problem, contract={"weekends_off": WeekendsOff(min_off=1, per_weeks=1)})
    assert _rules(tighter, result, "weekends_off") == {"weekends_off"}


def test_shift_length(solved):
    problem, result = solved
    assert _rules(_with(problem, contract={"shift_lengths_min": (540,)}), result, "shift_length") == {"shift_length"}


def test_start_window(solved):
    problem, result = solved
    earliest = min(s.start.astimezone(ZONE).time() for s in _fte(result))
    assert earliest > dt.time(1)
    tighter = _with(problem, contract={"earliest_start": dt.time(0), "latest_start": dt.time(earliest.hour - 1)})
    assert _rules(tighter, result, "start_window") == {"start_window"}


def test_time_off(solved):
    problem, result = solved
    s = _fte(result)[0]
    workers = [
        w.model_copy(update={"time_off": (TimeOff(start=s.start, end=s.end),)}) if w.worker_id == s.worker_id else w
        for w in problem.workforce.workers
    ]
    assert _rules(_with(problem, workers=workers), result, "time_off") == {"time_off"}


def test_availability(solved):
    problem, result = solved
    s = _fte(result)[0]
    off_day = s.start.astimezone(ZONE).weekday()
    windows = tuple(
        Availability(day=WEEKDAYS[d], start_time=dt.time(6), end_time=dt.time(22)) for d in range(7) if d != off_day
    )
    workers = [
        Worker(worker_id=w.worker_id, contract=w.contract, availability=windows) if w.worker_id == s.worker_id else w
        for w in problem.workforce.workers
    ]
    assert _rules(_with(problem, workers=workers), result, "availability") == {"availability"}


# ---- rules of the shifts, broken by changing the plan ---------------------------------------------------------


def test_start_grid(solved):
    problem, result = solved
    s = _fte(result)[0]
    start = s.start + dt.timedelta(minutes=30)
    on_grid_break = start + dt.timedelta(minutes=210)  # inside the break window, on the hour
    moved = s.model_copy(
        update={
            "start": start,
            "end": start + (s.end - s.start),
            "breaks": (ShiftBreak(start=on_grid_break, end=on_grid_break + dt.timedelta(hours=1)),),
        }
    )
    assert _rules(problem, _consistent(problem, result, _replaced(result, s, moved)), "start_grid") == {"start_grid"}


def test_breaks(solved):
    problem, result = solved
    s = _fte(result)[0]
    unbroken = _consistent(problem, result, _replaced(result, s, s.model_copy(update={"breaks": ()})))
    assert _rules(problem, unbroken, "breaks") == {"breaks"}


def test_paid_minutes(solved):
    problem, result = solved
    s = _fte(result)[0]
    changed = _replaced(result, s, s.model_copy(update={"paid_minutes": s.paid_minutes + 60}))
    assert _rules(problem, result.model_copy(update={"shifts": tuple(changed)}), "paid_minutes") == {"paid_minutes"}


def test_cost(solved):
    problem, result = solved
    s = _fte(result)[0]
    dearer = _consistent(problem, result, _replaced(result, s, s.model_copy(update={"cost_cents": s.cost_cents + 1})))
    assert _rules(problem, dearer, "cost") == {"cost"}


def test_overtime_cost(solved):
    problem, result = solved
    s = _fte(result)[0]
    hour = dt.timedelta(hours=1)
    unpaid_overtime = s.model_copy(
        update={"end": s.end + hour, "extended_after_min": 60, "paid_minutes": s.paid_minutes + 60}
    )
    changed = _consistent(problem, result, _replaced(result, s, unpaid_overtime))
    assert _rules(problem, changed, "overtime_cost") == {"overtime_cost"}


def test_one_shift_per_day(solved):
    problem, result = solved
    s = _fte(result)[0]
    later = s.end - s.start
    evening = s.model_copy(
        update={
            "start": s.start + later,
            "end": s.end + later,
            "breaks": tuple(b.model_copy(update={"start": b.start + later, "end": b.end + later}) for b in s.breaks),
        }
    )
    changed = _consistent(problem, result, [*result.shifts, evening])
    assert _rules(problem, changed, "one_shift_per_day") == {"one_shift_per_day"}


def test_unknown_worker(solved):
    problem, result = solved
    s = _fte(result)[0]
    renamed = _replaced(result, s, s.model_copy(update={"worker_id": "ghost"}))
    ghost = result.model_copy(update={"shifts": tuple(renamed)})
    assert _rules(problem, ghost, "unknown_worker") == {"unknown_worker"}


# ---- the gig pool ---------------------------------------------------------------------------------------------


def _gigs(result: Plan) -> list[PlannedShift]:
    return [s for s in result.shifts if s.kind == "gig"]


def test_gig_pool(solved):
    problem, result = solved
    no_pool = problem.model_copy(update={"workforce": problem.workforce.model_copy(update={"gig_pool": None})})
    assert _rules(no_pool, result, "gig_pool") == {"gig_pool"}


def test_gig_length(solved):
    problem, result = solved
    g = _gigs(result)[0]
    longer = g.model_copy(update={"end": g.end + dt.timedelta(hours=1)})
    assert _rules(problem, _consistent(problem, result, _replaced(result, g, longer)), "gig_length") == {"gig_length"}


def test_gig_start_window(solved):
    problem, result = solved
    earliest = min(g.start.astimezone(ZONE).time() for g in _gigs(result))
    later = _with(problem, pool={"earliest_start": dt.time(earliest.hour + 1)})
    assert _rules(later, result, "gig_start_window") == {"gig_start_window"}


def test_gig_per_day(solved):
    problem, result = solved
    per_day: dict[dt.date, int] = defaultdict(int)
    for g in _gigs(result):
        per_day[g.start.astimezone(ZONE).date()] += 1
    fewer = _with(problem, pool={"max_shifts_per_day": max(per_day.values()) - 1})
    assert _rules(fewer, result, "gig_per_day") == {"gig_per_day"}


def test_gig_cap(solved):
    problem, result = solved
    inp = prepare(problem, PARAMS)
    most = max(
        sum(1 for g in _gigs(result) if g.start <= inp.grid.timestamp(t) < g.end) for t in range(inp.intervals)
    )
    assert _rules(_with(problem, pool={"max_concurrent": most - 1}), result, "gig_cap") == {"gig_cap"}


# ---- the plan's own bookkeeping ------------------------------------------------------------------------------


def test_coverage(solved):
    problem, result = solved
    rows = list(result.coverage)
    rows[10] = rows[10].model_copy(update={"scheduled": rows[10].scheduled + 1})
    assert _rules(problem, result.model_copy(update={"coverage": tuple(rows)}), "coverage") == {"coverage"}


def test_cost_terms(solved):
    problem, result = solved
    terms = dict(result.cost_terms_cents)
    terms["fte_cost"] += 1
    assert _rules(problem, result.model_copy(update={"cost_terms_cents": terms}), "cost_terms") == {"cost_terms"}


def test_bound(solved):
    problem, result = solved
    assert result.solver.objective_cents is not None
    solver = result.solver.model_copy(update={"best_bound_cents": result.solver.objective_cents + 1})
    assert _rules(problem, result.model_copy(update={"solver": solver}), "bound") == {"bound"}


def test_objective(solved):
    problem, result = solved
    assert result.solver.objective_cents is not None
    solver = result.solver.model_copy(update={"objective_cents": result.solver.objective_cents + 1})
    assert _rules(problem, result.model_copy(update={"solver": solver}), "objective") == {"objective"}


def test_routing():
    """A plan that puts more people on its queues than the skilled floor holds breaks the routing rule."""
    from tests.optimizer.test_queues import three_queue_problem

    problem = three_queue_problem()
    result = plan(problem, PARAMS)
    assert check_plan(problem, result, PARAMS) == []
    rows = list(result.queue_coverage)
    i = next(k for k, r in enumerate(rows) if r.queue == "email" and r.scheduled == 0 and r.volume > 0)
    rows[i] = rows[i].model_copy(update={"scheduled": 1})  # a person no shift puts on the floor
    broken = result.model_copy(update={"queue_coverage": tuple(rows)})
    assert _rules(problem, broken, "routing") == {"routing"}


def test_every_rule_code_has_its_test():
    """Every code ``check_plan`` can report is broken alone by a test above (``_rules(..., code) == {code}``)."""
    tested = set(re.findall(r'"([a-z_]+)"\) == \{"\1"\}', Path(__file__).read_text(encoding="utf-8")))
    assert tested == check_plan_rule_codes()
