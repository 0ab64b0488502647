"""Staffing to a confidence level: p_meet, the requirement at the count quantile, and the plan's risk view."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer.domain import ServiceTarget
from optimizer.export import COVERAGE_COLUMNS, coverage_frame
from optimizer.requirement import staff_for_target
from optimizer.risk import at_risk_frame, expected_share_below, meet_probability, risk_threshold, share_requirement
from optimizer.simulation import SimulationOptions, simulate_floor
from optimizer.staffing import staffing_requirements

ZONE = "Europe/Stockholm"


def day() -> pd.DataFrame:
    index = pd.date_range("2026-11-30", periods=48, freq="30min", tz=ZONE, name="interval_start")
    hour = index.hour + index.minute / 60
    volume = np.where((hour >= 7) & (hour < 21), 20 + 80 * np.sin(np.pi * (hour - 7) / 14), 0.0)
    return pd.DataFrame({"volume": volume, "aht_s": 300.0}, index=index)


def test_without_confidence_the_requirement_is_unchanged():
    plain = ServiceTarget(shrinkage=0.25)
    same = ServiceTarget(shrinkage=0.25, confidence=None, volume_cv=0.5)
    pd.testing.assert_frame_equal(
        staffing_requirements(day(), plain, interval_min=30), staffing_requirements(day(), same, interval_min=30)
    )


@pytest.mark.parametrize("patience_s", [None, 180.0])
def test_confidence_staffs_the_fewest_agents_whose_p_meet_reaches_it(patience_s):
    frame = day()
    base = ServiceTarget(shrinkage=0.0, max_occupancy=1.0, patience_s=patience_s)
    sure = base.model_copy(update={"confidence": 0.9, "confidence_scope": "interval"})
    need = staffing_requirements(frame, base, interval_min=30)["agents"].to_numpy()
    more = staffing_requirements(frame, sure, interval_min=30)["agents"].to_numpy()
    assert (more >= need).all()
    assert more.sum() > need.sum()
    p = meet_probability(frame, more, sure, interval_min=30, level=0.8)
    assert (p >= 0.9).all()
    busy = frame["volume"].to_numpy() > 0
    raised = busy & (more > need)
    fewer = meet_probability(frame, more - 1, sure, interval_min=30, level=0.8)
    assert (fewer[raised] < 0.9).all()  # one agent fewer misses the confidence: the fewest
    assert (p[~busy] == 1.0).all()


def test_share_scope_meets_the_mean_with_fewer_people_than_every_interval():
    frame = day()
    base = ServiceTarget(shrinkage=0.25, max_occupancy=1.0)
    share = base.model_copy(update={"confidence": 0.9})
    each = share.model_copy(update={"confidence_scope": "interval"})
    mean_need = staff_for_target(frame, base, interval_min=30)["required"].to_numpy()
    spread = staff_for_target(frame, share, interval_min=30)
    people = spread["required"].to_numpy()
    strict = staff_for_target(frame, each, interval_min=30)["required"].to_numpy()
    busy = frame["volume"].to_numpy() > 0
    p = meet_probability(frame, people, share, interval_min=30, level=0.8)
    assert p[busy].mean() >= 0.9
    assert (people >= mean_need).all()
    assert people.sum() < strict.sum()
    assert (p[busy] < 0.9).any()  # some intervals keep their risk: that is where the saving comes from
    assert (spread["agents"].to_numpy() >= np.floor(people * 0.75)).all()
    with pytest.raises(ValueError, match="staff_for_target"):
        staffing_requirements(frame, share, interval_min=30)


def test_share_allocation_is_as_cheap_as_the_best_allocation_found_by_enumeration():
    index = pd.date_range("2026-11-30 09:00", periods=3, freq="30min", tz=ZONE, name="interval_start")
    frame = pd.DataFrame({"volume": [6.0, 30.0, 90.0], "aht_s": 300.0}, index=index)
    target = ServiceTarget(shrinkage=0.0, max_occupancy=1.0, confidence=0.93, volume_cv=0.2)
    base = staff_for_target(frame, target.model_copy(update={"confidence": None}), interval_min=30)
    base_people = base["required"].to_numpy()
    tables = [
        meet_probability(frame, base_people + k, target, interval_min=30, level=0.8) for k in range(12)
    ]  # tables[k][t]: p_meet with k more people everywhere
    best = min(
        sum(ks)
        for ks in np.ndindex(12, 12, 12)
        if np.mean([tables[k][t] for t, k in enumerate(ks)]) >= 0.93
    )
    got = share_requirement(frame, base_people, target, interval_min=30, level=0.8)
    p = meet_probability(frame, got, target, interval_min=30, level=0.8)
    assert p.mean() >= 0.93
    assert int((got - base_people).sum()) <= best + 1  # whole segments of the concave envelope: at most one over


def test_quantile_columns_widen_the_law_and_raise_the_requirement():
    frame = day()
    target = ServiceTarget(shrinkage=0.0, confidence=0.9, confidence_scope="interval", volume_cv=0.0)
    narrow = staffing_requirements(frame, target, interval_min=30)["agents"]
    wide = frame.assign(volume_p90=frame["volume"] * 1.4)
    assert (staffing_requirements(wide, target, interval_min=30)["agents"] >= narrow).all()
    assert staffing_requirements(wide, target, interval_min=30)["agents"].sum() > narrow.sum()


@pytest.mark.parametrize("scope", ["interval", "share"])
def test_the_simulator_finds_about_the_share_below_target_the_model_promises(scope):
    frame = day()
    target = ServiceTarget(shrinkage=0.0, max_occupancy=1.0, confidence=0.9, confidence_scope=scope)
    agents = staff_for_target(frame, target, interval_min=30)["required"].to_numpy()
    sim = simulate_floor(frame, agents, target, SimulationOptions(reps=100, seed=5), interval_min=30)
    assert sim.share_below_target() <= 0.12
    plain = ServiceTarget(shrinkage=0.0, max_occupancy=1.0)
    base = staffing_requirements(frame, plain, interval_min=30)["required"].to_numpy()
    worse = simulate_floor(frame, base, plain, SimulationOptions(reps=100, seed=5), interval_min=30)
    assert worse.share_below_target() > 2 * sim.share_below_target()


def test_plans_carry_p_meet_in_coverage_and_list_intervals_at_risk():
    from optimizer import plan as solve
    from tests.conftest import DETERMINISTIC, make_problem

    problem = make_problem(n_workers=4)
    result = solve(problem, DETERMINISTIC)
    assert result.solver.status == "OPTIMAL"
    assert all(r.p_meet is not None and 0.0 <= r.p_meet <= 1.0 for r in result.coverage)
    frame = coverage_frame(result)
    assert tuple(frame.columns) == COVERAGE_COLUMNS
    assert COVERAGE_COLUMNS[-1] == "p_meet"
    risky = at_risk_frame(result, 1.0)
    loaded = [r for r in result.coverage if r.volume > 0]
    assert len(risky) == sum(1 for r in loaded if r.p_meet < 1.0)
    assert list(risky["p_meet"]) == sorted(risky["p_meet"])
    share = expected_share_below(result)
    assert share == pytest.approx(1.0 - np.mean([r.p_meet for r in loaded]))
    assert risk_threshold(problem.service_target) == 0.7
    assert risk_threshold(ServiceTarget(confidence=0.9)) == 0.9


def test_confidence_out_of_range_names_the_field():
    with pytest.raises(ValueError, match="confidence"):
        ServiceTarget(confidence=1.0)
    with pytest.raises(ValueError, match="volume_cv"):
        ServiceTarget(volume_cv=-0.1)


def _share_problem():
    from optimizer.domain import GigPool
    from tests.conftest import make_contract, make_problem

    wave = {9: 10, 10: 18, 11: 22, 12: 14, 13: 12, 14: 20, 15: 16, 16: 8}
    target = ServiceTarget(service_level=0.8, answer_within_s=20, shrinkage=0.25, confidence=0.9, volume_cv=0.15)
    return make_problem(
        interval_min=30,
        volume=lambda ts: float(wave.get(ts.hour, 0)),
        n_workers=8,
        gig_pool=GigPool(cost_per_hour_cents=3000, max_concurrent=6, max_shifts_per_day=8),
        target=target,
        contracts=(make_contract(shift_lengths_min=(480,)),),
    )


def test_a_share_plan_counts_the_people_its_shifts_place_and_costs_no_more_than_the_greedy_requirement():
    import dataclasses
    import time

    from optimizer import check_plan, interval_staffing, plan, staff_needed
    from optimizer.demand import demand_frame
    from optimizer.model import build_model, prepare
    from optimizer.model.guided import solve_guided
    from tests.conftest import DETERMINISTIC

    problem = _share_problem()
    params = DETERMINISTIC.model_copy(update={"time_limit_s": 8.0})
    demand = demand_frame(problem.grid_rows(), timezone=problem.timezone)
    floor = staff_needed(demand, problem.service_target, problem.automation, interval_min=30)["required"]
    greedy = interval_staffing(demand, problem.service_target, problem.automation, interval_min=30)["required"]
    assert (greedy >= floor).all()
    assert greedy.sum() > floor.sum()
    result = plan(problem, params)
    assert result.solver.objective_cents is not None
    busy = [r for r in result.coverage if r.volume > 0]
    # the plan's floor is the forecast-mean requirement; the share is met over the plan's own head counts
    assert [r.required for r in result.coverage] == floor.tolist()
    assert np.mean([r.p_meet for r in busy]) >= 0.9
    assert result.cost_terms_cents["missed_service_penalty"] == 0
    assert check_plan(problem, result) == []
    # the same share staffed interval by interval (no shifts counted) is no cheaper
    inp = prepare(problem, params)
    per_interval = build_model(dataclasses.replace(inp, required=greedy.to_numpy(), service=None))
    alone = solve_guided(per_interval, params, deadline=time.monotonic() + 8.0).outcome
    assert alone.objective_cents is not None
    assert result.solver.objective_cents <= alone.objective_cents


def test_a_share_plan_meets_its_confidence_on_each_intervals_own_volume_cv():
    """Demand rows that carry their own rate CV (a forecast plan's, by size): the goal is priced on the same
    p_meet the plan reports, so the plan's mean p_meet reaches the confidence (it read the target's CV once,
    and reported 0.895 on the bundled week at 0.9)."""
    from optimizer import check_plan, plan
    from tests.conftest import DETERMINISTIC

    problem = _share_problem()
    rows = tuple(r.model_copy(update={"volume_cv": 0.35 if r.volume < 40 else 0.25}) for r in problem.demand)
    problem = problem.model_copy(update={"demand": rows})
    result = plan(problem, DETERMINISTIC.model_copy(update={"time_limit_s": 8.0}))
    busy = [r for r in result.coverage if r.volume > 0]
    assert np.mean([r.p_meet for r in busy]) >= 0.9
    assert result.cost_terms_cents["missed_service_penalty"] == 0
    assert check_plan(problem, result) == []


def test_check_plan_prices_a_missed_share_on_the_rows_own_volume_cv():
    """A share the workforce cannot reach leaves missed service in the plan's terms, priced on each demand row's
    own rate CV; check_plan recounts the same goal (it read the target's CV, and on the bundled week with
    ``handle_cv: 1.3`` at 0.9 reported the plan's 115.00 of missed service as an objective mismatch)."""
    from optimizer import check_plan, plan
    from optimizer.domain import GigPool
    from tests.conftest import DETERMINISTIC

    problem = _share_problem()
    rows = tuple(r.model_copy(update={"volume_cv": 0.35 if r.volume < 40 else 0.25}) for r in problem.demand)
    few = problem.workforce.model_copy(
        update={"gig_pool": GigPool(cost_per_hour_cents=3000, max_concurrent=1, max_shifts_per_day=2)}
    )
    problem = problem.model_copy(update={"demand": rows, "workforce": few})
    result = plan(problem, DETERMINISTIC.model_copy(update={"time_limit_s": 8.0}))
    assert result.cost_terms_cents["missed_service_penalty"] > 0
    assert check_plan(problem, result) == []


def test_a_goal_counter_the_solver_left_below_its_piece_is_recounted_not_reported(monkeypatch):
    """A search stopped by its limit can leave a goal counter below what the plan's people answer (seen on the
    bundled week at a 0.9 share): the plan's objective is then its cost with the counters at their pieces,
    said in the message, and check_plan finds nothing."""
    import dataclasses
    import importlib

    from optimizer import check_plan, plan
    from tests.conftest import DETERMINISTIC

    model = importlib.import_module("optimizer.model")
    assemble = model.assemble_plan

    def left_slack(problem, params, inp, shifts, outcome, **kwargs):
        worse = dataclasses.replace(outcome, objective_cents=outcome.objective_cents + 12_345)
        return assemble(problem, params, inp, shifts, worse, **kwargs)

    monkeypatch.setattr(model, "assemble_plan", left_slack)
    problem = _share_problem()
    params = DETERMINISTIC.model_copy(update={"time_limit_s": 8.0})
    result = plan(problem, params)
    assert result.solver.objective_cents == sum(result.cost_terms_cents.values())
    assert "objective recounted on the goal's pieces" in (result.solver.message or "")
    assert "123.45 of missed service" in result.solver.message
    assert check_plan(problem, result) == []


def test_top_up_adds_the_units_a_plan_is_short_where_a_person_buys_most():
    from optimizer.model import prepare
    from optimizer.model.horizon import answered_units, top_up
    from tests.conftest import DETERMINISTIC

    inp = prepare(_share_problem(), DETERMINISTIC)
    goal = inp.service
    floor = [int(x) for x in inp.required]
    short = goal.goal - answered_units(inp, floor)
    assert short > 0
    raised = top_up(inp, floor, short)
    assert (raised >= np.array(floor)).all()
    assert answered_units(inp, list(raised)) >= goal.goal
    # it stops once the goal is reached: it overshoots by less than one look-ahead step's gain
    assert answered_units(inp, list(raised)) - goal.goal < max(
        p.values[min(len(p.values) - 1, 3)] - p.values[0] for p in goal.pieces
    )


@pytest.mark.parametrize("patience_s", [None, 120.0])
def test_a_plan_expects_the_level_a_replay_finds_under_forecast_error(patience_s):
    from optimizer import plan
    from optimizer.simulation import simulate_plan
    from tests.conftest import DETERMINISTIC

    problem = _share_problem()
    target = problem.service_target.model_copy(update={"confidence": None, "patience_s": patience_s})
    problem = problem.model_copy(update={"service_target": target})
    result = plan(problem, DETERMINISTIC.model_copy(update={"time_limit_s": 5.0}))
    expected = result.kpis.expected_service_level
    replayed = simulate_plan(problem, result, SimulationOptions(reps=400, seed=2)).service_level
    # the level at the forecast volumes overstates a replay (forecast error lowers service on average);
    # the expected level is closer, within the 1.5 points a planner is promised
    assert result.kpis.service_level > replayed
    assert abs(expected - replayed) < abs(result.kpis.service_level - replayed)
    assert expected == pytest.approx(replayed, abs=0.015)
