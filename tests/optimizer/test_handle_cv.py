"""Handle-time CV in the staffing maths (Allen-Cunneen for Erlang C), measured against the simulator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer.domain import ServiceTarget
from optimizer.simulation import SimulationOptions, simulate_floor
from optimizer.staffing import service_at, staffing_requirements, wait_scale, wait_within_s

ZONE = "Europe/Stockholm"
AGENTS = 20


def flat(aht_s: float, occupancy: float) -> pd.DataFrame:
    index = pd.date_range("2026-11-30", periods=96, freq="30min", tz=ZONE, name="interval_start")
    return pd.DataFrame({"volume": AGENTS * 1800 / aht_s * occupancy, "aht_s": aht_s}, index=index)


def steady_level(frame: pd.DataFrame, target: ServiceTarget) -> float:
    """Simulated service level after the first four hours (the floor starts empty)."""
    sim = simulate_floor(
        frame, np.full(len(frame), AGENTS), target, SimulationOptions(reps=60, seed=2, volumes="poisson"),
        interval_min=30,
    )
    rows = sim.intervals.iloc[8:]
    return float((rows["service_level"] * rows["contacts"]).sum() / rows["contacts"].sum())


@pytest.mark.parametrize(("aht_s", "within_s", "occupancy"), [(300.0, 20.0, 0.8), (120.0, 60.0, 0.9)])
def test_corrected_erlang_c_is_closer_to_the_simulated_level_at_cv_1_3(aht_s, within_s, occupancy):
    frame = flat(aht_s, occupancy)
    plain = ServiceTarget(shrinkage=0.0, answer_within_s=within_s)
    spread = plain.model_copy(update={"handle_cv": 1.3})
    simulated = steady_level(frame, spread)
    uncorrected = service_at(frame.iloc[:1], [AGENTS], plain, interval_min=30)["service_level"].iloc[0]
    corrected = service_at(frame.iloc[:1], [AGENTS], spread, interval_min=30)["service_level"].iloc[0]
    assert abs(corrected - simulated) < abs(uncorrected - simulated)


def test_corrected_asa_is_closer_to_the_simulated_asa():
    frame = flat(300.0, 0.9)
    plain = ServiceTarget(shrinkage=0.0)
    spread = plain.model_copy(update={"handle_cv": 1.3})
    sim = simulate_floor(
        frame, np.full(96, AGENTS), spread, SimulationOptions(reps=60, seed=2, volumes="poisson"), interval_min=30
    )
    simulated = sim.intervals["asa_s"].iloc[8:].mean()
    uncorrected = service_at(frame.iloc[:1], [AGENTS], plain, interval_min=30)["asa_s"].iloc[0]
    corrected = service_at(frame.iloc[:1], [AGENTS], spread, interval_min=30)["asa_s"].iloc[0]
    assert corrected == pytest.approx(uncorrected * 1.345)
    assert abs(corrected - simulated) < abs(uncorrected - simulated)


def test_erlang_a_is_left_uncorrected_because_patience_caps_the_waits():
    frame = flat(300.0, 0.9)
    plain = ServiceTarget(shrinkage=0.0, patience_s=180.0)
    spread = plain.model_copy(update={"handle_cv": 1.3})
    assert wait_scale(spread) == 1.0
    level = service_at(frame.iloc[:1], [AGENTS], spread, interval_min=30)["service_level"].iloc[0]
    assert abs(level - steady_level(frame, spread)) < 0.01


def test_cv_one_is_todays_maths_and_more_spread_needs_more_agents():
    frame = flat(300.0, 0.9)
    assert wait_within_s(ServiceTarget(answer_within_s=20)) == 20.0
    target = ServiceTarget(service_level=0.85, max_occupancy=1.0)
    base = staffing_requirements(frame, target, interval_min=30)["agents"]
    wide = staffing_requirements(frame, target.model_copy(update={"handle_cv": 2.0}), interval_min=30)["agents"]
    assert (wide >= base).all()
    assert wide.sum() > base.sum()
    with pytest.raises(ValueError, match="handle_cv"):
        ServiceTarget(handle_cv=0.0)
