"""Staffing frames: bot automation, requirements via shrinkage, service at a head count, staffing curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import queueing as q
from optimizer.domain import Automation, ServiceTarget
from optimizer.errors import DataError, InputError
from optimizer.staffing import (
    effective_agents,
    human_demand,
    required_staff,
    service_at,
    staffing_curves,
    staffing_requirements,
)

ZONE = "Europe/Stockholm"


def demand(volume, aht_s=180.0, start="2026-03-29 00:00", interval_min=30, **extra) -> pd.DataFrame:
    volume = np.asarray(volume, dtype=float)
    index = pd.date_range(
        start, periods=len(volume), freq=f"{interval_min}min", tz=ZONE, name="interval_start"
    )
    return pd.DataFrame({"volume": volume, "aht_s": aht_s} | extra, index=index)


def test_human_demand_scales_volume_and_handle_time_columns():
    raw = demand([100.0, 0.0], volume_p80=[120.0, 0.0], aht_s_p80=[200.0, 200.0], queue=["chat", "chat"])
    out = human_demand(raw, Automation(containment=0.4, escalated_aht_uplift=0.25))
    np.testing.assert_allclose(out["volume"], [60.0, 0.0])
    np.testing.assert_allclose(out["volume_p80"], [72.0, 0.0])
    np.testing.assert_allclose(out["aht_s"], [225.0, 225.0])
    np.testing.assert_allclose(out["aht_s_p80"], [250.0, 250.0])
    assert list(out["queue"]) == ["chat", "chat"]
    assert out.index.equals(raw.index)
    assert human_demand(raw, Automation()).equals(human_demand(raw, Automation()))
    with pytest.raises(DataError):
        human_demand(demand([-1.0]), Automation())


def test_requirements_match_the_queueing_maths_through_shrinkage():
    target = ServiceTarget(service_level=0.8, answer_within_s=20, max_occupancy=1.0, shrinkage=0.3)
    out = staffing_requirements(demand([100.0, 0.0, 360.0], [180.0, 180.0, 240.0]), target, interval_min=30)
    assert list(out.columns) == ["volume", "aht_s", "agents", "required"]
    assert out["agents"].dtype == np.int64
    assert out["required"].dtype == np.int64
    assert list(out["agents"]) == [14, 0, q.agents_for_target(48.0, 240.0, service_level=0.8, within_s=20)]
    assert list(out["required"]) == [20, 0, int(np.ceil(out["agents"].iloc[2] / 0.7 - 1e-9))]


def test_requirements_honour_patience_concurrency_asa_and_occupancy():
    frame = demand([400.0] * 2, 300.0)
    base = ServiceTarget(service_level=0.8, answer_within_s=30, max_occupancy=1.0, shrinkage=0.0)

    def agents(**change) -> int:
        target = base.model_copy(update=change)
        return int(staffing_requirements(frame, target, interval_min=30)["agents"].iloc[0])

    plain = agents()
    assert plain == q.agents_for_target(q.offered_load(400, 300, 30), 300.0, service_level=0.8, within_s=30)
    assert agents(patience_s=60.0) < plain
    assert agents(concurrency=2) < plain
    assert agents(max_asa_s=1.0) > plain
    assert agents(max_occupancy=0.85) == int(np.ceil(q.offered_load(400, 300, 30) / 0.85))


@given(agents=st.integers(0, 5_000), shrinkage=st.floats(0.0, 0.95))
@settings(max_examples=300, deadline=None)
def test_required_and_effective_agents_are_consistent_inverses(agents, shrinkage):
    need = int(required_staff(np.array([agents]), shrinkage)[0])
    assert int(effective_agents(np.array([need]), shrinkage)[0]) == agents
    if agents > 0:
        assert int(effective_agents(np.array([need - 1]), shrinkage)[0]) < agents


def test_rounding_tolerance_avoids_float_noise():
    assert required_staff(np.array([7]), 0.3)[0] == 10  # 7 / 0.7 is 10.000000000000002 in floating point
    assert effective_agents(np.array([10]), 0.3)[0] == 7  # 10 * 0.7 is 6.999999999999999


def test_service_at_required_meets_the_target_and_documents_edge_conventions():
    target = ServiceTarget(service_level=0.8, answer_within_s=20, shrinkage=0.3)
    frame = demand([100.0, 0.0, 100.0, 100.0])
    need = staffing_requirements(frame, target, interval_min=30)["required"].to_numpy()
    scheduled = np.array([need[0], 0, 14, 0])
    out = service_at(frame, scheduled, target, interval_min=30)
    assert list(out.columns) == ["service_level", "asa_s", "occupancy"]
    assert out.index.equals(frame.index)
    assert out["service_level"].iloc[0] >= 0.8
    assert out.iloc[1].tolist() == [1.0, 0.0, 0.0]  # no volume: everything answered at once
    assert out["service_level"].iloc[2] == 0.0
    assert out["asa_s"].iloc[2] == np.inf
    assert out["occupancy"].iloc[2] == 1.0
    assert out.iloc[3].tolist() == [0.0, np.inf, 0.0]  # nobody on the floor
    with_patience = service_at(
        frame, scheduled, target.model_copy(update={"patience_s": 90.0}), interval_min=30
    )
    assert list(with_patience.columns) == ["service_level", "asa_s", "occupancy", "abandon_rate"]
    assert np.isfinite(with_patience["asa_s"]).all()
    assert with_patience["abandon_rate"].iloc[3] == 1.0


def test_service_at_accepts_a_series_and_rejects_bad_head_counts():
    target = ServiceTarget()
    frame = demand([100.0, 50.0])
    by_series = service_at(frame, pd.Series([20, 12], index=frame.index), target, interval_min=30)
    assert by_series.equals(service_at(frame, np.array([20, 12]), target, interval_min=30))
    with pytest.raises(InputError) as info:
        service_at(frame, np.array([20]), target, interval_min=30)
    assert info.value.field == "scheduled"
    with pytest.raises(InputError) as info:
        service_at(frame, np.array([20, -1]), target, interval_min=30)
    assert info.value.field == "scheduled[1]"


def test_staffing_curves_tabulate_answered_contacts_per_head_count():
    target = ServiceTarget(service_level=0.8, answer_within_s=20, shrinkage=0.25)
    frame = demand([100.0, 0.0, 300.0], [180.0, 180.0, 240.0])
    curves = staffing_curves(frame, target, interval_min=30, max_scheduled=80)
    assert curves.shape == (3, 81)
    for s in (0, 13, 19, 80):
        sl = service_at(frame, np.full(3, s), target, interval_min=30)["service_level"].to_numpy()
        np.testing.assert_allclose(curves[:, s], frame["volume"].to_numpy() * sl, rtol=1e-12)
    assert np.all(np.diff(curves, axis=1) >= 0)
    np.testing.assert_array_equal(curves[1], 0.0)
    assert curves[0, -1] == pytest.approx(100.0)


def test_staffing_curves_are_concave_above_the_load_in_effective_agents():
    target = ServiceTarget(service_level=0.8, answer_within_s=20, shrinkage=0.0)
    frame = demand([200.0], 180.0)  # load 20 Erlang
    curve = staffing_curves(frame, target, interval_min=30, max_scheduled=60)[0]
    np.testing.assert_array_equal(curve[:21], 0.0)
    assert np.all(np.diff(curve[21:], 2) <= 1e-12)
    assert np.diff(curve[19:22], 2)[0] > 0  # the jump off zero at the load is where concavity fails


def test_staffing_curves_work_on_a_dst_day_and_check_max_scheduled():
    frame = demand(np.full(92, 20.0), 300.0, start="2026-03-29 00:00", interval_min=15)  # 23-hour day
    target = ServiceTarget(patience_s=120.0)
    assert staffing_curves(frame, target, interval_min=15, max_scheduled=10).shape == (92, 11)
    with pytest.raises(InputError) as info:
        staffing_curves(frame, target, interval_min=15, max_scheduled=-1)
    assert info.value.field == "max_scheduled"
