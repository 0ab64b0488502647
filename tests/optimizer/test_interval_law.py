"""p_meet by simulating each interval on its own: against the plan simulator, monotone, and what it corrects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer.arrival_law import count_cdf, volume_sigma
from optimizer.domain import ServiceTarget
from optimizer.interval_law import meet_at, meet_table
from optimizer.queueing import agents_for_target, offered_load
from optimizer.simulation import SimulationOptions, simulate_floor
from optimizer.staffing import wait_within_s

ZONE = "Europe/Stockholm"


def steady(volume: float, periods: int = 16, aht_s: float = 300.0) -> pd.DataFrame:
    index = pd.date_range("2026-11-30 08:00", periods=periods, freq="30min", tz=ZONE, name="interval_start")
    return pd.DataFrame({"volume": volume, "aht_s": aht_s}, index=index)


@pytest.mark.parametrize(
    ("volume", "agents", "update"),
    [
        (60.0, 12, {}),  # Erlang C, staffed near the mean requirement
        (60.0, 14, {}),
        (60.0, 12, {"patience_s": 180.0}),  # Erlang A
        (120.0, 15, {"concurrency": 2}),  # chat: two contacts at once
        (60.0, 14, {"handle_cv": 1.3}),  # lognormal handle times
    ],
)
def test_p_meet_agrees_with_the_plan_simulator_on_a_steady_day(volume, agents, update):
    """A day of equal intervals and an equal floor: the plan simulator's share of replications meeting the
    level, averaged over the intervals after the first, is the interval law's p_meet within 0.05 (both
    simulate, 400 and 1,000 replications; the simulator's intervals inherit the queue of the one before, the law
    warms each up alone)."""
    frame = steady(volume, periods=6)
    target = ServiceTarget(shrinkage=0.0, max_occupancy=1.0, volume_cv=0.1, horizon_volume_cv=0.0, **update)
    floor = np.full(len(frame), agents)
    law = meet_at(frame, floor, target, interval_min=30, level=0.8, erlang_within_s=wait_within_s(target))
    sim = simulate_floor(frame, floor, target, SimulationOptions(reps=1000, seed=3), interval_min=30)
    simulated = sim.intervals["p_meet"].to_numpy()[1:].mean()
    assert 0.05 < law.mean() < 0.995  # a case that can fail either way
    assert law.std() < 0.04  # equal intervals, independent draws
    assert law[1:].mean() == pytest.approx(simulated, abs=0.05)


def test_staffed_at_the_mean_an_interval_meets_more_often_than_its_count_alone_says():
    """Erlang's level is a mean over bursts: most half-hours do better than it and a few much worse, so an
    interval staffed to the mean meets well over half the time; the count law (meet when at most the
    contacts the agents answer at the mean level arrive) says about one half."""
    frame = steady(60.0, periods=1)
    target = ServiceTarget(shrinkage=0.0, max_occupancy=1.0, volume_cv=0.1)
    need = int(agents_for_target(offered_load(60.0, 300.0, 30), 300.0, service_level=0.8, within_s=20.0))
    law = meet_at(frame, np.array([need]), target, interval_min=30, level=0.8, erlang_within_s=20.0)[0]
    # the count law at the same agents: the most contacts they answer at 80% in 20 s
    most = max(
        n
        for n in range(200)
        if agents_for_target(offered_load(n, 300.0, 30), 300.0, service_level=0.8, within_s=20.0) <= need
    )
    counted = count_cdf(np.array([most]), np.array([60.0]), volume_sigma(frame, 0.1))[0]
    assert counted < 0.7
    assert law > counted + 0.08


def test_p_meet_is_deterministic_non_decreasing_and_spans_0_to_1():
    frame = steady(40.0, periods=4).assign(volume=[0.0, 5.0, 40.0, 140.0])
    target = ServiceTarget(shrinkage=0.0, volume_cv=0.15, patience_s=240.0)
    table = meet_table(frame, target, interval_min=30, level=0.8, erlang_within_s=20.0)
    again = meet_table(frame.copy(), target.model_copy(), interval_min=30, level=0.8, erlang_within_s=20.0)
    curve = np.stack([table.at(np.full(4, n)) for n in range(80)], axis=1)
    assert (curve[0] == 1.0).all()  # no contacts: met
    assert (np.diff(curve, axis=1) >= 0).all()
    assert (curve[1:, -1] == 1.0).all()
    assert (curve[2:, 0] == 0.0).all()
    assert np.array_equal(curve, np.stack([again.at(np.full(4, n)) for n in range(80)], axis=1))
    fewest = table.fewest(0.9)
    assert (table.at(fewest)[1:] >= 0.9).all()
    assert (table.at(fewest - 1)[1:] < 0.9).all()
    # without patience one count at a time is simulated on its own, and reads the table's values
    plain = target.model_copy(update={"patience_s": None})
    counts = np.array([0, 3, 11, 30])
    alone = meet_at(frame, counts, plain, interval_min=30, level=0.8, erlang_within_s=20.0)
    assert np.array_equal(alone, meet_table(frame, plain, interval_min=30, level=0.8, erlang_within_s=20.0).at(counts))


@pytest.mark.parametrize("confidence", [None, 0.9])
def test_on_the_bundled_week_the_modelled_share_below_target_is_the_simulated_one(confidence):
    """The bundled example's forecast week staffed to its requirement (without and with a 0.9 share): the mean
    of ``1 - p_meet`` over intervals with contacts is the plan simulator's share below target within 2 points
    (its rate error, Poisson arrivals and queues carried over the boundaries; 200 weeks)."""
    from optimizer.requirement import people_demand, staff_for_target
    from optimizer.risk import meet_probability
    from scenarios.pipeline import forecast_problem
    from scenarios.spec import load_example

    config, base_dir = load_example()
    problem, _ = forecast_problem(config, base_dir)
    target = problem.service_target.model_copy(update={"confidence": confidence})
    frame = people_demand(problem)
    people = staff_for_target(frame, target, interval_min=problem.interval_min)["required"].to_numpy()
    p = meet_probability(frame, people, target, interval_min=problem.interval_min, level=target.service_level)
    busy = frame["volume"].to_numpy() > 0
    sim = simulate_floor(frame, people, target, SimulationOptions(reps=200, seed=1), interval_min=problem.interval_min)
    assert 1.0 - p[busy].mean() == pytest.approx(sim.share_below_target(), abs=0.02)


def test_past_its_contact_budget_a_frame_takes_the_count_law_lower_around_the_staffing_point(monkeypatch):
    """A large site's frame (more than SIMULATED_CONTACTS) is not simulated: p_meet is then P(N <= N*(n)), the
    most contacts the agents answer at Erlang's mean level, one count or the whole table alike, and it sits
    under the simulated law around the staffing point."""
    import importlib

    law = importlib.import_module("optimizer.interval_law")
    frame = steady(150.0, periods=2)
    target = ServiceTarget(shrinkage=0.0, volume_cv=0.1)
    agents = np.array([28, 31])
    simulated = meet_at(frame, agents, target, interval_min=30, level=0.8, erlang_within_s=20.0)
    monkeypatch.setattr(law, "SIMULATED_CONTACTS", 100)
    law._cached.cache_clear()  # tables are cached by their inputs, not by the budget
    counted = meet_at(frame, agents, target, interval_min=30, level=0.8, erlang_within_s=20.0)
    most = [
        max(
            n
            for n in range(400)
            if agents_for_target(offered_load(n, 300.0, 30), 300.0, service_level=0.8, within_s=20.0) <= a
        )
        for a in agents
    ]
    expected = count_cdf(np.array(most), np.full(2, 150.0), volume_sigma(frame, 0.1))
    np.testing.assert_allclose(counted, expected, atol=1e-12)
    assert (counted < simulated - 0.03).all()
    table = meet_table(frame, target, interval_min=30, level=0.8, erlang_within_s=20.0)
    np.testing.assert_array_equal(table.at(agents), counted)


@pytest.mark.parametrize("update", [{}, {"patience_s": 180.0}, {"handle_cv": 0.99}, {"handle_cv": 1.3}])
def test_the_expected_level_is_what_the_plan_simulator_finds_on_a_steady_day(update):
    """The same replications, pooled over contacts: the level a replay under forecast error is expected to
    find, within a point of the plan simulator's over the intervals after its first (which starts on an empty
    floor; 1,000 replications), and below the level at the forecast. Spread handle times warm up longer
    (``warm_up_intervals``): with one interval at ``handle_cv: 1.3`` the law said 1.2 points more here."""
    from optimizer.interval_law import expected_level
    from optimizer.staffing import service_at

    frame = steady(60.0, periods=6)
    target = ServiceTarget(shrinkage=0.0, volume_cv=0.15, horizon_volume_cv=0.0, **update)
    floor = np.full(len(frame), 14)  # at 12 the simulated day builds a backlog interval after interval
    expected = expected_level(frame, floor, target, interval_min=30)
    sim = simulate_floor(frame, floor, target, SimulationOptions(reps=1000, seed=4), interval_min=30)
    at_forecast = float(service_at(frame, floor, target, interval_min=30)["service_level"].mean())
    rows = sim.intervals.iloc[1:]
    settled = float((rows["service_level"] * rows["contacts"]).sum() / rows["contacts"].sum())
    assert expected == pytest.approx(settled, abs=0.01)
    assert expected < at_forecast


def test_the_warm_up_grows_with_the_handle_time_spread_as_the_mean_wait_does():
    from optimizer.interval_law import WARM_UP, warm_up_intervals

    assert [warm_up_intervals(cv) for cv in (0.5, 0.99, 1.0, 1.3, 2.0)] == [2, 2, 1, 3, 4]
    assert WARM_UP == 1


def test_past_its_contact_budget_the_expected_level_is_left_to_the_analytic_law(monkeypatch):
    import importlib

    law = importlib.import_module("optimizer.interval_law")
    monkeypatch.setattr(law, "SIMULATED_CONTACTS", 100)
    frame = steady(60.0, periods=6)
    assert law.expected_level(frame, np.full(6, 12), ServiceTarget(shrinkage=0.0), interval_min=30) is None


def test_a_recount_draws_only_the_intervals_whose_people_moved_and_finds_the_same_values():
    """``meet_at`` caches each interval's value by its inputs and index: a floor that moves two intervals'
    people recomputes those two, and every value is the one a cold computation gives."""
    import optimizer.interval_law as law

    frame = steady(40.0, periods=8)
    target = ServiceTarget(service_level=0.8, answer_within_s=20.0)
    kw = {"interval_min": 30, "level": 0.8, "erlang_within_s": wait_within_s(target)}
    floor = np.full(8, 8)
    moved = floor.copy()
    moved[[2, 5]] = [7, 9]
    law._per_rep.cache_clear()
    first = meet_at(frame, floor, target, **kw)
    misses = law._per_rep.cache_info().misses
    again = meet_at(frame, moved, target, **kw)
    assert law._per_rep.cache_info().misses == misses + 2
    law._per_rep.cache_clear()
    np.testing.assert_array_equal(meet_at(frame, moved, target, **kw), again)
    np.testing.assert_array_equal(np.delete(again, [2, 5]), np.delete(first, [2, 5]))
    assert again[2] < first[2] < again[5]
