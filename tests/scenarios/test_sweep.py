"""Running scenarios: cost-optimal headcount, reproducibility, forecast reuse, backends and result files."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import yaml

from scenarios.backends import ray_available
from scenarios.compare import (
    COLUMNS,
    HeadcountPoint,
    cost_optimal_headcount,
    headcount_points,
    results_frame,
    scenario_headcount_optimum,
    write_results,
)
from scenarios.scenario import Scenario
from scenarios.spec import example_config_path
from scenarios.sweep import run_scenario

SWEEP = [0.4, 0.8, 1.2, 1.6]


def tiny_base() -> dict:
    """One day of the bundled example with 40 FTEs and a roomy gig pool: every plan solves in < 1 s."""
    cfg = yaml.safe_load(example_config_path().read_text())
    cfg["history"] = str(example_config_path().parent / cfg["history"])
    cfg.pop("preferences")  # the example's wishes name people this staff no longer has
    cfg["gig_pool"].update(max_concurrent=40, max_shifts_per_day=120)
    cfg.update(
        days=1,
        forecast={"model": "seasonal_naive"},
        staff=[
            {"contract": "ft40", "count": 30, "id_prefix": "ft"},
            {"contract": "flex20", "count": 10, "id_prefix": "fx"},
        ],
        solve={"time_limit_s": 20, "num_workers": 1, "random_seed": 5, "relative_gap": 0.0},
    )
    return cfg


def tiny_scenario(**extra) -> Scenario:
    data = {
        "title": "tiny",
        "base": tiny_base(),
        "variations": [
            {"name": "no-gig", "fte_scale": 0.4, "gig_pool": {"max_concurrent": 0}},
            {"name": "peak", "demand_uplift": 1.2},
            {"name": "denmark", "forecast": {"country": "DK"}},
            {"name": "odd-shifts", "contracts": [{**tiny_base()["contracts"][2], "shift_lengths_min": [250]}]},
        ],
        "sweep": {"fte_scale": SWEEP},
    }
    data.update(extra)
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return run_scenario(tiny_scenario(), tmp_path_factory.mktemp("s"), jobs=1, progress=False)


def _costs(res) -> dict[str, int | None]:
    return {v.name: v.run.plan.kpis.total_cost_cents if v.run else None for v in res.variations}


def test_every_run_is_reported_base_first(result):
    names = [v.name for v in result.variations]
    assert names == ["base", "no-gig", "peak", "denmark", "odd-shifts"] + [f"fte_scale={s:g}" for s in SWEEP]
    assert result.forecasts_fitted == 2  # the base's forecast is reused by every run but 'denmark'
    assert all(v.run.violations == () for v in result.variations if v.run is not None)


def test_input_error_of_one_variation_does_not_stop_the_others(result):
    odd = next(v for v in result.variations if v.name == "odd-shifts")
    assert odd.status == "ERROR"
    assert "not multiples of interval_min 30" in odd.error
    row = results_frame(result).set_index("name").loc["odd-shifts"]
    assert pd.isna(row["total_cost"])
    assert not row["meets_target"]


def test_cost_optimal_row_is_no_dearer_than_any_row_meeting_the_target(result):
    optimum = scenario_headcount_optimum(result)
    assert optimum is not None
    frame = results_frame(result).set_index("name")
    comparable = {p.label for p in headcount_points(result)}
    # 'peak' and 'denmark' plan other demand, 'odd-shifts' has no plan: none is on the headcount curve
    assert comparable == {"base", "no-gig"} | {f"fte_scale={s:g}" for s in SWEEP}
    meeting = frame.loc[sorted(comparable)].query("meets_target")
    assert len(meeting) >= 3
    assert optimum.total_cost_cents == meeting["total_cost_cents"].min()
    assert (meeting["total_cost_cents"] >= optimum.total_cost_cents).all()
    assert frame.loc[optimum.label, "fte_headcount"] == optimum.fte_headcount
    # cutting the gig pool is cheaper on paper but misses the target, so it is never the optimum
    assert not frame.loc["no-gig", "meets_target"]
    assert frame.loc["no-gig", "total_cost_cents"] < optimum.total_cost_cents
    assert optimum.flat_low <= optimum.fte_headcount <= optimum.flat_high


def test_results_frame_row_adds_up(result):
    frame = results_frame(result)
    assert tuple(frame.columns) == COLUMNS
    row = frame.set_index("name").loc["fte_scale=0.8"]
    assert row["total_cost_cents"] == row["fte_cost_cents"] + row["gig_cost_cents"]
    assert math.isclose(row["total_cost"], row["total_cost_cents"] / 100)
    assert math.isclose(row["gig_share"], row["gig_hours"] / (row["gig_hours"] + row["fte_hours"]), abs_tol=1e-4)
    assert math.isclose(row["cost_per_contact"], row["total_cost"] / row["contacts"], rel_tol=1e-3)
    assert row["fte_headcount"] == 32
    assert row["gig_cap"] == 40
    assert row["demand_uplift"] == 1.0
    peak = frame.set_index("name").loc["peak"]
    assert math.isclose(peak["demand_uplift"], 1.2)
    assert math.isclose(peak["contacts"], 1.2 * frame.iloc[0]["contacts"], rel_tol=1e-3)


def test_same_seed_same_costs(result, tmp_path):
    again = run_scenario(tiny_scenario(variations=[]), tmp_path, jobs=1, progress=False)
    first = _costs(result)
    assert {k: first[k] for k in _costs(again)} == _costs(again)


def test_process_pool_gives_the_inline_costs(result, tmp_path):
    scenario = tiny_scenario(variations=[], sweep={"fte_scale": SWEEP[:2]})
    pooled = run_scenario(scenario, tmp_path, jobs=2, progress=False)
    assert pooled.backend == "local"
    assert pooled.parallel_tasks == 2
    assert pooled.solver_threads == 1
    first = _costs(result)
    assert _costs(pooled) == {k: first[k] for k in _costs(pooled)}


def test_write_results_writes_tables_plans_and_charts(result, tmp_path):
    paths = write_results(result, tmp_path)
    names = {p.name for p in paths}
    assert {"results.csv", "results.json", "cost_by_run.png", "cost_vs_headcount.png", "coverage_base.png"} <= names
    for png in tmp_path.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv = pd.read_csv(tmp_path / "results.csv")
    assert list(csv["name"]) == [v.name for v in result.variations]
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["headcount_optimum"]["fte_headcount"] == scenario_headcount_optimum(result).fte_headcount
    assert len(doc["runs"]) == len(result.variations)
    assert (tmp_path / "runs" / "fte_scale=0.4" / "schedule.csv").is_file()
    assert not (tmp_path / "runs" / "odd-shifts").exists()


def _point(label: str, headcount: int, cost: int, ok: bool = True) -> HeadcountPoint:
    return HeadcountPoint(label, headcount, cost, ok, 0.0)


def test_flat_range_and_the_cases_without_an_answer():
    points = [_point("a", 10, 1000, ok=False), _point("b", 20, 1050), _point("c", 30, 1005),
              _point("d", 40, 1000), _point("e", 50, 1020)]  # fmt: skip
    optimum = cost_optimal_headcount(points, tolerance_ratio=0.01)
    assert (optimum.label, optimum.flat_low, optimum.flat_high) == ("d", 30, 40)
    assert optimum.flat_labels == ("c", "d")
    assert optimum.points_compared == 4
    assert cost_optimal_headcount(points[:2]) is None  # one headcount meets the target: no curve
    tie = cost_optimal_headcount([_point("x", 30, 900), _point("y", 20, 900)])
    assert tie.fte_headcount == 20


@pytest.mark.ray
@pytest.mark.skipif(not ray_available(), reason="ray is not installed (pip install shiftmix[ray])")
def test_ray_backend_gives_the_inline_costs(result, tmp_path):
    scenario = tiny_scenario(variations=[], sweep={"fte_scale": SWEEP[:2]})
    on_ray = run_scenario(scenario, tmp_path, backend="ray", jobs=2, progress=False)
    assert on_ray.backend == "ray"
    first = _costs(result)
    assert _costs(on_ray) == {k: first[k] for k in _costs(on_ray)}
