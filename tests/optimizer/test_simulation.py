"""The floor simulator: exact Erlang C/A in the stationary case, floor changes at boundaries, replay, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer import queueing as q
from optimizer.arrival_law import count_cdf, count_quantile, volume_sigma
from optimizer.domain import ServiceTarget
from optimizer.errors import DataError, InputError
from optimizer.simulation import (
    SimulationOptions,
    draw_handle_factors,
    read_contacts,
    simulate_floor,
    simulate_plan,
    validate_contacts,
)
from optimizer.simulation.engine import run_floor

ZONE = "Europe/Stockholm"
POISSON = SimulationOptions(reps=60, seed=11, volumes="poisson")


def demand(volume, aht_s=300.0, periods=None, **extra) -> pd.DataFrame:
    volume = np.broadcast_to(np.asarray(volume, dtype=float), (periods,) if periods else np.shape(volume))
    index = pd.date_range("2026-11-30", periods=len(volume), freq="30min", tz=ZONE, name="interval_start")
    return pd.DataFrame({"volume": volume, "aht_s": aht_s} | extra, index=index)


@pytest.mark.parametrize(
    ("patience_s", "agents", "concurrency"),
    [(None, 20, 1), (180.0, 18, 1), (None, 12, 2)],
)
def test_stationary_floor_matches_exact_erlang_within_a_point(patience_s, agents, concurrency):
    target = ServiceTarget(shrinkage=0.0, patience_s=patience_s, concurrency=concurrency)
    result = simulate_floor(demand(100.0, periods=96), np.full(96, agents), target, POISSON, interval_min=30)
    exact = q.queue_measures(agents, 100 * 300 / 1800, 300.0, 20.0, patience_s=patience_s, concurrency=concurrency)
    assert result.service_level == pytest.approx(float(exact.service_level), abs=0.01)
    steady = result.intervals.iloc[4:]  # the floor starts empty
    assert steady["abandon_rate"].mean() == pytest.approx(float(exact.p_abandon), abs=0.01)
    assert steady["asa_s"].mean() == pytest.approx(float(exact.asa_s), rel=0.1)
    assert (steady["service_level_p10"] <= steady["service_level"]).all()
    assert (steady["service_level"] <= steady["service_level_p90"] + 1e-9).all()
    assert result.service_level_low < result.service_level < result.service_level_high


def test_same_seed_same_result_and_forecast_uncertainty_widens_the_band():
    frame, staff, target = demand(100.0, periods=24), np.full(24, 20), ServiceTarget(shrinkage=0.0)
    a = simulate_floor(frame, staff, target, POISSON, interval_min=30)
    b = simulate_floor(frame, staff, target, POISSON, interval_min=30)
    pd.testing.assert_frame_equal(a.intervals, b.intervals)
    wide = SimulationOptions(reps=60, seed=11, volumes="forecast", volume_cv=0.3)
    c = simulate_floor(frame, staff, target, wide, interval_min=30)
    band = lambda r: (r.intervals["service_level_p90"] - r.intervals["service_level_p10"]).mean()  # noqa: E731
    assert band(c) > band(a)
    assert c.service_level_high - c.service_level_low > a.service_level_high - a.service_level_low


def test_shrinkage_counts_agents_as_the_plan_does_and_marks_intervals_at_risk():
    target = ServiceTarget(shrinkage=0.3, service_level=0.8, answer_within_s=20)
    result = simulate_floor(demand([100.0, 100.0, 0.0]), np.array([30, 20, 0]), target, POISSON, interval_min=30)
    assert list(result.intervals["agents"]) == [21, 14, 0]
    assert list(result.intervals["at_risk"]) == [False, True, False]
    assert result.intervals["p_meet"].iloc[2] == 1.0
    assert result.at_risk().index[0] == result.intervals.index[1]


def test_leaving_agents_finish_their_contact_and_joining_agents_start_at_the_boundary():
    # one server in interval 0, none in 1, one again in 2 (30-min intervals)
    arrival = np.array([[1790.0, 1810.0, 3000.0]])
    handle = np.array([[600.0, 60.0, 60.0]])
    out = run_floor(arrival, handle, np.full((1, 3), np.inf), np.array([1, 0, 1]), 1800.0)
    assert out.answered.tolist() == [[True, True, True]]
    # the first contact starts at once and is finished after the boundary; the next two wait for interval 2
    np.testing.assert_allclose(out.wait_s, [[0.0, 3600.0 - 1810.0, 3660.0 - 3000.0]])


def test_impatient_contacts_abandon_and_use_no_server():
    arrival = np.array([[0.0, 1.0, 2.0]])
    handle = np.array([[100.0, 100.0, 100.0]])
    patience = np.array([[np.inf, 50.0, np.inf]])
    out = run_floor(arrival, handle, patience, np.array([1]), 1800.0)
    assert out.answered.tolist() == [[True, False, True]]
    np.testing.assert_allclose(out.wait_s, [[0.0, 50.0, 98.0]])


def test_handle_factors_have_mean_one_and_the_asked_spread():
    rng = np.random.default_rng(3)
    for cv in (0.5, 1.0, 1.3):
        x = draw_handle_factors(rng, (200_000,), cv)
        assert x.mean() == pytest.approx(1.0, abs=0.02)
        assert x.std() / x.mean() == pytest.approx(cv, rel=0.05)


def test_a_realised_aht_is_what_each_intervals_contacts_average_in_every_replication():
    """A history's interval AHT is its contacts' mean: replayed with ``aht: realised`` each replication's
    contacts of an interval average it exactly, their spread kept; drawn around it (``expected``) they
    scatter as the mean of n handle times does (CV 1/sqrt(n)), the spread the actual AHT already had."""
    from optimizer.simulation.arrivals import draw_contacts

    frame = demand([40.0, 3.0, 1.0, 120.0], aht_s=np.array([300.0, 240.0, 500.0, 350.0]))
    aht = frame["aht_s"].to_numpy()

    def interval_means(mode: str) -> tuple[np.ndarray, np.ndarray]:
        options = SimulationOptions(reps=400, seed=5, volumes="counts", aht=mode)
        rng = np.random.default_rng(5)
        arrival, handle = draw_contacts(rng, frame, aht, options, volume_cv=None, handle_cv=1.3, interval_s=1800.0)
        t_of = np.where(np.isfinite(arrival), arrival // 1800.0, -1).astype(int)
        means = np.array([[handle[r][t_of[r] == t].mean() for t in range(4)] for r in range(400)])
        within = np.concatenate([handle[r][t_of[r] == 0] for r in range(400)])
        return means, within

    realised, within = interval_means("realised")
    np.testing.assert_allclose(realised, np.broadcast_to(aht, realised.shape), rtol=1e-12)
    assert within.std() / within.mean() == pytest.approx(1.3 * np.sqrt(39 / 40), rel=0.1)  # spread kept
    expected, _ = interval_means("expected")
    assert expected[:, 0].std() / 300.0 == pytest.approx(1.3 / np.sqrt(40), rel=0.15)
    with pytest.raises(ValueError, match="needs volumes: 'counts'"):
        SimulationOptions(aht="realised")


def test_replay_uses_recorded_times_and_ignores_contacts_outside_the_horizon():
    frame = demand([10.0, 10.0])
    contacts = validate_contacts(
        pd.DataFrame(
            {
                "arrival": ["2026-11-30T00:00:10+01:00", "2026-11-30T00:00:20+01:00", "2026-12-01T00:00:00+01:00"],
                "handle_s": ["100", "100", "100"],
                "patience_s": ["", "30", ""],
            }
        )
    )
    target = ServiceTarget(shrinkage=0.0, answer_within_s=20)
    result = simulate_floor(frame, np.array([1, 1]), target, POISSON, contacts, interval_min=30)
    assert result.reps == 1  # nothing random to draw
    assert result.dropped_contacts == 1
    row = result.intervals.iloc[0]
    assert row["contacts"] == 2
    assert row["service_level"] == 0.5  # the second waits 90 s > 30 s patience and abandons
    assert row["abandon_rate"] == 0.5


def test_bad_contacts_name_the_column_and_row(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("arrival,handle_s\n2026-11-30T08:00:00+01:00,100\n2026-11-30T08:01:00,-3\n")
    with pytest.raises(DataError) as err:
        read_contacts(path)
    fields = [i.field for i in err.value.issues]
    assert fields == ["contacts.arrival[row 1]", "contacts.handle_s[row 1]"]
    path.write_text("when,handle_s\n")
    with pytest.raises(DataError, match=r"contacts\.arrival: column is missing"):
        read_contacts(path)
    with pytest.raises(DataError, match="cannot read"):
        read_contacts(tmp_path / "missing.csv")


def test_contacts_outside_the_horizon_and_wrong_head_counts_are_input_errors():
    frame = demand([10.0])
    late = validate_contacts(pd.DataFrame({"arrival": ["2027-01-01T00:00:00+01:00"], "handle_s": [5.0]}))
    with pytest.raises(InputError, match=r"contacts\.arrival: no contact arrives inside"):
        simulate_floor(frame, np.array([1]), ServiceTarget(), POISSON, late, interval_min=30)
    with pytest.raises(InputError, match=r"scheduled: has shape"):
        simulate_floor(frame, np.array([1, 2]), ServiceTarget(), POISSON, interval_min=30)


def test_arrival_law_is_poisson_without_spread_and_reads_quantile_columns():
    cdf = count_cdf(np.array([3, 10]), np.array([5.0, 5.0]), np.zeros(2))
    np.testing.assert_allclose(cdf, [0.26503, 0.98630], atol=1e-5)
    assert count_quantile(np.array([0.0, 100.0]), np.zeros(2), 0.9).tolist() == [0, 113]
    spread = count_quantile(np.array([100.0]), np.array([0.2]), 0.9)[0]
    assert spread > 113
    frame = demand([100.0, 0.0], volume_p90=[100.0 * np.exp(0.2 * 1.2815516), 0.0])
    np.testing.assert_allclose(volume_sigma(frame), [0.2, 0.0], atol=1e-6)
    np.testing.assert_allclose(volume_sigma(demand([100.0]), 0.5), [np.sqrt(np.log(1.25))])


def test_a_plan_is_simulated_with_the_head_counts_it_reports():
    from optimizer import plan as solve
    from tests.conftest import DETERMINISTIC, GigPool, make_problem

    problem = make_problem(n_workers=4, gig_pool=GigPool(cost_per_hour_cents=4000, max_concurrent=3, fill_rate=0.5))
    result = solve(problem, DETERMINISTIC)
    assert result.solver.status == "OPTIMAL"
    sim = simulate_plan(problem, result, SimulationOptions(reps=20, seed=2))
    assert list(sim.intervals["scheduled"]) == [r.scheduled for r in result.coverage]
    assert sim.intervals.index.equals(pd.DatetimeIndex([r.interval_start for r in result.coverage]))
    assert sim.mode == "forecast"
    other = make_problem(days=2)
    with pytest.raises(InputError, match=r"plan\.coverage: has 24 intervals"):
        simulate_plan(other, result)


def test_contact_records_become_a_contacts_frame():
    from optimizer.simulation import ContactRecord, contacts_frame

    records = [
        ContactRecord(arrival="2026-11-30T08:00:05+01:00", handle_s=100.0),
        ContactRecord(arrival="2026-11-30T08:00:01+01:00", handle_s=50.0, patience_s=20.0),
    ]
    frame = contacts_frame(records)
    assert list(frame["handle_s"]) == [50.0, 100.0]  # sorted by arrival
    assert frame["patience_s"].isna().tolist() == [False, True]
    assert str(frame["arrival"].dt.tz) == "UTC"
