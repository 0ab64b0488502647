"""Whole-model solves on small instances: independent check, HiGHS cross-check, and properties."""

import datetime as dt
import importlib
import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimizer import GigPool, check_plan, plan
from optimizer.domain import SolveParams, TimeOff, Worker
from optimizer.model import build_model, prepare, solve
from tests.conftest import DETERMINISTIC, make_contract, make_problem
from tests.optimizer.highs_mip import highs_optimal_cost

REST = 11 * 60
POOL = GigPool(cost_per_hour_cents=3000, max_concurrent=3, max_shifts_per_day=6, earliest_start=dt.time(8))


PER_PERSON = DETERMINISTIC.model_copy(update={"method": "per_person"})
CREWS = DETERMINISTIC.model_copy(update={"method": "crews"})


def _solve_checked(problem, params=PER_PERSON):
    """Solve, run the independent check, and insist on a proven optimum."""
    result = plan(problem, params)
    assert result.solver.status == "OPTIMAL"
    assert check_plan(problem, result) == []
    assert result.solver.objective_cents == result.solver.best_bound_cents
    assert sum(result.cost_terms_cents.values()) == result.solver.objective_cents
    return result


def _crews_bracket_the_optimum(problem, optimum):
    """The crew method's plan is valid, costs at least the optimum, and its bound is at most the optimum."""
    result = plan(problem, CREWS)
    assert result.solver.status in ("OPTIMAL", "FEASIBLE")
    assert check_plan(problem, result) == []
    assert result.solver.best_bound_cents <= optimum + 1e-6
    assert result.solver.objective_cents >= optimum - 1e-6
    return result


def test_a_day_with_staff_and_gigs_is_optimal_checked_and_matches_highs():
    problem = make_problem(n_workers=2, gig_pool=POOL, volume=lambda ts: 30.0 if 9 <= ts.hour < 17 else 0.0)
    result = _solve_checked(problem)
    inp = prepare(problem, DETERMINISTIC)
    assert result.solver.objective_cents == pytest.approx(highs_optimal_cost(inp, REST))
    assert _crews_bracket_the_optimum(problem, result.solver.objective_cents).solver.status == "OPTIMAL"
    kinds = {s.kind for s in result.shifts}
    assert kinds == {"fte", "gig"}
    assert (
        result.kpis.total_cost_cents
        == result.cost_terms_cents["fte_cost"] + result.cost_terms_cents["gig_cost"]
    )


def test_two_days_with_time_off_matches_highs():
    off = TimeOff(start="2026-12-01T00:00:00+01:00", end="2026-12-02T00:00:00+01:00")
    workers = [Worker(worker_id="a", contract="ft", time_off=(off,)), Worker(worker_id="b", contract="ft")]
    problem = make_problem(days=2, workers=workers, gig_pool=POOL)
    result = _solve_checked(problem)
    assert not [s for s in result.shifts if s.worker_id == "a" and s.start.day == 1]
    assert result.solver.objective_cents == pytest.approx(
        highs_optimal_cost(prepare(problem, DETERMINISTIC), REST)
    )


def test_coverage_rows_meet_requirement_when_staff_suffice():
    problem = make_problem(n_workers=6, volume=lambda ts: 10.0 if 10 <= ts.hour < 15 else 0.0)
    result = _solve_checked(problem)
    assert all(r.scheduled >= r.required for r in result.coverage)
    assert result.kpis.understaffed_intervals == 0
    assert result.kpis.service_level >= 0.8


def test_understaffing_is_penalised_and_reported_not_hidden():
    problem = make_problem(n_workers=1, volume=lambda ts: 60.0 if 9 <= ts.hour < 17 else 0.0)
    result = _solve_checked(problem)
    assert result.kpis.understaffed_intervals > 0
    assert result.cost_terms_cents["shortfall_penalty"] > 0
    assert result.kpis.shortfall_agent_hours == sum(max(0, r.required - r.scheduled) for r in result.coverage)


def test_dst_day_plans_on_46_intervals():
    problem = make_problem(start_date=dt.date(2026, 3, 29), interval_min=30, n_workers=2)
    result = _solve_checked(problem)
    assert len(result.coverage) == 46


def test_same_seed_same_plan():
    problem = make_problem(days=2, n_workers=3, gig_pool=POOL)
    a = plan(problem, DETERMINISTIC)
    b = plan(problem, DETERMINISTIC)
    assert a.shifts == b.shifts
    assert a.inputs_digest == b.inputs_digest


def test_stop_event_keeps_best_plan_found():
    import threading

    stop = threading.Event()
    stop.set()
    problem = make_problem(days=2, n_workers=3, gig_pool=POOL)
    params = SolveParams(time_limit_s=30, num_workers=1)
    result = plan(problem, params, stop_event=stop)
    assert result.solver.status in ("FEASIBLE", "OPTIMAL", "UNKNOWN")
    if result.solver.status == "UNKNOWN":
        assert result.shifts == ()
        return
    # what was found is a whole, valid plan, no better than the optimum of an unstopped solve
    assert check_plan(problem, result) == []
    assert result.solver.objective_cents >= result.solver.best_bound_cents
    full = plan(problem, DETERMINISTIC)
    assert full.solver.status == "OPTIMAL"
    assert result.solver.objective_cents >= full.solver.objective_cents


def test_built_model_names_its_constraints():
    problem = make_problem(n_workers=2, gig_pool=POOL)
    inp = prepare(problem, DETERMINISTIC)
    built = build_model(inp)
    names = {c.name.split("[")[0] for c in built.cp_model.proto.constraints}
    assert {"coverage", "fte_hours", "fte_days", "breaks", "gig_cap", "symmetry"} <= names
    outcome = solve(built, DETERMINISTIC)
    assert outcome.status == "OPTIMAL"


# ---- properties --------------------------------------------------------------------------------------------

instances = st.fixed_dictionaries(
    {
        "n_workers": st.integers(0, 3),
        "peak": st.floats(0.0, 40.0),
        "open_from": st.integers(7, 11),
        "open_hours": st.integers(2, 9),
        "max_concurrent": st.integers(0, 3),
        "min_hours": st.sampled_from([0, 7]),
    }
)


def _problem(spec, *, peak_scale=1.0, gig_extra=0):
    lo, hi = spec["open_from"], spec["open_from"] + spec["open_hours"]
    contract = make_contract(min_hours_per_week=spec["min_hours"], max_days_per_week=1)
    pool = POOL.model_copy(update={"max_concurrent": spec["max_concurrent"] + gig_extra})
    return make_problem(
        n_workers=spec["n_workers"],
        contracts=[contract],
        gig_pool=pool,
        volume=lambda ts: spec["peak"] * peak_scale if lo <= ts.hour < hi else 0.0,
    )


@given(instances)
def test_property_plans_are_valid_optimal_and_match_highs(spec):
    problem = _problem(spec)
    result = _solve_checked(problem)
    optimum = highs_optimal_cost(prepare(problem, DETERMINISTIC), REST)
    assert result.solver.objective_cents == pytest.approx(optimum)
    _crews_bracket_the_optimum(problem, optimum)


@given(instances)
def test_property_more_demand_never_lowers_cost(spec):
    base = _solve_checked(_problem(spec))
    more = _solve_checked(_problem(spec, peak_scale=1.5))
    assert more.solver.objective_cents >= base.solver.objective_cents


@given(instances)
def test_property_more_gig_capacity_never_raises_cost(spec):
    base = _solve_checked(_problem(spec))
    bigger = _solve_checked(_problem(spec, gig_extra=2))
    assert bigger.solver.objective_cents <= base.solver.objective_cents


def test_coverage_rows_carry_the_prepared_requirement():
    problem = make_problem(n_workers=2)
    inp = prepare(problem, DETERMINISTIC)
    result = _solve_checked(problem)
    assert [r.required for r in result.coverage] == [int(r) for r in inp.required]
    assert int(np.max(inp.required)) > 0


def test_large_crews_are_halved_then_assigned_without_losing_a_shift(monkeypatch):
    monkeypatch.setattr(importlib.import_module("optimizer.model.assign"), "LEAF_SIZE", 2)
    contract = make_contract(min_hours_per_week=14, max_days_per_week=2, break_rule=None)
    problem = make_problem(
        days=3, n_workers=7, contracts=[contract], gig_pool=POOL, volume=lambda ts: 25.0 if 8 <= ts.hour < 20 else 0.0
    )
    optimum = _solve_checked(problem).solver.objective_cents
    result = _crews_bracket_the_optimum(problem, optimum)
    per_worker = {}
    for s in result.shifts:
        if s.kind == "fte":
            per_worker[s.worker_id] = per_worker.get(s.worker_id, 0) + 1
    assert set(per_worker) == {f"w{i:02d}" for i in range(7)}
    assert all(1 <= n <= 2 for n in per_worker.values())  # 14 h a week prorated to 3 days: 6 h, one 8-h shift


def _start_spreads(result):
    """Return each FTE's spread of local start times over the horizon [h]."""
    clocks: dict[str, list[int]] = {}
    for s in result.shifts:
        if s.kind == "fte":
            local = s.start.astimezone(dt.timezone(dt.timedelta(hours=1)))
            clocks.setdefault(s.worker_id, []).append(local.hour * 60 + local.minute)
    return {w: (max(c) - min(c)) / 60 for w, c in clocks.items()}


def _two_peaks():
    """Eight identical people, five days, an early and a late peak: the crew plan starts half early, half late.

    Starts at 07:00 and 11:00 leave 16 h of rest either way, so nothing but the evening-out keeps them apart.
    """
    contract = make_contract(
        min_hours_per_week=40, min_days_per_week=5, earliest_start=dt.time(7), latest_start=dt.time(11), break_rule=None
    )
    return make_problem(
        days=5,
        n_workers=8,
        contracts=[contract],
        volume=lambda ts: 30.0 if 7 <= ts.hour < 11 or 15 <= ts.hour < 19 else 8.0,
    )


def test_identical_people_keep_steady_start_times_at_no_cost(monkeypatch):
    assign_module = importlib.import_module("optimizer.model.assign")
    problem = _two_peaks()
    steady = plan(problem, CREWS)
    assert check_plan(problem, steady) == []
    monkeypatch.setattr(assign_module, "SPREAD_TIME_SHARE", 0.0)
    as_counted = plan(problem, CREWS)
    assert steady.solver.objective_cents == as_counted.solver.objective_cents
    spread, before = _start_spreads(steady), _start_spreads(as_counted)
    # The crew plan's early/late counts differ by day, so some people must switch; most keep one start time.
    assert sum(spread.values()) <= sum(before.values()) / 2
    assert sum(1 for h in spread.values() if h == 0) >= len(spread) // 2


def test_crew_plans_repeat_exactly_with_two_workers(monkeypatch):
    """Splits and start-time evening use one worker and deterministic time, so rosters repeat run to run."""
    monkeypatch.setattr(importlib.import_module("optimizer.model.assign"), "LEAF_SIZE", 4)
    params = CREWS.model_copy(update={"num_workers": 2})
    runs = [plan(_two_peaks(), params).shifts for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]


def _first_solution(problem, params):
    """Return the objective and decisions of a solve's first reported solution, stopping it there."""
    first = []
    stop = threading.Event()

    def keep_first(progress):
        if not first:
            first.append((progress.objective_cents, progress.read_decisions()))
        stop.set()

    plan(problem, params, on_progress=keep_first, stop_event=stop)
    assert first, "the solve reported no solution"
    return first[0]


@pytest.mark.parametrize("params", [PER_PERSON, CREWS], ids=["per_person", "crews"])
def test_a_start_from_an_earlier_solve_is_where_the_search_resumes(params):
    problem = make_problem(days=2, n_workers=3, gig_pool=POOL)
    objective, decisions = _first_solution(problem, params)
    assert decisions
    assert all(value > 0 for value in decisions.values())  # non-zero decisions only
    seen = []
    resumed = plan(problem, params, start=decisions, on_progress=lambda p: seen.append(p.objective_cents))
    assert seen[0] == objective  # the first solution of the re-run is the start, completed
    assert seen == sorted(seen, reverse=True)
    assert resumed.solver.status == "OPTIMAL"
    assert resumed.solver.objective_cents <= objective
    assert check_plan(problem, resumed) == []
    assert resumed.solver.objective_cents == plan(problem, params).solver.objective_cents


def test_a_start_from_another_model_is_ignored_with_a_warning(caplog):
    problem = make_problem(days=2, n_workers=3, gig_pool=POOL)
    with caplog.at_level("WARNING", logger="optimizer.model"):
        result = plan(problem, PER_PERSON, start={"fte[nobody,0]": 1})
    assert "does not have" in caplog.text
    assert result.solver.objective_cents == plan(problem, PER_PERSON).solver.objective_cents
